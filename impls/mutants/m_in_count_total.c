/* incoming_bytes_buffered counts every byte ever given, processed or not
 * (breaks: it is what was received and not yet processed). */
#include "wrap.h"

const char mutant_name[] = "in-count-total";

static int m_in(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	int st = base->process_incoming(b, data, len);
	if (st == TLSH_OK)
		*mw_flags(b) += (int)len;
	return st;
}

static size_t m_in_pending(tlsh_buffer *b)
{
	size_t real = base->incoming_bytes_buffered(b);
	size_t total = (size_t)*mw_flags(b);
	return total > real ? total : real;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_incoming = m_in;
	d->incoming_bytes_buffered = m_in_pending;
}
