/* html.c - `tlsharness report`: one self-contained HTML page from one or
 * more JSON reports. The page is reports/template.html with the data put in
 * place of its @TLSH_DATA@ marker, as a JSON document inside
 * <script type="application/json">; the page's own JavaScript draws the
 * interop matrix, the scenario table, the detail views and the backend
 * comparison, and decodes the transcripts (embedded as base64, the first
 * --transcript-bytes of each .tlstr file). The page loads nothing from the
 * network.
 *
 * The data (format 1):
 *   generated, harness, title, transcript_cap
 *   sources[]     {path, started, command, complete, wall_ms, harness, results}
 *   backends[]    {name, library_version, capabilities[], expectations}
 *   scenarios[]   {id, family, params, title, spec}
 *   strings[]     texts shared by results (expected, observed, error, reason)
 *   results[]     {sc, c, s: scenario/client/server index, v: verdict,
 *                  rv: raw verdict (when it differs), e, o, err, x: strings
 *                  index (expected, observed, error, xfail reason), al: four
 *                  alerts (client sent/received, server sent/received) or
 *                  null, ms, src: source index, t: transcript index,
 *                  also: [[source, verdict], ...] from earlier reports
 *                  that had the same (id, client, server): the last wins}
 *   transcripts[] {path, size, b64} or {path, error}
 *   names         {alerts: {"CODE": "name"}}: tlsh.h's TLSH_ALERT_LIST, so
 *                 that the page spells alerts as the rest of the harness does
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "report.h"
#include "report_load.h"
#include "util.h"
#include "verdict.h"

#ifndef TLSH_REPORTS_DIR
#define TLSH_REPORTS_DIR "reports"
#endif

#define DATA_MARKER "@TLSH_DATA@"
#define TLSTR_MAGIC "TLSHTR01"

int cmd_report(int argc, char **argv);

static void report_usage(FILE *f)
{
	fputs("usage: tlsharness report [-o OUT.html] REPORT.json [REPORT.json ...]\n"
	      "\n"
	      "Writes one self-contained HTML page (no network resource) from one or more\n"
	      "JSON reports: the client x server interop matrix with a badge per scenario\n"
	      "family, the scenario x pair table, filters, a detail view per result with\n"
	      "its decoded transcript, and a side-by-side comparison of two backends.\n"
	      "Several reports are merged; for the same (id, client, server) the last wins\n"
	      "and the detail view lists the verdicts of the earlier ones.\n"
	      "\n"
	      "options:\n"
	      "  -o, --out FILE            the page (default: report.html beside the first "
	      "report)\n"
	      "      --transcript-bytes N  embed the first N bytes of each transcript\n"
	      "                            (default 16384; 0: none)\n"
	      "      --title TEXT          page title\n"
	      "  -h, --help\n"
	      "\n"
	      "The template is " TLSH_REPORTS_DIR "/template.html (env TLSH_REPORTS_DIR\n"
	      "overrides the folder). Exit status 0, or 2 on bad input.\n",
	      f);
}

static int report_bad_usage(const char *msg)
{
	fprintf(stderr, "tlsharness report: %s\n(see 'tlsharness report --help')\n", msg);
	return 2;
}

/* ---- the data -------------------------------------------------------------- */

struct model {
	json_t *data;
	json_t *sources, *backends, *scenarios, *strings, *results, *transcripts;
	json_t *backend_ix, *scenario_ix, *string_ix, *result_ix;
	char **tpath; /* per result: the transcript file, or NULL */
	size_t nres;
};

static json_int_t intern(json_t *ix, json_t *arr, const char *s)
{
	json_t *at = json_object_get(ix, s);
	if (at)
		return json_integer_value(at);
	json_int_t k = (json_int_t)json_array_size(arr);
	json_array_append_new(arr, json_string(s));
	json_object_set_new(ix, s, json_integer(k));
	return k;
}

/* Library version, capabilities and expectations file of a backend, from a
 * report's "backends" entry, where not known yet. */
static void backend_describe(json_t *b, json_t *desc)
{
	static const char *const keep[] = {"library_version", "capabilities", "expectations"};
	for (size_t i = 0; desc && i < 3; i++) {
		json_t *v = json_object_get(desc, keep[i]);
		if (v && !json_object_get(b, keep[i]))
			json_object_set(b, keep[i], v);
	}
}

