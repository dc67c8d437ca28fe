/* ragged-eof family: how the end of a connection is reported.
 *
 * The descriptor's process_incoming_eof (beyond PEP 748) tells a buffer that
 * the transport ended. After it, read returns the remaining plaintext and then
 * CLOSED when the peer's close_notify was received (sticky), RAGGED_EOF when
 * it was not; a handshake in progress fails with TLS_ERROR (RFC 8446 section
 * 6.1: a connection that ends without close_notify is a truncation, and
 * "Any data received after a closure alert has been received MUST be
 * ignored"). Every case runs with both sides pinned to TLS 1.2 or TLS 1.3.
 *
 * Ids: ragged-eof/<case>[/<point or receiver>]/<tls12|tls13>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define VER(s) ((s)->def->ver)
#define IS13(s) (VER(s) == TLSH_TLS_1_3)

/* Content types (RFC 8446 section 5.1). */
#define CT_ALERT 21
#define CT_APPDATA 23

/* ---- helpers -------------------------------------------------------------- */

/* Record-layer view of a byte range: counts per content type, and whether
 * it ends in the middle of a record. */
struct recs {
	size_t n;
	size_t by_type[5]; /* 20..24 */
	uint8_t last_type;
	size_t last_off, last_len; /* the last whole record: offset, body length */
	int partial;
};

static void scan_records(const uint8_t *p, size_t n, struct recs *r)
{
	memset(r, 0, sizeof *r);
	size_t off = 0;
	while (off + 5 <= n) {
		uint8_t t = p[off];
		size_t len = (size_t)p[off + 3] << 8 | p[off + 4];
		if (off + 5 + len > n)
			break;
		r->last_type = t;
		r->last_off = off;
		r->last_len = len;
		if (t >= 20 && t <= 24)
			r->by_type[t - 20]++;
		r->n++;
		off += 5 + len;
	}
	r->partial = off != n;
}

/* The record type a protected alert travels in: TLS 1.2 shows the alert
 * type on the record layer, TLS 1.3 hides it in application_data (RFC 8446
 * section 5.2). */
static uint8_t alert_ct(struct scen *s)
{
	return IS13(s) ? CT_APPDATA : CT_ALERT;
}

/* Checks that bytes [mark, end) of direction d's transcript are whole
 * protected records ending with one of type `ct` (what a close_notify or a
 * short write must look like). TLS 1.2 has nothing else to send then: exactly
 * one record. TLS 1.3 may send post-handshake messages first (BoringSSL
 * sends its NewSessionTickets with the first write), which look like any
 * other application_data record. Returns 0 or -1 after a FAIL. */
static MUST_CHECK check_t records_end_with(struct scen *s, enum dir d, size_t mark, uint8_t ct,
                                           const char *what)
{
	const struct bytes *w = &s->pump.wire[d];
	if (s->pump.truncated_transcript)
		return CHECK_OK; /* cannot see it; nothing here is that long */
	struct recs r;
	scan_records(w->data + mark, w->len - mark, &r);
	int ok = r.n >= 1 && !r.partial && r.last_type == ct &&
	         (IS13(s) ? r.by_type[CT_APPDATA - 20] == r.n : r.n == 1);
	if (!ok)
		return scen_fail(s,
		                 "%s: expected %s of content type %d on the wire, saw %zu bytes "
		                 "(%zu whole records, the last of type %d%s)",
		                 what, IS13(s) ? "whole records, the last" : "one record", ct,
		                 w->len - mark, r.n, r.n ? r.last_type : -1,
		                 r.partial ? ", then a cut one" : "");
	return CHECK_OK;
}

static struct endpoint *rx_of(struct scen *s, enum dir d)
{
	return d == C2S ? &s->server : &s->client;
}

/* Delivers the first `keep` bytes of what is held in direction d, then the
 * transport EOF; nothing that direction sends later is delivered. */
static MUST_CHECK check_t cut_held(struct scen *s, enum dir d, size_t keep)
{
	struct pump *p = &s->pump;
	struct endpoint *rx = rx_of(s, d);
	if (keep > p->held[d].len)
		keep = p->held[d].len;
	if (keep) {
		int st = ep_incoming(rx, p->held[d].data, keep);
		if (st != TLSH_OK)
			return scen_fail(s, "%s process_incoming of %zu bytes returned %s",
			                 rx->label, keep, status_name(st));
	}
	bytes_reset(&p->held[d]);
	pump_truncate(p, d, p->total[d], 1);
	int st = pump_eof(p, d);
	if (st != TLSH_OK)
		return scen_fail(s, "%s process_incoming_eof returned %s (the contract: OK)",
		                 rx->label,
		                 st < 0 ? "nothing (no such function)" : status_name(st));
	return CHECK_OK;
}

