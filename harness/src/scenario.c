#include "scenario.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "der.h"
#include "util.h"

/* ---- PKI ---------------------------------------------------------------- */

static struct scen *current;

static void cfg_fatal_scen(const char *msg)
{
	scen_abort(current, V_HARNESS_ERROR, "%s", msg);
}

/* ---- verdict helpers ------------------------------------------------------ */

void scen_set_current(struct scen *s)
{
	current = s;
	cfg_fatal = cfg_fatal_scen;
}

void scen_expect(struct scen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->expected, sizeof s->expected, fmt, ap);
	va_end(ap);
}

check_t scen_fail(struct scen *s, const char *fmt, ...)
{
	if (s->verdict == V_FAIL)
		return CHECK_FAILED;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->observed, sizeof s->observed, fmt, ap);
	va_end(ap);
	s->verdict = V_FAIL;
	return CHECK_FAILED;
}

void scen_loose(struct scen *s, const char *fmt, ...)
{
	if (s->verdict != V_PASS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->observed, sizeof s->observed, fmt, ap);
	va_end(ap);
	s->verdict = V_PASS_LOOSE;
}

void scen_observe(struct scen *s, const char *fmt, ...)
{
	if (s->verdict != V_PASS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->observed, sizeof s->observed, fmt, ap);
	va_end(ap);
}

void (*scen_finish)(struct scen *s);

void scen_abort(struct scen *s, enum verdict v, const char *fmt, ...)
{
	if (s) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->observed, sizeof s->observed, fmt, ap);
		va_end(ap);
		s->verdict = v;
		if (scen_finish)
			scen_finish(s);
	}
	_exit(0);
}

int scen_failed(const struct scen *s)
{
	return s->verdict == V_FAIL;
}

int scen_has_cap(const struct scen *s, enum tlsh_role role, uint64_t cap)
{
	const struct impl_handle *h = role == TLSH_ROLE_CLIENT ? s->cimpl : s->simpl;
	return (h->fn.capabilities & cap) == cap;
}

const char *vname(enum tlsh_version v)
{
	return version_name(v);
}

struct endpoint *scen_peer(struct scen *s, struct endpoint *e)
{
	return e == &s->client ? &s->server : &s->client;
}

enum dir scen_dir_from(struct scen *s, struct endpoint *e)
{
	return e == &s->client ? C2S : S2C;
}

/* ---- endpoints and handshake ---------------------------------------------- */

int scen_open(struct scen *s, const struct cfgb *client, const struct cfgb *server,
              const char *hostname, int *who)
{
	*who = 0;
	int st = ep_open(&s->server, s->simpl, TLSH_ROLE_SERVER, &server->cfg, NULL);
	if (st != TLSH_OK) {
		*who = TLSH_ROLE_SERVER;
		return st;
	}
	st = ep_open(&s->client, s->cimpl, TLSH_ROLE_CLIENT, &client->cfg, hostname);
	if (st != TLSH_OK) {
		*who = TLSH_ROLE_CLIENT;
		return st;
	}
	pump_init(&s->pump, &s->client, &s->server);
	pump_policy(&s->pump, DELIVER_WHOLE, s->seed);
	s->opened = 1;
	return TLSH_OK;
}

check_t scen_open_ok(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                     const char *hostname)
{
	int who;
	int st = scen_open(s, client, server, hostname, &who);
	if (st == TLSH_OK)
		return CHECK_OK;
	struct endpoint *e = who == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	FAIL(s, "%s construction failed: %s: %s", e->label, status_name(st), e->err.message);
}

const char *scen_row_host(const struct scen_def *d)
{
	const char *h = d->row->host;
	return !h ? TEST_HOST : strcmp(h, HOST_NONE) == 0 ? NULL : h;
}

void scen_apply_limits(struct scen *s)
{
	const struct scen_def *d = s->def;
	struct endpoint *eps[2] = {&s->client, &s->server};
	for (int i = 0; i < 2; i++) {
		if (d->role && eps[i]->role != d->role)
			continue;
		eps[i]->read_cap = d->rcap;
		eps[i]->out_cap =
		        d->ocap == (size_t)CAP_LESS_ONE ? EP_CAP_PENDING_LESS_ONE : d->ocap;
		if (d->rcap == (size_t)CAP_LESS_ONE) {
			/* One byte less than the plaintext a transfer leaves
			 * pending: its chunk (interp.c transfer), 100 by default. */
			eps[i]->read_cap = (d->size ? d->size : 100) - 1;
		}
	}
	s->client.count_check = s->server.count_check = d->row->after.counts;
}

