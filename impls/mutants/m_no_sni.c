/* A client that sends no SNI and so checks no hostname (breaks: RFC 6066
 * section 3, SNI equals server_hostname). */
#include "wrap.h"

const char mutant_name[] = "no-sni";

static int m_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out,
                        struct tlsh_error *err)
{
	(void)host;
	return mw_buffer_new(ctx, NULL, out, err);
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->buffer_new = m_buffer_new;
}
