/* det_clock.c - the fixed clock, linked into every target: time() always
 * answers FZ_FIXED_TIME. Defined in the executable, it takes precedence over
 * libc's for the library linked in statically and for a shared library alike
 * (the dynamic linker binds the library's time@GLIBC reference to the
 * executable's definition). libFuzzer and AFL++ measure time with
 * clock_gettime, which stays real. */
#include <time.h>

#include "fuzz.h"

time_t time(time_t *t)
{
	time_t now = (time_t)FZ_FIXED_TIME;
	if (t != NULL)
		*t = now;
	return now;
}

/* splitmix64 over a counter: the stream every deterministic RNG hook uses. */
static uint64_t fz_det_counter;

void fz_det_rewind(void)
{
	fz_det_counter = 0x746c7368667a7a31ull; /* "tlshfzz1" */
}

void fz_det_bytes(uint8_t *out, size_t n)
{
	while (n > 0) {
		uint64_t z = (fz_det_counter += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (int i = 0; i < 8 && n > 0; i++, n--)
			*out++ = (uint8_t)(z >> (8 * i));
	}
}
