/* A client whose wildcard also matches the parent domain, "*.example.com"
 * naming "example.com" (breaks: RFC 9525 section 6.3: the wildcard stands
 * for one label, which cannot be empty). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "wildcard-parent";

static int match(const char *host, const struct der_cert_ids *c)
{
	if (ident_rfc_match(host, c))
		return 1;
	size_t hlen = strlen(host);
	for (size_t i = 0; i < c->n_dns; i++) {
		const char *p = c->dns[i];
		size_t n = c->dns_len[i];
		if (n > 2 && p[0] == '*' && p[1] == '.' && hlen == n - 2 &&
		    ident_label_eq_nocase(host, p + 2, n - 2))
			return 1;
	}
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
