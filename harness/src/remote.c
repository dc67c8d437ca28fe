#include "remote.h"

#include <dirent.h>
#include <errno.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
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
	OP_SYNC,     /* only the deferred process_incoming calls */
	OP_BUF_DROP, /* buffer_free without a reply (nothing deferred) */
	OP_PING,     /* a reply, to know every posted request was served */
	OP_SECRETS,  /* set_secret_callback on / off */
};

#define NUL32 0xffffffffu
#define MAX_MSG (64u << 20)
/* A message length no message has: what follows is the wait status of a
 * warm host's endpoint child that died (written by the warm host, which
 * keeps the child's end of the socket for that). */
#define DEATH_NOTICE 0xfffffff0u

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

/* One end of a connection, with what was read ahead of the message being
 * parsed (a request or reply arrives in one read, not two). */
struct conn {
	int fd;
	struct bytes rx;
	size_t off;
};

static int conn_read(struct conn *c, void *p, size_t n)
{
	while (c->rx.len - c->off < n) {
		if (c->off) {
			memmove(c->rx.data, c->rx.data + c->off, c->rx.len - c->off);
			c->rx.len -= c->off;
			c->off = 0;
		}
		size_t want = n - c->rx.len > 65536 ? n - c->rx.len : 65536;
		if (c->rx.cap - c->rx.len < want) {
			c->rx.cap = c->rx.len + want;
			c->rx.data = xrealloc(c->rx.data, c->rx.cap);
		}
		ssize_t r = read(c->fd, c->rx.data + c->rx.len, c->rx.cap - c->rx.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c->rx.len += (size_t)r;
	}
	memcpy(p, c->rx.data + c->off, n);
	c->off += n;
	return 0;
}

/* A message: 4-byte length, then the bytes; header and body in one write. */
static int send_msg(struct conn *c, const struct bytes *b)
{
	uint8_t h[4] = {(uint8_t)(b->len >> 24), (uint8_t)(b->len >> 16), (uint8_t)(b->len >> 8),
	                (uint8_t)b->len};
	struct iovec v[2] = {{h, 4}, {b->data, b->len}};
	size_t left = 4 + b->len;
	int k = 0;
	while (left) {
		ssize_t w = writev(c->fd, v + k, 2 - k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		left -= (size_t)w;
		while (k < 2 && (size_t)w >= v[k].iov_len) {
			w -= (ssize_t)v[k].iov_len;
			k++;
		}
		if (k < 2) {
			v[k].iov_base = (uint8_t *)v[k].iov_base + w;
			v[k].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Returns 0, -1 (connection closed or broken) or -2 (a death notice: the
 * wait status is in *status). */
static int recv_msg(struct conn *c, struct bytes *b, int *status)
{
	uint8_t h[4];
	bytes_reset(b);
	if (conn_read(c, h, 4) != 0)
		return -1;
	uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (n == DEATH_NOTICE) {
		uint8_t x[4];
		if (!status || conn_read(c, x, 4) != 0)
			return -1;
		*status = (int)((uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 |
		                x[3]);
		return -2;
	}
	if (n > MAX_MSG)
		return -1;
	if (b->cap < n) {
		b->data = xrealloc(b->data, n);
		b->cap = n;
	}
	b->len = n;
	return n ? conn_read(c, b->data, n) : 0;
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

static int is_error_status(int st)
{
	return st == TLSH_TLS_ERROR || st == TLSH_RAGGED_EOF || st == TLSH_CONFIGURATION_ERROR;
}

static void init_error(struct tlsh_error *e)
{
	memset(e, 0, sizeof *e);
	e->alert_sent = e->alert_received = TLSH_NO_ALERT;
}

struct host {
	const struct tlsh_implementation *f;
	const struct impl_handle *ih;
	struct table ctxs, bufs;
	/* A buffer request's reply before the secrets go in front of it. */
	struct bytes body;
};

/* Exported secrets (set_secret_callback): what the adapter handed over
 * during the request being served, [buffer id, label, client random,
 * secret] each; they head the reply of every request on a buffer, so the
 * proxy passes them on before its caller sees what that request produced.
 * The host serves one request at a time: one list for the process. */
static struct bytes host_secrets;
static uint32_t host_nsecrets;

static void host_secret_cb(void *arg, const char *label, const uint8_t *client_random,
                           const uint8_t *secret, size_t len)
{
	put_u32(&host_secrets, (uint32_t)(uintptr_t)arg);
	put_str(&host_secrets, label);
	put_blob(&host_secrets, client_random, client_random ? 32 : 0, client_random != NULL);
	put_blob(&host_secrets, secret, secret && len <= 64 ? len : 0, secret != NULL && len <= 64);
	host_nsecrets++;
}

/* out = the secrets collected (emptied) + h->body. */
static void host_reply_with_secrets(struct host *h, struct bytes *out)
{
	put_u32(out, host_nsecrets);
	bytes_append(out, host_secrets.data, host_secrets.len);
	bytes_reset(&host_secrets);
	host_nsecrets = 0;
	bytes_append(out, h->body.data, h->body.len);
}

/* read or process_outgoing on the host, guarded as endpoint.c guards them
 * in process: the adapter gets an exact buffer of `cap` bytes followed by
 * CANARY_LEN canary bytes (util.h), checked after the call. Puts the count
 * (u64, as the adapter said, for the proxy's guard to judge), the first
 * min(count, cap) bytes (blob) and the position after the buffer's end of
 * the first canary byte the adapter changed (u32, 1 .. CANARY_LEN; 0: none),
 * which the proxy reports as an ABI violation naming the call
 * (check_trampled). Returns the adapter's status; *sent is the number of
 * bytes put, *bad is set for a count beyond cap or a changed canary. */
static int host_guarded(const struct tlsh_implementation *f, tlsh_buffer *b, enum op op, size_t cap,
                        struct bytes *out, size_t *sent, int *bad)
{
	uint8_t *g = canary_alloc(cap);
	size_t n = 0;
	int st = op == OP_READ ? f->read(b, g, cap, &n) : f->process_outgoing(b, g, cap, &n);
	int at = canary_trampled(g, cap);
	*sent = n > cap ? cap : n;
	*bad = n > cap || at >= 0;
	put_u64(out, n);
	put_blob(out, g, *sent, 1);
	put_u32(out, (uint32_t)(at + 1));
	free(g);
	return st;
}

/* Runs the process_incoming calls the proxy deferred (it answered OK for
 * them), in order. Replies 1, or 0 + the index, status and error detail of
 * the first that did not return OK (the request's operation is then not
 * run). Returns 0, -1 after a failure, -2 for a malformed request. */
static int host_deferred(struct host *h, struct rd *r, tlsh_buffer *b, struct bytes *out)
{
	uint32_t n = get_u32(r);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		size_t len;
		int present;
		const uint8_t *p = get_blob(r, &len, &present);
		if (r->bad || !present)
			return -2;
		int st = h->f->process_incoming(b, p, len);
		if (st != TLSH_OK) {
			struct tlsh_error e;
			init_error(&e);
			if (is_error_status(st))
				h->f->last_error(b, &e);
			put_u32(out, 0);
			put_u32(out, i);
			put_u32(out, (uint32_t)st);
			put_error(out, &e);
			return -1;
		}
	}
	if (r->bad)
		return -2;
	put_u32(out, 1);
	return 0;
}

/* What follows every operation on a buffer in the same reply: the error
 * detail endpoint.c fetches next when the status is an error (last_error,
 * exactly as it would call it), then everything process_outgoing has, asked
 * for with the caller's last size, one chunk per call: [1, n, bytes, canary,
 * status] per chunk (host_guarded), then [0, drained]. drained = 1 means process_outgoing returned
 * OK with 0 bytes (the proxy answers the caller's next call itself). After
 * an operation, last, incoming_bytes_buffered. */
static void host_step_tail(struct host *h, tlsh_buffer *b, int st, int with_status, uint32_t cap,
                           struct bytes *out)
{
	if (with_status) {
		put_u32(out, (uint32_t)st);
		put_u32(out, (uint32_t)is_error_status(st));
		if (is_error_status(st)) {
			struct tlsh_error e;
			init_error(&e);
			h->f->last_error(b, &e);
			put_error(out, &e);
		}
	}
	size_t total = 0;
	int drained = 0;
	for (unsigned k = 0; k < 65536 && total < (4u << 20); k++) {
		size_t mark = out->len, sent;
		int bad;
		put_u32(out, 1);
		int ost = host_guarded(h->f, b, OP_OUT, cap, out, &sent, &bad);
		if (ost == TLSH_OK && sent == 0 && !bad) {
			out->len = mark; /* OK with 0 bytes: drained, not a chunk */
			drained = 1;
			break;
		}
		put_u32(out, (uint32_t)ost);
		total += sent;
		if (ost != TLSH_OK || bad)
			break;
	}
	put_u32(out, 0);
	put_u32(out, (uint32_t)drained);
	/* What the adapter holds unread after an operation: the proxy defers
	 * process_incoming only far below any adapter's limit. */
	if (with_status)
		put_u64(out, h->f->incoming_bytes_buffered(b));
}

/* One request on a buffer: deferred process_incoming calls, the operation,
 * and for the operations that change the buffer's state the step tail.
 * Returns 0, or -1 for a malformed request. */
static int host_buffer_op(struct host *h, uint32_t op, uint32_t id, tlsh_buffer *b, struct rd *r,
                          struct arena *a, struct bytes *out)
{
	const struct tlsh_implementation *f = h->f;
	(void)a;
	int d = host_deferred(h, r, b, out);
	if (d == -2)
		return -1;
	if (d == -1)
		return 0;
	switch (op) {
	case OP_SYNC:
		break;
	case OP_HANDSHAKE:
	case OP_SHUTDOWN:
	case OP_IN_EOF: {
		uint32_t cap = get_u32(r);
		if (r->bad || cap == 0 || cap > MAX_MSG / 8)
			return -1;
		int st = op == OP_HANDSHAKE  ? f->do_handshake(b)
		         : op == OP_SHUTDOWN ? f->shutdown(b)
		                             : f->process_incoming_eof(b);
		host_step_tail(h, b, st, 1, cap, out);
		break;
	}
	case OP_READ: {
		uint32_t cap = get_u32(r), rcap = get_u32(r);
		if (r->bad || cap == 0 || cap > MAX_MSG / 8 || rcap > MAX_MSG / 8)
			return -1;
		size_t sent;
		int bad;
		int st = host_guarded(f, b, OP_READ, rcap, out, &sent, &bad);
		host_step_tail(h, b, st, 1, cap, out);
		break;
	}
	case OP_WRITE:
	case OP_IN: {
		uint32_t cap = get_u32(r);
		size_t len;
		int present;
		const uint8_t *p = get_blob(r, &len, &present);
		if (r->bad || cap == 0 || cap > MAX_MSG / 8)
			return -1;
		size_t n = 0;
		int st = op == OP_WRITE ? f->write(b, p, len, &n) : f->process_incoming(b, p, len);
		put_u64(out, n);
		host_step_tail(h, b, st, 1, cap, out);
		break;
	}
	case OP_OUT: {
		uint32_t cap = get_u32(r);
		if (r->bad || cap == 0 || cap > MAX_MSG / 8)
			return -1;
		host_step_tail(h, b, 0, 0, cap, out);
		break;
	}
	case OP_IN_PENDING:
	case OP_OUT_PENDING:
		put_u64(out, op == OP_IN_PENDING ? f->incoming_bytes_buffered(b)
		                                 : f->outgoing_bytes_buffered(b));
		break;
	case OP_CIPHER:
		put_u32(out, f->cipher(b));
		break;
	case OP_VERSION:
		put_u32(out, (uint32_t)f->negotiated_tls_version(b));
		break;
	case OP_ALPN:
	case OP_PEERCERT: {
		const uint8_t *p = NULL;
		size_t len = 0;
		int got = op == OP_ALPN ? f->negotiated_protocol(b, &p, &len)
		                        : f->getpeercert(b, &p, &len);
		put_u32(out, (uint32_t)got);
		put_blob(out, p, p ? len : 0, p != NULL);
		break;
	}
	case OP_LAST_ERROR: {
		struct tlsh_error e;
		init_error(&e);
		f->last_error(b, &e);
		put_error(out, &e);
		break;
	}
	case OP_SECRETS: {
		uint32_t on = get_u32(r);
		if (r->bad || f->set_secret_callback == NULL)
			return -1;
		int st = f->set_secret_callback(b, on ? host_secret_cb : NULL,
		                                (void *)(uintptr_t)id);
		put_u32(out, (uint32_t)st);
		put_u32(out, (uint32_t)is_error_status(st));
		if (is_error_status(st)) {
			struct tlsh_error e;
			init_error(&e);
			f->last_error(b, &e);
			put_error(out, &e);
		}
		break;
	}
	default:
		return -1;
	}
	return 0;
}

/* Requests the proxy does not wait for: the next reply tells it they were
 * served (a crash in one ends the connection before that reply). */
static int posted(uint32_t op)
{
	return op == OP_BUF_DROP || op == OP_CTX_FREE;
}

static int host_request(struct host *h, uint32_t op, uint32_t id, struct rd *r, struct arena *a,
                        struct bytes *out)
{
	const struct tlsh_implementation *f = h->f;
	struct tlsh_error e;
	init_error(&e);
	switch (op) {
	case OP_VALIDATE:
	case OP_CTX_NEW: {
		enum tlsh_role role = (enum tlsh_role)get_u32(r);
		const struct tlsh_config *c = get_config(r, a);
		if (r->bad)
			return -1;
		if (op == OP_VALIDATE) {
			int st = f->validate_config(h->ih->self, role, c, &e);
			put_u32(out, (uint32_t)st);
			put_error(out, &e);
		} else {
			tlsh_context *ctx = NULL;
			int st = f->context_new(h->ih->self, role, c, &ctx, &e);
			put_u32(out, (uint32_t)st);
			put_u32(out, st == TLSH_OK && ctx ? table_put(&h->ctxs, ctx) : 0);
			put_error(out, &e);
		}
		return 0;
	}
	case OP_CTX_FREE: {
		tlsh_context *ctx = table_get(&h->ctxs, id);
		if (ctx) {
			f->context_free(ctx);
			h->ctxs.v[id - 1] = NULL;
		}
		return 0;
	}
	case OP_BUF_NEW: {
		tlsh_context *ctx = table_get(&h->ctxs, id);
		char *host = get_str(r, a);
		if (!ctx || r->bad)
			return -1;
		tlsh_buffer *nb = NULL;
		int st = f->buffer_new(ctx, host, &nb, &e);
		put_u32(out, (uint32_t)st);
		put_u32(out, st == TLSH_OK && nb ? table_put(&h->bufs, nb) : 0);
		put_error(out, &e);
		return 0;
	}
	case OP_PING:
		return 0;
	case OP_BUF_FREE:
	case OP_BUF_DROP: {
		tlsh_buffer *b = table_get(&h->bufs, id);
		if (!b)
			return -1;
		bytes_reset(&h->body);
		if (host_deferred(h, r, b, &h->body) == -2)
			return -1;
		f->buffer_free(b);
		h->bufs.v[id - 1] = NULL;
		host_reply_with_secrets(h, out);
		return 0;
	}
	default: {
		tlsh_buffer *b = table_get(&h->bufs, id);
		if (!b)
			return -1;
		bytes_reset(&h->body);
		int rc = host_buffer_op(h, op, id, b, r, a, &h->body);
		host_reply_with_secrets(h, out);
		return rc;
	}
	}
}

/* Serves descriptor calls on fd until the peer closes it. `ih` is the
 * loaded adapter, or NULL with `load_err` saying why it could not be
 * loaded (reported in the HELLO reply). Never returns. */
void remote_serve(int fd, const struct impl_handle *ih, const char *load_err)
{
	struct bytes in = {0}, out = {0};
	struct host h = {.ih = ih, .f = ih ? &ih->fn : NULL};
	struct conn c = {.fd = fd};
	signal(SIGPIPE, SIG_IGN);
	while (recv_msg(&c, &in, NULL) == 0) {
		struct rd r = {in.data, in.len, 0};
		struct arena a = {0};
		uint32_t op = get_u32(&r);
		uint32_t id = get_u32(&r);
		bytes_reset(&out);
		int rc = 0;
		if (op == OP_HELLO) {
			put_u32(&out, ih != NULL);
			if (!ih) {
				put_str(&out,
				        load_err ? load_err : "the adapter could not be loaded");
			} else {
				put_str(&out, h.f->name);
				put_str(&out, h.f->library_version);
				put_u64(&out, h.f->capabilities);
				put_u32(&out, h.f->process_incoming_eof != NULL);
				put_u32(&out, h.f->getpeercert != NULL);
			}
		} else if (!ih) {
			rc = -1;
		} else {
			rc = host_request(&h, op, id, &r, &a, &out);
		}
		arena_free(&a);
		if (rc != 0) {
			fprintf(stderr, "tlsharness host: malformed request (op %u)\n", op);
			break;
		}
		if (posted(op))
			continue; /* no reply: the proxy does not wait for one */
		if (send_msg(&c, &out) != 0)
			break;
	}
	bytes_free(&h.body);
	bytes_free(&in);
	bytes_free(&out);
	bytes_free(&c.rx);
	_exit(0);
}

static void host_serve(int fd, const char *spec)
{
	static struct impl_handle ih;
	char err[512];
	int loaded = impl_load(spec, &ih, err, sizeof err) == 0;
	remote_serve(fd, loaded ? &ih : NULL, err);
}

/* ---- proxy side ---------------------------------------------------------- */

/* One pump step is one round trip. The proxy
 * - defers process_incoming (answers OK at once) and sends the bytes with
 *   the next request on that buffer; the host runs them first, in order.
 *   Most adapters only buffer there; one that parses as bytes arrive may
 *   fail there (TLS_ERROR): the operation the call travelled with then
 *   reports that failure (a query is asked again), and nothing more is
 *   deferred on that buffer. Any other status of a deferred call ends the
 *   scenario as HARNESS-ERROR naming it, never silently;
 * - gets with each operation's status the error detail endpoint.c asks
 *   for next (last_error) and everything process_outgoing then has, and
 *   answers the following process_outgoing calls from that cache, until
 *   the next operation.
 * Every adapter call the host makes is one the caller would have caused,
 * in the same order on that buffer; only process_outgoing runs earlier
 * (right after the operation instead of when the pump asks). */

static void default_lost(const char *spec, const char *why)
{
	fprintf(stderr, "tlsharness: endpoint host for %s ended: %s\n", spec, why);
	exit(3);
}

void (*remote_lost)(const char *spec, const char *why) = default_lost;

#define DEFER_MAX (64u * 1024u)
/* Deferred only while the adapter holds less than this unread (with what is
 * deferred): every adapter here takes 1 MiB before process_incoming says
 * WANT_READ, and that answer cannot be deferred. */
#define DEFER_SAFE (256u * 1024u)
#define OUT_CAP_DEFAULT (16384u + 512u)

struct rimpl {
	struct tlsh_implementation d; /* first: the proxy's self */
	struct conn c;
	int posted; /* requests sent that no reply has confirmed yet */
	int dead;   /* the connection ended (remote_lost was called) */
	struct rimpl *next_live;
	pid_t pid; /* our child, or 0 (a warm host's child: death notices) */
	char *spec;
	char *name, *version;
	struct bytes msg;
};

struct rctx {
	struct rimpl *ri;
	uint32_t id;
	enum tlsh_role role;
};

struct ochunk {
	int st;
	size_t n;    /* as the adapter reported it */
	size_t off;  /* into rbuf.cache */
	size_t len;  /* bytes sent (n capped at the size asked for) */
	size_t used; /* bytes already handed out */
	size_t cap;  /* the size the host's call was given */
	uint32_t at; /* the canary byte it changed (host_guarded), or 0 */
};

struct rbuf {
	struct rimpl *ri;
	uint32_t id;
	enum tlsh_role role;
	uint8_t *alpn, *cert;
	size_t alpn_len, cert_len;
	/* Deferred process_incoming calls, encoded as blobs. */
	struct bytes defer;
	uint32_t ndefer;
	size_t in_pending; /* incoming_bytes_buffered after the last operation */
	int eof_sent;
	/* A deferred process_incoming returned TLS_ERROR (its caller had been
	 * told OK): the operation it travelled with reports the failure, and
	 * nothing is deferred on this buffer any more. */
	int in_failed;
	/* process_outgoing cache. */
	struct bytes cache;
	struct ochunk *ch;
	size_t nch, next, chcap;
	int drained;
	uint32_t out_cap;
	/* last_error of the last operation, when it failed. */
	struct tlsh_error err;
	int has_err;
	/* set_secret_callback's receiver (NULL: none). */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
	struct rbuf *prev_live, *next_live;
};

static struct rbuf *live_bufs;

static void lost_why(struct rimpl *ri, int status, int have_status)
{
	char why[128] = "connection closed";
	close(ri->c.fd);
	ri->dead = 1;
	if (!have_status && ri->pid > 0 && waitpid(ri->pid, &status, 0) == ri->pid)
		have_status = 1;
	if (have_status) {
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
	int status = 0;
	if (send_msg(&ri->c, &ri->msg) != 0) {
		/* The host is gone; its death notice may still be readable. */
		int rc = recv_msg(&ri->c, &ri->msg, &status);
		lost_why(ri, status, rc == -2);
	}
	int rc = recv_msg(&ri->c, &ri->msg, &status);
	if (rc != 0)
		lost_why(ri, status, rc == -2);
	ri->posted = 0;
	struct rd r = {ri->msg.data, ri->msg.len, 0};
	return r;
}

/* Sends the request in ri->msg without waiting for a reply. */
static void post(struct rimpl *ri)
{
	int status = 0;
	if (send_msg(&ri->c, &ri->msg) != 0) {
		int rc = recv_msg(&ri->c, &ri->msg, &status);
		lost_why(ri, status, rc == -2);
	}
	ri->posted = 1;
}

static void begin(struct rimpl *ri, enum op op, uint32_t id)
{
	bytes_reset(&ri->msg);
	put_u32(&ri->msg, op);
	put_u32(&ri->msg, id);
}

/* Starts a request on a buffer: the deferred process_incoming calls go
 * first. */
static void begin_buf(struct rbuf *b, enum op op)
{
	begin(b->ri, op, b->id);
	put_u32(&b->ri->msg, b->ndefer);
	bytes_append(&b->ri->msg, b->defer.data, b->defer.len);
	bytes_reset(&b->defer);
	b->ndefer = 0;
}

static const char *role_label(enum tlsh_role role)
{
	return role == TLSH_ROLE_CLIENT ? "client" : "server";
}

/* The secrets heading a reply (host_reply_with_secrets) go to the
 * receivers of the buffers they were derived for, before the caller of the
 * request sees what it produced. */
static void pass_secrets(struct rbuf *b, struct rd *r)
{
	uint32_t n = get_u32(r);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint32_t id = get_u32(r);
		size_t llen, rlen, slen;
		int lp, rp, sp;
		const uint8_t *label = get_blob(r, &llen, &lp);
		const uint8_t *random = get_blob(r, &rlen, &rp);
		const uint8_t *secret = get_blob(r, &slen, &sp);
		char text[64];
		if (r->bad || !lp || !rp || !sp || llen == 0 || llen >= sizeof text || rlen != 32 ||
		    slen == 0 || slen > 64)
			continue;
		memcpy(text, label, llen);
		text[llen] = '\0';
		struct rbuf *to = b->id == id ? b : NULL;
		for (struct rbuf *x = live_bufs; to == NULL && x; x = x->next_live)
			if (x->ri == b->ri && x->id == id)
				to = x;
		if (to != NULL && to->secret_cb != NULL)
			to->secret_cb(to->secret_arg, text, random, secret, slen);
	}
}

/* The reply's verdict on the deferred calls. Returns 0 when they all
 * returned OK. A TLS_ERROR (an adapter that parses as bytes arrive) is the
 * buffer's failure: returns 1, with the error detail kept for last_error,
 * and the request's operation was not run (the caller reports the failure,
 * or asks again). Any other status ends the scenario: the caller was told
 * OK. The exported secrets come first (pass_secrets). */
static int check_deferred(struct rbuf *b, struct rd *r)
{
	pass_secrets(b, r);
	if (get_u32(r))
		return 0;
	uint32_t i = get_u32(r);
	int st = (int)get_u32(r);
	struct tlsh_error e;
	init_error(&e);
	get_error(r, &e);
	if (st == TLSH_TLS_ERROR) {
		b->in_failed = 1;
		b->err = e;
		b->has_err = 1;
		return 1;
	}
	char msg[900];
	if (st < 0 || st >= TLSH_STATUS_COUNT)
		fmt_into(
		        msg, sizeof msg,
		        "%s adapter (%s): process_incoming returned %d, which is not a tlsh_status",
		        role_label(b->role), b->ri->name, st);
	else
		fmt_into(msg, sizeof msg,
		         "%s adapter (%s): process_incoming returned %s for bytes the "
		         "out-of-process "
		         "proxy had already accepted (deferred call %u)%s%s",
		         role_label(b->role), b->ri->name, status_name(st), i,
		         e.message[0] ? ": " : "", e.message);
	ep_violation(msg);
	abort(); /* ep_violation does not return */
}

/* A canary byte the host found changed after read or process_outgoing
 * (host_guarded): an ABI violation naming the call, as endpoint.c reports
 * it in process. */
static void check_trampled(const struct rbuf *b, const char *call, size_t cap, uint32_t at)
{
	if (!at)
		return;
	char msg[300];
	fmt_into(msg, sizeof msg,
	         "%s adapter (%s, endpoint host): %s wrote past the %zu-byte buffer it was "
	         "given (byte %u after its end changed)",
	         role_label(b->role), b->ri->name, call, cap, at);
	ep_violation(msg);
	abort(); /* ep_violation does not return */
}

static void cache_reset_if_used(struct rbuf *b)
{
	if (b->next == b->nch) {
		b->next = b->nch = 0;
		bytes_reset(&b->cache);
	}
}

/* Reads a step tail (see host_step_tail) into the buffer's state. */
static int read_tail(struct rbuf *b, struct rd *r, int with_status)
{
	int st = 0;
	if (with_status) {
		st = (int)get_u32(r);
		b->has_err = (int)get_u32(r);
		if (b->has_err)
			get_error(r, &b->err);
	}
	cache_reset_if_used(b);
	while (get_u32(r) && !r->bad) {
		struct ochunk c = {.n = (size_t)get_u64(r), .cap = b->out_cap};
		size_t len;
		int present;
		const uint8_t *p = get_blob(r, &len, &present);
		c.at = get_u32(r);
		c.st = (int)get_u32(r);
		c.off = b->cache.len;
		c.len = len;
		bytes_append(&b->cache, p, len);
		if (b->nch == b->chcap) {
			b->chcap = b->chcap ? 2 * b->chcap : 8;
			b->ch = xrealloc(b->ch, b->chcap * sizeof *b->ch);
		}
		b->ch[b->nch++] = c;
	}
	b->drained = (int)get_u32(r);
	if (with_status)
		b->in_pending = (size_t)get_u64(r);
	return st;
}

/* Everything that changes the adapter's state invalidates what the proxy
 * knew about it (except bytes already taken out). */
static void before_op(struct rbuf *b)
{
	b->has_err = 0;
	b->drained = 0;
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
		x->role = role;
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
	post(x->ri);
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
		b->role = x->role;
		b->out_cap = OUT_CAP_DEFAULT;
		b->next_live = live_bufs;
		if (live_bufs)
			live_bufs->prev_live = b;
		live_bufs = b;
		*out = (tlsh_buffer *)b;
	}
	return st;
}

static void r_buf_free(tlsh_buffer *buf)
{
	struct rbuf *b = (struct rbuf *)buf;
	if (!b)
		return;
	if (b->ndefer) {
		begin_buf(b, OP_BUF_FREE);
		struct rd r = call(b->ri);
		if (check_deferred(b, &r)) {
			begin_buf(b, OP_BUF_DROP);
			post(b->ri);
		}
	} else {
		begin_buf(b, OP_BUF_DROP);
		post(b->ri);
	}
	if (b->prev_live)
		b->prev_live->next_live = b->next_live;
	else
		live_bufs = b->next_live;
	if (b->next_live)
		b->next_live->prev_live = b->prev_live;
	bytes_free(&b->defer);
	bytes_free(&b->cache);
	free(b->ch);
	free(b->alpn);
	free(b->cert);
	free(b);
}

#define RB(buf) ((struct rbuf *)(buf))

/* An operation that changes the buffer's state: one round trip. */
static int step_op(tlsh_buffer *buf, enum op op)
{
	struct rbuf *b = RB(buf);
	before_op(b);
	begin_buf(b, op);
	put_u32(&b->ri->msg, b->out_cap);
	struct rd r = call(b->ri);
	if (check_deferred(b, &r))
		return TLSH_TLS_ERROR;
	return read_tail(b, &r, 1);
}

static int r_handshake(tlsh_buffer *buf)
{
	return step_op(buf, OP_HANDSHAKE);
}

static int r_shutdown(tlsh_buffer *buf)
{
	return step_op(buf, OP_SHUTDOWN);
}

static int r_in_eof(tlsh_buffer *buf)
{
	RB(buf)->eof_sent = 1;
	return step_op(buf, OP_IN_EOF);
}

static int r_read(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n)
{
	struct rbuf *b = RB(buf);
	before_op(b);
	begin_buf(b, OP_READ);
	put_u32(&b->ri->msg, b->out_cap);
	put_u32(&b->ri->msg, (uint32_t)(cap > MAX_MSG / 8 ? MAX_MSG / 8 : cap));
	struct rd r = call(b->ri);
	*n = 0;
	if (check_deferred(b, &r))
		return TLSH_TLS_ERROR;
	*n = (size_t)get_u64(&r);
	size_t len;
	int present;
	const uint8_t *p = get_blob(&r, &len, &present);
	if (p && len <= cap)
		memcpy(dst, p, len);
	check_trampled(b, "read", cap > MAX_MSG / 8 ? MAX_MSG / 8 : cap, get_u32(&r));
	return read_tail(b, &r, 1);
}

static int r_write(tlsh_buffer *buf, const uint8_t *src, size_t len, size_t *n)
{
	struct rbuf *b = RB(buf);
	before_op(b);
	begin_buf(b, OP_WRITE);
	put_u32(&b->ri->msg, b->out_cap);
	put_blob(&b->ri->msg, src, len, 1);
	struct rd r = call(b->ri);
	*n = 0;
	if (check_deferred(b, &r))
		return TLSH_TLS_ERROR;
	*n = (size_t)get_u64(&r);
	return read_tail(b, &r, 1);
}

static int r_in(tlsh_buffer *buf, const uint8_t *data, size_t len)
{
	struct rbuf *b = RB(buf);
	if (!b->eof_sent && !b->in_failed && data != NULL && b->defer.len + len + 4 <= DEFER_MAX &&
	    b->in_pending + b->defer.len + len <= DEFER_SAFE) {
		put_blob(&b->defer, data, len, 1);
		b->ndefer++;
		before_op(b);
		return TLSH_OK;
	}
	before_op(b);
	begin_buf(b, OP_IN);
	put_u32(&b->ri->msg, b->out_cap);
	put_blob(&b->ri->msg, data, len, data != NULL);
	struct rd r = call(b->ri);
	if (check_deferred(b, &r))
		return TLSH_TLS_ERROR;
	get_u64(&r);
	return read_tail(b, &r, 1);
}

static int r_out(tlsh_buffer *buf, uint8_t *dst, size_t cap, size_t *n)
{
	struct rbuf *b = RB(buf);
	*n = 0;
	if (cap > 0 && cap <= MAX_MSG / 8)
		b->out_cap = (uint32_t)cap;
	for (int again = 1; again && b->next == b->nch && !b->drained;) {
		begin_buf(b, OP_OUT);
		put_u32(&b->ri->msg, b->out_cap);
		struct rd r = call(b->ri);
		again = check_deferred(b, &r); /* then asked again, nothing deferred */
		if (!again)
			read_tail(b, &r, 0);
	}
	if (b->next == b->nch)
		return TLSH_OK; /* drained: the adapter said 0 bytes */
	struct ochunk *c = &b->ch[b->next];
	check_trampled(b, "process_outgoing", c->cap, c->at);
	const uint8_t *p = b->cache.data + c->off + c->used;
	size_t avail = c->len - c->used;
	if (c->st != TLSH_OK || c->n > c->len) {
		/* What the adapter said, for endpoint.c's guard to judge. */
		memcpy(dst, p, avail < cap ? avail : cap);
		*n = c->n;
		b->next++;
		return c->st;
	}
	size_t k = avail < cap ? avail : cap;
	memcpy(dst, p, k);
	c->used += k;
	if (c->used == c->len)
		b->next++;
	*n = k;
	return TLSH_OK;
}

static size_t cached_out(const struct rbuf *b)
{
	size_t n = 0;
	for (size_t i = b->next; i < b->nch; i++)
		n += b->ch[i].len - b->ch[i].used;
	return n;
}

static struct rd query(tlsh_buffer *buf, enum op op)
{
	struct rbuf *b = RB(buf);
	for (;;) {
		begin_buf(b, op);
		struct rd r = call(b->ri);
		if (!check_deferred(b, &r))
			return r; /* else asked again, nothing deferred */
	}
}

static size_t r_in_pending(tlsh_buffer *buf)
{
	struct rd r = query(buf, OP_IN_PENDING);
	RB(buf)->in_pending = (size_t)get_u64(&r);
	return RB(buf)->in_pending;
}

static size_t r_out_pending(tlsh_buffer *buf)
{
	struct rd r = query(buf, OP_OUT_PENDING);
	return (size_t)get_u64(&r) + cached_out(RB(buf));
}

static uint16_t r_cipher(tlsh_buffer *buf)
{
	struct rd r = query(buf, OP_CIPHER);
	return (uint16_t)get_u32(&r);
}

static enum tlsh_version r_version(tlsh_buffer *buf)
{
	struct rd r = query(buf, OP_VERSION);
	return (enum tlsh_version)get_u32(&r);
}

static int blob_query(tlsh_buffer *buf, enum op op, uint8_t **keep, size_t *keep_len,
                      const uint8_t **p, size_t *len)
{
	struct rd r = query(buf, op);
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
	struct rbuf *b = RB(buf);
	if (b->has_err && b->ndefer == 0) {
		*err = b->err;
		return;
	}
	struct rd r = query(buf, OP_LAST_ERROR);
	get_error(&r, err);
}

static int r_set_secret_callback(tlsh_buffer *buf, tlsh_secret_fn cb, void *arg)
{
	struct rbuf *b = RB(buf);
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	begin_buf(b, OP_SECRETS);
	put_u32(&b->ri->msg, cb != NULL);
	struct rd r = call(b->ri);
	if (check_deferred(b, &r))
		return TLSH_TLS_ERROR; /* a deferred call failed: not run */
	int st = (int)get_u32(&r);
	if (get_u32(&r)) {
		get_error(&r, &b->err);
		b->has_err = 1;
	}
	return st;
}

static struct rimpl *live_impls;

void remote_sync(void)
{
	for (struct rbuf *b = live_bufs; b; b = b->next_live) {
		if (!b->ndefer || b->ri->dead)
			continue;
		struct rd r = query((tlsh_buffer *)b, OP_SYNC);
		(void)r;
	}
	for (struct rimpl *ri = live_impls; ri; ri = ri->next_live) {
		if (!ri->posted || ri->dead)
			continue;
		begin(ri, OP_PING, 0);
		call(ri);
	}
}

/* The HELLO exchange over a connected socket; fills `out` on success. */
static int hello(struct rimpl *ri, const char *spec, struct impl_handle *out, char *err,
                 size_t errcap)
{
	int status = 0;
	begin(ri, OP_HELLO, 0);
	if (send_msg(&ri->c, &ri->msg) != 0 || recv_msg(&ri->c, &ri->msg, &status) != 0) {
		fmt_into(err, errcap, "endpoint host for %s died during start-up", spec);
		return -1;
	}
	struct rd r = {ri->msg.data, ri->msg.len, 0};
	struct arena a = {0};
	if (!get_u32(&r)) {
		char *m = get_str(&r, &a);
		fmt_into(err, errcap, "%s", m ? m : "endpoint host could not load the adapter");
		arena_free(&a);
		return -1;
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
	        /* Secrets come back with the reply of the request that made them. */
	        .set_secret_callback =
	                caps & TLSH_CAP_EXPORT_SECRETS ? r_set_secret_callback : NULL,
	};
	out->fn = ri->d;
	out->self = &ri->d;
	out->spec = xstrdup(spec);
	out->path = xasprintf("remote:%s", spec);
	out->host_pid = ri->pid;
	out->remote_fd = ri->c.fd;
	return 0;
}

static void rimpl_live(struct rimpl *ri)
{
	ri->next_live = live_impls;
	live_impls = ri;
}

static void rimpl_free(struct rimpl *ri)
{
	for (struct rimpl **p = &live_impls; *p; p = &(*p)->next_live) {
		if (*p == ri) {
			*p = ri->next_live;
			break;
		}
	}
	bytes_free(&ri->c.rx);
	bytes_free(&ri->msg);
	free(ri->spec);
	free(ri->name);
	free(ri->version);
	free(ri);
}

int remote_attach(int fd, const char *spec, struct impl_handle *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	struct rimpl *ri = xcalloc(1, sizeof *ri);
	ri->c.fd = fd;
	ri->spec = xstrdup(spec);
	if (hello(ri, spec, out, err, errcap) != 0) {
		close(fd);
		rimpl_free(ri);
		return -1;
	}
	rimpl_live(ri);
	return 0;
}

/* fork() for a process that must not outlive this one: the child gets
 * SIGKILL when we die (also when we died before it could ask). Returns as
 * fork does, with err set on failure. */
static pid_t fork_tied(char *err, size_t errcap)
{
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fmt_into(err, errcap, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(3);
	}
	return pid;
}

int remote_spawn(const char *spec, struct impl_handle *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_into(err, errcap, "socketpair: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork_tied(err, errcap);
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		host_serve(sv[1], spec);
	}
	close(sv[1]);
	struct rimpl *ri = xcalloc(1, sizeof *ri);
	ri->c.fd = sv[0];
	ri->pid = pid;
	ri->spec = xstrdup(spec);
	if (hello(ri, spec, out, err, errcap) != 0) {
		close(ri->c.fd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		rimpl_free(ri);
		return -1;
	}
	rimpl_live(ri);
	return 0;
}

void remote_close(struct impl_handle *h)
{
	if (!h->path || strncmp(h->path, "remote:", 7) != 0)
		return;
	struct rimpl *ri = (struct rimpl *)h->self;
	close(ri->c.fd);
	if (ri->pid > 0)
		waitpid(ri->pid, NULL, 0);
	rimpl_free(ri);
	impl_unload(h);
}

/* ---- warm hosts ----------------------------------------------------------- */

/* A warm host loads one adapter once and forks a child per request: a
 * scenario process (WARM_RUN) or an endpoint host for a proxy elsewhere
 * (WARM_SERVE). It reaps its children and tells the harness their wait
 * status; for an endpoint child it keeps the child's end of the socket and
 * writes a death notice into it, so the proxy names how the host ended. */

struct warm_msg {
	uint32_t kind; /* enum warm_kind, or enum warm_event_kind */
	uint32_t job;
	uint32_t deadline_s; /* requests: the child's own time limit (alarm) */
	int32_t pid, status, level;
	char text[480];
};

/* Libraries whose initialised state a forked child must not share: the
 * host only dlopen()s the adapter (and the modules the library would
 * dlopen at initialisation, so that children find them mapped and
 * relocated), and each child calls the entry point itself. */
static const struct {
	const char *dso;
	const char *why;
	const char *preload[4];
} child_init[] = {
        {"libnss3.so",
         "NSS: softoken refuses use after fork (CKR_DEVICE_ERROR unless "
         "NSS_STRICT_NOFORK=DISABLED) and freebl's DRBG would be shared",
         {"libsoftokn3.so", "libfreeblpriv3.so", "libnssckbi.so", NULL}},
};

struct dso_search {
	const char *name;
	int found;
};

static int dso_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct dso_search *s = arg;
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
	base = base ? base + 1 : info->dlpi_name;
	if (base && strncmp(base, s->name, strlen(s->name)) == 0)
		s->found = 1;
	return s->found;
}

/* Which entry of child_init applies to the loaded adapter, or -1. */
static int needs_child_init(void)
{
	for (size_t i = 0; i < sizeof child_init / sizeof child_init[0]; i++) {
		struct dso_search s = {child_init[i].dso, 0};
		dl_iterate_phdr(dso_cb, &s);
		if (s.found)
			return (int)i;
	}
	return -1;
}

/* Whether this process has threads besides the calling one. */
static int has_other_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return 1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 1;
}

/* fork() copies only the calling thread: a lock another thread holds at that
 * moment (malloc's, the sanitizer allocator's) stays locked in the child.
 * A library that started a thread in the host must have every other thread
 * blocked in a futex wait or a sleep before the host forks (the lesson of
 * fuzz/driver.c's snapshot mode). Waits up to 2 s, then forks anyway. */
static void wait_threads_quiet(void)
{
	for (int tries = 0; tries < 2000; tries++) {
		DIR *d = opendir("/proc/self/task");
		if (!d)
			return;
		long self = (long)syscall(SYS_gettid);
		int quiet = 1, others = 0;
		struct dirent *e;
		while (quiet && (e = readdir(d)) != NULL) {
			long tid = strtol(e->d_name, NULL, 10);
			if (tid <= 0 || tid == self)
				continue;
			others = 1;
			char path[64], buf[32];
			snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t n = read(fd, buf, sizeof buf - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			long nr = strtol(buf, NULL, 10);
			quiet = nr == SYS_futex || nr == SYS_clock_nanosleep || nr == SYS_nanosleep;
		}
		closedir(d);
		if (quiet || !others)
			return;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
}

static int chld_pipe[2] = {-1, -1};

static void on_chld(int sig)
{
	(void)sig;
	int e = errno;
	char c = 0;
	if (write(chld_pipe[1], &c, 1) < 0) {
		/* full: a wake-up is already pending */
	}
	errno = e;
}

struct hjob {
	uint32_t job;
	pid_t pid;
	int keep_fd; /* WARM_SERVE: the child's end of its socket */
};

struct whost {
	int ctl;
	int threads; /* other threads after initialisation: check before forks */
	struct impl_handle ih;
	int ok;
	char err[512];
	struct hjob *jobs;
	size_t njobs, cap;
};

static void warm_send_event(int ctl, uint32_t kind, uint32_t job, pid_t pid, int status, int level,
                            const char *text)
{
	struct warm_msg m;
	memset(&m, 0, sizeof m);
	m.kind = kind;
	m.job = job;
	m.pid = pid;
	m.status = status;
	m.level = level;
	if (text)
		fmt_into(m.text, sizeof m.text, "%s", text);
	while (send(ctl, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void warm_reap(struct whost *w)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < w->njobs; i++) {
			struct hjob *j = &w->jobs[i];
			if (j->pid != pid)
				continue;
			if (j->keep_fd >= 0) {
				uint8_t n[8] = {0xff,
				                0xff,
				                0xff,
				                0xf0,
				                (uint8_t)((uint32_t)status >> 24),
				                (uint8_t)((uint32_t)status >> 16),
				                (uint8_t)((uint32_t)status >> 8),
				                (uint8_t)status};
				(void)!send(j->keep_fd, n, sizeof n, MSG_NOSIGNAL | MSG_DONTWAIT);
				close(j->keep_fd);
			}
			warm_send_event(w->ctl, WARM_EXITED, j->job, pid, status, 0, NULL);
			w->jobs[i] = w->jobs[--w->njobs];
			break;
		}
	}
}

/* In a freshly forked child of the warm host: drop the host's descriptors,
 * die with the host, and never outlive the time limit. */
static void warm_child_setup(struct whost *w, unsigned deadline_s, int errfd)
{
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	close(w->ctl);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	for (size_t i = 0; i < w->njobs; i++)
		if (w->jobs[i].keep_fd >= 0)
			close(w->jobs[i].keep_fd);
	setpgid(0, 0);
	if (deadline_s)
		alarm(deadline_s);
	dup2(errfd, 2);
	close(errfd);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 1);
		close(devnull);
	}
	if (w->ok && !w->ih.self && impl_init(&w->ih, w->err, sizeof w->err) != 0)
		w->ok = 0;
}

static void warm_request(struct whost *w, const struct warm_msg *m, int *fds, int nfds,
                         warm_run_fn run)
{
	int need = 2;
	if (nfds < need || (m->kind != WARM_RUN && m->kind != WARM_SERVE)) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		warm_send_event(w->ctl, WARM_EXITED, m->job, 0, 127 << 8, 0, "malformed request");
		return;
	}
	/* After initialisation the host runs no library code, so a host that
	 * was single-threaded then stays so. */
	if (w->threads)
		wait_threads_quiet();
	char err[128];
	pid_t pid = fork_tied(err, sizeof err);
	if (pid == 0) {
		warm_child_setup(w, m->deadline_s, fds[0]);
		if (m->kind == WARM_SERVE)
			remote_serve(fds[1], w->ok ? &w->ih : NULL, w->err);
		run(m->job, fds + 1, nfds - 1, w->ok ? &w->ih : NULL, w->err);
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
	int keep = m->kind == WARM_SERVE && pid > 0 ? fds[1] : -1;
	for (int i = 0; i < nfds; i++)
		if (fds[i] != keep)
			close(fds[i]);
	if (pid < 0) {
		warm_send_event(w->ctl, WARM_EXITED, m->job, 0, 127 << 8, 0, err);
		return;
	}
	if (w->njobs == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->jobs = xrealloc(w->jobs, w->cap * sizeof *w->jobs);
	}
	w->jobs[w->njobs++] = (struct hjob){.job = m->job, .pid = pid, .keep_fd = keep};
	warm_send_event(w->ctl, WARM_STARTED, m->job, pid, 0, 0, NULL);
}

/* Receives one message and up to 8 descriptors. Returns its size, 0 at
 * end of file, -1 on error. */
static ssize_t recv_with_fds(int fd, void *buf, size_t len, int *fds, int *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(8 * sizeof(int))];
	} u;
	struct iovec iov = {buf, len};
	struct msghdr mh = {
	        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	ssize_t n;
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds + *nfds, CMSG_DATA(c), (size_t)k * sizeof(int));
		*nfds += k;
	}
	return n;
}

/* Runs prep's handshake in a child first (see warm_prepare_fn): safe when
 * that child ended with status 0 within 3 s (a handshake in memory takes
 * milliseconds; an adapter that hangs costs its host 3 s once), with no
 * other thread left. The child dies with the host. */
static int deep_prep_is_safe(const struct impl_handle *ih, warm_prepare_fn prep)
{
	if (has_other_threads())
		return 0;
	char err[128];
	pid_t pid = fork_tied(err, sizeof err);
	if (pid < 0)
		return 0;
	if (pid == 0) {
		alarm(3);
		prep(ih, 1);
		_exit(has_other_threads() ? 1 : 0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void warm_main(int ctl, const char *spec, int level, warm_run_fn run, warm_prepare_fn prep)
{
	static struct whost w;
	w.ctl = ctl;
	w.ok = impl_open(spec, &w.ih, w.err, sizeof w.err) == 0;
	int got = 0, late = w.ok ? needs_child_init() : -1;
	const char *why = late >= 0 ? child_init[late].why : NULL;
	if (late >= 0) {
		for (const char *const *p = child_init[late].preload; *p; p++)
			dlopen(*p, RTLD_NOW | RTLD_LOCAL);
	} else if (w.ok && level >= 1) {
		w.ok = impl_init(&w.ih, w.err, sizeof w.err) == 0;
		got = 1;
		if (w.ok && level >= 2 && prep) {
			prep(&w.ih, 0);
			if (deep_prep_is_safe(&w.ih, prep))
				prep(&w.ih, 1);
			got = 2;
		}
	}
	/* Free heap pages go back to the kernel: a child that allocates there
	 * then faults in a fresh page instead of copying one of ours. */
	malloc_trim(0);
	w.threads = has_other_threads();
	if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		_exit(4);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	warm_send_event(ctl, WARM_READY, 0, getpid(), w.ok, got, w.ok ? why : w.err);
	for (;;) {
		struct pollfd p[2] = {{.fd = ctl, .events = POLLIN},
		                      {.fd = chld_pipe[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			char drain[64];
			while (read(chld_pipe[0], drain, sizeof drain) > 0)
				;
			warm_reap(&w);
		}
		if (p[0].revents) {
			struct warm_msg m;
			int fds[8], nfds;
			ssize_t n = recv_with_fds(ctl, &m, sizeof m, fds, &nfds);
			if (n <= 0)
				break;
			if ((size_t)n != sizeof m) {
				for (int i = 0; i < nfds; i++)
					close(fds[i]);
				continue;
			}
			warm_request(&w, &m, fds, nfds, run);
		}
	}
	/* The harness closed the connection: nothing of ours may stay. */
	for (size_t i = 0; i < w.njobs; i++)
		kill(-w.jobs[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	_exit(0);
}

pid_t warm_spawn(const char *spec, int level, warm_run_fn run, warm_prepare_fn prep, int *ctl,
                 int *errfd, char *err, size_t errcap)
{
	int sv[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_into(err, errcap, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		fmt_into(err, errcap, "pipe: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pid_t pid = fork_tied(err, errcap);
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_IGN); /* the harness decides; Ctrl-C reaches the group */
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		dup2(ep[1], 2);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		/* Nothing of the harness's (other hosts' sockets, scenario pipes)
		 * may stay open here: it would hide an end of file. */
		if (dup2(sv[1], 3) != 3)
			_exit(4);
		close_range(4, ~0u, 0);
		warm_main(3, spec, level, run, prep);
	}
	close(sv[1]);
	close(ep[1]);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	*ctl = sv[0];
	*errfd = ep[0];
	return pid;
}

int warm_send(int ctl, enum warm_kind kind, uint32_t job, unsigned deadline_s, const int *fds,
              int nfds)
{
	struct warm_msg m;
	memset(&m, 0, sizeof m);
	m.kind = kind;
	m.job = job;
	m.deadline_s = deadline_s;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(8 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {&m, sizeof m};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = u.b,
	                    .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	ssize_t n;
	while ((n = sendmsg(ctl, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof m ? 0 : -1;
}

int warm_recv(int ctl, struct warm_event *ev)
{
	struct warm_msg m;
	int fds[8], nfds;
	ssize_t n = recv_with_fds(ctl, &m, sizeof m, fds, &nfds);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof m)
		return -1;
	ev->kind = (enum warm_event_kind)m.kind;
	ev->job = m.job;
	ev->pid = m.pid;
	ev->status = m.status;
	ev->level = m.level;
	m.text[sizeof m.text - 1] = '\0';
	fmt_into(ev->text, sizeof ev->text, "%s", m.text);
	return 1;
}
