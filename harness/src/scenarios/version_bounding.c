/* version-bounding family: lowest/highest_supported_version on each side.
 *
 * - range: every client range x server range over {1.2-1.2, 1.2-1.3, 1.3-1.3,
 *   MIN-MAX, MIN-1.2, 1.3-MAX}: the highest common version is negotiated and
 *   reported by both sides and the ServerHello, the ClientHello offers
 *   exactly the client's range, and the downgrade sentinel is set exactly
 *   when a server that could do TLS 1.3 settles for 1.2; without a common
 *   version the handshake fails with protocol_version(70).
 * - downgrade-sentinel: the RFC 8446 section 4.1.3 cases by name, and a
 *   client that must detect a downgrade the harness forces.
 * - invalid / valid: validate_config and context_new on one side alone.
 *
 * MINIMUM_SUPPORTED is TLS 1.2 (adapters never go lower); MAXIMUM_SUPPORTED
 * is TLS 1.3 for a backend declaring TLSH_CAP_TLS13, else 1.2. A range that
 * names TLS 1.3 needs TLSH_CAP_TLS13 (UNSUPPORTED without it). */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define MIN_V TLSH_VERSION_MINIMUM_SUPPORTED
#define MAX_V TLSH_VERSION_MAXIMUM_SUPPORTED

struct vrange {
	const char *tag;
	enum tlsh_version lo, hi;
};

static const struct vrange ranges[] = {
        {"1.2-1.2", TLSH_TLS_1_2, TLSH_TLS_1_2}, {"1.2-1.3", TLSH_TLS_1_2, TLSH_TLS_1_3},
        {"1.3-1.3", TLSH_TLS_1_3, TLSH_TLS_1_3}, {"MIN-MAX", MIN_V, MAX_V},
        {"MIN-1.2", MIN_V, TLSH_TLS_1_2},        {"1.3-MAX", TLSH_TLS_1_3, MAX_V},
};
#define NRANGES (sizeof ranges / sizeof ranges[0])

/* Capabilities a range needs: TLS 1.3 when it names 1.3, TLS 1.2 when its
 * lower end is 1.2 or MINIMUM_SUPPORTED. */
static uint64_t range_needs(const struct vrange *r)
{
	uint64_t need = TLSH_CAP_RSA;
	if (r->lo == TLSH_TLS_1_3 || r->hi == TLSH_TLS_1_3)
		need |= TLSH_CAP_TLS13;
	if (r->lo == TLSH_TLS_1_2 || r->lo == MIN_V)
		need |= TLSH_CAP_TLS12;
	return need;
}

/* The versions a range allows on a backend: bit 0 TLS 1.2, bit 1 TLS 1.3. */
#define B12 1u
#define B13 2u

static unsigned range_set(const struct vrange *r, int has13)
{
	unsigned lo = r->lo == TLSH_TLS_1_3 ? B13 : B12;
	unsigned hi = r->hi == TLSH_TLS_1_2 ? B12 : r->hi == TLSH_TLS_1_3 ? B13 : has13 ? B13 : B12;
	unsigned set = 0;
	for (unsigned b = lo; b <= hi; b <<= 1)
		set |= b;
	return set;
}

static uint16_t set_lo(unsigned set)
{
	return set & B12 ? 0x0303 : 0x0304;
}

static uint16_t set_hi(unsigned set)
{
	return set & B13 ? 0x0304 : 0x0303;
}

static const char *set_name(unsigned set)
{
	switch (set) {
	case B12:
		return "{1.2}";
	case B13:
		return "{1.3}";
	case B12 | B13:
		return "{1.2, 1.3}";
	}
	return "{}";
}

static void range_pair(struct cfgb *c, struct cfgb *v, const struct vrange *cr,
                       const struct vrange *sr)
{
	cfg_std_client(c, "rsa");
	cfg_versions(c, cr->lo, cr->hi);
	cfg_std_server(v, "rsa");
	cfg_versions(v, sr->lo, sr->hi);
}

