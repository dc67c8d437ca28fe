/*
 * openssl.c - tlsharness adapter for OpenSSL 3.0 (libssl).
 *
 * Every buffer is one SSL object between two memory BIOs: process_incoming
 * appends to the read BIO, process_outgoing drains the write BIO, and nothing
 * here does I/O. Transport EOF switches the read BIO from "empty means retry"
 * (eof_return -1) to "empty means end of stream" (eof_return 0); OpenSSL 3.0
 * then reports SSL_R_UNEXPECTED_EOF_WHILE_READING, which becomes RAGGED_EOF
 * after the handshake and TLS_ERROR during it. SSL_OP_IGNORE_UNEXPECTED_EOF is
 * never set.
 *
 * A context holds one SSL_CTX per server certificate chain (a client context
 * holds exactly one). All of them carry the same versions, ciphers, trust,
 * verification and ALPN settings; the servername callback moves a connection
 * to the SSL_CTX whose leaf matches the client's SNI.
 *
 * Alerts are observed with the info callback; the first fatal alert sent and
 * received (or, failing that, the first non-close_notify one) is what
 * last_error reports.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty buffer is always accepted. */
#define OSSL_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Largest certificate, key or trust file read from a path. */
#define OSSL_MAX_FILE ((size_t)16 << 20)
/** Room in the IANA id -> OpenSSL name table. */
#define OSSL_MAX_CIPHERS 512
/** Every TLS 1.3 suite OpenSSL 3.0 implements, to learn their ids. */
#define OSSL_ALL_TLS13                                                                             \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"              \
	"TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** A list of certificates (spelled as a typedef for clang-format's sake). */
typedef STACK_OF(X509) ossl_certs;

/** A cipher suite OpenSSL knows: IANA id and the name its cipher strings
 * use. The name points into libssl's static cipher tables. */
struct ossl_cipher {
	uint16_t id;
	const char *name;
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify that the certificate names server_hostname. */
	int check_name;
	/** One SSL_CTX per server chain, [0] being the default; one for a
	 * client. */
	SSL_CTX **ctx;
	size_t nctx;
	/** ALPN protocol list in wire format (length-prefixed names). */
	unsigned char *alpn;
	size_t alpn_len;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	SSL *ssl;
	/** Owned by ssl. */
	BIO *rbio;
	BIO *wbio;
	/** The handshake completed at some point (sticky). */
	int hs_done;
	/** End of stream, failure, alerts, last error. */
	struct tlsh_state st;
	/** Client: what the server's leaf must name (RFC 9525). */
	struct tlsh_identity id;
	/** getpeercert cache: DER of peer_x. */
	const X509 *peer_x;
	unsigned char *peer_der;
	size_t peer_der_len;
	/** set_secret_callback's receiver (NULL: none). */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
};

/* ------------------------------------------------------------------------ */
/* One-time initialisation                                                  */
/* ------------------------------------------------------------------------ */

static pthread_once_t ossl_once = PTHREAD_ONCE_INIT;
static int ossl_init_ok;
static struct ossl_cipher ossl_ciphers[OSSL_MAX_CIPHERS];
static size_t ossl_nciphers;
static struct tlsh_implementation ossl_impl;

/** Learns every cipher suite this libssl can use (with the providers loaded)
 * from a throwaway SSL_CTX that enables all of them. */
static void ossl_init(void)
{
	SSL_CTX *tmp = SSL_CTX_new(TLS_method());
	if (tmp == NULL)
		return;
	SSL_CTX_set_security_level(tmp, 0);
	if (SSL_CTX_set_cipher_list(tmp, "ALL:COMPLEMENTOFALL") == 1 &&
	    SSL_CTX_set_ciphersuites(tmp, OSSL_ALL_TLS13) == 1) {
		STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(tmp);
		for (int i = 0; i < sk_SSL_CIPHER_num(sk) && ossl_nciphers < OSSL_MAX_CIPHERS;
		     i++) {
			const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
			ossl_ciphers[ossl_nciphers].id = SSL_CIPHER_get_protocol_id(c);
			ossl_ciphers[ossl_nciphers].name = SSL_CIPHER_get_name(c);
			ossl_nciphers++;
		}
		ossl_impl.library_version = OpenSSL_version(OPENSSL_VERSION);
		ossl_init_ok = ossl_nciphers > 0 && ossl_impl.library_version != NULL;
	}
	SSL_CTX_free(tmp);
	ERR_clear_error();
}

