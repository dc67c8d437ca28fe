/* Unit tests of the wire oracle: well-formed hellos, malformed records and
 * random garbage (which must never crash; run under ASan too). */
#include <stdint.h>

#include "oracle.h"
#include "t.h"
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

int main(void)
{
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
