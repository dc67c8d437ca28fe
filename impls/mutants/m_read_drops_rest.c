/* A reader that returns what fits and drops the rest of the record it
 * decrypted (breaks: plaintext that does not fit stays for the next read). */
#include <stdlib.h>

#include "wrap.h"

const char mutant_name[] = "read-drops-rest";

static int m_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->read(b, dst, cap, n);
	if (st == TLSH_OK && *n == cap && cap < 16384) {
		/* Whatever of this record did not fit is lost. */
		size_t more = 0;
		uint8_t *sink = malloc(16384);
		if (sink) {
			(void)base->read(b, sink, 16384 - cap, &more);
			free(sink);
		}
	}
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->read = m_read;
}
