#include "scenario.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef TLSH_PKI_DIR
#define TLSH_PKI_DIR "harness/pki"
#endif

/* ---- registry ------------------------------------------------------------ */

static struct scen_def *defs;
static size_t ndefs, capdefs;

void scen_add(const struct scen_def *d)
{
	for (size_t i = 0; i < ndefs; i++) {
		if (strcmp(defs[i].id, d->id) == 0) {
			fprintf(stderr, "tlsharness: duplicate scenario id %s\n", d->id);
			abort();
		}
	}
	if (ndefs == capdefs) {
		capdefs = capdefs ? capdefs * 2 : 256;
		defs = xrealloc(defs, capdefs * sizeof *defs);
	}
	defs[ndefs++] = *d;
}

const struct scen_def *scen_all(size_t *n)
{
	*n = ndefs;
	return defs;
}

void scen_register_all(void)
{
	if (ndefs)
		return;
	family_handshake();
	family_ragged_eof();
	family_version_bounding();
	family_alpn();
}

/* ---- PKI ---------------------------------------------------------------- */

struct pki_entry {
	char *name;
	char *path;
	struct bytes data;
};

static struct pki_entry pki_cache[64];
static size_t pki_n;

static struct scen *current;

static const char *pki_dir(void)
{
	const char *e = getenv("TLSH_PKI_DIR");
	return e && *e ? e : TLSH_PKI_DIR;
}

static struct pki_entry *pki_get(const char *name)
{
	for (size_t i = 0; i < pki_n; i++)
		if (strcmp(pki_cache[i].name, name) == 0)
			return &pki_cache[i];
	if (pki_n == sizeof pki_cache / sizeof pki_cache[0])
		scen_abort(current, V_HARNESS_ERROR, "PKI cache full");
	struct pki_entry *e = &pki_cache[pki_n];
	memset(e, 0, sizeof *e);
	e->path = xasprintf("%s/%s", pki_dir(), name);
	if (read_file(e->path, &e->data) != 0) {
		char *p = e->path;
		scen_abort(current, V_HARNESS_ERROR, "test PKI file %s cannot be read", p);
	}
	e->name = xstrdup(name);
	pki_n++;
	return e;
}

const struct bytes *pki_file(const char *name)
{
	return &pki_get(name)->data;
}

const char *pki_path(const char *name)
{
	return pki_get(name)->path;
}

/* ---- configuration builder ------------------------------------------------ */

void cfg_init(struct cfgb *b)
{
	memset(b, 0, sizeof *b);
	b->cfg.struct_size = sizeof b->cfg;
}

static struct tlsh_source buf_source(const char *file)
{
	const struct bytes *f = pki_file(file);
	struct tlsh_source s = {.kind = TLSH_SOURCE_BUFFER, .data = f->data, .len = f->len};
	return s;
}

void cfg_chain(struct cfgb *b, const char *kt, const char *leaf, int with_intermediate)
{
	size_t i = b->cfg.certificate_chains_len;
	if (i >= CFG_MAX_CHAINS)
		scen_abort(current, V_HARNESS_ERROR, "too many chains in a config");
	char leaf_file[64], key_file[64], int_file[64];
	fmt_into(leaf_file, sizeof leaf_file, "%s-%s.pem", kt, leaf);
	fmt_into(key_file, sizeof key_file, "%s-%s.key", kt, leaf);
	fmt_into(int_file, sizeof int_file, "%s-int.pem", kt);
	b->chains[i].leaf = buf_source(leaf_file);
	b->chains[i].key = buf_source(key_file);
	if (with_intermediate) {
		b->inter[i][0] = buf_source(int_file);
		b->chains[i].chain = b->inter[i];
		b->chains[i].chain_len = 1;
	}
	b->cfg.certificate_chains = b->chains;
	b->cfg.certificate_chains_len = i + 1;
}

void cfg_trust(struct cfgb *b, const char *file)
{
	b->trust = buf_source(file);
	b->cfg.trust_store = &b->trust;
}

void cfg_trust_path(struct cfgb *b, const char *file)
{
	b->trust = (struct tlsh_source){.kind = TLSH_SOURCE_PATH, .path = pki_path(file)};
	b->cfg.trust_store = &b->trust;
}