static const char *ossl_cipher_name(uint16_t id)
{
	for (size_t i = 0; i < ossl_nciphers; i++)
		if (ossl_ciphers[i].id == id)
			return ossl_ciphers[i].name;
	return NULL;
}

static int ossl_is_tls13_suite(uint16_t id)
{
	return (id >> 8) == 0x13;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** Formats the first queued OpenSSL error into dst ("" when none); for a
 * certificate verification failure the verify result is appended. */
static void ossl_queue_text(SSL *ssl, char *dst, size_t cap)
{
	unsigned long e = ERR_peek_error();
	dst[0] = '\0';
	if (e == 0)
		return;
	ERR_error_string_n(e, dst, cap);
	if (ssl != NULL && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		size_t used = strlen(dst);
		long vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK && used < cap)
			snprintf(dst + used, cap - used, " (%s)",
			         X509_verify_cert_error_string(vr));
	}
}

/** Fills err (if any) with a configuration error: `what`, then the first
 * queued OpenSSL error. Clears the queue. */
__attribute__((format(printf, 2, 3))) static int ossl_cfg_fail(struct tlsh_error *err,
                                                               const char *fmt, ...)
{
	char what[100], lib[150];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	ossl_queue_text(NULL, lib, sizeof lib);
	ERR_clear_error();
	return tlsh_config_fail(err, "%s%s%s", what, lib[0] ? ": " : "", lib);
}

/** Records a failing call on b: its status, the alerts seen on this buffer,
 * and the first queued OpenSSL error (or `what` when the queue is empty).
 * Clears the queue. Returns status. */
static int ossl_buf_fail(struct tlsh_buffer *b, int status, const char *what)
{
	char lib[sizeof b->st.last.message];
	ossl_queue_text(b->ssl, lib, sizeof lib);
	ERR_clear_error();
	return tlsh_state_fail(&b->st, status, "%s", lib[0] ? lib : what);
}

