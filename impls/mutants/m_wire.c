/* mutant-wire:NAME - OpenSSL whose own outgoing bytes pass through the
 * harness's plaintext rewriter (harness/src/rewrite.c) with the named
 * mutation (rw_named: e.g. mutant-wire:sh-ext-unoffered as a server sends
 * a ServerHello with an extension the client never offered). It breaks the
 * passive wire rules on purpose, so that each rule of the oracle is shown to
 * catch a real peer (harness/tests/wire_mutant.sh). It observes what it
 * receives, so it knows when its direction turns encrypted.
 *
 * One mutation per process: loading it again with another NAME is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "wrap.h"

const char mutant_name[] = "wire";

static const struct rw_mutation *mutation;
static void (*frame_free)(tlsh_buffer *b);

/* Per-buffer state: the rewriter and what it let out but the harness has
 * not taken yet. */
struct wstate {
	struct rewriter *rw;
	struct bytes out;
	size_t off;
};

static void wstate_init(void *state, tlsh_buffer *b)
{
	struct wstate *w = state;
	w->rw = rw_new(mutation, mw_buffer_role(b) == TLSH_ROLE_SERVER ? 1 : 0);
}

static void wstate_fini(void *state)
{
	struct wstate *w = state;
	rw_free(w->rw);
	bytes_free(&w->out);
}

static struct wstate states[MW_SLOTS];
static struct mw_slots slots = MW_SLOTS_OF(states, wstate_init, wstate_fini);

static int m_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct wstate *w = mw_slot_get(&slots, b);
	if (!w)
		return base->process_outgoing(b, dst, cap, n);
	uint8_t buf[16384 + 2048];
	int pulled = 0;
	for (;;) {
		size_t k = 0;
		int st = base->process_outgoing(b, buf, sizeof buf, &k);
		if (st != TLSH_OK)
			return st;
		if (k == 0)
			break;
		rw_push(w->rw, buf, k, &w->out);
		pulled = 1;
	}
	if (pulled)
		rw_flush(w->rw, &w->out);
	size_t avail = w->out.len - w->off;
	size_t k = avail < cap ? avail : cap;
	memcpy(dst, w->out.data + w->off, k);
	w->off += k;
	if (w->off == w->out.len) {
		bytes_reset(&w->out);
		w->off = 0;
	}
	*n = k;
	return TLSH_OK;
}

static size_t m_outgoing_bytes_buffered(tlsh_buffer *b)
{
	struct wstate *w = mw_slot_find(&slots, b);
	size_t held = w ? w->out.len - w->off : 0;
	return held + base->outgoing_bytes_buffered(b);
}

static int m_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	int st = base->process_incoming(b, data, len);
	struct wstate *w = mw_slot_get(&slots, b);
	if (st == TLSH_OK && w)
		rw_observe(w->rw, data, len);
	return st;
}

static void m_buffer_free(tlsh_buffer *b)
{
	mw_slot_release(&slots, b);
	frame_free(b); /* the frame's bookkeeping, then the base's free */
}

static int check_arg(const char *arg)
{
	if (!arg || !*arg) {
		fprintf(stderr, "mutant-wire: name a mutation (mutant-wire:NAME), e.g. "
		                "mutant-wire:sh-ext-unoffered\n");
		return -1;
	}
	const struct rw_mutation *m = rw_named(arg);
	if (!m) {
		fprintf(stderr, "mutant-wire: unknown mutation '%s'\n", arg);
		return -1;
	}
	if (mutation && mutation != m) {
		fprintf(stderr, "mutant-wire: already loaded with %s; one mutation per process\n",
		        mutation->name);
		return -1;
	}
	mutation = m;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	mutant_arg_hook = check_arg;
	d->process_outgoing = m_process_outgoing;
	d->outgoing_bytes_buffered = m_outgoing_bytes_buffered;
	d->process_incoming = m_process_incoming;
	frame_free = d->buffer_free;
	d->buffer_free = m_buffer_free;
}
