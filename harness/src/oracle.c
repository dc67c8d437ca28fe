#include "oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsmsg.h"
#include "util.h"

static void note(struct wire *w, int dir, const char *what)
{
	if (!w->malformed[dir][0])
		fmt_into(w->malformed[dir], sizeof w->malformed[dir], "%s", what);
}

static void parse_client_hello(struct wire *w, struct tcur body)
{
	struct wire_client_hello ch;
	memset(&ch, 0, sizeof ch);
	ch.present = 1;
	ch.legacy_version = (uint16_t)tcur_take(&body, 2);
	tcur_copy(&body, ch.random, 32);
	tcur_sub(&body, tcur_take(&body, 1)); /* legacy_session_id */
	struct tcur cs = tcur_sub(&body, tcur_take(&body, 2));
	if (cs.n % 2)
		note(w, 0, "ClientHello cipher_suites has an odd length");
	while (cs.n >= 2 && !cs.bad) {
		uint16_t id = (uint16_t)tcur_take(&cs, 2);
		if (ch.n_ciphers < WIRE_MAX_CIPHERS)
			ch.ciphers[ch.n_ciphers++] = id;
	}
	tcur_sub(&body, tcur_take(&body, 1)); /* legacy_compression_methods */
	if (body.n) {
		struct tcur exts = tcur_sub(&body, tcur_take(&body, 2));
		while (exts.n && !exts.bad) {
			uint16_t type = (uint16_t)tcur_take(&exts, 2);
			struct tcur e = tcur_sub(&exts, tcur_take(&exts, 2));
			if (type == 0) { /* server_name, RFC 6066 section 3 */
				struct tcur list = tcur_sub(&e, tcur_take(&e, 2));
				while (list.n && !list.bad) {
					uint8_t kind = (uint8_t)tcur_take(&list, 1);
					struct tcur name = tcur_sub(&list, tcur_take(&list, 2));
					if (kind == 0 && !name.bad && !ch.has_sni) {
						size_t k = name.n < sizeof ch.sni - 1
						                   ? name.n
						                   : sizeof ch.sni - 1;
						memcpy(ch.sni, name.p, k);
						ch.sni[k] = '\0';
						ch.has_sni = 1;
					}
				}
				if (list.bad)
					note(w, 0, "server_name extension is malformed");
			} else if (type == 16) { /* ALPN, RFC 7301 section 3.1 */
				struct tcur list = tcur_sub(&e, tcur_take(&e, 2));
				if (list.bad || list.n > sizeof ch.alpn) {
					note(w, 0, "ALPN extension is malformed");
				} else {
					memcpy(ch.alpn, list.p, list.n);
					ch.alpn_len = list.n;
					ch.has_alpn = 1;
				}
			} else if (type == 43) { /* supported_versions */
				struct tcur list = tcur_sub(&e, tcur_take(&e, 1));
				ch.has_versions = 1;
				while (list.n >= 2 && !list.bad) {
					uint16_t v = (uint16_t)tcur_take(&list, 2);
					if (ch.n_versions < WIRE_MAX_VERSIONS)
						ch.versions[ch.n_versions++] = v;
				}
				if (list.bad || list.n)
					note(w, 0, "supported_versions extension is malformed");
			}
		}
		if (exts.bad)
			note(w, 0, "ClientHello extensions are malformed");
	}
	if (body.bad) {
		note(w, 0, "ClientHello is truncated");
		return;
	}
	if (!w->ch.present)
		w->ch = ch;
}

static void parse_server_hello(struct wire *w, struct tcur body)
{
	struct wire_server_hello sh;
	memset(&sh, 0, sizeof sh);
	sh.present = 1;
	sh.legacy_version = (uint16_t)tcur_take(&body, 2);
	tcur_copy(&body, sh.random, 32);
	tcur_sub(&body, tcur_take(&body, 1));
	sh.cipher = (uint16_t)tcur_take(&body, 2);
	tcur_take(&body, 1); /* compression */
	if (body.n) {
		struct tcur exts = tcur_sub(&body, tcur_take(&body, 2));
		while (exts.n && !exts.bad) {
			uint16_t type = (uint16_t)tcur_take(&exts, 2);
			struct tcur e = tcur_sub(&exts, tcur_take(&exts, 2));
			if (type == 43) {
				sh.has_version = 1;
				sh.selected_version = (uint16_t)tcur_take(&e, 2);
			} else if (type == 16) {
				struct tcur list = tcur_sub(&e, tcur_take(&e, 2));
				struct tcur name = tcur_sub(&list, tcur_take(&list, 1));
				if (!name.bad && name.n <= sizeof sh.alpn) {
					memcpy(sh.alpn, name.p, name.n);
					sh.alpn_len = name.n;
					sh.has_alpn = 1;
				} else {
					note(w, 1, "ServerHello ALPN extension is malformed");
				}
			}
		}
		if (exts.bad)
			note(w, 1, "ServerHello extensions are malformed");
	}
	if (body.bad) {
		note(w, 1, "ServerHello is truncated");
		return;
	}
	sh.hello_retry = memcmp(sh.random, tls_hrr_random, 32) == 0;
	if (sh.hello_retry) {
		/* A HelloRetryRequest exists only in TLS 1.3 (RFC 8446 section
		 * 4.1.4): the compatibility ChangeCipherSpec that may follow it
		 * does not start encryption. The version is settled by the
		 * ServerHello that follows. */
		w->saw_hrr = 1;
		if (!w->version)
			w->version = 0x0304;
		return;
	}
	w->sh = sh;
	w->version = sh.has_version ? sh.selected_version : sh.legacy_version;
}

static int count_certs(struct tcur body)
{
	/* TLS 1.2 Certificate: certificate_list<0..2^24-1> of opaque<1..2^24-1>. */
	struct tcur list = tcur_sub(&body, tcur_take(&body, 3));
	int n = 0;
	while (list.n && !list.bad) {
		tcur_sub(&list, tcur_take(&list, 3));
		n++;
	}
	return list.bad ? -2 : n;
}

/* Keeps a copy of the first certificate of the server's Certificate. */
static void keep_leaf(struct wire *w, struct tcur body)
{
	struct tcur list = tcur_vec(&body, 3);
	struct tcur leaf = tcur_vec(&list, 3);
	if (!leaf.bad && leaf.n <= sizeof w->server_leaf) {
		memcpy(w->server_leaf, leaf.p, leaf.n);
		w->server_leaf_len = leaf.n;
	}
}

static void parse_handshake_stream(struct wire *w, int dir, const uint8_t *p, size_t n)
{
	struct tcur c = tcur_of(p, n);
	while (c.n >= 4) {
		uint8_t type = (uint8_t)tcur_take(&c, 1);
		uint32_t len = tcur_take(&c, 3);
		if (len > c.n)
			return; /* incomplete message (transcript cut or truncated) */
		struct tcur body = tcur_sub(&c, len);
		if (dir == 0 && type == 1)
			parse_client_hello(w, body);
		else if (dir == 1 && type == 2)
			parse_server_hello(w, body);
		else if (type == 11 && w->version == 0x0303) {
			(dir ? &w->server_cert_count : &w->client_cert_count)[0] =
			        count_certs(body);
			if (dir == 1)
				keep_leaf(w, body);
		} else if (dir == 1 && type == 13 && w->version == 0x0303)
			w->cert_request = 1;
	}
}

/* Walks records of one direction; handshake bytes that are still plaintext
 * are parsed as a stream. */
