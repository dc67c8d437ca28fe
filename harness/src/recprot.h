/* recprot.h - TLS record protection for the misbehaving peer's encrypted
 * phase (DESIGN.md, "The misbehaving peer", layer 3): NSS key-log input, the
 * record keys of TLS 1.3 (RFC 8446 7.1-7.3) and TLS 1.2 (RFC 5246 5, 6.3),
 * and opening and sealing of protected records (RFC 8446 5.2-5.4; RFC 5246
 * 6.2.3; RFC 5288; RFC 7905; RFC 7366), so that a rewriter can decrypt a
 * record, change it and protect it again with the right sequence number.
 *
 * The crypto is Nettle's: the harness core links no TLS library (DESIGN.md
 * says why), and libnettle exports only nettle_* and _nettle_* symbols
 * (versioned NETTLE_8), none of which any of the eight backends' libraries
 * defines (GnuTLS itself uses the same libnettle.so.8).
 *
 * Every function that reads wire bytes or key-log text takes them as
 * untrusted: a malformed input gives an error status, never a read past the
 * input. Sequence numbers are per direction (struct rp_dir); a record that
 * opens (authenticates) or is sealed advances its direction's number.
 *
 * This is a test tool, not a TLS stack: its checks say precisely which
 * check failed (no constant-time care, no hiding of padding versus MAC
 * errors), and seal can build records a correct peer must reject. */
#ifndef TLSH_RECPROT_H
#define TLSH_RECPROT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ---- status ------------------------------------------------------------- */

enum rp_status {
	RP_OK = 0,
	RP_E_ARG = -1,         /* bad argument: secret length, option, suite/version */
	RP_E_MALFORMED = -2,   /* record header or length inconsistent, fragment too short */
	RP_E_TOO_LONG = -3,    /* the sealed record would not fit a 16-bit length */
	RP_E_TAG = -4,         /* AEAD authentication failed (bad_record_mac) */
	RP_E_PADDING = -5,     /* CBC padding wrong (bad_record_mac) */
	RP_E_MAC = -6,         /* CBC HMAC wrong (bad_record_mac) */
	RP_E_NO_TYPE = -7,     /* TLS 1.3 inner plaintext of zeros only: no content type */
	RP_E_SEQ = -8,         /* the sequence number would wrap (RFC 8446 5.3) */
	RP_E_UNSUPPORTED = -9, /* suite or version this module cannot protect */
};

/* A short fixed description of a status ("AEAD tag mismatch", ...). */
const char *rp_strerror(int status);

/* ---- suites ------------------------------------------------------------- */

enum rp_hash { RP_SHA1 = 1, RP_SHA256, RP_SHA384 };
enum rp_cipher { RP_AES_GCM = 1, RP_CHACHA20_POLY1305, RP_AES_CBC };

#define RP_TLS12 0x0303
#define RP_TLS13 0x0304

struct rp_suite {
	uint16_t id;
	const char *name; /* IANA name */
	uint16_t version; /* RP_TLS13, or RP_TLS12 for the 1.2-only suites */
	enum rp_cipher cipher;
	uint8_t key_len;       /* 16 or 32 */
	uint8_t fixed_iv_len;  /* 1.3: 12; 1.2: GCM 4 (salt), ChaCha20 12, CBC 0 */
	uint8_t record_iv_len; /* explicit per-record: 1.2 GCM 8, CBC 16, else 0 */
	uint8_t mac_len;       /* CBC HMAC length (20, 32, 48); 0 for AEAD */
	uint8_t tag_len;       /* AEAD tag 16; 0 for CBC */
	enum rp_hash mac_hash; /* CBC HMAC hash (0 for AEAD) */
	enum rp_hash prf_hash; /* 1.2 PRF / 1.3 HKDF hash */
};

/* The suite with this id, or NULL. */
const struct rp_suite *rp_suite_find(uint16_t id);
/* Iteration over the table: i in [0, rp_suite_count()). */
size_t rp_suite_count(void);
const struct rp_suite *rp_suite_at(size_t i);
/* 1 if records of `suite` negotiated at `version` can be opened and sealed
 * here (TLS 1.3 suites at 0x0304, the 1.2 suites at 0x0303 only). */
int rp_can_protect(uint16_t suite, uint16_t version);

/* Output length of a hash (20, 32, 48), 0 for an unknown value. */
size_t rp_hash_len(enum rp_hash h);
/* out (rp_hash_len bytes) = Hash(data). */
void rp_hash(enum rp_hash h, const uint8_t *data, size_t len, uint8_t *out);
/* out (rp_hash_len bytes) = HMAC-Hash(key, data). */
void rp_hmac(enum rp_hash h, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
             uint8_t *out);

/* ---- key log (NSS key-log format) ----------------------------------------- */