/* Checks a handshake that must succeed with version `want` (wire value). */
static int check_success(struct scen *s, const struct cfgb *c, const struct cfgb *v,
                         enum hs_result r, uint16_t want, unsigned sset)
{
	if (r != HS_OK)
		return scen_fail(s, "handshake: %s (client %s, server %s); expected TLS %s",
		                 hs_result_name(r), status_name(s->client_status),
		                 status_name(s->server_status), want == 0x0304 ? "1.3" : "1.2"),
		       -1;
	if (scen_check_established(s, c, v, TEST_HOST))
		return -1;
	enum tlsh_version got = ep_version(&s->client);
	if ((uint16_t)got != want)
		return scen_fail(s,
		                 "negotiated TLS %s (both sides and the ServerHello), expected %s",
		                 vname(got), want == 0x0304 ? "1.3" : "1.2"),
		       -1;
	/* RFC 8446 section 4.1.3: a server able to do TLS 1.3 that negotiates
	 * TLS 1.2 ends ServerHello.random with DOWNGRD\x01; otherwise the
	 * random is random. */
	const struct wire *w = scen_wire(s);
	int want_sentinel = want == 0x0303 && (sset & B13);
	int sentinel = oracle_downgrade_sentinel(w);
	if (sentinel != want_sentinel)
		return scen_fail(
		               s,
		               "ServerHello.random %s the TLS 1.2 downgrade sentinel; expected %s "
		               "(negotiated %s, server range %s)",
		               sentinel ? "ends with" : "does not end with",
		               want_sentinel ? "it" : "none", want == 0x0304 ? "1.3" : "1.2",
		               set_name(sset)),
		       -1;
	return 0;
}

/* ---- range x range ------------------------------------------------------ */

static void run_range(struct scen *s)
{
	const struct vrange *cr = &ranges[s->def->p[0]], *sr = &ranges[s->def->p[1]];
	int c13 = scen_has_cap(s, TLSH_ROLE_CLIENT, TLSH_CAP_TLS13);
	int s13 = scen_has_cap(s, TLSH_ROLE_SERVER, TLSH_CAP_TLS13);
	unsigned cset = range_set(cr, c13), sset = range_set(sr, s13), common = cset & sset;
	uint16_t want = common & B13 ? 0x0304 : common & B12 ? 0x0303 : 0;
	/* No common version: a server that reads supported_versions (any TLS
	 * 1.3 implementation, RFC 8446 section 4.2.1) rejects the offer; a
	 * 1.2-only server picks 1.2 and the client rejects the ServerHello. */
	enum tlsh_role sender =
	        (cset == B13 && sset == B12 && !s13) ? TLSH_ROLE_CLIENT : TLSH_ROLE_SERVER;
	struct cfgb c, v;
	range_pair(&c, &v, cr, sr);
	if (want)
		scen_expect(s,
		            "client %s x server %s: TLS %s, reported by both sides and the "
		            "ServerHello; ClientHello offers exactly %s; downgrade sentinel %s",
		            set_name(cset), set_name(sset), want == 0x0304 ? "1.3" : "1.2",
		            set_name(cset), want == 0x0303 && (sset & B13) ? "present" : "absent");
	else
		scen_expect(s,
		            "client %s x server %s: no common version: both fail, the %s sends "
		            "protocol_version(70)%s; ClientHello offers exactly %s",
		            set_name(cset), set_name(sset),
		            sender == TLSH_ROLE_SERVER ? "server" : "client",
		            cset == B13 && sset == B12
		                    ? " (or the 1.2 server handshake_failure(40), RFC 5246 7.4.1.3)"
		                    : "",
		            set_name(cset));
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	enum hs_result r = scen_handshake(s);
	const struct wire *w = scen_wire(s);
	char why[256];
	if (wire_offers_range(&w->ch, set_lo(cset), set_hi(cset), why, sizeof why) != 0) {
		scen_fail(s, "%s", why);
		return;
	}
	if (want) {
		if (check_success(s, &c, &v, r, want, sset) == 0)
			scen_observe(s, "TLS %s%s", vname(ep_version(&s->client)),
			             oracle_downgrade_sentinel(scen_wire(s)) ? ", sentinel" : "");
		return;
	}
	EXPECT(s, r != HS_OK,
	       "handshake completed with TLS %s although the ranges %s and %s do not meet",
	       vname(ep_version(&s->client)), set_name(cset), set_name(sset));
	EXPECT(s, r != HS_STALLED, "handshake stalled (client %s, server %s): nobody failed",
	       status_name(s->client_status), status_name(s->server_status));
	EXPECT(s, !s->client.handshake_done && !s->server.handshake_done,
	       "the %s reports a completed handshake although the ranges do not meet",
	       s->client.handshake_done ? "client" : "server");
	/* A ServerHello, if one was sent, selects a version of the server's
	 * range, and the client must not accept one outside its own. */
	if (w->sh.present) {
		unsigned wb = w->version == 0x0304 ? B13 : w->version == 0x0303 ? B12 : 0;
		EXPECT(s, wb & sset, "the server selected 0x%04x, outside its range %s", w->version,
		       set_name(sset));
		EXPECT(s, (wb & cset) || s->client_status == TLSH_TLS_ERROR,
		       "the server selected 0x%04x, outside the client's range %s, and the client "
		       "did not fail (%s)",
		       w->version, set_name(cset), status_name(s->client_status));
	}
	if (cset == B13 && sset == B12) {
		/* A server limited to TLS 1.2 facing a TLS 1.3-only client may
		 * refuse the offer after reading supported_versions (RFC 8446
		 * section 4.2.1: protocol_version), or process the hello as TLS 1.2
		 * and find none of the client's suites, which are TLS 1.3 suites
		 * only (RFC 5246 section 7.4.1.3: handshake_failure); or it picks
		 * 1.2 and the client refuses the ServerHello (protocol_version). */
		if (!scen_alert_seen(s, TLSH_ROLE_SERVER, 70) &&
		    !scen_alert_seen(s, TLSH_ROLE_SERVER, 40) &&
		    !scen_alert_seen(s, TLSH_ROLE_CLIENT, 70))
			scen_loose(
			        s,
			        "expected protocol_version(70) or handshake_failure(40) from the "
			        "server, or protocol_version(70) from the client; server sent %s, "
			        "client sent %s",
			        alert_name(s->server.err.alert_sent),
			        alert_name(s->client.err.alert_sent));
	} else {
		scen_check_alert(s, sender, 70);
	}
	scen_observe(s, "%s; client %s, server %s", hs_result_name(r),
	             status_name(s->client_status), status_name(s->server_status));
}

