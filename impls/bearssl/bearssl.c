/*
 * bearssl.c - tlsharness adapter for BearSSL 0.6 (libbearssl).
 *
 * BearSSL's engine does no I/O by design: records go in through
 * br_ssl_engine_recvrec_buf/_ack and come out through
 * br_ssl_engine_sendrec_buf/_ack. Each buffer owns two byte queues:
 * process_incoming only appends to the incoming queue and process_outgoing
 * only drains the outgoing one; the engine is driven (brssl_pump) by
 * do_handshake, read, write and shutdown, which feed it the queued records
 * and collect every record it produces.
 *
 * BearSSL has no notion of a transport EOF, so the adapter keeps it:
 * after process_incoming_eof, once the queue is empty and the engine still
 * wants records, a handshake fails with TLS_ERROR and a read reports
 * RAGGED_EOF. The peer's close_notify is the one thing that makes the
 * engine stop with BR_ERR_OK (it answers with its own close_notify first),
 * which read reports as CLOSED.
 *
 * Certificates: PEM is decoded with br_pem_decoder, keys with
 * br_skey_decoder, trust anchors are built from certificates with
 * br_x509_decoder. Chain validation is br_x509_minimal behind a small
 * br_x509_class wrapper that also keeps the peer's leaf (getpeercert),
 * honours TLSH_INSECURE_NO_VERIFY (the leaf's key is then taken from
 * br_x509_decoder) and checks the identity itself: br_x509_minimal extracts
 * the leaf's subjectAltName dNSNames and the shared RFC 9525 matcher of
 * tlsh_adapter.h decides (br_x509_minimal's own matching falls back to the
 * subject CN when the leaf has no subjectAltName, which RFC 9525 section 6.3
 * forbids).
 *
 * A server uses its own br_ssl_server_policy_class: it picks the chain
 * whose leaf names the client's SNI (else the first) and does the private
 * key operations with BearSSL's default implementations.
 *
 * What BearSSL 0.6 cannot do is refused with CONFIGURATION_ERROR: TLS 1.3,
 * ALPN names containing a NUL byte (its protocol names are C strings) and
 * verifying an IP-literal server_hostname (br_x509_minimal only reads
 * dNSName entries).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <bearssl.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty queue is always accepted. */
#define BRSSL_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** write stops turning plaintext into records once this many bytes wait
 * for process_outgoing (WANT_WRITE if it could take nothing). */
#define BRSSL_OUTGOING_CAP ((size_t)1 << 18)
/** Largest certificate, key or trust file read from a path. */
#define BRSSL_MAX_FILE ((size_t)16 << 20)
/** Largest peer leaf kept for getpeercert. */
#define BRSSL_MAX_LEAF ((size_t)1 << 20)
/** SAN dNSName entries of a server leaf used to match the SNI. */
#define BRSSL_MAX_NAMES 16
/** Room for one dNSName (BearSSL decodes at most 255 bytes). */
#define BRSSL_NAME_LEN 256

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** A private key with its own copy of the key material. */
struct brssl_key {
	int type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *mem;
};

/** A signing chain: DER certificates (leaf first), the key, the key type
 * of the leaf's issuer (for static ECDH suites) and the leaf's SAN
 * dNSNames (to match the SNI). */
struct brssl_chain {
	br_x509_certificate *certs;
	size_t ncerts;
	struct brssl_key key;
	unsigned issuer_key_type;
	char names[BRSSL_MAX_NAMES][BRSSL_NAME_LEN];
	size_t nnames;
};

/** A checked configuration: the generic plan and the cipher suites to
 * configure. */
struct brssl_plan {
	struct tlsh_plan p;
	uint16_t suites[BR_MAX_CIPHER_SUITES];
	size_t nsuites;
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify that the certificate names server_hostname. */
	int check_name;
	uint16_t suites[BR_MAX_CIPHER_SUITES];
	size_t nsuites;
	/** The config named its ciphers: a server then applies its own
	 * preference order. */
	int server_order;
	/** ALPN names as C strings (BearSSL's format). */
	char **alpn;
	size_t nalpn;
	/** Client: verify the server against tas. Server: require and verify
	 * a client certificate against tas. */
	int verify_peer;
	br_x509_trust_anchor *tas;
	size_t ntas;
	struct brssl_chain *chains;
	size_t nchains;
};

/** The X.509 engine given to BearSSL: br_x509_minimal plus the leaf copy,
 * the NO_VERIFY path and the identity check (the shared RFC 9525 matcher
 * over the leaf's SAN dNSNames, which br_x509_minimal extracts; it is given
 * no server name, so its own matching, which falls back to the subject CN,
 * is not used). */
struct brssl_x509 {
	const br_x509_class *vtable; /* first: BearSSL passes &vtable */
	br_x509_minimal_context mini;
	br_x509_decoder_context dec;
	br_name_element san[BRSSL_MAX_NAMES];
	char san_buf[BRSSL_MAX_NAMES][BRSSL_NAME_LEN];
	int verify;              /* validate the chain with br_x509_minimal */
	int check_name;          /* match the server name (SAN dNSName only) */
	struct tlsh_identity id; /* the name this chain is checked against */
	int no_san;              /* the name was refused for want of a SAN dNSName */
	size_t ncert;
	uint8_t *leaf;
	size_t leaf_len, leaf_want;
	int leaf_bad;
};