#define RP_LABEL_MAX 48
#define RP_SECRET_MAX 64
#define RP_RANDOM_LEN 32

/* The labels this module uses (NSS key-log names). */
#define RP_CLIENT_RANDOM "CLIENT_RANDOM" /* TLS 1.2 master secret */
#define RP_CLIENT_HS "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
#define RP_SERVER_HS "SERVER_HANDSHAKE_TRAFFIC_SECRET"
#define RP_CLIENT_AP0 "CLIENT_TRAFFIC_SECRET_0"
#define RP_SERVER_AP0 "SERVER_TRAFFIC_SECRET_0"
#define RP_EXPORTER "EXPORTER_SECRET"

struct rp_secret {
	char label[RP_LABEL_MAX];
	uint8_t client_random[RP_RANDOM_LEN];
	uint8_t secret[RP_SECRET_MAX];
	size_t len;
};

/* Secrets keyed by (client_random, label). Zero-initialised is empty. */
struct rp_keylog {
	struct rp_secret *v;
	size_t n, cap;
};

/* Adds one secret, replacing an earlier one with the same label and client
 * random. label: 1 to RP_LABEL_MAX-1 characters of [A-Z0-9_]; len 1 to
 * RP_SECRET_MAX. Returns RP_OK or RP_E_ARG. */
int rp_keylog_add(struct rp_keylog *kl, const char *label, const uint8_t *client_random,
                  const uint8_t *secret, size_t len);

/* Parses NSS key-log text ("LABEL <client_random hex> <secret hex>" a line;
 * blank lines and lines starting with '#' are skipped, so are the "RSA"
 * lines, which are not keyed by a client random) and adds every line. All
 * or nothing: on a malformed line nothing is added, RP_E_MALFORMED is
 * returned and err says which line and why. text need not be terminated
 * and may hold any bytes. */
int rp_keylog_parse(struct rp_keylog *kl, const char *text, size_t len, char *err, size_t errcap);

/* The secret with this label for this client random, or NULL. */
const struct rp_secret *rp_keylog_find(const struct rp_keylog *kl, const uint8_t *client_random,
                                       const char *label);

void rp_keylog_free(struct rp_keylog *kl);

/* ---- key derivation ------------------------------------------------------- */

/* RFC 5869 HKDF-Extract: prk (rp_hash_len bytes) = HMAC(salt, ikm); a NULL
 * salt is Hash.length zeros. */
void rp_hkdf_extract(enum rp_hash h, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                     size_t ikm_len, uint8_t *prk);

/* RFC 8446 7.1 HKDF-Expand-Label(secret, label, context, out_len), label
 * without its "tls13 " prefix. RP_E_ARG when the label or context is over
 * 255 bytes or out_len is 0 or over 255 * Hash.length. */
int rp_hkdf_expand_label(enum rp_hash h, const uint8_t *secret, size_t secret_len,
                         const char *label, const uint8_t *context, size_t context_len,
                         uint8_t *out, size_t out_len);