static void parse_dir(struct wire *w, int dir, const uint8_t *p, size_t n)
{
	struct tcur c = tcur_of(p, n);
	struct bytes hs = {0};
	int encrypted = 0;
	while (c.n >= 5) {
		uint8_t type = (uint8_t)tcur_take(&c, 1);
		uint16_t ver = (uint16_t)tcur_take(&c, 2);
		uint16_t len = (uint16_t)tcur_take(&c, 2);
		if (type < 20 || type > 24) {
			note(w, dir, "record with an unknown content type");
			break;
		}
		if ((ver >> 8) != 3) {
			note(w, dir, "record with a version outside 3.x");
			break;
		}
		if (len > 16384 + 2048) {
			note(w, dir, "record longer than 2^14 + 2048 bytes");
			break;
		}
		if (len > c.n)
			break; /* last record incomplete: transcript cut or truncated */
		struct tcur body = tcur_sub(&c, len);
		w->n_records[dir]++;
		if (type == 20) {
			w->ccs[dir] = 1;
			/* TLS 1.2: everything after ChangeCipherSpec is encrypted.
			 * TLS 1.3: CCS is a compatibility no-op. */
			if (w->version != 0x0304)
				encrypted = 1;
		} else if (type == 22 && !encrypted) {
			bytes_append(&hs, body.p, body.n);
			/* Parse as we go so the version is known for later
			 * records of this direction. */
			if (dir == 1) {
				parse_handshake_stream(w, dir, hs.data, hs.len);
			}
		} else if (type == 21 && !encrypted && len == 2) {
			if (w->n_alerts < WIRE_MAX_ALERTS) {
				struct wire_alert *a = &w->alerts[w->n_alerts++];
				a->dir = dir;
				a->level = body.p[0];
				a->description = body.p[1];
			}
		} else if (type == 21 && !encrypted) {
			note(w, dir, "plaintext alert record whose length is not 2");
		}
	}
	if (dir == 0)
		parse_handshake_stream(w, dir, hs.data, hs.len);
	bytes_free(&hs);
}

void oracle_parse(struct wire *w, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                  size_t s2c_len)
{
	memset(w, 0, sizeof *w);
	w->server_cert_count = w->client_cert_count = -1;
	/* The server direction first: its ServerHello fixes the version that
	 * decides which client records are still plaintext. */
	parse_dir(w, 1, s2c, s2c_len);
	parse_dir(w, 0, c2s, c2s_len);
	struct tls_conv c;
	tls_conv_parse(&c, c2s, c2s_len, s2c, s2c_len);
	oracle_check_rules(w, &c);
	tls_conv_free(&c);
}

int oracle_downgrade_sentinel(const struct wire *w)
{
	static const uint8_t tls12[8] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01};
	return w->sh.present && memcmp(w->sh.random + 24, tls12, 8) == 0;
}

int oracle_first_alert(const struct wire *w, int dir)
{
	for (size_t i = 0; i < w->n_alerts; i++)
		if (w->alerts[i].dir == dir)
			return w->alerts[i].description;
	return -1;
}

/* ---- Passive wire rules ------------------------------------------------- */

enum {
	R_SH_EXT_UNOFFERED,
	R_HRR_EXT_UNOFFERED,
	R_SH13_EXT_MISPLACED,
	R_CH_EXT_DUP,
	R_SH_EXT_DUP,
	R_HRR_EXT_DUP,
	R_EXT_SYNTAX,
	R_SH13_LEGACY_VERSION,
	R_SH13_SID_ECHO,
	R_SH13_COMPRESSION,
	R_SH_VERSION_UNOFFERED,
	R_SH12_SUPPORTED_VERSIONS,
	R_SH_CIPHER_UNOFFERED,
	R_SH_COMP_UNOFFERED,
	R_CH13_LEGACY_VERSION,
	R_CH13_COMPRESSION,
	R_CH13_MANDATORY,
	R_CH13_PSK_LAST,
	R_CH13_PSK_MODES,
	R_CH_KS_UNLISTED,
	R_CH_KS_ORDER,
	R_CH_KS_DUP,
	R_SH_KS_GROUP,
	R_HRR_KS_GROUP,
	R_HRR_SECOND,
	R_SH_HRR_CONSISTENT,
	R_CH2_KEY_SHARE,
	R_CH2_COOKIE,
	R_CH2_UNCHANGED,
	R_CH_RENEG_SIGNAL,
	R_CH_RENEG_NOT_EMPTY,
	R_SH12_RENEG_MISSING,
	R_SH12_RENEG_NOT_EMPTY,
	R_SH12_RENEG_UNSOLICITED,
	R_SH12_EMS_UNOFFERED,
	R_EMS_NOT_EMPTY,
	R_SNI_ONE,
	R_SNI_DOT,
	R_SNI_IP,
	R_SH_SNI_NOT_EMPTY,
	R_SH12_ALPN_ONE,
	R_SH12_ALPN_UNOFFERED,
	R_REC_PLAIN_OVERFLOW,
	R_REC_CIPHER_OVERFLOW,
	R_REC_EMPTY,
	R_REC_UNKNOWN_TYPE,
	R_REC_OUTER_TYPE,
	R_REC_VERSION13,
	R_CCS_VALUE,
	R_ALERT13_FORM,
	R_HS_INTERLEAVED,
	R_HS_KEY_CHANGE,
	R_SH12_VERSION_ABOVE,
	R_HRR_SUPPORTED_VERSIONS,
	R_HRR_NO_CHANGE,
	R_CH_COMPRESSION_NULL,
	R_SID_LENGTH,
	R_N
};

