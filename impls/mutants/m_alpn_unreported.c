/* Never reports the negotiated protocol (breaks: negotiated_protocol). */
#include "wrap.h"

const char mutant_name[] = "alpn-unreported";

static int m_alpn(tlsh_buffer *b, const uint8_t **p, size_t *len)
{
	(void)b;
	*p = NULL;
	*len = 0;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->negotiated_protocol = m_alpn;
}
