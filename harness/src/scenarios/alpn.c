/* alpn family: inner_protocols (ALPN, RFC 7301).
 *
 * Handshake cases run under TLS 1.2 and TLS 1.3 (both sides pinned). The
 * server selects, by its own preference order (RFC 7301 section 3.2; the
 * descriptor's adapters are built that way); a server configured with
 * protocols that shares none with the client fails with
 * no_application_protocol(120). Names are arbitrary bytes, 1..255 long; an
 * empty or longer name is a CONFIGURATION_ERROR (solo cases).
 *
 * Besides scen_check_established (both sides agree; the ClientHello's list
 * equals the client's configured list, or is absent), the TLS 1.2 cases check
 * the ServerHello's ALPN extension on the wire (in TLS 1.3 it travels in the
 * encrypted EncryptedExtensions). */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static const struct {
	const char *tag;
	enum tlsh_version v;
	uint64_t cap;
} vers[] = {
        {"tls12", TLSH_TLS_1_2, TLSH_CAP_TLS12},
        {"tls13", TLSH_TLS_1_3, TLSH_CAP_TLS13},
};

#define VER(s) (vers[(s)->def->p[0]].v)

/* Printable rendering of a protocol name (bytes outside 0x21..0x7e as \xNN,
 * long names shortened). */
static const char *show(const uint8_t *p, size_t n, char *dst, size_t cap)
{
	size_t o = 0;
	dst[0] = '\0';
	if (!p)
		return fmt_into(dst, cap, "none");
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		if (n > 40 && i == 16) {
			o += (size_t)snprintf(dst + o, cap - o, "...(%zu bytes)...", n);
			i = n - 8;
		}
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			dst[o++] = (char)p[i];
		else
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", p[i]);
		dst[o] = '\0';
	}
	return dst;
}

static void pinned_pair(struct scen *s, struct cfgb *c, struct cfgb *v)
{
	cfg_std_client(c, "rsa");
	cfg_versions(c, VER(s), VER(s));
	cfg_std_server(v, "rsa");
	cfg_versions(v, VER(s), VER(s));
}

/* The client's configured list in wire form equals the ClientHello's. */
static int ch_list_is(const struct wire *w, const struct cfgb *b)
{
	uint8_t enc[4096];
	size_t n = 0;
	for (size_t i = 0; i < b->cfg.inner_protocols_len; i++) {
		enc[n++] = (uint8_t)b->cfg.inner_protocols[i].len;
		memcpy(enc + n, b->cfg.inner_protocols[i].data, b->cfg.inner_protocols[i].len);
		n += b->cfg.inner_protocols[i].len;
	}
	return w->ch.has_alpn && w->ch.alpn_len == n && memcmp(w->ch.alpn, enc, n) == 0;
}

/* Runs the handshake and checks it succeeds with protocol `want` (NULL:
 * none) on both sides, and in TLS 1.2 in the ServerHello. */
static void expect_protocol(struct scen *s, const struct cfgb *c, const struct cfgb *v,
                            const uint8_t *want, size_t wantlen)
{
	char a[200], b[200];
	if (scen_open_ok(s, c, v, TEST_HOST))
		return;
	enum hs_result r = scen_handshake(s);
	EXPECT(s, r == HS_OK, "handshake: %s (client %s, server %s)", hs_result_name(r),
	       status_name(s->client_status), status_name(s->server_status));
	if (scen_check_established(s, c, v, TEST_HOST))
		return;
	EXPECT(s, ep_version(&s->client) == VER(s),
	       "negotiated TLS %s with both sides pinned to %s", vname(ep_version(&s->client)),
	       vname(VER(s)));
	struct endpoint *eps[2] = {&s->client, &s->server};
	for (int i = 0; i < 2; i++) {
		const uint8_t *p;
		size_t n;
		int has = ep_alpn(eps[i], &p, &n);
		EXPECT(s,
		       has == (want != NULL) && (!has || (n == wantlen && memcmp(p, want, n) == 0)),
		       "%s negotiated_protocol is %s, expected %s", eps[i]->label,
		       show(has ? p : NULL, n, a, sizeof a), show(want, wantlen, b, sizeof b));
	}
	const struct wire *w = scen_wire(s);
	if (w->version == 0x0303) {
		EXPECT(s, w->sh.has_alpn == (want != NULL),
		       "the TLS 1.2 ServerHello %s an ALPN extension; expected %s",
		       w->sh.has_alpn ? "carries" : "carries no", show(want, wantlen, b, sizeof b));
		EXPECT(s,
		       !want || (w->sh.alpn_len == wantlen &&
		                 memcmp(w->sh.alpn, want, wantlen) == 0),
		       "the TLS 1.2 ServerHello selects %s, the API reports %s",
		       show(w->sh.alpn, w->sh.alpn_len, a, sizeof a),
		       show(want, wantlen, b, sizeof b));
	}
	scen_observe(s, "TLS %s, protocol %s", vname(VER(s)), show(want, wantlen, b, sizeof b));
}

