/*
 * tlsh_adapter.h - what every adapter needs besides its library: the checks
 * of a configuration that do not depend on the library (a "plan" the adapter
 * then maps to its library), an error setter, a byte queue, the bookkeeping
 * of a buffer's end of stream (closed, ragged EOF, failed), RFC 9525
 * identity matching (DNS names and IP addresses) and the parsing of NSS
 * key-log lines (exported secrets).
 *
 * Single-header library in the stb style:
 *
 *     #define TLSH_ADAPTER_IMPLEMENTATION
 *     #include "tlsh_adapter.h"
 *
 * in exactly one translation unit of an adapter compiles the implementation
 * there. Every function is static, so each adapter (each .so) keeps its own
 * private copy and nothing can clash between two adapters loaded into one
 * process (OpenSSL and BoringSSL share their symbol names; these helpers
 * export none). Types, macros and declarations are visible in every file
 * that includes the header; a function can only be called from the file that
 * holds the implementation (it is static; elsewhere a call does not compile,
 * see TLSH_ADAPTER_API). The header compiles as C11 and as C++ (the Botan
 * adapter is C++).
 *
 * Nothing here does I/O except tlsh_file_read and tlsh_source_bytes, which
 * read a file a PATH source names. Nothing here keeps global state: every
 * function is reentrant.
 *
 * Conventions: a `struct tlsh_error *err` argument may be NULL (nothing is
 * written then); a function that "fails with CONFIGURATION_ERROR" fills err
 * with status TLSH_CONFIGURATION_ERROR, no alerts and a message, and returns
 * TLSH_CONFIGURATION_ERROR.
 */
#ifndef TLSH_ADAPTER_H
#define TLSH_ADAPTER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsh.h"

#ifdef TLSH_ADAPTER_IMPLEMENTATION
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** How every function of this header is declared. With the implementation
 * in this file: static (a private copy per adapter) and marked unused (an
 * adapter uses only some of them). Without it the declarations are there to
 * read, and a call is a compile-time error naming the fix (a static function
 * can only be called from the file that defines it). */
#ifdef TLSH_ADAPTER_IMPLEMENTATION
#define TLSH_ADAPTER_API __attribute__((unused)) static
#else
#define TLSH_ADAPTER_API                                                                           \
	extern __attribute__((error("tlsh_adapter.h: define TLSH_ADAPTER_IMPLEMENTATION before "   \
	                            "including it in the file that calls this (its functions "     \
	                            "are static)")))
#endif

/** printf-style argument checking for the error setters. */
#define TLSH_ADAPTER_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/** Returned by the guards below (tlsh_state_read, tlsh_state_incoming)
 * when the call should go on to the library; never a tlsh_status. */
#define TLSH_PROCEED (-1)

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Fills *err: `status`, the two alerts (TLS alert codes or TLSH_NO_ALERT)
 * and the printf-style message, cut to fit and always NUL-terminated. err
 * may be NULL. Returns `status`, so that `return tlsh_error_set(...)` reads
 * as the failure it reports.
 */
TLSH_ADAPTER_API int tlsh_error_set(struct tlsh_error *err, int status, int alert_sent,
                                    int alert_received, const char *fmt, ...)
        TLSH_ADAPTER_PRINTF(5, 6);

/** tlsh_error_set with a va_list. */
TLSH_ADAPTER_API int tlsh_error_vset(struct tlsh_error *err, int status, int alert_sent,
                                     int alert_received, const char *fmt, va_list ap)
        TLSH_ADAPTER_PRINTF(5, 0);

/** A configuration error: status TLSH_CONFIGURATION_ERROR, no alerts, the
 * message. Returns TLSH_CONFIGURATION_ERROR. */
TLSH_ADAPTER_API int tlsh_config_fail(struct tlsh_error *err, const char *fmt, ...)
        TLSH_ADAPTER_PRINTF(2, 3);

/** Success: status TLSH_OK, no alerts, an empty message. err may be NULL. */
TLSH_ADAPTER_API void tlsh_error_ok(struct tlsh_error *err);

/* ------------------------------------------------------------------------ */
/* Sources: PEM or DER, files                                               */
/* ------------------------------------------------------------------------ */

/** Bit of a source kind in tlsh_plan_rules' kind sets. */
#define TLSH_KIND(k) (1u << (unsigned)(k))

/** "NONE", "BUFFER", "PATH", "ID", "SYSTEM", or "unknown" for a value that
 * is none of them (for messages). */
TLSH_ADAPTER_API const char *tlsh_source_kind_name(enum tlsh_source_kind k);

/**
 * PEM or DER, as tlsh.h defines it for TLSH_SOURCE_BUFFER: 1 when the bytes
 * start with "-----BEGIN" after optional ASCII white space (space, tab, CR,
 * LF), else 0 (DER). Text before the first BEGIN line, an empty buffer, or
 * DER that happens to start with '-' are all "not PEM"; whether the PEM is
 * well-formed (an END line, valid base64) is for the library's parser to say.
 */
TLSH_ADAPTER_API int tlsh_is_pem(const void *data, size_t len);

/**
 * Reads the regular file `path` into a new allocation: *data (free() it)
 * holding *len bytes, followed by one NUL byte that *len does not count (for
 * parsers that want C strings). Returns 0, or an errno value with *data NULL
 * and *len 0: the open error (ENOENT, EACCES, ...), EISDIR (not a regular
 * file), EFBIG (more than `max` bytes), ENODATA (empty), ENOMEM or EIO.
 */
TLSH_ADAPTER_API int tlsh_file_read(const char *path, size_t max, uint8_t **data, size_t *len);

/**
 * The bytes of a BUFFER or PATH source. BUFFER: *data points into the
 * source (borrowed) and *owned is NULL; `max` does not apply (a BUFFER's
 * length is tlsh_plan_config's to check). PATH: the file is read with
 * tlsh_file_read(s->path, max, ...); *data == *owned, which the caller
 * frees. Returns 0 or an errno value (EINVAL for another kind or a NULL
 * pointer where bytes or a path should be).
 */
TLSH_ADAPTER_API int tlsh_source_bytes(const struct tlsh_source *s, size_t max,
                                       const uint8_t **data, size_t *len, uint8_t **owned);

/* ------------------------------------------------------------------------ */
/* Configuration plan                                                       */
/* ------------------------------------------------------------------------ */

