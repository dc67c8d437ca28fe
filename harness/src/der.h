/* der.h - a small, bounds-checked reader for the parts of an X.509
 * certificate (RFC 5280 section 4.1) that identity checks are about: the
 * subject's commonName, the subjectAltName dNSName and iPAddress entries
 * (section 4.2.1.6) and the extendedKeyUsage purposes serverAuth and
 * clientAuth (section 4.2.1.12).
 *
 * The harness names the certificate a server actually sent when an identity
 * row fails (from the TLS 1.2 Certificate message or getpeercert), and the
 * identity mutants match names against it. The input is never trusted: any
 * byte string gives a result or -1, never a read outside it (fuzz target
 * fuzz/harness/fuzz_der.c). No dependency beyond libc, so a mutant can
 * compile it in. */
#ifndef TLSH_DER_H
#define TLSH_DER_H

#include <stddef.h>
#include <stdint.h>

#define DER_MAX_NAMES 8
#define DER_MAX_TEXT 128

struct der_cert_ids {
	/* The subject's first commonName ("" when there is none). Names longer
	 * than DER_MAX_TEXT - 1 bytes are cut and flagged in `cut`. Text is
	 * kept as bytes (a NUL inside stays, see *_len). */
	char cn[DER_MAX_TEXT];
	size_t cn_len;
	/* subjectAltName: whether the extension is present, its dNSName and
	 * iPAddress entries (the first DER_MAX_NAMES of each), and how many
	 * there were in all. */
	int has_san;
	size_t n_dns, n_ip, total_dns, total_ip;
	char dns[DER_MAX_NAMES][DER_MAX_TEXT];
	size_t dns_len[DER_MAX_NAMES];
	uint8_t ip[DER_MAX_NAMES][16];
	size_t ip_len[DER_MAX_NAMES];
	/* extendedKeyUsage: present, and which of the two TLS purposes (or
	 * anyExtendedKeyUsage) it lists. */
	int has_eku, eku_server, eku_client, eku_any;
	int cut;
};

/* Reads a DER certificate. Returns 0, or -1 when the bytes are not a
 * certificate this reader understands (then *out holds what was read so
 * far, zero otherwise). */
int der_cert_ids(const uint8_t *der, size_t len, struct der_cert_ids *out);

/* One line naming the certificate: "CN=server.tlsh.test; SAN DNS:a.test,
 * IP:127.0.0.1; EKU serverAuth" (bytes outside 0x20..0x7e as \xNN), or
 * "an unreadable certificate (N bytes)". Returns buf. */
const char *der_cert_describe(const uint8_t *der, size_t len, char *buf, size_t cap);

/* Decodes the first "-----BEGIN CERTIFICATE-----" block of PEM text into
 * DER (at most `cap` bytes). Returns the DER length, or 0 when there is no
 * such block, it does not decode, or it does not fit. */
size_t der_from_pem(const char *text, size_t n, uint8_t *out, size_t cap);

/* Text form of an iPAddress entry (4 or 16 bytes; anything else in hex).
 * Returns buf. */
const char *der_ip_text(const uint8_t *ip, size_t len, char *buf, size_t cap);

#endif
