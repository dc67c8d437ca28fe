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

#endif
