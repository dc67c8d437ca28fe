/* interp.c - the one interpreter of catalog rows.
 *
 * A row without an extra function is run by its expected outcome:
 *  - established: both sides built from the row, the handshake completes,
 *    API and wire agree (scen_check_established, the oracle's notes), a
 *    version both sides are bound to is the one negotiated, the peer
 *    certificate and TLS 1.2 wire counts the row names are checked, the
 *    row's check runs, then data crosses with integrity (the row's transfer,
 *    else 100 bytes each way) and every record stays within its limit;
 *  - client rejects / server rejects: the side fails first with one of the
 *    row's alerts (PASS-LOOSE otherwise), the peer follows;
 *  - configuration error / OK: validate_config and context_new (and
 *    buffer_new) on the solo side agree on the verdict.
 * A row with an extra function is run by it alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "scenario.h"
#include "tlsmsg.h"
#include "util.h"

static const char *outcome_text(const struct scen_def *d)
{
	switch (d->row->outcome) {
	case OUT_ESTABLISHED:
		return "the handshake completes; both sides agree with each other and with the "
		       "wire";
	case OUT_CLIENT_REJECTS:
		return "the client rejects the handshake";
	case OUT_SERVER_REJECTS:
		return "the server rejects the handshake";
	case OUT_CONFIG_ERROR:
		return "validate_config returns CONFIGURATION_ERROR and context_new refuses it";
	case OUT_CONFIG_OK:
		return "validate_config returns OK; context_new and buffer_new succeed";
	case OUT_BUFFER_REFUSED:
		return "validate_config and context_new accept the configuration; buffer_new "
		       "returns CONFIGURATION_ERROR";
	case OUT_REJECTS:
		return "the backend under test aborts where the puppet's mutated message arrives "
		       "(nothing but an alert follows)";
	case OUT_PROCEEDS:
		return "the backend under test takes the puppet's mutated message and sends its "
		       "next flight";
	case OUT_EXTRA:
		break;
	}
	return "";
}

static void set_expected(struct scen *s)
{
	const struct scen_def *d = s->def;
	const char *base = d->row->expect ? d->row->expect : outcome_text(d);
	char alerts[160] = "";
	size_t o = 0;
	for (size_t i = 0; i < ROW_MAX_ALERTS && d->row->alerts[i]; i++)
		o += (size_t)snprintf(alerts + o, sizeof alerts - o, "%s%s", i ? " or " : "",
		                      alert_name(d->row->alerts[i]));
	if (alerts[0])
		scen_expect(s, "%s, with %s", base, alerts);
	else
		scen_expect(s, "%s", base);
}

/* Every record that crossed in direction d is within the record size limit
 * of the version (RFC 8446 section 5.2: 2^14 + 256; RFC 5246 section 6.2.3:
 * 2^14 + 2048). Only the transcript's first TRANSCRIPT_CAP bytes are seen. */
static MUST_CHECK check_t check_record_sizes(struct scen *s, enum dir d, enum tlsh_version v)
{
	const struct bytes *b = &s->pump.wire[d];
	size_t limit = v == TLSH_TLS_1_3 ? 16384 + 256 : 16384 + 2048, off = 0;
	while (off + 5 <= b->len) {
		size_t len = (size_t)b->data[off + 3] << 8 | b->data[off + 4];
		ENSURE(s, len <= limit, "%s record of %zu bytes at offset %zu exceeds %zu",
		       d == C2S ? "client" : "server", len, off, limit);
		off += 5 + len;
	}
	return CHECK_OK;
}

/* The row's transfer, then nothing more arrives and records stay in limits. */
static MUST_CHECK check_t transfer(struct scen *s)
{
	const struct scen_def *d = s->def;
	if (d->row->after.no_transfer)
		return CHECK_OK;
	size_t size = d->size ? d->size : 100;
	int both = !d->size || d->dir == DIR_BOTH;
	for (int k = C2S; k <= S2C; k++) {
		if (!both && k != d->dir)
			continue;
		GUARD(scen_transfer(s, (enum dir)k, size, size));
		struct endpoint *rx = k == C2S ? &s->server : &s->client;
		uint8_t buf[64];
		size_t n = 0;
		pump_flush(&s->pump, (enum dir)k);
		int st = ep_read(rx, buf, sizeof buf, &n);
		ENSURE(s, st == TLSH_WANT_READ,
		       "%s read after the transfer returned %s%s (%zu bytes)", rx->label,
		       status_name(st), st == TLSH_OK ? ": extra data" : "", n);
	}
	enum tlsh_version v = ep_version(&s->client);
	GUARD(check_record_sizes(s, C2S, v));
	return check_record_sizes(s, S2C, v);
}

/* TLS 1.2 wire counts the row names (the handshake is in plaintext there). */
static MUST_CHECK check_t check_wire_counts(struct scen *s)
{
	const struct after *a = &s->def->row->after;
	const struct wire *w = scen_wire(s);
	if (w->version != 0x0303)
		return CHECK_OK;
	if (a->server_certs)
		ENSURE(s, w->server_cert_count == a->server_certs,
		       "the server's Certificate message carries %d certificate(s), expected %d",
		       w->server_cert_count, a->server_certs);
	if (a->cert_request)
		ENSURE(s, w->cert_request == (a->cert_request > 0),
		       "the server %s a CertificateRequest", w->cert_request ? "sent" : "sent no");
	if (a->client_certs == -2)
		ENSURE(s, w->client_cert_count < 0,
		       "the client sent a Certificate message (%d certs)", w->client_cert_count);
	else if (a->client_certs == -3)
		ENSURE(s, w->client_cert_count == 0,
		       "the client's Certificate carries %d certificate(s), expected an empty one "
		       "(RFC 5246 section 7.4.6)",
		       w->client_cert_count);
	else if (a->client_certs)
		ENSURE(s, w->client_cert_count == a->client_certs,
		       "the client's Certificate carries %d certificate(s), expected %d",
		       w->client_cert_count, a->client_certs);
	return CHECK_OK;
}