/** What the library can do, for tlsh_plan_config. */
struct tlsh_plan_rules {
	/** The library negotiates TLS 1.3. Without it MAXIMUM_SUPPORTED means
	 * TLS 1.2, a highest version of TLS 1.3 is capped to TLS 1.2 and a
	 * lowest version of TLS 1.3 is a CONFIGURATION_ERROR. */
	int tls13;
	/** Source kinds accepted for certificates, intermediates and keys:
	 * TLSH_KIND() bits. */
	unsigned chain_kinds;
	/** Source kinds accepted for a trust store: TLSH_KIND() bits. NONE (no
	 * trust store given) is always accepted. */
	unsigned trust_kinds;
	/** Largest BUFFER source, in bytes; 0: no limit. */
	size_t max_buffer;
	/** Largest ALPN list as sent on the wire (the sum of 1 + length over
	 * the names); 0: 65535. */
	size_t max_alpn_wire;
	/** The library's name and version, for messages ("BearSSL 0.6"). */
	const char *library;
};

/** The kinds most adapters accept for certificates and keys... */
#define TLSH_KINDS_CHAIN (TLSH_KIND(TLSH_SOURCE_BUFFER) | TLSH_KIND(TLSH_SOURCE_PATH))
/** ... and for a trust store. */
#define TLSH_KINDS_TRUST                                                                           \
	(TLSH_KIND(TLSH_SOURCE_BUFFER) | TLSH_KIND(TLSH_SOURCE_PATH) |                             \
	 TLSH_KIND(TLSH_SOURCE_SYSTEM))

/** Copies `in` into *out honouring in->struct_size (tlsh.h: fields beyond it
 * read as zero), then sets out->struct_size to sizeof *out. For adapters
 * that take a configuration apart without tlsh_plan_config (the PEP 748
 * bridge hands it to Python). in must not be NULL. */
TLSH_ADAPTER_API void tlsh_config_copy(const struct tlsh_config *in, struct tlsh_config *out);

/** A checked configuration, what the adapter maps to its library. */
struct tlsh_plan {
	/** The caller's configuration with struct_size honoured: the fields
	 * beyond the caller's struct_size are zero. Its pointers are still the
	 * caller's (borrowed for the call); struct_size is sizeof c. */
	struct tlsh_config c;
	/** The version range, resolved to TLSH_TLS_1_2 / TLSH_TLS_1_3 (never a
	 * sentinel), lowest <= highest. tlsh_plan_ciphers may narrow it. */
	enum tlsh_version lowest, highest;
	/** Client: verify the server's certificate (no NO_VERIFY). Server:
	 * request, require and verify a client certificate (a trust store of
	 * a kind other than NONE). */
	int verify_peer;
	/** Client: also verify that the certificate names server_hostname
	 * (verify_peer and no NO_HOSTNAME_CHECK). Always 0 for a server. */
	int check_name;
	/** The ALPN list as sent on the wire: the sum of 1 + length over
	 * inner_protocols; 0 without ALPN. */
	size_t alpn_wire_len;
};

/**
 * Checks what does not depend on the library and fills *p (zeroed first).
 * Fails with CONFIGURATION_ERROR, naming the problem, for:
 *  - a role other than client or server, a NULL config;
 *  - versions, as tlsh.h's struct tlsh_config defines them: NONE stands for
 *    MINIMUM_SUPPORTED (lowest) / MAXIMUM_SUPPORTED (highest); a value that
 *    is none of MINIMUM_SUPPORTED, TLS 1.2, TLS 1.3, MAXIMUM_SUPPORTED (e.g.
 *    0x0302, 0x0305); lowest above highest in the order MINIMUM < 1.2 < 1.3
 *    < MAXIMUM; lowest MAXIMUM_SUPPORTED with any other highest; highest
 *    MINIMUM_SUPPORTED with any other lowest; lowest TLS 1.3 where
 *    rules->tls13 is 0. The range is then resolved: MINIMUM is TLS 1.2
 *    (never lower), MAXIMUM is TLS 1.3 (TLS 1.2 without rules->tls13);
 *  - certificate chains: chains_len > 0 with a NULL array, a server without
 *    a chain, a client with more than one; in each chain the leaf, the key
 *    and every intermediate must be a kind of rules->chain_kinds; a NULL
 *    intermediates array with chain_len > 0;
 *  - a trust store of a kind outside rules->trust_kinds (NONE is fine);
 *  - a BUFFER source with NULL data, no bytes or more than
 *    rules->max_buffer; a PATH source with a NULL or empty path;
 *  - insecure bits other than NO_VERIFY and NO_HOSTNAME_CHECK (on a server
 *    the two are accepted and have no effect: verify_peer and check_name
 *    do not look at them there);
 *  - ALPN: inner_protocols_len > 0 with a NULL array; a name with NULL data
 *    or a length outside 1..255; a wire list longer than
 *    rules->max_alpn_wire;
 *  - ciphers_len > 0 with a NULL array.
 * What the library adds (cipher ids it knows, ALPN bytes its API cannot
 * carry, ...) the adapter checks afterwards. Returns TLSH_OK or
 * TLSH_CONFIGURATION_ERROR.
 */
TLSH_ADAPTER_API int tlsh_plan_config(const struct tlsh_plan_rules *rules, enum tlsh_role role,
                                      const struct tlsh_config *config, struct tlsh_plan *p,
                                      struct tlsh_error *err);

/**
 * Narrows p's version range to what a configured cipher list can serve
 * (call it only when config.ciphers is not NULL): `has12` / `has13` say
 * whether the list names a suite the library can use in TLS 1.2 / TLS 1.3.
 * Fails with CONFIGURATION_ERROR when it names none, when the range is TLS
 * 1.3 only and no TLS 1.3 suite is named, or TLS 1.2 only and no TLS 1.2
 * suite is named. Otherwise a version without a suite is dropped from the
 * range. Returns TLSH_OK or TLSH_CONFIGURATION_ERROR.
 */
TLSH_ADAPTER_API int tlsh_plan_ciphers(struct tlsh_plan *p, int has12, int has13,
                                       struct tlsh_error *err);

/* ------------------------------------------------------------------------ */
/* ALPN                                                                     */
/* ------------------------------------------------------------------------ */

/**
 * The inner_protocols of a checked config in wire format (each name after
 * its length byte, RFC 7301 section 3.1) in a new allocation (*out, free()
 * it) of *len bytes. With no protocols *out is NULL and *len 0. Returns 1,
 * or 0 when out of memory.
 */
TLSH_ADAPTER_API int tlsh_alpn_wire(const struct tlsh_config *c, uint8_t **out, size_t *len);

/**
 * Server-side ALPN choice (RFC 7301 section 3.2): the first protocol of
 * `mine` (the server's list, wire format) that `offer` (the client's list,
 * wire format) holds. Returns 1 and sets *out (pointing into `mine`) and
 * *out_len, or 0 when none overlaps. A malformed entry (length 0 or beyond
 * the end) ends a list.
 */