#define S(x) ((const uint8_t *)(x)), (sizeof(x) - 1)

/* ---- cases ---------------------------------------------------------------- */

static void run_overlap(struct scen *s)
{
	scen_expect(s, "client {h2, http/1.1}, server {http/1.1}: both report http/1.1");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&c, "h2", "http/1.1", NULL);
	cfg_alpn(&v, "http/1.1", NULL);
	expect_protocol(s, &c, &v, S("http/1.1"));
}

static void run_server_preference(struct scen *s)
{
	scen_expect(s, "client {http/1.1, h2}, server {h2, http/1.1}: the server selects by its "
	               "own preference: both report h2");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&c, "http/1.1", "h2", NULL);
	cfg_alpn(&v, "h2", "http/1.1", NULL);
	expect_protocol(s, &c, &v, S("h2"));
}

static void run_server_unconfigured(struct scen *s)
{
	scen_expect(s, "client {h2, http/1.1}, server without ALPN: handshake succeeds, no "
	               "protocol on either side (TLS 1.2: no ALPN extension in the ServerHello)");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&c, "h2", "http/1.1", NULL);
	expect_protocol(s, &c, &v, NULL, 0);
}

static void run_client_unconfigured(struct scen *s)
{
	scen_expect(s, "client without ALPN, server {h2, http/1.1}: handshake succeeds, no "
	               "protocol on either side, no ALPN extension in the ClientHello");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&v, "h2", "http/1.1", NULL);
	expect_protocol(s, &c, &v, NULL, 0);
	if (!scen_failed(s))
		EXPECT(s, !scen_wire(s)->ch.has_alpn,
		       "the ClientHello carries ALPN although the client configured none");
}

static void run_no_overlap(struct scen *s)
{
	scen_expect(s, "client {h2}, server {spdy/3}: the server fails the handshake with "
	               "no_application_protocol(120); the client fails too");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&c, "h2", NULL);
	cfg_alpn(&v, "spdy/3", NULL);
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	enum hs_result r = scen_handshake(s);
	const struct wire *w = scen_wire(s);
	EXPECT(s, w->ch.present && ch_list_is(w, &c),
	       "the ClientHello's ALPN list is %s the configured {h2}",
	       w->ch.has_alpn ? "not" : "absent, not");
	const uint8_t *cp;
	size_t cl;
	char a[200];
	EXPECT(s, r != HS_OK,
	       "handshake completed (client protocol %s) although the protocol lists share "
	       "nothing",
	       show(ep_alpn(&s->client, &cp, &cl) ? cp : NULL, cl, a, sizeof a));
	EXPECT(s, r != HS_STALLED, "handshake stalled (client %s, server %s)",
	       status_name(s->client_status), status_name(s->server_status));
	EXPECT(s, r == HS_SERVER_FAILED && s->server_status == TLSH_TLS_ERROR,
	       "the client failed first (%s) instead of the server; server %s",
	       s->client.err.message, status_name(s->server_status));
	EXPECT(s, !s->client.handshake_done || s->client_status == TLSH_TLS_ERROR,
	       "the client completed its handshake and did not fail on the server's alert "
	       "(client %s)",
	       status_name(s->client_status));
	int server_alerted =
	        s->server.err.alert_sent != TLSH_NO_ALERT || oracle_first_alert(w, 1) >= 0;
	if (s->client_status != TLSH_TLS_ERROR) {
		EXPECT(s, !server_alerted,
		       "the server sent an alert but the client did not fail (client %s)",
		       status_name(s->client_status));
		scen_loose(s, "the server failed without an alert; the client is left waiting (%s)",
		           status_name(s->client_status));
	}
	scen_check_alert(s, TLSH_ROLE_SERVER, 120);
	scen_observe(s, "server: %s%s", s->server.err.message,
	             w->sh.present ? "; a ServerHello was sent before the alert" : "");
}

