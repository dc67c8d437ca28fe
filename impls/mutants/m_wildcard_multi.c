/* A client whose wildcard stands for one or more labels (breaks: RFC 9525
 * section 6.3: a wildcard matches exactly one label). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "wildcard-multi";

static int match(const char *host, const struct der_cert_ids *c)
{
	if (ident_rfc_match(host, c))
		return 1;
	size_t hlen = strlen(host);
	for (size_t i = 0; i < c->n_dns; i++) {
		const char *p = c->dns[i];
		size_t n = c->dns_len[i];
		/* "*.rest": any host ending in ".rest" with something before. */
		if (n > 2 && p[0] == '*' && p[1] == '.' && hlen > n - 1 &&
		    ident_label_eq_nocase(host + hlen - (n - 1), p + 1, n - 1))
			return 1;
	}
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
