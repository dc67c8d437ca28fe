#include "remote.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint.h"
#include "util.h"

/* ---- message encoding -------------------------------------------------- */

enum op {
	OP_HELLO = 1,
	OP_VALIDATE,
	OP_CTX_NEW,
	OP_CTX_FREE,
	OP_BUF_NEW,
	OP_BUF_FREE,
	OP_HANDSHAKE,
	OP_READ,
	OP_WRITE,
	OP_SHUTDOWN,
	OP_IN,
	OP_IN_EOF,
	OP_OUT,
	OP_IN_PENDING,
	OP_OUT_PENDING,
	OP_CIPHER,
	OP_ALPN,
	OP_VERSION,
	OP_PEERCERT,
	OP_LAST_ERROR,
};

#define NUL32 0xffffffffu
#define MAX_MSG (64u << 20)

static void put_u32(struct bytes *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bytes_append(b, x, 4);
}

static void put_u64(struct bytes *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void put_blob(struct bytes *b, const void *p, size_t n, int present)
{
	if (!present) {
		put_u32(b, NUL32);
		return;
	}
	put_u32(b, (uint32_t)n);
	bytes_append(b, p, n);
}

static void put_str(struct bytes *b, const char *s)
{
	put_blob(b, s, s ? strlen(s) : 0, s != NULL);
}

struct rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint32_t get_u32(struct rd *r)
{
	if (r->n < 4) {
		r->bad = 1;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
	             r->p[3];
	r->p += 4;
	r->n -= 4;
	return v;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t hi = get_u32(r);
	return hi << 32 | get_u32(r);
}

/* Returns a pointer into the message (valid while it lives), or NULL for
 * an absent blob; *present tells which. */
static const uint8_t *get_blob(struct rd *r, size_t *len, int *present)
{
	uint32_t n = get_u32(r);
	*len = 0;
	*present = 0;
	if (r->bad || n == NUL32)
		return NULL;
	if (n > r->n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->n -= n;
	*len = n;
	*present = 1;
	return p;
}

/* Strings are copied out NUL-terminated into an arena list freed after
 * the call. */
struct arena {
	void **v;
	size_t n;
};

static void *arena_keep(struct arena *a, void *p)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	a->v[a->n++] = p;
	return p;
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static char *get_str(struct rd *r, struct arena *a)
{
	size_t n;
	int present;
	const uint8_t *p = get_blob(r, &n, &present);
	if (!present)
		return NULL;
	char *s = arena_keep(a, xmalloc(n + 1));
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_msg(int fd, const struct bytes *b)
{
	uint8_t h[4] = {(uint8_t)(b->len >> 24), (uint8_t)(b->len >> 16), (uint8_t)(b->len >> 8),
	                (uint8_t)b->len};
	if (write_all(fd, h, 4) != 0)
		return -1;
	return write_all(fd, b->data, b->len);
}

static int recv_msg(int fd, struct bytes *b)
{
	uint8_t h[4];
	bytes_reset(b);
	if (read_all(fd, h, 4) != 0)
		return -1;
	uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (n > MAX_MSG)
		return -1;
	if (b->cap < n) {
		b->data = xrealloc(b->data, n);
		b->cap = n;
	}
	b->len = n;
	return n ? read_all(fd, b->data, n) : 0;
}

static void put_source(struct bytes *b, const struct tlsh_source *s)
{
	put_u32(b, (uint32_t)s->kind);
	put_blob(b, s->data, s->len, s->data != NULL);
	put_str(b, s->path);
}

static void get_source(struct rd *r, struct arena *a, struct tlsh_source *s)
{
	size_t n;
	int present;
	s->kind = (enum tlsh_source_kind)get_u32(r);
	const uint8_t *p = get_blob(r, &n, &present);
	s->data = present ? memcpy(arena_keep(a, xmalloc(n ? n : 1)), p, n) : NULL;
	s->len = n;
	s->path = get_str(r, a);
}

static void put_config(struct bytes *b, const struct tlsh_config *c)
{
	put_u32(b, c != NULL);
	if (!c)
		return;
	put_u32(b, (uint32_t)c->certificate_chains_len);
	for (size_t i = 0; i < c->certificate_chains_len; i++) {
		const struct tlsh_signing_chain *ch = &c->certificate_chains[i];
		put_source(b, &ch->leaf);
		put_source(b, &ch->key);
		put_u32(b, (uint32_t)ch->chain_len);
		for (size_t j = 0; j < ch->chain_len; j++)
			put_source(b, &ch->chain[j]);
	}
	put_u32(b, c->ciphers != NULL);
	put_u32(b, (uint32_t)c->ciphers_len);
	for (size_t i = 0; c->ciphers && i < c->ciphers_len; i++)
		put_u32(b, c->ciphers[i]);
	put_u32(b, (uint32_t)c->inner_protocols_len);
	for (size_t i = 0; i < c->inner_protocols_len; i++)
		put_blob(b, c->inner_protocols[i].data, c->inner_protocols[i].len, 1);
	put_u32(b, (uint32_t)c->lowest_supported_version);
	put_u32(b, (uint32_t)c->highest_supported_version);
	put_u32(b, c->trust_store != NULL);
	if (c->trust_store)
		put_source(b, c->trust_store);
	put_u32(b, c->insecure);
}

static const struct tlsh_config *get_config(struct rd *r, struct arena *a)
{
	if (!get_u32(r))
		return NULL;
	struct tlsh_config *c = arena_keep(a, xcalloc(1, sizeof *c));
	c->struct_size = sizeof *c;
	uint32_t n = get_u32(r);
	if (n > 64) {
		r->bad = 1;
		return c;
	}
	struct tlsh_signing_chain *chains = arena_keep(a, xcalloc(n ? n : 1, sizeof *chains));
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		get_source(r, a, &chains[i].leaf);
		get_source(r, a, &chains[i].key);
		uint32_t m = get_u32(r);
		if (m > 64) {
			r->bad = 1;
			break;
		}
		struct tlsh_source *v = arena_keep(a, xcalloc(m ? m : 1, sizeof *v));
		for (uint32_t j = 0; j < m && !r->bad; j++)
			get_source(r, a, &v[j]);
		chains[i].chain = m ? v : NULL;
		chains[i].chain_len = m;
	}
	c->certificate_chains = n ? chains : NULL;
	c->certificate_chains_len = n;
	int has_ciphers = (int)get_u32(r);
	uint32_t nc = get_u32(r);
	if (nc > 4096) {
		r->bad = 1;
		return c;
	}
	uint16_t *ciphers = arena_keep(a, xcalloc(nc ? nc : 1, sizeof *ciphers));
	for (uint32_t i = 0; i < nc; i++)
		ciphers[i] = (uint16_t)get_u32(r);
	c->ciphers = has_ciphers ? ciphers : NULL;
	c->ciphers_len = nc;
	uint32_t np = get_u32(r);
	if (np > 4096) {
		r->bad = 1;
		return c;
	}
	struct tlsh_bytes *protos = arena_keep(a, xcalloc(np ? np : 1, sizeof *protos));
	for (uint32_t i = 0; i < np; i++) {
		size_t len;
		int present;
		const uint8_t *p = get_blob(r, &len, &present);
		protos[i].data = memcpy(arena_keep(a, xmalloc(len ? len : 1)),
		                        p ? p : (const uint8_t *)"", len);
		protos[i].len = len;
	}
	c->inner_protocols = np ? protos : NULL;
	c->inner_protocols_len = np;
	c->lowest_supported_version = (enum tlsh_version)get_u32(r);
	c->highest_supported_version = (enum tlsh_version)get_u32(r);
	if (get_u32(r)) {
		struct tlsh_source *t = arena_keep(a, xcalloc(1, sizeof *t));
		get_source(r, a, t);
		c->trust_store = t;
	}
	c->insecure = get_u32(r);
	return c;
}

static void put_error(struct bytes *b, const struct tlsh_error *e)
{
	put_u32(b, (uint32_t)e->status);
	put_u32(b, (uint32_t)e->alert_sent);
	put_u32(b, (uint32_t)e->alert_received);
	put_str(b, e->message);
}

static void get_error(struct rd *r, struct tlsh_error *e)
{
	struct arena a = {0};
	e->status = (int)get_u32(r);
	e->alert_sent = (int)get_u32(r);
	e->alert_received = (int)get_u32(r);
	char *m = get_str(r, &a);
	fmt_into(e->message, sizeof e->message, "%s", m ? m : "");
	arena_free(&a);
}

/* ---- host side ----------------------------------------------------------- */

/* Handles are indices into a table of pointers; 0 is never valid. */
struct table {
	void **v;
	size_t n;
};

static uint32_t table_put(struct table *t, void *p)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
	t->v[t->n++] = p;
	return (uint32_t)t->n;
}

static void *table_get(struct table *t, uint32_t id)
{
	return id >= 1 && id <= t->n ? t->v[id - 1] : NULL;
}

/* READ / OUT on the host: the adapter gets an exact buffer of `cap` bytes
 * followed by CANARY_LEN canary bytes (util.h), checked after the call, as
 * endpoint.c does in process. Reply: status (u32), count (u64, passed on as
 * the adapter said for the proxy's guard to judge), the first min(count, cap)
 * bytes (blob), then the position after the end of the buffer of the first
 * canary byte the adapter changed (u32, 1 .. CANARY_LEN; 0: none), which the
 * proxy reports as an ABI violation naming the call. */
static void host_read_like(const struct tlsh_implementation *f, tlsh_buffer *b, uint32_t op,
                           size_t cap, struct bytes *out)
{
	uint8_t *g = canary_alloc(cap);
	size_t n = 0;
	int st = op == OP_READ ? f->read(b, g, cap, &n) : f->process_outgoing(b, g, cap, &n);
	int at = canary_trampled(g, cap);
	put_u32(out, (uint32_t)st);
	put_u64(out, n);
	put_blob(out, g, n > cap ? cap : n, 1);
	put_u32(out, (uint32_t)(at + 1));
	free(g);
}

static void host_serve(int fd, const char *spec)
{
	struct impl_handle ih;
	char err[512];
	struct bytes in = {0}, out = {0};
	struct table ctxs = {0}, bufs = {0};
	int loaded = impl_load(spec, &ih, err, sizeof err) == 0;
	const struct tlsh_implementation *f = &ih.fn;

	while (recv_msg(fd, &in) == 0) {
		struct rd r = {in.data, in.len, 0};
		struct arena a = {0};
		uint32_t op = get_u32(&r);
		uint32_t id = get_u32(&r);
		bytes_reset(&out);
		if (op == OP_HELLO) {
			put_u32(&out, (uint32_t)loaded);
			if (!loaded) {
				put_str(&out, err);
			} else {
				put_str(&out, f->name);
				put_str(&out, f->library_version);
				put_u64(&out, f->capabilities);
				put_u32(&out, f->process_incoming_eof != NULL);
				put_u32(&out, f->getpeercert != NULL);
			}
			goto reply;
		}
		if (!loaded)
			break;
		tlsh_buffer *b = table_get(&bufs, id);
		struct tlsh_error e;
		memset(&e, 0, sizeof e);
		e.alert_sent = e.alert_received = TLSH_NO_ALERT;
		switch (op) {
		case OP_VALIDATE:
		case OP_CTX_NEW: {
			enum tlsh_role role = (enum tlsh_role)get_u32(&r);
			const struct tlsh_config *c = get_config(&r, &a);
			if (r.bad)
				goto bad;
			if (op == OP_VALIDATE) {
				int st = f->validate_config(ih.self, role, c, &e);
				put_u32(&out, (uint32_t)st);
				put_error(&out, &e);
			} else {
				tlsh_context *ctx = NULL;
				int st = f->context_new(ih.self, role, c, &ctx, &e);
				put_u32(&out, (uint32_t)st);
				put_u32(&out, st == TLSH_OK && ctx ? table_put(&ctxs, ctx) : 0);
				put_error(&out, &e);
			}
			break;
		}
		case OP_CTX_FREE: {
			tlsh_context *ctx = table_get(&ctxs, id);
			if (ctx) {
				f->context_free(ctx);
				ctxs.v[id - 1] = NULL;
			}
			break;
		}
		case OP_BUF_NEW: {
			tlsh_context *ctx = table_get(&ctxs, id);
			char *host = get_str(&r, &a);
			if (!ctx || r.bad)
				goto bad;
			tlsh_buffer *nb = NULL;
			int st = f->buffer_new(ctx, host, &nb, &e);
			put_u32(&out, (uint32_t)st);
			put_u32(&out, st == TLSH_OK && nb ? table_put(&bufs, nb) : 0);
			put_error(&out, &e);
			break;
		}
		case OP_BUF_FREE:
			if (b) {
				f->buffer_free(b);
				bufs.v[id - 1] = NULL;
			}
			break;
		case OP_HANDSHAKE:
		case OP_SHUTDOWN:
		case OP_IN_EOF: {
			if (!b)
				goto bad;
			int st = op == OP_HANDSHAKE  ? f->do_handshake(b)
			         : op == OP_SHUTDOWN ? f->shutdown(b)
			                             : f->process_incoming_eof(b);
			put_u32(&out, (uint32_t)st);
			break;
		}
		case OP_READ:
		case OP_OUT: {
			uint32_t cap = get_u32(&r);
			if (!b || r.bad || cap > MAX_MSG / 2)
				goto bad;
			host_read_like(f, b, op, cap, &out);
			break;
		}
		case OP_WRITE:
		case OP_IN: {
			size_t len;
			int present;
			const uint8_t *p = get_blob(&r, &len, &present);
			if (!b || r.bad)
				goto bad;
			if (op == OP_WRITE) {
				size_t n = 0;
				int st = f->write(b, p, len, &n);
				put_u32(&out, (uint32_t)st);
				put_u64(&out, n);
			} else {
				put_u32(&out, (uint32_t)f->process_incoming(b, p, len));
			}
			break;
		}
		case OP_IN_PENDING:
		case OP_OUT_PENDING:
			if (!b)
				goto bad;
			put_u64(&out, op == OP_IN_PENDING ? f->incoming_bytes_buffered(b)
			                                  : f->outgoing_bytes_buffered(b));
			break;
		case OP_CIPHER:
			if (!b)
				goto bad;
			put_u32(&out, f->cipher(b));
			break;
		case OP_VERSION:
			if (!b)
				goto bad;
			put_u32(&out, (uint32_t)f->negotiated_tls_version(b));
			break;
		case OP_ALPN:
		case OP_PEERCERT: {
			if (!b)
				goto bad;
			const uint8_t *p = NULL;
			size_t len = 0;
			int got = op == OP_ALPN ? f->negotiated_protocol(b, &p, &len)
			                        : f->getpeercert(b, &p, &len);
			put_u32(&out, (uint32_t)got);
			put_blob(&out, p, p ? len : 0, p != NULL);
			break;
		}
		case OP_LAST_ERROR:
			if (!b)
				goto bad;
			f->last_error(b, &e);
			put_error(&out, &e);
			break;
		default:
			goto bad;
		}
	reply:
		arena_free(&a);
		if (send_msg(fd, &out) != 0)
			break;
		continue;
	bad:
		arena_free(&a);
		fprintf(stderr, "tlsharness host: malformed request (op %u)\n", op);
		break;
	}
	bytes_free(&in);
	bytes_free(&out);
	_exit(0);
}

/* ---- proxy side ---------------------------------------------------------- */

static void default_lost(const char *spec, const char *why)
{
	fprintf(stderr, "tlsharness: endpoint host for %s ended: %s\n", spec, why);
	exit(3);
}

void (*remote_lost)(const char *spec, const char *why) = default_lost;

struct rimpl {
	struct tlsh_implementation d; /* first: the proxy's self */
	int fd;
	pid_t pid;
	char *spec;
	char *name, *version;
	struct bytes msg;
};

struct rctx {
	struct rimpl *ri;
	uint32_t id;
};

struct rbuf {
	struct rimpl *ri;
	uint32_t id;
	uint8_t *alpn, *cert;
	size_t alpn_len, cert_len;
};

static void lost(struct rimpl *ri)
{
	char why[128] = "connection closed";
	int status;
	close(ri->fd);
	pid_t r = waitpid(ri->pid, &status, 0);
	if (r == ri->pid) {
		if (WIFSIGNALED(status))
			fmt_into(why, sizeof why, "killed by signal %d (%s)", WTERMSIG(status),
			         strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status))
			fmt_into(why, sizeof why, "exited with status %d", WEXITSTATUS(status));
	}
	remote_lost(ri->spec, why);
	_exit(3);
}

/* Sends the request in ri->msg and leaves the reply there; returns a
 * reader over it. */
static struct rd call(struct rimpl *ri)
{
	if (send_msg(ri->fd, &ri->msg) != 0 || recv_msg(ri->fd, &ri->msg) != 0)
		lost(ri);
	struct rd r = {ri->msg.data, ri->msg.len, 0};
	return r;
}

static void begin(struct rimpl *ri, enum op op, uint32_t id)
{
	bytes_reset(&ri->msg);
	put_u32(&ri->msg, op);
	put_u32(&ri->msg, id);
}

static int simple_call(struct rimpl *ri, enum op op, uint32_t id)
{
	begin(ri, op, id);
	struct rd r = call(ri);
	return (int)get_u32(&r);
}

static int r_validate(const struct tlsh_implementation *self, enum tlsh_role role,
                      const struct tlsh_config *c, struct tlsh_error *err)
{
	struct rimpl *ri = (struct rimpl *)self;
	begin(ri, OP_VALIDATE, 0);
	put_u32(&ri->msg, role);
	put_config(&ri->msg, c);
	struct rd r = call(ri);
	int st = (int)get_u32(&r);
	get_error(&r, err);
	return st;
}

static int r_ctx_new(const struct tlsh_implementation *self, enum tlsh_role role,
                     const struct tlsh_config *c, tlsh_context **out, struct tlsh_error *err)
{
	struct rimpl *ri = (struct rimpl *)self;
	begin(ri, OP_CTX_NEW, 0);
	put_u32(&ri->msg, role);
	put_config(&ri->msg, c);
	struct rd r = call(ri);
	int st = (int)get_u32(&r);
	uint32_t id = get_u32(&r);
	get_error(&r, err);
	*out = NULL;
	if (id) {
		struct rctx *x = xcalloc(1, sizeof *x);
		x->ri = ri;
		x->id = id;
		*out = (tlsh_context *)x;
	}
	return st;
}

static void r_ctx_free(tlsh_context *ctx)
{
	struct rctx *x = (struct rctx *)ctx;
	if (!x)
		return;
	begin(x->ri, OP_CTX_FREE, x->id);
	call(x->ri);
	free(x);
}

static int r_buf_new(tlsh_context *ctx, const char *host, tlsh_buffer **out, struct tlsh_error *err)
{
	struct rctx *x = (struct rctx *)ctx;
	begin(x->ri, OP_BUF_NEW, x->id);
	put_str(&x->ri->msg, host);
	struct rd r = call(x->ri);
	int st = (int)get_u32(&r);
	uint32_t id = get_u32(&r);
	get_error(&r, err);
	*out = NULL;
	if (id) {
		struct rbuf *b = xcalloc(1, sizeof *b);
		b->ri = x->ri;
		b->id = id;
		*out = (tlsh_buffer *)b;
	}
	return st;
}

static void r_buf_free(tlsh_buffer *buf)
{
	struct rbuf *b = (struct rbuf *)buf;
	if (!b)
		return;
	begin(b->ri, OP_BUF_FREE, b->id);
	call(b->ri);
	free(b->alpn);
	free(b->cert);
	free(b);
}

#define RB(buf) ((struct rbuf *)(buf))

static int r_handshake(tlsh_buffer *buf)
{
	return simple_call(RB(buf)->ri, OP_HANDSHAKE, RB(buf)->id);
}

static int r_shutdown(tlsh_buffer *buf)
{
	return simple_call(RB(buf)->ri, OP_SHUTDOWN, RB(buf)->id);
}

static int r_in_eof(tlsh_buffer *buf)
{
	return simple_call(RB(buf)->ri, OP_IN_EOF, RB(buf)->id);
}

static int read_like(tlsh_buffer *buf, enum op op, uint8_t *dst, size_t cap, size_t *n)
{
	struct rimpl *ri = RB(buf)->ri;
	if (cap > MAX_MSG / 2)
		cap = MAX_MSG / 2;
	begin(ri, op, RB(buf)->id);
	put_u32(&ri->msg, (uint32_t)cap);
	struct rd r = call(ri);
	int st = (int)get_u32(&r);
	*n = (size_t)get_u64(&r);
	size_t len;
	int present;
	const uint8_t *p = get_blob(&r, &len, &present);
	if (p && len <= cap)
		memcpy(dst, p, len);
	uint32_t trampled = get_u32(&r);
	if (trampled) {
		char msg[300];
		fmt_into(msg, sizeof msg,
		         "adapter %s (endpoint host): %s wrote past the %zu-byte buffer it was "
		         "given (byte %u after its end changed)",
		         ri->name, op == OP_READ ? "read" : "process_outgoing", cap, trampled);
		ep_violation(msg);
	}
	return st;
}

static int r_read(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n)
{
	return read_like(buf, OP_READ, dst, cap, n);
}

static int r_out(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n)
{
	return read_like(buf, OP_OUT, dst, cap, n);
}

static int r_write(tlsh_buffer *buf, const uint8_t *src, size_t len, size_t *n)
{
	struct rimpl *ri = RB(buf)->ri;
	begin(ri, OP_WRITE, RB(buf)->id);
	put_blob(&ri->msg, src, len, 1);
	struct rd r = call(ri);
	int st = (int)get_u32(&r);
	*n = (size_t)get_u64(&r);
	return st;
}

static int r_in(tlsh_buffer *buf, const uint8_t *data, size_t len)
{
	struct rimpl *ri = RB(buf)->ri;
	begin(ri, OP_IN, RB(buf)->id);
	put_blob(&ri->msg, data, len, 1);
	struct rd r = call(ri);
	return (int)get_u32(&r);
}

static size_t r_in_pending(tlsh_buffer *buf)
{
	begin(RB(buf)->ri, OP_IN_PENDING, RB(buf)->id);
	struct rd r = call(RB(buf)->ri);
	return (size_t)get_u64(&r);
}

static size_t r_out_pending(tlsh_buffer *buf)
{
	begin(RB(buf)->ri, OP_OUT_PENDING, RB(buf)->id);
	struct rd r = call(RB(buf)->ri);
	return (size_t)get_u64(&r);
}

static uint16_t r_cipher(tlsh_buffer *buf)
{
	return (uint16_t)simple_call(RB(buf)->ri, OP_CIPHER, RB(buf)->id);
}

static enum tlsh_version r_version(tlsh_buffer *buf)
{
	return (enum tlsh_version)simple_call(RB(buf)->ri, OP_VERSION, RB(buf)->id);
}

static int blob_query(tlsh_buffer *buf, enum op op, uint8_t **keep, size_t *keep_len,
                      const uint8_t **p, size_t *len)
{
	struct rimpl *ri = RB(buf)->ri;
	begin(ri, op, RB(buf)->id);
	struct rd r = call(ri);
	int got = (int)get_u32(&r);
	size_t n;
	int present;
	const uint8_t *q = get_blob(&r, &n, &present);
	free(*keep);
	*keep = present ? memcpy(xmalloc(n ? n : 1), q, n) : NULL;
	*keep_len = n;
	*p = *keep;
	*len = n;
	return got;
}

static int r_alpn(tlsh_buffer *buf, const uint8_t **p, size_t *len)
{
	return blob_query(buf, OP_ALPN, &RB(buf)->alpn, &RB(buf)->alpn_len, p, len);
}

static int r_peercert(tlsh_buffer *buf, const uint8_t **p, size_t *len)
{
	return blob_query(buf, OP_PEERCERT, &RB(buf)->cert, &RB(buf)->cert_len, p, len);
}

static void r_last_error(tlsh_buffer *buf, struct tlsh_error *err)
{
	begin(RB(buf)->ri, OP_LAST_ERROR, RB(buf)->id);
	struct rd r = call(RB(buf)->ri);
	get_error(&r, err);
}

int remote_spawn(const char *spec, struct impl_handle *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_into(err, errcap, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fmt_into(err, errcap, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		signal(SIGPIPE, SIG_IGN);
		host_serve(sv[1], spec);
	}
	close(sv[1]);
	struct rimpl *ri = xcalloc(1, sizeof *ri);
	ri->fd = sv[0];
	ri->pid = pid;
	ri->spec = xstrdup(spec);
	begin(ri, OP_HELLO, 0);
	if (send_msg(ri->fd, &ri->msg) != 0 || recv_msg(ri->fd, &ri->msg) != 0) {
		fmt_into(err, errcap, "endpoint host for %s died during start-up", spec);
		goto fail;
	}
	struct rd r = {ri->msg.data, ri->msg.len, 0};
	struct arena a = {0};
	if (!get_u32(&r)) {
		char *m = get_str(&r, &a);
		fmt_into(err, errcap, "%s", m ? m : "endpoint host could not load the adapter");
		arena_free(&a);
		goto fail;
	}
	char *name = get_str(&r, &a), *ver = get_str(&r, &a);
	ri->name = xstrdup(name ? name : "?");
	ri->version = xstrdup(ver ? ver : "?");
	arena_free(&a);
	uint64_t caps = get_u64(&r);
	int has_eof = (int)get_u32(&r), has_cert = (int)get_u32(&r);
	ri->d = (struct tlsh_implementation){
	        .abi_version = TLSH_ABI_VERSION,
	        .struct_size = sizeof(struct tlsh_implementation),
	        .name = ri->name,
	        .library_version = ri->version,
	        .capabilities = caps,
	        .validate_config = r_validate,
	        .context_new = r_ctx_new,
	        .context_free = r_ctx_free,
	        .buffer_new = r_buf_new,
	        .buffer_free = r_buf_free,
	        .do_handshake = r_handshake,
	        .read = r_read,
	        .write = r_write,
	        .shutdown = r_shutdown,
	        .process_incoming = r_in,
	        .process_incoming_eof = has_eof ? r_in_eof : NULL,
	        .process_outgoing = r_out,
	        .incoming_bytes_buffered = r_in_pending,
	        .outgoing_bytes_buffered = r_out_pending,
	        .cipher = r_cipher,
	        .negotiated_protocol = r_alpn,
	        .negotiated_tls_version = r_version,
	        .getpeercert = has_cert ? r_peercert : NULL,
	        .last_error = r_last_error,
	};
	out->fn = ri->d;
	out->self = &ri->d;
	out->spec = xstrdup(spec);
	out->path = xasprintf("remote:%s", spec);
	out->host_pid = pid;
	out->remote_fd = ri->fd;
	return 0;
fail:
	close(ri->fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	bytes_free(&ri->msg);
	free(ri->spec);
	free(ri);
	return -1;
}

void remote_close(struct impl_handle *h)
{
	if (!h->host_pid)
		return;
	struct rimpl *ri = (struct rimpl *)h->self;
	close(ri->fd);
	waitpid(ri->pid, NULL, 0);
	bytes_free(&ri->msg);
	free(ri->spec);
	free(ri->name);
	free(ri->version);
	free(ri);
	impl_unload(h);
}
