/* det_none.c - backends without an RNG hook usable without rebuilding the
 * library (NSS: its softoken keeps one process-wide DRBG, seeded once when
 * NSS is initialised and drawn from inside the softoken for key shares and
 * signature nonces, with no public way to rewind or replace it; only NSS's
 * own fuzzing build, UNSAFE_FUZZER_MODE, makes it resettable): only the
 * clock is fixed (det_clock.c). A crash that depends on random values (key
 * shares, randoms) may need several runs to reproduce. */
#define FZ_PLAIN_DESCRIBE "RNG: library default (not fixed); clock: time() fixed at 2030-01-01"
#define FZ_PLAIN_RNG_FIXED 0
#include "det_plain.c"
