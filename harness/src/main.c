/* tlsharness - the command line. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "report.h"
#include "report_load.h"
#include "util.h"

#ifndef TLSH_EXPECT_DIR
#define TLSH_EXPECT_DIR "impls"
#endif

int cmd_mutation(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fputs("usage: tlsharness COMMAND [OPTIONS]     ('tlsharness COMMAND --help': its options)\n"
	      "\n"
	      "commands:\n"
	      "  run        run scenarios for one or more (client, server) backend pairs\n"
	      "  list       list scenarios (id, capabilities, spec)\n"
	      "  backends   list the backends built into this tree\n"
	      "  probe NAME load a backend and print its descriptor\n"
	      "  mutation   run every mutant and check the scenarios catch it\n"
	      "  serve      accept TLS connections on a TCP port (serve --help)\n"
	      "  connect    make TLS connections to HOST:PORT (connect --help)\n"
	      "  record     fuzz seeds from the transcripts of report folders (record --help)\n"
	      "  report     one self-contained HTML page from JSON reports (report --help)\n"
	      "  compare    two runs (regressions, fixes) or two backends (compare --help)\n"
	      "  merge      one report from several, e.g. the shards of a run (merge --help)\n"
	      "\n"
	      "  -V, --version  the version of tlsharness (also in every report)\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "NAME is a built backend (see 'backends'), a mutant, or a path to an adapter .so.\n"
	      "Exit status: 0 all good; 1 a FAIL, XPASS, CRASH, TIMEOUT or HARNESS-ERROR;\n"
	      "2 bad usage or input; 130 interrupted.\n",
	      f);
}

static void run_usage(FILE *f)
{
	fputs("usage: tlsharness run (--impl NAME... | --client A --server B | --matrix A,B,...)\n"
	      "                      [--rerun REPORT.json] [--shard K/N] [OPTIONS]\n"
	      "       tlsharness run --rerun REPORT.json [OPTIONS]\n"
	      "\n"
	      "backends (one of):\n"
	      "  -i, --impl NAME          NAME as client and server (repeatable)\n"
	      "  -c, --client NAME        client backend (with --server)\n"
	      "  -s, --server NAME        server backend (with --client)\n"
	      "  -m, --matrix A,B,...     every ordered pair of the listed backends\n"
	      "  NAME is a built backend (see 'tlsharness backends'), a mutant, or a path to an\n"
	      "  adapter .so. A backend named twice runs once.\n"
	      "\n"
	      "which instances (scenario, client, server) of those pairs run:\n"
	      "  -f, --filter GLOB        scenario ids (repeatable; default all)\n"
	      "      --rerun REPORT.json  only the report's FAIL, XPASS, CRASH, TIMEOUT and\n"
	      "                           HARNESS-ERROR instances; without backend options, on\n"
	      "                           the report's backends; its seed and endpoint mode\n"
	      "                           unless given\n"
	      "      --shard K/N          only shard K of N: a fixed partition of the instances\n"
	      "                           by a hash of id, client and server, the same on every\n"
	      "                           machine ('tlsharness merge' joins the N reports)\n"
	      "\n"
	      "options:\n"
	      "  -j, --jobs N             parallel scenario processes, 1 to 64 (default 2)\n"
	      "  -t, --timeout SECONDS    per scenario instance, 1 to 3600 (default 20)\n"
	      "  -o, --out DIR            report folder (default reports/out/LABEL, LABEL-rerun\n"
	      "                           with --rerun, LABEL-shard-K-of-N with --shard); it is\n"
	      "                           checked and locked before any scenario starts\n"
	      "      --seed N             seed for random splits (default 1)\n"
	      "      --endpoints MODE     auto | inproc | oop (default auto)\n"
	      "      --puppet NAME        the misbehaving peer of the misbehave scenarios: each\n"
	      "                           backend under test against it (default openssl)\n"
	      "      --expectations NAME=FILE  expectations file for backend NAME of this run\n"
	      "      --no-expectations    ignore expectations files\n"
	      "  -q, --quiet              no progress output\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "Exit status: 0 all good; 1 a FAIL, XPASS, CRASH, TIMEOUT or HARNESS-ERROR;\n"
	      "2 bad usage or input; 130 interrupted.\n",
	      f);
}

struct progress {
	int quiet;
	int tty;
	double start;
	double last_write;
	double write_ms; /* how long the last partial report took to write */
	double last_line;
	size_t bad;
	/* partial report */
	const char *out_dir;
	struct run_info *ri;
	struct backend *b;
	size_t nb;
	const struct pair *pairs;
	size_t npairs;
	struct result *all;
	size_t total;
};

