/*
 * mbedtls.c - tlsharness adapter for mbed TLS 2.28 (libmbedtls).
 *
 * Every buffer is one mbedtls_ssl_context with its own mbedtls_ssl_config,
 * wired to two in-memory queues through mbedtls_ssl_set_bio: the receive
 * callback hands out what process_incoming stored (MBEDTLS_ERR_SSL_WANT_READ
 * when empty, 0 - end of stream - once process_incoming_eof was called), the
 * send callback appends to what process_outgoing returns. Nothing here does
 * I/O.
 *
 * mbed TLS 2.28 has no TLS 1.3: MAXIMUM_SUPPORTED is TLS 1.2 and a lowest
 * version of TLS 1.3 cannot be honoured (CONFIGURATION_ERROR).
 *
 * End of stream: mbedtls_ssl_read returns MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY
 * for the peer's close_notify (CLOSED, sticky) and 0 or
 * MBEDTLS_ERR_SSL_CONN_EOF when the receive callback reported the end of the
 * transport (RAGGED_EOF after the handshake, TLS_ERROR during it).
 *
 * The context holds what every buffer shares (certificates, keys, trust
 * store, cipher and ALPN lists, the DRBG, which locks itself); each buffer's
 * config points into it. A per-buffer config lets the debug callback, which
 * only gets the config's pointer, know its buffer.
 *
 * Alerts: mbed TLS 2.28 has no alert callback. Its debug output names every
 * alert it sends ("send alert level=L message=M") and receives ("got an
 * alert message, type: [L:M]"); the debug callback (threshold 3) records
 * them, and nothing else is taken from the debug output. A server that
 * requires a client certificate and gets none fails without an alert in mbed
 * TLS; the adapter then sends handshake_failure (RFC 5246 section 7.4.6)
 * with mbedtls_ssl_send_alert_message.
 *
 * 2.28 has no accessor for "handshake over": the adapter reads ssl.state
 * (a public struct member in 2.28) for MBEDTLS_SSL_HANDSHAKE_OVER.
 *
 * Identity (RFC 9525): mbed TLS checks the name given to
 * mbedtls_ssl_set_hostname against the dNSName SANs, or against the subject
 * CN when the certificate has no SAN (x509_crt_verify_name), and cannot check
 * IP addresses. The verify callback replaces that verdict for the leaf with
 * the shared RFC 9525 check of tlsh_adapter.h over the SAN entries the adapter
 * walks itself: dNSName entries (no CN fallback, wildcard only as the whole
 * leftmost label), iPAddress entries for an IP literal. An IP literal
 * is never given to mbedtls_ssl_set_hostname, so no SNI is sent for it
 * (RFC 6066 section 3).
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty buffer is always accepted. */
#define MBED_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Largest certificate, key or trust file read from a path. */
#define MBED_MAX_FILE ((size_t)16 << 20)
/** The system trust store, as one PEM bundle, else as a directory. */
#define MBED_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define MBED_SYSTEM_DIR "/etc/ssl/certs"
/** Debug threshold that includes the alert messages (levels 2 and 3). */
#define MBED_DEBUG_LEVEL 3
/** The close_notify alert description. */
#define MBED_AD_CLOSE_NOTIFY 0

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** One signing chain: the leaf followed by its intermediates, and the key. */
struct mbed_chain {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify that the certificate names server_hostname. */
	int check_name;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	/** certificate_chains, [0] being the default. */
	struct mbed_chain *chains;
	size_t nchains;
	/** Verification: client always (unless NO_VERIFY); server when it
	 * has a trust store (client authentication). */
	int verify;
	mbedtls_x509_crt trust;
	/** 0-terminated IANA ids, or NULL for the library default. */
	int *ciphers;
	/** NULL-terminated copies of the ALPN names, or NULL. */
	char **alpn;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	struct tlsh_queue in, out;
	/** Client: what the server's leaf must name (RFC 9525); kind NONE when
	 * nothing is checked. */
	struct tlsh_identity id;
	/** The handshake completed (sticky). */
	int hs_done;
	/** Our close_notify was queued. */
	int sent_close;
	/** End of stream, failure, alerts, last error. */
	struct tlsh_state st;
	/** set_secret_callback's receiver (NULL: none). */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
};

/* ------------------------------------------------------------------------ */
/* One-time initialisation                                                  */
/* ------------------------------------------------------------------------ */

static pthread_once_t mbed_once = PTHREAD_ONCE_INIT;
static char mbed_version[64];
static struct tlsh_implementation mbed_impl;

