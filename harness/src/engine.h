/* engine.h - runs scenarios: one child process per scenario instance, a
 * time limit each, N workers, expectations applied, results collected. */
#ifndef TLSH_ENGINE_H
#define TLSH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "expect.h"
#include "scenario.h"
#include "verdict.h"

struct backend {
	char *spec; /* what the user typed */
	char *name; /* descriptor name */
	char *library_version;
	char *path;
	uint64_t caps;
	struct expectations exp;
	int has_exp;
};

enum endpoint_mode {
	EP_AUTO = 0, /* same backend: in-process; different: server out of process */
	EP_INPROC,   /* both in the scenario process (clashing libraries crash) */
	EP_OOP,      /* both endpoints out of process */
};

struct result {
	const struct scen_def *def;
	int client, server;   /* backend indices */
	enum verdict verdict; /* final, after expectations */
	enum verdict raw;     /* what the scenario itself concluded */
	char *expected, *observed, *detail;
	char *xfail_reason;
	int alerts[4]; /* client sent, client received, server sent, server received */
	int client_status, server_status;
	double ms;
	char *transcript; /* path relative to the output folder, or NULL */
	/* Misbehaving peer: the mutation applied and where the backend under
	 * test stopped; the wire rules broken ("side:rule-id ..."), when they
	 * alone made the scenario FAIL; the protected records as the harness
	 * decrypted them (encrypted phase). NULL when empty. */
	char *mutation, *stopped, *rules, *decrypted;
};

struct run_opts {
	int jobs;
	double timeout_s;
	uint64_t seed;
	enum endpoint_mode mode;
	const char *out_dir; /* transcripts go below it; NULL: none kept */
	int quiet;
	int use_expectations;
	/* Called after each result (progress, partial reports). */
	void (*on_result)(const struct result *r, size_t done, size_t total, void *arg);
	void *arg;
	volatile int *interrupted; /* set by a signal handler: stop early */
	/* If set, receive the result array (filled in place) and its size as
	 * soon as the run starts, for partial reports. */
	struct result **results_view;
	size_t *total_view;
	/* If set, only the planned instances (every pair x every scenario the
	 * filters match) for which it returns nonzero are part of the run
	 * (`run --shard`, `run --rerun`). */
	int (*keep)(const struct scen_def *d, const struct backend *client,
	            const struct backend *server, void *arg);
	void *keep_arg;
	/* The misbehaving peer: puppet rows (catalog.h) run once for every
	 * backend of `pairs`, against the puppet (a client-role row: client =
	 * the backend, server = the puppet; a server-role row the other way
	 * round). Without a puppet they are not run. */
	int has_puppet;
	int puppet;      /* backend index */
	int puppet_self; /* 0: the puppet itself is not a backend under test */
	/* One-side rows (catalog.h): 1 + the index of the reference backend
	 * that plays the other side; 0: none, every pair runs them. */
	int ref1;
};

/* Whether the instance (d, client, server) of a pair is planned: a
 * one-side row runs in self pairs and where the other side is the
 * reference backend (o->ref1), every other row in every pair. */
int plan_pair_keeps(const struct scen_def *d, int client, int server, const struct run_opts *o);

/* Probes a backend in a child process (a crashing entry point cannot take
 * the harness down): fills name, version, caps. Returns 0 or -1 + err. */
int backend_probe(const char *spec, struct backend *b, char *err, size_t errcap);
void backend_free(struct backend *b);

/* A (client, server) pair of backend indices. */
struct pair {
	int client, server;
};

/* Runs every registered scenario whose id matches one of `filters` (all if
 * nfilters == 0) for every pair. Results are returned in a stable order
 * (pair, then registration order). Returns the number of results. */
size_t engine_run(struct backend *b, size_t nb, const struct pair *pairs, size_t npairs,
                  char **filters, size_t nfilters, const struct run_opts *o, struct result **out);
void results_free(struct result *r, size_t n);

/* Whether a scenario id matches any filter glob. */
int id_matches(const char *id, char **filters, size_t nfilters);

#endif
