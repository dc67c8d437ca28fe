/*
 * tlsh.h - the TLSImplementation descriptor: the one header a TLS backend
 * adapter includes.
 *
 * This is a C rendition of PEP 748's unified TLS API (configurations,
 * client/server contexts and in-memory TLS buffers) with the additions a
 * conformance harness needs: transport EOF, alert reporting, capability bits,
 * and an ABI version plus struct size so that fields can be appended later.
 *
 * An adapter is a shared object that exports one function,
 *
 *     const struct tlsh_implementation *tlsh_implementation(const char *arg);
 *
 * (see TLSH_ENTRY_SYMBOL below). The harness dlopen()s the object, calls the
 * entry point once and validates the descriptor it returns before using it.
 *
 * Conventions that hold for every function below unless it says otherwise:
 *  - Pointers passed in by the caller are borrowed for the duration of the
 *    call only. An adapter copies whatever it keeps (configurations included:
 *    a context must not refer to the caller's config after construction).
 *  - Pointers returned by the adapter stay valid until the next call on the
 *    same buffer (or until the object is freed), whichever comes first.
 *  - Nothing here does I/O. Bytes reach a buffer only via process_incoming and
 *    leave it only via process_outgoing.
 *  - Thread safety: distinct buffers may be used from distinct threads at the
 *    same time; one buffer must not be used from two threads at once. Contexts
 *    may create buffers concurrently. validate_config is reentrant.
 *  - A context makes any number of buffers, one after the other or alive at
 *    the same time; each is an independent connection, and a buffer that
 *    failed (TLS_ERROR) affects neither its context nor the context's other
 *    buffers. A context outlives its buffers: the caller frees every buffer
 *    of a context before the context itself (context_free).
 *  - Output buffers (read, process_outgoing) hold exactly `cap` bytes: an
 *    adapter writes at most `cap` bytes into them, never one more (not even a
 *    NUL terminator). The harness places canary bytes after `cap` and reports
 *    a write past it as HARNESS-ERROR naming the call.
 *  - The descriptor itself is immutable, statically or permanently allocated,
 *    and valid until the shared object is unloaded.
 */
#ifndef TLSH_H
#define TLSH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. A harness refuses a descriptor
 * whose abi_version differs from the one it was built with. */
#define TLSH_ABI_VERSION 1u

/** Name of the entry point every adapter exports. */
#define TLSH_ENTRY_SYMBOL "tlsh_implementation"

/* ------------------------------------------------------------------------ */
/* Status codes (PEP 748's exception hierarchy, as return values)           */
/* ------------------------------------------------------------------------ */

/**
 * Every buffer operation returns one of these. Which ones each call may
 * return is listed at the call. An adapter that returns any other value
 * violates the ABI; the harness reports that as HARNESS-ERROR naming the call.
 *
 * TLSH_STATUS_LIST(X) is the one list of them: X(NAME, value, "NAME") for
 * each, in value order. enum tlsh_status is generated from it (TLSH_NAME =
 * value); the harness's reports and messages take the names from it.
 */
#define TLSH_STATUS_LIST(X)                                                                        \
	/** The operation completed. */                                                            \
	X(OK, 0, "OK")                                                                             \
	/** PEP 748 WantReadError: the operation needs bytes from the peer. Call                   \
	 * process_outgoing first (a flight may be pending), deliver the peer's                    \
	 * bytes with process_incoming, then call again with the same arguments. */                \
	X(WANT_READ, 1, "WANT_READ")                                                               \
	/** PEP 748 WantWriteError: the outgoing buffer is full. Drain it with                     \
	 * process_outgoing, then call again with the same arguments. */                           \
	X(WANT_WRITE, 2, "WANT_WRITE")                                                             \
	/** PEP 748 RaggedEOF: the transport ended (process_incoming_eof) before                   \
	 * the peer's close_notify arrived, and all plaintext received before                      \
	 * that point has already been returned by read. */                                        \
	X(RAGGED_EOF, 3, "RAGGED_EOF")                                                             \
	/** Clean end of the stream: the peer's close_notify was received and all                  \
	 * plaintext before it has been returned. Sticky: every later read                         \
	 * returns TLSH_CLOSED again. PEP 748's read() returning b''. */                           \
	X(CLOSED, 4, "CLOSED")                                                                     \
	/** PEP 748 TLSError: a protocol or verification failure. The buffer is                    \
	 * unusable afterwards except for the query functions and last_error;                      \
	 * last_error tells the alert sent or received. */                                         \
	X(TLS_ERROR, 5, "TLS_ERROR")                                                               \
	/** PEP 748 ConfigurationError: the configuration cannot be honoured by                    \
	 * this implementation (unsupported source kind, invalid version range,                    \
	 * invalid ALPN name, unknown cipher ...). Returned only by                                \
	 * validate_config, context_new and buffer_new. */                                         \
	X(CONFIGURATION_ERROR, 6, "CONFIGURATION_ERROR")

