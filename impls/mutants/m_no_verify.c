/* A client that does not verify the chain (breaks: RFC 5280 path validation:
 * unknown CA, expired, not yet valid, missing intermediate). */
#include "wrap.h"

const char mutant_name[] = "no-verify";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	if (role == TLSH_ROLE_CLIENT)
		c.insecure |= TLSH_INSECURE_NO_VERIFY;
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
