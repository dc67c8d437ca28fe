/* Hostile adapters: a real backend (OpenSSL) that breaks the harness's
 * assumptions in one call, chosen at build time with -DHOSTILE=N. The test
 * suite checks each gives a clear verdict (CRASH, TIMEOUT or HARNESS-ERROR
 * naming the rule) and that the run completes with a valid report. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrap.h"

enum {
	H_SEGV = 1,     /* do_handshake dies of SIGSEGV */
	H_ABORT,        /* read calls abort() */
	H_HANG,         /* do_handshake blocks forever */
	H_SPIN,         /* do_handshake spins */
	H_BIG_READ,     /* read reports more bytes than the buffer holds */
	H_BIG_OUT,      /* process_outgoing reports more bytes than asked for */
	H_BAD_STATUS,   /* do_handshake returns a value that is no tlsh_status */
	H_NULL_CTX,     /* context_new returns OK and no context */
	H_BAD_ALERT,    /* last_error reports alert 999 */
	H_WILD_WRITE,   /* read writes past the buffer it was given */
	H_EXIT,         /* process_incoming calls exit(0) */
	H_CLOSED_WRITE, /* write returns CLOSED, which write may not return */
	H_OVER_BY_ONE,  /* read writes one byte just past the buffer it was given */
};

const char mutant_name[] = HOSTILE_NAME;

static volatile unsigned sink; /* unsigned: a spin long enough must not overflow (UBSan) */

static int h_handshake(tlsh_buffer *b)
{
	if (HOSTILE == H_SEGV)
		raise(SIGSEGV);
	while (HOSTILE == H_HANG)
		pause();
	while (HOSTILE == H_SPIN)
		sink++;
	if (HOSTILE == H_BAD_STATUS)
		return 42;
	return base->do_handshake(b);
}

static int h_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->read(b, dst, cap, n);
	if (HOSTILE == H_ABORT)
		abort();
	if (HOSTILE == H_BIG_READ && st == TLSH_OK)
		*n = cap + 100;
	if (HOSTILE == H_WILD_WRITE)
		memset(dst, 0x41, cap + 4096);
	if (HOSTILE == H_OVER_BY_ONE)
		dst[cap] = 0; /* a NUL terminator where there is no room */
	return st;
}

static int h_out(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->process_outgoing(b, dst, cap, n);
	if (HOSTILE == H_BIG_OUT && *n)
		*n = cap + 1;
	return st;
}

static int h_ctx_new(const struct tlsh_implementation *s, enum tlsh_role role,
                     const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	int st = mw_context_new(role, cfg, out, err);
	*out = NULL; /* leaks the context: part of being hostile */
	return st;
}

static void h_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	base->last_error(b, err);
	err->alert_sent = 999;
}

static int h_in(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	(void)b;
	(void)data;
	(void)len;
	exit(0);
}

static int h_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	base->write(b, src, len, n);
	*n = 0;
	return TLSH_CLOSED;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->do_handshake = h_handshake;
	d->read = h_read;
	d->process_outgoing = h_out;
	if (HOSTILE == H_NULL_CTX)
		d->context_new = h_ctx_new;
	if (HOSTILE == H_BAD_ALERT)
		d->last_error = h_last_error;
	if (HOSTILE == H_EXIT)
		d->process_incoming = h_in;
	if (HOSTILE == H_CLOSED_WRITE)
		d->write = h_write;
}
