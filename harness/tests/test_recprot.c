/* Unit tests of the record protection (recprot.c):
 *   - RFC 8448 section 3: key schedule steps, traffic keys and IVs, and every
 *     protected record of the trace opened and sealed again to the same bytes;
 *   - real OpenSSL transcripts with their key logs (recprot/, made by
 *     recprot/gen_recprot.c), one per suite kind: every protected record
 *     opens, the Finished and application data are what was sent, sealing
 *     again gives the same bytes, KeyUpdates are followed, and one-bit
 *     changes of tag, ciphertext, MAC and padding are detected and told apart;
 *   - sealing options (padding, explicit IV, oversize, broken MAC/padding);
 *   - the key-log parser and the suite table;
 *   - untrusted input: truncated and random records, random key-log text.
 *
 *     test_recprot FIXTURE_DIR */
#include <stdarg.h>

#include "oracle.h"
#include "recprot.h"
#include "recprot/rfc8448.h"
#include "t.h"
#include "util.h"

#define RP_BLOCK 16 /* AES block */

/* ---- helpers ---------------------------------------------------------------- */

/* Hex test data (whitespace ignored) to bytes; bad data ends the test. */
static struct bytes hexb(const char *s)
{
	struct bytes b = {0};
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (*s == ' ' || *s == '\n' || *s == '\t')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			v = -1;
		if (v < 0) {
			printf("Bail out! bad hex test data near \"%.20s\"\n", s);
			exit(1);
		}
		if (hi < 0) {
			hi = v;
		} else {
			uint8_t c = (uint8_t)(hi << 4 | v);
			bytes_append(&b, &c, 1);
			hi = -1;
		}
	}
	if (hi >= 0) {
		printf("Bail out! odd number of hex digits in test data\n");
		exit(1);
	}
	return b;
}

static int eqhex(const uint8_t *p, size_t n, const char *hex)
{
	struct bytes b = hexb(hex);
	int r = b.len == n && (n == 0 || memcmp(b.data, p, n) == 0);
	bytes_free(&b);
	return r;
}

static int eqb(const struct bytes *a, const uint8_t *p, size_t n)
{
	return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0);
}