/** The status codes (see TLSH_STATUS_LIST for what each means). */
enum tlsh_status {
#define TLSH_STATUS_ENUM_(name, value, text) TLSH_##name = value,
	TLSH_STATUS_LIST(TLSH_STATUS_ENUM_)
#undef TLSH_STATUS_ENUM_
};

/** Number of defined status values (for range checks). */
#define TLSH_STATUS_COUNT 7

/** Sentinel for "no alert" in struct tlsh_error. */
#define TLSH_NO_ALERT (-1)

/**
 * Error detail, written by the adapter and read by the caller. The caller
 * owns the storage. `status` repeats the failing call's return value.
 * `alert_sent` / `alert_received` are TLS AlertDescription codes (RFC 8446
 * section 6, e.g. 40 handshake_failure, 42 bad_certificate, 48 unknown_ca,
 * 70 protocol_version, 120 no_application_protocol) or TLSH_NO_ALERT when
 * none was sent / received or the library does not tell. `message` is the
 * library's own text, NUL-terminated, possibly empty.
 */
struct tlsh_error {
	int status;
	int alert_sent;
	int alert_received;
	char message[256];
};

/**
 * TLS AlertDescription codes (IANA "TLS Alerts" registry, RFC 8446 section
 * 6 and the RFCs that added the later ones), as the one list of their names:
 * X(NAME, code, "name") for each, in code order. enum tlsh_alert is
 * generated from it (TLSH_ALERT_NAME = code). struct tlsh_error carries plain
 * ints: a code missing here is still a valid alert (0..255).
 */
#define TLSH_ALERT_LIST(X)                                                                         \
	X(CLOSE_NOTIFY, 0, "close_notify")                                                         \
	X(UNEXPECTED_MESSAGE, 10, "unexpected_message")                                            \
	X(BAD_RECORD_MAC, 20, "bad_record_mac")                                                    \
	X(DECRYPTION_FAILED, 21, "decryption_failed")                                              \
	X(RECORD_OVERFLOW, 22, "record_overflow")                                                  \
	X(DECOMPRESSION_FAILURE, 30, "decompression_failure")                                      \
	X(HANDSHAKE_FAILURE, 40, "handshake_failure")                                              \
	X(NO_CERTIFICATE, 41, "no_certificate")                                                    \
	X(BAD_CERTIFICATE, 42, "bad_certificate")                                                  \
	X(UNSUPPORTED_CERTIFICATE, 43, "unsupported_certificate")                                  \
	X(CERTIFICATE_REVOKED, 44, "certificate_revoked")                                          \
	X(CERTIFICATE_EXPIRED, 45, "certificate_expired")                                          \
	X(CERTIFICATE_UNKNOWN, 46, "certificate_unknown")                                          \
	X(ILLEGAL_PARAMETER, 47, "illegal_parameter")                                              \
	X(UNKNOWN_CA, 48, "unknown_ca")                                                            \
	X(ACCESS_DENIED, 49, "access_denied")                                                      \
	X(DECODE_ERROR, 50, "decode_error")                                                        \
	X(DECRYPT_ERROR, 51, "decrypt_error")                                                      \
	X(EXPORT_RESTRICTION, 60, "export_restriction")                                            \
	X(PROTOCOL_VERSION, 70, "protocol_version")                                                \
	X(INSUFFICIENT_SECURITY, 71, "insufficient_security")                                      \
	X(INTERNAL_ERROR, 80, "internal_error")                                                    \
	X(INAPPROPRIATE_FALLBACK, 86, "inappropriate_fallback")                                    \
	X(USER_CANCELED, 90, "user_canceled")                                                      \
	X(NO_RENEGOTIATION, 100, "no_renegotiation")                                               \
	X(MISSING_EXTENSION, 109, "missing_extension")                                             \
	X(UNSUPPORTED_EXTENSION, 110, "unsupported_extension")                                     \
	X(CERTIFICATE_UNOBTAINABLE, 111, "certificate_unobtainable")                               \
	X(UNRECOGNIZED_NAME, 112, "unrecognized_name")                                             \
	X(BAD_CERTIFICATE_STATUS_RESPONSE, 113, "bad_certificate_status_response")                 \
	X(BAD_CERTIFICATE_HASH_VALUE, 114, "bad_certificate_hash_value")                           \
	X(UNKNOWN_PSK_IDENTITY, 115, "unknown_psk_identity")                                       \
	X(CERTIFICATE_REQUIRED, 116, "certificate_required")                                       \
	X(NO_APPLICATION_PROTOCOL, 120, "no_application_protocol")

