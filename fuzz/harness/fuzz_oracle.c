/* libFuzzer target: the wire oracle must survive any transcript. The input
 * is split in two at a position chosen by its first two bytes: client->server
 * and server->client bytes. */
#include <stddef.h>
#include <stdint.h>

#include "oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cut = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	const uint8_t *body = data + 2;
	size_t n = size - 2;
	if (cut > n)
		cut = n;
	struct wire w;
	oracle_parse(&w, body, cut, body + cut, n - cut);
	(void)oracle_downgrade_sentinel(&w);
	(void)oracle_first_alert(&w, 0);
	return 0;
}
