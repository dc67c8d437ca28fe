#include "fake.h"

#include <stdlib.h>
#include <string.h>

static int f_validate(const struct tlsh_implementation *s, enum tlsh_role r,
                      const struct tlsh_config *c, struct tlsh_error *e)
{
	(void)s;
	(void)r;
	(void)c;
	(void)e;
	return TLSH_OK;
}

static int f_ctx_new(const struct tlsh_implementation *s, enum tlsh_role r,
                     const struct tlsh_config *c, tlsh_context **out, struct tlsh_error *e)
{
	(void)s;
	(void)r;
	(void)c;
	(void)e;
	*out = (tlsh_context *)xcalloc(1, 1);
	return TLSH_OK;
}

static void f_ctx_free(tlsh_context *c)
{
	free(c);
}

static int f_buf_new(tlsh_context *c, const char *h, tlsh_buffer **out, struct tlsh_error *e)
{
	(void)c;
	(void)h;
	(void)e;
	*out = (tlsh_buffer *)xcalloc(1, sizeof(struct fake_buf));
	return TLSH_OK;
}

static void f_buf_free(tlsh_buffer *b)
{
	struct fake_buf *f = (struct fake_buf *)b;
	bytes_free(&f->in);
	bytes_free(&f->out);
	free(f);
}

static int f_hs(tlsh_buffer *b)
{
	(void)b;
	return TLSH_OK;
}

static int f_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct fake_buf *f = (struct fake_buf *)b;
	size_t avail = f->in.len - f->in_off;
	if (!avail) {
		*n = 0;
		return f->eof ? TLSH_RAGGED_EOF : TLSH_WANT_READ;
	}
	size_t k = avail < cap ? avail : cap;
	memcpy(dst, f->in.data + f->in_off, k);
	f->in_off += k;
	*n = k;
	return TLSH_OK;
}

static int f_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	struct fake_buf *f = (struct fake_buf *)b;
	bytes_append(&f->out, src, len);
	*n = len;
	return TLSH_OK;
}

static int f_shutdown(tlsh_buffer *b)
{
	(void)b;
	return TLSH_OK;
}

static int f_in(tlsh_buffer *b, const uint8_t *d, size_t n)
{
	struct fake_buf *f = (struct fake_buf *)b;
	if (f->eof)
		return TLSH_TLS_ERROR;
	if (f->cap_in && f->in.len - f->in_off + n > f->cap_in)
		return TLSH_WANT_READ;
	if (f->calls < 4096)
		f->chunk_sizes[f->calls] = n;
	f->calls++;
	bytes_append(&f->in, d, n);
	return TLSH_OK;
}

static int f_eof(tlsh_buffer *b)
{
	((struct fake_buf *)b)->eof = 1;
	return TLSH_OK;
}

static int f_out(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct fake_buf *f = (struct fake_buf *)b;
	size_t avail = f->out.len - f->out_off;
	size_t k = avail < cap ? avail : cap;
	memcpy(dst, f->out.data + f->out_off, k);
	f->out_off += k;
	*n = k;
	return TLSH_OK;
}

static size_t f_in_pending(tlsh_buffer *b)
{
	struct fake_buf *f = (struct fake_buf *)b;
	return f->in.len - f->in_off;
}

static size_t f_out_pending(tlsh_buffer *b)
{
	struct fake_buf *f = (struct fake_buf *)b;
	return f->out.len - f->out_off;
}

static uint16_t f_cipher(tlsh_buffer *b)
{
	(void)b;
	return 0;
}

static int f_alpn(tlsh_buffer *b, const uint8_t **p, size_t *l)
{
	(void)b;
	(void)p;
	(void)l;
	return 0;
}

static enum tlsh_version f_version(tlsh_buffer *b)
{
	(void)b;
	return TLSH_VERSION_NONE;
}

static void f_last_error(tlsh_buffer *b, struct tlsh_error *e)
{
	(void)b;
	e->status = TLSH_OK;
}

const struct tlsh_implementation fake_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "fake",
        .library_version = "fake 1",
        .capabilities = TLSH_CAP_TRANSPORT_EOF,
        .validate_config = f_validate,
        .context_new = f_ctx_new,
        .context_free = f_ctx_free,
        .buffer_new = f_buf_new,
        .buffer_free = f_buf_free,
        .do_handshake = f_hs,
        .read = f_read,
        .write = f_write,
        .shutdown = f_shutdown,
        .process_incoming = f_in,
        .process_incoming_eof = f_eof,
        .process_outgoing = f_out,
        .incoming_bytes_buffered = f_in_pending,
        .outgoing_bytes_buffered = f_out_pending,
        .cipher = f_cipher,
        .negotiated_protocol = f_alpn,
        .negotiated_tls_version = f_version,
        .last_error = f_last_error,
};
