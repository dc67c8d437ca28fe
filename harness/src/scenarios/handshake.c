/* handshake family: the default handshake, each version, the cipher as an
 * IANA id, getpeercert, certificate trust (chain, issuer, hostname, validity,
 * SAN, IP literal, trust store as a path), SNI chain selection, client
 * authentication, cipher restriction, insecure mode, fragmentation and
 * coalescing, the state before the handshake, and data transfer with
 * integrity.
 *
 * Parameters: p[0] key type (index into kt_names), p[1] TLS version
 * (TLSH_TLS_1_2 / TLSH_TLS_1_3, or TLSH_VERSION_NONE for the default bounds),
 * p[2] / p[3] case-specific. Every success case checks the API and the wire
 * (scen_check_established plus the oracle's malformation notes); every
 * failure case checks which side failed first, what the peer then reports,
 * the ClientHello on the wire, and the alert where an RFC names one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define WRONG_HOST "wrong.tlsh.test"
#define OTHER_HOST "other.tlsh.test"
#define IP_HOST "127.0.0.1"

/* TLS alert descriptions used below (RFC 8446 section 6). */
#define A_HANDSHAKE_FAILURE 40
#define A_CERTIFICATE_EXPIRED 45
#define A_UNKNOWN_CA 48
#define A_INSUFFICIENT_SECURITY 71
#define A_CERTIFICATE_REQUIRED 116

#define NO_ALERT_CHECK (-1)

static const char *const kt_names[] = {"rsa", "ecdsa"};
static const enum tlsh_version versions[] = {TLSH_TLS_1_2, TLSH_TLS_1_3};

static uint64_t kt_cap(intptr_t kt)
{
	return kt ? TLSH_CAP_ECDSA : TLSH_CAP_RSA;
}

static uint64_t ver_cap(enum tlsh_version v)
{
	if (v == TLSH_TLS_1_2)
		return TLSH_CAP_TLS12;
	if (v == TLSH_TLS_1_3)
		return TLSH_CAP_TLS13;
	return 0;
}

static const char *ver_tag(enum tlsh_version v)
{
	return v == TLSH_TLS_1_2 ? "tls12" : v == TLSH_TLS_1_3 ? "tls13" : "any";
}

#define KT(s) kt_names[(s)->def->p[0]]
#define VER(s) ((enum tlsh_version)(s)->def->p[1])

/* Bounds a config to exactly one version; NONE leaves the defaults. */
static void bound(struct cfgb *b, enum tlsh_version v)
{
	if (v != TLSH_VERSION_NONE)
		cfg_versions(b, v, v);
}

/* ---- registration --------------------------------------------------------- */

static void add(struct scen_def d, const char *params, const char *idfmt, ...)
        __attribute__((format(printf, 3, 4)));

static void add(struct scen_def d, const char *params, const char *idfmt, ...)
{
	d.family = "handshake";
	char tail[128];
	va_list ap;
	va_start(ap, idfmt);
	vsnprintf(tail, sizeof tail, idfmt, ap);
	va_end(ap);
	snprintf(d.id, sizeof d.id, "handshake/%s", tail);
	snprintf(d.params, sizeof d.params, "%s", params);
	scen_add(&d);
}

/* ---- reporting helpers ------------------------------------------------------ */

/* "client TLS_ERROR: <message> (alert sent X, received Y)" */
static const char *ep_state(const struct endpoint *e, int st, char *buf, size_t cap)
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

static void fail_hs(struct scen *s, enum hs_result r, const char *prefix)
{
	char c[400], v[400];
	scen_fail(s, "%s%s; %s; %s", prefix, hs_result_name(r),
	          ep_state(&s->client, s->client_status, c, sizeof c),
	          ep_state(&s->server, s->server_status, v, sizeof v));
}

/* The oracle found nothing malformed in either direction. */
static int check_wire_clean(struct scen *s)
{
	const struct wire *w = scen_wire(s);
	for (int d = 0; d < 2; d++)
		if (w->malformed[d][0])
			return scen_fail(s, "wire, %s: %s", d ? "server->client" : "client->server",
			                 w->malformed[d]),
			       -1;
	return 0;
}

/* Drives the handshake and requires success, then checks API and wire. */
static int establish(struct scen *s, const struct cfgb *c, const struct cfgb *v, const char *host)
{
	enum hs_result r = scen_handshake(s);
	if (r != HS_OK) {
		fail_hs(s, r, "handshake: ");
		return -1;
	}
	if (scen_check_established(s, c, v, host))
		return -1;
	return check_wire_clean(s);
}

static int open_establish(struct scen *s, const struct cfgb *c, const struct cfgb *v,
                          const char *host)
{
	if (scen_open_ok(s, c, v, host))
		return -1;
	return establish(s, c, v, host);
}

/* Small exchange both ways after a handshake: the connection is usable. */
static int small_transfer(struct scen *s)
{
	if (scen_transfer(s, C2S, 100, 100) || scen_transfer(s, S2C, 100, 100))
		return -1;
	return 0;
}

/* The ClientHello is on the wire and its SNI is right for `host`
 * (RFC 6066 section 3: absent for an IP literal or no name). */
static int check_ch_sni(struct scen *s, const char *host)
{
	const struct wire *w = scen_wire(s);
	if (!w->ch.present)
		return scen_fail(s, "no ClientHello on the wire"), -1;
	int literal = host && strcmp(host, IP_HOST) == 0;
	if (!host || literal) {
		if (w->ch.has_sni)
			return scen_fail(s,
			                 "ClientHello carries SNI '%s' for %s (RFC 6066 section 3)",
			                 w->ch.sni, host ? "an IP literal" : "no server_hostname"),
			       -1;
		return 0;
	}
	if (!w->ch.has_sni || strcmp(w->ch.sni, host) != 0)
		return scen_fail(s, "ClientHello SNI is %s%s%s, expected '%s'",
		                 w->ch.has_sni ? "'" : "absent", w->ch.has_sni ? w->ch.sni : "",
		                 w->ch.has_sni ? "'" : "", host),
		       -1;
	return 0;
}

/* Whether `sender` sent a fatal alert by its own account or visibly on the
 * wire (plaintext). */
static int alert_was_sent(struct scen *s, enum tlsh_role sender)
{
	struct endpoint *e = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	return e->err.alert_sent != TLSH_NO_ALERT ||
	       oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1) >= 0;
}

/* Like scen_check_alert, for a set of acceptable codes. */
static void check_alert_in(struct scen *s, enum tlsh_role sender, const int *codes, size_t n)
{
	struct endpoint *se = sender == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct endpoint *pe = scen_peer(s, se);
	int on_wire = oracle_first_alert(scen_wire(s), sender == TLSH_ROLE_CLIENT ? 0 : 1);
	char want[160] = "";
	for (size_t i = 0; i < n; i++) {
		if (se->err.alert_sent == codes[i] || pe->err.alert_received == codes[i] ||
		    on_wire == codes[i])
			return;
		size_t l = strlen(want);
		fmt_into(want + l, sizeof want - l, "%s%s", i ? " or " : "", alert_name(codes[i]));
	}
	char a[40], b[40], c[40];
	fmt_into(a, sizeof a, "%s", alert_name(se->err.alert_sent));
	fmt_into(b, sizeof b, "%s", alert_name(pe->err.alert_received));
	fmt_into(c, sizeof c, "%s", on_wire < 0 ? "no plaintext alert" : alert_name(on_wire));
	scen_loose(s, "expected %s from the %s; %s sent %s, %s received %s, wire shows %s", want,
	           se->label, se->label, a, pe->label, b, c);
}

/* The client must reject the server (certificate or identity): the client
 * fails first, the server never completes, a server that received the
 * client's alert fails too (RFC 8446 section 6.2), the ClientHello carried
 * the right SNI, and the client sent `alert` where one is named. */
