/* Reports the clean end once, then WANT_READ (breaks: CLOSED is sticky). */
#include "only.h"

const char mutant_name[] = "eof-not-sticky" MUTANT_SUFFIX;

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int *seen = mw_flags(b);
	int st = base->read(b, dst, cap, n);
	if (st == TLSH_CLOSED && mutant_applies(b) && (*seen)++)
		return TLSH_WANT_READ;
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->read = m_read;
}