TLSH_ADAPTER_API int tlsh_alpn_select(const uint8_t *mine, size_t mine_len, const uint8_t *offer,
                                      size_t offer_len, const uint8_t **out, uint8_t *out_len);

/* ------------------------------------------------------------------------ */
/* Byte queue                                                               */
/* ------------------------------------------------------------------------ */

/** A growable FIFO of bytes: bytes [off, off + len) of p are pending. A
 * zeroed struct is an empty queue; tlsh_queue_free releases it. */
struct tlsh_queue {
	uint8_t *p;
	size_t off, len, cap;
};

/** Appends n bytes (n == 0 is fine, data may then be NULL). Returns 1, or 0
 * when out of memory (the queue is unchanged). */
TLSH_ADAPTER_API int tlsh_queue_append(struct tlsh_queue *q, const void *data, size_t n);

/** The pending bytes (NULL when there are none); valid until the next
 * append, consume or free. */
TLSH_ADAPTER_API const uint8_t *tlsh_queue_peek(const struct tlsh_queue *q);

/** How many bytes are pending. */
TLSH_ADAPTER_API size_t tlsh_queue_length(const struct tlsh_queue *q);

/** Drops the first n pending bytes (all of them when n is larger). */
TLSH_ADAPTER_API void tlsh_queue_consume(struct tlsh_queue *q, size_t n);

/** Copies up to `cap` pending bytes into dst and drops them. Returns how
 * many. */
TLSH_ADAPTER_API size_t tlsh_queue_take(struct tlsh_queue *q, void *dst, size_t cap);

/** Releases the memory; the queue is empty and usable again. */
TLSH_ADAPTER_API void tlsh_queue_free(struct tlsh_queue *q);

/* ------------------------------------------------------------------------ */
/* A buffer's state: end of stream, failure, alerts, last error             */
/* ------------------------------------------------------------------------ */

/**
 * The bookkeeping tlsh.h asks of every buffer, whatever its library:
 * process_incoming_eof was called; read returned CLOSED (sticky: every
 * later read returns CLOSED) or RAGGED_EOF (likewise); a fatal error
 * happened (sticky: every later call returns TLS_ERROR, only the queries
 * and last_error work); the alerts the buffer sent and received; the detail
 * last_error returns. tlsh_state_init starts it.
 */
struct tlsh_state {
	/** process_incoming_eof was called: no more bytes will arrive. */
	int eof;
	/** read returned CLOSED (the peer's close_notify). */
	int closed;
	/** read returned RAGGED_EOF (transport EOF without close_notify). */
	int ragged;
	/** A fatal error happened. */
	int failed;
	/** The first alert sent / received (close_notify as a warning is not
	 * counted), replaced once by the first fatal one; TLSH_NO_ALERT. */
	int alert_sent, alert_sent_fatal;
	int alert_received, alert_received_fatal;
	/** What last_error returns. */
	struct tlsh_error last;
};

/** Zeroes the flags; no alerts; last error status OK with no alerts. */
TLSH_ADAPTER_API void tlsh_state_init(struct tlsh_state *s);

/** Notes an alert the buffer sent (`sent` 1) or received (0): the first one
 * is kept, a fatal one replaces a kept warning once. A warning close_notify
 * and codes outside 0..255 are ignored. */
TLSH_ADAPTER_API void tlsh_state_alert(struct tlsh_state *s, int sent, int code, int fatal);

/** Records a failing call: last = `status`, the alerts noted so far and the
 * message. Does not mark the buffer failed (a refused call, RAGGED_EOF).
 * Returns `status`. */
TLSH_ADAPTER_API int tlsh_state_fail(struct tlsh_state *s, int status, const char *fmt, ...)
        TLSH_ADAPTER_PRINTF(3, 4);

/** A fatal failure: marks the buffer failed and records TLS_ERROR with the
 * message. Returns TLSH_TLS_ERROR. */
TLSH_ADAPTER_API int tlsh_state_kill(struct tlsh_state *s, const char *fmt, ...)
        TLSH_ADAPTER_PRINTF(2, 3);

/** A call on a buffer that already failed: TLS_ERROR again, keeping the
 * detail of the failure. Returns TLSH_TLS_ERROR. */
TLSH_ADAPTER_API int tlsh_state_dead(struct tlsh_state *s);

/** The start of read: sets *n to 0 and returns CLOSED or RAGGED_EOF when
 * read said so before (sticky), TLS_ERROR (tlsh_state_dead) when the buffer
 * failed, else TLSH_PROCEED. */
TLSH_ADAPTER_API int tlsh_state_read(struct tlsh_state *s, size_t *n);

/** The peer's close_notify ended the stream: marks it closed. Returns
 * TLSH_CLOSED. */
TLSH_ADAPTER_API int tlsh_state_closed(struct tlsh_state *s);

/** The transport ended without close_notify after the handshake: marks it
 * ragged and records RAGGED_EOF with the message. Returns
 * TLSH_RAGGED_EOF. */
TLSH_ADAPTER_API int tlsh_state_ragged(struct tlsh_state *s, const char *fmt, ...)
        TLSH_ADAPTER_PRINTF(2, 3);

/**
 * The checks of process_incoming before bytes are stored: TLS_ERROR
 * (recorded, the buffer stays usable) after process_incoming_eof or for
 * NULL data with len > 0; OK for no bytes, and OK without storing anything
 * after a failure, after CLOSED or when `drop` is set (the adapter's own
 * reason, e.g. the peer's close_notify was processed: RFC 8446 section 6.1);
 * WANT_READ when `pending` bytes are already held and len more would exceed
 * `cap` (a delivery into an empty buffer is always taken); else
 * TLSH_PROCEED: store them.
 */
TLSH_ADAPTER_API int tlsh_state_incoming(struct tlsh_state *s, int drop, const uint8_t *data,
                                         size_t len, size_t pending, size_t cap);

/** process_incoming for an adapter that keeps the incoming bytes in a
 * tlsh_queue: tlsh_state_incoming (pending = the queue's length), then the
 * bytes are appended to `in`. Returns what process_incoming returns: OK,
 * WANT_READ, or TLS_ERROR (recorded; also when out of memory). */
TLSH_ADAPTER_API int tlsh_state_store(struct tlsh_state *s, struct tlsh_queue *in, int drop,
                                      const uint8_t *data, size_t len, size_t cap);

/* ------------------------------------------------------------------------ */
/* Identity (RFC 9525)                                                      */
/* ------------------------------------------------------------------------ */

