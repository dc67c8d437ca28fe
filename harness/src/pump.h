/* pump.h - moves bytes between a client and a server endpoint with a delivery
 * policy, and keeps a transcript of every byte that crossed. */
#ifndef TLSH_PUMP_H
#define TLSH_PUMP_H

#include "endpoint.h"
#include "util.h"

struct rewriter;

enum dir { C2S = 0, S2C = 1 };

enum delivery {
	DELIVER_WHOLE = 0,    /* everything pending, in one process_incoming */
	DELIVER_ONE_BYTE,     /* one byte per process_incoming */
	DELIVER_RANDOM,       /* seeded random split sizes (1..max_chunk) */
	DELIVER_OUT_ONE_BYTE, /* process_outgoing asked for 1 byte at a time */
};

/* A transcript segment: `len` bytes in direction `dir`, in crossing order. */
struct segment {
	uint8_t dir;
	uint32_t len;
};

#define TRANSCRIPT_CAP (256u * 1024u)
#define SEGMENT_CAP 8192u

struct pump {
	struct endpoint *ep[2]; /* ep[C2S] sends client->server: the client */
	enum delivery policy;
	struct rng rng;
	size_t max_chunk;
	/* Truncation: after `limit[d]` bytes have crossed in direction d,
	 * nothing more is delivered that way; if `eof_at_limit[d]`, the
	 * receiver then gets process_incoming_eof. SIZE_MAX: no limit. */
	size_t limit[2];
	int eof_at_limit[2];
	int eof_sent[2];
	/* Totals and transcript (first TRANSCRIPT_CAP bytes per direction). */
	size_t total[2];
	struct bytes wire[2];
	struct segment *seg;
	size_t nseg;
	int truncated_transcript;
	/* FNV-1a over every byte that left each sender (all of them, unlike the
	 * transcript), and whatever a caller folded in with pump_fold: a digest
	 * for determinism checks. */
	uint64_t digest[2];
	/* Bytes held back (not yet delivered) per direction. */
	struct bytes held[2];
	/* Set when process_incoming failed; the status. */
	int in_status[2];
	/* Optional rewriter per direction (not owned): what the sender
	 * produces passes through it before delivery; the transcript records
	 * the rewritten bytes, i.e. what the receiver got. */
	struct rewriter *rw[2];
	/* Where the rewriter of direction d first changed something: the
	 * bytes its receiver had sent by then (rw_mark, in the other
	 * direction's count) and the offset in d's stream where that
	 * delivery began (rw_at). rw_marked tells whether it happened. */
	int rw_marked[2];
	size_t rw_mark[2], rw_at[2];
};

void pump_init(struct pump *p, struct endpoint *client, struct endpoint *server);
/* pump_init for a pump that served an earlier connection (or is zeroed):
 * everything starts afresh, but the storage it allocated (transcript,
 * segments, held bytes) is kept, so that a caller running one connection
 * after another (the fuzz driver, once per input) allocates nothing. */
void pump_restart(struct pump *p, struct endpoint *client, struct endpoint *server);
/* Allocates now all the storage the pump may need - the whole transcript
 * and segment table, and `held` bytes of held[] per direction - so that
 * traffic within those sizes allocates nothing, across pump_restart too. */
void pump_reserve(struct pump *p, size_t held);
void pump_free(struct pump *p);
void pump_policy(struct pump *p, enum delivery d, uint64_t seed);
void pump_truncate(struct pump *p, enum dir d, size_t after, int then_eof);

/* Moves everything the sender has pending to the receiver. Returns the
 * number of bytes that left the sender (0: nothing to move). */
size_t pump_flush(struct pump *p, enum dir d);

/* Takes everything pending from the sender without delivering it; the
 * bytes go to the transcript and into `held[d]` (for scenarios that
 * deliver by hand, e.g. coalescing flights). Returns the count. */
size_t pump_hold(struct pump *p, enum dir d);
/* pump_hold in at most `calls` process_outgoing calls of at most `cap`
 * bytes each (0: the pump's usual 16 KiB + 512); stops at the first that
 * returns nothing. Returns the count. */
size_t pump_hold_n(struct pump *p, enum dir d, size_t cap, unsigned calls);
/* Delivers held[d] in one process_incoming call. Returns its status. */
int pump_release(struct pump *p, enum dir d);

/* Installs a rewriter on direction d (NULL removes it). It sees every byte
 * of d before delivery (pump_flush and pump_hold) and observes the bytes of
 * the other direction. Install it before the first byte crosses. */
void pump_rewrite(struct pump *p, enum dir d, struct rewriter *rw);

/* Delivers a transport EOF to the receiver of direction d (once). Returns
 * the status, or -1 when the adapter has no process_incoming_eof. */
int pump_eof(struct pump *p, enum dir d);

/* Folds `n` more bytes (e.g. what a query of the sender of d returned) into
 * digest[d]. */
void pump_fold(struct pump *p, enum dir d, const void *data, size_t n);

#endif
