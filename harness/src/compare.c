/* compare.c - `tlsharness compare`: two runs (regressions, fixes, other
 * verdict changes, new and removed scenario instances), or two backends
 * within runs (where backend A and backend B behave differently on the same
 * scenario), as text. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "endpoint.h"
#include "report_load.h"
#include "util.h"
#include "verdict.h"

int cmd_compare(int argc, char **argv);

static void compare_usage(FILE *f)
{
	fputs("usage: tlsharness compare OLD.json NEW.json\n"
	      "       tlsharness compare --backends A B REPORT.json [REPORT.json ...]\n"
	      "\n"
	      "OLD NEW: results are matched by (scenario id, client, server) and listed as\n"
	      "  regressions  PASS, PASS-LOOSE, XFAIL or UNSUPPORTED before; FAIL, XPASS, CRASH,\n"
	      "               TIMEOUT or HARNESS-ERROR now\n"
	      "  fixes        the other way round\n"
	      "  other verdict changes, new and removed scenario instances.\n"
	      "  Exit status: 1 if there is a regression, 0 if not, 2 on bad input.\n"
	      "\n"
	      "--backends A B: every scenario where A and B behave differently (another verdict\n"
	      "  or other alerts), side by side: A's self pair against B's self pair, A against\n"
	      "  B as the client with the same server, and as the server with the same client.\n"
	      "  Several reports are merged (a later one wins for the same id, client, server).\n"
	      "  Exit status 0, or 2 on bad input.\n"
	      "\n"
	      "options:\n"
	      "      --observed    (--backends) also list scenarios whose verdict and alerts "
	      "agree\n"
	      "                    but whose observed text differs\n"
	      "  -w, --width N     text width for side-by-side output (default $COLUMNS or 120)\n"
	      "  -h, --help\n",
	      f);
}

static int compare_bad_usage(const char *msg)
{
	return cli_error("compare", "%s", msg);
}

/* A merged set of results, indexed by rl_key. */
struct rset {
	json_t *index; /* key -> position in r */
	const struct rl_result **r;
	size_t n, cap;
};

static void rset_put(struct rset *s, const struct rl_result *x)
{
	if (!s->index)
		s->index = json_object();
	char *key = rl_key(x);
	json_t *at = json_object_get(s->index, key);
	if (at) {
		s->r[json_integer_value(at)] = x;
	} else {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 256;
			s->r = xrealloc(s->r, s->cap * sizeof *s->r);
		}
		json_object_set_new(s->index, key, json_integer((json_int_t)s->n));
		s->r[s->n++] = x;
	}
	free(key);
}

static const struct rl_result *rset_get(const struct rset *s, const char *id, const char *client,
                                        const char *server)
{
	char *key = rl_instance_key(id, client, server);
	json_t *at = s->index ? json_object_get(s->index, key) : NULL;
	free(key);
	return at ? s->r[json_integer_value(at)] : NULL;
}

static void rset_free(struct rset *s)
{
	json_decref(s->index);
	free(s->r);
}

/* ---- OLD NEW --------------------------------------------------------------- */

struct change {
	const struct rl_result *old, *new;
};

struct changes {
	struct change *v;
	size_t n, cap;
};

static void changes_add(struct changes *c, const struct rl_result *o, const struct rl_result *n)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = (struct change){o, n};
}

static void print_text(const char *label, const char *s)
{
	if (s && *s)
		printf("        %s%s\n", label, s);
}

