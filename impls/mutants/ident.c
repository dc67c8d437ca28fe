/* ident.c - see ident.h. */
#include "ident.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static ident_match_fn matcher;
int ident_refuse_null = 1;
/* wrap.c's own context_free / buffer_free (they keep its role table). */
static void (*prev_context_free)(tlsh_context *);
static void (*prev_buffer_free)(tlsh_buffer *);

static const char *drop_dot(const char *host, char *buf, size_t cap)
{
	size_t n = strlen(host);
	if (n < 2 || host[n - 1] != '.' || n >= cap)
		return host;
	memcpy(buf, host, n - 1);
	buf[n - 1] = '\0';
	return buf;
}

const char *(*ident_base_host)(const char *host, char *buf, size_t cap) = drop_dot;

/* ---- the RFC 9525 matcher -------------------------------------------------- */

size_t ident_ip_parse(const char *host, unsigned char out[16])
{
	if (inet_pton(AF_INET, host, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, out) == 1)
		return 16;
	return 0;
}

int ident_label_eq_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* A wildcard only as the complete left-most label, followed by at least
 * two labels, standing for exactly one non-empty label of host. */
int ident_dns_match(const char *pat, size_t plen, const char *host,
                    int (*label_eq)(const char *a, const char *b, size_t n))
{
	size_t hlen = strlen(host);
	if (plen && pat[plen - 1] == '.')
		plen--;
	if (!plen || memchr(pat, '\0', plen))
		return 0;
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		const char *rest = pat + 1; /* ".example.com" */
		size_t rlen = plen - 1;
		if (memchr(rest, '*', rlen) || !memchr(rest + 1, '.', rlen - 1))
			return 0;
		const char *dot = strchr(host, '.');
		if (!dot || dot == host)
			return 0;
		size_t tail = hlen - (size_t)(dot - host);
		return tail == rlen && label_eq(dot, rest, rlen);
	}
	if (memchr(pat, '*', plen))
		return 0;
	return hlen == plen && label_eq(pat, host, plen);
}

int ident_ip_match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	size_t n = ident_ip_parse(host, ip);
	for (size_t i = 0; n && i < c->n_ip; i++)
		if (c->ip_len[i] == n && memcmp(c->ip[i], ip, n) == 0)
			return 1;
	return 0;
}

int ident_rfc_match(const char *host, const struct der_cert_ids *c)
{
	unsigned char ip[16];
	if (ident_ip_parse(host, ip))
		return ident_ip_match(host, c);
	for (size_t i = 0; i < c->n_dns; i++)
		if (ident_dns_match(c->dns[i], c->dns_len[i], host, ident_label_eq_nocase))
			return 1;
	return 0;
}

/* ---- per-context and per-buffer state ---------------------------------------- */

#define IDENT_MAX 256

static struct {
	const void *p;
	uint32_t insecure; /* contexts: the configuration's flags */
	char *host;        /* buffers: the name to check, NULL: none */
	int checked, failed;
	/* The server's plaintext records as they arrive, until its TLS 1.2
	 * Certificate is found (leaf) or encryption starts (done). */
	uint8_t *seen;
	size_t seen_len;
	uint8_t *leaf;
	size_t leaf_len;
	int done;
} tab[IDENT_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int slot(const void *p, int make)
{
	int free_slot = -1;
	for (int i = 0; i < IDENT_MAX; i++) {
		if (tab[i].p == p)
			return i;
		if (!tab[i].p && free_slot < 0)
			free_slot = i;
	}
	if (!make || free_slot < 0)
		return -1;
	memset(&tab[free_slot], 0, sizeof tab[free_slot]);
	tab[free_slot].p = p;
	return free_slot;
}

static void drop(const void *p)
{
	pthread_mutex_lock(&lock);
	int i = slot(p, 0);
	if (i >= 0) {
		free(tab[i].host);
		free(tab[i].seen);
		free(tab[i].leaf);
		memset(&tab[i], 0, sizeof tab[i]);
	}
	pthread_mutex_unlock(&lock);
}

/* ---- the frame ------------------------------------------------------------------ */

static void set_error(struct tlsh_error *err, const char *msg)
{
	if (!err)
		return;
	err->status = TLSH_CONFIGURATION_ERROR;
	err->alert_sent = err->alert_received = TLSH_NO_ALERT;
	snprintf(err->message, sizeof err->message, "%s", msg);
}

static int f_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	if (!cfg || role != TLSH_ROLE_CLIENT)
		return mw_context_new(role, cfg, out, err);
	struct tlsh_config c = *cfg;
	c.insecure |= TLSH_INSECURE_NO_HOSTNAME_CHECK;
	int st = mw_context_new(role, &c, out, err);
	if (st == TLSH_OK && *out) {
		pthread_mutex_lock(&lock);
		int i = slot(*out, 1);
		if (i >= 0)
			tab[i].insecure = cfg->insecure;
		pthread_mutex_unlock(&lock);
	}
	return st;
}

