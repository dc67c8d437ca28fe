/* Reports a clean end instead of RaggedEOF (breaks: descriptor transport EOF,
 * RFC 8446 section 6.1: a missing close_notify is a truncation). */
#include "only.h"

const char mutant_name[] = "eof-clean" MUTANT_SUFFIX;

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->read(b, dst, cap, n);
	return st == TLSH_RAGGED_EOF && mutant_applies(b) ? TLSH_CLOSED : st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->read = m_read;
}
