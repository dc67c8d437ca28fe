/* Unit tests of the wire oracle: well-formed hellos, malformed records and
 * random garbage (which must never crash; run under ASan too). */
#include <stdint.h>

#include "oracle.h"
#include "t.h"
#include "tr.h"
#include "util.h"

static void u8(struct bytes *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	bytes_append(b, &x, 1);
}

static void u16(struct bytes *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v);
}

static void u24(struct bytes *b, unsigned v)
{
	u8(b, v >> 16);
	u16(b, v);
}

static void ext(struct bytes *b, unsigned type, const struct bytes *body)
{
	u16(b, type);
	u16(b, (unsigned)body->len);
	bytes_append(b, body->data, body->len);
}

/* A ClientHello record with SNI, ALPN {h2, http/1.1} and versions {1.3, 1.2}. */
static void client_hello(struct bytes *rec, const char *sni)
{
	struct bytes exts = {0}, e = {0}, hs = {0}, body = {0};
	if (sni) {
		u16(&e, (unsigned)strlen(sni) + 3);
		u8(&e, 0);
		u16(&e, (unsigned)strlen(sni));
		bytes_append(&e, sni, strlen(sni));
		ext(&exts, 0, &e);
		bytes_reset(&e);
	}
	u16(&e, 12);
	u8(&e, 2);
	bytes_append(&e, "h2", 2);
	u8(&e, 8);
	bytes_append(&e, "http/1.1", 8);
	ext(&exts, 16, &e);
	bytes_reset(&e);
	u8(&e, 4);
	u16(&e, 0x0304);
	u16(&e, 0x0303);
	ext(&exts, 43, &e);
	u16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(&body, (unsigned)i);
	u8(&body, 0);
	u16(&body, 4);
	u16(&body, 0x1301);
	u16(&body, 0xc02f);
	u8(&body, 1);
	u8(&body, 0);
	u16(&body, (unsigned)exts.len);
	bytes_append(&body, exts.data, exts.len);
	u8(&hs, 1);
	u24(&hs, (unsigned)body.len);
	bytes_append(&hs, body.data, body.len);
	u8(rec, 22);
	u16(rec, 0x0301);
	u16(rec, (unsigned)hs.len);
	bytes_append(rec, hs.data, hs.len);
	bytes_free(&exts);
	bytes_free(&e);
	bytes_free(&hs);
	bytes_free(&body);
}

