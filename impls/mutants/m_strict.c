/* mutant-strict:NAME - OpenSSL that refuses, on its own incoming bytes,
 * something the RFCs say to accept: the misbehave rows that expect a
 * backend to tolerate what the puppet sends (re-framed records, a
 * ClientHello's record version, legacy_version or GREASE values, a large
 * hello, ...) must catch it. NAME is one of the strictness rules below; the
 * wrapper parses what reaches process_incoming (tlsmsg.c) and fails the
 * buffer (TLS_ERROR, no bytes passed on) when the rule matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsmsg.h"
#include "wrap.h"

const char mutant_name[] = "strict";

enum rule {
	R_SPLIT,          /* a handshake message over more than one record */
	R_COALESCE,       /* two handshake messages in one record */
	R_RECORD_VERSION, /* an initial ClientHello record version other than 0x0301 */
	R_LEGACY_VERSION, /* a ClientHello legacy_version other than 0x0303 */
	R_GREASE,         /* supported_versions with a value it does not know */
	R_NO_SV,          /* a ClientHello without supported_versions */
	R_FALLBACK,       /* TLS_FALLBACK_SCSV in a ClientHello */
	R_BIG_HELLO,      /* a ClientHello of 16 KiB or more */
	R_NO_SHARES,      /* a ClientHello without key shares (no HelloRetryRequest) */
};

static const struct {
	const char *name;
	enum rule r;
} rules[] = {
        {"split", R_SPLIT},
        {"coalesce", R_COALESCE},
        {"record-version", R_RECORD_VERSION},
        {"legacy-version", R_LEGACY_VERSION},
        {"grease", R_GREASE},
        {"no-supported-versions", R_NO_SV},
        {"fallback", R_FALLBACK},
        {"big-hello", R_BIG_HELLO},
        {"no-shares", R_NO_SHARES},
};

static int rule = -1;

struct sstate {
	struct tls_conv conv;
	int failed;
};

static void sstate_init(void *state, tlsh_buffer *b)
{
	(void)b;
	struct sstate *w = state;
	tls_conv_init(&w->conv);
}

static void sstate_fini(void *state)
{
	struct sstate *w = state;
	tls_conv_free(&w->conv);
}

static struct sstate states[MW_SLOTS];
static struct mw_slots slots = MW_SLOTS_OF(states, sstate_init, sstate_fini);

static int hello_breaks(const struct tls_dir *d, size_t k)
{
	const struct tls_msg *m = &d->msg[k];
	if (m->type != TLS_HS_CLIENT_HELLO)
		return 0;
	if (rule == R_BIG_HELLO)
		return m->len >= 16384;
	struct tls_hello *h = malloc(sizeof *h);
	if (!h)
		return 0;
	int bad = 0;
	tls_hello_parse(h, m->type, tls_msg_body(d, k), m->len);
	const struct tls_ext *e;
	switch (rule) {
	case R_LEGACY_VERSION:
		bad = h->legacy_version != 0x0303;
		break;
	case R_GREASE:
		e = tls_hello_ext(h, TLS_EXT_SUPPORTED_VERSIONS);
		if (e) {
			uint16_t v[TLS_MAX_ITEMS];
			int n = tls_dec_u16_list(e->body, e->len, 1, v, TLS_MAX_ITEMS);
			for (int i = 0; i < n; i++)
				bad |= v[i] != 0x0303 && v[i] != 0x0304;
		}
		break;
	case R_NO_SV:
		bad = !tls_hello_ext(h, TLS_EXT_SUPPORTED_VERSIONS);
		break;
	case R_FALLBACK:
		bad = tls_hello_has_cipher(h, TLS_SCSV_FALLBACK);
		break;
	case R_NO_SHARES:
		e = tls_hello_ext(h, TLS_EXT_KEY_SHARE);
		bad = e && e->len <= 2;
		break;
	default:
		break;
	}
	free(h);
	return bad;
}

/* Whether the plaintext handshake seen so far breaks the rule. */
static int breaks(struct sstate *w, int dir)
{
	const struct tls_dir *d = &w->conv.d[dir];
	if (rule == R_RECORD_VERSION && d->n_msg > 0 && d->msg[0].type == TLS_HS_CLIENT_HELLO) {
		for (size_t i = d->msg[0].first_rec; i <= d->msg[0].last_rec && i < d->n_rec; i++)
			if (d->rec[i].version != 0x0301)
				return 1;
	}
	for (size_t k = 0; k < d->n_msg; k++) {
		const struct tls_msg *m = &d->msg[k];
		if (rule == R_SPLIT && m->first_rec != m->last_rec)
			return 1;
		if (rule == R_COALESCE && k > 0 && d->msg[k - 1].last_rec == m->first_rec)
			return 1;
		if (hello_breaks(d, k))
			return 1;
	}
	return 0;
}

static int m_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	struct sstate *w = mw_slot_get(&slots, b);
	if (!w)
		return base->process_incoming(b, data, len);
	if (w->failed)
		return TLSH_TLS_ERROR;
	int dir = mw_buffer_role(b) == TLSH_ROLE_SERVER ? 0 : 1;
	tls_conv_feed(&w->conv, dir, data, len);
	if (breaks(w, dir)) {
		w->failed = 1;
		return TLSH_TLS_ERROR;
	}
	return base->process_incoming(b, data, len);
}

static void (*frame_free)(tlsh_buffer *b);

static void m_buffer_free(tlsh_buffer *b)
{
	mw_slot_release(&slots, b);
	frame_free(b);
}

static int strict_arg(const char *arg)
{
	for (size_t i = 0; arg && i < sizeof rules / sizeof rules[0]; i++) {
		if (!strcmp(arg, rules[i].name)) {
			if (rule >= 0 && rule != (int)rules[i].r) {
				fprintf(stderr, "mutant-strict: one rule per process\n");
				return -1;
			}
			rule = (int)rules[i].r;
			return 0;
		}
	}
	fprintf(stderr,
	        "mutant-strict: unknown rule '%s' (split, coalesce, record-version, "
	        "legacy-version, grease, no-supported-versions, fallback, big-hello, "
	        "no-shares)\n",
	        arg ? arg : "");
	return -1;
}

void mutant_patch(struct tlsh_implementation *d)
{
	mutant_arg_hook = strict_arg;
	d->process_incoming = m_process_incoming;
	frame_free = d->buffer_free;
	d->buffer_free = m_buffer_free;
}