const struct wire_rule oracle_rules[] = {
        [R_SH_EXT_UNOFFERED] = {"sh-ext-unoffered", "RFC 8446 4.2; RFC 5246 7.4.1.4",
                                "ServerHello extensions are among those the ClientHello offered"},
        [R_HRR_EXT_UNOFFERED] = {"hrr-ext-unoffered", "RFC 8446 4.1.4",
                                 "HelloRetryRequest extensions were offered (cookie excepted)"},
        [R_SH13_EXT_MISPLACED] =
                {"sh13-ext-misplaced", "RFC 8446 4.2",
                 "a TLS 1.3 ServerHello carries only key_share, pre_shared_key, "
                 "supported_versions (HRR: key_share, cookie, supported_versions)"},
        [R_CH_EXT_DUP] = {"ch-ext-duplicate", "RFC 8446 4.2; RFC 5246 7.4.1.4",
                          "no extension type twice in a ClientHello"},
        [R_SH_EXT_DUP] = {"sh-ext-duplicate", "RFC 8446 4.2; RFC 5246 7.4.1.4",
                          "no extension type twice in a ServerHello"},
        [R_HRR_EXT_DUP] = {"hrr-ext-duplicate", "RFC 8446 4.2",
                           "no extension type twice in a HelloRetryRequest"},
        [R_EXT_SYNTAX] = {"hello-ext-syntax", "RFC 8446 4.2, 6.2 (decode_error)",
                          "every extension of a hello follows its defined syntax"},
        [R_SH13_LEGACY_VERSION] = {"sh13-legacy-version", "RFC 8446 4.1.3",
                                   "a TLS 1.3 ServerHello/HRR has legacy_version 0x0303"},
        [R_SH13_SID_ECHO] = {"sh13-session-id-echo", "RFC 8446 4.1.3",
                             "a TLS 1.3 ServerHello/HRR echoes the client's legacy_session_id"},
        [R_SH13_COMPRESSION] = {"sh13-compression", "RFC 8446 4.1.3",
                                "a TLS 1.3 ServerHello/HRR has legacy_compression_method 0"},
        [R_SH_VERSION_UNOFFERED] = {"sh-version-unoffered", "RFC 8446 4.2.1",
                                    "the selected version is one the ClientHello offered"},
        [R_SH12_SUPPORTED_VERSIONS] = {"sh12-supported-versions", "RFC 8446 4.2.1",
                                       "a server negotiating TLS 1.2 or below sends no "
                                       "supported_versions"},
        [R_SH_CIPHER_UNOFFERED] = {"sh-cipher-unoffered", "RFC 8446 4.1.3; RFC 5246 7.4.1.3",
                                   "the cipher suite is one the ClientHello offered"},
        [R_SH_COMP_UNOFFERED] = {"sh-compression-unoffered", "RFC 5246 7.4.1.3",
                                 "the compression method is one the ClientHello offered"},
        [R_CH13_LEGACY_VERSION] = {"ch13-legacy-version", "RFC 8446 4.1.2",
                                   "a ClientHello offering TLS 1.3 has legacy_version 0x0303"},
        [R_CH13_COMPRESSION] = {"ch13-compression", "RFC 8446 4.1.2",
                                "a ClientHello offering TLS 1.3 has exactly compression {0}"},
        [R_CH13_MANDATORY] = {"ch13-mandatory-ext", "RFC 8446 9.2",
                              "a TLS 1.3 ClientHello without pre_shared_key has "
                              "signature_algorithms and supported_groups; supported_groups and "
                              "key_share come together"},
        [R_CH13_PSK_LAST] = {"ch13-psk-last", "RFC 8446 4.2.11",
                             "pre_shared_key is the last extension of the ClientHello"},
        [R_CH13_PSK_MODES] = {"ch13-psk-modes", "RFC 8446 4.2.9",
                              "a ClientHello with pre_shared_key has psk_key_exchange_modes"},
        [R_CH_KS_UNLISTED] = {"ch-key-share-unlisted", "RFC 8446 4.2.8",
                              "every KeyShareEntry group is in supported_groups"},
        [R_CH_KS_ORDER] = {"ch-key-share-order", "RFC 8446 4.2.8",
                           "key shares appear in supported_groups order"},
        [R_CH_KS_DUP] = {"ch-key-share-duplicate", "RFC 8446 4.2.8",
                         "at most one KeyShareEntry per group"},
        [R_SH_KS_GROUP] = {"sh-key-share-group", "RFC 8446 4.2.8",
                           "the ServerHello key_share group is one the client sent a share for"},
        [R_HRR_KS_GROUP] = {"hrr-key-share-group", "RFC 8446 4.2.8",
                            "the HRR selected_group is in supported_groups and had no share"},
        [R_HRR_SECOND] = {"hrr-second", "RFC 8446 4.1.4",
                          "at most one HelloRetryRequest per connection"},
        [R_SH_HRR_CONSISTENT] = {"sh-hrr-consistent", "RFC 8446 4.1.4",
                                 "the ServerHello after an HRR keeps its cipher suite and version"},
        [R_CH2_KEY_SHARE] = {"ch2-key-share", "RFC 8446 4.1.2",
                             "the ClientHello after an HRR has one share, of the selected group"},
        [R_CH2_COOKIE] = {"ch2-cookie", "RFC 8446 4.2.2",
                          "the ClientHello after an HRR echoes its cookie"},
        [R_CH2_UNCHANGED] = {"ch2-unchanged", "RFC 8446 4.1.2",
                             "the ClientHello after an HRR keeps random, session id, cipher "
                             "suites and compression methods"},
        [R_CH_RENEG_SIGNAL] = {"ch-reneg-signal", "RFC 5746 3.4",
                               "a ClientHello offering TLS 1.2 or below carries the "
                               "renegotiation_info extension or the SCSV"},
        [R_CH_RENEG_NOT_EMPTY] = {"ch-reneg-not-empty", "RFC 5746 3.4",
                                  "the initial ClientHello's renegotiation_info is empty"},
        [R_SH12_RENEG_MISSING] = {"sh12-reneg-missing", "RFC 5746 3.6",
                                  "a TLS 1.2 ServerHello answers the client's signal with "
                                  "renegotiation_info"},
        [R_SH12_RENEG_NOT_EMPTY] = {"sh12-reneg-not-empty", "RFC 5746 3.6",
                                    "renegotiation_info in the initial ServerHello is empty"},
        [R_SH12_RENEG_UNSOLICITED] = {"sh12-reneg-unsolicited", "RFC 5746 3.6; RFC 5246 7.4.1.4",
                                      "no renegotiation_info without the client's extension or "
                                      "SCSV"},
        [R_SH12_EMS_UNOFFERED] = {"sh12-ems-unoffered", "RFC 7627 5.1",
                                  "extended_master_secret in the ServerHello only if offered"},
        [R_EMS_NOT_EMPTY] = {"ems-not-empty", "RFC 7627 5.1",
                             "the extended_master_secret extension is empty"},
        [R_SNI_ONE] = {"ch-sni-one-host-name", "RFC 6066 3",
                       "server_name holds at most one host_name"},
        [R_SNI_DOT] = {"ch-sni-trailing-dot", "RFC 6066 3",
                       "the SNI host_name has no trailing dot"},
        [R_SNI_IP] = {"ch-sni-ip-literal", "RFC 6066 3",
                      "the SNI host_name is not an IPv4 or IPv6 literal"},
        [R_SH_SNI_NOT_EMPTY] = {"sh-sni-not-empty", "RFC 6066 3",
                                "a server's server_name extension is empty"},
        [R_SH12_ALPN_ONE] = {"sh12-alpn-one", "RFC 7301 3.1",
                             "a ServerHello ALPN list holds exactly one name"},
        [R_SH12_ALPN_UNOFFERED] = {"sh12-alpn-unoffered", "RFC 7301 3.1",
                                   "the ServerHello ALPN name is one the client offered"},
        [R_REC_PLAIN_OVERFLOW] = {"record-plaintext-overflow", "RFC 8446 5.1; RFC 5246 6.2.1",
                                  "a plaintext fragment is at most 2^14 bytes"},
        [R_REC_CIPHER_OVERFLOW] = {"record-ciphertext-overflow", "RFC 8446 5.2; RFC 5246 6.2.3",
                                   "a protected record is at most 2^14+256 (TLS 1.3) or "
                                   "2^14+2048 (TLS 1.2) bytes"},
        [R_REC_EMPTY] = {"record-empty-fragment", "RFC 8446 5.1; RFC 5246 6.2.1",
                         "no zero-length handshake, alert or ChangeCipherSpec fragment"},
        [R_REC_UNKNOWN_TYPE] = {"record-unknown-type", "RFC 8446 5; RFC 5246 6",
                                "records carry a defined content type"},
        [R_REC_OUTER_TYPE] = {"record-outer-type", "RFC 8446 5.2",
                              "protected TLS 1.3 records have outer type application_data"},
        [R_REC_VERSION13] = {"record-version13", "RFC 8446 5.1",
                             "TLS 1.3 records carry 0x0303 (0x0301 allowed for the initial "
                             "ClientHello)"},
        [R_CCS_VALUE] = {"record-ccs-value", "RFC 8446 5; RFC 5246 7.1",
                         "a ChangeCipherSpec record is the single byte 0x01"},
        [R_ALERT13_FORM] = {"record-alert13-form", "RFC 8446 5.1",
                            "a plaintext TLS 1.3 alert record holds exactly one alert"},
        [R_HS_INTERLEAVED] = {"record-hs-interleaved", "RFC 8446 5.1",
                              "no other record type inside a handshake message split over "
                              "records"},
        [R_HS_KEY_CHANGE] = {"record-hs-key-change", "RFC 8446 5.1; RFC 5246 7.1",
                             "handshake messages end at a record boundary before a key change"},
        [R_SH12_VERSION_ABOVE] = {"sh12-version-above-client", "RFC 5246 7.4.1.3",
                                  "a ServerHello without supported_versions selects at most the "
                                  "client's legacy_version"},
        [R_HRR_SUPPORTED_VERSIONS] = {"hrr-supported-versions", "RFC 8446 4.1.4",
                                      "a HelloRetryRequest carries supported_versions"},
        [R_HRR_NO_CHANGE] = {"hrr-no-change", "RFC 8446 4.1.4",
                             "a HelloRetryRequest asks for a change (key_share or cookie)"},
        [R_CH_COMPRESSION_NULL] = {"ch-compression-null", "RFC 5246 7.4.1.2",
                                   "the ClientHello's compression methods include null (0)"},
        [R_SID_LENGTH] = {"hello-session-id-length", "RFC 8446 4.1.2, 4.1.3; RFC 5246 7.4.1.2",
                          "a legacy_session_id holds at most 32 bytes"},
};
const size_t oracle_n_rules = R_N;

