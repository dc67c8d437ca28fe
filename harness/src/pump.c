#include "pump.h"

#include "rewrite.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void pump_init(struct pump *p, struct endpoint *client, struct endpoint *server)
{
	memset(p, 0, sizeof *p);
	p->ep[C2S] = client;
	p->ep[S2C] = server;
	p->policy = DELIVER_WHOLE;
	p->rng.state = 1;
	p->max_chunk = 64;
	p->limit[0] = p->limit[1] = SIZE_MAX;
	p->digest[0] = p->digest[1] = 0xcbf29ce484222325ull; /* FNV-1a offset basis */
}

void pump_restart(struct pump *p, struct endpoint *client, struct endpoint *server)
{
	struct bytes wire[2] = {p->wire[0], p->wire[1]}, held[2] = {p->held[0], p->held[1]};
	struct segment *seg = p->seg;
	pump_init(p, client, server);
	for (int d = 0; d < 2; d++) {
		p->wire[d] = wire[d];
		p->held[d] = held[d];
		bytes_reset(&p->wire[d]);
		bytes_reset(&p->held[d]);
	}
	p->seg = seg;
}

static void reserve(struct bytes *b, size_t n)
{
	if (b->cap < n) {
		b->data = xrealloc(b->data, n);
		b->cap = n;
	}
}

void pump_reserve(struct pump *p, size_t held)
{
	if (!p->seg)
		p->seg = xcalloc(SEGMENT_CAP, sizeof *p->seg);
	for (int d = 0; d < 2; d++) {
		reserve(&p->wire[d], TRANSCRIPT_CAP);
		reserve(&p->held[d], held);
	}
}

void pump_free(struct pump *p)
{
	for (int d = 0; d < 2; d++) {
		bytes_free(&p->wire[d]);
		bytes_free(&p->held[d]);
	}
	free(p->seg);
	p->seg = NULL;
}

void pump_policy(struct pump *p, enum delivery d, uint64_t seed)
{
	p->policy = d;
	p->rng.state = seed;
}

void pump_truncate(struct pump *p, enum dir d, size_t after, int then_eof)
{
	p->limit[d] = after;
	p->eof_at_limit[d] = then_eof;
}

void pump_fold(struct pump *p, enum dir d, const void *data, size_t n)
{
	const uint8_t *b = data;
	for (size_t i = 0; i < n; i++)
		p->digest[d] = (p->digest[d] ^ b[i]) * 0x100000001b3ull;
}

static void record(struct pump *p, enum dir d, const uint8_t *data, size_t n)
{
	if (n == 0)
		return;
	pump_fold(p, d, data, n);
	size_t room = p->wire[d].len < TRANSCRIPT_CAP ? TRANSCRIPT_CAP - p->wire[d].len : 0;
	size_t keep = n < room ? n : room;
	if (keep < n)
		p->truncated_transcript = 1;
	if (keep) {
		bytes_append(&p->wire[d], data, keep);
		if (p->nseg && p->seg[p->nseg - 1].dir == d) {
			p->seg[p->nseg - 1].len += (uint32_t)keep;
		} else if (p->nseg < SEGMENT_CAP) {
			if (!p->seg)
				p->seg = xcalloc(SEGMENT_CAP, sizeof *p->seg);
			p->seg[p->nseg].dir = (uint8_t)d;
			p->seg[p->nseg].len = (uint32_t)keep;
			p->nseg++;
		}
	}
	p->total[d] += n;
}

/* Hands bytes to the receiver in policy-sized chunks. A receiver that is
 * full (WANT_READ from process_incoming) keeps the rest in held[d] for the
 * next flush; a failing receiver stops delivery in that direction. */
static void deliver_raw(struct pump *p, enum dir d, const uint8_t *data, size_t n)
{
	struct endpoint *rx = p->ep[d == C2S ? S2C : C2S];
	size_t off = 0;
	while (off < n) {
		if (p->in_status[d] != TLSH_OK)
			return;
		size_t chunk = n - off;
		if (p->policy == DELIVER_ONE_BYTE)
			chunk = 1;
		else if (p->policy == DELIVER_RANDOM)
			chunk = rng_range(&p->rng, 1, p->max_chunk < chunk ? p->max_chunk : chunk);
		int st = ep_incoming(rx, data + off, chunk);
		while (st == TLSH_WANT_READ && chunk > 1) {
			/* Full: offer less; take what the receiver can hold. */
			chunk /= 2;
			st = ep_incoming(rx, data + off, chunk);
		}
		if (st == TLSH_WANT_READ) {
			bytes_append(&p->held[d], data + off, n - off);
			return;
		}
		if (st != TLSH_OK) {
			p->in_status[d] = st;
			return;
		}
		off += chunk;
	}
}

/* Records bytes that left the sender and delivers what the truncation limit
 * allows. */
