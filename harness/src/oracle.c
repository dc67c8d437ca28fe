#include "oracle.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* A bounds-checked reader over a byte range. Every getter fails softly:
 * once `bad` is set, everything reads as zero. */
struct cur {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint32_t take(struct cur *c, size_t k)
{
	if (c->bad || c->n < k) {
		c->bad = 1;
		return 0;
	}
	uint32_t v = 0;
	for (size_t i = 0; i < k; i++)
		v = v << 8 | c->p[i];
	c->p += k;
	c->n -= k;
	return v;
}

/* A sub-cursor over the next `len` bytes. */
static struct cur sub(struct cur *c, size_t len)
{
	struct cur s = {c->p, len, 0};
	if (c->bad || c->n < len) {
		c->bad = 1;
		s.n = 0;
		s.bad = 1;
		return s;
	}
	c->p += len;
	c->n -= len;
	return s;
}

static void copy_out(struct cur *c, void *dst, size_t len)
{
	struct cur s = sub(c, len);
	if (!s.bad)
		memcpy(dst, s.p, len);
	else
		memset(dst, 0, len);
}

static void note(struct wire *w, int dir, const char *what)
{
	if (!w->malformed[dir][0])
		fmt_into(w->malformed[dir], sizeof w->malformed[dir], "%s", what);
}

static const uint8_t hrr_random[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                       0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                       0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                       0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static void parse_client_hello(struct wire *w, struct cur body)
{
	struct wire_client_hello ch;
	memset(&ch, 0, sizeof ch);
	ch.present = 1;
	ch.legacy_version = (uint16_t)take(&body, 2);
	copy_out(&body, ch.random, 32);
	sub(&body, take(&body, 1)); /* legacy_session_id */
	struct cur cs = sub(&body, take(&body, 2));
	if (cs.n % 2)
		note(w, 0, "ClientHello cipher_suites has an odd length");
	while (cs.n >= 2 && !cs.bad) {
		uint16_t id = (uint16_t)take(&cs, 2);
		if (ch.n_ciphers < WIRE_MAX_CIPHERS)
			ch.ciphers[ch.n_ciphers++] = id;
	}
	sub(&body, take(&body, 1)); /* legacy_compression_methods */
	if (body.n) {
		struct cur exts = sub(&body, take(&body, 2));
		while (exts.n && !exts.bad) {
			uint16_t type = (uint16_t)take(&exts, 2);
			struct cur e = sub(&exts, take(&exts, 2));
			if (type == 0) { /* server_name, RFC 6066 section 3 */
				struct cur list = sub(&e, take(&e, 2));
				while (list.n && !list.bad) {
					uint8_t kind = (uint8_t)take(&list, 1);
					struct cur name = sub(&list, take(&list, 2));
					if (kind == 0 && !name.bad && !ch.has_sni) {
						size_t k = name.n < sizeof ch.sni - 1
						                   ? name.n
						                   : sizeof ch.sni - 1;
						memcpy(ch.sni, name.p, k);
						ch.sni[k] = '\0';
						ch.has_sni = 1;
					}
				}
				if (list.bad)
					note(w, 0, "server_name extension is malformed");
			} else if (type == 16) { /* ALPN, RFC 7301 section 3.1 */
				struct cur list = sub(&e, take(&e, 2));
				if (list.bad || list.n > sizeof ch.alpn) {
					note(w, 0, "ALPN extension is malformed");
				} else {
					memcpy(ch.alpn, list.p, list.n);
					ch.alpn_len = list.n;
					ch.has_alpn = 1;
				}
			} else if (type == 43) { /* supported_versions */
				struct cur list = sub(&e, take(&e, 1));
				ch.has_versions = 1;
				while (list.n >= 2 && !list.bad) {
					uint16_t v = (uint16_t)take(&list, 2);
					if (ch.n_versions < WIRE_MAX_VERSIONS)
						ch.versions[ch.n_versions++] = v;
				}
				if (list.bad || list.n)
					note(w, 0, "supported_versions extension is malformed");
			}
		}
		if (exts.bad)
			note(w, 0, "ClientHello extensions are malformed");
	}
	if (body.bad) {
		note(w, 0, "ClientHello is truncated");
		return;
	}
	if (!w->ch.present)
		w->ch = ch;
}

static void parse_server_hello(struct wire *w, struct cur body)
{
	struct wire_server_hello sh;
	memset(&sh, 0, sizeof sh);
	sh.present = 1;
	sh.legacy_version = (uint16_t)take(&body, 2);
	copy_out(&body, sh.random, 32);
	sub(&body, take(&body, 1));
	sh.cipher = (uint16_t)take(&body, 2);
	take(&body, 1); /* compression */
	if (body.n) {
		struct cur exts = sub(&body, take(&body, 2));
		while (exts.n && !exts.bad) {
			uint16_t type = (uint16_t)take(&exts, 2);
			struct cur e = sub(&exts, take(&exts, 2));
			if (type == 43) {
				sh.has_version = 1;
				sh.selected_version = (uint16_t)take(&e, 2);
			} else if (type == 16) {
				struct cur list = sub(&e, take(&e, 2));
				struct cur name = sub(&list, take(&list, 1));
				if (!name.bad && name.n <= sizeof sh.alpn) {
					memcpy(sh.alpn, name.p, name.n);
					sh.alpn_len = name.n;
					sh.has_alpn = 1;
				} else {
					note(w, 1, "ServerHello ALPN extension is malformed");
				}
			}
		}
		if (exts.bad)
			note(w, 1, "ServerHello extensions are malformed");
	}
	if (body.bad) {
		note(w, 1, "ServerHello is truncated");
		return;
	}
	sh.hello_retry = memcmp(sh.random, hrr_random, 32) == 0;
	if (sh.hello_retry) {
		/* A HelloRetryRequest exists only in TLS 1.3 (RFC 8446 section
		 * 4.1.4): the compatibility ChangeCipherSpec that may follow it
		 * does not start encryption. The version is settled by the
		 * ServerHello that follows. */
		w->saw_hrr = 1;
		if (!w->version)
			w->version = 0x0304;
		return;
	}
	w->sh = sh;
	w->version = sh.has_version ? sh.selected_version : sh.legacy_version;
}

static int count_certs(struct cur body)
{
	/* TLS 1.2 Certificate: certificate_list<0..2^24-1> of opaque<1..2^24-1>. */
	struct cur list = sub(&body, take(&body, 3));
	int n = 0;
	while (list.n && !list.bad) {
		sub(&list, take(&list, 3));
		n++;
	}
	return list.bad ? -2 : n;
}

/* Keeps a copy of the first certificate of the server's Certificate. */
static void keep_leaf(struct wire *w, struct cur body)
{
	struct cur list = sub(&body, take(&body, 3));
	struct cur leaf = sub(&list, take(&list, 3));
	if (!leaf.bad && leaf.n <= sizeof w->server_leaf) {
		memcpy(w->server_leaf, leaf.p, leaf.n);
		w->server_leaf_len = leaf.n;
	}
}

static void parse_handshake_stream(struct wire *w, int dir, const uint8_t *p, size_t n)
{
	struct cur c = {p, n, 0};
	while (c.n >= 4) {
		uint8_t type = (uint8_t)take(&c, 1);
		uint32_t len = take(&c, 3);
		if (len > c.n)
			return; /* incomplete message (transcript cut or truncated) */
		struct cur body = sub(&c, len);
		if (dir == 0 && type == 1)
			parse_client_hello(w, body);
		else if (dir == 1 && type == 2)
			parse_server_hello(w, body);
		else if (type == 11 && w->version == 0x0303) {
			(dir ? &w->server_cert_count : &w->client_cert_count)[0] =
			        count_certs(body);
			if (dir == 1)
				keep_leaf(w, body);
		} else if (dir == 1 && type == 13 && w->version == 0x0303)
			w->cert_request = 1;
	}
}

/* Walks records of one direction; handshake bytes that are still plaintext
 * are parsed as a stream. */
static void parse_dir(struct wire *w, int dir, const uint8_t *p, size_t n)
{
	struct cur c = {p, n, 0};
	struct bytes hs = {0};
	int encrypted = 0;
	while (c.n >= 5) {
		uint8_t type = (uint8_t)take(&c, 1);
		uint16_t ver = (uint16_t)take(&c, 2);
		uint16_t len = (uint16_t)take(&c, 2);
		if (type < 20 || type > 24) {
			note(w, dir, "record with an unknown content type");
			break;
		}
		if ((ver >> 8) != 3) {
			note(w, dir, "record with a version outside 3.x");
			break;
		}
		if (len > 16384 + 2048) {
			note(w, dir, "record longer than 2^14 + 2048 bytes");
			break;
		}
		if (len > c.n)
			break; /* last record incomplete: transcript cut or truncated */
		struct cur body = sub(&c, len);
		w->n_records[dir]++;
		if (type == 20) {
			w->ccs[dir] = 1;
			/* TLS 1.2: everything after ChangeCipherSpec is encrypted.
			 * TLS 1.3: CCS is a compatibility no-op. */
			if (w->version != 0x0304)
				encrypted = 1;
		} else if (type == 22 && !encrypted) {
			bytes_append(&hs, body.p, body.n);
			/* Parse as we go so the version is known for later
			 * records of this direction. */
			if (dir == 1) {
				parse_handshake_stream(w, dir, hs.data, hs.len);
			}
		} else if (type == 21 && !encrypted && len == 2) {
			if (w->n_alerts < WIRE_MAX_ALERTS) {
				struct wire_alert *a = &w->alerts[w->n_alerts++];
				a->dir = dir;
				a->level = body.p[0];
				a->description = body.p[1];
			}
		} else if (type == 21 && !encrypted) {
			note(w, dir, "plaintext alert record whose length is not 2");
		}
	}
	if (dir == 0)
		parse_handshake_stream(w, dir, hs.data, hs.len);
	bytes_free(&hs);
}

void oracle_parse(struct wire *w, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                  size_t s2c_len)
{
	memset(w, 0, sizeof *w);
	w->server_cert_count = w->client_cert_count = -1;
	/* The server direction first: its ServerHello fixes the version that
	 * decides which client records are still plaintext. */
	parse_dir(w, 1, s2c, s2c_len);
	parse_dir(w, 0, c2s, c2s_len);
}

int oracle_downgrade_sentinel(const struct wire *w)
{
	static const uint8_t tls12[8] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01};
	return w->sh.present && memcmp(w->sh.random + 24, tls12, 8) == 0;
}

int oracle_first_alert(const struct wire *w, int dir)
{
	for (size_t i = 0; i < w->n_alerts; i++)
		if (w->alerts[i].dir == dir)
			return w->alerts[i].description;
	return -1;
}
