/* det_wolfssl.c - determinism for wolfSSL (Debian's 5.5 build) without
 * rebuilding it.
 *
 * Every random value wolfSSL uses (randoms, session ids, ECDHE and key
 * shares, ECDSA nonces, RSA padding and blinding, ticket IVs and keys) comes
 * from a Hash-DRBG (WC_RNG: one per WOLFSSL object, one per context for the
 * ticket keys) through wc_RNG_GenerateBlock(), which the shared library calls
 * through its PLT. It is defined here, drawing from the rewindable stream
 * (fz_det_bytes), so the state of those DRBGs no longer matters. Their seeds
 * (wc_GenerateSeed: /dev/urandom) come from the stream too (det_os.c).
 * The definition is weak: a static instrumented wolfSSL keeps its own, and
 * fuzz/build.sh links with -Wl,--wrap=wc_RNG_GenerateBlock, which sends the
 * library's references to __wrap_wc_RNG_GenerateBlock instead.
 * Inputs run on the main thread (FZ_OS_THREAD 0): with FP_ECC, as Debian
 * builds it, wolfSSL keeps per-thread ECC caches that leak when a thread
 * ends. Those caches build a point's precomputed table once the point has
 * been used twice, and the table-less path draws blinding values from the
 * RNG; with the stream rewound, every input makes the same ephemeral points
 * (its handshake up to the fuzzed flight), so the second input would take
 * the other path. The warm-up connection therefore runs three times from
 * the rewound stream (FZ_OS_WARMUPS): by the first input those points have
 * their tables. (Emptying the cache before every input, wc_ecc_fp_free(),
 * works too but makes stage-1 inputs 4-5 times slower.)
 * Clock: time() (det_clock.c), gettimeofday() (det_os.c; the millisecond
 * clock of TLS 1.3 tickets). */
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/random.h>

#define FZ_OS_DESCRIBE                                                                             \
	"RNG: wc_RNG_GenerateBlock, /dev/urandom reads interposed (a rewindable stream), "         \
	"clock: time(), gettimeofday() fixed at 2030-01-01"
#define FZ_OS_THREAD 0
#define FZ_OS_WARMUPS 3
#include "det_os.c"

int __wrap_wc_RNG_GenerateBlock(WC_RNG *rng, byte *out, word32 sz);

__attribute__((weak)) int wc_RNG_GenerateBlock(WC_RNG *rng, byte *out, word32 sz)
{
	(void)rng;
	fz_random_bytes(out, sz);
	return 0;
}

int __wrap_wc_RNG_GenerateBlock(WC_RNG *rng, byte *out, word32 sz)
{
	(void)rng;
	fz_random_bytes(out, sz);
	return 0;
}
