/* expect.h - a backend's expectations file: which scenarios are known to
 * deviate, and why. JSON, versioned:
 *
 *   {"schema": 1, "backend": "openssl",
 *    "expectations": [
 *      {"id": "alpn/no-overlap/(glob)", "role": "server", "peer": "*",
 *       "verdict": "XFAIL", "reason": "..."}]}
 *
 * `id` is a glob over scenario ids; or, instead of `id`, `rule` globs the
 * ids of the wire rules (oracle.h) this backend is known to break: a
 * scenario that FAILs only because of rules so listed (for the side that
 * broke each) is XFAIL, every other check having passed. `role` (client,
 * server, any; default any)
 * is the role this backend plays; `peer` (default "*") globs the other
 * backend's name. `verdict` must be "XFAIL"; `reason` is mandatory, at least
 * EXPECT_REASON_MIN characters. */
#ifndef TLSH_EXPECT_H
#define TLSH_EXPECT_H

#include <stddef.h>

#include "tlsh.h"

#define EXPECT_REASON_MIN 10

struct expectation {
	char *id;   /* NULL for a rule entry */
	char *rule; /* NULL for a scenario entry */
	int role;   /* 0 any, or TLSH_ROLE_* */
	char *peer;
	char *reason;
	int used; /* matched at least once in this run */
};

struct expectations {
	char *path;
	char *backend;
	struct expectation *v;
	size_t n;
};

/* Loads a file. Returns 0, or -1 with a message naming the file and the
 * problem. A missing file is an error here; callers decide whether a
 * backend without one is fine. */
int expect_load(const char *path, struct expectations *out, char *err, size_t errcap);
/* Parses from memory (for tests). */
int expect_parse(const char *text, size_t len, const char *origin, struct expectations *out,
                 char *err, size_t errcap);
void expect_free(struct expectations *e);
/* First entry matching scenario `id` with this backend in `role` against
 * `peer`, or NULL. */
struct expectation *expect_match(struct expectations *e, const char *id, int role,
                                 const char *peer);
/* First rule entry matching wire rule `rule` broken by this backend in
 * `role` against `peer`, or NULL. */
struct expectation *expect_match_rule(struct expectations *e, const char *rule, int role,
                                      const char *peer);

#endif