/** The server policy: chain choice by SNI, private key operations. */
struct brssl_policy {
	const br_ssl_server_policy_class *vtable; /* first, as above */
	const struct tlsh_context *tc;
	const struct brssl_chain *chosen;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	union {
		br_ssl_client_context client;
		br_ssl_server_context server;
	} u;
	br_ssl_engine_context *eng;
	struct brssl_x509 x509;
	struct brssl_policy policy;
	struct tlsh_queue in, out;
	/** The handshake completed at some point (sticky). */
	int hs_done;
	/** shutdown queued our close_notify. */
	int sent_close;
	/** End of stream (closed: both close_notify alerts were exchanged),
	 * failure, last error; BearSSL reports alerts only in its error code,
	 * so st's alerts stay TLSH_NO_ALERT. */
	struct tlsh_state st;
	/** set_secret_callback's receiver; secret_sent: the master secret
	 * was handed over. */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
	int secret_sent;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

/** BearSSL's own default order (br_ssl_client_init_full), used when the
 * config names no ciphers. */
static const uint16_t brssl_default_suites[] = {
        BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
        BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
        BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
        BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
        BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
        BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
        BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
        BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
        BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
        BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
        BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
        BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
        BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
        BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
        BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
        BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
        BR_TLS_RSA_WITH_AES_128_CBC_SHA,
        BR_TLS_RSA_WITH_AES_256_CBC_SHA,
        BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
        BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
        BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
        BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
        BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA,
};

/** Suites BearSSL 0.6 implements beyond its default list (AES-CCM). */
static const uint16_t brssl_ccm_suites[] = {
        BR_TLS_RSA_WITH_AES_128_CCM,           BR_TLS_RSA_WITH_AES_256_CCM,
        BR_TLS_RSA_WITH_AES_128_CCM_8,         BR_TLS_RSA_WITH_AES_256_CCM_8,
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,   BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
        BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
};

#define BRSSL_LEN(a) (sizeof(a) / sizeof((a)[0]))

/** Hash implementations by BearSSL hash id (1 = MD5 ... 6 = SHA-512). */
static const br_hash_class *const brssl_hashes[] = {
        &br_md5_vtable,    &br_sha1_vtable,   &br_sha224_vtable,
        &br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable,
};

static int brssl_suite_known(uint16_t id)
{
	for (size_t i = 0; i < BRSSL_LEN(brssl_default_suites); i++)
		if (brssl_default_suites[i] == id)
			return 1;
	for (size_t i = 0; i < BRSSL_LEN(brssl_ccm_suites); i++)
		if (brssl_ccm_suites[i] == id)
			return 1;
	return 0;
}

/** BearSSL's error codes (bearssl_ssl.h, bearssl_x509.h) as text. */
static const char *brssl_err_text(int e)
{
	static const char *const ssl[] = {
	        "ok",
	        "bad parameter",
	        "bad state",
	        "unsupported version",
	        "bad version",
	        "bad record length",
	        "record too large",
	        "bad record MAC",
	        "no random source",
	        "unknown record type",
	        "unexpected message",
	        "error 11",
	        "bad ChangeCipherSpec",
	        "bad alert",
	        "bad handshake message",
	        "oversized session id",
	        "bad cipher suite",
	        "bad compression",
	        "bad fragment length",
	        "bad secure renegotiation",
	        "unsolicited extension",
	        "bad SNI",
	        "bad ServerHelloDone",
	        "limit exceeded",
	        "bad Finished",
	        "session resumption mismatch",
	        "invalid algorithm",
	        "bad signature",
	        "wrong key usage",
	        "no client authentication",
	};
	static const char *const x509[] = {
	        "X.509 ok",
	        "X.509 invalid value",
	        "X.509 truncated",
	        "X.509 empty chain",
	        "X.509 inner element truncated",
	        "X.509 bad tag class",
	        "X.509 bad tag value",
	        "X.509 indefinite length",
	        "X.509 extra element",
	        "X.509 unexpected element",
	        "X.509 not constructed",
	        "X.509 not primitive",
	        "X.509 partial byte",
	        "X.509 bad boolean",
	        "X.509 overflow",
	        "X.509 bad DN",
	        "X.509 bad time",
	        "X.509 unsupported",
	        "X.509 limit exceeded",
	        "X.509 wrong key type",
	        "X.509 bad signature",
	        "X.509 time unknown",
	        "X.509 certificate expired or not yet valid",
	        "X.509 DN mismatch",
	        "X.509 expected server name not found in a subjectAltName dNSName",
	        "X.509 unknown critical extension",
	        "X.509 not a CA",
	        "X.509 key usage forbids this use",
	        "X.509 weak public key",
	        "X.509 error 61",
	        "X.509 chain does not lead to a trust anchor",
	};
	if (e >= 0 && (size_t)e < BRSSL_LEN(ssl))
		return ssl[e];
	if (e == BR_ERR_IO)
		return "I/O error";
	if (e >= BR_ERR_X509_OK && (size_t)(e - BR_ERR_X509_OK) < BRSSL_LEN(x509))
		return x509[e - BR_ERR_X509_OK];
	if (e >= BR_ERR_SEND_FATAL_ALERT)
		return "sent a fatal alert";
	if (e >= BR_ERR_RECV_FATAL_ALERT)
		return "received a fatal alert";
	return "unknown error";
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** The engine stopped: reports its error code and the alert it sent or
 * received. Marks the buffer failed. */
static int brssl_engine_fail(struct tlsh_buffer *b, const char *what)
{
	int e = br_ssl_engine_last_error(b->eng), none = TLSH_NO_ALERT;
	struct tlsh_error *last = &b->st.last;
	b->st.failed = 1;
	if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256)
		return tlsh_error_set(last, TLSH_TLS_ERROR, e - BR_ERR_SEND_FATAL_ALERT, none,
		                      "%s: sent fatal alert %d", what, e - BR_ERR_SEND_FATAL_ALERT);
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256)
		return tlsh_error_set(last, TLSH_TLS_ERROR, none, e - BR_ERR_RECV_FATAL_ALERT,
		                      "%s: received fatal alert %d", what,
		                      e - BR_ERR_RECV_FATAL_ALERT);
	if (e == BR_ERR_OK)
		return tlsh_error_set(last, TLSH_TLS_ERROR, none, none,
		                      "%s: the peer closed the connection (close_notify) during "
		                      "the handshake",
		                      what);
	if (e == BR_ERR_X509_BAD_SERVER_NAME && b->x509.no_san)
		return tlsh_error_set(last, TLSH_TLS_ERROR, none, none,
		                      "%s: the leaf has no subjectAltName dNSName; BearSSL would "
		                      "accept a matching subject CN, which RFC 9525 section 6.3 "
		                      "forbids (refused by the adapter, BearSSL error %d)",
		                      what, e);
	return tlsh_error_set(last, TLSH_TLS_ERROR, none, none, "%s: %s (BearSSL error %d)", what,
	                      brssl_err_text(e), e);
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What BearSSL 0.6 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules brssl_rules = {
        .tls13 = 0,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = 0,
        .max_alpn_wire = 65535 - 2,
        .library = "BearSSL 0.6",
};

/** Checks `config` for `role` and computes what context_new configures. */
static int brssl_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                             struct brssl_plan *p, struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (tlsh_plan_config(&brssl_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->p.c;

	/* ALPN: BearSSL takes the names as C strings. */
	for (size_t i = 0; i < c->inner_protocols_len; i++)
		if (memchr(c->inner_protocols[i].data, 0, c->inner_protocols[i].len) != NULL)
			return tlsh_config_fail(
			        err,
			        "ALPN protocol %zu contains a NUL byte: BearSSL takes "
			        "protocol names as NUL-terminated strings",
			        i);

	/* Ciphers: ids BearSSL does not implement (TLS 1.3 suites among
	 * them) are ignored; something must remain. */
	if (c->ciphers != NULL) {
		for (size_t i = 0; i < c->ciphers_len; i++) {
			uint16_t id = c->ciphers[i];
			int dup = 0;
			for (size_t j = 0; j < p->nsuites; j++)
				dup |= p->suites[j] == id;
			if (!dup && brssl_suite_known(id) && p->nsuites < BR_MAX_CIPHER_SUITES)
				p->suites[p->nsuites++] = id;
		}
		return tlsh_plan_ciphers(&p->p, p->nsuites > 0, 0, err);
	}
	memcpy(p->suites, brssl_default_suites, sizeof brssl_default_suites);
	p->nsuites = BRSSL_LEN(brssl_default_suites);
	return TLSH_OK;
}

static int brssl_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                 const struct tlsh_config *config, struct tlsh_error *err)
{
	struct brssl_plan p;
	(void)self;
	if (brssl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Reading sources: PEM, DER, files                                         */
/* ------------------------------------------------------------------------ */

/** One decoded PEM object. */
struct brssl_pem_obj {
	char name[128];
	struct tlsh_queue der;
};

struct brssl_pem_state {
	struct brssl_pem_obj *objs;
	size_t n;
	int in_obj;
	int oom;
};

static void brssl_pem_sink(void *ctx, const void *src, size_t len)
{
	struct brssl_pem_state *st = ctx;
	if (!tlsh_queue_append(&st->objs[st->n].der, src, len))
		st->oom = 1;
}

static void brssl_pem_free(struct brssl_pem_state *st)
{
	for (size_t i = 0; i < st->n + (size_t)st->in_obj; i++)
		tlsh_queue_free(&st->objs[i].der);
	free(st->objs);
	memset(st, 0, sizeof *st);
}

/** Pushes bytes through the PEM decoder, collecting the objects. */
static int brssl_pem_feed(br_pem_decoder_context *pc, struct brssl_pem_state *st, const uint8_t *d,
                          size_t n)
{
	while (n > 0) {
		size_t k = br_pem_decoder_push(pc, d, n);
		d += k;
		n -= k;
		int ev = br_pem_decoder_event(pc);
		switch (ev) {
		case BR_PEM_BEGIN_OBJ: {
			struct brssl_pem_obj *o = realloc(st->objs, (st->n + 1) * sizeof *o);
			if (o == NULL)
				return 0;
			st->objs = o;
			memset(&o[st->n], 0, sizeof o[st->n]);
			snprintf(o[st->n].name, sizeof o[st->n].name, "%s",
			         br_pem_decoder_name(pc));
			st->in_obj = 1;
			br_pem_decoder_setdest(pc, brssl_pem_sink, st);
			break;
		}
		case BR_PEM_END_OBJ:
			if (st->in_obj) {
				st->in_obj = 0;
				st->n++;
			}
			br_pem_decoder_setdest(pc, NULL, NULL);
			break;
		case BR_PEM_ERROR:
			return 0;
		default:
			if (k == 0)
				return 0; /* no progress and no event */
			break;
		}
		if (st->oom)
			return 0;
	}
	return 1;
}

/** Decodes every PEM object of d[0..n). */
static int brssl_pem_decode(const uint8_t *d, size_t n, struct brssl_pem_state *st)
{
	br_pem_decoder_context pc;
	memset(st, 0, sizeof *st);
	br_pem_decoder_init(&pc);
	/* The decoder needs a line end after the last END line. */
	if (!brssl_pem_feed(&pc, st, d, n) || !brssl_pem_feed(&pc, st, (const uint8_t *)"\n", 1) ||
	    st->in_obj) {
		brssl_pem_free(st);
		return 0;
	}
	return 1;
}

static int brssl_pem_is_cert(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

/** A growable list of DER certificates. */
struct brssl_certs {
	br_x509_certificate *v;
	size_t n;
};

static void brssl_certs_free(struct brssl_certs *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].data);
	free(cs->v);
	memset(cs, 0, sizeof *cs);
}

static int brssl_certs_push(struct brssl_certs *cs, const uint8_t *der, size_t len)
{
	br_x509_certificate *v = realloc(cs->v, (cs->n + 1) * sizeof *v);
	if (v == NULL)
		return 0;
	cs->v = v;
	v[cs->n].data = malloc(len);
	if (v[cs->n].data == NULL)
		return 0;
	memcpy(v[cs->n].data, der, len);
	v[cs->n].data_len = len;
	cs->n++;
	return 1;
}

/** Appends the certificates of `s` (PEM: all CERTIFICATE objects, DER: the
 * one certificate). Returns 1 if at least one was read and PEM decoding
 * did not fail. */
static int brssl_load_certs(const struct tlsh_source *s, struct brssl_certs *out)
{
	const uint8_t *d;
	uint8_t *owned;
	size_t n, before = out->n;
	int ok = 1;
	if (tlsh_source_bytes(s, BRSSL_MAX_FILE, &d, &n, &owned) != 0)
		return 0;
	if (!tlsh_is_pem(d, n)) {
		ok = brssl_certs_push(out, d, n);
	} else {
		struct brssl_pem_state st;
		if (!brssl_pem_decode(d, n, &st)) {
			ok = 0;
		} else {
			for (size_t i = 0; ok && i < st.n; i++)
				if (brssl_pem_is_cert(st.objs[i].name) && st.objs[i].der.len > 0)
					ok = brssl_certs_push(out, tlsh_queue_peek(&st.objs[i].der),
					                      st.objs[i].der.len);
			brssl_pem_free(&st);
		}
	}
	free(owned);
	return ok && out->n > before;
}

/** Receives a subject DN from br_x509_decoder. */
struct brssl_dn {
	struct tlsh_queue q;
	int oom;
};

static void brssl_dn_sink(void *ctx, const void *src, size_t len)
{
	struct brssl_dn *dn = ctx;
	if (!tlsh_queue_append(&dn->q, src, len))
		dn->oom = 1;
}

/** Decodes one certificate with br_x509_decoder; `dn` (if not NULL)
 * receives the subject DN. Returns 1 when BearSSL could decode it. */
static int brssl_decode_cert(const br_x509_certificate *c, br_x509_decoder_context *dc,
                             struct brssl_dn *dn)
{
	br_x509_decoder_init(dc, dn ? brssl_dn_sink : NULL, dn);
	br_x509_decoder_push(dc, c->data, c->data_len);
	if (dn != NULL && dn->oom)
		return 0;
	return br_x509_decoder_get_pkey(dc) != NULL && br_x509_decoder_last_error(dc) == 0;
}

/** Deep copy of a public key (RSA n/e or EC point) into one allocation. */
static int brssl_copy_pkey(br_x509_pkey *dst, const br_x509_pkey *src)
{
	*dst = *src;
	if (src->key_type == BR_KEYTYPE_RSA) {
		size_t nl = src->key.rsa.nlen, el = src->key.rsa.elen;
		unsigned char *m = malloc(nl + el + 1);
		if (m == NULL)
			return 0;
		memcpy(m, src->key.rsa.n, nl);
		memcpy(m + nl, src->key.rsa.e, el);
		dst->key.rsa.n = m;
		dst->key.rsa.e = m + nl;
		return 1;
	}
	if (src->key_type == BR_KEYTYPE_EC) {
		unsigned char *m = malloc(src->key.ec.qlen + 1);
		if (m == NULL)
			return 0;
		memcpy(m, src->key.ec.q, src->key.ec.qlen);
		dst->key.ec.q = m;
		return 1;
	}
	return 0;
}

static void brssl_free_pkey(br_x509_pkey *pk)
{
	if (pk->key_type == BR_KEYTYPE_RSA)
		free(pk->key.rsa.n);
	else if (pk->key_type == BR_KEYTYPE_EC)
		free(pk->key.ec.q);
}

static void brssl_free_tas(br_x509_trust_anchor *tas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tas[i].dn.data);
		brssl_free_pkey(&tas[i].pkey);
	}
	free(tas);
}

