/* Unit tests of der.c: the names and purposes read from every kind of leaf
 * of the test PKI, and robustness against cut, corrupted and hostile input
 * (run under ASan+UBSan in the sanitized tree). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "der.h"
#include "t.h"

static size_t load(const char *file, uint8_t *der, size_t cap)
{
	const struct bytes *f = pki_file(file);
	return der_from_pem((const char *)f->data, f->len, der, cap);
}

static int has_dns(const struct der_cert_ids *c, const char *name)
{
	for (size_t i = 0; i < c->n_dns; i++)
		if (c->dns_len[i] == strlen(name) && memcmp(c->dns[i], name, c->dns_len[i]) == 0)
			return 1;
	return 0;
}

static void test_leaves(const char *kt)
{
	uint8_t der[8192];
	char f[64], d[512];
	struct der_cert_ids c;
	size_t n;

	snprintf(f, sizeof f, "%s-server.pem", kt);
	n = load(f, der, sizeof der);
	OK(n > 100 && der_cert_ids(der, n, &c) == 0, "%s: reads", f);
	OK(!strcmp(c.cn, "server.tlsh.test") && c.has_san && c.n_dns == 1 &&
	           has_dns(&c, "server.tlsh.test") && c.n_ip == 0,
	   "%s: CN and the one dNSName", f);
	OK(c.has_eku && c.eku_server && !c.eku_client, "%s: EKU serverAuth only", f);
	/* The PKI's DER copy of the same leaf gives the same result. */
	const struct bytes *raw = pki_file(fmt_into(f, sizeof f, "%s-server.der", kt));
	OK(raw->len == n && !memcmp(raw->data, der, n), "%s: PEM decodes to the DER copy", f);

	snprintf(f, sizeof f, "%s-wild.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && has_dns(&c, "*.wild.tlsh.test") && c.n_dns == 1,
	   "%s: the wildcard dNSName", f);
	snprintf(f, sizeof f, "%s-partial.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && has_dns(&c, "w*.tlsh.test"),
	   "%s: the partial-label wildcard", f);
	snprintf(f, sizeof f, "%s-mixed.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && has_dns(&c, "Web-01.Mixed9.tlsh.test"),
	   "%s: the mixed-case name, case kept", f);

	snprintf(f, sizeof f, "%s-ip.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && c.n_ip == 1 && c.ip_len[0] == 4 &&
	           !memcmp(c.ip[0], "\x7f\x00\x00\x01", 4) && has_dns(&c, "ip.tlsh.test"),
	   "%s: iPAddress 127.0.0.1 and a dNSName", f);
	der_cert_describe(der, n, d, sizeof d);
	OK(strstr(d, "IP:127.0.0.1") && strstr(d, "DNS:ip.tlsh.test") &&
	           strstr(d, "CN=ip.tlsh.test"),
	   "%s: described as '%s'", f, d);

	snprintf(f, sizeof f, "%s-ip6.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && c.n_ip == 1 && c.ip_len[0] == 16 && c.ip[0][15] == 1,
	   "%s: iPAddress ::1", f);
	der_cert_describe(der, n, d, sizeof d);
	OK(strstr(d, "IP:::1") != NULL, "%s: described as '%s'", f, d);

	snprintf(f, sizeof f, "%s-dnsip.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && c.n_ip == 0 && has_dns(&c, "127.0.0.1") &&
	           has_dns(&c, "::1"),
	   "%s: dNSNames that spell addresses, no iPAddress", f);

	snprintf(f, sizeof f, "%s-nosan.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && !c.has_san && !strcmp(c.cn, "server.tlsh.test"),
	   "%s: CN only, no subjectAltName", f);
	der_cert_describe(der, n, d, sizeof d);
	OK(strstr(d, "no subjectAltName") != NULL, "%s: described as '%s'", f, d);

	snprintf(f, sizeof f, "%s-noserverauth.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && c.has_eku && !c.eku_server && c.eku_client,
	   "%s: EKU clientAuth only", f);
	snprintf(f, sizeof f, "%s-client-noclientauth.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && c.eku_server && !c.eku_client && !c.has_san &&
	           !strcmp(c.cn, "tlsh client"),
	   "%s: client leaf with EKU serverAuth only", f);
	snprintf(f, sizeof f, "%s-ca.pem", kt);
	n = load(f, der, sizeof der);
	OK(der_cert_ids(der, n, &c) == 0 && !c.has_eku && !c.has_san,
	   "%s: a root has neither EKU nor SAN", f);
}

/* Every prefix of a certificate is refused; every single-byte corruption
 * gives 0 or -1, never a read outside the input (ASan). */
static void test_hostile(void)
{
	uint8_t der[8192], buf[8192];
	size_t n = load("rsa-ip.pem", der, sizeof der);
	struct der_cert_ids c;
	char d[256];
	int prefixes_refused = 1;
	for (size_t k = 0; k < n; k++) {
		memcpy(buf, der, k);
		prefixes_refused &= der_cert_ids(buf, k, &c) == -1;
		der_cert_describe(buf, k, d, sizeof d);
	}
	OK(prefixes_refused, "every one of the %zu proper prefixes is refused", n);
	size_t flips = 0;
	static const uint8_t vals[] = {0x00, 0xff, 0x80, 0x84, 0x82, 0x30, 0x7f};
	for (size_t i = 0; i < n; i++) {
		for (size_t v = 0; v < sizeof vals; v++) {
			memcpy(buf, der, n);
			buf[i] = vals[v];
			int r = der_cert_ids(buf, n, &c);
			der_cert_describe(buf, n, d, sizeof d);
			flips += r == 0 || r == -1;
		}
	}
	OK(flips == n * sizeof vals, "%zu corrupted copies read without a fault", flips);
	static const uint8_t huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00};
	OK(der_cert_ids(huge, sizeof huge, &c) == -1, "a 4 GiB length is refused");
	static const uint8_t longlen[] = {0x30, 0x85, 0, 0, 0, 0, 1, 0};
	OK(der_cert_ids(longlen, sizeof longlen, &c) == -1, "a 5-byte length is refused");
	static const uint8_t hightag[] = {0x1f, 0x01, 0x00};
	OK(der_cert_ids(hightag, sizeof hightag, &c) == -1, "a high tag number is refused");
	OK(der_cert_ids(NULL, 0, &c) == -1, "NULL is refused");
	der_cert_describe(der, n, d, 6);
	OK(strlen(d) <= 5, "describe into 6 bytes stops at 5: '%s'", d);
	der_cert_describe(huge, sizeof huge, d, sizeof d);
	OK(strstr(d, "unreadable") != NULL, "an unreadable certificate is said so: '%s'", d);
	OK(der_from_pem("no pem here", 11, buf, sizeof buf) == 0, "text without PEM gives 0");
	const struct bytes *f = pki_file("rsa-server.pem");
	OK(der_from_pem((const char *)f->data, f->len, buf, 100) == 0,
	   "a certificate larger than the output gives 0");
	char ip[64];
	OK(!strcmp(der_ip_text((const uint8_t *)"\x01\x02\x03", 3, ip, sizeof ip), "010203"),
	   "an address of odd length in hex");
}

int main(void)
{
	test_leaves("rsa");
	test_leaves("ecdsa");
	test_hostile();
	return t_done();
}