/* Delivers a transport EOF in direction d, checking the call. */
static MUST_CHECK check_t eof_to(struct scen *s, enum dir d)
{
	pump_truncate(&s->pump, d, s->pump.total[d], 1);
	int st = pump_eof(&s->pump, d);
	if (st != TLSH_OK)
		return scen_fail(s, "%s process_incoming_eof returned %s (the contract: OK)",
		                 rx_of(s, d)->label,
		                 st < 0 ? "nothing (no such function)" : status_name(st));
	return CHECK_OK;
}

/* Opens a pinned pair, completes the handshake, checks it (API and wire),
 * then lets each side take in what the other sent last (TLS 1.3 tickets):
 * both reads must say WANT_READ, nothing else has happened yet. Returns 0
 * or -1 after a FAIL. */
static MUST_CHECK check_t established(struct scen *s)
{
	GUARD(scen_open_row(s));
	enum hs_result r = scen_handshake(s);
	if (r != HS_OK)
		return scen_fail(s, "handshake: %s (client %s, server %s)", hs_result_name(r),
		                 status_name(s->client_status), status_name(s->server_status));
	GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
	if (ep_version(&s->client) != VER(s))
		return scen_fail(s, "negotiated TLS %s with both sides pinned to %s",
		                 vname(ep_version(&s->client)), vname(VER(s)));
	struct endpoint *order[2] = {&s->client, &s->server};
	for (int i = 0; i < 2; i++) {
		uint8_t tmp[256];
		size_t k;
		pump_flush(&s->pump, S2C);
		pump_flush(&s->pump, C2S);
		int st = ep_read(order[i], tmp, sizeof tmp, &k);
		if (st != TLSH_WANT_READ)
			return scen_fail(s,
			                 "%s read right after the handshake (no data sent, no EOF) "
			                 "returned %s, not WANT_READ",
			                 order[i]->label, status_name(st));
	}
	return CHECK_OK;
}

/* Writes all of src from e, flushing direction d as it goes. */
static MUST_CHECK check_t write_all(struct scen *s, struct endpoint *e, enum dir d,
                                    const uint8_t *src, size_t n)
{
	size_t off = 0;
	for (int tries = 0; off < n && tries < 1000; tries++) {
		size_t k = 0;
		int st = ep_write(e, src + off, n - off, &k);
		if (st != TLSH_OK && st != TLSH_WANT_WRITE && st != TLSH_WANT_READ)
			return scen_fail(s, "%s write failed after %zu of %zu bytes: %s: %s",
			                 e->label, off, n, status_name(st), e->err.message);
		off += k;
		pump_flush(&s->pump, d);
	}
	if (off < n)
		return scen_fail(s, "%s write made no progress after %zu of %zu bytes", e->label,
		                 off, n);
	return CHECK_OK;
}

/* Holds what `e` sends, without delivering it. */
static void write_held(struct scen *s, struct endpoint *e, const uint8_t *src, size_t n, int *st)
{
	size_t k = 0;
	*st = ep_write(e, src, n, &k);
	if (*st == TLSH_OK && k != n)
		*st = -1;
	pump_hold(&s->pump, scen_dir_from(s, e));
}

/* Reads everything `e` returns until a status other than OK; plaintext goes
 * to `out`. Reads with a small buffer so that records are split. */
static int read_all(struct endpoint *e, struct bytes *out)
{
	uint8_t buf[1000];
	for (int i = 0; i < 100000; i++) {
		size_t k = 0;
		int st = ep_read(e, buf, sizeof buf, &k);
		if (st != TLSH_OK)
			return st;
		bytes_append(out, buf, k);
	}
	return TLSH_OK;
}

/* ---- transport EOF after the handshake, no close_notify ---------------- */

/* The direction of the transport EOF: towards the side the row names. */
static enum dir eof_dir(const struct scen *s)
{
	return s->def->eof_to & ROLE_BIT(TLSH_ROLE_CLIENT) ? S2C : C2S;
}

static MUST_CHECK check_t x_after_handshake(struct scen *s)
{
	enum dir d = eof_dir(s);
	const char *rxl = d == S2C ? "client" : "server";
	scen_expect(s,
	            "after a complete handshake, transport EOF without close_notify: the %s's "
	            "read returns RAGGED_EOF (not CLOSED, not OK, not WANT_READ), and again on "
	            "a second read",
	            rxl);
	GUARD(established(s));
	GUARD(eof_to(s, d));
	struct endpoint *rx = rx_of(s, d);
	uint8_t tmp[256];
	size_t k;
	int st = ep_read(rx, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_RAGGED_EOF,
	       "%s read after transport EOF without close_notify returned %s%s%s", rx->label,
	       status_name(st), st == TLSH_CLOSED ? " (a truncation reported as a clean end)" : "",
	       st == TLSH_WANT_READ ? " (would wait forever: no bytes can come)" : "");
	st = ep_read(rx, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_RAGGED_EOF,
	       "%s: first read after EOF returned RAGGED_EOF, the second returned %s", rx->label,
	       status_name(st));
	scen_observe(s, "TLS %s: RAGGED_EOF twice (%s)", vname(VER(s)), rx->err.message);
	return CHECK_OK;
}

