/* mutation.c - `tlsharness mutation`: runs every mutant listed in a manifest
 * (impls/mutants/mutants.json) against its base backend and checks that the
 * scenarios of the rule it breaks catch it: FAIL or HARNESS-ERROR (an ABI
 * rule the guards enforce, e.g. a write past cap) where the base itself
 * passes, or PASS-LOOSE (the alert the RFC names is missing) where the base
 * passes strictly. A base is a built backend, or a reference wrapper in
 * impls/mutants named "mutant-NAME" (a backend plus the rules its adapter
 * does not follow yet). Prints the score and the scenarios no mutant
 * catches. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "util.h"

#ifndef TLSH_MUTANTS_MANIFEST
#define TLSH_MUTANTS_MANIFEST "impls/mutants/mutants.json"
#endif

int cmd_mutation(int argc, char **argv);

struct mutant_spec {
	const char *name, *base, *role, *rule;
	/* Optional: the backend to run instead of mutant-NAME (a parametrised
	 * mutant "mutant-strict:split", or the base itself for a mutation of the
	 * harness), and one NAME=VALUE set in the environment for the run
	 * (the harness's mutation hooks: TLSH_MUTANT_REWRITER=off). */
	const char *adapter, *env;
	int only_catch; /* run only the scenarios of its rule */
	char **catch;
	size_t ncatch;
};

/* `base_index` (0 or 1) says which of a and b is the base backend; with
 * `puppet_rows` the misbehave scenarios run too (the other backend against
 * the base as the puppet). */
