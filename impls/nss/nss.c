/*
 * nss.c - tlsharness adapter for NSS 3.87 (libssl3 over NSPR).
 *
 * No I/O: every buffer is an NSS SSL socket pushed on top of an NSPR I/O
 * layer of our own (nss_io_*). The layer's recv takes bytes from the buffer
 * that process_incoming fills and fails with PR_WOULD_BLOCK_ERROR when it is
 * empty (non-blocking socket); its send appends to the buffer that
 * process_outgoing drains. After process_incoming_eof the layer's recv
 * returns 0 (end of stream).
 *
 * NSS reports a clean close_notify and a transport EOF alike (PR_Read returns
 * 0), so the end of a connection is decided here: the alert-received
 * callback records close_notify; without it a 0 from PR_Read after
 * process_incoming_eof is a truncation (RAGGED_EOF).
 *
 * NSS never answers a close_notify it has received: ssl_SecureShutdown()
 * sends close_notify only while !ss->recvdCloseNotify (lib/ssl/sslsecur.c).
 * The alert-received callback runs before NSS sets that flag, so when the
 * peer's close_notify arrives first the adapter has NSS write its own
 * close_notify at that moment into a side buffer, and shutdown() releases
 * it to the network. Consequently a buffer cannot write after the peer's
 * close_notify (write returns TLS_ERROR, which the contract allows).
 *
 * Certificates need no database: NSS is initialised with NSS_NoDB_Init,
 * certificates become temporary certificates and keys session objects of
 * the internal slot. Peer verification is ours, in the authenticate
 * certificate hook: libpkix (CERT_PKIXVerifyCert) with the configured trust
 * store as the only anchors, then the name check: the shared RFC 9525
 * matcher of tlsh_adapter.h over the subjectAltName's dNSName and iPAddress
 * entries (never the subject CN; CERT_VerifyCertName is not used). The error
 * code the hook sets picks the alert NSS sends (ssl3_SendAlertForCertError).
 *
 * A context holds one model socket per server chain (one for a client), all
 * configured alike but for the certificate; buffers are imported from the
 * first, and the SNI hook moves a buffer to the model whose leaf names the
 * client's SNI with SSL_ReconfigFD, which replaces the server certificates.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <certdb.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <prinit.h>
#include <prio.h>
#include <prnetdb.h>
#include <secerr.h>
#include <secitem.h>
#include <secmod.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unread input beyond
 * this; a single delivery into an empty buffer is always accepted. */
#define NSS_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Largest certificate, key or trust file read from a path. */
#define NSS_MAX_FILE ((size_t)16 << 20)
/** Room for the cipher suites this libssl implements. */
#define NSS_MAX_CIPHERS 256
/** Most certificates in one PEM source. */
#define NSS_MAX_CERTS 64
/** Alert level and description (RFC 8446 section 6; ssl3prot.h is
 * private to NSS). */
#define NSS_ALERT_FATAL 2
#define NSS_CLOSE_NOTIFY 0
/** Record header (5), handshake header (4), legacy_version (2) and the
 * client random (32): where a ClientHello's random ends. */
#define NSS_HELLO_PREFIX 43

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** What the I/O layer's secret points to (NSPR lets the layer define it). */
struct PRFilePrivate {
	struct tlsh_buffer *buf; /* NULL for a context's model sockets */
};

/** A server or client certificate chain, loaded. */
struct nss_chain {
	CERTCertificate *leaf;
	SECKEYPrivateKey *key;
	/** DER of the leaf and its intermediates, as sent on the wire. */
	CERTCertificateList *wire;
	/** References that keep the intermediates in the temporary database
	 * (NSS builds a client's chain from it). */
	CERTCertificate **extra;
	size_t nextra;
};

/** A checked configuration: the generic plan (its versions are NSS's
 * SSL_LIBRARY_VERSION_TLS_1_2 / _1_3, narrowed to what the cipher list
 * allows) and the configured cipher suites NSS knows, in order. */
struct nss_plan {
	struct tlsh_plan p;
	uint16_t ciphers[NSS_MAX_CIPHERS];
	size_t nciphers;
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify the server's chain (verify) and name (check_name). */
	int check_name;
	/** One model socket per server chain (one for a client). */
	PRFileDesc **models;
	size_t nmodels;
	struct nss_chain *chains;
	size_t nchains;
	/** Trust anchors (NULL: the system store, i.e. NSS's builtin roots).
	 * Only used when verify is set. */
	CERTCertList *anchors;
	int verify;
	/** ALPN protocol list in wire format (length-prefixed names). */
	unsigned char *alpn;
	size_t alpn_len;
	/** The same list as SSL_SetNextProtoNego wants it: NSS 3.87 keeps the
	 * first protocol as NPN's fallback and moves it to the end of the
	 * ClientHello's list (ssl3_ClientSendAppProtoXtn, and the comment of
	 * SSL_SetNextProtoNego in ssl.h), so the last protocol comes first
	 * here and the wire shows the configured order. */
	unsigned char *alpn_client;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	PRFileDesc *fd;
	struct PRFilePrivate io;
	/** Client: the name to verify (NULL: none); SNI unless an IP literal. */
	char *host;
	/** Which chain (model) the server socket currently uses. */
	size_t chain_in_use;
	struct tlsh_queue in, out;
	/** close_notify written while the peer's was being received; goes
	 * out when shutdown is called. */
	struct tlsh_queue held_close;
	/** The I/O layer writes into held_close instead of out. */
	int divert;
	/** The handshake completed (sticky). */
	int hs_done;
	/** The peer's close_notify was received. */
	int got_close_notify;
	/** Our close_notify went out (or sits in held_close when prepared). */
	int close_sent, close_prepared;
	/** End of stream (read reported CLOSED / RAGGED_EOF), failure,
	 * alerts, last error. */
	struct tlsh_state st;
	/** Client: what the server's leaf must name (RFC 9525); kind NONE when
	 * nothing is checked. */
	struct tlsh_identity id;
	/** Why our certificate hook refused the peer (for last_error). */
	char verify_msg[160];
	/** Negotiated ALPN protocol. */
	uint8_t alpn[256];
	size_t alpn_len;
	/** getpeercert cache. */
	uint8_t *peer_der;
	size_t peer_der_len;
	/** set_secret_callback's receiver (NULL: none). */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
	/** The first bytes of the ClientHello stream (the client's outgoing,
	 * the server's incoming; nss_hello_note): header, handshake header,
	 * version and the client random. NSS has no API that returns it. */
	uint8_t hello[NSS_HELLO_PREFIX];
	size_t hello_len;
};

/* ------------------------------------------------------------------------ */
/* One-time initialisation                                                  */
/* ------------------------------------------------------------------------ */

static PRCallOnceType nss_once;
static PRCallOnceType nss_roots_once;
static int nss_init_ok;
static int nss_roots_ok;
static char nss_init_err[160];
static PRDescIdentity nss_ident = PR_INVALID_IO_LAYER;
static PRIOMethods nss_methods;
static uint16_t nss_known[NSS_MAX_CIPHERS];
static size_t nss_nknown;
static char nss_version[64];
static SECStatus (*nss_order_set)(PRFileDesc *, const PRUint16 *, PRUint16);
static struct tlsh_implementation nss_impl;

static PRStatus nss_io_close(PRFileDesc *fd);
static PRInt32 nss_io_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
                           PRIntervalTime timeout);
static void nss_hello_note(struct tlsh_buffer *b, const void *data, size_t n);
static PRInt32 nss_io_read(PRFileDesc *fd, void *buf, PRInt32 amount);
static PRInt32 nss_io_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
                           PRIntervalTime timeout);
static PRInt32 nss_io_write(PRFileDesc *fd, const void *buf, PRInt32 amount);
static PRInt32 nss_io_available(PRFileDesc *fd);
static PRStatus nss_io_shutdown(PRFileDesc *fd, PRIntn how);
static PRStatus nss_io_getname(PRFileDesc *fd, PRNetAddr *addr);
static PRStatus nss_io_getopt(PRFileDesc *fd, PRSocketOptionData *data);
static PRStatus nss_io_setopt(PRFileDesc *fd, const PRSocketOptionData *data);
static PRInt16 nss_io_poll(PRFileDesc *fd, PRInt16 in_flags, PRInt16 *out_flags);

static int nss_install_callbacks(struct tlsh_buffer *b);
static void nss_secret_cb(PRFileDesc *fd, PRUint16 epoch, SSLSecretDirection dir,
                          PK11SymKey *secret, void *arg);

static int nss_is_tls13_suite(uint16_t id)
{
	return (id >> 8) == 0x13;
}