/* ---- downgrade sentinel, by name ---------------------------------------- */

static void run_sentinel(struct scen *s)
{
	const struct vrange *cr = &ranges[s->def->p[0]], *sr = &ranges[s->def->p[1]];
	unsigned cset = range_set(cr, 1), sset = range_set(sr, 1), common = cset & sset;
	uint16_t want = common & B13 ? 0x0304 : 0x0303;
	int want_sentinel = want == 0x0303 && (sset & B13);
	scen_expect(s,
	            "client %s x server %s: TLS %s; ServerHello.random %s with \"DOWNGRD\\x01\" "
	            "(RFC 8446 section 4.1.3)",
	            set_name(cset), set_name(sset), want == 0x0304 ? "1.3" : "1.2",
	            want_sentinel ? "ends" : "does not end");
	struct cfgb c, v;
	range_pair(&c, &v, cr, sr);
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	enum hs_result r = scen_handshake(s);
	if (check_success(s, &c, &v, r, want, sset) == 0) {
		const uint8_t *rnd = scen_wire(s)->sh.random + 24;
		scen_observe(s, "TLS %s, random ends %02x%02x%02x%02x%02x%02x%02x%02x",
		             vname(ep_version(&s->client)), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		             rnd[5], rnd[6], rnd[7]);
	}
}

/* Finds extension `type` in a ClientHello record at the start of `p`;
 * returns the offset of its type field, or 0. `types` collects every
 * extension type seen (up to 64). */
static size_t find_ch_ext(const uint8_t *p, size_t n, uint16_t type, uint16_t *types,
                          size_t *ntypes)
{
	*ntypes = 0;
	/* record header 5, handshake header 4, version 2, random 32 */
	size_t off = 5 + 4 + 2 + 32;
	if (n < off + 1 || p[0] != 22 || p[5] != 1)
		return 0;
	off += 1 + p[off]; /* session id */
	if (off + 2 > n)
		return 0;
	off += 2 + ((size_t)p[off] << 8 | p[off + 1]); /* cipher suites */
	if (off + 1 > n)
		return 0;
	off += 1 + p[off]; /* compression */
	if (off + 2 > n)
		return 0;
	size_t end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
	off += 2;
	if (end > n)
		return 0;
	size_t found = 0;
	while (off + 4 <= end) {
		uint16_t t = (uint16_t)(p[off] << 8 | p[off + 1]);
		size_t len = (size_t)p[off + 2] << 8 | p[off + 3];
		if (*ntypes < 64)
			types[(*ntypes)++] = t;
		if (t == type && !found)
			found = off;
		off += 4 + len;
	}
	return found;
}

