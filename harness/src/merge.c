/* merge.c - `tlsharness merge -o DIR REPORT...`: one report (report.json,
 * junit.xml, summary.md, and the transcripts, hard-linked or copied to the
 * same relative paths so that the detail views still find them) from runs
 * that hold different instances: the shards of `run --shard K/N`, or runs
 * of different pairs. Inputs that could not have come from one run are
 * refused with exit status 2: an instance in two inputs, another harness
 * version (the schema version is checked when loading), one backend name
 * with two library versions or capability sets, another seed or endpoint
 * mode, an incomplete run, shards of different partitions. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "endpoint.h"
#include "engine.h"
#include "report.h"
#include "report_load.h"
#include "util.h"

int cmd_merge(int argc, char **argv);

static void merge_usage(FILE *f)
{
	fputs("usage: tlsharness merge [-o DIR] REPORT...\n"
	      "\n"
	      "Writes one report (report.json, junit.xml, summary.md, transcripts) into DIR\n"
	      "(default reports/out/merged) from reports that hold different instances: the\n"
	      "shards of 'tlsharness run --shard K/N', or runs of different pairs. REPORT is a\n"
	      "report.json or the folder holding one. Results are matched by (scenario id,\n"
	      "client, server); the merged report lists its inputs in run.merged_from.\n"
	      "\n"
	      "Refused (exit status 2): an instance in two inputs, an incomplete run, another\n"
	      "harness version or schema, a backend with another library version or other\n"
	      "capabilities, another seed or endpoint mode, shards of different partitions.\n"
	      "A warning names the shards missing from a partition.\n"
	      "\n"
	      "options:\n"
	      "  -o, --out DIR   the merged report's folder (checked and locked first)\n"
	      "  -q, --quiet     no summary\n"
	      "  -h, --help      this text\n"
	      "\n"
	      "Exit status: 0 merged; 1 merged, and it holds a FAIL, XPASS, CRASH, TIMEOUT or\n"
	      "HARNESS-ERROR (as 'run'); 2 bad usage or inputs.\n",
	      f);
}

struct input {
	const char *arg; /* as given */
	struct rl_report rep;
	json_t *run;
	int shard_index, shard_count; /* 0 0: not a shard */
};

static int merge_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int merge_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tlsharness merge: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

static double parse_started(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	return end && !*end ? (double)timegm(&tm) : -1;
}

/* A transcript path from a report must stay inside the report's folder. */
static int safe_rel(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t l = strcspn(c, "/");
		if (l == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += l;
		while (*c == '/')
			c++;
	}
	return 1;
}

/* Puts src at dst: already there (the output folder is an input's), a hard
 * link (renamed into place), or a copy. Returns 0, 1 when src is missing,
 * -1 with errno. */
static int place_file(const char *src, const char *dst)
{
	struct stat ss, ds;
	if (stat(src, &ss) != 0)
		return errno == ENOENT ? 1 : -1;
	if (stat(dst, &ds) == 0 && ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino)
		return 0;
	char *dir = xstrdup(dst);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (mkdir_p(dir) != 0) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	char *tmp = xasprintf("%s.merge.%ld", dst, (long)getpid());
	unlink(tmp);
	int rc = 0;
	if (link(src, tmp) == 0) {
		rc = rename(tmp, dst);
	} else {
		struct bytes b = {0};
		rc = read_file(src, &b) == 0 ? write_file_atomic(dst, b.data, b.len) : -1;
		bytes_free(&b);
	}
	int e = errno;
	unlink(tmp);
	free(tmp);
	errno = e;
	return rc;
}

static int load_input(const char *arg, struct input *in)
{
	struct stat st;
	char *path = stat(arg, &st) == 0 && S_ISDIR(st.st_mode) ? xasprintf("%s/report.json", arg)
	                                                        : xstrdup(arg);
	char err[700];
	in->arg = arg;
	int rc = rl_load(path, &in->rep, err, sizeof err);
	free(path);
	if (rc != 0)
		return merge_fail("%s", err);
	in->run = json_object_get(in->rep.root, "run");
	if (!in->rep.complete)
		return merge_fail("%s is the report of an interrupted or unfinished run "
		                  "(run.complete is false): run it again before merging",
		                  in->rep.path);
	json_t *shard = json_object_get(in->run, "shard");
	if (shard) {
		json_t *k = json_object_get(shard, "index"), *n = json_object_get(shard, "count");
		if (!json_is_integer(k) || !json_is_integer(n) || json_integer_value(n) < 1 ||
		    json_integer_value(k) < 1 || json_integer_value(k) > json_integer_value(n) ||
		    json_integer_value(n) > 100000)
			return merge_fail("%s: run.shard is not {\"index\": K, \"count\": N} with "
			                  "1 <= K <= N",
			                  in->rep.path);
		in->shard_index = (int)json_integer_value(k);
		in->shard_count = (int)json_integer_value(n);
	}
	return 0;
}

