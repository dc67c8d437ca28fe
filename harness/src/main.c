/* tlsharness - the command line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine.h"
#include "report.h"
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

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fputs("usage: tlsharness COMMAND [OPTIONS]\n"
	      "\n"
	      "commands:\n"
	      "  run        run scenarios for one or more (client, server) backend pairs\n"
	      "  list       list scenarios (id, capabilities, spec)\n"
	      "  backends   list the backends built into this tree\n"
	      "  probe NAME load a backend and print its descriptor\n"
	      "  mutation   run every mutant and check the scenarios catch it\n"
	      "  serve      accept one TLS connection on a TCP port (socket front-end)\n"
	      "  connect    make one TLS connection to HOST:PORT (socket front-end)\n"
	      "  record     fuzz seeds from the transcripts of report folders (record --help)\n"
	      "  report     one self-contained HTML page from JSON reports (report --help)\n"
	      "  compare    two runs (regressions, fixes) or two backends (compare --help)\n"
	      "\n"
	      "run options:\n"
	      "  -i, --impl NAME          NAME as client and server (repeatable)\n"
	      "  -c, --client NAME        client backend (with --server)\n"
	      "  -s, --server NAME        server backend (with --client)\n"
	      "  -m, --matrix A,B,...     every ordered pair of the listed backends\n"
	      "  -f, --filter GLOB        scenario ids to run (repeatable; default all)\n"
	      "  -j, --jobs N             parallel scenario processes (default 2)\n"
	      "  -t, --timeout SECONDS    per scenario instance (default 20)\n"
	      "  -o, --out DIR            report folder (default reports/out/LABEL)\n"
	      "      --seed N             seed for random splits (default 1)\n"
	      "      --endpoints MODE     auto | inproc | oop (default auto)\n"
	      "      --expectations NAME=FILE  expectations file for a backend\n"
	      "      --no-expectations    ignore expectations files\n"
	      "  -q, --quiet              no progress output\n"
	      "\n"
	      "NAME is a built backend (see 'backends'), a mutant, or a path to an adapter .so.\n"
	      "Exit status: 0 all good; 1 a FAIL, XPASS, CRASH, TIMEOUT or HARNESS-ERROR;\n"
	      "2 bad usage or input; 130 interrupted.\n",
	      f);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tlsharness: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see 'tlsharness --help')\n");
	return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
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
	*b = xrealloc(*b, (*nb + 1) * sizeof **b);
	(*b)[*nb] = nbk;
	return (int)(*nb)++;
}

static char *join_argv(int argc, char **argv)
{
	struct bytes o = {0};
	for (int i = 0; i < argc; i++) {
		if (i)
			bytes_append(&o, " ", 1);
		bytes_append(&o, argv[i], strlen(argv[i]));
	}
	bytes_append(&o, "", 1);
	return (char *)o.data;
}

static int cmd_run(int argc, char **argv)
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
	                                     {"quiet", no_argument, 0, 'q'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	char *impls[16], *filters[64], *exp_over[16];
	size_t nimpls = 0, nfilters = 0, nexp = 0;
	const char *client = NULL, *server = NULL, *matrix = NULL, *out = NULL;
	struct run_opts o = {.jobs = 2, .timeout_s = 20, .seed = 1, .use_expectations = 1};
	const char *mode_name = "auto";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:c:s:m:f:j:t:o:qh", opts, NULL)) != -1) {
		long v;
		switch (c) {
		case 'i':
			if (nimpls == 16)
				return bad_usage("too many --impl options%s", "");
			impls[nimpls++] = optarg;
			break;
		case 'c':
			client = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'm':
			matrix = optarg;
			break;
		case 'f':
			if (nfilters == 64)
				return bad_usage("too many --filter options%s", "");
			filters[nfilters++] = optarg;
			break;
		case 'j':
			if (parse_long(optarg, 1, 64, &v) != 0)
				return bad_usage("--jobs takes a number from 1 to 64, not '%s'",
				                 optarg);
			o.jobs = (int)v;
			break;
		case 't':
			if (parse_long(optarg, 1, 3600, &v) != 0)
				return bad_usage("--timeout takes seconds from 1 to 3600, not '%s'",
				                 optarg);
			o.timeout_s = (double)v;
			break;
		case 'o':
			out = optarg;
			break;
		case 1:
			if (parse_long(optarg, 0, 0x7fffffffL, &v) != 0)
				return bad_usage("--seed takes a non-negative number, not '%s'",
				                 optarg);
			o.seed = (uint64_t)v;
			break;
		case 2:
			if (!strcmp(optarg, "auto"))
				o.mode = EP_AUTO;
			else if (!strcmp(optarg, "inproc"))
				o.mode = EP_INPROC;
			else if (!strcmp(optarg, "oop"))
				o.mode = EP_OOP;
			else
				return bad_usage("--endpoints takes auto, inproc or oop, not '%s'",
				                 optarg);
			mode_name = optarg;
			break;
		case 3:
			if (!strchr(optarg, '=') || nexp == 16)
				return bad_usage("--expectations takes NAME=FILE, not '%s'",
				                 optarg);
			exp_over[nexp++] = optarg;
			break;
		case 4:
			o.use_expectations = 0;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return bad_usage("unknown or incomplete option%s", "");
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	int modes = (nimpls > 0) + (client || server) + (matrix != NULL);
	if (modes != 1)
		return bad_usage("give exactly one of --impl, --client/--server or --matrix%s", "");
	if ((client != NULL) != (server != NULL))
		return bad_usage("--client and --server go together%s", "");

	scen_register_all();
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	size_t nmatch = 0;
	for (size_t i = 0; i < ndefs; i++)
		nmatch += id_matches(defs[i].id, filters, nfilters);
	if (nmatch == 0) {
		fprintf(stderr, "tlsharness: no scenario matches the filter(s)");
		for (size_t i = 0; i < nfilters; i++)
			fprintf(stderr, " '%s'", filters[i]);
		fprintf(stderr, " (see 'tlsharness list')\n");
		return 2;
	}

	struct backend *b = NULL;
	size_t nb = 0;
	struct pair pairs[256];
	size_t npairs = 0;
	char label[256] = "";
	if (nimpls) {
		for (size_t i = 0; i < nimpls; i++) {
			int k = add_backend(&b, &nb, impls[i]);
			if (k < 0)
				return 2;
			pairs[npairs++] = (struct pair){k, k};
		}
		fmt_into(label, sizeof label, "%s", nimpls == 1 ? b[0].name : "multi");
	} else if (client) {
		int kc = add_backend(&b, &nb, client);
		if (kc < 0)
			return 2;
		int ks = add_backend(&b, &nb, server);
		if (ks < 0)
			return 2;
		pairs[npairs++] = (struct pair){kc, ks};
		fmt_into(label, sizeof label, "%s--%s", b[kc].name, b[ks].name);
	} else {
		char *list = xstrdup(matrix), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (add_backend(&b, &nb, t) < 0)
				return 2;
		}
		free(list);
		if (nb == 0)
			return bad_usage("--matrix needs at least one backend%s", "");
		if (nb * nb > 256)
			return bad_usage("--matrix: too many backends%s", "");
		for (size_t i = 0; i < nb; i++)
			for (size_t j = 0; j < nb; j++)
				pairs[npairs++] = (struct pair){(int)i, (int)j};
		fmt_into(label, sizeof label, "matrix");
	}
	/* Expectations. */
	if (o.use_expectations) {
		for (size_t i = 0; i < nb; i++) {
			char *path = NULL;
			for (size_t k = 0; k < nexp; k++) {
				size_t l = strcspn(exp_over[k], "=");
				if (strlen(b[i].name) == l && !strncmp(exp_over[k], b[i].name, l))
					path = xstrdup(exp_over[k] + l + 1);
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
				fprintf(stderr, "tlsharness: %s is for backend '%s', not '%s'\n",
				        path, b[i].exp.backend, b[i].name);
				free(path);
				return 2;
			}
			b[i].has_exp = 1;
			free(path);
		}
	}
	char *out_dir = out ? xstrdup(out) : xasprintf("reports/out/%s", label);
	if (mkdir_p(out_dir) != 0) {
		fprintf(stderr, "tlsharness: cannot create report folder %s: %s\n", out_dir,
		        strerror(errno));
		return 2;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct run_info ri = {.command = join_argv(argc, argv),
	                      .started_unix = (double)tv.tv_sec,
	                      .jobs = o.jobs,
	                      .seed = o.seed,
	                      .endpoint_mode = mode_name};
	if (!o.quiet) {
		fprintf(stderr, "tlsharness %s: %zu scenario(s) x %zu pair(s), -j %d\n",
		        HARNESS_VERSION, nmatch, npairs, o.jobs);
		for (size_t i = 0; i < nb; i++)
			fprintf(stderr, "  %-10s %s%s\n", b[i].name, b[i].library_version,
			        b[i].has_exp ? "" : " (no expectations file)");
	}
	struct progress pg = {.quiet = o.quiet,
	                      .tty = isatty(2),
	                      .start = now_ms(),
	                      .last_write = now_ms(),
	                      .out_dir = out_dir,
	                      .ri = &ri,
	                      .b = b,
	                      .nb = nb,
	                      .pairs = pairs,
	                      .npairs = npairs};
	o.on_result = on_result;
	o.arg = &pg;
	o.out_dir = out_dir;
	o.interrupted = &interrupted;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* The engine fills results in place; the progress callback reads them
	 * for partial reports. */
	struct result *res = NULL;
	o.results_view = &pg.all;
	o.total_view = &pg.total;
	size_t n = engine_run(b, nb, pairs, npairs, filters, nfilters, &o, &res);
	ri.wall_ms = now_ms() - pg.start;
	ri.interrupted = interrupted;
	ri.complete = !interrupted;
	char err[600];
	if (report_write(out_dir, &ri, b, nb, pairs, npairs, res, n, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		return 2;
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= verdict_is_bad(res[i].verdict);
	if (!o.quiet || bad)
		report_summary(stdout, b, res, n, ri.wall_ms);
	/* Stale expectations: entries that matched nothing are worth a note. */
	printf("report: %s/%s\n", out_dir, ri.complete ? "report.json" : "report.partial.json");
	results_free(res, n);
	for (size_t i = 0; i < nb; i++)
		backend_free(&b[i]);
	free(b);
	free(out_dir);
	free((char *)ri.command);
	if (interrupted) {
		fprintf(stderr, "tlsharness: interrupted; the report is marked incomplete\n");
		return 130;
	}
	return bad ? 1 : 0;
}

static int cmd_list(int argc, char **argv)
{
	scen_register_all();
	size_t n;
	const struct scen_def *d = scen_all(&n);
	char **filters = argv + 1;
	size_t nf = argc > 1 ? (size_t)(argc - 1) : 0;
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!id_matches(d[i].id, filters, nf))
			continue;
		printf("%-58s %s\n", d[i].id, d[i].spec ? d[i].spec : "");
		shown++;
	}
	if (!shown) {
		fprintf(stderr, "tlsharness: no scenario matches\n");
		return 2;
	}
	fflush(stdout);
	fprintf(stderr, "%zu scenario(s)\n", shown);
	return 0;
}

static int cmd_backends(void)
{
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
	if (argc != 2)
		return bad_usage("probe takes one backend name%s", "");
	struct backend b;
	char err[700];
	if (backend_probe(argv[1], &b, err, sizeof err) != 0) {
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
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "backends"))
		return cmd_backends();
	if (!strcmp(cmd, "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(cmd, "mutation"))
		return cmd_mutation(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "connect"))
		return cmd_connect(argc - 1, argv + 1);
	if (!strcmp(cmd, "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	fprintf(stderr, "tlsharness: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
