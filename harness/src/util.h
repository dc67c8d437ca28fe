/* util.h - small helpers shared by the harness core: growable byte buffers,
 * a seeded PRNG, file loading, atomic file replacement. */
#ifndef TLSH_UTIL_H
#define TLSH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte string. Zero-initialised is empty. */
struct bytes {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void bytes_append(struct bytes *b, const void *data, size_t len);
void bytes_reset(struct bytes *b);
void bytes_free(struct bytes *b);

/* Allocation that aborts with a message on failure: the harness cannot do
 * anything useful out of memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf that never overflows and always terminates; returns dst. */
char *fmt_into(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Deterministic PRNG (splitmix64). */
struct rng {
	uint64_t state;
};
uint64_t rng_next(struct rng *r);
/* Uniform in [lo, hi]. */
size_t rng_range(struct rng *r, size_t lo, size_t hi);

/* Reads a whole file. Returns 0 and fills *out, or -1 with errno set. */
int read_file(const char *path, struct bytes *out);

/* Writes `len` bytes to `path` atomically: a temporary file in the same
 * folder, fsync, rename. Returns 0 or -1 with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len);

/* mkdir -p. Returns 0 or -1 with errno set. */
int mkdir_p(const char *path);

/* Monotonic clock in milliseconds. */
double now_ms(void);

#endif