/** Initialises NSS without a database, the cipher policy, our I/O layer
 * and the table of usable cipher suites. */
static PRStatus nss_init(void)
{
	if (!NSS_IsInitialized() && NSS_NoDB_Init(NULL) != SECSuccess) {
		snprintf(nss_init_err, sizeof nss_init_err, "NSS_NoDB_Init failed: %s",
		         PR_ErrorToName(PR_GetError()));
		return PR_SUCCESS;
	}
	if (NSS_SetDomesticPolicy() != SECSuccess) {
		snprintf(nss_init_err, sizeof nss_init_err, "NSS_SetDomesticPolicy failed: %s",
		         PR_ErrorToName(PR_GetError()));
		return PR_SUCCESS;
	}
	nss_ident = PR_GetUniqueIdentity("tlsh-nss");
	if (nss_ident == PR_INVALID_IO_LAYER) {
		snprintf(nss_init_err, sizeof nss_init_err, "PR_GetUniqueIdentity failed");
		return PR_SUCCESS;
	}
	/* Start from the defaults and replace every method NSS's SSL layer
	 * can call on the layer below it. */
	nss_methods = *PR_GetDefaultIOMethods();
	nss_methods.file_type = PR_DESC_LAYERED;
	nss_methods.close = nss_io_close;
	nss_methods.read = nss_io_read;
	nss_methods.write = nss_io_write;
	nss_methods.available = nss_io_available;
	nss_methods.recv = nss_io_recv;
	nss_methods.send = nss_io_send;
	nss_methods.shutdown = nss_io_shutdown;
	nss_methods.getpeername = nss_io_getname;
	nss_methods.getsockname = nss_io_getname;
	nss_methods.getsocketoption = nss_io_getopt;
	nss_methods.setsocketoption = nss_io_setopt;
	nss_methods.poll = nss_io_poll;

	const PRUint16 *impl = SSL_GetImplementedCiphers();
	PRUint16 n = SSL_GetNumImplementedCiphers();
	for (PRUint16 i = 0; i < n && nss_nknown < NSS_MAX_CIPHERS; i++) {
		PRInt32 policy = 0;
		if (SSL_CipherPolicyGet(impl[i], &policy) == SECSuccess && policy == SSL_ALLOWED)
			nss_known[nss_nknown++] = impl[i];
	}
	/* Experimental API (sslexp.h): the order of the configured suites. */
	void *order_set = SSL_GetExperimentalAPI("SSL_CipherSuiteOrderSet");
	if (order_set != NULL)
		memcpy(&nss_order_set, &order_set, sizeof nss_order_set);
	snprintf(nss_version, sizeof nss_version, "NSS %s", NSS_GetVersion());
	nss_impl.library_version = nss_version;
	nss_init_ok = nss_nknown > 0;
	if (!nss_init_ok)
		snprintf(nss_init_err, sizeof nss_init_err, "no usable cipher suite");
	return PR_SUCCESS;
}

/** Loads NSS's builtin root certificates (the system trust store) once. */
static PRStatus nss_load_roots(void)
{
	char spec[] = "name=\"tlsh-nss builtin roots\" library=libnssckbi.so";
	SECMODModule *m = SECMOD_LoadUserModule(spec, NULL, PR_FALSE);
	nss_roots_ok = m != NULL && m->loaded;
	if (m != NULL)
		SECMOD_DestroyModule(m);
	return PR_SUCCESS;
}

static int nss_cipher_known(uint16_t id)
{
	for (size_t i = 0; i < nss_nknown; i++)
		if (nss_known[i] == id)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The I/O layer below the SSL socket                                       */
/* ------------------------------------------------------------------------ */

static struct tlsh_buffer *nss_io_buf(PRFileDesc *fd)
{
	return fd->secret != NULL ? fd->secret->buf : NULL;
}

static PRStatus nss_io_close(PRFileDesc *fd)
{
	fd->secret = NULL;
	fd->dtor(fd);
	return PR_SUCCESS;
}

static PRInt32 nss_io_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
                           PRIntervalTime timeout)
{
	struct tlsh_buffer *b = nss_io_buf(fd);
	(void)timeout;
	if (amount < 0) {
		PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
		return -1;
	}
	if (b == NULL || tlsh_queue_length(&b->in) == 0) {
		if (b != NULL && b->st.eof)
			return 0; /* end of stream */
		PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
		return -1;
	}
	if (flags & PR_MSG_PEEK) {
		size_t n = tlsh_queue_length(&b->in);
		n = n < (size_t)amount ? n : (size_t)amount;
		memcpy(buf, tlsh_queue_peek(&b->in), n);
		return (PRInt32)n;
	}
	size_t n = tlsh_queue_take(&b->in, buf, (size_t)amount);
	if (b->tc->role == TLSH_ROLE_SERVER)
		nss_hello_note(b, buf, n);
	return (PRInt32)n;
}

static PRInt32 nss_io_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
	return nss_io_recv(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRInt32 nss_io_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
                           PRIntervalTime timeout)
{
	struct tlsh_buffer *b = nss_io_buf(fd);
	(void)flags;
	(void)timeout;
	if (b == NULL) {
		PR_SetError(PR_NOT_CONNECTED_ERROR, 0);
		return -1;
	}
	if (amount < 0) {
		PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
		return -1;
	}
	if (!tlsh_queue_append(b->divert ? &b->held_close : &b->out, buf, (size_t)amount)) {
		PR_SetError(PR_OUT_OF_MEMORY_ERROR, 0);
		return -1;
	}
	if (b->tc->role == TLSH_ROLE_CLIENT)
		nss_hello_note(b, buf, (size_t)amount);
	return amount;
}