static void f_context_free(tlsh_context *ctx)
{
	drop(ctx);
	prev_context_free(ctx);
}

static int f_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out,
                        struct tlsh_error *err)
{
	pthread_mutex_lock(&lock);
	int ci = slot(ctx, 0);
	int client = ci >= 0;
	uint32_t insecure = client ? tab[ci].insecure : 0;
	pthread_mutex_unlock(&lock);
	if (!client)
		return mw_buffer_new(ctx, host, out, err);
	int no_name = insecure & (TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK);
	if (!host && ((!no_name && ident_refuse_null) || ident_refuse_null == 2)) {
		*out = NULL;
		set_error(err, "mutant frame: a NULL server_hostname needs an insecure flag");
		return TLSH_CONFIGURATION_ERROR;
	}
	char buf[300];
	const char *given = host ? ident_base_host(host, buf, sizeof buf) : NULL;
	int st = mw_buffer_new(ctx, given, out, err);
	if (st == TLSH_OK && *out) {
		pthread_mutex_lock(&lock);
		int bi = slot(*out, 1);
		if (bi >= 0 && host && !no_name) {
			char tmp[300];
			tab[bi].host = strdup(drop_dot(host, tmp, sizeof tmp));
		}
		pthread_mutex_unlock(&lock);
	}
	return st;
}

static void f_buffer_free(tlsh_buffer *b)
{
	drop(b);
	prev_buffer_free(b);
}

static size_t be(const uint8_t *p, int k)
{
	size_t v = 0;
	for (int i = 0; i < k; i++)
		v = v << 8 | p[i];
	return v;
}

/* Looks for the first certificate of a plaintext (TLS 1.2) Certificate in
 * what the server sent so far; stops at the first record that is not a
 * handshake record (ChangeCipherSpec, encrypted data). Slot locked. */
static void scan_leaf(int i)
{
	const uint8_t *p = tab[i].seen;
	size_t n = tab[i].seen_len, off = 0, hl = 0;
	uint8_t hs[65536];
	while (off + 5 <= n) {
		size_t len = be(p + off + 3, 2);
		if (off + 5 + len > n)
			break;
		if (p[off] != 22) {
			tab[i].done = 1;
			break;
		}
		if (hl + len > sizeof hs) {
			tab[i].done = 1;
			return;
		}
		memcpy(hs + hl, p + off + 5, len);
		hl += len;
		off += 5 + len;
	}
	for (size_t m = 0; m + 4 <= hl;) {
		size_t len = be(hs + m + 1, 3);
		if (m + 4 + len > hl)
			break;
		if (hs[m] == 11 && len >= 6) {
			size_t list = be(hs + m + 4, 3), first = be(hs + m + 7, 3);
			if (list + 3 <= len && first + 3 <= list && first) {
				tab[i].leaf = malloc(first);
				if (tab[i].leaf) {
					memcpy(tab[i].leaf, hs + m + 10, first);
					tab[i].leaf_len = first;
				}
			}
			tab[i].done = 1;
			return;
		}
		m += 4 + len;
	}
}

