/* html.c - `tlsharness report`: one HTML page from one or more JSON
 * reports. The page is reports/template.html with the data put in place of
 * its @TLSH_DATA@ marker, as a JSON document inside
 * <script type="application/json">; the page's own JavaScript draws the
 * interop matrix, the scenario table, the detail views and the backend
 * comparison, and decodes the transcripts (the first --transcript-bytes of
 * each .tlstr file, base64). The page loads nothing from the network.
 *
 * Where the transcripts go (--transcripts): in the page (inline), or in side
 * files next to it (files): OUT_files/tx-NNNNN.js, chunks of about
 * CHUNK_BYTES, each one call TLSH_TX(page_id, chunk, {transcript index:
 * [path, size, base64, error], ...}) (null where a field does not apply).
 * The page loads a chunk with a <script> element when a detail
 * view needs one of its transcripts: that works from file://, where fetch()
 * and XHR do not. `auto` (the default) keeps them inline up to INLINE_MAX
 * bytes of transcript, so that a small report stays one self-contained file
 * and a report of 60,000 results gives a page of a few megabytes that a
 * browser draws in a second or two. Chunks are written before the page, and
 * chunks of an earlier page beyond the new count are removed; page_id ties a
 * chunk to its page, so a stale one is refused, not shown.
 *
 * The data (format 2), small enough for a page of 60,000 results to be read
 * in well under a second: results are columns of numbers, texts are indexes
 * into strings[], and in files mode no transcript detail is in the page.
 *   format, generated, harness, title, transcript_cap, page_id, verdicts[]
 *   sources[]     {path, started, command, complete, wall_ms, harness, results}
 *   backends[]    {name, library_version, capabilities[], expectations}
 *   scenarios[]   {id, family, params, title, spec}
 *   strings[]     texts shared by results (expected, observed, error, reason)
 *   results       {n, and one array of n numbers per field:
 *                  sc, c, s: scenario/client/server index; v: verdict (index
 *                  into verdicts[]); e, o, err: strings index of expected,
 *                  observed, error; ms; src: source index; t: transcript
 *                  index or -1;
 *                  and sparse fields, objects from result index to value:
 *                  rv: raw verdict where it differs, x: strings index of the
 *                  xfail reason, al: the four alerts (client sent/received,
 *                  server sent/received, null for none), also: [[source,
 *                  verdict name], ...] from earlier reports that had the
 *                  same (id, client, server): the last wins}
 *   transcripts[] (inline) {path, size, b64}, {path, size} (--transcript-bytes
 *                 0) or {path, error}; one per transcript file, results that
 *                 name the same file share it
 *   names         {alerts: {"CODE": "name"}}: tlsh.h's TLSH_ALERT_LIST, so
 *                 that the page spells alerts as the rest of the harness does
 *   transcript_dir, transcript_chunks[] (files) the side folder's name,
 *                 relative to the page, and the first transcript index of
 *                 each chunk
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "report_load.h"
#include "util.h"
#include "verdict.h"

#ifndef TLSH_REPORTS_DIR
#define TLSH_REPORTS_DIR "reports"
#endif

#define DATA_MARKER "@TLSH_DATA@"
#define TLSTR_MAGIC "TLSHTR01"

enum {
	CHUNK_BYTES = 1 << 20,      /* base64 per side file, about */
	INLINE_MAX = 8 * (1 << 20), /* auto: transcript bytes kept in the page, at most */
};

enum tx_mode { TX_AUTO, TX_INLINE, TX_FILES };

int cmd_report(int argc, char **argv);

