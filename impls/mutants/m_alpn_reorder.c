/* A client that offers its ALPN list in reverse order (breaks: the wire list
 * equals the configured list, RFC 7301 section 3.1). */
#include "wrap.h"

const char mutant_name[] = "alpn-reorder";
const char mutant_base[] = "openssl";

static int m_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	struct tlsh_config c = *cfg;
	struct tlsh_bytes rev[64];
	if (role == TLSH_ROLE_CLIENT && c.inner_protocols_len > 1 && c.inner_protocols_len <= 64) {
		for (size_t i = 0; i < c.inner_protocols_len; i++)
			rev[i] = cfg->inner_protocols[c.inner_protocols_len - 1 - i];
		c.inner_protocols = rev;
	}
	return mw_context_new(role, &c, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->context_new = m_context_new;
}