/* Printable rendering of a protocol name (bytes outside 0x21..0x7e as \xNN,
 * long names shortened). */
static const char *show(const uint8_t *p, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	dst[0] = '\0';
	if (!p)
		return fmt_into(dst, cap, "none");
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		if (n > 40 && i == 16) {
			o += (size_t)snprintf(dst + o, cap - o, "...(%zu bytes)...", n);
			i = n - 8;
		}
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			dst[o++] = (char)p[i];
		else
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", p[i]);
		dst[o] = '\0';
	}
	return dst;
}

/* The ClientHello's ALPN list, wire form, equals the client's configured list
 * (absent when none is configured): RFC 7301 section 3.1. */
static MUST_CHECK check_t check_ch_alpn(struct scen *s)
{
	const struct wire *w = scen_wire(s);
	const struct tlsh_config *c = &s->ccfg.cfg;
	if (!w->ch.present)
		return CHECK_OK;
	uint8_t enc[4096];
	size_t n = 0;
	for (size_t i = 0; i < c->inner_protocols_len && n + 256 < sizeof enc; i++) {
		enc[n++] = (uint8_t)c->inner_protocols[i].len;
		memcpy(enc + n, c->inner_protocols[i].data, c->inner_protocols[i].len);
		n += c->inner_protocols[i].len;
	}
	if (!c->inner_protocols_len)
		ENSURE(s, !w->ch.has_alpn,
		       "the ClientHello carries ALPN but the client configured none");
	else
		ENSURE(s, w->ch.has_alpn && w->ch.alpn_len == n && !memcmp(w->ch.alpn, enc, n),
		       "the ClientHello's ALPN list is %s the %zu configured protocol(s)",
		       w->ch.has_alpn ? "not" : "absent, not", c->inner_protocols_len);
	return CHECK_OK;
}

/* Both sides report the row's protocol; a TLS 1.2 ServerHello selects it. */
static MUST_CHECK check_t check_alpn(struct scen *s)
{
	const struct after *a = &s->def->row->after;
	const uint8_t *want = a->alpn.data;
	size_t wantlen = a->alpn.len;
	char x[200], y[200];
	struct endpoint *eps[2] = {&s->client, &s->server};
	for (int i = 0; i < 2; i++) {
		const uint8_t *p;
		size_t n;
		int has = ep_alpn(eps[i], &p, &n);
		ENSURE(s, has == (want != NULL) && (!has || (n == wantlen && !memcmp(p, want, n))),
		       "%s negotiated_protocol is %s, expected %s", eps[i]->label,
		       show(has ? p : NULL, n, x, sizeof x), show(want, wantlen, y, sizeof y));
	}
	const struct wire *w = scen_wire(s);
	if (w->version == 0x0303) {
		ENSURE(s, w->sh.has_alpn == (want != NULL),
		       "the TLS 1.2 ServerHello %s an ALPN extension; expected %s",
		       w->sh.has_alpn ? "carries" : "carries no", show(want, wantlen, y, sizeof y));
		ENSURE(s,
		       !want || (w->sh.alpn_len == wantlen && !memcmp(w->sh.alpn, want, wantlen)),
		       "the TLS 1.2 ServerHello selects %s, the API reports %s",
		       show(w->sh.alpn, w->sh.alpn_len, x, sizeof x),
		       show(want, wantlen, y, sizeof y));
	}
	return CHECK_OK;
}

/* The byte counts the row asks for: no deviation was seen on any
 * process_outgoing / process_incoming (endpoint.h count_check), and once
 * everything was sent and read both counts are 0 on both sides. */
static MUST_CHECK check_t check_counts(struct scen *s)
{
	pump_flush(&s->pump, C2S);
	pump_flush(&s->pump, S2C);
	struct endpoint *eps[2] = {&s->client, &s->server};
	for (int i = 0; i < 2; i++) {
		struct endpoint *e = eps[i];
		ENSURE(s, !e->count_note[0], "%s", e->count_note);
		uint8_t tmp[64];
		size_t n = 0;
		int st = ep_read(e, tmp, sizeof tmp, &n);
		ENSURE(s, st == TLSH_WANT_READ, "%s read after everything was read returned %s",
		       e->label, status_name(st));
		size_t in = ep_in_pending(e), out = ep_out_pending(e);
		ENSURE(s, in == 0 && out == 0,
		       "%s: everything sent was delivered and read, yet incoming_bytes_buffered is "
		       "%zu and outgoing_bytes_buffered %zu (expected 0 and 0)",
		       e->label, in, out);
	}
	scen_observe(s, "TLS %s: byte counts exact on every call of both sides",
	             vname(ep_version(&s->client)));
	return CHECK_OK;
}

static int pinned(const struct scen_def *d)
{
	return d->clo && d->clo == d->chi && d->slo == d->clo && d->shi == d->clo &&
	       d->clo != TLSH_VERSION_MINIMUM_SUPPORTED && d->clo != TLSH_VERSION_MAXIMUM_SUPPORTED;
}

