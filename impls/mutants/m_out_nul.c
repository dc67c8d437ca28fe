/* process_outgoing NUL-terminates what it returns, one byte past the buffer
 * when the pending bytes fill it (breaks: process_outgoing writes at most
 * cap bytes). */
#include "wrap.h"

const char mutant_name[] = "out-nul";

static int m_out(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->process_outgoing(b, dst, cap, n);
	if (*n)
		dst[*n] = 0;
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_outgoing = m_out;
}