void cfg_versions(struct cfgb *b, enum tlsh_version lo, enum tlsh_version hi)
{
	b->cfg.lowest_supported_version = lo;
	b->cfg.highest_supported_version = hi;
}

void cfg_alpn_raw(struct cfgb *b, const uint8_t *p, size_t len)
{
	size_t i = b->cfg.inner_protocols_len;
	if (i >= CFG_MAX_ALPN || len > sizeof b->alpn_store[0])
		scen_abort(current, V_HARNESS_ERROR, "ALPN list too long for the builder");
	memcpy(b->alpn_store[i], p, len);
	b->alpn[i].data = b->alpn_store[i];
	b->alpn[i].len = len;
	b->cfg.inner_protocols = b->alpn;
	b->cfg.inner_protocols_len = i + 1;
}

void cfg_alpn(struct cfgb *b, ...)
{
	va_list ap;
	va_start(ap, b);
	const char *p;
	while ((p = va_arg(ap, const char *)))
		cfg_alpn_raw(b, (const uint8_t *)p, strlen(p));
	va_end(ap);
}

void cfg_ciphers(struct cfgb *b, const uint16_t *ids, size_t n)
{
	if (n > CFG_MAX_CIPHERS)
		scen_abort(current, V_HARNESS_ERROR, "cipher list too long for the builder");
	memcpy(b->ciphers, ids, n * sizeof *ids);
	b->cfg.ciphers = b->ciphers;
	b->cfg.ciphers_len = n;
}

void cfg_std_client(struct cfgb *b, const char *kt)
{
	char f[32];
	cfg_init(b);
	cfg_trust(b, fmt_into(f, sizeof f, "%s-ca.pem", kt));
}

void cfg_std_server(struct cfgb *b, const char *kt)
{
	cfg_init(b);
	cfg_chain(b, kt, "server", 1);
}

/* ---- verdict helpers ------------------------------------------------------ */

void scen_set_current(struct scen *s);
void scen_set_current(struct scen *s)
{
	current = s;
}

void scen_expect(struct scen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->expected, sizeof s->expected, fmt, ap);
	va_end(ap);
}

int scen_fail(struct scen *s, const char *fmt, ...)
{
	if (s->verdict == V_FAIL)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->observed, sizeof s->observed, fmt, ap);
	va_end(ap);
	s->verdict = V_FAIL;
	return 0;
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