/** Builds trust anchors from certificates: a CA certificate anchors
 * chains, any other one is trusted directly (BearSSL's two anchor kinds).
 * With `skip_bad`, certificates BearSSL cannot decode are skipped (system
 * bundles); otherwise they are an error. */
static int brssl_make_tas(const struct brssl_certs *cs, int skip_bad, br_x509_trust_anchor **out,
                          size_t *nout)
{
	br_x509_trust_anchor *tas = calloc(cs->n ? cs->n : 1, sizeof *tas);
	size_t n = 0;
	if (tas == NULL)
		return 0;
	for (size_t i = 0; i < cs->n; i++) {
		br_x509_decoder_context dc;
		struct brssl_dn dn = {0};
		if (!brssl_decode_cert(&cs->v[i], &dc, &dn) || dn.q.len == 0) {
			tlsh_queue_free(&dn.q);
			if (skip_bad)
				continue;
			brssl_free_tas(tas, n);
			return 0;
		}
		br_x509_trust_anchor *ta = &tas[n];
		ta->dn.data = dn.q.p; /* appended only: the DN starts at offset 0 */
		ta->dn.len = dn.q.len;
		ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
		if (ta->dn.data == NULL ||
		    !brssl_copy_pkey(&ta->pkey, br_x509_decoder_get_pkey(&dc))) {
			free(ta->dn.data);
			brssl_free_tas(tas, n);
			return 0;
		}
		n++;
	}
	if (n == 0) {
		free(tas);
		return 0;
	}
	*out = tas;
	*nout = n;
	return 1;
}

/** The system trust store: BearSSL has none of its own, so the usual
 * bundle files are read. */
static int brssl_system_tas(br_x509_trust_anchor **out, size_t *nout)
{
	static const char *const paths[] = {
	        "/etc/ssl/certs/ca-certificates.crt",
	        "/etc/pki/tls/certs/ca-bundle.crt",
	        "/etc/ssl/cert.pem",
	};
	for (size_t i = 0; i < BRSSL_LEN(paths); i++) {
		struct tlsh_source s = {.kind = TLSH_SOURCE_PATH, .path = paths[i]};
		struct brssl_certs cs = {0};
		int ok = brssl_load_certs(&s, &cs) && brssl_make_tas(&cs, 1, out, nout);
		brssl_certs_free(&cs);
		if (ok)
			return 1;
	}
	return 0;
}

