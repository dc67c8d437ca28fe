#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void default_violation(const char *msg)
{
	fprintf(stderr, "tlsharness: adapter broke the ABI: %s\n", msg);
	abort();
}

void (*ep_violation)(const char *msg) = default_violation;

int ep_strict;

/* A strict call's count starts as this: an adapter that does not write *n
 * leaves it, and the length checks name it. */
#define EP_POISON ((size_t)99999999)

static void violate(const struct endpoint *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void violate(const struct endpoint *e, const char *fmt, ...)
{
	char msg[512], full[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fmt_into(full, sizeof full, "%s adapter (%s): %s", e ? e->label : "?",
	         e && e->ih ? e->ih->fn.name : "?", msg);
	ep_violation(full);
	abort(); /* ep_violation must not return */
}

const char *status_name(int st)
{
	switch (st) {
#define STATUS_NAME_(name, value, text)                                                            \
	case value:                                                                                \
		return text;
		TLSH_STATUS_LIST(STATUS_NAME_)
#undef STATUS_NAME_
	}
	return "INVALID";
}

const char *capability_name(int bit)
{
	switch (bit) {
#define CAP_NAME_(name, b, text)                                                                   \
	case b:                                                                                    \
		return text;
		TLSH_CAPABILITY_LIST(CAP_NAME_)
#undef CAP_NAME_
	}
	return NULL;
}

char *capability_list(uint64_t caps, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < 64; i++) {
		const char *n = (caps >> i) & 1 ? capability_name(i) : NULL;
		if (n != NULL && off < cap)
			off += (size_t)snprintf(buf + off, cap - off, "%s%s", off ? "," : "", n);
	}
	return buf;
}

const char *version_name(enum tlsh_version v)
{
	switch (v) {
	case TLSH_VERSION_NONE:
		return "none";
	case TLSH_VERSION_MINIMUM_SUPPORTED:
		return "MIN";
	case TLSH_TLS_1_2:
		return "1.2";
	case TLSH_TLS_1_3:
		return "1.3";
	case TLSH_VERSION_MAXIMUM_SUPPORTED:
		return "MAX";
	}
	return "invalid";
}

const char *alert_name(int code)
{
	switch (code) {
	case TLSH_NO_ALERT:
		return "none";
#define ALERT_NAME_(name, value, text)                                                             \
	case value:                                                                                \
		return text "(" #value ")";
		TLSH_ALERT_LIST(ALERT_NAME_)
#undef ALERT_NAME_
	}
	static __thread char buf[32];
	return fmt_into(buf, sizeof buf, "alert(%d)", code);
}

static int check_status(const struct endpoint *e, const char *call, int st, unsigned allowed)
{
	if (st < 0 || st >= TLSH_STATUS_COUNT)
		violate(e, "%s returned %d, which is not a tlsh_status", call, st);
	if (!(allowed & ST(st)))
		violate(e, "%s returned %s, which the ABI does not allow for this call", call,
		        status_name(st));
	return st;
}

/* Strict mode: the adapter must have terminated the message itself. */
static void check_message(const struct endpoint *e, const char *call, const struct tlsh_error *err)
{
	if (ep_strict && !memchr(err->message, '\0', sizeof err->message))
		violate(e, "%s left the error message without a NUL terminator", call);
}

void ep_last_error(struct endpoint *e, struct tlsh_error *err)
{
	/* Strict: poisoned, so that a field left unwritten shows. */
	memset(err, ep_strict ? 0x5a : 0, sizeof *err);
	if (!ep_strict)
		err->alert_sent = err->alert_received = TLSH_NO_ALERT;
	e->ih->fn.last_error(e->buf, err);
	if (ep_strict && (err->status < 0 || err->status >= TLSH_STATUS_COUNT))
		violate(e, "last_error reported status %d, which is not a tlsh_status",
		        err->status);
	check_message(e, "last_error", err);
	err->message[sizeof err->message - 1] = '\0';
	if (err->alert_sent < -1 || err->alert_sent > 255 || err->alert_received < -1 ||
	    err->alert_received > 255)
		violate(e, "last_error reported alert %d/%d outside -1..255", err->alert_sent,
		        err->alert_received);
}

static void fetch_error(struct endpoint *e, int st)
{
	struct tlsh_error err;
	ep_last_error(e, &err);
	err.status = st;
	e->err = err;
}

static void init_err(struct tlsh_error *err)
{
	memset(err, 0, sizeof *err);
	err->alert_sent = err->alert_received = TLSH_NO_ALERT;
}

int ep_validate(const struct impl_handle *ih, enum tlsh_role role, const struct tlsh_config *cfg,
                struct tlsh_error *err)
{
	struct endpoint tmp = {.ih = ih, .label = role == TLSH_ROLE_CLIENT ? "client" : "server"};
	init_err(err);
	int st = ih->fn.validate_config(ih->self, role, cfg, err);
	check_status(&tmp, "validate_config", st, ST(TLSH_OK) | ST(TLSH_CONFIGURATION_ERROR));
	check_message(&tmp, "validate_config", err);
	err->message[sizeof err->message - 1] = '\0';
	err->status = st;
	return st;
}

static int new_buffer(struct endpoint *e, tlsh_context *ctx, const char *hostname)
{
	int st = e->ih->fn.buffer_new(ctx, e->role == TLSH_ROLE_CLIENT ? hostname : NULL, &e->buf,
	                              &e->err);
	check_status(e, "buffer_new", st, ST(TLSH_OK) | ST(TLSH_CONFIGURATION_ERROR));
	check_message(e, "buffer_new", &e->err);
	e->err.message[sizeof e->err.message - 1] = '\0';
	if (st != TLSH_OK) {
		if (ep_strict && e->buf)
			violate(e, "buffer_new returned %s with a buffer", status_name(st));
		e->buf = NULL;
		e->err.status = st;
		return st;
	}
	if (!e->buf)
		violate(e, "buffer_new returned OK but no buffer");
	return TLSH_OK;
}

int ep_open_context(struct endpoint *e, const struct impl_handle *ih, enum tlsh_role role,
                    const struct tlsh_config *cfg)
{
	memset(e, 0, sizeof *e);
	e->ih = ih;
	e->role = role;
	e->label = role == TLSH_ROLE_CLIENT ? "client" : "server";
	init_err(&e->err);
	int st = ih->fn.context_new(ih->self, role, cfg, &e->ctx, &e->err);
	check_status(e, "context_new", st, ST(TLSH_OK) | ST(TLSH_CONFIGURATION_ERROR));
	check_message(e, "context_new", &e->err);
	e->err.message[sizeof e->err.message - 1] = '\0';
	if (st != TLSH_OK) {
		if (ep_strict && e->ctx)
			violate(e, "context_new returned %s with a context", status_name(st));
		e->ctx = NULL;
		e->err.status = st;
		return st;
	}
	if (!e->ctx)
		violate(e, "context_new returned OK but no context");
	return TLSH_OK;
}

int ep_open(struct endpoint *e, const struct impl_handle *ih, enum tlsh_role role,
            const struct tlsh_config *cfg, const char *hostname)
{
	int st = ep_open_context(e, ih, role, cfg);
	return st == TLSH_OK ? new_buffer(e, e->ctx, hostname) : st;
}

int ep_open_buffer(struct endpoint *e, const struct endpoint *owner, const char *hostname)
{
	memset(e, 0, sizeof *e);
	e->ih = owner->ih;
	e->role = owner->role;
	e->label = owner->label;
	init_err(&e->err);
	return new_buffer(e, owner->ctx, hostname);
}

void ep_close(struct endpoint *e)
{
	if (!e->ih)
		return;
	if (e->buf)
		e->ih->fn.buffer_free(e->buf);
	if (e->ctx)
		e->ih->fn.context_free(e->ctx);
	e->buf = NULL;
	e->ctx = NULL;
}

static int after(struct endpoint *e, int st)
{
	if (st == TLSH_TLS_ERROR || st == TLSH_RAGGED_EOF || st == TLSH_CONFIGURATION_ERROR)
		fetch_error(e, st);
	return st;
}

int ep_handshake(struct endpoint *e)
{
	int st = e->ih->fn.do_handshake(e->buf);
	check_status(e, "do_handshake", st,
	             ST(TLSH_OK) | ST(TLSH_WANT_READ) | ST(TLSH_WANT_WRITE) | ST(TLSH_TLS_ERROR));
	if (st == TLSH_OK)
		e->handshake_done = 1;
	return after(e, st);
}

/* The adapter's view of a read or process_outgoing: an exact-size buffer of
 * `cap` bytes followed by canary bytes, checked after the call. One for the
 * process (no two threads call adapters), allocated anew to each call's
 * exact size so that ASan also sees a write beyond the canary, and still
 * reachable when a violation leaves the call early. */
static uint8_t *guard_buf;

static uint8_t *guard_for(size_t cap)
{
	free(guard_buf);
	guard_buf = canary_alloc(cap);
	return guard_buf;
}

static void check_canary(const struct endpoint *e, const char *call, const uint8_t *g, size_t cap)
{
	int at = canary_trampled(g, cap);
	if (at >= 0)
		violate(e,
		        "%s wrote past the %zu-byte buffer it was given (byte %zu after its end "
		        "changed)",
		        call, cap, (size_t)at + 1);
}

int ep_read(struct endpoint *e, uint8_t *dst, size_t cap, size_t *n)
{
	*n = 0;
	size_t got = ep_strict ? EP_POISON : 0;
	if (e->read_cap && e->read_cap < cap)
		cap = e->read_cap;
	uint8_t *g = guard_for(cap);
	int st = e->ih->fn.read(e->buf, g, cap, &got);
	check_canary(e, "read", g, cap);
	check_status(e, "read", st,
	             ST(TLSH_OK) | ST(TLSH_WANT_READ) | ST(TLSH_WANT_WRITE) | ST(TLSH_RAGGED_EOF) |
	                     ST(TLSH_CLOSED) | ST(TLSH_TLS_ERROR));
	if (got > cap)
		violate(e, "read reported %zu bytes into a %zu-byte buffer", got, cap);
	memcpy(dst, g, got);
	if (st == TLSH_OK && got == 0 && cap > 0)
		violate(e, "read returned OK with 0 bytes (use CLOSED or WANT_READ)");
	if (st != TLSH_OK && got != 0)
		violate(e, "read returned %s with %zu bytes (must be 0)", status_name(st), got);
	if (st == TLSH_OK)
		e->handshake_done = 1;
	*n = got;
	return after(e, st);
}

int ep_write(struct endpoint *e, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	size_t put = ep_strict ? EP_POISON : 0;
	int st = e->ih->fn.write(e->buf, src, len, &put);
	check_status(e, "write", st,
	             ST(TLSH_OK) | ST(TLSH_WANT_READ) | ST(TLSH_WANT_WRITE) | ST(TLSH_TLS_ERROR));
	if (put > len)
		violate(e, "write consumed %zu bytes of %zu", put, len);
	*n = put;
	return after(e, st);
}

int ep_shutdown(struct endpoint *e)
{
	int st = e->ih->fn.shutdown(e->buf);
	check_status(e, "shutdown", st,
	             ST(TLSH_OK) | ST(TLSH_WANT_READ) | ST(TLSH_WANT_WRITE) | ST(TLSH_TLS_ERROR));
	return after(e, st);
}

static void count_note(struct endpoint *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void count_note(struct endpoint *e, const char *fmt, ...)
{
	if (e->count_note[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->count_note, sizeof e->count_note, fmt, ap);
	va_end(ap);
}

int ep_incoming(struct endpoint *e, const uint8_t *data, size_t len)
{
	size_t before = e->count_check ? ep_in_pending(e) : 0;
	int st = e->ih->fn.process_incoming(e->buf, data, len);
	check_status(e, "process_incoming", st,
	             ST(TLSH_OK) | ST(TLSH_WANT_READ) | ST(TLSH_TLS_ERROR));
	if (e->count_check && st != TLSH_TLS_ERROR) {
		size_t now = ep_in_pending(e);
		if (st == TLSH_OK && now > before + len)
			count_note(e,
			           "%s incoming_bytes_buffered went from %zu to %zu over a "
			           "process_incoming of %zu bytes (more than it was given)",
			           e->label, before, now, len);
		else if (st == TLSH_WANT_READ && now != before)
			count_note(e,
			           "%s process_incoming of %zu bytes returned WANT_READ (nothing "
			           "stored) but incoming_bytes_buffered went from %zu to %zu",
			           e->label, len, before, now);
	}
	return after(e, st);
}

int ep_incoming_eof(struct endpoint *e)
{
	if (!e->ih->fn.process_incoming_eof)
		return -1;
	int st = e->ih->fn.process_incoming_eof(e->buf);
	check_status(e, "process_incoming_eof", st,
	             ep_strict ? ST(TLSH_OK) : ST(TLSH_OK) | ST(TLSH_TLS_ERROR));
	return after(e, st);
}

int ep_secret_callback(struct endpoint *e, tlsh_secret_fn cb, void *arg)
{
	if (!(e->ih->fn.capabilities & TLSH_CAP_EXPORT_SECRETS) || !e->ih->fn.set_secret_callback)
		return -1;
	int st = e->ih->fn.set_secret_callback(e->buf, cb, arg);
	check_status(e, "set_secret_callback", st, ST(TLSH_OK) | ST(TLSH_TLS_ERROR));
	return after(e, st);
}

int ep_outgoing(struct endpoint *e, uint8_t *dst, size_t cap, size_t *n)
{
	size_t got = ep_strict ? EP_POISON : 0;
	*n = 0;
	size_t pending = ep_strict || e->count_check || e->out_cap == EP_CAP_PENDING_LESS_ONE
	                         ? ep_out_pending(e)
	                         : 0;
	if (e->out_cap == EP_CAP_PENDING_LESS_ONE) {
		size_t less = pending > 1 ? pending - 1 : 1;
		cap = less < cap ? less : cap;
	} else if (e->out_cap && e->out_cap < cap) {
		cap = e->out_cap;
	}
	uint8_t *g = guard_for(cap);
	int st = e->ih->fn.process_outgoing(e->buf, g, cap, &got);
	check_canary(e, "process_outgoing", g, cap);
	check_status(e, "process_outgoing", st, ST(TLSH_OK));
	if (got > cap)
		violate(e, "process_outgoing reported %zu bytes into a %zu-byte buffer", got, cap);
	memcpy(dst, g, got);
	if (e->count_check) {
		size_t want = pending < cap ? pending : cap, now = ep_out_pending(e);
		if (got != want || now != pending - got)
			count_note(e,
			           "%s outgoing_bytes_buffered said %zu, then process_outgoing "
			           "into %zu bytes gave %zu (expected %zu) and "
			           "outgoing_bytes_buffered said %zu (expected %zu)",
			           e->label, pending, cap, got, want, now,
			           got <= pending ? pending - got : 0);
	}
	if (ep_strict && pending > 0 && got > pending)
		violate(e, "process_outgoing returned %zu bytes, outgoing_bytes_buffered said %zu",
		        got, pending);
	*n = got;
	return st;
}

size_t ep_in_pending(struct endpoint *e)
{
	return e->ih->fn.incoming_bytes_buffered(e->buf);
}

size_t ep_out_pending(struct endpoint *e)
{
	return e->ih->fn.outgoing_bytes_buffered(e->buf);
}

uint16_t ep_cipher(struct endpoint *e)
{
	return e->ih->fn.cipher(e->buf);
}

int ep_alpn(struct endpoint *e, const uint8_t **p, size_t *len)
{
	*p = NULL;
	*len = 0;
	int r = e->ih->fn.negotiated_protocol(e->buf, p, len);
	if (r != 0 && r != 1)
		violate(e, "negotiated_protocol returned %d (must be 0 or 1)", r);
	if (r == 1 && (!*p || *len == 0 || *len > 255))
		violate(e, "negotiated_protocol returned 1 with %s, length %zu",
		        *p ? "a pointer" : "NULL", *len);
	if (r == 0) {
		*p = NULL;
		*len = 0;
	}
	return r;
}

enum tlsh_version ep_version(struct endpoint *e)
{
	enum tlsh_version v = e->ih->fn.negotiated_tls_version(e->buf);
	if (v != TLSH_VERSION_NONE && v != TLSH_TLS_1_2 && v != TLSH_TLS_1_3)
		violate(e, "negotiated_tls_version returned 0x%x (must be NONE, 1.2 or 1.3)",
		        (unsigned)v);
	return v;
}

int ep_peercert(struct endpoint *e, const uint8_t **der, size_t *len)
{
	*der = NULL;
	*len = 0;
	if (!e->ih->fn.getpeercert)
		return 0;
	int r = e->ih->fn.getpeercert(e->buf, der, len);
	if (r != 0 && r != 1)
		violate(e, "getpeercert returned %d (must be 0 or 1)", r);
	if (r == 1 && (!*der || *len == 0))
		violate(e, "getpeercert returned 1 with no certificate");
	if (r == 0) {
		*der = NULL;
		*len = 0;
	}
	return r;
}