/* Raw names: p[1] selects one of these. */
enum raw_kind { RAW_255, RAW_NUL, RAW_FF };

static void run_raw(struct scen *s)
{
	enum raw_kind k = (enum raw_kind)s->def->p[1];
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	uint8_t name[255];
	size_t len = 0;
	switch (k) {
	case RAW_255:
		for (size_t i = 0; i < sizeof name; i++)
			name[i] = (uint8_t)('a' + (i * 7) % 26);
		len = sizeof name;
		scen_expect(s, "client {h2, <255-byte name>}, server {<255-byte name>, h2}: both "
		               "report the 255-byte name exactly");
		cfg_alpn(&c, "h2", NULL);
		cfg_alpn_raw(&c, name, len);
		cfg_alpn_raw(&v, name, len);
		cfg_alpn(&v, "h2", NULL);
		break;
	case RAW_NUL:
		memcpy(name, "h2\0x", 4);
		len = 4;
		scen_expect(s, "client {h2, \"h2\\x00x\"}, server {\"h2\\x00x\"}: both report the "
		               "4-byte \"h2\\x00x\" (not truncated at the NUL)");
		cfg_alpn(&c, "h2", NULL);
		cfg_alpn_raw(&c, name, len);
		cfg_alpn_raw(&v, name, len);
		break;
	case RAW_FF: {
		static const uint8_t ff[] = {0xff, 0x00, 0x80, 0x7f, 0xff};
		memcpy(name, ff, sizeof ff);
		len = sizeof ff;
		scen_expect(s, "client {\\xff, \\xff\\x00\\x80\\x7f\\xff}, server "
		               "{\\xff\\x00\\x80\\x7f\\xff}: both report the 5-byte name exactly");
		cfg_alpn_raw(&c, ff, 1);
		cfg_alpn_raw(&c, name, len);
		cfg_alpn_raw(&v, name, len);
		break;
	}
	}
	expect_protocol(s, &c, &v, name, len);
}

static void run_long_list(struct scen *s)
{
	scen_expect(s, "client offers 8 protocols, server {imap, h2}: the ClientHello carries "
	               "all 8 in order; both report imap (server preference)");
	struct cfgb c, v;
	pinned_pair(s, &c, &v);
	cfg_alpn(&c, "h2", "http/1.1", "spdy/3", "stun.turn", "webrtc", "c-webrtc", "ftp", "imap",
	         NULL);
	cfg_alpn(&v, "imap", "h2", NULL);
	expect_protocol(s, &c, &v, S("imap"));
	if (!scen_failed(s))
		EXPECT(s, ch_list_is(scen_wire(s), &c),
		       "the ClientHello's ALPN list differs from the 8 configured protocols");
}

/* ---- invalid names (solo) ------------------------------------------------ */

enum bad_kind { BAD_EMPTY, BAD_256 };

static void run_invalid(struct scen *s)
{
	enum bad_kind k = (enum bad_kind)s->def->p[1];
	enum tlsh_role role = (enum tlsh_role)s->def->solo;
	const struct impl_handle *ih = role == TLSH_ROLE_CLIENT ? s->cimpl : s->simpl;
	struct endpoint *e = role == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	struct cfgb b;
	if (role == TLSH_ROLE_CLIENT)
		cfg_std_client(&b, "rsa");
	else
		cfg_std_server(&b, "rsa");
	cfg_alpn(&b, "h2", NULL);
	if (k == BAD_EMPTY) {
		cfg_alpn_raw(&b, (const uint8_t *)"", 0);
	} else {
		uint8_t big[256];
		memset(big, 'p', sizeof big);
		cfg_alpn_raw(&b, big, sizeof big);
	}
	scen_expect(s,
	            "%s config with ALPN {h2, <%s>}: validate_config returns CONFIGURATION_ERROR "
	            "and context_new refuses it",
	            e->label, k == BAD_EMPTY ? "empty name" : "256-byte name");
	struct tlsh_error err;
	int st = ep_validate(ih, role, &b.cfg, &err);
	if (st != TLSH_CONFIGURATION_ERROR) {
		e->err = err;
		scen_fail(s, "validate_config returned %s", status_name(st));
		return;
	}
	char vmsg[256];
	fmt_into(vmsg, sizeof vmsg, "%s", err.message);
	st = ep_open(e, ih, role, &b.cfg, role == TLSH_ROLE_CLIENT ? TEST_HOST : NULL);
	int ctx_made = e->ctx != NULL;
	ep_close(e);
	EXPECT(s, st == TLSH_CONFIGURATION_ERROR && !ctx_made, "validate_config refused it but %s",
	       st == TLSH_OK ? "context_new and buffer_new accepted it"
	                     : "context_new accepted it (buffer_new refused it)");
	scen_observe(s, "validate_config: %s; context_new: %s", vmsg, e->err.message);
}

