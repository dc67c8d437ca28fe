/* A client that refuses a NULL server_hostname even with an insecure flag
 * (breaks: tlsh.h buffer_new: with NO_HOSTNAME_CHECK or NO_VERIFY, NULL
 * means no SNI and no name check). */
#include "ident.h"

const char mutant_name[] = "null-host-strict";

void mutant_patch(struct tlsh_implementation *d)
{
	ident_refuse_null = 2;
	ident_install(d, ident_rfc_match);
}