const struct wire_rule *oracle_rule(const char *id)
{
	for (size_t i = 0; i < R_N; i++)
		if (!strcmp(oracle_rules[i].id, id))
			return &oracle_rules[i];
	return NULL;
}

size_t oracle_violation_count(const struct wire *w, int dir)
{
	size_t n = 0;
	for (size_t i = 0; i < w->n_violations; i++)
		n += w->violations[i].dir == dir;
	return n;
}

const struct wire_violation *oracle_violation(const struct wire *w, int dir, size_t k)
{
	for (size_t i = 0; i < w->n_violations; i++)
		if (w->violations[i].dir == dir && k-- == 0)
			return &w->violations[i];
	return NULL;
}

struct rctx {
	struct wire *w;
	const struct tls_conv *c;
};

static void viol_at(struct rctx *x, int rule, int dir, size_t off, const uint8_t *p, size_t n,
                    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void viol_at(struct rctx *x, int rule, int dir, size_t off, const uint8_t *p, size_t n,
                    const char *fmt, ...)
{
	struct wire *w = x->w;
	if (w->n_violations == WIRE_MAX_VIOLATIONS) {
		w->n_dropped++;
		return;
	}
	struct wire_violation *v = &w->violations[w->n_violations++];
	v->rule = &oracle_rules[rule];
	v->dir = dir;
	v->offset = off;
	tls_hex(v->excerpt, sizeof v->excerpt, p, n, 32);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof v->text, fmt, ap);
	va_end(ap);
}

/* A violation inside message k of direction dir: `at` points into its
 * body (or its header), n bytes long. */
#define MVIOL(x, rule, dir, k, at, n, ...)                                                         \
	(void)(k), viol_at(x, rule, dir,                                                           \
	                   tls_dir_stream_off(&(x)->c->d[dir], (size_t)((const uint8_t *)(at) -    \
	                                                                (x)->c->d[dir].hs.data)),  \
	                   at, n, __VA_ARGS__)

static void check_records(struct rctx *x, int dir)
{
	const struct tls_conv *c = x->c;
	const struct tls_dir *d = &c->d[dir];
	long first_ch_end = -1;
	int client_went_on = 0;
	if (dir == 0) {
		long k = tls_dir_find(d, TLS_HS_CLIENT_HELLO, -1, 0);
		if (k >= 0)
			first_ch_end = (long)d->msg[k].last_rec;
	}
	for (size_t i = 0; i < d->n_rec; i++) {
		const struct tls_rec *r = &d->rec[i];
		const uint8_t *hdr = d->raw.data + r->off;
		const uint8_t *frag = hdr + 5;
		if (r->type < 20 || r->type > 24) {
			viol_at(x, R_REC_UNKNOWN_TYPE, dir, r->off, hdr, 5,
			        "record of content type %u", r->type);
			continue;
		}
		if (!r->encrypted && r->len > TLS_MAX_PLAINTEXT)
			viol_at(x, R_REC_PLAIN_OVERFLOW, dir, r->off, hdr, 5,
			        "plaintext %s record of %u bytes",
			        r->type == 22 ? "handshake" : "non-handshake", r->len);
		if (r->encrypted) {
			unsigned lim = c->version == 0x0304 ? 16384 + 256 : 16384 + 2048;
			if (r->len > lim)
				viol_at(x, R_REC_CIPHER_OVERFLOW, dir, r->off, hdr, 5,
				        "protected record of %u bytes (limit %u)", r->len, lim);
			if (c->version == 0x0304 && r->type != TLS_CT_APPDATA &&
			    r->type != TLS_CT_CCS)
				viol_at(x, R_REC_OUTER_TYPE, dir, r->off, hdr, 5,
				        "protected TLS 1.3 record of outer type %u", r->type);
		}
		if (!r->encrypted && r->len == 0 && r->type >= 20 && r->type <= 22)
			viol_at(x, R_REC_EMPTY, dir, r->off, hdr, 5,
			        "zero-length record of type %u", r->type);
		if (r->type == TLS_CT_CCS && !r->encrypted && !(r->len == 1 && frag[0] == 1))
			viol_at(x, R_CCS_VALUE, dir, r->off, hdr, 5u + (r->len < 8 ? r->len : 8),
			        "ChangeCipherSpec of %u bytes", r->len);
		if (c->version == 0x0304 && r->type == TLS_CT_ALERT && !r->encrypted && r->len != 2)
			viol_at(x, R_ALERT13_FORM, dir, r->off, hdr, 5,
			        "plaintext alert record of %u bytes", r->len);
		/* A client alert right after its ClientHello, before anything shows
		 * it has processed a ServerHello, may still carry the version of
		 * the initial ClientHello: the client did not know TLS 1.3 yet. */
		int pre_sh_alert = dir == 0 && r->type == TLS_CT_ALERT && !client_went_on &&
		                   (long)i > first_ch_end;
		if (dir == 0 && (long)i > first_ch_end && r->type != TLS_CT_ALERT)
			client_went_on = 1;
		if (c->version == 0x0304 && r->version != 0x0303 &&
		    !(r->version == 0x0301 && ((long)i <= first_ch_end || pre_sh_alert)))
			viol_at(x, R_REC_VERSION13, dir, r->off, hdr, 5,
			        "record version 0x%04x in a TLS 1.3 connection", r->version);
	}
	/* Handshake messages split over records: nothing between the pieces. */
	for (size_t k = 0; k < d->n_msg; k++) {
		const struct tls_msg *m = &d->msg[k];
		for (size_t i = m->first_rec + 1; i < m->last_rec; i++) {
			const struct tls_rec *r = &d->rec[i];
			if (r->type != TLS_CT_HANDSHAKE)
				viol_at(x, R_HS_INTERLEAVED, dir, r->off, d->raw.data + r->off, 5,
				        "record of type %u inside %s", r->type,
				        tls_hs_name(m->type));
		}
	}
	/* Key changes at record boundaries: the TLS 1.3 ServerHello and the
	 * client's last ClientHello end their record; no handshake message is
	 * pending at a ChangeCipherSpec (TLS 1.2). */
	if (c->version == 0x0304) {
		long k = dir ? tls_dir_find(d, TLS_HS_SERVER_HELLO, 0, 0)
		             : tls_dir_find(d, TLS_HS_CLIENT_HELLO, -1, c->n_hrr);
		if (k >= 0) {
			const struct tls_msg *m = &d->msg[k];
			const struct tls_rec *r = &d->rec[m->last_rec];
			size_t end = m->hs_off + 4 + m->len;
			if (r->hs_off != SIZE_MAX && r->hs_off + r->len > end)
				viol_at(x, R_HS_KEY_CHANGE, dir, tls_dir_stream_off(d, end),
				        d->hs.data + end, r->hs_off + r->len - end,
				        "%zu handshake bytes follow the %s in its record",
				        r->hs_off + r->len - end, tls_hs_name(m->type));
		}
	} else if (d->hs_split < d->hs.len) {
		size_t at = tls_dir_stream_off(d, d->hs_split);
		for (size_t i = 0; i < d->n_rec && at != SIZE_MAX; i++) {
			const struct tls_rec *r = &d->rec[i];
			if (r->type == TLS_CT_CCS && r->off > at) {
				viol_at(x, R_HS_KEY_CHANGE, dir, r->off, d->raw.data + r->off, 6,
				        "ChangeCipherSpec while a %s is incomplete",
				        tls_hs_name(d->hs.data[d->hs_split]));
				break;
			}
		}
	}
}

