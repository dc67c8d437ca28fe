/* report_md.c - summary.md, the Markdown summary of a run for a pull-request
 * comment: counts per verdict per pair, the problems with what was observed,
 * the XFAILs with their reasons; never longer than the cap given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

static void md_add(struct bytes *o, const char *s)
{
	bytes_append(o, s, strlen(s));
}

/* Text for a table cell or a list item: one line, at most `max` bytes, no
 * table separator, no HTML. */
static void md_text(struct bytes *o, const char *s, size_t max)
{
	size_t n = 0;
	for (; s && *s && n < max; s++, n++) {
		switch (*s) {
		case '|':
			md_add(o, "\\|");
			break;
		case '<':
			md_add(o, "&lt;");
			break;
		case '>':
			md_add(o, "&gt;");
			break;
		case '\n':
		case '\r':
		case '\t':
			md_add(o, " ");
			break;
		default:
			bytes_append(o, s, 1);
		}
	}
	if (s && *s)
		md_add(o, "...");
}

static void md_code(struct bytes *o, const char *s)
{
	md_add(o, strchr(s, '`') ? "" : "`");
	md_text(o, s, 200);
	md_add(o, strchr(s, '`') ? "" : "`");
}

static void md_pair(struct bytes *o, struct backend *b, int client, int server)
{
	md_text(o, b[client].name, 100);
	md_add(o, " \xe2\x86\x92 "); /* U+2192 rightwards arrow */
	md_text(o, b[server].name, 100);
}

/* Lists the results with a verdict in `which`, one line each, while the text
 * stays below `limit`. */
static void md_list(struct bytes *o, struct backend *b, const struct result *r, size_t n,
                    int (*which)(enum verdict), int reasons, size_t limit)
{
	size_t shown = 0, total = 0;
	for (size_t i = 0; i < n; i++)
		total += which(r[i].verdict);
	for (size_t i = 0; i < n; i++) {
		const struct result *x = &r[i];
		if (!which(x->verdict))
			continue;
		if (o->len > limit) {
			char tail[128];
			fmt_into(tail, sizeof tail, "| | ... and %zu more: see report.json | | |\n",
			         total - shown);
			md_add(o, tail);
			return;
		}
		md_add(o, "| ");
		md_add(o, verdict_name(x->verdict));
		md_add(o, " | ");
		md_code(o, x->def->id);
		md_add(o, " | ");
		md_pair(o, b, x->client, x->server);
		md_add(o, " | ");
		if (reasons && x->xfail_reason)
			md_text(o, x->xfail_reason, 400);
		else
			md_text(o, x->observed, 300);
		md_add(o, " |\n");
		shown++;
	}
}

static int is_problem(enum verdict v)
{
	return verdict_is_bad(v);
}

static int is_xfail(enum verdict v)
{
	return v == V_XFAIL;
}

static int is_loose(enum verdict v)
{
	return v == V_PASS_LOOSE;
}

char *report_markdown(const struct run_info *ri, struct backend *b, const struct pair *pairs,
                      size_t npairs, const struct result *r, size_t n, size_t cap)
{
	struct bytes o = {0};
	char line[512];
	size_t counts[V_COUNT] = {0}, bad = 0;
	for (size_t i = 0; i < n; i++) {
		counts[r[i].verdict]++;
		bad += verdict_is_bad(r[i].verdict);
	}
	if (bad)
		fmt_into(line, sizeof line,
		         "### tlsharness: %zu problem%s in %zu scenario instances\n\n", bad,
		         bad == 1 ? "" : "s", n);
	else
		fmt_into(line, sizeof line,
		         "### tlsharness: no problems in %zu scenario instances\n\n", n);
	md_add(&o, line);
	md_add(&o, "`tlsharness ");
	md_text(&o, ri->command ? ri->command : "run", 300);
	fmt_into(line, sizeof line, "` (%.1f s, tlsharness %s%s)\n\n", ri->wall_ms / 1000,
	         HARNESS_VERSION, ri->complete ? "" : ", **incomplete run**");
	md_add(&o, line);

	/* Counts per verdict per pair: the verdicts that occur, PASS first. */
	md_add(&o, "| client \xe2\x86\x92 server |");
	for (int v = 0; v < V_COUNT; v++)
		if (counts[v]) {
			md_add(&o, " ");
			md_add(&o, verdict_name((enum verdict)v));
			md_add(&o, " |");
		}
	md_add(&o, " total |\n|---|");
	for (int v = 0; v < V_COUNT; v++)
		if (counts[v])
			md_add(&o, "---:|");
	md_add(&o, "---:|\n");
	for (size_t p = 0; p <= npairs && o.len < cap / 4; p++) {
		size_t pc[V_COUNT] = {0}, total = 0;
		for (size_t i = 0; i < n; i++)
			if (p == npairs ||
			    (r[i].client == pairs[p].client && r[i].server == pairs[p].server)) {
				pc[r[i].verdict]++;
				total++;
			}
		if (p < npairs && !total)
			continue;
		md_add(&o, "| ");
		if (p == npairs)
			md_add(&o, "**all**");
		else
			md_pair(&o, b, pairs[p].client, pairs[p].server);
		md_add(&o, " |");
		for (int v = 0; v < V_COUNT; v++) {
			if (!counts[v])
				continue;
			int strong = pc[v] && verdict_is_bad((enum verdict)v);
			fmt_into(line, sizeof line, " %s%zu%s |", strong ? "**" : "", pc[v],
			         strong ? "**" : "");
			md_add(&o, pc[v] || v == V_PASS ? line : " |");
		}
		fmt_into(line, sizeof line, " %zu |\n", total);
		md_add(&o, line);
	}

	/* Keep room for the closing lines. */
	size_t limit = cap > 2048 ? cap - 1024 : cap / 2;
	if (bad) {
		fmt_into(line, sizeof line,
		         "\n#### Problems (%zu)\n\n| verdict | scenario | client \xe2\x86\x92 "
		         "server "
		         "| observed |\n|---|---|---|---|\n",
		         bad);
		md_add(&o, line);
		md_list(&o, b, r, n, is_problem, 0, limit);
	}
	if (counts[V_XFAIL] && o.len < limit) {
		fmt_into(
		        line, sizeof line,
		        "\n<details><summary>Expected failures: %zu XFAIL</summary>\n\n| verdict | "
		        "scenario | client \xe2\x86\x92 server | reason |\n|---|---|---|---|\n",
		        counts[V_XFAIL]);
		md_add(&o, line);
		md_list(&o, b, r, n, is_xfail, 1, limit);
		md_add(&o, "\n</details>\n");
	}
	if (counts[V_PASS_LOOSE] && o.len < limit) {
		fmt_into(line, sizeof line,
		         "\n<details><summary>Right outcome, other alert: %zu "
		         "PASS-LOOSE</summary>\n\n"
		         "| verdict | scenario | client \xe2\x86\x92 server | observed |\n"
		         "|---|---|---|---|\n",
		         counts[V_PASS_LOOSE]);
		md_add(&o, line);
		md_list(&o, b, r, n, is_loose, 0, limit);
		md_add(&o, "\n</details>\n");
	}
	md_add(&o, "\nDetails: `report.json`, `junit.xml` and the transcripts beside this file; "
	           "`tlsharness report -o report.html report.json` makes the HTML page.\n");
	if (o.len > cap) { /* only with a tiny cap: cut at a line */
		o.len = cap;
		while (o.len && o.data[o.len - 1] != '\n')
			o.len--;
	}
	bytes_append(&o, "", 1);
	return (char *)o.data;
}
