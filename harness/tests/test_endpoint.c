/* Unit tests of endpoint.c's strict mode (ep_strict): each rule it adds is
 * broken by a variant of the fake descriptor, and must be reported in strict
 * mode and only there (the harness's default checks stay as they were). */
#include <setjmp.h>

#include "endpoint.h"
#include "fake.h"
#include "t.h"

static struct impl_handle fh;
static jmp_buf caught;
static char last_msg[700];

static void catch_violation(const char *msg)
{
	snprintf(last_msg, sizeof last_msg, "%s", msg);
	longjmp(caught, 1);
}

static int bad_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	(void)b, (void)dst, (void)cap, (void)n;
	return TLSH_WANT_READ; /* *n left unwritten */
}

static int bad_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	(void)b, (void)src, (void)len, (void)n;
	return TLSH_WANT_WRITE; /* *n left unwritten */
}

static size_t bad_out_pending(tlsh_buffer *b)
{
	(void)b;
	return 1; /* whatever process_outgoing will return */
}

static int bad_eof(tlsh_buffer *b)
{
	(void)b;
	return TLSH_TLS_ERROR;
}

static tlsh_context *stray_ctx;

static int bad_ctx_new(const struct tlsh_implementation *s, enum tlsh_role r,
                       const struct tlsh_config *c, tlsh_context **out, struct tlsh_error *e)
{
	int st = fake_impl.context_new(s, r, c, &stray_ctx, e);
	(void)st;
	*out = stray_ctx; /* a context with CONFIGURATION_ERROR */
	e->status = TLSH_CONFIGURATION_ERROR;
	return TLSH_CONFIGURATION_ERROR;
}

static int bad_validate(const struct tlsh_implementation *s, enum tlsh_role r,
                        const struct tlsh_config *c, struct tlsh_error *e)
{
	(void)s, (void)r, (void)c;
	memset(e->message, 'x', sizeof e->message); /* no terminator */
	return TLSH_CONFIGURATION_ERROR;
}

static void good_last_error(tlsh_buffer *b, struct tlsh_error *e)
{
	(void)b;
	e->status = TLSH_OK;
	e->alert_sent = e->alert_received = TLSH_NO_ALERT;
	e->message[0] = '\0';
}

static void bad_last_error(tlsh_buffer *b, struct tlsh_error *e)
{
	good_last_error(b, e);
	e->status = 99;
}

enum call { READ, WRITE, OUTGOING, EOF_CALL, CONTEXT, VALIDATE, LAST_ERROR };

/* Runs one call on a fresh endpoint with 10 bytes pending; returns 1 when it
 * was reported as a violation. */
static int violates(enum call call, int strict)
{
	struct tlsh_config cfg = {.struct_size = sizeof cfg};
	struct tlsh_error err;
	struct endpoint e = {0};
	uint8_t buf[64];
	size_t n;
	volatile int hit = 0;
	ep_strict = strict;
	last_msg[0] = '\0';
	if (call == CONTEXT || call == VALIDATE) {
		if (setjmp(caught) == 0) {
			if (call == CONTEXT) {
				ep_open_context(&e, &fh, TLSH_ROLE_CLIENT, &cfg);
				ep_close(&e);
			} else {
				ep_validate(&fh, TLSH_ROLE_CLIENT, &cfg, &err);
			}
		} else {
			hit = 1;
		}
		fake_impl.context_free(stray_ctx);
		stray_ctx = NULL;
		ep_strict = 0;
		return hit;
	}
	ep_open(&e, &fh, TLSH_ROLE_CLIENT, &cfg, "x");
	fake_impl.write(e.buf, (const uint8_t *)"0123456789", 10, &n);
	if (setjmp(caught) == 0) {
		switch (call) {
		case READ:
			ep_read(&e, buf, sizeof buf, &n);
			break;
		case WRITE:
			ep_write(&e, buf, 1, &n);
			break;
		case OUTGOING:
			ep_outgoing(&e, buf, sizeof buf, &n);
			break;
		case EOF_CALL:
			ep_incoming_eof(&e);
			break;
		case LAST_ERROR:
			ep_last_error(&e, &err);
			break;
		default:
			break;
		}
	} else {
		hit = 1;
	}
	ep_strict = 0;
	ep_close(&e);
	return hit;
}

int main(void)
{
	static const struct {
		enum call call;
		const char *rule;
	} rules[] = {
	        {READ, "read leaves *n unwritten"},
	        {WRITE, "write leaves *n unwritten"},
	        {OUTGOING, "process_outgoing returns more than outgoing_bytes_buffered said"},
	        {EOF_CALL, "process_incoming_eof returns TLS_ERROR"},
	        {CONTEXT, "context_new gives a context with CONFIGURATION_ERROR"},
	        {VALIDATE, "validate_config leaves the message unterminated"},
	        {LAST_ERROR, "last_error reports status 99"},
	};
	ep_violation = catch_violation;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		fh.fn = fake_impl;
		fh.fn.last_error = good_last_error;
		fh.self = &fake_impl;
		OK(!violates(rules[i].call, 1), "strict mode, well behaved: no report (%s)",
		   rules[i].rule);
		switch (rules[i].call) {
		case READ:
			fh.fn.read = bad_read;
			break;
		case WRITE:
			fh.fn.write = bad_write;
			break;
		case OUTGOING:
			fh.fn.outgoing_bytes_buffered = bad_out_pending;
			break;
		case EOF_CALL:
			fh.fn.process_incoming_eof = bad_eof;
			break;
		case CONTEXT:
			fh.fn.context_new = bad_ctx_new;
			break;
		case VALIDATE:
			fh.fn.validate_config = bad_validate;
			break;
		case LAST_ERROR:
			fh.fn.last_error = bad_last_error;
			break;
		}
		OK(!violates(rules[i].call, 0), "default mode accepts: %s", rules[i].rule);
		OK(violates(rules[i].call, 1), "strict mode reports: %s (%s)", rules[i].rule,
		   last_msg);
	}
	return t_done();
}
