/* A client that never matches a wildcard dNSName (breaks: RFC 9525 section
 * 6.3: "*" as the complete left-most label stands for one label). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "wildcard-none";

static int match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	if (ident_ip_parse(host, ip))
		return ident_ip_match(host, c);
	for (size_t i = 0; i < c->n_dns; i++)
		if (!memchr(c->dns[i], '*', c->dns_len[i]) &&
		    ident_dns_match(c->dns[i], c->dns_len[i], host, ident_label_eq_nocase))
			return 1;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
