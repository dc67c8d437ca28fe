/* handshake family: the default handshake, each version, the cipher as an
 * IANA id, getpeercert, certificate trust (chain, issuer, hostname, validity,
 * SAN, IP literal, trust store as a path), SNI chain selection, client
 * authentication, cipher restriction, insecure mode, fragmentation and
 * coalescing, the state before the handshake, and data transfer with
 * integrity.
 *
 * One row per scenario (catalog.h). Every success row is checked through the
 * API and on the wire by the interpreter (interp.c); every failure row checks
 * which side failed first, what the peer then reports, the ClientHello on the
 * wire, and the alert where an RFC names one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "util.h"

#define WRONG_HOST "wrong.tlsh.test"
#define OTHER_HOST "other.tlsh.test"
#define IP_HOST "127.0.0.1"

/* TLS alert descriptions used below (RFC 8446 section 6). */
#define A_HANDSHAKE_FAILURE 40
#define A_CERTIFICATE_EXPIRED 45
#define A_UNKNOWN_CA 48
#define A_INSUFFICIENT_SECURITY 71
#define A_CERTIFICATE_REQUIRED 116

/* A cipher id no registry assigns (tlsh_config.ciphers: ignored). */
#define UNKNOWN_CIPHER 0xFEFE

#define C TLSH_ROLE_CLIENT
#define S TLSH_ROLE_SERVER
#define V12 TLSH_TLS_1_2
#define V13 TLSH_TLS_1_3

/* ---- checks a table cannot express ------------------------------------------- */

static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static int wire_offers(const struct wire *w, uint16_t id)
{
	for (size_t i = 0; i < w->ch.n_ciphers; i++)
		if (w->ch.ciphers[i] == id)
			return 1;
	return 0;
}

/* cipher() is the ServerHello's id (scen_check_established), the client
 * offered it, it belongs to the negotiated version, and it stays the same
 * after data crossed. */
static MUST_CHECK check_t check_cipher_agree(struct scen *s)
{
	const struct wire *w = scen_wire(s);
	uint16_t id = ep_cipher(&s->client);
	ENSURE(s, wire_offers(w, id),
	       "the negotiated cipher 0x%04x is not in the ClientHello's cipher_suites", id);
	enum tlsh_version want = s->def->ver;
	int is13 = (id >> 8) == 0x13;
	ENSURE(s, is13 == (want == TLSH_TLS_1_3),
	       "cipher 0x%04x is %s TLS 1.3 suite but TLS %s was negotiated", id,
	       is13 ? "a" : "not a", vname(want));
	ENSURE(s, id == w->sh.cipher && ep_cipher(&s->server) == id,
	       "cipher changed after data transfer: client 0x%04x, server 0x%04x (ServerHello "
	       "0x%04x)",
	       id, ep_cipher(&s->server), w->sh.cipher);
	scen_observe(s, "cipher 0x%04x on both sides and in the ServerHello", id);
	return CHECK_OK;
}

/* The PKI's DER copy of the server leaf equals its PEM, or the getpeercert
 * comparison would prove nothing. */
static MUST_CHECK check_t check_pki_der(struct scen *s)
{
	const char *kt = kt_name(s->def->kt);
	char derf[64], pemf[64];
	struct bytes pem = {0};
	pki_cert_der(s, fmt_into(pemf, sizeof pemf, "%s-server.pem", kt), &pem);
	const struct bytes *der = pki_file(fmt_into(derf, sizeof derf, "%s-server.der", kt));
	int same = der->len == pem.len && memcmp(der->data, pem.data, pem.len) == 0;
	bytes_free(&pem);
	if (!same)
		scen_abort(s, V_HARNESS_ERROR, "%s and %s differ: regenerate the test PKI", derf,
		           pemf);
	return CHECK_OK;
}

/* The server presented its second chain, the one the SNI names: the client
 * verified the name against it (only that chain matches), and getpeercert
 * shows its leaf where the client can tell. */
static MUST_CHECK check_t check_sni_second(struct scen *s)
{
	const char *stem = s->def->row->server.chain[1];
	if (scen_has_cap(s, TLSH_ROLE_CLIENT, TLSH_CAP_PEERCERT))
		GUARD(scen_check_peercert(s, &s->client, kt_name(s->def->kt), stem));
	scen_observe(s, "SNI %s selected the %s chain", scen_wire(s)->ch.sni, stem);
	return CHECK_OK;
}

/* The ClientHello's cipher_suites, ignoring the renegotiation SCSV and
 * GREASE, holds only ids the client configured and every configured id but
 * the unknown one. */
static MUST_CHECK check_t check_offer(struct scen *s)
{
	const struct wire *w = scen_wire(s);
	const struct tlsh_config *c = &s->ccfg.cfg;
	char list[400] = "";
	int bad = 0;
	for (size_t i = 0; i < w->ch.n_ciphers; i++) {
		uint16_t id = w->ch.ciphers[i];
		size_t l = strlen(list);
		fmt_into(list + l, sizeof list - l, "%s0x%04x", i ? " " : "", id);
		if (id == 0x00FF || is_grease(id))
			continue;
		int ok = 0;
		for (size_t k = 0; k < c->ciphers_len; k++)
			ok |= c->ciphers[k] == id;
		bad |= !ok;
	}
	for (size_t k = 0; k < c->ciphers_len; k++)
		bad |= c->ciphers[k] != UNKNOWN_CIPHER && !wire_offers(w, c->ciphers[k]);
	ENSURE(s, !bad, "the ClientHello offers {%s}; configured: {%s}", list,
	       c->ciphers_len == 1 ? "one id" : "0xfefe (unknown), 0xc02f");
	return CHECK_OK;
}

