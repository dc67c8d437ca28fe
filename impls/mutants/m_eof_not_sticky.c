/* Reports the clean end once, then WANT_READ (breaks: CLOSED is sticky). */
#include "wrap.h"

const char mutant_name[] = "eof-not-sticky";

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int *seen = mw_flags(b);
	int st = base->read(b, dst, cap, n);
	if (st == TLSH_CLOSED && (*seen)++)
		return TLSH_WANT_READ;
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->read = m_read;
}
