/* Not a mutant: OpenSSL with the identity frame's RFC 9525 matcher, which
 * drops one trailing dot before SNI and refuses a NULL server_hostname
 * without an insecure flag (tlsh.h buffer_new). The conforming reference
 * the trailing-dot-sni and null-host-ok mutants are measured against: the
 * same frame, so that each differs from its base in that one rule. */
#include "ident.h"

const char mutant_name[] = "ident-ref";

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, ident_rfc_match);
}
