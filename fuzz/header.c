/* header.c - the input header: how the fuzz bytes are delivered and which
 * buffer calls follow (see fuzz/README.md, "Input format"). */
#include <string.h>

#include "fuzz.h"

const uint8_t fz_default_header[FZ_HEADER_LEN] = {
        0x60, /* whole delivery, drive after it, 6 ops */
        0x00,
        0x00,
        0x00, /* chunk sizes (unused) */
        FZ_OP_HANDSHAKE | FZ_OP_EXCHANGE << 4,
        FZ_OP_READ | FZ_OP_WRITE_100 << 4,
        FZ_OP_SHUTDOWN | FZ_OP_QUERY << 4,
        0x00,
};

size_t fz_header_parse(const uint8_t *data, size_t len, struct fz_header *h)
{
	uint8_t b[FZ_HEADER_LEN] = {0};
	size_t used = len < FZ_HEADER_LEN ? len : FZ_HEADER_LEN;
	if (used > 0)
		memcpy(b, data, used);
	memset(h, 0, sizeof *h);
	h->chunking = (enum fz_chunking)(b[0] & 3);
	h->drive_each = !(b[0] & 4);
	h->eof_after = !!(b[0] & 8);
	h->nops = b[0] >> 4;
	if (h->nops > FZ_MAX_OPS)
		h->nops = FZ_MAX_OPS;
	for (int i = 0; i < 3; i++)
		h->size[i] = (size_t)b[1 + i] + 1;
	for (int i = 0; i < FZ_MAX_OPS; i++)
		h->ops[i] = (uint8_t)((b[4 + i / 2] >> (4 * (i % 2))) & 0xf);
	return used;
}

const char *fz_op_name(int op)
{
	static const char *const names[FZ_OP_COUNT] = {
	        "read",           "read-small", "write-1",  "write-100",
	        "write-big",      "shutdown",   "eof",      "handshake",
	        "drain",          "drain-1",    "query",    "incoming-empty",
	        "incoming-alert", "read-zero",  "exchange", "write-empty",
	};
	return op >= 0 && op < FZ_OP_COUNT ? names[op] : "?";
}