static void mbed_init(void)
{
	char v[18];
	mbedtls_version_get_string_full(v);
	snprintf(mbed_version, sizeof mbed_version, "%s", v);
	mbed_impl.library_version = mbed_version;
	/* Process-wide; only configs with a debug callback (every buffer's)
	 * format messages. */
	mbedtls_debug_set_threshold(MBED_DEBUG_LEVEL);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** Fills err (if any) with a configuration error; `ret`, when nonzero, is an
 * mbed TLS error code whose text is appended. */
__attribute__((format(printf, 3, 4))) static int mbed_cfg_fail(struct tlsh_error *err, int ret,
                                                               const char *fmt, ...)
{
	char what[120], lib[120] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (ret != 0)
		mbedtls_strerror(ret, lib, sizeof lib);
	return tlsh_config_fail(err, "%s%s%s", what, lib[0] ? ": " : "", lib);
}

/** Records a failing call on b: its status, the alerts seen on this buffer,
 * and `what` followed by the text of mbed TLS error `ret` (if nonzero) and,
 * after a certificate verification failure, the verification flags. Returns
 * status. */
static int mbed_buf_fail(struct tlsh_buffer *b, int status, int ret, const char *what)
{
	char lib[120] = "", vf[100] = "";
	if (ret != 0)
		mbedtls_strerror(ret, lib, sizeof lib);
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		uint32_t flags = mbedtls_ssl_get_verify_result(&b->ssl);
		if (flags != 0 && flags != (uint32_t)-1) {
			/* One line per flag (possibly cut short): join them. */
			(void)mbedtls_x509_crt_verify_info(vf, sizeof vf, "", flags);
			vf[sizeof vf - 1] = '\0';
			for (char *c = vf; *c != '\0'; c++)
				if (*c == '\n')
					*c = c[1] != '\0' ? ';' : '\0';
		}
	}
	return tlsh_state_fail(&b->st, status, "%s%s%s%s%s%s", what, lib[0] ? ": " : "", lib,
	                       vf[0] ? " (" : "", vf, vf[0] ? ")" : "");
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What mbed TLS 2.28 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules mbed_rules = {
        .tls13 = 0,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = MBED_MAX_FILE,
        .library = "mbed TLS 2.28",
};

/** Is `id` a suite this library can negotiate in TLS 1.2 with a certificate
 * (no PSK or EC J-PAKE, which the descriptor cannot configure)? */
static int mbed_usable_suite(int id)
{
	const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(id);
	if (cs == NULL || cs->min_minor_ver > MBEDTLS_SSL_MINOR_VERSION_3 ||
	    cs->max_minor_ver < MBEDTLS_SSL_MINOR_VERSION_3)
		return 0;
	switch (cs->key_exchange) {
	case MBEDTLS_KEY_EXCHANGE_RSA:
	case MBEDTLS_KEY_EXCHANGE_DHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
	case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA:
		break;
	default:
		return 0;
	}
	/* Only what this build enables (the list honours the build's
	 * configuration, e.g. no RC4). */
	for (const int *l = mbedtls_ssl_list_ciphersuites(); *l != 0; l++)
		if (*l == id)
			return 1;
	return 0;
}

/** Checks `config` for `role`: the generic plan (TLS 1.2 is the only
 * version), then what mbed TLS adds. */
static int mbed_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                            struct tlsh_plan *p, struct tlsh_error *err)
{
	if (tlsh_plan_config(&mbed_rules, role, config, p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->c;

	/* ALPN: mbedtls_ssl_conf_alpn_protocols takes C strings, so a name
	 * holding a NUL byte cannot be expressed. */
	for (size_t i = 0; i < c->inner_protocols_len; i++)
		if (memchr(c->inner_protocols[i].data, 0, c->inner_protocols[i].len) != NULL)
			return mbed_cfg_fail(err, 0,
			                     "ALPN protocol %zu contains a NUL byte: mbed TLS 2.28 "
			                     "takes protocol names as C strings",
			                     i);

	/* Ciphers: unknown ids are ignored; at least one TLS 1.2 suite must
	 * remain (TLS 1.2 is the only version). */
	if (c->ciphers != NULL) {
		int usable = 0;
		for (size_t i = 0; i < c->ciphers_len && !usable; i++)
			usable = mbed_usable_suite(c->ciphers[i]);
		return tlsh_plan_ciphers(p, usable, 0, err);
	}
	return TLSH_OK;
}

static int mbed_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct tlsh_plan p;
	(void)self;
	if (mbed_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** The bytes of a BUFFER or PATH source, copied with a NUL appended (mbed
 * TLS parses PEM only from a NUL-terminated buffer whose length counts the
 * NUL) into *out (free with free()). *len excludes the NUL; *pem tells PEM
 * from DER. Returns 0 or an mbed TLS error code. */
static int mbed_source_bytes(const struct tlsh_source *s, unsigned char **out, size_t *len,
                             int *pem)
{
	const uint8_t *data;
	uint8_t *owned;
	*out = NULL;
	if (tlsh_source_bytes(s, MBED_MAX_FILE, &data, len, &owned) != 0)
		return MBEDTLS_ERR_X509_FILE_IO_ERROR;
	if (owned == NULL) { /* a BUFFER: copy it to add the NUL */
		owned = malloc(*len + 1);
		if (owned == NULL)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		memcpy(owned, data, *len);
		owned[*len] = '\0';
	}
	*pem = tlsh_is_pem(owned, *len);
	*out = owned;
	return 0;
}

/** Appends every certificate of `s` to `crt` (PEM: all of them, DER: one).
 * Returns 0, an mbed TLS error code, or the (positive) number of PEM
 * certificates that could not be parsed. */
static int mbed_load_certs(const struct tlsh_source *s, mbedtls_x509_crt *crt)
{
	unsigned char *buf;
	size_t len;
	int pem, ret = mbed_source_bytes(s, &buf, &len, &pem);
	if (ret != 0)
		return ret;
	if (pem)
		ret = mbedtls_x509_crt_parse(crt, buf, len + 1);
	else
		ret = mbedtls_x509_crt_parse_der(crt, buf, len);
	free(buf);
	return ret;
}

static int mbed_load_key(const struct tlsh_source *s, mbedtls_pk_context *key)
{
	unsigned char *buf;
	size_t len;
	int pem, ret = mbed_source_bytes(s, &buf, &len, &pem);
	if (ret != 0)
		return ret;
	ret = mbedtls_pk_parse_key(key, buf, pem ? len + 1 : len, NULL, 0);
	mbedtls_platform_zeroize(buf, len);
	free(buf);
	return ret;
}

/** Reports a failed mbed_load_certs. */
static int mbed_certs_fail(struct tlsh_error *err, int ret, const char *what)
{
	if (ret > 0)
		return mbed_cfg_fail(err, 0, "%s: %d certificate(s) could not be parsed", what,
		                     ret);
	return mbed_cfg_fail(err, ret, "%s", what);
}

/** Loads chain `ch` (leaf, intermediates, key) into `out`. */
static int mbed_load_chain(struct mbed_chain *out, const struct tlsh_signing_chain *ch, size_t idx,
                           struct tlsh_error *err)
{
	char what[80];
	int ret = mbed_load_certs(&ch->leaf, &out->crt);
	if (ret != 0) {
		snprintf(what, sizeof what, "chain %zu: cannot load the leaf certificate", idx);
		return mbed_certs_fail(err, ret, what);
	}
	for (size_t j = 0; j < ch->chain_len; j++) {
		ret = mbed_load_certs(&ch->chain[j], &out->crt);
		if (ret != 0) {
			snprintf(what, sizeof what, "chain %zu: cannot load intermediate %zu", idx,
			         j);
			return mbed_certs_fail(err, ret, what);
		}
	}
	ret = mbed_load_key(&ch->key, &out->key);
	if (ret != 0)
		return mbed_cfg_fail(err, ret, "chain %zu: cannot load the private key", idx);
	ret = mbedtls_pk_check_pair(&out->crt.pk, &out->key);
	if (ret != 0)
		return mbed_cfg_fail(err, ret, "chain %zu: the private key does not match the leaf",
		                     idx);
	return TLSH_OK;
}

/** Loads the trust store: BUFFER or PATH (a PEM file, or a directory of
 * them), else the system store. */
static int mbed_load_trust(struct tlsh_context *tc, const struct tlsh_source *ts,
                           struct tlsh_error *err)
{
	struct stat sb;
	int ret;
	if (ts != NULL && ts->kind == TLSH_SOURCE_PATH && stat(ts->path, &sb) == 0 &&
	    S_ISDIR(sb.st_mode)) {
		/* A directory may hold other files (keys, CRLs): a positive
		 * count of files that did not parse is fine if some did. */
		ret = mbedtls_x509_crt_parse_path(&tc->trust, ts->path);
		if (ret < 0 || tc->trust.raw.len == 0)
			return mbed_cfg_fail(err, ret < 0 ? ret : 0,
			                     "no certificate could be loaded from %.100s",
			                     ts->path);
		return TLSH_OK;
	}
	if (ts != NULL && (ts->kind == TLSH_SOURCE_BUFFER || ts->kind == TLSH_SOURCE_PATH)) {
		ret = mbed_load_certs(ts, &tc->trust);
		return ret != 0 ? mbed_certs_fail(err, ret, "cannot load the trust store")
		                : TLSH_OK;
	}
	/* System store: a few bundle entries may be in forms mbed TLS does
	 * not parse (a positive count); what parsed is used. */
	ret = mbedtls_x509_crt_parse_file(&tc->trust, MBED_SYSTEM_BUNDLE);
	if (ret < 0)
		ret = mbedtls_x509_crt_parse_path(&tc->trust, MBED_SYSTEM_DIR);
	if (ret < 0 || tc->trust.raw.len == 0)
		return mbed_cfg_fail(err, ret < 0 ? ret : 0, "cannot load the system trust store");
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Identity checks (RFC 9525 section 6.3 and 6.4)                           */
/* ------------------------------------------------------------------------ */

/** Walks the leaf's subjectAltName extension (parsed from the raw v3
 * extensions, so that every GeneralName is seen) and calls `fn` on each
 * entry until it returns 1. Returns 1 if one matched, 0 otherwise
 * (including when there is no SAN). */
static int mbed_san_any(const mbedtls_x509_crt *crt,
                        int (*fn)(int tag, const unsigned char *p, size_t len, const void *arg),
                        const void *arg)
{
	unsigned char *p = crt->v3_ext.p, *end;
	size_t len;
	if (p == NULL || crt->v3_ext.len == 0)
		return 0;
	end = p + crt->v3_ext.len;
	/* v3_ext may start at the [3] wrapper or at its SEQUENCE. */
	if (*p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3) &&
	    mbedtls_asn1_get_tag(&p, end, &len,
	                         MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3) != 0)
		return 0;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
	    0)
		return 0;
	end = p + len;
	while (p < end) {
		unsigned char *ext_end;
		mbedtls_asn1_buf oid;
		int critical = 0;
		if (mbedtls_asn1_get_tag(&p, end, &len,
		                         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		ext_end = p + len;
		if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len, MBEDTLS_ASN1_OID) != 0)
			return 0;
		oid.p = p;
		p += oid.len;
		(void)mbedtls_asn1_get_bool(&p, ext_end, &critical);
		if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
			return 0;
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_ALT_NAME, &oid) != 0) {
			p = ext_end;
			continue;
		}
		unsigned char *q = p, *qend = p + len;
		size_t seq;
		if (mbedtls_asn1_get_tag(&q, qend, &seq,
		                         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		qend = q + seq;
		while (q < qend) {
			int tag = *q++;
			size_t glen;
			if (mbedtls_asn1_get_len(&q, qend, &glen) != 0)
				return 0;
			if (fn(tag, q, glen, arg))
				return 1;
			q += glen;
		}
		return 0;
	}
	return 0;
}

/** An mbed_san_any callback: does this entry (a context-specific primitive
 * tag, [2] dNSName or [7] iPAddress) name the struct tlsh_identity `arg`? */
static int mbed_san_names(int tag, const unsigned char *p, size_t len, const void *arg)
{
	if ((tag & 0xe0) != MBEDTLS_ASN1_CONTEXT_SPECIFIC)
		return 0;
	return tlsh_identity_match(arg, tag & 0x1f, p, len);
}

/** The verify callback: for the leaf, the adapter's identity check replaces
 * mbed TLS's (which falls back to the CN and knows no IP addresses). */
static int mbed_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tlsh_buffer *b = arg;
	if (depth != 0)
		return 0;
	*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (b->id.kind == TLSH_IDENTITY_NONE)
		return 0;
	if (!mbed_san_any(crt, mbed_san_names, &b->id))
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                */
/* ------------------------------------------------------------------------ */

/** Debug output: only the alert lines are used. */
static void mbed_debug_cb(void *arg, int level, const char *file, int line, const char *str)
{
	struct tlsh_buffer *b = arg;
	const char *m;
	unsigned lv, desc;
	(void)level;
	(void)file;
	(void)line;
	if ((m = strstr(str, "send alert level=")) != NULL &&
	    sscanf(m, "send alert level=%u message=%u", &lv, &desc) == 2)
		tlsh_state_alert(&b->st, 1, (int)desc, lv == MBEDTLS_SSL_ALERT_LEVEL_FATAL);
	else if ((m = strstr(str, "got an alert message, type: [")) != NULL &&
	         sscanf(m, "got an alert message, type: [%u:%u]", &lv, &desc) == 2)
		tlsh_state_alert(&b->st, 0, (int)desc, lv == MBEDTLS_SSL_ALERT_LEVEL_FATAL);
}

static int mbed_send_cb(void *arg, const unsigned char *buf, size_t len)
{
	struct tlsh_buffer *b = arg;
	if (len > INT_MAX)
		len = INT_MAX;
	if (!tlsh_queue_append(&b->out, buf, len))
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	return (int)len;
}

static int mbed_recv_cb(void *arg, unsigned char *buf, size_t len)
{
	struct tlsh_buffer *b = arg;
	if (tlsh_queue_length(&b->in) == 0)
		return b->st.eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
	if (len > INT_MAX)
		len = INT_MAX;
	return (int)tlsh_queue_take(&b->in, buf, len);
}

/** Server SNI: use the first chain whose leaf names the client's SNI; keep
 * the first chain (the config's own certificate) when none does. */
static int mbed_sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct tlsh_buffer *b = arg;
	struct tlsh_context *tc = b->tc;
	char host[256];
	struct tlsh_identity id;
	if (len == 0 || len >= sizeof host || memchr(name, 0, len) != NULL)
		return 0;
	memcpy(host, name, len);
	host[len] = '\0';
	tlsh_identity_set(&id, host);
	for (size_t i = 0; i < tc->nchains; i++) {
		if (!mbed_san_any(&tc->chains[i].crt, mbed_san_names, &id))
			continue;
		if (i == 0)
			return 0;
		return mbedtls_ssl_set_hs_own_cert(ssl, &tc->chains[i].crt, &tc->chains[i].key);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void mbed_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nchains; i++) {
		mbedtls_x509_crt_free(&tc->chains[i].crt);
		mbedtls_pk_free(&tc->chains[i].key);
	}
	free(tc->chains);
	mbedtls_x509_crt_free(&tc->trust);
	mbedtls_ctr_drbg_free(&tc->drbg);
	mbedtls_entropy_free(&tc->entropy);
	free(tc->ciphers);
	if (tc->alpn != NULL)
		for (char **a = tc->alpn; *a != NULL; a++)
			free(*a);
	free(tc->alpn);
	free(tc);
}

/** Applies the context's settings to a fresh config; `b` (NULL for the
 * trial config context_new builds) receives the callbacks. */
static int mbed_setup_conf(struct tlsh_context *tc, mbedtls_ssl_config *conf, struct tlsh_buffer *b,
                           struct tlsh_error *err)
{
	int endpoint = tc->role == TLSH_ROLE_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT;
	int ret = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                      MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		return mbed_cfg_fail(err, ret, "mbedtls_ssl_config_defaults failed");
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &tc->drbg);
	/* TLS 1.2 only: PEP 748 cannot express older versions, and 2.28 has
	 * no TLS 1.3. */
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	                             MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	                             MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	if (tc->ciphers != NULL)
		mbedtls_ssl_conf_ciphersuites(conf, tc->ciphers);
	if (tc->alpn != NULL) {
		ret = mbedtls_ssl_conf_alpn_protocols(conf, (const char **)tc->alpn);
		if (ret != 0)
			return mbed_cfg_fail(err, ret, "cannot set the ALPN protocols");
	}
	if (tc->nchains > 0) {
		ret = mbedtls_ssl_conf_own_cert(conf, &tc->chains[0].crt, &tc->chains[0].key);
		if (ret != 0)
			return mbed_cfg_fail(err, ret, "cannot use the certificate chain");
	}
	if (tc->verify) {
		mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(conf, &tc->trust, NULL);
	} else {
		mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
	}
	if (b != NULL) {
		mbedtls_ssl_conf_dbg(conf, mbed_debug_cb, b);
		if (tc->verify)
			mbedtls_ssl_conf_verify(conf, mbed_verify_cb, b);
		if (tc->role == TLSH_ROLE_SERVER && tc->nchains > 1)
			mbedtls_ssl_conf_sni(conf, mbed_sni_cb, b);
	}
	return TLSH_OK;
}

