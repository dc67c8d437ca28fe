/*
 * wolfssl.c - tlsharness adapter for wolfSSL 5.5 (libwolfssl, native API).
 *
 * Every buffer is one WOLFSSL object whose custom I/O callbacks read from and
 * write to two in-memory queues: process_incoming appends to the incoming
 * queue, process_outgoing drains the outgoing one, and nothing here does I/O.
 * An empty incoming queue reads as WOLFSSL_CBIO_ERR_WANT_READ until
 * process_incoming_eof, then as WOLFSSL_CBIO_ERR_CONN_CLOSE; wolfSSL then
 * reports SOCKET_PEER_CLOSED_E (ragged end) where a close_notify gives
 * ZERO_RETURN (clean end).
 *
 * A context holds one WOLFSSL_CTX per server certificate chain (a client
 * context holds exactly one), all configured alike; the servername callback
 * moves a connection to the WOLFSSL_CTX whose leaf matches the client's SNI
 * (wolfSSL_set_SSL_CTX, which swaps the certificate and key only).
 *
 * Library traps handled here (see the notes at each place):
 *  - Debian builds wolfSSL with OPENSSL_COMPATIBLE_DEFAULTS: a new
 *    WOLFSSL_CTX verifies nothing, accepts SSL 3.0 and up and enables
 *    anonymous suites (and the build enables NULL and RC4 suites). Every
 *    context sets verification, the lowest version and a cipher list; the
 *    default one is wolfSSL's own order without anonymous, NULL, PSK and RC4
 *    suites (wssl_learn_default_suites).
 *  - The verify callback is called with preverify_ok = 1 when only the
 *    hostname or IP check failed (the failure is in the store's error); a
 *    callback returning 1 then overrides it.
 *  - The client's TLS 1.3 key share is for P-256 and supported_groups starts
 *    with P-521: most servers answer with a HelloRetryRequest. The groups are
 *    set with X25519 first (wssl_setup_ctx).
 *  - wolfSSL_shutdown calls wolfSSL_clear() once both close_notify alerts are
 *    through, which wipes the negotiated state; what the query functions
 *    report is therefore copied when the handshake completes.
 *  - wolfSSL's hostname and IP checks fall back to the subject CN when the
 *    leaf has no subjectAltName (WOLFSSL_HOSTNAME_VERIFY_ALT_NAME_ONLY is a
 *    build option Debian does not set), which RFC 9525 section 6.3 forbids:
 *    they are not used. The verify callback checks the identity with the
 *    shared matcher of tlsh_adapter.h over the leaf's subjectAltName.
 *  - ALPN names are kept as C strings and configured as a comma-separated
 *    list: a name containing ',' or a NUL byte cannot be expressed and is a
 *    CONFIGURATION_ERROR. wolfSSL's own matching follows the client's order;
 *    the ALPN select callback picks by the server's order instead, and the
 *    library's FAILED_ON_MISMATCH list then sends no_application_protocol
 *    when nothing overlaps (RFC 7301 section 3.2).
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty queue is always accepted. */
#define WSSL_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Largest certificate, key or trust file read from a path. */
#define WSSL_MAX_FILE ((size_t)16 << 20)
/** Longest hostname kept for verification (wolfSSL truncates at 255). */
#define WSSL_MAX_HOST 253

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** A checked configuration: the generic plan, plus the version range to
 * configure (wire values, already narrowed to what the cipher list
 * allows). */
struct wssl_plan {
	struct tlsh_plan p;
	uint16_t lo, hi;
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify that the certificate names server_hostname. */
	int check_name;
	/** The version range includes TLS 1.3. */
	int tls13;
	/** One WOLFSSL_CTX per server chain, [0] being the default; one for a
	 * client. leaf[i] is the parsed leaf of chain i (servers only). */
	WOLFSSL_CTX **ctx;
	WOLFSSL_X509 **leaf;
	size_t nctx;
	/** ALPN protocols: wire format (length-prefixed names) for the server's
	 * select callback, comma-separated for wolfSSL_UseALPN. */
	unsigned char *alpn;
	size_t alpn_len;
	char *alpn_csv;
	size_t alpn_csv_len;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	WOLFSSL *ssl;
	struct tlsh_queue in, out;
	/** Client: what the verify callback checks the leaf against (RFC
	 * 9525); kind NONE when nothing is checked. */
	struct tlsh_identity id;
	/** Why the verify callback refused the leaf ("" if it did not). */
	char verify_note[96];
	/** The handshake completed at some point (sticky). */
	int hs_done;
	/** Our close_notify was queued by shutdown. */
	int sent_notify;
	/** End of stream, failure, alerts, last error. */
	struct tlsh_state st;
	/** Negotiated parameters, copied when the handshake completes. */
	uint16_t cipher;
	enum tlsh_version version;
	unsigned char proto[255];
	size_t proto_len;
	unsigned char *peer_der;
	size_t peer_der_len;
	/** set_secret_callback's receiver (NULL: none); the master secret was
	 * handed over. */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
	int secret_sent;
};

/* ------------------------------------------------------------------------ */
/* One-time initialisation                                                  */
/* ------------------------------------------------------------------------ */

static pthread_once_t wssl_once = PTHREAD_ONCE_INIT;
static int wssl_init_ok;
static char wssl_version_text[64];
static struct tlsh_implementation wssl_impl;
/** The default cipher list, as set with wolfSSL_CTX_set_cipher_list_bytes. */
static unsigned char wssl_default_suites[512];
static size_t wssl_default_len;

