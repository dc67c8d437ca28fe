/*
 * boringssl.c - tlsharness adapter for BoringSSL as packaged by Debian 12
 * (android-libboringssl-dev: headers in /usr/include/android/openssl, no
 * pkg-config file).
 *
 * The adapter maps the descriptor in tlsh.h onto BoringSSL's SSL object with
 * two memory BIOs: process_incoming writes into the read BIO,
 * process_outgoing drains the write BIO, and nothing does I/O.
 *
 * BoringSSL specifics worth knowing when reading this file:
 *  - TLS 1.3 cipher suites cannot be configured (fixed set), so
 *    TLSH_CAP_CIPHERS_TLS13 is not declared. A cipher list that names no
 *    TLS 1.2 suite limits the context to TLS 1.3 and one that names no
 *    TLS 1.3 suite limits it to TLS 1.2 (configuration error when the
 *    version range leaves nothing).
 *  - Transport EOF without close_notify shows up as SSL_ERROR_SYSCALL with
 *    an empty error queue; close_notify as SSL_ERROR_ZERO_RETURN.
 *  - SSL_set_alpn_protos / SSL_CTX_set_alpn_protos return 0 on success. An
 *    ALPN select callback returning SSL_TLSEXT_ERR_ALERT_FATAL makes
 *    BoringSSL send no_application_protocol itself (there is no out_alert).
 *  - SSL_shutdown while the handshake is in progress "succeeds" without
 *    sending anything, and its second stage treats application data as a
 *    fatal error; the adapter guards against both (see bssl_shutdown).
 *  - Alerts are observed with an info callback (SSL_CB_ALERT).
 *
 * Several server chains: one SSL_CTX per chain with identical settings; the
 * servername callback switches to the chain whose leaf matches the SNI with
 * SSL_set_SSL_CTX (the first chain otherwise).
 *
 * Thread safety: no mutable globals. Per-SSL state is found through the
 * SSL's app data slot (ex_data index 0, reserved by BoringSSL for it), so no
 * ex_data index has to be allocated at run time.
 */
#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/base.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/** process_incoming refuses bytes (WANT_READ, nothing stored) once this many
 * unprocessed bytes would be held. An empty buffer always accepts. */
#define BSSL_INCOMING_CAP ((size_t)1 << 20)
/** Largest certificate, key or trust file read for a PATH source. */
#define BSSL_MAX_FILE ((size_t)64 << 20)

#define BSSL_STR2(x) #x
#define BSSL_STR(x) BSSL_STR2(x)

/* ------------------------------------------------------------------------ */
/* Objects                                                                  */
/* ------------------------------------------------------------------------ */

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify that the certificate names server_hostname. */
	int check_name;
	/** One SSL_CTX per server chain (clients: exactly one). Index 0 is the
	 * default: SSL objects are created from it. */
	SSL_CTX **sctx;
	/** Leaf certificate of each chain (servers, for SNI matching); NULL
	 * entries on a client. */
	X509 **leaf;
	size_t n;
	/** ALPN list in wire format (length-prefixed names), NULL if unused. */
	uint8_t *alpn;
	size_t alpn_len;
};

struct tlsh_buffer {
	tlsh_context *ctx;
	SSL *ssl;
	BIO *rbio;       /* owned by ssl */
	BIO *wbio;       /* owned by ssl */
	int shut;        /* shutdown was called: writes are refused */
	int notify_sent; /* SSL_shutdown queued our close_notify */
	/* End of stream, failure, the last error; st.alert_sent/received are
	 * the last alert sent / received (close_notify excluded). */
	struct tlsh_state st;
	struct tlsh_identity id; /* client: what the server's leaf must name */
	uint8_t *peer_der;       /* cached DER of the peer's leaf */
	size_t peer_der_len;
	tlsh_secret_fn secret_cb; /* set_secret_callback's receiver, or NULL */
	void *secret_arg;
};

/** What validation derives from a configuration: the generic plan (its
 * versions are BoringSSL's TLS1_2_VERSION / TLS1_3_VERSION) and the cipher
 * string. */
struct bssl_plan {
	struct tlsh_plan p;
	/** Strict cipher string for TLS 1.2 suites, NULL for the default. */
	char *cipher_list;
};

/* ------------------------------------------------------------------------ */
/* Error helpers                                                            */
/* ------------------------------------------------------------------------ */

/** Writes the first queued library error as text into dst (empty when the
 * queue is empty) and clears the queue. */
static void bssl_lib_text(char *dst, size_t cap)
{
	uint32_t e = ERR_get_error();

	if (cap == 0)
		return;
	dst[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, dst, cap);
	ERR_clear_error();
}