/** Maps the result of a failed SSL_do_handshake/read/write/shutdown. */
static int ossl_map(struct tlsh_buffer *b, int ret, const char *what)
{
	switch (SSL_get_error(b->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		ERR_clear_error();
		return TLSH_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return TLSH_WANT_WRITE;
	default:
		/* OpenSSL puts the state machine back "in init" on every
		 * fatal error; a refused call (e.g. write after shutdown)
		 * leaves the connection usable. */
		if (!b->hs_done || SSL_in_init(b->ssl) || b->st.alert_sent_fatal ||
		    b->st.alert_received_fatal)
			b->st.failed = 1;
		return ossl_buf_fail(b, TLSH_TLS_ERROR, what);
	}
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What OpenSSL 3.0 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules ossl_rules = {
        .tls13 = 1,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = INT_MAX,
        .library = "OpenSSL",
};

/** Checks `config` for `role` and computes what context_new configures: the
 * generic plan, then the cipher ids OpenSSL knows (unknown ids are ignored;
 * each version that stays negotiable needs at least one known suite). The
 * plan's versions are OpenSSL's (TLS1_2_VERSION, TLS1_3_VERSION). */
static int ossl_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                            struct tlsh_plan *p, struct tlsh_error *err)
{
	if (tlsh_plan_config(&ossl_rules, role, config, p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->c;
	if (c->ciphers == NULL)
		return TLSH_OK;
	int has12 = 0, has13 = 0;
	for (size_t i = 0; i < c->ciphers_len; i++) {
		if (ossl_cipher_name(c->ciphers[i]) == NULL)
			continue;
		if (ossl_is_tls13_suite(c->ciphers[i]))
			has13 = 1;
		else
			has12 = 1;
	}
	return tlsh_plan_ciphers(p, has12, has13, err);
}

static int ossl_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct tlsh_plan p;
	(void)self;
	if (ossl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** Never prompts: encrypted keys are not supported. */
static int ossl_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/** Returns a memory BIO with the bytes of a BUFFER or PATH source. */
static BIO *ossl_source_bio(const struct tlsh_source *s)
{
	if (s->kind == TLSH_SOURCE_BUFFER)
		return BIO_new_mem_buf(s->data, (int)s->len);
	BIO *f = BIO_new_file(s->path, "rb");
	BIO *m = BIO_new(BIO_s_mem());
	if (f == NULL || m == NULL)
		goto fail;
	unsigned char chunk[4096];
	size_t total = 0, got = 0;
	while (BIO_read_ex(f, chunk, sizeof chunk, &got) == 1 && got > 0) {
		total += got;
		if (total > OSSL_MAX_FILE || BIO_write(m, chunk, (int)got) != (int)got)
			goto fail;
	}
	BIO_free(f);
	ERR_clear_error();
	return m;
fail:
	BIO_free(f);
	BIO_free(m);
	return NULL;
}

/** PEM or DER, as tlsh.h defines it (tlsh_is_pem). */
static int ossl_bio_is_pem(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	return n > 0 && tlsh_is_pem(p, (size_t)n);
}

/** Appends every certificate of `s` to `out` (PEM: all of them, DER: one).
 * Returns 1 if at least one was read and nothing was malformed. */
static int ossl_load_certs(const struct tlsh_source *s, ossl_certs *out)
{
	BIO *b = ossl_source_bio(s);
	int n = 0, ok = 0;
	if (b == NULL)
		return 0;
	if (!ossl_bio_is_pem(b)) {
		X509 *x = d2i_X509_bio(b, NULL);
		ok = x != NULL && sk_X509_push(out, x) > 0;
		if (!ok)
			X509_free(x);
		BIO_free(b);
		return ok;
	}
	for (;;) {
		X509 *x = PEM_read_bio_X509_AUX(b, NULL, ossl_no_password, NULL);
		if (x == NULL)
			break;
		if (sk_X509_push(out, x) <= 0) {
			X509_free(x);
			BIO_free(b);
			return 0;
		}
		n++;
	}
	/* PEM_read skips blocks that are not certificates (e.g. a key), so
	 * the loop ends at the end of the data, which PEM reports as "no
	 * start line", or at a malformed certificate. */
	unsigned long e = ERR_peek_last_error();
	ok = n > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	if (ok)
		ERR_clear_error();
	BIO_free(b);
	return ok;
}

static EVP_PKEY *ossl_load_key(const struct tlsh_source *s)
{
	BIO *b = ossl_source_bio(s);
	EVP_PKEY *k = NULL;
	if (b == NULL)
		return NULL;
	if (ossl_bio_is_pem(b))
		k = PEM_read_bio_PrivateKey(b, NULL, ossl_no_password, NULL);
	else
		k = d2i_PrivateKey_bio(b, NULL);
	BIO_free(b);
	return k;
}

/** Installs chain `ch` (leaf, key, intermediates) into ctx. */
static int ossl_use_chain(SSL_CTX *ctx, const struct tlsh_signing_chain *ch, size_t idx,
                          struct tlsh_error *err)
{
	ossl_certs *certs = sk_X509_new_null();
	EVP_PKEY *key = NULL;
	int st = TLSH_CONFIGURATION_ERROR;
	if (certs == NULL) {
		ossl_cfg_fail(err, "out of memory");
		goto out;
	}
	if (!ossl_load_certs(&ch->leaf, certs)) {
		ossl_cfg_fail(err, "chain %zu: cannot load the leaf certificate", idx);
		goto out;
	}
	for (size_t j = 0; j < ch->chain_len; j++) {
		if (!ossl_load_certs(&ch->chain[j], certs)) {
			ossl_cfg_fail(err, "chain %zu: cannot load intermediate %zu", idx, j);
			goto out;
		}
	}
	key = ossl_load_key(&ch->key);
	if (key == NULL) {
		ossl_cfg_fail(err, "chain %zu: cannot load the private key", idx);
		goto out;
	}
	X509 *leaf = sk_X509_value(certs, 0);
	if (X509_check_private_key(leaf, key) != 1) {
		ossl_cfg_fail(err, "chain %zu: the private key does not match the leaf", idx);
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ossl_cfg_fail(err, "chain %zu: certificate or key rejected", idx);
		goto out;
	}
	/* A PEM leaf source may carry intermediates after the leaf; they and
	 * the explicit ones follow the leaf in order. */
	for (int j = 1; j < sk_X509_num(certs); j++) {
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(certs, j)) != 1) {
			ossl_cfg_fail(err, "chain %zu: intermediate rejected", idx);
			goto out;
		}
	}
	st = TLSH_OK;
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	return st;
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                */
/* ------------------------------------------------------------------------ */

static void ossl_info_cb(const SSL *ssl, int where, int ret)
{
	struct tlsh_buffer *b = SSL_get_app_data(ssl);
	if (b == NULL)
		return;
	if (where & SSL_CB_HANDSHAKE_DONE)
		b->hs_done = 1;
	if (!(where & SSL_CB_ALERT))
		return;
	int level = (ret >> 8) & 0xff, desc = ret & 0xff;
	if (where & (SSL_CB_WRITE | SSL_CB_READ))
		tlsh_state_alert(&b->st, (where & SSL_CB_WRITE) != 0, desc, level == SSL3_AL_FATAL);
}

/** Every SSL_CTX's keylog callback: OpenSSL logs each secret as it derives
 * it (TLS 1.3 traffic secrets as it switches keys, the TLS 1.2 master
 * secret once computed), before the records they protect are written or
 * read, as one NSS key-log line; it goes to the buffer's receiver. */
static void ossl_keylog_cb(const SSL *ssl, const char *line)
{
	struct tlsh_buffer *b = SSL_get_app_data(ssl);
	if (b != NULL && b->secret_cb != NULL)
		tlsh_keylog_line(line, b->secret_cb, b->secret_arg);
}

/** Server ALPN: the first protocol in the server's order that the client
 * offered; no overlap is fatal (no_application_protocol, RFC 7301 3.2). */
static int ossl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned int inlen, void *arg)
{
	const struct tlsh_context *tc = arg;
	(void)ssl;
	return tlsh_alpn_select(tc->alpn, tc->alpn_len, in, inlen, out, outlen)
	               ? SSL_TLSEXT_ERR_OK
	               : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/** Does x's subjectAltName name `id` (RFC 9525: dNSName or iPAddress
 * entries only, never the subject CN)? */
static int ossl_names(X509 *x, const struct tlsh_identity *id)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int found = 0;
	for (int i = 0; !found && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			found = tlsh_identity_match(id, TLSH_SAN_DNS,
			                            ASN1_STRING_get0_data(g->d.dNSName),
			                            (size_t)ASN1_STRING_length(g->d.dNSName));
		else if (g->type == GEN_IPADD)
			found = tlsh_identity_match(id, TLSH_SAN_IP,
			                            ASN1_STRING_get0_data(g->d.iPAddress),
			                            (size_t)ASN1_STRING_length(g->d.iPAddress));
	}
	GENERAL_NAMES_free(gens);
	return found;
}

/** Client verification: OpenSSL's verdict on the chain stands; once the
 * leaf passed it, the leaf must name server_hostname (the shared RFC 9525
 * matcher; OpenSSL's X509_check_host takes no trailing dot as the absolute
 * form of a name). A mismatch fails the way OpenSSL's own check would, with
 * X509_V_ERR_HOSTNAME_MISMATCH or X509_V_ERR_IP_ADDRESS_MISMATCH
 * (bad_certificate). */
static int ossl_verify_cb(int ok, X509_STORE_CTX *st)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tlsh_buffer *b = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	if (!ok || b == NULL || b->id.kind == TLSH_IDENTITY_NONE ||
	    X509_STORE_CTX_get_error_depth(st) != 0)
		return ok;
	if (ossl_names(X509_STORE_CTX_get_current_cert(st), &b->id))
		return 1;
	X509_STORE_CTX_set_error(st, b->id.kind == TLSH_IDENTITY_IP ? X509_V_ERR_IP_ADDRESS_MISMATCH
	                                                            : X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

/** Server SNI: switch to the first chain whose leaf matches the name; keep
 * the first chain when none does or no name was sent. */
static int ossl_servername(SSL *ssl, int *alert, void *arg)
{
	const struct tlsh_context *tc = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct tlsh_identity id;
	if (name == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	tlsh_identity_set(&id, name);
	for (size_t i = 0; i < tc->nctx; i++) {
		X509 *leaf = SSL_CTX_get0_certificate(tc->ctx[i]);
		if (leaf == NULL || !ossl_names(leaf, &id))
			continue;
		if (SSL_get_SSL_CTX(ssl) != tc->ctx[i] &&
		    SSL_set_SSL_CTX(ssl, tc->ctx[i]) == NULL) {
			*alert = SSL_AD_INTERNAL_ERROR;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void ossl_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nctx; i++)
		SSL_CTX_free(tc->ctx[i]);
	free(tc->ctx);
	free(tc->alpn);
	free(tc);
}

/** Builds the OpenSSL cipher strings for the configured ids: TLS 1.2 names
 * for SSL_CTX_set_cipher_list, TLS 1.3 names for SSL_CTX_set_ciphersuites.
 * Unknown ids are skipped. */
static int ossl_cipher_strings(const struct tlsh_config *c, char **s12, char **s13)
{
	size_t cap = 1;
	for (size_t i = 0; i < c->ciphers_len; i++) {
		const char *n = ossl_cipher_name(c->ciphers[i]);
		if (n != NULL)
			cap += strlen(n) + 1;
	}
	*s12 = calloc(1, cap);
	*s13 = calloc(1, cap);
	if (*s12 == NULL || *s13 == NULL)
		return 0;
	for (size_t i = 0; i < c->ciphers_len; i++) {
		const char *n = ossl_cipher_name(c->ciphers[i]);
		if (n == NULL)
			continue;
		char *dst = ossl_is_tls13_suite(c->ciphers[i]) ? *s13 : *s12;
		if (dst[0] != '\0')
			strcat(dst, ":");
		strcat(dst, n);
	}
	return 1;
}

/** Applies everything but the certificate chain to one SSL_CTX. */
static int ossl_setup_ctx(struct tlsh_context *tc, SSL_CTX *ctx, const struct tlsh_plan *p,
                          const char *s12, const char *s13, ossl_certs *trust,
                          struct tlsh_error *err)
{
	const struct tlsh_config *c = &p->c;
	static const unsigned char sid_ctx[] = "tlsharness";
	if (SSL_CTX_set_min_proto_version(ctx, (int)p->lowest) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, (int)p->highest) != 1)
		return ossl_cfg_fail(err, "cannot set the version range");
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No renegotiation (a PEP 748 buffer has none; the other adapters
	 * disable it too): a HelloRequest gets no_renegotiation, and a
	 * client's renegotiating ClientHello is refused. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (c->ciphers != NULL) {
		if (s12[0] != '\0' && SSL_CTX_set_cipher_list(ctx, s12) != 1)
			return ossl_cfg_fail(err, "cannot set TLS 1.2 ciphers \"%.60s\"", s12);
		/* An empty TLS 1.3 list is valid (the range was capped). */
		if (SSL_CTX_set_ciphersuites(ctx, s13) != 1)
			return ossl_cfg_fail(err, "cannot set TLS 1.3 ciphers \"%.60s\"", s13);
	}

	/* Trust and verification. */
	const struct tlsh_source *ts = c->trust_store;
	if (tc->role == TLSH_ROLE_CLIENT || p->verify_peer) {
		if (ts == NULL || ts->kind == TLSH_SOURCE_NONE || ts->kind == TLSH_SOURCE_SYSTEM) {
			if (SSL_CTX_set_default_verify_paths(ctx) != 1)
				return ossl_cfg_fail(err, "cannot load the system trust store");
		} else if (trust != NULL) {
			X509_STORE *st = SSL_CTX_get_cert_store(ctx);
			for (int i = 0; i < sk_X509_num(trust); i++)
				if (X509_STORE_add_cert(st, sk_X509_value(trust, i)) != 1)
					return ossl_cfg_fail(err,
					                     "cannot add a trusted certificate");
		} else if (SSL_CTX_load_verify_dir(ctx, ts->path) != 1) {
			return ossl_cfg_fail(err, "cannot use trust directory %.100s", ts->path);
		}
	}
	if (tc->role == TLSH_ROLE_CLIENT) {
		SSL_CTX_set_verify(ctx, p->verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
		                   ossl_verify_cb);
	} else {
		if (p->verify_peer)
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			                   NULL);
		if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1) != 1)
			return ossl_cfg_fail(err, "cannot set the session id context");
		SSL_CTX_set_tlsext_servername_callback(ctx, ossl_servername);
		SSL_CTX_set_tlsext_servername_arg(ctx, tc);
	}

	/* ALPN. */
	if (tc->alpn_len > 0) {
		if (tc->role == TLSH_ROLE_CLIENT) {
			/* Note: returns 0 on success. */
			if (SSL_CTX_set_alpn_protos(ctx, tc->alpn, (unsigned int)tc->alpn_len) != 0)
				return ossl_cfg_fail(err, "cannot set the ALPN protocols");
		} else {
			SSL_CTX_set_alpn_select_cb(ctx, ossl_alpn_select, tc);
		}
	}
	return TLSH_OK;
}

