/* A client that offers its ALPN list in reverse order (breaks: the wire list
 * equals the configured list, RFC 7301 section 3.1). */
#include "wrap.h"

const char mutant_name[] = "alpn-reorder";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	static _Thread_local struct tlsh_bytes rev[64];
	size_t n = c->inner_protocols_len;
	if (role != TLSH_ROLE_CLIENT || n < 2 || n > 64)
		return;
	for (size_t i = 0; i < n; i++)
		rev[i] = c->inner_protocols[n - 1 - i];
	c->inner_protocols = rev;
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
