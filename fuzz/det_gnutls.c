/* det_gnutls.c - determinism for GnuTLS 3.7 without rebuilding it.
 *
 * GnuTLS's generators (lib/nettle/rnd.c: ChaCha-based, one state per
 * thread) are seeded from getrandom(2) through libc's getrandom() and
 * clock_gettime(CLOCK_REALTIME), both reached through the library's PLT and
 * interposed (det_os.c). Each input runs in a fresh thread, whose
 * generators are seeded from the rewound stream.
 * Clock: time() (det_clock.c), clock_gettime() for the library (det_os.c). */
#define FZ_OS_DESCRIBE                                                                             \
	"RNG: getrandom() interposed (a rewindable stream), one thread per input; clock: "         \
	"time(), clock_gettime() fixed at 2030-01-01"
#include "det_os.c"