/** Loads a BUFFER or PATH trust store into a stack; a PATH naming a
 * directory yields *out == NULL (used as an OpenSSL hashed directory). */
static int ossl_load_trust(const struct tlsh_source *ts, ossl_certs **out, struct tlsh_error *err)
{
	struct stat sb;
	*out = NULL;
	if (ts == NULL || (ts->kind != TLSH_SOURCE_BUFFER && ts->kind != TLSH_SOURCE_PATH))
		return TLSH_OK;
	if (ts->kind == TLSH_SOURCE_PATH && stat(ts->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return TLSH_OK;
	*out = sk_X509_new_null();
	if (*out == NULL || !ossl_load_certs(ts, *out)) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
		return ossl_cfg_fail(err, "cannot load the trust store");
	}
	return TLSH_OK;
}

static int ossl_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                            const struct tlsh_config *config, tlsh_context **out,
                            struct tlsh_error *err)
{
	struct tlsh_plan p;
	struct tlsh_context *tc = NULL;
	ossl_certs *trust = NULL;
	char *s12 = NULL, *s13 = NULL;
	int st = TLSH_CONFIGURATION_ERROR;
	(void)self;
	if (out != NULL)
		*out = NULL;
	if (out == NULL)
		return ossl_cfg_fail(err, "no place to store the context");
	if (ossl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p.c;
	ERR_clear_error();

	tc = calloc(1, sizeof *tc);
	if (tc == NULL || !ossl_cipher_strings(c, &s12, &s13)) {
		ossl_cfg_fail(err, "out of memory");
		goto out;
	}
	tc->role = role;
	tc->check_name = p.check_name;
	if (!tlsh_alpn_wire(c, &tc->alpn, &tc->alpn_len)) {
		ossl_cfg_fail(err, "out of memory");
		goto out;
	}
	if (ossl_load_trust(c->trust_store, &trust, err) != TLSH_OK)
		goto out;

	size_t n = role == TLSH_ROLE_SERVER ? c->certificate_chains_len : 1;
	tc->ctx = calloc(n, sizeof *tc->ctx);
	if (tc->ctx == NULL) {
		ossl_cfg_fail(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		SSL_CTX *ctx = SSL_CTX_new(role == TLSH_ROLE_SERVER ? TLS_server_method()
		                                                    : TLS_client_method());
		if (ctx == NULL) {
			ossl_cfg_fail(err, "SSL_CTX_new failed");
			goto out;
		}
		tc->ctx[tc->nctx++] = ctx;
		/* On every SSL_CTX: an SNI switch moves the SSL to another. */
		SSL_CTX_set_keylog_callback(ctx, ossl_keylog_cb);
		if (ossl_setup_ctx(tc, ctx, &p, s12, s13, trust, err) != TLSH_OK)
			goto out;
		if (i < c->certificate_chains_len &&
		    ossl_use_chain(ctx, &c->certificate_chains[i], i, err) != TLSH_OK)
			goto out;
	}
	st = TLSH_OK;
	*out = tc;
	tc = NULL;
	tlsh_error_ok(err);
out:
	sk_X509_pop_free(trust, X509_free);
	free(s12);
	free(s13);
	ossl_context_free(tc);
	ERR_clear_error();
	return st;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void ossl_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	SSL_free(b->ssl); /* frees both BIOs */
	OPENSSL_free(b->peer_der);
	free(b);
}

static int ossl_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                           struct tlsh_error *err)
{
	if (out == NULL)
		return ossl_cfg_fail(err, "no place to store the buffer");
	*out = NULL;
	if (tc == NULL)
		return ossl_cfg_fail(err, "no context");
	ERR_clear_error();
	struct tlsh_buffer *b = calloc(1, sizeof *b);
	if (b == NULL)
		return ossl_cfg_fail(err, "out of memory");
	b->tc = tc;
	tlsh_state_init(&b->st);
	b->ssl = SSL_new(tc->ctx[0]);
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
	if (b->ssl == NULL || rbio == NULL || wbio == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		ossl_buffer_free(b);
		return ossl_cfg_fail(err, "cannot create the SSL object");
	}
	/* Empty means "retry later" until process_incoming_eof. */
	BIO_set_mem_eof_return(rbio, -1);
	BIO_set_mem_eof_return(wbio, -1);
	SSL_set_bio(b->ssl, rbio, wbio);
	b->rbio = rbio;
	b->wbio = wbio;
	SSL_set_app_data(b->ssl, b);
	SSL_set_info_callback(b->ssl, ossl_info_cb);

	if (tc->role == TLSH_ROLE_SERVER) {
		SSL_set_accept_state(b->ssl);
	} else {
		SSL_set_connect_state(b->ssl);
		/* The verify callback checks the identity; SNI as tlsh.h says
		 * (none for an address, no trailing dot). */
		char sni[256];
		int st = tlsh_client_name(server_hostname, tc->check_name, &b->id, sni, err);
		if (st != TLSH_OK) {
			ossl_buffer_free(b);
			return st;
		}
		if (sni[0] != '\0' && SSL_set_tlsext_host_name(b->ssl, sni) != 1) {
			ossl_buffer_free(b);
			return ossl_cfg_fail(err, "cannot use server_hostname \"%.80s\"", sni);
		}
	}
	ERR_clear_error();
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

/** Remembers that the handshake is complete once OpenSSL says so. */
static void ossl_note_done(struct tlsh_buffer *b)
{
	if (!b->hs_done && SSL_is_init_finished(b->ssl))
		b->hs_done = 1;
}

static int ossl_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	ERR_clear_error();
	int r = SSL_do_handshake(b->ssl);
	ossl_note_done(b);
	if (r == 1) {
		b->hs_done = 1;
		return TLSH_OK;
	}
	return ossl_map(b, r, "handshake failed");
}

/** Is this failure OpenSSL's report of a transport EOF? */
static int ossl_is_eof_error(struct tlsh_buffer *b, int e)
{
	if (!b->st.eof)
		return 0;
	if (e == SSL_ERROR_SYSCALL)
		return 1;
	unsigned long q = ERR_peek_error();
	return e == SSL_ERROR_SSL && ERR_GET_LIB(q) == ERR_LIB_SSL &&
	       ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static int ossl_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	unsigned char scratch[1];
	size_t got = 0;
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	ERR_clear_error();
	/* A zero-byte read still drives the handshake and reports the state;
	 * peek so that nothing is consumed. */
	int r = cap > 0 ? SSL_read_ex(b->ssl, dst, cap, &got)
	                : SSL_peek_ex(b->ssl, scratch, sizeof scratch, &got);
	ossl_note_done(b);
	if (r == 1) {
		*n = cap > 0 ? got : 0;
		return TLSH_OK;
	}
	int e = SSL_get_error(b->ssl, r);
	if (e == SSL_ERROR_ZERO_RETURN && b->hs_done) {
		ERR_clear_error();
		return tlsh_state_closed(&b->st);
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		b->st.failed = 1;
		return ossl_buf_fail(b, TLSH_TLS_ERROR,
		                     "close_notify before the handshake completed");
	}
	if (b->hs_done && ossl_is_eof_error(b, e)) {
		b->st.ragged = 1;
		return ossl_buf_fail(b, TLSH_RAGGED_EOF, "transport EOF without close_notify");
	}
	return ossl_map(b, r, "read failed");
}

static int ossl_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	size_t put = 0;
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (len == 0)
		return TLSH_OK;
	ERR_clear_error();
	int r = SSL_write_ex(b->ssl, src, len, &put);
	ossl_note_done(b);
	if (r == 1) {
		*n = put;
		return TLSH_OK;
	}
	return ossl_map(b, r, "write failed");
}

