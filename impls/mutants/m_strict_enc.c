/* mutant-strict-enc:RULE - OpenSSL that follows its own incoming protected
 * records (its exported secrets and the harness's rewriter, rewrite.h, as a
 * pure decryptor) and breaks one rule of the encrypted phase that the RFCs
 * say to honour: the misbehave-encrypted rows that expect tolerance, or that
 * data after close_notify is ignored, must catch it. RULE:
 *   padding           refuses a TLS 1.3 record with padding (RFC 8446 5.4
 *                     allows it): the buffer fails (TLS_ERROR);
 *   nst-extension     refuses a NewSessionTicket with any extension (RFC 8446
 *                     4.6.1: unknown ones are ignored);
 *   data-after-close  returns from read the application data that came after
 *                     the peer's close_notify (RFC 8446 6.1: ignored);
 *   hello-request     fails on a HelloRequest instead of ignoring or refusing
 *                     it (RFC 5246 7.4.1.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tlsmsg.h"
#include "wrap.h"

const char mutant_name[] = "strict-enc";

enum rule { R_PADDING, R_NST_EXT, R_AFTER_CLOSE, R_HELLO_REQUEST };

static const struct {
	const char *name;
	enum rule r;
} rules[] = {
        {"padding", R_PADDING},
        {"nst-extension", R_NST_EXT},
        {"data-after-close", R_AFTER_CLOSE},
        {"hello-request", R_HELLO_REQUEST},
};

static int rule = -1;

/* A rewriter whose mutation matches nothing: it only decrypts. */
static const struct rw_mutation follow = {
        .name = "follow", .enc = RW_ENC_HS, .msg = 0xfe, .op = RW_XOR};

struct sestate {
	struct rewriter *rw;
	int failed;
	int closed;         /* the peer's close_notify was opened */
	struct bytes late;  /* application data opened after it */
	struct bytes pend;  /* incoming bytes the base took, not yet followed */
	tlsh_secret_fn hcb; /* the harness's own receiver, if it set one */
	void *harg;
};

static void on_secret(void *arg, const char *label, const uint8_t *cr, const uint8_t *secret,
                      size_t len)
{
	struct sestate *w = arg;
	rw_secret(w->rw, label, cr, secret, len);
	if (w->hcb)
		w->hcb(w->harg, label, cr, secret, len);
}

static void on_open(void *arg, uint8_t type, const uint8_t *c, size_t n, size_t padding)
{
	struct sestate *w = arg;
	switch (rule) {
	case R_PADDING:
		w->failed |= padding > 0;
		break;
	case R_NST_EXT:
		for (size_t p = 0; type == TLS_CT_HANDSHAKE && p + 4 <= n;) {
			size_t ml = (size_t)c[p + 1] << 16 | (size_t)c[p + 2] << 8 | c[p + 3];
			if (c[p] == TLS_HS_NEW_SESSION_TICKET && p + 4 + ml <= n) {
				/* lifetime, age_add, nonce<1>, ticket<2>, extensions<2> */
				struct tcur k = tcur_of(c + p + 4, ml);
				tcur_take(&k, 4);
				tcur_take(&k, 4);
				tcur_vec(&k, 1);
				tcur_vec(&k, 2);
				struct tcur e = tcur_vec(&k, 2);
				w->failed |= !k.bad && e.n > 0;
			}
			p += 4 + ml;
		}
		break;
	case R_HELLO_REQUEST:
		w->failed |= type == TLS_CT_HANDSHAKE && n >= 4 && c[0] == TLS_HS_HELLO_REQUEST;
		break;
	case R_AFTER_CLOSE:
		if (type == TLS_CT_ALERT && n == 2 && c[1] == 0)
			w->closed = 1;
		else if (type == TLS_CT_APPDATA && w->closed)
			bytes_append(&w->late, c, n);
		break;
	}
}

static int (*frame_buffer_new)(tlsh_context *, const char *, tlsh_buffer **, struct tlsh_error *);
static void (*frame_free)(tlsh_buffer *b);

static void sestate_init(void *state, tlsh_buffer *b)
{
	struct sestate *w = state;
	w->rw = rw_new(&follow, mw_buffer_role(b) == TLSH_ROLE_SERVER ? 0 : 1);
	rw_on_open(w->rw, on_open, w);
	if (base->set_secret_callback)
		base->set_secret_callback(b, on_secret, w);
}

