/* Ignores the transport EOF (breaks: process_incoming_eof; a reader then
 * waits forever instead of reporting RaggedEOF or a failed handshake). */
#include "wrap.h"

const char mutant_name[] = "eof-ignored";

static int m_eof(tlsh_buffer *b)
{
	(void)b;
	return TLSH_OK;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->process_incoming_eof = m_eof;
}
