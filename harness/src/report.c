#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "util.h"

static json_t *alert_json(int a)
{
	return a < 0 ? json_null() : json_integer(a);
}

static json_t *shard_json(int index, int count)
{
	json_t *o = json_object();
	json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "count", json_integer(count));
	return o;
}

static void iso_time(double unix_s, char *buf, size_t cap)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *report_json(const struct run_info *ri, struct backend *b, size_t nb, const struct pair *pairs,
                  size_t npairs, const struct result *r, size_t n)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(REPORT_SCHEMA));
	json_object_set_new(root, "schema_version", json_integer(REPORT_SCHEMA_VERSION));
	json_t *h = json_object();
	json_object_set_new(h, "name", json_string("tlsharness"));
	json_object_set_new(h, "version", json_string(HARNESS_VERSION));
	json_object_set_new(root, "harness", h);
	json_t *run = json_object();
	char ts[64];
	iso_time(ri->started_unix, ts, sizeof ts);
	json_object_set_new(run, "started", json_string(ts));
	json_object_set_new(run, "wall_ms", json_real(ri->wall_ms));
	json_object_set_new(run, "complete", json_boolean(ri->complete));
	json_object_set_new(run, "interrupted", json_boolean(ri->interrupted));
	json_object_set_new(run, "command", json_string(ri->command ? ri->command : ""));
	json_object_set_new(run, "jobs", json_integer(ri->jobs));
	json_object_set_new(run, "seed", json_integer((json_int_t)ri->seed));
	json_object_set_new(run, "endpoint_mode",
	                    json_string(ri->endpoint_mode ? ri->endpoint_mode : "auto"));
	if (ri->shard_count > 0)
		json_object_set_new(run, "shard", shard_json(ri->shard_index, ri->shard_count));
	if (ri->rerun_of)
		json_object_set_new(run, "rerun_of", json_string(ri->rerun_of));
	if (ri->nsources) {
		json_t *from = json_array();
		for (size_t i = 0; i < ri->nsources; i++) {
			const struct run_source *x = &ri->sources[i];
			json_t *o = json_object();
			json_object_set_new(o, "report", json_string(x->report));
			json_object_set_new(o, "started", json_string(x->started));
			json_object_set_new(o, "command", json_string(x->command));
			json_object_set_new(o, "wall_ms", json_real(x->wall_ms));
			json_object_set_new(o, "results", json_integer((json_int_t)x->results));
			if (x->shard_count > 0)
				json_object_set_new(o, "shard",
				                    shard_json(x->shard_index, x->shard_count));
			json_array_append_new(from, o);
		}
		json_object_set_new(run, "merged_from", from);
	}
	json_object_set_new(root, "run", run);
	json_t *backends = json_array();
	for (size_t i = 0; i < nb; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(b[i].name));
		json_object_set_new(o, "spec", json_string(b[i].spec));
		json_object_set_new(o, "library_version", json_string(b[i].library_version));
		json_object_set_new(o, "path", json_string(b[i].path));
		json_t *caps = json_array();
		for (int k = 0; k < TLSH_CAP_COUNT; k++)
			if (b[i].caps & (1ull << k))
				json_array_append_new(caps, json_string(capability_name(k)));
		json_object_set_new(o, "capabilities", caps);
		json_object_set_new(o, "expectations",
		                    b[i].has_exp ? json_string(b[i].exp.path) : json_null());
		json_array_append_new(backends, o);
	}
	json_object_set_new(root, "backends", backends);
	json_t *jp = json_array();
	for (size_t i = 0; i < npairs; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "client", json_string(b[pairs[i].client].name));
		json_object_set_new(o, "server", json_string(b[pairs[i].server].name));
		json_array_append_new(jp, o);
	}
	json_object_set_new(root, "pairs", jp);
	json_t *summary = json_object();
	size_t counts[V_COUNT] = {0};
	for (size_t i = 0; i < n; i++)
		counts[r[i].verdict]++;
	for (int v = 0; v < V_COUNT; v++)
		json_object_set_new(summary, verdict_name((enum verdict)v),
		                    json_integer((json_int_t)counts[v]));
	json_object_set_new(summary, "total", json_integer((json_int_t)n));
	json_object_set_new(root, "summary", summary);
	json_t *results = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct result *x = &r[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(x->def->id));
		json_object_set_new(o, "family", json_string(x->def->family));
		json_object_set_new(o, "params", json_string(x->def->params));
		json_object_set_new(o, "title", json_string(x->def->title ? x->def->title : ""));
		json_object_set_new(o, "spec", json_string(x->def->spec ? x->def->spec : ""));
		json_object_set_new(o, "client", json_string(b[x->client].name));
		json_object_set_new(o, "server", json_string(b[x->server].name));
		json_object_set_new(o, "verdict", json_string(verdict_name(x->verdict)));
		json_object_set_new(o, "raw_verdict", json_string(verdict_name(x->raw)));
		json_object_set_new(o, "expected", json_string(x->expected ? x->expected : ""));
		json_object_set_new(o, "observed", json_string(x->observed ? x->observed : ""));
		json_object_set_new(o, "error", json_string(x->detail ? x->detail : ""));
		json_object_set_new(o, "xfail_reason",
		                    x->xfail_reason ? json_string(x->xfail_reason) : json_null());
		json_t *al = json_object();
		json_object_set_new(al, "client_sent", alert_json(x->alerts[0]));
		json_object_set_new(al, "client_received", alert_json(x->alerts[1]));
		json_object_set_new(al, "server_sent", alert_json(x->alerts[2]));
		json_object_set_new(al, "server_received", alert_json(x->alerts[3]));
		json_object_set_new(o, "alerts", al);
		json_object_set_new(o, "duration_ms", json_real(x->ms));
		json_object_set_new(o, "transcript",
		                    x->transcript ? json_string(x->transcript) : json_null());
		if (x->mutation)
			json_object_set_new(o, "mutation", json_string(x->mutation));
		if (x->stopped)
			json_object_set_new(o, "stopped", json_string(x->stopped));
		if (x->rules)
			json_object_set_new(o, "rules", json_string(x->rules));
		if (x->decrypted)
			json_object_set_new(o, "decrypted", json_string(x->decrypted));
		json_array_append_new(results, o);
	}
	json_object_set_new(root, "results", results);
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	json_decref(root);
	return text;
}