static MUST_CHECK check_t run_established(struct scen *s)
{
	const struct scen_def *d = s->def;
	const struct after *a = &d->row->after;
	GUARD(scen_open_row(s));
	GUARD(scen_establish(s, &s->ccfg, &s->scfg, s->host));
	enum tlsh_version cv = ep_version(&s->client), sv = ep_version(&s->server);
	if (pinned(d))
		ENSURE(s, cv == d->clo && sv == d->clo,
		       "negotiated_tls_version: client %s, server %s; both sides are bound to %s",
		       vname(cv), vname(sv), vname(d->clo));
	if (a->peercert_on)
		GUARD(scen_check_peercert(s, scen_ep(s, (enum tlsh_role)a->peercert_on),
		                          kt_name(d->kt), a->peercert_stem));
	GUARD(check_wire_counts(s));
	if (a->alpn_check)
		GUARD(check_alpn(s));
	GUARD(transfer(s));
	scen_observe(s, "TLS %s, cipher 0x%04x%s", vname(ep_version(&s->client)),
	             ep_cipher(&s->client), d->policy ? ", fragmented delivery" : "");
	if (a->counts)
		GUARD(check_counts(s));
	if (d->row->check)
		GUARD(d->row->check(s));
	return CHECK_OK;
}

/* ---- several connections per context --------------------------------------- */

#define CONNS_MAX 6

/* One connection that is not the one being driven: its two buffer
 * endpoints and its pump, swapped with s->client / s->server / s->pump. */
struct conn {
	struct endpoint c, v;
	struct pump p;
	int open, failed;
};

static void conn_swap(struct scen *s, struct conn *k)
{
	struct endpoint c = s->client, v = s->server;
	struct pump p = s->pump;
	s->client = k->c;
	s->server = k->v;
	s->pump = k->p;
	k->c = c;
	k->v = v;
	k->p = p;
	s->pump.ep[C2S] = &s->client;
	s->pump.ep[S2C] = &s->server;
}

/* Buffers for connection `i` from the two contexts (the connection stays
 * swapped out). */
static MUST_CHECK check_t conn_open(struct scen *s, struct endpoint *cctx, struct endpoint *sctx,
                                    struct conn *k, int i)
{
	int st = ep_open_buffer(&k->v, sctx, NULL);
	if (st != TLSH_OK) {
		s->server.err = k->v.err;
		FAIL(s, "server buffer_new #%d from the server context: %s: %s", i + 1,
		     status_name(st), k->v.err.message);
	}
	st = ep_open_buffer(&k->c, cctx, s->host);
	if (st != TLSH_OK) {
		s->client.err = k->c.err;
		FAIL(s, "client buffer_new #%d from the client context: %s: %s", i + 1,
		     status_name(st), k->c.err.message);
	}
	pump_init(&k->p, &k->c, &k->v);
	pump_policy(&k->p, DELIVER_WHOLE, s->seed);
	k->open = 1;
	s->opened = 1;
	return CHECK_OK;
}

/* Frees one side's buffer of a swapped-out connection. */
static void conn_free(struct conn *k, enum tlsh_role role)
{
	ep_close(role == TLSH_ROLE_CLIENT ? &k->c : &k->v);
}

/* Names the connection in a failure's observed text. */
static check_t conn_note(struct scen *s, check_t rc, int i, const char *when)
{
	if (IS_FAILED(rc)) {
		char msg[sizeof s->observed];
		fmt_into(msg, sizeof msg, "%s", s->observed);
		fmt_into(s->observed, sizeof s->observed, "connection #%d (%s): %s", i + 1, when,
		         msg);
	}
	return rc;
}

/* The swapped-in connection completes its handshake (API and wire agree)
 * and carries its own data both ways. `i` varies the data per connection,
 * so that bytes crossing between connections are seen. */
static MUST_CHECK check_t conn_run(struct scen *s, int i, const char *when)
{
	uint64_t seed = s->seed;
	s->seed = seed + 7919u * (uint64_t)(i + 1);
	check_t rc = scen_establish(s, &s->ccfg, &s->scfg, s->host);
	if (!IS_FAILED(rc))
		rc = scen_small_transfer(s);
	s->seed = seed;
	return conn_note(s, rc, i, when);
}

/* The swapped-in connection's first flight to the row's side gets an invalid
 * record type (RFC 8446 section 5: unexpected_message): that side fails. */
static MUST_CHECK check_t conn_fail(struct scen *s)
{
	enum tlsh_role role = s->def->role;
	struct endpoint *rx = scen_ep(s, role);
	enum dir d = role == TLSH_ROLE_SERVER ? C2S : S2C;
	ep_handshake(&s->client);
	if (role == TLSH_ROLE_CLIENT) {
		pump_flush(&s->pump, C2S);
		ep_handshake(&s->server);
	}
	size_t n = pump_hold(&s->pump, d);
	ENSURE(s, n > 0, "connection #1: the %s received no first flight",
	       role == TLSH_ROLE_SERVER ? "server" : "client");
	/* What the receiver gets and the transcript alike. */
	s->pump.held[d].data[0] = 0xff;
	if (!s->pump.truncated_transcript && s->pump.wire[d].len >= n)
		s->pump.wire[d].data[s->pump.wire[d].len - n] = 0xff;
	int st = pump_release(&s->pump, d);
	if (st == TLSH_OK)
		st = ep_handshake(rx);
	ENSURE(s, st == TLSH_TLS_ERROR && !rx->handshake_done,
	       "connection #1: the %s took a first flight whose record type is 0xff: %s "
	       "(expected TLS_ERROR)",
	       rx->label, status_name(st));
	return CHECK_OK;
}

