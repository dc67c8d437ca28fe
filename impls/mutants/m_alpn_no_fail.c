/* A server that continues without ALPN: it drops its protocol list, so with
 * no overlap the handshake succeeds (breaks: RFC 7301 section 3.2). */
#include "wrap.h"

const char mutant_name[] = "alpn-no-fail";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	if (role == TLSH_ROLE_SERVER) {
		c.inner_protocols = NULL;
		c.inner_protocols_len = 0;
	}
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