void xml_escape(struct bytes *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *rep = NULL;
		char tmp[8];
		switch (c) {
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t') {
				rep = fmt_into(tmp, sizeof tmp, "?");
			}
		}
		if (rep)
			bytes_append(out, rep, strlen(rep));
		else
			bytes_append(out, s, 1);
	}
}

static void xml_add(struct bytes *o, const char *s)
{
	bytes_append(o, s, strlen(s));
}

char *report_junit(const struct run_info *ri, struct backend *b, const struct result *r, size_t n)
{
	struct bytes o = {0};
	size_t fails = 0, skips = 0, errors = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].verdict == V_FAIL || r[i].verdict == V_XPASS)
			fails++;
		else if (r[i].verdict == V_CRASH || r[i].verdict == V_TIMEOUT ||
		         r[i].verdict == V_HARNESS_ERROR)
			errors++;
		else if (r[i].verdict == V_UNSUPPORTED || r[i].verdict == V_XFAIL)
			skips++;
	}
	char head[512];
	xml_add(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fmt_into(head, sizeof head,
	         "<testsuites name=\"tlsharness\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	         "skipped=\"%zu\" time=\"%.3f\">\n",
	         n, fails, errors, skips, ri->wall_ms / 1000);
	xml_add(&o, head);
	fmt_into(head, sizeof head,
	         "  <testsuite name=\"conformance\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	         "skipped=\"%zu\">\n",
	         n, fails, errors, skips);
	xml_add(&o, head);
	for (size_t i = 0; i < n; i++) {
		const struct result *x = &r[i];
		xml_add(&o, "    <testcase classname=\"");
		char cls[256];
		fmt_into(cls, sizeof cls, "%s.%s--%s", x->def->family, b[x->client].name,
		         b[x->server].name);
		xml_escape(&o, cls);
		xml_add(&o, "\" name=\"");
		xml_escape(&o, x->def->id);
		fmt_into(head, sizeof head, "\" time=\"%.3f\">", x->ms / 1000);
		xml_add(&o, head);
		const char *tag = NULL;
		if (x->verdict == V_FAIL || x->verdict == V_XPASS)
			tag = "failure";
		else if (x->verdict == V_CRASH || x->verdict == V_TIMEOUT ||
		         x->verdict == V_HARNESS_ERROR)
			tag = "error";
		else if (x->verdict == V_UNSUPPORTED || x->verdict == V_XFAIL)
			tag = "skipped";
		if (tag) {
			xml_add(&o, "\n      <");
			xml_add(&o, tag);
			xml_add(&o, " type=\"");
			xml_add(&o, verdict_name(x->verdict));
			xml_add(&o, "\" message=\"");
			char msg[2048];
			fmt_into(msg, sizeof msg, "%s: %s%s%s", verdict_name(x->verdict),
			         x->observed ? x->observed : "",
			         x->xfail_reason ? " | expected because: " : "",
			         x->xfail_reason ? x->xfail_reason : "");
			xml_escape(&o, msg);
			xml_add(&o, "\">");
			fmt_into(msg, sizeof msg,
			         "expected: %s\nobserved: %s\nerror: %s\nspec: %s\n",
			         x->expected ? x->expected : "", x->observed ? x->observed : "",
			         x->detail ? x->detail : "", x->def->spec ? x->def->spec : "");
			xml_escape(&o, msg);
			xml_add(&o, "</");
			xml_add(&o, tag);
			xml_add(&o, ">\n    ");
		}
		xml_add(&o, "</testcase>\n");
	}
	xml_add(&o, "  </testsuite>\n</testsuites>\n");
	bytes_append(&o, "", 1);
	return (char *)o.data;
}