static void on_result(const struct result *r, size_t done, size_t total, void *arg)
{
	struct progress *p = arg;
	if (verdict_is_bad(r->verdict))
		p->bad++;
	double t = now_ms();
	if (!p->quiet) {
		double el = (t - p->start) / 1000;
		double eta = done ? el / (double)done * (double)(total - done) : 0;
		if (verdict_is_bad(r->verdict)) {
			if (p->tty)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "%-13s %s [%s -> %s] %s\n", verdict_name(r->verdict),
			        r->def->id, p->b[r->client].name, p->b[r->server].name,
			        r->observed ? r->observed : "");
		}
		if (p->tty) {
			fprintf(stderr,
			        "\r\033[K[%zu/%zu] %zu problem(s), %.0fs elapsed, ~%.0fs left: %s",
			        done, total, p->bad, el, eta, r->def->id);
			if (done == total)
				fputs("\r\033[K", stderr);
		} else if (t - p->last_line > 5000 || done == total) {
			fprintf(stderr, "[%zu/%zu] %zu problem(s), %.0fs elapsed, ~%.0fs left\n",
			        done, total, p->bad, el, eta);
			p->last_line = t;
		}
	}
	/* At most a tenth of the run goes to partial reports: one of a large
	 * matrix takes seconds to write, and the engine waits meanwhile. */
	if (p->out_dir && t - p->last_write > 2000 && t - p->last_write > 10 * p->write_ms) {
		/* A partial report so that a killed run still leaves a valid
		 * document marked incomplete. Results are taken in order. */
		p->last_write = t;
		size_t n = 0;
		struct result *tmp = xcalloc(total + 1, sizeof *tmp);
		for (size_t i = 0; i < p->total; i++)
			if (p->all[i].expected || p->all[i].observed)
				tmp[n++] = p->all[i];
		p->ri->complete = 0;
		p->ri->wall_ms = t - p->start;
		char err[256];
		report_write(p->out_dir, p->ri, p->b, p->nb, p->pairs, p->npairs, tmp, n, err,
		             sizeof err);
		free(tmp);
		p->write_ms = now_ms() - t;
	}
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return strcmp(a, b) == 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Adds a backend, or finds it: the same spec, or another spec naming the
 * same adapter (a name and its path), is one backend. Two different
 * adapters calling themselves by one name cannot share a run: their results
 * would have the same key. Returns the index, or -1 (message printed). */
static int add_backend(struct backend **b, size_t *nb, const char *spec)
{
	for (size_t i = 0; i < *nb; i++)
		if (strcmp((*b)[i].spec, spec) == 0)
			return (int)i;
	char err[700];
	struct backend nbk;
	if (backend_probe(spec, &nbk, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < *nb; i++) {
		struct backend *x = &(*b)[i];
		if (strcmp(x->name, nbk.name) != 0)
			continue;
		int same = same_file(x->path, nbk.path) &&
		           !strcmp(x->library_version, nbk.library_version) && x->caps == nbk.caps;
		if (!same)
			fprintf(stderr,
			        "tlsharness: '%s' and '%s' are two adapters that both call "
			        "themselves "
			        "'%s' (%s; %s): one run cannot tell their results apart\n",
			        x->spec, spec, nbk.name, x->library_version, nbk.library_version);
		backend_free(&nbk);
		return same ? (int)i : -1;
	}
	*b = xrealloc(*b, (*nb + 1) * sizeof **b);
	(*b)[*nb] = nbk;
	return (int)(*nb)++;
}

#define MAX_PAIRS 256

/* Adds a (client, server) pair once. Returns 0, or -1 when the list is
 * full. */
static int add_pair(struct pair *pairs, size_t *np, int client, int server)
{
	for (size_t i = 0; i < *np; i++)
		if (pairs[i].client == client && pairs[i].server == server)
			return 0;
	if (*np == MAX_PAIRS)
		return -1;
	pairs[(*np)++] = (struct pair){client, server};
	return 0;
}

/* ---- which instances run: --shard, --rerun ------------------------------ */

/* The shard (0..n-1) of an instance: FNV-1a over its key (scenario id,
 * client and server names), finished with splitmix64's mixer so that every
 * bit counts before the modulo. It depends on nothing else (not the
 * filters, the pair order, the catalog's order or the machine), so every
 * instance is in exactly one shard of N, in every run. */
static unsigned shard_of(const char *key, unsigned n)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (unsigned)(h % n);
}