/** Learns the default cipher list: wolfSSL's own order, filtered by its
 * "HIGH" rule (no anonymous, NULL or static key exchange suites; Debian's
 * OPENSSL_COMPATIBLE_DEFAULTS would otherwise offer anonymous ones), without
 * PSK suites (nothing here configures a PSK) and without RC4 (RFC 7465;
 * Debian builds with WOLFSSL_ALLOW_RC4). */
static int wssl_learn_default_suites(void)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	WOLFSSL *ssl = NULL;
	if (ctx != NULL && wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) == WOLFSSL_SUCCESS &&
	    wolfSSL_CTX_set_cipher_list(ctx, "HIGH:!PSK") == WOLFSSL_SUCCESS)
		ssl = wolfSSL_new(ctx);
	WOLFSSL_STACK *sk = ssl ? wolfSSL_get_ciphers_compat(ssl) : NULL;
	int n = sk ? wolfSSL_sk_SSL_CIPHER_num(sk) : 0;
	for (int i = 0; i < n && wssl_default_len + 2 <= sizeof wssl_default_suites; i++) {
		const char *name = wolfSSL_CIPHER_get_name(wolfSSL_sk_SSL_CIPHER_value(sk, i));
		unsigned char b0, b1;
		int flags = 0;
		if (name == NULL || strstr(name, "RC4") != NULL ||
		    wolfSSL_get_cipher_suite_from_name(name, &b0, &b1, &flags) != 0)
			continue;
		wssl_default_suites[wssl_default_len++] = b0;
		wssl_default_suites[wssl_default_len++] = b1;
	}
	wolfSSL_free(ssl);
	wolfSSL_CTX_free(ctx);
	return wssl_default_len > 0;
}

