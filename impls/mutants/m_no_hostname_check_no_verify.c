/* A client that implements NO_HOSTNAME_CHECK by turning verification off
 * altogether (breaks: tlsh.h: with NO_HOSTNAME_CHECK the chain is still
 * verified; an unknown CA or an expired certificate is still rejected). */
#include "wrap.h"

const char mutant_name[] = "no-hostname-check-no-verify";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_CLIENT && (c->insecure & TLSH_INSECURE_NO_HOSTNAME_CHECK))
		c->insecure |= TLSH_INSECURE_NO_VERIFY;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