static void run_sentinel_client_detects(struct scen *s)
{
	scen_expect(s, "client 1.2-1.3, server 1.2-1.3, the harness renames the ClientHello's "
	               "supported_versions to a GREASE type: the server negotiates TLS 1.2 with "
	               "the downgrade sentinel; the client aborts on the ServerHello with "
	               "illegal_parameter(47) and sends no second flight (RFC 8446 section 4.1.3)");
	const struct vrange *cr = &ranges[1], *sr = &ranges[1];
	struct cfgb c, v;
	range_pair(&c, &v, cr, sr);
	if (scen_open_ok(s, &c, &v, TEST_HOST))
		return;
	int st = ep_handshake(&s->client);
	EXPECT(s, st == TLSH_WANT_READ, "client's first do_handshake returned %s", status_name(st));
	size_t n = pump_hold(&s->pump, C2S);
	char why[256];
	if (wire_offers_range(&scen_wire(s)->ch, 0x0303, 0x0304, why, sizeof why) != 0) {
		scen_fail(s, "%s", why);
		return;
	}
	uint16_t types[64];
	size_t ntypes;
	size_t at = find_ch_ext(s->pump.held[C2S].data, n, 43, types, &ntypes);
	if (!at)
		scen_abort(
		        s, V_HARNESS_ERROR,
		        "cannot find supported_versions in the client's first record (%zu bytes)",
		        n);
	static const uint16_t grease[] = {0xeaea, 0xdada, 0xcaca, 0xbaba};
	uint16_t pick = 0;
	for (size_t g = 0; g < 4 && !pick; g++) {
		pick = grease[g];
		for (size_t i = 0; i < ntypes; i++)
			if (types[i] == grease[g])
				pick = 0;
	}
	/* Rewrite what the server will get and the transcript alike, so the
	 * transcript shows what crossed. The ClientHello is the transcript's
	 * first record. */
	for (int k = 0; k < 2; k++) {
		uint8_t *b = k ? s->pump.wire[C2S].data : s->pump.held[C2S].data;
		b[at] = (uint8_t)(pick >> 8);
		b[at + 1] = (uint8_t)pick;
	}
	st = pump_release(&s->pump, C2S);
	EXPECT(s, st == TLSH_OK, "server process_incoming of the ClientHello returned %s",
	       status_name(st));
	enum hs_result r = scen_handshake(s);
	const struct wire *w = scen_wire(s);
	EXPECT(s, w->sh.present && w->version == 0x0303,
	       "the server answered a ClientHello without supported_versions with %s",
	       w->sh.present ? "a TLS 1.3 ServerHello" : "no ServerHello");
	EXPECT(s, oracle_downgrade_sentinel(w),
	       "the server (TLS 1.3 enabled) negotiated TLS 1.2 without the downgrade sentinel "
	       "(RFC 8446 section 4.1.3 MUST)");
	EXPECT(s, !s->client.handshake_done && s->client_status == TLSH_TLS_ERROR,
	       "the client accepted a TLS 1.2 ServerHello carrying the downgrade sentinel "
	       "(client %s, handshake %s)",
	       status_name(s->client_status), hs_result_name(r));
	/* Nothing but alerts may follow the client's ClientHello. */
	EXPECT(s, w->n_records[0] >= 1 && !w->ccs[0],
	       "the client sent a ChangeCipherSpec after the downgraded ServerHello");
	size_t hs = 0;
	const struct bytes *cw = &s->pump.wire[C2S];
	for (size_t off = 0; off + 5 <= cw->len;) {
		size_t len = (size_t)cw->data[off + 3] << 8 | cw->data[off + 4];
		if (cw->data[off] == 22)
			hs++;
		off += 5 + len;
	}
	EXPECT(s, hs == 1,
	       "the client sent %zu handshake records (ClientHello, then its second flight) "
	       "instead of aborting on the downgraded ServerHello",
	       hs);
	scen_check_alert(s, TLSH_ROLE_CLIENT, 47);
	scen_observe(s, "client aborted: %s", s->client.err.message);
}

