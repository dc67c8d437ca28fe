/* Ignores the configured cipher list (breaks: config.ciphers). */
#include "wrap.h"

const char mutant_name[] = "ciphers-ignored";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	(void)role;
	c->ciphers = NULL;
	c->ciphers_len = 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