static void client_must_reject(struct scen *s, const char *host, int alert, const char *why)
{
	enum hs_result r = scen_handshake(s);
	char c[400], v[400];
	if (r == HS_OK) {
		scen_fail(s, "the client accepted the handshake (%s), TLS %s", why,
		          vname(ep_version(&s->client)));
		return;
	}
	if (r != HS_CLIENT_FAILED) {
		fail_hs(s, r, "the client must fail first, observed: ");
		return;
	}
	EXPECT(s, !s->server.handshake_done,
	       "the server completed its handshake although the client rejected it; %s",
	       ep_state(&s->server, s->server_status, v, sizeof v));
	if (alert_was_sent(s, TLSH_ROLE_CLIENT))
		EXPECT(s, s->server_status == TLSH_TLS_ERROR,
		       "the client sent a fatal alert but the server then returned %s "
		       "(RFC 8446 section 6.2: a fatal alert closes the connection)",
		       status_name(s->server_status));
	if (check_ch_sni(s, host))
		return;
	scen_observe(s, "%s; %s", ep_state(&s->client, s->client_status, c, sizeof c),
	             ep_state(&s->server, s->server_status, v, sizeof v));
	if (alert != NO_ALERT_CHECK)
		scen_check_alert(s, TLSH_ROLE_CLIENT, alert);
}

/* The server must reject the client: the server fails first; a client that
 * received the server's alert fails too (in TLS 1.3 on its next read); a
 * TLS 1.2 client never completes. The alert must be one of `codes`. */
static void server_must_reject(struct scen *s, enum tlsh_version v, const int *codes, size_t n)
{
	enum hs_result r = scen_handshake(s);
	char c[400], sv[400];
	if (r == HS_OK) {
		scen_fail(s, "the server accepted the handshake, TLS %s, cipher 0x%04x",
		          vname(ep_version(&s->server)), ep_cipher(&s->server));
		return;
	}
	if (r != HS_SERVER_FAILED) {
		fail_hs(s, r, "the server must fail first, observed: ");
		return;
	}
	if (v == TLSH_TLS_1_2)
		EXPECT(s, !s->client.handshake_done,
		       "the TLS 1.2 client completed its handshake although the server failed "
		       "before its Finished");
	if (alert_was_sent(s, TLSH_ROLE_SERVER))
		EXPECT(s, s->client_status == TLSH_TLS_ERROR,
		       "the server sent a fatal alert but the client then returned %s "
		       "(RFC 8446 section 6.2: a fatal alert closes the connection)",
		       status_name(s->client_status));
	if (check_ch_sni(s, TEST_HOST))
		return;
	scen_observe(s, "%s; %s", ep_state(&s->server, s->server_status, sv, sizeof sv),
	             ep_state(&s->client, s->client_status, c, sizeof c));
	check_alert_in(s, TLSH_ROLE_SERVER, codes, n);
}

/* ---- certificates ------------------------------------------------------------- */

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* DER of the first certificate in a PEM file of the test PKI. */
static void pem_cert_der(struct scen *s, const char *file, struct bytes *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	const struct bytes *f = pki_file(file);
	const char *t = (const char *)f->data;
	size_t n = f->len, i = 0, bl = sizeof begin - 1;
	while (i + bl <= n && memcmp(t + i, begin, bl) != 0)
		i++;
	if (i + bl > n)
		scen_abort(s, V_HARNESS_ERROR, "%s holds no PEM certificate", file);
	uint32_t acc = 0;
	int bits = 0;
	for (i += bl; i < n && t[i] != '-' && t[i] != '='; i++) {
		int v = b64val((unsigned char)t[i]);
		if (v < 0)
			continue; /* line breaks */
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			uint8_t byte = (uint8_t)(acc >> bits);
			bytes_append(out, &byte, 1);
		}
	}
	if (i >= n || out->len < 16)
		scen_abort(s, V_HARNESS_ERROR, "%s: PEM certificate cannot be decoded", file);
}

/* getpeercert on `e` returns the DER of <kt>-<stem>.pem. */
static int check_peercert(struct scen *s, struct endpoint *e, const char *kt, const char *stem)
{
	char file[64], ifile[64];
	fmt_into(file, sizeof file, "%s-%s.pem", kt, stem);
	fmt_into(ifile, sizeof ifile, "%s-int.pem", kt);
	struct bytes want = {0}, inter = {0};
	pem_cert_der(s, file, &want);
	pem_cert_der(s, ifile, &inter);
	const uint8_t *der;
	size_t len;
	int rc = 0;
	if (!ep_peercert(e, &der, &len)) {
		scen_fail(s, "%s getpeercert returned no certificate; expected %s", e->label, file);
		rc = -1;
	} else if (len != want.len || memcmp(der, want.data, len) != 0) {
		int is_int = len == inter.len && memcmp(der, inter.data, len) == 0;
		scen_fail(s, "%s getpeercert returned %s (%zu bytes DER), not %s (%zu bytes)",
		          e->label, is_int ? "the intermediate CA" : "another certificate", len,
		          file, want.len);
		rc = -1;
	}
	bytes_free(&want);
	bytes_free(&inter);
	return rc;
}

/* ---- default, versions, cipher ---------------------------------------------- */

static void run_default(struct scen *s)
{
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	scen_expect(s, "handshake completes; both sides agree on version and cipher with the "
	               "ServerHello; SNI and supported_versions on the wire match the config");
	if (open_establish(s, &c, &v, TEST_HOST) || small_transfer(s))
		return;
	scen_observe(s, "TLS %s, cipher 0x%04x", vname(ep_version(&s->client)),
	             ep_cipher(&s->client));
}

static void run_version(struct scen *s)
{
	enum tlsh_version want = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, want);
	bound(&v, want);
	scen_expect(s,
	            "both sides report TLS %s, the ServerHello selects it, the ClientHello "
	            "offers only it",
	            vname(want));
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	enum tlsh_version cv = ep_version(&s->client), sv = ep_version(&s->server);
	EXPECT(s, cv == want && sv == want, "negotiated_tls_version: client %s, server %s",
	       vname(cv), vname(sv));
	if (small_transfer(s))
		return;
	scen_observe(s, "TLS %s on both sides and on the wire", vname(cv));
}

static int wire_offers(const struct wire *w, uint16_t id)
{
	for (size_t i = 0; i < w->ch.n_ciphers; i++)
		if (w->ch.ciphers[i] == id)
			return 1;
	return 0;
}

static void run_cipher_agree(struct scen *s)
{
	enum tlsh_version want = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, want);
	bound(&v, want);
	scen_expect(s,
	            "cipher() is the same nonzero IANA id on both sides, equals the "
	            "ServerHello's, was offered by the client, and is a TLS %s suite",
	            vname(want));
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	const struct wire *w = scen_wire(s);
	uint16_t id = ep_cipher(&s->client);
	EXPECT(s, wire_offers(w, id),
	       "the negotiated cipher 0x%04x is not in the ClientHello's cipher_suites", id);
	int is13 = (id >> 8) == 0x13;
	EXPECT(s, is13 == (want == TLSH_TLS_1_3),
	       "cipher 0x%04x is %s TLS 1.3 suite but TLS %s was negotiated", id,
	       is13 ? "a" : "not a", vname(want));
	if (small_transfer(s))
		return;
	uint16_t c2 = ep_cipher(&s->client), s2 = ep_cipher(&s->server);
	EXPECT(s, c2 == id && s2 == id,
	       "cipher changed after data transfer: client 0x%04x, server 0x%04x (was 0x%04x)", c2,
	       s2, id);
	scen_observe(s, "cipher 0x%04x on both sides and in the ServerHello", id);
}

/* ---- getpeercert -------------------------------------------------------------- */