/* ---- validate_config on one side ----------------------------------------- */

struct bounds_case {
	const char *tag;
	enum tlsh_version lo, hi;
	int valid;
	uint64_t need;
};

static const struct bounds_case bounds[] = {
        {"invalid/min-above-max", TLSH_TLS_1_3, TLSH_TLS_1_2, 0, 0},
        {"invalid/lowest-max-sentinel", MAX_V, TLSH_TLS_1_2, 0, 0},
        {"invalid/highest-min-sentinel", TLSH_TLS_1_3, MIN_V, 0, 0},
        {"invalid/sentinels-swapped", MAX_V, MIN_V, 0, 0},
        {"invalid/undefined-lowest-0x0302", (enum tlsh_version)0x0302, TLSH_VERSION_NONE, 0, 0},
        {"invalid/undefined-highest-0x0305", TLSH_VERSION_NONE, (enum tlsh_version)0x0305, 0, 0},
        {"valid/MIN-MAX", MIN_V, MAX_V, 1, 0},
        {"valid/1.3-1.3", TLSH_TLS_1_3, TLSH_TLS_1_3, 1, TLSH_CAP_TLS13},
        {"valid/NONE-NONE", TLSH_VERSION_NONE, TLSH_VERSION_NONE, 1, 0},
};

static void run_bounds(struct scen *s)
{
	const struct bounds_case *bc = &bounds[s->def->p[0]];
	enum tlsh_role role = (enum tlsh_role)s->def->solo;
	const struct impl_handle *ih = role == TLSH_ROLE_CLIENT ? s->cimpl : s->simpl;
	struct endpoint *e = role == TLSH_ROLE_CLIENT ? &s->client : &s->server;
	int want = bc->valid ? TLSH_OK : TLSH_CONFIGURATION_ERROR;
	scen_expect(s,
	            "%s config with lowest 0x%04x, highest 0x%04x: validate_config returns %s; "
	            "context_new %s",
	            e->label, (unsigned)bc->lo, (unsigned)bc->hi, status_name(want),
	            bc->valid ? "and buffer_new succeed" : "refuses it with CONFIGURATION_ERROR");
	struct cfgb b;
	if (role == TLSH_ROLE_CLIENT)
		cfg_std_client(&b, "rsa");
	else
		cfg_std_server(&b, "rsa");
	cfg_versions(&b, bc->lo, bc->hi);
	struct tlsh_error err;
	int st = ep_validate(ih, role, &b.cfg, &err);
	if (st != want) {
		e->err = err;
		scen_fail(s, "validate_config returned %s%s%s", status_name(st),
		          err.message[0] ? ": " : "", err.message);
		return;
	}
	char vmsg[256];
	fmt_into(vmsg, sizeof vmsg, "%s", err.message);
	st = ep_open(e, ih, role, &b.cfg, role == TLSH_ROLE_CLIENT ? TEST_HOST : NULL);
	int ctx_made = e->ctx != NULL;
	ep_close(e);
	if (bc->valid) {
		EXPECT(s, st == TLSH_OK, "validate_config accepted it but %s returned %s: %s",
		       ctx_made ? "buffer_new" : "context_new", status_name(st), e->err.message);
		scen_observe(s, "validate_config OK, context and buffer built");
		return;
	}
	EXPECT(s, st == TLSH_CONFIGURATION_ERROR && !ctx_made, "validate_config refused it but %s",
	       st == TLSH_OK ? "context_new and buffer_new accepted it"
	                     : "context_new accepted it (buffer_new refused it)");
	scen_observe(s, "validate_config: %s; context_new: %s", vmsg, e->err.message);
}

/* ---- registration ------------------------------------------------------ */