int scen_open_ok(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                 const char *hostname)
{
	int who;
	int st = scen_open(s, client, server, hostname, &who);
	if (st == TLSH_OK)
		return 0;
	struct endpoint *e = who == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	scen_fail(s, "%s construction failed: %s: %s", e->label, status_name(st), e->err.message);
	return -1;
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

int scen_check_established(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                           const char *hostname)
{
	(void)server;
	const struct wire *w = scen_wire(s);
	enum tlsh_version cv = ep_version(&s->client), sv = ep_version(&s->server);
	if (cv == TLSH_VERSION_NONE || cv != sv)
		return scen_fail(s, "negotiated_tls_version: client %s, server %s", vname(cv),
		                 vname(sv)),
		       -1;
	if (w->version != (uint16_t)cv)
		return scen_fail(s, "both sides report TLS %s but the ServerHello selected 0x%04x",
		                 vname(cv), w->version),
		       -1;
	uint16_t cc = ep_cipher(&s->client), sc = ep_cipher(&s->server);
	if (cc == 0 || cc != sc)
		return scen_fail(s, "cipher: client 0x%04x, server 0x%04x", cc, sc), -1;
	if (cc != w->sh.cipher)
		return scen_fail(s,
		                 "both sides report cipher 0x%04x but the ServerHello chose 0x%04x",
		                 cc, w->sh.cipher),
		       -1;
	const uint8_t *ca, *sa;
	size_t cal, sal;
	int hc = ep_alpn(&s->client, &ca, &cal), hs = ep_alpn(&s->server, &sa, &sal);
	if (hc != hs || (hc && (cal != sal || memcmp(ca, sa, cal) != 0)))
		return scen_fail(s, "negotiated_protocol differs: client %s%.*s, server %s%.*s",
		                 hc ? "" : "none", hc ? (int)cal : 0, hc ? (const char *)ca : "",
		                 hs ? "" : "none", hs ? (int)sal : 0, hs ? (const char *)sa : ""),
		       -1;
	if (w->version == 0x0303 && w->sh.has_alpn != hc)
		return scen_fail(s, "ServerHello %s ALPN but the API reports %s",
		                 w->sh.has_alpn ? "carries" : "carries no", hc ? "one" : "none"),
		       -1;
	if (!w->ch.present)
		return scen_fail(s, "no ClientHello on the wire"), -1;
	if (!hostname || is_ip_literal(hostname)) {
		if (w->ch.has_sni)
			return scen_fail(
			               s, "ClientHello carries SNI '%s' but %s", w->ch.sni,
			               hostname
			                       ? "the server_hostname is an IP literal (RFC 6066 3)"
			                       : "no server_hostname was given"),
			       -1;
	} else if (!w->ch.has_sni || strcmp(w->ch.sni, hostname) != 0) {
		return scen_fail(s, "ClientHello SNI is %s%s%s, expected '%s'",
		                 w->ch.has_sni ? "'" : "absent", w->ch.has_sni ? w->ch.sni : "",
		                 w->ch.has_sni ? "'" : "", hostname),
		       -1;
	}
	if (client->cfg.inner_protocols_len) {
		if (!w->ch.has_alpn || !alpn_list_equals(&w->ch, client))
			return scen_fail(s, "ClientHello ALPN list %s the configured list",
			                 w->ch.has_alpn ? "differs from" : "is absent, not"),
			       -1;
	} else if (w->ch.has_alpn) {
		return scen_fail(s, "ClientHello carries ALPN but the client configured none"), -1;
	}
	uint16_t lo, hi;
	effective_range(s, TLSH_ROLE_CLIENT, client, &lo, &hi);
	char why[256];
	if (wire_offers_range(&w->ch, lo, hi, why, sizeof why) != 0)
		return scen_fail(s, "%s", why), -1;
	return 0;
}

int scen_alert_seen(struct scen *s, enum tlsh_role sender, int code)
{
	struct endpoint *se = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct endpoint *pe = scen_peer(s, se);
	const struct wire *w = scen_wire(s);
	int on_wire = oracle_first_alert(w, sender == TLSH_ROLE_CLIENT ? 0 : 1);
	return se->err.alert_sent == code || pe->err.alert_received == code || on_wire == code;
}

void scen_check_alert(struct scen *s, enum tlsh_role sender, int code)
{
	if (scen_alert_seen(s, sender, code))
		return;
	struct endpoint *se = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct endpoint *pe = scen_peer(s, se);
	int on_wire = oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1);
	scen_loose(s, "expected %s from the %s; %s sent %s, %s received %s, wire shows %s",
	           alert_name(code), se->label, se->label, alert_name(se->err.alert_sent),
	           pe->label, alert_name(pe->err.alert_received),
	           on_wire < 0 ? "no plaintext alert" : alert_name(on_wire));
}

/* ---- data transfer -------------------------------------------------------- */

static uint8_t pattern_byte(size_t i, uint64_t seed)
{
	return (uint8_t)((i * 131u) ^ (i >> 9) ^ (seed & 0xff));
}

int scen_transfer(struct scen *s, enum dir d, size_t n, size_t chunk)
{
	struct endpoint *tx = d == C2S ? &s->client : &s->server;
	struct endpoint *rx = scen_peer(s, tx);
	uint8_t *src = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		src[i] = pattern_byte(i, s->seed + d);
	size_t written = 0, got = 0;
	uint8_t buf[16384 + 64];
	int idle = 0, rc = 0;
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
				rc = -1;
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
						scen_fail(s,
						          "%s received a wrong byte at offset %zu "
						          "of %zu "
						          "(integrity)",
						          rx->label, got + i, n);
						rc = -1;
						goto out;
					}
				}
				got += k;
				progress += k;
				continue;
			}
			if (st == TLSH_WANT_READ || st == TLSH_WANT_WRITE)
				break;
			scen_fail(s, "%s read returned %s after %zu of %zu bytes: %s", rx->label,
			          status_name(st), got, n, rx->err.message);
			rc = -1;
			goto out;
		}
		if (progress == 0 && ++idle > 3) {
			scen_fail(s, "transfer stalled: %zu of %zu bytes written, %zu received",
			          written, n, got);
			rc = -1;
			break;
		}
		if (progress)
			idle = 0;
	}
out:
	free(src);
	return rc;
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