/* On the side whose ciphers the row restricts (the server when its list is
 * set, else the client): validate_config accepts the list, the negotiated
 * suite is a configured one; a restricted client offers exactly the
 * configured known ids. */
static MUST_CHECK check_t check_ciphers(struct scen *s)
{
	int server = s->def->row->server.ciphers[0] != 0;
	enum tlsh_role role = server ? TLSH_ROLE_SERVER : TLSH_ROLE_CLIENT;
	const struct tlsh_config *c = server ? &s->scfg.cfg : &s->ccfg.cfg;
	struct tlsh_error err;
	int st = ep_validate(server ? s->simpl : s->cimpl, role, c, &err);
	ENSURE(s, st == TLSH_OK, "%s validate_config: %s: %s (unknown ids must be ignored)",
	       server ? "server" : "client", status_name(st), err.message);
	uint16_t got = ep_cipher(&s->client);
	int allowed = 0;
	for (size_t k = 0; k < c->ciphers_len; k++)
		allowed |= c->ciphers[k] == got && got != UNKNOWN_CIPHER;
	char list[64] = "";
	for (size_t k = 0; k < c->ciphers_len; k++)
		if (c->ciphers[k] != UNKNOWN_CIPHER) {
			size_t l = strlen(list);
			fmt_into(list + l, sizeof list - l, "%s0x%04x", l ? ", " : "",
			         c->ciphers[k]);
		}
	ENSURE(s, allowed, "negotiated cipher 0x%04x, the %s allowed only {%s}", got,
	       server ? "server" : "client", list);
	if (!server)
		GUARD(check_offer(s));
	scen_observe(s, "cipher 0x%04x, %s", got,
	             server ? "the server's one allowed suite" : "offered as configured");
	return CHECK_OK;
}

/* ---- fragmentation: the final flight coalesced with data ----------------------- */

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

