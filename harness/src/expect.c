#include "expect.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int expect_parse(const char *text, size_t len, const char *origin, struct expectations *out,
                 char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	size_t blank = 0;
	while (blank < len && strchr(" \t\r\n", text[blank]))
		blank++;
	if (blank == len) {
		fmt_into(err, errcap,
		         "%s: empty file, not valid JSON (an expectations file is {\"schema\": 1, "
		         "\"backend\": NAME, \"expectations\": [...]})",
		         origin);
		return -1;
	}
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	if (!root) {
		fmt_into(err, errcap, "%s:%d:%d: not valid JSON: %s", origin, je.line, je.column,
		         je.text);
		return -1;
	}
	json_t *schema = json_object_get(root, "schema");
	json_t *list = json_object_get(root, "expectations");
	json_t *backend = json_object_get(root, "backend");
	if (!json_is_object(root) || !json_is_integer(schema)) {
		fmt_into(err, errcap, "%s: missing integer \"schema\"", origin);
		goto fail;
	}
	if (json_integer_value(schema) != 1) {
		fmt_into(err, errcap, "%s: schema %lld is not supported (this harness reads 1)",
		         origin, (long long)json_integer_value(schema));
		goto fail;
	}
	if (!json_is_string(backend)) {
		fmt_into(err, errcap, "%s: missing string \"backend\"", origin);
		goto fail;
	}
	if (!json_is_array(list)) {
		fmt_into(err, errcap, "%s: missing array \"expectations\"", origin);
		goto fail;
	}
	out->path = xstrdup(origin);
	out->backend = xstrdup(json_string_value(backend));
	out->n = json_array_size(list);
	out->v = xcalloc(out->n ? out->n : 1, sizeof *out->v);
	for (size_t i = 0; i < out->n; i++) {
		json_t *e = json_array_get(list, i);
		json_t *id = json_object_get(e, "id"), *role = json_object_get(e, "role");
		json_t *rule = json_object_get(e, "rule");
		json_t *peer = json_object_get(e, "peer"), *verdict = json_object_get(e, "verdict");
		json_t *reason = json_object_get(e, "reason");
		const char *problem = NULL;
		char short_reason[160];
		fmt_into(short_reason, sizeof short_reason,
		         "has a \"reason\" of %zu character(s): say why in at least %d",
		         json_is_string(reason) ? strlen(json_string_value(reason)) : 0,
		         EXPECT_REASON_MIN);
		if (!json_is_object(e))
			problem = "is not an object";
		else if (id && rule)
			problem = "has both \"id\" and \"rule\" (one entry names scenarios or wire "
			          "rules, not both)";
		else if (rule && (!json_is_string(rule) || !json_string_value(rule)[0]))
			problem = "has a \"rule\" that is not a non-empty string";
		else if (!rule && (!json_is_string(id) || !json_string_value(id)[0]))
			problem = "has no \"id\" (or \"rule\")";
		else if (!json_is_string(verdict) || strcmp(json_string_value(verdict), "XFAIL"))
			problem = "has a \"verdict\" other than \"XFAIL\"";
		else if (!json_is_string(reason) || !json_string_value(reason)[0])
			problem = "has no \"reason\" (every entry must say why)";
		else if (strlen(json_string_value(reason)) < EXPECT_REASON_MIN)
			problem = short_reason;
		else if (role &&
		         (!json_is_string(role) || (strcmp(json_string_value(role), "client") &&
		                                    strcmp(json_string_value(role), "server") &&
		                                    strcmp(json_string_value(role), "any"))))
			problem = "has a \"role\" other than client, server or any";
		else if (peer && !json_is_string(peer))
			problem = "has a non-string \"peer\"";
		if (problem) {
			fmt_into(err, errcap, "%s: expectations[%zu] %s", origin, i, problem);
			out->n = i;
			expect_free(out);
			goto fail;
		}
		struct expectation *x = &out->v[i];
		x->id = id ? xstrdup(json_string_value(id)) : NULL;
		x->rule = rule ? xstrdup(json_string_value(rule)) : NULL;
		x->reason = xstrdup(json_string_value(reason));
		x->peer = xstrdup(peer ? json_string_value(peer) : "*");
		const char *r = role ? json_string_value(role) : "any";
		x->role = !strcmp(r, "client")   ? TLSH_ROLE_CLIENT
		          : !strcmp(r, "server") ? TLSH_ROLE_SERVER
		                                 : 0;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

int expect_load(const char *path, struct expectations *out, char *err, size_t errcap)
{
	struct bytes b = {0};
	memset(out, 0, sizeof *out);
	if (read_file(path, &b) != 0) {
		fmt_into(err, errcap, "%s: cannot read expectations file: %s", path,
		         strerror(errno));
		return -1;
	}
	int r = expect_parse((const char *)b.data, b.len, path, out, err, errcap);
	bytes_free(&b);
	return r;
}

void expect_free(struct expectations *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].id);
		free(e->v[i].rule);
		free(e->v[i].peer);
		free(e->v[i].reason);
	}
	free(e->v);
	free(e->path);
	free(e->backend);
	memset(e, 0, sizeof *e);
}

static struct expectation *match(struct expectations *e, int by_rule, const char *name, int role,
                                 const char *peer)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n; i++) {
		struct expectation *x = &e->v[i];
		const char *glob = by_rule ? x->rule : x->id;
		if (!glob || (x->role && x->role != role))
			continue;
		if (fnmatch(x->peer, peer, 0) != 0)
			continue;
		if (fnmatch(glob, name, 0) == 0)
			return x;
	}
	return NULL;
}

struct expectation *expect_match(struct expectations *e, const char *id, int role, const char *peer)
{
	return match(e, 0, id, role, peer);
}

struct expectation *expect_match_rule(struct expectations *e, const char *rule, int role,
                                      const char *peer)
{
	return match(e, 1, rule, role, peer);
}