static void wssl_init(void)
{
	if (wolfSSL_Init() != WOLFSSL_SUCCESS || !wssl_learn_default_suites())
		return;
	const char *v = wolfSSL_lib_version();
	snprintf(wssl_version_text, sizeof wssl_version_text, "wolfSSL %s", v ? v : "?");
	wssl_impl.library_version = wssl_version_text;
	wssl_init_ok = 1;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** Picks up the alerts wolfSSL sent or received during the last call. Its
 * history keeps only the last of each, which is the fatal one when a
 * handshake fails (nothing is sent or read after a fatal alert). */
static void wssl_note_alerts(struct tlsh_buffer *b)
{
	WOLFSSL_ALERT_HISTORY h;
	memset(&h, 0, sizeof h);
	h.last_rx.code = h.last_tx.code = -1;
	if (wolfSSL_get_alert_history(b->ssl, &h) != WOLFSSL_SUCCESS)
		return;
	const WOLFSSL_ALERT *a[2] = {&h.last_tx, &h.last_rx};
	for (int i = 0; i < 2; i++)
		tlsh_state_alert(&b->st, i == 0, a[i]->code, a[i]->level == 2);
}

/** Records a failing call on b: its status, the alerts seen on this buffer,
 * and `what` followed by the library's text for `code` (0: none). Returns
 * status. */
static int wssl_buf_fail(struct tlsh_buffer *b, int status, int code, const char *what)
{
	char lib[160] = "";
	if (code != 0) {
		char text[WOLFSSL_MAX_ERROR_SZ];
		wolfSSL_ERR_error_string_n((unsigned long)(long)code, text, sizeof text);
		snprintf(lib, sizeof lib, "%s (%d)", text, code);
	}
	return tlsh_state_fail(&b->st, status, "%s%s%s%s%s", what, lib[0] ? ": " : "", lib,
	                       b->verify_note[0] ? "; " : "", b->verify_note);
}

/** Maps the result of a failed wolfSSL_negotiate/read/write/shutdown. */
static int wssl_map(struct tlsh_buffer *b, int ret, const char *what)
{
	int e = wolfSSL_get_error(b->ssl, ret);
	switch (e) {
	case WOLFSSL_ERROR_WANT_READ:
		return TLSH_WANT_READ;
	case WOLFSSL_ERROR_WANT_WRITE:
		return TLSH_WANT_WRITE;
	default:
		b->st.failed = 1;
		if (e == ZERO_RETURN || e == WOLFSSL_ERROR_ZERO_RETURN)
			return wssl_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "close_notify before the handshake completed");
		if (b->st.eof && (e == SOCKET_PEER_CLOSED_E || e == SOCKET_ERROR_E))
			return wssl_buf_fail(b, TLSH_TLS_ERROR, e, "transport EOF");
		return wssl_buf_fail(b, TLSH_TLS_ERROR, e, what);
	}
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What wolfSSL 5.5 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules wssl_rules = {
        .tls13 = 1,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = INT_MAX,
        .library = "wolfSSL 5.5",
};

/** A cipher suite id wolfSSL knows (its name table has an entry). */
static int wssl_cipher_known(uint16_t id)
{
	const char *n = wolfSSL_get_cipher_name_from_suite((unsigned char)(id >> 8),
	                                                   (unsigned char)(id & 0xff));
	return n != NULL && strcmp(n, "None") != 0;
}

/** TLS 1.3 suites: 0x13xx and the integrity-only ones of RFC 9150. */
static int wssl_is_tls13_suite(uint16_t id)
{
	return (id >> 8) == 0x13 || id == 0xC0B4 || id == 0xC0B5;
}

/** Checks `config` for `role` and computes what context_new configures. */
static int wssl_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                            struct wssl_plan *p, struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (tlsh_plan_config(&wssl_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->p.c;

	/* ALPN: wolfSSL takes the list as a comma-separated C string
	 * (wolfSSL_UseALPN) and keeps each name as a C string (tls.c
	 * TLSX_ALPN_Write uses XSTRLEN), so a name holding ',' or NUL cannot
	 * be configured. */
	if (c->inner_protocols_len > WOLFSSL_MAX_ALPN_NUMBER)
		return tlsh_config_fail(err, "%zu ALPN protocols; wolfSSL takes at most %d",
		                        c->inner_protocols_len, (int)WOLFSSL_MAX_ALPN_NUMBER);
	for (size_t i = 0; i < c->inner_protocols_len; i++) {
		const struct tlsh_bytes *pr = &c->inner_protocols[i];
		if (memchr(pr->data, ',', pr->len) != NULL || memchr(pr->data, 0, pr->len) != NULL)
			return tlsh_config_fail(
			        err,
			        "ALPN protocol %zu contains a ',' or NUL byte, which "
			        "wolfSSL's ALPN API cannot express",
			        i);
	}

	/* Ciphers: unknown ids are ignored; each version that stays
	 * negotiable needs at least one known suite. */
	if (c->ciphers != NULL) {
		int has12 = 0, has13 = 0;
		for (size_t i = 0; i < c->ciphers_len; i++) {
			if (!wssl_cipher_known(c->ciphers[i]))
				continue;
			if (wssl_is_tls13_suite(c->ciphers[i]))
				has13 = 1;
			else
				has12 = 1;
		}
		if (tlsh_plan_ciphers(&p->p, has12, has13, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
	}
	p->lo = (uint16_t)p->p.lowest;
	p->hi = (uint16_t)p->p.highest;
	return TLSH_OK;
}

static int wssl_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct wssl_plan p;
	(void)self;
	if (wssl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** Appends the certificates of `s` to the PEM text in q (DER is converted). */
static int wssl_append_pem_certs(struct tlsh_queue *q, const struct tlsh_source *s)
{
	const uint8_t *data;
	uint8_t *owned;
	size_t len;
	int ok = 0;
	if (tlsh_source_bytes(s, WSSL_MAX_FILE, &data, &len, &owned) != 0)
		return 0;
	if (tlsh_is_pem(data, len)) {
		ok = tlsh_queue_append(q, data, len) &&
		     tlsh_queue_append(q, (const uint8_t *)"\n", 1);
	} else if (len <= INT_MAX / 2) {
		word32 cap = (word32)(len * 2 + 128);
		byte *pem = malloc(cap);
		int n = pem ? wc_DerToPem(data, (word32)len, pem, cap, CERT_TYPE) : -1;
		ok = n > 0 && tlsh_queue_append(q, pem, (size_t)n);
		free(pem);
	}
	free(owned);
	return ok;
}

/** Parses the first certificate of a source. */
static WOLFSSL_X509 *wssl_first_cert(const struct tlsh_source *s)
{
	const uint8_t *data;
	uint8_t *owned;
	size_t len;
	if (tlsh_source_bytes(s, WSSL_MAX_FILE, &data, &len, &owned) != 0)
		return NULL;
	WOLFSSL_X509 *x = wolfSSL_X509_load_certificate_buffer(
	        data, (int)len,
	        tlsh_is_pem(data, len) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1);
	free(owned);
	return x;
}

/** Installs chain `ch` (leaf, key, intermediates) into ctx. */
static int wssl_use_chain(WOLFSSL_CTX *ctx, const struct tlsh_signing_chain *ch, size_t idx,
                          struct tlsh_error *err)
{
	struct tlsh_queue pem = {0};
	const uint8_t *key = NULL;
	uint8_t *key_owned = NULL;
	size_t key_len = 0;
	int st = TLSH_CONFIGURATION_ERROR;
	/* A PEM leaf source may carry intermediates after the leaf; they and
	 * the explicit ones follow the leaf in order. */
	if (!wssl_append_pem_certs(&pem, &ch->leaf)) {
		tlsh_config_fail(err, "chain %zu: cannot load the leaf certificate", idx);
		goto out;
	}
	for (size_t j = 0; j < ch->chain_len; j++) {
		if (!wssl_append_pem_certs(&pem, &ch->chain[j])) {
			tlsh_config_fail(err, "chain %zu: cannot load intermediate %zu", idx, j);
			goto out;
		}
	}
	if (wolfSSL_CTX_use_certificate_chain_buffer(
	            ctx, tlsh_queue_peek(&pem), (long)tlsh_queue_length(&pem)) != WOLFSSL_SUCCESS) {
		tlsh_config_fail(err, "chain %zu: certificate chain rejected", idx);
		goto out;
	}
	if (tlsh_source_bytes(&ch->key, WSSL_MAX_FILE, &key, &key_len, &key_owned) != 0) {
		tlsh_config_fail(err, "chain %zu: cannot read the private key", idx);
		goto out;
	}
	int fmt = tlsh_is_pem(key, key_len) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1;
	if (wolfSSL_CTX_use_PrivateKey_buffer(ctx, key, (long)key_len, fmt) != WOLFSSL_SUCCESS) {
		tlsh_config_fail(err, "chain %zu: cannot load the private key", idx);
		goto out;
	}
	if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
		tlsh_config_fail(err, "chain %zu: the private key does not match the leaf", idx);
		goto out;
	}
	st = TLSH_OK;
out:
	if (key_owned != NULL)
		memset(key_owned, 0, key_len);
	free(key_owned);
	tlsh_queue_free(&pem);
	return st;
}

/** Loads a trust store into ctx: BUFFER or PATH (a PEM file or a hashed
 * directory); NONE and SYSTEM use the system store. */
static int wssl_load_trust(WOLFSSL_CTX *ctx, const struct tlsh_source *ts, struct tlsh_error *err)
{
	struct stat sb;
	if (ts == NULL || ts->kind == TLSH_SOURCE_NONE || ts->kind == TLSH_SOURCE_SYSTEM) {
		if (wolfSSL_CTX_load_system_CA_certs(ctx) != WOLFSSL_SUCCESS)
			return tlsh_config_fail(err, "cannot load the system trust store");
		return TLSH_OK;
	}
	if (ts->kind == TLSH_SOURCE_PATH && stat(ts->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (wolfSSL_CTX_load_verify_locations(ctx, NULL, ts->path) != WOLFSSL_SUCCESS)
			return tlsh_config_fail(err, "cannot use trust directory %.100s", ts->path);
		return TLSH_OK;
	}
	/* A file is read into memory: wolfSSL_CTX_load_verify_locations on a
	 * file would also make each certificate a trusted peer (it calls
	 * wolfSSL_CTX_trust_peer_cert under OPENSSL_COMPATIBLE_DEFAULTS). */
	const uint8_t *data;
	uint8_t *owned;
	size_t len;
	if (tlsh_source_bytes(ts, WSSL_MAX_FILE, &data, &len, &owned) != 0)
		return tlsh_config_fail(err, "cannot read the trust store");
	int fmt = tlsh_is_pem(data, len) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1;
	int r = wolfSSL_CTX_load_verify_buffer(ctx, data, (long)len, fmt);
	free(owned);
	if (r != WOLFSSL_SUCCESS)
		return tlsh_config_fail(err, "cannot load the trust store");
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* I/O and library callbacks                                                */
/* ------------------------------------------------------------------------ */

static int wssl_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct tlsh_buffer *b = ctx;
	(void)ssl;
	if (sz <= 0)
		return 0;
	if (tlsh_queue_length(&b->in) == 0)
		return b->st.eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
	return (int)tlsh_queue_take(&b->in, (uint8_t *)buf, (size_t)sz);
}

static int wssl_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct tlsh_buffer *b = ctx;
	(void)ssl;
	if (sz <= 0)
		return 0;
	if (!tlsh_queue_append(&b->out, (const uint8_t *)buf, (size_t)sz))
		return WOLFSSL_CBIO_ERR_GENERAL;
	return sz;
}

/** Does x's subjectAltName name `id` (RFC 9525: dNSName and iPAddress
 * entries only, never the subject CN)? */
static int wssl_names(WOLFSSL_X509 *x, const struct tlsh_identity *id)
{
	WOLFSSL_STACK *gens =
	        x ? wolfSSL_X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	int found = 0;
	for (int i = 0; gens != NULL && !found && i < wolfSSL_sk_GENERAL_NAME_num(gens); i++) {
		WOLFSSL_GENERAL_NAME *g = wolfSSL_sk_GENERAL_NAME_value(gens, i);
		/* The GeneralName tags: 2 dNSName, 7 iPAddress. */
		if (g != NULL && (g->type == TLSH_SAN_DNS || g->type == TLSH_SAN_IP))
			found = tlsh_identity_match(id, g->type, wolfSSL_ASN1_STRING_data(g->d.ia5),
			                            (size_t)wolfSSL_ASN1_STRING_length(g->d.ia5));
	}
	wolfSSL_GENERAL_NAMES_free(gens);
	return found;
}

/** Certificate verification: wolfSSL's verdict on the chain stands; a client
 * then checks the leaf's identity with the shared RFC 9525 matcher. (wolfSSL's
 * own host and IP checks fall back to the subject CN when the leaf has no
 * subjectAltName, internal.c DoVerifyCallback and CheckHostName; Debian does
 * not set WOLFSSL_HOSTNAME_VERIFY_ALT_NAME_ONLY. They are not used.) */
static int wssl_verify_cb(int ok, WOLFSSL_X509_STORE_CTX *st)
{
	struct tlsh_buffer *b = st->userCtx;
	/* wolfSSL may compute `ok` before some of its checks and put their
	 * failure in st->error only; returning 1 would override it. */
	if (!ok || st->error != 0)
		return 0;
	if (b == NULL || b->id.kind == TLSH_IDENTITY_NONE || st->error_depth != 0)
		return 1;
	WOLFSSL_X509 *x = NULL;
	if (st->certs != NULL && st->totalCerts > 0 && st->certs[0].buffer != NULL)
		x = wolfSSL_X509_d2i(NULL, st->certs[0].buffer, (int)st->certs[0].length);
	int named = wssl_names(x, &b->id);
	wolfSSL_X509_free(x);
	if (!named) {
		snprintf(b->verify_note, sizeof b->verify_note,
		         "the leaf's subjectAltName does not name the server (RFC 9525; the "
		         "subject CN is not used)");
		return 0;
	}
	return 1;
}

/** Server SNI: switch to the first chain whose leaf matches the name; keep
 * the first chain when none does or no name was sent. */
static int wssl_servername(WOLFSSL *ssl, int *alert, void *arg)
{
	const struct tlsh_context *tc = arg;
	const char *name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
	struct tlsh_identity id;
	(void)alert;
	if (name == NULL || name[0] == '\0')
		return noack_return;
	tlsh_identity_set(&id, name);
	for (size_t i = 0; i < tc->nctx; i++) {
		if (tc->leaf[i] == NULL || !wssl_names(tc->leaf[i], &id))
			continue;
		if (wolfSSL_set_SSL_CTX(ssl, tc->ctx[i]) == NULL) {
			*alert = 80; /* internal_error */
			return fatal_return;
		}
		return 0;
	}
	return noack_return;
}

/** Server ALPN: the first protocol in the server's order that the client
 * offered. With no overlap the callback declines and wolfSSL's own match
 * against the same list (WOLFSSL_ALPN_FAILED_ON_MISMATCH) sends
 * no_application_protocol (tls.c ALPN_Select, ALPN_find_match). */
static int wssl_alpn_select(WOLFSSL *ssl, const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned int inlen, void *arg)
{
	const struct tlsh_context *tc = arg;
	(void)ssl;
	return tlsh_alpn_select(tc->alpn, tc->alpn_len, in, inlen, out, outlen) ? 0 : noack_return;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void wssl_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nctx; i++) {
		wolfSSL_CTX_free(tc->ctx[i]);
		if (tc->leaf != NULL)
			wolfSSL_X509_free(tc->leaf[i]);
	}
	free(tc->ctx);
	free(tc->leaf);
	free(tc->alpn);
	free(tc->alpn_csv);
	free(tc);
}

/** The method fixes the highest version (wolfSSL_CTX_SetMinVersion the
 * lowest). A TLS 1.2-only server (wolfTLSv1_2_server_method) does not act on
 * supported_versions: a ClientHello offering only TLS 1.3 fails on its
 * cipher suites with handshake_failure, not protocol_version (internal.c
 * DoClientHello); the flexible method with TLS 1.3 masked off behaves the
 * same. */
static WOLFSSL_METHOD *wssl_method(enum tlsh_role role, uint16_t lo, uint16_t hi)
{
	int server = role == TLSH_ROLE_SERVER;
	if (hi == 0x0303)
		return server ? wolfTLSv1_2_server_method() : wolfTLSv1_2_client_method();
	if (lo == 0x0304)
		return server ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method();
	return server ? wolfSSLv23_server_method() : wolfSSLv23_client_method();
}

/** Applies everything but the certificate chain to one WOLFSSL_CTX. */
static int wssl_setup_ctx(struct tlsh_context *tc, WOLFSSL_CTX *ctx, const struct wssl_plan *p,
                          struct tlsh_error *err)
{
	const struct tlsh_config *c = &p->p.c;
	/* The version range: the method caps it; the lowest version must be
	 * set because Debian's OPENSSL_COMPATIBLE_DEFAULTS lower it to SSL 3.0
	 * (ssl.c wolfSSL_CTX_new_ex). */
	if (wolfSSL_CTX_SetMinVersion(ctx, p->lo == 0x0304 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2) !=
	    WOLFSSL_SUCCESS)
		return tlsh_config_fail(err, "cannot set the lowest version");
	/* Key exchange groups when TLS 1.3 is possible: wolfSSL's own TLS 1.3
	 * ranking (tls.c, used when none is set) with X25519 moved first. By
	 * default its client sends the key share for P-256 and lists
	 * supported_groups as P-521, brainpool, P-384, ...: servers that follow
	 * the client's order (BoringSSL) or prefer X25519 (OpenSSL) answer with
	 * a HelloRetryRequest. */
	static int groups[] = {WOLFSSL_ECC_X25519,    WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_X448,
	                       WOLFSSL_ECC_SECP384R1, WOLFSSL_ECC_SECP521R1, WOLFSSL_FFDHE_2048,
	                       WOLFSSL_FFDHE_3072};
	if (tc->tls13 &&
	    wolfSSL_CTX_set_groups(ctx, groups, (int)(sizeof groups / sizeof groups[0])) !=
	            WOLFSSL_SUCCESS)
		return tlsh_config_fail(err, "cannot set the key exchange groups");
	wolfSSL_CTX_SetIORecv(ctx, wssl_recv);
	wolfSSL_CTX_SetIOSend(ctx, wssl_send);

	/* Trust and verification (OPENSSL_COMPATIBLE_DEFAULTS: VERIFY_NONE). */
	const struct tlsh_source *ts = c->trust_store;
	if (tc->role == TLSH_ROLE_CLIENT) {
		if (!p->p.verify_peer) {
			wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
		} else {
			if (wssl_load_trust(ctx, ts, err) != TLSH_OK)
				return TLSH_CONFIGURATION_ERROR;
			wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, wssl_verify_cb);
		}
	} else if (p->p.verify_peer) {
		if (wssl_load_trust(ctx, ts, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		wolfSSL_CTX_set_verify(ctx,
		                       WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		                       wssl_verify_cb);
		/* With FAIL_IF_NO_PEER_CERT alone a TLS 1.2 server accepts an
		 * empty Certificate and fails later, at ClientKeyExchange,
		 * without an alert; mutual_auth fails on the empty Certificate
		 * with handshake_failure (internal.c ProcessPeerCerts). */
		if (wolfSSL_CTX_mutual_auth(ctx, 1) != 0)
			return tlsh_config_fail(err, "cannot require a client certificate");
	} else {
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	}

	if (tc->role == TLSH_ROLE_SERVER) {
		wolfSSL_CTX_set_servername_callback(ctx, wssl_servername);
		if (wolfSSL_CTX_set_servername_arg(ctx, tc) != WOLFSSL_SUCCESS)
			return tlsh_config_fail(err, "cannot set the servername callback");
		if (tc->alpn_len > 0)
			wolfSSL_CTX_set_alpn_select_cb(ctx, wssl_alpn_select, tc);
	}
	return TLSH_OK;
}

/** Sets the cipher list: the configured ids wolfSSL knows, else the
 * default list (wssl_learn_default_suites), in both cases only the suites of
 * the versions the context can negotiate (wolfSSL would otherwise offer TLS
 * 1.3 suites in a TLS 1.2-only ClientHello). Called after the key is loaded:
 * wolfSSL derives the signature algorithms it offers from the suites. */
static int wssl_set_ciphers(WOLFSSL_CTX *ctx, const struct wssl_plan *p, struct tlsh_error *err)
{
	const struct tlsh_config *c = &p->p.c;
	size_t count = c->ciphers != NULL ? c->ciphers_len : wssl_default_len / 2;
	unsigned char *bytes = malloc(count * 2 + 2);
	size_t n = 0;
	if (bytes == NULL)
		return tlsh_config_fail(err, "out of memory");
	for (size_t i = 0; i < count; i++) {
		uint16_t id = c->ciphers != NULL ? c->ciphers[i]
		                                 : (uint16_t)(wssl_default_suites[2 * i] << 8 |
		                                              wssl_default_suites[2 * i + 1]);
		int is13 = wssl_is_tls13_suite(id);
		if (!wssl_cipher_known(id) || (is13 && p->hi < 0x0304) || (!is13 && p->lo > 0x0303))
			continue;
		bytes[n++] = (unsigned char)(id >> 8);
		bytes[n++] = (unsigned char)(id & 0xff);
	}
	int r = n > 0 && n <= INT_MAX ? wolfSSL_CTX_set_cipher_list_bytes(ctx, bytes, (int)n)
	                              : WOLFSSL_FAILURE;
	free(bytes);
	if (r != WOLFSSL_SUCCESS)
		return tlsh_config_fail(err, "the cipher list was rejected");
	return TLSH_OK;
}

static int wssl_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                            const struct tlsh_config *config, tlsh_context **out,
                            struct tlsh_error *err)
{
	struct wssl_plan p;
	struct tlsh_context *tc = NULL;
	(void)self;
	if (out == NULL)
		return tlsh_config_fail(err, "no place to store the context");
	*out = NULL;
	if (wssl_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p.p.c;

	tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return tlsh_config_fail(err, "out of memory");
	tc->role = role;
	tc->check_name = p.p.check_name;
	tc->tls13 = p.hi == 0x0304;
	if (!tlsh_alpn_wire(c, &tc->alpn, &tc->alpn_len)) {
		tlsh_config_fail(err, "out of memory");
		goto fail;
	}
	if (tc->alpn_len > 0) {
		/* The same names, comma-separated (no name holds a comma). */
		tc->alpn_csv = malloc(tc->alpn_len);
		if (tc->alpn_csv == NULL) {
			tlsh_config_fail(err, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < c->inner_protocols_len; i++) {
			const struct tlsh_bytes *pr = &c->inner_protocols[i];
			if (i > 0)
				tc->alpn_csv[tc->alpn_csv_len++] = ',';
			memcpy(tc->alpn_csv + tc->alpn_csv_len, pr->data, pr->len);
			tc->alpn_csv_len += pr->len;
		}
	}

	size_t n = role == TLSH_ROLE_SERVER ? c->certificate_chains_len : 1;
	tc->ctx = calloc(n, sizeof *tc->ctx);
	tc->leaf = calloc(n, sizeof *tc->leaf);
	if (tc->ctx == NULL || tc->leaf == NULL) {
		tlsh_config_fail(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wssl_method(role, p.lo, p.hi));
		if (ctx == NULL) {
			tlsh_config_fail(err, "wolfSSL_CTX_new failed");
			goto fail;
		}
		tc->ctx[tc->nctx++] = ctx;
		if (wssl_setup_ctx(tc, ctx, &p, err) != TLSH_OK)
			goto fail;
		if (i < c->certificate_chains_len) {
			const struct tlsh_signing_chain *ch = &c->certificate_chains[i];
			if (wssl_use_chain(ctx, ch, i, err) != TLSH_OK)
				goto fail;
			if (role == TLSH_ROLE_SERVER)
				tc->leaf[i] = wssl_first_cert(&ch->leaf);
		}
		if (wssl_set_ciphers(ctx, &p, err) != TLSH_OK)
			goto fail;
	}
	*out = tc;
	tlsh_error_ok(err);
	return TLSH_OK;
fail:
	wssl_context_free(tc);
	return TLSH_CONFIGURATION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void wssl_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	wolfSSL_free(b->ssl);
	tlsh_queue_free(&b->in);
	tlsh_queue_free(&b->out);
	free(b->peer_der);
	free(b);
}

static int wssl_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
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
	b->ssl = wolfSSL_new(tc->ctx[0]);
	if (b->ssl == NULL) {
		wssl_buffer_free(b);
		return tlsh_config_fail(err, "cannot create the WOLFSSL object");
	}
	wolfSSL_SetIOReadCtx(b->ssl, b);
	wolfSSL_SetIOWriteCtx(b->ssl, b);
	wolfSSL_SetCertCbCtx(b->ssl, b);

	const char *why = NULL;
	if (tc->alpn_csv_len > 0 &&
	    wolfSSL_UseALPN(b->ssl, tc->alpn_csv, (unsigned int)tc->alpn_csv_len,
	                    WOLFSSL_ALPN_FAILED_ON_MISMATCH) != WOLFSSL_SUCCESS)
		why = "cannot set the ALPN protocols";
	const char *h = tc->role == TLSH_ROLE_CLIENT ? server_hostname : NULL;
	if (why == NULL && tc->role == TLSH_ROLE_CLIENT) {
		/* The verify callback checks the identity; SNI as tlsh.h says
		 * (none for an address, no trailing dot). */
		char sni[256];
		int st = tlsh_client_name(h, tc->check_name, &b->id, sni, err);
		if (st != TLSH_OK) {
			wssl_buffer_free(b);
			return st;
		}
		size_t hl = strlen(sni);
		if (hl > WSSL_MAX_HOST)
			why = "server_hostname is too long";
		else if (hl > 0 && wolfSSL_UseSNI(b->ssl, WOLFSSL_SNI_HOST_NAME, sni,
		                                  (unsigned short)hl) != WOLFSSL_SUCCESS)
			why = "cannot set SNI";
	}
	if (why != NULL) {
		wssl_buffer_free(b);
		return tlsh_config_fail(err, "%s (server_hostname \"%.80s\")", why, h ? h : "");
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

/** Marks the handshake complete and copies what the query functions report
 * (wolfSSL_shutdown later clears the WOLFSSL object). */
static void wssl_snapshot(struct tlsh_buffer *b)
{
	b->hs_done = 1;
	b->cipher = (uint16_t)wolfSSL_get_current_cipher_suite(b->ssl);
	switch (wolfSSL_version(b->ssl)) {
	case TLS1_2_VERSION:
		b->version = TLSH_TLS_1_2;
		break;
	case TLS1_3_VERSION:
		b->version = TLSH_TLS_1_3;
		break;
	default:
		b->version = TLSH_VERSION_NONE;
	}
	char *proto = NULL;
	unsigned short plen = 0;
	if (wolfSSL_ALPN_GetProtocol(b->ssl, &proto, &plen) == WOLFSSL_SUCCESS && proto != NULL &&
	    plen > 0 && plen <= sizeof b->proto) {
		memcpy(b->proto, proto, plen);
		b->proto_len = plen;
	}
	WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(b->ssl);
	int dlen = 0;
	const unsigned char *der = x ? wolfSSL_X509_get_der(x, &dlen) : NULL;
	if (der != NULL && dlen > 0) {
		b->peer_der = malloc((size_t)dlen);
		if (b->peer_der != NULL) {
			memcpy(b->peer_der, der, (size_t)dlen);
			b->peer_der_len = (size_t)dlen;
		}
	}
	wolfSSL_X509_free(x);
}

static void wssl_secret_poll(struct tlsh_buffer *b);

/** Notices a handshake that read or write completed. */
static void wssl_note_done(struct tlsh_buffer *b)
{
	wssl_secret_poll(b);
	if (!b->hs_done && wolfSSL_is_init_finished(b->ssl))
		wssl_snapshot(b);
}

static int wssl_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	int r = wolfSSL_negotiate(b->ssl);
	wssl_note_alerts(b);
	wssl_secret_poll(b);
	if (r == WOLFSSL_SUCCESS) {
		wssl_snapshot(b);
		return TLSH_OK;
	}
	return wssl_map(b, r, "handshake failed");
}

/** Is this failure wolfSSL's report of a transport EOF? */
static int wssl_is_eof_error(const struct tlsh_buffer *b, int e)
{
	return b->st.eof && (e == SOCKET_PEER_CLOSED_E || e == SOCKET_ERROR_E);
}

static int wssl_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	unsigned char scratch[1];
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	/* A zero-byte read still drives the handshake and reports the state;
	 * peek so that nothing is consumed. */
	int want = cap > INT_MAX ? INT_MAX : (int)cap;
	int r = cap > 0 ? wolfSSL_read(b->ssl, dst, want)
	                : wolfSSL_peek(b->ssl, scratch, (int)sizeof scratch);
	wssl_note_alerts(b);
	wssl_note_done(b);
	if (r > 0) {
		*n = cap > 0 ? (size_t)r : 0;
		return TLSH_OK;
	}
	int e = wolfSSL_get_error(b->ssl, r);
	if (e == WOLFSSL_ERROR_ZERO_RETURN && b->hs_done) {
		return tlsh_state_closed(&b->st);
	}
	if (b->hs_done && wssl_is_eof_error(b, e)) {
		b->st.ragged = 1;
		return wssl_buf_fail(b, TLSH_RAGGED_EOF, 0, "transport EOF without close_notify");
	}
	if (e == WOLFSSL_ERROR_NONE) {
		/* wolfSSL_read returned 0 without an error: nothing to report
		 * but that no plaintext is available. */
		return TLSH_WANT_READ;
	}
	return wssl_map(b, r, "read failed");
}

static int wssl_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	/* wolfSSL would still encrypt data after its close_notify. */
	if (b->sent_notify)
		return wssl_buf_fail(b, TLSH_TLS_ERROR, 0, "write after shutdown");
	if (len == 0)
		return TLSH_OK;
	int chunk = len > INT_MAX ? INT_MAX : (int)len;
	int r = wolfSSL_write(b->ssl, src, chunk);
	wssl_note_alerts(b);
	wssl_note_done(b);
	if (r > 0) {
		*n = (size_t)r;
		return TLSH_OK;
	}
	return wssl_map(b, r, "write failed");
}

static int wssl_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!b->hs_done)
		return wssl_buf_fail(b, TLSH_TLS_ERROR, 0,
		                     "shutdown before the handshake completed");
	if (!b->sent_notify) {
		/* Queues close_notify. It returns WOLFSSL_SUCCESS (and clears the
		 * WOLFSSL object) when the peer's close_notify already arrived,
		 * else WOLFSSL_SHUTDOWN_NOT_DONE. */
		int r = wolfSSL_shutdown(b->ssl);
		wssl_note_alerts(b);
		if (r == WOLFSSL_SUCCESS) {
			b->sent_notify = 1;
			b->st.closed = 1;
			return TLSH_OK;
		}
		if (r != WOLFSSL_SHUTDOWN_NOT_DONE)
			return wssl_map(b, r, "shutdown failed");
		b->sent_notify = 1;
	}
	/* Wait for the peer's close_notify; application data the peer sent
	 * before it saw ours is discarded (we closed our read side, RFC 8446
	 * section 6.1). */
	while (!b->st.closed) {
		unsigned char sink[4096];
		int r = wolfSSL_read(b->ssl, sink, (int)sizeof sink);
		wssl_note_alerts(b);
		if (r > 0)
			continue;
		int e = wolfSSL_get_error(b->ssl, r);
		if (e == WOLFSSL_ERROR_ZERO_RETURN) {
			b->st.closed = 1;
			break;
		}
		if (wssl_is_eof_error(b, e)) {
			b->st.ragged = 1;
			b->st.failed = 1;
			return wssl_buf_fail(b, TLSH_TLS_ERROR, 0,
			                     "transport EOF before the peer's close_notify");
		}
		return wssl_map(b, r, "shutdown failed");
	}
	return TLSH_OK;
}

static int wssl_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return tlsh_state_store(&b->st, &b->in, 0, data, len, WSSL_INCOMING_CAP);
}

