/* libFuzzer target: the record protection (recprot.c) must survive any
 * input. The first byte chooses what is fuzzed:
 *   even: the rest is key-log text (parsed, then looked up);
 *   odd:  byte 1 picks a suite (and encrypt_then_mac), byte 2 a sequence
 *         number; the rest is a record to open, then content that is sealed
 *         with padding chosen by byte 3 and must open again to itself. */
#include <stdlib.h>
#include <string.h>

#include "recprot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_keylog(const uint8_t *p, size_t n)
{
	struct rp_keylog kl = {0};
	char err[200];
	if (rp_keylog_parse(&kl, (const char *)p, n, err, sizeof err) == RP_OK) {
		for (size_t i = 0; i < kl.n; i++)
			if (rp_keylog_find(&kl, kl.v[i].client_random, kl.v[i].label) == NULL)
				abort();
	} else if (kl.n != 0 || err[0] == '\0') {
		abort(); /* a refused text adds nothing and says why */
	}
	rp_keylog_free(&kl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		fuzz_keylog(data + 1, size - 1);
		return 0;
	}
	if (size < 4)
		return 0;
	const struct rp_suite *s = rp_suite_at(data[1] % rp_suite_count());
	int etm = data[1] >> 7;
	uint8_t secret[48], cr[32], sr[32];
	memset(secret, 0x5a, sizeof secret);
	memset(cr, 1, sizeof cr);
	memset(sr, 2, sizeof sr);
	struct rp_dir w, r, peer;
	if (s->version == RP_TLS13) {
		if (rp13_init(&w, s->id, secret, rp_hash_len(s->prf_hash), RP_EPOCH_APPLICATION))
			abort();
	} else if (rp12_init(&w, &peer, s->id, secret, 48, cr, sr, etm)) {
		abort();
	}
	w.seq = data[2];
	r = w;
	const uint8_t *p = data + 4;
	size_t n = size - 4;

	/* Open the input as a record (header first): must not succeed by
	 * chance, must not read past it, must not move the sequence on a
	 * failure. */
	struct bytes got = {0}, out = {0};
	size_t rl = rp_record_len(p, n);
	if (rl) {
		struct rp_dir d = w;
		int st = rp_open(&d, p, rl, &got, NULL);
		if (st == RP_OK || (st != RP_E_NO_TYPE && d.seq != w.seq))
			abort();
	}

	/* Seal the input as content and open it again. */
	struct rp_seal_opts o;
	rp_seal_opts_default(&o);
	if (s->version == RP_TLS13)
		o.padding = data[3];
	uint8_t type = (uint8_t)(20 + data[3] % 5);
	int st = rp_seal(&w, type, p, n, &o, &out);
	if (st == RP_OK) {
		struct rp_opened info;
		if (rp_open(&r, out.data, out.len, &got, &info) != RP_OK || info.type != type ||
		    got.len != n || (n && memcmp(got.data, p, n) != 0) || r.seq != w.seq)
			abort();
	} else if (st != RP_E_TOO_LONG) {
		abort();
	}
	bytes_free(&got);
	bytes_free(&out);
	return 0;
}