/**
 * Does the presented DNS-ID `pattern` (a subjectAltName dNSName: `len`
 * bytes, not NUL-terminated) name the reference identity `host` (a DNS name,
 * NUL-terminated)? RFC 9525 sections 6.3 and 6.4 (RFC 6125 where 9525 defers
 * to it, RFC 4343 for case):
 *  - labels compare equal ignoring ASCII case (no locale; other bytes must
 *    be identical); IDNA A-labels ("xn--...") are ordinary ASCII labels;
 *  - one trailing dot, on either name, is the absolute form of the same name
 *    ("a.example." is "a.example"); an empty label anywhere else (two
 *    trailing dots, "a..b", a leading dot, an empty name) never matches;
 *  - a wildcard is only "*" as the complete left-most label of the pattern,
 *    followed by at least two labels ("*.example.com", not "*.com"); it
 *    stands for exactly one non-empty label of `host` ("*.example.com"
 *    matches "a.example.com", not "example.com" nor "a.b.example.com"); any
 *    other '*' ("w*.example.com", "*w.example.com", "a.*.example.com",
 *    "xn--*.example") makes the pattern match nothing, so a wildcard never
 *    matches into an A-label;
 *  - a pattern holding a NUL byte matches nothing (`host` is a C string);
 *    a host holding '*' matches nothing.
 * There is no CN fallback: the caller passes subjectAltName dNSName entries
 * only. Returns 1 or 0.
 */
TLSH_ADAPTER_API int tlsh_dns_match(const void *pattern, size_t len, const char *host);

/** Parses an IPv4 or IPv6 literal ("127.0.0.1", "::1") into 4 or 16 bytes
 * in network order (the form of an iPAddress subjectAltName). Returns 4 or
 * 16, or 0 when `text` is not an IP literal (then a DNS name). */
TLSH_ADAPTER_API size_t tlsh_ip_parse(const char *text, uint8_t out[16]);

/** GeneralName tags of the subjectAltName entries tlsh_identity_match takes
 * (RFC 5280 section 4.2.1.6). */
enum tlsh_san_type { TLSH_SAN_DNS = 2, TLSH_SAN_IP = 7 };

/** What a client verifies its server against: nothing, a DNS name or an IP
 * address (RFC 6066 section 3: an IP literal is never sent as SNI). */
enum tlsh_identity_kind { TLSH_IDENTITY_NONE, TLSH_IDENTITY_DNS, TLSH_IDENTITY_IP };

/** A reference identity, from server_hostname (tlsh_identity_set). */
struct tlsh_identity {
	enum tlsh_identity_kind kind;
	/** DNS: the name as given (at most 255 bytes; a longer name is kept
	 * cut short with `too_long` set and matches nothing). */
	char dns[256];
	int too_long;
	/** IP: the address, 4 or 16 bytes. */
	uint8_t ip[16];
	size_t ip_len;
};

/** Sets *id from server_hostname: NULL or "" is NONE, an IP literal is IP,
 * anything else DNS. */
TLSH_ADAPTER_API void tlsh_identity_set(struct tlsh_identity *id, const char *host);

/** Does one subjectAltName entry (GeneralName `type`, its `len` content
 * bytes) name the identity? A dNSName is matched with tlsh_dns_match
 * against a DNS identity, an iPAddress byte for byte against an IP
 * identity; every other combination (and a NONE identity) is 0. */
TLSH_ADAPTER_API int tlsh_identity_match(const struct tlsh_identity *id, int type, const void *data,
                                         size_t len);

/** A client's server_hostname as buffer_new takes it (tlsh.h). check_name:
 * the client verifies names (tlsh_plan.check_name: no NO_VERIFY, no
 * NO_HOSTNAME_CHECK). Sets *id to the identity to verify (NONE when
 * check_name is 0) and sni to the name to send as SNI, "" for none:
 *  - NULL or "": no SNI; accepted only when check_name is 0 (PEP 748's
 *    create_buffer always takes a name, and only the insecure flags turn
 *    the check off), else CONFIGURATION_ERROR;
 *  - an IP literal: no SNI (RFC 6066 section 3);
 *  - a DNS name: sent as given (its case kept) without one trailing dot,
 *    the absolute form of the same name (RFC 6066 section 3); a name of
 *    more than 255 bytes is a CONFIGURATION_ERROR.
 * Returns TLSH_OK or TLSH_CONFIGURATION_ERROR (err set, naming it). */
TLSH_ADAPTER_API int tlsh_client_name(const char *host, int check_name, struct tlsh_identity *id,
                                      char sni[256], struct tlsh_error *err);

/* ------------------------------------------------------------------------ */
/* Exported secrets (set_secret_callback)                                   */
/* ------------------------------------------------------------------------ */

/** Longest label tlsh_keylog_line accepts, in characters. */
#define TLSH_KEYLOG_LABEL_MAX 47
/** Largest secret tlsh.h's tlsh_secret_fn carries, in bytes. */
#define TLSH_KEYLOG_SECRET_MAX 64

/**
 * One NSS key-log line, as OpenSSL's and BoringSSL's keylog callbacks hand
 * it over: "LABEL <client random> <secret>", the label 1 to
 * TLSH_KEYLOG_LABEL_MAX characters of [A-Z0-9_], the client random exactly
 * 64 hex digits (32 bytes), the secret an even number of hex digits (1 to
 * TLSH_KEYLOG_SECRET_MAX bytes), hex in either case, single spaces between
 * the fields and nothing after the secret (no newline). Strict: anything
 * else is malformed, and the line is never read past its NUL. On a
 * well-formed line calls cb(arg, label, client_random, secret, len) when cb
 * is not NULL and returns 1; returns 0 (no call) for a malformed or NULL
 * line.
 */
TLSH_ADAPTER_API int tlsh_keylog_line(const char *line, tlsh_secret_fn cb, void *arg);

/* ======================================================================== */
/* Implementation                                                           */
/* ======================================================================== */

#ifdef TLSH_ADAPTER_IMPLEMENTATION

TLSH_ADAPTER_API int tlsh_error_vset(struct tlsh_error *err, int status, int alert_sent,
                                     int alert_received, const char *fmt, va_list ap)
{
	if (err == NULL)
		return status;
	err->status = status;
	err->alert_sent = alert_sent;
	err->alert_received = alert_received;
	if (vsnprintf(err->message, sizeof err->message, fmt, ap) < 0)
		err->message[0] = '\0';
	err->message[sizeof err->message - 1] = '\0';
	return status;
}

TLSH_ADAPTER_API int tlsh_error_set(struct tlsh_error *err, int status, int alert_sent,
                                    int alert_received, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tlsh_error_vset(err, status, alert_sent, alert_received, fmt, ap);
	va_end(ap);
	return status;
}

