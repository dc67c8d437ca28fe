/* Mutants that change what OpenSSL's chain verification checks by
 * replacing its named verification parameters ("ssl_server" for a client
 * verifying a server, "ssl_client" for a server verifying a client) for
 * the whole process, as an adapter that configures its store carelessly
 * would. Built three times (-DVERIFY_KIND):
 *  1 eku-server-skipped: a client accepts a server leaf without serverAuth
 *    (breaks: RFC 5280 section 4.2.1.12);
 *  2 eku-client-skipped: a server accepts a client leaf without clientAuth
 *    (the same rule, server side);
 *  3 client-time-unchecked: a server accepts an expired or not yet valid
 *    client certificate (breaks: RFC 5280 section 4.1.2.5; RFC 8446 6.2). */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "wrap.h"

#if VERIFY_KIND == 1
const char mutant_name[] = "eku-server-skipped";
#define TABLE_NAME "ssl_server"
#elif VERIFY_KIND == 2
const char mutant_name[] = "eku-client-skipped";
#define TABLE_NAME "ssl_client"
#else
const char mutant_name[] = "client-time-unchecked";
#define TABLE_NAME "ssl_client"
#endif

void mutant_patch(struct tlsh_implementation *d)
{
	(void)d;
	X509_VERIFY_PARAM *p = X509_VERIFY_PARAM_new();
	if (!p || !X509_VERIFY_PARAM_set1_name(p, TABLE_NAME))
		return;
#if VERIFY_KIND == 3
	/* The purpose and trust of the built-in entry, without the time. */
	X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_SSL_CLIENT);
	X509_VERIFY_PARAM_set_trust(p, X509_TRUST_SSL_CLIENT);
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_NO_CHECK_TIME);
#else
	/* Any purpose: the extendedKeyUsage is not looked at. */
	X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_trust(p, X509_TRUST_DEFAULT);
#endif
	X509_VERIFY_PARAM_add0_table(p);
}