static json_int_t backend_index(struct model *m, const char *name, json_t *desc)
{
	json_t *at = json_object_get(m->backend_ix, name);
	if (at) {
		backend_describe(json_array_get(m->backends, (size_t)json_integer_value(at)), desc);
		return json_integer_value(at);
	}
	json_int_t k = (json_int_t)json_array_size(m->backends);
	json_t *b = json_object();
	json_object_set_new(b, "name", json_string(name));
	backend_describe(b, desc);
	json_array_append_new(m->backends, b);
	json_object_set_new(m->backend_ix, name, json_integer(k));
	return k;
}

static json_int_t scenario_index(struct model *m, const struct rl_result *x)
{
	json_t *at = json_object_get(m->scenario_ix, x->id);
	if (at)
		return json_integer_value(at);
	json_int_t k = (json_int_t)json_array_size(m->scenarios);
	json_array_append_new(m->scenarios, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", x->id,
	                                              "family", x->family, "params", x->params,
	                                              "title", x->title, "spec", x->spec));
	json_object_set_new(m->scenario_ix, x->id, json_integer(k));
	return k;
}

static json_t *str_ref(struct model *m, const char *s)
{
	return json_integer(intern(m->string_ix, m->strings, s ? s : ""));
}

static void add_report(struct model *m, const struct rl_report *rep, json_int_t src)
{
	json_t *bs = json_object_get(rep->root, "backends");
	size_t i;
	json_t *b;
	json_array_foreach(bs, i, b)
	{
		json_t *name = json_object_get(b, "name");
		if (json_is_string(name) && json_string_length(name))
			backend_index(m, json_string_value(name), b);
	}
	for (size_t k = 0; k < rep->n; k++) {
		const struct rl_result *x = &rep->r[k];
		json_t *o = json_object();
		json_object_set_new(o, "sc", json_integer(scenario_index(m, x)));
		json_object_set_new(o, "c", json_integer(backend_index(m, x->client, NULL)));
		json_object_set_new(o, "s", json_integer(backend_index(m, x->server, NULL)));
		json_object_set_new(o, "v", json_string(verdict_name(x->verdict)));
		if (x->raw != x->verdict)
			json_object_set_new(o, "rv", json_string(verdict_name(x->raw)));
		json_object_set_new(o, "e", str_ref(m, x->expected));
		json_object_set_new(o, "o", str_ref(m, x->observed));
		json_object_set_new(o, "err", str_ref(m, x->error));
		if (x->xfail_reason)
			json_object_set_new(o, "x", str_ref(m, x->xfail_reason));
		int any_alert = 0;
		for (int a = 0; a < 4; a++)
			any_alert |= x->alerts[a] >= 0;
		if (any_alert) {
			json_t *al = json_array();
			for (int a = 0; a < 4; a++)
				json_array_append_new(al, x->alerts[a] >= 0
				                                  ? json_integer(x->alerts[a])
				                                  : json_null());
			json_object_set_new(o, "al", al);
		}
		json_object_set_new(o, "ms", json_real((double)(long long)(x->ms * 10) / 10));
		json_object_set_new(o, "src", json_integer(src));
		char *tp = NULL;
		if (x->transcript)
			tp = x->transcript[0] == '/' ? xstrdup(x->transcript)
			                             : xasprintf("%s/%s", rep->dir, x->transcript);

		char *key = rl_key(x);
		json_t *at = json_object_get(m->result_ix, key);
		if (at) {
			/* A later report wins; remember what the earlier ones said. */
			size_t pos = (size_t)json_integer_value(at);
			json_t *prev = json_array_get(m->results, pos);
			json_t *also = json_object_get(prev, "also");
			also = also ? json_incref(also) : json_array();
			json_array_append_new(also,
			                      json_pack("[O, O]", json_object_get(prev, "src"),
			                                json_object_get(prev, "v")));
			json_object_set_new(o, "also", also);
			json_array_set_new(m->results, pos, o);
			free(m->tpath[pos]);
			m->tpath[pos] = tp;
		} else {
			json_object_set_new(m->result_ix, key, json_integer((json_int_t)m->nres));
			json_array_append_new(m->results, o);
			m->tpath = xrealloc(m->tpath, (m->nres + 1) * sizeof *m->tpath);
			m->tpath[m->nres++] = tp;
		}
		free(key);
	}
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Embeds each result's transcript: the first `cap` bytes, base64. */
static void add_transcripts(struct model *m, size_t cap, size_t *embedded)
{
	for (size_t i = 0; i < m->nres; i++) {
		if (!m->tpath[i])
			continue;
		json_t *t = json_object();
		json_object_set_new(t, "path", json_string(m->tpath[i]));
		FILE *f = fopen(m->tpath[i], "rb");
		struct stat st;
		if (!f || fstat(fileno(f), &st) != 0) {
			json_object_set_new(t, "error", json_string(strerror(errno)));
		} else if (cap == 0) { /* --transcript-bytes 0: where it is, not what */
			json_object_set_new(t, "size", json_integer((json_int_t)st.st_size));
		} else {
			size_t want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
			uint8_t *buf = xmalloc(want + 1);
			size_t got = fread(buf, 1, want, f);
			if (got < 8 || memcmp(buf, TLSTR_MAGIC, 8) != 0) {
				json_object_set_new(
				        t, "error",
				        json_string("not a transcript (no TLSHTR01 magic)"));
			} else {
				char *b64 = base64(buf, got);
				json_object_set_new(t, "size",
				                    json_integer((json_int_t)st.st_size));
				json_object_set_new(t, "b64", json_string(b64));
				*embedded += got;
				free(b64);
			}
			free(buf);
		}
		if (f)
			fclose(f);
		json_object_set_new(json_array_get(m->results, i), "t",
		                    json_integer((json_int_t)json_array_size(m->transcripts)));
		json_array_append_new(m->transcripts, t);
	}
}

/* The JSON text, safe inside <script>: every '<' becomes \u003c (only
 * strings can hold one), so neither "</script" nor "<!--" can appear. */
static void append_script_safe(struct bytes *out, const char *s)
{
	for (const char *p = s; *p;) {
		size_t run = strcspn(p, "<");
		bytes_append(out, p, run);
		p += run;
		if (*p == '<') {
			bytes_append(out, "\\u003c", 6);
			p++;
		}
	}
}

/* The names the page shows, from tlsh.h's lists. */
static json_t *names_json(void)
{
	json_t *alerts = json_object();
	char key[8];
#define ALERT_(name, code, text)                                                                   \
	snprintf(key, sizeof key, "%d", code);                                                     \
	json_object_set_new(alerts, key, json_string(text));
	TLSH_ALERT_LIST(ALERT_)
#undef ALERT_
	return json_pack("{s:o}", "alerts", alerts);
}

static char *template_path(void)
{
	const char *dir = getenv("TLSH_REPORTS_DIR");
	return xasprintf("%s/template.html", dir && *dir ? dir : TLSH_REPORTS_DIR);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, 0, 'o'},
	                                     {"transcript-bytes", required_argument, 0, 1},
	                                     {"title", required_argument, 0, 2},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *out = NULL, *title = NULL;
	long cap = 16384;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 1: {
			char *end;
			cap = strtol(optarg, &end, 10);
			if (*end || end == optarg || cap < 0 || cap > (1L << 30))
				return report_bad_usage(
				        "--transcript-bytes takes a number of bytes");
			break;
		}
		case 2:
			title = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			return report_bad_usage("unknown or incomplete option");
		}
	}
	if (optind >= argc)
		return report_bad_usage("give at least one REPORT.json");
	double t0 = now_ms();

	char *tpl_path = template_path();
	struct bytes tpl = {0};
	if (read_file(tpl_path, &tpl) != 0) {
		fprintf(stderr, "tlsharness report: cannot read the template %s: %s\n", tpl_path,
		        strerror(errno));
		free(tpl_path);
		return 2;
	}
	bytes_append(&tpl, "", 1);
	const char *tpl_text = (const char *)tpl.data;
	const char *marker = strstr(tpl_text, DATA_MARKER);
	if (!marker || strstr(marker + 1, DATA_MARKER)) {
		fprintf(stderr, "tlsharness report: %s must hold %s exactly once\n", tpl_path,
		        DATA_MARKER);
		free(tpl_path);
		bytes_free(&tpl);
		return 2;
	}

	struct model m = {0};
	m.data = json_object();
	m.sources = json_array();
	m.backends = json_array();
	m.scenarios = json_array();
	m.strings = json_array();
	m.results = json_array();
	m.transcripts = json_array();
	m.backend_ix = json_object();
	m.scenario_ix = json_object();
	m.string_ix = json_object();
	m.result_ix = json_object();
	intern(m.string_ix, m.strings, "");
	int rc = 0;
	size_t nin = 0;
	for (int i = optind; i < argc; i++) {
		struct rl_report rep;
		char err[700];
		if (rl_load(argv[i], &rep, err, sizeof err) != 0) {
			fprintf(stderr, "tlsharness report: %s\n", err);
			rc = 2;
			break;
		}
		json_int_t src = (json_int_t)json_array_size(m.sources);
		json_array_append_new(m.sources,
		                      json_pack("{s:s, s:s, s:s, s:b, s:f, s:s, s:I}", "path",
		                                rep.path, "started", rep.started, "command",
		                                rep.command, "complete", rep.complete, "wall_ms",
		                                rep.wall_ms, "harness", rep.harness_version,
		                                "results", (json_int_t)rep.n));
		add_report(&m, &rep, src);
		nin += rep.n;
		rl_free(&rep);
	}
	char *out_path = NULL;
	if (rc == 0) {
		size_t embedded = 0;
		add_transcripts(&m, (size_t)cap, &embedded);
		char now[64];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(m.data, "format", json_integer(1));
		json_object_set_new(m.data, "generated", json_string(now));
		json_object_set_new(m.data, "harness", json_string(HARNESS_VERSION));
		json_object_set_new(m.data, "title",
		                    json_string(title ? title : "tlsharness conformance report"));
		json_object_set_new(m.data, "transcript_cap", json_integer(cap));
		json_object_set(m.data, "sources", m.sources);
		json_object_set(m.data, "backends", m.backends);
		json_object_set(m.data, "scenarios", m.scenarios);
		json_object_set(m.data, "strings", m.strings);
		json_object_set(m.data, "results", m.results);
		json_object_set(m.data, "transcripts", m.transcripts);
		json_object_set_new(m.data, "names", names_json());
		char *text = json_dumps(m.data, JSON_COMPACT | JSON_ENSURE_ASCII);
		struct bytes page = {0};
		bytes_append(&page, tpl_text, (size_t)(marker - tpl_text));
		append_script_safe(&page, text);
		const char *rest = marker + strlen(DATA_MARKER);
		bytes_append(&page, rest, strlen(rest));
		free(text);
		if (out) {
			out_path = xstrdup(out);
		} else {
			const char *first = argv[optind];
			const char *slash = strrchr(first, '/');
			out_path =
			        slash ? xasprintf("%.*s/report.html", (int)(slash - first), first)
			              : xstrdup("report.html");
		}
		if (write_file_atomic(out_path, page.data, page.len) != 0) {
			fprintf(stderr, "tlsharness report: cannot write %s: %s\n", out_path,
			        strerror(errno));
			rc = 2;
		} else {
			printf("report: %s (%zu result(s) from %zu report(s), %zu shown; %zu "
			       "transcript(s), %.1f KiB of transcript bytes; page %.1f KiB; %.2f "
			       "s)\n",
			       out_path, nin, json_array_size(m.sources), m.nres,
			       json_array_size(m.transcripts), (double)embedded / 1024,
			       (double)page.len / 1024, (now_ms() - t0) / 1000);
		}
		bytes_free(&page);
	}
	for (size_t i = 0; i < m.nres; i++)
		free(m.tpath[i]);
	free(m.tpath);
	free(out_path);
	json_decref(m.data);
	json_decref(m.sources);
	json_decref(m.backends);
	json_decref(m.scenarios);
	json_decref(m.strings);
	json_decref(m.results);
	json_decref(m.transcripts);
	json_decref(m.backend_ix);
	json_decref(m.scenario_ix);
	json_decref(m.string_ix);
	json_decref(m.result_ix);
	free(tpl_path);
	bytes_free(&tpl);
	return rc;
}
