#include "tlsmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Cursor ---------------------------------------------------------- */

uint32_t tcur_take(struct tcur *c, size_t k)
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

struct tcur tcur_sub(struct tcur *c, size_t len)
{
	struct tcur s = {c->p, len, 0};
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

struct tcur tcur_vec(struct tcur *c, size_t lenbytes)
{
	size_t len = tcur_take(c, lenbytes);
	return tcur_sub(c, len);
}

void tcur_copy(struct tcur *c, void *dst, size_t len)
{
	struct tcur s = tcur_sub(c, len);
	if (!s.bad)
		memcpy(dst, s.p, len);
	else
		memset(dst, 0, len);
}

/* ---- Names ------------------------------------------------------------ */

const uint8_t tls_hrr_random[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11,
                                    0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
                                    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
                                    0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

const char *tls_hs_name(unsigned type)
{
	switch (type) {
	case 0:
		return "HelloRequest";
	case 1:
		return "ClientHello";
	case 2:
		return "ServerHello";
	case 4:
		return "NewSessionTicket";
	case 5:
		return "EndOfEarlyData";
	case 8:
		return "EncryptedExtensions";
	case 11:
		return "Certificate";
	case 12:
		return "ServerKeyExchange";
	case 13:
		return "CertificateRequest";
	case 14:
		return "ServerHelloDone";
	case 15:
		return "CertificateVerify";
	case 16:
		return "ClientKeyExchange";
	case 20:
		return "Finished";
	case 22:
		return "CertificateStatus";
	case 24:
		return "KeyUpdate";
	case 254:
		return "message_hash";
	default:
		return "?";
	}
}

const char *tls_ext_name(unsigned type)
{
	switch (type) {
	case 0:
		return "server_name";
	case 5:
		return "status_request";
	case 10:
		return "supported_groups";
	case 11:
		return "ec_point_formats";
	case 13:
		return "signature_algorithms";
	case 16:
		return "application_layer_protocol_negotiation";
	case 18:
		return "signed_certificate_timestamp";
	case 21:
		return "padding";
	case 22:
		return "encrypt_then_mac";
	case 23:
		return "extended_master_secret";
	case 28:
		return "record_size_limit";
	case 35:
		return "session_ticket";
	case 41:
		return "pre_shared_key";
	case 42:
		return "early_data";
	case 43:
		return "supported_versions";
	case 44:
		return "cookie";
	case 45:
		return "psk_key_exchange_modes";
	case 47:
		return "certificate_authorities";
	case 49:
		return "post_handshake_auth";
	case 50:
		return "signature_algorithms_cert";
	case 51:
		return "key_share";
	case 0xff01:
		return "renegotiation_info";
	default:
		return "?";
	}
}

int tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ---- One direction ---------------------------------------------------- */

void tls_conv_init(struct tls_conv *c)
{
	memset(c, 0, sizeof *c);
}

void tls_conv_free(struct tls_conv *c)
{
	for (int i = 0; i < 2; i++) {
		bytes_free(&c->d[i].raw);
		bytes_free(&c->d[i].hs);
		free(c->d[i].rec);
		free(c->d[i].msg);
	}
	memset(c, 0, sizeof *c);
}

static void dnote(struct tls_dir *d, size_t off, const char *what)
{
	if (!d->malformed[0]) {
		fmt_into(d->malformed, sizeof d->malformed, "%s (byte %zu)", what, off);
		d->malformed_off = off;
	}
}

static int is13(const struct tls_conv *c)
{
	return c->version == 0x0304 || (!c->sh_done && c->n_hrr > 0);
}

/* The version a ServerHello body selects: supported_versions if present,
 * else legacy_version. */
static uint16_t sh_version(const uint8_t *body, size_t len)
{
	struct tls_hello h;
	tls_hello_parse(&h, TLS_HS_SERVER_HELLO, body, len);
	const struct tls_ext *e = tls_hello_ext(&h, TLS_EXT_SUPPORTED_VERSIONS);
	if (e && e->len == 2)
		return (uint16_t)(e->body[0] << 8 | e->body[1]);
	/* Without supported_versions, TLS 1.3 is not negotiated (RFC 8446
	 * 4.2.1): a legacy_version above 0x0303 is a malformed TLS 1.2 hello. */
	return h.legacy_version > 0x0303 ? 0x0303 : h.legacy_version;
}

static size_t rec_of_hs(const struct tls_dir *d, size_t hs_off)
{
	for (size_t i = d->n_rec; i-- > 0;) {
		const struct tls_rec *r = &d->rec[i];
		if (r->hs_off != SIZE_MAX && r->hs_off <= hs_off)
			return i;
	}
	return 0;
}

/* Splits whole messages off the reassembled bytes of direction `dir`. */
static void split_messages(struct tls_conv *c, int dir)
{
	struct tls_dir *d = &c->d[dir];
	while (d->hs.len - d->hs_split >= 4) {
		const uint8_t *h = d->hs.data + d->hs_split;
		uint32_t len = (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		if (d->hs.len - d->hs_split - 4 < len)
			return;
		if (d->n_msg == d->cap_msg) {
			d->cap_msg = d->cap_msg ? d->cap_msg * 2 : 16;
			d->msg = xrealloc(d->msg, d->cap_msg * sizeof *d->msg);
		}
		struct tls_msg *m = &d->msg[d->n_msg++];
		memset(m, 0, sizeof *m);
		m->type = h[0];
		m->len = len;
		m->hs_off = d->hs_split;
		m->first_rec = rec_of_hs(d, d->hs_split);
		m->last_rec = d->n_rec ? d->n_rec - 1 : 0;
		d->hs_split += 4 + len;
		const uint8_t *body = h + 4;
		if (m->type == TLS_HS_SERVER_HELLO && len >= 34 &&
		    memcmp(body + 2, tls_hrr_random, 32) == 0)
			m->hrr = 1;
		if (dir == 1 && m->type == TLS_HS_SERVER_HELLO) {
			d->n_hello++;
			if (m->hrr) {
				c->n_hrr++;
			} else if (!c->sh_done) {
				c->sh_done = 1;
				c->version = sh_version(body, len);
				if (c->version == 0x0304)
					d->encrypted = 1;
			}
		} else if (dir == 0 && m->type == TLS_HS_CLIENT_HELLO) {
			d->n_hello++;
		}
	}
}

void tls_conv_feed(struct tls_conv *c, int dir, const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->d[dir & 1];
	bytes_append(&d->raw, p, n);
	while (!d->dead && d->raw.len - d->parsed >= 5) {
		const uint8_t *h = d->raw.data + d->parsed;
		uint16_t len = (uint16_t)(h[3] << 8 | h[4]);
		if ((h[1]) != 3) {
			dnote(d, d->parsed, "record with a version outside 3.x");
			d->dead = 1;
			break;
		}
		if (d->raw.len - d->parsed - 5 < len)
			break;
		/* TLS 1.3, client: after its last ClientHello, records of outer
		 * type application_data are protected (early data, then the
		 * handshake keys once the server's Finished was read); until
		 * then an alert or ChangeCipherSpec is plaintext (RFC 8446
		 * Appendix A.1: K_send = handshake after Recv Finished). */
		int c13 = dir == 0 && is13(c) && d->n_hello >= 1 + c->n_hrr &&
		          d->hs_split == d->hs.len;
		if (d->n_rec == d->cap_rec) {
			d->cap_rec = d->cap_rec ? d->cap_rec * 2 : 32;
			d->rec = xrealloc(d->rec, d->cap_rec * sizeof *d->rec);
		}
		struct tls_rec *r = &d->rec[d->n_rec++];
		r->off = d->parsed;
		r->type = h[0];
		r->version = (uint16_t)(h[1] << 8 | h[2]);
		r->len = len;
		r->encrypted = d->encrypted || (c13 && h[0] == TLS_CT_APPDATA);
		r->hs_off = SIZE_MAX;
		d->parsed += 5u + len;
		if (r->type < 20 || r->type > 24)
			dnote(d, r->off, "record with an unknown content type");
		if (r->type == TLS_CT_CCS) {
			d->ccs_seen = 1;
			/* TLS 1.3 compatibility mode: plaintext, no key change.
			 * Nor is there one before or inside this side's hello
			 * (no keys yet): the record is out of place. */
			int in_hello = d->hs_split < d->hs.len &&
			               (d->hs.data[d->hs_split] == TLS_HS_CLIENT_HELLO ||
			                d->hs.data[d->hs_split] == TLS_HS_SERVER_HELLO);
			int before_hello = dir == 0 ? d->n_hello == 0 : !c->sh_done;
			if (is13(c) || in_hello || before_hello)
				r->encrypted = 0;
			else
				d->encrypted = 1;
		} else if (r->type == TLS_CT_HANDSHAKE && !r->encrypted) {
			r->hs_off = d->hs.len;
			bytes_append(&d->hs, h + 5, len);
			split_messages(c, dir & 1);
		}
	}
}

void tls_conv_parse(struct tls_conv *c, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                    size_t s2c_len)
{
	tls_conv_init(c);
	tls_conv_feed(c, 1, s2c, s2c_len);
	tls_conv_feed(c, 0, c2s, c2s_len);
}

size_t tls_dir_stream_off(const struct tls_dir *d, size_t hs_off)
{
	for (size_t i = d->n_rec; i-- > 0;) {
		const struct tls_rec *r = &d->rec[i];
		if (r->hs_off != SIZE_MAX && r->hs_off <= hs_off && hs_off < r->hs_off + r->len)
			return r->off + 5 + (hs_off - r->hs_off);
	}
	return SIZE_MAX;
}

const uint8_t *tls_msg_body(const struct tls_dir *d, size_t k)
{
	return d->hs.data + d->msg[k].hs_off + 4;
}

long tls_dir_find(const struct tls_dir *d, unsigned type, int hrr, size_t n)
{
	for (size_t i = 0; i < d->n_msg; i++) {
		if (d->msg[i].type != type)
			continue;
		if (type == TLS_HS_SERVER_HELLO && hrr >= 0 && d->msg[i].hrr != hrr)
			continue;
		if (n-- == 0)
			return (long)i;
	}
	return -1;
}

/* ---- Hellos ----------------------------------------------------------- */

int tls_hello_parse(struct tls_hello *h, uint8_t type, const uint8_t *body, size_t len)
{
	memset(h, 0, sizeof *h);
	h->type = type;
	h->body_len = len;
	struct tcur c = tcur_of(body, len);
	h->legacy_version = (uint16_t)tcur_take(&c, 2);
	struct tcur r = tcur_sub(&c, 32);
	h->random = r.bad ? NULL : r.p;
	h->off_sid = len - c.n;
	struct tcur s = tcur_vec(&c, 1);
	h->sid = s.p;
	h->sid_len = s.n;
	h->off_ciphers = len - c.n;
	struct tcur cs = type == TLS_HS_CLIENT_HELLO ? tcur_vec(&c, 2) : tcur_sub(&c, 2);
	h->ciphers = cs.p;
	h->ciphers_len = cs.n;
	h->off_comp = len - c.n;
	struct tcur cm = type == TLS_HS_CLIENT_HELLO ? tcur_vec(&c, 1) : tcur_sub(&c, 1);
	h->comp = cm.p;
	h->comp_len = cm.n;
	h->off_exts = len - c.n;
	if (c.bad) {
		fmt_into(h->err, sizeof h->err, "%s truncated before the extensions",
		         tls_hs_name(type));
		h->end = len;
		return -1;
	}
	h->fixed_ok = 1;
	if (h->random && memcmp(h->random, tls_hrr_random, 32) == 0 && type == TLS_HS_SERVER_HELLO)
		h->hrr = 1;
	if (type == TLS_HS_CLIENT_HELLO && cs.n % 2)
		fmt_into(h->err, sizeof h->err, "ClientHello cipher_suites has an odd length");
	if (c.n == 0) {
		h->end = len;
		return h->err[0] ? -1 : 0;
	}
	h->has_exts = 1;
	struct tcur ex = tcur_vec(&c, 2);
	if (ex.bad) {
		fmt_into(h->err, sizeof h->err, "%s extensions length exceeds the message",
		         tls_hs_name(type));
		h->end = len;
		return -1;
	}
	while (ex.n) {
		size_t off = (size_t)(ex.p - body);
		uint16_t t = (uint16_t)tcur_take(&ex, 2);
		struct tcur e = tcur_vec(&ex, 2);
		if (ex.bad) {
			fmt_into(h->err, sizeof h->err,
			         "%s extension at byte %zu overruns the block", tls_hs_name(type),
			         off);
			break;
		}
		if (h->n_ext == TLS_MAX_EXT) {
			fmt_into(h->err, sizeof h->err, "%s has more than %d extensions",
			         tls_hs_name(type), TLS_MAX_EXT);
			break;
		}
		struct tls_ext *x = &h->ext[h->n_ext++];
		x->type = t;
		x->off = off;
		x->body = e.p;
		x->len = e.n;
	}
	h->end = len - c.n;
	if (!h->err[0] && c.n)
		fmt_into(h->err, sizeof h->err, "%s has %zu bytes after the extensions",
		         tls_hs_name(type), c.n);
	return h->err[0] ? -1 : 0;
}

const struct tls_ext *tls_hello_ext(const struct tls_hello *h, uint16_t type)
{
	for (size_t i = 0; i < h->n_ext; i++)
		if (h->ext[i].type == type)
			return &h->ext[i];
	return NULL;
}

int tls_hello_has_cipher(const struct tls_hello *h, uint16_t id)
{
	for (size_t i = 0; i + 1 < h->ciphers_len; i += 2)
		if ((uint16_t)(h->ciphers[i] << 8 | h->ciphers[i + 1]) == id)
			return 1;
	return 0;
}

void tls_hello_encode(const struct tls_hello *h, struct bytes *out)
{
	static const uint8_t zero[32];
	tls_put_u16(out, h->legacy_version);
	bytes_append(out, h->random ? h->random : zero, 32);
	tls_put_u8(out, (unsigned)h->sid_len);
	bytes_append(out, h->sid, h->sid_len);
	if (h->type == TLS_HS_CLIENT_HELLO) {
		tls_put_u16(out, (unsigned)h->ciphers_len);
		bytes_append(out, h->ciphers, h->ciphers_len);
		tls_put_u8(out, (unsigned)h->comp_len);
		bytes_append(out, h->comp, h->comp_len);
	} else {
		bytes_append(out, h->ciphers, h->ciphers_len);
		bytes_append(out, h->comp, h->comp_len);
	}
	if (!h->has_exts)
		return;
	size_t total = 0;
	for (size_t i = 0; i < h->n_ext; i++)
		total += 4 + h->ext[i].len;
	tls_put_u16(out, (unsigned)total);
	for (size_t i = 0; i < h->n_ext; i++)
		tls_put_ext(out, h->ext[i].type, h->ext[i].body, h->ext[i].len);
}

/* ---- Extension decoders ------------------------------------------------ */

int tls_dec_u16_list(const uint8_t *p, size_t n, size_t lenbytes, uint16_t *out, size_t cap)
{
	struct tcur c = tcur_of(p, n);
	struct tcur l = tcur_vec(&c, lenbytes);
	if (c.bad || c.n || l.n % 2)
		return -1;
	int k = 0;
	while (l.n) {
		uint16_t v = (uint16_t)tcur_take(&l, 2);
		if ((size_t)k < cap)
			out[k] = v;
		k++;
	}
	return k;
}

int tls_dec_u8_list(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	struct tcur c = tcur_of(p, n);
	struct tcur l = tcur_vec(&c, 1);
	if (c.bad || c.n)
		return -1;
	for (size_t i = 0; i < l.n && i < cap; i++)
		out[i] = l.p[i];
	return (int)l.n;
}

/* A list behind a 2-byte length of entries (kind of kind_bytes, opaque
 * value behind a 2-byte length); values must be non-empty if nonempty. */
static int dec_items(const uint8_t *p, size_t n, size_t kind_bytes, int nonempty,
                     struct tls_item *out, size_t cap)
{
	struct tcur c = tcur_of(p, n);
	struct tcur l = tcur_vec(&c, 2);
	if (c.bad || c.n)
		return -1;
	int k = 0;
	while (l.n) {
		uint16_t kind = (uint16_t)tcur_take(&l, kind_bytes);
		struct tcur v = tcur_vec(&l, 2);
		if (l.bad || (nonempty && v.n == 0))
			return -1;
		if ((size_t)k < cap) {
			out[k].kind = kind;
			out[k].p = v.p;
			out[k].len = v.n;
		}
		k++;
	}
	return k;
}

int tls_dec_sni(const uint8_t *p, size_t n, struct tls_item *out, size_t cap)
{
	return n == 0 ? 0 : dec_items(p, n, 1, 0, out, cap);
}

int tls_dec_key_share_ch(const uint8_t *p, size_t n, struct tls_item *out, size_t cap)
{
	return dec_items(p, n, 2, 1, out, cap);
}

int tls_dec_key_share_sh(const uint8_t *p, size_t n, int hrr, uint16_t *group, struct tls_item *kx)
{
	struct tcur c = tcur_of(p, n);
	*group = (uint16_t)tcur_take(&c, 2);
	if (hrr)
		return c.bad || c.n ? -1 : 0;
	struct tcur k = tcur_vec(&c, 2);
	if (c.bad || c.n || k.n == 0)
		return -1;
	if (kx) {
		kx->kind = *group;
		kx->p = k.p;
		kx->len = k.n;
	}
	return 0;
}

int tls_dec_alpn(const uint8_t *p, size_t n, struct tls_item *out, size_t cap)
{
	struct tcur c = tcur_of(p, n);
	struct tcur l = tcur_vec(&c, 2);
	if (c.bad || c.n || l.n == 0)
		return -1;
	int k = 0;
	while (l.n) {
		struct tcur name = tcur_vec(&l, 1);
		if (l.bad || name.n == 0)
			return -1;
		if ((size_t)k < cap) {
			out[k].kind = 0;
			out[k].p = name.p;
			out[k].len = name.n;
		}
		k++;
	}
	return k;
}

int tls_dec_reneg(const uint8_t *p, size_t n, const uint8_t **val)
{
	struct tcur c = tcur_of(p, n);
	struct tcur v = tcur_vec(&c, 1);
	if (c.bad || c.n)
		return -1;
	if (val)
		*val = v.p;
	return (int)v.n;
}

int tls_dec_cookie(const uint8_t *p, size_t n)
{
	struct tcur c = tcur_of(p, n);
	struct tcur v = tcur_vec(&c, 2);
	if (c.bad || c.n || v.n == 0)
		return -1;
	return (int)v.n;
}

int tls_dec_psk(const uint8_t *p, size_t n, int server)
{
	struct tcur c = tcur_of(p, n);
	if (server) {
		int v = (int)tcur_take(&c, 2);
		return c.bad || c.n ? -1 : v;
	}
	struct tcur ids = tcur_vec(&c, 2);
	struct tcur binders = tcur_vec(&c, 2);
	if (c.bad || c.n || ids.n == 0 || binders.n == 0)
		return -1;
	int ni = 0, nb = 0;
	while (ids.n) {
		struct tcur id = tcur_vec(&ids, 2);
		tcur_take(&ids, 4); /* obfuscated_ticket_age */
		if (ids.bad || id.n == 0)
			return -1;
		ni++;
	}
	while (binders.n) {
		struct tcur b = tcur_vec(&binders, 1);
		if (binders.bad || b.n < 32)
			return -1;
		nb++;
	}
	return ni == nb ? ni : -1;
}

int tls_dec_status_request(const uint8_t *p, size_t n, int server)
{
	if (server)
		return n == 0 ? 0 : -1;
	struct tcur c = tcur_of(p, n);
	uint8_t type = (uint8_t)tcur_take(&c, 1);
	struct tcur ids = tcur_vec(&c, 2);
	tcur_vec(&c, 2); /* request_extensions */
	if (c.bad || c.n || type != 1)
		return -1;
	while (ids.n) {
		struct tcur id = tcur_vec(&ids, 2);
		if (ids.bad || id.n == 0)
			return -1;
	}
	return 0;
}

int tls_dec_padding(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return -1;
	return 0;
}

/* ---- Serializer -------------------------------------------------------- */

void tls_put_u8(struct bytes *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	bytes_append(b, &x, 1);
}

void tls_put_u16(struct bytes *b, unsigned v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	bytes_append(b, x, 2);
}

void tls_put_u24(struct bytes *b, unsigned v)
{
	uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bytes_append(b, x, 3);
}

void tls_put_record(struct bytes *b, uint8_t type, uint16_t version, const uint8_t *frag,
                    size_t len)
{
	tls_put_u8(b, type);
	tls_put_u16(b, version);
	tls_put_u16(b, (unsigned)(len & 0xffff));
	bytes_append(b, frag, len);
}

void tls_put_hs(struct bytes *b, uint8_t type, const uint8_t *body, size_t len)
{
	tls_put_u8(b, type);
	tls_put_u24(b, (unsigned)len);
	bytes_append(b, body, len);
}

void tls_put_ext(struct bytes *b, uint16_t type, const uint8_t *body, size_t len)
{
	tls_put_u16(b, type);
	tls_put_u16(b, (unsigned)len);
	bytes_append(b, body, len);
}

char *tls_hex(char *dst, size_t cap, const uint8_t *p, size_t n, size_t max)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;
	if (!cap)
		return dst;
	for (size_t i = 0; i < n && i < max && o + 3 <= cap; i++) {
		dst[o++] = digits[p[i] >> 4];
		dst[o++] = digits[p[i] & 15];
	}
	if (n > max && o + 4 <= cap) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o < cap ? o : cap - 1] = '\0';
	return dst;
}