static void report_usage(FILE *f)
{
	fputs("usage: tlsharness report [-o OUT.html] REPORT.json [REPORT.json ...]\n"
	      "\n"
	      "Writes one HTML page (no network resource) from one or more\n"
	      "JSON reports: the client x server interop matrix with a badge per scenario\n"
	      "family, the scenario x pair table, filters, a detail view per result with\n"
	      "its decoded transcript, and a side-by-side comparison of two backends.\n"
	      "Several reports are merged; for the same (id, client, server) the last wins\n"
	      "and the detail view lists the verdicts of the earlier ones.\n"
	      "\n"
	      "options:\n"
	      "  -o, --out FILE            the page (default: report.html beside the first "
	      "report)\n"
	      "      --transcript-bytes N  keep the first N bytes of each transcript\n"
	      "                            (default 16384; 0: none)\n"
	      "      --transcripts MODE    inline: in the page; files: in side files\n"
	      "                            OUT_files/tx-NNNNN.js, loaded when a detail view\n"
	      "                            opens; auto (default): inline up to 8 MiB of\n"
	      "                            transcript bytes, else files\n"
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
		if (x->mutation)
			json_object_set_new(o, "mu", str_ref(m, x->mutation));
		if (x->stopped)
			json_object_set_new(o, "st", str_ref(m, x->stopped));
		if (x->rules)
			json_object_set_new(o, "ru", str_ref(m, x->rules));
		if (x->decrypted)
			json_object_set_new(o, "dc", str_ref(m, x->decrypted));
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

/* Side files of the transcripts (--transcripts files). */
struct tx_files {
	char *dir;            /* the folder, as a path */
	const char *dir_name; /* its name, relative to the page */
	char page_id[48];
	struct bytes chunk; /* the chunk being filled */
	size_t nchunks, in_chunk;
	json_t *firsts; /* the first transcript index of each chunk */
	size_t written; /* bytes of all chunks */
	int err;        /* errno of the first failure */
	char *err_path;
};

static void chunk_flush(struct tx_files *tf)
{
	if (!tf->in_chunk)
		return;
	bytes_append(&tf->chunk, "});\n", 4);
	char *path = xasprintf("%s/tx-%05zu.js", tf->dir, tf->nchunks);
	if (!tf->err && (mkdir_p(tf->dir) != 0 ||
	                 write_file_atomic(path, tf->chunk.data, tf->chunk.len) != 0)) {
		tf->err = errno;
		tf->err_path = xstrdup(path);
	}
	free(path);
	tf->written += tf->chunk.len;
	tf->nchunks++;
	tf->in_chunk = 0;
	bytes_reset(&tf->chunk);
}

static void chunk_add(struct tx_files *tf, size_t index, json_t *entry)
{
	char head[96];
	if (!tf->in_chunk)
		json_array_append_new(tf->firsts, json_integer((json_int_t)index));
	if (!tf->in_chunk)
		bytes_append(&tf->chunk, head,
		             strlen(fmt_into(head, sizeof head, "TLSH_TX(\"%s\",%zu,{", tf->page_id,
		                             tf->nchunks)));
	else
		bytes_append(&tf->chunk, ",", 1);
	bytes_append(&tf->chunk, head, strlen(fmt_into(head, sizeof head, "\"%zu\":", index)));
	char *text = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	bytes_append(&tf->chunk, text, strlen(text));
	free(text);
	tf->in_chunk++;
	if (tf->chunk.len >= CHUNK_BYTES)
		chunk_flush(tf);
}

/* Removes the chunks of an earlier page beyond the `keep` written now (all
 * of them, and the folder when it is left empty, for keep 0). */
static void chunks_prune(const char *dir, size_t keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t k;
		char tail[4];
		if (sscanf(e->d_name, "tx-%zu.%3s", &k, tail) == 2 && !strcmp(tail, "js") &&
		    k >= keep) {
			char *p = xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
	if (!keep)
		rmdir(dir); /* fails, as it should, when something else is in it */
}

/* Bytes the transcripts would put in the page (the first `cap` of each file,
 * counted once per file). */
static size_t transcript_bytes(const struct model *m, size_t cap)
{
	json_t *seen = json_object();
	size_t total = 0;
	for (size_t i = 0; i < m->nres; i++) {
		struct stat st;
		if (!m->tpath[i] || json_object_get(seen, m->tpath[i]) ||
		    stat(m->tpath[i], &st) != 0)
			continue;
		json_object_set_new(seen, m->tpath[i], json_true());
		total += (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
	}
	json_decref(seen);
	return total;
}

/* Each result's transcript: the first `cap` bytes, base64, in the page or
 * (tf not NULL) in side files. A file named by several results is read once.
 * Returns the number of transcript files. */
static size_t add_transcripts(struct model *m, size_t cap, struct tx_files *tf, size_t *embedded)
{
	json_t *ix = json_object();
	for (size_t i = 0; i < m->nres; i++) {
		if (!m->tpath[i])
			continue;
		json_t *at = json_object_get(ix, m->tpath[i]);
		if (at) {
			json_object_set(json_array_get(m->results, i), "t", at);
			continue;
		}
		size_t index = (size_t)json_object_size(ix);
		json_t *path = json_string(m->tpath[i]), *size = json_null(), *b64 = json_null(),
		       *error = json_null();
		FILE *f = fopen(m->tpath[i], "rb");
		struct stat st;
		if (!f || fstat(fileno(f), &st) != 0) {
			error = json_string(strerror(errno));
		} else if (cap == 0) { /* --transcript-bytes 0: where it is, not what */
			size = json_integer((json_int_t)st.st_size);
		} else {
			size_t want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
			uint8_t *buf = xmalloc(want + 1);
			size_t got = fread(buf, 1, want, f);
			if (got < 8 || memcmp(buf, TLSTR_MAGIC, 8) != 0) {
				error = json_string("not a transcript (no TLSHTR01 magic)");
			} else {
				char *text = base64(buf, got);
				size = json_integer((json_int_t)st.st_size);
				b64 = json_string(text);
				*embedded += got;
				free(text);
			}
			free(buf);
		}
		if (f)
			fclose(f);
		if (tf) {
			json_t *e = json_pack("[o, o, o, o]", path, size, b64, error);
			chunk_add(tf, index, e);
			json_decref(e);
		} else {
			json_t *e = json_pack("{s:o}", "path", path);
			/* the fields that apply (a JSON null is a shared constant) */
			if (!json_is_null(size))
				json_object_set_new(e, "size", size);
			if (!json_is_null(b64))
				json_object_set_new(e, "b64", b64);
			if (!json_is_null(error))
				json_object_set_new(e, "error", error);
			json_array_append_new(m->transcripts, e);
		}
		json_t *ref = json_integer((json_int_t)index);
		json_object_set(ix, m->tpath[i], ref);
		json_object_set_new(json_array_get(m->results, i), "t", ref);
	}
	if (tf)
		chunk_flush(tf);
	size_t n = json_object_size(ix);
	json_decref(ix);
	return n;
}

/* The results as columns (see the data at the top). */
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

static json_t *results_columns(const struct model *m)
{
	static const char *const dense[] = {"sc", "c", "s", "v", "e", "o", "err", "ms", "src", "t"};
	static const char *const sparse[] = {"rv", "x", "al", "also", "mu", "st", "ru", "dc"};
	enum { ND = sizeof dense / sizeof *dense, NS = sizeof sparse / sizeof *sparse };
	json_t *col[ND], *sp[NS];
	json_t *out = json_object();
	json_object_set_new(out, "n", json_integer((json_int_t)m->nres));
	for (size_t k = 0; k < ND; k++)
		json_object_set_new(out, dense[k], col[k] = json_array());
	for (size_t k = 0; k < NS; k++)
		json_object_set_new(out, sparse[k], sp[k] = json_object());
	for (size_t i = 0; i < m->nres; i++) {
		json_t *r = json_array_get(m->results, i);
		for (size_t k = 0; k < ND; k++) {
			json_t *v = json_object_get(r, dense[k]);
			if (!strcmp(dense[k], "v"))
				v = json_integer(verdict_parse(json_string_value(v)));
			else if (!v) /* t: no transcript */
				v = json_integer(-1);
			else
				json_incref(v);
			json_array_append_new(col[k], v);
		}
		char key[32];
		fmt_into(key, sizeof key, "%zu", i);
		for (size_t k = 0; k < NS; k++) {
			json_t *v = json_object_get(r, sparse[k]);
			if (!v)
				continue;
			if (!strcmp(sparse[k], "rv"))
				json_object_set_new(
				        sp[k], key,
				        json_integer(verdict_parse(json_string_value(v))));
			else
				json_object_set(sp[k], key, v);
		}
	}
	return out;
}

/* The side folder of a page: OUT without ".html", then "_files". */
static char *side_dir(const char *page)
{
	size_t n = strlen(page);
	if (n > 5 && !strcmp(page + n - 5, ".html"))
		n -= 5;
	return xasprintf("%.*s_files", (int)n, page);
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

static char *template_path(void)
{
	const char *dir = getenv("TLSH_REPORTS_DIR");
	return xasprintf("%s/template.html", dir && *dir ? dir : TLSH_REPORTS_DIR);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"out", required_argument, 0, 'o'}, {"transcript-bytes", required_argument, 0, 1},
	        {"title", required_argument, 0, 2}, {"transcripts", required_argument, 0, 3},
	        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
	const char *out = NULL, *title = NULL;
	long cap = 16384;
	enum tx_mode mode = TX_AUTO;
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
		case 3:
			if (!strcmp(optarg, "auto"))
				mode = TX_AUTO;
			else if (!strcmp(optarg, "inline"))
				mode = TX_INLINE;
			else if (!strcmp(optarg, "files"))
				mode = TX_FILES;
			else
				return report_bad_usage(
				        "--transcripts takes auto, inline or files");
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
	struct tx_files tf = {.firsts = json_array()};
	if (rc == 0) {
		if (out) {
			out_path = xstrdup(out);
		} else {
			const char *first = argv[optind];
			const char *slash = strrchr(first, '/');
			out_path =
			        slash ? xasprintf("%.*s/report.html", (int)(slash - first), first)
			              : xstrdup("report.html");
		}
		tf.dir = side_dir(out_path);
		const char *base = strrchr(tf.dir, '/');
		tf.dir_name = base ? base + 1 : tf.dir;
		if (mode == TX_AUTO)
			mode = cap > 0 && transcript_bytes(&m, (size_t)cap) > INLINE_MAX
			               ? TX_FILES
			               : TX_INLINE;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		fmt_into(tf.page_id, sizeof tf.page_id, "%llx-%lx-%x",
		         (unsigned long long)ts.tv_sec, (unsigned long)ts.tv_nsec,
		         (unsigned)getpid());
		size_t embedded = 0;
		size_t ntx =
		        add_transcripts(&m, (size_t)cap, mode == TX_FILES ? &tf : NULL, &embedded);
		if (tf.err) {
			fprintf(stderr, "tlsharness report: cannot write %s: %s\n", tf.err_path,
			        strerror(tf.err));
			rc = 2;
		}
		char now[64];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(m.data, "format", json_integer(2));
		json_object_set_new(m.data, "generated", json_string(now));
		json_object_set_new(m.data, "harness", json_string(HARNESS_VERSION));
		json_object_set_new(m.data, "title",
		                    json_string(title ? title : "tlsharness conformance report"));
		json_object_set_new(m.data, "transcript_cap", json_integer(cap));
		json_object_set_new(m.data, "page_id", json_string(tf.page_id));
		json_t *verdicts = json_array();
		for (int v = 0; v < V_COUNT; v++)
			json_array_append_new(verdicts, json_string(verdict_name((enum verdict)v)));
		json_object_set_new(m.data, "verdicts", verdicts);
		if (mode == TX_FILES) {
			json_object_set_new(m.data, "transcript_dir", json_string(tf.dir_name));
			json_object_set(m.data, "transcript_chunks", tf.firsts);
		} else {
			json_object_set(m.data, "transcripts", m.transcripts);
		}
		json_object_set(m.data, "sources", m.sources);
		json_object_set(m.data, "backends", m.backends);
		json_object_set(m.data, "scenarios", m.scenarios);
		json_object_set(m.data, "strings", m.strings);
		json_object_set_new(m.data, "results", results_columns(&m));
		json_object_set_new(m.data, "names", names_json());
		char *text = json_dumps(m.data, JSON_COMPACT | JSON_ENSURE_ASCII);
		struct bytes page = {0};
		bytes_append(&page, tpl_text, (size_t)(marker - tpl_text));
		append_script_safe(&page, text);
		const char *rest = marker + strlen(DATA_MARKER);
		bytes_append(&page, rest, strlen(rest));
		free(text);
		/* No page without its side files (rc is 2 when one failed). */
		if (rc == 0 && write_file_atomic(out_path, page.data, page.len) != 0) {
			fprintf(stderr, "tlsharness report: cannot write %s: %s\n", out_path,
			        strerror(errno));
			rc = 2;
		} else if (rc == 0) {
			chunks_prune(tf.dir, tf.nchunks);
			printf("report: %s (%zu result(s) from %zu report(s), %zu shown; %zu "
			       "transcript(s), %.1f KiB of transcript bytes; page %.1f KiB",
			       out_path, nin, json_array_size(m.sources), m.nres, ntx,
			       (double)embedded / 1024, (double)page.len / 1024);
			if (mode == TX_FILES)
				printf("; transcripts in %zu side file(s) in %s/, %.1f KiB",
				       tf.nchunks, tf.dir, (double)tf.written / 1024);
			printf("; %.2f s)\n", (now_ms() - t0) / 1000);
		}
		bytes_free(&page);
	}
	free(tf.dir);
	free(tf.err_path);
	json_decref(tf.firsts);
	bytes_free(&tf.chunk);
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
