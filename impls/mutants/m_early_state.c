/* Claims TLS 1.3 and a cipher before any handshake (breaks: queries are
 * empty before the handshake). */
#include "wrap.h"

const char mutant_name[] = "early-state";

static enum tlsh_version m_version(tlsh_buffer *b)
{
	enum tlsh_version v = base->negotiated_tls_version(b);
	return v == TLSH_VERSION_NONE ? TLSH_TLS_1_3 : v;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->negotiated_tls_version = m_version;
}
