/* A trust store given as a path is silently dropped (breaks: tlsh_source
 * kind TLSH_SOURCE_PATH: a client verifies with it, a server requests and
 * verifies client certificates with it). */
#include "wrap.h"

const char mutant_name[] = "trust-path-ignored";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	(void)role;
	if (c->trust_store && c->trust_store->kind == TLSH_SOURCE_PATH)
		c->trust_store = NULL;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