static PRInt32 nss_io_write(PRFileDesc *fd, const void *buf, PRInt32 amount)
{
	return nss_io_send(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRInt32 nss_io_available(PRFileDesc *fd)
{
	struct tlsh_buffer *b = nss_io_buf(fd);
	size_t n = b != NULL ? tlsh_queue_length(&b->in) : 0;
	return n > INT32_MAX ? INT32_MAX : (PRInt32)n;
}

/** NSS shuts the transport down after some fatal alerts; the in-memory
 * transport has nothing to do. */
static PRStatus nss_io_shutdown(PRFileDesc *fd, PRIntn how)
{
	(void)fd;
	(void)how;
	return PR_SUCCESS;
}

/** NSS wants a connected socket (SSL_ResetHandshake asks for the peer's
 * address); the in-memory transport pretends to be a loopback one. */
static PRStatus nss_io_getname(PRFileDesc *fd, PRNetAddr *addr)
{
	(void)fd;
	return PR_InitializeNetAddr(PR_IpAddrLoopback, 443, addr);
}

static PRStatus nss_io_getopt(PRFileDesc *fd, PRSocketOptionData *data)
{
	(void)fd;
	switch (data->option) {
	case PR_SockOpt_Nonblocking:
		data->value.non_blocking = PR_TRUE;
		return PR_SUCCESS;
	case PR_SockOpt_NoDelay:
		data->value.no_delay = PR_TRUE;
		return PR_SUCCESS;
	default:
		PR_SetError(PR_OPERATION_NOT_SUPPORTED_ERROR, 0);
		return PR_FAILURE;
	}
}

static PRStatus nss_io_setopt(PRFileDesc *fd, const PRSocketOptionData *data)
{
	(void)fd;
	(void)data;
	return PR_SUCCESS;
}

static PRInt16 nss_io_poll(PRFileDesc *fd, PRInt16 in_flags, PRInt16 *out_flags)
{
	(void)fd;
	*out_flags = 0;
	return in_flags;
}

/** A new bottom layer for a buffer (or, with b == NULL, a model socket). */
static PRFileDesc *nss_io_new(struct tlsh_buffer *b)
{
	PRFileDesc *fd = PR_CreateIOLayerStub(nss_ident, &nss_methods);
	if (fd != NULL)
		fd->secret = b != NULL ? &b->io : NULL;
	return fd;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** "NAME: text" for an NSPR/NSS error code ("" for 0). */
static void nss_error_text(PRErrorCode e, char *dst, size_t cap)
{
	dst[0] = '\0';
	if (e == 0)
		return;
	const char *name = PR_ErrorToName(e);
	const char *text = PR_ErrorToString(e, PR_LANGUAGE_I_DEFAULT);
	if (name != NULL)
		snprintf(dst, cap, "%s: %s", name, text != NULL ? text : "");
	else
		snprintf(dst, cap, "error %d", (int)e);
}

/** Fills err (if any) with a configuration error: `what`, then the
 * current NSS error when `lib` is set. */
__attribute__((format(printf, 3, 4))) static int nss_cfg_fail(struct tlsh_error *err, int lib,
                                                              const char *fmt, ...)
{
	char what[120], text[130] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (lib)
		nss_error_text(PR_GetError(), text, sizeof text);
	return tlsh_config_fail(err, "%s%s%s", what, text[0] ? ": " : "", text);
}

/** Records a failing call on b: its status, the alerts seen on this
 * buffer, `what`, the NSS error `code` (0: none) and why our certificate
 * hook refused the peer, if it did. Returns status. */
static int nss_buf_fail(struct tlsh_buffer *b, int status, const char *what, PRErrorCode code)
{
	char text[200];
	nss_error_text(code, text, sizeof text);
	return tlsh_state_fail(&b->st, status, "%s%s%s%s%s", what, text[0] ? ": " : "", text,
	                       b->verify_msg[0] ? " - " : "", b->verify_msg);
}

/** Maps a failed NSS call: would-block is WANT_READ (the in-memory
 * transport never blocks on output); anything else is TLS_ERROR, fatal for
 * the buffer except a refused write after shutdown. */
static int nss_map(struct tlsh_buffer *b, const char *what)
{
	PRErrorCode e = PR_GetError();
	if (e == PR_WOULD_BLOCK_ERROR)
		return TLSH_WANT_READ;
	if (e != PR_SOCKET_SHUTDOWN_ERROR)
		b->st.failed = 1;
	return nss_buf_fail(b, TLSH_TLS_ERROR, what, e);
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What NSS 3.87 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules nss_rules = {
        .tls13 = 1,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = NSS_MAX_FILE,
        .max_alpn_wire = 65535 - 2,
        .library = "NSS 3.87",
};

/** Checks `config` for `role` and computes what context_new configures. */
static int nss_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                           struct nss_plan *p, struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (tlsh_plan_config(&nss_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->p.c;

	/* Ciphers: unknown ids are ignored; each version that stays
	 * negotiable needs at least one known suite. */
	if (c->ciphers == NULL)
		return TLSH_OK;
	int has12 = 0, has13 = 0;
	for (size_t i = 0; i < c->ciphers_len; i++) {
		uint16_t id = c->ciphers[i];
		int dup = 0;
		for (size_t k = 0; k < p->nciphers; k++)
			dup |= p->ciphers[k] == id;
		if (dup || !nss_cipher_known(id) || p->nciphers == NSS_MAX_CIPHERS)
			continue;
		p->ciphers[p->nciphers++] = id;
		if (nss_is_tls13_suite(id))
			has13 = 1;
		else
			has12 = 1;
	}
	return tlsh_plan_ciphers(&p->p, has12, has13, err);
}

static int nss_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                               const struct tlsh_config *config, struct tlsh_error *err)
{
	struct nss_plan p;
	(void)self;
	if (nss_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** The bytes of a BUFFER source, or of the file a PATH source names (then
 * *owned is set and the caller frees *data). */
static int nss_source_bytes(const struct tlsh_source *s, const uint8_t **data, size_t *len,
                            uint8_t **owned)
{
	int e = tlsh_source_bytes(s, NSS_MAX_FILE, data, len, owned);
	if (e == 0)
		return 0;
	PR_SetError(e == ENOENT   ? PR_FILE_NOT_FOUND_ERROR
	            : e == EISDIR ? PR_IS_DIRECTORY_ERROR
	            : e == EFBIG  ? PR_FILE_TOO_BIG_ERROR
	                          : PR_IO_ERROR,
	            e);
	return -1;
}

static int nss_b64(int ch)
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

static const uint8_t *nss_find(const uint8_t *p, const uint8_t *end, const char *s)
{
	size_t n = strlen(s);
	for (; p + n <= end; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

/** Finds the next PEM block at or after *pos: its label ("CERTIFICATE")
 * and its decoded DER (malloc'd into *der). Returns 1 for a block, 0 at
 * the end, -1 for a malformed block. */
static int nss_pem_next(const uint8_t **pos, const uint8_t *end, char *label, size_t labcap,
                        uint8_t **der, size_t *derlen)
{
	const uint8_t *b = nss_find(*pos, end, "-----BEGIN ");
	if (b == NULL)
		return 0;
	const uint8_t *l = b + 11, *le = nss_find(l, end, "-----");
	if (le == NULL || (size_t)(le - l) >= labcap)
		return -1;
	memcpy(label, l, (size_t)(le - l));
	label[le - l] = '\0';
	const uint8_t *body = le + 5, *e = nss_find(body, end, "-----END ");
	if (e == NULL)
		return -1;
	const uint8_t *after = nss_find(e + 9, end, "-----");
	if (after == NULL)
		return -1;
	*pos = after + 5;
	uint8_t *out = malloc((size_t)(e - body) / 4 * 3 + 3);
	if (out == NULL)
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (const uint8_t *q = body; q < e; q++) {
		if (*q == '=')
			break;
		int v = nss_b64(*q);
		if (v < 0) {
			if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
				continue;
			free(out);
			return -1; /* headers (encrypted PEM) or garbage */
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (n == 0) {
		free(out);
		return -1;
	}
	*der = out;
	*derlen = n;
	return 1;
}

/** Imports every certificate of `s` (PEM: each CERTIFICATE block, DER:
 * one) as a temporary certificate. Returns the count, -1 on error. */
static int nss_load_certs(const struct tlsh_source *s, CERTCertificate **out, size_t max)
{
	const uint8_t *data;
	size_t len;
	uint8_t *owned;
	int n = 0;
	PR_SetError(0, 0);
	if (nss_source_bytes(s, &data, &len, &owned) != 0)
		return -1;
	if (!tlsh_is_pem(data, len)) {
		SECItem item = {siDERCertBuffer, (unsigned char *)(uintptr_t)data,
		                (unsigned int)len};
		CERTCertificate *c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL,
		                                             PR_FALSE, PR_TRUE);
		free(owned);
		if (c == NULL)
			return -1;
		out[0] = c;
		return 1;
	}
	const uint8_t *pos = data, *end = data + len;
	for (;;) {
		char label[64];
		uint8_t *der = NULL;
		size_t dl = 0;
		int r = nss_pem_next(&pos, end, label, sizeof label, &der, &dl);
		if (r == 0)
			break;
		if (r < 0)
			goto fail;
		if (strcmp(label, "CERTIFICATE") != 0 && strcmp(label, "X509 CERTIFICATE") != 0) {
			free(der);
			continue;
		}
		if ((size_t)n == max) {
			free(der);
			goto fail;
		}
		SECItem item = {siDERCertBuffer, der, (unsigned int)dl};
		out[n] = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE,
		                                 PR_TRUE);
		free(der);
		if (out[n] == NULL)
			goto fail;
		n++;
	}
	free(owned);
	if (n == 0)
		PR_SetError(SEC_ERROR_BAD_DER, 0); /* no CERTIFICATE block */
	return n > 0 ? n : -1;
fail:
	if (PR_GetError() == 0)
		PR_SetError(SEC_ERROR_BAD_DER, 0);
	while (n > 0)
		CERT_DestroyCertificate(out[--n]);
	free(owned);
	return -1;
}

/* Private keys. NSS imports PKCS#8 PrivateKeyInfo; an RSAPrivateKey
 * (PKCS#1, "RSA PRIVATE KEY") or ECPrivateKey (RFC 5915, "EC PRIVATE KEY")
 * is wrapped into one first. */

/** Reads the DER header at p[*off]: tag and content length; *off moves to
 * the content. Returns 0, or -1 if malformed or beyond n. */
static int nss_der_header(const uint8_t *p, size_t n, size_t *off, uint8_t *tag, size_t *len)
{
	size_t o = *off;
	if (o + 2 > n)
		return -1;
	*tag = p[o++];
	size_t l = p[o++];
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 4 || o + k > n)
			return -1;
		for (l = 0; k > 0; k--)
			l = l << 8 | p[o++];
	}
	if (l > n - o)
		return -1;
	*off = o;
	*len = l;
	return 0;
}

/** Writes a DER header for `len` content bytes at out (if not NULL);
 * returns its size. */
static size_t nss_der_put(uint8_t *out, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t n = 0;
	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		size_t k = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		h[n++] = (uint8_t)(0x80 | k);
		for (; k > 0; k--)
			h[n++] = (uint8_t)(len >> (8 * (k - 1)));
	}
	if (out != NULL)
		memcpy(out, h, n);
	return n;
}

/** PrivateKeyInfo { version 0, algorithm `alg` (a whole AlgorithmIdentifier
 * TLV), privateKey OCTET STRING `key` }. */
static uint8_t *nss_pkcs8_wrap(const uint8_t *alg, size_t alglen, const uint8_t *key, size_t keylen,
                               size_t *outlen)
{
	static const uint8_t version0[] = {0x02, 0x01, 0x00};
	size_t oct = nss_der_put(NULL, 0x04, keylen) + keylen;
	size_t body = sizeof version0 + alglen + oct;
	size_t total = nss_der_put(NULL, 0x30, body) + body;
	uint8_t *out = malloc(total), *w = out;
	if (out == NULL)
		return NULL;
	w += nss_der_put(w, 0x30, body);
	memcpy(w, version0, sizeof version0);
	w += sizeof version0;
	memcpy(w, alg, alglen);
	w += alglen;
	w += nss_der_put(w, 0x04, keylen);
	memcpy(w, key, keylen);
	*outlen = total;
	return out;
}

/** PKCS#1 RSAPrivateKey -> PKCS#8. */
static uint8_t *nss_wrap_rsa(const uint8_t *der, size_t len, size_t *outlen)
{
	static const uint8_t alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	                              0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
	return nss_pkcs8_wrap(alg, sizeof alg, der, len, outlen);
}

/** RFC 5915 ECPrivateKey (with its curve in [0] parameters) -> PKCS#8. */
static uint8_t *nss_wrap_ec(const uint8_t *der, size_t len, size_t *outlen)
{
	static const uint8_t ec_oid[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
	size_t off = 0, l;
	uint8_t tag;
	if (nss_der_header(der, len, &off, &tag, &l) != 0 || tag != 0x30)
		return NULL;
	size_t end = off + l;
	while (off < end) {
		if (nss_der_header(der, end, &off, &tag, &l) != 0)
			return NULL;
		if (tag == 0xa0) {
			size_t o = off, cl;
			uint8_t ct;
			if (nss_der_header(der, off + l, &o, &ct, &cl) != 0 || ct != 0x06)
				return NULL;
			uint8_t alg[64];
			size_t curve = (o - off) + cl, body = sizeof ec_oid + curve;
			if (body + 2 > sizeof alg)
				return NULL;
			size_t h = nss_der_put(alg, 0x30, body);
			memcpy(alg + h, ec_oid, sizeof ec_oid);
			memcpy(alg + h + sizeof ec_oid, der + off, curve);
			return nss_pkcs8_wrap(alg, h + body, der, len, outlen);
		}
		off += l;
	}
	return NULL; /* no curve named: cannot wrap */
}

static SECKEYPrivateKey *nss_import_pkcs8(const uint8_t *der, size_t len)
{
	SECKEYPrivateKey *key = NULL;
	SECItem item = {siBuffer, (unsigned char *)(uintptr_t)der, (unsigned int)len};
	PK11SlotInfo *slot = PK11_GetInternalSlot();
	if (slot == NULL)
		return NULL;
	if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &item, NULL, NULL, PR_FALSE, PR_TRUE,
	                                             KU_ALL, &key, NULL) != SECSuccess)
		key = NULL;
	PK11_FreeSlot(slot);
	return key;
}

/** Imports an unencrypted private key: PEM "PRIVATE KEY", "RSA PRIVATE
 * KEY" or "EC PRIVATE KEY", or DER in one of those forms, into the
 * internal slot as a session object. */
static SECKEYPrivateKey *nss_load_key(const struct tlsh_source *s)
{
	const uint8_t *data;
	size_t len, dl = 0, wl = 0;
	uint8_t *owned, *der = NULL, *wrapped = NULL;
	SECKEYPrivateKey *key = NULL;
	int form = 0; /* 0 PKCS#8, 1 PKCS#1, 2 SEC1, -1 any (DER) */
	if (nss_source_bytes(s, &data, &len, &owned) != 0)
		return NULL;
	if (tlsh_is_pem(data, len)) {
		const uint8_t *pos = data, *end = data + len;
		char label[64];
		int r;
		while ((r = nss_pem_next(&pos, end, label, sizeof label, &der, &dl)) == 1) {
			form = strcmp(label, "PRIVATE KEY") == 0       ? 0
			       : strcmp(label, "RSA PRIVATE KEY") == 0 ? 1
			       : strcmp(label, "EC PRIVATE KEY") == 0  ? 2
			                                               : -2;
			if (form >= 0)
				break;
			free(der);
			der = NULL;
		}
		if (r != 1) {
			PR_SetError(SEC_ERROR_BAD_KEY, 0); /* no usable key block */
			free(owned);
			return NULL;
		}
	} else {
		form = -1;
		der = malloc(len);
		if (der == NULL) {
			free(owned);
			return NULL;
		}
		memcpy(der, data, len);
		dl = len;
	}
	free(owned);
	if (form == 0 || form == -1)
		key = nss_import_pkcs8(der, dl);
	if (key == NULL && (form == 1 || form == -1)) {
		wrapped = nss_wrap_rsa(der, dl, &wl);
		key = wrapped != NULL ? nss_import_pkcs8(wrapped, wl) : NULL;
		if (wrapped != NULL)
			memset(wrapped, 0, wl);
		free(wrapped);
	}
	if (key == NULL && (form == 2 || form == -1)) {
		wrapped = nss_wrap_ec(der, dl, &wl);
		key = wrapped != NULL ? nss_import_pkcs8(wrapped, wl) : NULL;
		if (wrapped != NULL)
			memset(wrapped, 0, wl);
		free(wrapped);
	}
	memset(der, 0, dl);
	free(der);
	if (key == NULL && PR_GetError() == 0)
		PR_SetError(SEC_ERROR_BAD_KEY, 0);
	return key;
}

/** Does the private key belong to the certificate? (Signs a fixed digest
 * with the key and verifies it with the certificate's public key.) */
static int nss_key_matches(CERTCertificate *cert, SECKEYPrivateKey *key)
{
	SECKEYPublicKey *pub = CERT_ExtractPublicKey(cert);
	int ok = 0;
	if (pub == NULL)
		return 0;
	if (SECKEY_GetPublicKeyType(pub) == SECKEY_GetPrivateKeyType(key)) {
		unsigned char digest[32], sigbuf[1024];
		for (size_t i = 0; i < sizeof digest; i++)
			digest[i] = (unsigned char)(i * 7 + 1);
		SECItem hash = {siBuffer, digest, sizeof digest};
		int sl = PK11_SignatureLen(key);
		if (sl > 0 && (size_t)sl <= sizeof sigbuf) {
			SECItem sig = {siBuffer, sigbuf, (unsigned int)sl};
			ok = PK11_Sign(key, &sig, &hash) == SECSuccess &&
			     PK11_Verify(pub, &sig, &hash, NULL) == SECSuccess;
		}
	}
	SECKEY_DestroyPublicKey(pub);
	return ok;
}

static void nss_chain_free(struct nss_chain *ch)
{
	if (ch->leaf != NULL)
		CERT_DestroyCertificate(ch->leaf);
	if (ch->key != NULL)
		SECKEY_DestroyPrivateKey(ch->key);
	if (ch->wire != NULL)
		CERT_DestroyCertificateList(ch->wire);
	for (size_t i = 0; i < ch->nextra; i++)
		CERT_DestroyCertificate(ch->extra[i]);
	free(ch->extra);
	memset(ch, 0, sizeof *ch);
}

/** Loads chain `src` (leaf, key, intermediates) into ch. */
static int nss_chain_load(struct nss_chain *ch, const struct tlsh_signing_chain *src, size_t idx,
                          struct tlsh_error *err)
{
	CERTCertificate *certs[NSS_MAX_CERTS];
	size_t n = 0;
	int got = nss_load_certs(&src->leaf, certs, NSS_MAX_CERTS);
	if (got < 0)
		return nss_cfg_fail(err, 1, "chain %zu: cannot load the leaf certificate", idx);
	n = (size_t)got;
	for (size_t j = 0; j < src->chain_len; j++) {
		got = nss_load_certs(&src->chain[j], certs + n, NSS_MAX_CERTS - n);
		if (got < 0) {
			while (n > 0)
				CERT_DestroyCertificate(certs[--n]);
			return nss_cfg_fail(err, 1, "chain %zu: cannot load intermediate %zu", idx,
			                    j);
		}
		n += (size_t)got;
	}
	/* A PEM leaf source may carry intermediates after the leaf; they and
	 * the explicit ones follow the leaf in order. */
	ch->leaf = certs[0];
	ch->extra = n > 1 ? calloc(n - 1, sizeof *ch->extra) : NULL;
	if (n > 1 && ch->extra == NULL) {
		for (size_t i = 1; i < n; i++)
			CERT_DestroyCertificate(certs[i]);
		return nss_cfg_fail(err, 0, "out of memory");
	}
	for (size_t i = 1; i < n; i++)
		ch->extra[ch->nextra++] = certs[i];
	PR_SetError(0, 0);
	ch->key = nss_load_key(&src->key);
	if (ch->key == NULL)
		return nss_cfg_fail(err, 1,
		                    "chain %zu: cannot load the private key (an "
		                    "unencrypted PKCS#8, PKCS#1 or SEC1 key)",
		                    idx);
	if (!nss_key_matches(ch->leaf, ch->key))
		return nss_cfg_fail(err, 0, "chain %zu: the private key does not match the leaf",
		                    idx);
	/* The exact list to send: NSS would otherwise build one from the
	 * temporary database, which holds whatever any endpoint imported. */
	PLArenaPool *arena = PORT_NewArena(2048);
	if (arena == NULL)
		return nss_cfg_fail(err, 0, "out of memory");
	CERTCertificateList *wl = PORT_ArenaZNew(arena, CERTCertificateList);
	SECItem *items = PORT_ArenaZNewArray(arena, SECItem, n);
	if (wl == NULL || items == NULL) {
		PORT_FreeArena(arena, PR_FALSE);
		return nss_cfg_fail(err, 0, "out of memory");
	}
	wl->arena = arena;
	wl->certs = items;
	wl->len = (int)n;
	for (size_t i = 0; i < n; i++) {
		const CERTCertificate *c = i == 0 ? ch->leaf : ch->extra[i - 1];
		if (SECITEM_CopyItem(arena, &items[i], &c->derCert) != SECSuccess) {
			PORT_FreeArena(arena, PR_FALSE);
			return nss_cfg_fail(err, 0, "out of memory");
		}
	}
	ch->wire = wl;
	return TLSH_OK;
}

/** Loads a BUFFER or PATH trust store into a list of anchors. */
static int nss_load_trust(const struct tlsh_source *ts, CERTCertList **out, struct tlsh_error *err)
{
	CERTCertificate *certs[NSS_MAX_CERTS];
	int n = nss_load_certs(ts, certs, NSS_MAX_CERTS);
	if (n < 0)
		return nss_cfg_fail(err, 1, "cannot load the trust store");
	CERTCertList *l = CERT_NewCertList();
	int i = 0;
	for (; l != NULL && i < n; i++)
		if (CERT_AddCertToListTail(l, certs[i]) != SECSuccess)
			break;
	if (l == NULL || i < n) {
		for (; i < n; i++)
			CERT_DestroyCertificate(certs[i]);
		if (l != NULL)
			CERT_DestroyCertList(l);
		return nss_cfg_fail(err, 1, "cannot build the trust anchor list");
	}
	*out = l;
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Peer verification                                                        */
/* ------------------------------------------------------------------------ */

/** RFC 9525 section 6.3: the identity is in the subjectAltName only. */
/** Does the certificate's subjectAltName name `id` (RFC 9525: dNSName and
 * iPAddress entries, never the subject CN)? */
static int nss_names(CERTCertificate *cert, const struct tlsh_identity *id)
{
	SECItem ext = {siBuffer, NULL, 0};
	int found = 0;
	if (CERT_FindCertExtension(cert, SEC_OID_X509_SUBJECT_ALT_NAME, &ext) != SECSuccess)
		return 0;
	PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	CERTGeneralName *first = arena ? CERT_DecodeAltNameExtension(arena, &ext) : NULL;
	CERTGeneralName *n = first;
	while (n != NULL && !found) {
		if (n->type == certDNSName)
			found = tlsh_identity_match(id, TLSH_SAN_DNS, n->name.other.data,
			                            n->name.other.len);
		else if (n->type == certIPAddress)
			found = tlsh_identity_match(id, TLSH_SAN_IP, n->name.other.data,
			                            n->name.other.len);
		n = CERT_GetNextGeneralName(n);
		if (n == first) /* a circular list */
			break;
	}
	if (arena != NULL)
		PORT_FreeArena(arena, PR_FALSE);
	SECITEM_FreeItem(&ext, PR_FALSE);
	return found;
}

/** Verifies `leaf` (the peer's chain is in the temporary database) for
 * `usage` against the context's anchors, no revocation checking. Leaves
 * the NSS error set on failure. */
static SECStatus nss_verify_chain(struct tlsh_context *tc, CERTCertificate *leaf,
                                  SECCertificateUsage usage)
{
	CERTValInParam in[4];
	CERTValOutParam out[1];
	int i = 0;
	if (tc->anchors != NULL) {
		in[i].type = cert_pi_trustAnchors;
		in[i].value.pointer.chain = tc->anchors;
		i++;
		in[i].type = cert_pi_useOnlyTrustAnchors;
		in[i].value.scalar.b = PR_TRUE;
		i++;
	}
	in[i].type = cert_pi_revocationFlags;
	in[i].value.pointer.revocation = CERT_GetClassicOCSPDisabledPolicy();
	i++;
	in[i].type = cert_pi_end;
	out[0].type = cert_po_end;
	/* libpkix reports an expired or not yet valid certificate as
	 * SEC_ERROR_EXPIRED_CERTIFICATE, for which NSS sends
	 * certificate_expired ("expired or not currently valid", RFC 8446
	 * section 6.2). */
	return CERT_PKIXVerifyCert(leaf, usage, in, out, NULL);
}

/** Authenticate certificate hook, for both roles: a client verifies the
 * server (unless NO_VERIFY), a server the client's certificate. */
static SECStatus nss_auth_cert_cb(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct tlsh_buffer *b = arg;
	struct tlsh_context *tc = b->tc;
	(void)check_sig;
	(void)is_server;
	if (tc->role == TLSH_ROLE_CLIENT && !tc->verify)
		return SECSuccess;
	CERTCertificate *leaf = SSL_PeerCertificate(fd);
	if (leaf == NULL) {
		snprintf(b->verify_msg, sizeof b->verify_msg, "the peer sent no certificate");
		PR_SetError(SSL_ERROR_NO_CERTIFICATE, 0);
		return SECFailure;
	}
	SECCertificateUsage usage = tc->role == TLSH_ROLE_CLIENT ? certificateUsageSSLServer
	                                                         : certificateUsageSSLClient;
	SECStatus rv = nss_verify_chain(tc, leaf, usage);
	if (rv != SECSuccess) {
		snprintf(b->verify_msg, sizeof b->verify_msg,
		         "certificate verification failed (%s)", PR_ErrorToName(PR_GetError()));
	} else if (b->id.kind != TLSH_IDENTITY_NONE && !nss_names(leaf, &b->id)) {
		snprintf(b->verify_msg, sizeof b->verify_msg,
		         "the certificate's subjectAltName does not name %.80s", b->host);
		PR_SetError(SSL_ERROR_BAD_CERT_DOMAIN, 0);
		rv = SECFailure;
	}
	CERT_DestroyCertificate(leaf);
	return rv;
}

/** Client certificate hook: the configured chain, if any. */
static SECStatus nss_client_auth_cb(void *arg, PRFileDesc *fd, CERTDistNames *ca_names,
                                    CERTCertificate **cert, SECKEYPrivateKey **key)
{
	struct tlsh_buffer *b = arg;
	struct tlsh_context *tc = b->tc;
	(void)fd;
	(void)ca_names;
	if (tc->nchains == 0)
		return SECFailure; /* NSS sends an empty Certificate */
	*key = SECKEY_CopyPrivateKey(tc->chains[0].key);
	if (*key == NULL)
		return SECFailure;
	*cert = CERT_DupCertificate(tc->chains[0].leaf);
	return SECSuccess;
}

/* ------------------------------------------------------------------------ */
/* Other callbacks                                                          */
/* ------------------------------------------------------------------------ */

static void nss_alert_sent_cb(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	struct tlsh_buffer *b = arg;
	(void)fd;
	tlsh_state_alert(&b->st, 1, alert->description, alert->level == NSS_ALERT_FATAL);
}

static void nss_alert_received_cb(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
	struct tlsh_buffer *b = arg;
	(void)fd;
	if (alert->description != NSS_CLOSE_NOTIFY || alert->level == NSS_ALERT_FATAL) {
		tlsh_state_alert(&b->st, 0, alert->description, alert->level == NSS_ALERT_FATAL);
		return;
	}
	b->got_close_notify = 1;
	/* NSS is about to set recvdCloseNotify, after which it never sends
	 * close_notify. Have it write ours now, held back until shutdown. */
	if (b->hs_done && !b->close_sent && !b->close_prepared) {
		b->divert = 1;
		if (PR_Shutdown(b->fd, PR_SHUTDOWN_SEND) == PR_SUCCESS &&
		    tlsh_queue_length(&b->held_close) > 0)
			b->close_prepared = 1;
		b->divert = 0;
	}
}

static void nss_handshake_cb(PRFileDesc *fd, void *arg)
{
	struct tlsh_buffer *b = arg;
	(void)fd;
	b->hs_done = 1;
}

/** Server ALPN: the first protocol in the server's order that the client
 * offered. No overlap leaves the result empty, and NSS then fails the
 * handshake with no_application_protocol (RFC 7301 section 3.2). */
static SECStatus nss_alpn_select_cb(void *arg, PRFileDesc *fd, const unsigned char *in,
                                    unsigned int inlen, unsigned char *out, unsigned int *outlen,
                                    unsigned int outmax)
{
	struct tlsh_buffer *b = arg;
	const struct tlsh_context *tc = b->tc;
	(void)fd;
	*outlen = 0;
	for (size_t i = 0; i < tc->alpn_len; i += 1 + (size_t)tc->alpn[i]) {
		const unsigned char *mine = tc->alpn + i + 1;
		unsigned int mlen = tc->alpn[i];
		for (unsigned int j = 0; j < inlen;) {
			unsigned int l = in[j];
			if (l == 0 || l > inlen - j - 1)
				break;
			if (l == mlen && memcmp(in + j + 1, mine, l) == 0 && l <= outmax) {
				memcpy(out, mine, l);
				*outlen = l;
				return SECSuccess;
			}
			j += 1 + l;
		}
	}
	return SECSuccess;
}

/** Server SNI: move to the first chain whose leaf names the client's
 * SNI; keep the first chain when none does. */
static PRInt32 nss_sni_cb(PRFileDesc *fd, const SECItem *names, PRUint32 count, void *arg)
{
	struct tlsh_buffer *b = arg;
	struct tlsh_context *tc = b->tc;
	for (PRUint32 i = 0; i < count; i++) {
		char name[256];
		struct tlsh_identity id;
		if (names[i].type != siBuffer || names[i].len == 0 || names[i].len >= sizeof name)
			continue; /* not a host_name */
		memcpy(name, names[i].data, names[i].len);
		name[names[i].len] = '\0';
		tlsh_identity_set(&id, name);
		for (size_t c = 0; c < tc->nchains; c++) {
			if (!nss_names(tc->chains[c].leaf, &id))
				continue;
			if (c != b->chain_in_use) {
				/* SSL_ReconfigFD also copies the model's default
				 * certificate hook (SSL_AuthCertificate): put
				 * ours back. */
				if (SSL_ReconfigFD(tc->models[c], fd) == NULL ||
				    !nss_install_callbacks(b))
					return SSL_SNI_SEND_ALERT;
				b->chain_in_use = c;
			}
			return (PRInt32)i;
		}
	}
	return SSL_SNI_CURRENT_CONFIG_IS_USED;
}

/** Installs the per-buffer callbacks (after SSL_ImportFD, and again after
 * SSL_ReconfigFD, which copies the model's hooks that are set). */
static int nss_install_callbacks(struct tlsh_buffer *b)
{
	struct tlsh_context *tc = b->tc;
	PRFileDesc *fd = b->fd;
	int ok = SSL_AuthCertificateHook(fd, nss_auth_cert_cb, b) == SECSuccess &&
	         SSL_AlertReceivedCallback(fd, nss_alert_received_cb, b) == SECSuccess &&
	         SSL_AlertSentCallback(fd, nss_alert_sent_cb, b) == SECSuccess &&
	         SSL_HandshakeCallback(fd, nss_handshake_cb, b) == SECSuccess;
	if (ok && tc->role == TLSH_ROLE_SERVER) {
		if (tc->nchains > 1)
			ok = SSL_SNISocketConfigHook(fd, nss_sni_cb, b) == SECSuccess;
		if (ok && tc->alpn_len > 0)
			ok = SSL_SetNextProtoCallback(fd, nss_alpn_select_cb, b) == SECSuccess;
	} else if (ok) {
		ok = SSL_GetClientAuthDataHook(fd, nss_client_auth_cb, b) == SECSuccess;
	}
	if (ok && b->secret_cb != NULL)
		ok = SSL_SecretCallback(fd, nss_secret_cb, b) == SECSuccess;
	return ok;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void nss_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nmodels; i++)
		PR_Close(tc->models[i]);
	free(tc->models);
	for (size_t i = 0; i < tc->nchains; i++)
		nss_chain_free(&tc->chains[i]);
	free(tc->chains);
	if (tc->anchors != NULL)
		CERT_DestroyCertList(tc->anchors);
	free(tc->alpn);
	free(tc->alpn_client);
	free(tc);
}

/** Configures a model socket: everything but the per-buffer callbacks. */
static int nss_setup_model(struct tlsh_context *tc, PRFileDesc *m, const struct nss_plan *p,
                           const struct nss_chain *ch, struct tlsh_error *err)
{
	int server = tc->role == TLSH_ROLE_SERVER;
	SSLVersionRange vr = {(PRUint16)p->p.lowest, (PRUint16)p->p.highest};
	if (SSL_OptionSet(m, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_HANDSHAKE_AS_CLIENT, !server) != SECSuccess ||
	    SSL_OptionSet(m, SSL_HANDSHAKE_AS_SERVER, server) != SECSuccess ||
	    SSL_OptionSet(m, SSL_NO_CACHE, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_SESSION_TICKETS, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_FALSE_START, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_0RTT_DATA, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_RENEGOTIATION, SSL_RENEGOTIATE_NEVER) != SECSuccess ||
	    /* RFC 8446 section 4.1.3: a client MUST check the sentinel. */
	    SSL_OptionSet(m, SSL_ENABLE_HELLO_DOWNGRADE_CHECK, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_ENABLE_ALPN, tc->alpn_len > 0) != SECSuccess)
		return nss_cfg_fail(err, 1, "cannot set the socket options");
	if (SSL_VersionRangeSet(m, &vr) != SECSuccess)
		return nss_cfg_fail(err, 1, "cannot set the version range 0x%04x-0x%04x", vr.min,
		                    vr.max);
	if (p->p.c.ciphers != NULL) {
		for (size_t i = 0; i < nss_nknown; i++)
			if (SSL_CipherPrefSet(m, nss_known[i], PR_FALSE) != SECSuccess)
				return nss_cfg_fail(err, 1, "cannot disable cipher 0x%04x",
				                    nss_known[i]);
		for (size_t i = 0; i < p->nciphers; i++)
			if (SSL_CipherPrefSet(m, p->ciphers[i], PR_TRUE) != SECSuccess)
				return nss_cfg_fail(err, 1, "cannot enable cipher 0x%04x",
				                    p->ciphers[i]);
		if (nss_order_set != NULL &&
		    nss_order_set(m, p->ciphers, (PRUint16)p->nciphers) != SECSuccess)
			return nss_cfg_fail(err, 1, "cannot order the cipher suites");
	}
	if (server && tc->verify) {
		if (SSL_OptionSet(m, SSL_REQUEST_CERTIFICATE, PR_TRUE) != SECSuccess ||
		    SSL_OptionSet(m, SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS) != SECSuccess)
			return nss_cfg_fail(err, 1, "cannot require client certificates");
		/* The CA names in the CertificateRequest. */
		if (tc->anchors != NULL && SSL_SetTrustAnchors(m, tc->anchors) != SECSuccess)
			return nss_cfg_fail(err, 1, "cannot set the certificate authorities");
	}
	if (server && ch != NULL) {
		SSLExtraServerCertData extra = {.authType = ssl_auth_null, .certChain = ch->wire};
		if (SSL_ConfigServerCert(m, ch->leaf, ch->key, &extra, sizeof extra) != SECSuccess)
			return nss_cfg_fail(err, 1, "certificate or key rejected");
	}
	return TLSH_OK;
}

static int nss_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                           const struct tlsh_config *config, tlsh_context **out,
                           struct tlsh_error *err)
{
	struct nss_plan p;
	struct tlsh_context *tc = NULL;
	(void)self;
	if (out == NULL)
		return nss_cfg_fail(err, 0, "no place to store the context");
	*out = NULL;
	if (nss_plan_config(role, config, &p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p.p.c;

	tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return nss_cfg_fail(err, 0, "out of memory");
	tc->role = role;
	tc->check_name = p.p.check_name;
	if (!tlsh_alpn_wire(c, &tc->alpn, &tc->alpn_len)) {
		nss_cfg_fail(err, 0, "out of memory");
		goto fail;
	}
	if (tc->alpn_len > 0) {
		tc->alpn_client = malloc(tc->alpn_len);
		if (tc->alpn_client == NULL) {
			nss_cfg_fail(err, 0, "out of memory");
			goto fail;
		}
		const struct tlsh_bytes *last = &c->inner_protocols[c->inner_protocols_len - 1];
		tc->alpn_client[0] = (unsigned char)last->len;
		memcpy(tc->alpn_client + 1, last->data, last->len);
		memcpy(tc->alpn_client + 1 + last->len, tc->alpn, tc->alpn_len - 1 - last->len);
	}

	/* Trust and verification. */
	const struct tlsh_source *ts = c->trust_store;
	tc->verify = p.p.verify_peer;
	if (tc->verify) {
		if (ts != NULL &&
		    (ts->kind == TLSH_SOURCE_BUFFER || ts->kind == TLSH_SOURCE_PATH)) {
			if (nss_load_trust(ts, &tc->anchors, err) != TLSH_OK)
				goto fail;
		} else {
			PR_CallOnce(&nss_roots_once, nss_load_roots);
			if (!nss_roots_ok) {
				nss_cfg_fail(err, 0,
				             "cannot load NSS's builtin roots (libnssckbi.so)");
				goto fail;
			}
		}
	}

	/* Certificate chains. */
	if (c->certificate_chains_len > 0) {
		tc->chains = calloc(c->certificate_chains_len, sizeof *tc->chains);
		if (tc->chains == NULL) {
			nss_cfg_fail(err, 0, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < c->certificate_chains_len; i++) {
			tc->nchains++;
			if (nss_chain_load(&tc->chains[i], &c->certificate_chains[i], i, err) !=
			    TLSH_OK)
				goto fail;
		}
	}

	/* Model sockets. */
	size_t n = role == TLSH_ROLE_SERVER ? tc->nchains : 1;
	tc->models = calloc(n, sizeof *tc->models);
	if (tc->models == NULL) {
		nss_cfg_fail(err, 0, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		PRFileDesc *base = nss_io_new(NULL);
		PRFileDesc *m = base != NULL ? SSL_ImportFD(NULL, base) : NULL;
		if (m == NULL) {
			if (base != NULL)
				PR_Close(base);
			nss_cfg_fail(err, 1, "SSL_ImportFD failed");
			goto fail;
		}
		tc->models[tc->nmodels++] = m;
		if (nss_setup_model(tc, m, &p, role == TLSH_ROLE_SERVER ? &tc->chains[i] : NULL,
		                    err) != TLSH_OK)
			goto fail;
	}
	*out = tc;
	tlsh_error_ok(err);
	return TLSH_OK;
fail:
	nss_context_free(tc);
	return TLSH_CONFIGURATION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void nss_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	if (b->fd != NULL) {
		/* PR_Close may queue a close_notify: it lands in `out`, which is
		 * freed below, so nothing reaches the network. */
		PR_Close(b->fd);
	}
	tlsh_queue_free(&b->in);
	tlsh_queue_free(&b->out);
	tlsh_queue_free(&b->held_close);
	free(b->host);
	free(b->peer_der);
	free(b);
}

static int nss_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
                          struct tlsh_error *err)
{
	if (out == NULL)
		return nss_cfg_fail(err, 0, "no place to store the buffer");
	*out = NULL;
	if (tc == NULL)
		return nss_cfg_fail(err, 0, "no context");
	struct tlsh_buffer *b = calloc(1, sizeof *b);
	if (b == NULL)
		return nss_cfg_fail(err, 0, "out of memory");
	b->tc = tc;
	b->io.buf = b;
	tlsh_state_init(&b->st);
	int server = tc->role == TLSH_ROLE_SERVER;
	/* nss_auth_cert_cb checks the identity; SNI as tlsh.h says (none for
	 * an address, no trailing dot). */
	char sni[256] = "";
	if (!server) {
		int st = tlsh_client_name(server_hostname, tc->check_name, &b->id, sni, err);
		if (st != TLSH_OK) {
			nss_buffer_free(b);
			return st;
		}
	}
	if (!server && server_hostname != NULL) {
		b->host = strdup(server_hostname);
		if (b->host == NULL) {
			nss_buffer_free(b);
			return nss_cfg_fail(err, 0, "out of memory");
		}
	}
	PRFileDesc *base = nss_io_new(b);
	if (base == NULL) {
		nss_buffer_free(b);
		return nss_cfg_fail(err, 1, "cannot create the I/O layer");
	}
	b->fd = SSL_ImportFD(tc->models[0], base);
	if (b->fd == NULL) {
		PR_Close(base);
		nss_buffer_free(b);
		return nss_cfg_fail(err, 1, "SSL_ImportFD failed");
	}
	int ok = nss_install_callbacks(b);
	if (ok && !server) {
		if (tc->alpn_len > 0)
			ok = SSL_SetNextProtoNego(b->fd, tc->alpn_client,
			                          (unsigned int)tc->alpn_len) == SECSuccess;
		if (ok && sni[0] != '\0')
			ok = SSL_SetURL(b->fd, sni) == SECSuccess;
	}
	if (ok)
		ok = SSL_ResetHandshake(b->fd, server) == SECSuccess;
	if (!ok) {
		nss_cfg_fail(err, 1, "cannot set up the SSL socket");
		nss_buffer_free(b);
		return TLSH_CONFIGURATION_ERROR;
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

static int nss_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	SECStatus rv = SSL_ForceHandshake(b->fd);
	if (b->hs_done)
		return TLSH_OK;
	if (rv == SECSuccess)
		return TLSH_WANT_READ;
	return nss_map(b, "handshake failed");
}

/** PR_Read returned 0: close_notify or transport EOF (see the top). */
static int nss_end_of_stream(struct tlsh_buffer *b)
{
	if (!b->hs_done) {
		b->st.failed = 1;
		return nss_buf_fail(b, TLSH_TLS_ERROR,
		                    b->got_close_notify
		                            ? "close_notify before the handshake completed"
		                            : "transport EOF during the handshake",
		                    0);
	}
	if (b->got_close_notify)
		return tlsh_state_closed(&b->st);
	if (b->st.eof) {
		b->st.ragged = 1;
		return nss_buf_fail(b, TLSH_RAGGED_EOF, "transport EOF without close_notify", 0);
	}
	b->st.failed = 1;
	return nss_buf_fail(b, TLSH_TLS_ERROR, "unexpected end of stream", 0);
}

static int nss_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	unsigned char scratch[1];
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	/* A zero-byte read still drives the handshake and reports the state;
	 * peek so that nothing is consumed. */
	PRInt32 r = cap > 0 ? PR_Read(b->fd, dst, cap > INT32_MAX ? INT32_MAX : (PRInt32)cap)
	                    : PR_Recv(b->fd, scratch, 1, PR_MSG_PEEK, PR_INTERVAL_NO_WAIT);
	if (r > 0) {
		*n = cap > 0 ? (size_t)r : 0;
		return TLSH_OK;
	}
	if (r == 0)
		return nss_end_of_stream(b);
	return nss_map(b, "read failed");
}

static int nss_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (len == 0)
		return TLSH_OK;
	PRInt32 r = PR_Write(b->fd, src, len > INT32_MAX ? INT32_MAX : (PRInt32)len);
	if (r > 0) {
		*n = (size_t)r;
		return TLSH_OK;
	}
	if (r == 0)
		return TLSH_WANT_READ;
	return nss_map(b, "write failed");
}

static int nss_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!b->hs_done)
		return nss_buf_fail(b, TLSH_TLS_ERROR, "shutdown before the handshake completed",
		                    0);
	if (!b->close_sent) {
		if (b->close_prepared) {
			/* Written by NSS when the peer's close_notify arrived. */
			size_t k = tlsh_queue_length(&b->held_close);
			if (!tlsh_queue_append(&b->out, tlsh_queue_peek(&b->held_close), k))
				return nss_buf_fail(b, TLSH_TLS_ERROR, "out of memory", 0);
			tlsh_queue_free(&b->held_close);
		} else if (b->got_close_notify) {
			return nss_buf_fail(b, TLSH_TLS_ERROR,
			                    "NSS cannot send close_notify after the peer's", 0);
		} else if (PR_Shutdown(b->fd, PR_SHUTDOWN_SEND) != PR_SUCCESS) {
			return nss_map(b, "shutdown failed");
		}
		b->close_sent = 1;
	}
	/* Wait for the peer's close_notify; we closed our side, so data that
	 * the peer sent before it saw ours is discarded (RFC 8446 6.1). */
	while (!b->got_close_notify) {
		unsigned char sink[4096];
		PRInt32 r = PR_Read(b->fd, sink, sizeof sink);
		if (r > 0)
			continue;
		if (r == 0 && b->got_close_notify)
			break;
		if (r == 0) {
			b->st.ragged = 1;
			return nss_buf_fail(b, TLSH_TLS_ERROR,
			                    "transport EOF before the peer's close_notify", 0);
		}
		return nss_map(b, "shutdown failed");
	}
	b->st.closed = 1;
	return TLSH_OK;
}

static int nss_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return tlsh_state_store(&b->st, &b->in, b->got_close_notify, data, len, NSS_INCOMING_CAP);
}

static int nss_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	return TLSH_OK;
}

static int nss_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = tlsh_queue_take(&b->out, dst, cap);
	return TLSH_OK;
}