static void deliver_now(struct pump *p, enum dir d, const uint8_t *data, size_t n)
{
	size_t sent_before = p->total[d];
	record(p, d, data, n);
	if (p->limit[d] != SIZE_MAX) {
		size_t allowed = sent_before >= p->limit[d] ? 0 : p->limit[d] - sent_before;
		if (n > allowed)
			n = allowed;
	}
	deliver_raw(p, d, data, n);
	if (p->limit[d] != SIZE_MAX && p->total[d] >= p->limit[d] && p->eof_at_limit[d])
		pump_eof(p, d);
}

void pump_rewrite(struct pump *p, enum dir d, struct rewriter *rw)
{
	p->rw[d] = rw;
}

/* The other direction's rewriter observes what crossed in direction d. */
static void observe(struct pump *p, enum dir d, const uint8_t *data, size_t n)
{
	struct rewriter *other = p->rw[d == C2S ? S2C : C2S];
	if (other && n)
		rw_observe(other, data, n);
}

/* Through the rewriter of direction d, if any; `end`: the sender's burst
 * is over (held bytes are released). */
static void deliver(struct pump *p, enum dir d, const uint8_t *data, size_t n, int end)
{
	if (!p->rw[d]) {
		observe(p, d, data, n);
		deliver_now(p, d, data, n);
		return;
	}
	struct bytes out = {0};
	if (n)
		rw_push(p->rw[d], data, n, &out);
	if (end)
		rw_flush(p->rw[d], &out);
	observe(p, d, out.data, out.len);
	if (!p->rw_marked[d] && rw_applied(p->rw[d])) {
		p->rw_marked[d] = 1;
		p->rw_mark[d] = p->total[d == C2S ? S2C : C2S];
		p->rw_at[d] = p->total[d];
	}
	if (out.len)
		deliver_now(p, d, out.data, out.len);
	bytes_free(&out);
}

size_t pump_flush(struct pump *p, enum dir d)
{
	struct endpoint *tx = p->ep[d];
	uint8_t buf[16384 + 512];
	size_t moved = 0;
	if (p->held[d].len) {
		struct bytes h = p->held[d];
		memset(&p->held[d], 0, sizeof h);
		deliver_raw(p, d, h.data, h.len); /* already recorded */
		bytes_free(&h);
		if (p->held[d].len)
			return 0; /* receiver still full */
	}
	for (;;) {
		size_t cap = p->policy == DELIVER_OUT_ONE_BYTE ? 1 : sizeof buf;
		size_t n = 0;
		ep_outgoing(tx, buf, cap, &n);
		if (n == 0)
			break;
		moved += n;
		deliver(p, d, buf, n, 0);
		if (p->held[d].len)
			break; /* receiver full: leave the rest with the sender */
	}
	if (p->rw[d] && !p->held[d].len)
		deliver(p, d, NULL, 0, 1);
	return moved;
}

size_t pump_hold(struct pump *p, enum dir d)
{
	return pump_hold_n(p, d, 0, UINT_MAX);
}

size_t pump_hold_n(struct pump *p, enum dir d, size_t cap, unsigned calls)
{
	struct endpoint *tx = p->ep[d];
	uint8_t buf[16384 + 512];
	size_t moved = 0;
	if (cap == 0 || cap > sizeof buf)
		cap = sizeof buf;
	for (unsigned i = 0; i < calls; i++) {
		size_t n = 0;
		ep_outgoing(tx, buf, cap, &n);
		if (n == 0)
			break;
		moved += n;
		if (!p->rw[d]) {
			observe(p, d, buf, n);
			record(p, d, buf, n);
			bytes_append(&p->held[d], buf, n);
			continue;
		}
		struct bytes out = {0};
		rw_push(p->rw[d], buf, n, &out);
		observe(p, d, out.data, out.len);
		record(p, d, out.data, out.len);
		bytes_append(&p->held[d], out.data, out.len);
		bytes_free(&out);
	}
	if (p->rw[d]) {
		struct bytes out = {0};
		rw_flush(p->rw[d], &out);
		observe(p, d, out.data, out.len);
		record(p, d, out.data, out.len);
		bytes_append(&p->held[d], out.data, out.len);
		bytes_free(&out);
	}
	return moved;
}

int pump_release(struct pump *p, enum dir d)
{
	struct endpoint *rx = p->ep[d == C2S ? S2C : C2S];
	int st = TLSH_OK;
	if (p->held[d].len)
		st = ep_incoming(rx, p->held[d].data, p->held[d].len);
	/* A full receiver keeps the bytes held for the next flush. */
	if (st != TLSH_WANT_READ)
		bytes_reset(&p->held[d]);
	return st;
}

int pump_eof(struct pump *p, enum dir d)
{
	if (p->eof_sent[d])
		return TLSH_OK;
	p->eof_sent[d] = 1;
	return ep_incoming_eof(p->ep[d == C2S ? S2C : C2S]);
}