check_t scen_open_row(struct scen *s)
{
	cfg_from_side(&s->ccfg, s->def, TLSH_ROLE_CLIENT);
	cfg_from_side(&s->scfg, s->def, TLSH_ROLE_SERVER);
	s->host = scen_row_host(s->def);
	GUARD(scen_open_ok(s, &s->ccfg, &s->scfg, s->host));
	if (s->def->policy)
		pump_policy(&s->pump, (enum delivery)s->def->policy, s->seed);
	scen_apply_limits(s);
	return CHECK_OK;
}

const char *hs_result_name(enum hs_result r)
{
	switch (r) {
	case HS_OK:
		return "both completed";
	case HS_CLIENT_FAILED:
		return "client failed";
	case HS_SERVER_FAILED:
		return "server failed";
	case HS_STALLED:
		return "stalled";
	}
	return "?";
}

/* After one side failed: deliver what it still has to send (its alert) and
 * let the peer run once more so it can report the alert it received. */
static void settle_after_failure(struct scen *s, struct endpoint *failed)
{
	struct endpoint *peer = scen_peer(s, failed);
	enum dir d = scen_dir_from(s, failed);
	pump_flush(&s->pump, d);
	int *pst = peer == &s->client ? &s->client_status : &s->server_status;
	if (*pst == TLSH_TLS_ERROR)
		return;
	if (!peer->handshake_done) {
		*pst = ep_handshake(peer);
	} else {
		uint8_t tmp[512];
		size_t n;
		*pst = ep_read(peer, tmp, sizeof tmp, &n);
	}
	pump_flush(&s->pump, d == C2S ? S2C : C2S);
}

enum hs_result scen_handshake(struct scen *s)
{
	struct endpoint *c = &s->client, *v = &s->server;
	int idle = 0;
	s->client_status = s->server_status = TLSH_WANT_READ;
	for (int round = 0; round < 100000; round++) {
		size_t moved = 0;
		if (!c->handshake_done)
			s->client_status = ep_handshake(c);
		moved += pump_flush(&s->pump, C2S);
		if (s->client_status == TLSH_TLS_ERROR) {
			settle_after_failure(s, c);
			return HS_CLIENT_FAILED;
		}
		if (!v->handshake_done)
			s->server_status = ep_handshake(v);
		moved += pump_flush(&s->pump, S2C);
		if (s->server_status == TLSH_TLS_ERROR) {
			/* The server failed first (a client failure returned
			 * above). s->client_status is the client's status after
			 * it was given the server's last bytes (its alert). */
			settle_after_failure(s, v);
			return HS_SERVER_FAILED;
		}
		if (c->handshake_done && v->handshake_done) {
			/* Let the client take in what the server sent last
			 * (TLS 1.3 tickets) so that queries see a settled state. */
			return HS_OK;
		}
		if (moved == 0 && !s->pump.held[0].len && !s->pump.held[1].len) {
			if (++idle >= 3)
				return HS_STALLED;
		} else {
			idle = 0;
		}
	}
	return HS_STALLED;
}

const struct wire *scen_wire(struct scen *s)
{
	static struct wire w;
	oracle_parse(&w, s->pump.wire[C2S].data, s->pump.wire[C2S].len, s->pump.wire[S2C].data,
	             s->pump.wire[S2C].len);
	return &w;
}

static int is_ip_literal(const char *h)
{
	unsigned char tmp[16];
	return h && (inet_pton(AF_INET, h, tmp) == 1 || inet_pton(AF_INET6, h, tmp) == 1);
}

/* The SNI a client must send for server_hostname `host`: the name as given,
 * without one trailing dot (RFC 6066 section 3: "without a trailing dot"). */
static const char *sni_for(const char *host, char *buf, size_t cap)
{
	size_t n = strlen(host);
	if (n > 1 && host[n - 1] == '.')
		n--;
	return fmt_into(buf, cap, "%.*s", (int)n, host);
}

