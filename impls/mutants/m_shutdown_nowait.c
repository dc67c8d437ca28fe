/* Shutdown claims completion as soon as close_notify is queued (breaks:
 * shutdown waits for the peer's close_notify). */
#include "only.h"

const char mutant_name[] = "shutdown-nowait" MUTANT_SUFFIX;

static int m_shutdown(tlsh_buffer *b)
{
	int st = base->shutdown(b);
	return st == TLSH_WANT_READ && mutant_applies(b) ? TLSH_OK : st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->shutdown = m_shutdown;
}