static void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("#   ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* ---- hashes, HMAC, PRF ------------------------------------------------------- */

static void test_primitives(void)
{
	uint8_t out[100];
	rp_hash(RP_SHA1, (const uint8_t *)"abc", 3, out);
	OK(eqhex(out, 20, "a9993e364706816aba3e25717850c26c9cd0d89d"),
	   "SHA-1(\"abc\") (FIPS 180-2)");
	rp_hash(RP_SHA256, (const uint8_t *)"", 0, out);
	OK(eqhex(out, 32, R_EMPTY_HASH), "SHA-256(\"\") (RFC 8448 3, the empty hash)");
	rp_hash(RP_SHA384, (const uint8_t *)"abc", 3, out);
	OK(eqhex(out, 48,
	         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc23"
	         "58baeca134c825a7"),
	   "SHA-384(\"abc\") (FIPS 180-2)");

	const uint8_t *key = (const uint8_t *)"Jefe";
	const uint8_t *msg = (const uint8_t *)"what do ya want for nothing?";
	rp_hmac(RP_SHA1, key, 4, msg, 28, out);
	OK(eqhex(out, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
	   "HMAC-SHA1 (RFC 2202 case 2)");
	rp_hmac(RP_SHA256, key, 4, msg, 28, out);
	OK(eqhex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	   "HMAC-SHA256 (RFC 4231 case 2)");
	rp_hmac(RP_SHA384, key, 4, msg, 28, out);
	OK(eqhex(out, 48,
	         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c7"
	         "8b3239ecfab21649"),
	   "HMAC-SHA384 (RFC 4231 case 2)");

	/* The TLS 1.2 PRF (SHA-256) vector published on the IETF TLS list. */
	struct bytes sec = hexb("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
	struct bytes seed = hexb("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
	OK(rp_tls12_prf(RP_SHA256, sec.data, sec.len, "test label", seed.data, seed.len, out,
	                100) == RP_OK &&
	           eqhex(out, 100,
	                 "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 "
	                 "32 9b 52 d4 e6 1e db 5a 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af "
	                 "0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab 4f bc 91 66 6e 9d ef 9b "
	                 "97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01 "
	                 "87 34 7b 66"),
	   "TLS 1.2 PRF-SHA256, 100 bytes (IETF TLS WG vector)");
	bytes_free(&sec);
	bytes_free(&seed);
}

/* ---- RFC 8448 section 3 ------------------------------------------------------- */

static int expand_is(const char *secret, const char *label, const char *ctx, size_t n,
                     const char *want)
{
	struct bytes s = hexb(secret), c = hexb(ctx ? ctx : "");
	uint8_t out[64];
	int r = rp_hkdf_expand_label(RP_SHA256, s.data, s.len, label, c.data, c.len, out, n);
	int ok = r == RP_OK && eqhex(out, n, want);
	bytes_free(&s);
	bytes_free(&c);
	return ok;
}

static int keys_are(const char *secret, enum rp_epoch epoch, const char *key, const char *iv)
{
	struct bytes s = hexb(secret);
	struct rp_dir d;
	int ok = rp13_init(&d, 0x1301, s.data, s.len, epoch) == RP_OK && eqhex(d.key, 16, key) &&
	         eqhex(d.iv, 12, iv) && d.seq == 0 && d.epoch == epoch && d.generation == 0;
	bytes_free(&s);
	return ok;
}

/* Opens an RFC record at seq, checks its content and type, seals it again
 * from the same state, and checks that it does not open at seq + 1. */
static void rfc_record(const char *what, const char *secret, enum rp_epoch epoch, uint64_t seq,
                       const char *record, uint8_t type, const struct bytes *content)
{
	struct bytes s = hexb(secret), rec = hexb(record), got = {0}, again = {0};
	struct rp_dir d, d2, d3;
	struct rp_opened info;
	rp13_init(&d, 0x1301, s.data, s.len, epoch);
	d.seq = seq;
	d2 = d3 = d;
	int r = rp_open(&d, rec.data, rec.len, &got, &info);
	OK(r == RP_OK && info.type == type && info.padding == 0 && info.outer_type == 23 &&
	           info.seq == seq && d.seq == seq + 1 && eqb(&got, content->data, content->len),
	   "RFC 8448 3: %s opens at seq %llu to its %zu-byte payload (type %u)", what,
	   (unsigned long long)seq, content->len, type);
	if (r != RP_OK)
		diag("rp_open: %s", rp_strerror(r));
	r = rp_seal(&d2, type, content->data, content->len, NULL, &again);
	OK(r == RP_OK && eqb(&again, rec.data, rec.len) && d2.seq == seq + 1,
	   "RFC 8448 3: %s sealed again is the RFC's %zu bytes", what, rec.len);
	d3.seq = seq + 1;
	OK(rp_open(&d3, rec.data, rec.len, &got, NULL) == RP_E_TAG && d3.seq == seq + 1,
	   "RFC 8448 3: %s does not open at seq %llu (nonce uses the sequence)", what,
	   (unsigned long long)seq + 1);
	bytes_free(&s);
	bytes_free(&rec);
	bytes_free(&got);
	bytes_free(&again);
}

static void test_rfc8448(void)
{
	uint8_t out[48];
	struct bytes zero = hexb("00000000000000000000000000000000"
	                         "00000000000000000000000000000000");
	rp_hkdf_extract(RP_SHA256, NULL, 0, zero.data, zero.len, out);
	OK(eqhex(out, 32, R_EARLY), "RFC 8448 3: extract secret \"early\"");
	OK(expand_is(R_EARLY, "derived", R_EMPTY_HASH, 32, R_DERIVED),
	   "RFC 8448 3: derive secret for handshake \"tls13 derived\"");
	struct bytes salt = hexb(R_DERIVED), ikm = hexb(R_ECDHE);
	rp_hkdf_extract(RP_SHA256, salt.data, salt.len, ikm.data, ikm.len, out);
	OK(eqhex(out, 32, R_HS), "RFC 8448 3: extract secret \"handshake\"");
	OK(expand_is(R_HS, "c hs traffic", R_HS_HASH, 32, R_C_HS),
	   "RFC 8448 3: derive secret \"tls13 c hs traffic\"");
	OK(expand_is(R_HS, "s hs traffic", R_HS_HASH, 32, R_S_HS),
	   "RFC 8448 3: derive secret \"tls13 s hs traffic\"");
	OK(expand_is(R_MASTER, "c ap traffic", R_AP_HASH, 32, R_C_AP),
	   "RFC 8448 3: derive secret \"tls13 c ap traffic\"");
	OK(expand_is(R_MASTER, "s ap traffic", R_AP_HASH, 32, R_S_AP),
	   "RFC 8448 3: derive secret \"tls13 s ap traffic\"");
	OK(expand_is(R_MASTER, "exp master", R_AP_HASH, 32, R_EXP),
	   "RFC 8448 3: derive secret \"tls13 exp master\"");
	OK(expand_is(R_S_HS, "finished", NULL, 32, R_S_FIN_KEY),
	   "RFC 8448 3: {server} finished key");
	OK(!expand_is(R_S_HS, "finishe", NULL, 32, R_S_FIN_KEY) &&
	           !expand_is(R_S_HS, "finished", "00", 32, R_S_FIN_KEY),
	   "RFC 8448 3: another label or context gives another finished key");

	OK(keys_are(R_S_HS, RP_EPOCH_HANDSHAKE, R_S_HS_KEY, R_S_HS_IV),
	   "RFC 8448 3: server handshake traffic key and iv");
	OK(keys_are(R_C_HS, RP_EPOCH_HANDSHAKE, R_C_HS_KEY, R_C_HS_IV),
	   "RFC 8448 3: client handshake traffic key and iv");
	OK(keys_are(R_S_AP, RP_EPOCH_APPLICATION, R_S_AP_KEY, R_S_AP_IV),
	   "RFC 8448 3: server application traffic key and iv");
	OK(keys_are(R_C_AP, RP_EPOCH_APPLICATION, R_C_AP_KEY, R_C_AP_IV),
	   "RFC 8448 3: client application traffic key and iv");

	struct bytes flight = hexb(R_EE R_CERT R_CV R_S_FIN);
	OK(flight.len == 657, "RFC 8448 3: the server flight payload is 657 octets (test data)");
	rfc_record("server EncryptedExtensions..Finished", R_S_HS, RP_EPOCH_HANDSHAKE, 0,
	           R_S_HS_RECORD, 22, &flight);
	struct bytes cfin = hexb(R_C_FIN);
	rfc_record("client Finished", R_C_HS, RP_EPOCH_HANDSHAKE, 0, R_C_FIN_RECORD, 22, &cfin);
	struct bytes nst = hexb(R_NST);
	rfc_record("server NewSessionTicket", R_S_AP, RP_EPOCH_APPLICATION, 0, R_NST_RECORD, 22,
	           &nst);
	struct bytes app = {0};
	for (uint8_t i = 0; i < 50; i++)
		bytes_append(&app, &i, 1);
	rfc_record("client application data", R_C_AP, RP_EPOCH_APPLICATION, 0, R_C_APP_RECORD, 23,
	           &app);
	rfc_record("server application data", R_S_AP, RP_EPOCH_APPLICATION, 1, R_S_APP_RECORD, 23,
	           &app);
	struct bytes alert = hexb("01 00");
	rfc_record("client close_notify", R_C_AP, RP_EPOCH_APPLICATION, 1, R_C_ALERT_RECORD, 21,
	           &alert);
	rfc_record("server close_notify", R_S_AP, RP_EPOCH_APPLICATION, 2, R_S_ALERT_RECORD, 21,
	           &alert);

	/* The same record under the other direction's key does not open. */
	struct bytes s = hexb(R_S_AP), rec = hexb(R_C_APP_RECORD), got = {0};
	struct rp_dir d;
	rp13_init(&d, 0x1301, s.data, s.len, RP_EPOCH_APPLICATION);
	OK(rp_open(&d, rec.data, rec.len, &got, NULL) == RP_E_TAG && d.seq == 0,
	   "RFC 8448 3: the client's record does not open under the server's key");

	bytes_free(&s);
	bytes_free(&rec);
	bytes_free(&got);
	bytes_free(&zero);
	bytes_free(&salt);
	bytes_free(&ikm);
	bytes_free(&flight);
	bytes_free(&cfin);
	bytes_free(&nst);
	bytes_free(&app);
	bytes_free(&alert);
}

/* ---- OpenSSL fixtures ------------------------------------------------------ */

#define MAX_KU 8

struct fixture {
	const char *name;
	struct bytes wire[2]; /* 0: client->server, 1: server->client */
	struct bytes keylog_text;
	struct rp_keylog kl;
	uint16_t version, suite;
	int etm;
	struct bytes fin[2]; /* client's, server's Finished verify_data */
	struct bytes app[2]; /* application data each side sent */
	int ku[2][MAX_KU];   /* request_update of each KeyUpdate sent */
	size_t nku[2];
};

static void fixture_free(struct fixture *f)
{
	for (int i = 0; i < 2; i++) {
		bytes_free(&f->wire[i]);
		bytes_free(&f->fin[i]);
		bytes_free(&f->app[i]);
	}
	bytes_free(&f->keylog_text);
	rp_keylog_free(&f->kl);
}

static int load_meta(struct fixture *f, const struct bytes *m)
{
	char *text = xmalloc(m->len + 1);
	memcpy(text, m->data, m->len);
	text[m->len] = '\0';
	int ok = 1;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[32], a[16];
		const char *val;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%31s", key) != 1)
			continue;
		val = line + strlen(key);
		while (*val == ' ')
			val++;
		if (strcmp(key, "version") == 0) {
			f->version = (uint16_t)strtoul(val, NULL, 16);
		} else if (strcmp(key, "suite") == 0) {
			f->suite = (uint16_t)strtoul(val, NULL, 16);
		} else if (strcmp(key, "etm") == 0) {
			f->etm = atoi(val);
		} else if (strcmp(key, "client_finished") == 0 ||
		           strcmp(key, "server_finished") == 0) {
			struct bytes b = hexb(val);
			bytes_append(&f->fin[key[0] == 's'], b.data, b.len);
			bytes_free(&b);
		} else if (strcmp(key, "c2s") == 0 || strcmp(key, "s2c") == 0) {
			struct bytes b = hexb(val);
			bytes_append(&f->app[key[0] == 's'], b.data, b.len);
			bytes_free(&b);
		} else if (strcmp(key, "keyupdate") == 0) {
			int v, d;
			if (sscanf(val, "%15s %d", a, &v) != 2)
				ok = 0;
			d = strcmp(a, "s2c") == 0;
			if (ok && f->nku[d] < MAX_KU)
				f->ku[d][f->nku[d]++] = v;
		} else {
			ok = 0;
		}
	}
	free(text);
	return ok && f->version && f->suite;
}

static int load_fixture(const char *dir, const char *name, struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->name = name;
	char *p;
	struct bytes tr = {0}, meta = {0};
	int ok = 1;
	p = xasprintf("%s/%s.tlstr", dir, name);
	ok = ok && read_file(p, &tr) == 0;
	free(p);
	p = xasprintf("%s/%s.keylog", dir, name);
	ok = ok && read_file(p, &f->keylog_text) == 0;
	free(p);
	p = xasprintf("%s/%s.meta", dir, name);
	ok = ok && read_file(p, &meta) == 0;
	free(p);
	char err[200] = "";
	if (ok && rp_keylog_parse(&f->kl, (const char *)f->keylog_text.data, f->keylog_text.len,
	                          err, sizeof err) != RP_OK) {
		diag("%s", err);
		ok = 0;
	}
	ok = ok && load_meta(f, &meta);
	/* TLSHTR01: direction byte, 32-bit big-endian length, bytes */
	if (ok && (tr.len < 8 || memcmp(tr.data, "TLSHTR01", 8) != 0))
		ok = 0;
	for (size_t off = 8; ok && off < tr.len;) {
		if (tr.len - off < 5 || tr.data[off] > 1) {
			ok = 0;
			break;
		}
		size_t n = (size_t)tr.data[off + 1] << 24 | (size_t)tr.data[off + 2] << 16 |
		           (size_t)tr.data[off + 3] << 8 | tr.data[off + 4];
		if (n > tr.len - off - 5) {
			ok = 0;
			break;
		}
		bytes_append(&f->wire[tr.data[off]], tr.data + off + 5, n);
		off += 5 + n;
	}
	bytes_free(&tr);
	bytes_free(&meta);
	return ok;
}

/* The n-th (0-based) secret with this label in the raw key log, in order
 * (OpenSSL logs CLIENT/SERVER_TRAFFIC_SECRET_N at each key update; the
 * keyed store keeps only the last one). */
static int keylog_nth(const struct fixture *f, const char *label, size_t nth, struct rp_secret *out)
{
	const char *t = (const char *)f->keylog_text.data;
	size_t len = f->keylog_text.len, seen = 0;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(t + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (t + off)) : len - off;
		struct rp_keylog one = {0};
		if (rp_keylog_parse(&one, t + off, n, NULL, 0) == RP_OK && one.n == 1 &&
		    strcmp(one.v[0].label, label) == 0 && seen++ == nth) {
			*out = one.v[0];
			rp_keylog_free(&one);
			return 1;
		}
		rp_keylog_free(&one);
		off += n + 1;
	}
	return 0;
}

/* One-bit changes of a record that opened with state `before`: each must
 * fail with the right status and leave the sequence number alone. */
struct tally {
	size_t n, ok;
};

static void expect_fail(struct tally *t, const struct rp_dir *before, const struct bytes *rec,
                        size_t at, uint8_t mask, uint64_t seq_delta, int want, const char *what)
{
	struct rp_dir d = *before;
	struct bytes m = {0}, got = {0};
	bytes_append(&m, rec->data, rec->len);
	if (at < m.len)
		m.data[at] ^= mask;
	d.seq += seq_delta;
	int r = rp_open(&d, m.data, m.len, &got, NULL);
	t->n++;
	if (r == want && d.seq == before->seq + seq_delta)
		t->ok++;
	else
		diag("%s gave \"%s\", expected \"%s\"", what, rp_strerror(r), rp_strerror(want));
	bytes_free(&m);
	bytes_free(&got);
}

static void tamper(struct tally *t, const struct rp_dir *before, const struct bytes *rec,
                   const struct rp_opened *info)
{
	const struct rp_suite *s = before->suite;
	size_t len = rec->len;
	if (s->cipher != RP_AES_CBC) {
		expect_fail(t, before, rec, len - 1, 0x01, 0, RP_E_TAG, "tag bit");
		expect_fail(t, before, rec, RP_HEADER_LEN + s->record_iv_len, 0x80, 0, RP_E_TAG,
		            "ciphertext bit");
		expect_fail(t, before, rec, 0, 0x02, 0, RP_E_TAG, "header type bit");
		expect_fail(t, before, rec, 2, 0x01, 0, RP_E_TAG, "header version bit");
		if (s->record_iv_len)
			expect_fail(t, before, rec, RP_HEADER_LEN, 0x01, 0, RP_E_TAG,
			            "explicit nonce bit");
		expect_fail(t, before, rec, len, 0, 1, RP_E_TAG, "next sequence number");
		return;
	}
	size_t ml = s->mac_len;
	size_t iv = RP_HEADER_LEN; /* the explicit IV */
	size_t ct = iv + RP_BLOCK; /* first ciphertext block */
	size_t ct_end = before->etm ? len - ml : len;
	size_t prev = ct_end - 2 * RP_BLOCK; /* block before the last: IV if one block */
	if (before->etm) {
		expect_fail(t, before, rec, len - 1, 0x01, 0, RP_E_MAC, "MAC bit (EtM)");
		expect_fail(t, before, rec, ct, 0x01, 0, RP_E_MAC, "ciphertext bit (EtM)");
		expect_fail(t, before, rec, iv, 0x01, 0, RP_E_MAC, "IV bit (EtM)");
		expect_fail(t, before, rec, ct_end - 1, 0x01, 0, RP_E_MAC,
		            "last ciphertext bit (EtM: MAC before padding)");
		expect_fail(t, before, rec, 1, 0x01, 0, RP_E_MAC, "header version bit (EtM)");
		expect_fail(t, before, rec, len, 0, 1, RP_E_MAC, "next sequence number (EtM)");
		return;
	}
	/* MAC-then-encrypt: a bit of block i-1 flips the same bit of
	 * plaintext block i. */
	size_t p = info->padding;
	if (p >= 1)
		expect_fail(t, before, rec, prev + 14, 0x01, 0, RP_E_PADDING,
		            "padding byte bit (MtE)");
	else
		expect_fail(t, before, rec, prev + 15, 0x80, 0, RP_E_PADDING,
		            "padding length bit (MtE)");
	/* The last MAC byte is plaintext byte blocks - p - 2, flipped through
	 * the byte 16 before it (the IV precedes the first block). */
	expect_fail(t, before, rec, iv + (ct_end - ct) - p - 2, 0x01, 0, RP_E_MAC,
	            "last MAC byte bit (MtE)");
	expect_fail(t, before, rec, iv, 0x01, 0, RP_E_MAC, "IV bit: first content byte (MtE)");
	expect_fail(t, before, rec, 0, 0x01, 0, RP_E_MAC, "header type bit (MtE)");
	expect_fail(t, before, rec, len, 0, 1, RP_E_MAC, "next sequence number (MtE)");
}

/* Every shorter fragment of a record, with a header that says so, is
 * refused without a read past it (ASan) and never opens. */
static int truncations_refused(const struct rp_dir *before, const struct bytes *rec)
{
	int ok = 1;
	struct bytes got = {0};
	size_t frag = rec->len - RP_HEADER_LEN;
	for (size_t n = 0; n < frag; n++) {
		uint8_t *m = xmalloc(RP_HEADER_LEN + n);
		memcpy(m, rec->data, RP_HEADER_LEN + n);
		m[3] = (uint8_t)(n >> 8);
		m[4] = (uint8_t)n;
		struct rp_dir d = *before;
		int r = rp_open(&d, m, RP_HEADER_LEN + n, &got, NULL);
		if (r == RP_OK || d.seq != before->seq) {
			diag("a %zu-byte fragment of a %zu-byte one gave %s", n, frag,
			     rp_strerror(r));
			ok = 0;
		}
		/* The header length lying about the buffer: malformed. */
		d = *before;
		if (rp_open(&d, rec->data, rec->len - 1 - (n % 3), &got, NULL) != RP_E_MALFORMED)
			ok = 0;
		free(m);
	}
	bytes_free(&got);
	return ok;
}

struct side {
	struct rp_dir st;
	int on;           /* records are protected from here on */
	struct bytes hs;  /* handshake bytes not yet a whole message */
	struct bytes app; /* application data opened */
	size_t n_rec, n_open_fail, n_reseal_fail, n_fin_ok, n_fin, n_nst, n_ku;
	int ku_ok, ku_secret_ok;
	int closed;      /* close_notify opened */
	int after_close; /* records after close_notify */
	int trunc_ok;
	struct tally tam;
};

static void handshake_messages(struct fixture *f, int dir, struct side *sd,
                               const struct rp_secret *ap0)
{
	while (sd->hs.len >= 4) {
		const uint8_t *m = sd->hs.data;
		size_t n = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
		if (sd->hs.len < 4 + n)
			break;
		if (m[0] == 20) {
			sd->n_fin++;
			if (eqb(&f->fin[dir], m + 4, n))
				sd->n_fin_ok++;
			if (f->version == RP_TLS13 && ap0)
				rp13_init(&sd->st, f->suite, ap0->secret, ap0->len,
				          RP_EPOCH_APPLICATION);
		} else if (m[0] == 4) {
			sd->n_nst++;
		} else if (m[0] == 24) {
			size_t k = sd->n_ku++;
			if (n != 1 || k >= f->nku[dir] || m[4] != f->ku[dir][k])
				sd->ku_ok = 0;
			unsigned gen = sd->st.generation;
			rp13_key_update(&sd->st);
			struct rp_secret want;
			if (sd->st.generation != gen + 1 ||
			    !keylog_nth(f,
			                dir ? "SERVER_TRAFFIC_SECRET_N" : "CLIENT_TRAFFIC_SECRET_N",
			                k, &want) ||
			    want.len != sd->st.secret_len ||
			    memcmp(want.secret, sd->st.secret, want.len) != 0)
				sd->ku_secret_ok = 0;
		}
		memmove(sd->hs.data, sd->hs.data + 4 + n, sd->hs.len - 4 - n);
		sd->hs.len -= 4 + n;
	}
}

static void protected_record(struct fixture *f, int dir, struct side *sd, const struct bytes *rec,
                             const struct rp_secret *ap0)
{
	struct rp_dir before = sd->st;
	struct rp_opened info;
	struct bytes content = {0}, again = {0};
	sd->n_rec++;
	if (sd->closed)
		sd->after_close++;
	int r = rp_open(&sd->st, rec->data, rec->len, &content, &info);
	if (r != RP_OK) {
		diag("%s %s record %zu (%zu bytes, seq %llu): %s", f->name, dir ? "s2c" : "c2s",
		     sd->n_rec, rec->len, (unsigned long long)before.seq, rp_strerror(r));
		sd->n_open_fail++;
		bytes_free(&content);
		return;
	}
	struct rp_dir re = before;
	struct rp_seal_opts o;
	rp_seal_opts_default(&o);
	o.padding = (f->version == RP_TLS13 || before.suite->cipher == RP_AES_CBC)
	                    ? (long)info.padding
	                    : -1;
	o.explicit_iv = info.explicit_iv_len ? info.explicit_iv : NULL;
	if (rp_seal(&re, info.type, content.data, content.len, &o, &again) != RP_OK ||
	    !eqb(&again, rec->data, rec->len) || re.seq != sd->st.seq) {
		diag("%s %s record %zu: sealed again differs", f->name, dir ? "s2c" : "c2s",
		     sd->n_rec);
		sd->n_reseal_fail++;
	}
	tamper(&sd->tam, &before, rec, &info);
	if (sd->n_rec <= 3 && !truncations_refused(&before, rec))
		sd->trunc_ok = 0;
	if (info.type == 22) {
		bytes_append(&sd->hs, content.data, content.len);
		handshake_messages(f, dir, sd, ap0);
	} else if (info.type == 23) {
		bytes_append(&sd->app, content.data, content.len);
	} else if (info.type == 21 && content.len == 2 && content.data[1] == 0) {
		sd->closed = 1;
	}
	bytes_free(&content);
	bytes_free(&again);
}

static void test_fixture(const char *dir_name, const char *name)
{
	struct fixture f;
	int loaded = load_fixture(dir_name, name, &f);
	OK(loaded, "%s: transcript, key log and meta load", name);
	if (!loaded) {
		fixture_free(&f);
		return;
	}
	struct wire w;
	oracle_parse(&w, f.wire[0].data, f.wire[0].len, f.wire[1].data, f.wire[1].len);
	OK(w.ch.present && w.sh.present && w.version == f.version && w.sh.cipher == f.suite &&
	           rp_can_protect(f.suite, f.version),
	   "%s: the wire's hellos negotiate %04x/%04x, a suite this module protects", name,
	   f.version, f.suite);

	const struct rp_secret *sec[2] = {NULL, NULL}, *ap0[2] = {NULL, NULL};
	struct rp_dir tls12[2];
	if (f.version == RP_TLS13) {
		sec[0] = rp_keylog_find(&f.kl, w.ch.random, RP_CLIENT_HS);
		sec[1] = rp_keylog_find(&f.kl, w.ch.random, RP_SERVER_HS);
		ap0[0] = rp_keylog_find(&f.kl, w.ch.random, RP_CLIENT_AP0);
		ap0[1] = rp_keylog_find(&f.kl, w.ch.random, RP_SERVER_AP0);
		OK(sec[0] && sec[1] && ap0[0] && ap0[1],
		   "%s: the key log has the four traffic secrets of this ClientHello.random", name);
	} else {
		const struct rp_secret *ms = rp_keylog_find(&f.kl, w.ch.random, RP_CLIENT_RANDOM);
		OK(ms && rp12_init(&tls12[0], &tls12[1], f.suite, ms->secret, ms->len, w.ch.random,
		                   w.sh.random, f.etm) == RP_OK,
		   "%s: key block from the logged master secret and the hello randoms", name);
		if (!ms) {
			fixture_free(&f);
			return;
		}
	}

	struct side sd[2];
	memset(sd, 0, sizeof sd);
	for (int d = 0; d < 2; d++) {
		struct side *s = &sd[d];
		s->ku_ok = s->ku_secret_ok = s->trunc_ok = 1;
		const uint8_t *p = f.wire[d].data;
		size_t len = f.wire[d].len, off = 0;
		while (off < len) {
			size_t rl = rp_record_len(p + off, len - off);
			if (rl == 0) {
				diag("%s: a partial record at the end of direction %d", name, d);
				s->n_open_fail++;
				break;
			}
			uint8_t type = p[off];
			struct bytes rec = {0};
			bytes_append(&rec, p + off, rl);
			off += rl;
			if (f.version == RP_TLS13) {
				if (!s->on && type == 23 && sec[d]) {
					rp13_init(&s->st, f.suite, sec[d]->secret, sec[d]->len,
					          RP_EPOCH_HANDSHAKE);
					s->on = 1;
				}
				if (s->on && type != 20) /* 20: middlebox-compatibility CCS */
					protected_record(&f, d, s, &rec, ap0[d]);
			} else if (!s->on) {
				if (type == 20) { /* ChangeCipherSpec: this direction's keys on */
					s->st = tls12[d];
					s->on = 1;
				}
			} else {
				protected_record(&f, d, s, &rec, NULL);
			}
			bytes_free(&rec);
		}
	}

	for (int d = 0; d < 2; d++) {
		const char *dn = d ? "server->client" : "client->server";
		struct side *s = &sd[d];
		OK(s->n_rec >= 3 && s->n_open_fail == 0, "%s %s: all %zu protected records open",
		   name, dn, s->n_rec);
		OK(s->n_rec > 0 && s->n_reseal_fail == 0,
		   "%s %s: each sealed again (same seq, explicit IV/nonce, padding) is the same "
		   "bytes",
		   name, dn);
		OK(s->n_fin == 1 && s->n_fin_ok == 1 && f.fin[d].len >= 12,
		   "%s %s: the Finished opened is the one OpenSSL sent", name, dn);
		OK(eqb(&s->app, f.app[d].data, f.app[d].len) && f.app[d].len > 0,
		   "%s %s: the application data opened is what was sent (%zu bytes)", name, dn,
		   f.app[d].len);
		OK(s->closed && s->after_close == 0, "%s %s: close_notify is the last record", name,
		   dn);
		OK(s->tam.n >= 5 * s->n_rec && s->tam.ok == s->tam.n,
		   "%s %s: %zu one-bit changes detected and classified", name, dn, s->tam.n);
		OK(s->trunc_ok, "%s %s: every truncation of the first records refused", name, dn);
		if (f.version == RP_TLS13) {
			OK(s->n_ku == f.nku[d] && s->ku_ok && s->ku_secret_ok &&
			           s->st.generation == f.nku[d],
			   "%s %s: %zu KeyUpdate(s) followed; each next secret is OpenSSL's", name,
			   dn, f.nku[d]);
		}
		bytes_free(&s->hs);
		bytes_free(&s->app);
	}
	if (f.version == RP_TLS13)
		OK(sd[1].n_nst >= 1, "%s: the server's NewSessionTicket opened", name);
	fixture_free(&f);
}

/* ---- sealing options --------------------------------------------------------- */

static void test_seal13(void)
{
	struct bytes s = hexb(R_C_AP), out = {0}, got = {0};
	struct rp_dir w, r;
	struct rp_opened info;
	struct rp_seal_opts o;
	rp13_init(&w, 0x1301, s.data, s.len, RP_EPOCH_APPLICATION);
	r = w;

	rp_seal_opts_default(&o);
	o.padding = 100;
	OK(rp_seal(&w, 23, (const uint8_t *)"hi", 2, &o, &out) == RP_OK &&
	           out.len == RP_HEADER_LEN + 2 + 1 + 100 + 16 &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.padding == 100 &&
	           info.type == 23 && eqb(&got, (const uint8_t *)"hi", 2),
	   "1.3 seal: 100 bytes of padding, opened as padding");

	uint8_t zeros[20] = {0};
	bytes_reset(&out);
	OK(rp13_seal_inner(&w, zeros, sizeof zeros, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_E_NO_TYPE &&
	           info.padding == 20 && r.seq == w.seq,
	   "1.3 seal: an inner plaintext of zeros only opens as \"no content type\"");
	bytes_reset(&out);
	OK(rp13_seal_inner(&w, NULL, 0, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_E_NO_TYPE && info.padding == 0,
	   "1.3 seal: an empty inner plaintext opens as \"no content type\"");

	size_t big = 16385;
	uint8_t *b = xcalloc(65536, 1);
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, 16384, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && !info.pt_overflow &&
	           !info.ct_overflow && got.len == 16384,
	   "1.3 seal: 2^14 bytes of content is within the limits");
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, big, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.pt_overflow &&
	           !info.ct_overflow && got.len == big,
	   "1.3 seal: 2^14 + 1 bytes of content is sealed and flagged as inner plaintext "
	   "overflow");
	rp_seal_opts_default(&o);
	o.padding = 239; /* encrypted_record = 2^14 + 1 + 239 + 16 = 2^14 + 256 */
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, 16384, &o, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.pt_overflow &&
	           !info.ct_overflow && info.padding == 239,
	   "1.3 seal: ciphertext of exactly 2^14 + 256 is not flagged");
	o.padding = 240;
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, 16384, &o, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.pt_overflow &&
	           info.ct_overflow,
	   "1.3 seal: ciphertext of 2^14 + 257 is flagged");
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, 65535 - 16 - 1, NULL, &out) == RP_OK &&
	           out.len == RP_HEADER_LEN + 65535 &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK,
	   "1.3 seal: the largest record (length 65535) seals and opens");
	uint64_t seq = w.seq;
	bytes_reset(&out);
	OK(rp_seal(&w, 23, b, 65535 - 16, NULL, &out) == RP_E_TOO_LONG && out.len == 0 &&
	           w.seq == seq,
	   "1.3 seal: one byte more is refused, nothing written, seq unchanged");
	o.padding = 70000;
	OK(rp_seal(&w, 23, b, 1, &o, &out) == RP_E_TOO_LONG, "1.3 seal: huge padding refused");
	free(b);

	rp_seal_opts_default(&o);
	o.outer_type = 22;
	o.outer_version = 0x0301;
	bytes_reset(&out);
	OK(rp_seal(&w, 21, (const uint8_t *)"\x02\x28", 2, &o, &out) == RP_OK &&
	           out.data[0] == 22 && out.data[1] == 3 && out.data[2] == 1 &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.outer_type == 22 &&
	           info.outer_version == 0x0301 && info.type == 21,
	   "1.3 seal: outer type and version as asked (authenticated as the header)");
	rp_seal_opts_default(&o);
	o.corrupt_mac = 1;
	bytes_reset(&out);
	seq = r.seq;
	OK(rp_seal(&w, 23, (const uint8_t *)"x", 1, &o, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_E_TAG && r.seq == seq,
	   "1.3 seal: corrupt_mac gives a record that fails its tag");

	/* Key update: both ends derive the same next generation. */
	struct rp_dir a = w, c = w;
	OK(rp13_key_update(&a) == RP_OK && rp13_key_update(&c) == RP_OK && a.generation == 1 &&
	           a.seq == 0 && memcmp(a.key, w.key, 16) != 0,
	   "1.3 key update: generation 1, seq 0, a new key");
	bytes_reset(&out);
	OK(rp_seal(&a, 23, (const uint8_t *)"after", 5, NULL, &out) == RP_OK &&
	           rp_open(&c, out.data, out.len, &got, NULL) == RP_OK,
	   "1.3 key update: sealed after the update, opened after the update");
	struct rp_dir stale = w;
	stale.seq = 0;
	OK(rp_open(&stale, out.data, out.len, &got, NULL) == RP_E_TAG,
	   "1.3 key update: the old generation's key does not open it");
	struct bytes hs = hexb(R_S_HS);
	struct rp_dir h;
	rp13_init(&h, 0x1301, hs.data, hs.len, RP_EPOCH_HANDSHAKE);
	OK(rp13_key_update(&h) == RP_E_ARG, "1.3 key update: refused for handshake traffic");

	bytes_free(&hs);
	bytes_free(&s);
	bytes_free(&out);
	bytes_free(&got);
}

