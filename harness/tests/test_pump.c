/* Unit tests of the pump: delivery policies, truncation, EOF, transcript,
 * and a full receiver. Uses the fake pipe descriptor. */
#include "fake.h"
#include "pump.h"
#include "rewrite.h"
#include "t.h"
#include "tr.h"

static struct impl_handle fh = {.fn = {0}};

static void open_pair(struct endpoint *c, struct endpoint *s)
{
	struct tlsh_config cfg = {.struct_size = sizeof cfg};
	ep_open(c, &fh, TLSH_ROLE_CLIENT, &cfg, "x");
	ep_open(s, &fh, TLSH_ROLE_SERVER, &cfg, NULL);
}

static struct fake_buf *fb(struct endpoint *e)
{
	return (struct fake_buf *)e->buf;
}

static void send_bytes(struct endpoint *e, size_t n)
{
	uint8_t b[4096];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)i;
	size_t k;
	while (n) {
		size_t m = n < sizeof b ? n : sizeof b;
		ep_write(e, b, m, &k);
		n -= m;
	}
}

/* Replays a real TLS 1.3 transcript through the fake pipes with a rewriter
 * on one direction: the receiver gets (and the transcript keeps) the
 * rewritten bytes, whatever the delivery policy. */
static void replay_through_pump(const struct tr *t, const char *mutation, int rwdir,
                                enum delivery policy, int hold, struct tr *expect,
                                struct bytes got[2], struct bytes wire[2], int *applied)
{
	struct endpoint c, s;
	struct pump p;
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	pump_policy(&p, policy, 3);
	struct rewriter *rw = rw_new(rw_named(mutation), rwdir);
	pump_rewrite(&p, (enum dir)rwdir, rw);
	for (size_t i = 0; i < t->nseg; i++) {
		struct endpoint *tx = t->dir[i] ? &s : &c;
		size_t k;
		ep_write(tx, t->seg[i].data, t->seg[i].len, &k);
		if (hold) {
			pump_hold(&p, (enum dir)t->dir[i]);
			pump_release(&p, (enum dir)t->dir[i]);
		} else {
			pump_flush(&p, (enum dir)t->dir[i]);
		}
	}
	for (int d = 0; d < 2; d++) {
		struct fake_buf *rx = fb(d == C2S ? &s : &c);
		memset(&got[d], 0, sizeof got[d]);
		memset(&wire[d], 0, sizeof wire[d]);
		bytes_append(&got[d], rx->in.data, rx->in.len);
		bytes_append(&wire[d], p.wire[d].data, p.wire[d].len);
	}
	*applied = rw_applied(rw);
	struct rewriter *direct = tr_replay(t, rw_named(mutation), rwdir, 0, expect);
	rw_free(direct);
	pump_free(&p);
	rw_free(rw);
	ep_close(&c);
	ep_close(&s);
}

