/* det_botan.cpp - determinism for Botan 2.19 without rebuilding it (C++:
 * it calls Botan's CPUID class).
 *
 * The adapter makes one AutoSeeded_RNG per connection: an HMAC-DRBG seeded
 * from System_RNG, which reads /dev/urandom through libc's open()/read()
 * (interposed: det_os.c), so each connection's DRBG starts from the rewound
 * stream. Every draw also mixes in a timestamp: the CPU cycle counter
 * (RDTSC) and RDRAND output when the CPU has them, else clock_gettime() and
 * getpid(). RDRAND, RDSEED and RDTSC are cleared from Botan's CPUID state
 * (CPUID::clear_cpuid_bit: the state is one object shared by the library
 * and this executable), so the timestamps come from clock_gettime() and
 * getpid(), which are fixed on the input's thread (det_os.c; one thread per
 * input). Clock: time() (det_clock.c), clock_gettime() (det_os.c). */
#include <botan/cpuid.h>

#define FZ_OS_DESCRIBE                                                                             \
	"RNG: /dev/urandom reads interposed (a rewindable stream), RDRAND/RDSEED/RDTSC cleared "   \
	"from Botan's CPUID, one thread per input; clock: time(), clock_gettime(), getpid() fixed"
#define FZ_OS_INIT fz_botan_init

extern "C" {
#include "det_os.c"

static void fz_botan_init(void)
{
	Botan::CPUID::clear_cpuid_bit(Botan::CPUID::CPUID_RDRAND_BIT);
	Botan::CPUID::clear_cpuid_bit(Botan::CPUID::CPUID_RDSEED_BIT);
	Botan::CPUID::clear_cpuid_bit(Botan::CPUID::CPUID_RDTSC_BIT);
}
}