/* ---- close_notify, then transport EOF: clean end, sticky ----------------- */

static MUST_CHECK check_t x_close_notify_eof(struct scen *s)
{
	enum dir d = eof_dir(s);
	struct endpoint *rx = rx_of(s, d), *tx = scen_peer(s, rx);
	scen_expect(s,
	            "the %s's shutdown sends close_notify (one protected alert record) and "
	            "returns WANT_READ; after it arrives and the transport ends, the %s's read "
	            "returns CLOSED, and CLOSED again on 4 more reads (sticky)",
	            tx->label, rx->label);
	GUARD(established(s));
	size_t mark = s->pump.wire[d].len;
	int st = ep_shutdown(tx);
	ENSURE(s, st == TLSH_WANT_READ,
	       "%s shutdown (close_notify sent, the peer's not yet received) returned %s, not "
	       "WANT_READ",
	       tx->label, status_name(st));
	pump_flush(&s->pump, d);
	GUARD(records_end_with(s, d, mark, alert_ct(s), "close_notify"));
	GUARD(eof_to(s, d));
	for (int i = 0; i < 5; i++) {
		uint8_t tmp[256];
		size_t k;
		st = ep_read(rx, tmp, sizeof tmp, &k);
		ENSURE(s, st == TLSH_CLOSED,
		       "%s read #%d after close_notify and transport EOF returned %s, not CLOSED%s",
		       rx->label, i + 1, status_name(st), i ? " (clean end is sticky)" : "");
	}
	scen_observe(s, "TLS %s: CLOSED on 5 reads", vname(VER(s)));
	return CHECK_OK;
}

/* ---- transport EOF during the handshake --------------------------------- */

enum hs_point {
	AT_SERVER_0,     /* server: EOF before any byte */
	AT_SERVER_CH,    /* server: EOF right after the ClientHello */
	AT_CLIENT_0,     /* client: EOF before any byte of the server's flight */
	AT_CLIENT_PART,  /* client: EOF after half of the server's first flight */
	AT_CLIENT_FLIGHT /* client: EOF after the server's whole first flight */
};

static const struct {
	const char *tag;
	const char *text;
} points[] = {
        {"server-after-0", "the server gets transport EOF before any byte"},
        {"server-after-clienthello", "the server gets the ClientHello, then transport EOF"},
        {"client-after-0", "the client gets transport EOF before any byte of the server's flight"},
        {"client-after-half-flight",
         "the client gets the first half of the server's first flight, then transport EOF"},
        {"client-after-flight",
         "the client gets the server's whole first flight, then transport EOF"},
};

