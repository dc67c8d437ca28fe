/* A client that keeps the trailing dot of an absolute name in SNI (breaks:
 * RFC 6066 section 3: the HostName has no trailing dot); it matches the
 * name correctly. The base (OpenSSL's adapter, tlsh_client_name) drops one
 * trailing dot itself, so an absolute name reaches it with a second one:
 * the first survives into SNI. */
#include <stdio.h>
#include <string.h>

#include "ident.h"

const char mutant_name[] = "trailing-dot-sni";

static const char *dot_kept(const char *host, char *buf, size_t cap)
{
	size_t n = strlen(host);
	if (n < 2 || host[n - 1] != '.' || n + 2 > cap)
		return host;
	snprintf(buf, cap, "%s.", host);
	return buf;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_base_host = dot_kept;
	ident_install(d, ident_rfc_match);
}