/** A configuration error, with the library's reason appended if it has one. */
static int bssl_cfg_fail(struct tlsh_error *err, const char *what)
{
	char lib[200];

	bssl_lib_text(lib, sizeof lib);
	return tlsh_config_fail(err, "%s%s%s", what, lib[0] ? ": " : "", lib);
}

/** A configuration error about a source: names the file for PATH sources. */
static int bssl_cfg_fail_src(struct tlsh_error *err, const char *what,
                             const struct tlsh_source *src)
{
	char msg[160];

	if (src && src->kind == TLSH_SOURCE_PATH && src->path)
		snprintf(msg, sizeof msg, "%s (%s)", what, src->path);
	else
		snprintf(msg, sizeof msg, "%s", what);
	return bssl_cfg_fail(err, msg);
}

/** Records a failing buffer call with a fixed message. `sticky` marks the
 * buffer unusable (fatal protocol errors). */
static int bssl_buf_fail(struct tlsh_buffer *b, int status, int sticky, const char *msg)
{
	tlsh_state_fail(&b->st, status, "%s", msg);
	if (sticky)
		b->st.failed = 1;
	ERR_clear_error();
	return status;
}

/** Records a fatal library failure: first queued error, plus the certificate
 * verification result when verification failed. */
static int bssl_buf_fail_lib(struct tlsh_buffer *b, const char *fallback)
{
	char lib[200];
	uint32_t e = ERR_peek_error();
	long vr = SSL_get_verify_result(b->ssl);

	/* The verify result is meaningful only when verification ran (it
	 * says "invalid call" otherwise). */
	if (ERR_GET_LIB(e) != ERR_LIB_SSL || ERR_GET_REASON(e) != SSL_R_CERTIFICATE_VERIFY_FAILED)
		vr = X509_V_OK;
	bssl_lib_text(lib, sizeof lib);
	if (!lib[0])
		snprintf(lib, sizeof lib, "%s", fallback);
	if (vr != X509_V_OK)
		return tlsh_state_kill(&b->st, "%s (certificate verification: %s)", lib,
		                       X509_verify_cert_error_string(vr));
	return tlsh_state_kill(&b->st, "%s", lib);
}

enum bssl_op { BSSL_OP_HANDSHAKE, BSSL_OP_READ, BSSL_OP_WRITE, BSSL_OP_SHUTDOWN };

/** Maps the result `ret` (<= 0) of an SSL call to a status, recording the
 * error detail. Only reads may end in CLOSED or RAGGED_EOF. */
static int bssl_map(struct tlsh_buffer *b, int ret, enum bssl_op op)
{
	int e = SSL_get_error(b->ssl, ret);
	int done = SSL_is_init_finished(b->ssl);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLSH_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLSH_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (op == BSSL_OP_READ && done) {
			ERR_clear_error();
			return tlsh_state_closed(&b->st);
		}
		return bssl_buf_fail(b, TLSH_TLS_ERROR, 1,
		                     done ? "close_notify received"
		                          : "close_notify during the handshake");
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() != 0)
			break;
		/* BoringSSL: transport EOF (the read BIO returned 0). */
		if (!done)
			return bssl_buf_fail(b, TLSH_TLS_ERROR, 1,
			                     "transport EOF during the handshake");
		if (op == BSSL_OP_READ) {
			b->st.ragged = 1;
			return bssl_buf_fail(b, TLSH_RAGGED_EOF, 0,
			                     "transport EOF without close_notify");
		}
		return bssl_buf_fail(b, TLSH_TLS_ERROR, 1, "transport EOF without close_notify");
	default:
		break;
	}
	return bssl_buf_fail_lib(b, "TLS error");
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

/** What BoringSSL takes (tlsh_plan_config). */
static const struct tlsh_plan_rules bssl_rules = {
        .tls13 = 1,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = INT_MAX,
        .library = "BoringSSL",
};

/** Builds the TLS 1.2 cipher string and narrows the version range to the
 * versions the list leaves usable. */
static int bssl_plan_ciphers(const struct tlsh_config *cfg, struct bssl_plan *p,
                             struct tlsh_error *err)
{
	uint8_t *seen;
	size_t total = 1, used = 0;
	int has12 = 0, has13 = 0;

