/*
 * gnutls.c - tlsharness adapter for GnuTLS 3.7 (libgnutls).
 *
 * Every buffer is one gnutls_session_t whose transport is a pair of byte
 * queues owned by the adapter: the pull callback reads from the incoming queue
 * that process_incoming fills, the push callback appends to the outgoing queue
 * that process_outgoing drains, and nothing here does I/O. An empty incoming
 * queue makes the pull callback fail with EAGAIN (GNUTLS_E_AGAIN, WANT_READ)
 * until process_incoming_eof; from then on it returns 0, which GnuTLS reports
 * as GNUTLS_E_PREMATURE_TERMINATION unless a close_notify came first (then
 * gnutls_record_recv returns 0). After the handshake the first becomes
 * RAGGED_EOF, the second CLOSED; both are sticky.
 *
 * A context holds one certificate credentials object (every server chain is
 * added to it: GnuTLS itself picks the chain whose certificate names the
 * client's SNI, else the first) and one priority cache. Versions and cipher
 * suites are expressed as a GnuTLS priority string; GnuTLS enables suites as
 * the product of the key exchanges, ciphers and MACs named, so a cipher list
 * whose product contains a suite that was not asked for cannot be honoured
 * and is refused with CONFIGURATION_ERROR.
 *
 * Certificate verification runs in a session verify callback: the chain and
 * key purpose through gnutls_certificate_verify_peers, then the identity with
 * the shared RFC 9525 matcher of tlsh_adapter.h over the leaf's dNSName and
 * iPAddress subjectAltName entries. (GnuTLS's own host check matches a DNS
 * name against the subject CN when the leaf has no dNSName subjectAltName,
 * gnutls_x509_crt_check_hostname2 in lib/x509/hostname-verify.c, with no flag
 * to turn that off; RFC 9525 section 6.3 forbids it. It is not used.)
 *
 * GnuTLS never sends an alert on its own when a handshake or record call
 * fails: the application does (gnutls_alert_send_appropriate). The adapter
 * sends gnutls_error_to_alert()'s choice (lib/alert.c) with two exceptions
 * where that generic table is coarser than the error GnuTLS reports: a failed
 * certificate verification (always bad_certificate there) sends the alert
 * RFC 8446 section 6.2 names for the verification status (unknown_ca,
 * certificate_expired, ...), and a server requiring a client certificate that
 * got none (GNUTLS_E_NO_CERTIFICATE_FOUND, decode_error there) sends
 * handshake_failure (RFC 5246 section 7.4.6). No alert follows a transport
 * EOF. Alerts received are read with gnutls_alert_get().
 *
 * GnuTLS 3.7 limits ALPN to 8 names of at most 31 bytes (lib/ext/alpn.h);
 * longer lists or names are refused with CONFIGURATION_ERROR.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

/** process_incoming refuses (WANT_READ) to grow the unprocessed input beyond
 * this; a single delivery into an empty queue is always accepted. */
#define GTLS_INCOMING_CAP (((size_t)1 << 20) + ((size_t)1 << 16))
/** Room in the IANA id table (GnuTLS 3.7 knows about 200 suites). */
#define GTLS_MAX_SUITES 512
/** Longest priority string the adapter builds. */
#define GTLS_PRIO_MAX 2048
/** GnuTLS 3.7 ALPN limits (lib/ext/alpn.h: MAX_ALPN_PROTOCOLS 8,
 * MAX_ALPN_PROTOCOL_NAME 32; gnutls_alpn_set_protocols refuses a name of 32
 * bytes or more and more than 8 names with GNUTLS_E_INVALID_REQUEST). */
#define GTLS_ALPN_MAX_NAMES 8
#define GTLS_ALPN_MAX_LEN 31
/** Bounded retries of calls that GnuTLS asks to repeat (warning alerts,
 * interrupted calls) without consuming incoming bytes: a call that reads
 * from the incoming queue is progress and does not count (a flight sent one
 * byte per record needs a call per record). */
#define GTLS_RETRIES 64

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/** A cipher suite GnuTLS knows. `name` points into GnuTLS's static tables. */
struct gtls_suite {
	uint16_t id;
	const char *name;
	gnutls_kx_algorithm_t kx;
	gnutls_cipher_algorithm_t cipher;
	gnutls_mac_algorithm_t mac;
	/** A TLS 1.3 suite (no key exchange of its own). */
	unsigned char tls13;
	/** May be named in config.ciphers: TLS 1.3, or TLS 1.2 with a
	 * certificate-based key exchange. PSK, SRP and anonymous suites need
	 * credentials the descriptor cannot express and count as unknown. */
	unsigned char usable;
};

/** A checked configuration: the generic plan, the versions to enable after
 * narrowing to what the cipher list allows, and the priority string that
 * expresses both. */
struct gtls_plan {
	struct tlsh_plan p;
	int tls12, tls13;
	char prio[GTLS_PRIO_MAX];
};

struct tlsh_context {
	enum tlsh_role role;
	/** Client: verify the server's chain (verify_peer) and its name
	 * (check_name). */
	int verify_peer, check_name;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	/** Server: a trust store was given, so a client certificate is
	 * requested, required and verified. */
	int client_auth;
	/** ALPN protocols (copies). */
	gnutls_datum_t *alpn;
	unsigned nalpn;
};

struct tlsh_buffer {
	struct tlsh_context *tc;
	gnutls_session_t s;
	struct tlsh_queue in, out;
	/** Client: what the server's leaf must name (RFC 9525); kind NONE when
	 * nothing is checked. */
	struct tlsh_identity id;
	/** The handshake completed at some point (sticky). */
	int hs_done;
	/** shutdown queued our close_notify. */
	int shut_sent;
	/** Certificate verification ran and gave this status. */
	int vdone;
	unsigned vstatus;
	/** End of stream, failure, last error; the alerts are the first sent
	 * and received (GnuTLS reports no levels). */
	struct tlsh_state st;
	/** set_secret_callback's receiver (NULL: none). */
	tlsh_secret_fn secret_cb;
	void *secret_arg;
};

/* ------------------------------------------------------------------------ */
/* One-time initialisation                                                  */
/* ------------------------------------------------------------------------ */

