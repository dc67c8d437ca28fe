/* rewrite.h - the plaintext rewriter: applies one named mutation to the
 * bytes one side sends while its direction is still unencrypted
 * (ClientHello, ServerHello, HelloRetryRequest, all of TLS 1.2 before
 * ChangeCipherSpec); everything after the direction turns encrypted passes
 * through unchanged (tlsmsg.h decides when).
 *
 * Stream-aware: bytes are pushed as the sender produces them (a flight, or
 * one byte at a time); the rewriter holds them until whole records, and the
 * whole handshake messages they carry, are available, mutates, and emits.
 * rw_flush (end of the sender's burst) releases whatever is held without
 * mutating it, so a flight that ends mid-message is still delivered; a
 * partial record is held until its rest arrives. The other direction's
 * bytes are observed (rw_observe) so that the protocol state (version, HRR)
 * is known.
 *
 * Untargeted records pass byte for byte. A record group (the records that
 * carry a run of whole messages) holding a targeted message is re-framed:
 * its handshake bytes go out in records of at most 2^14 bytes (or the sizes
 * the mutation asks for) with the version of its first record. */
#ifndef TLSH_REWRITE_H
#define TLSH_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum rw_op {
	RW_PASS = 0,
	/* Record level (the target message's group, or every plaintext
	 * handshake group when msg is RW_ANY). */
	RW_FRAGMENT,       /* records of `size` bytes (1: one byte per record) */
	RW_ZERO_RECORDS,   /* a zero-length handshake record before each record */
	RW_SPLIT,          /* the target message over two records, cut at `at`
	                      bytes of the message (-1: the middle) */
	RW_COALESCE,       /* every handshake message of the flight, one record */
	RW_OVERSIZE,       /* the target in one record of `size` bytes of
	                      plaintext (a hello grows a padding extension) */
	RW_BIG_HELLO,      /* the hello grows a padding extension to `size`
	                      body bytes; records of 2^14 bytes */
	RW_RECORD_VERSION, /* the target's records carry version `value` */
	/* Message structure. `at` is a body offset (rw_boundaries lists the
	   structural ones); `fix`: enclosing lengths follow (1) or stay (0). */
	RW_TRUNCATE, /* cut the body at `at` */
	RW_PAD,      /* insert `len` bytes of `data` (zeros if NULL) at `at` */
	RW_LENGTH,   /* length field `field` set by `mode` */
	/* Extensions of a hello (by type; `ext` -1: the first one). */
	RW_EXT_ADD,  /* type `ext`, body `data`, at position `at` (-1: last) */
	RW_EXT_DROP, /* every extension of type `ext` */
	RW_EXT_DUP,  /* a copy right after the first of type `ext` */
	RW_EXT_MOVE, /* the first of type `ext` to position `at` (-1: last) */
	RW_EXT_BODY, /* replace the body (appended when absent) */
	/* Hello fields (lengths re-encoded). */
	RW_SET_VERSION, /* legacy_version = value */
	RW_SET_RANDOM,  /* `data` written at offset `at` of the random */
	RW_SET_SID,     /* legacy_session_id(_echo) = data */
	RW_SET_CIPHER,  /* ServerHello: value; ClientHello: the list = data */
	RW_SET_COMP,    /* ServerHello: value; ClientHello: the list = data */
	RW_KS_GROUP,    /* key_share group = value (ClientHello: share `at`) */
	/* Injection of a record (type `ctype`, version `rversion` or the
	   group's, fragment `data`; `copy`: the fragment is the target
	   message itself, e.g. a second HelloRetryRequest). */
	RW_INJECT_BEFORE,
	RW_INJECT_AFTER,
	RW_INJECT_MID, /* the target split in two records, the record between */
	RW_APPEND_HS,  /* `data` as handshake bytes in the target's record */
	/* Message body (any phase): XOR `value` into body byte `at` (from the
	   end when negative: -1 is the last byte). */
	RW_XOR,
	/* Message body (any phase): `data` written over the body from byte
	   `at` (from the end when negative), e.g. a field at a fixed offset. */
	RW_SET_BYTES,
	/* Encrypted phase only (enc set): the record that carries the target,
	   protected again with one change. */
	RW_E_TAG,      /* the AEAD tag / CBC MAC made wrong (bad_record_mac) */
	RW_E_CT,       /* one bit of the ciphertext flipped after protection */
	RW_E_CUT,      /* the record's last byte dropped, its length following */
	RW_E_PADDING,  /* TLS 1.3: `size` zero bytes of padding in the inner plaintext */
	RW_E_CBC_PAD,  /* TLS 1.2 CBC: value 1: a padding byte wrong; 2: a
	                  padding_length pointing before the plaintext */
	RW_E_PAD_ONLY, /* TLS 1.3: a record of `size` zero bytes (no content
	                  type) injected before the target's record */
};

