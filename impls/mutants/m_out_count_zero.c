/* outgoing_bytes_buffered always says 0 (breaks: it is what
 * process_outgoing would return now). */
#include "wrap.h"

const char mutant_name[] = "out-count-zero";

static size_t m_out_pending(tlsh_buffer *b)
{
	(void)b;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->outgoing_bytes_buffered = m_out_pending;
}
