#include "rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recprot.h"
#include "tlsmsg.h"

struct encstate;

struct rewriter {
	const struct rw_mutation *m;
	int dir;
	struct tls_conv conv; /* the sender's original stream, and the peer's */
	size_t next_rec;      /* first record of the sender not yet handled */
	size_t g_first;       /* first record of the held group; SIZE_MAX: none */
	int done;             /* encrypted from here on: bytes pass through */
	int applied;
	int unchanged;     /* applications that changed no byte (not framing) */
	struct bytes coal; /* RW_COALESCE: handshake bytes of the flight */
	uint16_t coal_ver;
	size_t coal_off;
	struct rw_log log[RW_LOG_MAX];
	size_t n_log;
	/* Encrypted phase (enc mutations): keys, views, the decrypted log. */
	struct encstate *es;
	size_t emitted;   /* bytes emitted before the current rw_push/rw_flush */
	size_t out_start; /* out->len when it began */
	size_t pushed;    /* bytes of the sender's stream pushed so far */
};

static void enc_begin(struct rewriter *rw);
static void enc_push(struct rewriter *rw, const uint8_t *p, size_t n, size_t at, struct bytes *out);
static void enc_flush(struct rewriter *rw, struct bytes *out);
static void enc_free(struct rewriter *rw);

struct rewriter *rw_new(const struct rw_mutation *m, int dir)
{
	struct rewriter *rw = xcalloc(1, sizeof *rw);
	rw->m = m;
	rw->dir = dir & 1;
	rw->g_first = SIZE_MAX;
	tls_conv_init(&rw->conv);
	return rw;
}

void rw_free(struct rewriter *rw)
{
	if (!rw)
		return;
	tls_conv_free(&rw->conv);
	bytes_free(&rw->coal);
	enc_free(rw);
	free(rw);
}

int rw_applied(const struct rewriter *rw)
{
	return rw->applied;
}

int rw_no_effect(const struct rewriter *rw)
{
	return rw->applied > 0 && rw->unchanged == rw->applied;
}

size_t rw_log_count(const struct rewriter *rw)
{
	return rw->n_log;
}

const struct rw_log *rw_log_get(const struct rewriter *rw, size_t k)
{
	return k < rw->n_log ? &rw->log[k] : NULL;
}

int rw_plaintext(const struct rewriter *rw)
{
	return !rw->done;
}

static void rw_note(struct rewriter *rw, uint8_t msg, size_t off, const uint8_t *before, size_t nb,
                    const uint8_t *after, size_t na, const char *what)
{
	if (rw->n_log == RW_LOG_MAX)
		return;
	struct rw_log *l = &rw->log[rw->n_log++];
	fmt_into(l->what, sizeof l->what, "%s: %s", rw->m->name ? rw->m->name : "?", what);
	l->msg = msg;
	l->offset = off;
	tls_hex(l->before, sizeof l->before, before, nb, 32);
	tls_hex(l->after, sizeof l->after, after, na, 32);
}

/* ---- Framing ------------------------------------------------------------ */

struct emitter {
	struct bytes *out;
	uint16_t ver;
	size_t max; /* record size */
	int zero;   /* a zero-length record before each */
	int patch;  /* RW_LEN_RECORD: the next record's length is wrong */
	enum rw_len_mode mode;
	struct bytes pend;
	size_t records;
};

static void em_cut(struct emitter *e)
{
	size_t off = 0;
	while (off < e->pend.len) {
		size_t n = e->pend.len - off;
		if (n > e->max)
			n = e->max;
		if (e->zero) {
			tls_put_record(e->out, TLS_CT_HANDSHAKE, e->ver, NULL, 0);
			e->records++;
		}
		size_t at = e->out->len;
		tls_put_record(e->out, TLS_CT_HANDSHAKE, e->ver, e->pend.data + off, n);
		e->records++;
		if (e->patch) {
			unsigned v = (unsigned)n;
			v = e->mode == RW_LEN_PLUS1    ? v + 1
			    : e->mode == RW_LEN_MINUS1 ? v - 1
			    : e->mode == RW_LEN_ZERO   ? 0
			                               : 0xffff;
			e->out->data[at + 3] = (uint8_t)(v >> 8);
			e->out->data[at + 4] = (uint8_t)v;
			e->patch = 0;
		}
		off += n;
	}
	bytes_reset(&e->pend);
}

static void em_hs(struct emitter *e, const uint8_t *p, size_t n)
{
	bytes_append(&e->pend, p, n);
}

static void em_record(struct emitter *e, uint8_t type, uint16_t ver, const uint8_t *p, size_t n)
{
	em_cut(e);
	tls_put_record(e->out, type, ver ? ver : e->ver, p, n);
	e->records++;
}

/* ---- Message mutations -------------------------------------------------- */

static int is_hello(uint8_t type)
{
	return type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO;
}

