/* recprot.c - TLS 1.2 and 1.3 record protection on Nettle (see recprot.h). */
#include "recprot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/chacha-poly1305.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#define RP_TAG_LEN 16
#define RP_BLOCK 16
#define RP_MAX_FRAGMENT 0xFFFFu

const char *rp_strerror(int status)
{
	switch (status) {
	case RP_OK:
		return "ok";
	case RP_E_ARG:
		return "bad argument";
	case RP_E_MALFORMED:
		return "malformed record";
	case RP_E_TOO_LONG:
		return "record too long for its 16-bit length";
	case RP_E_TAG:
		return "AEAD tag mismatch";
	case RP_E_PADDING:
		return "bad CBC padding";
	case RP_E_MAC:
		return "bad record MAC";
	case RP_E_NO_TYPE:
		return "inner plaintext has no content type (only zeros)";
	case RP_E_SEQ:
		return "sequence number exhausted";
	case RP_E_UNSUPPORTED:
		return "suite or version not supported";
	}
	return "unknown status";
}

/* ---- suites ------------------------------------------------------------- */

/* One row per suite: fixed_iv_len is the implicit part of the nonce (RFC
 * 8446 5.3, RFC 5288 3, RFC 7905 2), record_iv_len the explicit part sent
 * in each record (RFC 5246 6.2.3.2-3). */
#define S13(i, n, c, klen, h)                                                                      \
	{                                                                                          \
		.id = i, .name = n, .version = RP_TLS13, .cipher = c, .key_len = klen,             \
		.fixed_iv_len = 12, .tag_len = 16, .prf_hash = h                                   \
	}
#define GCM12(i, n, klen, prf)                                                                     \
	{                                                                                          \
		.id = i, .name = n, .version = RP_TLS12, .cipher = RP_AES_GCM, .key_len = klen,    \
		.fixed_iv_len = 4, .record_iv_len = 8, .tag_len = 16, .prf_hash = prf              \
	}
#define CHA12(i, n)                                                                                \
	{                                                                                          \
		.id = i, .name = n, .version = RP_TLS12, .cipher = RP_CHACHA20_POLY1305,           \
		.key_len = 32, .fixed_iv_len = 12, .tag_len = 16, .prf_hash = RP_SHA256            \
	}
#define CBC12(i, n, klen, mac, mlen, prf)                                                          \
	{                                                                                          \
		.id = i, .name = n, .version = RP_TLS12, .cipher = RP_AES_CBC, .key_len = klen,    \
		.record_iv_len = 16, .mac_len = mlen, .mac_hash = mac, .prf_hash = prf             \
	}

