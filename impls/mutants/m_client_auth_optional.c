/* A server that never asks for a client certificate (breaks: a trust store
 * on a server config requires client authentication). */
#include "wrap.h"

const char mutant_name[] = "client-auth-optional";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_SERVER)
		c->trust_store = NULL;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