static int mbed_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                            const struct tlsh_config *config, tlsh_context **out,
                            struct tlsh_error *err)
{
	static const unsigned char pers[] = "tlsharness mbedtls adapter";
	struct tlsh_plan p;
	struct tlsh_context *tc = NULL;
	int st = TLSH_CONFIGURATION_ERROR, ret;
	(void)self;
	if (out == NULL)
		return mbed_cfg_fail(err, 0, "no place to store the context");
	*out = NULL;
	if (mbed_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p.c;

	tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return mbed_cfg_fail(err, 0, "out of memory");
	tc->role = role;
	tc->check_name = p.check_name;
	mbedtls_entropy_init(&tc->entropy);
	mbedtls_ctr_drbg_init(&tc->drbg);
	mbedtls_x509_crt_init(&tc->trust);
	ret = mbedtls_ctr_drbg_seed(&tc->drbg, mbedtls_entropy_func, &tc->entropy, pers,
	                            sizeof pers - 1);
	if (ret != 0) {
		mbed_cfg_fail(err, ret, "cannot seed the DRBG");
		goto out;
	}

	/* Chains. */
	if (c->certificate_chains_len > 0) {
		tc->chains = calloc(c->certificate_chains_len, sizeof *tc->chains);
		if (tc->chains == NULL) {
			mbed_cfg_fail(err, 0, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < c->certificate_chains_len; i++) {
		mbedtls_x509_crt_init(&tc->chains[i].crt);
		mbedtls_pk_init(&tc->chains[i].key);
		tc->nchains++;
		if (mbed_load_chain(&tc->chains[i], &c->certificate_chains[i], i, err) != TLSH_OK)
			goto out;
	}

	/* Trust and verification. */
	tc->verify = p.verify_peer;
	if (tc->verify && mbed_load_trust(tc, c->trust_store, err) != TLSH_OK)
		goto out;

	/* Ciphers: the usable ones, in the caller's order. */
	if (c->ciphers != NULL) {
		size_t n = 0;
		tc->ciphers = calloc(c->ciphers_len + 1, sizeof *tc->ciphers);
		if (tc->ciphers == NULL) {
			mbed_cfg_fail(err, 0, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c->ciphers_len; i++)
			if (mbed_usable_suite(c->ciphers[i]))
				tc->ciphers[n++] = c->ciphers[i];
	}

	/* ALPN. */
	if (c->inner_protocols_len > 0) {
		tc->alpn = calloc(c->inner_protocols_len + 1, sizeof *tc->alpn);
		if (tc->alpn == NULL) {
			mbed_cfg_fail(err, 0, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c->inner_protocols_len; i++) {
			const struct tlsh_bytes *pr = &c->inner_protocols[i];
			tc->alpn[i] = malloc(pr->len + 1);
			if (tc->alpn[i] == NULL) {
				mbed_cfg_fail(err, 0, "out of memory");
				goto out;
			}
			memcpy(tc->alpn[i], pr->data, pr->len);
			tc->alpn[i][pr->len] = '\0';
		}
	}

	/* A trial config: whatever mbed TLS refuses is refused here. */
	mbedtls_ssl_config trial;
	mbedtls_ssl_config_init(&trial);
	ret = mbed_setup_conf(tc, &trial, NULL, err);
	mbedtls_ssl_config_free(&trial);
	if (ret != TLSH_OK)
		goto out;

	st = TLSH_OK;
	*out = tc;
	tc = NULL;
	tlsh_error_ok(err);
out:
	mbed_context_free(tc);
	return st;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void mbed_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	mbedtls_ssl_free(&b->ssl);
	mbedtls_ssl_config_free(&b->conf);
	tlsh_queue_free(&b->in);
	tlsh_queue_free(&b->out);
	free(b);
}

static int mbed_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                           struct tlsh_error *err)
{
	if (out == NULL)
		return mbed_cfg_fail(err, 0, "no place to store the buffer");
	*out = NULL;
	if (tc == NULL)
		return mbed_cfg_fail(err, 0, "no context");
	struct tlsh_buffer *b = calloc(1, sizeof *b);
	if (b == NULL)
		return mbed_cfg_fail(err, 0, "out of memory");
	b->tc = tc;
	tlsh_state_init(&b->st);
	mbedtls_ssl_config_init(&b->conf);
	mbedtls_ssl_init(&b->ssl);
	if (mbed_setup_conf(tc, &b->conf, b, err) != TLSH_OK) {
		mbed_buffer_free(b);
		return TLSH_CONFIGURATION_ERROR;
	}
	int ret = mbedtls_ssl_setup(&b->ssl, &b->conf);
	if (ret != 0) {
		mbed_buffer_free(b);
		return mbed_cfg_fail(err, ret, "mbedtls_ssl_setup failed");
	}
	mbedtls_ssl_set_bio(&b->ssl, b, mbed_send_cb, mbed_recv_cb, NULL);

	if (tc->role == TLSH_ROLE_CLIENT) {
		/* SNI as tlsh.h says (none for an address, no trailing dot). The
		 * verify callback checks the identity. */
		char sni[256];
		int st = tlsh_client_name(server_hostname, tc->check_name, &b->id, sni, err);
		if (st != TLSH_OK) {
			mbed_buffer_free(b);
			return st;
		}
		ret = sni[0] == '\0' ? 0 : mbedtls_ssl_set_hostname(&b->ssl, sni);
		if (ret != 0) {
			mbed_buffer_free(b);
			return mbed_cfg_fail(err, ret, "cannot use server_hostname \"%.80s\"", sni);
		}
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

/** Remembers that the handshake is complete once mbed TLS says so. */
static void mbed_note_done(struct tlsh_buffer *b)
{
	if (!b->hs_done && b->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER)
		b->hs_done = 1;
}

/** Maps a failing mbed TLS result that is not end-of-stream. */
static int mbed_map(struct tlsh_buffer *b, int ret, const char *what)
{
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		return TLSH_WANT_READ;
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return TLSH_WANT_WRITE;
	b->st.failed = 1;
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF)
		what = "transport EOF";
	if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE && b->st.alert_sent == TLSH_NO_ALERT)
		/* mbed TLS fails a server that requires a client certificate
		 * without an alert; RFC 5246 7.4.6 names handshake_failure. */
		mbedtls_ssl_send_alert_message(&b->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		                               MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
	return mbed_buf_fail(b, TLSH_TLS_ERROR, ret, what);
}

static int mbed_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	int ret = mbedtls_ssl_handshake(&b->ssl);
	mbed_note_done(b);
	if (ret == 0) {
		b->hs_done = 1;
		return TLSH_OK;
	}
	return mbed_map(b, ret, "handshake failed");
}

/** The result of mbedtls_ssl_read / the shutdown drain: end of stream or a
 * failure. `ret` is <= 0. */
static int mbed_read_end(struct tlsh_buffer *b, int ret, const char *what)
{
	if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		if (b->hs_done) {
			return tlsh_state_closed(&b->st);
		}
		b->st.failed = 1;
		return mbed_buf_fail(b, TLSH_TLS_ERROR, ret,
		                     "close_notify before the handshake completed");
	}
	if ((ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF) && b->st.eof) {
		if (b->hs_done) {
			b->st.ragged = 1;
			return mbed_buf_fail(b, TLSH_RAGGED_EOF, 0,
			                     "transport EOF without close_notify");
		}
		b->st.failed = 1;
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0, "transport EOF during the handshake");
	}
	if (ret == 0)
		return TLSH_WANT_READ;
	return mbed_map(b, ret, what);
}

static int mbed_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	if (cap == 0) {
		/* Nothing can be returned; drive the handshake only. */
		int st = mbed_do_handshake(b);
		return st == TLSH_OK ? TLSH_WANT_READ : st;
	}
	int ret = mbedtls_ssl_read(&b->ssl, dst, cap);
	mbed_note_done(b);
	if (ret > 0) {
		*n = (size_t)ret;
		return TLSH_OK;
	}
	return mbed_read_end(b, ret, "read failed");
}

static int mbed_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->sent_close)
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0, "write after shutdown");
	if (len == 0)
		return TLSH_OK;
	int ret = mbedtls_ssl_write(&b->ssl, src, len);
	mbed_note_done(b);
	if (ret >= 0) {
		*n = (size_t)ret;
		return TLSH_OK;
	}
	return mbed_map(b, ret, "write failed");
}

