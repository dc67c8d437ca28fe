/* Unit tests of summary.md (report_markdown): counts per pair, problems with
 * their observed text, XFAILs with reasons, escaping for Markdown tables, and
 * the length cap. */
#include <string.h>

#include "report.h"
#include "t.h"
#include "util.h"

static void nothing(struct scen *s)
{
	(void)s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	struct scen_def d = {.id = "alpn/no-overlap/tls13",
	                     .family = "alpn",
	                     .spec = "RFC 7301 3.2",
	                     .title = "t",
	                     .run = nothing};
	struct backend b[2] = {{.spec = "a", .name = "a", .library_version = "A 1", .path = "/a"},
	                       {.spec = "b", .name = "b", .library_version = "B 2", .path = "/b"}};
	struct pair p[2] = {{0, 1}, {1, 0}};
	struct result r[3] = {
	        {.def = &d,
	         .client = 0,
	         .server = 1,
	         .verdict = V_FAIL,
	         .raw = V_FAIL,
	         .observed = "server completed | the handshake <oops>\nsecond line"},
	        {.def = &d,
	         .client = 1,
	         .server = 0,
	         .verdict = V_XFAIL,
	         .raw = V_FAIL,
	         .observed = "",
	         .xfail_reason = "known: library default"},
	        {.def = &d, .client = 1, .server = 0, .verdict = V_PASS, .raw = V_PASS},
	};
	struct run_info ri = {.command = "run --matrix a,b", .complete = 1, .wall_ms = 1500};
	char *md = report_markdown(&ri, b, p, 2, r, 3, REPORT_MD_CAP);
	OK(strstr(md, "### tlsharness: 1 problem in 3 scenario instances\n") != NULL, "headline");
	OK(strstr(md, "| client \xe2\x86\x92 server | PASS | FAIL | XFAIL | total |\n") != NULL,
	   "one column per verdict that occurs");
	OK(strstr(md, "| a \xe2\x86\x92 b | 0 | **1** | | 1 |\n") &&
	           strstr(md, "| b \xe2\x86\x92 a | 1 | | 1 | 2 |\n") &&
	           strstr(md, "| **all** | 1 | **1** | 1 | 3 |\n"),
	   "counts per pair and in all");
	OK(strstr(md,
	          "| FAIL | `alpn/no-overlap/tls13` | a \xe2\x86\x92 b | server completed \\| the "
	          "handshake &lt;oops&gt; second line |\n") != NULL,
	   "a problem with its observed text, escaped for a table row");
	OK(strstr(md, "Expected failures: 1 XFAIL") &&
	           strstr(md,
	                  "| XFAIL | `alpn/no-overlap/tls13` | b \xe2\x86\x92 a | known: library "
	                  "default |\n"),
	   "XFAILs with their reasons");
	free(md);

	/* Many problems with long texts: the summary stays under the cap and
	 * says how many it left out. */
	size_t n = 5000;
	struct result *many = xcalloc(n, sizeof *many);
	char *longtext = xmalloc(2001);
	memset(longtext, 'x', 2000);
	longtext[2000] = '\0';
	for (size_t i = 0; i < n; i++)
		many[i] = (struct result){.def = &d,
		                          .client = 0,
		                          .server = 1,
		                          .verdict = i % 2 ? V_FAIL : V_XFAIL,
		                          .raw = V_FAIL,
		                          .observed = longtext,
		                          .xfail_reason = i % 2 ? NULL : longtext};
	md = report_markdown(&ri, b, p, 2, many, n, REPORT_MD_CAP);
	size_t len = strlen(md);
	OK(len <= REPORT_MD_CAP && len > REPORT_MD_CAP / 2, "capped: %zu bytes", len);
	OK(strstr(md, "### tlsharness: 2500 problems in 5000 scenario instances") != NULL,
	   "the headline counts everything");
	OK(strstr(md, "more: see report.json") != NULL, "says that more problems are left out");
	OK(count(md, "| FAIL |") > 10 && count(md, "| FAIL |") < 2500, "lists some problems (%zu)",
	   count(md, "| FAIL |"));
	OK(strstr(md, "xxx...") != NULL, "long texts are cut");
	OK(strstr(md, "Details: `report.json`") != NULL, "the closing line is kept");
	free(md);
	md = report_markdown(&ri, b, p, 2, many, n, 600);
	OK(strlen(md) <= 600, "a tiny cap holds too (%zu bytes)", strlen(md));
	free(md);
	free(many);
	free(longtext);
	return t_done();
}