static int u16_in(const uint16_t *v, int n, uint16_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int ext_offered(const struct tls_hello *ch, uint16_t type)
{
	return ch && tls_hello_ext(ch, type) != NULL;
}

/* A violation about extension e of hello message k. */
#define EVIOL(x, rule, dir, k, e, ...)                                                             \
	MVIOL(x, rule, dir, k, (e)->body - 4, 4 + (e)->len, __VA_ARGS__)

static void check_duplicates(struct rctx *x, int dir, size_t k, const struct tls_hello *h, int rule)
{
	for (size_t i = 0; i < h->n_ext; i++)
		for (size_t j = 0; j < i; j++)
			if (h->ext[i].type == h->ext[j].type) {
				EVIOL(x, rule, dir, k, &h->ext[i], "%s: extension %s (%u) twice",
				      h->hrr ? "HelloRetryRequest" : tls_hs_name(h->type),
				      tls_ext_name(h->ext[i].type), h->ext[i].type);
				break;
			}
}

static int is_ip_literal(const uint8_t *p, size_t n)
{
	int digits_dots = 1, colon = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ':')
			colon = 1;
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.'))
			digits_dots = 0;
	}
	return n && (colon || digits_dots);
}

/* Syntax of the extensions the rules know; server: the hello is a
 * ServerHello (hrr: a HelloRetryRequest). Returns 0 if e is well formed. */
static int ext_syntax(const struct tls_ext *e, int server, int hrr)
{
	struct tls_item it[TLS_MAX_ITEMS];
	uint16_t v[64];
	uint8_t b[64];
	uint16_t g;
	switch (e->type) {
	case TLS_EXT_SERVER_NAME: {
		if (server)
			return 0; /* sh-sni-not-empty */
		int n = tls_dec_sni(e->body, e->len, it, TLS_MAX_ITEMS);
		if (n <= 0)
			return -1;
		for (int i = 0; i < n && i < TLS_MAX_ITEMS; i++)
			if (it[i].len == 0)
				return -1;
		return 0;
	}
	case TLS_EXT_SUPPORTED_GROUPS:
	case TLS_EXT_SIGNATURE_ALGORITHMS:
	case TLS_EXT_SIGNATURE_ALGORITHMS_CERT:
		return server ? 0 : tls_dec_u16_list(e->body, e->len, 2, v, 64) > 0 ? 0 : -1;
	case TLS_EXT_SUPPORTED_VERSIONS:
		if (server)
			return e->len == 2 ? 0 : -1;
		return tls_dec_u16_list(e->body, e->len, 1, v, 64) > 0 ? 0 : -1;
	case TLS_EXT_KEY_SHARE:
		if (server)
			return tls_dec_key_share_sh(e->body, e->len, hrr, &g, NULL);
		return tls_dec_key_share_ch(e->body, e->len, it, TLS_MAX_ITEMS) >= 0 ? 0 : -1;
	case TLS_EXT_ALPN:
		return tls_dec_alpn(e->body, e->len, it, TLS_MAX_ITEMS) > 0 ? 0 : -1;
	case TLS_EXT_RENEGOTIATION_INFO:
		return tls_dec_reneg(e->body, e->len, NULL) >= 0 ? 0 : -1;
	case TLS_EXT_EXTENDED_MASTER_SECRET:
		return 0; /* ems-not-empty */
	case TLS_EXT_ENCRYPT_THEN_MAC:
	case TLS_EXT_POST_HANDSHAKE_AUTH:
		return e->len == 0 ? 0 : -1;
	case TLS_EXT_EARLY_DATA:
		return e->len == 0 ? 0 : -1; /* ClientHello / EncryptedExtensions form */
	case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
		return server ? 0 : tls_dec_u8_list(e->body, e->len, b, 64) > 0 ? 0 : -1;
	case TLS_EXT_EC_POINT_FORMATS:
		return tls_dec_u8_list(e->body, e->len, b, 64) > 0 ? 0 : -1;
	case TLS_EXT_COOKIE:
		return tls_dec_cookie(e->body, e->len) > 0 ? 0 : -1;
	case TLS_EXT_PRE_SHARED_KEY:
		return tls_dec_psk(e->body, e->len, server) >= 0 ? 0 : -1;
	case TLS_EXT_STATUS_REQUEST:
		return tls_dec_status_request(e->body, e->len, server);
	case TLS_EXT_PADDING:
		return server ? 0 : tls_dec_padding(e->body, e->len);
	default:
		return 0;
	}
}

