/* A client that takes a NULL server_hostname without an insecure flag and
 * then checks no name (breaks: tlsh.h buffer_new, after PEP 748's
 * create_buffer(server_hostname: str): NULL is a CONFIGURATION_ERROR unless
 * NO_HOSTNAME_CHECK or NO_VERIFY is set). */
#include "ident.h"

const char mutant_name[] = "null-host-ok";

void mutant_patch(struct tlsh_implementation *d)
{
	ident_refuse_null = 0;
	ident_install(d, ident_rfc_match);
}
