/* Unit tests of the report writer: JSON fields, JUnit escaping, atomic
 * files, partial reports marked incomplete. */
#include <jansson.h>
#include <unistd.h>

#include "report.h"
#include "t.h"
#include "util.h"

static void nothing(struct scen *s)
{
	(void)s;
}

int main(void)
{
	char dir[] = "/tmp/tlsh-report-XXXXXX";
	OK(mkdtemp(dir) != NULL, "temp dir");
	struct scen_def d = {.id = "alpn/x<&>\"",
	                     .family = "alpn",
	                     .spec = "RFC 7301 3.2",
	                     .title = "t",
	                     .run = nothing};
	struct backend b[2] = {{.spec = "a", .name = "a", .library_version = "A 1", .path = "/a"},
	                       {.spec = "b", .name = "b", .library_version = "B 2", .path = "/b"}};
	struct pair p = {0, 1};
	struct result r[2] = {
	        {.def = &d,
	         .client = 0,
	         .server = 1,
	         .verdict = V_FAIL,
	         .raw = V_FAIL,
	         .expected = "fail",
	         .observed = "passed <oops>",
	         .detail = "x",
	         .alerts = {120, -1, -1, 120},
	         .ms = 3.5,
	         .transcript = "transcripts/a--b/x.tlstr"},
	        {.def = &d,
	         .client = 1,
	         .server = 0,
	         .verdict = V_XFAIL,
	         .raw = V_FAIL,
	         .expected = "",
	         .observed = "",
	         .detail = "",
	         .xfail_reason = "known",
	         .alerts = {-1, -1, -1, -1}},
	};
	struct run_info ri = {.command = "run", .complete = 0, .jobs = 2, .seed = 1};
	char err[300];
	OK(report_write(dir, &ri, b, 2, &p, 1, r, 2, err, sizeof err) == 0, "partial written");
	char *partial = xasprintf("%s/report.partial.json", dir);
	char *full = xasprintf("%s/report.json", dir);
	OK(access(partial, F_OK) == 0 && access(full, F_OK) != 0,
	   "an incomplete run writes report.partial.json, not report.json");
	json_t *j = json_load_file(partial, 0, NULL);
	OK(j && json_is_false(json_object_get(json_object_get(j, "run"), "complete")),
	   "partial report is valid JSON marked incomplete");
	json_decref(j);
	ri.complete = 1;
	OK(report_write(dir, &ri, b, 2, &p, 1, r, 2, err, sizeof err) == 0, "final written");
	OK(access(partial, F_OK) != 0, "partial removed after the final report");
	j = json_load_file(full, 0, NULL);
	OK(j != NULL, "report.json is valid JSON");
	OK(!strcmp(json_string_value(json_object_get(j, "schema")), REPORT_SCHEMA) &&
	           json_integer_value(json_object_get(j, "schema_version")) == 1,
	   "schema and version");
	json_t *res = json_object_get(j, "results");
	json_t *r0 = json_array_get(res, 0);
	OK(json_array_size(res) == 2, "two results");
	OK(!strcmp(json_string_value(json_object_get(r0, "verdict")), "FAIL") &&
	           !strcmp(json_string_value(json_object_get(r0, "client")), "a") &&
	           !strcmp(json_string_value(json_object_get(r0, "server")), "b"),
	   "verdict and roles");
	OK(json_integer_value(json_object_get(json_object_get(r0, "alerts"), "client_sent")) ==
	                   120 &&
	           json_is_null(json_object_get(json_object_get(r0, "alerts"), "client_received")),
	   "alerts as numbers or null");
	OK(!strcmp(json_string_value(json_object_get(r0, "transcript")),
	           "transcripts/a--b/x.tlstr"),
	   "transcript reference");
	OK(!strcmp(json_string_value(json_object_get(json_array_get(res, 1), "xfail_reason")),
	           "known"),
	   "xfail reason kept");
	OK(json_integer_value(json_object_get(json_object_get(j, "summary"), "FAIL")) == 1 &&
	           json_integer_value(json_object_get(json_object_get(j, "summary"), "XFAIL")) == 1,
	   "summary counts");
	OK(!strcmp(json_string_value(json_object_get(
	                   json_array_get(json_object_get(j, "backends"), 1), "library_version")),
	           "B 2"),
	   "backend library version");
	json_decref(j);
	char *junit = xasprintf("%s/junit.xml", dir);
	struct bytes x = {0};
	OK(read_file(junit, &x) == 0, "junit.xml written");
	bytes_append(&x, "", 1);
	OK(strstr((char *)x.data, "alpn/x&lt;&amp;&gt;&quot;") &&
	           strstr((char *)x.data, "passed &lt;oops&gt;") &&
	           strstr((char *)x.data, "<failure") && strstr((char *)x.data, "<skipped"),
	   "JUnit escapes ids and messages and maps verdicts");
	/* No temporary files left behind. */
	char *cmd = xasprintf("ls %s | grep -c tmp", dir);
	FILE *f = popen(cmd, "r");
	int leftovers = -1;
	if (f) {
		if (fscanf(f, "%d", &leftovers) != 1)
			leftovers = -1;
		pclose(f);
	}
	OK(leftovers == 0, "no temporary files left");
	char *rm = xasprintf("rm -rf %s", dir);
	OK(system(rm) == 0, "cleanup");
	free(partial);
	free(full);
	free(junit);
	free(cmd);
	free(rm);
	bytes_free(&x);
	return t_done();
}
