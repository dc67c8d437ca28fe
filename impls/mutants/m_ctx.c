/* Context mutants: a context that is not the factory of independent
 * buffers tlsh.h describes. Built three times (-DCTX_KIND):
 *  1 ctx-single-use: a context makes one buffer, ever;
 *  2 ctx-one-live: a context makes a buffer only while none of its others
 *    lives (breaks: contexts may create buffers concurrently);
 *  3 ctx-poisoned: once one of its buffers failed, the context's later
 *    buffers fail their handshake (breaks: a failed buffer affects neither
 *    its context nor the context's other buffers). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "wrap.h"

#if CTX_KIND == 1
const char mutant_name[] = "ctx-single-use";
#elif CTX_KIND == 2
const char mutant_name[] = "ctx-one-live";
#else
const char mutant_name[] = "ctx-poisoned";
#endif

#define N 256
static struct {
	const void *ctx;
	int made, live, failed;
} ctxs[N];
static struct {
	const void *buf, *ctx;
	int poisoned;
} bufs[N];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void (*prev_buffer_free)(tlsh_buffer *);
static void (*prev_context_free)(tlsh_context *);

static int ctx_slot(const void *ctx, int make)
{
	for (int i = 0; i < N; i++)
		if (ctxs[i].ctx == ctx)
			return i;
	for (int i = 0; make && i < N; i++)
		if (!ctxs[i].ctx) {
			memset(&ctxs[i], 0, sizeof ctxs[i]);
			ctxs[i].ctx = ctx;
			return i;
		}
	return -1;
}

static int buf_slot(const void *buf)
{
	for (int i = 0; i < N; i++)
		if (bufs[i].buf == buf)
			return i;
	return -1;
}

static int m_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out,
                        struct tlsh_error *err)
{
	pthread_mutex_lock(&lock);
	int c = ctx_slot(ctx, 1);
	int refuse = c >= 0 && ((CTX_KIND == 1 && ctxs[c].made) || (CTX_KIND == 2 && ctxs[c].live));
	int poisoned = c >= 0 && CTX_KIND == 3 && ctxs[c].failed;
	pthread_mutex_unlock(&lock);
	if (refuse) {
		*out = NULL;
		err->status = TLSH_CONFIGURATION_ERROR;
		err->alert_sent = err->alert_received = TLSH_NO_ALERT;
		snprintf(err->message, sizeof err->message, "mutant: %s", mutant_name);
		return TLSH_CONFIGURATION_ERROR;
	}
	int st = mw_buffer_new(ctx, host, out, err);
	if (st != TLSH_OK || !*out)
		return st;
	pthread_mutex_lock(&lock);
	if (c >= 0) {
		ctxs[c].made++;
		ctxs[c].live++;
	}
	for (int i = 0; i < N; i++)
		if (!bufs[i].buf) {
			bufs[i].buf = *out;
			bufs[i].ctx = ctx;
			bufs[i].poisoned = poisoned;
			break;
		}
	pthread_mutex_unlock(&lock);
	return st;
}

static void m_buffer_free(tlsh_buffer *b)
{
	pthread_mutex_lock(&lock);
	int i = buf_slot(b);
	if (i >= 0) {
		int c = ctx_slot(bufs[i].ctx, 0);
		if (c >= 0 && ctxs[c].live)
			ctxs[c].live--;
		bufs[i].buf = NULL;
	}
	pthread_mutex_unlock(&lock);
	prev_buffer_free(b);
}

static void m_context_free(tlsh_context *ctx)
{
	pthread_mutex_lock(&lock);
	int c = ctx_slot(ctx, 0);
	if (c >= 0)
		ctxs[c].ctx = NULL;
	pthread_mutex_unlock(&lock);
	prev_context_free(ctx);
}

/* A failure marks the buffer's context; a poisoned buffer fails. */
static int note(tlsh_buffer *b, int st)
{
	pthread_mutex_lock(&lock);
	int i = buf_slot(b);
	if (i >= 0 && st == TLSH_TLS_ERROR) {
		int c = ctx_slot(bufs[i].ctx, 0);
		if (c >= 0)
			ctxs[c].failed = 1;
	}
	int poisoned = i >= 0 && bufs[i].poisoned;
	pthread_mutex_unlock(&lock);
	return poisoned ? TLSH_TLS_ERROR : st;
}

static int m_handshake(tlsh_buffer *b)
{
	return note(b, base->do_handshake(b));
}

static int m_in(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return note(b, base->process_incoming(b, data, len));
}

void mutant_patch(struct tlsh_implementation *d)
{
	prev_buffer_free = d->buffer_free;
	prev_context_free = d->context_free;
	d->buffer_new = m_buffer_new;
	d->buffer_free = m_buffer_free;
	d->context_free = m_context_free;
	d->do_handshake = m_handshake;
	d->process_incoming = m_in;
}
