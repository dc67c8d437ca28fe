/* A client blind to the TLS 1.3 downgrade sentinel: it alters the sentinel in
 * the ServerHello.random it receives, so the base never sees it (breaks:
 * RFC 8446 section 4.1.3, a TLS 1.3 client receiving the sentinel in a TLS 1.2
 * ServerHello must abort with illegal_parameter). */
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

const char mutant_name[] = "downgrade-blind";

static int m_in(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	static const uint8_t sentinel[7] = {'D', 'O', 'W', 'N', 'G', 'R', 'D'};
	if (mw_buffer_role(b) != TLSH_ROLE_CLIENT || len < 8)
		return base->process_incoming(b, data, len);
	uint8_t *copy = malloc(len);
	if (!copy)
		return base->process_incoming(b, data, len);
	memcpy(copy, data, len);
	for (size_t i = 0; i + 8 <= len; i++)
		if (!memcmp(copy + i, sentinel, 7) && copy[i + 7] <= 1)
			copy[i] = 'd';
	int st = base->process_incoming(b, copy, len);
	free(copy);
	return st;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_incoming = m_in;
}