static int mbed_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!b->hs_done)
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0,
		                     "shutdown before the handshake completed");
	if (!b->sent_close) {
		int ret = mbedtls_ssl_close_notify(&b->ssl);
		if (ret != 0)
			return mbed_map(b, ret, "shutdown failed");
		b->sent_close = 1;
	}
	/* Wait for the peer's close_notify; application data that arrives
	 * first is discarded (our read side is closed, RFC 5246 7.2.1). */
	while (!b->st.closed) {
		unsigned char sink[4096];
		if (b->st.ragged)
			return mbed_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "transport EOF without close_notify");
		int ret = mbedtls_ssl_read(&b->ssl, sink, sizeof sink);
		if (ret > 0)
			continue;
		int st = mbed_read_end(b, ret, "shutdown failed");
		if (st == TLSH_RAGGED_EOF)
			return mbed_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "transport EOF without close_notify");
		if (st != TLSH_CLOSED)
			return st;
	}
	return TLSH_OK;
}

static int mbed_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return tlsh_state_store(&b->st, &b->in, 0, data, len, MBED_INCOMING_CAP);
}

static int mbed_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	return TLSH_OK;
}

static int mbed_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = tlsh_queue_take(&b->out, dst, cap);
	return TLSH_OK;
}

static size_t mbed_incoming_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->in);
}