static void brssl_key_free(struct brssl_key *k)
{
	if (k->mem != NULL) {
		size_t n = k->type == BR_KEYTYPE_RSA ? k->rsa.plen + k->rsa.qlen + k->rsa.dplen +
		                                               k->rsa.dqlen + k->rsa.iqlen
		                                     : k->ec.xlen;
		memset(k->mem, 0, n);
	}
	free(k->mem);
	memset(k, 0, sizeof *k);
}

/** Copies the key out of the decoder context. */
static int brssl_take_key(const br_skey_decoder_context *kd, struct brssl_key *k)
{
	memset(k, 0, sizeof *k);
	if (br_skey_decoder_key_type(kd) == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *r = br_skey_decoder_get_rsa(kd);
		size_t n = r->plen + r->qlen + r->dplen + r->dqlen + r->iqlen;
		unsigned char *m = malloc(n);
		if (m == NULL)
			return 0;
		k->type = BR_KEYTYPE_RSA;
		k->rsa = *r;
		k->mem = m;
		memcpy(m, r->p, r->plen);
		k->rsa.p = m;
		m += r->plen;
		memcpy(m, r->q, r->qlen);
		k->rsa.q = m;
		m += r->qlen;
		memcpy(m, r->dp, r->dplen);
		k->rsa.dp = m;
		m += r->dplen;
		memcpy(m, r->dq, r->dqlen);
		k->rsa.dq = m;
		m += r->dqlen;
		memcpy(m, r->iq, r->iqlen);
		k->rsa.iq = m;
		return 1;
	}
	if (br_skey_decoder_key_type(kd) == BR_KEYTYPE_EC) {
		const br_ec_private_key *e = br_skey_decoder_get_ec(kd);
		k->mem = malloc(e->xlen);
		if (k->mem == NULL)
			return 0;
		k->type = BR_KEYTYPE_EC;
		k->ec = *e;
		memcpy(k->mem, e->x, e->xlen);
		k->ec.x = k->mem;
		return 1;
	}
	return 0;
}

/** Loads a private key: PEM (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY;
 * no encrypted keys) or DER (PKCS#8 or raw). */
static int brssl_load_key(const struct tlsh_source *s, struct brssl_key *k)
{
	const uint8_t *d;
	uint8_t *owned;
	size_t n;
	int ok = 0;
	br_skey_decoder_context kd;
	if (tlsh_source_bytes(s, BRSSL_MAX_FILE, &d, &n, &owned) != 0)
		return 0;
	br_skey_decoder_init(&kd);
	if (!tlsh_is_pem(d, n)) {
		br_skey_decoder_push(&kd, d, n);
		ok = 1;
	} else {
		struct brssl_pem_state st;
		if (brssl_pem_decode(d, n, &st)) {
			for (size_t i = 0; i < st.n && !ok; i++) {
				const char *nm = st.objs[i].name;
				if (strcmp(nm, "PRIVATE KEY") == 0 ||
				    strcmp(nm, "RSA PRIVATE KEY") == 0 ||
				    strcmp(nm, "EC PRIVATE KEY") == 0) {
					br_skey_decoder_push(&kd, tlsh_queue_peek(&st.objs[i].der),
					                     st.objs[i].der.len);
					ok = 1;
				}
			}
			brssl_pem_free(&st);
		}
	}
	if (owned != NULL)
		memset(owned, 0, n);
	free(owned);
	ok = ok && br_skey_decoder_last_error(&kd) == 0 && brssl_take_key(&kd, k);
	memset(&kd, 0, sizeof kd);
	return ok;
}

/** Strips leading zero bytes of a big-endian integer. */
static const unsigned char *brssl_strip(const unsigned char *p, size_t *n)
{
	while (*n > 0 && *p == 0) {
		p++;
		(*n)--;
	}
	return p;
}

/** Whether the private key belongs to the certificate's public key. */
static int brssl_key_matches(const struct brssl_key *k, const br_x509_pkey *pk)
{
	if (k->type == BR_KEYTYPE_RSA && pk->key_type == BR_KEYTYPE_RSA) {
		/* The modulus identifies the key pair. (Not the exponent:
		 * br_rsa_compute_pubexp returns 0 for many valid keys.) */
		br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
		size_t nlen = modulus(NULL, &k->rsa), clen = pk->key.rsa.nlen;
		unsigned char *nbuf = nlen ? malloc(nlen) : NULL;
		if (nbuf == NULL || modulus(nbuf, &k->rsa) != nlen) {
			free(nbuf);
			return 0;
		}
		const unsigned char *a = brssl_strip(nbuf, &nlen);
		const unsigned char *c = brssl_strip(pk->key.rsa.n, &clen);
		int same = nlen == clen && memcmp(a, c, nlen) == 0;
		free(nbuf);
		return same;
	}
	if (k->type == BR_KEYTYPE_EC && pk->key_type == BR_KEYTYPE_EC) {
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;
		size_t qlen = br_ec_compute_pub(br_ec_get_default(), &pub, q, &k->ec);
		return qlen != 0 && pk->key.ec.curve == k->ec.curve && pk->key.ec.qlen == qlen &&
		       memcmp(pk->key.ec.q, q, qlen) == 0;
	}
	return 0;
}

/** The SAN dNSName entries of a leaf, read with br_x509_minimal's name
 * element extraction (it decodes the leaf up to its extensions even when
 * the chain cannot be validated). A leaf outside its validity period is
 * not decoded that far: it then has no names and is never picked by SNI
 * (a client would reject it anyway). */
static void brssl_leaf_names(struct brssl_chain *ch)
{
	static const unsigned char dns_oid[] = {0, 2};
	br_x509_minimal_context *m = calloc(1, sizeof *m);
	br_name_element el[BRSSL_MAX_NAMES];
	ch->nnames = 0;
	if (m == NULL)
		return;
	for (size_t i = 0; i < BRSSL_MAX_NAMES; i++) {
		el[i].oid = dns_oid;
		el[i].buf = ch->names[i];
		el[i].len = BRSSL_NAME_LEN;
		el[i].status = 0;
	}
	br_x509_minimal_init(m, &br_sha256_vtable, NULL, 0);
	br_x509_minimal_set_name_elements(m, el, BRSSL_MAX_NAMES);
	m->vtable->start_chain(&m->vtable, NULL);
	m->vtable->start_cert(&m->vtable, (uint32_t)ch->certs[0].data_len);
	m->vtable->append(&m->vtable, ch->certs[0].data, ch->certs[0].data_len);
	m->vtable->end_cert(&m->vtable);
	(void)m->vtable->end_chain(&m->vtable);
	free(m);
	/* Keep the decoded names, in order, at the front. */
	for (size_t i = 0; i < BRSSL_MAX_NAMES; i++) {
		if (el[i].status != 1 || ch->names[i][0] == '\0')
			continue;
		if (i != ch->nnames)
			memcpy(ch->names[ch->nnames], ch->names[i], BRSSL_NAME_LEN);
		ch->nnames++;
	}
}

static void brssl_chain_free(struct brssl_chain *ch)
{
	for (size_t i = 0; i < ch->ncerts; i++)
		free(ch->certs[i].data);
	free(ch->certs);
	brssl_key_free(&ch->key);
}

