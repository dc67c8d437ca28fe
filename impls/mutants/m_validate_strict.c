/* validate_config refuses valid version ranges: the sentinels, "not given",
 * and a single-version range (breaks: valid configurations are accepted). */
#include "wrap.h"

const char mutant_name[] = "validate-strict";

static int concrete(enum tlsh_version v)
{
	return v == TLSH_TLS_1_2 || v == TLSH_TLS_1_3;
}

static int m_validate(const struct tlsh_implementation *s, enum tlsh_role role,
                      const struct tlsh_config *cfg, struct tlsh_error *err)
{
	(void)s;
	if (!concrete(cfg->lowest_supported_version) || !concrete(cfg->highest_supported_version) ||
	    cfg->lowest_supported_version == cfg->highest_supported_version) {
		err->status = TLSH_CONFIGURATION_ERROR;
		return TLSH_CONFIGURATION_ERROR;
	}
	return base->validate_config(base, role, cfg, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->validate_config = m_validate;
}