/* Whether two inputs could come from one run: the checks of the header.
 * Returns 0 or 2. */
static int check_compatible(const struct input *a, const struct input *b)
{
	if (strcmp(b->rep.harness_version, a->rep.harness_version) != 0)
		return merge_fail(
		        "%s was written by tlsharness %s, %s by tlsharness %s: reports of "
		        "different versions cannot be merged",
		        a->rep.path, a->rep.harness_version, b->rep.path, b->rep.harness_version);
	json_t *sa = json_object_get(a->run, "seed"), *sb = json_object_get(b->run, "seed");
	if (!json_equal(sa, sb) && (sa || sb))
		return merge_fail("%s ran with seed %lld, %s with seed %lld: their random splits "
		                  "differ",
		                  a->rep.path, (long long)json_integer_value(sa), b->rep.path,
		                  (long long)json_integer_value(sb));
	const char *ma = json_string_value(json_object_get(a->run, "endpoint_mode"));
	const char *mb = json_string_value(json_object_get(b->run, "endpoint_mode"));
	if (strcmp(ma ? ma : "auto", mb ? mb : "auto") != 0)
		return merge_fail("%s ran with --endpoints %s, %s with --endpoints %s", a->rep.path,
		                  ma ? ma : "auto", b->rep.path, mb ? mb : "auto");
	if (a->shard_count && b->shard_count) {
		if (a->shard_count != b->shard_count)
			return merge_fail(
			        "%s is shard %d/%d, %s is shard %d/%d: shards of different "
			        "partitions",
			        a->rep.path, a->shard_index, a->shard_count, b->rep.path,
			        b->shard_index, b->shard_count);
		if (a->shard_index == b->shard_index)
			return merge_fail("%s and %s are both shard %d/%d", a->rep.path,
			                  b->rep.path, a->shard_index, a->shard_count);
	}
	return 0;
}

/* The union of the inputs' backends, by name: one name must be one library
 * (version and capabilities); its path may differ between machines. */
static int add_backends(const struct input *in, json_t *seen, struct backend **b, size_t *nb)
{
	json_t *x;
	size_t i;
	json_t *list = json_object_get(in->rep.root, "backends");
	if (!json_is_array(list))
		return merge_fail("%s: \"backends\" is not an array", in->rep.path);
	json_array_foreach(list, i, x)
	{
		const char *name = json_string_value(json_object_get(x, "name"));
		const char *version = json_string_value(json_object_get(x, "library_version"));
		json_t *caps = json_object_get(x, "capabilities");
		if (!name || !*name || !version || !json_is_array(caps))
			return merge_fail("%s: backends[%zu] needs a name, a library_version and "
			                  "capabilities",
			                  in->rep.path, i);
		json_t *prev = json_object_get(seen, name);
		if (prev) {
			const char *pv = json_string_value(json_object_get(prev, "version"));
			const char *pr = json_string_value(json_object_get(prev, "report"));
			if (strcmp(pv, version) != 0)
				return merge_fail("backend '%s' is \"%s\" in %s but \"%s\" in %s",
				                  name, pv, pr, version, in->rep.path);
			if (!json_equal(json_object_get(prev, "caps"), caps))
				return merge_fail(
				        "backend '%s' declares other capabilities in %s than "
				        "in %s",
				        name, in->rep.path, pr);
			continue;
		}
		json_t *rec = json_object();
		json_object_set_new(rec, "version", json_string(version));
		json_object_set_new(rec, "report", json_string(in->rep.path));
		json_object_set_new(rec, "caps", json_deep_copy(caps));
		json_object_set_new(rec, "index", json_integer((json_int_t)*nb));
		json_object_set_new(seen, name, rec);
		*b = xrealloc(*b, (*nb + 1) * sizeof **b);
		struct backend *nbk = &(*b)[(*nb)++];
		memset(nbk, 0, sizeof *nbk);
		const char *spec = json_string_value(json_object_get(x, "spec"));
		const char *path = json_string_value(json_object_get(x, "path"));
		const char *exp = json_string_value(json_object_get(x, "expectations"));
		nbk->name = xstrdup(name);
		nbk->spec = xstrdup(spec ? spec : name);
		nbk->library_version = xstrdup(version);
		nbk->path = xstrdup(path ? path : "");
		json_t *c;
		size_t k;
		json_array_foreach(caps, k, c)
		{
			for (int bit = 0; capability_name(bit); bit++)
				if (json_is_string(c) &&
				    !strcmp(json_string_value(c), capability_name(bit)))
					nbk->caps |= 1ull << bit;
		}
		if (exp) {
			nbk->has_exp = 1;
			nbk->exp.path = xstrdup(exp);
			nbk->exp.backend = xstrdup(name);
		}
	}
	return 0;
}

