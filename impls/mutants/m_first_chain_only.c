/* A server that keeps only its first chain (breaks: several chains chosen
 * by SNI). */
#include "wrap.h"

const char mutant_name[] = "first-chain-only";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_SERVER && c->certificate_chains_len > 1)
		c->certificate_chains_len = 1;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