static void check_client_hello(struct rctx *x, size_t k, const struct tls_hello *ch, int nth,
                               const struct tls_hello *ch1, const struct tls_hello *hrr)
{
	const struct tls_ext *e;
	check_duplicates(x, 0, k, ch, R_CH_EXT_DUP);
	for (size_t i = 0; i < ch->n_ext; i++)
		if (ext_syntax(&ch->ext[i], 0, 0))
			EVIOL(x, R_EXT_SYNTAX, 0, k, &ch->ext[i],
			      "ClientHello %s (%u) is malformed", tls_ext_name(ch->ext[i].type),
			      ch->ext[i].type);
	uint16_t sv[64];
	int nsv = -1;
	if ((e = tls_hello_ext(ch, TLS_EXT_SUPPORTED_VERSIONS)))
		nsv = tls_dec_u16_list(e->body, e->len, 1, sv, 64);
	int offers13 = nsv > 0 && u16_in(sv, nsv < 64 ? nsv : 64, 0x0304);
	int offers12 = nsv > 0 ? u16_in(sv, nsv < 64 ? nsv : 64, 0x0303) ||
	                                 u16_in(sv, nsv < 64 ? nsv : 64, 0x0302) ||
	                                 u16_in(sv, nsv < 64 ? nsv : 64, 0x0301)
	                       : ch->legacy_version <= 0x0303;
	const uint8_t *body = ch->random - 2;
	if (!memchr(ch->comp, 0, ch->comp_len))
		MVIOL(x, R_CH_COMPRESSION_NULL, 0, k, ch->comp - 1, ch->comp_len + 1,
		      "ClientHello compression methods without null");
	if (ch->sid_len > 32)
		MVIOL(x, R_SID_LENGTH, 0, k, ch->sid - 1, 1,
		      "ClientHello legacy_session_id of %zu bytes", ch->sid_len);
	if (offers13) {
		if (ch->legacy_version != 0x0303)
			MVIOL(x, R_CH13_LEGACY_VERSION, 0, k, body, 2,
			      "ClientHello offering TLS 1.3 has legacy_version 0x%04x",
			      ch->legacy_version);
		if (!(ch->comp_len == 1 && ch->comp[0] == 0))
			MVIOL(x, R_CH13_COMPRESSION, 0, k, ch->comp, ch->comp_len,
			      "ClientHello offering TLS 1.3 has %zu compression methods",
			      ch->comp_len);
		int psk = ext_offered(ch, TLS_EXT_PRE_SHARED_KEY);
		int sg = ext_offered(ch, TLS_EXT_SUPPORTED_GROUPS);
		int ks = ext_offered(ch, TLS_EXT_KEY_SHARE);
		int sa = ext_offered(ch, TLS_EXT_SIGNATURE_ALGORITHMS);
		if ((!psk && (!sa || !sg)) || sg != ks)
			MVIOL(x, R_CH13_MANDATORY, 0, k, body, 2,
			      "TLS 1.3 ClientHello: pre_shared_key %d, signature_algorithms %d, "
			      "supported_groups %d, key_share %d",
			      psk, sa, sg, ks);
		if (psk && ch->ext[ch->n_ext - 1].type != TLS_EXT_PRE_SHARED_KEY)
			EVIOL(x, R_CH13_PSK_LAST, 0, k, tls_hello_ext(ch, TLS_EXT_PRE_SHARED_KEY),
			      "pre_shared_key is not the last extension");
		if (psk && !ext_offered(ch, TLS_EXT_PSK_KEY_EXCHANGE_MODES))
			EVIOL(x, R_CH13_PSK_MODES, 0, k, tls_hello_ext(ch, TLS_EXT_PRE_SHARED_KEY),
			      "pre_shared_key without psk_key_exchange_modes");
	}
	/* key_share vs supported_groups (RFC 8446 4.2.8). */
	const struct tls_ext *eks = tls_hello_ext(ch, TLS_EXT_KEY_SHARE);
	const struct tls_ext *esg = tls_hello_ext(ch, TLS_EXT_SUPPORTED_GROUPS);
	struct tls_item ks[TLS_MAX_ITEMS];
	int nks = eks ? tls_dec_key_share_ch(eks->body, eks->len, ks, TLS_MAX_ITEMS) : -1;
	uint16_t sg[256];
	int nsg = esg ? tls_dec_u16_list(esg->body, esg->len, 2, sg, 256) : 0;
	if (nsg > 256)
		nsg = 256;
	if (nks > TLS_MAX_ITEMS)
		nks = TLS_MAX_ITEMS;
	int last_pos = -1;
	for (int i = 0; i < nks; i++) {
		const uint8_t *at = ks[i].p - 4;
		int pos = -1;
		for (int j = 0; j < nsg; j++)
			if (sg[j] == ks[i].kind) {
				pos = j;
				break;
			}
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= ks[j].kind == ks[i].kind;
		if (dup)
			MVIOL(x, R_CH_KS_DUP, 0, k, at, 4, "two key shares for group 0x%04x",
			      ks[i].kind);
		else if (pos < 0)
			MVIOL(x, R_CH_KS_UNLISTED, 0, k, at, 4,
			      "key share for group 0x%04x, not in supported_groups", ks[i].kind);
		else if (pos < last_pos)
			MVIOL(x, R_CH_KS_ORDER, 0, k, at, 4,
			      "key share for group 0x%04x out of supported_groups order",
			      ks[i].kind);
		if (pos > last_pos)
			last_pos = pos;
	}
	/* SNI (RFC 6066 3). */
	if ((e = tls_hello_ext(ch, TLS_EXT_SERVER_NAME))) {
		struct tls_item sn[TLS_MAX_ITEMS];
		int n = tls_dec_sni(e->body, e->len, sn, TLS_MAX_ITEMS);
		int hosts = 0;
		for (int i = 0; i < n && i < TLS_MAX_ITEMS; i++) {
			if (sn[i].kind != 0)
				continue;
			if (++hosts == 2)
				EVIOL(x, R_SNI_ONE, 0, k, e,
				      "server_name with %d host_name entries", n);
			if (sn[i].len && sn[i].p[sn[i].len - 1] == '.')
				MVIOL(x, R_SNI_DOT, 0, k, sn[i].p, sn[i].len,
				      "SNI host_name '%.*s' ends with a dot", (int)sn[i].len,
				      (const char *)sn[i].p);
			if (is_ip_literal(sn[i].p, sn[i].len))
				MVIOL(x, R_SNI_IP, 0, k, sn[i].p, sn[i].len,
				      "SNI host_name '%.*s' is an IP literal", (int)sn[i].len,
				      (const char *)sn[i].p);
		}
	}
	/* Secure renegotiation (RFC 5746 3.4) and EMS (RFC 7627 5.1). */
	const struct tls_ext *ri = tls_hello_ext(ch, TLS_EXT_RENEGOTIATION_INFO);
	if (offers12 && !ri && !tls_hello_has_cipher(ch, TLS_SCSV_RENEGOTIATION))
		MVIOL(x, R_CH_RENEG_SIGNAL, 0, k, ch->ciphers, ch->ciphers_len,
		      "ClientHello offering TLS 1.2 without renegotiation_info or SCSV");
	if (ri && tls_dec_reneg(ri->body, ri->len, NULL) > 0)
		EVIOL(x, R_CH_RENEG_NOT_EMPTY, 0, k, ri,
		      "initial ClientHello renegotiation_info is not empty");
	if ((e = tls_hello_ext(ch, TLS_EXT_EXTENDED_MASTER_SECRET)) && e->len)
		EVIOL(x, R_EMS_NOT_EMPTY, 0, k, e,
		      "ClientHello extended_master_secret of %zu bytes", e->len);
	/* The ClientHello after a HelloRetryRequest (RFC 8446 4.1.2). */
	if (nth == 1 && ch1 && hrr) {
		const struct tls_ext *hks = tls_hello_ext(hrr, TLS_EXT_KEY_SHARE);
		uint16_t sel = 0;
		if (hks && tls_dec_key_share_sh(hks->body, hks->len, 1, &sel, NULL) == 0 &&
		    !(nks == 1 && ks[0].kind == sel))
			MVIOL(x, R_CH2_KEY_SHARE, 0, k, eks ? eks->body - 4 : body,
			      eks ? 4 + eks->len : 2,
			      "second ClientHello has %d key shares; the HRR selected 0x%04x", nks,
			      sel);
		const struct tls_ext *hc = tls_hello_ext(hrr, TLS_EXT_COOKIE);
		const struct tls_ext *cc = tls_hello_ext(ch, TLS_EXT_COOKIE);
		if (hc && !(cc && cc->len == hc->len && !memcmp(cc->body, hc->body, hc->len)))
			MVIOL(x, R_CH2_COOKIE, 0, k, cc ? cc->body - 4 : body, cc ? 4 + cc->len : 2,
			      "second ClientHello %s the HRR cookie", cc ? "changes" : "drops");
		const char *what = NULL;
		const uint8_t *at = body;
		if (memcmp(ch->random, ch1->random, 32))
			what = "random", at = ch->random;
		else if (ch->sid_len != ch1->sid_len || memcmp(ch->sid, ch1->sid, ch->sid_len))
			what = "legacy_session_id", at = ch->sid;
		else if (ch->ciphers_len != ch1->ciphers_len ||
		         memcmp(ch->ciphers, ch1->ciphers, ch->ciphers_len))
			what = "cipher_suites", at = ch->ciphers;
		else if (ch->comp_len != ch1->comp_len || memcmp(ch->comp, ch1->comp, ch->comp_len))
			what = "legacy_compression_methods", at = ch->comp;
		if (what)
			MVIOL(x, R_CH2_UNCHANGED, 0, k, at, 8, "second ClientHello changes its %s",
			      what);
	}
}

