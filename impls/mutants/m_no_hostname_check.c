/* A client that skips the hostname check (breaks: RFC 6125 section 6 /
 * RFC 9525: the certificate must match server_hostname). */
#include "wrap.h"

const char mutant_name[] = "no-hostname-check";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_CLIENT)
		c->insecure |= TLSH_INSECURE_NO_HOSTNAME_CHECK;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