	if (!cfg->ciphers)
		return TLSH_OK;
	seen = calloc(65536 / 8, 1);
	if (!seen)
		return tlsh_config_fail(err, "out of memory");
	for (int pass = 0; pass < 2; pass++) {
		memset(seen, 0, 65536 / 8);
		for (size_t i = 0; i < cfg->ciphers_len; i++) {
			uint16_t id = cfg->ciphers[i];
			const SSL_CIPHER *c = SSL_get_cipher_by_value(id);
			const char *name;
			size_t len;

			if (!c || (seen[id >> 3] & (1u << (id & 7))))
				continue;
			seen[id >> 3] |= (uint8_t)(1u << (id & 7));
			if (SSL_CIPHER_get_min_version(c) >= TLS1_3_VERSION) {
				has13 = 1; /* fixed set in BoringSSL: accepted, ignored */
				continue;
			}
			if (SSL_CIPHER_get_auth_nid(c) == NID_auth_psk)
				continue; /* no PSK is ever configured: unusable */
			has12 = 1;
			name = SSL_CIPHER_get_name(c);
			len = strlen(name);
			if (pass == 0) {
				total += len + 1;
			} else {
				if (used)
					p->cipher_list[used++] = ':';
				memcpy(p->cipher_list + used, name, len);
				used += len;
				p->cipher_list[used] = '\0';
			}
		}
		if (pass == 0) {
			if (!has12)
				break;
			p->cipher_list = malloc(total);
			if (!p->cipher_list) {
				free(seen);
				return tlsh_config_fail(err, "out of memory");
			}
			p->cipher_list[0] = '\0';
		}
	}
	free(seen);

	if (tlsh_plan_ciphers(&p->p, has12, has13, err) != TLSH_OK) {
		free(p->cipher_list);
		p->cipher_list = NULL;
		return TLSH_CONFIGURATION_ERROR;
	}
	return TLSH_OK;
}

/** Full validation shared by validate_config and context_new: the generic
 * plan, then the cipher list. On TLSH_OK the caller owns plan->cipher_list. */
static int bssl_check(enum tlsh_role role, const struct tlsh_config *config, struct bssl_plan *p,
                      struct tlsh_error *err)
{
	p->cipher_list = NULL;
	if (tlsh_plan_config(&bssl_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	return bssl_plan_ciphers(&p->p.c, p, err);
}

static int bssl_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct bssl_plan plan;
	int st;

	(void)self;
	st = bssl_check(role, config, &plan, err);
	free(plan.cipher_list);
	if (st == TLSH_OK)
		tlsh_error_ok(err);
	return st;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates, keys and trust stores                              */
/* ------------------------------------------------------------------------ */

/** The bytes of a BUFFER or PATH source; `owned` is freed by the caller. */
struct bssl_blob {
	const uint8_t *data;
	size_t len;
	uint8_t *owned;
};

static int bssl_blob_get(const struct tlsh_source *s, struct bssl_blob *out)
{
	return tlsh_source_bytes(s, BSSL_MAX_FILE, &out->data, &out->len, &out->owned) == 0 &&
	       out->len <= INT_MAX;
}

/** Loads every certificate of a source (PEM: all blocks; DER: one). Returns
 * a non-empty stack or NULL. */
static STACK_OF(X509) * bssl_load_certs(const struct tlsh_source *s)
{
	struct bssl_blob blob;
	STACK_OF(X509) * sk;
	X509 *x;

	if (!bssl_blob_get(s, &blob))
		return NULL;
	sk = sk_X509_new_null();
	if (!sk)
		goto fail;
	if (tlsh_is_pem(blob.data, blob.len)) {
		BIO *bio = BIO_new_mem_buf(blob.data, (int)blob.len);
		uint32_t e;

		if (!bio)
			goto fail;
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (!sk_X509_push(sk, x)) {
				X509_free(x);
				BIO_free(bio);
				goto fail;
			}
		}
		BIO_free(bio);
		/* The loop ends with "no start line" at the end of the text;
		 * anything else is a malformed block. */
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE ||
		    sk_X509_num(sk) == 0)
			goto fail;
		ERR_clear_error();
	} else {
		const uint8_t *p = blob.data;

		x = d2i_X509(NULL, &p, (long)blob.len);
		if (!x)
			goto fail;
		if (p != blob.data + blob.len || !sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	free(blob.owned);
	return sk;
fail:
	sk_X509_pop_free(sk, X509_free);
	free(blob.owned);
	return NULL;
}

static int bssl_no_password(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return 0;
}

static EVP_PKEY *bssl_load_key(const struct tlsh_source *s)
{
	struct bssl_blob blob;
	EVP_PKEY *k = NULL;

	if (!bssl_blob_get(s, &blob))
		return NULL;
	if (tlsh_is_pem(blob.data, blob.len)) {
		BIO *bio = BIO_new_mem_buf(blob.data, (int)blob.len);

		if (bio)
			k = PEM_read_bio_PrivateKey(bio, NULL, bssl_no_password, NULL);
		BIO_free(bio);
	} else {
		const uint8_t *p = blob.data;

		k = d2i_AutoPrivateKey(NULL, &p, (long)blob.len);
	}
	free(blob.owned);
	return k;
}

/** Builds the X509_STORE for a trust source (NULL/NONE/SYSTEM: the system
 * default paths). */
static X509_STORE *bssl_load_store(const struct tlsh_source *ts, struct tlsh_error *err)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *sk = NULL;
	struct stat st;

	if (!store) {
		bssl_cfg_fail(err, "trust store");
		return NULL;
	}
	if (!ts || ts->kind == TLSH_SOURCE_NONE || ts->kind == TLSH_SOURCE_SYSTEM) {
		if (!X509_STORE_set_default_paths(store))
			goto fail;
		return store;
	}
	if (ts->kind == TLSH_SOURCE_PATH && stat(ts->path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!X509_STORE_load_locations(store, NULL, ts->path))
			goto fail;
		return store;
	}
	sk = bssl_load_certs(ts);
	if (!sk)
		goto fail;
	for (size_t i = 0; i < sk_X509_num(sk); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(sk, i))) {
			uint32_t e = ERR_peek_last_error();

			if (ERR_GET_LIB(e) != ERR_LIB_X509 ||
			    ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
				goto fail;
			ERR_clear_error();
		}
	}
	sk_X509_pop_free(sk, X509_free);
	return store;
fail:
	sk_X509_pop_free(sk, X509_free);
	X509_STORE_free(store);
	bssl_cfg_fail_src(err, "cannot load the trust store", ts);
	return NULL;
}

