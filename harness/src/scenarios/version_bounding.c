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
	enum tlsh_version lo, hi;
};

/* The versions a range allows on a backend: bit 0 TLS 1.2, bit 1 TLS 1.3. */
#define B12 1u
#define B13 2u

static unsigned range_set(struct vrange rr, int has13)
{
	const struct vrange *r = &rr;
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

/* Each side's configured range, as the row (its axes) set it. */
static struct vrange crange(const struct scen *s)
{
	return (struct vrange){s->def->clo, s->def->chi};
}

static struct vrange srange(const struct scen *s)
{
	return (struct vrange){s->def->slo, s->def->shi};
}

/* Checks a handshake that must succeed with version `want` (wire value). */
static MUST_CHECK check_t check_success(struct scen *s, enum hs_result r, uint16_t want,
                                        unsigned sset)
{
	if (r != HS_OK)
		return scen_fail(s, "handshake: %s (client %s, server %s); expected TLS %s",
		                 hs_result_name(r), status_name(s->client_status),
		                 status_name(s->server_status), want == 0x0304 ? "1.3" : "1.2");
	GUARD(scen_check_established(s, &s->ccfg, &s->scfg, s->host));
	enum tlsh_version got = ep_version(&s->client);
	if ((uint16_t)got != want)
		return scen_fail(s,
		                 "negotiated TLS %s (both sides and the ServerHello), expected %s",
		                 vname(got), want == 0x0304 ? "1.3" : "1.2");
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
		        sentinel ? "ends with" : "does not end with", want_sentinel ? "it" : "none",
		        want == 0x0304 ? "1.3" : "1.2", set_name(sset));
	return CHECK_OK;
}

/* ---- range x range ------------------------------------------------------ */

