/* det_boringssl.c - determinism for BoringSSL (Debian's Android build)
 * without rebuilding it.
 *
 * BoringSSL keeps one CTR-DRBG per thread, seeded from getrandom(2), which
 * this build calls through libc's syscall(); on x86 it also mixes RDRAND
 * output into every draw. So:
 *  - syscall() is interposed: SYS_getrandom draws from fz_det_bytes, every
 *    other call goes to libc's;
 *  - RDRAND is turned off with OPENSSL_ia32cap=~0x4000000000000000 (bit 30
 *    of the second word), which BoringSSL reads in a constructor when it is
 *    loaded: the variable must be in the environment when the process
 *    starts. fz_det_init re-executes the target with it when it is missing
 *    (not under AFL++, whose recipes set it);
 *  - each input runs in a fresh thread, whose DRBG is seeded from the
 *    rewound stream (the fork-detection page makes BoringSSL skip the OS
 *    additional input once RDRAND is off).
 * Clock: time() (det_clock.c) and gettimeofday(), which libssl uses for
 * session times and ticket ages. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"

#define FZ_IA32CAP "~0x4000000000000000"

typedef long (*fz_syscall_fn)(long, ...);

/* Six arguments are read whatever the call passed (the kernel ignores
 * the ones a system call does not take); the sixth lies in the caller's
 * stack frame, which AddressSanitizer would flag as an underflow when the
 * caller is instrumented (a library built by fuzz/deps.sh). */
__attribute__((no_sanitize("address"))) long syscall(long number, ...)
{
	static fz_syscall_fn real;
	long a[6];
	va_list ap;
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_getrandom) {
		fz_det_bytes((uint8_t *)a[0], (size_t)a[1]);
		return a[1];
	}
	if (real == NULL)
		real = (fz_syscall_fn)dlsym(RTLD_NEXT, "syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	tv->tv_sec = FZ_FIXED_TIME;
	tv->tv_usec = 0;
	return 0;
}

static int fz_rdrand_off;

void fz_det_init(void)
{
	const char *cap = getenv("OPENSSL_ia32cap");
	fz_rdrand_off = cap != NULL && strcmp(cap, FZ_IA32CAP) == 0;
	if (!fz_rdrand_off && getenv("__AFL_SHM_ID") == NULL &&
	    getenv("TLSH_FUZZ_NO_REEXEC") == NULL) {
		/* Re-execute with RDRAND off; the marker stops a loop. */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		FILE *f = fopen("/proc/self/cmdline", "rb");
		if (n > 0 && f != NULL) {
			self[n] = '\0';
			static char args[1 << 16];
			size_t len = fread(args, 1, sizeof args - 1, f);
			fclose(f);
			char *argv[512];
			int argc = 0;
			for (size_t off = 0; off < len && argc < 511; off += strlen(args + off) + 1)
				argv[argc++] = args + off;
			argv[argc] = NULL;
			setenv("OPENSSL_ia32cap", FZ_IA32CAP, 1);
			setenv("TLSH_FUZZ_NO_REEXEC", "1", 1);
			execv(self, argv);
		}
		fprintf(stderr,
		        "tlsh-fuzz: could not re-execute with OPENSSL_ia32cap=%s; "
		        "the RNG is not deterministic\n",
		        FZ_IA32CAP);
	}
	fz_det_rewind();
}

void fz_det_reset(void)
{
	fz_det_rewind();
}

struct fz_thread_arg {
	void (*fn)(void *);
	void *arg;
};

static void *fz_thread(void *p)
{
	struct fz_thread_arg *t = p;
	t->fn(t->arg);
	return NULL;
}

void fz_det_run(void (*fn)(void *), void *arg)
{
	pthread_t th;
	struct fz_thread_arg t = {fn, arg};
	if (pthread_create(&th, NULL, fz_thread, &t) != 0) {
		fprintf(stderr, "tlsh-fuzz: pthread_create: %s\n", strerror(errno));
		abort();
	}
	pthread_join(th, NULL);
}

const char *fz_det_describe(void)
{
	return fz_rdrand_off ? "RNG: getrandom via interposed syscall(), RDRAND off "
	                       "(OPENSSL_ia32cap), one thread per input; clock: time() and "
	                       "gettimeofday() fixed at 2030-01-01"
	                     : "RNG: NOT deterministic (OPENSSL_ia32cap=" FZ_IA32CAP
	                       " missing at start: RDRAND is mixed in); clock fixed";
}

int fz_det_rng_fixed(void)
{
	return fz_rdrand_off;
}