static void run_peercert_server(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_std_server(&v, kt);
	scen_expect(s,
	            "the client's getpeercert is the DER of %s-server.pem (the leaf, not the "
	            "intermediate)",
	            kt);
	/* The PKI's DER copy must equal the PEM leaf, or the comparison below
	 * would prove nothing. */
	char derf[64], pemf[64];
	struct bytes pem = {0};
	pem_cert_der(s, fmt_into(pemf, sizeof pemf, "%s-server.pem", kt), &pem);
	const struct bytes *der = pki_file(fmt_into(derf, sizeof derf, "%s-server.der", kt));
	if (der->len != pem.len || memcmp(der->data, pem.data, pem.len) != 0)
		scen_abort(s, V_HARNESS_ERROR, "%s and %s differ: regenerate the test PKI", derf,
		           pemf);
	bytes_free(&pem);
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	if (check_peercert(s, &s->client, kt, "server"))
		return;
	scen_observe(s, "client getpeercert = %s-server leaf", kt);
}

static void run_peercert_client(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	char f[32];
	cfg_std_client(&c, kt);
	cfg_chain(&c, kt, "client", 1);
	cfg_std_server(&v, kt);
	cfg_trust(&v, fmt_into(f, sizeof f, "%s-ca.pem", kt));
	scen_expect(s,
	            "with client authentication the server's getpeercert is the DER of "
	            "%s-client.pem",
	            kt);
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	if (check_peercert(s, &s->server, kt, "client"))
		return;
	scen_observe(s, "server getpeercert = %s-client leaf", kt);
}

static void run_peercert_none(struct scen *s)
{
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, TLSH_TLS_1_2);
	scen_expect(s, "without client authentication the server sends no CertificateRequest "
	               "and its getpeercert returns 0");
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	const struct wire *w = scen_wire(s);
	EXPECT(s, !w->cert_request, "the server sent a CertificateRequest without a trust store");
	EXPECT(s, w->client_cert_count < 0, "the client sent a Certificate message (%d certs)",
	       w->client_cert_count);
	const uint8_t *der;
	size_t len;
	EXPECT(s, !ep_peercert(&s->server, &der, &len),
	       "server getpeercert returned a %zu-byte certificate but the client sent none", len);
	scen_observe(s, "server getpeercert: none");
}

/* ---- trust ------------------------------------------------------------------------ */

static void run_trust_good(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_std_server(&v, kt);
	bound(&c, ver);
	bound(&v, ver);
	scen_expect(s, "leaf + intermediate verified against the %s root: success%s", kt,
	            ver == TLSH_TLS_1_2 ? "; the server's Certificate carries 2 certificates" : "");
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	const struct wire *w = scen_wire(s);
	if (ver == TLSH_TLS_1_2)
		EXPECT(s, w->server_cert_count == 2,
		       "the server's Certificate message carries %d certificate(s), expected the "
		       "leaf and the intermediate",
		       w->server_cert_count);
	if (small_transfer(s))
		return;
	scen_observe(s, "verified, TLS %s", vname(ep_version(&s->client)));
}

static void run_trust_unknown_ca(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "unknown", 0);
	bound(&c, ver);
	bound(&v, ver);
	scen_expect(s, "the client rejects a leaf issued by a CA it does not trust, with "
	               "unknown_ca(48)");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	client_must_reject(s, TEST_HOST, A_UNKNOWN_CA, "issuer not trusted");
}

static void run_trust_hostname(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_std_server(&v, kt);
	scen_expect(s,
	            "the client connecting to %s rejects the server.tlsh.test leaf (no alert "
	            "is named by the RFCs)",
	            WRONG_HOST);
	if (scen_open_ok(s, &c, &v, WRONG_HOST))
		return;
	client_must_reject(s, WRONG_HOST, NO_ALERT_CHECK, "hostname does not match");
}

static void run_trust_validity(struct scen *s)
{
	const char *kt = KT(s);
	const char *leaf = s->def->ptr;
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, leaf, 1);
	scen_expect(s, "the client rejects a leaf outside its validity period with "
	               "certificate_expired(45)");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	client_must_reject(s, TEST_HOST, A_CERTIFICATE_EXPIRED, "leaf outside its validity");
}

static void run_trust_int_missing(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "server", 0);
	bound(&c, ver);
	bound(&v, ver);
	scen_expect(s, "the server sends the leaf only; the client, trusting only the root, "
	               "cannot build a path and rejects it with unknown_ca(48)");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	client_must_reject(s, TEST_HOST, A_UNKNOWN_CA, "intermediate missing");
	if (scen_failed(s) || ver != TLSH_TLS_1_2)
		return;
	const struct wire *w = scen_wire(s);
	EXPECT(s, w->server_cert_count == 1,
	       "the server's Certificate carries %d certificate(s), configured: the leaf only",
	       w->server_cert_count);
}

static void run_trust_nosan(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "nosan", 1);
	scen_expect(s, "the leaf names server.tlsh.test only in its CN (no subjectAltName): the "
	               "client must not fall back to the CN and rejects it");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	client_must_reject(s, TEST_HOST, NO_ALERT_CHECK, "CN-only identity, no SAN");
}

static void run_trust_path(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	char f[32];
	cfg_init(&c);
	cfg_trust_path(&c, fmt_into(f, sizeof f, "%s-ca.pem", kt));
	cfg_std_server(&v, kt);
	scen_expect(s, "a trust store given as a path (%s) verifies the server", f);
	if (open_establish(s, &c, &v, TEST_HOST) || small_transfer(s))
		return;
	scen_observe(s, "verified with the root loaded from a path");
}

static void run_trust_ip(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "ip", 1);
	scen_expect(s,
	            "the client connecting to %s accepts a leaf with SAN IP:%s and sends no "
	            "SNI",
	            IP_HOST, IP_HOST);
	if (open_establish(s, &c, &v, IP_HOST) || small_transfer(s))
		return;
	scen_observe(s, "verified by IP address, no SNI on the wire");
}

static void run_trust_ip_mismatch(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_std_server(&v, kt);
	scen_expect(s,
	            "the client connecting to %s rejects a leaf without that IP address "
	            "(DNS:server.tlsh.test only) and sends no SNI",
	            IP_HOST);
	if (scen_open_ok(s, &c, &v, IP_HOST))
		return;
	client_must_reject(s, IP_HOST, NO_ALERT_CHECK, "IP address not in the certificate");
}

/* ---- SNI ---------------------------------------------------------------------------- */

static void run_sni_select(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "server", 1);
	cfg_chain(&v, kt, "alt", 1);
	scen_expect(s,
	            "a server with chains [server, alt] answers SNI %s with the alt chain "
	            "(the client verifies %s)",
	            ALT_HOST, ALT_HOST);
	if (open_establish(s, &c, &v, ALT_HOST))
		return;
	if (scen_has_cap(s, TLSH_ROLE_CLIENT, TLSH_CAP_PEERCERT) &&
	    check_peercert(s, &s->client, kt, "alt"))
		return;
	if (small_transfer(s))
		return;
	scen_observe(s, "SNI %s selected the alt chain", ALT_HOST);
}

static void run_sni_nomatch(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	cfg_init(&v);
	cfg_chain(&v, kt, "server", 1);
	cfg_chain(&v, kt, "alt", 1);
	scen_expect(s,
	            "SNI %s matches no chain: the server continues with its first chain and "
	            "the client fails hostname verification",
	            OTHER_HOST);
	if (scen_open_ok(s, &c, &v, OTHER_HOST))
		return;
	client_must_reject(s, OTHER_HOST, NO_ALERT_CHECK, "no chain names the SNI");
}

static void run_sni_nomatch_first(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	c.cfg.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK;
	cfg_init(&v);
	cfg_chain(&v, kt, "alt", 1);
	cfg_chain(&v, kt, "server", 1);
	scen_expect(s,
	            "SNI %s matches no chain of [alt, server]: the server uses the first "
	            "(alt); the client (hostname check off) sees the alt leaf",
	            OTHER_HOST);
	if (open_establish(s, &c, &v, OTHER_HOST))
		return;
	if (check_peercert(s, &s->client, kt, "alt"))
		return;
	scen_observe(s, "the first chain was used");
}