static void check_server_hello(struct rctx *x, size_t k, const struct tls_hello *sh,
                               const struct tls_hello *ch, int n_hrr_before,
                               const struct tls_hello *prev_hrr)
{
	const struct tls_ext *e;
	const char *name = sh->hrr ? "HelloRetryRequest" : "ServerHello";
	const uint8_t *body = sh->random - 2;
	check_duplicates(x, 1, k, sh, sh->hrr ? R_HRR_EXT_DUP : R_SH_EXT_DUP);
	for (size_t i = 0; i < sh->n_ext; i++)
		if (ext_syntax(&sh->ext[i], 1, sh->hrr))
			EVIOL(x, R_EXT_SYNTAX, 1, k, &sh->ext[i], "%s %s (%u) is malformed", name,
			      tls_ext_name(sh->ext[i].type), sh->ext[i].type);
	if (sh->hrr && n_hrr_before > 0)
		MVIOL(x, R_HRR_SECOND, 1, k, body, 34, "a second HelloRetryRequest");
	if (sh->sid_len > 32)
		MVIOL(x, R_SID_LENGTH, 1, k, sh->sid - 1, 1, "%s legacy_session_id of %zu bytes",
		      name, sh->sid_len);
	if (sh->hrr && !tls_hello_ext(sh, TLS_EXT_SUPPORTED_VERSIONS))
		MVIOL(x, R_HRR_SUPPORTED_VERSIONS, 1, k, body, 2,
		      "HelloRetryRequest without supported_versions");
	if (sh->hrr && !tls_hello_ext(sh, TLS_EXT_KEY_SHARE) && !tls_hello_ext(sh, TLS_EXT_COOKIE))
		MVIOL(x, R_HRR_NO_CHANGE, 1, k, body, 2,
		      "HelloRetryRequest with neither key_share nor cookie");
	const struct tls_ext *esv = tls_hello_ext(sh, TLS_EXT_SUPPORTED_VERSIONS);
	uint16_t selected = sh->legacy_version;
	if (esv && esv->len == 2)
		selected = (uint16_t)(esv->body[0] << 8 | esv->body[1]);
	int v13 = sh->hrr || (esv && selected == 0x0304);
	/* The version offered? */
	if (ch && esv && esv->len == 2) {
		const struct tls_ext *csv = tls_hello_ext(ch, TLS_EXT_SUPPORTED_VERSIONS);
		uint16_t sv[64];
		int n = csv ? tls_dec_u16_list(csv->body, csv->len, 1, sv, 64) : -1;
		if (selected < 0x0304)
			EVIOL(x, R_SH12_SUPPORTED_VERSIONS, 1, k, esv,
			      "%s selects 0x%04x through supported_versions", name, selected);
		else if (n <= 0 || !u16_in(sv, n < 64 ? n : 64, selected))
			EVIOL(x, R_SH_VERSION_UNOFFERED, 1, k, esv,
			      "%s selects 0x%04x, not offered", name, selected);
	}
	if (v13) {
		if (sh->legacy_version != 0x0303)
			MVIOL(x, R_SH13_LEGACY_VERSION, 1, k, body, 2, "%s legacy_version 0x%04x",
			      name, sh->legacy_version);
		if (ch && (sh->sid_len != ch->sid_len || memcmp(sh->sid, ch->sid, sh->sid_len)))
			MVIOL(x, R_SH13_SID_ECHO, 1, k, sh->sid - 1, sh->sid_len + 1,
			      "%s legacy_session_id_echo (%zu bytes) differs from the client's "
			      "(%zu bytes)",
			      name, sh->sid_len, ch->sid_len);
		if (sh->comp_len == 1 && sh->comp[0] != 0)
			MVIOL(x, R_SH13_COMPRESSION, 1, k, sh->comp, 1, "%s compression method %u",
			      name, sh->comp[0]);
	}
	/* Unoffered, misplaced extensions. */
	int client_reneg = ch && (ext_offered(ch, TLS_EXT_RENEGOTIATION_INFO) ||
	                          tls_hello_has_cipher(ch, TLS_SCSV_RENEGOTIATION));
	for (size_t i = 0; ch && i < sh->n_ext; i++) {
		const struct tls_ext *x1 = &sh->ext[i];
		uint16_t t = x1->type;
		if (!v13 && t == TLS_EXT_RENEGOTIATION_INFO) {
			if (!client_reneg)
				EVIOL(x, R_SH12_RENEG_UNSOLICITED, 1, k, x1,
				      "renegotiation_info without the client's extension or SCSV");
			continue;
		}
		if (!v13 && t == TLS_EXT_EXTENDED_MASTER_SECRET) {
			if (!ext_offered(ch, t))
				EVIOL(x, R_SH12_EMS_UNOFFERED, 1, k, x1,
				      "extended_master_secret not offered by the client");
			continue;
		}
		if (ext_offered(ch, t) || (sh->hrr && t == TLS_EXT_COOKIE)) {
			int ok = !v13 || t == TLS_EXT_SUPPORTED_VERSIONS ||
			         t == TLS_EXT_KEY_SHARE ||
			         (sh->hrr ? t == TLS_EXT_COOKIE : t == TLS_EXT_PRE_SHARED_KEY);
			if (!ok)
				EVIOL(x, R_SH13_EXT_MISPLACED, 1, k, x1, "%s carries %s (%u)", name,
				      tls_ext_name(t), t);
			continue;
		}
		EVIOL(x, sh->hrr ? R_HRR_EXT_UNOFFERED : R_SH_EXT_UNOFFERED, 1, k, x1,
		      "%s carries %s (%u), not offered", name, tls_ext_name(t), t);
	}
	/* Cipher suite and compression offered. */
	if (ch && sh->ciphers_len == 2) {
		uint16_t cs = (uint16_t)(sh->ciphers[0] << 8 | sh->ciphers[1]);
		if (!tls_hello_has_cipher(ch, cs) || cs == TLS_SCSV_RENEGOTIATION ||
		    cs == TLS_SCSV_FALLBACK || tls_is_grease(cs))
			MVIOL(x, R_SH_CIPHER_UNOFFERED, 1, k, sh->ciphers, 2,
			      "%s selects cipher suite 0x%04x, not offered", name, cs);
	}
	if (ch && !v13 && sh->comp_len == 1 && !memchr(ch->comp, sh->comp[0], ch->comp_len))
		MVIOL(x, R_SH_COMP_UNOFFERED, 1, k, sh->comp, 1,
		      "ServerHello compression method %u, not offered", sh->comp[0]);
	/* key_share (RFC 8446 4.2.8). */
	const struct tls_ext *eks = tls_hello_ext(sh, TLS_EXT_KEY_SHARE);
	uint16_t group;
	if (ch && v13 && eks &&
	    tls_dec_key_share_sh(eks->body, eks->len, sh->hrr, &group, NULL) == 0) {
		const struct tls_ext *cks = tls_hello_ext(ch, TLS_EXT_KEY_SHARE);
		const struct tls_ext *csg = tls_hello_ext(ch, TLS_EXT_SUPPORTED_GROUPS);
		struct tls_item ks[TLS_MAX_ITEMS];
		int nks = cks ? tls_dec_key_share_ch(cks->body, cks->len, ks, TLS_MAX_ITEMS) : 0;
		uint16_t sg[256];
		int nsg = csg ? tls_dec_u16_list(csg->body, csg->len, 2, sg, 256) : 0;
		int has_share = 0;
		for (int i = 0; i < nks && i < TLS_MAX_ITEMS; i++)
			has_share |= ks[i].kind == group;
		int listed = nsg > 0 && u16_in(sg, nsg < 256 ? nsg : 256, group);
		if (sh->hrr && (!listed || has_share))
			EVIOL(x, R_HRR_KS_GROUP, 1, k, eks,
			      "HelloRetryRequest selects group 0x%04x (%s)", group,
			      !listed ? "not in supported_groups"
			              : "the client sent a share for it");
		else if (!sh->hrr && !has_share)
			EVIOL(x, R_SH_KS_GROUP, 1, k, eks,
			      "ServerHello key share of group 0x%04x: the client sent none", group);
	}
	/* After an HRR: same cipher suite and version (RFC 8446 4.1.4). */
	if (!sh->hrr && prev_hrr) {
		const struct tls_ext *hsv = tls_hello_ext(prev_hrr, TLS_EXT_SUPPORTED_VERSIONS);
		int same_cs = sh->ciphers_len == prev_hrr->ciphers_len &&
		              !memcmp(sh->ciphers, prev_hrr->ciphers, sh->ciphers_len);
		int same_v = !hsv || (esv && esv->len == hsv->len &&
		                      !memcmp(esv->body, hsv->body, esv->len));
		if (!same_cs || !same_v)
			MVIOL(x, R_SH_HRR_CONSISTENT, 1, k, !same_cs ? sh->ciphers : body, 2,
			      "ServerHello changes the HelloRetryRequest's %s",
			      !same_cs ? "cipher suite" : "selected version");
	}
	if (v13 || !ch)
		goto common;
	if (!esv && sh->legacy_version > ch->legacy_version)
		MVIOL(x, R_SH12_VERSION_ABOVE, 1, k, body, 2,
		      "ServerHello version 0x%04x above the client's 0x%04x", sh->legacy_version,
		      ch->legacy_version);
	/* TLS 1.2: renegotiation_info, EMS, ALPN. */
	const struct tls_ext *ri = tls_hello_ext(sh, TLS_EXT_RENEGOTIATION_INFO);
	if (client_reneg && !ri)
		MVIOL(x, R_SH12_RENEG_MISSING, 1, k, body, 2,
		      "the client signalled secure renegotiation; the ServerHello has no "
		      "renegotiation_info");
	if (ri && tls_dec_reneg(ri->body, ri->len, NULL) > 0)
		EVIOL(x, R_SH12_RENEG_NOT_EMPTY, 1, k, ri,
		      "initial ServerHello renegotiation_info is not empty");
	if ((e = tls_hello_ext(sh, TLS_EXT_ALPN)) && ext_offered(ch, TLS_EXT_ALPN)) {
		struct tls_item names[TLS_MAX_ITEMS], offered[TLS_MAX_ITEMS];
		int n = tls_dec_alpn(e->body, e->len, names, TLS_MAX_ITEMS);
		const struct tls_ext *ca = tls_hello_ext(ch, TLS_EXT_ALPN);
		int no = tls_dec_alpn(ca->body, ca->len, offered, TLS_MAX_ITEMS);
		if (n != 1) {
			EVIOL(x, R_SH12_ALPN_ONE, 1, k, e, "ServerHello ALPN list with %d names",
			      n);
		} else {
			int found = 0;
			for (int i = 0; i < no && i < TLS_MAX_ITEMS; i++)
				found |= offered[i].len == names[0].len &&
				         !memcmp(offered[i].p, names[0].p, names[0].len);
			if (!found)
				MVIOL(x, R_SH12_ALPN_UNOFFERED, 1, k, names[0].p, names[0].len,
				      "ServerHello selects ALPN '%.*s', not offered",
				      (int)names[0].len, (const char *)names[0].p);
		}
	}
common:
	if ((e = tls_hello_ext(sh, TLS_EXT_SERVER_NAME)) && e->len)
		EVIOL(x, R_SH_SNI_NOT_EMPTY, 1, k, e, "%s server_name of %zu bytes", name, e->len);
	if ((e = tls_hello_ext(sh, TLS_EXT_EXTENDED_MASTER_SECRET)) && e->len)
		EVIOL(x, R_EMS_NOT_EMPTY, 1, k, e, "%s extended_master_secret of %zu bytes", name,
		      e->len);
}