static void print_changes(const char *title, const struct changes *c, int show_reason)
{
	if (!c->n)
		return;
	printf("\n%s (%zu):\n", title, c->n);
	for (size_t i = 0; i < c->n; i++) {
		const struct rl_result *o = c->v[i].old, *n = c->v[i].new;
		const struct rl_result *x = n ? n : o;
		char v[64];
		if (o && n)
			fmt_into(v, sizeof v, "%s -> %s", verdict_name(o->verdict),
			         verdict_name(n->verdict));
		else
			fmt_into(v, sizeof v, "%s", verdict_name(x->verdict));
		printf("  %-27s %s  [%s -> %s]\n", v, x->id, x->client, x->server);
		if (n && (verdict_is_bad(n->verdict) || (o && o->verdict != n->verdict)))
			print_text(o ? "now: " : "", n->observed);
		if (show_reason && n && n->xfail_reason &&
		    (n->verdict == V_XFAIL || n->verdict == V_XPASS))
			print_text("expected to fail: ", n->xfail_reason);
	}
}

static void describe(const char *which, const struct rl_report *r)
{
	printf("  %s %s  (%zu results, started %s%s)\n", which, r->path, r->n,
	       *r->started ? r->started : "?", r->complete ? "" : ", INCOMPLETE run");
}

static char *pair_key(const struct rl_result *x)
{
	return xasprintf("%s\x1f%s", x->client, x->server);
}

/* Pairs (client, server) of a report -> number of results. */
static json_t *pair_counts(const struct rl_report *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < r->n; i++) {
		char *k = pair_key(&r->r[i]);
		json_t *v = json_object_get(o, k);
		json_object_set_new(o, k, json_integer(v ? json_integer_value(v) + 1 : 1));
		free(k);
	}
	return o;
}

/* New or removed instances: a pair that the other report does not have at
 * all is one line, the rest one line each. */
static void print_membership(const char *title, const struct changes *c, const struct rl_report *in,
                             const struct rl_report *other, const char *other_name)
{
	if (!c->n)
		return;
	json_t *mine = pair_counts(in), *theirs = pair_counts(other), *done = json_object();
	struct changes rest = {0};
	printf("\n%s (%zu):\n", title, c->n);
	for (size_t i = 0; i < c->n; i++) {
		const struct rl_result *x = c->v[i].new ? c->v[i].new : c->v[i].old;
		char *k = pair_key(x);
		if (json_object_get(theirs, k) || (c->v[i].new &&verdict_is_bad(x->verdict)))
			changes_add(&rest, c->v[i].old, c->v[i].new);
		if (!json_object_get(theirs, k) && !json_object_get(done, k)) {
			json_object_set_new(done, k, json_true());
			printf("  [%s -> %s]  all %lld instance(s): the pair is not in %s\n",
			       x->client, x->server,
			       (long long)json_integer_value(json_object_get(mine, k)), other_name);
		}
		free(k);
	}
	for (size_t i = 0; i < rest.n; i++) {
		const struct rl_result *x = rest.v[i].new ? rest.v[i].new : rest.v[i].old;
		printf("  %-27s %s  [%s -> %s]\n", verdict_name(x->verdict), x->id, x->client,
		       x->server);
		if (rest.v[i].new &&verdict_is_bad(x->verdict))
			print_text("", x->observed);
	}
	free(rest.v);
	json_decref(mine);
	json_decref(theirs);
	json_decref(done);
}

