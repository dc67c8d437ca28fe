/* A client that also matches an IP literal against dNSName entries of the
 * same text (breaks: RFC 9525 section 6.4: an IP-ID matches iPAddress
 * entries only). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "ip-as-dns";

static int match(const char *host, const struct der_cert_ids *c)
{
	if (ident_rfc_match(host, c))
		return 1;
	for (size_t i = 0; i < c->n_dns; i++)
		if (c->dns_len[i] == strlen(host) && !memcmp(c->dns[i], host, c->dns_len[i]))
			return 1;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