/** Loads chain `src` (leaf, intermediates, key) into `ch`. */
static int brssl_load_chain(const struct tlsh_signing_chain *src, size_t idx,
                            struct brssl_chain *ch, struct tlsh_error *err)
{
	struct brssl_certs cs = {0};
	br_x509_decoder_context dc;
	memset(ch, 0, sizeof *ch);
	if (!brssl_load_certs(&src->leaf, &cs)) {
		brssl_certs_free(&cs);
		return tlsh_config_fail(err, "chain %zu: cannot load the leaf certificate", idx);
	}
	for (size_t j = 0; j < src->chain_len; j++) {
		if (!brssl_load_certs(&src->chain[j], &cs)) {
			brssl_certs_free(&cs);
			return tlsh_config_fail(err, "chain %zu: cannot load intermediate %zu", idx,
			                        j);
		}
	}
	ch->certs = cs.v;
	ch->ncerts = cs.n;
	if (!brssl_decode_cert(&ch->certs[0], &dc, NULL))
		return tlsh_config_fail(
		        err, "chain %zu: BearSSL cannot decode the leaf certificate", idx);
	if (!brssl_load_key(&src->key, &ch->key))
		return tlsh_config_fail(err, "chain %zu: cannot load the private key", idx);
	if (!brssl_key_matches(&ch->key, br_x509_decoder_get_pkey(&dc)))
		return tlsh_config_fail(err, "chain %zu: the private key does not match the leaf",
		                        idx);
	ch->issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dc);
	brssl_leaf_names(ch);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void brssl_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nalpn; i++)
		free(tc->alpn[i]);
	free(tc->alpn);
	brssl_free_tas(tc->tas, tc->ntas);
	for (size_t i = 0; i < tc->nchains; i++)
		brssl_chain_free(&tc->chains[i]);
	free(tc->chains);
	free(tc);
}

/** Loads the trust store of a config into tc->tas. */
static int brssl_load_trust(struct tlsh_context *tc, const struct tlsh_source *ts,
                            struct tlsh_error *err)
{
	int none = ts == NULL || ts->kind == TLSH_SOURCE_NONE;
	if (tc->role == TLSH_ROLE_SERVER && none)
		return TLSH_OK; /* no client authentication */
	if (none || ts->kind == TLSH_SOURCE_SYSTEM) {
		if (!tc->verify_peer)
			return TLSH_OK; /* nothing will be verified */
		if (!brssl_system_tas(&tc->tas, &tc->ntas))
			return tlsh_config_fail(err,
			                        "cannot load a system trust store (BearSSL has "
			                        "none; no CA bundle file found)");
		return TLSH_OK;
	}
	struct brssl_certs cs = {0};
	int ok = brssl_load_certs(ts, &cs) && brssl_make_tas(&cs, 0, &tc->tas, &tc->ntas);
	brssl_certs_free(&cs);
	if (!ok)
		return tlsh_config_fail(err, "cannot load the trust store%s%s",
		                        ts->kind == TLSH_SOURCE_PATH ? " from " : "",
		                        ts->kind == TLSH_SOURCE_PATH ? ts->path : "");
	return TLSH_OK;
}

static int brssl_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                             const struct tlsh_config *config, tlsh_context **out,
                             struct tlsh_error *err)
{
	struct brssl_plan p;
	(void)self;
	if (out == NULL)
		return tlsh_config_fail(err, "no place to store the context");
	*out = NULL;
	if (brssl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p.p.c;
	struct tlsh_context *tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return tlsh_config_fail(err, "out of memory");
	tc->role = role;
	tc->verify_peer = p.p.verify_peer;
	tc->check_name = p.p.check_name;
	memcpy(tc->suites, p.suites, p.nsuites * sizeof p.suites[0]);
	tc->nsuites = p.nsuites;
	tc->server_order = c->ciphers != NULL;

	if (c->inner_protocols_len > 0) {
		tc->alpn = calloc(c->inner_protocols_len, sizeof *tc->alpn);
		if (tc->alpn == NULL)
			goto oom;
		for (size_t i = 0; i < c->inner_protocols_len; i++) {
			const struct tlsh_bytes *pr = &c->inner_protocols[i];
			tc->alpn[i] = malloc(pr->len + 1);
			if (tc->alpn[i] == NULL)
				goto oom;
			memcpy(tc->alpn[i], pr->data, pr->len);
			tc->alpn[i][pr->len] = '\0';
			tc->nalpn++;
		}
	}
	if (brssl_load_trust(tc, c->trust_store, err) != TLSH_OK)
		goto fail;
	if (c->certificate_chains_len > 0) {
		tc->chains = calloc(c->certificate_chains_len, sizeof *tc->chains);
		if (tc->chains == NULL)
			goto oom;
		for (size_t i = 0; i < c->certificate_chains_len; i++) {
			tc->nchains++;
			if (brssl_load_chain(&c->certificate_chains[i], i, &tc->chains[i], err) !=
			    TLSH_OK)
				goto fail;
		}
	}
	*out = tc;
	tlsh_error_ok(err);
	return TLSH_OK;
oom:
	tlsh_config_fail(err, "out of memory");
fail:
	brssl_context_free(tc);
	return TLSH_CONFIGURATION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* The X.509 engine                                                         */
/* ------------------------------------------------------------------------ */

static struct brssl_x509 *brssl_x509_of(const br_x509_class *const *ctx)
{
	return (struct brssl_x509 *)(void *)(uintptr_t)ctx;
}

static void brssl_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	x->ncert = 0;
	x->leaf_len = 0;
	x->leaf_want = 0;
	x->leaf_bad = 0;
	tlsh_identity_set(&x->id, x->check_name ? server_name : NULL);
	x->no_san = 0;
	br_x509_decoder_init(&x->dec, NULL, NULL);
	if (x->verify)
		x->mini.vtable->start_chain(&x->mini.vtable, NULL);
}

static void brssl_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	if (x->ncert == 0) {
		x->leaf_want = length;
		if (length == 0 || length > BRSSL_MAX_LEAF) {
			x->leaf_bad = 1;
		} else {
			uint8_t *p = realloc(x->leaf, length);
			if (p == NULL)
				x->leaf_bad = 1;
			else
				x->leaf = p;
		}
	}
	if (x->verify)
		x->mini.vtable->start_cert(&x->mini.vtable, length);
}

static void brssl_x509_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	if (x->ncert == 0) {
		if (!x->leaf_bad && len <= x->leaf_want - x->leaf_len) {
			memcpy(x->leaf + x->leaf_len, buf, len);
			x->leaf_len += len;
		} else {
			x->leaf_bad = 1;
		}
		/* Only while the decoder is still reading: once it has decoded
		 * the certificate or failed, BearSSL 0.6's decoder must not be
		 * pushed to again - its T0 code would resume from a NULL
		 * instruction pointer (a certificate entry holding bytes after
		 * the DER certificate crashed it; found by fuzzing). */
		if (br_x509_decoder_last_error(&x->dec) == BR_ERR_X509_TRUNCATED)
			br_x509_decoder_push(&x->dec, buf, len);
	}
	if (x->verify)
		x->mini.vtable->append(&x->mini.vtable, buf, len);
}

static void brssl_x509_end_cert(const br_x509_class **ctx)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	x->ncert++;
	if (x->verify)
		x->mini.vtable->end_cert(&x->mini.vtable);
}

static unsigned brssl_x509_end_chain(const br_x509_class **ctx)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	if (!x->verify) {
		/* NO_VERIFY: anything goes as long as the leaf's key can be
		 * used. */
		if (x->ncert == 0)
			return BR_ERR_X509_EMPTY_CHAIN;
		if (br_x509_decoder_get_pkey(&x->dec) == NULL) {
			int e = br_x509_decoder_last_error(&x->dec);
			return e ? (unsigned)e : BR_ERR_X509_UNSUPPORTED;
		}
		return 0;
	}
	unsigned r = x->mini.vtable->end_chain(&x->mini.vtable);
	if (r != 0 || x->id.kind == TLSH_IDENTITY_NONE)
		return r;
	/* The leaf's SAN dNSNames, as br_x509_minimal extracted them. */
	int any = 0;
	for (size_t i = 0; i < BRSSL_MAX_NAMES; i++) {
		if (x->san[i].status != 1)
			continue;
		any = 1;
		if (tlsh_identity_match(&x->id, TLSH_SAN_DNS, x->san_buf[i], strlen(x->san_buf[i])))
			return 0;
	}
	x->no_san = !any;
	return BR_ERR_X509_BAD_SERVER_NAME;
}

static const br_x509_pkey *brssl_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct brssl_x509 *x = brssl_x509_of(ctx);
	if (!x->verify) {
		if (usages != NULL)
			*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
		return br_x509_decoder_get_pkey(&x->dec);
	}
	return x->mini.vtable->get_pkey(&x->mini.vtable, usages);
}

