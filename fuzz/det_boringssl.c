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
 * Clock: time() (det_clock.c), and gettimeofday() (which libssl uses for
 * session times and ticket ages) and clock_gettime() on the input's thread
 * (det_os.c, which also fixes getpid() there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FZ_IA32CAP "~0x4000000000000000"

static int fz_rdrand_off;

static void fz_boringssl_init(void)
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
}

#define FZ_OS_INIT fz_boringssl_init
#define FZ_OS_RNG_FIXED fz_rdrand_off
#define FZ_OS_DESCRIBE                                                                             \
	(fz_rdrand_off ? "RNG: getrandom via interposed syscall(), RDRAND off "                    \
	                 "(OPENSSL_ia32cap), one thread per input; clock: time(), "                \
	                 "gettimeofday() and clock_gettime() fixed at 2030-01-01"                  \
	               : "RNG: NOT deterministic (OPENSSL_ia32cap=" FZ_IA32CAP                     \
	                 " missing at start: RDRAND is mixed in); clock fixed")
#include "det_os.c"