static pthread_once_t gtls_once = PTHREAD_ONCE_INIT;
static int gtls_init_ok;
static struct gtls_suite gtls_suites[GTLS_MAX_SUITES];
static size_t gtls_nsuites;
static char gtls_version_text[64];
static struct tlsh_implementation gtls_impl;

static int gtls_kx_usable(gnutls_kx_algorithm_t kx)
{
	return kx == GNUTLS_KX_RSA || kx == GNUTLS_KX_DHE_RSA || kx == GNUTLS_KX_DHE_DSS ||
	       kx == GNUTLS_KX_ECDHE_RSA || kx == GNUTLS_KX_ECDHE_ECDSA;
}

/** Learns every cipher suite this GnuTLS knows, with its IANA id. */
static void gtls_init(void)
{
	const char *v = gnutls_check_version("3.7.3");
	if (v == NULL)
		return;
	snprintf(gtls_version_text, sizeof gtls_version_text, "GnuTLS %s", v);
	gtls_impl.library_version = gtls_version_text;
	for (size_t i = 0; gtls_nsuites < GTLS_MAX_SUITES; i++) {
		unsigned char id[2];
		gnutls_kx_algorithm_t kx;
		gnutls_cipher_algorithm_t cipher;
		gnutls_mac_algorithm_t mac;
		gnutls_protocol_t minv;
		const char *name = gnutls_cipher_suite_info(i, id, &kx, &cipher, &mac, &minv);
		if (name == NULL)
			break;
		struct gtls_suite *s = &gtls_suites[gtls_nsuites++];
		s->id = (uint16_t)(id[0] << 8 | id[1]);
		s->name = name;
		s->kx = kx;
		s->cipher = cipher;
		s->mac = mac;
		s->tls13 = minv == GNUTLS_TLS1_3;
		s->usable = s->tls13 || (gtls_kx_usable(kx) && minv <= GNUTLS_TLS1_2);
	}
	gtls_init_ok = gtls_nsuites > 0;
}