/* RFC 5246 5 PRF(secret, label, seed) = P_hash(secret, label + seed). */
int rp_tls12_prf(enum rp_hash h, const uint8_t *secret, size_t secret_len, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* ---- one direction of a connection ---------------------------------------- */

enum rp_epoch { RP_EPOCH_HANDSHAKE = 0, RP_EPOCH_APPLICATION = 1 };

struct rp_dir {
	const struct rp_suite *suite;
	uint16_t version; /* RP_TLS13 or RP_TLS12 */
	/* TLS 1.3: which traffic secret protects this direction now: the
	 * handshake one, or application N (generation N, +1 a key update). */
	enum rp_epoch epoch;
	unsigned generation;
	uint8_t secret[RP_SECRET_MAX]; /* TLS 1.3 current traffic secret */
	size_t secret_len;
	uint8_t key[32];
	uint8_t iv[12];      /* 1.3 write_iv; 1.2 fixed IV (fixed_iv_len bytes) */
	uint8_t mac_key[48]; /* 1.2 CBC */
	int etm;             /* 1.2 CBC: encrypt_then_mac (RFC 7366) in use */
	uint64_t seq;        /* the next record's sequence number */
};

/* TLS 1.3: keys of a direction from a traffic secret (RFC 8446 7.3:
 * key = HKDF-Expand-Label(secret, "key", "", key_len), iv likewise with
 * "iv"), sequence 0, generation 0. secret_len must be the suite's hash
 * length. RP_E_UNSUPPORTED for a suite that is not TLS 1.3. */
int rp13_init(struct rp_dir *d, uint16_t suite, const uint8_t *secret, size_t secret_len,
              enum rp_epoch epoch);

/* TLS 1.3 key update (RFC 8446 7.2): secret = HKDF-Expand-Label(secret,
 * "traffic upd", "", Hash.length), new key and iv, sequence 0, generation
 * + 1. RP_E_ARG on a direction that is not TLS 1.3 application traffic. */
int rp13_key_update(struct rp_dir *d);

/* TLS 1.2: both directions from the master secret (48 bytes; extended or
 * not, RFC 7627 changes only how it is made) and the hello randoms (RFC
 * 5246 6.3: key_block = PRF(master, "key expansion", server_random +
 * client_random), cut into MAC keys, keys, fixed IVs). Sequence 0: call it
 * when ChangeCipherSpec switches the direction on. etm: RFC 7366
 * encrypt_then_mac was negotiated (matters for CBC suites only). */
int rp12_init(struct rp_dir *client_write, struct rp_dir *server_write, uint16_t suite,
              const uint8_t *master, size_t master_len, const uint8_t *client_random,
              const uint8_t *server_random, int etm);

/* ---- records -------------------------------------------------------------- */

#define RP_HEADER_LEN 5

/* Length of the first complete record in buf (5 + the header's length), or
 * 0 if buf holds less than that. */
size_t rp_record_len(const uint8_t *buf, size_t len);

/* What rp_open found besides the content. */
struct rp_opened {
	uint8_t outer_type;      /* the record header's type */
	uint16_t outer_version;  /* the record header's version */
	uint8_t type;            /* 1.3: the true content type (inner); 1.2: outer_type */
	size_t padding;          /* 1.3: zero bytes after the content type;
	                          * 1.2 CBC: the padding_length value */
	uint64_t seq;            /* sequence number the record was opened with */
	uint8_t explicit_iv[16]; /* 1.2: GCM nonce_explicit (8) or CBC IV (16) */
	size_t explicit_iv_len;
	/* Over the RFC's limits (RFC 8446 5.2, 5.4; RFC 5246 6.2.3): the
	 * ciphertext (1.3: > 2^14 + 256; 1.2: > 2^14 + 2048) and the plaintext
	 * (1.3 TLSInnerPlaintext > 2^14 + 1; 1.2 > 2^14). Opened anyway. */
	int ct_overflow;
	int pt_overflow;
};

/* Opens one whole record rec[0..len) (header included; the header's length
 * must be len - 5) with d and puts the content in *content (reset first).
 * RP_OK, or: RP_E_MALFORMED (framing, or too short for the suite), RP_E_TAG,
 * RP_E_PADDING, RP_E_MAC, RP_E_NO_TYPE (1.3: authentic, but only zeros;
 * info->padding is their count), RP_E_SEQ. The sequence number advances
 * only for an authentic record (RP_OK or RP_E_NO_TYPE). info may be NULL. */
int rp_open(struct rp_dir *d, const uint8_t *rec, size_t len, struct bytes *content,
            struct rp_opened *info);

/* How rp_seal builds a record; rp_seal_opts_default sets every field to
 * "as a correct peer would". */
struct rp_seal_opts {
	int outer_type;             /* -1: 1.3 application_data (23); 1.2 the content type */
	int outer_version;          /* -1: 0x0303 */
	long padding;               /* -1: 1.3 none, 1.2 CBC the least that aligns;
	                             * 1.3: zero bytes after the content type;
	                             * 1.2 CBC: padding_length (0-255), must align */
	const uint8_t *pad_bytes;   /* 1.2 CBC, padding >= 0 required: padding + 1
	                             * bytes appended verbatim (padding bytes and
	                             * padding_length byte); NULL: each is the
	                             * padding value */
	const uint8_t *explicit_iv; /* 1.2: GCM nonce_explicit (8 bytes) or CBC
	                             * IV (16); NULL: the sequence number, big
	                             * endian (in the last 8 bytes for CBC);
	                             * unused by ChaCha20 and TLS 1.3 */
	int corrupt_mac;            /* flip the low bit of the last byte of the AEAD
	                             * tag or the CBC MAC (before encryption for
	                             * MAC-then-encrypt): a bad_record_mac record */
};

void rp_seal_opts_default(struct rp_seal_opts *o);

/* Seals content as one record of content type `type` and appends it to
 * *out. o NULL: defaults. Any content length whose record fits the 16-bit
 * length (RP_E_TOO_LONG otherwise), including over 2^14 on purpose. */
int rp_seal(struct rp_dir *d, uint8_t type, const uint8_t *content, size_t len,
            const struct rp_seal_opts *o, struct bytes *out);

/* TLS 1.3: seals inner[0..len) as the TLSInnerPlaintext verbatim (content,
 * type and padding already laid out by the caller, e.g. zeros only). Only
 * outer_type, outer_version and corrupt_mac of o are used. */
int rp13_seal_inner(struct rp_dir *d, const uint8_t *inner, size_t len,
                    const struct rp_seal_opts *o, struct bytes *out);

#endif
