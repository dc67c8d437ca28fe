/* det_os.c - determinism by interposing the C library calls through which a
 * shared library gets its randomness and its time. Not compiled on its own:
 * det_<backend>.c (or .cpp: this file is also valid C++) includes it after
 * defining FZ_OS_DESCRIBE (fz_det_describe's value), and optionally
 * FZ_OS_THREAD 0 (for a library that must not run each input in a fresh
 * thread: see below), FZ_OS_RNG_FIXED (fz_det_rng_fixed's value, default
 * 1), FZ_OS_INIT and FZ_OS_RESET (functions called by fz_det_init and
 * fz_det_reset).
 *
 * The library's calls to these functions reach the executable's definitions
 * first (see the end of this comment). Defined here:
 *  - getrandom(), syscall(SYS_getrandom), getentropy(): bytes from the
 *    rewindable stream (fz_det_bytes);
 *  - open()/open64()/openat() of /dev/urandom or /dev/random return a real
 *    descriptor that is remembered; read() on it draws from the stream;
 *  - clock_gettime(), gettimeofday(): 2030-01-01 (FZ_FIXED_TIME) and getpid():
 *    a constant, but only on the thread running an input (and during
 *    start-up, when the contexts are made), so that libFuzzer's and AFL++'s
 *    own timing stays real. Each input runs in a fresh thread: its flag is
 *    set there, and libFuzzer's SIGALRM handler, which reads the clock,
 *    returns at once on any thread but the fuzzing one (the main thread,
 *    which waits for the input's thread with the real clock). A fresh thread
 *    also makes a library that keeps its RNG state per thread reseed from
 *    the rewound stream.
 * With FZ_OS_THREAD 0 (wolfSSL: its ECC caches are per thread and leak when
 * a thread ends) inputs run on the main thread, where libFuzzer's SIGALRM
 * handler reads clock_gettime(): then only gettimeofday() is fixed (with
 * getpid()), while the flag is set, and clock_gettime() stays real.
 * Each of these forwards everything else to the next definition (libc's).
 * This works whether the library is a shared distro library (its PLT binds
 * to the executable's definitions) or a static instrumented one (its
 * references resolve to these at link time).
 * Sanitizer runtimes intercept some of these functions with weak aliases;
 * the strong definitions here take over (as det_clock.c's time() does). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FZ_OS_THREAD
#define FZ_OS_THREAD 1
#endif
#ifndef FZ_OS_RNG_FIXED
#define FZ_OS_RNG_FIXED 1
#endif
#ifdef FZ_OS_INIT
static void FZ_OS_INIT(void);
#endif
#ifdef FZ_OS_RESET
static void FZ_OS_RESET(void);
#endif
/* How many times the first fz_det_run (the driver's warm-up connection)
 * runs, each from the rewound stream: a library whose process-wide caches
 * react to the values an input's handshake makes (wolfSSL) sees them once
 * more than any input will, and every input then finds them settled. */
#ifndef FZ_OS_WARMUPS
#define FZ_OS_WARMUPS 1
#endif

/* C++ spellings (det_botan.cpp): glibc declares some of these noexcept. */
#ifdef __cplusplus
#define FZ_NOTHROW noexcept
#define FZ_RESTRICT __restrict
#define FZ_THREAD_LOCAL thread_local
#else
#define FZ_NOTHROW
#define FZ_RESTRICT restrict
#define FZ_THREAD_LOCAL _Thread_local
#endif

#define FZ_MAX_FD 4096
static volatile unsigned char fz_rand_fd[FZ_MAX_FD];
/* Set on the thread running an input, and on the main thread from start-up
 * to the end of the warm-up: the clock is fixed there. */
static FZ_THREAD_LOCAL int fz_os_fixed;

static void *fz_next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		fprintf(stderr, "tlsh-fuzz: dlsym(%s): %s\n", name, dlerror());
		abort();
	}
	return f;
}

static void fz_random_bytes(void *buf, size_t n)
{
	fz_det_bytes((uint8_t *)buf, n);
}

/* ---- randomness ------------------------------------------------------------- */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	fz_random_bytes(buf, len);
	return (ssize_t)len;
}

int getentropy(void *buf, size_t len)
{
	if (len > 256) {
		errno = EIO;
		return -1;
	}
	fz_random_bytes(buf, len);
	return 0;
}

typedef long (*fz_syscall_fn)(long, ...);

/* Six arguments are read whatever the call passed (the kernel ignores
 * the ones a system call does not take); the sixth lies in the caller's
 * stack frame, which AddressSanitizer would flag as an underflow when the
 * caller is instrumented (a library built by fuzz/deps.sh). */