static int compare_runs(const char *old_path, const char *new_path)
{
	struct rl_report old, new;
	char err[700];
	if (rl_load(old_path, &old, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness compare: %s\n", err);
		return 2;
	}
	if (rl_load(new_path, &new, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness compare: %s\n", err);
		rl_free(&old);
		return 2;
	}
	struct rset os = {0}, ns = {0};
	for (size_t i = 0; i < old.n; i++)
		rset_put(&os, &old.r[i]);
	for (size_t i = 0; i < new.n; i++)
		rset_put(&ns, &new.r[i]);
	struct changes reg = {0}, fix = {0}, other = {0}, added = {0}, removed = {0};
	size_t same = 0;
	for (size_t i = 0; i < new.n; i++) {
		const struct rl_result *n = &new.r[i];
		const struct rl_result *o = rset_get(&os, n->id, n->client, n->server);
		if (!o)
			changes_add(&added, NULL, n);
		else if (o->verdict == n->verdict)
			same++;
		else if (!verdict_is_bad(o->verdict) && verdict_is_bad(n->verdict))
			changes_add(&reg, o, n);
		else if (verdict_is_bad(o->verdict) && !verdict_is_bad(n->verdict))
			changes_add(&fix, o, n);
		else
			changes_add(&other, o, n);
	}
	for (size_t i = 0; i < old.n; i++) {
		const struct rl_result *o = &old.r[i];
		if (!rset_get(&ns, o->id, o->client, o->server))
			changes_add(&removed, o, NULL);
	}
	printf("tlsharness compare\n");
	describe("old:", &old);
	describe("new:", &new);
	print_changes("Regressions", &reg, 1);
	print_changes("Fixes", &fix, 1);
	print_changes("Other verdict changes", &other, 1);
	print_membership("New scenario instances", &added, &new, &old, "OLD");
	print_membership("Removed scenario instances", &removed, &old, &new, "NEW");
	printf("\n%zu regression(s), %zu fix(es), %zu other change(s), %zu new, %zu removed; "
	       "%zu unchanged\n",
	       reg.n, fix.n, other.n, added.n, removed.n, same);
	if (!old.complete || !new.complete)
		printf("note: %s is an incomplete run: instances it lacks may only not have run\n",
		       !new.complete ? new.path : old.path);
	int rc = reg.n ? 1 : 0;
	free(reg.v);
	free(fix.v);
	free(other.v);
	free(added.v);
	free(removed.v);
	rset_free(&os);
	rset_free(&ns);
	rl_free(&old);
	rl_free(&new);
	return rc;
}

/* ---- --backends A B ------------------------------------------------------- */

static void alerts_text(const struct rl_result *x, char *buf, size_t cap)
{
	static const char *const what[4] = {"client sent", "client received", "server sent",
	                                    "server received"};
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < 4; k++) {
		if (x->alerts[k] < 0)
			continue;
		len += strlen(fmt_into(buf + len, cap - len, "%s%s %s",
		                       len ? ", " : "alerts: ", what[k], alert_name(x->alerts[k])));
		if (len + 1 >= cap)
			break;
	}
	if (!len)
		fmt_into(buf, cap, "alerts: none");
}

static int same_alerts(const struct rl_result *a, const struct rl_result *b)
{
	return memcmp(a->alerts, b->alerts, sizeof a->alerts) == 0;
}

/* Wraps `s` into lines of at most `w` columns (breaking at spaces where it
 * can) and appends them to lines[]. */
static void wrap(const char *s, int w, char ***lines, size_t *n)
{
	size_t len = strlen(s);
	while (len > 0) {
		size_t take = len <= (size_t)w ? len : (size_t)w;
		if (take < len) {
			size_t sp = take;
			while (sp > (size_t)w / 2 && s[sp] != ' ')
				sp--;
			if (s[sp] == ' ')
				take = sp;
		}
		*lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
		(*lines)[(*n)++] = xasprintf("%.*s", (int)take, s);
		s += take;
		len -= take;
		while (*s == ' ') {
			s++;
			len--;
		}
	}
}

static void side_lines(const struct rl_result *x, int w, char ***lines, size_t *n)
{
	char buf[512];
	fmt_into(buf, sizeof buf, "%s -> %s: %s", x->client, x->server, verdict_name(x->verdict));
	wrap(buf, w, lines, n);
	alerts_text(x, buf, sizeof buf);
	wrap(buf, w, lines, n);
	wrap(x->observed, w, lines, n);
	if (x->xfail_reason && (x->verdict == V_XFAIL || x->verdict == V_XPASS)) {
		char *r = xasprintf("expected to fail: %s", x->xfail_reason);
		wrap(r, w, lines, n);
		free(r);
	}
}

static void print_side_by_side(const struct rl_result *a, const struct rl_result *b, int width)
{
	int w = (width - 5) / 2;
	char **l = NULL, **r = NULL;
	size_t nl = 0, nr = 0;
	side_lines(a, w, &l, &nl);
	side_lines(b, w, &r, &nr);
	for (size_t i = 0; i < nl || i < nr; i++) {
		printf("  %-*s | %s\n", w, i < nl ? l[i] : "", i < nr ? r[i] : "");
	}
	for (size_t i = 0; i < nl; i++)
		free(l[i]);
	for (size_t i = 0; i < nr; i++)
		free(r[i]);
	free(l);
	free(r);
}

/* One comparison: scenario by scenario, pair (ac, as) against pair (bc, bs). */
struct cmp_group {
	char title[300];
	const char *ac, *as, *bc, *bs;
	size_t both, diff, verdicts;
};

static int differ(const struct rl_result *a, const struct rl_result *b, int observed)
{
	return a->verdict != b->verdict || !same_alerts(a, b) ||
	       (observed && strcmp(a->observed, b->observed) != 0);
}

/* Counts (print == 0) or prints (print == 1) the differences of a group. */
static void compare_group(const struct rset *s, const char **ids, size_t nids, struct cmp_group *g,
                          int observed, int width, int print)
{
	for (size_t i = 0; i < nids; i++) {
		const struct rl_result *a = rset_get(s, ids[i], g->ac, g->as);
		const struct rl_result *b = rset_get(s, ids[i], g->bc, g->bs);
		if (!a || !b)
			continue;
		int d = differ(a, b, observed);
		if (!print) {
			g->both++;
			g->diff += d;
			g->verdicts += a->verdict != b->verdict;
			continue;
		}
		if (!d)
			continue;
		printf("\n%s  (%s differ)\n", ids[i],
		       a->verdict != b->verdict ? "verdicts"
		       : !same_alerts(a, b)     ? "alerts"
		                                : "observed texts");
		print_side_by_side(a, b, width);
	}
}

static int compare_backends(const char *a, const char *b, char **paths, int npaths, int observed,
                            int width)
{
	struct rl_report *reps = xcalloc((size_t)npaths, sizeof *reps);
	char err[700];
	int rc = 0;
	struct rset s = {0};
	json_t *seen_ids = json_object(), *backends = json_array();
	const char **ids = NULL;
	size_t nids = 0;
	for (int i = 0; i < npaths && rc == 0; i++) {
		if (rl_load(paths[i], &reps[i], err, sizeof err) != 0) {
			fprintf(stderr, "tlsharness compare: %s\n", err);
			rc = 2;
			break;
		}
		for (size_t k = 0; k < reps[i].n; k++) {
			const struct rl_result *x = &reps[i].r[k];
			rset_put(&s, x);
			if (!json_object_get(seen_ids, x->id)) {
				json_object_set_new(seen_ids, x->id, json_true());
				ids = xrealloc(ids, (nids + 1) * sizeof *ids);
				ids[nids++] = x->id;
			}
			for (int side = 0; side < 2; side++) {
				const char *name = side ? x->server : x->client;
				size_t j;
				json_t *v;
				int found = 0;
				json_array_foreach(backends, j, v) found |=
				        !strcmp(json_string_value(v), name);
				if (!found)
					json_array_append_new(backends, json_string(name));
			}
		}
	}
	int has_a = 0, has_b = 0;
	size_t j, nb = json_array_size(backends);
	json_t *v;
	json_array_foreach(backends, j, v)
	{
		has_a |= !strcmp(json_string_value(v), a);
		has_b |= !strcmp(json_string_value(v), b);
	}
	if (rc == 0 && (!has_a || !has_b)) {
		fprintf(stderr, "tlsharness compare: no result has backend '%s' (the reports have:",
		        !has_a ? a : b);
		json_array_foreach(backends, j, v) fprintf(stderr, " %s", json_string_value(v));
		fprintf(stderr, ")\n");
		rc = 2;
	}
	if (rc == 0) {
		/* A's self pair against B's; then A against B in the same role
		 * with the same peer. */
		size_t ng = 0;
		struct cmp_group *g = xcalloc(1 + 2 * nb, sizeof *g);
		g[ng++] = (struct cmp_group){
		        .title = "self pairs", .ac = a, .as = a, .bc = b, .bs = b};
		for (int role = 0; role < 2; role++)
			json_array_foreach(backends, j, v)
			{
				const char *peer = json_string_value(v);
				struct cmp_group *x = &g[ng++];
				fmt_into(x->title, sizeof x->title, "as the %s, %s %s",
				         role ? "server" : "client", role ? "client" : "server",
				         peer);
				x->ac = role ? peer : a;
				x->as = role ? a : peer;
				x->bc = role ? peer : b;
				x->bs = role ? b : peer;
			}
		size_t total = 0, verdicts = 0;
		for (size_t k = 0; k < ng; k++) {
			compare_group(&s, ids, nids, &g[k], observed, width, 0);
			total += g[k].diff;
			verdicts += g[k].verdicts;
		}
		printf("tlsharness compare --backends %s %s (%zu result(s) from %d report(s))\n", a,
		       b, s.n, npaths);
		printf("a difference is another verdict or other alerts%s; left %s, right %s\n\n",
		       observed ? " or another observed text" : "", a, b);
		for (size_t k = 0; k < ng; k++)
			if (g[k].both)
				printf("  %-40s [%s -> %s] vs [%s -> %s]: %zu of %zu differ (%zu "
				       "in the "
				       "verdict)\n",
				       g[k].title, g[k].ac, g[k].as, g[k].bc, g[k].bs, g[k].diff,
				       g[k].both, g[k].verdicts);
		for (size_t k = 0; k < ng; k++) {
			if (!g[k].diff)
				continue;
			printf("\n== %s: [%s -> %s] vs [%s -> %s]: %zu of %zu scenario(s) differ\n",
			       g[k].title, g[k].ac, g[k].as, g[k].bc, g[k].bs, g[k].diff,
			       g[k].both);
			compare_group(&s, ids, nids, &g[k], observed, width, 1);
		}
		printf("\n%s vs %s: %zu difference(s), %zu of them in the verdict\n", a, b, total,
		       verdicts);
		free(g);
	}
	for (int i = 0; i < npaths; i++)
		rl_free(&reps[i]);
	free(reps);
	free(ids);
	rset_free(&s);
	json_decref(seen_ids);
	json_decref(backends);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {{"backends", no_argument, 0, 'b'},
	                                     {"observed", no_argument, 0, 'O'},
	                                     {"width", required_argument, 0, 'w'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	int backends = 0, observed = 0, width = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			backends = 1;
			break;
		case 'O':
			observed = 1;
			break;
		case 'w': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 40 || v > 1000)
				return compare_bad_usage("--width takes a number from 40 to 1000");
			width = (int)v;
			break;
		}
		case 'h':
			compare_usage(stdout);
			return 0;
		default:
			return cli_bad_option("compare", c, argc, argv);
		}
	}
	if (!width) {
		const char *cols = getenv("COLUMNS");
		width = cols && atoi(cols) >= 40 ? atoi(cols) : 120;
	}
	int npos = argc - optind;
	if (backends) {
		if (npos < 3)
			return compare_bad_usage("--backends takes two backend names and at least "
			                         "one report");
		if (!strcmp(argv[optind], argv[optind + 1]))
			return compare_bad_usage("--backends takes two different backends");
		return compare_backends(argv[optind], argv[optind + 1], argv + optind + 2, npos - 2,
		                        observed, width);
	}
	if (observed)
		return compare_bad_usage("--observed goes with --backends");
	if (npos != 2)
		return compare_bad_usage("give two reports: OLD.json NEW.json");
	return compare_runs(argv[optind], argv[optind + 1]);
}