static int ossl_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!b->hs_done)
		return ossl_buf_fail(b, TLSH_TLS_ERROR, "shutdown before the handshake completed");
	ERR_clear_error();
	if (!(SSL_get_shutdown(b->ssl) & SSL_SENT_SHUTDOWN)) {
		int r = SSL_shutdown(b->ssl); /* queues close_notify */
		if (r < 0)
			return ossl_map(b, r, "shutdown failed");
	}
	/* Wait for the peer's close_notify with SSL_read, not SSL_shutdown:
	 * OpenSSL 3.0 fails SSL_shutdown fatally on application data that
	 * the peer sent before it saw our close_notify. We closed our read
	 * side, so such data is discarded (RFC 5246 7.2.1, RFC 8446 6.1). */
	while (!(SSL_get_shutdown(b->ssl) & SSL_RECEIVED_SHUTDOWN)) {
		unsigned char sink[4096];
		size_t got = 0;
		ERR_clear_error();
		int r = SSL_read_ex(b->ssl, sink, sizeof sink, &got);
		if (r == 1)
			continue;
		int e = SSL_get_error(b->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			break;
		if (ossl_is_eof_error(b, e))
			b->st.ragged = 1;
		return ossl_map(b, r, "shutdown failed");
	}
	b->st.closed = 1;
	ERR_clear_error();
	int r = SSL_shutdown(b->ssl);
	if (r == 1) {
		ERR_clear_error();
		return TLSH_OK;
	}
	return ossl_map(b, r, "shutdown failed");
}

