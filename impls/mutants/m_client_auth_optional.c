/* A server that never asks for a client certificate (breaks: a trust store
 * on a server config requires client authentication). */
#include "wrap.h"

const char mutant_name[] = "client-auth-optional";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	if (role == TLSH_ROLE_SERVER)
		c.trust_store = NULL;
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