/* What an encrypted-phase mutation targets (struct rw_mutation.enc): the
 * records the sender protects, decrypted with the secrets it exported
 * (rw_secret). */
enum rw_enc {
	RW_ENC_NONE = 0, /* plaintext phase (the rest of this header) */
	RW_ENC_HS,       /* the nth protected handshake message of type msg */
	RW_ENC_APPDATA,  /* the nth application_data record */
	RW_ENC_ALERT,    /* the nth alert record */
};

enum rw_len_field {
	RW_LEN_RECORD,  /* the record that carries the target */
	RW_LEN_HS,      /* the handshake header's 24-bit length */
	RW_LEN_EXTS,    /* the extensions block */
	RW_LEN_EXT,     /* extension `ext`'s length */
	RW_LEN_INNER,   /* the first length inside extension `ext` */
	RW_LEN_SID,     /* legacy_session_id's length byte */
	RW_LEN_CIPHERS, /* the ClientHello cipher_suites length */
	RW_LEN_COMP,    /* the ClientHello compression_methods length */
};

enum rw_len_mode { RW_LEN_PLUS1, RW_LEN_MINUS1, RW_LEN_ZERO, RW_LEN_MAX };

#define RW_ANY 0xff

/* One mutation. Zero-initialised fields mean: the first occurrence of the
 * message, no extension, lengths stale. */
struct rw_mutation {
	const char *name; /* stable, usable in scenario ids */
	enum rw_op op;
	uint8_t msg; /* target handshake type, or RW_ANY */
	int hrr;     /* msg 2: 1 HelloRetryRequest, 0 ServerHello, -1 either */
	int nth;     /* occurrence (0-based); -1: every one */
	int32_t ext; /* extension type; -1: the first extension */
	long at;     /* offset / position; -1: default (see the op) */
	size_t size;
	uint32_t value;
	int fix;
	enum rw_len_field field;
	enum rw_len_mode mode;
	uint8_t ctype;
	uint16_t rversion;
	int copy;
	const uint8_t *data;
	size_t len;
	const struct rw_mutation *then; /* applied to the same message after */
	/* Encrypted phase: the target is a protected record (enum rw_enc);
	 * injected records (RW_INJECT_*) are protected too (`data` NULL:
	 * `size` bytes of 'A'), and a KeyUpdate among them changes the keys
	 * the receiver believes in from then on (the rewriter translates). */
	enum rw_enc enc;
};

/* What the rewriter did: one entry per change. */
struct rw_log {
	char what[96];   /* mutation name and action */
	uint8_t msg;     /* handshake type (0xff: record level) */
	size_t offset;   /* offset in the sender's original stream */
	char before[72]; /* hex, cut at 32 bytes */
	char after[72];
};

#define RW_LOG_MAX 16

struct rewriter;

/* A rewriter for the bytes sent in direction dir (0: client->server). The
 * mutation (and its data) must outlive it. */
struct rewriter *rw_new(const struct rw_mutation *m, int dir);
void rw_free(struct rewriter *rw);
/* Bytes the sender produced; what can go out is appended to out. */
void rw_push(struct rewriter *rw, const uint8_t *p, size_t n, struct bytes *out);
/* The sender's burst ended: releases held whole records unchanged (a
 * partial record stays held until its rest arrives). */
void rw_flush(struct rewriter *rw, struct bytes *out);
/* Bytes that crossed the other way (their receiver is the sender). */
void rw_observe(struct rewriter *rw, const uint8_t *p, size_t n);
/* Times the mutation was applied (0: its target never went by). */
int rw_applied(const struct rewriter *rw);
/* 1 when the mutation was applied and no application changed a byte (e.g.
 * a key_share group set to the one already there): nothing was tested. */