static void sestate_fini(void *state)
{
	struct sestate *w = state;
	rw_free(w->rw);
	bytes_free(&w->late);
	bytes_free(&w->pend);
}

static struct sestate states[MW_SLOTS];
static struct mw_slots slots = MW_SLOTS_OF(states, sestate_init, sestate_fini);

static int m_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out,
                        struct tlsh_error *err)
{
	int st = frame_buffer_new(ctx, host, out, err);
	if (st != TLSH_OK)
		return st;
	mw_slot_get(&slots, *out); /* no free slot: the buffer is followed by no one */
	return st;
}

static void m_buffer_free(tlsh_buffer *b)
{
	mw_slot_release(&slots, b);
	frame_free(b);
}

static int m_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	struct sestate *w = mw_slot_find(&slots, b);
	if (!w)
		return base->set_secret_callback(b, cb, arg);
	w->hcb = cb;
	w->harg = arg;
	return TLSH_OK;
}

/* The base derives the keys of its incoming records only as it reads them
 * (do_handshake, read): the records it took are followed after each of
 * those calls, and a broken rule fails that call and every later one. */
static int catch_up(struct sestate *w, int st)
{
	if (w->pend.len) {
		struct bytes junk = {0};
		rw_push(w->rw, w->pend.data, w->pend.len, &junk);
		bytes_free(&junk);
		bytes_reset(&w->pend);
	}
	return w->failed ? TLSH_TLS_ERROR : st;
}

static int m_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	struct sestate *w = mw_slot_find(&slots, b);
	if (!w)
		return base->process_incoming(b, data, len);
	if (w->failed)
		return TLSH_TLS_ERROR;
	bytes_append(&w->pend, data, len);
	return base->process_incoming(b, data, len);
}

static int m_do_handshake(tlsh_buffer *b)
{
	struct sestate *w = mw_slot_find(&slots, b);
	if (w && w->failed)
		return TLSH_TLS_ERROR;
	int st = base->do_handshake(b);
	return w ? catch_up(w, st) : st;
}

static int m_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->process_outgoing(b, dst, cap, n);
	struct sestate *w = mw_slot_find(&slots, b);
	if (w && st == TLSH_OK && *n)
		rw_observe(w->rw, dst, *n);
	return st;
}

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct sestate *w = mw_slot_find(&slots, b);
	if (w && w->failed) {
		*n = 0;
		return TLSH_TLS_ERROR;
	}
	int st = base->read(b, dst, cap, n);
	if (w && catch_up(w, st) == TLSH_TLS_ERROR) {
		*n = 0;
		return TLSH_TLS_ERROR;
	}
	if (w && rule == R_AFTER_CLOSE && st == TLSH_CLOSED && w->late.len && cap) {
		size_t k = w->late.len < cap ? w->late.len : cap;
		memcpy(dst, w->late.data, k);
		memmove(w->late.data, w->late.data + k, w->late.len - k);
		w->late.len -= k;
		*n = k;
		return TLSH_OK;
	}
	return st;
}

static int strict_arg(const char *arg)
{
	for (size_t i = 0; arg && i < sizeof rules / sizeof rules[0]; i++) {
		if (!strcmp(arg, rules[i].name)) {
			if (rule >= 0 && rule != (int)rules[i].r) {
				fprintf(stderr, "mutant-strict-enc: one rule per process\n");
				return -1;
			}
			rule = (int)rules[i].r;
			return 0;
		}
	}
	fprintf(stderr,
	        "mutant-strict-enc: unknown rule '%s' (padding, nst-extension, "
	        "data-after-close, hello-request)\n",
	        arg ? arg : "");
	return -1;
}

void mutant_patch(struct tlsh_implementation *d)
{
	mutant_arg_hook = strict_arg;
	frame_buffer_new = d->buffer_new;
	d->buffer_new = m_buffer_new;
	frame_free = d->buffer_free;
	d->buffer_free = m_buffer_free;
	d->process_incoming = m_process_incoming;
	d->do_handshake = m_do_handshake;
	d->process_outgoing = m_process_outgoing;
	d->read = m_read;
	if (d->set_secret_callback)
		d->set_secret_callback = m_set_secret_callback;
}
