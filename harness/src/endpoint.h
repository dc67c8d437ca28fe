/* endpoint.h - one side of a connection (context + buffer) and guarded
 * wrappers for every descriptor call. The wrappers enforce the ABI: a status
 * outside the call's allowed set, a length beyond the buffer given, a write
 * past the `cap` bytes given to read or process_outgoing (each runs on an
 * exact-size buffer followed by canary bytes, checked after the call), or a
 * NULL where a value is required is reported through ep_violation
 * (HARNESS-ERROR naming the call and the rule) instead of being acted on. */
#ifndef TLSH_ENDPOINT_H
#define TLSH_ENDPOINT_H

#include "loader.h"

struct endpoint {
	const struct impl_handle *ih;
	enum tlsh_role role;
	const char *label; /* "client" or "server" */
	tlsh_context *ctx;
	tlsh_buffer *buf;
	/* Detail of the last failure of this endpoint (construction or a
	 * buffer call returning TLS_ERROR / CONFIGURATION_ERROR / RAGGED_EOF). */
	struct tlsh_error err;
	int handshake_done;
	/* Capacity limits for this endpoint's read / process_outgoing calls
	 * (0: the caller's). out_cap EP_CAP_PENDING_LESS_ONE: one byte less
	 * than outgoing_bytes_buffered reports (at least 1). */
	size_t read_cap, out_cap;
	/* With count_check set, every process_outgoing is checked against
	 * outgoing_bytes_buffered before and after it (the call returns
	 * min(cap, pending) and pending drops by that much), and every
	 * process_incoming against incoming_bytes_buffered (OK stores at most
	 * len more; WANT_READ stores nothing). The first deviation is kept in
	 * count_note for the scenario to report ("" when none). */
	int count_check;
	char count_note[300];
};

#define EP_CAP_PENDING_LESS_ONE ((size_t)-1)

/* Called on an ABI violation; must not return. Set by the engine; the
 * default prints the message and aborts. */
extern void (*ep_violation)(const char *msg);

/* Strict checks, off by default (the fuzz driver turns them on): also the
 * rules of tlsh.h that cost an extra call or a poisoned out-parameter -
 * every count (*n) written whatever the status (it is poisoned before the
 * call), process_outgoing never returning more than outgoing_bytes_buffered
 * said just before, process_incoming_eof returning only OK, a context or a
 * buffer only with OK, every error message NUL-terminated (checked before
 * the harness terminates it), last_error's status a tlsh_status. */
extern int ep_strict;

/* Bitmask helpers for allowed statuses. */
#define ST(s) (1u << (s))

int ep_validate(const struct impl_handle *ih, enum tlsh_role role, const struct tlsh_config *cfg,
                struct tlsh_error *err);
/* Creates context and buffer. Returns TLSH_OK or the failing status, with
 * e->err filled. On failure nothing needs freeing but ep_close is safe. */
int ep_open(struct endpoint *e, const struct impl_handle *ih, enum tlsh_role role,
            const struct tlsh_config *cfg, const char *hostname);
/* The two halves of ep_open, for many buffers from one context: the context
 * alone (e->buf stays NULL), and a buffer from `owner`'s context. An endpoint
 * made by ep_open_buffer does not own the context (its ctx is NULL): ep_close
 * frees only its buffer, and every such endpoint is closed before the owner. */
int ep_open_context(struct endpoint *e, const struct impl_handle *ih, enum tlsh_role role,
                    const struct tlsh_config *cfg);
int ep_open_buffer(struct endpoint *e, const struct endpoint *owner, const char *hostname);
void ep_close(struct endpoint *e);

int ep_handshake(struct endpoint *e);
int ep_read(struct endpoint *e, uint8_t *dst, size_t cap, size_t *n);
int ep_write(struct endpoint *e, const uint8_t *src, size_t len, size_t *n);
int ep_shutdown(struct endpoint *e);
int ep_incoming(struct endpoint *e, const uint8_t *data, size_t len);
/* Returns -1 when the adapter has no process_incoming_eof. */
int ep_incoming_eof(struct endpoint *e);
int ep_outgoing(struct endpoint *e, uint8_t *dst, size_t cap, size_t *n);
/* set_secret_callback; -1 when the adapter (or the proxy in front of it)
 * does not declare TLSH_CAP_EXPORT_SECRETS. */
int ep_secret_callback(struct endpoint *e, tlsh_secret_fn cb, void *arg);
size_t ep_in_pending(struct endpoint *e);
size_t ep_out_pending(struct endpoint *e);
uint16_t ep_cipher(struct endpoint *e);
int ep_alpn(struct endpoint *e, const uint8_t **p, size_t *len);
enum tlsh_version ep_version(struct endpoint *e);
int ep_peercert(struct endpoint *e, const uint8_t **der, size_t *len);
/* last_error into *err, checked (alerts -1..255; in strict mode also the
 * status and the message's terminator); the message comes back terminated. */
void ep_last_error(struct endpoint *e, struct tlsh_error *err);

/* Names from tlsh.h's lists (TLSH_STATUS_LIST, TLSH_CAPABILITY_LIST,
 * TLSH_ALERT_LIST). */
/* "WANT_READ"; "INVALID" for a value that is not a tlsh_status. */
const char *status_name(int st);
const char *version_name(enum tlsh_version v);
/* "no_application_protocol(120)"; "none" for TLSH_NO_ALERT; "alert(N)" for
 * a code the list does not name (into a thread-local buffer). */
const char *alert_name(int code);
/* "CLIENT_AUTH" for bit 2; NULL for a bit tlsh.h does not define. */
const char *capability_name(int bit);
/* The names of the bits set in caps, comma-separated ("TLS12,ALPN"), into
 * buf (cut to fit). Returns buf. */
char *capability_list(uint64_t caps, char *buf, size_t cap);

#endif
