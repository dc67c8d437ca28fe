/* der.c - see der.h. A DER element is read as (tag, length, body) with every
 * length checked against what is left; only single-byte tags and definite
 * lengths of at most four bytes are accepted (X.509 needs nothing else). */
#include "der.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct tlv {
	const uint8_t *p; /* what is left */
	size_t n;
	int bad;
};

/* Takes one element: its tag and a reader over its body. */
static int take(struct tlv *r, uint8_t *tag, struct tlv *body)
{
	memset(body, 0, sizeof *body);
	body->bad = 1;
	if (r->bad || r->n < 2)
		goto bad;
	uint8_t t = r->p[0], l0 = r->p[1];
	if ((t & 0x1f) == 0x1f)
		goto bad; /* high tag number form: not in X.509 */
	size_t hdr = 2, len = l0;
	if (l0 & 0x80) {
		size_t k = l0 & 0x7f;
		if (k == 0 || k > 4 || r->n < 2 + k)
			goto bad;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | r->p[2 + i];
		hdr += k;
	}
	if (len > r->n - hdr)
		goto bad;
	*tag = t;
	body->p = r->p + hdr;
	body->n = len;
	body->bad = 0;
	r->p += hdr + len;
	r->n -= hdr + len;
	return 0;
bad:
	r->bad = 1;
	return -1;
}

/* Takes one element that must have tag `want`. */
static int expect(struct tlv *r, uint8_t want, struct tlv *body)
{
	uint8_t t;
	if (take(r, &t, body) != 0)
		return -1;
	if (t != want) {
		r->bad = 1;
		return -1;
	}
	return 0;
}

static int oid_is(const struct tlv *o, const uint8_t *v, size_t n)
{
	return o->n == n && memcmp(o->p, v, n) == 0;
}

static void keep_text(struct der_cert_ids *out, char *dst, size_t *dst_len, const struct tlv *v)
{
	size_t n = v->n < DER_MAX_TEXT - 1 ? v->n : DER_MAX_TEXT - 1;
	if (n < v->n)
		out->cut = 1;
	memcpy(dst, v->p, n);
	dst[n] = '\0';
	*dst_len = n;
}

/* Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }: the first
 * commonName (2.5.4.3). */
static int read_subject(struct tlv name, struct der_cert_ids *out)
{
	static const uint8_t cn[] = {0x55, 0x04, 0x03};
	while (name.n) {
		struct tlv rdn, atv;
		if (expect(&name, 0x31, &rdn) != 0)
			return -1;
		while (rdn.n) {
			if (expect(&rdn, 0x30, &atv) != 0)
				return -1;
			struct tlv oid, val;
			uint8_t vt;
			if (expect(&atv, 0x06, &oid) != 0 || take(&atv, &vt, &val) != 0)
				return -1;
			if (oid_is(&oid, cn, sizeof cn) && !out->cn[0] && !out->cn_len)
				keep_text(out, out->cn, &out->cn_len, &val);
		}
	}
	return 0;
}

/* GeneralNames ::= SEQUENCE OF GeneralName; dNSName [2] and iPAddress [7]
 * are IMPLICIT primitives (tags 0x82, 0x87). */
static int read_san(struct tlv v, struct der_cert_ids *out)
{
	struct tlv seq;
	if (expect(&v, 0x30, &seq) != 0 || v.n)
		return -1;
	out->has_san = 1;
	while (seq.n) {
		uint8_t t;
		struct tlv gn;
		if (take(&seq, &t, &gn) != 0)
			return -1;
		if (t == 0x82) {
			if (out->n_dns < DER_MAX_NAMES) {
				keep_text(out, out->dns[out->n_dns], &out->dns_len[out->n_dns],
				          &gn);
				out->n_dns++;
			}
			out->total_dns++;
		} else if (t == 0x87) {
			if (out->n_ip < DER_MAX_NAMES) {
				size_t n = gn.n < 16 ? gn.n : 16;
				memcpy(out->ip[out->n_ip], gn.p, n);
				out->ip_len[out->n_ip] = gn.n;
				out->n_ip++;
			}
			out->total_ip++;
		}
	}
	return 0;
}

/* ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId (OID). */
static int read_eku(struct tlv v, struct der_cert_ids *out)
{
	static const uint8_t server[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
	static const uint8_t client[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
	static const uint8_t any[] = {0x55, 0x1d, 0x25, 0x00};
	struct tlv seq;
	if (expect(&v, 0x30, &seq) != 0 || v.n)
		return -1;
	out->has_eku = 1;
	while (seq.n) {
		struct tlv oid;
		if (expect(&seq, 0x06, &oid) != 0)
			return -1;
		out->eku_server |= oid_is(&oid, server, sizeof server);
		out->eku_client |= oid_is(&oid, client, sizeof client);
		out->eku_any |= oid_is(&oid, any, sizeof any);
	}
	return 0;
}

/* Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical BOOLEAN DEFAULT
 * FALSE, extnValue OCTET STRING }. */
static int read_extensions(struct tlv x, struct der_cert_ids *out)
{
	static const uint8_t san[] = {0x55, 0x1d, 0x11};
	static const uint8_t eku[] = {0x55, 0x1d, 0x25};
	struct tlv list;
	if (expect(&x, 0x30, &list) != 0)
		return -1;
	while (list.n) {
		struct tlv ext, oid, val;
		if (expect(&list, 0x30, &ext) != 0 || expect(&ext, 0x06, &oid) != 0)
			return -1;
		uint8_t t;
		if (take(&ext, &t, &val) != 0)
			return -1;
		if (t == 0x01 && take(&ext, &t, &val) != 0) /* critical */
			return -1;
		if (t != 0x04)
			return -1;
		if (oid_is(&oid, san, sizeof san) && read_san(val, out) != 0)
			return -1;
		if (oid_is(&oid, eku, sizeof eku) && read_eku(val, out) != 0)
			return -1;
	}
	return 0;
}

int der_cert_ids(const uint8_t *der, size_t len, struct der_cert_ids *out)
{
	memset(out, 0, sizeof *out);
	if (!der)
		return -1;
	struct tlv all = {der, len, 0}, cert, tbs, skip;
	if (expect(&all, 0x30, &cert) != 0 || expect(&cert, 0x30, &tbs) != 0)
		return -1;
	uint8_t t;
	if (tbs.n && tbs.p[0] == 0xa0 && take(&tbs, &t, &skip) != 0) /* version */
		return -1;
	/* serialNumber, signature, issuer, validity */
	static const uint8_t order[4] = {0x02, 0x30, 0x30, 0x30};
	for (int i = 0; i < 4; i++)
		if (expect(&tbs, order[i], &skip) != 0)
			return -1;
	struct tlv subject, spki;
	if (expect(&tbs, 0x30, &subject) != 0 || read_subject(subject, out) != 0)
		return -1;
	if (expect(&tbs, 0x30, &spki) != 0)
		return -1;
	while (tbs.n) {
		struct tlv field;
		if (take(&tbs, &t, &field) != 0)
			return -1;
		if (t == 0xa3) /* [3] EXPLICIT Extensions */
			return read_extensions(field, out);
	}
	return 0;
}

/* Appends `n` bytes as text, bytes outside 0x20..0x7e (and '\\') as \xNN. */
static size_t put_text(char *buf, size_t cap, size_t o, const char *p, size_t n)
{
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
	}
	if (o < cap)
		buf[o] = '\0';
	return o;
}

static size_t put(char *buf, size_t cap, size_t o, const char *s)
{
	size_t n = strlen(s);
	if (o + n + 1 > cap)
		n = o + 1 < cap ? cap - o - 1 : 0;
	memcpy(buf + o, s, n);
	o += n;
	if (o < cap)
		buf[o] = '\0';
	return o;
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

size_t der_from_pem(const char *t, size_t n, uint8_t *out, size_t cap)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	size_t i = 0, bl = sizeof begin - 1, o = 0;
	while (i + bl <= n && memcmp(t + i, begin, bl) != 0)
		i++;
	if (i + bl > n)
		return 0;
	uint32_t acc = 0;
	int bits = 0;
	for (i += bl; i < n && t[i] != '-' && t[i] != '='; i++) {
		int v = b64val((unsigned char)t[i]);
		if (v < 0)
			continue; /* line breaks */
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return 0;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return i < n ? o : 0;
}

const char *der_ip_text(const uint8_t *ip, size_t len, char *buf, size_t cap)
{
	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if ((len == 4 || len == 16) &&
	    inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)cap))
		return buf;
	size_t o = 0;
	for (size_t i = 0; i < len && i < 16 && o + 3 < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%02x", ip[i]);
	return buf;
}

const char *der_cert_describe(const uint8_t *der, size_t len, char *buf, size_t cap)
{
	struct der_cert_ids c;
	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (der_cert_ids(der, len, &c) != 0) {
		snprintf(buf, cap, "an unreadable certificate (%zu bytes)", len);
		return buf;
	}
	size_t o = put(buf, cap, 0, "CN=");
	o = c.cn_len ? put_text(buf, cap, o, c.cn, c.cn_len) : put(buf, cap, o, "(none)");
	o = put(buf, cap, o, c.has_san ? "; SAN " : "; no subjectAltName");
	for (size_t i = 0; i < c.n_dns; i++) {
		o = put(buf, cap, o, i ? ", DNS:" : "DNS:");
		o = put_text(buf, cap, o, c.dns[i], c.dns_len[i]);
	}
	for (size_t i = 0; i < c.n_ip; i++) {
		char ip[64];
		o = put(buf, cap, o, i || c.n_dns ? ", IP:" : "IP:");
		o = put(buf, cap, o, der_ip_text(c.ip[i], c.ip_len[i], ip, sizeof ip));
	}
	if (c.has_san && !c.total_dns && !c.total_ip)
		o = put(buf, cap, o, "(no DNS or IP entry)");
	if (c.total_dns + c.total_ip > c.n_dns + c.n_ip) {
		char more[48];
		snprintf(more, sizeof more, " (+%zu more)",
		         c.total_dns + c.total_ip - c.n_dns - c.n_ip);
		o = put(buf, cap, o, more);
	}
	if (c.has_eku) {
		o = put(buf, cap, o, "; EKU");
		if (c.eku_server)
			o = put(buf, cap, o, " serverAuth");
		if (c.eku_client)
			o = put(buf, cap, o, " clientAuth");
		if (c.eku_any)
			o = put(buf, cap, o, " any");
		if (!c.eku_server && !c.eku_client && !c.eku_any)
			o = put(buf, cap, o, " (other purposes only)");
	}
	(void)o;
	return buf;
}
