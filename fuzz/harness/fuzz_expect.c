/* libFuzzer target: the expectations parser must refuse bad files with a
 * message, never crash, and match ids safely. */
#include <stddef.h>
#include <stdint.h>

#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expectations e;
	char err[512];
	if (expect_parse((const char *)data, size, "fuzz.json", &e, err, sizeof err) == 0) {
		(void)expect_match(&e, "handshake/default", TLSH_ROLE_CLIENT, "openssl");
		(void)expect_match(&e, "alpn/no-overlap/tls13", TLSH_ROLE_SERVER, "boringssl");
		expect_free(&e);
	}
	return 0;
}