/** The alert codes of TLSH_ALERT_LIST. */
enum tlsh_alert {
#define TLSH_ALERT_ENUM_(name, code, text) TLSH_ALERT_##name = code,
	TLSH_ALERT_LIST(TLSH_ALERT_ENUM_)
#undef TLSH_ALERT_ENUM_
};

/* ------------------------------------------------------------------------ */
/* Versions, roles, capabilities                                            */
/* ------------------------------------------------------------------------ */

/**
 * PEP 748 TLSVersion. The wire values are used for the two concrete
 * versions, so a version can be compared with what the oracle sees.
 * TLSH_VERSION_NONE is never a valid configuration value from PEP 748's
 * point of view; in a config it means "not given" (lowest: MINIMUM_SUPPORTED,
 * highest: MAXIMUM_SUPPORTED) and from negotiated_tls_version it means "no
 * version negotiated yet". Adapters never negotiate below TLS 1.2: PEP 748
 * cannot express older versions.
 */
enum tlsh_version {
	TLSH_VERSION_NONE = 0,
	TLSH_VERSION_MINIMUM_SUPPORTED = 1,
	TLSH_TLS_1_2 = 0x0303,
	TLSH_TLS_1_3 = 0x0304,
	TLSH_VERSION_MAXIMUM_SUPPORTED = 0xffff,
};

/** Which side of the connection a configuration or context is for. */
enum tlsh_role {
	TLSH_ROLE_CLIENT = 1,
	TLSH_ROLE_SERVER = 2,
};

/**
 * Capability bits. A scenario that needs a capability the descriptor does
 * not declare is UNSUPPORTED for that backend. Declaring a capability that
 * does not work is a FAIL: declare honestly.
 *
 * TLSH_CAPABILITY_LIST(X) is the one list of them: X(NAME, bit, "NAME") for
 * each, in bit order. enum tlsh_capability is generated from it
 * (TLSH_CAP_NAME = 1u << bit); reports and the PEP 748 bridge's
 * `tlsh_capabilities` spell each capability as its "NAME".
 */
#define TLSH_CAPABILITY_LIST(X)                                                                    \
	/** Can negotiate TLS 1.2. */                                                              \
	X(TLS12, 0, "TLS12")                                                                       \
	/** Can negotiate TLS 1.3. */                                                              \
	X(TLS13, 1, "TLS13")                                                                       \
	/** Server side verifies client certificates (trust_store on a server                      \
	 * config); client side presents a certificate chain. */                                   \
	X(CLIENT_AUTH, 2, "CLIENT_AUTH")                                                           \
	/** Honours config.ciphers for TLS 1.2 suites. */                                          \
	X(CIPHERS_TLS12, 3, "CIPHERS_TLS12")                                                       \
	/** Honours config.ciphers for TLS 1.3 suites. */                                          \
	X(CIPHERS_TLS13, 4, "CIPHERS_TLS13")                                                       \
	/** Supports inner_protocols (ALPN, RFC 7301). */                                          \
	X(ALPN, 5, "ALPN")                                                                         \
	/** A server config may hold several chains; the one whose leaf matches                    \
	 * the client's SNI is used. */                                                            \
	X(SNI_CHAINS, 6, "SNI_CHAINS")                                                             \
	/** getpeercert returns the peer's leaf certificate. */                                    \
	X(PEERCERT, 7, "PEERCERT")                                                                 \
	/** process_incoming_eof is implemented and read reports RAGGED_EOF vs                     \
	 * CLOSED as the contract says. */                                                         \
	X(TRANSPORT_EOF, 8, "TRANSPORT_EOF")                                                       \
	/** Sources of kind TLSH_SOURCE_PATH are accepted. */                                      \
	X(SOURCE_PATH, 9, "SOURCE_PATH")                                                           \
	/** Sources of kind TLSH_SOURCE_BUFFER are accepted (PEM, and DER for a                    \
	 * single certificate or key). */                                                          \
	X(SOURCE_BUFFER, 10, "SOURCE_BUFFER")                                                      \
	/** The insecure flags are honoured. */                                                    \
	X(INSECURE, 11, "INSECURE")                                                                \
	/** RSA certificates and keys. */                                                          \
	X(RSA, 12, "RSA")                                                                          \
	/** ECDSA (P-256) certificates and keys. */                                                \
	X(ECDSA, 13, "ECDSA")                                                                      \
	/** shutdown sends close_notify and waits for the peer's. */                               \
	X(SHUTDOWN, 14, "SHUTDOWN")                                                                \
	/** set_secret_callback hands the harness every traffic secret the                         \
	 * library derives (the misbehaving peer's encrypted phase). */                            \
	X(EXPORT_SECRETS, 15, "EXPORT_SECRETS")