static int wssl_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	return TLSH_OK;
}

static int wssl_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = cap > 0 ? tlsh_queue_take(&b->out, dst, cap) : 0;
	return TLSH_OK;
}

static size_t wssl_incoming_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->in);
}

static size_t wssl_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->out);
}

static uint16_t wssl_cipher(tlsh_buffer *b)
{
	return b->hs_done ? b->cipher : 0;
}

static int wssl_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	if (!b->hs_done || b->proto_len == 0) {
		*proto = NULL;
		*len = 0;
		return 0;
	}
	*proto = b->proto;
	*len = b->proto_len;
	return 1;
}

static enum tlsh_version wssl_negotiated_tls_version(tlsh_buffer *b)
{
	return b->hs_done ? b->version : TLSH_VERSION_NONE;
}

static int wssl_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	if (!b->hs_done || b->peer_der == NULL) {
		*der = NULL;
		*len = 0;
		return 0;
	}
	*der = b->peer_der;
	*len = b->peer_der_len;
	return 1;
}

/* ---- exported secrets ------------------------------------------------------ */

/** After each call that may have advanced the handshake: once a TLS 1.2
 * master secret exists (the kept arrays hold it, non-zero, from the call
 * that computed it on), hands it over as "CLIENT_RANDOM", before the records
 * it protects leave process_outgoing. Debian's wolfSSL has neither a
 * secret nor a keylog callback, so this polls the arrays wolfSSL_KeepArrays
 * keeps. */