static MUST_CHECK check_t run_conns(struct scen *s)
{
	const struct scen_def *d = s->def;
	const struct conns *cn = &d->row->conns;
	int n = cn->n < CONNS_MAX ? cn->n : CONNS_MAX - 1;
	static struct conn k[CONNS_MAX];
	static struct endpoint cctx, sctx;
	cfg_from_side(&s->ccfg, d, TLSH_ROLE_CLIENT);
	cfg_from_side(&s->scfg, d, TLSH_ROLE_SERVER);
	s->host = scen_row_host(d);
	int st = ep_open_context(&sctx, s->simpl, TLSH_ROLE_SERVER, &s->scfg.cfg);
	if (st != TLSH_OK) {
		s->server.err = sctx.err;
		FAIL(s, "server context_new: %s: %s", status_name(st), sctx.err.message);
	}
	st = ep_open_context(&cctx, s->cimpl, TLSH_ROLE_CLIENT, &s->ccfg.cfg);
	if (st != TLSH_OK) {
		s->client.err = cctx.err;
		FAIL(s, "client context_new: %s: %s", status_name(st), cctx.err.message);
	}
	int first_ok = cn->fail_first ? 1 : 0;
	if (!cn->interleaved) {
		/* One after the other: each connection's buffers are freed
		 * before the next one is made. */
		for (int i = 0; i < n; i++) {
			GUARD(conn_open(s, &cctx, &sctx, &k[i], i));
			conn_swap(s, &k[i]);
			if (i == 0 && cn->fail_first)
				GUARD(conn_fail(s));
			else
				GUARD(conn_run(s, i, "one after the other"));
			ep_close(&s->client);
			ep_close(&s->server);
			if (i + 1 < n) {
				conn_swap(s, &k[i]);
				pump_free(&k[i].p);
			}
		}
	} else {
		/* All alive at once: every first flight, then the handshakes
		 * completed in reverse order, then data on each. */
		for (int i = 0; i < n; i++)
			GUARD(conn_open(s, &cctx, &sctx, &k[i], i));
		for (int i = 0; i < n; i++) {
			conn_swap(s, &k[i]);
			if (i == 0 && cn->fail_first) {
				GUARD(conn_fail(s));
				k[i].failed = 1;
			} else {
				ep_handshake(&s->client);
				pump_flush(&s->pump, C2S);
				ep_handshake(&s->server);
				pump_flush(&s->pump, S2C);
			}
			conn_swap(s, &k[i]);
		}
		for (int i = n - 1; i >= first_ok; i--) {
			conn_swap(s, &k[i]);
			GUARD(conn_run(s, i, "interleaved handshakes"));
			conn_swap(s, &k[i]);
		}
		/* Free the first connection's buffers; the others and the
		 * contexts go on, and make one more connection. */
		conn_free(&k[0], TLSH_ROLE_SERVER);
		conn_free(&k[0], TLSH_ROLE_CLIENT);
		for (int i = 1; i < n; i++) {
			conn_swap(s, &k[i]);
			uint64_t seed = s->seed;
			s->seed = seed + 104729u * (uint64_t)(i + 1);
			check_t rc = scen_small_transfer(s);
			s->seed = seed;
			conn_swap(s, &k[i]);
			GUARD(conn_note(s, rc, i, "data after connection #1 was freed"));
		}
		GUARD(conn_open(s, &cctx, &sctx, &k[n], n));
		conn_swap(s, &k[n]);
		GUARD(conn_run(s, n, "made after another connection was freed"));
		conn_swap(s, &k[n]);
		/* Free the rest in a mixed order: servers of odd connections
		 * first, then every client, then the other servers. */
		for (int i = 1; i <= n; i += 2)
			conn_free(&k[i], TLSH_ROLE_SERVER);
		for (int i = 1; i <= n; i++)
			conn_free(&k[i], TLSH_ROLE_CLIENT);
		for (int i = 2; i <= n; i += 2)
			conn_free(&k[i], TLSH_ROLE_SERVER);
		conn_swap(s, &k[n]); /* its transcript goes to the report */
	}
	/* Every buffer is freed; now the contexts (tlsh.h: context_free comes
	 * after all of a context's buffers are freed). */
	ep_close(&cctx);
	ep_close(&sctx);
	scen_observe(s, "%d connection(s) from one client and one server context%s%s",
	             n + cn->interleaved,
	             cn->interleaved ? ", interleaved" : ", one after the other",
	             cn->fail_first ? "; the first one's failure left the contexts usable" : "");
	return CHECK_OK;
}

static MUST_CHECK check_t run_rejects(struct scen *s)
{
	const struct scen_def *d = s->def;
	GUARD(scen_open_row(s));
	enum hs_result r = scen_handshake(s);
	if (d->row->outcome == OUT_CLIENT_REJECTS)
		GUARD(scen_client_rejects(s, r, s->host, d->row->alerts, d->row->title));
	else
		GUARD(scen_server_rejects(s, r, d->ver, d->row->alerts));
	GUARD(check_ch_alpn(s));
	GUARD(check_wire_counts(s));
	if (d->row->check)
		GUARD(d->row->check(s));
	return CHECK_OK;
}

