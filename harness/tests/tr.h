/* tr.h - test helpers over real transcripts (harness/tests/data, files
 * recorded from OpenSSL against itself): load the segments, replay them
 * through a rewriter (one direction pushed in chunks of any size, the other
 * observed), and parse the result. */
#ifndef TLSH_TEST_TR_H
#define TLSH_TEST_TR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tlsmsg.h"
#include "util.h"

#define TR_MAX_SEG 64

struct tr {
	size_t nseg;
	int dir[TR_MAX_SEG];
	struct bytes seg[TR_MAX_SEG];
	struct bytes wire[2]; /* whole streams */
};

static inline void tr_free(struct tr *t)
{
	for (size_t i = 0; i < t->nseg; i++)
		bytes_free(&t->seg[i]);
	bytes_free(&t->wire[0]);
	bytes_free(&t->wire[1]);
	memset(t, 0, sizeof *t);
}

static inline void tr_add(struct tr *t, int dir, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (t->nseg && t->dir[t->nseg - 1] == dir) {
		bytes_append(&t->seg[t->nseg - 1], p, n);
	} else if (t->nseg < TR_MAX_SEG) {
		t->dir[t->nseg] = dir;
		memset(&t->seg[t->nseg], 0, sizeof t->seg[0]);
		bytes_append(&t->seg[t->nseg], p, n);
		t->nseg++;
	}
	bytes_append(&t->wire[dir], p, n);
}

/* Splits a TLSHTR01 file ("TLSHTR01", then segments: direction byte, u32
 * BE length, bytes) into t. Returns 0, or -1 when it is not one. */
static inline int tr_parse(struct tr *t, const uint8_t *p, size_t n)
{
	memset(t, 0, sizeof *t);
	if (n < 8 || memcmp(p, "TLSHTR01", 8) != 0)
		return -1;
	size_t off = 8;
	while (off < n) {
		if (n - off < 5)
			return -1;
		int dir = p[off];
		size_t len = (size_t)p[off + 1] << 24 | (size_t)p[off + 2] << 16 |
		             (size_t)p[off + 3] << 8 | p[off + 4];
		off += 5;
		if (dir > 1 || len > n - off)
			return -1;
		tr_add(t, dir, p + off, len);
		off += len;
	}
	return 0;
}

#ifdef TEST_DATA_DIR
/* Loads harness/tests/data/NAME. Exits on failure (a missing file is a
 * broken test tree). */
static inline void tr_load(struct tr *t, const char *name)
{
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, name);
	struct bytes f = {0};
	if (read_file(path, &f) != 0 || tr_parse(t, f.data, f.len) != 0) {
		printf("Bail out! cannot read transcript %s\n", path);
		exit(1);
	}
	bytes_free(&f);
	free(path);
}
#endif

/* Replays t with rewriter m on direction rwdir, pushing `chunk` bytes at a
 * time (0: whole segments), into out (a fresh transcript). Returns the
 * rewriter (caller frees) or NULL when m is NULL. */
static inline struct rewriter *tr_replay(const struct tr *t, const struct rw_mutation *m, int rwdir,
                                         size_t chunk, struct tr *out)
{
	memset(out, 0, sizeof *out);
	struct rewriter *rw = m ? rw_new(m, rwdir) : NULL;
	for (size_t i = 0; i < t->nseg; i++) {
		const struct bytes *s = &t->seg[i];
		if (!rw || t->dir[i] != rwdir) {
			if (rw)
				rw_observe(rw, s->data, s->len);
			tr_add(out, t->dir[i], s->data, s->len);
			continue;
		}
		struct bytes o = {0};
		size_t step = chunk ? chunk : s->len;
		for (size_t off = 0; off < s->len; off += step) {
			size_t n = s->len - off < step ? s->len - off : step;
			rw_push(rw, s->data + off, n, &o);
		}
		rw_flush(rw, &o);
		tr_add(out, rwdir, o.data, o.len);
		bytes_free(&o);
	}
	return rw;
}

/* Parses a transcript with timing (segment order). */
static inline void tr_conv(const struct tr *t, struct tls_conv *c)
{
	tls_conv_init(c);
	for (size_t i = 0; i < t->nseg; i++)
		tls_conv_feed(c, t->dir[i], t->seg[i].data, t->seg[i].len);
}

/* A transcript with a HelloRetryRequest, built from a real TLS 1.3 one:
 * ClientHello 1 (X25519 share), HRR selecting P-256 with a cookie, CCS,
 * ClientHello 2 (one P-256 share, the cookie), the real ServerHello with
 * its group set to P-256, and the rest unchanged. */