static const br_x509_class brssl_x509_vtable = {
        .context_size = sizeof(struct brssl_x509),
        .start_chain = brssl_x509_start_chain,
        .start_cert = brssl_x509_start_cert,
        .append = brssl_x509_append,
        .end_cert = brssl_x509_end_cert,
        .end_chain = brssl_x509_end_chain,
        .get_pkey = brssl_x509_get_pkey,
};

/** Sets up the X.509 engine of a buffer and links it to the engine. */
static void brssl_x509_init(struct brssl_x509 *x, br_ssl_engine_context *eng,
                            const struct tlsh_context *tc, int verify, int check_name)
{
	static const unsigned char dns_oid[] = {0, 2};
	x->vtable = &brssl_x509_vtable;
	x->verify = verify;
	x->check_name = check_name;
	br_x509_minimal_init(&x->mini, &br_sha256_vtable, tc->tas, tc->ntas);
	br_x509_minimal_set_rsa(&x->mini, br_ssl_engine_get_rsavrfy(eng));
	br_x509_minimal_set_ecdsa(&x->mini, br_ssl_engine_get_ec(eng),
	                          br_ssl_engine_get_ecdsa(eng));
	for (int id = br_md5_ID; id <= br_sha512_ID; id++)
		br_x509_minimal_set_hash(&x->mini, id, brssl_hashes[id - 1]);
	for (size_t i = 0; i < BRSSL_MAX_NAMES; i++) {
		x->san[i].oid = dns_oid;
		x->san[i].buf = x->san_buf[i];
		x->san[i].len = sizeof x->san_buf[i];
	}
	br_x509_minimal_set_name_elements(&x->mini, x->san, BRSSL_MAX_NAMES);
	br_ssl_engine_set_x509(eng, &x->vtable);
}

/* ------------------------------------------------------------------------ */
/* The server policy                                                        */
/* ------------------------------------------------------------------------ */

static const struct brssl_chain *brssl_pick_chain(const struct tlsh_context *tc, const char *sni)
{
	if (sni != NULL && sni[0] != '\0')
		for (size_t i = 0; i < tc->nchains; i++)
			for (size_t j = 0; j < tc->chains[i].nnames; j++)
				if (tlsh_dns_match(tc->chains[i].names[j],
				                   strlen(tc->chains[i].names[j]), sni))
					return &tc->chains[i];
	return &tc->chains[0];
}

/** The hash to sign with, from a bit mask of hash ids the client accepts. */
static unsigned brssl_pick_hash(uint32_t bits)
{
	static const int pref[] = {br_sha256_ID, br_sha384_ID, br_sha512_ID, br_sha224_ID,
	                           br_sha1_ID};
	for (size_t i = 0; i < BRSSL_LEN(pref); i++)
		if ((bits >> pref[i]) & 1)
			return (unsigned)pref[i];
	return 0;
}

static struct brssl_policy *brssl_policy_of(const br_ssl_server_policy_class **pctx)
{
	return (struct brssl_policy *)(void *)pctx;
}

/** Picks the chain by SNI, then the first client suite (in the engine's
 * order) that the chain's key can serve, as BearSSL's single-chain
 * handlers do. */
static int brssl_policy_choose(const br_ssl_server_policy_class **pctx,
                               const br_ssl_server_context *cc, br_ssl_server_choices *choices)
{
	struct brssl_policy *p = brssl_policy_of(pctx);
	const struct brssl_chain *ch =
	        brssl_pick_chain(p->tc, br_ssl_engine_get_server_name(&cc->eng));
	size_t n;
	const br_suite_translated *st = br_ssl_server_get_client_suites(cc, &n);
	uint32_t hashes = br_ssl_server_get_client_hashes(cc);
	unsigned rsa_hash = brssl_pick_hash(hashes & 0xFF);
	unsigned ec_hash = brssl_pick_hash((hashes >> 8) & 0xFF);
	int rsa = ch->key.type == BR_KEYTYPE_RSA;
	p->chosen = ch;
	choices->chain = ch->certs;
	choices->chain_len = ch->ncerts;
	for (size_t u = 0; u < n; u++) {
		int ok = 0;
		choices->algo_id = 0;
		switch (st[u][1] >> 12) {
		case BR_SSLKEYX_RSA:
			ok = rsa;
			break;
		case BR_SSLKEYX_ECDHE_RSA:
			ok = rsa && rsa_hash != 0;
			choices->algo_id = 0xFF00 + rsa_hash;
			break;
		case BR_SSLKEYX_ECDHE_ECDSA:
			ok = !rsa && ec_hash != 0;
			choices->algo_id = 0xFF00 + ec_hash;
			break;
		case BR_SSLKEYX_ECDH_RSA:
			ok = !rsa && ch->issuer_key_type == BR_KEYTYPE_RSA;
			break;
		case BR_SSLKEYX_ECDH_ECDSA:
			ok = !rsa && ch->issuer_key_type == BR_KEYTYPE_EC;
			break;
		}
		if (ok) {
			choices->cipher_suite = st[u][0];
			return 1;
		}
	}
	return 0;
}

static uint32_t brssl_policy_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
                                  size_t *len)
{
	const struct brssl_key *k = &brssl_policy_of(pctx)->chosen->key;
	if (k->type == BR_KEYTYPE_RSA)
		return br_rsa_ssl_decrypt(br_rsa_private_get_default(), &k->rsa, data, *len);
	const br_ec_impl *iec = br_ec_get_default();
	uint32_t r = iec->mul(data, *len, k->ec.x, k->ec.xlen, k->ec.curve);
	size_t xlen, xoff = iec->xoff(k->ec.curve, &xlen);
	memmove(data, data + xoff, xlen);
	*len = xlen;
	return r;
}

static size_t brssl_policy_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
                                unsigned char *data, size_t hv_len, size_t len)
{
	const struct brssl_key *k = &brssl_policy_of(pctx)->chosen->key;
	unsigned char hv[64];
	unsigned id = algo_id & 0xFF;
	if (algo_id < 0xFF00 || hv_len > sizeof hv)
		return 0;
	memcpy(hv, data, hv_len);
	if (k->type == BR_KEYTYPE_RSA) {
		static const unsigned char *const oids[] = {NULL,
		                                            NULL,
		                                            BR_HASH_OID_SHA1,
		                                            BR_HASH_OID_SHA224,
		                                            BR_HASH_OID_SHA256,
		                                            BR_HASH_OID_SHA384,
		                                            BR_HASH_OID_SHA512};
		size_t sig_len = (k->rsa.n_bitlen + 7) >> 3;
		if (id == 1 || id >= BRSSL_LEN(oids) || len < sig_len)
			return 0;
		return br_rsa_pkcs1_sign_get_default()(oids[id], hv, hv_len, &k->rsa, data)
		               ? sig_len
		               : 0;
	}
	if (id < 1 || id > 6 || len < 139)
		return 0;
	return br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), brssl_hashes[id - 1], hv,
	                                        &k->ec, data);
}

static const br_ssl_server_policy_class brssl_policy_vtable = {
        .context_size = sizeof(struct brssl_policy),
        .choose = brssl_policy_choose,
        .do_keyx = brssl_policy_keyx,
        .do_sign = brssl_policy_sign,
};

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void brssl_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	tlsh_queue_free(&b->in);
	tlsh_queue_free(&b->out);
	free(b->x509.leaf);
	free(b);
}

/** What both roles configure on the engine: TLS 1.2 only, the suites, every
 * algorithm BearSSL 0.6 implements, ALPN, the I/O buffer. */