/* validate_config, then context_new and buffer_new, on the solo side. */
static MUST_CHECK check_t run_config(struct scen *s)
{
	const struct scen_def *d = s->def;
	enum tlsh_role role = (enum tlsh_role)d->solo;
	const struct impl_handle *ih = role == TLSH_ROLE_CLIENT ? s->cimpl : s->simpl;
	struct endpoint *e = scen_ep(s, role);
	int valid = d->row->outcome == OUT_CONFIG_OK;
	int want = valid ? TLSH_OK : TLSH_CONFIGURATION_ERROR;
	struct cfgb *b = role == TLSH_ROLE_CLIENT ? &s->ccfg : &s->scfg;
	cfg_from_side(b, d, role);
	struct tlsh_error err;
	if (d->row->outcome == OUT_BUFFER_REFUSED)
		want = TLSH_OK;
	int st = ep_validate(ih, role, &b->cfg, &err);
	if (st != want) {
		e->err = err;
		FAIL(s, "validate_config returned %s%s%s", status_name(st),
		     err.message[0] ? ": " : "", err.message);
	}
	char vmsg[256];
	fmt_into(vmsg, sizeof vmsg, "%s", err.message);
	const char *host = role == TLSH_ROLE_CLIENT ? scen_row_host(d) : NULL;
	st = ep_open(e, ih, role, &b->cfg, host);
	int ctx_made = e->ctx != NULL;
	ep_close(e);
	if (d->row->outcome == OUT_BUFFER_REFUSED) {
		ENSURE(s, ctx_made, "context_new refused a valid configuration: %s",
		       e->err.message);
		ENSURE(s, st == TLSH_CONFIGURATION_ERROR, "buffer_new(%s%s%s) returned %s%s%s",
		       host ? "\"" : "", host ? host : "NULL", host ? "\"" : "", status_name(st),
		       st == TLSH_OK ? "" : ": ", st == TLSH_OK ? "" : e->err.message);
		scen_observe(s, "buffer_new: CONFIGURATION_ERROR: %s", e->err.message);
		return CHECK_OK;
	}
	if (valid) {
		ENSURE(s, st == TLSH_OK, "validate_config accepted it but %s returned %s: %s",
		       ctx_made ? "buffer_new" : "context_new", status_name(st), e->err.message);
		scen_observe(s, "validate_config OK, context and buffer built");
		return CHECK_OK;
	}
	ENSURE(s, st == TLSH_CONFIGURATION_ERROR && !ctx_made, "validate_config refused it but %s",
	       st == TLSH_OK ? "context_new and buffer_new accepted it"
	                     : "context_new accepted it (buffer_new refused it)");
	scen_observe(s, "validate_config: %s; context_new: %s", vmsg, e->err.message);
	return CHECK_OK;
}

/* ---- the misbehaving peer ---------------------------------------------------- */

/* Whether the records the backend under test sent from byte `from` of its
 * direction carry anything but alerts (and the compatibility
 * ChangeCipherSpec): a handshake record, or a protected record too long to
 * be an alert (TLS 1.3 hides the content type; a protected alert is 19
 * bytes). Names what it sent in `what`. */
static int went_on(struct scen *s, enum dir d, size_t from, char *what, size_t cap)
{
	const struct bytes *b = &s->pump.wire[d];
	size_t off = from, o = 0;
	int on = 0;
	what[0] = '\0';
	while (off + 5 <= b->len) {
		uint8_t t = b->data[off];
		size_t len = (size_t)b->data[off + 3] << 8 | b->data[off + 4];
		int counts = t == 22 || (t == 23 && len > 24) || (t != 20 && t != 21 && t != 23);
		if (counts && o + 40 < cap) {
			o += (size_t)snprintf(what + o, cap - o, "%s%s record of %zu bytes",
			                      o ? ", " : "",
			                      t == 22   ? "a handshake"
			                      : t == 23 ? "a protected"
			                                : "a",
			                      len);
		}
		on |= counts;
		off += 5 + len;
	}
	if (!o)
		fmt_into(what, cap, "%s", off > from ? "only alerts" : "nothing");
	return on;
}

static void note_mutation(struct scen *s, const struct rewriter *rw, const char *role)
{
	size_t o = (size_t)snprintf(s->mutation, sizeof s->mutation,
	                            "%s (on the puppet's bytes to the "
	                            "%s)",
	                            s->def->mut->name, role);
	for (size_t k = 0; k < rw_log_count(rw) && o + 8 < sizeof s->mutation; k++) {
		const struct rw_log *l = rw_log_get(rw, k);
		if (l->before[0] || l->after[0])
			o += (size_t)snprintf(s->mutation + o, sizeof s->mutation - o,
			                      "; %s at offset %zu: %s -> %s", l->what, l->offset,
			                      l->before, l->after);
		else /* re-framing: no bytes changed, only where records end */
			o += (size_t)snprintf(s->mutation + o, sizeof s->mutation - o,
			                      "; %s at offset %zu", l->what, l->offset);
	}
	if (o >= sizeof s->mutation)
		s->mutation[sizeof s->mutation - 1] = '\0';
}

/* A grown record or handshake length (or a record cut short) leaves the
 * receiver waiting for bytes that never come: waiting is right there. */
static int may_stall(const struct rw_mutation *m)
{
	for (; m; m = m->then) {
		if (m->op != RW_LENGTH)
			continue;
		if (m->field == RW_LEN_RECORD && m->mode != RW_LEN_ZERO)
			return 1;
		if (m->field == RW_LEN_HS && (m->mode == RW_LEN_PLUS1 || m->mode == RW_LEN_MAX))
			return 1;
	}
	return 0;
}

/* A record injected after the ClientHello, the last message of its flight:
 * the server may answer the ClientHello before it reads that record. */
static int answer_allowed(const struct rw_mutation *m)
{
	return m->op == RW_INJECT_AFTER && m->msg == TLS_HS_CLIENT_HELLO;
}

/* The request_update of the KeyUpdate an encrypted-phase mutation injects,
 * or -1 when it injects none (or an invalid one). */
static int injected_ku(const struct rw_mutation *m)
{
	if (!m->enc || (m->op != RW_INJECT_BEFORE && m->op != RW_INJECT_AFTER) ||
	    m->ctype != TLS_CT_HANDSHAKE || !m->data || m->len != 5 ||
	    m->data[0] != TLS_HS_KEY_UPDATE || m->data[4] > 1)
		return -1;
	return m->data[4];
}

