/* report.h - the run report: versioned JSON (reports/schema/report-v1.json),
 * JUnit XML, and the terminal summary. Files are written atomically. */
#ifndef TLSH_REPORT_H
#define TLSH_REPORT_H

#include <stdio.h>

#include "engine.h"

#define REPORT_SCHEMA "tlsharness-report"
#define REPORT_SCHEMA_VERSION 1
/* Meson passes the project version (meson.build); a compile outside it (the
 * parser smoke-fuzzers of fuzz/harness) never writes a report. */
#ifdef TLSH_VERSION
#define HARNESS_VERSION TLSH_VERSION
#else
#define HARNESS_VERSION "unknown"
#endif

/* One input of `tlsharness merge`, recorded in run.merged_from. */
struct run_source {
	const char *report; /* path as given */
	const char *started, *command;
	double wall_ms;
	size_t results;
	int shard_index, shard_count;
};

struct run_info {
	const char *command;
	double started_unix;
	double wall_ms;
	int complete;
	int interrupted;
	int jobs;
	uint64_t seed;
	const char *endpoint_mode;
	int shard_index, shard_count; /* `run --shard K/N`; 0 0 when not sharded */
	const char *rerun_of;         /* `run --rerun REPORT`: that report's path */
	/* `merge`: the reports merged, in the order given. */
	const struct run_source *sources;
	size_t nsources;
};

/* The name reports give capability bit `bit` ("TLS12", ...), or NULL past
 * the last one. */

/* Builds the JSON text of a report (malloc'd). */
char *report_json(const struct run_info *ri, struct backend *b, size_t nb, const struct pair *pairs,
                  size_t npairs, const struct result *r, size_t n);
/* Builds JUnit XML (malloc'd). */
char *report_junit(const struct run_info *ri, struct backend *b, const struct result *r, size_t n);
/* Writes them into dir (report.json / junit.xml / summary.md, or
 * report.partial.json when !ri->complete). Returns 0 or -1 with err. */
int report_write(const char *dir, const struct run_info *ri, struct backend *b, size_t nb,
                 const struct pair *pairs, size_t npairs, const struct result *r, size_t n,
                 char *err, size_t errcap);
/* Builds summary.md (malloc'd), at most `cap` bytes: counts per verdict per
 * pair, the problems with their observed text, the XFAILs with reasons. For a
 * pull-request comment (report_md.c). */
#define REPORT_MD_CAP 60000
char *report_markdown(const struct run_info *ri, struct backend *b, const struct pair *pairs,
                      size_t npairs, const struct result *r, size_t n, size_t cap);
/* Prints counts per verdict and the bad results. */
void report_summary(FILE *f, struct backend *b, const struct result *r, size_t n, double wall_ms);
/* XML escaping into a growable buffer. */
void xml_escape(struct bytes *out, const char *s);

#endif