static int run_pairs(const char *a, const char *b, int base_index, int puppet_rows, int both,
                     char **filters, size_t nf, int jobs, double timeout, struct backend *bk,
                     struct result **res, size_t *n)
{
	char err[700];
	if (backend_probe(a, &bk[0], err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: mutation: %s\n", err);
		return -1;
	}
	if (backend_probe(b, &bk[1], err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: mutation: %s\n", err);
		backend_free(&bk[0]);
		return -1;
	}
	struct pair pairs[2] = {{0, 1}, {1, 0}};
	/* The base is the misbehaving peer too: misbehave scenarios run the
	 * other backend (the mutant, or the base's second copy) against it. */
	struct run_opts o = {.jobs = jobs,
	                     .timeout_s = timeout,
	                     .seed = 1,
	                     .quiet = 1,
	                     .has_puppet = puppet_rows,
	                     .puppet = base_index};
	*n = engine_run(bk, 2, pairs, both ? 2 : 1, filters, nf, &o, res);
	return 0;
}

static void mutation_usage(FILE *f)
{
	fputs("usage: tlsharness mutation [--manifest FILE] [-j N] [-t SECONDS] [--quick]\n"
	      "\n"
	      "Runs every mutant of the manifest (default impls/mutants/mutants.json, or\n"
	      "$TLSH_MUTANTS_MANIFEST) against its base backend and checks that the scenarios\n"
	      "of the rule it breaks catch it: a FAIL where the base passes, or a PASS-LOOSE\n"
	      "where the base passes strictly. Prints the score and the scenarios no mutant\n"
	      "catches.\n"
	      "\n"
	      "options:\n"
	      "  -m, --manifest FILE   the mutants (JSON: name, base, role, rule, catch)\n"
	      "  -j, --jobs N          parallel scenario processes, 1 to 64 (default 2)\n"
	      "  -t, --timeout SECONDS per scenario instance, 1 to 3600 (default 20)\n"
	      "  -q, --quick           only the scenarios each mutant should be caught by\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Exit status: 0 every mutant caught, 1 a mutant survived, 2 bad usage or input.\n",
	      f);
}

int cmd_mutation(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"manifest", required_argument, 0, 'm'}, {"jobs", required_argument, 0, 'j'},
	        {"timeout", required_argument, 0, 't'},  {"quick", no_argument, 0, 'q'},
	        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
	const char *manifest = getenv("TLSH_MUTANTS_MANIFEST");
	if (!manifest || !*manifest)
		manifest = TLSH_MUTANTS_MANIFEST;
	int jobs = 2, quick = 0;
	double timeout = 20;
	int c;
	long v;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:j:t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			manifest = optarg;
			break;
		case 'j':
			if (cli_parse_long(optarg, 1, 64, &v) != 0)
				return cli_error("mutation",
				                 "--jobs takes a number from 1 to 64, not '%s'",
				                 optarg);
			jobs = (int)v;
			break;
		case 't':
			if (cli_parse_long(optarg, 1, 3600, &v) != 0)
				return cli_error("mutation",
				                 "--timeout takes seconds from 1 to 3600, not '%s'",
				                 optarg);
			timeout = (double)v;
			break;
		case 'q':
			quick = 1;
			break;
		case 'h':
			mutation_usage(stdout);
			return 0;
		default:
			return cli_bad_option("mutation", c, argc, argv);
		}
	}
	if (optind < argc)
		return cli_error("mutation", "unexpected argument '%s'", argv[optind]);
	json_error_t je;
	json_t *root = json_load_file(manifest, 0, &je);
	if (!root) {
		if (je.line > 0)
			fprintf(stderr, "tlsharness mutation: %s:%d: %s\n", manifest, je.line,
			        je.text);
		else /* the file itself: "unable to open FILE: reason" */
			fprintf(stderr, "tlsharness mutation: %s\n", je.text);
		return 2;
	}
	json_t *list = json_object_get(root, "mutants");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		fprintf(stderr, "tlsharness: %s: no \"mutants\" array\n", manifest);
		json_decref(root);
		return 2;
	}
	size_t nm = json_array_size(list);
	struct mutant_spec *m = xcalloc(nm, sizeof *m);
	for (size_t i = 0; i < nm; i++) {
		json_t *e = json_array_get(list, i);
		m[i].name = json_string_value(json_object_get(e, "name"));
		m[i].base = json_string_value(json_object_get(e, "base"));
		m[i].role = json_string_value(json_object_get(e, "role"));
		m[i].rule = json_string_value(json_object_get(e, "rule"));
		m[i].only_catch = json_is_true(json_object_get(e, "only_catch"));
		m[i].adapter = json_string_value(json_object_get(e, "adapter"));
		m[i].env = json_string_value(json_object_get(e, "env"));
		if (m[i].env && (!strchr(m[i].env, '=') || strncmp(m[i].env, "TLSH_MUTANT_", 12))) {
			fprintf(stderr,
			        "tlsharness: %s: mutants[%zu] \"env\" must be "
			        "TLSH_MUTANT_NAME=VALUE\n",
			        manifest, i);
			free(m);
			json_decref(root);
			return 2;
		}
		json_t *cg = json_object_get(e, "catch");
		if (!m[i].name || !m[i].base || !m[i].role || !m[i].rule || !json_is_array(cg) ||
		    json_array_size(cg) == 0 ||
		    (strcmp(m[i].role, "client") && strcmp(m[i].role, "server") &&
		     strcmp(m[i].role, "both"))) {
			fprintf(stderr,
			        "tlsharness: %s: mutants[%zu] needs name, base, role "
			        "(client|server|both), rule and a non-empty catch list\n",
			        manifest, i);
			free(m);
			json_decref(root);
			return 2;
		}
		m[i].ncatch = json_array_size(cg);
		m[i].catch = xcalloc(m[i].ncatch, sizeof(char *));
		for (size_t k = 0; k < m[i].ncatch; k++)
			m[i].catch[k] = (char *)json_string_value(json_array_get(cg, k));
	}
	scen_register_all();
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	int *caught_by_any = xcalloc(ndefs, sizeof(int));
	int *base_passes = xcalloc(ndefs, sizeof(int));
	int *base_strict = xcalloc(ndefs, sizeof(int));

	/* Mutants over a base that is not built are skipped, not counted. */
	char **built = impl_list_builtin();
	size_t skipped = 0;
	for (size_t i = 0; i < nm; i++) {
		int found = 0;
		for (size_t k = 0; built[k]; k++)
			found |= !strcmp(built[k], m[i].base);
		if (!strncmp(m[i].base, "mutant-", 7)) {
			char why[300], *arg = NULL;
			char *path = impl_resolve(m[i].base, &arg, why, sizeof why);
			found = path != NULL;
			free(path);
			free(arg);
		}
		if (!found) {
			m[i].base = NULL;
			skipped++;
		}
	}
	for (size_t k = 0; built[k]; k++)
		free(built[k]);
	free(built);

	/* The base backends' own verdicts: a catch only counts where the base
	 * passes (otherwise the scenario would fail anyway). */
	const char *bases[16];
	size_t nbases = 0;
	for (size_t i = 0; i < nm; i++) {
		size_t k = 0;
		if (!m[i].base)
			continue;
		while (k < nbases && strcmp(bases[k], m[i].base))
			k++;
		if (k == nbases && nbases < 16)
			bases[nbases++] = m[i].base;
	}
	for (size_t k = 0; k < nbases; k++) {
		struct backend bk[2];
		struct result *res;
		size_t n;
		if (run_pairs(bases[k], bases[k], 1, 1, 0, NULL, 0, jobs, timeout, bk, &res, &n) !=
		    0)
			return 2;
		for (size_t r = 0; r < n; r++) {
			if (res[r].raw == V_PASS || res[r].raw == V_PASS_LOOSE)
				base_passes[res[r].def - defs] |= 1 << k;
			if (res[r].raw == V_PASS)
				base_strict[res[r].def - defs] |= 1 << k;
		}
		results_free(res, n);
		backend_free(&bk[0]);
		backend_free(&bk[1]);
	}

	size_t caught = 0;
	printf("%-24s %-7s %-8s %s\n", "mutant", "role", "result", "caught by");
	for (size_t i = 0; i < nm; i++) {
		char spec[160];
		if (!m[i].base)
			continue;
		if (m[i].adapter)
			fmt_into(spec, sizeof spec, "%s", m[i].adapter);
		else
			fmt_into(spec, sizeof spec, "mutant-%s", m[i].name);
		char envname[64] = "";
		if (m[i].env) {
			fmt_into(envname, sizeof envname, "%.*s", (int)strcspn(m[i].env, "="),
			         m[i].env);
			setenv(envname, strchr(m[i].env, '=') + 1, 1);
		}
		struct backend bk[2];
		struct result *res;
		size_t n;
		int both = !strcmp(m[i].role, "both");
		const char *a = spec, *b = m[i].base;
		if (!strcmp(m[i].role, "server")) {
			a = m[i].base;
			b = spec;
		}
		size_t bi = 0;
		while (bi < nbases && strcmp(bases[bi], m[i].base))
			bi++;
		int narrow = quick || m[i].only_catch;
		/* A mutant runs the misbehave scenarios only when its catch list
		 * names them (they are what it was made for): the others would
		 * spend minutes to catch nothing. */
		int puppet_rows = 0;
		for (size_t r = 0; r < ndefs && !puppet_rows; r++)
			puppet_rows = defs[r].row->puppet &&
			              id_matches(defs[r].id, m[i].catch, m[i].ncatch);
		if (run_pairs(a, b, a == m[i].base ? 0 : 1, puppet_rows, both,
		              narrow ? m[i].catch : NULL, narrow ? m[i].ncatch : 0, jobs, timeout,
		              bk, &res, &n) != 0)
			return 2;
		char list[600] = "";
		size_t off = 0, hits = 0;
		for (size_t r = 0; r < n; r++) {
			size_t di = (size_t)(res[r].def - defs);
			/* A FAIL where the base passes, or a PASS-LOOSE (the alert the
			 * RFC names went missing) where the base passes strictly. */
			int fail = (res[r].raw == V_FAIL || res[r].raw == V_HARNESS_ERROR) &&
			           (base_passes[di] & (1 << bi));
			int loose = res[r].raw == V_PASS_LOOSE && (base_strict[di] & (1 << bi));
			if (!fail && !loose)
				continue;
			caught_by_any[di] = 1;
			if (!id_matches(res[r].def->id, m[i].catch, m[i].ncatch))
				continue;
			if (hits++ < 4)
				off += (size_t)snprintf(list + off,
				                        off < sizeof list ? sizeof list - off : 0,
				                        "%s%s%s", hits > 1 ? ", " : "",
				                        res[r].def->id, loose ? " (loose)" : "");
		}
		if (hits > 4)
			snprintf(list + off, off < sizeof list ? sizeof list - off : 0,
			         " (+%zu more)", hits - 4);
		printf("%-24s %-7s %-8s %s\n", m[i].name, m[i].role, hits ? "caught" : "SURVIVED",
		       hits ? list : m[i].rule);
		caught += hits > 0;
		if (envname[0])
			unsetenv(envname);
		results_free(res, n);
		backend_free(&bk[0]);
		backend_free(&bk[1]);
	}
	size_t uncaught = 0, considered = 0;
	for (size_t i = 0; i < ndefs; i++) {
		if (!base_passes[i])
			continue;
		considered++;
		if (caught_by_any[i])
			continue;
		if (uncaught++ == 0)
			printf("\nScenarios no mutant catches yet%s:\n",
			       quick ? " (--quick: only catches a mutant's list names count)" : "");
		printf("  %s\n", defs[i].id);
	}
	printf("\nscenarios caught by at least one mutant: %zu of %zu\n", considered - uncaught,
	       considered);
	if (skipped)
		printf("(%zu mutant(s) skipped: their base backend is not built)\n", skipped);
	printf("mutation score: %zu/%zu mutants caught\n", caught, nm - skipped);
	for (size_t i = 0; i < nm; i++)
		free(m[i].catch);
	free(m);
	free(caught_by_any);
	free(base_passes);
	free(base_strict);
	json_decref(root);
	return caught == nm - skipped ? 0 : 1;
}
