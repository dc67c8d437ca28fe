/* Unit tests of the configuration builder's additions for callers that
 * bring their own PKI bytes (the fuzz driver): pki_provide, cfg_replace,
 * cfg_trust_add, cfg_alpn_ref. */
#include "config.h"
#include "t.h"

static int same(struct tlsh_source s, const void *data, size_t len)
{
	return s.kind == TLSH_SOURCE_BUFFER && s.len == len && s.data == data;
}

int main(void)
{
	static const uint8_t fake_ca[] = "-----BEGIN CERTIFICATE-----\nfake\n";
	struct cfgb b;

	/* pki_provide: the bytes given, not the file's. */
	pki_provide("ecdsa-ca.pem", fake_ca, sizeof fake_ca - 1);
	const struct bytes *ca = pki_file("ecdsa-ca.pem");
	OK(ca->data == fake_ca && ca->len == sizeof fake_ca - 1,
	   "pki_provide: pki_file gives them");
	const struct bytes *rsa = pki_file("rsa-ca.pem");
	OK(rsa->len > 100 && !memcmp(rsa->data, "-----BEGIN", 10),
	   "a file not provided is still read from the PKI folder");

	/* cfg_trust_add: one file as cfg_trust, two concatenated. */
	cfg_init(&b);
	cfg_trust_add(&b, "ecdsa-ca.pem");
	OK(b.cfg.trust_store == &b.trust && same(b.trust, fake_ca, sizeof fake_ca - 1) &&
	           b.owned == NULL,
	   "cfg_trust_add once: the file itself, nothing allocated");
	cfg_trust_add(&b, "rsa-ca.pem");
	OK(b.trust.len == ca->len + rsa->len && b.trust.data == b.owned &&
	           !memcmp(b.trust.data, ca->data, ca->len) &&
	           !memcmp(b.trust.data + ca->len, rsa->data, rsa->len),
	   "cfg_trust_add twice: both files, in order, in the builder's storage");
	cfg_free(&b);
	OK(b.owned == NULL, "cfg_free releases it");

	/* cfg_replace: the replacement wherever the builder uses the file. */
	static const uint8_t leaf[] = {1, 2, 3}, key[] = {4, 5};
	cfg_init(&b);
	cfg_replace(&b, "ecdsa-server.pem", leaf, sizeof leaf);
	cfg_replace(&b, "ecdsa-ca.pem", key, sizeof key);
	cfg_chain(&b, "ecdsa", "server", 1);
	cfg_chain(&b, "rsa", "alt", 1);
	cfg_trust(&b, "ecdsa-ca.pem");
	OK(same(b.chains[0].leaf, leaf, sizeof leaf), "cfg_replace: the chain's leaf");
	OK(same(b.cfg.trust_store[0], key, sizeof key), "cfg_replace: the trust store");
	const struct bytes *ekey = pki_file("ecdsa-server.key"), *eint = pki_file("ecdsa-int.pem");
	OK(same(b.chains[0].key, ekey->data, ekey->len) &&
	           same(b.chains[0].chain[0], eint->data, eint->len),
	   "files not replaced stay the PKI's");
	const struct bytes *alt = pki_file("rsa-alt.pem");
	OK(same(b.chains[1].leaf, alt->data, alt->len), "the other chain is untouched");
	cfg_free(&b);

	/* cfg_alpn_ref points at the caller's bytes; cfg_alpn_raw copies. */
	static const uint8_t names[] = "h2http/1.1";
	cfg_init(&b);
	cfg_alpn_ref(&b, names, 2);
	cfg_alpn_raw(&b, names + 2, 8);
	OK(b.cfg.inner_protocols_len == 2 && b.cfg.inner_protocols[0].data == names &&
	           b.cfg.inner_protocols[0].len == 2,
	   "cfg_alpn_ref: the caller's bytes");
	OK(b.cfg.inner_protocols[1].data == b.alpn_store[1] &&
	           !memcmp(b.cfg.inner_protocols[1].data, "http/1.1", 8),
	   "cfg_alpn_raw: a copy");
	return t_done();
}