static void wssl_secret_poll(struct tlsh_buffer *b)
{
	unsigned char *ms = NULL, *sr = NULL, *cr = NULL;
	unsigned int ms_len = 0, sr_len = 0, cr_len = 0;
	if (b->secret_cb == NULL || b->secret_sent || wolfSSL_version(b->ssl) != TLS1_2_VERSION ||
	    wolfSSL_get_keys(b->ssl, &ms, &ms_len, &sr, &sr_len, &cr, &cr_len) != WOLFSSL_SUCCESS ||
	    ms == NULL || ms_len != 48 || cr == NULL || cr_len != 32)
		return;
	unsigned char any = 0;
	for (unsigned i = 0; i < ms_len; i++)
		any |= ms[i];
	if (!any)
		return; /* not computed yet */
	b->secret_sent = 1;
	b->secret_cb(b->secret_arg, "CLIENT_RANDOM", cr, ms, ms_len);
}

/** TLS 1.2 only: Debian's wolfSSL is built without HAVE_SECRET_CALLBACK
 * (no wolfSSL_set_tls13_secret_cb, no wolfSSL_CTX_set_keylog_callback in
 * libwolfssl.so), so no TLS 1.3 secret can be had: a buffer whose context
 * allows TLS 1.3 is refused. */
static int wssl_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	if (cb != NULL && b->tc->tls13)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "wolfSSL cannot export TLS 1.3 secrets (built without "
		                       "HAVE_SECRET_CALLBACK): limit the context to TLS 1.2");
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	if (cb != NULL)
		wolfSSL_KeepArrays(b->ssl);
	return TLSH_OK;
}