static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Effective bounds of a config as the client would offer them. */
static void effective_range(const struct scen *s, enum tlsh_role role, const struct cfgb *b,
                            uint16_t *lo, uint16_t *hi)
{
	enum tlsh_version l = b->cfg.lowest_supported_version;
	enum tlsh_version h = b->cfg.highest_supported_version;
	int has13 = scen_has_cap(s, role, TLSH_CAP_TLS13);
	*lo = (l == TLSH_TLS_1_3) ? 0x0304 : 0x0303;
	if (l == TLSH_VERSION_MAXIMUM_SUPPORTED)
		*lo = has13 ? 0x0304 : 0x0303;
	if (h == TLSH_TLS_1_2)
		*hi = 0x0303;
	else
		*hi = has13 ? 0x0304 : 0x0303;
}

int wire_offers_range(const struct wire_client_hello *ch, uint16_t lo, uint16_t hi, char *why,
                      size_t whycap)
{
	if (!ch->present)
		return fmt_into(why, whycap, "no ClientHello on the wire"), -1;
	if (ch->legacy_version != 0x0303)
		return fmt_into(why, whycap, "ClientHello.legacy_version is 0x%04x, not 0x0303",
		                ch->legacy_version),
		       -1;
	int offers[2] = {0, 0}; /* 1.2, 1.3 */
	if (ch->has_versions) {
		for (size_t i = 0; i < ch->n_versions; i++) {
			uint16_t v = ch->versions[i];
			if (is_grease(v))
				continue;
			if (v == 0x0303)
				offers[0] = 1;
			else if (v == 0x0304)
				offers[1] = 1;
			else
				return fmt_into(
				               why, whycap,
				               "supported_versions offers 0x%04x, outside 1.2..1.3",
				               v),
				       -1;
		}
	} else {
		offers[0] = 1; /* legacy_version 0x0303 alone means TLS 1.2 */
	}
	int want12 = lo <= 0x0303 && hi >= 0x0303;
	int want13 = hi >= 0x0304;
	if (offers[0] != want12 || offers[1] != want13)
		return fmt_into(why, whycap,
		                "ClientHello offers {%s%s} but the client is configured for %s..%s",
		                offers[0] ? "1.2 " : "", offers[1] ? "1.3" : "",
		                lo == 0x0304 ? "1.3" : "1.2", hi == 0x0304 ? "1.3" : "1.2"),
		       -1;
	return 0;
}

static int alpn_list_equals(const struct wire_client_hello *ch, const struct cfgb *b)
{
	uint8_t enc[1024];
	size_t n = 0;
	for (size_t i = 0; i < b->cfg.inner_protocols_len; i++) {
		size_t l = b->cfg.inner_protocols[i].len;
		if (n + 1 + l > sizeof enc)
			return 0;
		enc[n++] = (uint8_t)l;
		memcpy(enc + n, b->cfg.inner_protocols[i].data, l);
		n += l;
	}
	return ch->alpn_len == n && memcmp(ch->alpn, enc, n) == 0;
}

check_t scen_check_established(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                               const char *hostname)
{
	(void)server;
	const struct wire *w = scen_wire(s);
	enum tlsh_version cv = ep_version(&s->client), sv = ep_version(&s->server);
	if (cv == TLSH_VERSION_NONE || cv != sv)
		return scen_fail(s, "negotiated_tls_version: client %s, server %s", vname(cv),
		                 vname(sv));
	if (w->version != (uint16_t)cv)
		return scen_fail(s, "both sides report TLS %s but the ServerHello selected 0x%04x",
		                 vname(cv), w->version);
	uint16_t cc = ep_cipher(&s->client), sc = ep_cipher(&s->server);
	if (cc == 0 || cc != sc)
		return scen_fail(s, "cipher: client 0x%04x, server 0x%04x", cc, sc);
	if (cc != w->sh.cipher)
		return scen_fail(s,
		                 "both sides report cipher 0x%04x but the ServerHello chose 0x%04x",
		                 cc, w->sh.cipher);
	const uint8_t *ca, *sa;
	size_t cal, sal;
	int hc = ep_alpn(&s->client, &ca, &cal), hs = ep_alpn(&s->server, &sa, &sal);
	if (hc != hs || (hc && (cal != sal || memcmp(ca, sa, cal) != 0)))
		return scen_fail(s, "negotiated_protocol differs: client %s%.*s, server %s%.*s",
		                 hc ? "" : "none", hc ? (int)cal : 0, hc ? (const char *)ca : "",
		                 hs ? "" : "none", hs ? (int)sal : 0, hs ? (const char *)sa : "");
	if (w->version == 0x0303 && w->sh.has_alpn != hc)
		return scen_fail(s, "ServerHello %s ALPN but the API reports %s",
		                 w->sh.has_alpn ? "carries" : "carries no", hc ? "one" : "none");
	if (!w->ch.present)
		return scen_fail(s, "no ClientHello on the wire");
	if (!hostname || is_ip_literal(hostname)) {
		if (w->ch.has_sni)
			return scen_fail(
			        s, "ClientHello carries SNI '%s' but %s", w->ch.sni,
			        hostname ? "the server_hostname is an IP literal (RFC 6066 3)"
			                 : "no server_hostname was given");
	} else {
		char want[300];
		sni_for(hostname, want, sizeof want);
		if (!w->ch.has_sni || strcmp(w->ch.sni, want) != 0)
			return scen_fail(
			        s, "ClientHello SNI is %s%s%s, expected '%s'%s",
			        w->ch.has_sni ? "'" : "absent", w->ch.has_sni ? w->ch.sni : "",
			        w->ch.has_sni ? "'" : "", want,
			        strcmp(want, hostname) ? " (RFC 6066 3: no trailing dot)" : "");
	}
	if (client->cfg.inner_protocols_len) {
		if (!w->ch.has_alpn || !alpn_list_equals(&w->ch, client))
			return scen_fail(s, "ClientHello ALPN list %s the configured list",
			                 w->ch.has_alpn ? "differs from" : "is absent, not");
	} else if (w->ch.has_alpn) {
		return scen_fail(s, "ClientHello carries ALPN but the client configured none");
	}
	uint16_t lo, hi;
	effective_range(s, TLSH_ROLE_CLIENT, client, &lo, &hi);
	char why[256];
	if (wire_offers_range(&w->ch, lo, hi, why, sizeof why) != 0)
		return scen_fail(s, "%s", why);
	return CHECK_OK;
}