TLSH_ADAPTER_API int tlsh_config_fail(struct tlsh_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tlsh_error_vset(err, TLSH_CONFIGURATION_ERROR, TLSH_NO_ALERT, TLSH_NO_ALERT, fmt, ap);
	va_end(ap);
	return TLSH_CONFIGURATION_ERROR;
}

TLSH_ADAPTER_API void tlsh_error_ok(struct tlsh_error *err)
{
	tlsh_error_set(err, TLSH_OK, TLSH_NO_ALERT, TLSH_NO_ALERT, "%s", "");
}

/* ---- sources -------------------------------------------------------------- */

TLSH_ADAPTER_API const char *tlsh_source_kind_name(enum tlsh_source_kind k)
{
	switch (k) {
	case TLSH_SOURCE_NONE:
		return "NONE";
	case TLSH_SOURCE_BUFFER:
		return "BUFFER";
	case TLSH_SOURCE_PATH:
		return "PATH";
	case TLSH_SOURCE_ID:
		return "ID";
	case TLSH_SOURCE_SYSTEM:
		return "SYSTEM";
	}
	return "unknown";
}

TLSH_ADAPTER_API int tlsh_is_pem(const void *data, size_t len)
{
	static const char tag[] = "-----BEGIN";
	const unsigned char *p = (const unsigned char *)data;
	if (p == NULL)
		return 0;
	while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		len--;
	}
	return len >= sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0;
}

TLSH_ADAPTER_API int tlsh_file_read(const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int e = 0;
	*data = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno != 0 ? errno : EIO;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return EISDIR;
	}
	for (;;) {
		if (n == cap) {
			size_t want = cap ? cap * 2 : 8192;
			uint8_t *nb = (uint8_t *)realloc(buf, want + 1);
			if (nb == NULL) {
				e = ENOMEM;
				break;
			}
			buf = nb;
			cap = want;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			e = EFBIG;
			break;
		}
		if (got == 0) {
			if (ferror(f))
				e = EIO;
			break;
		}
	}
	fclose(f);
	if (e == 0 && n == 0)
		e = ENODATA;
	if (e != 0) {
		free(buf);
		return e;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

TLSH_ADAPTER_API int tlsh_source_bytes(const struct tlsh_source *s, size_t max,
                                       const uint8_t **data, size_t *len, uint8_t **owned)
{
	*data = NULL;
	*len = 0;
	*owned = NULL;
	if (s->kind == TLSH_SOURCE_BUFFER && s->data != NULL) {
		*data = s->data;
		*len = s->len;
		return 0;
	}
	if (s->kind != TLSH_SOURCE_PATH || s->path == NULL)
		return EINVAL;
	int e = tlsh_file_read(s->path, max, owned, len);
	*data = *owned;
	return e;
}

/* ---- the configuration plan ---------------------------------------------- */

TLSH_ADAPTER_API void tlsh_config_copy(const struct tlsh_config *in, struct tlsh_config *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out, in, in->struct_size < sizeof *out ? in->struct_size : sizeof *out);
	out->struct_size = sizeof *out;
}

/* Position of a (non-NONE) version value in MINIMUM < 1.2 < 1.3 < MAXIMUM,
 * -1 for a value tlsh.h does not define. */
TLSH_ADAPTER_API int tlsh_version_rank_(enum tlsh_version v)
{
	switch (v) {
	case TLSH_VERSION_MINIMUM_SUPPORTED:
		return 0;
	case TLSH_TLS_1_2:
		return 1;
	case TLSH_TLS_1_3:
		return 2;
	case TLSH_VERSION_MAXIMUM_SUPPORTED:
		return 3;
	case TLSH_VERSION_NONE:
		break;
	}
	return -1;
}

/* A defined version value as text (for messages). */
TLSH_ADAPTER_API const char *tlsh_version_text_(enum tlsh_version v)
{
	switch (v) {
	case TLSH_VERSION_MINIMUM_SUPPORTED:
		return "MINIMUM_SUPPORTED";
	case TLSH_TLS_1_2:
		return "TLS 1.2";
	case TLSH_TLS_1_3:
		return "TLS 1.3";
	case TLSH_VERSION_MAXIMUM_SUPPORTED:
		return "MAXIMUM_SUPPORTED";
	case TLSH_VERSION_NONE:
		break;
	}
	return "NONE";
}

/* Checks one source against the accepted kinds. */
TLSH_ADAPTER_API int tlsh_plan_source_(const struct tlsh_plan_rules *r, const struct tlsh_source *s,
                                       unsigned kinds, const char *what, struct tlsh_error *err)
{
	unsigned k = (unsigned)s->kind;
	if (k >= 32 || !(kinds & TLSH_KIND(k)))
		return tlsh_config_fail(err, "%s: source kind %s is not supported by %s", what,
		                        tlsh_source_kind_name(s->kind), r->library);
	if (s->kind == TLSH_SOURCE_BUFFER &&
	    (s->data == NULL || s->len == 0 || (r->max_buffer && s->len > r->max_buffer)))
		return tlsh_config_fail(err, "%s: empty or oversized buffer (%zu bytes)", what,
		                        s->len);
	if (s->kind == TLSH_SOURCE_PATH && (s->path == NULL || s->path[0] == '\0'))
		return tlsh_config_fail(err, "%s: empty path", what);
	return TLSH_OK;
}

