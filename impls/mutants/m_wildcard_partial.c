/* A client that honours a partial-label wildcard, "w*.example.com" naming
 * "www.example.com" (breaks: RFC 9525 section 6.3: the wildcard is only the
 * complete left-most label). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "wildcard-partial";

static int match(const char *host, const struct der_cert_ids *c)
{
	if (ident_rfc_match(host, c))
		return 1;
	const char *hdot = strchr(host, '.');
	for (size_t i = 0; hdot && i < c->n_dns; i++) {
		const char *p = c->dns[i], *star = memchr(p, '*', c->dns_len[i]);
		const char *pdot = memchr(p, '.', c->dns_len[i]);
		if (!star || !pdot || star > pdot)
			continue;
		size_t pre = (size_t)(star - p), post = (size_t)(pdot - star - 1);
		size_t hl = (size_t)(hdot - host), tail = c->dns_len[i] - (size_t)(pdot - p);
		if (hl >= pre + post && ident_label_eq_nocase(host, p, pre) &&
		    ident_label_eq_nocase(hdot - post, star + 1, post) && strlen(hdot) == tail &&
		    ident_label_eq_nocase(hdot, pdot, tail))
			return 1;
	}
	return 0;
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
