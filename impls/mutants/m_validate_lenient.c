/* validate_config accepts everything (breaks: invalid ranges and ALPN names
 * are a CONFIGURATION_ERROR). */
#include "wrap.h"

const char mutant_name[] = "validate-lenient";

static int m_validate(const struct tlsh_implementation *s, enum tlsh_role role,
                      const struct tlsh_config *cfg, struct tlsh_error *err)
{
	(void)s;
	(void)role;
	(void)cfg;
	(void)err;
	return TLSH_OK;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->validate_config = m_validate;
}
