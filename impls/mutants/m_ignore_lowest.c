/* Ignores lowest_supported_version (breaks: the configured version range). */
#include "wrap.h"

const char mutant_name[] = "ignore-lowest";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	if (c.lowest_supported_version == TLSH_TLS_1_3)
		c.lowest_supported_version = TLSH_VERSION_MINIMUM_SUPPORTED;
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