TLSH_ADAPTER_API int tlsh_plan_config(const struct tlsh_plan_rules *rules, enum tlsh_role role,
                                      const struct tlsh_config *config, struct tlsh_plan *p,
                                      struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (role != TLSH_ROLE_CLIENT && role != TLSH_ROLE_SERVER)
		return tlsh_config_fail(err, "unknown role %d", (int)role);
	if (config == NULL)
		return tlsh_config_fail(err, "no configuration");
	tlsh_config_copy(config, &p->c);
	const struct tlsh_config *c = &p->c;

	/* Versions. */
	enum tlsh_version lo = c->lowest_supported_version, hi = c->highest_supported_version;
	if (lo == TLSH_VERSION_NONE)
		lo = TLSH_VERSION_MINIMUM_SUPPORTED;
	if (hi == TLSH_VERSION_NONE)
		hi = TLSH_VERSION_MAXIMUM_SUPPORTED;
	int rlo = tlsh_version_rank_(lo), rhi = tlsh_version_rank_(hi);
	if (rlo < 0 || rhi < 0)
		return tlsh_config_fail(err,
		                        "unknown TLS version value (lowest 0x%04x, highest 0x%04x)",
		                        (unsigned)c->lowest_supported_version,
		                        (unsigned)c->highest_supported_version);
	/* In that order MAXIMUM_SUPPORTED as lowest needs MAXIMUM_SUPPORTED as
	 * highest, and MINIMUM_SUPPORTED as highest needs it as lowest. */
	if (rlo > rhi)
		return tlsh_config_fail(err, "lowest version %s is above highest version %s",
		                        tlsh_version_text_(lo), tlsh_version_text_(hi));
	if (lo == TLSH_TLS_1_3 && !rules->tls13)
		return tlsh_config_fail(
		        err,
		        "lowest version TLS 1.3: %s implements TLS 1.2 only, so the "
		        "range leaves no version",
		        rules->library);
	enum tlsh_version top = rules->tls13 ? TLSH_TLS_1_3 : TLSH_TLS_1_2;
	p->lowest = lo == TLSH_TLS_1_3 || lo == TLSH_VERSION_MAXIMUM_SUPPORTED ? top : TLSH_TLS_1_2;
	p->highest =
	        hi == TLSH_TLS_1_2 || hi == TLSH_VERSION_MINIMUM_SUPPORTED ? TLSH_TLS_1_2 : top;

	/* Certificate chains. */
	if (c->certificate_chains_len > 0 && c->certificate_chains == NULL)
		return tlsh_config_fail(err, "certificate_chains is NULL");
	if (role == TLSH_ROLE_SERVER && c->certificate_chains_len == 0)
		return tlsh_config_fail(err, "a server needs a certificate chain");
	if (role == TLSH_ROLE_CLIENT && c->certificate_chains_len > 1)
		return tlsh_config_fail(err, "a client takes at most one certificate chain");
	for (size_t i = 0; i < c->certificate_chains_len; i++) {
		const struct tlsh_signing_chain *ch = &c->certificate_chains[i];
		char what[64];
		snprintf(what, sizeof what, "chain %zu leaf", i);
		if (tlsh_plan_source_(rules, &ch->leaf, rules->chain_kinds, what, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		snprintf(what, sizeof what, "chain %zu key", i);
		if (tlsh_plan_source_(rules, &ch->key, rules->chain_kinds, what, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		if (ch->chain_len > 0 && ch->chain == NULL)
			return tlsh_config_fail(err, "chain %zu: intermediates are NULL", i);
		for (size_t j = 0; j < ch->chain_len; j++) {
			snprintf(what, sizeof what, "chain %zu intermediate %zu", i, j);
			if (tlsh_plan_source_(rules, &ch->chain[j], rules->chain_kinds, what,
			                      err) != TLSH_OK)
				return TLSH_CONFIGURATION_ERROR;
		}
	}

	/* Trust store. */
	const struct tlsh_source *ts = c->trust_store;
	if (ts != NULL && ts->kind != TLSH_SOURCE_NONE &&
	    tlsh_plan_source_(rules, ts, rules->trust_kinds, "trust store", err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;

	/* Insecure flags. */
	const uint32_t known = TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK;
	if (c->insecure & ~known)
		return tlsh_config_fail(err, "unknown insecure flags 0x%x", (unsigned)c->insecure);
	if (role == TLSH_ROLE_CLIENT) {
		p->verify_peer = !(c->insecure & TLSH_INSECURE_NO_VERIFY);
		p->check_name = p->verify_peer && !(c->insecure & TLSH_INSECURE_NO_HOSTNAME_CHECK);
	} else {
		p->verify_peer = ts != NULL && ts->kind != TLSH_SOURCE_NONE;
	}

	/* ALPN. */
	if (c->inner_protocols_len > 0 && c->inner_protocols == NULL)
		return tlsh_config_fail(err, "inner_protocols is NULL");
	size_t wire = 0, max_wire = rules->max_alpn_wire ? rules->max_alpn_wire : 65535;
	for (size_t i = 0; i < c->inner_protocols_len; i++) {
		const struct tlsh_bytes *pr = &c->inner_protocols[i];
		if (pr->len < 1 || pr->len > 255 || pr->data == NULL)
			return tlsh_config_fail(
			        err,
			        "ALPN protocol %zu has length %zu%s (must be 1..255 "
			        "bytes)",
			        i, pr->len, pr->data == NULL ? " and no data" : "");
		wire += 1 + pr->len;
		if (wire > max_wire)
			return tlsh_config_fail(
			        err, "ALPN protocol list too long (more than %zu bytes)", max_wire);
	}
	p->alpn_wire_len = wire;

	/* Ciphers: which ids the library knows is the adapter's business. */
	if (c->ciphers_len > 0 && c->ciphers == NULL)
		return tlsh_config_fail(err, "ciphers is NULL");
	return TLSH_OK;
}

TLSH_ADAPTER_API int tlsh_plan_ciphers(struct tlsh_plan *p, int has12, int has13,
                                       struct tlsh_error *err)
{
	if (!has12 && !has13)
		return tlsh_config_fail(err, "no cipher suite in the list is supported");
	if (!has13) {
		if (p->lowest == TLSH_TLS_1_3)
			return tlsh_config_fail(err, "no TLS 1.3 cipher suite for a TLS 1.3-only "
			                             "configuration");
		p->highest = TLSH_TLS_1_2;
	}
	if (!has12) {
		if (p->highest == TLSH_TLS_1_2)
			return tlsh_config_fail(err, "no TLS 1.2 cipher suite for a TLS 1.2-only "
			                             "configuration");
		p->lowest = TLSH_TLS_1_3;
	}
	return TLSH_OK;
}

/* ---- ALPN ------------------------------------------------------------------ */

TLSH_ADAPTER_API int tlsh_alpn_wire(const struct tlsh_config *c, uint8_t **out, size_t *len)
{
	size_t n = 0;
	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < c->inner_protocols_len; i++)
		n += 1 + c->inner_protocols[i].len;
	if (n == 0)
		return 1;
	uint8_t *w = (uint8_t *)malloc(n);
	if (w == NULL)
		return 0;
	size_t off = 0;
	for (size_t i = 0; i < c->inner_protocols_len; i++) {
		const struct tlsh_bytes *pr = &c->inner_protocols[i];
		w[off++] = (uint8_t)pr->len;
		memcpy(w + off, pr->data, pr->len);
		off += pr->len;
	}
	*out = w;
	*len = n;
	return 1;
}

TLSH_ADAPTER_API int tlsh_alpn_select(const uint8_t *mine, size_t mine_len, const uint8_t *offer,
                                      size_t offer_len, const uint8_t **out, uint8_t *out_len)
{
	for (size_t i = 0; i < mine_len;) {
		size_t ml = mine[i];
		if (ml == 0 || ml > mine_len - i - 1)
			break;
		for (size_t j = 0; j < offer_len;) {
			size_t ol = offer[j];
			if (ol == 0 || ol > offer_len - j - 1)
				break;
			if (ol == ml && memcmp(offer + j + 1, mine + i + 1, ml) == 0) {
				*out = mine + i + 1;
				*out_len = (uint8_t)ml;
				return 1;
			}
			j += 1 + ol;
		}
		i += 1 + ml;
	}
	return 0;
}

/* ---- byte queue ------------------------------------------------------------ */

TLSH_ADAPTER_API int tlsh_queue_append(struct tlsh_queue *q, const void *data, size_t n)
{
	if (n == 0)
		return 1;
	if (q->len == 0)
		q->off = 0;
	if (n > q->cap - q->off - q->len && q->off > 0) {
		memmove(q->p, q->p + q->off, q->len);
		q->off = 0;
	}
	if (n > q->cap - q->len) {
		if (n > SIZE_MAX / 2 - q->len)
			return 0;
		size_t cap = q->cap ? q->cap : 4096;
		while (cap < q->len + n)
			cap *= 2;
		uint8_t *p = (uint8_t *)realloc(q->p, cap);
		if (p == NULL)
			return 0;
		q->p = p;
		q->cap = cap;
	}
	memcpy(q->p + q->off + q->len, data, n);
	q->len += n;
	return 1;
}

TLSH_ADAPTER_API const uint8_t *tlsh_queue_peek(const struct tlsh_queue *q)
{
	return q->len > 0 ? q->p + q->off : NULL;
}

TLSH_ADAPTER_API size_t tlsh_queue_length(const struct tlsh_queue *q)
{
	return q->len;
}

TLSH_ADAPTER_API void tlsh_queue_consume(struct tlsh_queue *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	q->off += n;
	q->len -= n;
	if (q->len == 0)
		q->off = 0;
}

TLSH_ADAPTER_API size_t tlsh_queue_take(struct tlsh_queue *q, void *dst, size_t cap)
{
	size_t n = q->len < cap ? q->len : cap;
	if (n > 0) {
		memcpy(dst, q->p + q->off, n);
		tlsh_queue_consume(q, n);
	}
	return n;
}

TLSH_ADAPTER_API void tlsh_queue_free(struct tlsh_queue *q)
{
	free(q->p);
	q->p = NULL;
	q->off = q->len = q->cap = 0;
}

/* ---- buffer state ---------------------------------------------------------- */

TLSH_ADAPTER_API void tlsh_state_init(struct tlsh_state *s)
{
	memset(s, 0, sizeof *s);
	s->alert_sent = s->alert_received = TLSH_NO_ALERT;
	tlsh_error_ok(&s->last);
}

TLSH_ADAPTER_API void tlsh_state_alert(struct tlsh_state *s, int sent, int code, int fatal)
{
	int *kept = sent ? &s->alert_sent : &s->alert_received;
	int *kept_fatal = sent ? &s->alert_sent_fatal : &s->alert_received_fatal;
	fatal = fatal != 0;
	if (code < 0 || code > 255 || (code == TLSH_ALERT_CLOSE_NOTIFY && !fatal))
		return;
	if (*kept == TLSH_NO_ALERT || (fatal && !*kept_fatal)) {
		*kept = code;
		*kept_fatal = fatal;
	}
}

TLSH_ADAPTER_API int tlsh_state_vfail_(struct tlsh_state *s, int status, const char *fmt,
                                       va_list ap) TLSH_ADAPTER_PRINTF(3, 0);

TLSH_ADAPTER_API int tlsh_state_vfail_(struct tlsh_state *s, int status, const char *fmt,
                                       va_list ap)
{
	return tlsh_error_vset(&s->last, status, s->alert_sent, s->alert_received, fmt, ap);
}

TLSH_ADAPTER_API int tlsh_state_fail(struct tlsh_state *s, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tlsh_state_vfail_(s, status, fmt, ap);
	va_end(ap);
	return status;
}

TLSH_ADAPTER_API int tlsh_state_kill(struct tlsh_state *s, const char *fmt, ...)
{
	va_list ap;
	s->failed = 1;
	va_start(ap, fmt);
	tlsh_state_vfail_(s, TLSH_TLS_ERROR, fmt, ap);
	va_end(ap);
	return TLSH_TLS_ERROR;
}

TLSH_ADAPTER_API int tlsh_state_dead(struct tlsh_state *s)
{
	s->last.status = TLSH_TLS_ERROR;
	return TLSH_TLS_ERROR;
}

TLSH_ADAPTER_API int tlsh_state_read(struct tlsh_state *s, size_t *n)
{
	*n = 0;
	if (s->closed)
		return TLSH_CLOSED;
	if (s->ragged)
		return TLSH_RAGGED_EOF;
	if (s->failed)
		return tlsh_state_dead(s);
	return TLSH_PROCEED;
}

TLSH_ADAPTER_API int tlsh_state_closed(struct tlsh_state *s)
{
	s->closed = 1;
	return TLSH_CLOSED;
}

TLSH_ADAPTER_API int tlsh_state_ragged(struct tlsh_state *s, const char *fmt, ...)
{
	va_list ap;
	s->ragged = 1;
	va_start(ap, fmt);
	tlsh_state_vfail_(s, TLSH_RAGGED_EOF, fmt, ap);
	va_end(ap);
	return TLSH_RAGGED_EOF;
}

TLSH_ADAPTER_API int tlsh_state_incoming(struct tlsh_state *s, int drop, const uint8_t *data,
                                         size_t len, size_t pending, size_t cap)
{
	if (s->eof)
		return tlsh_state_fail(s, TLSH_TLS_ERROR,
		                       "process_incoming after process_incoming_eof");
	if (len == 0)
		return TLSH_OK;
	if (data == NULL)
		return tlsh_state_fail(s, TLSH_TLS_ERROR, "process_incoming with NULL data");
	/* Nothing can use bytes after the peer's close_notify (RFC 8446
	 * section 6.1) or after a fatal error: they are dropped. */
	if (s->failed || s->closed || drop)
		return TLSH_OK;
	if (pending > 0 && (pending >= cap || len > cap - pending))
		return TLSH_WANT_READ;
	return TLSH_PROCEED;
}

TLSH_ADAPTER_API int tlsh_state_store(struct tlsh_state *s, struct tlsh_queue *in, int drop,
                                      const uint8_t *data, size_t len, size_t cap)
{
	int st = tlsh_state_incoming(s, drop, data, len, tlsh_queue_length(in), cap);
	if (st != TLSH_PROCEED)
		return st;
	if (!tlsh_queue_append(in, data, len))
		return tlsh_state_fail(s, TLSH_TLS_ERROR,
		                       "cannot buffer incoming bytes (out of memory)");
	return TLSH_OK;
}

/* ---- identity -------------------------------------------------------------- */

TLSH_ADAPTER_API int tlsh_lower_(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Equal ignoring ASCII case. */
TLSH_ADAPTER_API int tlsh_case_eq_(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tlsh_lower_((unsigned char)a[i]) != tlsh_lower_((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Drops one trailing dot; 0 when the name then is not a sequence of
 * non-empty labels. */
TLSH_ADAPTER_API int tlsh_dns_labels_(const char *name, size_t *len)
{
	if (*len > 0 && name[*len - 1] == '.')
		(*len)--;
	if (*len == 0 || name[0] == '.' || name[*len - 1] == '.')
		return 0;
	for (size_t i = 1; i < *len; i++)
		if (name[i] == '.' && name[i - 1] == '.')
			return 0;
	return 1;
}

TLSH_ADAPTER_API int tlsh_dns_match(const void *pattern, size_t len, const char *host)
{
	const char *pat = (const char *)pattern;
	if (pat == NULL || host == NULL || strchr(host, '*') != NULL)
		return 0;
	size_t hlen = strlen(host);
	if (!tlsh_dns_labels_(pat, &len) || !tlsh_dns_labels_(host, &hlen))
		return 0;
	/* (A pattern holding a NUL byte never equals a C string.) */
	if (memchr(pat, '*', len) == NULL)
		return len == hlen && tlsh_case_eq_(pat, host, len);
	/* A wildcard pattern: "*." then two or more labels, no other '*'. */
	if (len < 2 || pat[0] != '*' || pat[1] != '.' || memchr(pat + 1, '*', len - 1) != NULL ||
	    memchr(pat + 2, '.', len - 2) == NULL)
		return 0;
	/* It stands for the host's first label (non-empty: checked above). */
	const char *dot = (const char *)memchr(host, '.', hlen);
	if (dot == NULL)
		return 0;
	size_t rest = hlen - (size_t)(dot - host); /* ".example.com" */
	return rest == len - 1 && tlsh_case_eq_(pat + 1, dot, rest);
}

TLSH_ADAPTER_API size_t tlsh_ip_parse(const char *text, uint8_t out[16])
{
	if (text == NULL)
		return 0;
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 16;
	return 0;
}

TLSH_ADAPTER_API void tlsh_identity_set(struct tlsh_identity *id, const char *host)
{
	memset(id, 0, sizeof *id);
	if (host == NULL || host[0] == '\0')
		return;
	id->ip_len = tlsh_ip_parse(host, id->ip);
	if (id->ip_len > 0) {
		id->kind = TLSH_IDENTITY_IP;
		return;
	}
	id->kind = TLSH_IDENTITY_DNS;
	size_t n = strlen(host);
	id->too_long = n >= sizeof id->dns;
	memcpy(id->dns, host, id->too_long ? sizeof id->dns - 1 : n);
}

TLSH_ADAPTER_API int tlsh_identity_match(const struct tlsh_identity *id, int type, const void *data,
                                         size_t len)
{
	if (data == NULL)
		return 0;
	if (id->kind == TLSH_IDENTITY_DNS && type == TLSH_SAN_DNS)
		return !id->too_long && tlsh_dns_match(data, len, id->dns);
	if (id->kind == TLSH_IDENTITY_IP && type == TLSH_SAN_IP)
		return len == id->ip_len && memcmp(data, id->ip, len) == 0;
	return 0;
}

TLSH_ADAPTER_API int tlsh_client_name(const char *host, int check_name, struct tlsh_identity *id,
                                      char sni[256], struct tlsh_error *err)
{
	uint8_t ip[16];
	sni[0] = '\0';
	tlsh_identity_set(id, NULL);
	if (host == NULL || host[0] == '\0') {
		if (!check_name)
			return TLSH_OK;
		return tlsh_config_fail(
		        err,
		        "%s server_hostname while names are verified: it needs "
		        "TLSH_INSECURE_NO_HOSTNAME_CHECK or TLSH_INSECURE_NO_VERIFY",
		        host == NULL ? "a NULL" : "an empty");
	}
	if (tlsh_ip_parse(host, ip) == 0) {
		size_t n = strlen(host);
		if (n > 1 && host[n - 1] == '.')
			n--;
		if (n > 255)
			return tlsh_config_fail(err, "server_hostname is longer than 255 bytes");
		memcpy(sni, host, n);
		sni[n] = '\0';
	}
	if (check_name)
		tlsh_identity_set(id, host);
	return TLSH_OK;
}

/* ---- exported secrets ------------------------------------------------------ */

TLSH_ADAPTER_API int tlsh_hex_nibble_(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** Decodes hex digits from *p up to the first non-hex character (the NUL
 * at the latest) into out (at most cap bytes); *p is left after them.
 * Returns the byte count, or -1 for an odd count or more than cap bytes. */
TLSH_ADAPTER_API long tlsh_hex_field_(const char **p, uint8_t *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	for (;;) {
		int hi = tlsh_hex_nibble_(s[0]);
		if (hi < 0)
			break;
		int lo = tlsh_hex_nibble_(s[1]); /* s[1] exists: s[0] is not NUL */
		if (lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*p = s;
	return (long)n;
}

TLSH_ADAPTER_API int tlsh_keylog_line(const char *line, tlsh_secret_fn cb, void *arg)
{
	if (line == NULL)
		return 0;
	char label[TLSH_KEYLOG_LABEL_MAX + 1];
	size_t n = 0;
	for (; (line[n] >= 'A' && line[n] <= 'Z') || (line[n] >= '0' && line[n] <= '9') ||
	       line[n] == '_';
	     n++) {
		if (n == TLSH_KEYLOG_LABEL_MAX)
			return 0;
		label[n] = line[n];
	}
	if (n == 0 || line[n] != ' ')
		return 0;
	label[n] = '\0';
	const char *p = line + n + 1;
	uint8_t random[32], secret[TLSH_KEYLOG_SECRET_MAX];
	if (tlsh_hex_field_(&p, random, sizeof random) != (long)sizeof random || *p++ != ' ')
		return 0;
	long len = tlsh_hex_field_(&p, secret, sizeof secret);
	if (len <= 0 || *p != '\0')
		return 0;
	if (cb != NULL)
		cb(arg, label, random, secret, (size_t)len);
	return 1;
}

#endif /* TLSH_ADAPTER_IMPLEMENTATION */

#ifdef __cplusplus
}
#endif

#endif /* TLSH_ADAPTER_H */
