/* mutant-alert-swallow: OpenSSL that never lets an alert out: alert records
 * (content type 21: every plaintext alert, and TLS 1.2's protected ones) are
 * dropped from process_outgoing, and last_error reports no alert sent. The
 * rows that name the alert a violation must draw (the misbehave family, the
 * failure rows of the others) must catch it (PASS-LOOSE where the base passes
 * strictly). */
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

const char mutant_name[] = "alert-swallow";

struct swstate {
	uint8_t pending[16384 + 2048 + 5]; /* the bytes of an unfinished record */
	size_t npending;
	uint8_t *out; /* records that may leave */
	size_t nout, cap;
};

static void swstate_fini(void *state)
{
	struct swstate *w = state;
	free(w->out);
}

static struct swstate states[MW_SLOTS];
static struct mw_slots slots = MW_SLOTS_OF(states, NULL, swstate_fini);

static void keep(struct swstate *w, const uint8_t *p, size_t n)
{
	if (w->nout + n > w->cap) {
		size_t cap = (w->nout + n) * 2;
		uint8_t *q = realloc(w->out, cap);
		if (!q)
			abort();
		w->out = q;
		w->cap = cap;
	}
	memcpy(w->out + w->nout, p, n);
	w->nout += n;
}

/* Takes what the base produced; whole records that are not alerts go on. */
static void pull(struct swstate *w, tlsh_buffer *b)
{
	uint8_t buf[16384 + 2048];
	for (;;) {
		size_t k = 0;
		if (base->process_outgoing(b, buf, sizeof buf, &k) != TLSH_OK || k == 0)
			break;
		for (size_t i = 0; i < k; i++) {
			if (w->npending < sizeof w->pending)
				w->pending[w->npending++] = buf[i];
			if (w->npending >= 5) {
				size_t len = (size_t)w->pending[3] << 8 | w->pending[4];
				if (w->npending == 5 + len || w->npending == sizeof w->pending) {
					if (w->pending[0] != 21)
						keep(w, w->pending, w->npending);
					w->npending = 0;
				}
			}
		}
	}
}

static int m_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct swstate *w = mw_slot_get(&slots, b);
	if (!w)
		return base->process_outgoing(b, dst, cap, n);
	pull(w, b);
	size_t k = w->nout < cap ? w->nout : cap;
	memcpy(dst, w->out, k);
	memmove(w->out, w->out + k, w->nout - k);
	w->nout -= k;
	*n = k;
	return TLSH_OK;
}

static size_t m_outgoing_bytes_buffered(tlsh_buffer *b)
{
	struct swstate *w = mw_slot_get(&slots, b);
	if (!w)
		return base->outgoing_bytes_buffered(b);
	pull(w, b);
	return w->nout;
}

static void m_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	base->last_error(b, err);
	err->alert_sent = TLSH_NO_ALERT;
}

static void (*frame_free)(tlsh_buffer *b);

static void m_buffer_free(tlsh_buffer *b)
{
	mw_slot_release(&slots, b);
	frame_free(b);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_outgoing = m_process_outgoing;
	d->outgoing_bytes_buffered = m_outgoing_bytes_buffered;
	d->last_error = m_last_error;
	frame_free = d->buffer_free;
	d->buffer_free = m_buffer_free;
}