static void put_be(uint8_t *p, size_t width, uint32_t v)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint32_t get_be(const uint8_t *p, size_t width)
{
	uint32_t v = 0;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t len_value(uint32_t v, size_t width, enum rw_len_mode mode)
{
	uint32_t max = width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
	switch (mode) {
	case RW_LEN_PLUS1:
		return (v + 1) & max;
	case RW_LEN_MINUS1:
		return (v - 1) & max;
	case RW_LEN_ZERO:
		return 0;
	default:
		return max;
	}
}

/* Width of the first length field inside an extension body. */
static size_t inner_width(uint16_t type, int server)
{
	switch (type) {
	case TLS_EXT_EC_POINT_FORMATS:
	case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
	case TLS_EXT_RENEGOTIATION_INFO:
		return 1;
	case TLS_EXT_SUPPORTED_VERSIONS:
		return server ? 0 : 1;
	default:
		return 2;
	}
}

static const struct tls_ext *find_ext(const struct tls_hello *h, int32_t type, size_t *idx)
{
	for (size_t i = 0; i < h->n_ext; i++)
		if (type < 0 || h->ext[i].type == (uint16_t)type) {
			if (idx)
				*idx = i;
			return &h->ext[i];
		}
	return NULL;
}

static void ext_insert(struct tls_hello *h, size_t pos, struct tls_ext e)
{
	if (h->n_ext == TLS_MAX_EXT)
		return;
	if (pos > h->n_ext)
		pos = h->n_ext;
	memmove(&h->ext[pos + 1], &h->ext[pos], (h->n_ext - pos) * sizeof h->ext[0]);
	h->ext[pos] = e;
	h->n_ext++;
	h->has_exts = 1;
}

static void ext_remove(struct tls_hello *h, size_t pos)
{
	memmove(&h->ext[pos], &h->ext[pos + 1], (h->n_ext - pos - 1) * sizeof h->ext[0]);
	h->n_ext--;
}

/* Where a padding extension goes: before a final pre_shared_key. */
static size_t pad_pos(const struct tls_hello *h)
{
	if (h->n_ext && h->ext[h->n_ext - 1].type == TLS_EXT_PRE_SHARED_KEY)
		return h->n_ext - 1;
	return h->n_ext;
}

/* Offset of the extensions block (its 2-byte length) in the body of a
 * message that is not a hello: EncryptedExtensions (RFC 8446 4.3.1),
 * NewSessionTicket (4.6.1), a TLS 1.3 CertificateRequest (4.3.2); -1 when
 * the type has none or the body is too short. */
static long ext_block_at(uint8_t type, const uint8_t *body, size_t len)
{
	struct tcur c = tcur_of(body, len);
	switch (type) {
	case TLS_HS_ENCRYPTED_EXTENSIONS:
		return len >= 2 ? 0 : -1;
	case TLS_HS_NEW_SESSION_TICKET:
		tcur_take(&c, 4); /* ticket_lifetime */
		tcur_take(&c, 4); /* ticket_age_add */
		tcur_vec(&c, 1);  /* ticket_nonce */
		tcur_vec(&c, 2);  /* ticket */
		break;
	case TLS_HS_CERTIFICATE_REQUEST:
		tcur_vec(&c, 1); /* certificate_request_context */
		break;
	default:
		return -1;
	}
	if (c.bad || c.n < 2)
		return -1;
	return (long)(len - c.n);
}

/* RW_EXT_ADD / RW_EXT_BODY / RW_EXT_DUP on the extensions block at `at` of
 * a body that is not a hello: the body before it, the block re-encoded with
 * its length, whatever followed it. Returns 0, or -1 if the block does not
 * parse. */
static int mutate_ext_block(const struct rw_mutation *m, const uint8_t *body, size_t len, size_t at,
                            struct bytes *nb)
{
	struct tls_ext *ext = xcalloc(TLS_MAX_EXT, sizeof *ext);
	size_t n = 0;
	struct tcur c = tcur_of(body + at, len - at);
	struct tcur blk = tcur_vec(&c, 2);
	while (!blk.bad && blk.n > 0 && n < TLS_MAX_EXT) {
		ext[n].type = (uint16_t)tcur_take(&blk, 2);
		struct tcur e = tcur_vec(&blk, 2);
		ext[n].body = e.p;
		ext[n].len = e.n;
		n++;
	}
	if (blk.bad || c.bad) {
		free(ext);
		return -1;
	}
	size_t first = n;
	for (size_t i = 0; i < n; i++)
		if (m->ext < 0 || ext[i].type == (uint16_t)m->ext) {
			first = i;
			break;
		}
	struct tls_ext add = {(uint16_t)m->ext, 0, m->data, m->len};
	size_t pos = n;
	if (m->op == RW_EXT_ADD) {
		pos = m->at < 0 || (size_t)m->at > n ? n : (size_t)m->at;
	} else if (m->op == RW_EXT_BODY && first < n) {
		ext[first].body = m->data;
		ext[first].len = m->len;
		pos = SIZE_MAX;
	} else if (m->op == RW_EXT_DUP) {
		if (first == n) {
			free(ext);
			return -1;
		}
		add = ext[first];
		pos = first + 1;
	}
	if (pos != SIZE_MAX && n < TLS_MAX_EXT) {
		memmove(&ext[pos + 1], &ext[pos], (n - pos) * sizeof ext[0]);
		ext[pos] = add;
		n++;
	}
	struct bytes blkb = {0};
	for (size_t i = 0; i < n; i++)
		tls_put_ext(&blkb, ext[i].type, ext[i].body, ext[i].len);
	bytes_append(nb, body, at);
	tls_put_u16(nb, (unsigned)blkb.len);
	bytes_append(nb, blkb.data, blkb.len);
	bytes_append(nb, c.p, c.n);
	bytes_free(&blkb);
	free(ext);
	return 0;
}

/* Applies one message-level mutation to `body` (len bytes, type). Writes
 * the new body to nb and the header length to *hl. Returns 1 if applied,
 * 0 if the target field is absent, with *why set. */
static int mutate_body(const struct rw_mutation *m, uint8_t type, const uint8_t *body, size_t len,
                       struct bytes *nb, uint32_t *hl, const char **why)
{
	struct tls_hello *h = NULL;
	uint8_t *scratch = NULL;
	int ok = 1;
	*hl = (uint32_t)len;
	if ((m->op == RW_EXT_ADD || m->op == RW_EXT_BODY || m->op == RW_EXT_DUP) &&
	    !is_hello(type)) {
		long at = ext_block_at(type, body, len);
		if (at < 0) {
			*why = "no extension block";
			return 0;
		}
		if (mutate_ext_block(m, body, len, (size_t)at, nb) != 0) {
			*why = "malformed extension block";
			return 0;
		}
		*hl = (uint32_t)nb->len;
		return 1;
	}
	if (m->op == RW_XOR) {
		long i = m->at < 0 ? (long)len + m->at : m->at;
		if (i < 0 || (size_t)i >= len) {
			*why = "offset beyond the message";
			return 0;
		}
		bytes_append(nb, body, len);
		nb->data[i] ^= (uint8_t)(m->value ? m->value : 1);
		return 1;
	}
	if (m->op == RW_SET_BYTES) {
		long i = m->at < 0 ? (long)len + m->at : m->at;
		if (i < 0 || (size_t)i > len || m->len > len - (size_t)i) {
			*why = "bytes beyond the message";
			return 0;
		}
		bytes_append(nb, body, len);
		memcpy(nb->data + i, m->data, m->len);
		return 1;
	}
	if (m->op >= RW_EXT_ADD && m->op <= RW_KS_GROUP) {
		h = xmalloc(sizeof *h);
		tls_hello_parse(h, type, body, len);
		if (!is_hello(type) || !h->fixed_ok || h->err[0]) {
			*why = "not a well-formed hello";
			ok = 0;
			goto out;
		}
	}
	const struct tls_hello *ro = h;
	switch (m->op) {
	case RW_TRUNCATE:
	case RW_PAD: {
		struct tls_hello hh;
		tls_hello_parse(&hh, type, body, len);
		size_t at = m->at < 0 ? (m->op == RW_PAD ? len : len / 2) : (size_t)m->at;
		if (at > len) {
			*why = "boundary beyond the message";
			ok = 0;
			break;
		}
		size_t n = m->data ? m->len : m->size;
		if (m->op == RW_TRUNCATE) {
			bytes_append(nb, body, at);
		} else {
			bytes_append(nb, body, at);
			if (m->data)
				bytes_append(nb, m->data, n);
			else
				for (size_t i = 0; i < n; i++)
					tls_put_u8(nb, 0);
			bytes_append(nb, body + at, len - at);
		}
		if (m->fix) {
			*hl = (uint32_t)nb->len;
			int in_exts = is_hello(type) && hh.fixed_ok && hh.has_exts &&
			              at >= hh.off_exts + 2 && at <= hh.end &&
			              (m->op == RW_PAD || at > hh.off_exts + 2);
			if (in_exts) {
				uint32_t old = get_be(body + hh.off_exts, 2);
				uint32_t v = m->op == RW_PAD ? old + (uint32_t)n
				                             : (uint32_t)(at - hh.off_exts - 2);
				put_be(nb->data + hh.off_exts, 2, v);
			}
		}
		break;
	}
	case RW_LENGTH: {
		bytes_append(nb, body, len);
		if (m->field == RW_LEN_RECORD)
			break; /* at framing */
		if (m->field == RW_LEN_HS) {
			*hl = len_value((uint32_t)len, 3, m->mode);
			break;
		}
		struct tls_hello hh;
		tls_hello_parse(&hh, type, body, len);
		size_t off = 0, width = 0;
		if (!is_hello(type) || !hh.fixed_ok) {
			*why = "not a hello";
			ok = 0;
			break;
		}
		const struct tls_ext *e = find_ext(&hh, m->ext, NULL);
		switch (m->field) {
		case RW_LEN_EXTS:
			off = hh.off_exts, width = hh.has_exts ? 2 : 0;
			break;
		case RW_LEN_EXT:
			if (e)
				off = e->off + 2, width = 2;
			break;
		case RW_LEN_INNER:
			if (e) {
				int server = type == TLS_HS_SERVER_HELLO;
				off = e->off + 4, width = inner_width(e->type, server);
				if (server && e->type == TLS_EXT_KEY_SHARE)
					off += 2, width = hh.hrr ? 0 : 2;
				if (e->len < width)
					width = 0;
			}
			break;
		case RW_LEN_SID:
			off = hh.off_sid, width = 1;
			break;
		case RW_LEN_CIPHERS:
			off = hh.off_ciphers, width = type == TLS_HS_CLIENT_HELLO ? 2 : 0;
			break;
		case RW_LEN_COMP:
			off = hh.off_comp, width = type == TLS_HS_CLIENT_HELLO ? 1 : 0;
			break;
		default:
			break;
		}
		if (!width) {
			*why = "no such length field";
			ok = 0;
			break;
		}
		put_be(nb->data + off, width, len_value(get_be(body + off, width), width, m->mode));
		break;
	}
	case RW_EXT_ADD: {
		struct tls_ext e = {(uint16_t)m->ext, 0, m->data, m->len};
		ext_insert(h, m->at < 0 ? h->n_ext : (size_t)m->at, e);
		break;
	}
	case RW_EXT_DROP: {
		size_t i;
		if (!find_ext(ro, m->ext, &i)) {
			*why = "extension absent";
			ok = 0;
			break;
		}
		for (size_t k = h->n_ext; k-- > 0;)
			if (m->ext < 0 ? k == i : h->ext[k].type == (uint16_t)m->ext)
				ext_remove(h, k);
		break;
	}
	case RW_EXT_DUP:
	case RW_EXT_MOVE: {
		size_t i;
		const struct tls_ext *e = find_ext(ro, m->ext, &i);
		if (!e) {
			*why = "extension absent";
			ok = 0;
			break;
		}
		struct tls_ext copy = *e;
		if (m->op == RW_EXT_DUP) {
			ext_insert(h, i + 1, copy);
		} else {
			ext_remove(h, i);
			ext_insert(h, m->at < 0 ? h->n_ext : (size_t)m->at, copy);
		}
		break;
	}
	case RW_EXT_BODY: {
		size_t i;
		if (find_ext(ro, m->ext, &i)) {
			h->ext[i].body = m->data;
			h->ext[i].len = m->len;
		} else {
			struct tls_ext e = {(uint16_t)m->ext, 0, m->data, m->len};
			ext_insert(h, h->n_ext, e);
		}
		break;
	}
	case RW_SET_VERSION:
		h->legacy_version = (uint16_t)m->value;
		break;
	case RW_SET_RANDOM: {
		scratch = xmalloc(32);
		memcpy(scratch, h->random, 32);
		size_t at = m->at < 0 ? 0 : (size_t)m->at;
		for (size_t i = 0; i < m->len && at + i < 32; i++)
			scratch[at + i] = m->data[i];
		h->random = scratch;
		break;
	}
	case RW_SET_SID:
		h->sid = m->data;
		h->sid_len = m->len;
		break;
	case RW_SET_CIPHER:
	case RW_SET_COMP:
		if (type == TLS_HS_CLIENT_HELLO) {
			if (m->op == RW_SET_CIPHER)
				h->ciphers = m->data, h->ciphers_len = m->len;
			else
				h->comp = m->data, h->comp_len = m->len;
		} else {
			scratch = xmalloc(2);
			put_be(scratch, m->op == RW_SET_CIPHER ? 2 : 1, m->value);
			if (m->op == RW_SET_CIPHER)
				h->ciphers = scratch;
			else
				h->comp = scratch;
		}
		break;
	case RW_KS_GROUP: {
		size_t i;
		const struct tls_ext *e = find_ext(ro, TLS_EXT_KEY_SHARE, &i);
		if (!e || e->len < 2) {
			*why = "no key_share";
			ok = 0;
			break;
		}
		scratch = xmalloc(e->len);
		memcpy(scratch, e->body, e->len);
		size_t off = 0;
		if (type == TLS_HS_CLIENT_HELLO) {
			off = 2;
			for (long s = 0; s < (m->at < 0 ? 0 : m->at) && off + 4 <= e->len; s++)
				off += 4 + get_be(scratch + off + 2, 2);
		}
		if (off + 2 > e->len) {
			*why = "no such key share";
			ok = 0;
			break;
		}
		put_be(scratch + off, 2, m->value);
		h->ext[i].body = scratch;
		break;
	}
	case RW_BIG_HELLO:
	case RW_OVERSIZE: {
		size_t target = m->op == RW_OVERSIZE ? (m->size > 4 ? m->size - 4 : 0) : m->size;
		struct tls_hello *g = xmalloc(sizeof *g);
		tls_hello_parse(g, type, body, len);
		if (is_hello(type) && g->fixed_ok && !g->err[0]) {
			size_t grown = len + 4 + (g->has_exts ? 0 : 2);
			size_t pad = target > grown ? target - grown : 0;
			scratch = xcalloc(1, pad + 1);
			struct tls_ext e = {TLS_EXT_PADDING, 0, scratch, pad};
			ext_insert(g, pad_pos(g), e);
			tls_hello_encode(g, nb);
		} else {
			bytes_append(nb, body, len);
			while (nb->len < target)
				tls_put_u8(nb, 0);
		}
		*hl = (uint32_t)nb->len;
		free(g);
		break;
	}
	default:
		/* Framing-only and injection ops leave the body alone. */
		bytes_append(nb, body, len);
		break;
	}
	if (ok && h) {
		tls_hello_encode(h, nb);
		*hl = (uint32_t)nb->len;
	}
out:
	free(h);
	free(scratch);
	return ok;
}

/* ---- Groups --------------------------------------------------------------- */

static int matches(const struct rewriter *rw, const struct tls_dir *d, size_t k)
{
	const struct rw_mutation *m = rw->m;
	int n = 0;
	for (size_t j = 0; j <= k; j++) {
		const struct tls_msg *x = &d->msg[j];
		int hit = m->msg == RW_ANY ||
		          (x->type == m->msg &&
		           (x->type != TLS_HS_SERVER_HELLO || m->hrr < 0 || x->hrr == m->hrr));
		if (!hit)
			continue;
		if (j == k)
			return m->nth < 0 || n == m->nth;
		n++;
	}
	return 0;
}

static void emit_raw_records(struct rewriter *rw, size_t first, size_t last, struct bytes *out)
{
	const struct tls_dir *d = &rw->conv.d[rw->dir];
	for (size_t i = first; i <= last; i++)
		bytes_append(out, d->raw.data + d->rec[i].off, 5u + d->rec[i].len);
}

static int is_framing(enum rw_op op)
{
	return op == RW_FRAGMENT || op == RW_ZERO_RECORDS || op == RW_SPLIT || op == RW_COALESCE ||
	       op == RW_RECORD_VERSION || op == RW_INJECT_BEFORE || op == RW_INJECT_AFTER ||
	       op == RW_INJECT_MID || op == RW_APPEND_HS;
}

/* 1 if some link of the chain acts where records are cut (its effect is not
 * in the message's bytes). */
static int acts_at_framing(const struct rw_mutation *m)
{
	for (; m; m = m->then)
		if (is_framing(m->op) || (m->op == RW_LENGTH && m->field == RW_LEN_RECORD))
			return 1;
	return 0;
}

/* The message k (header and body), mutated by the op chain, into out. */
static void emit_message(struct rewriter *rw, struct emitter *e, size_t k)
{
	const struct tls_dir *d = &rw->conv.d[rw->dir];
	const struct tls_msg *msg = &d->msg[k];
	const uint8_t *orig = d->hs.data + msg->hs_off;
	size_t orig_len = 4 + msg->len;
	size_t stream_off = tls_dir_stream_off(d, msg->hs_off);
	struct bytes cur = {0}, next = {0};
	bytes_append(&cur, orig, orig_len);
	int applied = 0;
	const char *why = NULL;
	for (const struct rw_mutation *m = rw->m; m; m = m->then) {
		uint32_t hl;
		bytes_reset(&next);
		if (!mutate_body(m, msg->type, cur.data + 4, cur.len - 4, &next, &hl, &why))
			continue;
		applied = 1;
		struct bytes full = {0};
		tls_put_u8(&full, msg->type);
		tls_put_u24(&full, hl);
		bytes_append(&full, next.data, next.len);
		bytes_free(&cur);
		cur = full;
	}
	bytes_free(&next);
	if (!applied) {
		rw_note(rw, msg->type, stream_off, NULL, 0, NULL, 0, why ? why : "not applied");
		em_hs(e, orig, orig_len);
		bytes_free(&cur);
		return;
	}
	rw->applied++;
	/* Log the first difference. */
	size_t i = 0;
	while (i < orig_len && i < cur.len && orig[i] == cur.data[i])
		i++;
	char what[80];
	const struct rw_mutation *m = rw->m;
	fmt_into(what, sizeof what, "%s #%d", tls_hs_name(msg->type), m->nth < 0 ? 0 : m->nth);
	size_t at = i < orig_len ? tls_dir_stream_off(d, msg->hs_off + i) : stream_off;
	if (i < orig_len || i < cur.len)
		rw_note(rw, msg->type, at, orig + i, orig_len - i, cur.data + i, cur.len - i, what);
	else if (!acts_at_framing(m)) {
		rw->unchanged++;
		rw_note(rw, msg->type, stream_off, NULL, 0, NULL, 0, "applied, no byte changed");
	}
	/* Framing of the (mutated) message. */
	size_t saved_max = e->max;
	uint16_t saved_ver = e->ver;
	const uint8_t *p = cur.data;
	size_t n = cur.len;
	size_t half = m->at < 0 || (size_t)m->at > n ? n / 2 : (size_t)m->at;
	switch (m->op) {
	case RW_FRAGMENT:
	case RW_ZERO_RECORDS:
	case RW_OVERSIZE:
	case RW_RECORD_VERSION:
		em_cut(e);
		if (m->op == RW_FRAGMENT)
			e->max = m->size ? m->size : 1;
		else if (m->op == RW_ZERO_RECORDS)
			e->zero = 1;
		else if (m->op == RW_OVERSIZE)
			e->max = n > 0xffff ? 0xffff : (n ? n : 1);
		else
			e->ver = (uint16_t)m->value;
		em_hs(e, p, n);
		em_cut(e);
		e->max = saved_max;
		e->ver = saved_ver;
		e->zero = 0;
		rw_note(rw, msg->type, stream_off, NULL, 0, NULL, 0, "re-framed");
		break;
	case RW_SPLIT:
		rw_note(rw, msg->type, stream_off, NULL, 0, NULL, 0, "split over two records");
		em_cut(e);
		em_hs(e, p, half);
		em_cut(e);
		em_hs(e, p + half, n - half);
		em_cut(e);
		break;
	case RW_LENGTH:
		if (m->field == RW_LEN_RECORD) {
			em_cut(e);
			e->patch = 1;
			e->mode = m->mode;
			em_hs(e, p, n);
			em_cut(e);
			rw_note(rw, msg->type, stream_off, NULL, 0, NULL, 0, "record length");
		} else {
			em_hs(e, p, n);
		}
		break;
	case RW_INJECT_BEFORE:
	case RW_INJECT_AFTER:
	case RW_INJECT_MID: {
		const uint8_t *ip = m->copy ? p : m->data;
		size_t in = m->copy ? n : m->len;
		uint8_t ct = m->copy ? TLS_CT_HANDSHAKE : m->ctype;
		struct bytes rec = {0};
		tls_put_record(&rec, ct, m->rversion ? m->rversion : e->ver, ip, in);
		rw_note(rw, msg->type, stream_off, NULL, 0, rec.data, rec.len,
		        m->op == RW_INJECT_BEFORE  ? "record injected before"
		        : m->op == RW_INJECT_AFTER ? "record injected after"
		                                   : "record injected inside");
		bytes_free(&rec);
		if (m->op == RW_INJECT_BEFORE) {
			em_record(e, ct, m->rversion, ip, in);
			em_hs(e, p, n);
		} else if (m->op == RW_INJECT_AFTER) {
			em_hs(e, p, n);
			em_record(e, ct, m->rversion, ip, in);
		} else {
			em_hs(e, p, half);
			em_record(e, ct, m->rversion, ip, in);
			em_hs(e, p + half, n - half);
		}
		break;
	}
	case RW_APPEND_HS:
		em_hs(e, p, n);
		em_hs(e, m->data, m->len);
		rw_note(rw, msg->type, stream_off, NULL, 0, m->data, m->len,
		        "handshake bytes appended in the same record");
		break;
	default:
		em_hs(e, p, n);
		break;
	}
	bytes_free(&cur);
}

/* Records first..last of the sender carry whole messages (the first may
 * begin with the tail of one released earlier): emit them. */
static void process_group(struct rewriter *rw, size_t first, size_t last, struct bytes *out)
{
	const struct tls_dir *d = &rw->conv.d[rw->dir];
	size_t s = d->rec[first].hs_off, end = d->rec[last].hs_off + d->rec[last].len;
	int any = 0;
	for (size_t k = 0; k < d->n_msg; k++)
		if (d->msg[k].hs_off >= s && d->msg[k].hs_off < end && matches(rw, d, k))
			any = 1;
	if (rw->m->op == RW_COALESCE) {
		if (!rw->coal.len) {
			rw->coal_ver = d->rec[first].version;
			rw->coal_off = d->rec[first].off;
		}
		if (end > s) /* records without handshake bytes: hs.data may be NULL */
			bytes_append(&rw->coal, d->hs.data + s, end - s);
		return;
	}
	if (!any) {
		emit_raw_records(rw, first, last, out);
		return;
	}
	struct emitter e = {.out = out, .ver = d->rec[first].version, .max = TLS_MAX_PLAINTEXT};
	size_t pos = s;
	for (size_t k = 0; k < d->n_msg; k++) {
		const struct tls_msg *msg = &d->msg[k];
		if (msg->hs_off < s || msg->hs_off >= end)
			continue;
		if (msg->hs_off > pos)
			em_hs(&e, d->hs.data + pos, msg->hs_off - pos);
		if (matches(rw, d, k))
			emit_message(rw, &e, k);
		else
			em_hs(&e, d->hs.data + msg->hs_off, 4 + msg->len);
		pos = msg->hs_off + 4 + msg->len;
	}
	if (end > pos)
		em_hs(&e, d->hs.data + pos, end - pos);
	em_cut(&e);
	bytes_free(&e.pend);
}

static void release_coalesced(struct rewriter *rw, struct bytes *out)
{
	if (!rw->coal.len)
		return;
	struct emitter e = {.out = out, .ver = rw->coal_ver, .max = TLS_MAX_PLAINTEXT};
	em_hs(&e, rw->coal.data, rw->coal.len);
	em_cut(&e);
	bytes_free(&e.pend);
	rw->applied++;
	char what[64];
	fmt_into(what, sizeof what, "%zu handshake bytes coalesced into %zu record(s)",
	         rw->coal.len, e.records);
	rw_note(rw, RW_ANY, rw->coal_off, NULL, 0, NULL, 0, what);
	bytes_reset(&rw->coal);
}

static void release_group(struct rewriter *rw, struct bytes *out)
{
	if (rw->g_first == SIZE_MAX)
		return;
	release_coalesced(rw, out);
	emit_raw_records(rw, rw->g_first, rw->next_rec - 1, out);
	rw->g_first = SIZE_MAX;
}

/* 1 if hs offset E (the end of a record) is between two messages. */
static int at_boundary(const struct tls_dir *d, size_t end)
{
	if (d->hs_split < end)
		return 0;
	if (end == 0)
		return 1;
	for (size_t k = d->n_msg; k-- > 0;) {
		size_t me = d->msg[k].hs_off + 4 + d->msg[k].len;
		if (me == end)
			return 1;
		if (me < end)
			return 0;
	}
	return 0;
}

static void process(struct rewriter *rw, struct bytes *out)
{
	struct tls_dir *d = &rw->conv.d[rw->dir];
	int went_encrypted = 0;
	while (rw->next_rec < d->n_rec) {
		const struct tls_rec *r = &d->rec[rw->next_rec];
		if (r->encrypted || r->type != TLS_CT_HANDSHAKE) {
			release_group(rw, out);
			release_coalesced(rw, out);
			if (r->encrypted && rw->m->enc) {
				enc_begin(rw);
				enc_push(rw, d->raw.data + r->off, 5u + r->len, r->off, out);
			} else {
				emit_raw_records(rw, rw->next_rec, rw->next_rec, out);
			}
			rw->next_rec++;
			went_encrypted |= r->encrypted;
			continue;
		}
		if (rw->g_first == SIZE_MAX)
			rw->g_first = rw->next_rec;
		rw->next_rec++;
		if (at_boundary(d, r->hs_off + r->len)) {
			process_group(rw, rw->g_first, rw->next_rec - 1, out);
			rw->g_first = SIZE_MAX;
		}
	}
	if ((d->encrypted || went_encrypted) && rw->g_first == SIZE_MAX && !rw->coal.len) {
		/* From here on, the direction is protected: pass through (or,
		 * for an encrypted-phase mutation, on to the record layer). */
		rw->done = 1;
		if (rw->m->enc) {
			enc_begin(rw);
			enc_push(rw, d->raw.data + d->parsed, d->raw.len - d->parsed, d->parsed,
			         out);
		} else {
			bytes_append(out, d->raw.data + d->parsed, d->raw.len - d->parsed);
		}
		tls_conv_free(&rw->conv);
	}
}

static void rw_push_(struct rewriter *rw, const uint8_t *p, size_t n, struct bytes *out)
{
	if (rw->done) {
		if (rw->m->enc && rw->es)
			enc_push(rw, p, n, rw->pushed, out);
		else
			bytes_append(out, p, n);
		return;
	}
	tls_conv_feed(&rw->conv, rw->dir, p, n);
	if (rw->conv.d[rw->dir].dead) {
		/* Not TLS framing: nothing to rewrite. */
		const struct tls_dir *d = &rw->conv.d[rw->dir];
		release_group(rw, out);
		release_coalesced(rw, out);
		size_t from = rw->next_rec < d->n_rec ? d->rec[rw->next_rec].off : d->parsed;
		bytes_append(out, d->raw.data + from, d->raw.len - from);
		rw->done = 1;
		tls_conv_free(&rw->conv);
		return;
	}
	process(rw, out);
}

void rw_push(struct rewriter *rw, const uint8_t *p, size_t n, struct bytes *out)
{
	rw->out_start = out->len;
	rw_push_(rw, p, n, out);
	rw->pushed += n;
	rw->emitted += out->len - rw->out_start;
}

void rw_flush(struct rewriter *rw, struct bytes *out)
{
	rw->out_start = out->len;
	if (rw->done) {
		if (rw->es)
			enc_flush(rw, out);
	} else {
		release_group(rw, out);
		release_coalesced(rw, out);
	}
	rw->emitted += out->len - rw->out_start;
}

void rw_observe(struct rewriter *rw, const uint8_t *p, size_t n)
{
	if (!rw->done)
		tls_conv_feed(&rw->conv, !rw->dir, p, n);
}

/* ---- The encrypted phase -------------------------------------------------- */

/* One direction's record protection as one party believes in it. */
struct view {
	int dir;   /* the sender's direction */
	int keyed; /* rp is set up */
	int app;   /* TLS 1.3: application traffic keys */
	struct rp_dir rp;
	struct bytes hs; /* TLS 1.3 handshake bytes not yet split into messages */
};

/* A protected handshake record of the held group: its content in grp. */
struct grec {
	size_t off, len; /* in grp */
	long padding;    /* TLS 1.3 padding it had */
	size_t at;       /* stream offset of the original record */
};

struct encstate {
	struct rp_keylog kl;
	int begun, ready, passthrough;
	uint16_t version, suite;
	uint8_t cr[32], sr[32];
	int etm;
	char err[200];
	struct view src, dst; /* the sender's keys; the receiver's */
	struct bytes in;      /* raw bytes of an incomplete record */
	size_t in_at;         /* stream offset of in[0] */
	struct bytes grp;     /* decrypted handshake bytes of the held group */
	struct grec *gr;
	size_t n_gr, cap_gr;
	unsigned n_hs[256];
	unsigned n_app, n_alert;
	int diverged; /* the receiver's keys or sequence differ from the sender's */
	size_t translated;
	struct rw_plain plain[RW_PLAIN_MAX];
	size_t n_plain;
	rw_open_fn on_open;
	void *on_open_arg;
};

static struct encstate *es_get(struct rewriter *rw)
{
	if (!rw->es) {
		rw->es = xcalloc(1, sizeof *rw->es);
		rw->es->src.dir = rw->es->dst.dir = rw->dir;
	}
	return rw->es;
}

static void enc_free(struct rewriter *rw)
{
	struct encstate *es = rw->es;
	if (!es)
		return;
	rp_keylog_free(&es->kl);
	bytes_free(&es->in);
	bytes_free(&es->grp);
	bytes_free(&es->src.hs);
	bytes_free(&es->dst.hs);
	free(es->gr);
	free(es);
}

void rw_secret(void *arg, const char *label, const uint8_t *client_random, const uint8_t *secret,
               size_t len)
{
	struct rewriter *rw = arg;
	if (!rw || !label || !client_random || !secret)
		return;
	struct encstate *es = es_get(rw);
	if (rp_keylog_add(&es->kl, label, client_random, secret, len) != RP_OK && !es->err[0])
		fmt_into(es->err, sizeof es->err,
		         "the sender exported an unusable secret (%s, %zu bytes)", label, len);
}

void rw_on_open(struct rewriter *rw, rw_open_fn fn, void *arg)
{
	struct encstate *es = es_get(rw);
	es->on_open = fn;
	es->on_open_arg = arg;
}

const char *rw_enc_error(const struct rewriter *rw)
{
	return rw->es ? rw->es->err : "";
}

size_t rw_translated(const struct rewriter *rw)
{
	return rw->es ? rw->es->translated : 0;
}

size_t rw_plain_count(const struct rewriter *rw)
{
	return rw->es ? rw->es->n_plain : 0;
}

const struct rw_plain *rw_plain_get(const struct rewriter *rw, size_t k)
{
	return rw->es && k < rw->es->n_plain ? &rw->es->plain[k] : NULL;
}

static void enc_fail(struct encstate *es, const char *fmt, const char *detail, size_t off)
{
	if (!es->err[0]) {
		char f[160];
		fmt_into(f, sizeof f, fmt, detail);
		fmt_into(es->err, sizeof es->err, "%s (stream offset %zu)", f, off);
	}
	es->passthrough = 1;
}

/* What the hellos say: client random, server random, version, suite, ETM. */
static void enc_begin(struct rewriter *rw)
{
	struct encstate *es = es_get(rw);
	if (es->begun)
		return;
	es->begun = 1;
	const struct tls_dir *c = &rw->conv.d[0], *sd = &rw->conv.d[1];
	long ch = tls_dir_find(c, TLS_HS_CLIENT_HELLO, -1, 0);
	long sh = tls_dir_find(sd, TLS_HS_SERVER_HELLO, 0, 0);
	if (ch < 0 || sh < 0 || c->msg[ch].len < 34) {
		enc_fail(es, "%s",
		         "no ClientHello and ServerHello seen before the protected records", 0);
		return;
	}
	memcpy(es->cr, tls_msg_body(c, (size_t)ch) + 2, 32);
	struct tls_hello *h = xmalloc(sizeof *h);
	tls_hello_parse(h, TLS_HS_SERVER_HELLO, tls_msg_body(sd, (size_t)sh), sd->msg[sh].len);
	if (!h->fixed_ok || h->ciphers_len != 2) {
		free(h);
		enc_fail(es, "%s", "the ServerHello does not parse", 0);
		return;
	}
	memcpy(es->sr, h->random, 32);
	es->suite = (uint16_t)(h->ciphers[0] << 8 | h->ciphers[1]);
	es->version = rw->conv.version ? rw->conv.version : h->legacy_version;
	es->etm = tls_hello_ext(h, TLS_EXT_ENCRYPT_THEN_MAC) != NULL;
	free(h);
	if (!rp_can_protect(es->suite, es->version)) {
		char why[64];
		fmt_into(why, sizeof why, "suite 0x%04x at version 0x%04x", es->suite, es->version);
		enc_fail(es, "the harness cannot protect records of %s", why, 0);
		return;
	}
	es->ready = 1;
}

static const char *secret_label(int dir, int app)
{
	if (app)
		return dir == 0 ? RP_CLIENT_AP0 : RP_SERVER_AP0;
	return dir == 0 ? RP_CLIENT_HS : RP_SERVER_HS;
}

/* Keys of a view's direction, as the protected phase begins (TLS 1.3:
 * handshake traffic; TLS 1.2: the key block). Returns 0 or -1 with the
 * missing secret named in why. */
static int view_key(struct encstate *es, struct view *v, int app, char *why, size_t cap)
{
	if (es->version == RP_TLS13) {
		const char *label = secret_label(v->dir, app);
		const struct rp_secret *sec = rp_keylog_find(&es->kl, es->cr, label);
		if (!sec) {
			fmt_into(why, cap, "no %s exported", label);
			return -1;
		}
		if (rp13_init(&v->rp, es->suite, sec->secret, sec->len,
		              app ? RP_EPOCH_APPLICATION : RP_EPOCH_HANDSHAKE) != RP_OK) {
			fmt_into(why, cap, "%s unusable", label);
			return -1;
		}
		v->app = app;
	} else {
		const struct rp_secret *sec = rp_keylog_find(&es->kl, es->cr, RP_CLIENT_RANDOM);
		struct rp_dir cw, sw;
		if (!sec) {
			fmt_into(why, cap, "no master secret (%s) exported", RP_CLIENT_RANDOM);
			return -1;
		}
		if (rp12_init(&cw, &sw, es->suite, sec->secret, sec->len, es->cr, es->sr,
		              es->etm) != RP_OK) {
			fmt_into(why, cap, "the master secret is unusable");
			return -1;
		}
		v->rp = v->dir == 0 ? cw : sw;
	}
	v->keyed = 1;
	return 0;
}

/* After a record of `type` with this content went by under v: TLS 1.3
 * switches to the application keys after the sender's Finished and updates
 * them after a KeyUpdate (RFC 8446 4.4.4, 4.6.3, 7.2). */
static void view_after(struct encstate *es, struct view *v, uint8_t type, const uint8_t *c,
                       size_t n)
{
	if (es->version != RP_TLS13 || type != TLS_CT_HANDSHAKE)
		return;
	bytes_append(&v->hs, c, n);
	size_t pos = 0;
	int fin = 0, ku = 0;
	while (v->hs.len - pos >= 4) {
		size_t ml = (size_t)v->hs.data[pos + 1] << 16 | (size_t)v->hs.data[pos + 2] << 8 |
		            v->hs.data[pos + 3];
		if (v->hs.len - pos - 4 < ml)
			break;
		uint8_t mt = v->hs.data[pos];
		if (mt == TLS_HS_FINISHED && !v->app)
			fin = 1;
		if (mt == TLS_HS_KEY_UPDATE && v->app && ml == 1 && v->hs.data[pos + 4] <= 1)
			ku++;
		pos += 4 + ml;
	}
	if (pos) {
		memmove(v->hs.data, v->hs.data + pos, v->hs.len - pos);
		v->hs.len -= pos;
	}
	char why[96];
	if (fin && view_key(es, v, 1, why, sizeof why) != 0 && !es->err[0])
		fmt_into(es->err, sizeof es->err, "after the Finished: %s", why);
	for (int i = 0; i < ku; i++)
		rp13_key_update(&v->rp);
}

/* A short description of a record's content. */
static void describe(uint8_t type, const uint8_t *c, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	dst[0] = '\0';
	if (type == TLS_CT_HANDSHAKE) {
		size_t pos = 0;
		while (pos + 4 <= n && o + 24 < cap) {
			size_t ml = (size_t)c[pos + 1] << 16 | (size_t)c[pos + 2] << 8 | c[pos + 3];
			const char *nm = tls_hs_name(c[pos]);
			if (strcmp(nm, "?"))
				o += (size_t)snprintf(dst + o, cap - o, "%s%s", o ? ", " : "", nm);
			else
				o += (size_t)snprintf(dst + o, cap - o, "%shandshake type %u",
				                      o ? ", " : "", c[pos]);
			if (c[pos] == TLS_HS_KEY_UPDATE && ml == 1 && pos + 5 <= n)
				o += (size_t)snprintf(dst + o, cap - o, "(%u)", c[pos + 4]);
			pos += 4 + ml;
		}
		if (pos != n && o + 16 < cap)
			o += (size_t)snprintf(dst + o, cap - o, "%s(partial)", o ? " " : "");
	} else if (type == TLS_CT_ALERT && n == 2) {
		fmt_into(dst, cap, "alert %u/%u", c[0], c[1]);
	} else if (type == TLS_CT_APPDATA) {
		fmt_into(dst, cap, "application_data, %zu bytes", n);
	} else {
		fmt_into(dst, cap, "content type %u, %zu bytes", type, n);
	}
}

static void plain_log(struct encstate *es, int dir, size_t offset, uint64_t seq,
                      const struct view *v, uint8_t type, const uint8_t *c, size_t n, int mutated,
                      const char *what)
{
	if (es->n_plain == RW_PLAIN_MAX)
		return;
	struct rw_plain *p = &es->plain[es->n_plain++];
	p->dir = dir;
	p->offset = offset;
	p->seq = seq;
	p->gen = es->version == RP_TLS13 ? (v->app ? 1 + v->rp.generation : 0) : 0;
	p->type = type;
	p->len = n;
	p->mutated = mutated;
	if (what)
		fmt_into(p->what, sizeof p->what, "%s", what);
	else
		describe(type, c, n, p->what, sizeof p->what);
	tls_hex(p->hex, sizeof p->hex, c, n, 40);
}

/* Offset in the receiver's stream of the next byte appended to out. */
static size_t out_pos(const struct rewriter *rw, const struct bytes *out)
{
	return rw->emitted + (out->len - rw->out_start);
}

enum { SEAL_PLAIN = 0, SEAL_INJECTED = 1, SEAL_CHANGED = 2 };

/* Protects one record for the receiver (dst) and emits it. `op` is a
 * record-level change (RW_E_*) or 0; `padding` the TLS 1.3 padding (-1
 * none); `pad_only`: the content is the whole inner plaintext. */
static void seal_out(struct rewriter *rw, uint8_t type, const uint8_t *c, size_t n, long padding,
                     enum rw_op op, int how, struct bytes *out)
{
	struct encstate *es = rw->es;
	struct view *v = &es->dst;
	struct rp_seal_opts o;
	rp_seal_opts_default(&o);
	o.padding = es->version == RP_TLS13 ? padding : -1;
	uint8_t padb[512];
	if (op == RW_E_TAG)
		o.corrupt_mac = 1;
	if (op == RW_E_PADDING && es->version == RP_TLS13)
		o.padding = (long)rw->m->size;
	if (op == RW_E_CBC_PAD && es->version == RP_TLS12 && v->rp.suite->cipher == RP_AES_CBC) {
		size_t l = n + (v->rp.etm ? 0 : v->rp.suite->mac_len);
		size_t p0 = (16 - (l + 1) % 16) % 16;
		if (rw->m->value == 2) {
			o.padding = (long)p0; /* every byte, the length too: 255 */
			memset(padb, 0xff, p0 + 1);
		} else {
			o.padding = (long)p0 + 16; /* the first padding byte wrong */
			memset(padb, (int)(p0 + 16), p0 + 17);
			padb[0] ^= 0x01;
		}
		o.pad_bytes = padb;
	}
	size_t at = out_pos(rw, out), start = out->len;
	uint64_t seq = v->rp.seq;
	int r;
	if (op == RW_E_PAD_ONLY && es->version == RP_TLS13) {
		uint8_t *z = xcalloc(1, rw->m->size + 1);
		r = rp13_seal_inner(&v->rp, z, rw->m->size, &o, out);
		free(z);
	} else {
		r = rp_seal(&v->rp, type, c, n, &o, out);
	}
	if (r != RP_OK) {
		enc_fail(es, "the harness could not protect a record: %s", rp_strerror(r), at);
		return;
	}
	if (op == RW_E_CT && out->len > start + 5 + v->rp.suite->record_iv_len)
		out->data[start + 5 + v->rp.suite->record_iv_len] ^= 0x01;
	if (op == RW_E_CUT && out->len > start + 5) {
		out->len--;
		size_t fl = out->len - start - 5;
		out->data[start + 3] = (uint8_t)(fl >> 8);
		out->data[start + 4] = (uint8_t)fl;
	}
	if (how == SEAL_PLAIN && es->diverged)
		es->translated++;
	if (how == SEAL_INJECTED)
		es->diverged = 1;
	char what[64] = "";
	if (op == RW_E_PAD_ONLY)
		fmt_into(what, sizeof what, "padding only (%zu zero bytes, no content type)",
		         rw->m->size);
	plain_log(es, rw->dir, at, seq, v, type, c, n, how != SEAL_PLAIN, what[0] ? what : NULL);
	if (op != RW_E_PAD_ONLY)
		view_after(es, v, type, c, n);
	if (es->version == RP_TLS13 && es->dst.rp.generation != es->src.rp.generation)
		es->diverged = 1;
}

/* The record the mutation injects (RW_INJECT_*): `data`, or `size` bytes of
 * 'A'; TLS 1.3 padding `value`. */
static void seal_injected(struct rewriter *rw, size_t at, struct bytes *out)
{
	const struct rw_mutation *m = rw->m;
	uint8_t *fill = NULL;
	const uint8_t *p = m->data;
	size_t n = m->len;
	if (!p) {
		fill = xmalloc(m->size + 1);
		memset(fill, 'A', m->size);
		p = fill;
		n = m->size;
	}
	struct bytes rec = {0};
	tls_put_record(&rec, m->ctype, 0x0303, p, n > 32 ? 32 : n);
	rw_note(rw, m->ctype == TLS_CT_HANDSHAKE && n ? p[0] : RW_ANY, at, NULL, 0, p, n,
	        m->op == RW_INJECT_BEFORE ? "protected record injected before"
	                                  : "protected record injected after");
	bytes_free(&rec);
	seal_out(rw, m->ctype, p, n, m->value ? (long)m->value : -1, 0, SEAL_INJECTED, out);
	free(fill);
}

/* Emits the target (content c, n bytes, of type) with the mutation's
 * record-level op or injection around it. */
static void emit_target(struct rewriter *rw, uint8_t type, const uint8_t *c, size_t n, long padding,
                        size_t at, int changed, struct bytes *out)
{
	const struct rw_mutation *m = rw->m;
	rw->applied++;
	int rec_op = m->op >= RW_E_TAG && m->op <= RW_E_PAD_ONLY;
	if (m->op == RW_INJECT_BEFORE)
		seal_injected(rw, at, out);
	if (m->op == RW_E_PAD_ONLY) {
		rw_note(rw, RW_ANY, at, NULL, 0, NULL, 0, "padding-only record injected before");
		seal_out(rw, 0, NULL, 0, -1, RW_E_PAD_ONLY, SEAL_INJECTED, out);
	}
	if (rec_op && m->op != RW_E_PAD_ONLY) {
		static const char *const names[] = {"tag made wrong", "ciphertext bit flipped",
		                                    "record cut by one byte", "inner padding added",
		                                    "CBC padding made wrong"};
		rw_note(rw, type == TLS_CT_HANDSHAKE && n ? c[0] : RW_ANY, at, NULL, 0, NULL, 0,
		        names[m->op - RW_E_TAG]);
	}
	/* A padding-only record goes before the target, which is then sealed
	 * as it is. */
	enum rw_op target_op = rec_op && m->op != RW_E_PAD_ONLY ? m->op : (enum rw_op)0;
	seal_out(rw, type, c, n, padding, target_op, changed ? SEAL_CHANGED : SEAL_PLAIN, out);
	if (m->op == RW_INJECT_AFTER)
		seal_injected(rw, at, out);
}

/* Handshake bytes (whole messages) as records of at most 2^14 bytes. */
static void seal_hs(struct rewriter *rw, const uint8_t *p, size_t n, struct bytes *out)
{
	for (size_t off = 0; off < n && !rw->es->passthrough;) {
		size_t k = n - off > TLS_MAX_PLAINTEXT ? TLS_MAX_PLAINTEXT : n - off;
		seal_out(rw, TLS_CT_HANDSHAKE, p + off, k, -1, 0, SEAL_PLAIN, out);
		off += k;
	}
}

/* The held group of protected handshake records ends at a message
 * boundary: emit it, the target mutated. */
static void enc_group(struct rewriter *rw, struct bytes *out)
{
	struct encstate *es = rw->es;
	const struct rw_mutation *m = rw->m;
	const uint8_t *g = es->grp.data;
	size_t len = es->grp.len, pos = 0;
	long hit = -1;
	size_t hit_len = 0;
	while (pos + 4 <= len) {
		uint8_t mt = g[pos];
		size_t ml = (size_t)g[pos + 1] << 16 | (size_t)g[pos + 2] << 8 | g[pos + 3];
		unsigned k = es->n_hs[mt]++;
		if (hit < 0 && m->enc == RW_ENC_HS && (m->msg == RW_ANY || m->msg == mt) &&
		    (m->nth < 0 || (unsigned)m->nth == k)) {
			hit = (long)pos;
			hit_len = 4 + ml;
		}
		pos += 4 + ml;
	}
	if (hit < 0) {
		for (size_t i = 0; i < es->n_gr && !es->passthrough; i++)
			seal_out(rw, TLS_CT_HANDSHAKE, g + es->gr[i].off, es->gr[i].len,
			         es->gr[i].padding, 0, SEAL_PLAIN, out);
	} else {
		/* The stream offset of the record that carried the target's start. */
		size_t at = es->gr[0].at;
		for (size_t i = 0; i < es->n_gr; i++)
			if (es->gr[i].off <= (size_t)hit)
				at = es->gr[i].at;
		seal_hs(rw, g, (size_t)hit, out);
		/* The target through the op chain, as in the plaintext phase. */
		const uint8_t *orig = g + hit;
		struct bytes cur = {0}, next = {0};
		bytes_append(&cur, orig, hit_len);
		const char *why = NULL;
		int changed = 0;
		for (const struct rw_mutation *x = m; x; x = x->then) {
			uint32_t hl;
			bytes_reset(&next);
			if (!mutate_body(x, orig[0], cur.data + 4, cur.len - 4, &next, &hl, &why))
				continue;
			struct bytes full = {0};
			tls_put_u8(&full, orig[0]);
			tls_put_u24(&full, hl);
			bytes_append(&full, next.data, next.len);
			bytes_free(&cur);
			cur = full;
		}
		bytes_free(&next);
		changed = cur.len != hit_len || memcmp(cur.data, orig, hit_len) != 0;
		if (changed) {
			size_t i = 0;
			while (i < hit_len && i < cur.len && orig[i] == cur.data[i])
				i++;
			char what[80];
			fmt_into(what, sizeof what, "%s #%d (protected, decrypted)",
			         tls_hs_name(orig[0]), m->nth < 0 ? 0 : m->nth);
			rw_note(rw, orig[0], at, orig + i, hit_len - i, cur.data + i, cur.len - i,
			        what);
		} else if (why && m->op != RW_INJECT_BEFORE && m->op != RW_INJECT_AFTER &&
		           !(m->op >= RW_E_TAG && m->op <= RW_E_PAD_ONLY)) {
			rw_note(rw, orig[0], at, NULL, 0, NULL, 0, why);
			bytes_free(&cur);
			seal_hs(rw, orig, len - (size_t)hit, out);
			goto done;
		}
		emit_target(rw, TLS_CT_HANDSHAKE, cur.data, cur.len, -1, at, changed, out);
		bytes_free(&cur);
		seal_hs(rw, g + hit + hit_len, len - (size_t)hit - hit_len, out);
	}
done:
	bytes_reset(&es->grp);
	es->n_gr = 0;
}

/* 1 if the held group's handshake bytes end at a message boundary. */
static int grp_at_boundary(const struct bytes *g)
{
	size_t pos = 0;
	while (g->len - pos >= 4) {
		size_t ml = (size_t)g->data[pos + 1] << 16 | (size_t)g->data[pos + 2] << 8 |
		            g->data[pos + 3];
		if (g->len - pos - 4 < ml)
			return 0;
		pos += 4 + ml;
	}
	return pos == g->len;
}

/* Passes the held group on re-protected (the framing was lost). */
static void enc_group_release(struct rewriter *rw, struct bytes *out)
{
	struct encstate *es = rw->es;
	for (size_t i = 0; i < es->n_gr && !es->passthrough; i++)
		seal_out(rw, TLS_CT_HANDSHAKE, es->grp.data + es->gr[i].off, es->gr[i].len,
		         es->gr[i].padding, 0, SEAL_PLAIN, out);
	bytes_reset(&es->grp);
	es->n_gr = 0;
}

/* One whole record of the sender in the protected phase. */
static void enc_record(struct rewriter *rw, const uint8_t *rec, size_t rlen, size_t at,
                       struct bytes *out)
{
	struct encstate *es = rw->es;
	if (es->passthrough || !es->ready) {
		es->passthrough = 1;
		bytes_append(out, rec, rlen);
		return;
	}
	if (es->version == RP_TLS13 && rec[0] != TLS_CT_APPDATA) {
		/* The compatibility ChangeCipherSpec, a plaintext alert. */
		bytes_append(out, rec, rlen);
		return;
	}
	char why[96];
	if (!es->src.keyed) {
		if (view_key(es, &es->src, 0, why, sizeof why) != 0) {
			enc_fail(es, "the sender's keys: %s", why, at);
			bytes_append(out, rec, rlen);
			return;
		}
		es->dst = es->src;
		memset(&es->dst.hs, 0, sizeof es->dst.hs);
	}
	struct bytes c = {0};
	struct rp_opened info;
	int r = rp_open(&es->src.rp, rec, rlen, &c, &info);
	if (r != RP_OK) {
		enc_fail(es, "the sender's record does not open with its own exported keys: %s",
		         rp_strerror(r), at);
		enc_group_release(rw, out);
		bytes_append(out, rec, rlen);
		bytes_free(&c);
		return;
	}
	view_after(es, &es->src, info.type, c.data, c.len);
	if (es->on_open)
		es->on_open(es->on_open_arg, info.type, c.data, c.len,
		            es->version == RP_TLS13 ? info.padding : 0);
	long padding = es->version == RP_TLS13 && info.padding ? (long)info.padding : -1;
	if (info.type == TLS_CT_HANDSHAKE) {
		if (es->n_gr == es->cap_gr) {
			es->cap_gr = es->cap_gr ? 2 * es->cap_gr : 8;
			es->gr = xrealloc(es->gr, es->cap_gr * sizeof *es->gr);
		}
		es->gr[es->n_gr++] = (struct grec){es->grp.len, c.len, padding, at};
		bytes_append(&es->grp, c.data, c.len);
		if (grp_at_boundary(&es->grp))
			enc_group(rw, out);
		bytes_free(&c);
		return;
	}
	enc_group_release(rw, out);
	const struct rw_mutation *m = rw->m;
	int hit = 0;
	if (info.type == TLS_CT_APPDATA)
		hit = m->enc == RW_ENC_APPDATA && (m->nth < 0 || (unsigned)m->nth == es->n_app++);
	else if (info.type == TLS_CT_ALERT)
		hit = m->enc == RW_ENC_ALERT && (m->nth < 0 || (unsigned)m->nth == es->n_alert++);
	if (hit)
		emit_target(rw, info.type, c.data, c.len, padding, at, 0, out);
	else
		seal_out(rw, info.type, c.data, c.len, padding, 0, SEAL_PLAIN, out);
	bytes_free(&c);
}

static void enc_push(struct rewriter *rw, const uint8_t *p, size_t n, size_t at, struct bytes *out)
{
	struct encstate *es = es_get(rw);
	if (!es->in.len)
		es->in_at = at;
	bytes_append(&es->in, p, n);
	size_t off = 0;
	while (es->in.data) {
		size_t rl = rp_record_len(es->in.data + off, es->in.len - off);
		if (!rl)
			break;
		enc_record(rw, es->in.data + off, rl, es->in_at + off, out);
		off += rl;
	}
	if (off) {
		memmove(es->in.data, es->in.data + off, es->in.len - off);
		es->in.len -= off;
		es->in_at += off;
	}
}

static void enc_flush(struct rewriter *rw, struct bytes *out)
{
	(void)rw;
	(void)out; /* a partial record or message waits for its rest */
}

void rw_decrypt_other(struct rewriter *rw, const uint8_t *wire, size_t len, struct rw_other *o)
{
	memset(o, 0, sizeof *o);
	o->alert = -1;
	struct encstate *es = rw->es;
	if (!es || !es->ready)
		return;
	struct view v = {.dir = !rw->dir};
	int prot = 0;
	size_t off = 0;
	struct bytes c = {0};
	while (off < len) {
		size_t rl = rp_record_len(wire + off, len - off);
		if (!rl)
			break;
		const uint8_t *rec = wire + off;
		int is_prot = es->version == RP_TLS13 ? rec[0] == TLS_CT_APPDATA : prot;
		if (es->version == RP_TLS12 && rec[0] == TLS_CT_CCS)
			prot = 1;
		if (!is_prot) {
			off += rl;
			continue;
		}
		char why[96];
		if (!v.keyed && view_key(es, &v, 0, why, sizeof why) != 0) {
			o->failed++;
			break;
		}
		struct rp_opened info;
		uint64_t seq = v.rp.seq;
		if (rp_open(&v.rp, rec, rl, &c, &info) != RP_OK) {
			o->failed++;
			break;
		}
		o->opened++;
		plain_log(es, v.dir, off, seq, &v, info.type, c.data, c.len, 0, NULL);
		if (info.type == TLS_CT_ALERT && c.len == 2 && o->alert < 0)
			o->alert = c.data[1];
		if (info.type == TLS_CT_APPDATA)
			o->appdata++;
		if (info.type == TLS_CT_HANDSHAKE)
			for (size_t pos = 0; pos + 4 <= c.len;) {
				size_t ml = (size_t)c.data[pos + 1] << 16 |
				            (size_t)c.data[pos + 2] << 8 | c.data[pos + 3];
				o->hellos += c.data[pos] == TLS_HS_CLIENT_HELLO ||
				             c.data[pos] == TLS_HS_SERVER_HELLO;
				if (c.data[pos] == TLS_HS_KEY_UPDATE && ml == 1 &&
				    pos + 5 <= c.len) {
					o->keyupdates++;
					o->ku_requested += c.data[pos + 4] == 1;
				}
				pos += 4 + ml;
			}
		view_after(es, &v, info.type, c.data, c.len);
		off += rl;
	}
	bytes_free(&c);
	bytes_free(&v.hs);
}

/* ---- Boundaries ------------------------------------------------------------ */

size_t rw_boundaries(uint8_t type, const uint8_t *body, size_t len, struct rw_boundary *out,
                     size_t cap)
{
	size_t n = 0;
#define ADD(off, ...)                                                                              \
	do {                                                                                       \
		if (n < cap) {                                                                     \
			out[n].at = (off);                                                         \
			fmt_into(out[n].name, sizeof out[n].name, __VA_ARGS__);                    \
		}                                                                                  \
		n++;                                                                               \
	} while (0)
	ADD(0, "empty");
	struct tls_hello *h = xmalloc(sizeof *h);
	tls_hello_parse(h, type, body, len);
	if (is_hello(type) && h->fixed_ok) {
		ADD(2, "after-legacy-version");
		ADD(34, "after-random");
		ADD(h->off_ciphers, "after-session-id");
		ADD(h->off_comp,
		    type == TLS_HS_CLIENT_HELLO ? "after-cipher-suites" : "after-cipher-suite");
		if (h->has_exts) {
			ADD(h->off_exts, "after-compression");
			ADD(h->off_exts + 2, "after-extensions-length");
			for (size_t i = 0; i + 1 < h->n_ext; i++)
				ADD(h->ext[i].off + 4 + h->ext[i].len, "after-ext-%zu-%04x", i,
				    h->ext[i].type);
		}
	}
	ADD(len, "end");
#undef ADD
	free(h);
	return n;
}

/* ---- Named mutations -------------------------------------------------------- */

static const uint8_t d_empty[1] = {0};
static const uint8_t d_sv_0305[] = {0x03, 0x05};
static const uint8_t d_sv_0303[] = {0x03, 0x03};
static const uint8_t d_sv_3bytes[] = {0x03, 0x04, 0x00};
static const uint8_t d_sid32[32] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t d_comp_deflate[] = {0x01, 0x00};
static const uint8_t d_comp_deflate_only[] = {0x01};
static const uint8_t d_sid33[33] = {0x33, 0x33, 0x33, 0x33};
/* A well-formed pre_shared_key: one identity "ab", one 32-byte binder. */
static const uint8_t d_psk[45] = {0x00, 0x08, 0x00, 0x02, 'a', 'b', 0, 0, 0, 0, 0x00, 0x21, 0x20};
/* key_share bodies: P-256 then X25519 (against supported_groups order),
 * and X25519 twice. The key bytes are placeholders. */
static const uint8_t d_ks_order[] = {0x00, 0x0a, 0x00, 0x17, 0x00, 0x01,
                                     0x04, 0x00, 0x1d, 0x00, 0x01, 0x22};
static const uint8_t d_ks_dup[] = {0x00, 0x0a, 0x00, 0x1d, 0x00, 0x01,
                                   0x22, 0x00, 0x1d, 0x00, 0x01, 0x22};
static const uint8_t d_ciphers_no_scsv[] = {0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0,
                                            0x2c, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2f};
static const uint8_t d_reneg_full[] = {0x01, 0xaa};
static const uint8_t d_one_zero[] = {0x00};
static const uint8_t d_sni_two[] = {0x00, 0x18, 0x00, 0x00, 0x09, 'a',  '.',  'e',  'x',
                                    'a',  'm',  'p',  'l',  'e',  0x00, 0x00, 0x09, 'b',
                                    '.',  'e',  'x',  'a',  'm',  'p',  'l',  'e'};
static const uint8_t d_sni_dot[] = {0x00, 0x0f, 0x00, 0x00, 0x0c, 'e', 'x', 'a', 'm',
                                    'p',  'l',  'e',  '.',  'c',  'o', 'm', '.'};
static const uint8_t d_sni_ip[] = {0x00, 0x0c, 0x00, 0x00, 0x09, '1', '2',
                                   '7',  '.',  '0',  '.',  '0',  '.', '1'};
static const uint8_t d_alpn_two[] = {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h',
                                     't',  't',  'p',  '/', '1', '.',  '1'};
static const uint8_t d_alpn_bogus[] = {0x00, 0x06, 0x05, 'b', 'o', 'g', 'u', 's'};
static const uint8_t d_alert_user_canceled[] = {0x01, 90};
static const uint8_t d_alert_close_notify[] = {0x01, 0};
static const uint8_t d_alert_3[] = {0x01, 0, 0};
static const uint8_t d_alert_fatal_unexpected[] = {0x02, 10};
static const uint8_t d_ccs1[] = {0x01};
static const uint8_t d_ccs2[] = {0x02};
static const uint8_t d_appdata[] = {'h', 'e', 'l', 'l', 'o'};
static const uint8_t d_unknown[] = {0x01};
static const uint8_t d_ee_plain[] = {0x08, 0x00, 0x00, 0x02, 0x00, 0x00};
static const uint8_t d_downgrd12[] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01};
static const uint8_t d_downgrd11[] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x00};

