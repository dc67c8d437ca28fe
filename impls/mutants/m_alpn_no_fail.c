/* A server that continues without ALPN: it drops its protocol list, so with
 * no overlap the handshake succeeds (breaks: RFC 7301 section 3.2). */
#include "wrap.h"

const char mutant_name[] = "alpn-no-fail";

static void adjust(enum tlsh_role role, struct tlsh_config *c)
{
	if (role == TLSH_ROLE_SERVER) {
		c->inner_protocols = NULL;
		c->inner_protocols_len = 0;
	}
}

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	mutant_config = adjust;
}