static int backend_at(json_t *seen, const char *name)
{
	json_t *rec = json_object_get(seen, name);
	return rec ? (int)json_integer_value(json_object_get(rec, "index")) : -1;
}

/* One merged result, with where it comes from and where it sorts. */
struct item {
	struct result r;
	struct scen_def def;
	size_t pair, cat, seq;
};

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = *(struct item *const *)pa, *b = *(struct item *const *)pb;
	if (a->pair != b->pair)
		return a->pair < b->pair ? -1 : 1;
	if (a->cat != b->cat)
		return a->cat < b->cat ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, 0, 'o'},
	                                     {"quiet", no_argument, 0, 'q'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *out = "reports/out/merged";
	int quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return cli_error("merge", "--out takes a folder, not ''");
			out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			merge_usage(stdout);
			return 0;
		default:
			return cli_bad_option("merge", c, argc, argv);
		}
	}
	if (optind >= argc)
		return cli_error("merge", "give the reports to merge");

	size_t nin = (size_t)(argc - optind);
	struct input *in = xcalloc(nin, sizeof *in);
	json_t *seen_b = json_object(); /* backend name -> {version, caps, report, index} */
	json_t *seen_r = json_object(); /* instance key -> input index */
	struct backend *b = NULL;
	size_t nb = 0, total = 0;
	struct pair pairs[256];
	size_t npairs = 0;
	struct item *items = NULL, **order = NULL;
	struct result *res = NULL;
	struct run_source *src = NULL;
	struct cli_outdir od = {.lock_fd = -1};
	char *command = NULL;
	int rc = 2;
	for (size_t i = 0; i < nin; i++) {
		if (load_input(argv[optind + (int)i], &in[i]) != 0)
			goto out;
		if (strcmp(in[i].rep.harness_version, HARNESS_VERSION) != 0) {
			merge_fail(
			        "%s was written by tlsharness %s; this is tlsharness %s: merge it "
			        "with the tlsharness that wrote it",
			        in[i].rep.path, in[i].rep.harness_version, HARNESS_VERSION);
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (check_compatible(&in[k], &in[i]) != 0)
				goto out;
		if (add_backends(&in[i], seen_b, &b, &nb) != 0)
			goto out;
		total += in[i].rep.n;
	}

	/* Pairs: each input's in order, then any a result names. */
	for (size_t i = 0; i < nin; i++) {
		json_t *p;
		size_t k;
		json_array_foreach(json_object_get(in[i].rep.root, "pairs"), k, p)
		{
			const char *cn = json_string_value(json_object_get(p, "client"));
			const char *sn = json_string_value(json_object_get(p, "server"));
			int pc = cn ? backend_at(seen_b, cn) : -1;
			int ps = sn ? backend_at(seen_b, sn) : -1;
			if (pc < 0 || ps < 0) {
				merge_fail("%s: pairs[%zu] names a backend its \"backends\" lacks",
				           in[i].rep.path, k);
				goto out;
			}
			size_t j = 0;
			while (j < npairs && !(pairs[j].client == pc && pairs[j].server == ps))
				j++;
			if (j == npairs) {
				if (npairs == 256) {
					merge_fail("more than 256 pairs");
					goto out;
				}
				pairs[npairs++] = (struct pair){pc, ps};
			}
		}
	}

	scen_register_all();
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	json_t *cat = json_object();
	for (size_t i = 0; i < ndefs; i++)
		json_object_set_new(cat, defs[i].id, json_integer((json_int_t)i));
	items = xcalloc(total + 1, sizeof *items);
	order = xcalloc(total + 1, sizeof *order);
	size_t n = 0;
	for (size_t i = 0; i < nin; i++) {
		for (size_t k = 0; k < in[i].rep.n; k++) {
			const struct rl_result *x = &in[i].rep.r[k];
			char *key = rl_key(x);
			json_t *prev = json_object_get(seen_r, key);
			if (prev) {
				merge_fail(
				        "%s [%s -> %s] is in %s and in %s: the inputs overlap (the "
				        "same shard or pair twice?)",
				        x->id, x->client, x->server,
				        in[json_integer_value(prev)].rep.path, in[i].rep.path);
				free(key);
				json_decref(cat);
				goto out;
			}
			json_object_set_new(seen_r, key, json_integer((json_int_t)i));
			free(key);
			int kc = backend_at(seen_b, x->client), ks = backend_at(seen_b, x->server);
			if (kc < 0 || ks < 0) {
				merge_fail("%s: results[%zu] names backend '%s', which its "
				           "\"backends\" "
				           "lacks",
				           in[i].rep.path, k, kc < 0 ? x->client : x->server);
				json_decref(cat);
				goto out;
			}
			if (x->transcript && !safe_rel(x->transcript)) {
				merge_fail(
				        "%s: results[%zu].transcript '%s' is not a path inside the "
				        "report's folder",
				        in[i].rep.path, k, x->transcript);
				json_decref(cat);
				goto out;
			}
			struct item *it = &items[n];
			fmt_into(it->def.id, sizeof it->def.id, "%s", x->id);
			fmt_into(it->def.params, sizeof it->def.params, "%s", x->params);
			it->def.family = x->family;
			it->def.title = x->title;
			it->def.spec = x->spec;
			it->r = (struct result){
			        .def = &it->def,
			        .client = kc,
			        .server = ks,
			        .verdict = (enum verdict)x->verdict,
			        .raw = (enum verdict)x->raw,
			        .expected = xstrdup(x->expected),
			        .observed = xstrdup(x->observed),
			        .detail = xstrdup(x->error),
			        .xfail_reason = x->xfail_reason ? xstrdup(x->xfail_reason) : NULL,
			        .alerts = {x->alerts[0], x->alerts[1], x->alerts[2], x->alerts[3]},
			        .client_status = -1,
			        .server_status = -1,
			        .ms = x->ms,
			        .transcript = x->transcript ? xstrdup(x->transcript) : NULL,
			        .mutation = x->mutation ? xstrdup(x->mutation) : NULL,
			        .stopped = x->stopped ? xstrdup(x->stopped) : NULL,
			        .rules = x->rules ? xstrdup(x->rules) : NULL,
			        .decrypted = x->decrypted ? xstrdup(x->decrypted) : NULL};
			json_t *ci = json_object_get(cat, x->id);
			it->cat = ci ? (size_t)json_integer_value(ci) : ndefs;
			it->pair = 0;
			while (it->pair < npairs &&
			       !(pairs[it->pair].client == kc && pairs[it->pair].server == ks))
				it->pair++;
			if (it->pair == npairs) { /* a result of a pair its report does not list */
				if (npairs == 256) {
					merge_fail("more than 256 pairs");
					json_decref(cat);
					goto out;
				}
				pairs[npairs++] = (struct pair){kc, ks};
			}
			it->seq = n;
			order[n] = it;
			n++;
		}
	}
	json_decref(cat);
	/* The order of a run: pair, then the catalog's order. */
	qsort(order, n, sizeof *order, item_cmp);

	char err[700];
	if (cli_outdir_claim(out, &od, err, sizeof err) != 0) {
		merge_fail("%s", err);
		goto out;
	}
	/* Transcripts first, so that the report never names a missing one. */
	size_t missing = 0;
	for (size_t i = 0, k = 0; i < nin; i++) {
		for (size_t j = 0; j < in[i].rep.n; j++, k++) {
			struct result *r = &items[k].r;
			if (!r->transcript)
				continue;
			char *from = xasprintf("%s/%s", in[i].rep.dir, r->transcript);
			char *to = xasprintf("%s/%s", out, r->transcript);
			int p = place_file(from, to);
			if (p != 0) {
				if (p < 0) {
					merge_fail("cannot place %s at %s: %s", from, to,
					           strerror(errno));
					free(from);
					free(to);
					goto out;
				}
				if (missing++ < 5)
					fprintf(stderr,
					        "tlsharness merge: warning: %s [%s -> %s]: "
					        "transcript %s is "
					        "missing; the merged result has none\n",
					        r->def->id, b[r->client].name, b[r->server].name,
					        from);
				free(r->transcript);
				r->transcript = NULL;
			}
			free(from);
			free(to);
		}
	}
	if (missing > 5)
		fprintf(stderr, "tlsharness merge: warning: %zu transcripts missing in all\n",
		        missing);

	/* A partition with shards missing is worth a word: CI lost a job. */
	if (in[0].shard_count) {
		int all = 1;
		for (size_t i = 0; i < nin; i++)
			all &= in[i].shard_count == in[0].shard_count;
		if (all && nin < (size_t)in[0].shard_count) {
			char list[256] = "";
			size_t off = 0;
			for (int k = 1; k <= in[0].shard_count && off < sizeof list; k++) {
				int have = 0;
				for (size_t i = 0; i < nin; i++)
					have |= in[i].shard_index == k;
				if (!have)
					off += (size_t)snprintf(list + off, sizeof list - off,
					                        "%s%d", off ? ", " : "", k);
			}
			fprintf(stderr,
			        "tlsharness merge: warning: shard(s) %s of %d missing: the merged "
			        "report covers part of the run\n",
			        list, in[0].shard_count);
		}
	}

	res = xcalloc(n + 1, sizeof *res);
	for (size_t i = 0; i < n; i++)
		res[i] = order[i]->r;
	src = xcalloc(nin, sizeof *src);
	double started = -1, wall = 0;
	json_int_t jobs = 1;
	for (size_t i = 0; i < nin; i++) {
		double t = parse_started(in[i].rep.started);
		if (t >= 0 && (started < 0 || t < started))
			started = t;
		if (in[i].rep.wall_ms > wall)
			wall = in[i].rep.wall_ms;
		json_t *j = json_object_get(in[i].run, "jobs");
		if (json_is_integer(j) && json_integer_value(j) > jobs)
			jobs = json_integer_value(j);
		src[i] = (struct run_source){.report = in[i].arg,
		                             .started = in[i].rep.started,
		                             .command = in[i].rep.command,
		                             .wall_ms = in[i].rep.wall_ms,
		                             .results = in[i].rep.n,
		                             .shard_index = in[i].shard_index,
		                             .shard_count = in[i].shard_count};
	}
	json_t *seed = json_object_get(in[0].run, "seed");
	const char *mode = json_string_value(json_object_get(in[0].run, "endpoint_mode"));
	command = cli_command_line(argc, argv);
	struct run_info ri = {.command = command,
	                      .started_unix = started >= 0 ? started : (double)time(NULL),
	                      .wall_ms = wall,
	                      .complete = 1,
	                      .jobs = (int)jobs,
	                      .seed = json_is_integer(seed) ? (uint64_t)json_integer_value(seed)
	                                                    : 1,
	                      .endpoint_mode = mode ? mode : "auto",
	                      .sources = src,
	                      .nsources = nin};
	if (report_write(out, &ri, b, nb, pairs, npairs, res, n, err, sizeof err) != 0) {
		merge_fail("%s", err);
		goto out;
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= verdict_is_bad(res[i].verdict);
	if (!quiet)
		report_summary(stdout, b, res, n, wall);
	printf("merge: %zu result(s) from %zu report(s) -> %s/report.json\n", n, nin, out);
	rc = bad ? 1 : 0;
out:
	cli_outdir_release(&od);
	if (items) {
		for (size_t i = 0; i < total; i++) {
			struct result *r = &items[i].r;
			free(r->expected);
			free(r->observed);
			free(r->detail);
			free(r->xfail_reason);
			free(r->transcript);
			free(r->mutation);
			free(r->stopped);
			free(r->rules);
			free(r->decrypted);
		}
	}
	free(items);
	free(order);
	free(res);
	free(src);
	free(command);
	for (size_t i = 0; i < nb; i++)
		backend_free(&b[i]);
	free(b);
	for (size_t i = 0; i < nin; i++)
		if (in[i].rep.root)
			rl_free(&in[i].rep);
	free(in);
	json_decref(seen_b);
	json_decref(seen_r);
	return rc;
}