#define D(x) .data = (x), .len = sizeof(x)
#define CH .msg = TLS_HS_CLIENT_HELLO
#define SH .msg = TLS_HS_SERVER_HELLO, .hrr = 0
#define HRR .msg = TLS_HS_SERVER_HELLO, .hrr = 1
#define ANY .msg = RW_ANY, .nth = -1

static const struct rw_mutation m_drop_reneg = {
        .name = "ch-no-reneg-signal", CH, .op = RW_EXT_DROP, .ext = TLS_EXT_RENEGOTIATION_INFO};
static const struct rw_mutation m_drop_modes = {
        .name = "ch-psk-no-modes", CH, .op = RW_EXT_DROP, .ext = TLS_EXT_PSK_KEY_EXCHANGE_MODES};

static const struct rw_mutation m_hrr_drop_cookie = {
        .name = "hrr-no-change", HRR, .op = RW_EXT_DROP, .ext = TLS_EXT_COOKIE};

static const struct rw_mutation named[] = {
        /* Record level. */
        {.name = "frag-1", ANY, .op = RW_FRAGMENT, .size = 1},
        {.name = "frag-2", ANY, .op = RW_FRAGMENT, .size = 2},
        {.name = "frag-5", ANY, .op = RW_FRAGMENT, .size = 5},
        {.name = "frag-100", ANY, .op = RW_FRAGMENT, .size = 100},
        {.name = "zero-records", ANY, .op = RW_ZERO_RECORDS},
        {.name = "coalesce", ANY, .op = RW_COALESCE},
        {.name = "ch-split", CH, .op = RW_SPLIT, .at = -1},
        {.name = "ch-split-header", CH, .op = RW_SPLIT, .at = 2},
        {.name = "sh-split", SH, .op = RW_SPLIT, .at = -1},
        {.name = "ch-oversize", CH, .op = RW_OVERSIZE, .size = 16385},
        {.name = "sh-oversize", SH, .op = RW_OVERSIZE, .size = 16385},
        {.name = "ch-oversize-18k", CH, .op = RW_OVERSIZE, .size = 18433},
        {.name = "ch-16k", CH, .op = RW_BIG_HELLO, .size = 16384},
        {.name = "ch-32k", CH, .op = RW_BIG_HELLO, .size = 32768},
        {.name = "ch-record-version-0300", CH, .op = RW_RECORD_VERSION, .value = 0x0300},
        {.name = "sh-record-version-0301", SH, .op = RW_RECORD_VERSION, .value = 0x0301},
        /* Truncation / padding at a boundary, lengths fixed or stale. */
        {.name = "ch-truncate-after-random-fixed", CH, .op = RW_TRUNCATE, .at = 34, .fix = 1},
        {.name = "ch-truncate-after-random-stale", CH, .op = RW_TRUNCATE, .at = 34},
        {.name = "ch-truncate-mid-stale", CH, .op = RW_TRUNCATE, .at = -1},
        {.name = "ch-pad-end-fixed", CH, .op = RW_PAD, .at = -1, .size = 3, .fix = 1},
        {.name = "ch-pad-end-stale", CH, .op = RW_PAD, .at = -1, .size = 3},
        {.name = "sh-truncate-after-random-fixed", SH, .op = RW_TRUNCATE, .at = 34, .fix = 1},
        {.name = "sh-truncate-mid-stale", SH, .op = RW_TRUNCATE, .at = -1},
        {.name = "sh-pad-end-fixed", SH, .op = RW_PAD, .at = -1, .size = 3, .fix = 1},
        /* Length fields. */
        {.name = "ch-len-record-plus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_RECORD,
         .mode = RW_LEN_PLUS1},
        {.name = "ch-len-record-minus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_RECORD,
         .mode = RW_LEN_MINUS1},
        {.name = "ch-len-hs-plus1", CH, .op = RW_LENGTH, .field = RW_LEN_HS, .mode = RW_LEN_PLUS1},
        {.name = "ch-len-hs-minus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_HS,
         .mode = RW_LEN_MINUS1},
        {.name = "ch-len-hs-max", CH, .op = RW_LENGTH, .field = RW_LEN_HS, .mode = RW_LEN_MAX},
        {.name = "ch-len-exts-plus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_EXTS,
         .mode = RW_LEN_PLUS1},
        {.name = "ch-len-exts-minus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_EXTS,
         .mode = RW_LEN_MINUS1},
        {.name = "ch-len-exts-zero",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_EXTS,
         .mode = RW_LEN_ZERO},
        {.name = "ch-len-sid-max", CH, .op = RW_LENGTH, .field = RW_LEN_SID, .mode = RW_LEN_MAX},
        {.name = "ch-len-ciphers-plus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_CIPHERS,
         .mode = RW_LEN_PLUS1},
        {.name = "ch-len-groups-inner-minus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_INNER,
         .ext = TLS_EXT_SUPPORTED_GROUPS,
         .mode = RW_LEN_MINUS1},
        {.name = "ch-len-sni-ext-plus1",
         CH,
         .op = RW_LENGTH,
         .field = RW_LEN_EXT,
         .ext = TLS_EXT_SERVER_NAME,
         .mode = RW_LEN_PLUS1},
        {.name = "sh-len-hs-plus1", SH, .op = RW_LENGTH, .field = RW_LEN_HS, .mode = RW_LEN_PLUS1},
        {.name = "sh-len-exts-minus1",
         SH,
         .op = RW_LENGTH,
         .field = RW_LEN_EXTS,
         .mode = RW_LEN_MINUS1},
        {.name = "sh-len-record-plus1",
         SH,
         .op = RW_LENGTH,
         .field = RW_LEN_RECORD,
         .mode = RW_LEN_PLUS1},
        /* Extensions. */
        {.name = "sh-ext-unoffered",
         SH,
         .op = RW_EXT_ADD,
         .ext = 0x4242,
         .at = -1,
         .data = d_empty,
         .len = 0},
        {.name = "sh-ext-sni-in-sh",
         SH,
         .op = RW_EXT_ADD,
         .ext = TLS_EXT_SERVER_NAME,
         .at = -1,
         .data = d_empty,
         .len = 0},
        {.name = "hrr-ext-unoffered",
         HRR,
         .op = RW_EXT_ADD,
         .ext = 0x4242,
         .at = -1,
         .data = d_empty,
         .len = 0},
        {.name = "ch-ext-dup-groups", CH, .op = RW_EXT_DUP, .ext = TLS_EXT_SUPPORTED_GROUPS},
        {.name = "sh-ext-dup-first", SH, .op = RW_EXT_DUP, .ext = -1},
        {.name = "hrr-ext-dup-first", HRR, .op = RW_EXT_DUP, .ext = -1},
        {.name = "ch-ext-move-first-last", CH, .op = RW_EXT_MOVE, .ext = -1, .at = -1},
        {.name = "ch-drop-sigalgs", CH, .op = RW_EXT_DROP, .ext = TLS_EXT_SIGNATURE_ALGORITHMS},
        {.name = "ch-drop-supported-versions",
         CH,
         .op = RW_EXT_DROP,
         .ext = TLS_EXT_SUPPORTED_VERSIONS},
        {.name = "ch-psk-first",
         CH,
         .op = RW_EXT_ADD,
         .ext = TLS_EXT_PRE_SHARED_KEY,
         .at = 0,
         D(d_psk)},
        {.name = "ch-psk-no-modes",
         CH,
         .op = RW_EXT_ADD,
         .ext = TLS_EXT_PRE_SHARED_KEY,
         .at = -1,
         D(d_psk),
         .then = &m_drop_modes},
        {.name = "ch-key-share-unlisted", CH, .op = RW_KS_GROUP, .at = 0, .value = 0x0200},
        {.name = "ch-key-share-order",
         CH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_KEY_SHARE,
         D(d_ks_order)},
        {.name = "ch-key-share-dup", CH, .op = RW_EXT_BODY, .ext = TLS_EXT_KEY_SHARE, D(d_ks_dup)},
        {.name = "sh-key-share-p256", SH, .op = RW_KS_GROUP, .value = 0x0017},
        {.name = "hrr-key-share-x25519", HRR, .op = RW_KS_GROUP, .value = 0x001d},
        {.name = "ch-no-reneg-signal",
         CH,
         .op = RW_SET_CIPHER,
         D(d_ciphers_no_scsv),
         .then = &m_drop_reneg},
        {.name = "ch-reneg-not-empty",
         CH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_RENEGOTIATION_INFO,
         D(d_reneg_full)},
        {.name = "sh-drop-reneg", SH, .op = RW_EXT_DROP, .ext = TLS_EXT_RENEGOTIATION_INFO},
        {.name = "sh-reneg-not-empty",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_RENEGOTIATION_INFO,
         D(d_reneg_full)},
        {.name = "sh-add-reneg",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_RENEGOTIATION_INFO,
         D(d_one_zero)},
        {.name = "sh-add-ems",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_EXTENDED_MASTER_SECRET,
         .data = d_empty,
         .len = 0},
        {.name = "sh-ems-not-empty",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_EXTENDED_MASTER_SECRET,
         D(d_one_zero)},
        {.name = "ch-ems-not-empty",
         CH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_EXTENDED_MASTER_SECRET,
         D(d_one_zero)},
        {.name = "ch-sni-two-names",
         CH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SERVER_NAME,
         D(d_sni_two)},
        {.name = "ch-sni-trailing-dot",
         CH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SERVER_NAME,
         D(d_sni_dot)},
        {.name = "ch-sni-ip", CH, .op = RW_EXT_BODY, .ext = TLS_EXT_SERVER_NAME, D(d_sni_ip)},
        {.name = "sh-sni-not-empty",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SERVER_NAME,
         D(d_sni_dot)},
        {.name = "sh-alpn-two-names", SH, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(d_alpn_two)},
        {.name = "sh-alpn-unoffered", SH, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(d_alpn_bogus)},
        {.name = "sh-sv-3-bytes",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SUPPORTED_VERSIONS,
         D(d_sv_3bytes)},
        {.name = "sh-version-0305",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SUPPORTED_VERSIONS,
         D(d_sv_0305)},
        {.name = "sh-sv-0303",
         SH,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_SUPPORTED_VERSIONS,
         D(d_sv_0303)},
        /* Fields. */
        {.name = "ch-legacy-version-0304", CH, .op = RW_SET_VERSION, .value = 0x0304},
        {.name = "ch-legacy-version-0300", CH, .op = RW_SET_VERSION, .value = 0x0300},
        {.name = "ch-compression-deflate", CH, .op = RW_SET_COMP, D(d_comp_deflate)},
        {.name = "ch-compression-deflate-only", CH, .op = RW_SET_COMP, D(d_comp_deflate_only)},
        {.name = "ch-legacy-version-0302", CH, .op = RW_SET_VERSION, .value = 0x0302},
        {.name = "ch-sid-33", CH, .op = RW_SET_SID, D(d_sid33)},
        {.name = "sh-sid-33", SH, .op = RW_SET_SID, D(d_sid33)},
        {.name = "hrr-drop-supported-versions",
         HRR,
         .op = RW_EXT_DROP,
         .ext = TLS_EXT_SUPPORTED_VERSIONS},
        {.name = "hrr-no-change",
         HRR,
         .op = RW_EXT_DROP,
         .ext = TLS_EXT_KEY_SHARE,
         .then = &m_hrr_drop_cookie},
        {.name = "sh-legacy-version-0304", SH, .op = RW_SET_VERSION, .value = 0x0304},
        {.name = "sh-sid-changed", SH, .op = RW_SET_SID, D(d_sid32)},
        {.name = "sh-compression-1", SH, .op = RW_SET_COMP, .value = 1},
        {.name = "sh-cipher-unoffered", SH, .op = RW_SET_CIPHER, .value = 0xc0ff},
        {.name = "sh-cipher-1302", SH, .op = RW_SET_CIPHER, .value = 0x1302},
        {.name = "sh-random-downgrade-tls12", SH, .op = RW_SET_RANDOM, .at = 24, D(d_downgrd12)},
        {.name = "sh-random-downgrade-tls11", SH, .op = RW_SET_RANDOM, .at = 24, D(d_downgrd11)},
        {.name = "ch2-new-random", CH, .nth = 1, .op = RW_SET_RANDOM, .at = 0, D(d_sid32)},
        {.name = "ch2-drop-cookie", CH, .nth = 1, .op = RW_EXT_DROP, .ext = TLS_EXT_COOKIE},
        {.name = "ch2-key-share-dup",
         CH,
         .nth = 1,
         .op = RW_EXT_BODY,
         .ext = TLS_EXT_KEY_SHARE,
         D(d_ks_dup)},
        /* Injected records. */
        {.name = "ch-inject-unknown-type", CH, .op = RW_INJECT_BEFORE, .ctype = 0x63, D(d_unknown)},
        {.name = "sh-inject-unknown-type", SH, .op = RW_INJECT_BEFORE, .ctype = 0x63, D(d_unknown)},
        {.name = "ch-inject-alert-after",
         CH,
         .op = RW_INJECT_AFTER,
         .ctype = TLS_CT_ALERT,
         D(d_alert_close_notify)},
        {.name = "sh-inject-alert-after",
         SH,
         .op = RW_INJECT_AFTER,
         .ctype = TLS_CT_ALERT,
         D(d_alert_user_canceled)},
        {.name = "sh-inject-fatal-alert-before",
         SH,
         .op = RW_INJECT_BEFORE,
         .ctype = TLS_CT_ALERT,
         D(d_alert_fatal_unexpected)},
        {.name = "sh-inject-alert-3-bytes",
         SH,
         .op = RW_INJECT_BEFORE,
         .ctype = TLS_CT_ALERT,
         D(d_alert_3)},
        {.name = "ch-inject-appdata-after",
         CH,
         .op = RW_INJECT_AFTER,
         .ctype = TLS_CT_APPDATA,
         D(d_appdata)},
        {.name = "sh-inject-appdata-before",
         SH,
         .op = RW_INJECT_BEFORE,
         .ctype = TLS_CT_APPDATA,
         D(d_appdata)},
        {.name = "ch-inject-ccs-before",
         CH,
         .op = RW_INJECT_BEFORE,
         .ctype = TLS_CT_CCS,
         D(d_ccs1)},
        {.name = "sh-inject-ccs-2", SH, .op = RW_INJECT_AFTER, .ctype = TLS_CT_CCS, D(d_ccs2)},
        {.name = "sh-split-ccs-inside",
         SH,
         .op = RW_INJECT_MID,
         .at = -1,
         .ctype = TLS_CT_CCS,
         D(d_ccs1)},
        {.name = "ch-split-alert-inside",
         CH,
         .op = RW_INJECT_MID,
         .at = -1,
         .ctype = TLS_CT_ALERT,
         D(d_alert_close_notify)},
        {.name = "sh-append-hs", SH, .op = RW_APPEND_HS, D(d_ee_plain)},
        {.name = "hrr-second", HRR, .op = RW_INJECT_AFTER, .copy = 1},
        {.name = "sh-dup-message", SH, .op = RW_INJECT_AFTER, .copy = 1},
};

#undef D
#undef CH
#undef SH
#undef HRR
#undef ANY

const struct rw_mutation *rw_named(const char *name)
{
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcmp(named[i].name, name))
			return &named[i];
	return NULL;
}

const struct rw_mutation *rw_named_at(size_t k)
{
	return k < sizeof named / sizeof named[0] ? &named[k] : NULL;
}