static int ossl_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	int st =
	        tlsh_state_incoming(&b->st, (SSL_get_shutdown(b->ssl) & SSL_RECEIVED_SHUTDOWN) != 0,
	                            data, len, BIO_ctrl_pending(b->rbio), OSSL_INCOMING_CAP);
	if (st != TLSH_PROCEED)
		return st;
	while (len > 0) {
		size_t chunk = len > (size_t)INT_MAX ? (size_t)INT_MAX : len, put = 0;
		ERR_clear_error();
		if (BIO_write_ex(b->rbio, data, chunk, &put) != 1 || put != chunk)
			return ossl_buf_fail(b, TLSH_TLS_ERROR, "cannot buffer incoming bytes");
		data += chunk;
		len -= chunk;
	}
	return TLSH_OK;
}

static int ossl_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	BIO_set_mem_eof_return(b->rbio, 0);
	return TLSH_OK;
}

static int ossl_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	size_t got = 0;
	*n = 0;
	if (cap > 0 && BIO_read_ex(b->wbio, dst, cap, &got) == 1)
		*n = got;
	return TLSH_OK;
}

static size_t ossl_incoming_bytes_buffered(tlsh_buffer *b)
{
	return BIO_ctrl_pending(b->rbio);
}

static size_t ossl_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return BIO_ctrl_pending(b->wbio);
}