static void rewrite_hook(void)
{
	struct tr t13;
	tr_load(&t13, "openssl-tls13.tlstr");
	static const struct {
		const char *mutation;
		int dir;
		enum delivery policy;
		int hold;
	} cases[] = {
	        {"ch-legacy-version-0304", 0, DELIVER_WHOLE, 0},
	        {"ch-legacy-version-0304", 0, DELIVER_OUT_ONE_BYTE, 0},
	        {"ch-legacy-version-0304", 0, DELIVER_ONE_BYTE, 0},
	        {"frag-1", 0, DELIVER_OUT_ONE_BYTE, 0},
	        {"sh-ext-unoffered", 1, DELIVER_OUT_ONE_BYTE, 0},
	        {"sh-ext-unoffered", 1, DELIVER_RANDOM, 0},
	        {"sh-inject-ccs-2", 1, DELIVER_WHOLE, 1},
	        {"ch-16k", 0, DELIVER_WHOLE, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes got[2], wire[2];
		struct tr expect;
		int applied;
		replay_through_pump(&t13, cases[i].mutation, cases[i].dir, cases[i].policy,
		                    cases[i].hold, &expect, got, wire, &applied);
		int d = cases[i].dir;
		int same_rx = got[d].len == expect.wire[d].len &&
		              !memcmp(got[d].data, expect.wire[d].data, got[d].len);
		int same_wire =
		        wire[d].len == got[d].len && !memcmp(wire[d].data, got[d].data, got[d].len);
		int other = got[!d].len == t13.wire[!d].len &&
		            !memcmp(got[!d].data, t13.wire[!d].data, got[!d].len);
		int changed = got[d].len != t13.wire[d].len ||
		              memcmp(got[d].data, t13.wire[d].data, got[d].len) != 0;
		OK(same_rx && same_wire && other && changed && applied == 1,
		   "pump hook, %s (policy %d%s): the receiver gets the rewritten bytes, the "
		   "transcript records them, the other way is untouched",
		   cases[i].mutation, (int)cases[i].policy, cases[i].hold ? ", hold" : "");
		for (int k = 0; k < 2; k++) {
			bytes_free(&got[k]);
			bytes_free(&wire[k]);
		}
		tr_free(&expect);
	}
	tr_free(&t13);
}

int main(void)
{
	fh.fn = fake_impl;
	fh.self = &fake_impl;
	struct endpoint c, s;
	struct pump p;

	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	send_bytes(&c, 1000);
	OK(pump_flush(&p, C2S) == 1000, "whole: 1000 bytes moved");
	OK(fb(&s)->calls == 1 && fb(&s)->chunk_sizes[0] == 1000, "whole: one process_incoming");
	OK(p.wire[C2S].len == 1000 && p.nseg == 1, "transcript holds the bytes in one segment");
	send_bytes(&s, 10);
	pump_flush(&p, S2C);
	send_bytes(&c, 5);
	pump_flush(&p, C2S);
	OK(p.nseg == 3 && p.seg[1].dir == S2C && p.seg[2].len == 5,
	   "segments alternate by direction");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	pump_policy(&p, DELIVER_ONE_BYTE, 1);
	send_bytes(&c, 300);
	pump_flush(&p, C2S);
	int all_one = fb(&s)->calls == 300;
	for (size_t i = 0; i < 300 && all_one; i++)
		all_one = fb(&s)->chunk_sizes[i] == 1;
	OK(all_one, "one byte at a time: 300 calls of 1 byte");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* Random splits are seeded: same seed, same sizes; sizes within bounds. */
	size_t sizes[2][512], ncalls[2];
	for (int run = 0; run < 2; run++) {
		open_pair(&c, &s);
		pump_init(&p, &c, &s);
		pump_policy(&p, DELIVER_RANDOM, 77);
		p.max_chunk = 16;
		send_bytes(&c, 2000);
		pump_flush(&p, C2S);
		ncalls[run] = fb(&s)->calls;
		memcpy(sizes[run], fb(&s)->chunk_sizes, sizeof sizes[run]);
		OK(fb(&s)->in.len == 2000, "random: all 2000 bytes arrive (run %d)", run);
		int bounded = 1;
		for (size_t i = 0; i < fb(&s)->calls && i < 512; i++)
			bounded &= sizes[run][i] >= 1 && sizes[run][i] <= 16;
		OK(bounded && ncalls[run] >= 125, "random: chunks within 1..16 (%zu calls)",
		   ncalls[run]);
		pump_free(&p);
		ep_close(&c);
		ep_close(&s);
	}
	OK(ncalls[0] == ncalls[1] && !memcmp(sizes[0], sizes[1], sizeof sizes[0]),
	   "random: same seed gives the same splits");

	/* 1-byte process_outgoing. */
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	pump_policy(&p, DELIVER_OUT_ONE_BYTE, 1);
	send_bytes(&c, 50);
	OK(pump_flush(&p, C2S) == 50 && fb(&s)->calls == 50, "1-byte process_outgoing");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* Truncation then EOF. */
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	pump_truncate(&p, C2S, 100, 1);
	send_bytes(&c, 60);
	pump_flush(&p, C2S);
	OK(!fb(&s)->eof && fb(&s)->in.len == 60, "under the limit: delivered, no EOF");
	send_bytes(&c, 60);
	pump_flush(&p, C2S);
	OK(fb(&s)->in.len == 100 && fb(&s)->eof, "limit 100: 100 delivered, then EOF");
	OK(p.total[C2S] == 120 && p.wire[C2S].len == 120, "transcript keeps what the sender sent");
	send_bytes(&c, 10);
	pump_flush(&p, C2S);
	OK(fb(&s)->in.len == 100, "nothing delivered past the limit");
	uint8_t rb[256];
	size_t k;
	int st = ep_read(&s, rb, sizeof rb, &k);
	OK(st == TLSH_OK && k == 100, "receiver reads the 100 bytes");
	OK(ep_read(&s, rb, sizeof rb, &k) == TLSH_RAGGED_EOF, "then sees the EOF");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* A full receiver keeps the rest held until it drains. */
	open_pair(&c, &s);
	fb(&s)->cap_in = 64;
	pump_init(&p, &c, &s);
	send_bytes(&c, 100);
	pump_flush(&p, C2S);
	OK(fb(&s)->in.len == 64 && p.held[C2S].len == 36, "receiver full: 36 bytes held");
	ep_read(&s, rb, sizeof rb, &k);
	pump_flush(&p, C2S);
	OK(fb(&s)->in.len == 100 && p.held[C2S].len == 0, "held bytes delivered after a read");
	OK(p.wire[C2S].len == 100, "held bytes recorded once");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* Hold and release: coalescing. */
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	send_bytes(&c, 10);
	pump_hold(&p, C2S);
	send_bytes(&c, 20);
	pump_hold(&p, C2S);
	OK(fb(&s)->calls == 0, "held bytes not delivered yet");
	pump_release(&p, C2S);
	OK(fb(&s)->calls == 1 && fb(&s)->chunk_sizes[0] == 30, "released in one call");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* pump_hold_n: bounded calls of a bounded size. */
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	send_bytes(&c, 40000);
	OK(pump_hold_n(&p, C2S, 1, 1) == 1, "hold_n: one call of 1 byte");
	OK(pump_hold_n(&p, C2S, 1000, 3) == 3000, "hold_n: three calls of 1000 bytes");
	OK(pump_hold_n(&p, C2S, 16384, 1024) == 40000 - 3001 && p.held[C2S].len == 40000,
	   "hold_n: the rest in 16 KiB calls, all held");
	OK(fb(&s)->calls == 0, "hold_n delivers nothing");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	/* The digest: FNV-1a of every byte sent, past the transcript's cap too,
	 * per direction; pump_fold adds to it. */
	open_pair(&c, &s);
	pump_init(&p, &c, &s);
	size_t big = TRANSCRIPT_CAP + 5000;
	send_bytes(&c, big);
	pump_flush(&p, C2S);
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < big; i++)
		h = (h ^ (uint8_t)(i % 4096)) * 0x100000001b3ull;
	OK(p.wire[C2S].len == TRANSCRIPT_CAP && p.total[C2S] == big && p.digest[C2S] == h,
	   "digest covers all %zu bytes, the transcript only %u", big, TRANSCRIPT_CAP);
	OK(p.digest[S2C] == 0xcbf29ce484222325ull, "the other direction's digest is untouched");
	pump_fold(&p, S2C, "ab", 2);
	h = ((0xcbf29ce484222325ull ^ 'a') * 0x100000001b3ull ^ 'b') * 0x100000001b3ull;
	OK(p.digest[S2C] == h, "pump_fold folds bytes in");

	/* pump_restart: a fresh start on the same storage. */
	send_bytes(&s, 10);
	pump_hold(&p, S2C);
	uint8_t *wire = p.wire[C2S].data, *held = p.held[S2C].data;
	struct segment *seg = p.seg;
	pump_restart(&p, &c, &s);
	OK(p.total[C2S] == 0 && p.total[S2C] == 0 && p.nseg == 0 && p.wire[C2S].len == 0 &&
	           p.held[S2C].len == 0 && p.digest[C2S] == 0xcbf29ce484222325ull &&
	           p.digest[S2C] == 0xcbf29ce484222325ull,
	   "pump_restart: nothing crossed yet");
	OK(p.wire[C2S].data == wire && p.held[S2C].data == held && p.seg == seg,
	   "pump_restart keeps the storage");
	send_bytes(&c, 7);
	OK(pump_flush(&p, C2S) == 7 && p.nseg == 1 && p.wire[C2S].len == 7,
	   "and the restarted pump works");

	/* pump_reserve: traffic within the reserved sizes allocates nothing. */
	pump_reserve(&p, 50000);
	wire = p.wire[S2C].data;
	held = p.held[C2S].data;
	OK(p.wire[S2C].cap == TRANSCRIPT_CAP && p.held[C2S].cap == 50000,
	   "pump_reserve: the whole transcript, the held bytes asked for");
	send_bytes(&s, 40000);
	pump_flush(&p, S2C);
	send_bytes(&c, 45000);
	pump_hold(&p, C2S);
	OK(p.wire[S2C].data == wire && p.held[C2S].data == held && p.held[C2S].len == 45000,
	   "then 40000 bytes one way and 45000 held the other move nothing");
	pump_free(&p);
	ep_close(&c);
	ep_close(&s);

	rewrite_hook();
	return t_done();
}