static MUST_CHECK check_t x_handshake_eof(struct scen *s)
{
	enum hs_point at = (enum hs_point)s->def->p;
	enum dir d = at <= AT_SERVER_CH ? C2S : S2C;
	struct endpoint *rx = rx_of(s, d);
	/* In TLS 1.3 the server's first flight is all the client needs: it
	 * completes, and the missing close_notify shows on its first read. */
	int completes = at == AT_CLIENT_FLIGHT && IS13(s);
	if (completes)
		scen_expect(s,
		            "%s (TLS 1.3: that is the whole server side of the handshake): the "
		            "client completes, the server too; the client's read then returns "
		            "RAGGED_EOF",
		            points[at].text);
	else
		scen_expect(s,
		            "%s: its handshake fails with TLS_ERROR (never OK, never a hang); the "
		            "ClientHello on the wire offers exactly TLS %s",
		            points[at].text, vname(VER(s)));
	GUARD(scen_open_row(s));
	int st = ep_handshake(&s->client);
	ENSURE(s, st == TLSH_WANT_READ, "client's first do_handshake returned %s, not WANT_READ",
	       status_name(st));
	size_t n, keep;
	if (d == C2S) {
		n = pump_hold(&s->pump, C2S);
		ENSURE(s, n > 0, "the client's first do_handshake produced no ClientHello");
		keep = at == AT_SERVER_0 ? 0 : n;
	} else {
		pump_flush(&s->pump, C2S);
		st = ep_handshake(&s->server);
		ENSURE(s, st == TLSH_WANT_READ,
		       "server's do_handshake after the ClientHello returned %s, not WANT_READ",
		       status_name(st));
		n = pump_hold(&s->pump, S2C);
		ENSURE(s, n > 0, "the server answered the ClientHello with nothing");
		keep = at == AT_CLIENT_0 ? 0 : at == AT_CLIENT_PART ? n / 2 : n;
	}
	if (completes && scen_wire(s)->saw_hrr) {
		/* The server's first flight was a HelloRetryRequest (RFC 8446
		 * section 4.1.4): without the rest the client cannot complete. */
		completes = 0;
		scen_expect(s,
		            "%s, which is a HelloRetryRequest: the client's handshake fails with "
		            "TLS_ERROR (never OK, never a hang)",
		            points[at].text);
	}
	GUARD(cut_held(s, d, keep));
	enum hs_result r = scen_handshake(s);
	int rst = rx == &s->client ? s->client_status : s->server_status;

	/* Wire: the ClientHello offers the pinned version; a ServerHello, if
	 * any reached the wire, selects it; no ServerHello without a
	 * ClientHello. */
	const struct wire *w = scen_wire(s);
	char why[256];
	uint16_t wv = (uint16_t)VER(s);
	if (wire_offers_range(&w->ch, wv, wv, why, sizeof why) != 0)
		FAIL(s, "%s", why);
	ENSURE(s, !(at == AT_SERVER_0 && w->sh.present),
	       "the server sent a ServerHello although it never received a ClientHello");
	ENSURE(s, !w->sh.present || w->version == wv,
	       "the ServerHello selected 0x%04x with both sides pinned to 0x%04x", w->version, wv);

	if (completes) {
		ENSURE(s, r == HS_OK,
		       "handshake: %s (client %s, server %s); the client had every byte it needed",
		       hs_result_name(r), status_name(s->client_status),
		       status_name(s->server_status));
		GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
		uint8_t tmp[256];
		size_t k;
		st = ep_read(&s->client, tmp, sizeof tmp, &k);
		ENSURE(s, st == TLSH_RAGGED_EOF,
		       "client read after the completed handshake and transport EOF returned %s, "
		       "not RAGGED_EOF",
		       status_name(st));
		scen_observe(s, "kept %zu of %zu bytes: handshake completed, then RAGGED_EOF", keep,
		             n);
		return CHECK_OK;
	}
	ENSURE(s, !rx->handshake_done,
	       "the %s completed its handshake although the transport ended after %zu of %zu "
	       "bytes of the peer's flight",
	       rx->label, keep, n);
	ENSURE(s, rst == TLSH_TLS_ERROR,
	       "the %s got transport EOF after %zu of %zu bytes and its do_handshake returned %s "
	       "(handshake %s)%s",
	       rx->label, keep, n, status_name(rst), hs_result_name(r),
	       rst == TLSH_WANT_READ ? ": it would wait forever" : "");
	scen_observe(s, "kept %zu of %zu bytes: %s TLS_ERROR (%s)", keep, n, rx->label,
	             rx->err.message);
	return CHECK_OK;
}

/* ---- truncated record, then EOF ---------------------------------------- */

static MUST_CHECK check_t x_truncated_record(struct scen *s)
{
	size_t cut = 4;
	enum dir d = eof_dir(s);
	struct endpoint *rx = rx_of(s, d), *tx = scen_peer(s, rx);
	scen_expect(s,
	            "the %s writes 64 bytes (one application_data record); the %s gets all but "
	            "its last %zu bytes, then transport EOF: read returns RAGGED_EOF or "
	            "TLS_ERROR, never the partial plaintext, never CLOSED, never WANT_READ",
	            tx->label, rx->label, cut);
	GUARD(established(s));
	uint8_t msg[64];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)('a' + i % 26);
	size_t mark = s->pump.wire[d].len;
	int st;
	write_held(s, tx, msg, sizeof msg, &st);
	ENSURE(s, st == TLSH_OK, "%s write of 64 bytes returned %s", tx->label,
	       st < 0 ? "OK with a short count" : status_name(st));
	GUARD(records_end_with(s, d, mark, CT_APPDATA, "write of 64 bytes"));
	size_t n = s->pump.held[d].len;
	GUARD(cut_held(s, d, n - cut));
	struct bytes got = {0};
	st = read_all(rx, &got);
	size_t gl = got.len;
	bytes_free(&got);
	ENSURE(s, gl == 0,
	       "%s read returned %zu bytes of plaintext from a record cut %zu bytes short "
	       "(its authentication tag cannot have been checked)",
	       rx->label, gl, cut);
	ENSURE(s, st == TLSH_RAGGED_EOF || st == TLSH_TLS_ERROR,
	       "%s read of a record cut %zu bytes short, then transport EOF, returned %s%s",
	       rx->label, cut, status_name(st),
	       st == TLSH_CLOSED      ? " (a truncation reported as a clean end)"
	       : st == TLSH_WANT_READ ? " (would wait forever: no bytes can come)"
	                              : "");
	uint8_t tmp[64];
	size_t k;
	int st2 = ep_read(rx, tmp, sizeof tmp, &k);
	ENSURE(s, st2 != TLSH_OK && st2 != TLSH_CLOSED && st2 != TLSH_WANT_READ,
	       "%s: first read returned %s, the second %s", rx->label, status_name(st),
	       status_name(st2));
	scen_observe(s, "%zu of %zu bytes delivered: %s, then %s", n - cut, n, status_name(st),
	             status_name(st2));
	return CHECK_OK;
}