struct plan {
	unsigned shard_index, shard_count; /* K of N, 1 <= K <= N; 0 0: no sharding */
	json_t *rerun;                     /* instance keys to rerun, or NULL: all */
};

static int plan_keep(const struct scen_def *d, const struct backend *c, const struct backend *s,
                     void *arg)
{
	const struct plan *pl = arg;
	if (!pl->rerun && !pl->shard_count)
		return 1;
	char *key = rl_instance_key(d->id, c->name, s->name);
	int keep = (!pl->rerun || json_object_get(pl->rerun, key)) &&
	           (!pl->shard_count || shard_of(key, pl->shard_count) == pl->shard_index - 1);
	free(key);
	return keep;
}

/* "K/N" with 1 <= K <= N <= 100000. */
static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
	const char *slash = strchr(s, '/');
	char left[16];
	long kv, nv;
	if (!slash || slash == s || (size_t)(slash - s) >= sizeof left)
		return -1;
	memcpy(left, s, (size_t)(slash - s));
	left[slash - s] = '\0';
	if (cli_parse_long(left, 1, 100000, &kv) != 0 ||
	    cli_parse_long(slash + 1, 1, 100000, &nv) != 0 || kv > nv)
		return -1;
	*k = (unsigned)kv;
	*n = (unsigned)nv;
	return 0;
}

/* ---- run ------------------------------------------------------------------ */

struct run_args {
	char *impls[16], *filters[64], *exp_over[16];
	size_t nimpls, nfilters, nexp;
	const char *client, *server, *matrix, *out, *rerun, *puppet;
	const char *mode_name;
	int seed_given, mode_given;
	unsigned shard_index, shard_count;
	struct run_opts o;
};

/* The misbehaving peer, when a puppet row is selected: loaded like any
 * backend (its expectations file too). Returns 0, or the exit status. */
static int run_puppet(struct run_args *a, struct backend **b, size_t *nb,
                      const struct scen_def *defs, size_t ndefs)
{
	int wanted = 0;
	for (size_t i = 0; i < ndefs && !wanted; i++)
		wanted = defs[i].row->puppet && id_matches(defs[i].id, a->filters, a->nfilters);
	if (!wanted)
		return 0;
	int k = add_backend(b, nb, a->puppet);
	if (k < 0) {
		fprintf(stderr,
		        "tlsharness: the misbehaving peer (--puppet %s) cannot be loaded; give "
		        "another built backend with --puppet, or leave out the misbehave scenarios "
		        "with -f\n",
		        a->puppet);
		return 2;
	}
	a->o.has_puppet = 1;
	a->o.puppet = k;
	a->o.puppet_self = 1;
	return 0;
}

