/* test_catalog.c - the catalog as data: every row expands into well-formed
 * instances with unique ids, capabilities are derived from the rows, and the
 * check idiom (ENSURE/GUARD/FAIL) records the first failure and propagates
 * it. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "t.h"

static const struct scen_def *find(const char *id)
{
	size_t n;
	const struct scen_def *d = scen_all(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i].id, id))
			return &d[i];
	return NULL;
}

static void test_expansion(void)
{
	size_t n;
	const struct scen_def *d = scen_all(&n);
	OK(n >= 179,
	   "the catalog expands into %zu instances (at least the 179 of the four "
	   "original families)",
	   n);
	int bad_id = 0, dup = 0, no_text = 0, bad_run = 0;
	for (size_t i = 0; i < n; i++) {
		bad_id |= strchr(d[i].id, '{') != NULL || strchr(d[i].id, '}') != NULL ||
		          strncmp(d[i].id, d[i].family, strlen(d[i].family)) != 0;
		no_text |= !d[i].spec || !*d[i].spec || !d[i].title || !*d[i].title;
		bad_run |= d[i].run != interp_run || !d[i].row;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(d[i].id, d[k].id);
	}
	OK(!bad_id, "every expanded id is placeholder-free and starts with its family");
	OK(!no_text, "every instance has a spec reference and a title");
	OK(!bad_run, "every instance runs through the one interpreter");
	OK(!dup, "expanded ids are unique");
	size_t again;
	OK(scen_all(&again) == d && again == n, "expansion happens once");
	OK(catalog_nfamilies >= 4, "%zu families listed", catalog_nfamilies);
}

static void test_axes(void)
{
	const struct scen_def *a = find("handshake/trust/good-chain/ecdsa/tls13");
	OK(a && a->kt == KT_ECDSA && a->ver == TLSH_TLS_1_3,
	   "kt and ver axes set the instance's key type and version");
	OK(a && a->clo == TLSH_TLS_1_3 && a->chi == TLSH_TLS_1_3 && a->slo == TLSH_TLS_1_3 &&
	           a->shi == TLSH_TLS_1_3,
	   "a version axis bounds both sides");
	const struct scen_def *r = find("version-bounding/range/c=MIN-1.2/s=1.3-MAX");
	OK(r && r->clo == TLSH_VERSION_MINIMUM_SUPPORTED && r->chi == TLSH_TLS_1_2 &&
	           r->slo == TLSH_TLS_1_3 && r->shi == TLSH_VERSION_MAXIMUM_SUPPORTED,
	   "range axes set each side's bounds");
	const struct scen_def *t = find("handshake/transfer/16KiB+1/s2c/tls12");
	OK(t && t->size == 16385 && t->dir == S2C, "size and direction axes");
	const struct scen_def *p = find("ragged-eof/handshake/client-after-half-flight/tls13");
	OK(p && p->eof_to == ROLE_BIT(TLSH_ROLE_CLIENT) && p->p == 3,
	   "a two-dimension axis sets the EOF side and the point");
	const struct scen_def *s = find("alpn/invalid/256-byte-name/server");
	OK(s && s->solo == TLSH_ROLE_SERVER, "a solo row's role axis picks the side");
	const struct scen_def *b = find("handshake/bounds/read/cap5/server/tls12");
	OK(b && b->rcap == 5 && b->ocap == 0 && b->role == TLSH_ROLE_SERVER,
	   "a capacity axis and a role axis set the bounded call and its side");
	b = find("handshake/bounds/outgoing/pending-less-one/client/tls13");
	OK(b && b->ocap == (size_t)CAP_LESS_ONE && b->rcap == 0 && b->role == TLSH_ROLE_CLIENT,
	   "one byte less than pending is a capacity of its own");
	const struct scen_def *n = find("handshake/identity/null-host/refused");
	OK(n && n->solo == TLSH_ROLE_CLIENT && n->row->outcome == OUT_BUFFER_REFUSED &&
	           scen_row_host(n) == NULL,
	   "a fixed role makes a solo row; HOST_NONE is a NULL server_hostname");
	const struct scen_def *sh = find("ragged-eof/shutdown/server-first/tls13");
	OK(sh && sh->role == TLSH_ROLE_SERVER, "a row's fixed role is the instance's role");
	const struct scen_def *c = find("handshake/contexts/after-failure/server/tls12");
	OK(c && c->row->conns.n == 2 && c->row->conns.fail_first && c->role == TLSH_ROLE_SERVER,
	   "several connections with a failing first one, on the row's side");
}

static void test_caps(void)
{
	const struct scen_def *d = find("handshake/peercert/client-leaf/rsa");
	OK(d && d->need_client == (TLSH_CAP_RSA | TLSH_CAP_CLIENT_AUTH) &&
	           d->need_server == (TLSH_CAP_RSA | TLSH_CAP_CLIENT_AUTH | TLSH_CAP_PEERCERT),
	   "client chain, server trust store and getpeercert give CLIENT_AUTH and PEERCERT");
	d = find("handshake/cipher/restrict-tls13/rsa");
	OK(d && d->need_client == (TLSH_CAP_RSA | TLSH_CAP_TLS13 | TLSH_CAP_CIPHERS_TLS13) &&
	           d->need_server == (TLSH_CAP_RSA | TLSH_CAP_TLS13),
	   "a 1.3 cipher list needs CIPHERS_TLS13; the unbound server needs the client's version");
	d = find("ragged-eof/close-notify-then-eof/to-client/tls12");
	OK(d && (d->need_client & TLSH_CAP_TRANSPORT_EOF) &&
	           !(d->need_client & TLSH_CAP_SHUTDOWN) && (d->need_server & TLSH_CAP_SHUTDOWN) &&
	           !(d->need_server & TLSH_CAP_TRANSPORT_EOF),
	   "transport EOF and shutdown caps go to the side the row names");
	d = find("version-bounding/invalid/min-above-max/client");
	OK(d && d->need_client == TLSH_CAP_RSA && d->need_server == 0,
	   "an invalid range needs no version capability; a solo row needs nothing of the peer");
	d = find("version-bounding/range/c=MIN-MAX/s=1.3-MAX");
	OK(d && d->need_client == (TLSH_CAP_RSA | TLSH_CAP_TLS12) &&
	           d->need_server == (TLSH_CAP_RSA | TLSH_CAP_TLS13),
	   "a handshake range from MIN needs TLS 1.2; one naming 1.3 needs TLS 1.3");
	d = find("alpn/server-not-configured/tls12");
	OK(d && (d->need_client & TLSH_CAP_ALPN) && !(d->need_server & TLSH_CAP_ALPN),
	   "ALPN is needed only by a side that configures it");
	d = find("handshake/client-auth/trust-path/tls12");
	OK(d && (d->need_server & TLSH_CAP_SOURCE_PATH) && !(d->need_client & TLSH_CAP_SOURCE_PATH),
	   "a server trust store given as a path needs SOURCE_PATH of the server");
	d = find("handshake/identity/null-host/refused");
	OK(d && d->need_client == TLSH_CAP_RSA && d->need_server == 0,
	   "a solo buffer_new row needs no version and nothing of the peer");
	d = find("handshake/cipher/restrict-tls13-server/rsa");
	OK(d && (d->need_server & TLSH_CAP_CIPHERS_TLS13) &&
	           !(d->need_client & TLSH_CAP_CIPHERS_TLS13),
	   "a server's 1.3 cipher list needs CIPHERS_TLS13 of the server only");
	d = find("handshake/identity/null-host/unknown-ca/ecdsa/tls12");
	OK(d && (d->need_client & TLSH_CAP_INSECURE) && (d->need_client & TLSH_CAP_ECDSA),
	   "NO_HOSTNAME_CHECK needs INSECURE");
	d = find("handshake/sni/no-match-first-chain");
	OK(d && (d->need_client & TLSH_CAP_INSECURE) && (d->need_server & TLSH_CAP_SNI_CHAINS),
	   "insecure flags and a second chain give INSECURE and SNI_CHAINS");
}

/* ---- the check idiom --------------------------------------------------------- */

static int reached;

static MUST_CHECK check_t inner(struct scen *s, int fail)
{
	ENSURE(s, !fail, "inner failed with %d", fail);
	return CHECK_OK;
}

static MUST_CHECK check_t outer(struct scen *s, int fail)
{
	GUARD(inner(s, fail));
	reached = 1;
	FAIL(s, "second failure");
}

static void test_idiom(void)
{
	struct scen s;
	memset(&s, 0, sizeof s);
	reached = 0;
	check_t r = outer(&s, 1);
	OK(IS_FAILED(r) && s.verdict == V_FAIL && !reached,
	   "GUARD returns a failed ENSURE without running on");
	OK(!strcmp(s.observed, "inner failed with 1"), "the first failure's text is kept: '%s'",
	   s.observed);
	r = outer(&s, 0);
	OK(IS_FAILED(r) && reached && !strcmp(s.observed, "inner failed with 1"),
	   "a later FAIL does not overwrite the first");
	memset(&s, 0, sizeof s);
	r = inner(&s, 0);
	OK(!IS_FAILED(r) && s.verdict == V_PASS, "a passing check records nothing");
}

int main(void)
{
	test_expansion();
	test_axes();
	test_caps();
	test_idiom();
	return t_done();
}
