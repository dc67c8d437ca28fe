/* tlsmsg.h - the TLS message layer shared by the wire oracle and the
 * plaintext rewriter: a bounds-checked cursor, an incremental parser that
 * splits each direction of a conversation into records and (while that
 * direction is still unencrypted) handshake messages reassembled across
 * records, a full parser of ClientHello / ServerHello / HelloRetryRequest
 * bodies with decoders for the extensions the wire rules need, and a
 * serializer that writes records, handshake messages and hellos back with
 * consistent lengths (RFC 8446 sections 4, 5; RFC 5246 sections 6, 7.4).
 *
 * Nothing here trusts its input: a malformed stream gives a note (the first
 * problem of each direction, with its byte offset), never a crash. */
#ifndef TLSH_TLSMSG_H
#define TLSH_TLSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ---- Cursor ---------------------------------------------------------- */

/* A reader over a byte range. Every getter fails softly: once `bad` is set,
 * everything reads as zero and sub-ranges are empty. */
struct tcur {
	const uint8_t *p;
	size_t n;
	int bad;
};

static inline struct tcur tcur_of(const uint8_t *p, size_t n)
{
	struct tcur c = {p, n, 0};
	return c;
}
/* Big-endian unsigned of k (1..4) bytes. */
uint32_t tcur_take(struct tcur *c, size_t k);
/* A sub-cursor over the next `len` bytes (empty and bad if short). */
struct tcur tcur_sub(struct tcur *c, size_t len);
/* A sub-cursor over a vector whose length prefix has `lenbytes` bytes. */
struct tcur tcur_vec(struct tcur *c, size_t lenbytes);
/* Copies `len` bytes out (zeros if short). */
void tcur_copy(struct tcur *c, void *dst, size_t len);

/* ---- Constants ------------------------------------------------------- */

enum {
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPDATA = 23,
};

enum {
	TLS_HS_HELLO_REQUEST = 0,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_END_OF_EARLY_DATA = 5,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_CERTIFICATE_VERIFY = 15,
	TLS_HS_CLIENT_KEY_EXCHANGE = 16,
	TLS_HS_FINISHED = 20,
	TLS_HS_CERTIFICATE_STATUS = 22,
	TLS_HS_KEY_UPDATE = 24,
	TLS_HS_MESSAGE_HASH = 254,
};

enum {
	TLS_EXT_SERVER_NAME = 0,
	TLS_EXT_STATUS_REQUEST = 5,
	TLS_EXT_SUPPORTED_GROUPS = 10,
	TLS_EXT_EC_POINT_FORMATS = 11,
	TLS_EXT_SIGNATURE_ALGORITHMS = 13,
	TLS_EXT_ALPN = 16,
	TLS_EXT_SCT = 18,
	TLS_EXT_PADDING = 21,
	TLS_EXT_ENCRYPT_THEN_MAC = 22,
	TLS_EXT_EXTENDED_MASTER_SECRET = 23,
	TLS_EXT_RECORD_SIZE_LIMIT = 28,
	TLS_EXT_SESSION_TICKET = 35,
	TLS_EXT_PRE_SHARED_KEY = 41,
	TLS_EXT_EARLY_DATA = 42,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
	TLS_EXT_COOKIE = 44,
	TLS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	TLS_EXT_CERTIFICATE_AUTHORITIES = 47,
	TLS_EXT_POST_HANDSHAKE_AUTH = 49,
	TLS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	TLS_EXT_KEY_SHARE = 51,
	TLS_EXT_RENEGOTIATION_INFO = 0xff01,
};

#define TLS_SCSV_RENEGOTIATION 0x00ff
#define TLS_SCSV_FALLBACK 0x5600
#define TLS_MAX_PLAINTEXT 16384u

/* The HelloRetryRequest random (RFC 8446 section 4.1.3). */
extern const uint8_t tls_hrr_random[32];

/* A short name for a handshake type / extension type ("ServerHello",
 * "key_share"); "?" when unknown. */
const char *tls_hs_name(unsigned type);
const char *tls_ext_name(unsigned type);
/* 1 if the value is a GREASE code point (RFC 8701: 0x?A?A, same bytes). */
int tls_is_grease(uint16_t v);

/* ---- One direction, parsed incrementally ----------------------------- */

struct tls_rec {
	size_t off;       /* stream offset of the 5-byte header */
	uint8_t type;     /* content type */
	uint16_t version; /* legacy_record_version */
	uint16_t len;     /* fragment length */
	int encrypted;    /* protected: contents opaque to the parser */
	size_t hs_off;    /* plaintext handshake records: where the fragment
	                     starts in the direction's reassembled bytes */
};