/* ---- pending plaintext delivered before RAGGED_EOF --------------------- */

/* Pending plaintext delivered before RAGGED_EOF, to the side the row's EOF
 * goes to. With `first_read` > 0 that side reads that many bytes (reads of
 * at most 64 bytes) before the transport EOF arrives, and the rest after
 * it. */
static MUST_CHECK check_t pending_then_eof(struct scen *s, size_t first_read)
{
	static const size_t sizes[3] = {1, 16384, 4000};
	size_t total = sizes[0] + sizes[1] + sizes[2];
	enum dir d = eof_dir(s);
	struct endpoint *rx = rx_of(s, d), *tx = scen_peer(s, rx);
	if (first_read)
		scen_expect(s,
		            "the %s writes %zu, %zu and %zu bytes (whole application_data records, "
		            "all delivered); the %s reads %zu bytes, then the transport ends: its "
		            "reads return the other %zu bytes intact and in order, then RAGGED_EOF "
		            "(nothing pending is lost)",
		            tx->label, sizes[0], sizes[1], sizes[2], rx->label, first_read,
		            total - first_read);
	else
		scen_expect(s,
		            "the %s writes %zu, %zu and %zu bytes (whole application_data records, "
		            "all delivered), then transport EOF: the %s reads all %zu bytes intact "
		            "and in order, then RAGGED_EOF",
		            tx->label, sizes[0], sizes[1], sizes[2], rx->label, total);
	GUARD(established(s));
	uint8_t *src = xmalloc(total);
	for (size_t i = 0; i < total; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 8));
	size_t mark = s->pump.wire[d].len, off = 0;
	for (int i = 0; i < 3; i++) {
		check_t rc = write_all(s, tx, d, src + off, sizes[i]);
		if (IS_FAILED(rc)) {
			free(src);
			return rc;
		}
		off += sizes[i];
	}
	pump_flush(&s->pump, d);
	struct recs r;
	scan_records(s->pump.wire[d].data + mark, s->pump.wire[d].len - mark, &r);
	if (!s->pump.truncated_transcript &&
	    (r.partial || r.n < 3 || r.by_type[CT_APPDATA - 20] != r.n)) {
		free(src);
		FAIL(s,
		     "the %s's writes did not leave as whole application_data records: "
		     "%zu records, %zu of them application_data%s",
		     tx->label, r.n, r.by_type[CT_APPDATA - 20], r.partial ? ", last one cut" : "");
	}
	struct bytes got = {0};
	int st = TLSH_OK;
	while (got.len < first_read) {
		uint8_t buf[64];
		size_t want = first_read - got.len < sizeof buf ? first_read - got.len : sizeof buf;
		size_t k = 0;
		st = ep_read(rx, buf, want, &k);
		if (st != TLSH_OK)
			break;
		bytes_append(&got, buf, k);
	}
	if (st != TLSH_OK) {
		size_t gl = got.len;
		bytes_free(&got);
		free(src);
		FAIL(s, "%s read %zu of the first %zu bytes, then %s (all %zu were delivered)",
		     rx->label, gl, first_read, status_name(st), total);
	}
	check_t rc = eof_to(s, d);
	if (IS_FAILED(rc)) {
		bytes_free(&got);
		free(src);
		return rc;
	}
	st = read_all(rx, &got);
	size_t bad = got.len;
	for (size_t i = 0; i < got.len && i < total; i++) {
		if (got.data[i] != src[i]) {
			bad = i;
			break;
		}
	}
	size_t gl = got.len;
	bytes_free(&got);
	free(src);
	ENSURE(s, gl == total && bad == total, "%s read %zu of %zu bytes before %s%s", rx->label,
	       gl, total, status_name(st), bad < gl ? " (and a wrong byte: integrity)" : "");
	ENSURE(s, st == TLSH_RAGGED_EOF, "%s read all %zu bytes, then %s, not RAGGED_EOF",
	       rx->label, total, status_name(st));
	scen_observe(s, "TLS %s: %zu bytes in %zu records to the %s, then RAGGED_EOF",
	             vname(VER(s)), total, r.n, rx->label);
	return CHECK_OK;
}

static MUST_CHECK check_t x_pending_data(struct scen *s)
{
	return pending_then_eof(s, 0);
}

static MUST_CHECK check_t x_partial_read(struct scen *s)
{
	return pending_then_eof(s, 700);
}

/* ---- the shutdown sequence --------------------------------------------- */

/* The side a row's shutdown or write case is about: the row's role, the
 * client when it names none. */
static struct endpoint *row_side(struct scen *s)
{
	return s->def->role == TLSH_ROLE_SERVER ? &s->server : &s->client;
}