static MUST_CHECK check_t x_coalesce(struct scen *s)
{
	enum tlsh_version ver = s->def->ver;
	/* TLS 1.3: the client completes first (its Finished ends the handshake,
	 * RFC 8446 section 2). TLS 1.2 full handshake: the server's Finished
	 * comes last (RFC 5246 section 7.3), so the server completes first. */
	int want_first = ver == TLSH_TLS_1_3 ? TLSH_ROLE_CLIENT : TLSH_ROLE_SERVER;
	scen_expect(s,
	            "the %s's last flight and its first application data reach the peer in "
	            "ONE process_incoming call; the peer completes and reads the data from it",
	            want_first == TLSH_ROLE_CLIENT ? "client" : "server");
	GUARD(scen_open_row(s));
	struct endpoint *cl = &s->client, *sv = &s->server, *first = NULL;
	char st1[400], st2[400];
	for (int round = 0; round < 64 && !first; round++) {
		if (!cl->handshake_done)
			s->client_status = ep_handshake(cl);
		ENSURE(s, s->client_status != TLSH_TLS_ERROR, "handshake: %s",
		       scen_ep_state(cl, s->client_status, st1, sizeof st1));
		if (cl->handshake_done && !sv->handshake_done) {
			first = cl;
			break;
		}
		pump_flush(&s->pump, C2S);
		if (!sv->handshake_done)
			s->server_status = ep_handshake(sv);
		ENSURE(s, s->server_status != TLSH_TLS_ERROR, "handshake: %s",
		       scen_ep_state(sv, s->server_status, st1, sizeof st1));
		if (sv->handshake_done && !cl->handshake_done) {
			first = sv;
			break;
		}
		pump_flush(&s->pump, S2C);
	}
	ENSURE(s, first != NULL, "the handshake did not progress: %s; %s",
	       scen_ep_state(cl, s->client_status, st1, sizeof st1),
	       scen_ep_state(sv, s->server_status, st2, sizeof st2));
	ENSURE(s, first->role == (enum tlsh_role)want_first,
	       "the %s completed its handshake first; in TLS %s the %s's Finished is the last "
	       "handshake message",
	       first->label, vname(ver), want_first == TLSH_ROLE_CLIENT ? "client" : "server");
	struct endpoint *rx = scen_peer(s, first);
	enum dir d = scen_dir_from(s, first);
	static const char msg[] = "first application data, coalesced with the final flight";
	size_t n = 0;
	int st = ep_write(first, (const uint8_t *)msg, sizeof msg - 1, &n);
	ENSURE(s, st == TLSH_OK && n == sizeof msg - 1,
	       "%s write right after its handshake completed: %s, %zu of %zu bytes", first->label,
	       status_name(st), n, sizeof msg - 1);
	pump_hold(&s->pump, d);
	int recs = count_records(&s->pump.held[d]);
	ENSURE(s, recs >= 2,
	       "after the %s's write, process_outgoing gave %zu bytes in %d whole record(s); "
	       "expected its Finished and an application data record",
	       first->label, s->pump.held[d].len, recs);
	size_t held = s->pump.held[d].len;
	st = pump_release(&s->pump, d);
	ENSURE(s, st == TLSH_OK, "%s process_incoming of the coalesced %zu bytes: %s", rx->label,
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
	ENSURE(s, same, "%s read after the coalesced delivery: %s, %zu of %zu bytes%s", rx->label,
	       scen_ep_state(rx, st, st1, sizeof st1), glen, sizeof msg - 1,
	       glen ? " (content differs or incomplete)" : "");
	if (rx == &s->server)
		s->server_status = TLSH_OK;
	else
		s->client_status = TLSH_OK;
	GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
	GUARD(scen_check_wire_clean(s));
	GUARD(scen_transfer(s, C2S, 2048, 2048));
	GUARD(scen_transfer(s, S2C, 2048, 2048));
	scen_observe(s, "%zu bytes in %d records delivered at once to the %s; data read", held,
	             recs, rx->label);
	return CHECK_OK;
}

/* ---- state before the handshake ----------------------------------------------- */

static MUST_CHECK check_t check_empty(struct scen *s, struct endpoint *e, const char *when)
{
	uint16_t cs = ep_cipher(e);
	ENSURE(s, cs == 0, "%s %s: cipher() is 0x%04x, expected 0", e->label, when, cs);
	const uint8_t *p;
	size_t len;
	ENSURE(s, !ep_alpn(e, &p, &len), "%s %s: negotiated_protocol reports a %zu-byte protocol",
	       e->label, when, len);
	enum tlsh_version v = ep_version(e);
	ENSURE(s, v == TLSH_VERSION_NONE, "%s %s: negotiated_tls_version is %s, expected none",
	       e->label, when, vname(v));
	if (scen_has_cap(s, e->role, TLSH_CAP_PEERCERT))
		ENSURE(s, !ep_peercert(e, &p, &len),
		       "%s %s: getpeercert returned a %zu-byte "
		       "certificate",
		       e->label, when, len);
	size_t in = ep_in_pending(e);
	ENSURE(s, in == 0, "%s %s: incoming_bytes_buffered is %zu, nothing was delivered", e->label,
	       when, in);
	if (e->role == TLSH_ROLE_SERVER) {
		size_t out = ep_out_pending(e);
		ENSURE(s, out == 0, "server %s: outgoing_bytes_buffered is %zu, expected 0", when,
		       out);
	}
	return CHECK_OK;
}

static MUST_CHECK check_t x_state(struct scen *s)
{
	enum tlsh_role role = s->def->role;
	scen_expect(s,
	            "on a fresh %s buffer every query is empty; read, write and do_handshake "
	            "return WANT_READ%s; afterwards a normal handshake completes",
	            role == TLSH_ROLE_CLIENT ? "client" : "server",
	            role == TLSH_ROLE_CLIENT ? " after producing the ClientHello"
	                                     : " and nothing is produced");
	GUARD(scen_open_row(s));
	struct endpoint *e = scen_ep(s, role);
	GUARD(check_empty(s, e, "fresh"));
	uint8_t buf[64];
	size_t n = 0;
	int st = ep_read(e, buf, sizeof buf, &n);
	ENSURE(s, st == TLSH_WANT_READ,
	       "%s read before the handshake returned %s, expected WANT_READ", e->label,
	       status_name(st));
	if (role == TLSH_ROLE_CLIENT) {
		size_t out = ep_out_pending(e);
		ENSURE(s, out > 0,
		       "client read returned WANT_READ but outgoing_bytes_buffered is 0 (no "
		       "ClientHello produced)");
		size_t got = pump_hold(&s->pump, C2S);
		ENSURE(s, got == out, "outgoing_bytes_buffered said %zu, process_outgoing gave %zu",
		       out, got);
		ENSURE(s, scen_wire(s)->ch.present,
		       "the %zu bytes the client produced hold no ClientHello", got);
	} else {
		GUARD(check_empty(s, e, "after read"));
	}
	st = ep_write(e, (const uint8_t *)"x", 1, &n);
	ENSURE(s, st == TLSH_WANT_READ && n == 0,
	       "%s write before the handshake returned %s consuming %zu byte(s), expected "
	       "WANT_READ consuming none",
	       e->label, status_name(st), n);
	st = ep_handshake(e);
	ENSURE(s, st == TLSH_WANT_READ, "%s do_handshake with no peer bytes returned %s", e->label,
	       status_name(st));
	GUARD(check_empty(s, e, "after read/write/do_handshake"));
	/* The held ClientHello is delivered by the first flush. The write of
	 * "x" consumed nothing, so the transfers below must see only their own
	 * bytes. */
	GUARD(scen_establish(s, &s->ccfg, &s->scfg, s->host));
	GUARD(scen_small_transfer(s));
	scen_observe(s, "all queries empty, WANT_READ everywhere; then a normal handshake");
	return CHECK_OK;
}

/* ---- axes of this family ------------------------------------------------------- */

static const struct axval policy_vals[] = {
        {.tag = "one-byte", .v = DELIVER_ONE_BYTE, .text = "one byte per process_incoming"},
        {.tag = "random-splits", .v = DELIVER_RANDOM, .text = "seeded random splits"},
        {.tag = "outgoing-one-byte",
         .v = DELIVER_OUT_ONE_BYTE,
         .text = "one byte per process_outgoing"},
};
static const struct axis ax_policy = AXIS("policy", DIM_POLICY, policy_vals);

static const struct axval size_vals[] = {
        {.tag = "1B", .v = 1},
        {.tag = "16KiB", .v = 16384},
        {.tag = "16KiB+1", .v = 16385},
        {.tag = "1MiB", .v = 1024 * 1024},
};
static const struct axis ax_size = AXIS("size", DIM_SIZE, size_vals);

/* Capacities of read / process_outgoing below what is pending. */
static const struct axval cap_vals[] = {
        {.tag = "cap1", .v = 1, .text = "1 byte"},
        {.tag = "cap5", .v = 5, .text = "5 bytes"},
        {.tag = "cap16", .v = 16, .text = "16 bytes"},
        {.tag = "pending-less-one", .v = CAP_LESS_ONE, .text = "one byte less than pending"},
};
static const struct axis ax_rcap = AXIS("cap", DIM_RCAP, cap_vals);
static const struct axis ax_ocap = AXIS("cap", DIM_OCAP, cap_vals);

static const struct axval count_policy_vals[] = {
        {.tag = "whole", .v = DELIVER_WHOLE, .text = "whole flights"},
        {.tag = "random-splits", .v = DELIVER_RANDOM, .text = "seeded random splits"},
};
static const struct axis ax_cpolicy = AXIS("policy", DIM_POLICY, count_policy_vals);

/* ---- the rows ---------------------------------------------------------------------- */

#define SPEC_FRAG "RFC 8446 section 5.1; RFC 5246 section 6.2.1; descriptor: "
#define SPEC_DNS_ID "RFC 9525 section 6.3"
#define SPEC_CASE "RFC 9525 section 6.3; RFC 4343 (DNS names compare case-insensitively)"
#define SPEC_WILD                                                                                  \
	"RFC 9525 section 6.3 (a wildcard is the complete left-most label and matches exactly "    \
	"one label)"
#define SPEC_IP "RFC 9525 section 6.4 (IP-ID: octets of an iPAddress SAN); RFC 6066 section 3"
#define SPEC_NULL_HOST                                                                             \
	"descriptor: buffer_new (NULL server_hostname: PEP 748 create_buffer takes a name; only "  \
	"the insecure flags let a client go without one)"
#define SPEC_EKU "RFC 5280 section 4.2.1.12 (extendedKeyUsage); RFC 5246 7.4.2, RFC 8446 4.4.2.2"
#define SPEC_CONTEXTS                                                                              \
	"descriptor: context_new, buffer_new (a context makes any number of independent "          \
	"buffers, also concurrently), buffer_free, context_free (after all its buffers)"
#define WILD_HOST "a1-b.wild.tlsh.test"

static const struct row rows[] = {
        {.id = "handshake/default",
         .spec = "RFC 8446 section 4; descriptor: do_handshake",
         .title = "default configuration completes a handshake",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/version/{ver}",
         .spec = "RFC 8446 section 4.2.1; RFC 5246 section 7.4.1.3; descriptor: "
                 "negotiated_tls_version()",
         .title = "both sides bounded to one version negotiate it",
         .axes = {&ax_ver},
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/cipher-agree/{ver}",
         .spec = "RFC 8446 section 4.1.3; RFC 5246 section 7.4.1.3; descriptor: cipher()",
         .title = "cipher reported identically on both sides as the ServerHello's IANA id",
         .axes = {&ax_ver},
         .outcome = OUT_ESTABLISHED,
         .check = check_cipher_agree},

        /* getpeercert */
        {.id = "handshake/peercert/server-leaf/{kt}",
         .spec = "descriptor: getpeercert(); RFC 8446 section 4.4.2 (the sender's certificate "
                 "comes first)",
         .title = "the client's getpeercert is the server leaf's DER",
         .axes = {&ax_kt},
         .outcome = OUT_ESTABLISHED,
         .after = {.peercert_on = C, .peercert_stem = "server"},
         .check = check_pki_der},
        {.id = "handshake/peercert/client-leaf/{kt}",
         .spec = "descriptor: getpeercert(); RFC 8446 section 4.4.2.4",
         .title = "the server's getpeercert is the client leaf's DER under client "
                  "authentication",
         .axes = {&ax_kt},
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         .outcome = OUT_ESTABLISHED,
         .after = {.peercert_on = S, .peercert_stem = "client"}},
        {.id = "handshake/peercert/none-without-client-auth",
         .spec = "descriptor: getpeercert() returns 0 when there is none; RFC 5246 section "
                 "7.4.4",
         .title = "no peer certificate on the server without client authentication",
         .client = {.lo = V12, .hi = V12},
         .outcome = OUT_ESTABLISHED,
         .after = {.peercert_on = S, .cert_request = -1, .client_certs = -2}},

        /* trust */
        {.id = "handshake/trust/good-chain/{kt}/{ver}",
         .spec = "RFC 5280 section 6.1; RFC 8446 section 4.4.2 (intermediates follow the leaf)",
         .title = "good chain: leaf + intermediate sent, root trusted",
         .axes = {&ax_kt, &ax_ver},
         .outcome = OUT_ESTABLISHED,
         .after = {.server_certs = 2}},
        {.id = "handshake/trust/unknown-ca/{kt}/{ver}",
         .spec = "RFC 8446 section 6.2 (unknown_ca); RFC 5280 section 6.1",
         .title = "leaf from an untrusted CA is rejected by the client",
         .axes = {&ax_kt, &ax_ver},
         .server = {.chain = {"unknown"}},
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_UNKNOWN_CA}},
        {.id = "handshake/trust/hostname-mismatch/rsa",
         .spec = "RFC 9525 section 6.3; RFC 6125 section 6.4",
         .title = "hostname mismatch is rejected by the client",
         .host = WRONG_HOST,
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/trust/expired/{kt}",
         .spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 (certificate_expired)",
         .title = "expired leaf is rejected with certificate_expired",
         .axes = {&ax_kt},
         .server = {.chain = {"expired"}},
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_CERTIFICATE_EXPIRED}},
        {.id = "handshake/trust/not-yet-valid/{kt}",
         .spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 (certificate_expired: \"not "
                 "currently valid\")",
         .title = "not-yet-valid leaf is rejected with certificate_expired",
         .axes = {&ax_kt},
         .server = {.chain = {"notyet"}},
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_CERTIFICATE_EXPIRED}},
        {.id = "handshake/trust/intermediate-missing/rsa/{ver}",
         .spec = "RFC 5280 section 6.1; RFC 8446 section 6.2 (unknown_ca)",
         .title = "intermediate missing: the client cannot build a path and rejects",
         .axes = {&ax_ver},
         .server = {.flags = SIDE_NO_INTERMEDIATE},
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_UNKNOWN_CA},
         .after = {.server_certs = 1}},
        {.id = "handshake/trust/nosan/rsa",
         .spec = "RFC 9525 section 6.3; RFC 6125 section 6.4.4",
         .title = "leaf without subjectAltName (CN only) is rejected",
         .server = {.chain = {"nosan"}},
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/trust/path/rsa",
         .spec = "descriptor: tlsh_source kind TLSH_SOURCE_PATH (trust store)",
         .title = "trust store given as a file path",
         .client = {.flags = SIDE_TRUST_PATH},
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/trust/ip-literal/rsa",
         .spec = "RFC 9525 section 6.4 (IP-ID); RFC 6066 section 3 (no IP literal in SNI)",
         .title = "IP literal verified against SAN IP, no SNI sent",
         .server = {.chain = {"ip"}},
         .host = IP_HOST,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/trust/ip-literal-mismatch/rsa",
         .spec = "RFC 9525 section 6.4 (IP-ID); RFC 6066 section 3",
         .title = "IP literal not in the certificate is rejected",
         .host = IP_HOST,
         .outcome = OUT_CLIENT_REJECTS},

        /* identity: names (RFC 9525 6.3, RFC 4343), wildcards, addresses
         * (6.4), the trailing dot (RFC 6066 3), key usage */
        {.id = "handshake/identity/case-host/{kt}/{ver}",
         .spec = SPEC_CASE "; RFC 6066 section 3 (SNI carries the name)",
         .title = "a hostname differing from the SAN only in case matches; SNI carries it as "
                  "given",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .host = "Server.TLSH.Test",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/case-san/{kt}/{ver}",
         .spec = SPEC_CASE,
         .title = "a lower-case hostname matches a mixed-case SAN with digits and hyphens",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"mixed"}},
         .host = "web-01.mixed9.tlsh.test",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/digits-hyphens/{kt}/{ver}",
         .spec = SPEC_DNS_ID,
         .title = "a name with digits and hyphens matches its SAN",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"mixed"}},
         .host = "Web-01.Mixed9.tlsh.test",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/wildcard/{kt}/{ver}",
         .spec = SPEC_WILD,
         .title = "*.wild.tlsh.test matches one left-most label",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"wild"}},
         .host = WILD_HOST,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/wildcard-parent/{kt}/{ver}",
         .spec = SPEC_WILD,
         .title = "*.wild.tlsh.test does not match the parent domain wild.tlsh.test",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"wild"}},
         .host = "wild.tlsh.test",
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/wildcard-two-labels/{kt}/{ver}",
         .spec = SPEC_WILD,
         .title = "*.wild.tlsh.test does not match two labels (a.b.wild.tlsh.test)",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"wild"}},
         .host = "a.b.wild.tlsh.test",
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/wildcard-partial/{kt}/{ver}",
         .spec = SPEC_WILD,
         .title = "a partial-label wildcard (w*.tlsh.test) matches nothing",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"partial"}},
         .host = "www.tlsh.test",
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/ipv4/{kt}/{ver}",
         .spec = SPEC_IP,
         .title = "an IPv4 literal matches the iPAddress SAN; no SNI is sent",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"ip"}},
         .host = IP_HOST,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/ipv6/{kt}/{ver}",
         .spec = SPEC_IP,
         .title = "an IPv6 literal (::1) matches the iPAddress SAN; no SNI is sent",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"ip6"}},
         .host = "::1",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/ipv6-mismatch/{kt}/{ver}",
         .spec = SPEC_IP,
         .title = "an IPv6 literal not in the certificate (only 127.0.0.1) is rejected",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"ip"}},
         .host = "::1",
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/ipv4-dns-san/{kt}/{ver}",
         .spec = SPEC_IP,
         .title = "an IPv4 literal does not match a dNSName of the same text",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"dnsip"}},
         .host = IP_HOST,
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/ipv6-dns-san/{kt}/{ver}",
         .spec = SPEC_IP,
         .title = "an IPv6 literal does not match a dNSName of the same text",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"dnsip"}},
         .host = "::1",
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/trailing-dot/{kt}/{ver}",
         .spec = "RFC 6066 section 3 (the SNI host_name has no trailing dot); RFC 9525 "
                 "section 6.3",
         .title = "the absolute name server.tlsh.test. matches; SNI carries it without the dot",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .host = TEST_HOST ".",
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/eku-no-serverauth/{kt}/{ver}",
         .spec = SPEC_EKU,
         .title = "a server leaf whose extendedKeyUsage lacks serverAuth is rejected",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .server = {.chain = {"noserverauth"}},
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/identity/null-host/refused",
         .spec = SPEC_NULL_HOST,
         .title = "a NULL server_hostname without an insecure flag is a CONFIGURATION_ERROR "
                  "from buffer_new",
         .solo = 1,
         .role = C,
         .host = HOST_NONE,
         .outcome = OUT_BUFFER_REFUSED},
        {.id = "handshake/identity/null-host/no-hostname-check/{kt}/{ver}",
         .spec = SPEC_NULL_HOST "; TLSH_INSECURE_NO_HOSTNAME_CHECK",
         .title = "NULL server_hostname with NO_HOSTNAME_CHECK: no SNI, the chain is verified",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .host = HOST_NONE,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/identity/null-host/unknown-ca/{kt}/{ver}",
         .spec = SPEC_NULL_HOST "; RFC 8446 section 6.2 (unknown_ca)",
         .title = "NULL server_hostname with NO_HOSTNAME_CHECK still rejects an unknown CA",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .server = {.chain = {"unknown"}},
         .host = HOST_NONE,
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_UNKNOWN_CA}},
        {.id = "handshake/identity/null-host/expired/{kt}/{ver}",
         .spec = SPEC_NULL_HOST "; RFC 8446 section 6.2 (certificate_expired)",
         .title = "NULL server_hostname with NO_HOSTNAME_CHECK still rejects an expired leaf",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .server = {.chain = {"expired"}},
         .host = HOST_NONE,
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_CERTIFICATE_EXPIRED}},
        {.id = "handshake/identity/null-host/no-verify/{kt}/{ver}",
         .spec = SPEC_NULL_HOST "; TLSH_INSECURE_NO_VERIFY",
         .title = "NULL server_hostname with NO_VERIFY: no SNI, an unknown CA is accepted",
         .axes = {&ax_kt, &ax_ver},
         .role = C, /* the client matches names */
         .one_side = 1,
         .client = {.insecure = TLSH_INSECURE_NO_VERIFY},
         .server = {.chain = {"unknown"}},
         .host = HOST_NONE,
         .outcome = OUT_ESTABLISHED},

        /* SNI */
        {.id = "handshake/sni/select/alt",
         .spec = "RFC 6066 section 3; descriptor: tlsh_config.certificate_chains (chosen by "
                 "SNI)",
         .title = "SNI selects the matching chain among several",
         .server = {.chain = {"server", "alt"}},
         .host = ALT_HOST,
         .outcome = OUT_ESTABLISHED,
         .check = check_sni_second},
        {.id = "handshake/sni/no-match",
         .spec = "descriptor: tlsh_config.certificate_chains (first chain when none matches); "
                 "RFC 9525 section 6.3",
         .title = "SNI matching no chain: the client fails hostname verification",
         .server = {.chain = {"server", "alt"}},
         .host = OTHER_HOST,
         .outcome = OUT_CLIENT_REJECTS},
        {.id = "handshake/sni/no-match-first-chain",
         .spec = "descriptor: tlsh_config.certificate_chains (the first one when none "
                 "matches)",
         .title = "SNI matching no chain: the server uses its first chain",
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .server = {.chain = {"alt", "server"}},
         .host = OTHER_HOST,
         .outcome = OUT_ESTABLISHED,
         .after = {.peercert_on = C, .peercert_stem = "alt"}},

        {.id = "handshake/sni/select-case",
         .spec = "RFC 6066 section 3; RFC 4343 (the server matches the name "
                 "case-insensitively); descriptor: tlsh_config.certificate_chains",
         .title = "SNI in another case selects the matching chain",
         .server = {.chain = {"server", "alt"}},
         .host = "ALT.Tlsh.Test",
         .outcome = OUT_ESTABLISHED,
         .check = check_sni_second},
        {.id = "handshake/sni/select-trailing-dot",
         .spec = "RFC 6066 section 3 (no trailing dot in SNI); descriptor: "
                 "tlsh_config.certificate_chains",
         .title = "an absolute name (trailing dot) selects the matching chain",
         .server = {.chain = {"server", "alt"}},
         .host = ALT_HOST ".",
         .outcome = OUT_ESTABLISHED,
         .check = check_sni_second},
        {.id = "handshake/sni/select-wildcard",
         .spec = "RFC 6066 section 3; RFC 9525 section 6.3; descriptor: "
                 "tlsh_config.certificate_chains (the chain whose leaf names the SNI)",
         .title = "SNI selects the chain whose wildcard leaf names it",
         .server = {.chain = {"server", "wild"}},
         .host = WILD_HOST,
         .outcome = OUT_ESTABLISHED,
         .check = check_sni_second},

        /* client authentication */
        {.id = "handshake/client-auth/given/tls12",
         .spec = "RFC 5246 sections 7.4.4 and 7.4.6",
         .title = "client certificate required and given",
         .ver = V12,
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         .outcome = OUT_ESTABLISHED,
         .after = {.cert_request = 1, .client_certs = 2}},
        {.id = "handshake/client-auth/given/tls13",
         .spec = "RFC 8446 sections 4.3.2 and 4.4.2",
         .title = "client certificate required and given",
         .ver = V13,
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/client-auth/missing/tls12",
         .spec = "RFC 5246 section 7.4.6 (handshake_failure)",
         .title = "client certificate required and missing: the server fails",
         .ver = V12,
         .server = {.trust = "ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_HANDSHAKE_FAILURE},
         .after = {.cert_request = 1, .client_certs = -3}},
        {.id = "handshake/client-auth/missing/tls13",
         .spec = "RFC 8446 section 4.4.2.4 (certificate_required)",
         .title = "client certificate required and missing: the server fails",
         .ver = V13,
         .server = {.trust = "ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_CERTIFICATE_REQUIRED}},
        {.id = "handshake/client-auth/unknown-ca/{ver}",
         .spec = "RFC 8446 section 6.2 (unknown_ca); RFC 5280 section 6.1",
         .title = "client certificate from a CA the server does not trust: the server fails",
         .axes = {&ax_ver},
         .client = {.chain = {"client"}},
         .server = {.trust = "unknown-ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_UNKNOWN_CA},
         .after = {.client_certs = 2}},

        {.id = "handshake/client-auth/expired/{kt}/{ver}",
         .spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 (certificate_expired)",
         .title = "an expired client certificate is rejected by the server",
         .axes = {&ax_kt, &ax_ver},
         .client = {.chain = {"client-expired"}},
         .server = {.trust = "ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_CERTIFICATE_EXPIRED}},
        {.id = "handshake/client-auth/not-yet-valid/{kt}/{ver}",
         .spec = "RFC 5280 section 4.1.2.5; RFC 8446 section 6.2 (certificate_expired: \"not "
                 "currently valid\")",
         .title = "a not-yet-valid client certificate is rejected by the server",
         .axes = {&ax_kt, &ax_ver},
         .client = {.chain = {"client-notyet"}},
         .server = {.trust = "ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_CERTIFICATE_EXPIRED}},
        {.id = "handshake/client-auth/eku-no-clientauth/{kt}/{ver}",
         .spec = SPEC_EKU,
         .title = "a client leaf whose extendedKeyUsage lacks clientAuth is rejected by the "
                  "server",
         .axes = {&ax_kt, &ax_ver},
         .client = {.chain = {"client-noclientauth"}},
         .server = {.trust = "ca"},
         .outcome = OUT_SERVER_REJECTS},
        /* The server's own chain is the unknown root's leaf (the client
         * takes it with NO_VERIFY), so the server knows the intermediate
         * from nowhere: a library that builds paths from every certificate
         * it holds (NSS) would otherwise find it in its own chain. */
        {.id = "handshake/client-auth/intermediate-missing/{ver}",
         .spec = "RFC 5280 section 6.1; RFC 8446 section 6.2 (unknown_ca)",
         .title = "a client chain without its intermediate: the server cannot build a path",
         .axes = {&ax_ver},
         .client = {.chain = {"client"},
                    .flags = SIDE_NO_INTERMEDIATE,
                    .insecure = TLSH_INSECURE_NO_VERIFY},
         .server = {.chain = {"unknown"}, .trust = "ca"},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_UNKNOWN_CA},
         .after = {.client_certs = 1}},
        {.id = "handshake/client-auth/trust-path/{ver}",
         .spec = "descriptor: tlsh_source kind TLSH_SOURCE_PATH (a server's trust store)",
         .title = "the server's trust store given as a file path verifies the client",
         .axes = {&ax_ver},
         .client = {.chain = {"client"}},
         .server = {.trust = "ca", .flags = SIDE_TRUST_PATH},
         .outcome = OUT_ESTABLISHED,
         .after = {.peercert_on = S, .peercert_stem = "client"}},

        /* cipher selection */
        {.id = "handshake/cipher/restrict-tls12/rsa",
         .spec = "RFC 5246 section 7.4.1.2; descriptor: tlsh_config.ciphers",
         .title = "client restricted to one TLS 1.2 suite offers and negotiates it",
         .client = {.lo = V12, .hi = V12, .ciphers = {0xC02F}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/restrict-tls12/ecdsa",
         .spec = "RFC 5246 section 7.4.1.2; descriptor: tlsh_config.ciphers",
         .title = "client restricted to one TLS 1.2 suite offers and negotiates it",
         .kt = KT_ECDSA,
         .client = {.lo = V12, .hi = V12, .ciphers = {0xC02B}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/restrict-tls13/rsa",
         .spec = "RFC 8446 section 4.1.2; descriptor: tlsh_config.ciphers",
         .title = "client restricted to one TLS 1.3 suite offers and negotiates it",
         .client = {.lo = V13, .hi = V13, .ciphers = {0x1302}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/disjoint",
         .spec = "RFC 5246 section 7.4.1.3; RFC 8446 section 4.1.1",
         .title = "disjoint cipher lists: the server fails the handshake",
         .ver = V12,
         .client = {.ciphers = {0xC02F}},
         .server = {.ciphers = {0xC030}},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {A_HANDSHAKE_FAILURE, A_INSUFFICIENT_SECURITY},
         .check = check_offer},
        {.id = "handshake/cipher/unknown-id",
         .spec = "descriptor: tlsh_config.ciphers (unknown ids are ignored), "
                 "validate_config()",
         .title = "an unknown raw id is passed through and ignored",
         .client = {.lo = V12, .hi = V12, .ciphers = {UNKNOWN_CIPHER, 0xC02F}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},

        {.id = "handshake/cipher/restrict-tls12-server/rsa",
         .spec = "RFC 5246 section 7.4.1.3; descriptor: tlsh_config.ciphers (server)",
         .title = "a server restricted to one TLS 1.2 suite negotiates it",
         .ver = V12,
         .server = {.ciphers = {0xC02F}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/restrict-tls12-server/ecdsa",
         .spec = "RFC 5246 section 7.4.1.3; descriptor: tlsh_config.ciphers (server)",
         .title = "a server restricted to one TLS 1.2 suite negotiates it",
         .kt = KT_ECDSA,
         .ver = V12,
         .server = {.ciphers = {0xC02B}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/restrict-tls13-server/rsa",
         .spec = "RFC 8446 section 4.1.3; descriptor: tlsh_config.ciphers (server)",
         .title = "a server restricted to one TLS 1.3 suite negotiates it",
         .ver = V13,
         .server = {.ciphers = {0x1301}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},
        {.id = "handshake/cipher/unknown-id-server",
         .spec = "descriptor: tlsh_config.ciphers (unknown ids are ignored), "
                 "validate_config() (server)",
         .title = "an unknown raw id in a server's list is ignored",
         .ver = V12,
         .server = {.ciphers = {UNKNOWN_CIPHER, 0xC02F}},
         .outcome = OUT_ESTABLISHED,
         .check = check_ciphers},

        /* insecure mode */
        {.id = "handshake/insecure/no-verify",
         .spec = "descriptor: TLSH_INSECURE_NO_VERIFY",
         .title = "NO_VERIFY accepts a leaf from an unknown CA",
         .client = {.insecure = TLSH_INSECURE_NO_VERIFY},
         .server = {.chain = {"unknown"}},
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/insecure/no-hostname-check",
         .spec = "descriptor: TLSH_INSECURE_NO_HOSTNAME_CHECK",
         .title = "NO_HOSTNAME_CHECK accepts a hostname mismatch",
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .host = WRONG_HOST,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/insecure/no-hostname-check-unknown-ca",
         .spec = "descriptor: TLSH_INSECURE_NO_HOSTNAME_CHECK; RFC 8446 section 6.2 "
                 "(unknown_ca)",
         .title = "NO_HOSTNAME_CHECK still rejects an unknown CA",
         .client = {.insecure = TLSH_INSECURE_NO_HOSTNAME_CHECK},
         .server = {.chain = {"unknown"}},
         .outcome = OUT_CLIENT_REJECTS,
         .alerts = {A_UNKNOWN_CA}},

        /* fragmentation */
        {.id = "handshake/fragment/{policy}/{ver}",
         .spec = SPEC_FRAG "process_incoming / process_outgoing",
         .title = "handshake and data survive fragmented delivery",
         .axes = {&ax_policy, &ax_ver},
         .outcome = OUT_ESTABLISHED,
         .after = {.size = 4096, .dir = DIR_BOTH}},
        {.id = "handshake/fragment/coalesced/{ver}",
         .spec = SPEC_FRAG "process_incoming",
         .title = "final flight coalesced with the first application data",
         .axes = {&ax_ver},
         .extra = x_coalesce},

        /* state before the handshake */
        {.id = "handshake/pre-handshake/{role}",
         .spec = "descriptor: cipher(), negotiated_protocol(), negotiated_tls_version(), "
                 "getpeercert(), read(), write() before the handshake",
         .title = "fresh buffer: queries empty, read and write want read",
         .axes = {&ax_role},
         .extra = x_state},

        /* buffer bounds: capacities below what is pending, in both roles */
        {.id = "handshake/bounds/read/{cap}/{role}/{ver}",
         .spec = "descriptor: read (at most cap bytes into dst; a record larger than cap is "
                 "returned over several reads)",
         .title = "reads smaller than the pending plaintext: nothing past cap, nothing lost",
         .axes = {&ax_rcap, &ax_role, &ax_ver},
         .one_side = 1,
         .outcome = OUT_ESTABLISHED},
        {.id = "handshake/bounds/outgoing/{cap}/{role}/{ver}",
         .spec = "descriptor: process_outgoing (at most cap bytes into dst; the rest stays "
                 "pending)",
         .title = "process_outgoing smaller than what is pending, for the handshake and the "
                  "data: nothing past cap, nothing lost",
         .axes = {&ax_ocap, &ax_role, &ax_ver},
         .one_side = 1,
         .outcome = OUT_ESTABLISHED},

        /* byte counts with real bytes pending, both sides */
        {.id = "handshake/pending/counts/{policy}/{ver}",
         .spec = "descriptor: outgoing_bytes_buffered (what process_outgoing would return "
                 "now), incoming_bytes_buffered (received, not yet processed)",
         .title = "byte counts agree with every process_outgoing and process_incoming of both "
                  "sides, and are 0 when all is read",
         .axes = {&ax_cpolicy, &ax_ver},
         .outcome = OUT_ESTABLISHED,
         .after = {.size = 20000, .dir = DIR_BOTH, .counts = 1}},

        /* many connections per context */
        {.id = "handshake/contexts/sequential/{ver}",
         .spec = SPEC_CONTEXTS,
         .title = "three connections one after the other from one client and one server "
                  "context",
         .expect = "3 connections, each from a new client and server buffer of the same two "
                   "contexts, complete their handshakes and carry their own data; each "
                   "connection's buffers are freed before the next; the contexts last",
         .axes = {&ax_ver},
         .outcome = OUT_ESTABLISHED,
         .conns = {.n = 3}},
        {.id = "handshake/contexts/interleaved/{ver}",
         .spec = SPEC_CONTEXTS,
         .title = "three connections alive at once from one client and one server context",
         .expect = "3 connections from the same two contexts, all alive, handshakes stepped "
                   "in turn: each completes and carries its own data; after the first one's "
                   "buffers are freed the others still carry data and a 4th connection "
                   "works; buffers freed in a mixed order, the contexts last",
         .axes = {&ax_ver},
         .outcome = OUT_ESTABLISHED,
         .conns = {.n = 3, .interleaved = 1}},
        {.id = "handshake/contexts/after-failure/{role}/{ver}",
         .spec = SPEC_CONTEXTS "; RFC 8446 section 5 (unexpected_message)",
         .title = "a context still makes working buffers after one of its buffers failed",
         .expect = "connection 1's first flight to the context's side carries record type "
                   "0xff: that side fails; connection 2 from the same contexts completes and "
                   "carries data",
         .axes = {&ax_role, &ax_ver},
         .outcome = OUT_ESTABLISHED,
         .conns = {.n = 2, .fail_first = 1}},
        {.id = "handshake/contexts/interleaved-failure/{role}/{ver}",
         .spec = SPEC_CONTEXTS "; RFC 8446 section 5 (unexpected_message)",
         .title = "one of three live buffers fails; the others and the context are unaffected",
         .expect = "3 connections alive at once; the first one's first flight to the "
                   "context's side carries record type 0xff and that side fails; the other "
                   "two and a 4th made afterwards complete and carry data",
         .axes = {&ax_role, &ax_ver},
         .outcome = OUT_ESTABLISHED,
         .conns = {.n = 3, .interleaved = 1, .fail_first = 1}},

        /* data transfer */
        {.id = "handshake/transfer/{size}/{dir}/{ver}",
         .spec = "RFC 8446 sections 5.1 and 5.2; RFC 5246 section 6.2; descriptor: read() / "
                 "write()",
         .title = "data transfer with integrity",
         .axes = {&ax_size, &ax_dir, &ax_ver},
         .outcome = OUT_ESTABLISHED},
};

FAMILY(family_handshake, "handshake", rows);