static size_t nss_incoming_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->in);
}

static size_t nss_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->out);
}

static int nss_channel(struct tlsh_buffer *b, SSLChannelInfo *ci)
{
	memset(ci, 0, sizeof *ci);
	return b->hs_done && SSL_GetChannelInfo(b->fd, ci, sizeof *ci) == SECSuccess;
}

static uint16_t nss_cipher(tlsh_buffer *b)
{
	SSLChannelInfo ci;
	return nss_channel(b, &ci) ? ci.cipherSuite : 0;
}

static int nss_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	SSLNextProtoState state = SSL_NEXT_PROTO_NO_SUPPORT;
	unsigned int l = 0;
	*proto = NULL;
	*len = 0;
	if (!b->hs_done ||
	    SSL_GetNextProto(b->fd, &state, b->alpn, &l, sizeof b->alpn) != SECSuccess || l == 0 ||
	    (state != SSL_NEXT_PROTO_NEGOTIATED && state != SSL_NEXT_PROTO_SELECTED))
		return 0;
	b->alpn_len = l;
	*proto = b->alpn;
	*len = b->alpn_len;
	return 1;
}

static enum tlsh_version nss_negotiated_tls_version(tlsh_buffer *b)
{
	SSLChannelInfo ci;
	if (!nss_channel(b, &ci))
		return TLSH_VERSION_NONE;
	switch (ci.protocolVersion) {
	case SSL_LIBRARY_VERSION_TLS_1_2:
		return TLSH_TLS_1_2;
	case SSL_LIBRARY_VERSION_TLS_1_3:
		return TLSH_TLS_1_3;
	}
	return TLSH_VERSION_NONE;
}

