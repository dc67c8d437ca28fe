/* A client whose host-name syntax check is too strict: a label holding a
 * digit is no valid name to it, so it never matches (breaks: RFC 1123
 * section 2.1 and RFC 9525 section 6.3: labels are letters, digits and
 * hyphens). */
#include <string.h>

#include "ident.h"

const char mutant_name[] = "name-no-digits";

static int match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	if (!ident_ip_parse(host, ip) && strpbrk(host, "0123456789"))
		return 0;
	return ident_rfc_match(host, c);
}

void mutant_patch(struct tlsh_implementation *d)
{
	ident_install(d, match);
}