/* ---- client authentication -------------------------------------------------------- */

static void client_auth_cfg(struct cfgb *c, struct cfgb *v, const char *kt, enum tlsh_version ver,
                            const char *server_trust, int client_has_cert)
{
	cfg_std_client(c, kt);
	if (client_has_cert)
		cfg_chain(c, kt, "client", 1);
	cfg_std_server(v, kt);
	cfg_trust(v, server_trust);
	bound(c, ver);
	bound(v, ver);
}

static void run_ca_given(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	char f[32];
	client_auth_cfg(&c, &v, kt, ver, fmt_into(f, sizeof f, "%s-ca.pem", kt), 1);
	scen_expect(s, "the server requires a client certificate, the client sends leaf + "
	               "intermediate, the server verifies it: success");
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	if (ver == TLSH_TLS_1_2) {
		const struct wire *w = scen_wire(s);
		EXPECT(s, w->cert_request, "no CertificateRequest on the wire");
		EXPECT(s, w->client_cert_count == 2,
		       "the client's Certificate carries %d certificate(s), expected 2",
		       w->client_cert_count);
	}
	if (small_transfer(s))
		return;
	scen_observe(s, "mutual authentication, TLS %s", vname(ep_version(&s->client)));
}

static void run_ca_missing(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	char f[32];
	client_auth_cfg(&c, &v, kt, ver, fmt_into(f, sizeof f, "%s-ca.pem", kt), 0);
	int alert = ver == TLSH_TLS_1_3 ? A_CERTIFICATE_REQUIRED : A_HANDSHAKE_FAILURE;
	scen_expect(s,
	            "the client has no certificate: the server fails the handshake with %s; "
	            "the client then fails too",
	            alert_name(alert));
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	server_must_reject(s, ver, &alert, 1);
	if (scen_failed(s) || ver != TLSH_TLS_1_2)
		return;
	const struct wire *w = scen_wire(s);
	EXPECT(s, w->cert_request, "no CertificateRequest on the wire");
	EXPECT(s, w->client_cert_count == 0,
	       "the client's Certificate carries %d certificate(s), expected an empty one "
	       "(RFC 5246 section 7.4.6)",
	       w->client_cert_count);
}

static void run_ca_unknown(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	char f[32];
	/* The server trusts only the unknown root; the client's chain leads to
	 * the test root, which that server does not know. */
	client_auth_cfg(&c, &v, kt, ver, fmt_into(f, sizeof f, "%s-unknown-ca.pem", kt), 1);
	int alert = A_UNKNOWN_CA;
	scen_expect(s, "the client's certificate chains to a root the server does not trust: the "
	               "server fails with unknown_ca(48); the client then fails too");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	server_must_reject(s, ver, &alert, 1);
	if (scen_failed(s) || ver != TLSH_TLS_1_2)
		return;
	const struct wire *w = scen_wire(s);
	EXPECT(s, w->client_cert_count == 2,
	       "the client's Certificate carries %d certificate(s), expected 2",
	       w->client_cert_count);
}

/* ---- cipher selection ------------------------------------------------------------ */

static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The ClientHello's cipher_suites, ignoring the renegotiation SCSV and
 * GREASE, holds only ids from `allowed` and includes `must`. */
static int check_offer(struct scen *s, const uint16_t *allowed, size_t n, uint16_t must)
{
	const struct wire *w = scen_wire(s);
	char list[400] = "";
	int bad = 0, has = 0;
	for (size_t i = 0; i < w->ch.n_ciphers; i++) {
		uint16_t id = w->ch.ciphers[i];
		size_t l = strlen(list);
		fmt_into(list + l, sizeof list - l, "%s0x%04x", i ? " " : "", id);
		if (id == 0x00FF || is_grease(id))
			continue;
		int ok = 0;
		for (size_t k = 0; k < n; k++)
			ok |= allowed[k] == id;
		bad |= !ok;
		has |= id == must;
	}
	if (bad || !has)
		return scen_fail(s, "the ClientHello offers {%s}; configured: only 0x%04x", list,
		                 must),
		       -1;
	return 0;
}

static void run_cipher_restrict(struct scen *s)
{
	const char *kt = KT(s);
	enum tlsh_version ver = VER(s);
	uint16_t id = (uint16_t)s->def->p[2];
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	bound(&c, ver);
	cfg_ciphers(&c, &id, 1);
	cfg_std_server(&v, kt);
	scen_expect(s, "the client offers only 0x%04x (plus SCSV/GREASE); both sides report it",
	            id);
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	uint16_t got = ep_cipher(&s->client);
	EXPECT(s, got == id, "negotiated cipher 0x%04x, the client allowed only 0x%04x", got, id);
	if (check_offer(s, &id, 1, id) || small_transfer(s))
		return;
	scen_observe(s, "cipher 0x%04x, offered alone", id);
}

static void run_cipher_disjoint(struct scen *s)
{
	uint16_t cid = 0xC02F, sid = 0xC030;
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, TLSH_TLS_1_2);
	bound(&v, TLSH_TLS_1_2);
	cfg_ciphers(&c, &cid, 1);
	cfg_ciphers(&v, &sid, 1);
	static const int alerts[] = {A_HANDSHAKE_FAILURE, A_INSUFFICIENT_SECURITY};
	scen_expect(s,
	            "client 0x%04x only, server 0x%04x only: the server fails with "
	            "handshake_failure(40) or insufficient_security(71)",
	            cid, sid);
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	server_must_reject(s, TLSH_TLS_1_2, alerts, ARRAY_LEN(alerts));
	if (scen_failed(s))
		return;
	check_offer(s, &cid, 1, cid);
}

static void run_cipher_unknown(struct scen *s)
{
	static const uint16_t ids[] = {0xFEFE, 0xC02F};
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	bound(&c, TLSH_TLS_1_2);
	cfg_ciphers(&c, ids, ARRAY_LEN(ids));
	cfg_std_server(&v, "rsa");
	scen_expect(s, "a list {0xFEFE (unknown), 0xC02F} is accepted by validate_config and "
	               "the handshake uses 0xC02F");
	struct tlsh_error err;
	int st = ep_validate(s->cimpl, TLSH_ROLE_CLIENT, &c.cfg, &err);
	EXPECT(s, st == TLSH_OK, "validate_config: %s: %s (unknown ids must be ignored)",
	       status_name(st), err.message);
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	uint16_t got = ep_cipher(&s->client);
	EXPECT(s, got == 0xC02F, "negotiated cipher 0x%04x, expected 0xc02f", got);
	if (check_offer(s, ids, ARRAY_LEN(ids), 0xC02F) || small_transfer(s))
		return;
	scen_observe(s, "unknown id ignored, cipher 0xc02f");
}

/* ---- insecure mode ------------------------------------------------------------------ */

static void run_insecure_noverify(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	c.cfg.insecure = TLSH_INSECURE_NO_VERIFY;
	cfg_init(&v);
	cfg_chain(&v, kt, "unknown", 0);
	scen_expect(s, "with TLSH_INSECURE_NO_VERIFY the client accepts a leaf from an unknown "
	               "CA");
	if (open_establish(s, &c, &v, TEST_HOST) || small_transfer(s))
		return;
	scen_observe(s, "accepted without verification");
}

static void run_insecure_nohost(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	c.cfg.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK;
	cfg_std_server(&v, kt);
	scen_expect(s,
	            "with TLSH_INSECURE_NO_HOSTNAME_CHECK the client connecting to %s "
	            "accepts the server.tlsh.test leaf (SNI still %s)",
	            WRONG_HOST, WRONG_HOST);
	if (open_establish(s, &c, &v, WRONG_HOST) || small_transfer(s))
		return;
	scen_observe(s, "accepted without hostname check");
}

