/* Reports a wrong cipher id (breaks: cipher() is the IANA id negotiated). */
#include "wrap.h"

const char mutant_name[] = "cipher-wrong";

static uint16_t m_cipher(tlsh_buffer *b)
{
	uint16_t c = base->cipher(b);
	return c ? (uint16_t)(c ^ 1) : 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->cipher = m_cipher;
}
