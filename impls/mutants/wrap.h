/* wrap.h - the shared frame of every mutant: a real backend (the "base",
 * another adapter plugin of this tree) wrapped with one deliberate deviation.
 * A mutant defines mutant_name, mutant_base and mutant_patch(), which swaps
 * some function pointers of the copied descriptor for its own; those call
 * through to `base` for everything else. The test suite asserts that the
 * scenarios of the rule a mutant breaks catch it. */
#ifndef TLSH_MUTANT_WRAP_H
#define TLSH_MUTANT_WRAP_H

#include "tlsh.h"

/* Defined by each mutant. The base backend is chosen at build time
 * (-DMUTANT_BASE="openssl"); a mutant built over another base than OpenSSL
 * is named mutant-NAME-BASE. */
extern const char mutant_name[];
void mutant_patch(struct tlsh_implementation *d);

/* The wrapped backend's descriptor (set before mutant_patch runs). */
extern const struct tlsh_implementation *base;

/* context_new / buffer_new through the base that also remember the role of
 * what they create; mutants that alter configs call these. */
int mw_context_new(enum tlsh_role role, const struct tlsh_config *cfg, tlsh_context **out,
                   struct tlsh_error *err);
int mw_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out, struct tlsh_error *err);
enum tlsh_role mw_buffer_role(tlsh_buffer *b);

/* Set by a mutant that alters configurations: called on a copy of every
 * config before context_new reaches the base. */
extern void (*mutant_config)(enum tlsh_role role, struct tlsh_config *c);

/* Per-buffer scratch flags for mutants that need state (0 initially). */
int *mw_flags(tlsh_buffer *b);

/* Set by a mutant that takes an argument (the text after ':' in
 * `mutant-NAME:ARG`): called with it on every entry-point call, the first
 * after mutant_patch. Nonzero refuses the load (the entry point returns
 * NULL). */
extern int (*mutant_arg_hook)(const char *arg);

#endif
