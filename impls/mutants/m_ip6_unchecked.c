/* A client that knows IPv4 literals only: an IPv6 server_hostname is
 * neither a name it can match nor an address, and it lets it pass unchecked
 * (breaks: RFC 9525 section 6.4: an IPv6 literal is matched against the
 * iPAddress entries). */
#include "ident.h"

const char mutant_name[] = "ip6-unchecked";

static int match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	if (ident_ip_parse(host, ip) == 16)
		return 1;
	return ident_rfc_match(host, c);
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