static const struct gtls_suite *gtls_suite_by_id(uint16_t id)
{
	for (size_t i = 0; i < gtls_nsuites; i++)
		if (gtls_suites[i].id == id)
			return &gtls_suites[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** The alert RFC 8446 section 6.2 names for a certificate that failed
 * verification with `status` (gnutls_certificate_status_t bits). */
static int gtls_status_alert(unsigned status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return GNUTLS_A_CERTIFICATE_REVOKED;
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return GNUTLS_A_UNKNOWN_CA;
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return GNUTLS_A_CERTIFICATE_EXPIRED;
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return GNUTLS_A_UNSUPPORTED_CERTIFICATE;
	return GNUTLS_A_BAD_CERTIFICATE;
}

/** Handles a fatal GnuTLS error on b: marks the buffer failed, notes the
 * alert received (GNUTLS_E_FATAL_ALERT_RECEIVED) or sends the appropriate
 * one, and records the detail. Returns TLS_ERROR. */
static int gtls_fatal(struct tlsh_buffer *b, int e, const char *what)
{
	char detail[160] = "";
	b->st.failed = 1;
	if (e == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		gnutls_alert_description_t a = gnutls_alert_get(b->s);
		const char *name = gnutls_alert_get_name(a);
		b->st.alert_received = (int)a;
		snprintf(detail, sizeof detail, ": %s (%d)", name ? name : "unknown alert", (int)a);
	} else if (e != GNUTLS_E_PREMATURE_TERMINATION && e != GNUTLS_E_PUSH_ERROR &&
	           e != GNUTLS_E_PULL_ERROR) {
		/* (No alert after a transport EOF or failure: the peer has
		 * gone.) */
		int level = GNUTLS_AL_FATAL;
		int alert = gnutls_error_to_alert(e, &level);
		if (b->vdone && b->vstatus != 0 &&
		    (e == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
		     e == GNUTLS_E_CERTIFICATE_ERROR)) {
			alert = gtls_status_alert(b->vstatus);
			level = GNUTLS_AL_FATAL;
		} else if (e == GNUTLS_E_NO_CERTIFICATE_FOUND && b->tc->client_auth) {
			/* The client sent no certificate although it is
			 * required (GnuTLS maps this to decode_error). */
			alert = gnutls_protocol_get_version(b->s) == GNUTLS_TLS1_3
			                ? GNUTLS_A_CERTIFICATE_REQUIRED
			                : GNUTLS_A_HANDSHAKE_FAILURE;
			level = GNUTLS_AL_FATAL;
		}
		if (gnutls_alert_send(b->s, (gnutls_alert_level_t)level,
		                      (gnutls_alert_description_t)alert) == 0 &&
		    b->st.alert_sent == TLSH_NO_ALERT)
			b->st.alert_sent = alert;
	}
	if (b->vdone && b->vstatus != 0) {
		gnutls_datum_t txt = {NULL, 0};
		if (gnutls_certificate_verification_status_print(b->vstatus, GNUTLS_CRT_X509, &txt,
		                                                 0) == 0) {
			snprintf(detail, sizeof detail, ": %s", (const char *)txt.data);
			gnutls_free(txt.data);
		}
	}
	return tlsh_state_fail(&b->st, TLSH_TLS_ERROR, "%s: %s%s", what, gnutls_strerror(e),
	                       detail);
}

/* ------------------------------------------------------------------------ */
/* Configuration checks                                                     */
/* ------------------------------------------------------------------------ */

/** What GnuTLS 3.7 takes (tlsh_plan_config). */
static const struct tlsh_plan_rules gtls_rules = {
        .tls13 = 1,
        .chain_kinds = TLSH_KINDS_CHAIN,
        .trust_kinds = TLSH_KINDS_TRUST,
        .max_buffer = UINT_MAX,
        .library = "GnuTLS 3.7",
};

/** Appends "+NAME" to the priority string unless it is already there. */
static int gtls_prio_add(char *prio, const char *name)
{
	char tok[80];
	size_t used = strlen(prio);
	if (name == NULL)
		return 0;
	snprintf(tok, sizeof tok, ":+%s", name);
	/* Tokens are separated by ':'; look for ":+NAME:" or a final ":+NAME". */
	for (const char *p = strstr(prio, tok); p != NULL; p = strstr(p + 1, tok)) {
		char next = p[strlen(tok)];
		if (next == ':' || next == '\0')
			return 1;
	}
	if (used + strlen(tok) + 1 > GTLS_PRIO_MAX)
		return 0;
	memcpy(prio + used, tok, strlen(tok) + 1);
	return 1;
}

/** Builds p->prio from the versions and (if any) the configured ciphers. */
static int gtls_prio_build(struct gtls_plan *p, struct tlsh_error *err)
{
	const struct tlsh_config *c = &p->p.c;
	snprintf(p->prio, sizeof p->prio, "NORMAL:-VERS-ALL%s%s", p->tls13 ? ":+VERS-TLS1.3" : "",
	         p->tls12 ? ":+VERS-TLS1.2" : "");
	if (c->ciphers == NULL)
		return TLSH_OK;
	strcat(p->prio, ":-CIPHER-ALL:-MAC-ALL:-KX-ALL");
	for (size_t i = 0; i < c->ciphers_len; i++) {
		const struct gtls_suite *s = gtls_suite_by_id(c->ciphers[i]);
		if (s == NULL || !s->usable || (s->tls13 ? !p->tls13 : !p->tls12))
			continue;
		if (!gtls_prio_add(p->prio, gnutls_cipher_get_name(s->cipher)) ||
		    !gtls_prio_add(p->prio, gnutls_mac_get_name(s->mac)) ||
		    (!s->tls13 && !gtls_prio_add(p->prio, gnutls_kx_get_name(s->kx))))
			return tlsh_config_fail(err, "cannot express cipher suite 0x%04x",
			                        (unsigned)s->id);
	}
	return TLSH_OK;
}

static int gtls_id_listed(const struct tlsh_config *c, uint16_t id)
{
	for (size_t i = 0; i < c->ciphers_len; i++)
		if (c->ciphers[i] == id)
			return 1;
	return 0;
}

/** Builds the priority cache of p and checks that, when ciphers are
 * configured, it enables only configured suites and at least one for each
 * enabled version (dropping a version that has none when the bounds
 * allow). On success *out (if not NULL) holds the cache. */
static int gtls_prio_make(struct gtls_plan *p, gnutls_priority_t *out, struct tlsh_error *err)
{
	const struct tlsh_config *c = &p->p.c;
	for (int pass = 0; pass < 3; pass++) {
		gnutls_priority_t prio;
		const char *where = NULL;
		if (gtls_prio_build(p, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
		int r = gnutls_priority_init(&prio, p->prio, &where);
		if (r < 0)
			return tlsh_config_fail(err, "priority \"%.120s\" refused at \"%.40s\": %s",
			                        p->prio, where ? where : "", gnutls_strerror(r));
		int n12 = 0, n13 = 0;
		char extra[120] = "";
		for (unsigned j = 0;; j++) {
			unsigned idx;
			r = gnutls_priority_get_cipher_suite_index(prio, j, &idx);
			if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (r < 0)
				continue;
			unsigned char id[2];
			gnutls_protocol_t minv;
			if (gnutls_cipher_suite_info(idx, id, NULL, NULL, NULL, &minv) == NULL)
				continue;
			uint16_t sid = (uint16_t)(id[0] << 8 | id[1]);
			if (minv == GNUTLS_TLS1_3)
				n13++;
			else
				n12++;
			size_t l = strlen(extra);
			if (c->ciphers != NULL && !gtls_id_listed(c, sid) && l + 8 < sizeof extra)
				snprintf(extra + l, sizeof extra - l, " 0x%04x", sid);
		}
		if (extra[0] != '\0') {
			gnutls_priority_deinit(prio);
			return tlsh_config_fail(
			        err,
			        "GnuTLS enables suites as key exchange x cipher x MAC: "
			        "the configured list would also enable%s",
			        extra);
		}
		int drop12 = p->tls12 && n12 == 0, drop13 = p->tls13 && n13 == 0;
		if (!drop12 && !drop13) {
			if (out != NULL)
				*out = prio;
			else
				gnutls_priority_deinit(prio);
			return TLSH_OK;
		}
		gnutls_priority_deinit(prio);
		if ((drop12 && !p->tls13) || (drop13 && !p->tls12) || (drop12 && drop13))
			return tlsh_config_fail(err, "no configured cipher suite is usable for the "
			                             "configured versions");
		if (drop12)
			p->tls12 = 0;
		if (drop13)
			p->tls13 = 0;
	}
	return tlsh_config_fail(err, "cannot settle the cipher configuration");
}

/** Checks `config` for `role` and computes what context_new configures; with
 * `prio` non-NULL also returns the priority cache. */
static int gtls_plan_config(enum tlsh_role role, const struct tlsh_config *config,
                            struct gtls_plan *p, gnutls_priority_t *prio, struct tlsh_error *err)
{
	memset(p, 0, sizeof *p);
	if (tlsh_plan_config(&gtls_rules, role, config, &p->p, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	const struct tlsh_config *c = &p->p.c;

	/* ALPN: GnuTLS's limits. */
	for (size_t i = 0; i < c->inner_protocols_len; i++)
		if (c->inner_protocols[i].len > GTLS_ALPN_MAX_LEN)
			return tlsh_config_fail(
			        err,
			        "ALPN protocol %zu has length %zu: GnuTLS 3.7 takes "
			        "names of at most %d bytes",
			        i, c->inner_protocols[i].len, GTLS_ALPN_MAX_LEN);
	if (c->inner_protocols_len > GTLS_ALPN_MAX_NAMES)
		return tlsh_config_fail(err, "%zu ALPN protocols: GnuTLS 3.7 takes at most %d",
		                        c->inner_protocols_len, GTLS_ALPN_MAX_NAMES);

	/* Ciphers: unknown ids are ignored; each version that stays
	 * negotiable needs at least one known suite. */
	if (c->ciphers != NULL) {
		int has12 = 0, has13 = 0;
		for (size_t i = 0; i < c->ciphers_len; i++) {
			const struct gtls_suite *s = gtls_suite_by_id(c->ciphers[i]);
			if (s == NULL || !s->usable)
				continue;
			if (s->tls13)
				has13 = 1;
			else
				has12 = 1;
		}
		if (tlsh_plan_ciphers(&p->p, has12, has13, err) != TLSH_OK)
			return TLSH_CONFIGURATION_ERROR;
	}
	p->tls12 = p->p.lowest == TLSH_TLS_1_2;
	p->tls13 = p->p.highest == TLSH_TLS_1_3;
	return gtls_prio_make(p, prio, err);
}

static int gtls_validate_config(const struct tlsh_implementation *self, enum tlsh_role role,
                                const struct tlsh_config *config, struct tlsh_error *err)
{
	struct gtls_plan p;
	(void)self;
	if (gtls_plan_config(role, config, &p, NULL, err) != TLSH_OK)
		return TLSH_CONFIGURATION_ERROR;
	tlsh_error_ok(err);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading certificates and keys                                            */
/* ------------------------------------------------------------------------ */

/** The bytes of a BUFFER or PATH source; `owned` says whether data must be
 * released with gnutls_free. */
struct gtls_blob {
	gnutls_datum_t d;
	int owned;
};

static int gtls_blob_get(const struct tlsh_source *s, struct gtls_blob *b)
{
	memset(b, 0, sizeof *b);
	if (s->kind == TLSH_SOURCE_BUFFER) {
		b->d.data = (unsigned char *)(uintptr_t)s->data;
		b->d.size = (unsigned)s->len;
		return 1;
	}
	if (gnutls_load_file(s->path, &b->d) < 0)
		return 0;
	b->owned = 1;
	return 1;
}

static void gtls_blob_free(struct gtls_blob *b)
{
	if (b->owned)
		gnutls_free(b->d.data);
	memset(b, 0, sizeof *b);
}

/** PEM or DER, as tlsh.h defines it (tlsh_is_pem). */
static gnutls_x509_crt_fmt_t gtls_format(const gnutls_datum_t *d)
{
	return tlsh_is_pem(d->data, d->size) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
}

/** A growable list of certificates. */
struct gtls_certs {
	gnutls_x509_crt_t *v;
	unsigned n, cap;
};

static void gtls_certs_free(struct gtls_certs *l)
{
	for (unsigned i = 0; i < l->n; i++)
		gnutls_x509_crt_deinit(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int gtls_certs_push(struct gtls_certs *l, gnutls_x509_crt_t c)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 4;
		gnutls_x509_crt_t *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return 0;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = c;
	return 1;
}

/** Appends every certificate of `s` to `l` (PEM: all of them, DER: one).
 * Returns 1 if at least one was read and nothing was malformed. */
static int gtls_load_certs(const struct tlsh_source *s, struct gtls_certs *l)
{
	struct gtls_blob b;
	int ok = 0;
	if (!gtls_blob_get(s, &b))
		return 0;
	if (gtls_format(&b.d) == GNUTLS_X509_FMT_DER) {
		gnutls_x509_crt_t c = NULL;
		ok = gnutls_x509_crt_init(&c) == 0 &&
		     gnutls_x509_crt_import(c, &b.d, GNUTLS_X509_FMT_DER) == 0 &&
		     gtls_certs_push(l, c);
		if (!ok && c != NULL)
			gnutls_x509_crt_deinit(c);
	} else {
		gnutls_x509_crt_t *list = NULL;
		unsigned n = 0;
		if (gnutls_x509_crt_list_import2(&list, &n, &b.d, GNUTLS_X509_FMT_PEM, 0) == 0) {
			ok = n > 0;
			for (unsigned i = 0; i < n; i++) {
				if (ok && gtls_certs_push(l, list[i]))
					continue;
				ok = 0;
				gnutls_x509_crt_deinit(list[i]);
			}
			gnutls_free(list);
		}
	}
	gtls_blob_free(&b);
	return ok;
}

/** Reads an unencrypted private key (PEM or DER, PKCS#8 or traditional). */
static gnutls_x509_privkey_t gtls_load_key(const struct tlsh_source *s)
{
	struct gtls_blob b;
	gnutls_x509_privkey_t k = NULL;
	if (!gtls_blob_get(s, &b))
		return NULL;
	if (gnutls_x509_privkey_init(&k) != 0 ||
	    gnutls_x509_privkey_import2(k, &b.d, gtls_format(&b.d), NULL, GNUTLS_PKCS_PLAIN) != 0) {
		if (k != NULL)
			gnutls_x509_privkey_deinit(k);
		k = NULL;
	}
	gtls_blob_free(&b);
	return k;
}

/** Adds chain `ch` (leaf, key, intermediates) to the credentials. GnuTLS
 * checks that the key matches the leaf. */
static int gtls_use_chain(gnutls_certificate_credentials_t cred,
                          const struct tlsh_signing_chain *ch, size_t idx, struct tlsh_error *err)
{
	struct gtls_certs l = {0};
	gnutls_x509_privkey_t key = NULL;
	int st = TLSH_CONFIGURATION_ERROR;
	/* A PEM leaf source may carry intermediates after the leaf; they and
	 * the explicit ones follow the leaf in order. */
	if (!gtls_load_certs(&ch->leaf, &l)) {
		tlsh_config_fail(err, "chain %zu: cannot load the leaf certificate", idx);
		goto out;
	}
	for (size_t j = 0; j < ch->chain_len; j++) {
		if (!gtls_load_certs(&ch->chain[j], &l)) {
			tlsh_config_fail(err, "chain %zu: cannot load intermediate %zu", idx, j);
			goto out;
		}
	}
	key = gtls_load_key(&ch->key);
	if (key == NULL) {
		tlsh_config_fail(err, "chain %zu: cannot load the private key", idx);
		goto out;
	}
	int r = gnutls_certificate_set_x509_key(cred, l.v, l.n, key);
	if (r < 0) {
		tlsh_config_fail(err, "chain %zu: %s", idx, gnutls_strerror(r));
		goto out;
	}
	st = TLSH_OK;
out:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	gtls_certs_free(&l);
	return st;
}

/** Installs the trust store: BUFFER and PATH (a PEM or DER file, or a
 * directory of PEM files), SYSTEM or NONE (the system store). */
static int gtls_use_trust(gnutls_certificate_credentials_t cred, const struct tlsh_source *ts,
                          struct tlsh_error *err)
{
	struct stat sb;
	int r;
	if (ts == NULL || ts->kind == TLSH_SOURCE_NONE || ts->kind == TLSH_SOURCE_SYSTEM) {
		r = gnutls_certificate_set_x509_system_trust(cred);
		if (r < 0)
			return tlsh_config_fail(err, "cannot load the system trust store: %s",
			                        gnutls_strerror(r));
		return TLSH_OK;
	}
	if (ts->kind == TLSH_SOURCE_PATH && stat(ts->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		r = gnutls_certificate_set_x509_trust_dir(cred, ts->path, GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return tlsh_config_fail(
			        err, "no trusted certificate in directory %.100s%s%s", ts->path,
			        r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		return TLSH_OK;
	}
	struct gtls_blob b;
	if (!gtls_blob_get(ts, &b))
		return tlsh_config_fail(err, "cannot read the trust store %.100s",
		                        ts->kind == TLSH_SOURCE_PATH ? ts->path : "buffer");
	r = gnutls_certificate_set_x509_trust_mem(cred, &b.d, gtls_format(&b.d));
	gtls_blob_free(&b);
	if (r <= 0)
		return tlsh_config_fail(err, "no trusted certificate in the trust store%s%s",
		                        r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */
/* ------------------------------------------------------------------------ */

static void gtls_context_free(tlsh_context *tc)
{
	if (tc == NULL)
		return;
	if (tc->cred != NULL)
		gnutls_certificate_free_credentials(tc->cred);
	if (tc->prio != NULL)
		gnutls_priority_deinit(tc->prio);
	for (unsigned i = 0; i < tc->nalpn; i++)
		free(tc->alpn[i].data);
	free(tc->alpn);
	free(tc);
}

static int gtls_context_new(const struct tlsh_implementation *self, enum tlsh_role role,
                            const struct tlsh_config *config, tlsh_context **out,
                            struct tlsh_error *err)
{
	struct gtls_plan p;
	struct tlsh_context *tc = NULL;
	(void)self;
	if (out == NULL)
		return tlsh_config_fail(err, "no place to store the context");
	*out = NULL;
	tc = calloc(1, sizeof *tc);
	if (tc == NULL)
		return tlsh_config_fail(err, "out of memory");
	if (gtls_plan_config(role, config, &p, &tc->prio, err) != TLSH_OK)
		goto fail;
	const struct tlsh_config *c = &p.p.c;
	tc->role = role;
	tc->verify_peer = role == TLSH_ROLE_CLIENT && p.p.verify_peer;
	tc->check_name = p.p.check_name;

	if (c->inner_protocols_len > 0) {
		tc->alpn = calloc(c->inner_protocols_len, sizeof *tc->alpn);
		if (tc->alpn == NULL) {
			tlsh_config_fail(err, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < c->inner_protocols_len; i++) {
			const struct tlsh_bytes *pr = &c->inner_protocols[i];
			tc->alpn[i].data = malloc(pr->len);
			if (tc->alpn[i].data == NULL) {
				tlsh_config_fail(err, "out of memory");
				goto fail;
			}
			memcpy(tc->alpn[i].data, pr->data, pr->len);
			tc->alpn[i].size = (unsigned)pr->len;
			tc->nalpn++;
		}
	}

	int r = gnutls_certificate_allocate_credentials(&tc->cred);
	if (r < 0) {
		tlsh_config_fail(err, "cannot allocate credentials: %s", gnutls_strerror(r));
		goto fail;
	}
	tc->client_auth = role == TLSH_ROLE_SERVER && p.p.verify_peer;
	if ((role == TLSH_ROLE_CLIENT || tc->client_auth) &&
	    gtls_use_trust(tc->cred, c->trust_store, err) != TLSH_OK)
		goto fail;
	for (size_t i = 0; i < c->certificate_chains_len; i++)
		if (gtls_use_chain(tc->cred, &c->certificate_chains[i], i, err) != TLSH_OK)
			goto fail;
	*out = tc;
	tlsh_error_ok(err);
	return TLSH_OK;
fail:
	gtls_context_free(tc);
	return TLSH_CONFIGURATION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Transport callbacks                                                      */
/* ------------------------------------------------------------------------ */

static ssize_t gtls_push(gnutls_transport_ptr_t ptr, const void *data, size_t n)
{
	struct tlsh_buffer *b = ptr;
	if (!tlsh_queue_append(&b->out, data, n)) {
		gnutls_transport_set_errno(b->s, ENOMEM);
		return -1;
	}
	return (ssize_t)n;
}

static ssize_t gtls_pull(gnutls_transport_ptr_t ptr, void *data, size_t cap)
{
	struct tlsh_buffer *b = ptr;
	if (tlsh_queue_length(&b->in) > 0)
		return (ssize_t)tlsh_queue_take(&b->in, data, cap);
	if (b->st.eof)
		return 0;
	gnutls_transport_set_errno(b->s, EAGAIN);
	return -1;
}

/** Never waits: bytes or the EOF are there or they are not; the pull
 * callback then says which (EAGAIN, data or 0). */
static int gtls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	(void)ptr;
	(void)ms;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Certificate verification                                                 */
/* ------------------------------------------------------------------------ */

/** Does the peer's leaf name b->id (RFC 9525: its subjectAltName dNSName
 * and iPAddress entries, never the subject CN, which GnuTLS's own host check
 * falls back to when the leaf has no dNSName)? */
static int gtls_leaf_names(struct tlsh_buffer *b)
{
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(b->s, &n);
	gnutls_x509_crt_t crt = NULL;
	int found = 0;
	if (peers == NULL || n == 0 || gnutls_x509_crt_init(&crt) != 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0) {
		for (unsigned seq = 0; !found; seq++) {
			char name[512];
			size_t size = sizeof name;
			int r = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &size, NULL);
			if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
				continue; /* a long name of some type: look at the next */
			if (r < 0)
				break;
			if (r == GNUTLS_SAN_DNSNAME)
				found = tlsh_identity_match(&b->id, TLSH_SAN_DNS, name, size);
			else if (r == GNUTLS_SAN_IPADDRESS)
				found = tlsh_identity_match(&b->id, TLSH_SAN_IP, name, size);
		}
	}
	gnutls_x509_crt_deinit(crt);
	return found;
}

/** Session verify callback: chain and key purpose by GnuTLS, then (client)
 * the identity by the shared RFC 9525 matcher; a mismatch is the status
 * GnuTLS's own host check gives (INVALID | UNEXPECTED_OWNER). */
static int gtls_verify(gnutls_session_t s)
{
	struct tlsh_buffer *b = gnutls_session_get_ptr(s);
	gnutls_typed_vdata_st data;
	unsigned status = 0;
	int client = b->tc->role == TLSH_ROLE_CLIENT;
	memset(&data, 0, sizeof data);
	data.type = GNUTLS_DT_KEY_PURPOSE_OID;
	data.data = (unsigned char *)(client ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT);
	int r = gnutls_certificate_verify_peers(s, &data, 1, &status);
	if (r < 0)
		return r;
	if (status == 0 && b->id.kind != TLSH_IDENTITY_NONE && !gtls_leaf_names(b))
		status = GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER;
	b->vdone = 1;
	b->vstatus = status;
	return status == 0 ? 0 : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Buffers                                                                  */
/* ------------------------------------------------------------------------ */

static void gtls_buffer_free(tlsh_buffer *b)
{
	if (b == NULL)
		return;
	if (b->s != NULL)
		gnutls_deinit(b->s);
	tlsh_queue_free(&b->in);
	tlsh_queue_free(&b->out);
	free(b);
}

static int gtls_buffer_new(tlsh_context *tc, const char *server_hostname, tlsh_buffer **out,
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

	int client = tc->role == TLSH_ROLE_CLIENT;
	unsigned flags = (client ? GNUTLS_CLIENT | GNUTLS_FORCE_CLIENT_CERT : GNUTLS_SERVER) |
	                 GNUTLS_NONBLOCK;
	int r = gnutls_init(&b->s, flags);
	if (r < 0) {
		b->s = NULL;
		gtls_buffer_free(b);
		return tlsh_config_fail(err, "gnutls_init: %s", gnutls_strerror(r));
	}
	const char *what = "gnutls_priority_set";
	r = gnutls_priority_set(b->s, tc->prio);
	if (r >= 0) {
		what = "gnutls_credentials_set";
		r = gnutls_credentials_set(b->s, GNUTLS_CRD_CERTIFICATE, tc->cred);
	}
	gnutls_session_set_ptr(b->s, b);
	gnutls_transport_set_ptr(b->s, b);
	gnutls_transport_set_push_function(b->s, gtls_push);
	gnutls_transport_set_pull_function(b->s, gtls_pull);
	gnutls_transport_set_pull_timeout_function(b->s, gtls_pull_timeout);
	gnutls_handshake_set_timeout(b->s, 0);
	if (r >= 0 && tc->nalpn > 0) {
		/* RFC 7301 3.2: the server picks by its own preference and
		 * fails with no_application_protocol when nothing overlaps. */
		what = "gnutls_alpn_set_protocols";
		r = gnutls_alpn_set_protocols(
		        b->s, tc->alpn, tc->nalpn,
		        client ? 0 : GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE);
	}
	if (r >= 0 && !client && tc->client_auth) {
		gnutls_certificate_server_set_request(b->s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_function(b->s, gtls_verify);
	}
	if (r >= 0 && client) {
		/* SNI as tlsh.h says: none for an address, no trailing dot. */
		char sni[256];
		int st = tlsh_client_name(server_hostname, tc->check_name, &b->id, sni, err);
		if (st != TLSH_OK) {
			gtls_buffer_free(b);
			return st;
		}
		if (sni[0] != '\0') {
			what = "gnutls_server_name_set";
			r = gnutls_server_name_set(b->s, GNUTLS_NAME_DNS, sni, strlen(sni));
		}
		if (tc->verify_peer)
			gnutls_session_set_verify_function(b->s, gtls_verify);
	}
	if (r < 0) {
		gtls_buffer_free(b);
		return tlsh_config_fail(err, "%s: %s", what, gnutls_strerror(r));
	}
	tlsh_error_ok(err);
	*out = b;
	return TLSH_OK;
}

/** Whether the last GnuTLS call consumed incoming bytes; `left` is the
 * queue length before it and is updated. */
static int gtls_progress(const struct tlsh_buffer *b, size_t *left)
{
	size_t now = tlsh_queue_length(&b->in);
	int moved = now < *left;
	*left = now;
	return moved;
}

/** Runs the handshake until it completes, needs bytes, or fails. */
static int gtls_handshake(struct tlsh_buffer *b)
{
	int again = 0;
	size_t left = tlsh_queue_length(&b->in);
	for (int idle = 0; idle < GTLS_RETRIES;) {
		int r = gnutls_handshake(b->s);
		idle = gtls_progress(b, &left) ? 0 : idle + 1;
		if (r == 0) {
			b->hs_done = 1;
			return TLSH_OK;
		}
		/* GnuTLS may stop after a record with more bytes (or the EOF)
		 * still to read: go on. A second GNUTLS_E_AGAIN at the EOF
		 * means the transport ended inside a record. */
		if (r == GNUTLS_E_AGAIN &&
		    (tlsh_queue_length(&b->in) > 0 || (b->st.eof && !again++)))
			continue;
		if (r == GNUTLS_E_AGAIN && b->st.eof)
			return gtls_fatal(b, GNUTLS_E_PREMATURE_TERMINATION, "handshake failed");
		if (r == GNUTLS_E_AGAIN)
			return gnutls_record_get_direction(b->s) ? TLSH_WANT_WRITE : TLSH_WANT_READ;
		if (r == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			int a = (int)gnutls_alert_get(b->s);
			if (a == GNUTLS_A_CLOSE_NOTIFY) {
				b->st.failed = 1;
				return tlsh_state_fail(
				        &b->st, TLSH_TLS_ERROR,
				        "close_notify before the handshake completed");
			}
			if (b->st.alert_received == TLSH_NO_ALERT)
				b->st.alert_received = a;
			continue;
		}
		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_GOT_APPLICATION_DATA)
			continue;
		if (gnutls_error_is_fatal(r))
			return gtls_fatal(b, r, "handshake failed");
	}
	return gtls_fatal(b, GNUTLS_E_INTERNAL_ERROR, "handshake made no progress");
}

static int gtls_do_handshake(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->hs_done)
		return TLSH_OK;
	return gtls_handshake(b);
}

/** Marks the clean end: the peer's close_notify arrived. Whatever follows
 * it is never processed (RFC 8446 section 6.1), so it is dropped. */
static int gtls_mark_closed(struct tlsh_buffer *b)
{
	tlsh_queue_consume(&b->in, tlsh_queue_length(&b->in));
	return tlsh_state_closed(&b->st);
}

/** One gnutls_record_recv with the statuses of read: OK with *n bytes,
 * CLOSED, RAGGED_EOF, WANT_READ or TLS_ERROR. */
static int gtls_recv(struct tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int again = 0;
	size_t left = tlsh_queue_length(&b->in);
	*n = 0;
	for (int idle = 0; idle < GTLS_RETRIES;) {
		ssize_t r = gnutls_record_recv(b->s, dst, cap);
		idle = gtls_progress(b, &left) ? 0 : idle + 1;
		if (r > 0) {
			*n = (size_t)r;
			return TLSH_OK;
		}
		if (r == 0)
			return gtls_mark_closed(b);
		/* gnutls_record_recv also returns GNUTLS_E_AGAIN after it
		 * processed a post-handshake message (a TLS 1.3
		 * NewSessionTicket) although more records may be buffered:
		 * call again while bytes or the EOF are there to read. */
		if (r == GNUTLS_E_AGAIN &&
		    (tlsh_queue_length(&b->in) > 0 || (b->st.eof && !again++)))
			continue;
		if (r == GNUTLS_E_AGAIN && !b->st.eof)
			return TLSH_WANT_READ;
		/* After process_incoming_eof GnuTLS reports the end of the
		 * transport as GNUTLS_E_PREMATURE_TERMINATION, or (inside a
		 * record it has partly read) as GNUTLS_E_AGAIN: both are a
		 * truncation without close_notify. */
		if (b->st.eof && (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_AGAIN)) {
			return tlsh_state_ragged(&b->st, "transport EOF without close_notify%s",
			                         r == GNUTLS_E_AGAIN ? " (inside a record)" : "");
		}
		if (r == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			int a = (int)gnutls_alert_get(b->s);
			if (b->st.alert_received == TLSH_NO_ALERT && a != GNUTLS_A_CLOSE_NOTIFY)
				b->st.alert_received = a;
			continue;
		}
		if (r == GNUTLS_E_REHANDSHAKE) {
			/* TLS 1.2 HelloRequest: renegotiation is not offered. */
			gnutls_alert_send(b->s, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal((int)r))
			continue;
		return gtls_fatal(b, (int)r, "read failed");
	}
	if (b->st.eof) { /* nothing more can arrive: never WANT_READ now */
		return tlsh_state_ragged(&b->st, "transport EOF without close_notify");
	}
	return TLSH_WANT_READ;
}

static int gtls_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = tlsh_state_read(&b->st, n);
	if (st != TLSH_PROCEED)
		return st;
	if (!b->hs_done && (st = gtls_handshake(b)) != TLSH_OK)
		return st;
	if (cap == 0) /* nothing to copy: report whether plaintext waits */
		return gnutls_record_check_pending(b->s) > 0 ? TLSH_OK : TLSH_WANT_READ;
	return gtls_recv(b, dst, cap, n);
}

static int gtls_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	*n = 0;
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (b->shut_sent)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "write after shutdown (close_notify sent)");
	if (!b->hs_done) {
		int st = gtls_handshake(b);
		if (st != TLSH_OK)
			return st;
	}
	if (len == 0)
		return TLSH_OK;
	for (int i = 0; i < GTLS_RETRIES; i++) {
		ssize_t r = gnutls_record_send(b->s, src, len);
		if (r >= 0) {
			*n = (size_t)r;
			return TLSH_OK;
		}
		if (r == GNUTLS_E_AGAIN)
			return gnutls_record_get_direction(b->s) ? TLSH_WANT_WRITE : TLSH_WANT_READ;
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		return gtls_fatal(b, (int)r, "write failed");
	}
	return TLSH_WANT_WRITE;
}

static int gtls_shutdown(tlsh_buffer *b)
{
	if (b->st.failed)
		return tlsh_state_dead(&b->st);
	if (!b->hs_done)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "shutdown before the handshake completed");
	if (!b->shut_sent) {
		/* GNUTLS_SHUT_WR only queues close_notify: with GNUTLS_SHUT_RDWR
		 * gnutls_bye would also count a transport EOF as the peer's
		 * close_notify. */
		int r = gnutls_bye(b->s, GNUTLS_SHUT_WR);
		if (r == GNUTLS_E_AGAIN)
			return TLSH_WANT_WRITE;
		if (r < 0)
			return gtls_fatal(b, r, "shutdown failed");
		b->shut_sent = 1;
	}
	/* Wait for the peer's close_notify. We closed our side, so the
	 * application data that comes first is discarded (RFC 8446 6.1). */
	while (!b->st.closed && !b->st.ragged) {
		uint8_t sink[4096];
		size_t k = 0;
		int st = gtls_recv(b, sink, sizeof sink, &k);
		if (st == TLSH_OK)
			continue;
		if (st == TLSH_CLOSED)
			break;
		if (st == TLSH_RAGGED_EOF)
			return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
			                       "shutdown: transport EOF without close_notify");
		return st;
	}
	if (b->st.ragged)
		return tlsh_state_fail(&b->st, TLSH_TLS_ERROR,
		                       "shutdown: transport EOF without close_notify");
	return TLSH_OK;
}

static int gtls_process_incoming(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	return tlsh_state_store(&b->st, &b->in, 0, data, len, GTLS_INCOMING_CAP);
}

static int gtls_process_incoming_eof(tlsh_buffer *b)
{
	b->st.eof = 1;
	return TLSH_OK;
}

static int gtls_process_outgoing(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	*n = cap > 0 ? tlsh_queue_take(&b->out, dst, cap) : 0;
	return TLSH_OK;
}

static size_t gtls_incoming_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->in);
}

static size_t gtls_outgoing_bytes_buffered(tlsh_buffer *b)
{
	return tlsh_queue_length(&b->out);
}

/** The negotiated suite's IANA id. gnutls_ciphersuite_get() gives the
 * IANA-style name, which is not the name gnutls_cipher_suite_info() lists,
 * so the suite is found by its parts: cipher and MAC for TLS 1.3, and the key
 * exchange too for TLS 1.2. */
static uint16_t gtls_cipher(tlsh_buffer *b)
{
	if (!b->hs_done)
		return 0;
	int tls13 = gnutls_protocol_get_version(b->s) == GNUTLS_TLS1_3;
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(b->s);
	gnutls_mac_algorithm_t mac = gnutls_mac_get(b->s);
	gnutls_kx_algorithm_t kx = gnutls_kx_get(b->s);
	for (size_t i = 0; i < gtls_nsuites; i++) {
		const struct gtls_suite *s = &gtls_suites[i];
		if (s->tls13 == tls13 && s->cipher == cipher && s->mac == mac &&
		    (tls13 || s->kx == kx))
			return s->id;
	}
	return 0;
}

static int gtls_negotiated_protocol(tlsh_buffer *b, const uint8_t **proto, size_t *len)
{
	gnutls_datum_t d = {NULL, 0};
	*proto = NULL;
	*len = 0;
	if (!b->hs_done || gnutls_alpn_get_selected_protocol(b->s, &d) != 0 || d.data == NULL ||
	    d.size == 0)
		return 0;
	*proto = d.data;
	*len = d.size;
	return 1;
}

static enum tlsh_version gtls_negotiated_tls_version(tlsh_buffer *b)
{
	if (!b->hs_done)
		return TLSH_VERSION_NONE;
	switch (gnutls_protocol_get_version(b->s)) {
	case GNUTLS_TLS1_2:
		return TLSH_TLS_1_2;
	case GNUTLS_TLS1_3:
		return TLSH_TLS_1_3;
	default:
		return TLSH_VERSION_NONE;
	}
}

static int gtls_getpeercert(tlsh_buffer *b, const uint8_t **der, size_t *len)
{
	unsigned n = 0;
	const gnutls_datum_t *peers = b->hs_done ? gnutls_certificate_get_peers(b->s, &n) : NULL;
	*der = NULL;
	*len = 0;
	if (peers == NULL || n == 0 || peers[0].data == NULL || peers[0].size == 0)
		return 0;
	*der = peers[0].data;
	*len = peers[0].size;
	return 1;
}

static void gtls_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	*err = b->st.last;
}

/** The session's keylog function: GnuTLS calls it with each secret as it
 * derives it (TLS 1.3 traffic secrets as it switches keys, the TLS 1.2
 * master secret as "CLIENT_RANDOM" once computed), before the records they
 * protect are written or read; the client random is the session's. */
static int gtls_keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	struct tlsh_buffer *b = gnutls_session_get_ptr(s);
	gnutls_datum_t client, server;
	if (b == NULL || b->secret_cb == NULL || label == NULL || secret == NULL ||
	    secret->data == NULL || secret->size == 0 || secret->size > TLSH_KEYLOG_SECRET_MAX)
		return 0;
	gnutls_session_get_random(s, &client, &server);
	if (client.data == NULL || client.size != 32)
		return 0;
	b->secret_cb(b->secret_arg, label, client.data, secret->data, secret->size);
	return 0;
}

static int gtls_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	b->secret_cb = cb;
	b->secret_arg = cb != NULL ? arg : NULL;
	/* Installed for good (it does nothing without a receiver): this
	 * replaces GnuTLS's default, which writes $SSLKEYLOGFILE. */
	gnutls_session_set_keylog_function(b->s, gtls_keylog);
	return TLSH_OK;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

static struct tlsh_implementation gtls_impl = {
        .abi_version = TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "gnutls",
        .library_version = NULL, /* "GnuTLS " gnutls_check_version(), set by gtls_init */
        .capabilities = TLSH_CAP_TLS12 | TLSH_CAP_TLS13 | TLSH_CAP_CLIENT_AUTH |
                        TLSH_CAP_CIPHERS_TLS12 | TLSH_CAP_CIPHERS_TLS13 | TLSH_CAP_ALPN |
                        TLSH_CAP_SNI_CHAINS | TLSH_CAP_PEERCERT | TLSH_CAP_TRANSPORT_EOF |
                        TLSH_CAP_SOURCE_PATH | TLSH_CAP_SOURCE_BUFFER | TLSH_CAP_INSECURE |
                        TLSH_CAP_RSA | TLSH_CAP_ECDSA | TLSH_CAP_SHUTDOWN | TLSH_CAP_EXPORT_SECRETS,
        .validate_config = gtls_validate_config,
        .context_new = gtls_context_new,
        .context_free = gtls_context_free,
        .buffer_new = gtls_buffer_new,
        .buffer_free = gtls_buffer_free,
        .do_handshake = gtls_do_handshake,
        .read = gtls_read,
        .write = gtls_write,
        .shutdown = gtls_shutdown,
        .process_incoming = gtls_process_incoming,
        .process_incoming_eof = gtls_process_incoming_eof,
        .process_outgoing = gtls_process_outgoing,
        .incoming_bytes_buffered = gtls_incoming_bytes_buffered,
        .outgoing_bytes_buffered = gtls_outgoing_bytes_buffered,
        .cipher = gtls_cipher,
        .negotiated_protocol = gtls_negotiated_protocol,
        .negotiated_tls_version = gtls_negotiated_tls_version,
        .getpeercert = gtls_getpeercert,
        .last_error = gtls_last_error,
        .set_secret_callback = gtls_set_secret_callback,
};

/** The entry point (TLSH_ENTRY_SYMBOL): the only exported symbol. */
__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg);

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	pthread_once(&gtls_once, gtls_init);
	if (!gtls_init_ok) {
		fprintf(stderr, "tlsh-gnutls: GnuTLS 3.7.3 or later is needed (found %s)\n",
		        gnutls_check_version(NULL));
		return NULL;
	}
	return &gtls_impl;
}
