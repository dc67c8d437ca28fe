/* Declares EXPORT_SECRETS (the base's capabilities are kept) but never
 * calls the receiver back (breaks: every secret is handed over,
 * harness/tests/secrets_check.c). Not in mutants.json: no scenario
 * exercises secrets; secrets_check proves it is caught. */
#include "wrap.h"

const char mutant_name[] = "secret-silent";

static int m_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	(void)b;
	(void)cb;
	(void)arg;
	return TLSH_OK;
}

void mutant_patch(struct tlsh_implementation *d)
{
	d->set_secret_callback = m_set_secret_callback;
}