static const struct rp_suite rp_suites[] = {
        S13(0x1301, "TLS_AES_128_GCM_SHA256", RP_AES_GCM, 16, RP_SHA256),
        S13(0x1302, "TLS_AES_256_GCM_SHA384", RP_AES_GCM, 32, RP_SHA384),
        S13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", RP_CHACHA20_POLY1305, 32, RP_SHA256),
        GCM12(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16, RP_SHA256),
        GCM12(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32, RP_SHA384),
        GCM12(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, RP_SHA256),
        GCM12(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, RP_SHA384),
        GCM12(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, RP_SHA256),
        GCM12(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, RP_SHA384),
        GCM12(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, RP_SHA256),
        GCM12(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, RP_SHA384),
        CHA12(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        CHA12(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        CHA12(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        CBC12(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, RP_SHA1, 20, RP_SHA256),
        CBC12(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, RP_SHA1, 20, RP_SHA256),
        CBC12(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, RP_SHA1, 20, RP_SHA256),
        CBC12(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, RP_SHA1, 20, RP_SHA256),
        CBC12(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, RP_SHA256, 32, RP_SHA256),
        CBC12(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, RP_SHA256, 32, RP_SHA256),
        CBC12(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, RP_SHA256, 32, RP_SHA256),
        CBC12(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, RP_SHA256, 32, RP_SHA256),
        CBC12(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, RP_SHA1, 20, RP_SHA256),
        CBC12(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, RP_SHA1, 20, RP_SHA256),
        CBC12(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, RP_SHA1, 20, RP_SHA256),
        CBC12(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, RP_SHA1, 20, RP_SHA256),
        CBC12(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, RP_SHA256, 32, RP_SHA256),
        CBC12(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, RP_SHA384, 48, RP_SHA384),
        CBC12(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, RP_SHA256, 32, RP_SHA256),
        CBC12(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, RP_SHA384, 48, RP_SHA384),
};

const struct rp_suite *rp_suite_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof rp_suites / sizeof rp_suites[0]; i++)
		if (rp_suites[i].id == id)
			return &rp_suites[i];
	return NULL;
}

size_t rp_suite_count(void)
{
	return sizeof rp_suites / sizeof rp_suites[0];
}

const struct rp_suite *rp_suite_at(size_t i)
{
	return i < rp_suite_count() ? &rp_suites[i] : NULL;
}

int rp_can_protect(uint16_t suite, uint16_t version)
{
	const struct rp_suite *s = rp_suite_find(suite);
	return s != NULL && s->version == version;
}

/* ---- hashes and HMAC ------------------------------------------------------ */

size_t rp_hash_len(enum rp_hash h)
{
	switch (h) {
	case RP_SHA1:
		return SHA1_DIGEST_SIZE;
	case RP_SHA256:
		return SHA256_DIGEST_SIZE;
	case RP_SHA384:
		return SHA384_DIGEST_SIZE;
	}
	return 0;
}

void rp_hash(enum rp_hash h, const uint8_t *data, size_t len, uint8_t *out)
{
	union {
		struct sha1_ctx s1;
		struct sha256_ctx s256;
		struct sha512_ctx s384;
	} c;
	switch (h) {
	case RP_SHA1:
		sha1_init(&c.s1);
		sha1_update(&c.s1, len, data);
		sha1_digest(&c.s1, SHA1_DIGEST_SIZE, out);
		break;
	case RP_SHA256:
		sha256_init(&c.s256);
		sha256_update(&c.s256, len, data);
		sha256_digest(&c.s256, SHA256_DIGEST_SIZE, out);
		break;
	case RP_SHA384:
		sha384_init(&c.s384);
		sha384_update(&c.s384, len, data);
		sha384_digest(&c.s384, SHA384_DIGEST_SIZE, out);
		break;
	}
}

/* A keyed HMAC whose update/digest have Nettle's generic signatures (for
 * hkdf_extract/hkdf_expand); digest re-arms it for the same key. */
struct rp_mac {
	enum rp_hash h;
	union {
		struct hmac_sha1_ctx s1;
		struct hmac_sha256_ctx s256;
		struct hmac_sha512_ctx s384;
	} c;
};

static void mac_init(struct rp_mac *m, enum rp_hash h, const uint8_t *key, size_t len)
{
	m->h = h;
	switch (h) {
	case RP_SHA1:
		hmac_sha1_set_key(&m->c.s1, len, key);
		break;
	case RP_SHA256:
		hmac_sha256_set_key(&m->c.s256, len, key);
		break;
	case RP_SHA384:
		hmac_sha384_set_key(&m->c.s384, len, key);
		break;
	}
}

static void mac_update(void *ctx, size_t len, const uint8_t *data)
{
	struct rp_mac *m = ctx;
	switch (m->h) {
	case RP_SHA1:
		hmac_sha1_update(&m->c.s1, len, data);
		break;
	case RP_SHA256:
		hmac_sha256_update(&m->c.s256, len, data);
		break;
	case RP_SHA384:
		hmac_sha384_update(&m->c.s384, len, data);
		break;
	}
}

static void mac_digest(void *ctx, size_t len, uint8_t *out)
{
	struct rp_mac *m = ctx;
	switch (m->h) {
	case RP_SHA1:
		hmac_sha1_digest(&m->c.s1, len, out);
		break;
	case RP_SHA256:
		hmac_sha256_digest(&m->c.s256, len, out);
		break;
	case RP_SHA384:
		hmac_sha384_digest(&m->c.s384, len, out);
		break;
	}
}

void rp_hmac(enum rp_hash h, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
             uint8_t *out)
{
	struct rp_mac m;
	mac_init(&m, h, key, key_len);
	mac_update(&m, len, data);
	mac_digest(&m, rp_hash_len(h), out);
}

/* ---- key derivation ------------------------------------------------------- */

void rp_hkdf_extract(enum rp_hash h, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                     size_t ikm_len, uint8_t *prk)
{
	static const uint8_t zeros[RP_SECRET_MAX];
	struct rp_mac m;
	if (!salt) {
		salt = zeros;
		salt_len = rp_hash_len(h);
	}
	mac_init(&m, h, salt, salt_len);
	hkdf_extract(&m, mac_update, mac_digest, rp_hash_len(h), ikm_len, ikm, prk);
}

int rp_hkdf_expand_label(enum rp_hash h, const uint8_t *secret, size_t secret_len,
                         const char *label, const uint8_t *context, size_t context_len,
                         uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	size_t hl = rp_hash_len(h);
	size_t ll = label ? strlen(label) : 0;
	if (hl == 0 || !secret || ll + sizeof prefix - 1 > 255 || context_len > 255 ||
	    (context_len > 0 && !context) || out_len == 0 || out_len > 255 * hl || !out)
		return RP_E_ARG;
	/* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t n = 0;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(ll + sizeof prefix - 1);
	memcpy(info + n, prefix, sizeof prefix - 1);
	n += sizeof prefix - 1;
	if (ll)
		memcpy(info + n, label, ll);
	n += ll;
	info[n++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + n, context, context_len);
	n += context_len;
	struct rp_mac m;
	mac_init(&m, h, secret, secret_len);
	hkdf_expand(&m, mac_update, mac_digest, hl, n, info, out_len, out);
	return RP_OK;
}

int rp_tls12_prf(enum rp_hash h, const uint8_t *secret, size_t secret_len, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	size_t hl = rp_hash_len(h);
	size_t ll = label ? strlen(label) : 0;
	if (hl == 0 || !secret || (seed_len > 0 && !seed) || (out_len > 0 && !out))
		return RP_E_ARG;
	struct rp_mac m;
	uint8_t a[RP_SECRET_MAX], block[RP_SECRET_MAX];
	mac_init(&m, h, secret, secret_len);
	/* A(1) = HMAC(secret, label + seed) */
	mac_update(&m, ll, (const uint8_t *)label);
	mac_update(&m, seed_len, seed);
	mac_digest(&m, hl, a);
	for (size_t done = 0; done < out_len;) {
		/* HMAC(secret, A(i) + label + seed) */
		mac_update(&m, hl, a);
		mac_update(&m, ll, (const uint8_t *)label);
		mac_update(&m, seed_len, seed);
		mac_digest(&m, hl, block);
		size_t k = out_len - done < hl ? out_len - done : hl;
		memcpy(out + done, block, k);
		done += k;
		mac_update(&m, hl, a); /* A(i+1) = HMAC(secret, A(i)) */
		mac_digest(&m, hl, a);
	}
	return RP_OK;
}

/* ---- key log ------------------------------------------------------------- */

static int label_ok(const char *label)
{
	size_t n = label ? strlen(label) : 0;
	if (n == 0 || n >= RP_LABEL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int rp_keylog_add(struct rp_keylog *kl, const char *label, const uint8_t *client_random,
                  const uint8_t *secret, size_t len)
{
	if (!kl || !label_ok(label) || !client_random || !secret || len == 0 || len > RP_SECRET_MAX)
		return RP_E_ARG;
	struct rp_secret *e = NULL;
	for (size_t i = 0; i < kl->n && !e; i++)
		if (strcmp(kl->v[i].label, label) == 0 &&
		    memcmp(kl->v[i].client_random, client_random, RP_RANDOM_LEN) == 0)
			e = &kl->v[i];
	if (!e) {
		if (kl->n == kl->cap) {
			kl->cap = kl->cap ? kl->cap * 2 : 16;
			kl->v = xrealloc(kl->v, kl->cap * sizeof *kl->v);
		}
		e = &kl->v[kl->n++];
		memset(e, 0, sizeof *e);
		snprintf(e->label, sizeof e->label, "%s", label);
		memcpy(e->client_random, client_random, RP_RANDOM_LEN);
	}
	memcpy(e->secret, secret, len);
	e->len = len;
	return RP_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly n hex digits into n/2 bytes; 0 on a non-hex digit. */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line without its newline. 1: a secret in *out; 0: nothing to add;
 * -1: malformed (err says why). */
static int keylog_line(const char *p, size_t n, struct rp_secret *out, char *err, size_t errcap)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	const char *f[4];
	size_t fl[4], nf = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] == '\0') {
			fmt_into(err, errcap, "NUL byte");
			return -1;
		}
		if (is_blank(p[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_blank(p[j]) && p[j] != '\0')
			j++;
		if (nf == 0 && p[i] == '#')
			return 0;
		if (nf == 4) {
			fmt_into(err, errcap, "more than three fields");
			return -1;
		}
		f[nf] = p + i;
		fl[nf++] = j - i;
		i = j;
	}
	if (nf == 0)
		return 0;
	if (nf != 3) {
		fmt_into(err, errcap, "%zu field%s, expected LABEL CLIENT_RANDOM SECRET", nf,
		         nf == 1 ? "" : "s");
		return -1;
	}
	memset(out, 0, sizeof *out);
	if (fl[0] >= RP_LABEL_MAX) {
		fmt_into(err, errcap, "label longer than %d characters", RP_LABEL_MAX - 1);
		return -1;
	}
	memcpy(out->label, f[0], fl[0]);
	if (!label_ok(out->label)) {
		fmt_into(err, errcap, "label \"%s\" is not [A-Z0-9_]", out->label);
		return -1;
	}
	if (strcmp(out->label, "RSA") == 0)
		return 0; /* RSA <encrypted premaster prefix> <premaster>: no client random */
	if (fl[1] != 2 * RP_RANDOM_LEN || !unhex(f[1], fl[1], out->client_random)) {
		fmt_into(err, errcap, "client random is not %d hex digits", 2 * RP_RANDOM_LEN);
		return -1;
	}
	if (fl[2] == 0 || fl[2] % 2 || fl[2] > 2 * RP_SECRET_MAX ||
	    !unhex(f[2], fl[2], out->secret)) {
		fmt_into(err, errcap, "secret is not 2 to %d hex digits (an even number)",
		         2 * RP_SECRET_MAX);
		return -1;
	}
	out->len = fl[2] / 2;
	return 1;
}

int rp_keylog_parse(struct rp_keylog *kl, const char *text, size_t len, char *err, size_t errcap)
{
	if (err && errcap)
		err[0] = '\0';
	if (!kl || (len > 0 && !text)) {
		if (err && errcap)
			fmt_into(err, errcap, "bad argument");
		return RP_E_ARG;
	}
	struct rp_keylog tmp = {0};
	size_t line = 0;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		struct rp_secret s;
		char why[160] = "";
		line++;
		int r = keylog_line(text + off, n, &s, why, sizeof why);
		if (r < 0) {
			if (err && errcap)
				fmt_into(err, errcap, "key log line %zu: %s", line, why);
			rp_keylog_free(&tmp);
			return RP_E_MALFORMED;
		}
		if (r > 0)
			rp_keylog_add(&tmp, s.label, s.client_random, s.secret, s.len);
		off += n + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < tmp.n; i++)
		rp_keylog_add(kl, tmp.v[i].label, tmp.v[i].client_random, tmp.v[i].secret,
		              tmp.v[i].len);
	rp_keylog_free(&tmp);
	return RP_OK;
}

const struct rp_secret *rp_keylog_find(const struct rp_keylog *kl, const uint8_t *client_random,
                                       const char *label)
{
	if (!kl || !client_random || !label)
		return NULL;
	for (size_t i = 0; i < kl->n; i++)
		if (strcmp(kl->v[i].label, label) == 0 &&
		    memcmp(kl->v[i].client_random, client_random, RP_RANDOM_LEN) == 0)
			return &kl->v[i];
	return NULL;
}

void rp_keylog_free(struct rp_keylog *kl)
{
	if (!kl)
		return;
	free(kl->v);
	kl->v = NULL;
	kl->n = kl->cap = 0;
}

/* ---- directions ------------------------------------------------------------ */

static int derive13(struct rp_dir *d)
{
	enum rp_hash h = d->suite->prf_hash;
	if (rp_hkdf_expand_label(h, d->secret, d->secret_len, "key", NULL, 0, d->key,
	                         d->suite->key_len) != RP_OK ||
	    rp_hkdf_expand_label(h, d->secret, d->secret_len, "iv", NULL, 0, d->iv, 12) != RP_OK)
		return RP_E_ARG;
	d->seq = 0;
	return RP_OK;
}

int rp13_init(struct rp_dir *d, uint16_t suite, const uint8_t *secret, size_t secret_len,
              enum rp_epoch epoch)
{
	const struct rp_suite *s = rp_suite_find(suite);
	if (!d)
		return RP_E_ARG;
	if (!s || s->version != RP_TLS13)
		return RP_E_UNSUPPORTED;
	if (!secret || secret_len != rp_hash_len(s->prf_hash) ||
	    (epoch != RP_EPOCH_HANDSHAKE && epoch != RP_EPOCH_APPLICATION))
		return RP_E_ARG;
	memset(d, 0, sizeof *d);
	d->suite = s;
	d->version = RP_TLS13;
	d->epoch = epoch;
	memcpy(d->secret, secret, secret_len);
	d->secret_len = secret_len;
	return derive13(d);
}

int rp13_key_update(struct rp_dir *d)
{
	if (!d || !d->suite || d->version != RP_TLS13 || d->epoch != RP_EPOCH_APPLICATION)
		return RP_E_ARG;
	uint8_t next[RP_SECRET_MAX];
	if (rp_hkdf_expand_label(d->suite->prf_hash, d->secret, d->secret_len, "traffic upd", NULL,
	                         0, next, d->secret_len) != RP_OK)
		return RP_E_ARG;
	memcpy(d->secret, next, d->secret_len);
	d->generation++;
	return derive13(d);
}

int rp12_init(struct rp_dir *client_write, struct rp_dir *server_write, uint16_t suite,
              const uint8_t *master, size_t master_len, const uint8_t *client_random,
              const uint8_t *server_random, int etm)
{
	const struct rp_suite *s = rp_suite_find(suite);
	if (!client_write || !server_write)
		return RP_E_ARG;
	if (!s || s->version != RP_TLS12)
		return RP_E_UNSUPPORTED;
	if (!master || master_len != 48 || !client_random || !server_random)
		return RP_E_ARG;
	uint8_t seed[2 * RP_RANDOM_LEN];
	memcpy(seed, server_random, RP_RANDOM_LEN);
	memcpy(seed + RP_RANDOM_LEN, client_random, RP_RANDOM_LEN);
	uint8_t kb[2 * (48 + 32 + 12)];
	size_t kb_len = 2 * ((size_t)s->mac_len + s->key_len + s->fixed_iv_len);
	rp_tls12_prf(s->prf_hash, master, master_len, "key expansion", seed, sizeof seed, kb,
	             kb_len);
	struct rp_dir *dirs[2] = {client_write, server_write};
	for (int i = 0; i < 2; i++) {
		struct rp_dir *d = dirs[i];
		memset(d, 0, sizeof *d);
		d->suite = s;
		d->version = RP_TLS12;
		d->epoch = RP_EPOCH_APPLICATION;
		d->etm = s->cipher == RP_AES_CBC && etm;
		/* client MAC, server MAC, client key, server key, client IV, server IV */
		const uint8_t *p = kb;
		memcpy(d->mac_key, p + (size_t)i * s->mac_len, s->mac_len);
		p += 2 * (size_t)s->mac_len;
		memcpy(d->key, p + (size_t)i * s->key_len, s->key_len);
		p += 2 * (size_t)s->key_len;
		memcpy(d->iv, p + (size_t)i * s->fixed_iv_len, s->fixed_iv_len);
	}
	return RP_OK;
}

/* ---- primitives ------------------------------------------------------------ */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* RFC 8446 5.3 / RFC 7905 2: iv XOR the sequence number padded to 12 bytes. */
static void xor_nonce(const struct rp_dir *d, uint8_t nonce[12])
{
	uint8_t s[8];
	put_u64(s, d->seq);
	memcpy(nonce, d->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

/* AEAD over len bytes: decrypts and returns 1 if the tag matches when
 * tag_in is given, else encrypts and writes the tag to tag_out. */
static int aead(const struct rp_suite *s, const uint8_t *key, const uint8_t nonce[12],
                const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                const uint8_t *tag_in, uint8_t *tag_out)
{
	int decrypt = tag_in != NULL;
	uint8_t mine[RP_TAG_LEN];
	if (s->cipher == RP_CHACHA20_POLY1305) {
		struct chacha_poly1305_ctx c;
		chacha_poly1305_set_key(&c, key);
		chacha_poly1305_set_nonce(&c, nonce);
		chacha_poly1305_update(&c, aad_len, aad);
		if (decrypt)
			chacha_poly1305_decrypt(&c, len, out, in);
		else
			chacha_poly1305_encrypt(&c, len, out, in);
		chacha_poly1305_digest(&c, RP_TAG_LEN, mine);
	} else if (s->key_len == 16) {
		struct gcm_aes128_ctx c;
		gcm_aes128_set_key(&c, key);
		gcm_aes128_set_iv(&c, 12, nonce);
		gcm_aes128_update(&c, aad_len, aad);
		if (decrypt)
			gcm_aes128_decrypt(&c, len, out, in);
		else
			gcm_aes128_encrypt(&c, len, out, in);
		gcm_aes128_digest(&c, RP_TAG_LEN, mine);
	} else {
		struct gcm_aes256_ctx c;
		gcm_aes256_set_key(&c, key);
		gcm_aes256_set_iv(&c, 12, nonce);
		gcm_aes256_update(&c, aad_len, aad);
		if (decrypt)
			gcm_aes256_decrypt(&c, len, out, in);
		else
			gcm_aes256_encrypt(&c, len, out, in);
		gcm_aes256_digest(&c, RP_TAG_LEN, mine);
	}
	if (decrypt)
		return memeql_sec(mine, tag_in, RP_TAG_LEN);
	memcpy(tag_out, mine, RP_TAG_LEN);
	return 1;
}

static void aes_enc(const void *ctx, size_t len, uint8_t *dst, const uint8_t *src)
{
	aes128_encrypt(ctx, len, dst, src);
}
static void aes_dec(const void *ctx, size_t len, uint8_t *dst, const uint8_t *src)
{
	aes128_decrypt(ctx, len, dst, src);
}
static void aes256_enc(const void *ctx, size_t len, uint8_t *dst, const uint8_t *src)
{
	aes256_encrypt(ctx, len, dst, src);
}
static void aes256_dec(const void *ctx, size_t len, uint8_t *dst, const uint8_t *src)
{
	aes256_decrypt(ctx, len, dst, src);
}

/* AES-CBC over len bytes (a multiple of 16) with a copy of iv. */
static void cbc(const struct rp_suite *s, const uint8_t *key, const uint8_t *iv16,
                const uint8_t *in, size_t len, uint8_t *out, int decrypt)
{
	uint8_t iv[RP_BLOCK];
	memcpy(iv, iv16, RP_BLOCK);
	if (s->key_len == 16) {
		struct aes128_ctx c;
		if (decrypt) {
			aes128_set_decrypt_key(&c, key);
			cbc_decrypt(&c, aes_dec, RP_BLOCK, iv, len, out, in);
		} else {
			aes128_set_encrypt_key(&c, key);
			cbc_encrypt(&c, aes_enc, RP_BLOCK, iv, len, out, in);
		}
	} else {
		struct aes256_ctx c;
		if (decrypt) {
			aes256_set_decrypt_key(&c, key);
			cbc_decrypt(&c, aes256_dec, RP_BLOCK, iv, len, out, in);
		} else {
			aes256_set_encrypt_key(&c, key);
			cbc_encrypt(&c, aes256_enc, RP_BLOCK, iv, len, out, in);
		}
	}
}

/* RFC 5246 6.2.3.1 / RFC 7366 3: HMAC(mac_key, seq + type + version +
 * length + data). */
static void mac12(const struct rp_dir *d, uint64_t seq, uint8_t type, uint16_t version,
                  const uint8_t *data, size_t len, uint8_t *out)
{
	uint8_t h[13];
	struct rp_mac m;
	put_u64(h, seq);
	h[8] = type;
	h[9] = (uint8_t)(version >> 8);
	h[10] = (uint8_t)version;
	h[11] = (uint8_t)(len >> 8);
	h[12] = (uint8_t)len;
	mac_init(&m, d->suite->mac_hash, d->mac_key, rp_hash_len(d->suite->mac_hash));
	mac_update(&m, sizeof h, h);
	mac_update(&m, len, data);
	mac_digest(&m, d->suite->mac_len, out);
}

/* RFC 5246 6.2.3.3 additional_data: seq + type + version + length. */
static void aad12(uint8_t aad[13], uint64_t seq, uint8_t type, uint16_t version, size_t len)
{
	put_u64(aad, seq);
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

/* ---- open ----------------------------------------------------------------- */

size_t rp_record_len(const uint8_t *buf, size_t len)
{
	if (!buf || len < RP_HEADER_LEN)
		return 0;
	size_t n = RP_HEADER_LEN + ((size_t)buf[3] << 8 | buf[4]);
	return n <= len ? n : 0;
}

static int open13(struct rp_dir *d, const uint8_t *rec, size_t flen, struct bytes *content,
                  struct rp_opened *info)
{
	const uint8_t *frag = rec + RP_HEADER_LEN;
	if (flen < RP_TAG_LEN)
		return RP_E_MALFORMED;
	size_t n = flen - RP_TAG_LEN;
	uint8_t nonce[12];
	xor_nonce(d, nonce);
	uint8_t *pt = xmalloc(n);
	int ok = aead(d->suite, d->key, nonce, rec, RP_HEADER_LEN, frag, n, pt, frag + n, NULL);
	if (!ok) {
		free(pt);
		return RP_E_TAG;
	}
	d->seq++;
	info->ct_overflow = flen > 16384 + 256;
	info->pt_overflow = n > 16384 + 1;
	size_t i = n;
	while (i > 0 && pt[i - 1] == 0)
		i--;
	info->padding = n - i;
	if (i == 0) {
		free(pt);
		return RP_E_NO_TYPE;
	}
	info->type = pt[i - 1];
	bytes_append(content, pt, i - 1);
	free(pt);
	return RP_OK;
}

static int open12_aead(struct rp_dir *d, const uint8_t *rec, size_t flen, struct bytes *content,
                       struct rp_opened *info)
{
	const struct rp_suite *s = d->suite;
	const uint8_t *frag = rec + RP_HEADER_LEN;
	if (flen < (size_t)s->record_iv_len + RP_TAG_LEN)
		return RP_E_MALFORMED;
	size_t n = flen - s->record_iv_len - RP_TAG_LEN;
	uint8_t nonce[12], aad[13];
	if (s->cipher == RP_AES_GCM) {
		memcpy(nonce, d->iv, 4); /* RFC 5288 3: salt + nonce_explicit */
		memcpy(nonce + 4, frag, 8);
		memcpy(info->explicit_iv, frag, 8);
		info->explicit_iv_len = 8;
	} else {
		xor_nonce(d, nonce);
	}
	aad12(aad, d->seq, rec[0], info->outer_version, n);
	uint8_t *pt = xmalloc(n);
	int ok = aead(s, d->key, nonce, aad, sizeof aad, frag + s->record_iv_len, n, pt,
	              frag + s->record_iv_len + n, NULL);
	if (ok)
		bytes_append(content, pt, n);
	free(pt);
	if (!ok)
		return RP_E_TAG;
	info->pt_overflow = n > 16384;
	return RP_OK;
}

static int check_padding(const uint8_t *p, size_t len, size_t room, struct rp_opened *info)
{
	uint8_t pad = p[len - 1];
	info->padding = pad;
	if ((size_t)pad + 1 > room)
		return 0;
	for (size_t i = 0; i <= pad; i++)
		if (p[len - 1 - i] != pad)
			return 0;
	return 1;
}

static int open12_cbc(struct rp_dir *d, const uint8_t *rec, size_t flen, struct bytes *content,
                      struct rp_opened *info)
{
	const struct rp_suite *s = d->suite;
	const uint8_t *frag = rec + RP_HEADER_LEN;
	size_t ml = s->mac_len;
	uint8_t mac[48];
	/* GenericBlockCipher: IV, then blocks of content + MAC + padding (MAC
	 * outside the blocks with encrypt_then_mac). */
	size_t blocks =
	        flen >= RP_BLOCK + (d->etm ? ml : 0) ? flen - RP_BLOCK - (d->etm ? ml : 0) : 0;
	size_t least = d->etm ? RP_BLOCK : (ml + 1 + RP_BLOCK - 1) / RP_BLOCK * RP_BLOCK;
	if (blocks < least || blocks % RP_BLOCK)
		return RP_E_MALFORMED;
	memcpy(info->explicit_iv, frag, RP_BLOCK);
	info->explicit_iv_len = RP_BLOCK;
	if (d->etm) {
		mac12(d, d->seq, rec[0], info->outer_version, frag, RP_BLOCK + blocks, mac);
		if (!memeql_sec(mac, frag + RP_BLOCK + blocks, ml))
			return RP_E_MAC;
	}
	uint8_t *pt = xmalloc(blocks);
	cbc(s, d->key, frag, frag + RP_BLOCK, blocks, pt, 1);
	int r = RP_OK;
	size_t n = 0;
	if (!check_padding(pt, blocks, d->etm ? blocks : blocks - ml, info)) {
		r = RP_E_PADDING;
	} else {
		n = blocks - info->padding - 1 - (d->etm ? 0 : ml);
		if (!d->etm) {
			mac12(d, d->seq, rec[0], info->outer_version, pt, n, mac);
			if (!memeql_sec(mac, pt + n, ml))
				r = RP_E_MAC;
		}
	}
	if (r == RP_OK) {
		bytes_append(content, pt, n);
		info->pt_overflow = n > 16384;
	}
	free(pt);
	return r;
}

int rp_open(struct rp_dir *d, const uint8_t *rec, size_t len, struct bytes *content,
            struct rp_opened *info)
{
	struct rp_opened scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof *info);
	if (!d || !d->suite || !content)
		return RP_E_ARG;
	bytes_reset(content);
	if (!rec || len < RP_HEADER_LEN || rp_record_len(rec, len) != len)
		return RP_E_MALFORMED;
	size_t flen = len - RP_HEADER_LEN;
	info->outer_type = rec[0];
	info->outer_version = (uint16_t)(rec[1] << 8 | rec[2]);
	info->seq = d->seq;
	if (d->seq == UINT64_MAX)
		return RP_E_SEQ;
	if (d->version == RP_TLS13)
		return open13(d, rec, flen, content, info);
	info->type = rec[0];
	info->ct_overflow = flen > 16384 + 2048;
	int r = d->suite->cipher == RP_AES_CBC ? open12_cbc(d, rec, flen, content, info)
	                                       : open12_aead(d, rec, flen, content, info);
	if (r == RP_OK)
		d->seq++;
	return r;
}

/* ---- seal ----------------------------------------------------------------- */

void rp_seal_opts_default(struct rp_seal_opts *o)
{
	memset(o, 0, sizeof *o);
	o->outer_type = -1;
	o->outer_version = -1;
	o->padding = -1;
}

static void header(struct bytes *out, uint8_t type, uint16_t version, size_t flen)
{
	uint8_t h[RP_HEADER_LEN] = {type, (uint8_t)(version >> 8), (uint8_t)version,
	                            (uint8_t)(flen >> 8), (uint8_t)flen};
	bytes_append(out, h, sizeof h);
}

static int opts_ok(const struct rp_seal_opts *o)
{
	return o->outer_type >= -1 && o->outer_type <= 255 && o->outer_version >= -1 &&
	       o->outer_version <= 0xFFFF;
}

int rp13_seal_inner(struct rp_dir *d, const uint8_t *inner, size_t len,
                    const struct rp_seal_opts *o, struct bytes *out)
{
	struct rp_seal_opts def;
	if (!o) {
		rp_seal_opts_default(&def);
		o = &def;
	}
	if (!d || !d->suite || d->version != RP_TLS13 || !out || (len > 0 && !inner) || !opts_ok(o))
		return RP_E_ARG;
	if (len > RP_MAX_FRAGMENT - RP_TAG_LEN)
		return RP_E_TOO_LONG;
	if (d->seq == UINT64_MAX)
		return RP_E_SEQ;
	size_t flen = len + RP_TAG_LEN;
	size_t start = out->len;
	header(out, o->outer_type < 0 ? 23 : (uint8_t)o->outer_type,
	       o->outer_version < 0 ? RP_TLS12 : (uint16_t)o->outer_version, flen);
	uint8_t hdr[RP_HEADER_LEN], nonce[12];
	memcpy(hdr, out->data + start, RP_HEADER_LEN);
	xor_nonce(d, nonce);
	uint8_t *ct = xmalloc(flen);
	aead(d->suite, d->key, nonce, hdr, RP_HEADER_LEN, inner, len, ct, NULL, ct + len);
	if (o->corrupt_mac)
		ct[flen - 1] ^= 1;
	bytes_append(out, ct, flen);
	free(ct);
	d->seq++;
	return RP_OK;
}

static int seal13(struct rp_dir *d, uint8_t type, const uint8_t *content, size_t len,
                  const struct rp_seal_opts *o, struct bytes *out)
{
	size_t pad = o->padding < 0 ? 0 : (size_t)o->padding;
	if (len > RP_MAX_FRAGMENT || pad > RP_MAX_FRAGMENT ||
	    len + 1 + pad > RP_MAX_FRAGMENT - RP_TAG_LEN)
		return RP_E_TOO_LONG;
	uint8_t *inner = xcalloc(len + 1 + pad, 1);
	if (len)
		memcpy(inner, content, len);
	inner[len] = type;
	int r = rp13_seal_inner(d, inner, len + 1 + pad, o, out);
	free(inner);
	return r;
}

static int seal12_aead(struct rp_dir *d, uint8_t type, uint16_t version, const uint8_t *content,
                       size_t len, const struct rp_seal_opts *o, struct bytes *out)
{
	const struct rp_suite *s = d->suite;
	size_t flen = s->record_iv_len + len + RP_TAG_LEN;
	if (len > RP_MAX_FRAGMENT || flen > RP_MAX_FRAGMENT)
		return RP_E_TOO_LONG;
	uint8_t nonce[12], aad[13], explicit_iv[8];
	if (s->cipher == RP_AES_GCM) {
		if (o->explicit_iv)
			memcpy(explicit_iv, o->explicit_iv, 8);
		else
			put_u64(explicit_iv, d->seq);
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, explicit_iv, 8);
	} else {
		xor_nonce(d, nonce);
	}
	aad12(aad, d->seq, type, version, len);
	uint8_t *buf = xmalloc(flen);
	if (s->record_iv_len)
		memcpy(buf, explicit_iv, s->record_iv_len);
	aead(s, d->key, nonce, aad, sizeof aad, content, len, buf + s->record_iv_len, NULL,
	     buf + s->record_iv_len + len);
	if (o->corrupt_mac)
		buf[flen - 1] ^= 1;
	header(out, type, version, flen);
	bytes_append(out, buf, flen);
	free(buf);
	return RP_OK;
}

static int seal12_cbc(struct rp_dir *d, uint8_t type, uint16_t version, const uint8_t *content,
                      size_t len, const struct rp_seal_opts *o, struct bytes *out)
{
	const struct rp_suite *s = d->suite;
	size_t ml = s->mac_len;
	size_t inside = len + (d->etm ? 0 : ml); /* bytes before the padding */
	if (len > RP_MAX_FRAGMENT)
		return RP_E_TOO_LONG;
	size_t pad;
	if (o->pad_bytes && o->padding < 0)
		return RP_E_ARG; /* pad_bytes holds padding + 1 bytes: say how many */
	if (o->padding < 0)
		pad = (RP_BLOCK - (inside + 1) % RP_BLOCK) % RP_BLOCK;
	else if (o->padding > 255)
		return RP_E_ARG;
	else
		pad = (size_t)o->padding;
	size_t blocks = inside + pad + 1;
	if (blocks % RP_BLOCK)
		return RP_E_ARG;
	size_t flen = RP_BLOCK + blocks + (d->etm ? ml : 0);
	if (flen > RP_MAX_FRAGMENT)
		return RP_E_TOO_LONG;
	uint8_t iv[RP_BLOCK] = {0};
	if (o->explicit_iv)
		memcpy(iv, o->explicit_iv, RP_BLOCK);
	else
		put_u64(iv + 8, d->seq);
	uint8_t *pt = xmalloc(blocks), *buf = xmalloc(flen);
	if (len)
		memcpy(pt, content, len);
	if (!d->etm) {
		mac12(d, d->seq, type, version, content, len, pt + len);
		if (o->corrupt_mac)
			pt[len + ml - 1] ^= 1;
	}
	if (o->pad_bytes)
		memcpy(pt + inside, o->pad_bytes, pad + 1);
	else
		memset(pt + inside, (int)pad, pad + 1);
	memcpy(buf, iv, RP_BLOCK);
	cbc(s, d->key, iv, pt, blocks, buf + RP_BLOCK, 0);
	if (d->etm) {
		mac12(d, d->seq, type, version, buf, RP_BLOCK + blocks, buf + RP_BLOCK + blocks);
		if (o->corrupt_mac)
			buf[flen - 1] ^= 1;
	}
	header(out, type, version, flen);
	bytes_append(out, buf, flen);
	free(pt);
	free(buf);
	return RP_OK;
}

int rp_seal(struct rp_dir *d, uint8_t type, const uint8_t *content, size_t len,
            const struct rp_seal_opts *o, struct bytes *out)
{
	struct rp_seal_opts def;
	if (!o) {
		rp_seal_opts_default(&def);
		o = &def;
	}
	if (!d || !d->suite || !out || (len > 0 && !content) || !opts_ok(o) || o->padding < -1)
		return RP_E_ARG;
	if (d->version == RP_TLS13)
		return seal13(d, type, content, len, o, out);
	if (o->outer_type != -1)
		return RP_E_ARG; /* TLS 1.2: the header's type is the content type */
	if (d->seq == UINT64_MAX)
		return RP_E_SEQ;
	uint16_t version = o->outer_version < 0 ? RP_TLS12 : (uint16_t)o->outer_version;
	int r = d->suite->cipher == RP_AES_CBC
	                ? seal12_cbc(d, type, version, content, len, o, out)
	                : seal12_aead(d, type, version, content, len, o, out);
	if (r == RP_OK)
		d->seq++;
	return r;
}
