/* det_bearssl.c - determinism for BearSSL 0.6 without rebuilding it.
 *
 * Each engine (one per connection) has an HMAC-DRBG seeded when the engine
 * is reset, from the seeder br_prng_seeder_system() returns (RDRAND where
 * the CPU has it, else /dev/urandom); the library calls that function
 * through its PLT. It is defined here and returns a seeder that draws 32
 * bytes from the rewindable stream (fz_det_bytes), so every connection's
 * DRBG starts from the same state after fz_det_reset.
 * The definition is weak: a static instrumented BearSSL keeps its own, and
 * fuzz/build.sh links with -Wl,--wrap=br_prng_seeder_system, which sends
 * the library's references to __wrap_br_prng_seeder_system instead.
 * Clock: time() (det_clock.c). */
#include <bearssl.h>

#define FZ_OS_DESCRIBE                                                                             \
	"RNG: br_prng_seeder_system interposed (seeds from a rewindable stream), one thread "      \
	"per input; clock: time() fixed at 2030-01-01"
#include "det_os.c"

br_prng_seeder __wrap_br_prng_seeder_system(const char **name);

static int fz_seeder(const br_prng_class **ctx)
{
	uint8_t seed[32];
	fz_random_bytes(seed, sizeof seed);
	(*ctx)->update(ctx, seed, sizeof seed);
	return 1;
}

__attribute__((weak)) br_prng_seeder br_prng_seeder_system(const char **name)
{
	if (name != NULL)
		*name = "tlsh-fuzz";
	return fz_seeder;
}

br_prng_seeder __wrap_br_prng_seeder_system(const char **name)
{
	return br_prng_seeder_system(name);
}