static const uint8_t tr_hrr_cookie[] = {0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};

static inline void tr_build_hrr(const struct tr *t, struct tr *out)
{
	struct tls_conv c;
	tr_conv(t, &c);
	const struct tls_dir *cd = &c.d[0], *sd = &c.d[1];
	struct tls_hello ch, sh, h;
	tls_hello_parse(&ch, 1, tls_msg_body(cd, 0), cd->msg[0].len);
	tls_hello_parse(&sh, 2, tls_msg_body(sd, 0), sd->msg[0].len);
	/* HRR. */
	uint8_t sel[2] = {0x00, 0x17}, v13[2] = {0x03, 0x04};
	memset(&h, 0, sizeof h);
	h.type = 2;
	h.legacy_version = 0x0303;
	h.random = tls_hrr_random;
	h.sid = ch.sid;
	h.sid_len = ch.sid_len;
	h.ciphers = sh.ciphers;
	h.ciphers_len = 2;
	h.comp = sh.comp;
	h.comp_len = 1;
	h.has_exts = 1;
	h.n_ext = 3;
	h.ext[0] = (struct tls_ext){TLS_EXT_SUPPORTED_VERSIONS, 0, v13, 2};
	h.ext[1] = (struct tls_ext){TLS_EXT_KEY_SHARE, 0, sel, 2};
	h.ext[2] = (struct tls_ext){TLS_EXT_COOKIE, 0, tr_hrr_cookie, sizeof tr_hrr_cookie};
	struct bytes body = {0}, msg = {0}, rec = {0};
	tls_hello_encode(&h, &body);
	tls_put_hs(&msg, 2, body.data, body.len);
	tls_put_record(&rec, 22, 0x0303, msg.data, msg.len);
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
	bytes_append(&rec, ccs, sizeof ccs);
	/* ClientHello 2. */
	uint8_t ks[71] = {0x00, 0x45, 0x00, 0x17, 0x00, 0x41, 0x04};
	for (size_t i = 7; i < sizeof ks; i++)
		ks[i] = (uint8_t)i;
	for (size_t i = 0; i < ch.n_ext; i++)
		if (ch.ext[i].type == TLS_EXT_KEY_SHARE)
			ch.ext[i].body = ks, ch.ext[i].len = sizeof ks;
	ch.ext[ch.n_ext++] =
	        (struct tls_ext){TLS_EXT_COOKIE, 0, tr_hrr_cookie, sizeof tr_hrr_cookie};
	struct bytes body2 = {0}, msg2 = {0}, rec2 = {0};
	tls_hello_encode(&ch, &body2);
	tls_put_hs(&msg2, 1, body2.data, body2.len);
	tls_put_record(&rec2, 22, 0x0303, msg2.data, msg2.len);
	/* The ServerHello with a P-256 share. */
	uint8_t sks[128];
	const struct tls_ext *e = tls_hello_ext(&sh, TLS_EXT_KEY_SHARE);
	memcpy(sks, e->body, e->len);
	sks[0] = 0x00, sks[1] = 0x17;
	for (size_t i = 0; i < sh.n_ext; i++)
		if (sh.ext[i].type == TLS_EXT_KEY_SHARE)
			sh.ext[i].body = sks;
	struct bytes body3 = {0}, msg3 = {0}, rec3 = {0};
	tls_hello_encode(&sh, &body3);
	tls_put_hs(&msg3, 2, body3.data, body3.len);
	tls_put_record(&rec3, 22, 0x0303, msg3.data, msg3.len);
	/* Reassemble: the first record of each side is its hello. */
	memset(out, 0, sizeof *out);
	size_t ch_end = 5 + ((size_t)t->seg[0].data[3] << 8 | t->seg[0].data[4]);
	tr_add(out, 0, t->seg[0].data, ch_end);
	tr_add(out, 1, rec.data, rec.len);
	tr_add(out, 0, rec2.data, rec2.len);
	tr_add(out, 0, t->seg[0].data + ch_end, t->seg[0].len - ch_end);
	size_t sh_end = 5 + ((size_t)t->seg[1].data[3] << 8 | t->seg[1].data[4]);
	tr_add(out, 1, rec3.data, rec3.len);
	tr_add(out, 1, t->seg[1].data + sh_end, t->seg[1].len - sh_end);
	for (size_t i = 2; i < t->nseg; i++)
		tr_add(out, t->dir[i], t->seg[i].data, t->seg[i].len);
	struct bytes *all[] = {&body, &msg, &rec, &body2, &msg2, &rec2, &body3, &msg3, &rec3};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		bytes_free(all[i]);
	tls_conv_free(&c);
}

#endif
