#include "report_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "verdict.h"

static int fail(char *err, size_t cap, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t cap, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fmt_into(err, cap, "%s: %s", path, msg);
	return -1;
}

/* A string member: "" (or NULL when nullable) if absent or null; -1 if it
 * has another type. */
static int get_str(json_t *o, const char *key, int nullable, const char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = nullable ? NULL : "";
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static const char *json_type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static int load_result(json_t *o, size_t i, struct rl_result *x, const char *path, char *err,
                       size_t cap)
{
	if (!json_is_object(o))
		return fail(err, cap, path, "results[%zu] is %s, not an object", i,
		            json_type_name(o));
	static const char *const key_fields[] = {"id", "client", "server", "verdict"};
	const char *kv[4];
	for (int k = 0; k < 4; k++) {
		json_t *v = json_object_get(o, key_fields[k]);
		if (!v)
			return fail(err, cap, path, "results[%zu] has no \"%s\"", i, key_fields[k]);
		if (!json_is_string(v) || !json_string_length(v))
			return fail(err, cap, path, "results[%zu].%s is %s, not a non-empty string",
			            i, key_fields[k],
			            json_is_string(v) ? "empty" : json_type_name(v));
		kv[k] = json_string_value(v);
	}
	x->id = kv[0];
	x->client = kv[1];
	x->server = kv[2];
	x->verdict = verdict_parse(kv[3]);
	if (x->verdict < 0)
		return fail(err, cap, path, "results[%zu] (%s): unknown verdict \"%s\"", i, x->id,
		            kv[3]);
	const char *raw;
	if (get_str(o, "raw_verdict", 1, &raw) != 0)
		return fail(err, cap, path, "results[%zu].raw_verdict is not a string", i);
	x->raw = raw ? verdict_parse(raw) : x->verdict;
	if (x->raw < 0)
		return fail(err, cap, path, "results[%zu] (%s): unknown raw_verdict \"%s\"", i,
		            x->id, raw);
	struct {
		const char *key;
		const char **dst;
		int nullable;
	} text[] = {{"family", &x->family, 0},         {"params", &x->params, 0},
	            {"title", &x->title, 0},           {"spec", &x->spec, 0},
	            {"expected", &x->expected, 0},     {"observed", &x->observed, 0},
	            {"error", &x->error, 0},           {"xfail_reason", &x->xfail_reason, 1},
	            {"transcript", &x->transcript, 1}, {"mutation", &x->mutation, 1},
	            {"stopped", &x->stopped, 1},       {"rules", &x->rules, 1},
	            {"decrypted", &x->decrypted, 1}};
	for (size_t k = 0; k < sizeof text / sizeof text[0]; k++)
		if (get_str(o, text[k].key, text[k].nullable, text[k].dst) != 0)
			return fail(err, cap, path, "results[%zu].%s is %s, not a string", i,
			            text[k].key, json_type_name(json_object_get(o, text[k].key)));
	if (!*x->family) {
		/* The family is the first component of the id. */
		json_t *f = json_stringn(x->id, strcspn(x->id, "/"));
		json_object_set_new(o, "family", f);
		x->family = json_string_value(f);
	}
	static const char *const alert_keys[4] = {"client_sent", "client_received", "server_sent",
	                                          "server_received"};
	json_t *al = json_object_get(o, "alerts");
	if (al && !json_is_object(al) && !json_is_null(al))
		return fail(err, cap, path, "results[%zu].alerts is %s, not an object", i,
		            json_type_name(al));
	for (int k = 0; k < 4; k++) {
		json_t *a = al ? json_object_get(al, alert_keys[k]) : NULL;
		x->alerts[k] = -1;
		if (!a || json_is_null(a))
			continue;
		if (!json_is_integer(a) || json_integer_value(a) < 0 || json_integer_value(a) > 255)
			return fail(err, cap, path,
			            "results[%zu].alerts.%s is not null or an alert code 0..255", i,
			            alert_keys[k]);
		x->alerts[k] = (int)json_integer_value(a);
	}
	json_t *ms = json_object_get(o, "duration_ms");
	x->ms = json_is_number(ms) ? json_number_value(ms) : 0;
	return 0;
}

int rl_load(const char *path, struct rl_report *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	struct bytes text = {0};
	if (read_file(path, &text) != 0)
		return fail(err, errcap, path, "cannot read: %s", strerror(errno));
	int rc = rl_parse(path, text.data, text.len, out, err, errcap);
	bytes_free(&text);
	return rc;
}

int rl_parse(const char *path, const void *data, size_t len, struct rl_report *out, char *err,
             size_t errcap)
{
	memset(out, 0, sizeof *out);
	if (len == 0)
		return fail(err, errcap, path, "empty file, not a JSON report");
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_premature_end_of_input)
			return fail(
			        err, errcap, path,
			        "truncated JSON: the text ends at line %d, column %d before the "
			        "document is complete (%s)",
			        je.line, je.column, je.text);
		return fail(err, errcap, path, "corrupt JSON at line %d, column %d: %s", je.line,
		            je.column, je.text);
	}
	int rc = -1;
	if (!json_is_object(root)) {
		fail(err, errcap, path,
		     "not a tlsharness report: the document is %s, not an object",
		     json_type_name(root));
		goto out;
	}
	json_t *schema = json_object_get(root, "schema");
	if (!json_is_string(schema)) {
		fail(err, errcap, path, "not a tlsharness report: no \"schema\": \"%s\" member",
		     REPORT_SCHEMA);
		goto out;
	}
	if (strcmp(json_string_value(schema), REPORT_SCHEMA) != 0) {
		fail(err, errcap, path, "not a tlsharness report: its schema is \"%s\", not \"%s\"",
		     json_string_value(schema), REPORT_SCHEMA);
		goto out;
	}
	json_t *sv = json_object_get(root, "schema_version");
	if (!json_is_integer(sv)) {
		fail(err, errcap, path, "\"schema_version\" is missing or not an integer");
		goto out;
	}
	if (json_integer_value(sv) != REPORT_SCHEMA_VERSION) {
		fail(err, errcap, path,
		     "schema_version %lld is not supported: this tlsharness reads schema_version "
		     "%d (reports/schema/report-v%d.json)",
		     (long long)json_integer_value(sv), REPORT_SCHEMA_VERSION,
		     REPORT_SCHEMA_VERSION);
		goto out;
	}
	json_t *results = json_object_get(root, "results");
	if (!json_is_array(results)) {
		fail(err, errcap, path, "\"results\" is %s, not an array",
		     results ? json_type_name(results) : "missing");
		goto out;
	}
	json_t *run = json_object_get(root, "run");
	if (run && !json_is_object(run)) {
		fail(err, errcap, path, "\"run\" is %s, not an object", json_type_name(run));
		goto out;
	}
	out->n = json_array_size(results);
	out->r = xcalloc(out->n + 1, sizeof *out->r);
	json_t *seen = json_object();
	for (size_t i = 0; i < out->n; i++) {
		if (load_result(json_array_get(results, i), i, &out->r[i], path, err, errcap) != 0)
			break;
		char *key = rl_key(&out->r[i]);
		json_t *prev = json_object_get(seen, key);
		if (prev) {
			fail(err, errcap, path,
			     "results[%zu] repeats results[%lld] (%s, client %s, server %s)", i,
			     (long long)json_integer_value(prev), out->r[i].id, out->r[i].client,
			     out->r[i].server);
			free(key);
			break;
		}
		json_object_set_new(seen, key, json_integer((json_int_t)i));
		free(key);
		if (i + 1 == out->n)
			rc = 0;
	}
	if (out->n == 0)
		rc = 0;
	json_decref(seen);
	if (rc != 0) {
		free(out->r);
		out->r = NULL;
		goto out;
	}
	const char *s;
	out->started = get_str(run, "started", 0, &s) == 0 ? s : "";
	out->command = get_str(run, "command", 0, &s) == 0 ? s : "";
	out->harness_version = "";
	get_str(json_object_get(root, "harness"), "version", 0, &out->harness_version);
	json_t *complete = json_object_get(run, "complete");
	out->complete = complete ? json_is_true(complete) : 1;
	json_t *wall = json_object_get(run, "wall_ms");
	out->wall_ms = json_is_number(wall) ? json_number_value(wall) : 0;
	out->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	out->dir = slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	if (!*out->dir) {
		free(out->dir);
		out->dir = xstrdup("/");
	}
	out->root = root;
	return 0;
out:
	json_decref(root);
	return -1;
}

void rl_free(struct rl_report *rep)
{
	free(rep->r);
	free(rep->path);
	free(rep->dir);
	json_decref(rep->root);
	memset(rep, 0, sizeof *rep);
}

char *rl_instance_key(const char *id, const char *client, const char *server)
{
	/* \x1f (unit separator) cannot appear in ids or backend names. */
	return xasprintf("%s\x1f%s\x1f%s", id, client, server);
}

char *rl_key(const struct rl_result *r)
{
	return rl_instance_key(r->id, r->client, r->server);
}