/* Returns -1 to go on, or the exit status. */
static int run_parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {{"impl", required_argument, 0, 'i'},
	                                     {"client", required_argument, 0, 'c'},
	                                     {"server", required_argument, 0, 's'},
	                                     {"matrix", required_argument, 0, 'm'},
	                                     {"filter", required_argument, 0, 'f'},
	                                     {"jobs", required_argument, 0, 'j'},
	                                     {"timeout", required_argument, 0, 't'},
	                                     {"out", required_argument, 0, 'o'},
	                                     {"seed", required_argument, 0, 1},
	                                     {"endpoints", required_argument, 0, 2},
	                                     {"expectations", required_argument, 0, 3},
	                                     {"no-expectations", no_argument, 0, 4},
	                                     {"rerun", required_argument, 0, 5},
	                                     {"shard", required_argument, 0, 6},
	                                     {"puppet", required_argument, 0, 7},
	                                     {"quiet", no_argument, 0, 'q'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	memset(a, 0, sizeof *a);
	a->o = (struct run_opts){.jobs = 2, .timeout_s = 20, .seed = 1, .use_expectations = 1};
	a->mode_name = "auto";
	a->puppet = "openssl";
	int c, no_exp = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:s:m:f:j:t:o:qh", opts, NULL)) != -1) {
		long v;
		switch (c) {
		case 'i':
			if (a->nimpls == 16)
				return cli_error("run", "at most 16 --impl options");
			a->impls[a->nimpls++] = optarg;
			break;
		case 'c':
			a->client = optarg;
			break;
		case 's':
			a->server = optarg;
			break;
		case 'm':
			a->matrix = optarg;
			break;
		case 'f':
			if (a->nfilters == 64)
				return cli_error("run", "at most 64 --filter options");
			a->filters[a->nfilters++] = optarg;
			break;
		case 'j':
			if (cli_parse_long(optarg, 1, 64, &v) != 0)
				return cli_error("run",
				                 "--jobs takes a number from 1 to 64, not '%s'",
				                 optarg);
			a->o.jobs = (int)v;
			break;
		case 't':
			if (cli_parse_long(optarg, 1, 3600, &v) != 0)
				return cli_error("run",
				                 "--timeout takes seconds from 1 to 3600, not '%s'",
				                 optarg);
			a->o.timeout_s = (double)v;
			break;
		case 'o':
			if (!*optarg)
				return cli_error("run", "--out takes a folder, not ''");
			a->out = optarg;
			break;
		case 1:
			if (cli_parse_long(optarg, 0, 0x7fffffffL, &v) != 0)
				return cli_error("run",
				                 "--seed takes a non-negative number, not '%s'",
				                 optarg);
			a->o.seed = (uint64_t)v;
			a->seed_given = 1;
			break;
		case 2:
			if (!strcmp(optarg, "auto"))
				a->o.mode = EP_AUTO;
			else if (!strcmp(optarg, "inproc"))
				a->o.mode = EP_INPROC;
			else if (!strcmp(optarg, "oop"))
				a->o.mode = EP_OOP;
			else
				return cli_error("run",
				                 "--endpoints takes auto, inproc or oop, not '%s'",
				                 optarg);
			a->mode_name = optarg;
			a->mode_given = 1;
			break;
		case 3: {
			size_t l = strcspn(optarg, "=");
			if (!optarg[l] || l == 0 || !optarg[l + 1])
				return cli_error("run", "--expectations takes NAME=FILE, not '%s'",
				                 optarg);
			if (a->nexp == 16)
				return cli_error("run", "at most 16 --expectations options");
			a->exp_over[a->nexp++] = optarg;
			break;
		}
		case 4:
			no_exp = 1;
			a->o.use_expectations = 0;
			break;
		case 5:
			a->rerun = optarg;
			break;
		case 6:
			if (parse_shard(optarg, &a->shard_index, &a->shard_count) != 0)
				return cli_error(
				        "run",
				        "--shard takes K/N with 1 <= K <= N <= 100000, not '%s'",
				        optarg);
			break;
		case 7:
			if (!*optarg)
				return cli_error("run", "--puppet takes a backend, not ''");
			a->puppet = optarg;
			break;
		case 'q':
			a->o.quiet = 1;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			return cli_bad_option("run", c, argc, argv);
		}
	}
	if (optind < argc)
		return cli_error("run", "unexpected argument '%s'", argv[optind]);
	int modes = (a->nimpls > 0) + (a->client || a->server) + (a->matrix != NULL);
	if (modes > 1 || (modes == 0 && !a->rerun))
		return cli_error("run", "give exactly one of --impl, --client/--server or --matrix "
		                        "(or --rerun REPORT.json alone)");
	if ((a->client != NULL) != (a->server != NULL))
		return cli_error("run", "--client and --server go together");
	if (no_exp && a->nexp)
		return cli_error("run", "--expectations and --no-expectations exclude each other");
	return -1;
}

/* The backends and pairs of a run. Returns 0, or the exit status. */
static int run_backends(const struct run_args *a, struct backend **b, size_t *nb,
                        struct pair *pairs, size_t *npairs, char *label, size_t labelcap)
{
	if (a->nimpls) {
		for (size_t i = 0; i < a->nimpls; i++) {
			int k = add_backend(b, nb, a->impls[i]);
			if (k < 0)
				return 2;
			add_pair(pairs, npairs, k, k);
		}
		fmt_into(label, labelcap, "%s", *nb == 1 ? (*b)[0].name : "multi");
	} else if (a->client) {
		int kc = add_backend(b, nb, a->client);
		if (kc < 0)
			return 2;
		int ks = add_backend(b, nb, a->server);
		if (ks < 0)
			return 2;
		add_pair(pairs, npairs, kc, ks);
		fmt_into(label, labelcap, "%s--%s", (*b)[kc].name, (*b)[ks].name);
	} else if (a->matrix) {
		char *list = xstrdup(a->matrix), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (add_backend(b, nb, t) < 0) {
				free(list);
				return 2;
			}
		}
		free(list);
		if (*nb == 0)
			return cli_error("run", "--matrix needs at least one backend");
		if (*nb * *nb > MAX_PAIRS)
			return cli_error("run", "--matrix: at most 16 backends");
		for (size_t i = 0; i < *nb; i++)
			for (size_t j = 0; j < *nb; j++)
				add_pair(pairs, npairs, (int)i, (int)j);
		fmt_into(label, labelcap, "matrix");
	}
	return 0;
}