static void run_insecure_nohost_unknown(struct scen *s)
{
	const char *kt = KT(s);
	struct cfgb c, v;
	cfg_std_client(&c, kt);
	c.cfg.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK;
	cfg_init(&v);
	cfg_chain(&v, kt, "unknown", 0);
	scen_expect(s, "TLSH_INSECURE_NO_HOSTNAME_CHECK still verifies the chain: an unknown CA "
	               "is rejected with unknown_ca(48)");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	client_must_reject(s, TEST_HOST, A_UNKNOWN_CA, "NO_HOSTNAME_CHECK disabled chain checks");
}

/* ---- fragmentation ----------------------------------------------------------------- */

static const char *policy_name(enum delivery d)
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

static void run_frag(struct scen *s)
{
	enum tlsh_version ver = VER(s);
	enum delivery pol = (enum delivery)s->def->p[2];
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, ver);
	bound(&v, ver);
	scen_expect(s, "with %s the handshake completes and 4 KiB cross each way intact",
	            policy_name(pol));
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	pump_policy(&s->pump, pol, s->seed);
	if (establish(s, &c, &v, TEST_HOST))
		return;
	if (scen_transfer(s, C2S, 4096, 4096) || scen_transfer(s, S2C, 4096, 4096))
		return;
	scen_observe(s, "TLS %s with %s", vname(ep_version(&s->client)), policy_name(pol));
}

/* Number of whole TLS records in a byte string, or -1 if it does not end on
 * a record boundary. */
static int count_records(const struct bytes *b)
{
	size_t off = 0;
	int n = 0;
	while (off + 5 <= b->len) {
		size_t len = (size_t)b->data[off + 3] << 8 | b->data[off + 4];
		off += 5 + len;
		n++;
	}
	return off == b->len ? n : -1;
}

static void run_coalesce(struct scen *s)
{
	enum tlsh_version ver = VER(s);
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, ver);
	bound(&v, ver);
	/* TLS 1.3: the client completes first (its Finished ends the handshake,
	 * RFC 8446 section 2). TLS 1.2 full handshake: the server's Finished
	 * comes last (RFC 5246 section 7.3), so the server completes first. */
	int want_first = ver == TLSH_TLS_1_3 ? TLSH_ROLE_CLIENT : TLSH_ROLE_SERVER;
	scen_expect(s,
	            "the %s's last flight and its first application data reach the peer in "
	            "ONE process_incoming call; the peer completes and reads the data from it",
	            want_first == TLSH_ROLE_CLIENT ? "client" : "server");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	struct endpoint *cl = &s->client, *sv = &s->server, *first = NULL;
	char st1[400], st2[400];
	for (int round = 0; round < 64 && !first; round++) {
		if (!cl->handshake_done)
			s->client_status = ep_handshake(cl);
		EXPECT(s, s->client_status != TLSH_TLS_ERROR, "handshake: %s",
		       ep_state(cl, s->client_status, st1, sizeof st1));
		if (cl->handshake_done && !sv->handshake_done) {
			first = cl;
			break;
		}
		pump_flush(&s->pump, C2S);
		if (!sv->handshake_done)
			s->server_status = ep_handshake(sv);
		EXPECT(s, s->server_status != TLSH_TLS_ERROR, "handshake: %s",
		       ep_state(sv, s->server_status, st1, sizeof st1));
		if (sv->handshake_done && !cl->handshake_done) {
			first = sv;
			break;
		}
		pump_flush(&s->pump, S2C);
	}
	EXPECT(s, first != NULL, "the handshake did not progress: %s; %s",
	       ep_state(cl, s->client_status, st1, sizeof st1),
	       ep_state(sv, s->server_status, st2, sizeof st2));
	EXPECT(s, first->role == (enum tlsh_role)want_first,
	       "the %s completed its handshake first; in TLS %s the %s's Finished is the last "
	       "handshake message",
	       first->label, vname(ver), want_first == TLSH_ROLE_CLIENT ? "client" : "server");
	struct endpoint *rx = scen_peer(s, first);
	enum dir d = scen_dir_from(s, first);
	static const char msg[] = "first application data, coalesced with the final flight";
	size_t n = 0;
	int st = ep_write(first, (const uint8_t *)msg, sizeof msg - 1, &n);
	EXPECT(s, st == TLSH_OK && n == sizeof msg - 1,
	       "%s write right after its handshake completed: %s, %zu of %zu bytes", first->label,
	       status_name(st), n, sizeof msg - 1);
	pump_hold(&s->pump, d);
	int recs = count_records(&s->pump.held[d]);
	EXPECT(s, recs >= 2,
	       "after the %s's write, process_outgoing gave %zu bytes in %d whole record(s); "
	       "expected its Finished and an application data record",
	       first->label, s->pump.held[d].len, recs);
	size_t held = s->pump.held[d].len;
	st = pump_release(&s->pump, d);
	EXPECT(s, st == TLSH_OK, "%s process_incoming of the coalesced %zu bytes: %s", rx->label,
	       held, status_name(st));
	/* The receiver must complete its handshake and return the data from
	 * that one delivery; only its own output is drained meanwhile. */
	struct bytes got = {0};
	uint8_t buf[1024];
	for (int i = 0; i < 16 && got.len < sizeof msg - 1; i++) {
		size_t k = 0;
		st = ep_read(rx, buf, sizeof buf, &k);
		if (st == TLSH_OK) {
			bytes_append(&got, buf, k);
			continue;
		}
		if (st == TLSH_WANT_WRITE) {
			pump_flush(&s->pump, scen_dir_from(s, rx));
			continue;
		}
		break;
	}
	int same = got.len == sizeof msg - 1 && memcmp(got.data, msg, got.len) == 0;
	size_t glen = got.len;
	bytes_free(&got);
	EXPECT(s, same, "%s read after the coalesced delivery: %s, %zu of %zu bytes%s", rx->label,
	       ep_state(rx, st, st1, sizeof st1), glen, sizeof msg - 1,
	       glen ? " (content differs or incomplete)" : "");
	if (rx == &s->server)
		s->server_status = TLSH_OK;
	else
		s->client_status = TLSH_OK;
	if (scen_check_established(s, &c, &v, TEST_HOST) || check_wire_clean(s))
		return;
	if (scen_transfer(s, C2S, 2048, 2048) || scen_transfer(s, S2C, 2048, 2048))
		return;
	scen_observe(s, "%zu bytes in %d records delivered at once to the %s; data read", held,
	             recs, rx->label);
}

/* ---- state before the handshake ----------------------------------------------------- */

static int check_empty(struct scen *s, struct endpoint *e, const char *when)
{
	uint16_t cs = ep_cipher(e);
	if (cs != 0)
		return scen_fail(s, "%s %s: cipher() is 0x%04x, expected 0", e->label, when, cs),
		       -1;
	const uint8_t *p;
	size_t len;
	if (ep_alpn(e, &p, &len))
		return scen_fail(s, "%s %s: negotiated_protocol reports a %zu-byte protocol",
		                 e->label, when, len),
		       -1;
	enum tlsh_version v = ep_version(e);
	if (v != TLSH_VERSION_NONE)
		return scen_fail(s, "%s %s: negotiated_tls_version is %s, expected none", e->label,
		                 when, vname(v)),
		       -1;
	if (scen_has_cap(s, e->role, TLSH_CAP_PEERCERT) && ep_peercert(e, &p, &len))
		return scen_fail(s, "%s %s: getpeercert returned a %zu-byte certificate", e->label,
		                 when, len),
		       -1;
	size_t in = ep_in_pending(e);
	if (in != 0)
		return scen_fail(s, "%s %s: incoming_bytes_buffered is %zu, nothing was delivered",
		                 e->label, when, in),
		       -1;
	if (e->role == TLSH_ROLE_SERVER) {
		size_t out = ep_out_pending(e);
		if (out != 0)
			return scen_fail(s, "server %s: outgoing_bytes_buffered is %zu, expected 0",
			                 when, out),
			       -1;
	}
	return 0;
}

