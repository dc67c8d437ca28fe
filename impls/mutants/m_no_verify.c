/* A client that does not verify the chain (breaks: RFC 5280 path validation:
 * unknown CA, expired, not yet valid, missing intermediate). */
#include "wrap.h"

const char mutant_name[] = "no-verify";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_CLIENT)
		c->insecure |= TLSH_INSECURE_NO_VERIFY;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