static void seal12_suite(uint16_t id, int etm)
{
	uint8_t ms[48], cr[32], sr[32];
	for (int i = 0; i < 48; i++)
		ms[i] = (uint8_t)(i * 3);
	for (int i = 0; i < 32; i++) {
		cr[i] = (uint8_t)i;
		sr[i] = (uint8_t)(255 - i);
	}
	struct rp_dir cw, sw, r;
	OK(rp12_init(&cw, &sw, id, ms, 48, cr, sr, etm) == RP_OK, "1.2 %04x%s: keys", id,
	   etm ? " EtM" : "");
	r = cw;
	const struct rp_suite *s = cw.suite;
	struct bytes out = {0}, got = {0};
	struct rp_opened info;
	struct rp_seal_opts o;
	uint8_t iv[16];
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0xa0 + i);

	rp_seal_opts_default(&o);
	o.explicit_iv = iv;
	OK(rp_seal(&cw, 23, (const uint8_t *)"hello", 5, &o, &out) == RP_OK &&
	           (s->record_iv_len == 0 || memcmp(out.data + 5, iv, s->record_iv_len) == 0) &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK &&
	           eqb(&got, (const uint8_t *)"hello", 5) &&
	           info.explicit_iv_len == s->record_iv_len,
	   "1.2 %04x%s: the explicit IV/nonce given is on the wire and opens", id,
	   etm ? " EtM" : "");
	bytes_reset(&out);
	OK(rp_seal(&cw, 23, (const uint8_t *)"x", 1, NULL, &out) == RP_OK &&
	           (s->cipher != RP_AES_GCM || (out.data[5 + 7] == 1 && out.data[5] == 0)) &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK,
	   "1.2 %04x%s: default explicit nonce is the sequence number", id, etm ? " EtM" : "");
	/* Default CBC padding is the least that aligns: content (+ MAC) and
	 * the padding_length byte fill whole blocks, no more. */
	size_t want_len = RP_HEADER_LEN + s->record_iv_len + 1 + 16;
	if (s->cipher == RP_AES_CBC)
		want_len = RP_HEADER_LEN + RP_BLOCK +
		           ((1 + (etm ? 0 : s->mac_len)) / RP_BLOCK + 1) * RP_BLOCK +
		           (etm ? s->mac_len : 0);
	OK(out.len == want_len && (s->cipher != RP_AES_CBC || info.padding < RP_BLOCK),
	   "1.2 %04x%s: a 1-byte record is %zu bytes (least padding)", id, etm ? " EtM" : "",
	   want_len);

	uint8_t *big = xcalloc(20000, 1);
	bytes_reset(&out);
	OK(rp_seal(&cw, 23, big, 16384, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && !info.pt_overflow &&
	           !info.ct_overflow && got.len == 16384,
	   "1.2 %04x%s: 2^14 bytes are within the limits", id, etm ? " EtM" : "");
	bytes_reset(&out);
	OK(rp_seal(&cw, 23, big, 16385, NULL, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.pt_overflow &&
	           !info.ct_overflow && got.len == 16385,
	   "1.2 %04x%s: 2^14 + 1 bytes sealed and flagged", id, etm ? " EtM" : "");
	/* TLSCiphertext.length of 2^14 + 2048 and one more (AEAD suites,
	 * whose overhead is fixed). */
	if (s->cipher != RP_AES_CBC) {
		size_t n = 16384 + 2048 - s->record_iv_len - 16;
		bytes_reset(&out);
		int at = rp_seal(&cw, 23, big, n, NULL, &out) == RP_OK &&
		         rp_open(&r, out.data, out.len, &got, &info) == RP_OK && !info.ct_overflow;
		bytes_reset(&out);
		OK(at && rp_seal(&cw, 23, big, n + 1, NULL, &out) == RP_OK &&
		           rp_open(&r, out.data, out.len, &got, &info) == RP_OK && info.ct_overflow,
		   "1.2 %04x: ciphertext of 2^14 + 2048 not flagged, one more flagged", id);
	}
	free(big);

	rp_seal_opts_default(&o);
	o.corrupt_mac = 1;
	bytes_reset(&out);
	uint64_t seq = r.seq;
	int want = s->cipher == RP_AES_CBC ? RP_E_MAC : RP_E_TAG;
	OK(rp_seal(&cw, 23, (const uint8_t *)"bad mac", 7, &o, &out) == RP_OK &&
	           rp_open(&r, out.data, out.len, &got, &info) == want && r.seq == seq,
	   "1.2 %04x%s: corrupt_mac gives \"%s\"", id, etm ? " EtM" : "", rp_strerror(want));
	r.seq = cw.seq; /* the failed record was not consumed by the reader */

	if (s->cipher == RP_AES_CBC) {
		/* Largest padding: content so that content (+ MAC) + 256 aligns. */
		size_t inside = etm ? 0 : s->mac_len;
		size_t n = (RP_BLOCK - (inside + 256) % RP_BLOCK) % RP_BLOCK + 16;
		uint8_t content[64] = {0};
		rp_seal_opts_default(&o);
		o.padding = 255;
		bytes_reset(&out);
		OK(rp_seal(&cw, 23, content, n, &o, &out) == RP_OK &&
		           rp_open(&r, out.data, out.len, &got, &info) == RP_OK &&
		           info.padding == 255 && got.len == n,
		   "1.2 %04x%s: 255 bytes of padding", id, etm ? " EtM" : "");
		o.padding = 254;
		OK(rp_seal(&cw, 23, content, n, &o, &out) == RP_E_ARG,
		   "1.2 %04x%s: padding that does not align is refused", id, etm ? " EtM" : "");
		o.padding = 256;
		OK(rp_seal(&cw, 23, content, n, &o, &out) == RP_E_ARG,
		   "1.2 %04x%s: padding over 255 is refused", id, etm ? " EtM" : "");
		o.padding = -1;
		o.pad_bytes = content;
		OK(rp_seal(&cw, 23, content, n, &o, &out) == RP_E_ARG,
		   "1.2 %04x%s: pad_bytes without a padding length is refused", id,
		   etm ? " EtM" : "");
		o.pad_bytes = NULL;
		/* Bad padding bytes with a right MAC. */
		uint8_t pad[256];
		memset(pad, 255, sizeof pad);
		pad[100] = 7;
		o.padding = 255;
		o.pad_bytes = pad;
		bytes_reset(&out);
		seq = r.seq;
		OK(rp_seal(&cw, 23, content, n, &o, &out) == RP_OK &&
		           rp_open(&r, out.data, out.len, &got, &info) == RP_E_PADDING &&
		           r.seq == seq,
		   "1.2 %04x%s: a wrong padding byte gives \"bad CBC padding\"", id,
		   etm ? " EtM" : "");
		r.seq = cw.seq;
		/* A padding_length larger than the record. */
		o.padding = 15;
		memset(pad, 200, 16);
		o.pad_bytes = pad;
		bytes_reset(&out);
		OK(rp_seal(&cw, 23, content, (RP_BLOCK - inside % RP_BLOCK) % RP_BLOCK, &o, &out) ==
		                   RP_OK &&
		           rp_open(&r, out.data, out.len, &got, &info) == RP_E_PADDING,
		   "1.2 %04x%s: padding_length past the record gives \"bad CBC padding\"", id,
		   etm ? " EtM" : "");
		r.seq = cw.seq;
	}
	rp_seal_opts_default(&o);
	o.outer_type = 22;
	OK(rp_seal(&cw, 23, (const uint8_t *)"x", 1, &o, &out) == RP_E_ARG,
	   "1.2 %04x: outer_type is a TLS 1.3 option", id);
	/* The other direction's keys differ. */
	bytes_reset(&out);
	struct rp_dir sr2 = sw;
	sr2.seq = cw.seq;
	OK(rp_seal(&cw, 23, (const uint8_t *)"dir", 3, NULL, &out) == RP_OK &&
	           rp_open(&sr2, out.data, out.len, &got, NULL) != RP_OK,
	   "1.2 %04x%s: the server's keys do not open the client's record", id, etm ? " EtM" : "");
	bytes_free(&out);
	bytes_free(&got);
}

static void test_seal12(void)
{
	seal12_suite(0xc02f, 0);
	seal12_suite(0xc030, 0);
	seal12_suite(0xcca8, 0);
	seal12_suite(0xc013, 0);
	seal12_suite(0xc013, 1);
	seal12_suite(0xc028, 0);
	seal12_suite(0xc028, 1);
	seal12_suite(0x003d, 1);
}

/* ---- key log ------------------------------------------------------------------ */

#define CR1 "0102030405060708091011121314151617181920212223242526272829303132"
#define CR2 "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899"

static int keylog_bad(const char *text, const char *needle)
{
	struct rp_keylog kl = {0};
	char err[200] = "";
	rp_keylog_add(&kl, "X", (const uint8_t *)"01234567890123456789012345678901",
	              (const uint8_t *)"s", 1);
	int r = rp_keylog_parse(&kl, text, strlen(text), err, sizeof err);
	diag("%s", err);
	int ok = r == RP_E_MALFORMED && strstr(err, needle) != NULL && kl.n == 1;
	rp_keylog_free(&kl);
	return ok;
}

static void test_keylog(void)
{
	const char *good = "# SSL/TLS secrets log file, generated by NSS\n"
	                   "\n"
	                   "CLIENT_RANDOM " CR1 " " CR1 "0102030405060708091011121314153f\r\n"
	                   "RSA 0011223344556677 aabb\n"
	                   "   \t \n"
	                   "CLIENT_HANDSHAKE_TRAFFIC_SECRET " CR2 " " CR1 "\n"
	                   "SERVER_HANDSHAKE_TRAFFIC_SECRET\t" CR2 "\t" CR2 "\n"
	                   "CLIENT_TRAFFIC_SECRET_0 " CR2 " 00\n"
	                   "CLIENT_TRAFFIC_SECRET_0 " CR2 " 0102"; /* replaces; no newline */
	struct rp_keylog kl = {0};
	char err[200] = "";
	struct bytes cr1 = hexb(CR1), cr2 = hexb(CR2);
	OK(rp_keylog_parse(&kl, good, strlen(good), err, sizeof err) == RP_OK && kl.n == 4,
	   "key log: comments, blank lines, CRLF, tabs, RSA lines, a last line without newline");
	const struct rp_secret *s = rp_keylog_find(&kl, cr1.data, RP_CLIENT_RANDOM);
	OK(s && s->len == 48 && s->secret[0] == 0x01 && s->secret[47] == 0x3f,
	   "key log: CLIENT_RANDOM master secret found by client random");
	s = rp_keylog_find(&kl, cr2.data, RP_SERVER_HS);
	OK(s && s->len == 32 && s->secret[0] == 0xaa, "key log: uppercase hex, tab separated");
	s = rp_keylog_find(&kl, cr2.data, RP_CLIENT_AP0);
	OK(s && s->len == 2 && s->secret[1] == 0x02, "key log: a repeated line replaces");
	OK(rp_keylog_find(&kl, cr1.data, RP_SERVER_HS) == NULL &&
	           rp_keylog_find(&kl, cr2.data, RP_EXPORTER) == NULL,
	   "key log: no false match on label or client random");
	rp_keylog_free(&kl);
	bytes_free(&cr1);
	bytes_free(&cr2);

	OK(keylog_bad("CLIENT_RANDOM " CR1 "\n", "line 1: 2 fields"), "key log: two fields");
	OK(keylog_bad("CLIENT_RANDOM " CR1 " 00 00 00\n", "line 1: more than three"),
	   "key log: five fields");
	OK(keylog_bad("# x\nCLIENT_RANDOM " CR1 " 00 00\n", "line 2: 4 fields"),
	   "key log: four fields");
	OK(keylog_bad("client_random " CR1 " 00\n", "not [A-Z0-9_]"), "key log: lowercase label");
	OK(keylog_bad("CLIENT_RANDOM 0102 00\n", "client random"), "key log: short client random");
	OK(keylog_bad("CLIENT_RANDOM " CR1 "00 00\n", "client random"),
	   "key log: long client random");
	OK(keylog_bad("CLIENT_RANDOM " CR1 " 001\n", "secret"), "key log: odd secret");
	OK(keylog_bad("CLIENT_RANDOM " CR1 " 0g\n", "secret"), "key log: non-hex secret");
	OK(keylog_bad("CLIENT_RANDOM " CR1 " " CR1 CR1 "00\n", "secret"),
	   "key log: secret over 64 bytes");
	OK(keylog_bad("CLIENT_RANDOM " CR1
	              " 00\nA_VERY_LONG_LABEL_THAT_IS_OVER_FORTY_SEVEN_CHARS_X " CR1 " 00\n",
	              "line 2: label longer"),
	   "key log: label too long (and all or nothing: line 1 not added)");
	char nul[] = "CLIENT_RANDOM " CR1 " 00\0\n";
	struct rp_keylog k2 = {0};
	OK(rp_keylog_parse(&k2, nul, sizeof nul - 1, err, sizeof err) == RP_E_MALFORMED &&
	           strstr(err, "NUL") && k2.n == 0,
	   "key log: a NUL byte is an error");
	OK(rp_keylog_add(&k2, "", (const uint8_t *)CR1, (const uint8_t *)"x", 1) == RP_E_ARG &&
	           rp_keylog_add(&k2, "A", (const uint8_t *)CR1, (const uint8_t *)"x", 0) ==
	                   RP_E_ARG &&
	           rp_keylog_add(&k2, "A", (const uint8_t *)CR1, (const uint8_t *)CR1 CR1, 65) ==
	                   RP_E_ARG &&
	           k2.n == 0,
	   "key log: add refuses an empty label, an empty or too long secret");
	rp_keylog_free(&k2);

	/* Random text: an error or a success, never a crash (ASan). */
	struct rng g = {12345};
	int survived = 1;
	for (int i = 0; i < 3000; i++) {
		char t[300];
		size_t n = rng_range(&g, 0, sizeof t);
		for (size_t j = 0; j < n; j++) {
			static const char alpha[] = "CLIENT_RANDOM 0123456789abcdefABCDEF\n\r\t #";
			t[j] = rng_range(&g, 0, 9) == 0 ? (char)rng_next(&g)
			                                : alpha[rng_range(&g, 0, sizeof alpha - 2)];
		}
		struct rp_keylog k = {0};
		int r = rp_keylog_parse(&k, t, n, err, sizeof err);
		if (r != RP_OK && r != RP_E_MALFORMED)
			survived = 0;
		rp_keylog_free(&k);
	}
	OK(survived, "key log: 3000 random texts parsed or refused");
}

/* ---- suites, arguments, random records ----------------------------------------- */

static void test_suites(void)
{
	static const uint16_t want12[] = {0xc02f, 0xc030, 0xc02b, 0xc02c, 0xcca8, 0xcca9, 0x009c,
	                                  0x009d, 0xc013, 0xc014, 0xc009, 0xc00a, 0xc027, 0xc028,
	                                  0xc023, 0xc024, 0x002f, 0x0035, 0x003c, 0x003d};
	int all = 1;
	for (size_t i = 0; i < sizeof want12 / sizeof want12[0]; i++)
		if (!rp_can_protect(want12[i], RP_TLS12) || rp_can_protect(want12[i], RP_TLS13) ||
		    rp_can_protect(want12[i], 0x0302))
			all = 0;
	OK(all, "suites: every TLS 1.2 suite named in the brief, at 1.2 only");
	OK(rp_can_protect(0x1301, RP_TLS13) && rp_can_protect(0x1302, RP_TLS13) &&
	           rp_can_protect(0x1303, RP_TLS13) && !rp_can_protect(0x1301, RP_TLS12) &&
	           !rp_can_protect(0x1304, RP_TLS13) && !rp_can_protect(0x000a, RP_TLS12) &&
	           !rp_can_protect(0x0000, RP_TLS12),
	   "suites: TLS 1.3 suites at 1.3 only; CCM, 3DES and NULL not protected");
	int consistent = 1;
	for (size_t i = 0; i < rp_suite_count(); i++) {
		const struct rp_suite *s = rp_suite_at(i);
		int aead = s->cipher != RP_AES_CBC;
		if (rp_suite_find(s->id) != s || (s->key_len != 16 && s->key_len != 32) ||
		    (aead && (s->tag_len != 16 || s->mac_len != 0)) ||
		    (!aead && (s->tag_len != 0 || s->mac_len != rp_hash_len(s->mac_hash) ||
		               s->record_iv_len != 16 || s->fixed_iv_len != 0)) ||
		    (s->cipher == RP_CHACHA20_POLY1305 && s->key_len != 32) ||
		    (s->version == RP_TLS13 && s->fixed_iv_len != 12) ||
		    (s->version == RP_TLS12 && s->cipher == RP_AES_GCM &&
		     (s->fixed_iv_len != 4 || s->record_iv_len != 8)) ||
		    (strstr(s->name, "SHA384") != NULL) != (s->prf_hash == RP_SHA384)) {
			diag("suite %04x %s inconsistent", s->id, s->name);
			consistent = 0;
		}
	}
	OK(consistent && rp_suite_at(rp_suite_count()) == NULL,
	   "suites: the table is consistent (%zu suites)", rp_suite_count());
	OK(strcmp(rp_strerror(RP_E_PADDING), "bad CBC padding") == 0 &&
	           strcmp(rp_strerror(12345), "unknown status") == 0,
	   "rp_strerror names statuses");

	uint8_t sec[48] = {0};
	struct rp_dir d, e;
	OK(rp13_init(&d, 0xc02f, sec, 32, RP_EPOCH_HANDSHAKE) == RP_E_UNSUPPORTED &&
	           rp13_init(&d, 0x1302, sec, 32, RP_EPOCH_HANDSHAKE) == RP_E_ARG &&
	           rp13_init(&d, 0x1301, sec, 48, RP_EPOCH_HANDSHAKE) == RP_E_ARG &&
	           rp13_init(&d, 0x1301, NULL, 32, RP_EPOCH_HANDSHAKE) == RP_E_ARG,
	   "rp13_init refuses a 1.2 suite and a secret of the wrong length");
	OK(rp12_init(&d, &e, 0x1301, sec, 48, sec, sec, 0) == RP_E_UNSUPPORTED &&
	           rp12_init(&d, &e, 0xc02f, sec, 47, sec, sec, 0) == RP_E_ARG &&
	           rp12_init(&d, &e, 0x0005, sec, 48, sec, sec, 0) == RP_E_UNSUPPORTED,
	   "rp12_init refuses a 1.3 suite, RC4, a short master secret");
	uint8_t out[8];
	OK(rp_hkdf_expand_label(RP_SHA256, sec, 32, "key", NULL, 0, out, 0) == RP_E_ARG &&
	           rp_hkdf_expand_label(RP_SHA256, sec, 32, "key", sec, 256, out, 8) == RP_E_ARG,
	   "HKDF-Expand-Label refuses an empty output and a context over 255 bytes");

	/* Records that are not records. */
	rp13_init(&d, 0x1303, sec, 32, RP_EPOCH_APPLICATION);
	struct bytes got = {0};
	uint8_t hdr[5] = {23, 3, 3, 0, 10};
	OK(rp_open(&d, hdr, 4, &got, NULL) == RP_E_MALFORMED &&
	           rp_open(&d, hdr, 5, &got, NULL) == RP_E_MALFORMED &&
	           rp_open(&d, NULL, 0, &got, NULL) == RP_E_MALFORMED && d.seq == 0,
	   "rp_open: short header, header longer than the buffer");
	OK(rp_record_len(hdr, 5) == 0 && rp_record_len(hdr, 4) == 0 &&
	           rp_record_len((const uint8_t *)"\x17\x03\x03\x00\x00", 5) == 5,
	   "rp_record_len: complete or 0");
	d.seq = UINT64_MAX;
	OK(rp_seal(&d, 23, (const uint8_t *)"x", 1, NULL, &got) == RP_E_SEQ,
	   "seal refuses to wrap the sequence number");

	/* Random records of every kind of suite: opened or refused, never a
	 * read past (ASan) nor a success. */
	struct rng g = {777};
	int survived = 1;
	const uint16_t kinds[] = {0x1301, 0x1302, 0x1303, 0xc02f, 0xcca8, 0xc013, 0xc028};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		for (int etm = 0; etm < 2; etm++) {
			struct rp_dir r;
			if (kinds[k] >> 8 == 0x13)
				rp13_init(&r, kinds[k], sec,
				          rp_hash_len(rp_suite_find(kinds[k])->prf_hash),
				          RP_EPOCH_APPLICATION);
			else
				rp12_init(&r, &e, kinds[k], sec, 48, sec, sec, etm);
			for (int i = 0; i < 400; i++) {
				size_t n = rng_range(&g, 0, 200);
				uint8_t *rec = xmalloc(RP_HEADER_LEN + n);
				rec[0] = 23;
				rec[1] = rec[2] = 3;
				rec[3] = (uint8_t)(n >> 8);
				rec[4] = (uint8_t)n;
				for (size_t j = 0; j < n; j++)
					rec[RP_HEADER_LEN + j] = (uint8_t)rng_next(&g);
				int res = rp_open(&r, rec, RP_HEADER_LEN + n, &got, NULL);
				if (res == RP_OK || r.seq != 0)
					survived = 0;
				free(rec);
			}
		}
	}
	OK(survived, "rp_open: 5600 random records refused");
	bytes_free(&got);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_recprot FIXTURE_DIR\n");
		return 2;
	}
	test_primitives();
	test_rfc8448();
	static const char *fixtures[] = {
	        "tls13-aes128gcm",      "tls13-aes256gcm",    "tls13-chacha20",
	        "tls12-aes128gcm",      "tls12-aes256gcm",    "tls12-chacha20",
	        "tls12-cbc-sha1-mte",   "tls12-cbc-sha1-etm", "tls12-cbc-sha256-etm",
	        "tls12-cbc-sha384-mte",
	};
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
		test_fixture(argv[1], fixtures[i]);
	test_seal13();
	test_seal12();
	test_keylog();
	test_suites();
	return t_done();
}