static void brssl_setup_engine(struct tlsh_buffer *b)
{
	br_ssl_engine_context *eng = b->eng;
	const struct tlsh_context *tc = b->tc;
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, tc->suites, tc->nsuites);
	for (int id = br_md5_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(eng, id, brssl_hashes[id - 1]);
	br_ssl_engine_set_prf10(eng, &br_tls10_prf);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_cbc(eng);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_aes_ccm(eng);
	br_ssl_engine_set_default_des_cbc(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	/* RFC 7301 section 3.2: no common protocol is fatal
	 * (no_application_protocol); without the flag BearSSL carries on. */
	uint32_t flags = BR_OPT_NO_RENEGOTIATION | BR_OPT_FAIL_ON_ALPN_MISMATCH;
	if (tc->role == TLSH_ROLE_SERVER && tc->server_order)
		flags |= BR_OPT_ENFORCE_SERVER_PREFERENCES;
	br_ssl_engine_add_flags(eng, flags);
	if (tc->nalpn > 0)
		br_ssl_engine_set_protocol_names(eng, (const char **)tc->alpn, tc->nalpn);
}

static int brssl_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                            struct tlsh_error *err)
{
	if (out == NULL)
		return tlsh_config_fail(err, "no place to store the buffer");
	*out = NULL;
	if (tc == NULL)
		return tlsh_config_fail(err, "no context");
	struct tlsh_buffer *b = calloc(1, sizeof *b);
	if (b == NULL)
		return tlsh_config_fail(err, "out of memory");
	b->tc = tc;
	tlsh_state_init(&b->st);

	int ok;
	if (tc->role == TLSH_ROLE_CLIENT) {
		br_ssl_client_context *cc = &b->u.client;
		const char *h = server_hostname;
		int verify = tc->verify_peer, check_name = tc->check_name;
		/* SNI as tlsh.h says (none for an address, no trailing dot);
		 * BearSSL hands the same name to the X.509 engine, whose
		 * identity check (brssl_x509_start_chain) reads it the same. */
		char sni[256];
		struct tlsh_identity id;
		int st = tlsh_client_name(h, check_name, &id, sni, err);
		if (st != TLSH_OK) {
			brssl_buffer_free(b);
			return st;
		}
		if (id.kind == TLSH_IDENTITY_IP) {
			brssl_buffer_free(b);
			return tlsh_config_fail(
			        err,
			        "server_hostname \"%.60s\" is an IP address: BearSSL's "
			        "br_x509_minimal matches only dNSName entries and cannot "
			        "verify an IP identity",
			        h);
		}
		br_ssl_client_zero(cc);
		b->eng = &cc->eng;
		brssl_setup_engine(b);
		br_ssl_client_set_default_rsapub(cc);
		brssl_x509_init(&b->x509, b->eng, tc, verify, check_name);
		if (tc->nchains > 0) {
			const struct brssl_chain *ch = &tc->chains[0];
			if (ch->key.type == BR_KEYTYPE_RSA)
				br_ssl_client_set_single_rsa(cc, ch->certs, ch->ncerts,
				                             &ch->key.rsa,
				                             br_rsa_pkcs1_sign_get_default());
			else
				br_ssl_client_set_single_ec(cc, ch->certs, ch->ncerts, &ch->key.ec,
				                            BR_KEYTYPE_SIGN, ch->issuer_key_type,
				                            br_ec_get_default(),
				                            br_ecdsa_sign_asn1_get_default());
		}
		br_ssl_engine_set_buffer(b->eng, b->iobuf, sizeof b->iobuf, 1);
		ok = br_ssl_client_reset(cc, sni[0] != '\0' ? sni : NULL, 0);
	} else {
		br_ssl_server_context *sc = &b->u.server;
		br_ssl_server_zero(sc);
		b->eng = &sc->eng;
		brssl_setup_engine(b);
		b->policy.vtable = &brssl_policy_vtable;
		b->policy.tc = tc;
		br_ssl_server_set_policy(sc, &b->policy.vtable);
		if (tc->verify_peer) {
			/* Request, require (no BR_OPT_TOLERATE_NO_CLIENT_AUTH)
			 * and verify a client certificate. */
			br_ssl_server_set_trust_anchor_names_alt(sc, tc->tas, tc->ntas);
			brssl_x509_init(&b->x509, b->eng, tc, 1, 0);
		}
		br_ssl_engine_set_buffer(b->eng, b->iobuf, sizeof b->iobuf, 1);
		ok = br_ssl_server_reset(sc);
	}
	if (!ok) {
		int e = br_ssl_engine_last_error(b->eng);
		brssl_buffer_free(b);
		return tlsh_config_fail(err, "BearSSL refused to start the connection: %s (%d)",
		                        brssl_err_text(e), e);
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

/** Moves records between the engine and the queues until nothing moves:
 * every record the engine produced goes to the outgoing queue, queued
 * input goes in as fast as the engine takes it. Notes the end of the
 * handshake (application data may flow) on the way, before a later record
 * (e.g. a close_notify right after the Finished) can close the engine.
 * Returns 0 when out of memory. */
/** Once the engine holds the session's master secret (it is zero until
 * the key exchange computed it), hands it over as "CLIENT_RANDOM" with the
 * engine's client random: called before every record leaves the engine,
 * so the secret always precedes the records it protects. BearSSL has no
 * key-log callback; its engine state is public (bearssl_ssl.h). */
static void brssl_secret_poll(struct tlsh_buffer *b)
{
	if (b->secret_cb == NULL || b->secret_sent)
		return;
	const unsigned char *ms = b->eng->session.master_secret;
	unsigned char any = 0;
	for (size_t i = 0; i < sizeof b->eng->session.master_secret; i++)
		any |= ms[i];
	if (!any)
		return;
	b->secret_sent = 1;
	b->secret_cb(b->secret_arg, "CLIENT_RANDOM", b->eng->client_random, ms,
	             sizeof b->eng->session.master_secret);
}

static int brssl_pump(struct tlsh_buffer *b)
{
	for (;;) {
		brssl_secret_poll(b);
		unsigned st = br_ssl_engine_current_state(b->eng);
		size_t len;
		if (st & BR_SSL_CLOSED)
			return 1;
		if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
			b->hs_done = 1;
		if (st & BR_SSL_SENDREC) {
			unsigned char *p = br_ssl_engine_sendrec_buf(b->eng, &len);
			if (!tlsh_queue_append(&b->out, p, len))
				return 0;
			br_ssl_engine_sendrec_ack(b->eng, len);
			continue;
		}
		if ((st & BR_SSL_RECVREC) && b->in.len > 0) {
			unsigned char *p = br_ssl_engine_recvrec_buf(b->eng, &len);
			size_t n = len < b->in.len ? len : b->in.len;
			memcpy(p, tlsh_queue_peek(&b->in), n);
			tlsh_queue_consume(&b->in, n);
			br_ssl_engine_recvrec_ack(b->eng, n);
			continue;
		}
		return 1;
	}
}

/** Runs the engine and reports the handshake's state: OK once complete,
 * WANT_READ while it waits for the peer, TLS_ERROR when it failed or can
 * no longer complete (transport EOF). */
static int brssl_advance(struct tlsh_buffer *b)
{
	if (!brssl_pump(b))
		return tlsh_state_kill(&b->st, "out of memory");
	if (b->hs_done)
		return TLSH_OK;
	if (br_ssl_engine_current_state(b->eng) & BR_SSL_CLOSED)
		return brssl_engine_fail(b, "handshake failed");
	if (b->st.eof && b->in.len == 0)
		return tlsh_state_kill(&b->st, "transport EOF during the handshake");
	return TLSH_WANT_READ;
}

/** The engine is closed: CLOSED after both close_notify alerts (the only
 * way BearSSL stops with BR_ERR_OK once the handshake is done), else its
 * error. */
static int brssl_closed_status(struct tlsh_buffer *b, const char *what)
{
	if (b->hs_done && br_ssl_engine_last_error(b->eng) == BR_ERR_OK) {
		return tlsh_state_closed(&b->st);
	}
	return brssl_engine_fail(b, what);
}

static int brssl_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	return brssl_advance(b);
}

static int brssl_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	if ((st = brssl_advance(b)) != TLSH_OK)
		return st;
	unsigned es = br_ssl_engine_current_state(b->eng);
	if (es & BR_SSL_RECVAPP) {
		size_t len;
		unsigned char *p = br_ssl_engine_recvapp_buf(b->eng, &len);
		if (cap == 0)
			return TLSH_OK;
		size_t k = len < cap ? len : cap;
		memcpy(dst, p, k);
		br_ssl_engine_recvapp_ack(b->eng, k);
		*n = k;
		if (!brssl_pump(b))
			return tlsh_state_kill(&b->st, "out of memory");
		return TLSH_OK;
	}
	if (es & BR_SSL_CLOSED)
		return brssl_closed_status(b, "read failed");
	if (b->st.eof && b->in.len == 0) {
		return tlsh_state_ragged(&b->st, "transport EOF without close_notify (BearSSL has "
		                                 "no EOF input; detected by the adapter)");
	}
	return TLSH_WANT_READ;
}