static void wssl_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static struct tlsh_implementation wssl_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "wolfssl",
        .library_version = NULL, /* "wolfSSL " + wolfSSL_lib_version(), set by wssl_init */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_CLIENT_AUTH |
                        TLSH_CAP_CIPHERS_TLS12 | TLSH_CAP_CIPHERS_TLS13 | TLSH_CAP_ALPN |
                        TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT | TLSH_CAP_TRANSPORT_EOF |
                        TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE |
                        TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN | TLSH_CAP_EXPORT_SECRETS,
        /* EXPORT_SECRETS: TLS 1.2 only (wssl_set_secret_callback says why). */
        .validate_config = wssl_validate_config,
        .context_new = wssl_context_new,
        .context_free = wssl_context_free,
        .buffer_new = wssl_buffer_new,
        .buffer_free = wssl_buffer_free,
        .do_handshake = wssl_do_handshake,
        .read = wssl_read,
        .write = wssl_write,
        .shutdown = wssl_shutdown,
        .process_incoming = wssl_process_incoming,
        .process_incoming_eof = wssl_process_incoming_eof,
        .process_outgoing = wssl_process_outgoing,
        .incoming_bytes_buffered = wssl_incoming_bytes_buffered,
        .outgoing_bytes_buffered = wssl_outgoing_bytes_buffered,
        .cipher = wssl_cipher,
        .negotiated_protocol = wssl_negotiated_protocol,
        .negotiated_tls_version = wssl_negotiated_tls_version,
        .getpeercert = wssl_getpeercert,
        .last_error = wssl_last_error,
        .set_secret_callback = wssl_set_secret_callback,
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&wssl_once, wssl_init);
	if (!wssl_init_ok) {
		fprintf(stderr, "tlsh-wolfssl: wolfSSL_Init failed or no default cipher suites\n");
		return NULL;
	}
	return &wssl_impl;
}