static uint16_t ossl_cipher(tlsh_buffer *b)
{
	const SSL_CIPHER *c = b->hs_done ? SSL_get_current_cipher(b->ssl) : NULL;
	return c != NULL ? SSL_CIPHER_get_protocol_id(c) : 0;
}

static int ossl_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	const unsigned char *p = NULL;
	unsigned int l = 0;
	if (b->hs_done)
		SSL_get0_alpn_selected(b->ssl, &p, &l);
	if (p == NULL || l == 0) {
		*proto = NULL;
		*len = 0;
		return 0;
	}
	*proto = p;
	*len = l;
	return 1;
}

static enum tlsh_version ossl_negotiated_tls_version(tlsh_buffer *b)
{
	if (!b->hs_done)
		return TLSH_VERSION_NONE;
	switch (SSL_version(b->ssl)) {
	case TLS1_2_VERSION:
		return TLSH_TLS_1_2;
	case TLS1_3_VERSION:
		return TLSH_TLS_1_3;
	}
	return TLSH_VERSION_NONE;
}

static int ossl_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	X509 *x = b->hs_done ? SSL_get0_peer_certificate(b->ssl) : NULL;
	*der = NULL;
	*len = 0;
	if (x == NULL)
		return 0;
	if (x != b->peer_x || b->peer_der == NULL) {
		unsigned char *d = NULL;
		int l = i2d_X509(x, &d);
		if (l <= 0) {
			ERR_clear_error();
			return 0;
		}
		OPENSSL_free(b->peer_der);
		b->peer_der = d;
		b->peer_der_len = (size_t)l;
		b->peer_x = x;
	}
	*der = b->peer_der;
	*len = b->peer_der_len;
	return 1;
}

