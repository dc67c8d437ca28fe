/* libFuzzer target: the certificate reader (der.c) must survive any bytes:
 * read the names, describe them, and decode the input as PEM too. */
#include <stddef.h>
#include <stdint.h>

#include "der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der_cert_ids c;
	char text[512];
	uint8_t der[4096];
	(void)der_cert_ids(data, size, &c);
	(void)der_cert_describe(data, size, text, sizeof text);
	(void)der_cert_describe(data, size, text, 7);
	size_t n = der_from_pem((const char *)data, size, der, sizeof der);
	(void)der_cert_ids(der, n, &c);
	return 0;
}