/** Installs a signing chain on `s`; stores a new reference to the leaf. */
static int bssl_use_chain(SSL_CTX *s, const struct tlsh_signing_chain *ch, X509 **leaf_out,
                          struct tlsh_error *err)
{
	STACK_OF(X509) *leaf = bssl_load_certs(&ch->leaf);
	EVP_PKEY *key = NULL;

	if (!leaf)
		return bssl_cfg_fail_src(err, "cannot load the certificate", &ch->leaf);
	if (!SSL_CTX_use_certificate(s, sk_X509_value(leaf, 0)))
		goto fail_cert;
	/* Further certificates after the leaf are intermediates. */
	for (size_t i = 1; i < sk_X509_num(leaf); i++)
		if (!SSL_CTX_add1_chain_cert(s, sk_X509_value(leaf, i)))
			goto fail_cert;
	for (size_t j = 0; j < ch->chain_len; j++) {
		STACK_OF(X509) *im = bssl_load_certs(&ch->chain[j]);
		int ok = im != NULL;

		for (size_t i = 0; ok && i < sk_X509_num(im); i++)
			ok = SSL_CTX_add1_chain_cert(s, sk_X509_value(im, i));
		sk_X509_pop_free(im, X509_free);
		if (!ok) {
			sk_X509_pop_free(leaf, X509_free);
			return bssl_cfg_fail_src(err, "cannot load an intermediate certificate",
			                         &ch->chain[j]);
		}
	}
	key = bssl_load_key(&ch->key);
	if (!key) {
		sk_X509_pop_free(leaf, X509_free);
		return bssl_cfg_fail_src(err, "cannot load the private key", &ch->key);
	}
	if (!SSL_CTX_use_PrivateKey(s, key) || !SSL_CTX_check_private_key(s)) {
		EVP_PKEY_free(key);
		sk_X509_pop_free(leaf, X509_free);
		return bssl_cfg_fail(err, "the private key does not match the certificate");
	}
	EVP_PKEY_free(key);
	*leaf_out = sk_X509_value(leaf, 0);
	X509_up_ref(*leaf_out);
	sk_X509_pop_free(leaf, X509_free);
	return TLSH_OK;
fail_cert:
	sk_X509_pop_free(leaf, X509_free);
	return bssl_cfg_fail_src(err, "cannot use the certificate", &ch->leaf);
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                */
/* ------------------------------------------------------------------------ */

/** Records alerts sent and received (close_notify is not an error). */
static void bssl_info_cb(const SSL *ssl, int where, int ret)
{
	struct tlsh_buffer *b;
	int desc = ret & 0xff;

	if (!(where & SSL_CB_ALERT) || desc == SSL_AD_CLOSE_NOTIFY)
		return;
	b = SSL_get_app_data(ssl);
	if (!b)
		return;
	if (where & SSL_CB_READ)
		b->st.alert_received = desc;
	else if (where & SSL_CB_WRITE)
		b->st.alert_sent = desc;
}

/** Every SSL_CTX's keylog callback: BoringSSL logs each secret as it
 * derives it (TLS 1.3 traffic secrets as it installs them, the TLS 1.2
 * master secret once computed), before the records they protect are written
 * or read, as one NSS key-log line; it goes to the buffer's receiver. */
static void bssl_keylog_cb(const SSL *ssl, const char *line)
{
	struct tlsh_buffer *b = SSL_get_app_data(ssl);
	if (b != NULL && b->secret_cb != NULL)
		tlsh_keylog_line(line, b->secret_cb, b->secret_arg);
}

/** Server ALPN: the first protocol in the server's order that the client
 * offered; no overlap fails the handshake (BoringSSL then sends
 * no_application_protocol). */
static int bssl_alpn_select(SSL *ssl, const uint8_t **out, uint8_t *out_len, const uint8_t *in,
                            unsigned in_len, void *arg)
{
	const struct tlsh_context *c = arg;

	(void)ssl;
	return tlsh_alpn_select(c->alpn, c->alpn_len, in, in_len, out, out_len)
	               ? SSL_TLSEXT_ERR_OK
	               : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/** Does x's subjectAltName name `id` (RFC 9525: dNSName or iPAddress
 * entries only, never the subject CN)? */
static int bssl_names(X509 *x, const struct tlsh_identity *id)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	for (size_t i = 0; !found && i < sk_GENERAL_NAME_num(gens); i++) {
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

/** Client verification: BoringSSL's verdict on the chain stands; once the
 * leaf passed it, the leaf must name server_hostname (the shared RFC 9525
 * matcher). A mismatch fails as BoringSSL's own check would, with
 * X509_V_ERR_HOSTNAME_MISMATCH or X509_V_ERR_IP_ADDRESS_MISMATCH. */
static int bssl_verify_cb(int ok, X509_STORE_CTX *st)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tlsh_buffer *b = ssl ? SSL_get_app_data(ssl) : NULL;

	if (!ok || !b || b->id.kind == TLSH_IDENTITY_NONE ||
	    X509_STORE_CTX_get_error_depth(st) != 0)
		return ok;
	if (bssl_names(X509_STORE_CTX_get_current_cert(st), &b->id))
		return 1;
	X509_STORE_CTX_set_error(st, b->id.kind == TLSH_IDENTITY_IP ? X509_V_ERR_IP_ADDRESS_MISMATCH
	                                                            : X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

/** Server SNI: switches to the chain whose leaf matches the name. */
static int bssl_servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tlsh_context *c = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct tlsh_identity id;

	if (!name)
		return SSL_TLSEXT_ERR_NOACK;
	tlsh_identity_set(&id, name);
	for (size_t i = 0; i < c->n; i++) {
		if (!c->leaf[i] || !bssl_names(c->leaf[i], &id))
			continue;
		if (!SSL_set_SSL_CTX(ssl, c->sctx[i])) {
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

static void bssl_context_free(tlsh_context *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		SSL_CTX_free(c->sctx[i]);
		X509_free(c->leaf[i]);
	}
	free(c->sctx);
	free(c->leaf);
	free(c->alpn);
	free(c);
}

/** Builds one SSL_CTX with every setting of the configuration and chain
 * `ch` (NULL: no certificate). */
static int bssl_ctx_build(tlsh_context *c, const struct bssl_plan *p, X509_STORE *store,
                          const struct tlsh_signing_chain *ch, size_t idx, struct tlsh_error *err)
{
	SSL_CTX *s = SSL_CTX_new(TLS_method());
	int mode;

	if (!s)
		return bssl_cfg_fail(err, "SSL_CTX_new failed");
	c->sctx[idx] = s;
	/* On every SSL_CTX: an SNI switch moves the SSL to another. */
	SSL_CTX_set_keylog_callback(s, bssl_keylog_cb);
	if (!SSL_CTX_set_min_proto_version(s, (uint16_t)p->p.lowest) ||
	    !SSL_CTX_set_max_proto_version(s, (uint16_t)p->p.highest))
		return bssl_cfg_fail(err, "cannot set the version range");
	if (p->cipher_list && !SSL_CTX_set_strict_cipher_list(s, p->cipher_list))
		return bssl_cfg_fail(err, "cannot set the cipher list");
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (store) {
		X509_STORE_up_ref(store);
		SSL_CTX_set_cert_store(s, store);
	}
	if (c->role == TLSH_ROLE_CLIENT)
		mode = p->p.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
	else
		mode = store ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE;
	SSL_CTX_set_verify(s, mode, c->role == TLSH_ROLE_CLIENT ? bssl_verify_cb : NULL);
	if (ch) {
		int st = bssl_use_chain(s, ch, &c->leaf[idx], err);

		if (st != TLSH_OK)
			return st;
	}
	if (c->role == TLSH_ROLE_SERVER) {
		if (c->alpn)
			SSL_CTX_set_alpn_select_cb(s, bssl_alpn_select, c);
		SSL_CTX_set_tlsext_servername_callback(s, bssl_servername_cb);
		SSL_CTX_set_tlsext_servername_arg(s, c);
	} else if (c->alpn && SSL_CTX_set_alpn_protos(s, c->alpn, (unsigned)c->alpn_len) != 0) {
		/* BoringSSL: 0 is success here. */
		return bssl_cfg_fail(err, "cannot set the ALPN protocols");
	}
	return TLSH_OK;
}

static int bssl_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                            const struct tlsh_config *config, tlsh_context **out,
                            struct tlsh_error *err)
{
	struct bssl_plan plan;
	const struct tlsh_config *cfg = &plan.p.c;
	tlsh_context *c;
	X509_STORE *store = NULL;
	int st;

	(void)self;
	if (!out)
		return tlsh_config_fail(err, "out is NULL");
	*out = NULL;
	ERR_clear_error();
	st = bssl_check(role, config, &plan, err);
	if (st != TLSH_OK)
		return st;

	c = calloc(1, sizeof *c);
	if (!c)
		goto oom;
	c->role = role;
	c->check_name = plan.p.check_name;
	c->n = role == TLSH_ROLE_SERVER ? cfg->certificate_chains_len : 1;
	c->sctx = calloc(c->n, sizeof *c->sctx);
	c->leaf = calloc(c->n, sizeof *c->leaf);
	if (!c->sctx || !c->leaf || !tlsh_alpn_wire(cfg, &c->alpn, &c->alpn_len))
		goto oom;
	if (role == TLSH_ROLE_CLIENT || plan.p.verify_peer) {
		store = bssl_load_store(cfg->trust_store, err);
		if (!store) {
			st = TLSH_CONFIGURATION_ERROR;
			goto fail;
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct tlsh_signing_chain *ch =
		        cfg->certificate_chains_len ? &cfg->certificate_chains[i] : NULL;

		st = bssl_ctx_build(c, &plan, store, ch, i, err);
		if (st != TLSH_OK)
			goto fail;
	}
	X509_STORE_free(store);
	free(plan.cipher_list);
	tlsh_error_ok(err);
	*out = c;
	return TLSH_OK;
oom:
	st = tlsh_config_fail(err, "out of memory");
fail:
	X509_STORE_free(store);
	free(plan.cipher_list);
	bssl_context_free(c);
	ERR_clear_error();
	return st;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void bssl_buffer_free(tlsh_buffer *b)
{
	if (!b)
		return;
	SSL_free(b->ssl); /* frees both BIOs */
	free(b->peer_der);
	free(b);
}

/** Client: SNI and the name or address the certificate must match (the
 * verify callback checks it). */
static int bssl_set_peer_name(tlsh_buffer *b, const char *host, struct tlsh_error *err)
{
	char sni[256];
	/* SNI as tlsh.h says: none for an IP literal, no trailing dot. */
	int st = tlsh_client_name(host, b->ctx->check_name, &b->id, sni, err);
	if (st != TLSH_OK)
		return st;
	if (sni[0] != '\0' && !SSL_set_tlsext_host_name(b->ssl, sni))
		return bssl_cfg_fail(err, "invalid server_hostname");
	return TLSH_OK;
}

static int bssl_buffer_new(tlsh_context *c, const char *server_hostname, tlsh_buffer **out,
                           struct tlsh_error *err)
{
	tlsh_buffer *b;
	BIO *r = NULL, *w = NULL;
	int st;

	if (!out || !c)
		return tlsh_config_fail(err, "NULL argument");
	*out = NULL;
	ERR_clear_error();
	b = calloc(1, sizeof *b);
	if (!b)
		return tlsh_config_fail(err, "out of memory");
	b->ctx = c;
	tlsh_state_init(&b->st);
	b->ssl = SSL_new(c->sctx[0]);
	r = BIO_new(BIO_s_mem());
	w = BIO_new(BIO_s_mem());
	if (!b->ssl || !r || !w) {
		BIO_free(r);
		BIO_free(w);
		st = bssl_cfg_fail(err, "cannot create the connection");
		goto fail;
	}
	/* Until process_incoming_eof, an empty read BIO means "retry later". */
	BIO_set_mem_eof_return(r, -1);
	BIO_set_mem_eof_return(w, -1);
	SSL_set_bio(b->ssl, r, w);
	b->rbio = r;
	b->wbio = w;
	SSL_set_app_data(b->ssl, b);
	SSL_set_info_callback(b->ssl, bssl_info_cb);
	if (c->role == TLSH_ROLE_CLIENT) {
		SSL_set_connect_state(b->ssl);
		if ((st = bssl_set_peer_name(b, server_hostname, err)) != TLSH_OK)
			goto fail;
	} else {
		SSL_set_accept_state(b->ssl);
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
fail:
	bssl_buffer_free(b);
	ERR_clear_error();
	return st;
}

static int bssl_do_handshake(tlsh_buffer *b)
{
	int r;

	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	ERR_clear_error();
	r = SSL_do_handshake(b->ssl);
	if (r == 1)
		return TLSH_OK;
	return bssl_map(b, r, BSSL_OP_HANDSHAKE);
}

static int bssl_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int r = tlsh_state_read(&b->st, n);

	if (r != TLSH_PROCEED)
		return r;
	ERR_clear_error();
	if (cap == 0 || !dst) {
		/* Nothing can be returned: drive the handshake and report the
		 * state without consuming plaintext. */
		uint8_t tmp;

		r = SSL_peek(b->ssl, &tmp, 1);
		if (r > 0)
			return TLSH_OK;
	} else {
		r = SSL_read(b->ssl, dst, cap > INT_MAX ? INT_MAX : (int)cap);
		if (r > 0) {
			*n = (size_t)r;
			return TLSH_OK;
		}
	}
	return bssl_map(b, r, BSSL_OP_READ);
}

static int bssl_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	int r;

	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->shut)
		return bssl_buf_fail(b, TLSH_TLS_ERROR, 0, "write after shutdown");
	if (len == 0)
		return TLSH_OK;
	ERR_clear_error();
	r = SSL_write(b->ssl, src, len > INT_MAX ? INT_MAX : (int)len);
	if (r > 0) {
		*n = (size_t)r;
		return TLSH_OK;
	}
	return bssl_map(b, r, BSSL_OP_WRITE);
}

/*
 * Sends close_notify, then waits for the peer's. BoringSSL's own second
 * stage fails on application data; PEP 748's shutdown means "no longer
 * interested", so the adapter reads and discards data until close_notify.
 */
static int bssl_shutdown(tlsh_buffer *b)
{
	uint8_t scratch[4096];
	int r;

	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!SSL_is_init_finished(b->ssl)) {
		/* BoringSSL would return 1 here without sending anything. */
		return bssl_buf_fail(b, TLSH_TLS_ERROR, 0,
		                     "shutdown before the handshake completed");
	}
	b->shut = 1;
	if (!b->notify_sent) {
		ERR_clear_error();
		r = SSL_shutdown(b->ssl);
		if (r < 0)
			return bssl_map(b, r, BSSL_OP_SHUTDOWN);
		b->notify_sent = 1;
		if (r == 1)
			return TLSH_OK;
	}
	while (!b->st.closed) {
		int st;

		if (b->st.ragged)
			return bssl_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "transport EOF without the peer's close_notify");
		ERR_clear_error();
		r = SSL_read(b->ssl, scratch, sizeof scratch);
		if (r > 0)
			continue;
		st = bssl_map(b, r, BSSL_OP_READ);
		if (st == TLSH_RAGGED_EOF)
			return bssl_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "transport EOF without the peer's close_notify");
		if (st != TLSH_CLOSED)
			return st;
	}
	ERR_clear_error();
	r = SSL_shutdown(b->ssl);
	if (r == 1)
		return TLSH_OK;
	if (r == 0)
		return TLSH_WANT_READ;
	return bssl_map(b, r, BSSL_OP_SHUTDOWN);
}

static int bssl_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	int st = tlsh_state_incoming(&b->st, 0, data, len, BIO_pending(b->rbio), BSSL_INCOMING_CAP);