void family_version_bounding(void)
{
	for (size_t ci = 0; ci < NRANGES; ci++) {
		for (size_t si = 0; si < NRANGES; si++) {
			struct scen_def d = {
			        .family = "version-bounding",
			        .spec = "RFC 8446 sections 4.1.3, 4.2.1 and 6.2 (protocol_version)",
			        .title =
			                "client range x server range: highest common version, else "
			                "protocol_version(70)",
			        .need_client = range_needs(&ranges[ci]),
			        .need_server = range_needs(&ranges[si]),
			        .run = run_range,
			        .p = {(intptr_t)ci, (intptr_t)si}};
			snprintf(d.id, sizeof d.id, "version-bounding/range/c=%s/s=%s",
			         ranges[ci].tag, ranges[si].tag);
			snprintf(d.params, sizeof d.params, "client=%s server=%s", ranges[ci].tag,
			         ranges[si].tag);
			scen_add(&d);
		}
	}
	static const struct {
		const char *tag;
		size_t ci, si;
	} sent[] = {
	        {"present", 0, 1}, /* 1.2-1.2 x 1.2-1.3: 1.2, sentinel */
	        {"absent", 0, 0},  /* 1.2-1.2 x 1.2-1.2: 1.2, no sentinel */
	        {"absent", 1, 1},  /* 1.2-1.3 x 1.2-1.3: 1.3, no sentinel */
	};
	for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) {
		struct scen_def d = {
		        .family = "version-bounding",
		        .spec = "RFC 8446 section 4.1.3",
		        .title = "downgrade sentinel in ServerHello.random exactly when a TLS 1.3 "
		                 "server negotiates TLS 1.2",
		        .need_client = range_needs(&ranges[sent[i].ci]),
		        .need_server = range_needs(&ranges[sent[i].si]),
		        .run = run_sentinel,
		        .p = {(intptr_t)sent[i].ci, (intptr_t)sent[i].si}};
		snprintf(d.id, sizeof d.id, "version-bounding/downgrade-sentinel/%s/c=%s/s=%s",
		         sent[i].tag, ranges[sent[i].ci].tag, ranges[sent[i].si].tag);
		snprintf(d.params, sizeof d.params, "client=%s server=%s", ranges[sent[i].ci].tag,
		         ranges[sent[i].si].tag);
		scen_add(&d);
	}
	{
		struct scen_def d = {
		        .family = "version-bounding",
		        .spec = "RFC 8446 section 4.1.3 (clients MUST check the sentinel and abort "
		                "with illegal_parameter)",
		        .title = "a TLS 1.3 client detects a forced downgrade to TLS 1.2 by the "
		                 "sentinel",
		        .need_client = range_needs(&ranges[1]),
		        .need_server = range_needs(&ranges[1]),
		        .run = run_sentinel_client_detects};
		snprintf(d.id, sizeof d.id,
		         "version-bounding/downgrade-sentinel/client-detects/"
		         "c=1.2-1.3/s=1.2-1.3");
		snprintf(d.params, sizeof d.params, "client=1.2-1.3 server=1.2-1.3");
		scen_add(&d);
	}
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		for (int role = TLSH_ROLE_CLIENT; role <= TLSH_ROLE_SERVER; role++) {
			const char *rn = role == TLSH_ROLE_CLIENT ? "client" : "server";
			struct scen_def d = {
			        .family = "version-bounding",
			        .spec = bounds[i].valid
			                        ? "descriptor: validate_config, context_new (valid "
			                          "version bounds are accepted)"
			                        : "descriptor: validate_config, context_new "
			                          "(invalid "
			                          "version bounds give CONFIGURATION_ERROR)",
			        .title =
			                bounds[i].valid
			                        ? "valid version bounds pass validate_config"
			                        : "invalid version bounds give CONFIGURATION_ERROR",
			        .solo = role,
			        .run = run_bounds,
			        .p = {(intptr_t)i}};
			uint64_t need = TLSH_CAP_RSA | bounds[i].need;
			if (role == TLSH_ROLE_CLIENT)
				d.need_client = need;
			else
				d.need_server = need;
			snprintf(d.id, sizeof d.id, "version-bounding/%s/%s", bounds[i].tag, rn);
			snprintf(d.params, sizeof d.params, "%s lowest=0x%04x highest=0x%04x", rn,
			         (unsigned)bounds[i].lo, (unsigned)bounds[i].hi);
			scen_add(&d);
		}
	}
}