static int nss_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	*der = NULL;
	*len = 0;
	CERTCertificate *c = b->hs_done ? SSL_PeerCertificate(b->fd) : NULL;
	if (c == NULL)
		return 0;
	size_t l = c->derCert.len;
	if (b->peer_der == NULL || b->peer_der_len != l ||
	    memcmp(b->peer_der, c->derCert.data, l) != 0) {
		uint8_t *d = malloc(l ? l : 1);
		if (d == NULL) {
			CERT_DestroyCertificate(c);
			return 0;
		}
		memcpy(d, c->derCert.data, l);
		free(b->peer_der);
		b->peer_der = d;
		b->peer_der_len = l;
	}
	CERT_DestroyCertificate(c);
	*der = b->peer_der;
	*len = b->peer_der_len;
	return 1;
}

static void nss_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

/* ---- exported secrets ------------------------------------------------------ */

/** Keeps the first NSS_HELLO_PREFIX bytes of the stream that carries the
 * ClientHello (the I/O layer calls it as the bytes pass). */
static void nss_hello_note(struct tlsh_buffer *b, const void *data, size_t n)
{
	size_t room = sizeof b->hello - b->hello_len;
	size_t k = n < room ? n : room;
	if (k > 0) {
		memcpy(b->hello + b->hello_len, data, k);
		b->hello_len += k;
	}
}