/* The misbehaving peer's connection as run_misbehave drives it. */
struct mb {
	struct rewriter *rw;
	enum dir din, dout;
	int viewed;
	struct rw_other other;
};

/* Encrypted phase: decrypts what the backend under test sent with the
 * puppet's secrets (its protected alert, its KeyUpdates) and writes the
 * decrypted view of both directions for the report. Once. */
static void enc_view(struct scen *s, struct mb *mb)
{
	if (mb->viewed || !s->def->mut->enc)
		return;
	mb->viewed = 1;
	const struct bytes *w = &s->pump.wire[mb->dout];
	rw_decrypt_other(mb->rw, w->data, w->len, &mb->other);
	if (mb->other.alert >= 0)
		s->dec_alert[s->def->role == TLSH_ROLE_CLIENT ? 0 : 1] = mb->other.alert + 1;
	size_t o =
	        (size_t)snprintf(s->decrypted, sizeof s->decrypted,
	                         "decrypted by the harness with the puppet's exported secrets; "
	                         "%s%s\n",
	                         rw_enc_error(mb->rw)[0] ? "stopped: " : "", rw_enc_error(mb->rw));
	for (size_t k = 0; k < rw_plain_count(mb->rw) && o + 200 < sizeof s->decrypted; k++) {
		const struct rw_plain *p = rw_plain_get(mb->rw, k);
		char gen[24] = "";
		if (p->gen)
			fmt_into(gen, sizeof gen, ", application keys #%u", p->gen - 1);
		else if (ep_version(scen_ep(s, s->def->role)) == TLSH_TLS_1_3)
			fmt_into(gen, sizeof gen, ", handshake keys");
		o += (size_t)snprintf(s->decrypted + o, sizeof s->decrypted - o,
		                      "%s %s offset %zu, seq %llu%s: %s%s [%s]\n",
		                      p->dir == C2S ? "c2s" : "s2c",
		                      (int)p->dir == (int)mb->din ? "puppet" : "backend", p->offset,
		                      (unsigned long long)p->seq, gen, p->what,
		                      p->mutated ? " (changed by the harness)" : "", p->hex);
	}
	if (o >= sizeof s->decrypted)
		s->decrypted[sizeof s->decrypted - 1] = '\0';
}

/* After the handshake (row.post): the puppet sends data or close_notify so
 * that the mutated record goes by; the backend under test reads. Returns
 * its last read status; what it returned goes to got. */
static int post_phase(struct scen *s, struct mb *mb, struct endpoint *ut, struct bytes *got)
{
	struct endpoint *pup = scen_peer(s, ut);
	if (s->def->row->post == POST_CLOSE) {
		(void)ep_shutdown(pup);
	} else {
		uint8_t msg[100];
		for (size_t i = 0; i < sizeof msg; i++)
			msg[i] = (uint8_t)('a' + i % 26);
		size_t n = 0;
		(void)ep_write(pup, msg, sizeof msg, &n);
	}
	pump_flush(&s->pump, mb->din);
	return scen_read_until(s, ut, got, 4);
}

static MUST_CHECK check_t judge_misbehave(struct scen *s, struct mb *mb);

static MUST_CHECK check_t run_misbehave(struct scen *s)
{
	const struct scen_def *d = s->def;
	struct mb mb = {0};
	enum tlsh_role ur = d->role;
	struct endpoint *ut = scen_ep(s, ur);
	mb.din = ur == TLSH_ROLE_CLIENT ? S2C : C2S;
	mb.dout = mb.din == C2S ? S2C : C2S;
	GUARD(scen_open_row(s));
	/* The mutation runner's harness mutant "a puppet whose rewriter is
	 * disabled": every row that expects a rejection must then fail. */
	const char *off = getenv("TLSH_MUTANT_REWRITER");
	int rewriting = !(off && !strcmp(off, "off"));
	struct rewriter *cx = NULL;
	mb.rw = rw_new(d->mut, (int)mb.din);
	if (d->mut->enc) {
		struct endpoint *pup = scen_peer(s, ut);
		if (ep_secret_callback(pup, rw_secret, mb.rw) != TLSH_OK)
			scen_abort(s, V_UNSUPPORTED,
			           "the puppet (%s) cannot hand its secrets over here%s: %s",
			           pup->ih->spec,
			           pup->ih->dl ? ""
			                       : " (it runs out of process, and the proxy does not "
			                         "forward secrets)",
			           pup->err.message[0] ? pup->err.message
			                               : "set_secret_callback not available");
	}
	if (rewriting)
		pump_rewrite(&s->pump, mb.din, mb.rw);
	if (d->row->coax) {
		cx = rw_new(d->row->coax, (int)mb.dout);
		pump_rewrite(&s->pump, mb.dout, cx);
	}
	check_t rc = judge_misbehave(s, &mb);
	enc_view(s, &mb);
	return rc;
}

