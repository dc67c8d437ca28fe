/* Pretends to accept writes after shutdown (breaks: write after shutdown is
 * an error). */
#include "only.h"

const char mutant_name[] = "write-after-shutdown" MUTANT_SUFFIX;

static int m_shutdown(tlsh_buffer *b)
{
	*mw_flags(b) = mutant_applies(b);
	return base->shutdown(b);
}

static int m_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	if (*mw_flags(b)) {
		*n = len;
		return TLSH_OK;
	}
	return base->write(b, src, len, n);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->shutdown = m_shutdown;
	d->write = m_write;
}
