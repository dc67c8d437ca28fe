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

/* A mutant's own per-buffer state: a fixed table of MW_SLOTS states of one
 * type (the mutant's static array), each slot claimed by the buffer it
 * belongs to. When every slot is taken, a claim fails (NULL) and the mutant
 * passes that buffer's calls through to the base unchanged. Not locked: the
 * harness calls adapters from one thread. Declare one with
 *   static struct mystate states[MW_SLOTS];
 *   static struct mw_slots slots = MW_SLOTS_OF(states, my_init, my_fini);
 * init (may be NULL) runs on a claimed slot's zeroed state; fini (may be
 * NULL) runs on it before the slot is released. */
#define MW_SLOTS 256
struct mw_slots {
	void *states; /* MW_SLOTS states of `size` bytes each */
	size_t size;
	void (*init)(void *state, tlsh_buffer *b);
	void (*fini)(void *state);
	tlsh_buffer *key[MW_SLOTS]; /* the buffer of each slot, NULL when free */
};
#define MW_SLOTS_OF(array, init_fn, fini_fn)                                                       \
	{                                                                                          \
		.states = (array), .size = sizeof(array)[0], .init = (init_fn), .fini = (fini_fn)  \
	}

/* b's state, or NULL when it has none. */
void *mw_slot_find(struct mw_slots *t, tlsh_buffer *b);
/* b's state, claiming the first free slot for it (zeroed, then init) when it
 * has none; NULL when the table is full. */
void *mw_slot_get(struct mw_slots *t, tlsh_buffer *b);
/* Releases b's slot, if it has one (fini, then zeroed): call on buffer_free. */
void mw_slot_release(struct mw_slots *t, tlsh_buffer *b);

/* Set by a mutant that takes an argument (the text after ':' in
 * `mutant-NAME:ARG`): called with it on every entry-point call, the first
 * after mutant_patch. Nonzero refuses the load (the entry point returns
 * NULL). */
extern int (*mutant_arg_hook)(const char *arg);

#endif
