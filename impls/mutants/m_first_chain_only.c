/* A server that keeps only its first chain (breaks: several chains chosen
 * by SNI). */
#include "wrap.h"

const char mutant_name[] = "first-chain-only";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	if (role == TLSH_ROLE_SERVER && c.certificate_chains_len > 1)
		c.certificate_chains_len = 1;
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
