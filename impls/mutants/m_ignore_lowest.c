/* Ignores lowest_supported_version (breaks: the configured version range). */
#include "wrap.h"

const char mutant_name[] = "ignore-lowest";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	(void)role;
	if (c->lowest_supported_version == TLSH_TLS_1_3)
		c->lowest_supported_version = TLSH_VERSION_MINIMUM_SUPPORTED;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
