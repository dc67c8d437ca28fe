/* verdict.h - the verdicts of DESIGN.md. */
#ifndef TLSH_VERDICT_H
#define TLSH_VERDICT_H

enum verdict {
	V_PASS = 0,
	V_PASS_LOOSE, /* right outcome, wrong or missing alert */
	V_FAIL,
	V_UNSUPPORTED, /* a capability the backend does not declare */
	V_XFAIL,       /* failed as the expectations file says */
	V_XPASS,       /* listed in the expectations file but passed */
	V_CRASH,
	V_TIMEOUT,
	V_HARNESS_ERROR,
	V_COUNT
};

const char *verdict_name(enum verdict v);
/* Parses a verdict name ("PASS", "XFAIL", ...). Returns -1 if unknown. */
int verdict_parse(const char *s);
/* Whether a verdict makes the run's exit status non-zero. */
int verdict_is_bad(enum verdict v);

#endif