struct tls_msg {
	uint8_t type;
	uint32_t len;     /* body length */
	size_t hs_off;    /* the 4-byte header in the reassembled bytes */
	size_t first_rec; /* records that carried it (indices) */
	size_t last_rec;
	int hrr; /* a ServerHello carrying the HelloRetryRequest random */
};

struct tls_dir {
	struct bytes raw; /* every byte fed, in order */
	struct bytes hs;  /* plaintext handshake bytes, reassembled */
	struct tls_rec *rec;
	size_t n_rec, cap_rec;
	struct tls_msg *msg;
	size_t n_msg, cap_msg;
	size_t parsed;   /* raw offset up to which whole records were read */
	size_t hs_split; /* hs offset up to which whole messages were split */
	int encrypted;   /* the next record is protected */
	int dead;        /* framing lost: nothing more is parsed */
	size_t n_hello;  /* ClientHellos (c2s) / ServerHellos incl. HRR (s2c) */
	int ccs_seen;
	char malformed[160];
	size_t malformed_off;
};

/* Both directions of one connection. dir 0 is client->server. */
struct tls_conv {
	struct tls_dir d[2];
	uint16_t version; /* from the ServerHello that is not an HRR; 0 unknown */
	int sh_done;      /* that ServerHello was read */
	size_t n_hrr;
};

void tls_conv_init(struct tls_conv *c);
void tls_conv_free(struct tls_conv *c);
/* Feeds bytes of direction `dir` in crossing order (any split). A
 * direction turns encrypted in TLS 1.3 after the ServerHello (s2c; not
 * after an HRR; a ChangeCipherSpec record stays plaintext) and after the
 * client's last ClientHello (c2s: records of outer type application_data;
 * the client's handshake keys start only after the server's Finished, so
 * an alert before that is plaintext), in TLS 1.2 (or an unknown version)
 * after that direction's ChangeCipherSpec. */
void tls_conv_feed(struct tls_conv *c, int dir, const uint8_t *p, size_t n);
/* Feeds a whole transcript without timing: server->client first (its
 * ServerHello settles the version), then client->server. */
void tls_conv_parse(struct tls_conv *c, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                    size_t s2c_len);
/* Stream offset of byte `hs_off` of the reassembled handshake bytes of a
 * direction (SIZE_MAX when not mapped). */
size_t tls_dir_stream_off(const struct tls_dir *d, size_t hs_off);
/* The body of message k of a direction. */
const uint8_t *tls_msg_body(const struct tls_dir *d, size_t k);
/* Index of the n-th (0-based) message of `type` in a direction, or -1.
 * For type 2, `hrr` selects HelloRetryRequests (1), ServerHellos proper
 * (0) or both (-1). */
long tls_dir_find(const struct tls_dir *d, unsigned type, int hrr, size_t n);

/* ---- Hellos ----------------------------------------------------------- */

#define TLS_MAX_EXT 128

struct tls_ext {
	uint16_t type;
	size_t off; /* offset of the extension's 4-byte header in the body */
	const uint8_t *body;
	size_t len;
};

/* A parsed ClientHello (type 1) or ServerHello / HelloRetryRequest (2).
 * Pointers refer to the body given to tls_hello_parse. The *_off fields are
 * body offsets of each field, for the rewriter. */
struct tls_hello {
	uint8_t type;
	int hrr;
	int fixed_ok; /* every field before the extensions was read */
	uint16_t legacy_version;
	const uint8_t *random;
	const uint8_t *sid;
	size_t sid_len;
	/* ClientHello: the cipher_suites list body (2 bytes each); ServerHello:
	 * the 2-byte cipher_suite. */
	const uint8_t *ciphers;
	size_t ciphers_len;
	/* ClientHello: the compression_methods body; ServerHello: 1 byte. */
	const uint8_t *comp;
	size_t comp_len;
	int has_exts; /* an extensions block is present (may be empty) */
	size_t n_ext;
	struct tls_ext ext[TLS_MAX_EXT];
	size_t off_sid, off_ciphers, off_comp, off_exts, end;
	size_t body_len;
	char err[96]; /* "" if the body parsed completely */
};

/* Parses a hello body. Returns 0, or -1 with h->err set (fields read so
 * far stay valid). */