/** The capability bits (see TLSH_CAPABILITY_LIST for what each promises). */
enum tlsh_capability {
#define TLSH_CAPABILITY_ENUM_(name, bit, text) TLSH_CAP_##name = 1u << (bit),
	TLSH_CAPABILITY_LIST(TLSH_CAPABILITY_ENUM_)
#undef TLSH_CAPABILITY_ENUM_
};

/** Number of defined capability bits: bits 0 .. TLSH_CAP_COUNT - 1. */
#define TLSH_CAP_COUNT 16

/* ------------------------------------------------------------------------ */
/* Certificates, keys, trust stores                                         */
/* ------------------------------------------------------------------------ */

/**
 * PEP 748 Certificate / PrivateKey / TrustStore: where the object comes from.
 * An adapter that cannot use a kind returns TLSH_CONFIGURATION_ERROR.
 */
enum tlsh_source_kind {
	/** Absent. For a trust store on a client: the system trust store. */
	TLSH_SOURCE_NONE = 0,
	/** `data`/`len` hold PEM text (one or more objects) or, for a single
	 * certificate or key, DER bytes. Adapters tell them apart by the
	 * "-----BEGIN" prefix: PEM when the bytes start with "-----BEGIN"
	 * after optional ASCII white space (space, tab, CR, LF), DER otherwise
	 * (so explanatory text before the first BEGIN line makes it DER). */
	TLSH_SOURCE_BUFFER = 1,
	/** `path` names a PEM file. */
	TLSH_SOURCE_PATH = 2,
	/** `data`/`len` hold an opaque identifier meaningful to the backend
	 * (e.g. a PKCS#11 URI or NSS nickname). */
	TLSH_SOURCE_ID = 3,
	/** The system trust store (trust stores only). */
	TLSH_SOURCE_SYSTEM = 4,
};

/** A tagged source. Borrowed; the adapter copies what it keeps. */
struct tlsh_source {
	enum tlsh_source_kind kind;
	const uint8_t *data;
	size_t len;
	const char *path;
};

/** PEP 748 SigningChain: a leaf certificate, its private key, and the
 * intermediates to send after the leaf (closest to the leaf first). */
struct tlsh_signing_chain {
	struct tlsh_source leaf;
	struct tlsh_source key;
	const struct tlsh_source *chain;
	size_t chain_len;
};

/** A byte string (ALPN protocol names are arbitrary bytes, 1..255 long). */
struct tlsh_bytes {
	const uint8_t *data;
	size_t len;
};

/** Insecure options (PEP 748's insecure module). Never the default. Both
 * concern a client verifying its server; a server config may carry them and
 * they have no effect there. Bits not defined here are a
 * CONFIGURATION_ERROR. */
enum tlsh_insecure_flag {
	/** Client: do not verify the server's chain at all. */
	TLSH_INSECURE_NO_VERIFY = 1u << 0,
	/** Client: verify the chain but not that it matches server_hostname. */
	TLSH_INSECURE_NO_HOSTNAME_CHECK = 1u << 1,
};

