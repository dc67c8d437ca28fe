/* A client that sends an IP literal as SNI (breaks: RFC 6066 section 3:
 * "Literal IPv4 and IPv6 addresses are not permitted in HostName"). The
 * base is given the address with a dot appended, which it takes for a
 * name, so its SNI carries the address; the frame matches the address. */
#include <stdio.h>

#include "ident.h"

const char mutant_name[] = "ip-sni";

static const char *(*frame_host)(const char *host, char *buf, size_t cap);

static const char *as_name(const char *host, char *buf, size_t cap)
{
	unsigned char ip[16];
	if (!ident_ip_parse(host, ip))
		return frame_host(host, buf, cap);
	snprintf(buf, cap, "%s.", host);
	return buf;
}

void mutant_patch(struct tlsh_implementation *d)
{
	frame_host = ident_base_host;
	ident_base_host = as_name;
	ident_install(d, ident_rfc_match);
}
