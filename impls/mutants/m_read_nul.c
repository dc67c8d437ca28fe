/* A reader that NUL-terminates what it returns, one byte past the buffer
 * when the plaintext fills it (breaks: read writes at most cap bytes). */
#include "wrap.h"

const char mutant_name[] = "read-nul";

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->read(b, dst, cap, n);
	if (st == TLSH_OK)
		dst[*n] = 0;
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->read = m_read;
}