	if (st != TLSH_PROCEED)
		return st;
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		int r = BIO_write(b->rbio, data, chunk);

		if (r <= 0)
			return bssl_buf_fail(b, TLSH_TLS_ERROR, 0, "cannot buffer incoming bytes");
		data += r;
		len -= (size_t)r;
	}
	return TLSH_OK;
}

static int bssl_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	/* From now on an empty read BIO reports EOF instead of "retry". */
	BIO_set_mem_eof_return(b->rbio, 0);
	return TLSH_OK;
}

static int bssl_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int r;

	*n = 0;
	if (cap == 0 || !dst || BIO_pending(b->wbio) == 0)
		return TLSH_OK;
	r = BIO_read(b->wbio, dst, cap > INT_MAX ? INT_MAX : (int)cap);
	if (r > 0)
		*n = (size_t)r;
	return TLSH_OK;
}

static size_t bssl_incoming_bytes_buffered(tlsh_buffer *b)
{
	return BIO_pending(b->rbio);
}

static size_t bssl_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return BIO_ctrl_pending(b->wbio);
}

static uint16_t bssl_cipher(tlsh_buffer *b)
{
	const SSL_CIPHER *c;

	if (!SSL_is_init_finished(b->ssl))
		return 0;
	c = SSL_get_current_cipher(b->ssl);
	return c ? SSL_CIPHER_get_protocol_id(c) : 0;
}