/**
 * PEP 748 TLSClientConfiguration / TLSServerConfiguration. Immutable,
 * owned by the caller; the adapter copies what it keeps.
 *
 * `struct_size` is sizeof(struct tlsh_config) as the caller compiled it;
 * fields beyond it must be treated as zero.
 */
struct tlsh_config {
	size_t struct_size;
	/** Client: at most one chain (client certificate). Server: one or more;
	 * with several, the chain whose leaf names the client's SNI is used,
	 * the first one when none matches or no SNI was sent. */
	const struct tlsh_signing_chain *certificate_chains;
	size_t certificate_chains_len;
	/** IANA cipher suite ids in preference order, or NULL for the library's
	 * default. Ids the library does not know are ignored; if none is left
	 * for a version that can be negotiated, CONFIGURATION_ERROR. */
	const uint16_t *ciphers;
	size_t ciphers_len;
	/** ALPN protocols in preference order; NULL/0 means ALPN not used.
	 * Each name must be 1..255 bytes (else CONFIGURATION_ERROR). A server
	 * configured with protocols that shares none with the client's offer
	 * fails the handshake with no_application_protocol (RFC 7301 3.2). */
	const struct tlsh_bytes *inner_protocols;
	size_t inner_protocols_len;
	/** Version bounds. NONE means MINIMUM_SUPPORTED / MAXIMUM_SUPPORTED.
	 * lowest > highest, lowest == MAXIMUM_SUPPORTED with a concrete highest,
	 * or highest == MINIMUM_SUPPORTED with a concrete lowest, is a
	 * CONFIGURATION_ERROR. */
	enum tlsh_version lowest_supported_version;
	enum tlsh_version highest_supported_version;
	/** Client: the CAs to verify the server with (NULL or kind NONE: the
	 * system store). Server: NULL or kind NONE disables client
	 * authentication; otherwise a client certificate is requested, required,
	 * and verified against this store. */
	const struct tlsh_source *trust_store;
	/** enum tlsh_insecure_flag bits; 0 is secure. */
	uint32_t insecure;
};

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

/** Opaque adapter objects. */
typedef struct tlsh_context tlsh_context;
typedef struct tlsh_buffer tlsh_buffer;

/**
 * Receiver of exported secrets (set_secret_callback). `label` is the NSS
 * key-log label of the secret: "CLIENT_RANDOM" (TLS 1.2 master secret),
 * "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
 * "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET",
 * "CLIENT_EARLY_TRAFFIC_SECRET" and the like; `client_random` is the 32-byte
 * ClientHello.random of the connection; `secret` holds `len` bytes (at most
 * 64), valid only during the call.
 */
typedef void (*tlsh_secret_fn)(void *arg, const char *label, const uint8_t *client_random,
                               const uint8_t *secret, size_t len);

/**
 * PEP 748 TLSImplementation. Fields may only ever be appended; the harness
 * uses struct_size to know which exist. Function pointers marked mandatory
 * must be non-NULL; the harness refuses the descriptor otherwise, naming the
 * field.
 */
struct tlsh_implementation {
	/** TLSH_ABI_VERSION as the adapter was compiled. */
	uint32_t abi_version;
	/** sizeof(struct tlsh_implementation) as the adapter was compiled. */
	uint32_t struct_size;
	/** Short backend name, e.g. "openssl". Mandatory. */
	const char *name;
	/** Library name and version as the library reports it at run time,
	 * e.g. "OpenSSL 3.0.19 27 Jan 2026". Mandatory. */
	const char *library_version;
	/** enum tlsh_capability bits. */
	uint64_t capabilities;

	/** Mandatory. Checks a configuration without building anything.
	 * Returns TLSH_OK or TLSH_CONFIGURATION_ERROR (filling `err`). */
	int (*validate_config)(const struct tlsh_implementation *self, enum tlsh_role role,
	                       const struct tlsh_config *config, struct tlsh_error *err);

