/* A client whose name matcher compares case-sensitively (breaks: RFC 4343,
 * RFC 9525 section 6.3: DNS names compare case-insensitively). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "name-case";

static int label_eq_exact(const char *a, const char *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static int match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	if (ident_ip_parse(host, ip))
		return ident_ip_match(host, c);
	for (size_t i = 0; i < c->n_dns; i++)
		if (ident_dns_match(c->dns[i], c->dns_len[i], host, label_eq_exact))
			return 1;
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
