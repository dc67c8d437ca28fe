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

/* Canary bytes after an exact-size buffer handed to an adapter (read,
 * process_outgoing): CANARY_LEN bytes of a fixed pattern follow the `cap`
 * bytes the adapter may write, and are checked after the call, in process
 * (endpoint.c) and in the endpoint host (remote.c). A buffer with canary is
 * malloc'd to exactly cap + CANARY_LEN bytes, so that ASan also sees a write
 * beyond the canary. */
#define CANARY_LEN 16
/* malloc(cap + CANARY_LEN) with the canary written after `cap` bytes. */
uint8_t *canary_alloc(size_t cap);
/* Index (0 .. CANARY_LEN-1) of the first canary byte after `cap` that
 * changed, or -1 when all are intact. */
int canary_trampled(const uint8_t *buf, size_t cap);

/* Monotonic clock in milliseconds. */
double now_ms(void);

#endif
