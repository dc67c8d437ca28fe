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
 * the adapter's own check: dNSName SANs only (no CN fallback, wildcard only as
 * the whole leftmost label), iPAddress SANs for an IP literal. An IP literal
 * is never given to mbedtls_ssl_set_hostname, so no SNI is sent for it
 * (RFC 6066 section 3).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

#include "tlsh.h"

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

/** A byte queue: bytes [off, len) of p are pending. */
struct mbed_queue {
	unsigned char *p;
	size_t off, len, cap;
};

/** One signing chain: the leaf followed by its intermediates, and the key. */
struct mbed_chain {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
};

/** A checked configuration: the caller's config copied with struct_size
 * honoured. */
struct mbed_plan {
	struct tlsh_config c;
};

struct tlsh_context {
	enum tlsh_role role;
	uint32_t insecure;
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
	struct mbed_queue in, out;
	/** Client identity check: a DNS name, or an IP address. */
	int check_name;
	char *dns_name;
	unsigned char ip[16];
	size_t ip_len;
	/** The handshake completed (sticky). */
	int hs_done;
	/** process_incoming_eof was called. */
	int eof;
	/** The peer's close_notify was received (sticky CLOSED). */
	int closed;
	/** Transport EOF without close_notify after the handshake (sticky
	 * RAGGED_EOF). */
	int ragged;
	/** A fatal error happened; only queries and last_error remain. */
	int failed;
	/** Our close_notify was queued. */
	int sent_close;
	int alert_sent, alert_sent_fatal;
	int alert_received, alert_received_fatal;
	struct tlsh_error last;
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
	if (err != NULL) {
		char what[120], lib[120] = "";
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		if (ret != 0)
			mbedtls_strerror(ret, lib, sizeof lib);
		err->status = TLSH_CONFIGURATION_ERROR;
		err->alert_sent = TLSH_NO_ALERT;
		err->alert_received = TLSH_NO_ALERT;
		snprintf(err->message, sizeof err->message, "%s%s%s", what, lib[0] ? ": " : "",
		         lib);
	}
	return TLSH_CONFIGURATION_ERROR;
}

static void mbed_err_ok(struct tlsh_error *err)
{
	if (err == NULL)
		return;
	err->status = TLSH_OK;
	err->alert_sent = TLSH_NO_ALERT;
	err->alert_received = TLSH_NO_ALERT;
	err->message[0] = '\0';
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
	b->last.status = status;
	b->last.alert_sent = b->alert_sent;
	b->last.alert_received = b->alert_received;
	snprintf(b->last.message, sizeof b->last.message, "%s%s%s%s%s%s", what, lib[0] ? ": " : "",
	         lib, vf[0] ? " (" : "", vf, vf[0] ? ")" : "");
	return status;
}

/** A call on a buffer that already failed fatally: report the same error
 * again, keeping its detail. */
