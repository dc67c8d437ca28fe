/* det_plain.c - the fz_det interface (fuzz.h) for a backend whose RNG hook
 * needs no per-input thread and no interposed C library: inputs run on the
 * calling thread, and a reset rewinds the stream. Not compiled on its own:
 * det_<backend>.c includes it after defining FZ_PLAIN_DESCRIBE (the
 * fz_det_describe string) and FZ_PLAIN_RNG_FIXED (1 when the backend's RNG
 * draws from the stream), and optionally FZ_PLAIN_INIT and FZ_PLAIN_RESET
 * (functions called by fz_det_init and fz_det_reset after the rewind). */
#include "fuzz.h"

#ifdef FZ_PLAIN_INIT
static void FZ_PLAIN_INIT(void);
#endif
#ifdef FZ_PLAIN_RESET
static void FZ_PLAIN_RESET(void);
#endif

void fz_det_init(void)
{
	fz_det_rewind();
#ifdef FZ_PLAIN_INIT
	FZ_PLAIN_INIT();
#endif
}

void fz_det_reset(void)
{
	fz_det_rewind();
#ifdef FZ_PLAIN_RESET
	FZ_PLAIN_RESET();
#endif
}

void fz_det_run(void (*fn)(void *), void *arg)
{
	fn(arg);
}

const char *fz_det_describe(void)
{
	return FZ_PLAIN_DESCRIBE;
}

int fz_det_rng_fixed(void)
{
	return FZ_PLAIN_RNG_FIXED;
}
