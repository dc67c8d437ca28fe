/* Unit tests of the ABI guards on read and process_outgoing (endpoint.c):
 * the exact-size buffer with canary bytes after cap, the capacity limits of
 * an endpoint, and the byte-count check. Uses the fake pipe descriptor,
 * with hostile variants of its calls. */
#include <setjmp.h>
#include <string.h>

#include "endpoint.h"
#include "fake.h"
#include "t.h"

static struct impl_handle fh;
static struct tlsh_implementation hostile;
static jmp_buf back;
static char violation[700];

static void on_violation(const char *msg)
{
	snprintf(violation, sizeof violation, "%s", msg);
	longjmp(back, 1);
}

/* read / process_outgoing that write one byte past what they return when
 * that fills cap: a NUL terminator with no room for it. */
static int nul_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = fake_impl.read(b, dst, cap, n);
	if (st == TLSH_OK)
		dst[*n] = 0;
	return st;
}

static int nul_out(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = fake_impl.process_outgoing(b, dst, cap, n);
	if (*n)
		dst[*n] = 0;
	return st;
}

static size_t zero_pending(tlsh_buffer *b)
{
	(void)b;
	return 0;
}

static void open_ep(struct endpoint *e, enum tlsh_role role)
{
	struct tlsh_config cfg = {.struct_size = sizeof cfg};
	ep_open(e, &fh, role, &cfg, role == TLSH_ROLE_CLIENT ? "x" : NULL);
}

static void fill(struct endpoint *e, size_t in, size_t out)
{
	uint8_t b[256];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(i + 1);
	struct fake_buf *f = (struct fake_buf *)e->buf;
	bytes_append(&f->in, b, in);
	bytes_append(&f->out, b, out);
}

int main(void)
{
	fh.fn = fake_impl;
	fh.self = &fake_impl;
	ep_violation = on_violation;
	struct endpoint e;
	uint8_t buf[512];
	size_t n;

	/* Capacity limits: a read cap, a process_outgoing cap, and one byte
	 * less than pending. */
	open_ep(&e, TLSH_ROLE_SERVER);
	fill(&e, 100, 100);
	e.read_cap = 5;
	int st = ep_read(&e, buf, sizeof buf, &n);
	OK(st == TLSH_OK && n == 5 && buf[0] == 1 && buf[4] == 5,
	   "read with a 5-byte limit returns 5 bytes of 100");
	e.out_cap = EP_CAP_PENDING_LESS_ONE;
	ep_outgoing(&e, buf, sizeof buf, &n);
	OK(n == 99, "process_outgoing at one byte less than pending moves 99 of 100");
	ep_outgoing(&e, buf, sizeof buf, &n);
	OK(n == 1 && buf[0] == 100, "then the last byte, in order");
	ep_close(&e);

	/* A conforming adapter filling the whole buffer leaves the canary. */
	open_ep(&e, TLSH_ROLE_CLIENT);
	fill(&e, 16, 16);
	violation[0] = '\0';
	if (!setjmp(back)) {
		ep_read(&e, buf, 16, &n);
		ep_outgoing(&e, buf, 16, &n);
	}
	OK(!violation[0], "a read and a process_outgoing that fill cap exactly pass");
	ep_close(&e);

	/* One byte past cap: HARNESS-ERROR naming the call, without ASan. */
	hostile = fake_impl;
	hostile.read = nul_read;
	hostile.process_outgoing = nul_out;
	fh.fn = hostile;
	open_ep(&e, TLSH_ROLE_CLIENT);
	fill(&e, 100, 100);
	violation[0] = '\0';
	if (!setjmp(back))
		ep_read(&e, buf, 16, &n);
	OK(strstr(violation, "read wrote past the 16-byte buffer") != NULL, "read: '%s'",
	   violation);
	violation[0] = '\0';
	if (!setjmp(back))
		ep_read(&e, buf, 200, &n);
	OK(!violation[0], "a NUL after fewer bytes than cap is within the buffer");
	violation[0] = '\0';
	e.out_cap = 1;
	if (!setjmp(back))
		ep_outgoing(&e, buf, sizeof buf, &n);
	OK(strstr(violation, "process_outgoing wrote past the 1-byte buffer") != NULL,
	   "process_outgoing: '%s'", violation);
	ep_close(&e);

	/* Byte counts: a pending count that says 0 while bytes wait. */
	hostile = fake_impl;
	hostile.outgoing_bytes_buffered = zero_pending;
	fh.fn = hostile;
	open_ep(&e, TLSH_ROLE_SERVER);
	fill(&e, 0, 50);
	e.count_check = 1;
	ep_outgoing(&e, buf, sizeof buf, &n);
	OK(n == 50 && strstr(e.count_note, "outgoing_bytes_buffered said 0") != NULL,
	   "a wrong outgoing count is noted: '%s'", e.count_note);
	ep_close(&e);
	fh.fn = fake_impl;
	open_ep(&e, TLSH_ROLE_SERVER);
	fill(&e, 0, 50);
	e.count_check = 1;
	ep_outgoing(&e, buf, 20, &n);
	ep_incoming(&e, (const uint8_t *)"abc", 3);
	OK(n == 20 && !e.count_note[0], "exact counts note nothing");
	ep_close(&e);
	return t_done();
}
