/* After the transport EOF, read reports RAGGED_EOF at once although
 * plaintext is still pending (breaks: RAGGED_EOF comes after all plaintext
 * received before the EOF was returned). */
#include "only.h"

const char mutant_name[] = "eof-early" MUTANT_SUFFIX;

static int m_in_eof(tlsh_buffer *b)
{
	if (mutant_applies(b))
		*mw_flags(b) = 1;
	return base->process_incoming_eof(b);
}

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	if (*mw_flags(b)) {
		*n = 0;
		return TLSH_RAGGED_EOF;
	}
	return base->read(b, dst, cap, n);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_incoming_eof = m_in_eof;
	d->read = m_read;
}