static MUST_CHECK check_t judge_misbehave(struct scen *s, struct mb *mb)
{
	const struct scen_def *d = s->def;
	const struct row *row = d->row;
	enum tlsh_role ur = d->role;
	struct endpoint *ut = scen_ep(s, ur);
	struct rewriter *rw = mb->rw;
	enum dir din = mb->din, dout = mb->dout;
	const char *off = getenv("TLSH_MUTANT_REWRITER");
	int rewriting = !(off && !strcmp(off, "off"));
	enum hs_result r = scen_handshake(s);
	int *ust = ur == TLSH_ROLE_CLIENT ? &s->client_status : &s->server_status;
	int stalled = r == HS_STALLED && (d->row->stall_ok || may_stall(d->mut));
	if (stalled) {
		/* The receiver waits for bytes that cannot come; the transport
		 * ends, and its handshake must then fail. */
		pump_truncate(&s->pump, din, s->pump.total[din], 1);
		pump_eof(&s->pump, din);
		*ust = ep_handshake(ut);
		pump_flush(&s->pump, dout);
	}
	/* Encrypted phase after the handshake: the puppet makes the mutated
	 * record go by. */
	struct bytes got = {0};
	int post_st = -1;
	if (row->post && r == HS_OK && row->outcome != OUT_ESTABLISHED) {
		post_st = post_phase(s, mb, ut, &got);
		*ust = post_st;
	}
	int hello_req = d->mut->enc && d->mut->ctype == TLS_CT_HANDSHAKE && d->mut->data &&
	                d->mut->len >= 1 && d->mut->data[0] == TLS_HS_HELLO_REQUEST;
	if (row->outcome == OUT_ESTABLISHED && r == HS_OK && row->post) {
		GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
		if (hello_req) {
			/* The puppet's data, the HelloRequest before it. */
			post_st = post_phase(s, mb, ut, &got);
		} else {
			GUARD(scen_small_transfer(s));
		}
	}
	note_mutation(s, rw, ut->label);
	if (rewriting && rw_enc_error(rw)[0])
		scen_abort(s, V_HARNESS_ERROR, "the encrypted phase could not be followed: %s",
		           rw_enc_error(rw));
	if (rewriting && !rw_applied(rw))
		scen_abort(s, V_HARNESS_ERROR,
		           "the mutation %s was never applied: its target did not go by (the "
		           "puppet sent no such message)",
		           d->mut->name);
	if (rewriting && rw_no_effect(rw))
		scen_abort(s, V_UNSUPPORTED,
		           "the mutation %s changes no byte of what this pair sends (the message "
		           "already holds what it writes): the rule cannot be tested here",
		           d->mut->name);
	char what[256], st[400];
	size_t from = s->pump.rw_mark[din];
	int on = went_on(s, dout, from, what, sizeof what);
	fmt_into(s->stopped, sizeof s->stopped, "%s after the mutated bytes: sent %s; %s",
	         ut->handshake_done ? "completed the handshake" : "did not complete", what,
	         scen_ep_state(ut, *ust, st, sizeof st));
	if (row->outcome == OUT_ESTABLISHED) {
		if (r != HS_OK)
			return scen_fail_hs(s, r, "handshake through the rewriter: ");
		if (!row->post) {
			GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
			GUARD(scen_small_transfer(s));
		}
		int ku = injected_ku(d->mut);
		if (ku >= 0) {
			/* Asked to update, it answers before its next application
			 * data: make it write once more, then look. */
			GUARD(scen_transfer(s, dout, 100, 100));
			enc_view(s, mb);
			ENSURE(s, rw_translated(rw) > 0,
			       "no record of the puppet crossed under the keys the KeyUpdate "
			       "announced: the %s read nothing after it",
			       ut->label);
			ENSURE(s, ku == 0 || mb->other.keyupdates > mb->other.ku_requested,
			       "asked to update its keys too (request_update = 1), the %s sent no "
			       "KeyUpdate of its own (RFC 8446 4.6.3): %d KeyUpdate(s) decrypted",
			       ut->label, mb->other.keyupdates);
			scen_observe(
			        s,
			        "updated its keys: %zu record(s) read under the new keys%s; data "
			        "crossed both ways",
			        rw_translated(rw),
			        ku ? ", and it answered with a KeyUpdate of its own" : "");
			return CHECK_OK;
		}
		if (hello_req) {
			/* It read the HelloRequest: a renegotiation it started is
			 * on the wire by now (a FAIL: adapters do not renegotiate).
			 * Refusing is right; the RFC's ways keep the connection: it
			 * ignores the HelloRequest or warns no_renegotiation, and
			 * the puppet's data still arrives (else PASS-LOOSE). */
			size_t n = got.len;
			bytes_free(&got);
			enc_view(s, mb);
			ENSURE(s, mb->other.hellos == 0,
			       "the %s renegotiated: it answered the HelloRequest with a "
			       "protected ClientHello",
			       ut->label);
			if (n != 100) {
				scen_loose(
				        s,
				        "the %s did not renegotiate but ended the connection: read "
				        "returned %s after %zu of the puppet's 100 bytes (RFC 5246 "
				        "7.4.1.1: ignore the HelloRequest or answer a warning "
				        "no_renegotiation); %s",
				        ut->label, status_name(post_st), n,
				        scen_ep_state(ut, post_st, st, sizeof st));
				return CHECK_OK;
			}
			scen_observe(s, "did not renegotiate (%s); the puppet's data still arrives",
			             mb->other.alert == 100 ? "it answered no_renegotiation"
			                                    : "no answer seen");
			return CHECK_OK;
		}
		scen_observe(s, "tolerated: TLS %s, %s", vname(ep_version(ut)), s->mutation);
		return CHECK_OK;
	}
	if (row->outcome == OUT_PROCEEDS) {
		ENSURE(s, on || ut->handshake_done, "the %s rejected what it must accept: %s",
		       ut->label, s->stopped);
		scen_observe(s, "went on: sent %s", what);
		return CHECK_OK;
	}
	if (row->post == POST_CLOSE) {
		ENSURE(s, r == HS_OK, "the handshake did not complete: %s", hs_result_name(r));
		size_t n = got.len;
		bytes_free(&got);
		ENSURE(s, n == 0,
		       "the %s's read returned %zu byte(s) that came after the close_notify",
		       ut->label, n);
		fmt_into(s->stopped, sizeof s->stopped, "read after the close_notify: %s",
		         scen_ep_state(ut, post_st, st, sizeof st));
		if (post_st == TLSH_TLS_ERROR)
			scen_loose(
			        s,
			        "the data after the close_notify was not returned, but read failed "
			        "instead of ignoring it: %s",
			        st);
		else
			scen_observe(
			        s, "the data after the close_notify was ignored: read returned %s",
			        status_name(post_st));
		return CHECK_OK;
	}
	/* OUT_REJECTS */
	if (row->post && r == HS_OK) {
		size_t n = got.len;
		bytes_free(&got);
		ENSURE(s, n == 0 && post_st != TLSH_OK,
		       "the %s accepted what it must reject: read returned %zu byte(s) that came "
		       "with or after the mutated record",
		       ut->label, n);
		ENSURE(s, post_st == TLSH_TLS_ERROR,
		       "the %s neither returned the data nor failed: read returned %s after the "
		       "mutated record",
		       ut->label, status_name(post_st));
		fmt_into(s->stopped, sizeof s->stopped,
		         "completed the handshake, then failed reading the mutated record: %s",
		         scen_ep_state(ut, post_st, st, sizeof st));
		scen_observe(s, "rejected the mutated record after the handshake: %s", st);
		enc_view(s, mb);
		scen_check_alert_in(s, ur, row->alerts);
		return CHECK_OK;
	}
	ENSURE(s, !ut->handshake_done || (row->post && *ust == TLSH_TLS_ERROR),
	       "the %s accepted what it must reject: it completed the handshake (TLS %s)",
	       ut->label, vname(ep_version(ut)));
	if (!answer_allowed(d->mut) && !row->post)
		ENSURE(s, !on,
		       "the %s went on past the mutated message instead of aborting there: it "
		       "sent %s; %s",
		       ut->label, what, st);
	ENSURE(s, *ust == TLSH_TLS_ERROR, "the %s neither went on nor failed: %s (%s)", ut->label,
	       st,
	       r == HS_STALLED ? "it waits for bytes that cannot come: a hang" : hs_result_name(r));
	if (stalled) {
		/* It waited for the rest, as it should, and failed at the transport
		 * EOF: no alert is named for that. */
		scen_observe(s,
		             "waited for the bytes the mutated length announced; failed at the "
		             "transport EOF: %s",
		             st);
		return CHECK_OK;
	}
	scen_observe(s, "rejected where the mutated message arrived: %s", st);
	enc_view(s, mb);
	for (size_t i = 0; i < ROW_MAX_ALERTS && row->late[i]; i++)
		ENSURE(s, !scen_alert_seen(s, ur, row->late[i]),
		       "the %s took the mutated message and failed only later, at what the change "
		       "invalidated (%s): %s",
		       ut->label, alert_name(row->late[i]), st);
	scen_check_alert_in(s, ur, row->alerts);
	return CHECK_OK;
}