/** The client random from the noted prefix: a handshake record (22) whose
 * fragment starts with a ClientHello (1) long enough to hold it; NULL
 * otherwise (e.g. a ClientHello cut into tiny records). */
static const uint8_t *nss_client_random(const struct tlsh_buffer *b)
{
	const uint8_t *h = b->hello;
	if (b->hello_len < NSS_HELLO_PREFIX || h[0] != 22 || h[5] != 1 ||
	    ((size_t)h[3] << 8 | h[4]) < NSS_HELLO_PREFIX - 5)
		return NULL;
	return h + 11;
}

/** SSL_SecretCallback: TLS 1.3 only (NSS says so), one call per epoch and
 * direction, as NSS installs the key, before the records it protects are
 * written or read. Epoch 1 is the client's early traffic secret, 2 the
 * handshake ones, 3 + N application generation N; whose secret it is
 * follows from the direction and the role. The PK11SymKey's value is
 * extracted (as NSS's own key log does). */
static void nss_secret_cb(PRFileDesc *fd, PRUint16 epoch, SSLSecretDirection dir,
                          PK11SymKey *secret, void *arg)
{
	struct tlsh_buffer *b = arg;
	(void)fd;
	if (b == NULL || b->secret_cb == NULL || secret == NULL || epoch < 1)
		return;
	const uint8_t *random = nss_client_random(b);
	if (random == NULL)
		return;
	int client = (b->tc->role == TLSH_ROLE_CLIENT) == (dir == ssl_secret_write);
	const char *who = client ? "CLIENT" : "SERVER";
	char label[TLSH_KEYLOG_LABEL_MAX + 1];
	if (epoch == 1 && client)
		snprintf(label, sizeof label, "CLIENT_EARLY_TRAFFIC_SECRET");
	else if (epoch == 2)
		snprintf(label, sizeof label, "%s_HANDSHAKE_TRAFFIC_SECRET", who);
	else if (epoch >= 3)
		snprintf(label, sizeof label, "%s_TRAFFIC_SECRET_%u", who, (unsigned)epoch - 3);
	else
		return;
	if (PK11_ExtractKeyValue(secret) != SECSuccess)
		return;
	const SECItem *v = PK11_GetKeyData(secret);
	if (v == NULL || v->data == NULL || v->len == 0 || v->len > TLSH_KEYLOG_SECRET_MAX)
		return;
	b->secret_cb(b->secret_arg, label, random, v->data, v->len);
}