/* The first protected alert `sender` sent, as the harness decrypted it
 * (misbehaving peer, encrypted phase), or -1. */
static int dec_alert(const struct scen *s, enum tlsh_role sender)
{
	int i = sender == TLSH_ROLE_CLIENT ? 0 : 1;
	return s->dec_alert[i] - 1;
}

int scen_alert_seen(struct scen *s, enum tlsh_role sender, int code)
{
	struct endpoint *se = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct endpoint *pe = scen_peer(s, se);
	const struct wire *w = scen_wire(s);
	int on_wire = oracle_first_alert(w, sender == TLSH_ROLE_CLIENT ? 0 : 1);
	return se->err.alert_sent == code || pe->err.alert_received == code || on_wire == code ||
	       dec_alert(s, sender) == code;
}

void scen_check_alert(struct scen *s, enum tlsh_role sender, int code)
{
	if (scen_alert_seen(s, sender, code))
		return;
	struct endpoint *se = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct endpoint *pe = scen_peer(s, se);
	int on_wire = oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1);
	int dec = dec_alert(s, sender);
	char a[40], b[40], c[40], d[40], want[40];
	fmt_into(want, sizeof want, "%s", alert_name(code));
	fmt_into(a, sizeof a, "%s", alert_name(se->err.alert_sent));
	fmt_into(b, sizeof b, "%s", alert_name(pe->err.alert_received));
	fmt_into(c, sizeof c, "%s", on_wire < 0 ? "no plaintext alert" : alert_name(on_wire));
	fmt_into(d, sizeof d, "%s", dec < 0 ? "" : alert_name(dec));
	scen_loose(s, "expected %s from the %s; %s sent %s, %s received %s, wire shows %s%s%s",
	           want, se->label, se->label, a, pe->label, b, c,
	           dec < 0 ? "" : ", decrypted by the harness: ", d);
}

/* ---- data transfer -------------------------------------------------------- */

static uint8_t pattern_byte(size_t i, uint64_t seed)
{
	return (uint8_t)((i * 131u) ^ (i >> 9) ^ (seed & 0xff));
}