static int mbed_buf_dead(struct tlsh_buffer *b)
{
	b->last.status = TLSH_TLS_ERROR;
	return TLSH_TLS_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

static int mbed_version_known(enum tlsh_version v)
{
	return v == TLSH_VERSION_MINIMUM_SUPPORTED || v == TLSH_TLS_1_2 || v == TLSH_TLS_1_3 ||
	       v == TLSH_VERSION_MAXIMUM_SUPPORTED;
}

static const char *mbed_kind_name(enum tlsh_source_kind k)
{
	switch (k) {
	case TLSH_SOURCE_NONE:
		return "NONE";
	case TLSH_SOURCE_BUFFER:
		return "BUFFER";
	case TLSH_SOURCE_PATH:
		return "PATH";
	case TLSH_SOURCE_ID:
		return "ID";
	case TLSH_SOURCE_SYSTEM:
		return "SYSTEM";
	}
	return "unknown";
}

/** Checks a certificate or key source (trust == 0) or a trust store source
 * (trust == 1). */
static int mbed_check_source(const struct tlsh_source *s, int trust, const char *what,
                             struct tlsh_error *err)
{
	switch (s->kind) {
	case TLSH_SOURCE_BUFFER:
		if (s->data == NULL || s->len == 0 || s->len > MBED_MAX_FILE)
			return mbed_cfg_fail(err, 0, "%s: empty or oversized buffer", what);
		return TLSH_OK;
	case TLSH_SOURCE_PATH:
		if (s->path == NULL || s->path[0] == '\0')
			return mbed_cfg_fail(err, 0, "%s: empty path", what);
		return TLSH_OK;
	case TLSH_SOURCE_NONE:
	case TLSH_SOURCE_SYSTEM:
		if (trust)
			return TLSH_OK;
		break;
	case TLSH_SOURCE_ID:
		break;
	}
	return mbed_cfg_fail(err, 0, "%s: source kind %s is not supported", what,
	                     mbed_kind_name(s->kind));
}

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

/** Checks `config` for `role`; on TLSH_OK p->c holds the copied config. */
static int mbed_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                            struct mbed_plan *p, struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (role != TLSH_ROLE_CLIENT && role != TLSH_ROLE_SERVER)
		return mbed_cfg_fail(err, 0, "unknown role %d", (int)role);
	if (config == NULL)
		return mbed_cfg_fail(err, 0, "no configuration");
	size_t size = config->struct_size < sizeof p->c ? config->struct_size : sizeof p->c;
	memcpy(&p->c, config, size);
	const struct tlsh_config *c = &p->c;

	/* Versions: this library does TLS 1.2 only, so MINIMUM and MAXIMUM
	 * both mean TLS 1.2; a range above it cannot be honoured. */
	enum tlsh_version lo = c->lowest_supported_version, hi = c->highest_supported_version;
	if (lo == TLSH_VERSION_NONE)
		lo = TLSH_VERSION_MINIMUM_SUPPORTED;
	if (hi == TLSH_VERSION_NONE)
		hi = TLSH_VERSION_MAXIMUM_SUPPORTED;
	if (!mbed_version_known(lo) || !mbed_version_known(hi))
		return mbed_cfg_fail(err, 0,
		                     "unknown TLS version value (lowest 0x%x, highest 0x%x)",
		                     (unsigned)lo, (unsigned)hi);
	if (lo == TLSH_VERSION_MAXIMUM_SUPPORTED && hi != TLSH_VERSION_MAXIMUM_SUPPORTED)
		return mbed_cfg_fail(err, 0,
		                     "lowest version MAXIMUM_SUPPORTED with a lower highest");
	if (hi == TLSH_VERSION_MINIMUM_SUPPORTED && lo != TLSH_VERSION_MINIMUM_SUPPORTED)
		return mbed_cfg_fail(err, 0,
		                     "highest version MINIMUM_SUPPORTED with a higher lowest");
	if (lo == TLSH_TLS_1_3 && hi == TLSH_TLS_1_2)
		return mbed_cfg_fail(err, 0, "lowest version is above highest version");
	if (lo == TLSH_TLS_1_3)
		return mbed_cfg_fail(
		        err, 0, "lowest version TLS 1.3: mbed TLS 2.28 implements TLS 1.2 only");

	/* Certificate chains. */
	if (c->certificate_chains_len > 0 && c->certificate_chains == NULL)
		return mbed_cfg_fail(err, 0, "certificate_chains is NULL");
	if (role == TLSH_ROLE_SERVER && c->certificate_chains_len == 0)
		return mbed_cfg_fail(err, 0, "a server needs a certificate chain");
	if (role == TLSH_ROLE_CLIENT && c->certificate_chains_len > 1)
		return mbed_cfg_fail(err, 0, "a client takes at most one certificate chain");
	for (size_t i = 0; i < c->certificate_chains_len; i++) {
		const struct tlsh_signing_chain *ch = &c->certificate_chains[i];
		char what[64];
		snprintf(what, sizeof what, "chain %zu leaf", i);
		if (mbed_check_source(&ch->leaf, 0, what, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		snprintf(what, sizeof what, "chain %zu key", i);
		if (mbed_check_source(&ch->key, 0, what, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		if (ch->chain_len > 0 && ch->chain == NULL)
			return mbed_cfg_fail(err, 0, "chain %zu: intermediates are NULL", i);
		for (size_t j = 0; j < ch->chain_len; j++) {
			snprintf(what, sizeof what, "chain %zu intermediate %zu", i, j);
			if (mbed_check_source(&ch->chain[j], 0, what, err) != TLSH_OK)
				return TLSH_CONFIGURATION_ERROR;
		}
	}

	/* Trust store. */
	if (c->trust_store != NULL &&
	    mbed_check_source(c->trust_store, 1, "trust store", err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;

	/* Insecure flags. */
	if (c->insecure & ~(uint32_t)(TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK))
		return mbed_cfg_fail(err, 0, "unknown insecure flags 0x%x", (unsigned)c->insecure);

	/* ALPN: mbedtls_ssl_conf_alpn_protocols takes C strings, so a name
	 * holding a NUL byte cannot be expressed. */
	if (c->inner_protocols_len > 0 && c->inner_protocols == NULL)
		return mbed_cfg_fail(err, 0, "inner_protocols is NULL");
	size_t wire = 0;
	for (size_t i = 0; i < c->inner_protocols_len; i++) {
		const struct tlsh_bytes *pr = &c->inner_protocols[i];
		if (pr->len < 1 || pr->len > 255 || pr->data == NULL)
			return mbed_cfg_fail(err, 0,
			                     "ALPN protocol %zu has length %zu (must be 1..255)", i,
			                     pr->len);
		if (memchr(pr->data, 0, pr->len) != NULL)
			return mbed_cfg_fail(err, 0,
			                     "ALPN protocol %zu contains a NUL byte: mbed TLS 2.28 "
			                     "takes protocol names as C strings",
			                     i);
		wire += 1 + pr->len;
	}
	if (wire > 65535)
		return mbed_cfg_fail(err, 0, "ALPN protocol list too long (%zu bytes)", wire);

	/* Ciphers: unknown ids are ignored; at least one TLS 1.2 suite must
	 * remain (TLS 1.2 is the only version). */
	if (c->ciphers_len > 0 && c->ciphers == NULL)
		return mbed_cfg_fail(err, 0, "ciphers is NULL");
	if (c->ciphers != NULL) {
		int usable = 0;
		for (size_t i = 0; i < c->ciphers_len && !usable; i++)
			usable = mbed_usable_suite(c->ciphers[i]);
		if (!usable)
			return mbed_cfg_fail(err, 0,
			                     "no TLS 1.2 cipher suite in the list is supported");
	}
	return TLSH_OK;
}

static int mbed_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct mbed_plan p;
	(void)self;
	if (mbed_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	mbed_err_ok(err);
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
	static const char tag[] = "-----BEGIN";
	unsigned char *buf = NULL;
	*out = NULL;
	*len = 0;
	if (s->kind == TLSH_SOURCE_BUFFER) {
		buf = malloc(s->len + 1);
		if (buf == NULL)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		memcpy(buf, s->data, s->len);
		*len = s->len;
	} else {
		FILE *f = fopen(s->path, "rb");
		size_t cap = 4096;
		if (f == NULL)
			return MBEDTLS_ERR_X509_FILE_IO_ERROR;
		buf = malloc(cap + 1);
		while (buf != NULL && *len <= MBED_MAX_FILE) {
			if (*len == cap) {
				unsigned char *nb = realloc(buf, 2 * cap + 1);
				if (nb == NULL) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = nb;
				cap *= 2;
			}
			size_t got = fread(buf + *len, 1, cap - *len, f);
			if (got == 0)
				break;
			*len += got;
		}
		int bad = ferror(f) || *len == 0 || *len > MBED_MAX_FILE;
		fclose(f);
		if (buf == NULL)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		if (bad) {
			free(buf);
			return MBEDTLS_ERR_X509_FILE_IO_ERROR;
		}
	}
	buf[*len] = '\0';
	*pem = 0;
	for (size_t i = 0; i + sizeof tag - 1 <= *len && !*pem; i++)
		*pem = memcmp(buf + i, tag, sizeof tag - 1) == 0;
	*out = buf;
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

/** DNS-ID match: case-insensitive; a wildcard only as the whole leftmost
 * label, standing for exactly one label. */
static int mbed_dns_match(const unsigned char *pat, size_t plen, const char *name)
{
	size_t nlen = strlen(name);
	if (plen == 0 || nlen == 0)
		return 0;
	if (plen == nlen && strncasecmp((const char *)pat, name, nlen) == 0 &&
	    memchr(pat, '*', plen) == NULL)
		return 1;
	if (plen < 3 || pat[0] != '*' || pat[1] != '.' || memchr(pat + 1, '*', plen - 1) != NULL)
		return 0;
	const char *dot = strchr(name, '.');
	if (dot == NULL || dot == name)
		return 0;
	size_t rest = nlen - (size_t)(dot - name);
	return rest == plen - 1 && strncasecmp((const char *)pat + 1, dot, rest) == 0;
}

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

static int mbed_san_dns(int tag, const unsigned char *p, size_t len, const void *arg)
{
	return tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2) && mbed_dns_match(p, len, arg);
}

struct mbed_ip {
	const unsigned char *addr;
	size_t len;
};

static int mbed_san_ip(int tag, const unsigned char *p, size_t len, const void *arg)
{
	const struct mbed_ip *ip = arg;
	return tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && len == ip->len &&
	       memcmp(p, ip->addr, len) == 0;
}

/** The verify callback: for the leaf, the adapter's identity check replaces
 * mbed TLS's (which falls back to the CN and knows no IP addresses). */
static int mbed_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tlsh_buffer *b = arg;
	if (depth != 0)
		return 0;
	*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (!b->check_name)
		return 0;
	int ok;
	if (b->dns_name != NULL) {
		ok = mbed_san_any(crt, mbed_san_dns, b->dns_name);
	} else {
		struct mbed_ip ip = {.addr = b->ip, .len = b->ip_len};
		ok = mbed_san_any(crt, mbed_san_ip, &ip);
	}
	if (!ok)
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                */
/* ------------------------------------------------------------------------ */

/** Keeps the first alert, replacing a warning-level one by a fatal one. */
static void mbed_note_alert(int *code, int *fatal, unsigned desc, unsigned level)
{
	int is_fatal = level == MBEDTLS_SSL_ALERT_LEVEL_FATAL;
	if (desc == MBED_AD_CLOSE_NOTIFY && !is_fatal)
		return;
	if (desc > 255)
		return;
	if (*code == TLSH_NO_ALERT || (is_fatal && !*fatal)) {
		*code = (int)desc;
		*fatal = is_fatal;
	}
}

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
		mbed_note_alert(&b->alert_sent, &b->alert_sent_fatal, desc, lv);
	else if ((m = strstr(str, "got an alert message, type: [")) != NULL &&
	         sscanf(m, "got an alert message, type: [%u:%u]", &lv, &desc) == 2)
		mbed_note_alert(&b->alert_received, &b->alert_received_fatal, desc, lv);
}

static int mbed_send_cb(void *arg, const unsigned char *buf, size_t len)
{
	struct tlsh_buffer *b = arg;
	struct mbed_queue *q = &b->out;
	if (len > INT_MAX)
		len = INT_MAX;
	if (q->off > 0 && q->off == q->len)
		q->off = q->len = 0;
	if (q->cap - q->len < len) {
		if (q->off > 0) {
			memmove(q->p, q->p + q->off, q->len - q->off);
			q->len -= q->off;
			q->off = 0;
		}
		if (q->cap - q->len < len) {
			size_t nc = q->cap ? q->cap : 16384;
			while (nc - q->len < len)
				nc *= 2;
			unsigned char *np = realloc(q->p, nc);
			if (np == NULL)
				return MBEDTLS_ERR_SSL_ALLOC_FAILED;
			q->p = np;
			q->cap = nc;
		}
	}
	memcpy(q->p + q->len, buf, len);
	q->len += len;
	return (int)len;
}

static int mbed_recv_cb(void *arg, unsigned char *buf, size_t len)
{
	struct tlsh_buffer *b = arg;
	struct mbed_queue *q = &b->in;
	size_t avail = q->len - q->off;
	if (avail == 0)
		return b->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
	if (len > avail)
		len = avail;
	if (len > INT_MAX)
		len = INT_MAX;
	memcpy(buf, q->p + q->off, len);
	q->off += len;
	if (q->off == q->len)
		q->off = q->len = 0;
	return (int)len;
}

/** Server SNI: use the first chain whose leaf names the client's SNI; keep
 * the first chain (the config's own certificate) when none does. */
static int mbed_sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct tlsh_buffer *b = arg;
	struct tlsh_context *tc = b->tc;
	char host[256];
	if (len == 0 || len >= sizeof host || memchr(name, 0, len) != NULL)
		return 0;
	memcpy(host, name, len);
	host[len] = '\0';
	for (size_t i = 0; i < tc->nchains; i++) {
		if (!mbed_san_any(&tc->chains[i].crt, mbed_san_dns, host))
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
	struct mbed_plan p;
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
	tc->insecure = c->insecure;
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
	const struct tlsh_source *ts = c->trust_store;
	int have_trust = ts != NULL && ts->kind != TLSH_SOURCE_NONE;
	if (role == TLSH_ROLE_CLIENT)
		tc->verify = !(c->insecure & TLSH_INSECURE_NO_VERIFY);
	else
		tc->verify = have_trust;
	if (tc->verify && mbed_load_trust(tc, ts, err) != TLSH_OK)
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
	mbed_err_ok(err);
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
	free(b->in.p);
	free(b->out.p);
	free(b->dns_name);
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
	b->alert_sent = b->alert_received = TLSH_NO_ALERT;
	b->last.status = TLSH_OK;
	b->last.alert_sent = b->last.alert_received = TLSH_NO_ALERT;
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

	const char *h = server_hostname;
	if (tc->role == TLSH_ROLE_CLIENT && h != NULL) {
		int check = tc->verify && !(tc->insecure & TLSH_INSECURE_NO_HOSTNAME_CHECK);
		unsigned char ip[16];
		if (inet_pton(AF_INET, h, ip) == 1 || inet_pton(AF_INET6, h, ip) == 1) {
			/* RFC 6066 3: no SNI for an address; verified by the
			 * verify callback against the iPAddress SANs. */
			b->ip_len = strchr(h, ':') != NULL ? 16 : 4;
			memcpy(b->ip, ip, b->ip_len);
			b->check_name = check;
		} else {
			b->dns_name = strdup(h);
			ret = b->dns_name == NULL ? MBEDTLS_ERR_SSL_ALLOC_FAILED
			                          : mbedtls_ssl_set_hostname(&b->ssl, h);
			if (ret != 0) {
				mbed_buffer_free(b);
				return mbed_cfg_fail(err, ret,
				                     "cannot use server_hostname \"%.80s\"", h);
			}
			b->check_name = check;
		}
	}
	mbed_err_ok(err);
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
	b->failed = 1;
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF)
		what = "transport EOF";
	if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE && b->alert_sent == TLSH_NO_ALERT)
		/* mbed TLS fails a server that requires a client certificate
		 * without an alert; RFC 5246 7.4.6 names handshake_failure. */
		mbedtls_ssl_send_alert_message(&b->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		                               MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
	return mbed_buf_fail(b, TLSH_TLS_ERROR, ret, what);
}

static int mbed_do_handshake(tlsh_buffer *b)
{
	if (b->failed)
		return mbed_buf_dead(b);
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
			b->closed = 1;
			return TLSH_CLOSED;
		}
		b->failed = 1;
		return mbed_buf_fail(b, TLSH_TLS_ERROR, ret,
		                     "close_notify before the handshake completed");
	}
	if ((ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF) && b->eof) {
		if (b->hs_done) {
			b->ragged = 1;
			return mbed_buf_fail(b, TLSH_RAGGED_EOF, 0,
			                     "transport EOF without close_notify");
		}
		b->failed = 1;
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0, "transport EOF during the handshake");
	}
	if (ret == 0)
		return TLSH_WANT_READ;
	return mbed_map(b, ret, what);
}

static int mbed_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = 0;
	if (b->closed)
		return TLSH_CLOSED;
	if (b->ragged)
		return TLSH_RAGGED_EOF;
	if (b->failed)
		return mbed_buf_dead(b);
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
	if (b->failed)
		return mbed_buf_dead(b);
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
	if (b->failed)
		return mbed_buf_dead(b);
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
	while (!b->closed) {
		unsigned char sink[4096];
		if (b->ragged)
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
	struct mbed_queue *q = &b->in;
	if (b->eof)
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0,
		                     "process_incoming after process_incoming_eof");
	if (len == 0)
		return TLSH_OK;
	if (data == NULL)
		return mbed_buf_fail(b, TLSH_TLS_ERROR, 0, "process_incoming with NULL data");
	/* Nothing can use bytes after the peer's close_notify (RFC 8446 6.1)
	 * or after a fatal error: drop them. */
	if (b->failed || b->closed)
		return TLSH_OK;
	size_t pending = q->len - q->off;
	if (pending > 0 && (pending >= MBED_INCOMING_CAP || len > MBED_INCOMING_CAP - pending))
		return TLSH_WANT_READ;
	if (q->off > 0) {
		memmove(q->p, q->p + q->off, pending);
		q->len = pending;
		q->off = 0;
	}
	if (q->cap - q->len < len) {
		size_t nc = q->cap ? q->cap : 16384;
		while (nc - q->len < len)
			nc *= 2;
		unsigned char *np = realloc(q->p, nc);
		if (np == NULL)
			return mbed_buf_fail(b, TLSH_TLS_ERROR, 0, "out of memory");
		q->p = np;
		q->cap = nc;
	}
	memcpy(q->p + q->len, data, len);
	q->len += len;
	return TLSH_OK;
}

static int mbed_process_incoming_eof(tlsh_buffer *b)
{
	b->eof = 1;
	return TLSH_OK;
}

static int mbed_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	struct mbed_queue *q = &b->out;
	size_t avail = q->len - q->off;
	*n = avail < cap ? avail : cap;
	if (*n > 0) {
		memcpy(dst, q->p + q->off, *n);
		q->off += *n;
		if (q->off == q->len)
			q->off = q->len = 0;
	}
	return TLSH_OK;
}

static size_t mbed_incoming_bytes_buffered(tlsh_buffer *b)
{
	return b->in.len - b->in.off;
}

static size_t mbed_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return b->out.len - b->out.off;
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
	*err = b->last;
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
                        TLSH_CAP_INSECURE | TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN,
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
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&mbed_once, mbed_init);
	return &mbed_impl;
}
