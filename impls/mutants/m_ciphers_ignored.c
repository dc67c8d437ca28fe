/* Ignores the configured cipher list (breaks: config.ciphers). */
#include "only.h"

const char mutant_name[] = "ciphers-ignored" MUTANT_SUFFIX;

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (!mutant_applies_role(role))
		return;
	c->ciphers = NULL;
	c->ciphers_len = 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