static size_t mbed_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->out);
}

static uint16_t mbed_cipher(tlsh_buffer *b)
{
	const char *name = b->hs_done ? mbedtls_ssl_get_ciphersuite(&b->ssl) : NULL;
	int id = name != NULL ? mbedtls_ssl_get_ciphersuite_id(name) : 0;
	return id > 0 && id <= 0xffff ? (uint16_t)id : 0;
}

static int mbed_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	const char *p = b->hs_done ? mbedtls_ssl_get_alpn_protocol(&b->ssl) : NULL;
	if (p == NULL || p[0] == '\0') {
		*proto = NULL;
		*len = 0;
		return 0;
	}
	*proto = (const uint8_t *)p;
	*len = strlen(p);
	return 1;
}

static enum tlsh_version mbed_negotiated_tls_version(tlsh_buffer *b)
{
	const char *v = b->hs_done ? mbedtls_ssl_get_version(&b->ssl) : NULL;
	return v != NULL && strcmp(v, "TLSv1.2") == 0 ? TLSH_TLS_1_2 : TLSH_VERSION_NONE;
}

static int mbed_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	const mbedtls_x509_crt *x = b->hs_done ? mbedtls_ssl_get_peer_cert(&b->ssl) : NULL;
	if (x == NULL || x->raw.p == NULL || x->raw.len == 0) {
		*der = NULL;
		*len = 0;
		return 0;
	}
	*der = x->raw.p;
	*len = x->raw.len;
	return 1;
}