static MUST_CHECK check_t x_shutdown(struct scen *s)
{
	struct endpoint *a = row_side(s), *b = scen_peer(s, a);
	enum dir da = scen_dir_from(s, a), db = scen_dir_from(s, b);
	scen_expect(s,
	            "%s shutdown sends close_notify and returns WANT_READ (also when called "
	            "again); the %s's read returns CLOSED; the %s's shutdown sends its "
	            "close_notify and returns OK; the %s's shutdown then returns OK and its "
	            "read CLOSED",
	            a->label, b->label, b->label, a->label);
	GUARD(established(s));
	size_t mc = s->pump.wire[da].len;
	int st = ep_shutdown(a);
	ENSURE(s, st == TLSH_WANT_READ,
	       "%s shutdown (first call, nothing received) returned %s, not WANT_READ", a->label,
	       status_name(st));
	pump_flush(&s->pump, da);
	GUARD(records_end_with(s, da, mc, alert_ct(s), "first close_notify"));
	st = ep_shutdown(a);
	ENSURE(s, st == TLSH_WANT_READ,
	       "%s shutdown called again before the %s's close_notify returned %s, not "
	       "WANT_READ",
	       a->label, b->label, status_name(st));
	pump_flush(&s->pump, da);
	uint8_t tmp[256];
	size_t k;
	st = ep_read(b, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_CLOSED, "%s read after the %s's close_notify returned %s", b->label,
	       a->label, status_name(st));
	size_t ms = s->pump.wire[db].len;
	st = ep_shutdown(b);
	ENSURE(s, st == TLSH_OK,
	       "%s shutdown after it received close_notify returned %s, not OK (both "
	       "close_notify alerts are then sent and received)",
	       b->label, status_name(st));
	pump_flush(&s->pump, db);
	GUARD(records_end_with(s, db, ms, alert_ct(s), "answering close_notify"));
	st = ep_shutdown(a);
	ENSURE(s, st == TLSH_OK, "%s shutdown after the %s's close_notify returned %s", a->label,
	       b->label, status_name(st));
	st = ep_read(a, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_CLOSED, "%s read after the completed shutdown returned %s", a->label,
	       status_name(st));
	st = ep_read(b, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_CLOSED, "%s read again after close_notify returned %s (sticky)",
	       b->label, status_name(st));
	scen_observe(s, "TLS %s, %s first: WANT_READ, WANT_READ, CLOSED, OK, OK", vname(VER(s)),
	             a->label);
	return CHECK_OK;
}

/* ---- write after shutdown ---------------------------------------------- */

static MUST_CHECK check_t x_write_after_shutdown(struct scen *s)
{
	struct endpoint *a = row_side(s), *b = scen_peer(s, a);
	enum dir da = scen_dir_from(s, a);
	scen_expect(s,
	            "after the %s's shutdown (close_notify sent), its write returns TLS_ERROR "
	            "and nothing more leaves the %s; the %s reads CLOSED",
	            a->label, a->label, b->label);
	GUARD(established(s));
	int st = ep_shutdown(a);
	ENSURE(s, st == TLSH_WANT_READ, "%s shutdown returned %s, not WANT_READ", a->label,
	       status_name(st));
	pump_flush(&s->pump, da);
	size_t mark = s->pump.total[da];
	static const uint8_t late[] = "late data";
	size_t k = 0;
	st = ep_write(a, late, sizeof late - 1, &k);
	pump_flush(&s->pump, da);
	size_t more = s->pump.total[da] - mark;
	ENSURE(s, st == TLSH_TLS_ERROR, "%s write after shutdown returned %s (%zu bytes taken)",
	       a->label, status_name(st), k);
	ENSURE(s, more == 0, "the %s sent %zu more bytes after its close_notify", a->label, more);
	uint8_t tmp[64];
	st = ep_read(b, tmp, sizeof tmp, &k);
	ENSURE(s, st == TLSH_CLOSED, "%s read after the %s's close_notify returned %s", b->label,
	       a->label, status_name(st));
	scen_observe(s, "TLS %s: %s write after shutdown: TLS_ERROR (%s)", vname(VER(s)), a->label,
	             a->err.message);
	return CHECK_OK;
}

/* ---- data after close_notify is ignored -------------------------------- */

/* Appends harness-made bytes to what is held for direction d and to the
 * transcript, so that the transcript shows what the receiver was given. */
static void inject_held(struct scen *s, enum dir d, const uint8_t *data, size_t n)
{
	struct pump *p = &s->pump;
	bytes_append(&p->held[d], data, n);
	if (!p->truncated_transcript && p->wire[d].len + n <= TRANSCRIPT_CAP && p->nseg &&
	    p->seg[p->nseg - 1].dir == d) {
		bytes_append(&p->wire[d], data, n);
		p->seg[p->nseg - 1].len += (uint32_t)n;
	}
	p->total[d] += n;
}