static int bssl_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	const uint8_t *p = NULL;
	unsigned l = 0;

	*proto = NULL;
	*len = 0;
	if (!SSL_is_init_finished(b->ssl))
		return 0;
	SSL_get0_alpn_selected(b->ssl, &p, &l);
	if (!p || l == 0)
		return 0;
	*proto = p;
	*len = l;
	return 1;
}

static enum tlsh_version bssl_negotiated_tls_version(tlsh_buffer *b)
{
	if (!SSL_is_init_finished(b->ssl))
		return TLSH_VERSION_NONE;
	switch (SSL_version(b->ssl)) {
	case TLS1_2_VERSION:
		return TLSH_TLS_1_2;
	case TLS1_3_VERSION:
		return TLSH_TLS_1_3;
	default:
		return TLSH_VERSION_NONE;
	}
}

static int bssl_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	*der = NULL;
	*len = 0;
	if (!b->peer_der) {
		const STACK_OF(CRYPTO_BUFFER) * sk;
		const CRYPTO_BUFFER *leaf;

		if (!SSL_is_init_finished(b->ssl))
			return 0;
		sk = SSL_get0_peer_certificates(b->ssl);
		if (!sk || sk_CRYPTO_BUFFER_num(sk) == 0)
			return 0;
		leaf = sk_CRYPTO_BUFFER_value(sk, 0);
		if (CRYPTO_BUFFER_len(leaf) == 0)
			return 0;
		b->peer_der = malloc(CRYPTO_BUFFER_len(leaf));
		if (!b->peer_der)
			return 0;
		memcpy(b->peer_der, CRYPTO_BUFFER_data(leaf), CRYPTO_BUFFER_len(leaf));
		b->peer_der_len = CRYPTO_BUFFER_len(leaf);
	}
	*der = b->peer_der;
	*len = b->peer_der_len;
	return 1;
}