int tls_hello_parse(struct tls_hello *h, uint8_t type, const uint8_t *body, size_t len);
/* The first extension of `type`, or NULL. */
const struct tls_ext *tls_hello_ext(const struct tls_hello *h, uint16_t type);
/* 1 if the ClientHello lists cipher suite `id`. */
int tls_hello_has_cipher(const struct tls_hello *h, uint16_t id);
/* Writes the hello body with every length recomputed from the parsed
 * fields (the extensions in the order of h->ext). */
void tls_hello_encode(const struct tls_hello *h, struct bytes *out);

/* ---- Extension decoders (RFC 8446 4.2, RFC 6066, RFC 7301, ...) -------- */

/* A list of 16-bit values behind a `lenbytes`-byte length (supported_groups,
 * signature_algorithms: 2; ClientHello supported_versions: 1). Returns the
 * count (at most cap are stored) or -1 when malformed (odd length, length
 * mismatch, trailing bytes). */
int tls_dec_u16_list(const uint8_t *p, size_t n, size_t lenbytes, uint16_t *out, size_t cap);
/* A list of 8-bit values behind a 1-byte length (ec_point_formats,
 * psk_key_exchange_modes). Same return convention. */
int tls_dec_u8_list(const uint8_t *p, size_t n, uint8_t *out, size_t cap);

#define TLS_MAX_ITEMS 32

struct tls_item {
	uint16_t kind; /* NameType / NamedGroup */
	const uint8_t *p;
	size_t len;
};

/* server_name (RFC 6066 3): ServerNameList entries. Returns the count or
 * -1. An empty extension body (a ServerHello's) gives 0. */
int tls_dec_sni(const uint8_t *p, size_t n, struct tls_item *out, size_t cap);
/* key_share in a ClientHello (KeyShareClientHello, RFC 8446 4.2.8):
 * entries (group, key_exchange). Returns the count or -1. */
int tls_dec_key_share_ch(const uint8_t *p, size_t n, struct tls_item *out, size_t cap);
/* key_share in a ServerHello (one KeyShareEntry) or HRR (selected_group):
 * returns 0 with *group (and the key_exchange in *kx) or -1. */
int tls_dec_key_share_sh(const uint8_t *p, size_t n, int hrr, uint16_t *group, struct tls_item *kx);
/* ALPN ProtocolNameList (RFC 7301 3.1): names. Returns the count or -1
 * (an empty name or a length mismatch is malformed). */
int tls_dec_alpn(const uint8_t *p, size_t n, struct tls_item *out, size_t cap);
/* renegotiation_info (RFC 5746 3.2): the renegotiated_connection bytes.
 * Returns their length or -1. */
int tls_dec_reneg(const uint8_t *p, size_t n, const uint8_t **val);
/* An opaque<1..2^16-1> (cookie): returns its length or -1. */
int tls_dec_cookie(const uint8_t *p, size_t n);
/* pre_shared_key (RFC 8446 4.2.11): ClientHello: the number of
 * identities (and binders, which must match), or -1; ServerHello: the
 * selected_identity (0..65535) or -1. */
int tls_dec_psk(const uint8_t *p, size_t n, int server);
/* status_request (RFC 6066 8): ClientHello form (status_type 1 with
 * responder_id_list and request_extensions): 0 or -1; a ServerHello's body
 * must be empty. */
int tls_dec_status_request(const uint8_t *p, size_t n, int server);
/* padding (RFC 7685): 0 if every byte is zero, else -1. */
int tls_dec_padding(const uint8_t *p, size_t n);

/* ---- Serializer -------------------------------------------------------- */

void tls_put_u8(struct bytes *b, unsigned v);
void tls_put_u16(struct bytes *b, unsigned v);
void tls_put_u24(struct bytes *b, unsigned v);
/* A record header and fragment (the length field is len & 0xffff). */
void tls_put_record(struct bytes *b, uint8_t type, uint16_t version, const uint8_t *frag,
                    size_t len);
/* A handshake message: type, 24-bit length, body. */
void tls_put_hs(struct bytes *b, uint8_t type, const uint8_t *body, size_t len);
/* One extension: type, 16-bit length, body. */
void tls_put_ext(struct bytes *b, uint16_t type, const uint8_t *body, size_t len);

/* Lowercase hex of up to `max` bytes into dst (NUL-terminated; "..." is
 * appended when cut). Returns dst. */
char *tls_hex(char *dst, size_t cap, const uint8_t *p, size_t n, size_t max);

#endif
