/* Reports TLS 1.2 when 1.3 was negotiated and the reverse (breaks:
 * negotiated_tls_version). */
#include "wrap.h"

const char mutant_name[] = "version-misreport";

static enum tlsh_version m_version(tlsh_buffer *b)
{
	enum tlsh_version v = base->negotiated_tls_version(b);
	return v == TLSH_TLS_1_3 ? TLSH_TLS_1_2 : v == TLSH_TLS_1_2 ? TLSH_TLS_1_3 : v;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->negotiated_tls_version = m_version;
}