__attribute__((no_sanitize("address"))) long syscall(long number, ...) FZ_NOTHROW
{
	static fz_syscall_fn real;
	long a[6];
	va_list ap;
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_getrandom) {
		fz_random_bytes((void *)a[0], (size_t)a[1]);
		return a[1];
	}
	if (real == NULL)
		real = (fz_syscall_fn)fz_next("syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int fz_is_random_dev(const char *path)
{
	return path != NULL &&
	       (strcmp(path, "/dev/urandom") == 0 || strcmp(path, "/dev/random") == 0);
}

static int fz_track(int fd, const char *path)
{
	if (fd >= 0 && fd < FZ_MAX_FD)
		fz_rand_fd[fd] = (unsigned char)fz_is_random_dev(path);
	return fd;
}

typedef int (*fz_open_fn)(const char *, int, ...);
typedef int (*fz_openat_fn)(int, const char *, int, ...);

/* The mode argument, present only when FLAGS create a file. */
#define FZ_OPEN_MODE(flags, mode)                                                                  \
	do {                                                                                       \
		if ((flags) & (O_CREAT | O_TMPFILE)) {                                             \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			(mode) = va_arg(ap, mode_t);                                               \
			va_end(ap);                                                                \
		}                                                                                  \
	} while (0)

/* The next definition of NAME, looked up once into *REAL. */
static void *fz_next_once(void **real, const char *name)
{
	if (*real == NULL)
		*real = fz_next(name);
	return *real;
}

int open(const char *path, int flags, ...)
{
	static void *real;
	mode_t mode = 0;
	FZ_OPEN_MODE(flags, mode);
	return fz_track(((fz_open_fn)fz_next_once(&real, "open"))(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
	static void *real;
	mode_t mode = 0;
	FZ_OPEN_MODE(flags, mode);
	return fz_track(((fz_open_fn)fz_next_once(&real, "open64"))(path, flags, mode), path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static void *real;
	mode_t mode = 0;
	FZ_OPEN_MODE(flags, mode);
	return fz_track(((fz_openat_fn)fz_next_once(&real, "openat"))(dirfd, path, flags, mode),
	                path);
}

typedef ssize_t (*fz_read_fn)(int, void *, size_t);

ssize_t read(int fd, void *buf, size_t n)
{
	static fz_read_fn real;
	if (fd >= 0 && fd < FZ_MAX_FD && fz_rand_fd[fd]) {
		fz_random_bytes(buf, n);
		return (ssize_t)n;
	}
	if (real == NULL)
		real = (fz_read_fn)fz_next("read");
	return real(fd, buf, n);
}

typedef int (*fz_close_fn)(int);

int close(int fd)
{
	static fz_close_fn real;
	if (fd >= 0 && fd < FZ_MAX_FD)
		fz_rand_fd[fd] = 0;
	if (real == NULL)
		real = (fz_close_fn)fz_next("close");
	return real(fd);
}

/* ---- time and process id (on the input's thread) ------------------------------ */

typedef int (*fz_clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*fz_gettimeofday_fn)(struct timeval *FZ_RESTRICT, void *FZ_RESTRICT);
typedef pid_t (*fz_getpid_fn)(void);

int clock_gettime(clockid_t clk, struct timespec *ts) FZ_NOTHROW
{
	static fz_clock_gettime_fn real;
	if (FZ_OS_THREAD && fz_os_fixed) {
		ts->tv_sec = FZ_FIXED_TIME;
		ts->tv_nsec = 0;
		return 0;
	}
	if (real == NULL)
		real = (fz_clock_gettime_fn)fz_next("clock_gettime");
	return real(clk, ts);
}

int gettimeofday(struct timeval *FZ_RESTRICT tv, void *FZ_RESTRICT tz) FZ_NOTHROW
{
	static fz_gettimeofday_fn real;
	if (fz_os_fixed) {
		tv->tv_sec = FZ_FIXED_TIME;
		tv->tv_usec = 0;
		return 0;
	}
	if (real == NULL)
		real = (fz_gettimeofday_fn)fz_next("gettimeofday");
	return real(tv, tz);
}

pid_t getpid(void) FZ_NOTHROW
{
	static fz_getpid_fn real;
	if (fz_os_fixed)
		return 4242;
	if (real == NULL)
		real = (fz_getpid_fn)fz_next("getpid");
	return real();
}

/* ---- the fz_det interface ------------------------------------------------------- */

void fz_det_init(void)
{
#ifdef FZ_OS_INIT
	FZ_OS_INIT();
#endif
	fz_os_fixed = 1;
	fz_det_rewind();
}

void fz_det_reset(void)
{
#ifdef FZ_OS_RESET
	FZ_OS_RESET();
#endif
	fz_det_rewind();
}

struct fz_thread_arg {
	void (*fn)(void *);
	void *arg;
};

static void *fz_thread(void *p)
{
	struct fz_thread_arg *t = (struct fz_thread_arg *)p;
	fz_os_fixed = 1;
	t->fn(t->arg);
	return NULL;
}

void fz_det_run(void (*fn)(void *), void *arg)
{
	pthread_t th;
	if (!FZ_OS_THREAD) {
		static int calls;
		fz_os_fixed = 1;
		if (calls++ == 0)
			for (int i = 1; i < FZ_OS_WARMUPS; i++) {
				fz_det_rewind();
				fn(arg);
			}
		fz_det_rewind();
		fn(arg);
		fz_os_fixed = 0;
		return;
	}
	fz_os_fixed = 0; /* the main thread's clock is real from the warm-up on */
	struct fz_thread_arg t = {fn, arg};
	if (pthread_create(&th, NULL, fz_thread, &t) != 0) {
		fprintf(stderr, "tlsh-fuzz: pthread_create: %s\n", strerror(errno));
		abort();
	}
	pthread_join(th, NULL);
}

const char *fz_det_describe(void)
{
	return FZ_OS_DESCRIBE;
}

int fz_det_rng_fixed(void)
{
	return FZ_OS_RNG_FIXED;
}