static int brssl_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->sent_close)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR, "write after shutdown");
	if (b->st.closed)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "write after the peer's close_notify (BearSSL closed)");
	int st = brssl_advance(b);
	if (st != TLSH_OK)
		return st;
	size_t done = 0;
	while (done < len && b->out.len < BRSSL_OUTGOING_CAP) {
		size_t avail;
		if (!(br_ssl_engine_current_state(b->eng) & BR_SSL_SENDAPP))
			break;
		unsigned char *p = br_ssl_engine_sendapp_buf(b->eng, &avail);
		size_t k = avail < len - done ? avail : len - done;
		memcpy(p, src + done, k);
		br_ssl_engine_sendapp_ack(b->eng, k);
		/* One record per write: flush what was buffered. */
		br_ssl_engine_flush(b->eng, 0);
		done += k;
		if (!brssl_pump(b))
			return tlsh_state_kill(&b->st, "out of memory");
	}
	*n = done;
	if (done > 0 || len == 0)
		return TLSH_OK;
	if (br_ssl_engine_current_state(b->eng) & BR_SSL_CLOSED) {
		if (brssl_closed_status(b, "write failed") == TLSH_CLOSED)
			return tlsh_state_fail(
			        &b->st, TLSH_TLS_ERROR,
			        "write after the peer's close_notify (BearSSL closed)");
		return TLSH_TLS_ERROR;
	}
	if (b->out.len >= BRSSL_OUTGOING_CAP)
		return TLSH_WANT_WRITE;
	return TLSH_WANT_READ;
}

static int brssl_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->st.closed)
		return TLSH_OK; /* BearSSL answered the peer's close_notify */
	if (!b->hs_done)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "shutdown before the handshake completed");
	if (!b->sent_close) {
		br_ssl_engine_close(b->eng);
		b->sent_close = 1;
	}
	if (!brssl_pump(b))
		return tlsh_state_kill(&b->st, "out of memory");
	if (br_ssl_engine_current_state(b->eng) & BR_SSL_CLOSED)
		return brssl_closed_status(b, "shutdown failed") == TLSH_CLOSED ? TLSH_OK
		                                                                : TLSH_TLS_ERROR;
	if (b->st.eof && b->in.len == 0) {
		b->st.ragged = 1;
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "transport EOF before the peer's close_notify");
	}
	return TLSH_WANT_READ;
}

static int brssl_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return tlsh_state_store(&b->st, &b->in, 0, data, len, BRSSL_INCOMING_CAP);
}

static int brssl_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	return TLSH_OK;
}

static int brssl_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	brssl_secret_poll(b);
	return TLSH_OK;
}

static int brssl_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = tlsh_queue_take(&b->out, dst, cap);
	return TLSH_OK;
}

static size_t brssl_incoming_bytes_buffered(tlsh_buffer *b)
{
	return b->in.len;
}

static size_t brssl_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return b->out.len;
}

static uint16_t brssl_cipher(tlsh_buffer *b)
{
	br_ssl_session_parameters sp;
	if (!b->hs_done)
		return 0;
	br_ssl_engine_get_session_parameters(b->eng, &sp);
	return sp.cipher_suite;
}

static int brssl_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	const char *name = b->hs_done ? br_ssl_engine_get_selected_protocol(b->eng) : NULL;
	*proto = NULL;
	*len = 0;
	if (name == NULL || name[0] == '\0')
		return 0;
	*proto = (const uint8_t *)name;
	*len = strlen(name);
	return 1;
}

static enum tlsh_version brssl_negotiated_tls_version(tlsh_buffer *b)
{
	if (b->hs_done && br_ssl_engine_get_version(b->eng) == BR_TLS12)
		return TLSH_TLS_1_2;
	return TLSH_VERSION_NONE;
}

static int brssl_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	const struct brssl_x509 *x = &b->x509;
	*der = NULL;
	*len = 0;
	if (!b->hs_done || x->vtable == NULL || x->ncert == 0 || x->leaf_bad || x->leaf_len == 0 ||
	    x->leaf_len != x->leaf_want)
		return 0;
	*der = x->leaf;
	*len = x->leaf_len;
	return 1;
}

static void brssl_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static pthread_once_t brssl_once = PTHREAD_ONCE_INIT;
static char brssl_version[160] = "BearSSL (version unknown)";

/** BearSSL has no version call: its version is the one in the file name of
 * the libbearssl loaded at run time (libbearssl.so.0.6). */
static void brssl_init(void)
{
	Dl_info info;
	void *sym = (void *)(uintptr_t)&br_ssl_engine_current_state;
	if (dladdr(sym, &info) == 0 || info.dli_fname == NULL)
		return;
	char real[PATH_MAX];
	const char *path = realpath(info.dli_fname, real) ? real : info.dli_fname;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *so = strstr(base, ".so.");
	if (so != NULL && so[4] != '\0')
		snprintf(brssl_version, sizeof brssl_version, "BearSSL %.20s (%.100s)", so + 4,
		         base);
	else
		snprintf(brssl_version, sizeof brssl_version, "BearSSL (%.100s)", base);
}

static const struct tlsh_implementation brssl_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "bearssl",
        .library_version = brssl_version, /* filled by brssl_init */
        /* No TLSH_CAP_TLS13 (BearSSL 0.6 has no TLS 1.3) and therefore no
         * TLSH_CAP_CIPHERS_TLS13. TLSH_CAP_EXPORT_SECRETS: the TLS 1.2
         * master secret, polled from the engine state before each record
         * leaves the engine (brssl_secret_poll). */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_CLIENT_AUTH | TLSH_CAP_CIPHERS_TLS12 |
                        TLSH_CAP_ALPN | TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT |
                        TLSH_CAP_TRANSPORT_EOF | TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER |
                        TLSH_CAP_INSECURE | TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN |
                        TLSH_CAP_EXPORT_SECRETS,
        .validate_config = brssl_validate_config,
        .context_new = brssl_context_new,
        .context_free = brssl_context_free,
        .buffer_new = brssl_buffer_new,
        .buffer_free = brssl_buffer_free,
        .do_handshake = brssl_do_handshake,
        .read = brssl_read,
        .write = brssl_write,
        .shutdown = brssl_shutdown,
        .process_incoming = brssl_process_incoming,
        .process_incoming_eof = brssl_process_incoming_eof,
        .process_outgoing = brssl_process_outgoing,
        .incoming_bytes_buffered = brssl_incoming_bytes_buffered,
        .outgoing_bytes_buffered = brssl_outgoing_bytes_buffered,
        .cipher = brssl_cipher,
        .negotiated_protocol = brssl_negotiated_protocol,
        .negotiated_tls_version = brssl_negotiated_tls_version,
        .getpeercert = brssl_getpeercert,
        .last_error = brssl_last_error,
        .set_secret_callback = brssl_set_secret_callback,
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&brssl_once, brssl_init);
	return &brssl_impl;
}