static void run_state(struct scen *s)
{
	enum tlsh_role role = (enum tlsh_role)s->def->p[2];
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	scen_expect(s,
	            "on a fresh %s buffer every query is empty; read, write and do_handshake "
	            "return WANT_READ%s; afterwards a normal handshake completes",
	            role == TLSH_ROLE_CLIENT ? "client" : "server",
	            role == TLSH_ROLE_CLIENT ? " after producing the ClientHello"
	                                     : " and nothing is produced");
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	struct endpoint *e = role == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	if (check_empty(s, e, "fresh"))
		return;
	uint8_t buf[64];
	size_t n = 0;
	int st = ep_read(e, buf, sizeof buf, &n);
	EXPECT(s, st == TLSH_WANT_READ,
	       "%s read before the handshake returned %s, expected "
	       "WANT_READ",
	       e->label, status_name(st));
	if (role == TLSH_ROLE_CLIENT) {
		size_t out = ep_out_pending(e);
		EXPECT(s, out > 0,
		       "client read returned WANT_READ but outgoing_bytes_buffered is 0 (no "
		       "ClientHello produced)");
		size_t got = pump_hold(&s->pump, C2S);
		EXPECT(s, got == out, "outgoing_bytes_buffered said %zu, process_outgoing gave %zu",
		       out, got);
		EXPECT(s, scen_wire(s)->ch.present,
		       "the %zu bytes the client produced hold no ClientHello", got);
	} else if (check_empty(s, e, "after read")) {
		return;
	}
	st = ep_write(e, (const uint8_t *)"x", 1, &n);
	EXPECT(s, st == TLSH_WANT_READ && n == 0,
	       "%s write before the handshake returned %s consuming %zu byte(s), expected "
	       "WANT_READ consuming none",
	       e->label, status_name(st), n);
	st = ep_handshake(e);
	EXPECT(s, st == TLSH_WANT_READ, "%s do_handshake with no peer bytes returned %s", e->label,
	       status_name(st));
	if (check_empty(s, e, "after read/write/do_handshake"))
		return;
	/* The held ClientHello is delivered by the first flush. The write of
	 * "x" consumed nothing, so the transfers below must see only their own
	 * bytes. */
	if (establish(s, &c, &v, TEST_HOST))
		return;
	if (small_transfer(s))
		return;
	scen_observe(s, "all queries empty, WANT_READ everywhere; then a normal handshake");
}

/* ---- data transfer -------------------------------------------------------------------- */

/* Every record that crossed in direction d is within the record size limit
 * of the version (RFC 8446 section 5.2: 2^14 + 256; RFC 5246 section 6.2.3:
 * 2^14 + 2048). Only the transcript's first TRANSCRIPT_CAP bytes are seen. */
static int check_record_sizes(struct scen *s, enum dir d, enum tlsh_version v)
{
	const struct bytes *b = &s->pump.wire[d];
	size_t limit = v == TLSH_TLS_1_3 ? 16384 + 256 : 16384 + 2048, off = 0;
	while (off + 5 <= b->len) {
		size_t len = (size_t)b->data[off + 3] << 8 | b->data[off + 4];
		if (len > limit)
			return scen_fail(s, "%s record of %zu bytes at offset %zu exceeds %zu",
			                 d == C2S ? "client" : "server", len, off, limit),
			       -1;
		off += 5 + len;
	}
	return 0;
}

static void run_transfer(struct scen *s)
{
	enum tlsh_version ver = VER(s);
	size_t size = (size_t)s->def->p[2];
	enum dir d = (enum dir)s->def->p[3];
	struct cfgb c, v;
	cfg_std_client(&c, "rsa");
	cfg_std_server(&v, "rsa");
	bound(&c, ver);
	bound(&v, ver);
	scen_expect(s,
	            "%zu bytes written by the %s arrive intact and in order, nothing more; "
	            "records within the size limit",
	            size, d == C2S ? "client" : "server");
	if (open_establish(s, &c, &v, TEST_HOST))
		return;
	if (scen_transfer(s, d, size, size))
		return;
	struct endpoint *rx = d == C2S ? &s->server : &s->client;
	uint8_t buf[64];
	size_t n = 0;
	pump_flush(&s->pump, d);
	int st = ep_read(rx, buf, sizeof buf, &n);
	EXPECT(s, st == TLSH_WANT_READ, "%s read after the transfer returned %s%s (%zu bytes)",
	       rx->label, status_name(st), st == TLSH_OK ? ": extra data" : "", n);
	if (check_record_sizes(s, d, ver))
		return;
	scen_observe(s, "%zu bytes intact, TLS %s, %zu bytes on the wire", size, vname(ver),
	             s->pump.total[d]);
}

/* ---- registration ------------------------------------------------------------------- */