static void bssl_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	if (err)
		*err = b->st.last;
}

static int bssl_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                               */
/* ------------------------------------------------------------------------ */

static const struct tlsh_implementation bssl_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "boringssl",
        /* BoringSSL has no release versions; OpenSSL_version() only says
         * "BoringSSL". The API version is the closest thing to one. */
        .library_version =
                "BoringSSL (Debian android-libboringssl, BORINGSSL_API_VERSION " BSSL_STR(
                        BORINGSSL_API_VERSION) ", " OPENSSL_VERSION_TEXT ")",
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_CLIENT_AUTH |
                        TLSH_CAP_CIPHERS_TLS12 | TLSH_CAP_ALPN | TLSH_CAP_SNI_CHAINS |
                        TLSH_CAP_PEERCERT | TLSH_CAP_TRANSPORT_EOF | TLSH_CAP_SOURCE_PATH |
                        TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE | TLSH_CAP_RSA | TLSH_CAP_ECDSA |
                        TLSH_CAP_SHUTDOWN | TLSH_CAP_EXPORT_SECRETS,
        /* TLSH_CAP_CIPHERS_TLS13 not declared: BoringSSL's TLS 1.3 suites are
         * fixed. */
        .validate_config = bssl_validate_config,
        .context_new = bssl_context_new,
        .context_free = bssl_context_free,
        .buffer_new = bssl_buffer_new,
        .buffer_free = bssl_buffer_free,
        .do_handshake = bssl_do_handshake,
        .read = bssl_read,
        .write = bssl_write,
        .shutdown = bssl_shutdown,
        .process_incoming = bssl_process_incoming,
        .process_incoming_eof = bssl_process_incoming_eof,
        .process_outgoing = bssl_process_outgoing,
        .incoming_bytes_buffered = bssl_incoming_bytes_buffered,
        .outgoing_bytes_buffered = bssl_outgoing_bytes_buffered,
        .cipher = bssl_cipher,
        .negotiated_protocol = bssl_negotiated_protocol,
        .negotiated_tls_version = bssl_negotiated_tls_version,
        .getpeercert = bssl_getpeercert,
        .last_error = bssl_last_error,
        .set_secret_callback = bssl_set_secret_callback,
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	return &bssl_impl;
}