static MUST_CHECK check_t x_data_after_close_notify(struct scen *s)
{
	struct endpoint *rx = row_side(s), *tx = scen_peer(s, rx);
	enum dir d = scen_dir_from(s, tx);
	scen_expect(s,
	            "the %s writes \"A\" and shuts down; the %s gets that record, the "
	            "close_notify and a replayed copy of the \"A\" record in one delivery: read "
	            "returns \"A\", then CLOSED (5 times); the bytes after close_notify are "
	            "ignored, never returned, never an error",
	            tx->label, rx->label);
	GUARD(established(s));
	size_t mark = s->pump.wire[d].len;
	int st;
	write_held(s, tx, (const uint8_t *)"A", 1, &st);
	ENSURE(s, st == TLSH_OK, "%s write of 1 byte returned %s", tx->label,
	       st < 0 ? "OK with a short count" : status_name(st));
	GUARD(records_end_with(s, d, mark, CT_APPDATA, "write of 1 byte"));
	/* The record that carries "A" (TLS 1.3 tickets may come before it). */
	struct recs r;
	scan_records(s->pump.held[d].data, s->pump.held[d].len, &r);
	struct bytes rec = {0};
	bytes_append(&rec, s->pump.held[d].data + r.last_off, 5 + r.last_len);
	size_t mark2 = s->pump.wire[d].len;
	st = ep_shutdown(tx);
	pump_hold(&s->pump, d);
	if (st != TLSH_WANT_READ) {
		bytes_free(&rec);
		FAIL(s, "%s shutdown returned %s, not WANT_READ", tx->label, status_name(st));
	}
	check_t rc = records_end_with(s, d, mark2, alert_ct(s), "close_notify");
	if (IS_FAILED(rc)) {
		bytes_free(&rec);
		return rc;
	}
	inject_held(s, d, rec.data, rec.len);
	bytes_free(&rec);
	st = pump_release(&s->pump, d);
	ENSURE(s, st == TLSH_OK,
	       "%s process_incoming of record + close_notify + replayed record returned %s",
	       rx->label, status_name(st));
	struct bytes got = {0};
	st = read_all(rx, &got);
	int is_a = got.len == 1 && got.data[0] == 'A';
	size_t gl = got.len;
	bytes_free(&got);
	ENSURE(s, is_a, "%s read returned %zu bytes before %s, not exactly \"A\"%s", rx->label, gl,
	       status_name(st), gl > 1 ? " (data after close_notify returned as plaintext)" : "");
	ENSURE(s, st == TLSH_CLOSED,
	       "%s read after \"A\" and close_notify returned %s, not CLOSED%s", rx->label,
	       status_name(st),
	       st == TLSH_TLS_ERROR ? " (the bytes after close_notify must be ignored)" : "");
	for (int i = 0; i < 4; i++) {
		uint8_t tmp[64];
		size_t k;
		st = ep_read(rx, tmp, sizeof tmp, &k);
		ENSURE(s, st == TLSH_CLOSED, "%s read #%d after CLOSED returned %s (sticky)",
		       rx->label, i + 2, status_name(st));
	}
	scen_observe(s, "TLS %s: \"A\", then CLOSED 5 times (%s)", vname(VER(s)), rx->label);
	return CHECK_OK;
}

/* ---- the rows -------------------------------------------------------------- */

#define C TLSH_ROLE_CLIENT
#define S TLSH_ROLE_SERVER
#define SPEC_EOF "RFC 8446 section 6.1; descriptor: process_incoming_eof"
#define SPEC_CLOSED                                                                                \
	"RFC 8446 section 6.1; descriptor: process_incoming_eof, read (CLOSED is sticky)"

static const struct axval point_vals[] = {
        {.tag = "server-after-0", .v = S, .w = AT_SERVER_0},
        {.tag = "server-after-clienthello", .v = S, .w = AT_SERVER_CH},
        {.tag = "client-after-0", .v = C, .w = AT_CLIENT_0},
        {.tag = "client-after-half-flight", .v = C, .w = AT_CLIENT_PART},
        {.tag = "client-after-flight", .v = C, .w = AT_CLIENT_FLIGHT},
};
static const struct axis ax_point = AXIS2("point", DIM_EOF_TO, DIM_P, point_vals);