	/** Mandatory. PEP 748 ClientContext(config) / ServerContext(config).
	 * On TLSH_OK stores a new context in *out; the caller frees it with
	 * context_free after all its buffers are freed (freeing a context while
	 * one of its buffers lives is not allowed; an adapter may rely on that
	 * order and need not keep a context alive for its buffers). Returns
	 * TLSH_CONFIGURATION_ERROR when the config cannot be honoured (e.g. a
	 * server without a chain, a key that does not match its certificate). */
	int (*context_new)(const struct tlsh_implementation *self, enum tlsh_role role,
	                   const struct tlsh_config *config, tlsh_context **out,
	                   struct tlsh_error *err);
	/** Mandatory. Frees a context whose buffers are all freed already.
	 * NULL is a no-op. */
	void (*context_free)(tlsh_context *ctx);

	/** Mandatory. ClientContext.create_buffer(server_hostname) /
	 * ServerContext.create_buffer(). `server_hostname` is ignored for
	 * servers; for clients it is the name to send as SNI and to verify the
	 * certificate against (RFC 9525 sections 6.3 and 6.4; RFC 6125 where
	 * 9525 defers to it):
	 *  - a DNS name is matched against the subjectAltName dNSName entries
	 *    only (no CN fallback), ignoring ASCII case (RFC 4343); a wildcard
	 *    matches only as the complete left-most label of a dNSName and
	 *    stands for exactly one label ("*.example.com" matches
	 *    "a.example.com", not "example.com" nor "a.b.example.com";
	 *    "w*.example.com" matches nothing). SNI carries the name as given
	 *    (its case kept);
	 *  - one trailing dot is the absolute form of the same name: it is
	 *    verified as the name without it, and SNI carries the name without
	 *    it (RFC 6066 section 3);
	 *  - an IP literal (IPv4 or IPv6, e.g. "127.0.0.1", "::1") is verified
	 *    against the iPAddress entries only (a dNSName of the same text
	 *    does not match) and no SNI is sent (RFC 6066 section 3);
	 *  - the certificate must also allow its use: extendedKeyUsage, when
	 *    present, lists serverAuth (RFC 5280 section 4.2.1.12); a server
	 *    verifying a client certificate requires clientAuth likewise.
	 * NULL: PEP 748's create_buffer(server_hostname: str) always takes a
	 * name, and only the insecure module turns checks off. So a NULL
	 * server_hostname is accepted only with TLSH_INSECURE_NO_HOSTNAME_CHECK
	 * or TLSH_INSECURE_NO_VERIFY in the context's configuration; then no
	 * SNI is sent and no name is checked, but with NO_HOSTNAME_CHECK alone
	 * the chain is still verified (an unknown CA, an expired certificate or
	 * a wrong extendedKeyUsage is still rejected). Without either flag,
	 * NULL is a configuration error: buffer_new returns
	 * TLSH_CONFIGURATION_ERROR (as Python's ssl module refuses
	 * check_hostname without server_hostname).
	 * Returns TLSH_OK or TLSH_CONFIGURATION_ERROR. */
	int (*buffer_new)(tlsh_context *ctx, const char *server_hostname, tlsh_buffer **out,
	                  struct tlsh_error *err);
	/** Mandatory. Frees a buffer without sending anything. NULL: no-op. */
	void (*buffer_free)(tlsh_buffer *buf);

	/** Mandatory. Performs the handshake, including certificate and
	 * hostname verification. Returns OK (handshake complete; calling again
	 * returns OK), WANT_READ, WANT_WRITE or TLS_ERROR. A client's first call
	 * produces the ClientHello. */
	int (*do_handshake)(tlsh_buffer *buf);

	/** Mandatory. Reads up to `cap` bytes of plaintext into `dst`, storing
	 * the count in *n; never writes dst[cap] or beyond. Plaintext that does
	 * not fit stays for the next read (a record larger than `cap` is
	 * returned over several reads). Completes the handshake first if it is
	 * not done.
	 * Returns OK (*n > 0), WANT_READ (no complete record buffered),
	 * WANT_WRITE, CLOSED (clean end, sticky), RAGGED_EOF (transport EOF
	 * without close_notify, after all earlier plaintext was returned) or
	 * TLS_ERROR. *n is 0 for every status but OK. */
	int (*read)(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n);

	/** Mandatory. Encrypts up to `len` bytes of `src`, storing the number of
	 * bytes consumed in *n (may be short). Returns OK, WANT_READ,
	 * WANT_WRITE or TLS_ERROR (also after shutdown, and after the peer's
	 * close_notify where the library forbids writing). */
	int (*write)(tlsh_buffer *buf, const uint8_t *src, size_t len, size_t *n);

