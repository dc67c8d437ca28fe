/* Never returns the peer certificate (breaks: getpeercert). */
#include "wrap.h"

const char mutant_name[] = "peercert-missing";

static int m_peercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	(void)b;
	*der = NULL;
	*len = 0;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->getpeercert = m_peercert;
}