int rw_no_effect(const struct rewriter *rw);
/* The log (at most RW_LOG_MAX entries are kept). */
size_t rw_log_count(const struct rewriter *rw);
const struct rw_log *rw_log_get(const struct rewriter *rw, size_t k);
/* 1 while the rewritten direction is still unencrypted. */
int rw_plaintext(const struct rewriter *rw);

/* ---- The encrypted phase ----------------------------------------------------
 *
 * A rewriter whose mutation has `enc` set follows the records the sender
 * protects: from the secrets the sender exports (rw_secret, a tlsh_secret_fn
 * with the rewriter as its argument) and the hellos seen on the wire
 * (ClientHello.random, the ServerHello's version, cipher suite, random and
 * encrypt_then_mac) it derives the keys (recprot.h: TLS 1.3 handshake then
 * application traffic, KeyUpdates followed; TLS 1.2 from the master secret
 * after ChangeCipherSpec), decrypts every protected record, applies the
 * mutation to the target and protects every record again for the receiver
 * with the keys and sequence numbers the receiver believes in. When the two
 * differ (an injected record, an injected KeyUpdate) it translates: it opens
 * with the sender's keys and seals with the receiver's, for the rest of the
 * connection. Without the secrets it stops at the first protected record,
 * passes everything on unchanged and says why (rw_enc_error). */

/* Stores one secret (label, client random, secret) the sender exported. */
void rw_secret(void *rw, const char *label, const uint8_t *client_random, const uint8_t *secret,
               size_t len);
/* Why the encrypted phase could not be followed, or "". */
const char *rw_enc_error(const struct rewriter *rw);
/* Protected records sealed for the receiver under keys or sequence numbers
 * the sender did not use (the translation at work). */
size_t rw_translated(const struct rewriter *rw);

/* Called with every protected record of the sender the rewriter opens
 * (true content type, content, TLS 1.3 padding length), e.g. by a mutant
 * that follows its own incoming records. */
typedef void (*rw_open_fn)(void *arg, uint8_t type, const uint8_t *content, size_t len,
                           size_t padding);
void rw_on_open(struct rewriter *rw, rw_open_fn fn, void *arg);

/* One protected record as the harness decrypted it. */
struct rw_plain {
	int dir;       /* 0: client->server */
	size_t offset; /* the record header's offset in the stream the receiver got */
	uint64_t seq;  /* sequence number it was protected with */
	unsigned gen;  /* TLS 1.3: 0 handshake keys, 1 + N application generation N */
	uint8_t type;  /* true content type */
	size_t len;    /* content length */
	char what[64]; /* "Finished", "application_data 100 bytes", ... */
	char hex[100]; /* the content, cut */
	int mutated;   /* the rewriter changed or injected it */
};

#define RW_PLAIN_MAX 48

size_t rw_plain_count(const struct rewriter *rw);
const struct rw_plain *rw_plain_get(const struct rewriter *rw, size_t k);

/* Decrypts the other direction's stream (the whole of what crossed the
 * other way, from its first byte) with the same secrets: its records join
 * the decrypted view, and the handshake messages and alerts it protected are
 * counted. Call once, when the connection is over. */
struct rw_other {
	int keyupdates;   /* KeyUpdate messages */
	int ku_requested; /* ... with request_update = update_requested (1) */
	int alert;        /* the first alert's description, -1 none */
	int appdata;      /* application_data records */
	int hellos;       /* ClientHello / ServerHello messages (a renegotiation) */
	int opened;       /* records decrypted */
	int failed;       /* records that did not (keys missing or wrong) */
};
void rw_decrypt_other(struct rewriter *rw, const uint8_t *wire, size_t len, struct rw_other *o);

/* The named mutations: rw_named("sh-ext-unoffered") or NULL. */
const struct rw_mutation *rw_named(const char *name);
/* The k-th named mutation, or NULL past the end. */
const struct rw_mutation *rw_named_at(size_t k);

/* Structural boundaries of a handshake message body (after each field and
 * each extension), for truncation and padding: offsets and names. Returns
 * the count (at most cap stored). */
struct rw_boundary {
	size_t at;
	char name[40];
};
size_t rw_boundaries(uint8_t type, const uint8_t *body, size_t len, struct rw_boundary *out,
                     size_t cap);

#endif