check_t scen_transfer(struct scen *s, enum dir d, size_t n, size_t chunk)
{
	struct endpoint *tx = d == C2S ? &s->client : &s->server;
	struct endpoint *rx = scen_peer(s, tx);
	uint8_t *src = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		src[i] = pattern_byte(i, s->seed + d);
	size_t written = 0, got = 0;
	uint8_t buf[16384 + 64];
	int idle = 0;
	check_t rc = CHECK_OK;
	while (got < n) {
		size_t progress = 0;
		if (written < n) {
			size_t k = 0;
			size_t want = n - written < chunk ? n - written : chunk;
			int st = ep_write(tx, src + written, want, &k);
			if (st == TLSH_OK) {
				written += k;
				progress += k;
			} else if (st != TLSH_WANT_READ && st != TLSH_WANT_WRITE) {
				rc = scen_fail(s, "%s write failed after %zu of %zu bytes: %s: %s",
				               tx->label, written, n, status_name(st),
				               tx->err.message);
				break;
			}
		}
		progress += pump_flush(&s->pump, d);
		progress += pump_flush(&s->pump, d == C2S ? S2C : C2S);
		for (;;) {
			size_t k = 0;
			int st = ep_read(rx, buf, sizeof buf, &k);
			if (st == TLSH_OK) {
				for (size_t i = 0; i < k; i++) {
					if (got + i >= n || buf[i] != src[got + i]) {
						rc = scen_fail(
						        s,
						        "%s received a wrong byte at offset %zu "
						        "of %zu (integrity)",
						        rx->label, got + i, n);
						goto out;
					}
				}
				got += k;
				progress += k;
				continue;
			}
			if (st == TLSH_WANT_READ || st == TLSH_WANT_WRITE)
				break;
			rc = scen_fail(s, "%s read returned %s after %zu of %zu bytes: %s",
			               rx->label, status_name(st), got, n, rx->err.message);
			goto out;
		}
		if (progress == 0 && ++idle > 3) {
			rc = scen_fail(s,
			               "transfer stalled: %zu of %zu bytes written, %zu received",
			               written, n, got);
			break;
		}
		if (progress)
			idle = 0;
	}
out:
	free(src);
	return rc;
}

check_t scen_small_transfer(struct scen *s)
{
	GUARD(scen_transfer(s, C2S, 100, 100));
	return scen_transfer(s, S2C, 100, 100);
}

int scen_read_until(struct scen *s, struct endpoint *e, struct bytes *out, int max_rounds)
{
	uint8_t buf[16384 + 64];
	int st = TLSH_WANT_READ;
	for (int r = 0; r < max_rounds; r++) {
		pump_flush(&s->pump, C2S);
		pump_flush(&s->pump, S2C);
		size_t k = 0;
		st = ep_read(e, buf, sizeof buf, &k);
		if (st == TLSH_OK) {
			if (out)
				bytes_append(out, buf, k);
			r = -1; /* data: keep going */
			continue;
		}
		if (st != TLSH_WANT_READ)
			return st;
	}
	return st;
}

int scen_shutdown(struct scen *s, struct endpoint *e, int peer_reads)
{
	struct endpoint *peer = scen_peer(s, e);
	int st = TLSH_WANT_READ;
	for (int r = 0; r < 8; r++) {
		st = ep_shutdown(e);
		pump_flush(&s->pump, scen_dir_from(s, e));
		if (st != TLSH_WANT_READ && st != TLSH_WANT_WRITE)
			return st;
		if (peer_reads) {
			uint8_t tmp[1024];
			size_t k;
			int pst = ep_read(peer, tmp, sizeof tmp, &k);
			if (pst == TLSH_CLOSED) {
				/* A peer that saw close_notify answers with its own
				 * when it shuts down in turn. */
				ep_shutdown(peer);
			}
		}
		pump_flush(&s->pump, scen_dir_from(s, peer));
	}
	return st;
}

/* ---- rows: configuration, outcomes ----------------------------------------- */

const char *kt_name(int kt)
{
	return kt == KT_ECDSA ? "ecdsa" : "rsa";
}

const char *policy_name(enum delivery d)
{
	switch (d) {
	case DELIVER_WHOLE:
		return "whole flights";
	case DELIVER_ONE_BYTE:
		return "one byte per process_incoming";
	case DELIVER_RANDOM:
		return "seeded random splits";
	case DELIVER_OUT_ONE_BYTE:
		return "one byte per process_outgoing";
	}
	return "?";
}

struct endpoint *scen_ep(struct scen *s, enum tlsh_role role)
{
	return role == TLSH_ROLE_CLIENT ? &s->client : &s->server;
}

