/* Ignores the configured cipher list (breaks: config.ciphers). */
#include "wrap.h"

const char mutant_name[] = "ciphers-ignored";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	c.ciphers = NULL;
	c.ciphers_len = 0;
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