/* ---- wire rules, on every handshake of every scenario -------------------------- */

/* Rule violations of the directions this scenario judges (a misbehave row's
 * puppet breaks rules on purpose: only the backend under test is judged). */
static MUST_CHECK check_t check_wire_rules(struct scen *s)
{
	if (!s->opened)
		return CHECK_OK;
	const struct wire *w = scen_wire(s);
	const struct scen_def *d = s->def;
	char first[600] = "";
	size_t o = 0, n = 0;
	for (int dir = 0; dir < 2; dir++) {
		if (d->row->puppet && dir != (d->role == TLSH_ROLE_CLIENT ? C2S : S2C))
			continue;
		for (size_t k = 0; k < oracle_violation_count(w, dir); k++) {
			const struct wire_violation *v = oracle_violation(w, dir, k);
			if (!n)
				fmt_into(
				        first, sizeof first,
				        "wire rule %s (%s) broken by the %s at offset %zu: %s [%s]",
				        v->rule->id, v->rule->ref, dir ? "server" : "client",
				        v->offset, v->text, v->excerpt);
			if (o + 48 < sizeof s->rules)
				o += (size_t)snprintf(s->rules + o, sizeof s->rules - o, "%s%s:%s",
				                      o ? " " : "", dir ? "server" : "client",
				                      v->rule->id);
			n++;
		}
	}
	if (!n)
		return CHECK_OK;
	return scen_fail(s, "%s%s", first, n > 1 ? " (and more: see the rules field)" : "");
}

void interp_run(struct scen *s)
{
	const struct row *r = s->def->row;
	check_t rc = CHECK_OK;
	set_expected(s);
	if (r->extra) {
		rc = r->extra(s);
	} else if (r->conns.n >= 2) {
		rc = run_conns(s);
	} else if (r->puppet) {
		rc = run_misbehave(s);
	} else {
		switch (r->outcome) {
		case OUT_ESTABLISHED:
			rc = run_established(s);
			break;
		case OUT_CLIENT_REJECTS:
		case OUT_SERVER_REJECTS:
			rc = run_rejects(s);
			break;
		case OUT_CONFIG_ERROR:
		case OUT_CONFIG_OK:
		case OUT_BUFFER_REFUSED:
			rc = run_config(s);
			break;
		case OUT_REJECTS:
		case OUT_PROCEEDS: /* puppet rows only (catalog.c) */
		case OUT_EXTRA:
			break;
		}
	}
	/* A failed identity outcome names the certificate the server sent. */
	if (IS_FAILED(rc) && !r->extra &&
	    (r->outcome == OUT_ESTABLISHED || r->outcome == OUT_CLIENT_REJECTS))
		scen_note_server_cert(s);
	/* A failed check has recorded its FAIL; the wire rules are judged on
	 * what crossed in every scenario that otherwise passed. */
	if (!IS_FAILED(rc) && s->verdict != V_FAIL)
		rc = check_wire_rules(s);
	(void)rc;
}