void cfg_from_side(struct cfgb *b, const struct scen_def *d, enum tlsh_role role)
{
	const struct row *r = d->row;
	const struct side *sd = role == TLSH_ROLE_CLIENT ? &r->client : &r->server;
	const char *kt = kt_name(d->kt);
	int with_int = !(sd->flags & SIDE_NO_INTERMEDIATE);
	char f[64];
	cfg_init(b);
	if (role == TLSH_ROLE_SERVER) {
		if (!(sd->flags & SIDE_NO_CHAIN)) {
			for (int i = 0; i < 2; i++) {
				const char *stem = sd->chain[i] ? sd->chain[i]
				                   : i          ? NULL
				                                : "server";
				/* The unknown leaf's issuer is the unknown root itself. */
				if (stem)
					cfg_chain(b, kt, stem, with_int && strcmp(stem, "unknown"));
			}
		}
		if (sd->trust) {
			fmt_into(f, sizeof f, "%s-%s.pem", kt, sd->trust);
			if (sd->flags & SIDE_TRUST_PATH)
				cfg_trust_path(b, f);
			else
				cfg_trust(b, f);
		}
	} else {
		if (!(sd->flags & SIDE_NO_TRUST)) {
			fmt_into(f, sizeof f, "%s-%s.pem", kt, sd->trust ? sd->trust : "ca");
			if (sd->flags & SIDE_TRUST_PATH)
				cfg_trust_path(b, f);
			else
				cfg_trust(b, f);
		}
		if (sd->chain[0])
			cfg_chain(b, kt, sd->chain[0], with_int && strcmp(sd->chain[0], "unknown"));
	}
	enum tlsh_version lo = role == TLSH_ROLE_CLIENT ? d->clo : d->slo;
	enum tlsh_version hi = role == TLSH_ROLE_CLIENT ? d->chi : d->shi;
	if (lo || hi)
		cfg_versions(b, lo, hi);
	for (size_t i = 0; i < ROW_MAX_ALPN && sd->alpn[i].data; i++)
		cfg_alpn_raw(b, sd->alpn[i].data, sd->alpn[i].len);
	size_t nc = 0;
	while (nc < ROW_MAX_CIPHERS && sd->ciphers[nc])
		nc++;
	if (nc)
		cfg_ciphers(b, sd->ciphers, nc);
	b->cfg.insecure = sd->insecure;
}

const char *scen_ep_state(const struct endpoint *e, int st, char *buf, size_t cap)
{
	char sent[40], recv[40];
	fmt_into(sent, sizeof sent, "%s", alert_name(e->err.alert_sent));
	fmt_into(recv, sizeof recv, "%s", alert_name(e->err.alert_received));
	if (st == TLSH_OK || st == TLSH_WANT_READ || st == TLSH_WANT_WRITE)
		return fmt_into(buf, cap, "%s %s%s", e->label, status_name(st),
		                e->handshake_done ? " (handshake done)" : "");
	return fmt_into(buf, cap, "%s %s%s%s (alert sent %s, received %s)", e->label,
	                status_name(st), e->err.message[0] ? ": " : "", e->err.message, sent, recv);
}

check_t scen_fail_hs(struct scen *s, enum hs_result r, const char *prefix)
{
	char c[400], v[400];
	return scen_fail(s, "%s%s; %s; %s", prefix, hs_result_name(r),
	                 scen_ep_state(&s->client, s->client_status, c, sizeof c),
	                 scen_ep_state(&s->server, s->server_status, v, sizeof v));
}

check_t scen_check_wire_clean(struct scen *s)
{
	const struct wire *w = scen_wire(s);
	for (int d = 0; d < 2; d++)
		if (w->malformed[d][0])
			FAIL(s, "wire, %s: %s", d ? "server->client" : "client->server",
			     w->malformed[d]);
	return CHECK_OK;
}

check_t scen_establish(struct scen *s, const struct cfgb *c, const struct cfgb *v, const char *host)
{
	enum hs_result r = scen_handshake(s);
	if (r != HS_OK)
		return scen_fail_hs(s, r, "handshake: ");
	GUARD(scen_check_established(s, c, v, host));
	return scen_check_wire_clean(s);
}

check_t scen_check_ch_sni(struct scen *s, const char *host)
{
	const struct wire *w = scen_wire(s);
	ENSURE(s, w->ch.present, "no ClientHello on the wire");
	if (!host || is_ip_literal(host)) {
		ENSURE(s, !w->ch.has_sni,
		       "ClientHello carries SNI '%s' for %s (RFC 6066 section 3)", w->ch.sni,
		       host ? "an IP literal" : "no server_hostname");
		return CHECK_OK;
	}
	char want[300];
	sni_for(host, want, sizeof want);
	ENSURE(s, w->ch.has_sni && strcmp(w->ch.sni, want) == 0,
	       "ClientHello SNI is %s%s%s, expected '%s'%s", w->ch.has_sni ? "'" : "absent",
	       w->ch.has_sni ? w->ch.sni : "", w->ch.has_sni ? "'" : "", want,
	       strcmp(want, host) ? " (RFC 6066 3: no trailing dot)" : "");
	return CHECK_OK;
}

