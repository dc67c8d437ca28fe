/* det_mbedtls.c - determinism for mbed TLS 2.28 without rebuilding it.
 *
 * mbed TLS draws every random value of a connection (randoms, session ids,
 * ECDHE keys, RSA padding and blinding, ECP blinding; ECDSA nonces are
 * deterministic, RFC 6979, with blinding from the same RNG) through the
 * f_rng callback of its configuration. The adapter (impls/mbedtls) installs
 * mbedtls_ctr_drbg_random over a CTR-DRBG per context; the target is linked
 * with -Wl,--wrap=mbedtls_ctr_drbg_random (fuzz/build.sh), so the adapter's
 * reference lands here instead and draws from the rewindable stream
 * (fz_det_bytes). The DRBG is still seeded from the system, but never used.
 * With a static instrumented library the wrap also catches the library's
 * own references, which only pass f_rng callbacks along.
 * Clock: time() (det_clock.c), which mbedtls_time() is. */
#include <stddef.h>

#include "fuzz.h"

int __wrap_mbedtls_ctr_drbg_random(void *p_rng, unsigned char *output, size_t output_len);

int __wrap_mbedtls_ctr_drbg_random(void *p_rng, unsigned char *output, size_t output_len)
{
	(void)p_rng;
	fz_det_bytes(output, output_len);
	return 0;
}

#define FZ_PLAIN_DESCRIBE                                                                          \
	"RNG: the adapter's mbedtls_ctr_drbg_random wrapped (-Wl,--wrap) to a rewindable "         \
	"stream; clock: time() fixed at 2030-01-01"
#define FZ_PLAIN_RNG_FIXED 1
#include "det_plain.c"