static const uint8_t hrr_magic[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                      0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                      0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                      0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static void server_hello(struct bytes *rec, unsigned version, int downgrade)
{
	struct bytes body = {0}, hs = {0}, exts = {0}, e = {0};
	u16(&body, 0x0303);
	if (downgrade == 2) {
		bytes_append(&body, hrr_magic, 32);
		goto rest;
	}
	for (int i = 0; i < 24; i++)
		u8(&body, 0x55);
	if (downgrade)
		bytes_append(&body, "DOWNGRD\x01", 8);
	else
		for (int i = 0; i < 8; i++)
			u8(&body, 0x66);
rest:
	u8(&body, 0);
	u16(&body, version == 0x0304 ? 0x1301 : 0xc02f);
	u8(&body, 0);
	if (version == 0x0304) {
		u16(&e, 0x0304);
		ext(&exts, 43, &e);
	}
	u16(&body, (unsigned)exts.len);
	bytes_append(&body, exts.data, exts.len);
	u8(&hs, 2);
	u24(&hs, (unsigned)body.len);
	bytes_append(&hs, body.data, body.len);
	u8(rec, 22);
	u16(rec, 0x0303);
	u16(rec, (unsigned)hs.len);
	bytes_append(rec, hs.data, hs.len);
	bytes_free(&body);
	bytes_free(&hs);
	bytes_free(&exts);
	bytes_free(&e);
}

/* ---- Passive wire rules on real transcripts ------------------------------ */

static int has_rule(const struct wire *w, int dir, const char *id)
{
	for (size_t k = 0; k < oracle_violation_count(w, dir); k++)
		if (!strcmp(oracle_violation(w, dir, k)->rule->id, id))
			return 1;
	return 0;
}

static void list_violations(const struct wire *w)
{
	for (size_t k = 0; k < w->n_violations; k++)
		printf("#   %s %s at %zu: %s [%s]\n", w->violations[k].dir ? "server" : "client",
		       w->violations[k].rule->id, w->violations[k].offset, w->violations[k].text,
		       w->violations[k].excerpt);
}

static struct tr base13, base12, base_alpn12, base_hrr;
static int rules_proven[64];

static const struct tr *base_of(const char *name)
{
	return !strcmp(name, "tls13")    ? &base13
	       : !strcmp(name, "tls12")  ? &base12
	       : !strcmp(name, "alpn12") ? &base_alpn12
	                                 : &base_hrr;
}

/* The base transcript breaks no rule; rewritten by m on direction rwdir,
 * rule `id` fires on `side`, and nothing fires on the other side when the
 * rewritten side is the one judged. */
static void rule_case(const char *base, const struct rw_mutation *m, int rwdir, const char *id,
                      int side)
{
	const struct tr *t = base_of(base);
	struct wire *w = xcalloc(1, sizeof *w);
	oracle_parse(w, t->wire[0].data, t->wire[0].len, t->wire[1].data, t->wire[1].len);
	int clean = w->n_violations == 0 && !w->malformed[0][0] && !w->malformed[1][0];
	struct tr out;
	struct rewriter *rw = tr_replay(t, m, rwdir, 0, &out);
	oracle_parse(w, out.wire[0].data, out.wire[0].len, out.wire[1].data, out.wire[1].len);
	int fired = has_rule(w, side, id);
	OK(clean && fired && rw_applied(rw) > 0, "rule %s (%s) fires on the %s through %s on %s",
	   id, oracle_rule(id) ? oracle_rule(id)->ref : "?", side ? "server" : "client", m->name,
	   base);
	if (!fired || !clean)
		list_violations(w);
	for (size_t i = 0; i < oracle_n_rules; i++)
		if (!strcmp(oracle_rules[i].id, id) && fired)
			rules_proven[i] = 1;
	rw_free(rw);
	tr_free(&out);
	free(w);
}

static void named_case(const char *base, const char *name, int rwdir, const char *id, int side)
{
	const struct rw_mutation *m = rw_named(name);
	if (!m) {
		OK(0, "named mutation %s exists", name);
		return;
	}
	rule_case(base, m, rwdir, id, side);
}

/* A record appended by hand to one direction of a base transcript. */
static void appended_record_case(const char *base, int dir, uint8_t type, size_t len,
                                 const char *id)
{
	const struct tr *t = base_of(base);
	struct bytes w2 = {0};
	bytes_append(&w2, t->wire[dir].data, t->wire[dir].len);
	struct bytes frag = {0};
	for (size_t i = 0; i < len; i++)
		tls_put_u8(&frag, (unsigned)i);
	tls_put_record(&w2, type, 0x0303, frag.data, frag.len);
	struct wire *w = xcalloc(1, sizeof *w);
	if (dir)
		oracle_parse(w, t->wire[0].data, t->wire[0].len, w2.data, w2.len);
	else
		oracle_parse(w, w2.data, w2.len, t->wire[1].data, t->wire[1].len);
	OK(has_rule(w, dir, id), "rule %s fires on a protected record of %zu bytes (%s)", id, len,
	   base);
	for (size_t i = 0; i < oracle_n_rules; i++)
		if (!strcmp(oracle_rules[i].id, id) && has_rule(w, dir, id))
			rules_proven[i] = 1;
	if (!has_rule(w, dir, id))
		list_violations(w);
	free(w);
	bytes_free(&w2);
	bytes_free(&frag);
}

static void rule_tests(void)
{
	tr_load(&base13, "openssl-tls13.tlstr");
	tr_load(&base12, "openssl-tls12.tlstr");
	tr_load(&base_alpn12, "openssl-alpn-tls12.tlstr");
	tr_build_hrr(&base13, &base_hrr);
	struct wire *w = xcalloc(1, sizeof *w);
	const struct tr *bases[] = {&base13, &base12, &base_alpn12, &base_hrr};
	for (size_t i = 0; i < 4; i++) {
		oracle_parse(w, bases[i]->wire[0].data, bases[i]->wire[0].len,
		             bases[i]->wire[1].data, bases[i]->wire[1].len);
		OK(w->n_violations == 0 && !w->malformed[0][0] && !w->malformed[1][0],
		   "base transcript %zu: no violation, nothing malformed", i);
		list_violations(w);
	}
	OK(w->saw_hrr && w->version == 0x0304, "the HRR transcript is TLS 1.3 with an HRR");
	free(w);

	/* Custom mutations for rules a one-line named mutation cannot break. */
	static const struct rw_mutation ch_drop_ems = {.name = "ch-drop-ems",
	                                               .msg = 1,
	                                               .op = RW_EXT_DROP,
	                                               .ext = TLS_EXT_EXTENDED_MASTER_SECRET};
	static const struct rw_mutation sh_cipher_1301 = {
	        .name = "sh-cipher-1301", .msg = 2, .op = RW_SET_CIPHER, .value = 0x1301};
	static const uint8_t partial_finished[] = {0x14, 0x00, 0x00, 0x0c};
	static const struct rw_mutation cke_partial = {.name = "cke-append-partial",
	                                               .msg = TLS_HS_CLIENT_KEY_EXCHANGE,
	                                               .op = RW_APPEND_HS,
	                                               .data = partial_finished,
	                                               .len = sizeof partial_finished};

	/* base transcript, named mutation, rewritten direction, rule, side */
	static const struct {
		const char *base, *mutation;
		int dir;
		const char *rule;
		int side;
	} named_cases[] = {
	        {"tls13", "sh-ext-unoffered", 1, "sh-ext-unoffered", 1},
	        {"tls12", "sh-ext-unoffered", 1, "sh-ext-unoffered", 1},
	        {"hrr", "hrr-ext-unoffered", 1, "hrr-ext-unoffered", 1},
	        {"tls13", "sh-ext-sni-in-sh", 1, "sh13-ext-misplaced", 1},
	        {"tls13", "ch-ext-dup-groups", 0, "ch-ext-duplicate", 0},
	        {"tls12", "sh-ext-dup-first", 1, "sh-ext-duplicate", 1},
	        {"hrr", "hrr-ext-dup-first", 1, "hrr-ext-duplicate", 1},
	        {"tls13", "ch-len-groups-inner-minus1", 0, "hello-ext-syntax", 0},
	        {"tls13", "sh-sv-3-bytes", 1, "hello-ext-syntax", 1},
	        {"tls13", "sh-legacy-version-0304", 1, "sh13-legacy-version", 1},
	        {"tls13", "sh-sid-changed", 1, "sh13-session-id-echo", 1},
	        {"tls13", "sh-compression-1", 1, "sh13-compression", 1},
	        {"tls13", "sh-version-0305", 1, "sh-version-unoffered", 1},
	        {"tls12", "sh-sv-0303", 1, "sh12-supported-versions", 1},
	        {"tls13", "sh-cipher-unoffered", 1, "sh-cipher-unoffered", 1},
	        {"tls12", "sh-cipher-unoffered", 1, "sh-cipher-unoffered", 1},
	        {"tls12", "sh-compression-1", 1, "sh-compression-unoffered", 1},
	        {"tls13", "ch-legacy-version-0304", 0, "ch13-legacy-version", 0},
	        {"tls13", "ch-compression-deflate", 0, "ch13-compression", 0},
	        {"tls13", "ch-drop-sigalgs", 0, "ch13-mandatory-ext", 0},
	        {"tls13", "ch-psk-first", 0, "ch13-psk-last", 0},
	        {"tls13", "ch-psk-no-modes", 0, "ch13-psk-modes", 0},
	        {"tls13", "ch-key-share-unlisted", 0, "ch-key-share-unlisted", 0},
	        {"tls13", "ch-key-share-order", 0, "ch-key-share-order", 0},
	        {"tls13", "ch-key-share-dup", 0, "ch-key-share-duplicate", 0},
	        {"tls13", "sh-key-share-p256", 1, "sh-key-share-group", 1},
	        {"hrr", "hrr-key-share-x25519", 1, "hrr-key-share-group", 1},
	        {"hrr", "hrr-second", 1, "hrr-second", 1},
	        {"hrr", "ch2-key-share-dup", 0, "ch2-key-share", 0},
	        {"hrr", "ch2-drop-cookie", 0, "ch2-cookie", 0},
	        {"hrr", "ch2-new-random", 0, "ch2-unchanged", 0},
	        {"tls12", "ch-no-reneg-signal", 0, "ch-reneg-signal", 0},
	        {"tls12", "ch-reneg-not-empty", 0, "ch-reneg-not-empty", 0},
	        {"tls12", "sh-drop-reneg", 1, "sh12-reneg-missing", 1},
	        {"tls12", "sh-reneg-not-empty", 1, "sh12-reneg-not-empty", 1},
	        {"tls12", "ch-no-reneg-signal", 0, "sh12-reneg-unsolicited", 1},
	        {"tls12", "sh-ems-not-empty", 1, "ems-not-empty", 1},
	        {"tls12", "ch-ems-not-empty", 0, "ems-not-empty", 0},
	        {"tls13", "ch-sni-two-names", 0, "ch-sni-one-host-name", 0},
	        {"tls13", "ch-sni-trailing-dot", 0, "ch-sni-trailing-dot", 0},
	        {"tls13", "ch-sni-ip", 0, "ch-sni-ip-literal", 0},
	        {"tls12", "sh-sni-not-empty", 1, "sh-sni-not-empty", 1},
	        {"alpn12", "sh-alpn-two-names", 1, "sh12-alpn-one", 1},
	        {"alpn12", "sh-alpn-unoffered", 1, "sh12-alpn-unoffered", 1},
	        {"tls13", "ch-oversize", 0, "record-plaintext-overflow", 0},
	        {"tls12", "sh-oversize", 1, "record-plaintext-overflow", 1},
	        {"tls13", "zero-records", 0, "record-empty-fragment", 0},
	        {"tls12", "zero-records", 1, "record-empty-fragment", 1},
	        {"tls13", "ch-inject-unknown-type", 0, "record-unknown-type", 0},
	        {"tls13", "sh-inject-alert-after", 1, "record-outer-type", 1},
	        {"tls13", "sh-record-version-0301", 1, "record-version13", 1},
	        {"tls13", "sh-inject-ccs-2", 1, "record-ccs-value", 1},
	        {"tls13", "sh-inject-alert-3-bytes", 1, "record-alert13-form", 1},
	        {"tls13", "sh-split-ccs-inside", 1, "record-hs-interleaved", 1},
	        {"tls12", "ch-split-alert-inside", 0, "record-hs-interleaved", 0},
	        {"tls13", "sh-append-hs", 1, "record-hs-key-change", 1},
	        {"tls12", "sh-legacy-version-0304", 1, "sh12-version-above-client", 1},
	        {"tls12", "ch-legacy-version-0302", 0, "sh12-version-above-client", 1},
	        {"hrr", "hrr-drop-supported-versions", 1, "hrr-supported-versions", 1},
	        {"hrr", "hrr-no-change", 1, "hrr-no-change", 1},
	        {"tls12", "ch-compression-deflate-only", 0, "ch-compression-null", 0},
	        {"tls13", "ch-sid-33", 0, "hello-session-id-length", 0},
	        {"tls12", "sh-sid-33", 1, "hello-session-id-length", 1},
	};
	for (size_t i = 0; i < sizeof named_cases / sizeof named_cases[0]; i++)
		named_case(named_cases[i].base, named_cases[i].mutation, named_cases[i].dir,
		           named_cases[i].rule, named_cases[i].side);
	rule_case("hrr", &sh_cipher_1301, 1, "sh-hrr-consistent", 1);
	rule_case("tls12", &ch_drop_ems, 0, "sh12-ems-unoffered", 1);
	appended_record_case("tls13", 1, 23, 16384 + 257, "record-ciphertext-overflow");
	appended_record_case("tls12", 0, 23, 16384 + 2049, "record-ciphertext-overflow");
	rule_case("tls12", &cke_partial, 0, "record-hs-key-change", 0);

	/* Every rule has been proven by one of the cases above. */
	size_t unproven = 0;
	for (size_t i = 0; i < oracle_n_rules; i++)
		if (!rules_proven[i]) {
			printf("#   rule %s has no case\n", oracle_rules[i].id);
			unproven++;
		}
	OK(unproven == 0, "every one of the %zu rules is proven by a case", oracle_n_rules);
	/* Rule lookups. */
	OK(oracle_rule("sh-ext-unoffered") && !oracle_rule("no-such-rule"), "oracle_rule lookup");
}

int main(void)
{
	rule_tests();
	struct wire w;
	struct bytes ch = {0}, sh = {0};
	client_hello(&ch, "server.tlsh.test");
	server_hello(&sh, 0x0304, 0);
	oracle_parse(&w, ch.data, ch.len, sh.data, sh.len);
	OK(w.ch.present, "ClientHello found");
	OK(w.ch.has_sni && !strcmp(w.ch.sni, "server.tlsh.test"), "SNI parsed");
	OK(w.ch.has_alpn && w.ch.alpn_len == 12 && !memcmp(w.ch.alpn + 1, "h2", 2),
	   "ALPN list parsed");
	OK(w.ch.has_versions && w.ch.n_versions == 2 && w.ch.versions[0] == 0x0304,
	   "supported_versions parsed");
	OK(w.ch.n_ciphers == 2 && w.ch.ciphers[1] == 0xc02f, "cipher suites parsed");
	OK(w.sh.present && w.version == 0x0304 && w.sh.cipher == 0x1301,
	   "ServerHello selects TLS 1.3 via supported_versions");
	OK(!oracle_downgrade_sentinel(&w), "no downgrade sentinel");
	OK(!w.malformed[0][0] && !w.malformed[1][0], "no malformed notes on good input");

	/* TLS 1.2 with the downgrade sentinel, and a plaintext alert after. */
	bytes_reset(&sh);
	server_hello(&sh, 0x0303, 1);
	uint8_t alert[] = {21, 3, 3, 0, 2, 2, 70};
	bytes_append(&sh, alert, sizeof alert);
	oracle_parse(&w, ch.data, ch.len, sh.data, sh.len);
	OK(w.version == 0x0303, "TLS 1.2 from legacy_version");
	OK(oracle_downgrade_sentinel(&w), "downgrade sentinel seen");
	OK(oracle_first_alert(&w, 1) == 70 && oracle_first_alert(&w, 0) == -1,
	   "plaintext alert protocol_version from the server");

	/* HelloRetryRequest, compatibility CCS, then the real ServerHello: the
	 * CCS must not be taken for the start of encryption. */
	bytes_reset(&sh);
	server_hello(&sh, 0x0304, 2);
	uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
	bytes_append(&sh, ccs, sizeof ccs);
	server_hello(&sh, 0x0304, 0);
	oracle_parse(&w, ch.data, ch.len, sh.data, sh.len);
	OK(w.saw_hrr && w.sh.present && !w.sh.hello_retry && w.version == 0x0304,
	   "HelloRetryRequest + CCS + ServerHello: the real ServerHello is parsed");

	/* No SNI. */
	bytes_reset(&ch);
	client_hello(&ch, NULL);
	oracle_parse(&w, ch.data, ch.len, NULL, 0);
	OK(w.ch.present && !w.ch.has_sni, "ClientHello without SNI");

	/* Malformed: every truncation of a ClientHello record. */
	bytes_reset(&ch);
	client_hello(&ch, "server.tlsh.test");
	int crashed = 0;
	for (size_t cut = 0; cut < ch.len; cut++) {
		oracle_parse(&w, ch.data, cut, NULL, 0);
		if (w.ch.present)
			crashed = 1; /* a partial record must not yield a hello */
	}
	OK(!crashed, "no ClientHello from any truncated record");

	/* Malformed: a record claiming a huge length, an unknown type, bad
	 * extension lengths inside the hello. */
	uint8_t huge[] = {22, 3, 3, 0xff, 0xff, 1, 2, 3};
	oracle_parse(&w, huge, sizeof huge, NULL, 0);
	OK(w.malformed[0][0] != 0, "oversized record noted: %s", w.malformed[0]);
	uint8_t unknown[] = {99, 3, 3, 0, 1, 0};
	oracle_parse(&w, unknown, sizeof unknown, NULL, 0);
	OK(strstr(w.malformed[0], "content type") != NULL, "unknown content type noted");
	struct bytes bad = {0};
	bytes_append(&bad, ch.data, ch.len);
	/* Corrupt the extensions length (bytes after compression methods). */
	size_t ext_len_off = 5 + 4 + 2 + 32 + 1 + 2 + 4 + 2;
	bad.data[ext_len_off] = 0xff;
	oracle_parse(&w, bad.data, bad.len, NULL, 0);
	OK(!w.ch.present && w.malformed[0][0], "bad extensions length: %s", w.malformed[0]);
	uint8_t odd_alert[] = {21, 3, 3, 0, 3, 2, 40, 0};
	oracle_parse(&w, NULL, 0, odd_alert, sizeof odd_alert);
	OK(w.n_alerts == 0 && w.malformed[1][0], "alert record of length 3 noted");

	/* Garbage: random bytes and random mutations of a valid hello. */
	struct rng r = {42};
	uint8_t buf[2048];
	for (int i = 0; i < 20000; i++) {
		size_t n = rng_range(&r, 0, sizeof buf);
		if (i % 2) {
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rng_next(&r);
		} else {
			n = ch.len;
			memcpy(buf, ch.data, n);
			for (int k = 0; k < 4; k++)
				buf[rng_range(&r, 0, n - 1)] = (uint8_t)rng_next(&r);
		}
		oracle_parse(&w, buf, n, buf, n);
	}
	OK(1, "20000 random and mutated inputs parsed without a crash");
	bytes_free(&ch);
	bytes_free(&sh);
	bytes_free(&bad);
	return t_done();
}