int scen_alert_sent(struct scen *s, enum tlsh_role sender)
{
	struct endpoint *e = scen_ep(s, sender);
	return e->err.alert_sent != TLSH_NO_ALERT ||
	       oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1) >= 0;
}

void scen_check_alert_in(struct scen *s, enum tlsh_role sender, const int *codes)
{
	size_t n = 0;
	while (n < ROW_MAX_ALERTS && codes[n])
		n++;
	if (n == 1) {
		scen_check_alert(s, sender, codes[0]);
		return;
	}
	struct endpoint *se = scen_ep(s, sender);
	struct endpoint *pe = scen_peer(s, se);
	int on_wire = oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1);
	char want[160] = "";
	for (size_t i = 0; i < n; i++) {
		if (se->err.alert_sent == codes[i] || pe->err.alert_received == codes[i] ||
		    on_wire == codes[i] || dec_alert(s, sender) == codes[i])
			return;
		size_t l = strlen(want);
		fmt_into(want + l, sizeof want - l, "%s%s", i ? " or " : "", alert_name(codes[i]));
	}
	if (!n)
		return;
	char a[40], b[40], c[40];
	fmt_into(a, sizeof a, "%s", alert_name(se->err.alert_sent));
	fmt_into(b, sizeof b, "%s", alert_name(pe->err.alert_received));
	fmt_into(c, sizeof c, "%s", on_wire < 0 ? "no plaintext alert" : alert_name(on_wire));
	int dec = dec_alert(s, sender);
	char d[40];
	fmt_into(d, sizeof d, "%s", dec < 0 ? "" : alert_name(dec));
	scen_loose(s, "expected %s from the %s; %s sent %s, %s received %s, wire shows %s%s%s",
	           want, se->label, se->label, a, pe->label, b, c,
	           dec < 0 ? "" : ", decrypted by the harness: ", d);
}

check_t scen_client_rejects(struct scen *s, enum hs_result r, const char *host, const int *alerts,
                            const char *why)
{
	char c[400], v[400];
	if (r == HS_OK)
		FAIL(s, "the client accepted the handshake (%s), TLS %s", why,
		     vname(ep_version(&s->client)));
	if (r != HS_CLIENT_FAILED)
		return scen_fail_hs(s, r, "the client must fail first, observed: ");
	ENSURE(s, !s->server.handshake_done,
	       "the server completed its handshake although the client rejected it; %s",
	       scen_ep_state(&s->server, s->server_status, v, sizeof v));
	if (scen_alert_sent(s, TLSH_ROLE_CLIENT))
		ENSURE(s, s->server_status == TLSH_TLS_ERROR,
		       "the client sent a fatal alert but the server then returned %s "
		       "(RFC 8446 section 6.2: a fatal alert closes the connection)",
		       status_name(s->server_status));
	GUARD(scen_check_ch_sni(s, host));
	scen_observe(s, "%s; %s", scen_ep_state(&s->client, s->client_status, c, sizeof c),
	             scen_ep_state(&s->server, s->server_status, v, sizeof v));
	scen_check_alert_in(s, TLSH_ROLE_CLIENT, alerts);
	return CHECK_OK;
}

check_t scen_server_rejects(struct scen *s, enum hs_result r, enum tlsh_version v,
                            const int *alerts)
{
	char c[400], sv[400];
	if (r == HS_OK)
		FAIL(s, "the server accepted the handshake, TLS %s, cipher 0x%04x",
		     vname(ep_version(&s->server)), ep_cipher(&s->server));
	if (r != HS_SERVER_FAILED)
		return scen_fail_hs(s, r, "the server must fail first, observed: ");
	if (v == TLSH_TLS_1_2)
		ENSURE(s, !s->client.handshake_done,
		       "the TLS 1.2 client completed its handshake although the server failed "
		       "before its Finished");
	if (scen_alert_sent(s, TLSH_ROLE_SERVER))
		ENSURE(s, s->client_status == TLSH_TLS_ERROR,
		       "the server sent a fatal alert but the client then returned %s "
		       "(RFC 8446 section 6.2: a fatal alert closes the connection)",
		       status_name(s->client_status));
	GUARD(scen_check_ch_sni(s, s->host));
	scen_observe(s, "%s; %s", scen_ep_state(&s->server, s->server_status, sv, sizeof sv),
	             scen_ep_state(&s->client, s->client_status, c, sizeof c));
	scen_check_alert_in(s, TLSH_ROLE_SERVER, alerts);
	return CHECK_OK;
}