/* The backend a report calls `name`, loaded again from its spec there (a
 * mutant, a path, a PEP 748 object). Returns the index, or -1. */
static int add_report_backend(struct backend **b, size_t *nb, const struct rl_report *rep,
                              const char *name)
{
	const char *spec = name;
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(rep->root, "backends"), i, x)
	{
		const char *n = json_string_value(json_object_get(x, "name"));
		const char *sp = json_string_value(json_object_get(x, "spec"));
		if (n && sp && *sp && !strcmp(n, name))
			spec = sp;
	}
	int k = add_backend(b, nb, spec);
	if (k < 0) {
		fprintf(stderr,
		        "tlsharness: %s: its backend '%s' cannot be loaded here: name the backends "
		        "with --impl, --client/--server or --matrix\n",
		        rep->path, name);
		return -1;
	}
	if (strcmp((*b)[k].name, name) != 0) {
		fprintf(stderr,
		        "tlsharness: %s: its backend '%s' (spec '%s') loads as '%s' here: name the "
		        "backends with --impl, --client/--server or --matrix\n",
		        rep->path, name, spec, (*b)[k].name);
		return -1;
	}
	return k;
}

static int backend_index(const struct backend *b, size_t nb, const char *name)
{
	for (size_t i = 0; i < nb; i++)
		if (!strcmp(b[i].name, name))
			return (int)i;
	return -1;
}

/* --rerun: the report's bad instances into pl->rerun, the report's
 * backends and pairs when none are given, then a check that every
 * instance to rerun is one this run can plan. Returns -1 to go on, or the
 * exit status (0: nothing to rerun). */