void family_handshake(void)
{
	const uint64_t rsa = TLSH_CAP_RSA;
	char params[96];

	add((struct scen_def){.spec = "RFC 8446 section 4; descriptor: do_handshake",
	                      .title = "default configuration completes a handshake",
	                      .need_client = rsa,
	                      .need_server = rsa,
	                      .run = run_default},
	    "rsa, default versions", "default");

	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		enum tlsh_version vv = versions[i];
		uint64_t caps = rsa | ver_cap(vv);
		fmt_into(params, sizeof params, "rsa, both sides %s only", vname(vv));
		add((struct scen_def){.spec = "RFC 8446 section 4.2.1; RFC 5246 section 7.4.1.3; "
		                              "descriptor: negotiated_tls_version()",
		                      .title = "both sides bounded to one version negotiate it",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_version,
		                      .p = {0, vv}},
		    params, "version/%s", ver_tag(vv));
		add((struct scen_def){.spec = "RFC 8446 section 4.1.3; RFC 5246 section 7.4.1.3; "
		                              "descriptor: cipher()",
		                      .title = "cipher reported identically on both sides as the "
		                               "ServerHello's IANA id",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_cipher_agree,
		                      .p = {0, vv}},
		    params, "cipher-agree/%s", ver_tag(vv));
	}

	/* getpeercert */
	for (intptr_t k = 0; k < 2; k++) {
		uint64_t caps = kt_cap(k);
		add((struct scen_def){.spec = "descriptor: getpeercert(); RFC 8446 section 4.4.2 "
		                              "(the sender's certificate comes first)",
		                      .title = "the client's getpeercert is the server leaf's DER",
		                      .need_client = caps | TLSH_CAP_PEERCERT,
		                      .need_server = caps,
		                      .run = run_peercert_server,
		                      .p = {k}},
		    kt_names[k], "peercert/server-leaf/%s", kt_names[k]);
	}
	add((struct scen_def){.spec = "descriptor: getpeercert(); RFC 8446 section 4.4.2.4",
	                      .title = "the server's getpeercert is the client leaf's DER under "
	                               "client authentication",
	                      .need_client = rsa | TLSH_CAP_CLIENT_AUTH,
	                      .need_server = rsa | TLSH_CAP_CLIENT_AUTH | TLSH_CAP_PEERCERT,
	                      .run = run_peercert_client,
	                      .p = {0}},
	    "rsa, client auth", "peercert/client-leaf/rsa");
	add((struct scen_def){.spec = "descriptor: getpeercert() returns 0 when there is none; "
	                              "RFC 5246 section 7.4.4",
	                      .title = "no peer certificate on the server without client "
	                               "authentication",
	                      .need_client = rsa | TLSH_CAP_TLS12,
	                      .need_server = rsa | TLSH_CAP_TLS12 | TLSH_CAP_PEERCERT,
	                      .run = run_peercert_none},
	    "rsa, client 1.2 only (wire visible)", "peercert/none-without-client-auth");

	/* trust: good chain and unknown CA, per key type and version */
	for (intptr_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
			enum tlsh_version vv = versions[i];
			uint64_t caps = kt_cap(k) | ver_cap(vv);
			fmt_into(params, sizeof params, "%s, %s", kt_names[k], vname(vv));
			add(
			        (struct scen_def){
			                .spec = "RFC 5280 section 6.1; RFC 8446 section 4.4.2 "
			                        "(intermediates follow the leaf)",
			                .title = "good chain: leaf + intermediate sent, root "
			                         "trusted",
			                .need_client = caps,
			                .need_server = caps,
			                .run = run_trust_good,
			                .p = {k, vv}},
			        params, "trust/good-chain/%s/%s", kt_names[k], ver_tag(vv));
			add(
			        (struct scen_def){
			                .spec = "RFC 8446 section 6.2 (unknown_ca); RFC 5280 "
			                        "section 6.1",
			                .title = "leaf from an untrusted CA is rejected by the "
			                         "client",
			                .need_client = caps,
			                .need_server = caps,
			                .run = run_trust_unknown_ca,
			                .p = {k, vv}},
			        params, "trust/unknown-ca/%s/%s", kt_names[k], ver_tag(vv));
		}
	}
	add((struct scen_def){.spec = "RFC 9525 section 6.3; RFC 6125 section 6.4",
	                      .title = "hostname mismatch is rejected by the client",
	                      .need_client = rsa,
	                      .need_server = rsa,
	                      .run = run_trust_hostname,
	                      .p = {0}},
	    "rsa, client to " WRONG_HOST, "trust/hostname-mismatch/rsa");
	for (intptr_t k = 0; k < 2; k++) {
		uint64_t caps = kt_cap(k);
		add((struct scen_def){.spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 "
		                              "(certificate_expired)",
		                      .title = "expired leaf is rejected with certificate_expired",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_trust_validity,
		                      .p = {k},
		                      .ptr = "expired"},
		    kt_names[k], "trust/expired/%s", kt_names[k]);
		add((struct scen_def){.spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 "
		                              "(certificate_expired: \"not currently valid\")",
		                      .title = "not-yet-valid leaf is rejected with "
		                               "certificate_expired",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_trust_validity,
		                      .p = {k},
		                      .ptr = "notyet"},
		    kt_names[k], "trust/not-yet-valid/%s", kt_names[k]);
	}
	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		enum tlsh_version vv = versions[i];
		uint64_t caps = rsa | ver_cap(vv);
		fmt_into(params, sizeof params, "rsa, %s, server sends the leaf only", vname(vv));
		add((struct scen_def){.spec = "RFC 5280 section 6.1; RFC 8446 section 6.2 "
		                              "(unknown_ca)",
		                      .title = "intermediate missing: the client cannot build a "
		                               "path and rejects",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_trust_int_missing,
		                      .p = {0, vv}},
		    params, "trust/intermediate-missing/rsa/%s", ver_tag(vv));
	}
	add((struct scen_def){.spec = "RFC 9525 section 6.3; RFC 6125 section 6.4.4",
	                      .title = "leaf without subjectAltName (CN only) is rejected",
	                      .need_client = rsa,
	                      .need_server = rsa,
	                      .run = run_trust_nosan,
	                      .p = {0}},
	    "rsa, nosan leaf, client to " TEST_HOST, "trust/nosan/rsa");
	add((struct scen_def){.spec = "descriptor: tlsh_source kind TLSH_SOURCE_PATH (trust "
	                              "store)",
	                      .title = "trust store given as a file path",
	                      .need_client = rsa | TLSH_CAP_SOURCE_PATH,
	                      .need_server = rsa,
	                      .run = run_trust_path,
	                      .p = {0}},
	    "rsa, client trust store by path", "trust/path/rsa");
	add((struct scen_def){.spec = "RFC 9525 section 6.4 (IP-ID); RFC 6066 section 3 (no IP "
	                              "literal in SNI)",
	                      .title = "IP literal verified against SAN IP, no SNI sent",
	                      .need_client = rsa,
	                      .need_server = rsa,
	                      .run = run_trust_ip,
	                      .p = {0}},
	    "rsa, ip leaf, client to " IP_HOST, "trust/ip-literal/rsa");
	add((struct scen_def){.spec = "RFC 9525 section 6.4 (IP-ID); RFC 6066 section 3",
	                      .title = "IP literal not in the certificate is rejected",
	                      .need_client = rsa,
	                      .need_server = rsa,
	                      .run = run_trust_ip_mismatch,
	                      .p = {0}},
	    "rsa, server leaf, client to " IP_HOST, "trust/ip-literal-mismatch/rsa");

	/* SNI */
	add((struct scen_def){.spec = "RFC 6066 section 3; descriptor: tlsh_config."
	                              "certificate_chains (chosen by SNI)",
	                      .title = "SNI selects the matching chain among several",
	                      .need_client = rsa,
	                      .need_server = rsa | TLSH_CAP_SNI_CHAINS,
	                      .run = run_sni_select,
	                      .p = {0}},
	    "rsa, chains [server, alt], client to " ALT_HOST, "sni/select/alt");
	add((struct scen_def){.spec = "descriptor: tlsh_config.certificate_chains (first chain "
	                              "when none matches); RFC 9525 section 6.3",
	                      .title = "SNI matching no chain: the client fails hostname "
	                               "verification",
	                      .need_client = rsa,
	                      .need_server = rsa | TLSH_CAP_SNI_CHAINS,
	                      .run = run_sni_nomatch,
	                      .p = {0}},
	    "rsa, chains [server, alt], client to " OTHER_HOST, "sni/no-match");
	add((struct scen_def){.spec = "descriptor: tlsh_config.certificate_chains (the first "
	                              "one when none matches)",
	                      .title = "SNI matching no chain: the server uses its first chain",
	                      .need_client = rsa | TLSH_CAP_INSECURE | TLSH_CAP_PEERCERT,
	                      .need_server = rsa | TLSH_CAP_SNI_CHAINS,
	                      .run = run_sni_nomatch_first,
	                      .p = {0}},
	    "rsa, chains [alt, server], client to " OTHER_HOST " without hostname check",
	    "sni/no-match-first-chain");

	/* client authentication */
	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		enum tlsh_version vv = versions[i];
		uint64_t caps = rsa | ver_cap(vv) | TLSH_CAP_CLIENT_AUTH;
		fmt_into(params, sizeof params, "rsa, %s", vname(vv));
		add((struct scen_def){.spec = vv == TLSH_TLS_1_3 ? "RFC 8446 sections 4.3.2 and "
		                                                   "4.4.2"
		                                                 : "RFC 5246 sections 7.4.4 and "
		                                                   "7.4.6",
		                      .title = "client certificate required and given",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_ca_given,
		                      .p = {0, vv}},
		    params, "client-auth/given/%s", ver_tag(vv));
		add(
		        (struct scen_def){
		                .spec = vv == TLSH_TLS_1_3
		                                ? "RFC 8446 section 4.4.2.4 "
		                                  "(certificate_required)"
		                                : "RFC 5246 section 7.4.6 (handshake_failure)",
		                .title = "client certificate required and missing: the "
		                         "server fails",
		                .need_client = caps,
		                .need_server = caps,
		                .run = run_ca_missing,
		                .p = {0, vv}},
		        params, "client-auth/missing/%s", ver_tag(vv));
		add((struct scen_def){.spec = "RFC 8446 section 6.2 (unknown_ca); RFC 5280 section "
		                              "6.1",
		                      .title = "client certificate from a CA the server does not "
		                               "trust: the server fails",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_ca_unknown,
		                      .p = {0, vv}},
		    params, "client-auth/unknown-ca/%s", ver_tag(vv));
	}

	/* cipher selection */
	for (intptr_t k = 0; k < 2; k++) {
		uint16_t id = k ? 0xC02B : 0xC02F;
		uint64_t caps = kt_cap(k) | TLSH_CAP_TLS12;
		fmt_into(params, sizeof params, "%s, client 1.2 only, ciphers {0x%04x}",
		         kt_names[k], id);
		add((struct scen_def){.spec = "RFC 5246 section 7.4.1.2; descriptor: "
		                              "tlsh_config.ciphers",
		                      .title = "client restricted to one TLS 1.2 suite offers and "
		                               "negotiates it",
		                      .need_client = caps | TLSH_CAP_CIPHERS_TLS12,
		                      .need_server = caps,
		                      .run = run_cipher_restrict,
		                      .p = {k, TLSH_TLS_1_2, id}},
		    params, "cipher/restrict-tls12/%s", kt_names[k]);
	}
	add((struct scen_def){.spec = "RFC 8446 section 4.1.2; descriptor: tlsh_config.ciphers",
	                      .title = "client restricted to one TLS 1.3 suite offers and "
	                               "negotiates it",
	                      .need_client = rsa | TLSH_CAP_TLS13 | TLSH_CAP_CIPHERS_TLS13,
	                      .need_server = rsa | TLSH_CAP_TLS13,
	                      .run = run_cipher_restrict,
	                      .p = {0, TLSH_TLS_1_3, 0x1302}},
	    "rsa, client 1.3 only, ciphers {0x1302}", "cipher/restrict-tls13/rsa");
	add((struct scen_def){.spec = "RFC 5246 section 7.4.1.3; RFC 8446 section 4.1.1",
	                      .title = "disjoint cipher lists: the server fails the handshake",
	                      .need_client = rsa | TLSH_CAP_TLS12 | TLSH_CAP_CIPHERS_TLS12,
	                      .need_server = rsa | TLSH_CAP_TLS12 | TLSH_CAP_CIPHERS_TLS12,
	                      .run = run_cipher_disjoint},
	    "rsa, 1.2 only, client {0xc02f}, server {0xc030}", "cipher/disjoint");
	add((struct scen_def){.spec = "descriptor: tlsh_config.ciphers (unknown ids are "
	                              "ignored), validate_config()",
	                      .title = "an unknown raw id is passed through and ignored",
	                      .need_client = rsa | TLSH_CAP_TLS12 | TLSH_CAP_CIPHERS_TLS12,
	                      .need_server = rsa | TLSH_CAP_TLS12,
	                      .run = run_cipher_unknown},
	    "rsa, client 1.2 only, ciphers {0xfefe, 0xc02f}", "cipher/unknown-id");

	/* insecure mode */
	add((struct scen_def){.spec = "descriptor: TLSH_INSECURE_NO_VERIFY",
	                      .title = "NO_VERIFY accepts a leaf from an unknown CA",
	                      .need_client = rsa | TLSH_CAP_INSECURE,
	                      .need_server = rsa,
	                      .run = run_insecure_noverify,
	                      .p = {0}},
	    "rsa, unknown-CA leaf", "insecure/no-verify");
	add((struct scen_def){.spec = "descriptor: TLSH_INSECURE_NO_HOSTNAME_CHECK",
	                      .title = "NO_HOSTNAME_CHECK accepts a hostname mismatch",
	                      .need_client = rsa | TLSH_CAP_INSECURE,
	                      .need_server = rsa,
	                      .run = run_insecure_nohost,
	                      .p = {0}},
	    "rsa, client to " WRONG_HOST, "insecure/no-hostname-check");
	add((struct scen_def){.spec = "descriptor: TLSH_INSECURE_NO_HOSTNAME_CHECK; RFC 8446 "
	                              "section 6.2 (unknown_ca)",
	                      .title = "NO_HOSTNAME_CHECK still rejects an unknown CA",
	                      .need_client = rsa | TLSH_CAP_INSECURE,
	                      .need_server = rsa,
	                      .run = run_insecure_nohost_unknown,
	                      .p = {0}},
	    "rsa, unknown-CA leaf", "insecure/no-hostname-check-unknown-ca");

	/* fragmentation */
	static const struct {
		enum delivery pol;
		const char *tag;
	} pols[] = {{DELIVER_ONE_BYTE, "one-byte"},
	            {DELIVER_RANDOM, "random-splits"},
	            {DELIVER_OUT_ONE_BYTE, "outgoing-one-byte"}};
	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		enum tlsh_version vv = versions[i];
		uint64_t caps = rsa | ver_cap(vv);
		for (size_t j = 0; j < ARRAY_LEN(pols); j++) {
			fmt_into(params, sizeof params, "rsa, %s, %s", vname(vv),
			         policy_name(pols[j].pol));
			add(
			        (struct scen_def){
			                .spec = "RFC 8446 section 5.1; RFC 5246 section 6.2.1; "
			                        "descriptor: process_incoming / "
			                        "process_outgoing",
			                .title = "handshake and data survive fragmented "
			                         "delivery",
			                .need_client = caps,
			                .need_server = caps,
			                .run = run_frag,
			                .p = {0, vv, pols[j].pol}},
			        params, "fragment/%s/%s", pols[j].tag, ver_tag(vv));
		}
		fmt_into(params, sizeof params, "rsa, %s, final flight + data in one call",
		         vname(vv));
		add((struct scen_def){.spec = "RFC 8446 section 5.1; RFC 5246 section 6.2.1; "
		                              "descriptor: process_incoming",
		                      .title = "final flight coalesced with the first application "
		                               "data",
		                      .need_client = caps,
		                      .need_server = caps,
		                      .run = run_coalesce,
		                      .p = {0, vv}},
		    params, "fragment/coalesced/%s", ver_tag(vv));
	}

	/* state before the handshake */
	static const enum tlsh_role roles[] = {TLSH_ROLE_CLIENT, TLSH_ROLE_SERVER};
	for (size_t i = 0; i < ARRAY_LEN(roles); i++) {
		const char *r = roles[i] == TLSH_ROLE_CLIENT ? "client" : "server";
		add((struct scen_def){.spec = "descriptor: cipher(), negotiated_protocol(), "
		                              "negotiated_tls_version(), getpeercert(), read(), "
		                              "write() before the handshake",
		                      .title = "fresh buffer: queries empty, read and write want "
		                               "read",
		                      .need_client = rsa,
		                      .need_server = rsa,
		                      .run = run_state,
		                      .p = {0, 0, roles[i]}},
		    r, "pre-handshake/%s", r);
	}

	/* data transfer */
	static const struct {
		size_t n;
		const char *tag;
	} sizes[] = {{1, "1B"}, {16384, "16KiB"}, {16385, "16KiB+1"}, {1024 * 1024, "1MiB"}};
	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		enum tlsh_version vv = versions[i];
		uint64_t caps = rsa | ver_cap(vv);
		for (size_t j = 0; j < ARRAY_LEN(sizes); j++) {
			for (int d = C2S; d <= S2C; d++) {
				const char *dn = d == C2S ? "c2s" : "s2c";
				fmt_into(params, sizeof params, "rsa, %s, %zu bytes %s", vname(vv),
				         sizes[j].n,
				         d == C2S ? "client->server" : "server->client");
				add(
				        (struct scen_def){
				                .spec = "RFC 8446 sections 5.1 and 5.2; RFC 5246 "
				                        "section 6.2; descriptor: read() / write()",
				                .title = "data transfer with integrity",
				                .need_client = caps,
				                .need_server = caps,
				                .run = run_transfer,
				                .p = {0, vv, (intptr_t)sizes[j].n, d}},
				        params, "transfer/%s/%s/%s", sizes[j].tag, dn, ver_tag(vv));
			}
		}
	}
}