int report_write(const char *dir, const struct run_info *ri, struct backend *b, size_t nb,
                 const struct pair *pairs, size_t npairs, const struct result *r, size_t n,
                 char *err, size_t errcap)
{
	if (mkdir_p(dir) != 0) {
		fmt_into(err, errcap, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	char *json = report_json(ri, b, nb, pairs, npairs, r, n);
	char *path = xasprintf("%s/%s", dir, ri->complete ? "report.json" : "report.partial.json");
	int rc = write_file_atomic(path, json, strlen(json));
	if (rc != 0)
		fmt_into(err, errcap, "cannot write %s: %s", path, strerror(errno));
	free(path);
	free(json);
	if (rc == 0 && ri->complete) {
		char *x = report_junit(ri, b, r, n);
		path = xasprintf("%s/junit.xml", dir);
		rc = write_file_atomic(path, x, strlen(x));
		if (rc != 0)
			fmt_into(err, errcap, "cannot write %s: %s", path, strerror(errno));
		free(path);
		free(x);
		if (rc == 0) {
			char *md = report_markdown(ri, b, pairs, npairs, r, n, REPORT_MD_CAP);
			path = xasprintf("%s/summary.md", dir);
			rc = write_file_atomic(path, md, strlen(md));
			if (rc != 0)
				fmt_into(err, errcap, "cannot write %s: %s", path, strerror(errno));
			free(path);
			free(md);
		}
		path = xasprintf("%s/report.partial.json", dir);
		unlink(path);
		free(path);
	}
	return rc;
}

void report_summary(FILE *f, struct backend *b, const struct result *r, size_t n, double wall_ms)
{
	size_t counts[V_COUNT] = {0};
	for (size_t i = 0; i < n; i++)
		counts[r[i].verdict]++;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct result *x = &r[i];
		if (!verdict_is_bad(x->verdict))
			continue;
		if (bad++ == 0)
			fprintf(f, "\nProblems:\n");
		fprintf(f, "  %-13s %s  [%s -> %s]\n      %s\n", verdict_name(x->verdict),
		        x->def->id, b[x->client].name, b[x->server].name,
		        x->observed ? x->observed : "");
		if (x->xfail_reason && x->verdict == V_XPASS)
			fprintf(f, "      listed as expected to fail: %s\n", x->xfail_reason);
	}
	fprintf(f, "\n%zu scenario instances in %.1f s:", n, wall_ms / 1000);
	for (int v = 0; v < V_COUNT; v++)
		if (counts[v])
			fprintf(f, " %s %zu", verdict_name((enum verdict)v), counts[v]);
	fprintf(f, "\n");
}