/* ---- registration ------------------------------------------------------ */

static void add_hs(const char *kase, size_t vi, const char *spec, const char *title, uint64_t nc,
                   uint64_t ns, void (*run)(struct scen *), intptr_t p1)
{
	struct scen_def d = {.family = "alpn", .spec = spec, .title = title, .run = run};
	snprintf(d.id, sizeof d.id, "alpn/%s/%s", kase, vers[vi].tag);
	snprintf(d.params, sizeof d.params, "%s", vers[vi].tag);
	d.need_client = TLSH_CAP_RSA | vers[vi].cap | nc;
	d.need_server = TLSH_CAP_RSA | vers[vi].cap | ns;
	d.p[0] = (intptr_t)vi;
	d.p[1] = p1;
	scen_add(&d);
}

void family_alpn(void)
{
	const uint64_t A = TLSH_CAP_ALPN;
	for (size_t vi = 0; vi < sizeof vers / sizeof vers[0]; vi++) {
		add_hs("overlap", vi, "RFC 7301 section 3.2",
		       "overlapping lists: both sides report the common protocol", A, A,
		       run_overlap, 0);
		add_hs("server-preference", vi, "RFC 7301 section 3.2 (the server selects)",
		       "the server's preference order decides", A, A, run_server_preference, 0);
		add_hs("no-overlap", vi, "RFC 7301 section 3.2 (no_application_protocol)",
		       "disjoint lists: the server fails with no_application_protocol(120)", A, A,
		       run_no_overlap, 0);
		add_hs("server-not-configured", vi, "RFC 7301 section 3.1",
		       "server without ALPN: success, no protocol, no ALPN in the ServerHello", A,
		       0, run_server_unconfigured, 0);
		add_hs("client-not-configured", vi, "RFC 7301 section 3.1",
		       "client without ALPN: success, no protocol, no ALPN in the ClientHello", 0,
		       A, run_client_unconfigured, 0);
		add_hs("raw/255-byte-name", vi, "RFC 7301 section 3.1 (names are 1..255 bytes)",
		       "a 255-byte protocol name is negotiated exactly", A, A, run_raw, RAW_255);
		add_hs("raw/nul-byte", vi, "RFC 7301 section 3.1 (names are opaque bytes)",
		       "a name containing a NUL byte is negotiated exactly", A, A, run_raw,
		       RAW_NUL);
		add_hs("raw/ff-bytes", vi, "RFC 7301 section 3.1 (names are opaque bytes)",
		       "a name of 0xFF/0x00/0x80 bytes is negotiated exactly", A, A, run_raw,
		       RAW_FF);
		add_hs("long-list", vi, "RFC 7301 section 3.1",
		       "8 offered protocols: the wire list equals the configured list", A, A,
		       run_long_list, 0);
	}
	static const struct {
		const char *tag;
		enum bad_kind k;
	} bad[] = {{"empty-name", BAD_EMPTY}, {"256-byte-name", BAD_256}};
	for (size_t i = 0; i < 2; i++) {
		for (int role = TLSH_ROLE_CLIENT; role <= TLSH_ROLE_SERVER; role++) {
			const char *rn = role == TLSH_ROLE_CLIENT ? "client" : "server";
			struct scen_def d = {
			        .family = "alpn",
			        .spec = "RFC 7301 section 3.1; descriptor: validate_config "
			                "(names must be 1..255 bytes)",
			        .title = "an invalid protocol name gives "
			                 "CONFIGURATION_ERROR",
			        .solo = role,
			        .run = run_invalid,
			        .p = {0, bad[i].k}};
			if (role == TLSH_ROLE_CLIENT)
				d.need_client = TLSH_CAP_RSA | A;
			else
				d.need_server = TLSH_CAP_RSA | A;
			snprintf(d.id, sizeof d.id, "alpn/invalid/%s/%s", bad[i].tag, rn);
			snprintf(d.params, sizeof d.params, "%s", rn);
			scen_add(&d);
		}
	}
}