static const struct row rows[] = {
        {.id = "ragged-eof/after-handshake/{to}/{ver}",
         .spec = SPEC_EOF,
         .title = "transport EOF without close_notify after the handshake: the read gives "
                  "RAGGED_EOF",
         .axes = {&ax_eof_to, &ax_ver},
         .extra = x_after_handshake},
        {.id = "ragged-eof/close-notify-then-eof/to-client/{ver}",
         .spec = SPEC_CLOSED,
         .title = "server close_notify then transport EOF: client read gives CLOSED, sticky",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(C),
         .shutdown_by = ROLE_BIT(S),
         .extra = x_close_notify_eof},
        {.id = "ragged-eof/close-notify-then-eof/to-server/{ver}",
         .spec = SPEC_CLOSED,
         .title = "client close_notify then transport EOF: server read gives CLOSED, sticky",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(S),
         .shutdown_by = ROLE_BIT(C),
         .extra = x_close_notify_eof},
        {.id = "ragged-eof/handshake/{point}/{ver}",
         .spec = "RFC 8446 section 6.1; descriptor: process_incoming_eof (a handshake in "
                 "progress fails with TLS_ERROR)",
         .title = "transport EOF during the handshake: the side that got it fails, never "
                  "succeeds or hangs",
         .axes = {&ax_point, &ax_ver},
         .extra = x_handshake_eof},
        {.id = "ragged-eof/truncated-record/{ver}",
         .spec = "RFC 8446 sections 5.2 and 6.1; descriptor: read, process_incoming_eof",
         .title = "application_data record cut short, then transport EOF: no partial "
                  "plaintext, RAGGED_EOF or TLS_ERROR",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(C),
         .extra = x_truncated_record},
        {.id = "ragged-eof/pending-data/{ver}",
         .spec = "descriptor: process_incoming_eof, read (RAGGED_EOF)",
         .title = "plaintext received before transport EOF is all returned, then RAGGED_EOF",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(C),
         .extra = x_pending_data},
        {.id = "ragged-eof/truncated-record/to-server/{ver}",
         .spec = "RFC 8446 sections 5.2 and 6.1; descriptor: read, process_incoming_eof",
         .title = "the same in the server role: a record cut short, then transport EOF",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(S),
         .extra = x_truncated_record},
        {.id = "ragged-eof/pending-data/to-server/{ver}",
         .spec = "descriptor: process_incoming_eof, read (RAGGED_EOF)",
         .title = "the same in the server role: all plaintext received before transport EOF, "
                  "then RAGGED_EOF",
         .axes = {&ax_ver},
         .eof_to = ROLE_BIT(S),
         .extra = x_pending_data},
        {.id = "ragged-eof/partial-read/{to}/{ver}",
         .spec = "descriptor: process_incoming_eof, read (RAGGED_EOF only after all earlier "
                 "plaintext was returned)",
         .title = "part of the pending plaintext read, then transport EOF: the rest is "
                  "returned, then RAGGED_EOF",
         .axes = {&ax_eof_to, &ax_ver},
         .extra = x_partial_read},
        {.id = "ragged-eof/shutdown/{ver}",
         .spec = "RFC 8446 section 6.1; descriptor: shutdown",
         .title = "shutdown waits for the peer's close_notify (WANT_READ), then completes",
         .axes = {&ax_ver},
         .shutdown_by = ROLE_BIT(C) | ROLE_BIT(S),
         .extra = x_shutdown},
        {.id = "ragged-eof/shutdown/server-first/{ver}",
         .spec = "RFC 8446 section 6.1; descriptor: shutdown",
         .title = "the same with the server shutting down first",
         .axes = {&ax_ver},
         .role = S,
         .shutdown_by = ROLE_BIT(C) | ROLE_BIT(S),
         .extra = x_shutdown},
        {.id = "ragged-eof/write-after-shutdown/{ver}",
         .spec = "RFC 8446 section 6.1; descriptor: write",
         .title = "write after shutdown returns TLS_ERROR and sends nothing",
         .axes = {&ax_ver},
         .shutdown_by = ROLE_BIT(C),
         .extra = x_write_after_shutdown},
        {.id = "ragged-eof/write-after-shutdown/server/{ver}",
         .spec = "RFC 8446 section 6.1; descriptor: write",
         .title = "the same in the server role: write after shutdown returns TLS_ERROR",
         .axes = {&ax_ver},
         .role = S,
         .shutdown_by = ROLE_BIT(S),
         .extra = x_write_after_shutdown},
        {.id = "ragged-eof/data-after-close-notify/{ver}",
         .spec = "RFC 8446 section 6.1 (data after a closure alert MUST be ignored); "
                 "descriptor: read",
         .title = "records after close_notify are ignored: read gives the data before it, "
                  "then CLOSED",
         .axes = {&ax_ver},
         .shutdown_by = ROLE_BIT(S),
         .extra = x_data_after_close_notify},
        {.id = "ragged-eof/data-after-close-notify/to-server/{ver}",
         .spec = "RFC 8446 section 6.1 (data after a closure alert MUST be ignored); "
                 "descriptor: read",
         .title = "the same in the server role: records after the client's close_notify are "
                  "ignored",
         .axes = {&ax_ver},
         .role = S,
         .shutdown_by = ROLE_BIT(C),
         .extra = x_data_after_close_notify},
};

FAMILY(family_ragged_eof, "ragged-eof", rows);
