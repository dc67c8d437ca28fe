/* Ignores highest_supported_version (breaks: RFC 8446 section 4.2.1, the
 * configured version range). */
#include "wrap.h"

const char mutant_name[] = "ignore-highest";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	(void)role;
	if (c->highest_supported_version == TLSH_TLS_1_2)
		c->highest_supported_version = TLSH_VERSION_MAXIMUM_SUPPORTED;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