static int f_in(tlsh_buffer *b, const uint8_t *data, size_t len)
{
	pthread_mutex_lock(&lock);
	int i = slot(b, 0);
	if (i >= 0 && tab[i].host && !tab[i].done && tab[i].seen_len + len <= 262144) {
		uint8_t *g = realloc(tab[i].seen, tab[i].seen_len + len);
		if (g) {
			memcpy(g + tab[i].seen_len, data, len);
			tab[i].seen = g;
			tab[i].seen_len += len;
			scan_leaf(i);
		}
	}
	pthread_mutex_unlock(&lock);
	return base->process_incoming(b, data, len);
}

/* After a call on a client buffer: as soon as the server's leaf is known
 * (its TLS 1.2 Certificate on the wire, else getpeercert once the base
 * completed), match the name once. A mismatch fails the buffer and takes
 * back what the base queued in that call (its next flight, its Finished),
 * as a client that rejects the certificate would never have sent it.
 * Returns the status the caller sees. */
static int judge(tlsh_buffer *b, int st)
{
	pthread_mutex_lock(&lock);
	int i = slot(b, 0);
	if (i < 0) {
		pthread_mutex_unlock(&lock);
		return st;
	}
	if (tab[i].failed) {
		pthread_mutex_unlock(&lock);
		return TLSH_TLS_ERROR;
	}
	int live = st == TLSH_OK || st == TLSH_WANT_READ || st == TLSH_WANT_WRITE;
	int todo = tab[i].host && !tab[i].checked && live &&
	           (tab[i].leaf || base->negotiated_tls_version(b) != TLSH_VERSION_NONE);
	char *host = todo ? strdup(tab[i].host) : NULL;
	uint8_t *wire = NULL;
	size_t wire_len = tab[i].leaf_len;
	if (todo && tab[i].leaf) {
		wire = malloc(wire_len);
		if (wire)
			memcpy(wire, tab[i].leaf, wire_len);
	}
	if (todo)
		tab[i].checked = 1;
	pthread_mutex_unlock(&lock);
	if (!todo)
		return st;
	const uint8_t *der = wire;
	size_t len = wire_len;
	struct der_cert_ids c;
	int have = wire != NULL || (base->getpeercert && base->getpeercert(b, &der, &len));
	int ok = have && der_cert_ids(der, len, &c) == 0 && matcher(host, &c);
	free(host);
	free(wire);
	if (ok)
		return st;
	uint8_t sink[4096];
	size_t k = 0;
	while (base->process_outgoing(b, sink, sizeof sink, &k) == TLSH_OK && k)
		k = 0;
	pthread_mutex_lock(&lock);
	i = slot(b, 0);
	if (i >= 0)
		tab[i].failed = 1;
	pthread_mutex_unlock(&lock);
	return TLSH_TLS_ERROR;
}

static int f_handshake(tlsh_buffer *b)
{
	return judge(b, base->do_handshake(b));
}

static int f_read(tlsh_buffer *b, uint8_t *dst, size_t cap, size_t *n)
{
	int st = base->read(b, dst, cap, n);
	int j = judge(b, st);
	if (j != st)
		*n = 0;
	return j;
}

static int f_write(tlsh_buffer *b, const uint8_t *src, size_t len, size_t *n)
{
	int st = judge(b, TLSH_OK);
	if (st != TLSH_OK) {
		*n = 0;
		return st;
	}
	return judge(b, base->write(b, src, len, n));
}

static void f_last_error(tlsh_buffer *b, struct tlsh_error *err)
{
	base->last_error(b, err);
	pthread_mutex_lock(&lock);
	int i = slot(b, 0);
	int failed = i >= 0 && tab[i].failed;
	pthread_mutex_unlock(&lock);
	if (failed && err->status != TLSH_TLS_ERROR) {
		err->status = TLSH_TLS_ERROR;
		snprintf(err->message, sizeof err->message,
		         "mutant frame: the server certificate does not name the host");
	}
}

void ident_install(struct tlsh_implementation *d, ident_match_fn match)
{
	matcher = match;
	prev_context_free = d->context_free;
	prev_buffer_free = d->buffer_free;
	d->context_new = f_context_new;
	d->context_free = f_context_free;
	d->buffer_new = f_buffer_new;
	d->buffer_free = f_buffer_free;
	d->do_handshake = f_handshake;
	d->process_incoming = f_in;
	d->read = f_read;
	d->write = f_write;
	d->last_error = f_last_error;
}