static int run_rerun(struct run_args *a, struct rl_report *rep, struct plan *pl, struct backend **b,
                     size_t *nb, struct pair *pairs, size_t *npairs, char *label, size_t labelcap)
{
	char err[700];
	if (rl_load(a->rerun, rep, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		return 2;
	}
	pl->rerun = json_object();
	for (size_t i = 0; i < rep->n; i++) {
		if (!verdict_is_bad((enum verdict)rep->r[i].verdict))
			continue;
		char *key = rl_key(&rep->r[i]);
		json_object_set_new(pl->rerun, key, json_true());
		free(key);
	}
	size_t nrerun = json_object_size(pl->rerun);
	if (nrerun == 0) {
		printf("tlsharness: %s has no FAIL, XPASS, CRASH, TIMEOUT or HARNESS-ERROR result: "
		       "nothing to rerun\n",
		       a->rerun);
		return 0;
	}
	if (!*nb) {
		for (size_t i = 0; i < rep->n; i++) {
			const struct rl_result *x = &rep->r[i];
			if (!verdict_is_bad((enum verdict)x->verdict))
				continue;
			int kc = add_report_backend(b, nb, rep, x->client);
			int ks = kc < 0 ? -1 : add_report_backend(b, nb, rep, x->server);
			if (ks < 0)
				return 2;
			if (add_pair(pairs, npairs, kc, ks) != 0)
				return cli_error("run", "%s: more than %d pairs to rerun", a->rerun,
				                 MAX_PAIRS);
		}
		if (*npairs == 1 && pairs[0].client == pairs[0].server)
			fmt_into(label, labelcap, "%s", (*b)[pairs[0].client].name);
		else if (*npairs == 1)
			fmt_into(label, labelcap, "%s--%s", (*b)[pairs[0].client].name,
			         (*b)[pairs[0].server].name);
		else
			fmt_into(label, labelcap, "multi");
	}
	/* Every instance to rerun must be in this catalog and in a pair of this
	 * run; the filters may leave some out on purpose. */
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	json_t *ids = json_object();
	for (size_t i = 0; i < ndefs; i++)
		json_object_set_new(ids, defs[i].id, json_true());
	int rc = -1;
	for (size_t i = 0; i < rep->n && rc < 0; i++) {
		const struct rl_result *x = &rep->r[i];
		if (!verdict_is_bad((enum verdict)x->verdict))
			continue;
		if (!json_object_get(ids, x->id)) {
			fprintf(stderr,
			        "tlsharness: %s: %s [%s -> %s] is to rerun, but this tlsharness "
			        "has no "
			        "scenario '%s'\n",
			        a->rerun, x->id, x->client, x->server, x->id);
			rc = 2;
			break;
		}
		int kc = backend_index(*b, *nb, x->client), ks = backend_index(*b, *nb, x->server);
		int found = 0;
		for (size_t k = 0; k < *npairs && kc >= 0 && ks >= 0; k++)
			found |= pairs[k].client == kc && pairs[k].server == ks;
		if (!found) {
			fprintf(stderr,
			        "tlsharness: %s: %s [%s -> %s] is to rerun, but this run has no "
			        "pair "
			        "%s -> %s (name its backends, or leave out --impl, "
			        "--client/--server "
			        "and --matrix to take the report's)\n",
			        a->rerun, x->id, x->client, x->server, x->client, x->server);
			rc = 2;
		}
	}
	json_decref(ids);
	if (rc >= 0)
		return rc;
	/* The report's seed and endpoint mode reproduce its random splits and
	 * process layout. */
	json_t *run = json_object_get(rep->root, "run");
	json_t *seed = json_object_get(run, "seed");
	if (!a->seed_given && json_is_integer(seed) && json_integer_value(seed) >= 0)
		a->o.seed = (uint64_t)json_integer_value(seed);
	const char *mode = json_string_value(json_object_get(run, "endpoint_mode"));
	if (!a->mode_given && mode) {
		static const char *const names[] = {"auto", "inproc", "oop"};
		static const enum endpoint_mode modes[] = {EP_AUTO, EP_INPROC, EP_OOP};
		for (int k = 0; k < 3; k++)
			if (!strcmp(mode, names[k])) {
				a->o.mode = modes[k];
				a->mode_name = names[k];
			}
	}
	return -1;
}

/* Loads each backend's expectations file. Returns 0, or the exit status. */
static int run_expectations(const struct run_args *a, struct backend *b, size_t nb)
{
	for (size_t k = 0; k < a->nexp; k++) {
		size_t l = strcspn(a->exp_over[k], "=");
		int found = 0;
		for (size_t i = 0; i < nb; i++)
			found |= strlen(b[i].name) == l && !strncmp(a->exp_over[k], b[i].name, l);
		if (!found) {
			char names[512] = "";
			size_t off = 0;
			for (size_t i = 0; i < nb && off < sizeof names; i++)
				off += (size_t)snprintf(names + off, sizeof names - off, "%s%s",
				                        i ? ", " : "", b[i].name);
			return cli_error(
			        "run",
			        "--expectations names backend '%.*s', which is not in this "
			        "run (%s)",
			        (int)l, a->exp_over[k], names);
		}
	}
	if (!a->o.use_expectations)
		return 0;
	for (size_t i = 0; i < nb; i++) {
		char *path = NULL;
		for (size_t k = 0; k < a->nexp; k++) {
			size_t l = strcspn(a->exp_over[k], "=");
			if (strlen(b[i].name) == l && !strncmp(a->exp_over[k], b[i].name, l)) {
				free(path);
				path = xstrdup(a->exp_over[k] + l + 1);
			}
		}
		int explicit_path = path != NULL;
		if (!path) {
			const char *dir = getenv("TLSH_EXPECT_DIR");
			path = xasprintf("%s/%s/expectations.json",
			                 dir && *dir ? dir : TLSH_EXPECT_DIR, b[i].name);
		}
		if (!explicit_path && access(path, F_OK) != 0) {
			free(path);
			continue;
		}
		char err[600];
		if (expect_load(path, &b[i].exp, err, sizeof err) != 0) {
			fprintf(stderr, "tlsharness: %s\n", err);
			free(path);
			return 2;
		}
		if (strcmp(b[i].exp.backend, b[i].name) != 0) {
			fprintf(stderr, "tlsharness: %s is for backend '%s', not '%s'\n", path,
			        b[i].exp.backend, b[i].name);
			free(path);
			return 2;
		}
		b[i].has_exp = 1;
		free(path);
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a;
	int rc = run_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;

	scen_register_all();
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	size_t nmatch = 0;
	for (size_t i = 0; i < ndefs; i++)
		nmatch += id_matches(defs[i].id, a.filters, a.nfilters);
	if (nmatch == 0) {
		fprintf(stderr, "tlsharness: no scenario matches the filter(s)");
		for (size_t i = 0; i < a.nfilters; i++)
			fprintf(stderr, " '%s'", a.filters[i]);
		fprintf(stderr, " (see 'tlsharness list')\n");
		return 2;
	}

	struct backend *b = NULL;
	size_t nb = 0;
	struct pair pairs[MAX_PAIRS];
	size_t npairs = 0;
	char label[256] = "";
	struct plan pl = {.shard_index = a.shard_index, .shard_count = a.shard_count};
	struct rl_report rep = {0};
	struct cli_outdir od = {.lock_fd = -1};
	char *out_dir = NULL;
	struct run_info ri = {0};
	struct result *res = NULL;
	size_t n = 0;
	rc = run_backends(&a, &b, &nb, pairs, &npairs, label, sizeof label);
	if (rc)
		goto out;
	if (a.rerun) {
		rc = run_rerun(&a, &rep, &pl, &b, &nb, pairs, &npairs, label, sizeof label);
		if (rc >= 0)
			goto out;
	}
	rc = run_puppet(&a, &b, &nb, defs, ndefs);
	if (rc)
		goto out;
	/* The reference peer of one-side rows: the puppet's backend, when it
	 * is one of the pairs'. */
	for (size_t p = 0; p < npairs && !a.o.ref1; p++)
		for (int k = 0; k < 2 && !a.o.ref1; k++) {
			int u = k ? pairs[p].server : pairs[p].client;
			if (!strcmp(b[u].spec, a.puppet) || !strcmp(b[u].name, a.puppet))
				a.o.ref1 = u + 1;
		}
	rc = run_expectations(&a, b, nb);
	if (rc)
		goto out;
	size_t nplanned = 0;
	for (size_t p = 0; p < npairs; p++)
		for (size_t i = 0; i < ndefs; i++)
			nplanned +=
			        !defs[i].row->puppet &&
			        plan_pair_keeps(&defs[i], pairs[p].client, pairs[p].server, &a.o) &&
			        id_matches(defs[i].id, a.filters, a.nfilters) &&
			        plan_keep(&defs[i], &b[pairs[p].client], &b[pairs[p].server], &pl);
	for (size_t u = 0; a.o.has_puppet && u < nb; u++) {
		if (!a.o.puppet_self && (int)u == a.o.puppet)
			continue;
		for (size_t i = 0; i < ndefs; i++) {
			const struct scen_def *d = &defs[i];
			int cl = d->role == TLSH_ROLE_CLIENT, plays = 0;
			for (size_t p = 0; p < npairs; p++)
				plays |= pairs[p].client == (int)u || pairs[p].server == (int)u;
			nplanned += d->row->puppet && plays &&
			            id_matches(d->id, a.filters, a.nfilters) &&
			            plan_keep(d, &b[cl ? (int)u : a.o.puppet],
			                      &b[cl ? a.o.puppet : (int)u], &pl);
		}
	}
	if (a.rerun && nplanned == 0) {
		printf("tlsharness: none of the %zu instance(s) to rerun from %s matches the "
		       "filter(s): nothing to rerun\n",
		       json_object_size(pl.rerun), a.rerun);
		rc = 0;
		goto out;
	}

	/* The report folder, before any scenario starts. */
	if (a.out)
		out_dir = xstrdup(a.out);
	else if (a.shard_count)
		out_dir = xasprintf("reports/out/%s%s-shard-%u-of-%u", label,
		                    a.rerun ? "-rerun" : "", a.shard_index, a.shard_count);
	else
		out_dir = xasprintf("reports/out/%s%s", label, a.rerun ? "-rerun" : "");
	char err[600];
	if (cli_outdir_claim(out_dir, &od, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		rc = 2;
		goto out;
	}

	struct timeval tv;
	gettimeofday(&tv, NULL);
	ri = (struct run_info){.command = cli_command_line(argc, argv),
	                       .started_unix = (double)tv.tv_sec,
	                       .jobs = a.o.jobs,
	                       .seed = a.o.seed,
	                       .endpoint_mode = a.mode_name,
	                       .shard_index = (int)a.shard_index,
	                       .shard_count = (int)a.shard_count,
	                       .rerun_of = a.rerun};
	if (!a.o.quiet) {
		fprintf(stderr, "tlsharness %s: %zu scenario(s) x %zu pair(s), -j %d",
		        HARNESS_VERSION, nmatch, npairs, a.o.jobs);
		if (a.rerun)
			fprintf(stderr, ", rerun of %s", a.rerun);
		if (a.shard_count)
			fprintf(stderr, ", shard %u/%u", a.shard_index, a.shard_count);
		if (a.rerun || a.shard_count)
			fprintf(stderr, ": %zu instance(s)", nplanned);
		fputc('\n', stderr);
		for (size_t i = 0; i < nb; i++)
			fprintf(stderr, "  %-10s %s%s\n", b[i].name, b[i].library_version,
			        b[i].has_exp ? "" : " (no expectations file)");
	}
	struct progress pg = {.quiet = a.o.quiet,
	                      .tty = isatty(2),
	                      .start = now_ms(),
	                      .last_write = now_ms(),
	                      .out_dir = out_dir,
	                      .ri = &ri,
	                      .b = b,
	                      .nb = nb,
	                      .pairs = pairs,
	                      .npairs = npairs};
	a.o.on_result = on_result;
	a.o.arg = &pg;
	a.o.out_dir = out_dir;
	a.o.interrupted = &interrupted;
	a.o.keep = plan_keep;
	a.o.keep_arg = &pl;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* The engine fills results in place; the progress callback reads them
	 * for partial reports. */
	a.o.results_view = &pg.all;
	a.o.total_view = &pg.total;
	n = engine_run(b, nb, pairs, npairs, a.filters, a.nfilters, &a.o, &res);
	ri.wall_ms = now_ms() - pg.start;
	ri.interrupted = interrupted;
	ri.complete = !interrupted;
	if (report_write(out_dir, &ri, b, nb, pairs, npairs, res, n, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		rc = 2;
		goto out;
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= verdict_is_bad(res[i].verdict);
	if (!a.o.quiet || bad)
		report_summary(stdout, b, res, n, ri.wall_ms);
	printf("report: %s/%s\n", out_dir, ri.complete ? "report.json" : "report.partial.json");
	if (interrupted) {
		fprintf(stderr, "tlsharness: interrupted; the report is marked incomplete\n");
		rc = 130;
	} else {
		rc = bad ? 1 : 0;
	}
out:
	cli_outdir_release(&od);
	results_free(res, n);
	for (size_t i = 0; i < nb; i++)
		backend_free(&b[i]);
	free(b);
	free(out_dir);
	free((char *)ri.command);
	json_decref(pl.rerun);
	if (rep.root)
		rl_free(&rep);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	int rc = cli_help_only(
	        "list", argc, argv,
	        "usage: tlsharness list [GLOB...]\n"
	        "\n"
	        "Every scenario whose id matches one of the globs (default all): its id and the\n"
	        "spec text it checks, one a line; the count goes to stderr. Exit status 2 when\n"
	        "no scenario matches.\n");
	if (rc >= 0)
		return rc;
	scen_register_all();
	size_t n;
	const struct scen_def *d = scen_all(&n);
	char **filters = argv + optind;
	size_t nf = (size_t)(argc - optind);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!id_matches(d[i].id, filters, nf))
			continue;
		printf("%-58s %s\n", d[i].id, d[i].spec ? d[i].spec : "");
		shown++;
	}
	if (!shown) {
		fprintf(stderr, "tlsharness: no scenario matches");
		for (size_t i = 0; i < nf; i++)
			fprintf(stderr, " '%s'", filters[i]);
		fputc('\n', stderr);
		return 2;
	}
	fflush(stdout);
	fprintf(stderr, "%zu scenario(s)\n", shown);
	return 0;
}

static int cmd_backends(int argc, char **argv)
{
	int rc = cli_help_only("backends", argc, argv,
	                       "usage: tlsharness backends\n"
	                       "\n"
	                       "The backends built into this tree, one name a line (mutants and "
	                       "paths to\n"
	                       "adapters are not listed, but 'run' takes them too).\n");
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_error("backends", "unexpected argument '%s'", argv[optind]);
	char **v = impl_list_builtin();
	for (size_t i = 0; v[i]; i++) {
		printf("%s\n", v[i]);
		free(v[i]);
	}
	free(v);
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	int rc = cli_help_only("probe", argc, argv,
	                       "usage: tlsharness probe NAME\n"
	                       "\n"
	                       "Loads backend NAME (a built backend, a mutant, or a path to an "
	                       "adapter .so)\n"
	                       "in a child process, validates its descriptor and prints its name, "
	                       "library\n"
	                       "version, path and capability bits. Exit status 2 when it cannot be "
	                       "loaded.\n");
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_error("probe", "probe takes one backend name");
	struct backend b;
	char err[700];
	if (backend_probe(argv[optind], &b, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		return 2;
	}
	printf("name: %s\nlibrary_version: %s\npath: %s\ncapabilities: 0x%llx\n", b.name,
	       b.library_version, b.path, (unsigned long long)b.caps);
	backend_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("tlsharness %s\n", HARNESS_VERSION);
		return 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
	        {"run", cmd_run},         {"list", cmd_list},         {"backends", cmd_backends},
	        {"probe", cmd_probe},     {"mutation", cmd_mutation}, {"serve", cmd_serve},
	        {"connect", cmd_connect}, {"record", cmd_record},     {"report", cmd_report},
	        {"compare", cmd_compare}, {"merge", cmd_merge}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return cli_error(NULL, "unknown option '%s' (options go after the command)", cmd);
	return cli_error(NULL, "unknown command '%s'", cmd);
}