static void ossl_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

static int ossl_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static struct tlsh_implementation ossl_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "openssl",
        .library_version = NULL, /* OpenSSL_version(), set by ossl_init */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_CLIENT_AUTH |
                        TLSH_CAP_CIPHERS_TLS12 | TLSH_CAP_CIPHERS_TLS13 | TLSH_CAP_ALPN |
                        TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT | TLSH_CAP_TRANSPORT_EOF |
                        TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE |
                        TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN | TLSH_CAP_EXPORT_SECRETS,
        .validate_config = ossl_validate_config,
        .context_new = ossl_context_new,
        .context_free = ossl_context_free,
        .buffer_new = ossl_buffer_new,
        .buffer_free = ossl_buffer_free,
        .do_handshake = ossl_do_handshake,
        .read = ossl_read,
        .write = ossl_write,
        .shutdown = ossl_shutdown,
        .process_incoming = ossl_process_incoming,
        .process_incoming_eof = ossl_process_incoming_eof,
        .process_outgoing = ossl_process_outgoing,
        .incoming_bytes_buffered = ossl_incoming_bytes_buffered,
        .outgoing_bytes_buffered = ossl_outgoing_bytes_buffered,
        .cipher = ossl_cipher,
        .negotiated_protocol = ossl_negotiated_protocol,
        .negotiated_tls_version = ossl_negotiated_tls_version,
        .getpeercert = ossl_getpeercert,
        .last_error = ossl_last_error,
        .set_secret_callback = ossl_set_secret_callback,
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&ossl_once, ossl_init);
	if (!ossl_init_ok) {
		fprintf(stderr, "tlsh-openssl: cannot initialise OpenSSL's cipher table\n");
		return NULL;
	}
	return &ossl_impl;
}
