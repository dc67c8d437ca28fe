/* libFuzzer target: the plaintext rewriter and the message layer must
 * survive any byte stream. The first byte picks a named mutation, the second
 * the rewritten direction and the push size; the rest is split in two at a
 * position chosen by the next two bytes: the rewritten direction's bytes
 * (pushed in chunks, a flush after each half) and the observed direction's.
 * Every structural boundary of the first hello found is enumerated too. */
#include <stddef.h>
#include <stdint.h>

#include "rewrite.h"
#include "tlsmsg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t nnamed = 0;
	while (rw_named_at(nnamed))
		nnamed++;
	const struct rw_mutation *m = rw_named_at(data[0] % nnamed);
	int dir = data[1] & 1;
	size_t step = 1 + (data[1] >> 1);
	const uint8_t *body = data + 4;
	size_t n = size - 4;
	size_t cut = ((size_t)data[2] << 8 | data[3]) % (n + 1);
	struct rewriter *rw = rw_new(m, dir);
	struct bytes out = {0};
	for (size_t off = 0; off < cut; off += step)
		rw_push(rw, body + off, cut - off < step ? cut - off : step, &out);
	rw_flush(rw, &out);
	rw_observe(rw, body + cut, n - cut);
	rw_push(rw, body, cut / 2, &out);
	rw_flush(rw, &out);
	(void)rw_applied(rw);
	for (size_t k = 0; k < rw_log_count(rw); k++)
		(void)rw_log_get(rw, k);
	rw_free(rw);
	/* The rewritten bytes parse (or not) without a crash. */
	struct tls_conv c;
	tls_conv_parse(&c, out.data, out.len, body + cut, n - cut);
	for (int d = 0; d < 2; d++) {
		const struct tls_dir *td = &c.d[d];
		for (size_t k = 0; k < td->n_msg; k++) {
			struct rw_boundary b[64];
			rw_boundaries(td->msg[k].type, tls_msg_body(td, k), td->msg[k].len, b, 64);
			(void)tls_dir_stream_off(td, td->msg[k].hs_off);
		}
	}
	tls_conv_free(&c);
	bytes_free(&out);
	return 0;
}
