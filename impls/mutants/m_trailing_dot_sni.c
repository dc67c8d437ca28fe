/* A client that keeps the trailing dot of an absolute name in SNI (breaks:
 * RFC 6066 section 3: the HostName has no trailing dot); it matches the
 * name correctly. */
#include "ident.h"

const char mutant_name[] = "trailing-dot-sni";

static const char *as_given(const char *host, char *buf, size_t cap)
{
	(void)buf;
	(void)cap;
	return host;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_base_host = as_given;
	ident_install(d, ident_rfc_match);
}