void oracle_check_rules(struct wire *w, const struct tls_conv *c)
{
	struct rctx x = {w, c};
	check_records(&x, 1);
	check_records(&x, 0);
	/* The hellos, paired in order: the n-th server hello answers the n-th
	 * ClientHello. */
	const struct tls_dir *cd = &c->d[0], *sd = &c->d[1];
	struct tls_hello *chs = xcalloc(3, sizeof *chs);
	struct tls_hello *hrr = xcalloc(1, sizeof *hrr);
	struct tls_hello *sh = xcalloc(1, sizeof *sh);
	int nch = 0, have_hrr = 0, n_hrr = 0;
	size_t chk[3] = {0};
	for (size_t k = 0; k < cd->n_msg && nch < 3; k++) {
		if (cd->msg[k].type != TLS_HS_CLIENT_HELLO)
			continue;
		tls_hello_parse(&chs[nch], TLS_HS_CLIENT_HELLO, tls_msg_body(cd, k),
		                cd->msg[k].len);
		if (!chs[nch].fixed_ok)
			continue;
		chk[nch] = k;
		nch++;
	}
	/* The HRR (if any) that precedes the second ClientHello. */
	long hk = tls_dir_find(sd, TLS_HS_SERVER_HELLO, 1, 0);
	if (hk >= 0) {
		tls_hello_parse(hrr, TLS_HS_SERVER_HELLO, tls_msg_body(sd, (size_t)hk),
		                sd->msg[hk].len);
		have_hrr = hrr->fixed_ok;
	}
	for (int i = 0; i < nch; i++)
		check_client_hello(&x, chk[i], &chs[i], i, i ? &chs[0] : NULL,
		                   i == 1 && have_hrr ? hrr : NULL);
	int nsh = 0;
	for (size_t k = 0; k < sd->n_msg; k++) {
		if (sd->msg[k].type != TLS_HS_SERVER_HELLO)
			continue;
		tls_hello_parse(sh, TLS_HS_SERVER_HELLO, tls_msg_body(sd, k), sd->msg[k].len);
		if (!sh->fixed_ok)
			continue;
		check_server_hello(&x, k, sh, nsh < nch ? &chs[nsh] : NULL, n_hrr,
		                   !sh->hrr && n_hrr && have_hrr ? hrr : NULL);
		n_hrr += sh->hrr;
		nsh++;
		if (!sh->hrr)
			break;
	}
	free(chs);
	free(hrr);
	free(sh);
}