static int nss_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	if (cb != NULL && SSL_SecretCallback(b->fd, nss_secret_cb, b) != SECSuccess)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR, "SSL_SecretCallback failed: %s",
		                       PR_ErrorToName(PR_GetError()));
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static struct tlsh_implementation nss_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "nss",
        .library_version = NULL, /* "NSS " NSS_GetVersion(), set by nss_init */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_CLIENT_AUTH |
                        TLSH_CAP_CIPHERS_TLS12 | TLSH_CAP_CIPHERS_TLS13 | TLSH_CAP_ALPN |
                        TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT | TLSH_CAP_TRANSPORT_EOF |
                        TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE |
                        TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN | TLSH_CAP_EXPORT_SECRETS,
        /* EXPORT_SECRETS: TLS 1.3 only. SSL_SecretCallback is called only
         * when TLS 1.3 is negotiated, and Debian's libssl3 is built without
         * NSS_ALLOW_SSLKEYLOGFILE (no "SSLKEYLOGFILE" in the .so), the only
         * way NSS hands out a TLS 1.2 master secret: a TLS 1.2 connection
         * exports nothing. */
        .validate_config = nss_validate_config,
        .context_new = nss_context_new,
        .context_free = nss_context_free,
        .buffer_new = nss_buffer_new,
        .buffer_free = nss_buffer_free,
        .do_handshake = nss_do_handshake,
        .read = nss_read,
        .write = nss_write,
        .shutdown = nss_shutdown,
        .process_incoming = nss_process_incoming,
        .process_incoming_eof = nss_process_incoming_eof,
        .process_outgoing = nss_process_outgoing,
        .incoming_bytes_buffered = nss_incoming_bytes_buffered,
        .outgoing_bytes_buffered = nss_outgoing_bytes_buffered,
        .cipher = nss_cipher,
        .negotiated_protocol = nss_negotiated_protocol,
        .negotiated_tls_version = nss_negotiated_tls_version,
        .getpeercert = nss_getpeercert,
        .last_error = nss_last_error,
        .set_secret_callback = nss_set_secret_callback,
};

/** The entry point (TLSH_ENTRY_SYMBOL); the only exported symbol. */
__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg);

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	PR_CallOnce(&nss_once, nss_init);
	if (!nss_init_ok) {
		fprintf(stderr, "tlsh-nss: cannot initialise NSS: %s\n", nss_init_err);
		return NULL;
	}
	return &nss_impl;
}
