/* report_load.h - reads tlsharness JSON reports back, for `tlsharness report`
 * (the HTML page) and `tlsharness compare`. A file that is not a report of
 * the schema this harness writes (unreadable, truncated or corrupt JSON,
 * another "schema" or "schema_version", a result without its key fields)
 * is refused with an error naming the file and the problem. */
#ifndef TLSH_REPORT_LOAD_H
#define TLSH_REPORT_LOAD_H

#include <jansson.h>
#include <stddef.h>

/* One result. Every string belongs to the report's JSON tree; optional text
 * fields are "" when absent, xfail_reason and transcript NULL. */
struct rl_result {
	const char *id, *family, *params, *title, *spec;
	const char *client, *server;
	int verdict, raw; /* enum verdict */
	const char *expected, *observed, *error;
	const char *xfail_reason;
	int alerts[4]; /* client sent, client received, server sent, server received; -1 none */
	double ms;
	const char *transcript;                 /* relative to the report's folder */
	const char *mutation, *stopped, *rules; /* misbehaving peer, wire rules; NULL: absent */
	const char *decrypted; /* encrypted phase: records decrypted by the harness; NULL: absent */
};

struct rl_report {
	char *path;
	char *dir; /* folder of the report: transcripts are relative to it */
	json_t *root;
	const char *started, *command, *harness_version;
	int complete;
	double wall_ms;
	size_t n;
	struct rl_result *r;
};

/* Loads and checks one report. Returns 0, or -1 with err set to
 * "PATH: problem". */
int rl_load(const char *path, struct rl_report *out, char *err, size_t errcap);
/* The same from text in memory; `path` names it in errors and gives the
 * folder transcripts are relative to. */
int rl_parse(const char *path, const void *data, size_t len, struct rl_report *out, char *err,
             size_t errcap);
void rl_free(struct rl_report *rep);

/* The identity of a result across runs: id, client, server (malloc'd). */
char *rl_key(const struct rl_result *r);
/* The same key from its parts (backend names, not specs). */
char *rl_instance_key(const char *id, const char *client, const char *server);

#endif
