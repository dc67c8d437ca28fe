/* Flips a bit in every 1000th plaintext byte position it is asked to write
 * (breaks: data integrity). */
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

const char mutant_name[] = "data-corrupt";

static int m_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	if (len == 0)
		return base->write(b, src, len, n);
	uint8_t *copy = malloc(len);
	if (!copy)
		return base->write(b, src, len, n);
	memcpy(copy, src, len);
	copy[len / 2] ^= 0x01;
	int st = base->write(b, copy, len, n);
	free(copy);
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->write = m_write;
}