static MUST_CHECK check_t x_range(struct scen *s)
{
	int c13 = scen_has_cap(s, TLSH_ROLE_CLIENT, TLSH_CAP_TLS13);
	int s13 = scen_has_cap(s, TLSH_ROLE_SERVER, TLSH_CAP_TLS13);
	unsigned cset = range_set(crange(s), c13), sset = range_set(srange(s), s13);
	unsigned common = cset & sset;
	uint16_t want = common & B13 ? 0x0304 : common & B12 ? 0x0303 : 0;
	/* No common version: a server that reads supported_versions (any TLS
	 * 1.3 implementation, RFC 8446 section 4.2.1) rejects the offer; a
	 * 1.2-only server picks 1.2 and the client rejects the ServerHello. */
	enum tlsh_role sender =
	        (cset == B13 && sset == B12 && !s13) ? TLSH_ROLE_CLIENT : TLSH_ROLE_SERVER;
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
	GUARD(scen_open_row(s));
	enum hs_result r = scen_handshake(s);
	const struct wire *w = scen_wire(s);
	char why[256];
	if (wire_offers_range(&w->ch, set_lo(cset), set_hi(cset), why, sizeof why) != 0)
		FAIL(s, "%s", why);
	if (want) {
		GUARD(check_success(s, r, want, sset));
		scen_observe(s, "TLS %s%s", vname(ep_version(&s->client)),
		             oracle_downgrade_sentinel(scen_wire(s)) ? ", sentinel" : "");
		return CHECK_OK;
	}
	ENSURE(s, r != HS_OK,
	       "handshake completed with TLS %s although the ranges %s and %s do not meet",
	       vname(ep_version(&s->client)), set_name(cset), set_name(sset));
	ENSURE(s, r != HS_STALLED, "handshake stalled (client %s, server %s): nobody failed",
	       status_name(s->client_status), status_name(s->server_status));
	ENSURE(s, !s->client.handshake_done && !s->server.handshake_done,
	       "the %s reports a completed handshake although the ranges do not meet",
	       s->client.handshake_done ? "client" : "server");
	/* A ServerHello, if one was sent, selects a version of the server's
	 * range, and the client must not accept one outside its own. */
	if (w->sh.present) {
		unsigned wb = w->version == 0x0304 ? B13 : w->version == 0x0303 ? B12 : 0;
		ENSURE(s, wb & sset, "the server selected 0x%04x, outside its range %s", w->version,
		       set_name(sset));
		ENSURE(s, (wb & cset) || s->client_status == TLSH_TLS_ERROR,
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
	return CHECK_OK;
}

/* ---- downgrade sentinel, by name ---------------------------------------- */

static MUST_CHECK check_t x_sentinel(struct scen *s)
{
	unsigned cset = range_set(crange(s), 1), sset = range_set(srange(s), 1);
	unsigned common = cset & sset;
	uint16_t want = common & B13 ? 0x0304 : 0x0303;
	int want_sentinel = want == 0x0303 && (sset & B13);
	scen_expect(s,
	            "client %s x server %s: TLS %s; ServerHello.random %s with \"DOWNGRD\\x01\" "
	            "(RFC 8446 section 4.1.3)",
	            set_name(cset), set_name(sset), want == 0x0304 ? "1.3" : "1.2",
	            want_sentinel ? "ends" : "does not end");
	GUARD(scen_open_row(s));
	enum hs_result r = scen_handshake(s);
	GUARD(check_success(s, r, want, sset));
	const uint8_t *rnd = scen_wire(s)->sh.random + 24;
	scen_observe(s, "TLS %s, random ends %02x%02x%02x%02x%02x%02x%02x%02x",
	             vname(ep_version(&s->client)), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	             rnd[6], rnd[7]);
	return CHECK_OK;
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

static MUST_CHECK check_t x_sentinel_client_detects(struct scen *s)
{
	scen_expect(s, "client 1.2-1.3, server 1.2-1.3, the harness renames the ClientHello's "
	               "supported_versions to a GREASE type: the server negotiates TLS 1.2 with "
	               "the downgrade sentinel; the client aborts on the ServerHello with "
	               "illegal_parameter(47) and sends no second flight (RFC 8446 section 4.1.3)");
	GUARD(scen_open_row(s));
	int st = ep_handshake(&s->client);
	ENSURE(s, st == TLSH_WANT_READ, "client's first do_handshake returned %s", status_name(st));
	size_t n = pump_hold(&s->pump, C2S);
	char why[256];
	if (wire_offers_range(&scen_wire(s)->ch, 0x0303, 0x0304, why, sizeof why) != 0)
		FAIL(s, "%s", why);
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
	ENSURE(s, st == TLSH_OK, "server process_incoming of the ClientHello returned %s",
	       status_name(st));
	enum hs_result r = scen_handshake(s);
	const struct wire *w = scen_wire(s);
	ENSURE(s, w->sh.present && w->version == 0x0303,
	       "the server answered a ClientHello without supported_versions with %s",
	       w->sh.present ? "a TLS 1.3 ServerHello" : "no ServerHello");
	ENSURE(s, oracle_downgrade_sentinel(w),
	       "the server (TLS 1.3 enabled) negotiated TLS 1.2 without the downgrade sentinel "
	       "(RFC 8446 section 4.1.3 MUST)");
	ENSURE(s, !s->client.handshake_done && s->client_status == TLSH_TLS_ERROR,
	       "the client accepted a TLS 1.2 ServerHello carrying the downgrade sentinel "
	       "(client %s, handshake %s)",
	       status_name(s->client_status), hs_result_name(r));
	/* Nothing but alerts may follow the client's ClientHello. */
	ENSURE(s, w->n_records[0] >= 1 && !w->ccs[0],
	       "the client sent a ChangeCipherSpec after the downgraded ServerHello");
	size_t hs = 0;
	const struct bytes *cw = &s->pump.wire[C2S];
	for (size_t off = 0; off + 5 <= cw->len;) {
		size_t len = (size_t)cw->data[off + 3] << 8 | cw->data[off + 4];
		if (cw->data[off] == 22)
			hs++;
		off += 5 + len;
	}
	ENSURE(s, hs == 1,
	       "the client sent %zu handshake records (ClientHello, then its second flight) "
	       "instead of aborting on the downgraded ServerHello",
	       hs);
	scen_check_alert(s, TLSH_ROLE_CLIENT, 47);
	scen_observe(s, "client aborted: %s", s->client.err.message);
	return CHECK_OK;
}

/* ---- the rows ---------------------------------------------------------------- */

#define V12 TLSH_TLS_1_2
#define V13 TLSH_TLS_1_3

static const struct axval range_vals[] = {
        {.tag = "1.2-1.2", .v = V12, .w = V12},   {.tag = "1.2-1.3", .v = V12, .w = V13},
        {.tag = "1.3-1.3", .v = V13, .w = V13},   {.tag = "MIN-MAX", .v = MIN_V, .w = MAX_V},
        {.tag = "MIN-1.2", .v = MIN_V, .w = V12}, {.tag = "1.3-MAX", .v = V13, .w = MAX_V},
};
static const struct axis ax_crange = AXIS("c", DIM_CRANGE, range_vals);
static const struct axis ax_srange = AXIS("s", DIM_SRANGE, range_vals);

#define SPEC_SENTINEL "RFC 8446 section 4.1.3"
#define TITLE_SENTINEL                                                                             \
	"downgrade sentinel in ServerHello.random exactly when a TLS 1.3 server negotiates TLS "   \
	"1.2"
#define SPEC_INVALID                                                                               \
	"descriptor: validate_config, context_new (invalid version bounds give "                   \
	"CONFIGURATION_ERROR)"
#define TITLE_INVALID "invalid version bounds give CONFIGURATION_ERROR"
#define SPEC_VALID "descriptor: validate_config, context_new (valid version bounds are accepted)"
#define TITLE_VALID "valid version bounds pass validate_config"

/* One side alone, bounds (lo, hi), expecting CONFIGURATION_ERROR or OK. */
#define BOUNDS(tag, lo_, hi_, out)                                                                 \
	{                                                                                          \
		.id = "version-bounding/" tag "/{role}",                                           \
		.spec = (out) == OUT_CONFIG_OK ? SPEC_VALID : SPEC_INVALID,                        \
		.title = (out) == OUT_CONFIG_OK ? TITLE_VALID : TITLE_INVALID, .axes = {&ax_role}, \
		.solo = 1, .client = {.lo = (lo_), .hi = (hi_)},                                   \
		.server = {.lo = (lo_), .hi = (hi_)}, .outcome = (out)                             \
	}

static const struct row rows[] = {
        {.id = "version-bounding/range/c={c}/s={s}",
         .spec = "RFC 8446 sections 4.1.3, 4.2.1 and 6.2 (protocol_version)",
         .title = "client range x server range: highest common version, else "
                  "protocol_version(70)",
         .axes = {&ax_crange, &ax_srange},
         .extra = x_range},
        {.id = "version-bounding/downgrade-sentinel/present/c=1.2-1.2/s=1.2-1.3",
         .spec = SPEC_SENTINEL,
         .title = TITLE_SENTINEL,
         .client = {.lo = V12, .hi = V12},
         .server = {.lo = V12, .hi = V13},
         .extra = x_sentinel},
        {.id = "version-bounding/downgrade-sentinel/absent/c=1.2-1.2/s=1.2-1.2",
         .spec = SPEC_SENTINEL,
         .title = TITLE_SENTINEL,
         .client = {.lo = V12, .hi = V12},
         .server = {.lo = V12, .hi = V12},
         .extra = x_sentinel},
        {.id = "version-bounding/downgrade-sentinel/absent/c=1.2-1.3/s=1.2-1.3",
         .spec = SPEC_SENTINEL,
         .title = TITLE_SENTINEL,
         .client = {.lo = V12, .hi = V13},
         .server = {.lo = V12, .hi = V13},
         .extra = x_sentinel},
        {.id = "version-bounding/downgrade-sentinel/client-detects/c=1.2-1.3/s=1.2-1.3",
         .spec = "RFC 8446 section 4.1.3 (clients MUST check the sentinel and abort with "
                 "illegal_parameter)",
         .title = "a TLS 1.3 client detects a forced downgrade to TLS 1.2 by the sentinel",
         .client = {.lo = V12, .hi = V13},
         .server = {.lo = V12, .hi = V13},
         .extra = x_sentinel_client_detects},
        BOUNDS("invalid/min-above-max", V13, V12, OUT_CONFIG_ERROR),
        BOUNDS("invalid/lowest-max-sentinel", MAX_V, V12, OUT_CONFIG_ERROR),
        BOUNDS("invalid/highest-min-sentinel", V13, MIN_V, OUT_CONFIG_ERROR),
        BOUNDS("invalid/sentinels-swapped", MAX_V, MIN_V, OUT_CONFIG_ERROR),
        BOUNDS("invalid/undefined-lowest-0x0302", (enum tlsh_version)0x0302, TLSH_VERSION_NONE,
               OUT_CONFIG_ERROR),
        BOUNDS("invalid/undefined-highest-0x0305", TLSH_VERSION_NONE, (enum tlsh_version)0x0305,
               OUT_CONFIG_ERROR),
        BOUNDS("valid/MIN-MAX", MIN_V, MAX_V, OUT_CONFIG_OK),
        BOUNDS("valid/1.3-1.3", V13, V13, OUT_CONFIG_OK),
        BOUNDS("valid/NONE-NONE", TLSH_VERSION_NONE, TLSH_VERSION_NONE, OUT_CONFIG_OK),
};

FAMILY(family_version_bounding, "version-bounding", rows);