	/** Mandatory. PEP 748 shutdown: queues close_notify (first call) and
	 * then waits for the peer's. Returns OK once close_notify was both sent
	 * and received, WANT_READ while the peer's is outstanding (drain
	 * process_outgoing first), WANT_WRITE, or TLS_ERROR. */
	int (*shutdown)(tlsh_buffer *buf);

	/** Mandatory. Stores `len` bytes from the network. Returns OK,
	 * WANT_READ (the internal buffer is full: nothing was stored; call read
	 * or do_handshake, then retry) or TLS_ERROR (after process_incoming_eof,
	 * or on an internal failure). */
	int (*process_incoming)(tlsh_buffer *buf, const uint8_t *data, size_t len);

	/** Optional (TLSH_CAP_TRANSPORT_EOF). Beyond PEP 748: the transport has
	 * ended; no more bytes will arrive. Later reads return the remaining
	 * plaintext, then CLOSED if close_notify was received, else RAGGED_EOF;
	 * a handshake in progress fails with TLS_ERROR. Returns OK. */
	int (*process_incoming_eof)(tlsh_buffer *buf);

	/** Mandatory. Moves up to `cap` bytes destined for the network into
	 * `dst`, storing the count in *n (0 when nothing is pending); never
	 * writes dst[cap] or beyond. It moves min(cap, outgoing_bytes_buffered)
	 * bytes; the rest stays pending. Returns OK. */
	int (*process_outgoing)(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n);

	/** Mandatory. Bytes received by process_incoming not yet processed:
	 * at most what was given and not yet processed (process_incoming
	 * returning WANT_READ stored nothing), and 0 once read has consumed
	 * every complete record it was given. */
	size_t (*incoming_bytes_buffered)(tlsh_buffer *buf);
	/** Mandatory. Bytes that process_outgoing would return now (with a
	 * large enough cap); after process_outgoing moved n bytes it is n
	 * less. */
	size_t (*outgoing_bytes_buffered)(tlsh_buffer *buf);

	/** Mandatory. The negotiated cipher suite's IANA id, or 0 before the
	 * handshake completed. */
	uint16_t (*cipher)(tlsh_buffer *buf);
	/** Mandatory. The negotiated ALPN protocol: returns 1 and sets
	 * *proto and *len, or returns 0 when none was negotiated (or before the
	 * handshake completed). */
	int (*negotiated_protocol)(tlsh_buffer *buf, const uint8_t **proto, size_t *len);
	/** Mandatory. TLSH_TLS_1_2 or TLSH_TLS_1_3 once negotiated, else
	 * TLSH_VERSION_NONE. */
	enum tlsh_version (*negotiated_tls_version)(tlsh_buffer *buf);
	/** Optional (TLSH_CAP_PEERCERT). The peer's leaf certificate, DER:
	 * returns 1 and sets *der and *len, or 0 when there is none. */
	int (*getpeercert)(tlsh_buffer *buf, const uint8_t **der, size_t *len);
	/** Mandatory. Copies the detail of the last failing call on `buf` into
	 * *err (status TLSH_OK and no alerts when nothing failed). */
	void (*last_error)(tlsh_buffer *buf, struct tlsh_error *err);

	/* ---- appended fields: present when struct_size covers them ---- */

	/** Optional (TLSH_CAP_EXPORT_SECRETS). Beyond PEP 748, a test hook:
	 * from now on, `cb(arg, ...)` is called on this buffer's thread for
	 * each secret the library derives for it, as it is derived (before the
	 * records it protects leave process_outgoing or are read), with the
	 * NSS key-log label. Called before the first do_handshake; a NULL cb
	 * stops the calls. Returns OK, or TLS_ERROR (filling last_error) when
	 * the library cannot export on this buffer. */
	int (*set_secret_callback)(tlsh_buffer *buf, tlsh_secret_fn cb, void *arg);
};

/** Signature of the entry point. `arg` is the text after the first ':' in
 * the name the user gave (e.g. "pep748:mod:attr" gives "mod:attr"), or
 * NULL. Returns NULL if the adapter cannot provide a descriptor; it may
 * then have written a reason to stderr. */
typedef const struct tlsh_implementation *(*tlsh_entry_fn)(const char *arg);

#ifdef __cplusplus
}
#endif

#endif /* TLSH_H */