static void mbed_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

/** The key export callback (TLS 1.2, the only version 2.28 speaks here):
 * mbed TLS calls it with the master secret (extended or not) and the hello
 * randoms when it derives the keys from them, before ChangeCipherSpec
 * switches either direction on; handed over as "CLIENT_RANDOM". */
static int mbed_export_keys(void *arg, const unsigned char *ms, const unsigned char *kb,
                            size_t maclen, size_t keylen, size_t ivlen,
                            const unsigned char client_random[32],
                            const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	struct tlsh_buffer *b = arg;
	(void)kb;
	(void)maclen;
	(void)keylen;
	(void)ivlen;
	(void)server_random;
	(void)prf;
	if (b != NULL && b->secret_cb != NULL && ms != NULL && client_random != NULL)
		b->secret_cb(b->secret_arg, "CLIENT_RANDOM", client_random, ms, 48);
	return 0;
}

static int mbed_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	/* The buffer's own configuration: ssl points at it. */
	mbedtls_ssl_conf_export_keys_ext_cb(&b->conf, mbed_export_keys, b);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static struct tlsh_implementation mbed_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "mbedtls",
        .library_version = NULL, /* mbedtls_version_get_string_full(), set by mbed_init */
        /* No TLSH_CAP_TLS13 (2.28 has no TLS 1.3) and hence no
         * TLSH_CAP_CIPHERS_TLS13. */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_CLIENT_AUTH | TLSH_CAP_CIPHERS_TLS12 |
                        TLSH_CAP_ALPN | TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT |
                        TLSH_CAP_TRANSPORT_EOF | TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER |
                        TLSH_CAP_INSECURE | TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN |
                        TLSH_CAP_EXPORT_SECRETS,
        .validate_config = mbed_validate_config,
        .context_new = mbed_context_new,
        .context_free = mbed_context_free,
        .buffer_new = mbed_buffer_new,
        .buffer_free = mbed_buffer_free,
        .do_handshake = mbed_do_handshake,
        .read = mbed_read,
        .write = mbed_write,
        .shutdown = mbed_shutdown,
        .process_incoming = mbed_process_incoming,
        .process_incoming_eof = mbed_process_incoming_eof,
        .process_outgoing = mbed_process_outgoing,
        .incoming_bytes_buffered = mbed_incoming_bytes_buffered,
        .outgoing_bytes_buffered = mbed_outgoing_bytes_buffered,
        .cipher = mbed_cipher,
        .negotiated_protocol = mbed_negotiated_protocol,
        .negotiated_tls_version = mbed_negotiated_tls_version,
        .getpeercert = mbed_getpeercert,
        .last_error = mbed_last_error,
        .set_secret_callback = mbed_set_secret_callback,
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&mbed_once, mbed_init);
	return &mbed_impl;
}