/* ---- certificates ------------------------------------------------------------- */

void pki_cert_der(struct scen *s, const char *file, struct bytes *out)
{
	const struct bytes *f = pki_file(file);
	uint8_t der[16384];
	size_t n = der_from_pem((const char *)f->data, f->len, der, sizeof der);
	if (n < 16)
		scen_abort(s, V_HARNESS_ERROR, "%s: no PEM certificate that can be decoded", file);
	bytes_append(out, der, n);
}

void scen_note_server_cert(struct scen *s)
{
	if (s->verdict != V_FAIL || !s->opened)
		return;
	const struct wire *w = scen_wire(s);
	const uint8_t *der = NULL;
	size_t len = 0;
	const char *from = NULL;
	if (w->server_leaf_len) {
		der = w->server_leaf;
		len = w->server_leaf_len;
		from = "TLS 1.2 Certificate message";
	} else if (s->client.buf && scen_has_cap(s, TLSH_ROLE_CLIENT, TLSH_CAP_PEERCERT) &&
	           ep_peercert(&s->client, &der, &len)) {
		from = "client getpeercert";
	}
	char d[400];
	size_t o = strlen(s->observed);
	if (from) {
		fmt_into(s->observed + o, sizeof s->observed - o, " [the server sent %s (%s)]",
		         der_cert_describe(der, len, d, sizeof d), from);
		return;
	}
	/* TLS 1.3 hides the Certificate and the client gave none: name what
	 * the server was configured with (its first chain, or the one the SNI
	 * names). */
	const struct side *sv = &s->def->row->server;
	if (sv->flags & SIDE_NO_CHAIN)
		return;
	o += strlen(fmt_into(s->observed + o, sizeof s->observed - o,
	                     " [the server's certificate is not on the wire (TLS %s) and the "
	                     "client's getpeercert gave none; its configured chain%s:",
	                     w->version == 0x0304 ? "1.3" : "handshake incomplete",
	                     sv->chain[1] ? "s" : ""));
	for (int i = 0; i < 2; i++) {
		const char *stem = sv->chain[i] ? sv->chain[i] : i ? NULL : "server";
		if (!stem)
			break;
		char file[64];
		struct bytes pem = {0};
		pki_cert_der(s, fmt_into(file, sizeof file, "%s-%s.pem", kt_name(s->def->kt), stem),
		             &pem);
		o += strlen(fmt_into(s->observed + o, sizeof s->observed - o, "%s %s: %s",
		                     i ? ";" : "", file,
		                     der_cert_describe(pem.data, pem.len, d, sizeof d)));
		bytes_free(&pem);
	}
	fmt_into(s->observed + o, sizeof s->observed - o, "]");
}

check_t scen_check_peercert(struct scen *s, struct endpoint *e, const char *kt, const char *stem)
{
	const uint8_t *der;
	size_t len;
	if (!stem) {
		ENSURE(s, !ep_peercert(e, &der, &len),
		       "%s getpeercert returned a %zu-byte certificate but the peer sent none",
		       e->label, len);
		return CHECK_OK;
	}
	char file[64], ifile[64];
	fmt_into(file, sizeof file, "%s-%s.pem", kt, stem);
	fmt_into(ifile, sizeof ifile, "%s-int.pem", kt);
	struct bytes want = {0}, inter = {0};
	pki_cert_der(s, file, &want);
	pki_cert_der(s, ifile, &inter);
	check_t rc = CHECK_OK;
	if (!ep_peercert(e, &der, &len)) {
		rc = scen_fail(s, "%s getpeercert returned no certificate; expected %s", e->label,
		               file);
	} else if (len != want.len || memcmp(der, want.data, len) != 0) {
		int is_int = len == inter.len && memcmp(der, inter.data, len) == 0;
		rc = scen_fail(s, "%s getpeercert returned %s (%zu bytes DER), not %s (%zu bytes)",
		               e->label, is_int ? "the intermediate CA" : "another certificate",
		               len, file, want.len);
	}
	bytes_free(&want);
	bytes_free(&inter);
	return rc;
}
