/* scenario.h - what the interpreter and a row's extra/check functions see:
 * the configuration builder, the two endpoints with their pump, the
 * handshake driver, the checks that hold after every handshake, and the
 * verdict helpers.
 *
 * A scenario instance runs in its own child process (the engine forks), so
 * it may exit early; everything it reports goes into `struct scen`. The rows
 * themselves are described in catalog.h. */
#ifndef TLSH_SCENARIO_H
#define TLSH_SCENARIO_H

#include <stdint.h>

#include "catalog.h"
#include "config.h"
#include "endpoint.h"
#include "oracle.h"
#include "pump.h"
#include "verdict.h"

/* Expands the catalog (idempotent; scen_all does it on first use too). */
void scen_register_all(void);

/* ---- configuration ---------------------------------------------------- */

/* Builds one side's configuration from a row's `struct side` for this
 * instance (key type, version, defaults as catalog.h describes). */
void cfg_from_side(struct cfgb *b, const struct scen_def *d, enum tlsh_role role);

/* Key type name of an instance ("rsa", "ecdsa"). */
const char *kt_name(int kt);

/* ---- the running scenario -------------------------------------------------- */

struct scen {
	const struct scen_def *def;
	const struct impl_handle *cimpl, *simpl;
	struct endpoint client, server;
	struct pump pump;
	int opened;
	uint64_t seed;
	/* The configurations the interpreter built (for checks). */
	struct cfgb ccfg, scfg;
	const char *host; /* server_hostname given to the client (NULL: none) */
	/* Result. */
	enum verdict verdict;
	char expected[512];
	char observed[1024];
	char detail[1024]; /* error text(s) */
	/* What the handshake driver saw, for the report. */
	int client_status, server_status;
	/* Misbehaving peer, for the report: the mutation applied (name and
	 * what the rewriter changed) and where the backend under test stopped. */
	char mutation[512];
	char stopped[256];
	/* Encrypted phase: the protected records as the harness decrypted them
	 * (one line each), and the first protected alert each side sent
	 * (index: role - 1), decrypted, plus 1 (0: none seen). */
	char decrypted[4096];
	int dec_alert[2];
	/* Wire rules broken (space-separated "side:rule-id"), when the FAIL
	 * comes from them alone (the expectations may list a library's known
	 * rule deviation). */
	char rules[256];
};

/* ---- checks: one idiom anywhere ---------------------------------------------
 *
 * A function that checks something returns check_t (declared MUST_CHECK):
 *
 *     static MUST_CHECK check_t check_x(struct scen *s) {
 *             ENSURE(s, cond, "observed text %d", v);   // FAIL and return
 *             GUARD(check_y(s));                          // propagate
 *             return CHECK_OK;
 *     }
 *
 * FAIL(s, ...) records the FAIL (the first one wins) and returns failure.
 * Only the interpreter turns a check_t back into nothing. */
#define CHECK_OK ((check_t){0})
#define CHECK_FAILED ((check_t){1})
#define IS_FAILED(r) ((r).failed != 0)

#define FAIL(s, ...) return scen_fail((s), __VA_ARGS__)
#define ENSURE(s, cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return scen_fail((s), __VA_ARGS__);                                        \
	} while (0)
#define GUARD(expr)                                                                                \
	do {                                                                                       \
		check_t guard_r_ = (expr);                                                         \
		if (IS_FAILED(guard_r_))                                                           \
			return guard_r_;                                                           \
	} while (0)

/* Sets the expected-outcome text (shown in reports next to observed). */
void scen_expect(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a FAIL with the observed text (the first FAIL wins) and returns
 * a failed check. */
check_t scen_fail(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Right outcome, wrong or missing alert: PASS-LOOSE unless already worse. */
void scen_loose(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets observed text without changing the verdict. */
void scen_observe(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the scenario now with the given verdict (UNSUPPORTED, HARNESS-ERROR). */
void scen_abort(struct scen *s, enum verdict v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));
int scen_failed(const struct scen *s);

/* ---- endpoints and the handshake --------------------------------------------- */

/* Opens both endpoints and the pump. On a construction failure returns the
 * failing status (and which side in *who: TLSH_ROLE_CLIENT/SERVER) without
 * recording a verdict; the scenario decides. */
int scen_open(struct scen *s, const struct cfgb *client, const struct cfgb *server,
              const char *hostname, int *who);
/* scen_open that FAILs the scenario when either side cannot be built. */
MUST_CHECK check_t scen_open_ok(struct scen *s, const struct cfgb *client,
                                const struct cfgb *server, const char *hostname);
/* Builds both sides from the instance's row (cfg_from_side), keeps them in
 * s->ccfg / s->scfg, and opens them (scen_open_ok) with the row's host; then
 * scen_apply_limits. */
MUST_CHECK check_t scen_open_row(struct scen *s);
/* The server_hostname of an instance's row (NULL for HOST_NONE). */
const char *scen_row_host(const struct scen_def *d);
/* Sets the row's read / process_outgoing capacities on the endpoints of its
 * side (both when the row names none) and the byte-count check. */
void scen_apply_limits(struct scen *s);

enum hs_result {
	HS_OK = 0,        /* both sides completed */
	HS_CLIENT_FAILED, /* the client failed first (the server may have failed after it) */
	HS_SERVER_FAILED, /* the server failed first; s->client_status tells whether the
	                   * client then failed too (TLS 1.3: on its next read) */
	HS_STALLED,       /* no progress: both waiting */
};

/* Drives both handshakes through the pump until both complete, one fails
 * (the failing side's pending alert is then delivered and the peer given a
 * chance to see it), or nothing moves. Client status and server status of
 * the last calls go to s->client_status / s->server_status. */
enum hs_result scen_handshake(struct scen *s);
const char *hs_result_name(enum hs_result r);

/* Wire view of everything that crossed so far. */
const struct wire *scen_wire(struct scen *s);

/* Checks that must hold after every successful handshake, API and wire:
 * both sides report the same version, equal to the ServerHello's; both
 * report the same cipher, equal to the ServerHello's; ALPN on both sides
 * agrees; the ClientHello's SNI equals `hostname` (absent for NULL or an
 * IP literal); the ClientHello's ALPN list equals the client's configured
 * list; supported_versions matches the client's configured range. */
MUST_CHECK check_t scen_check_established(struct scen *s, const struct cfgb *client,
                                          const struct cfgb *server, const char *hostname);
/* The oracle found nothing malformed in either direction. */
MUST_CHECK check_t scen_check_wire_clean(struct scen *s);
/* Handshake that must succeed, then scen_check_established and
 * scen_check_wire_clean. */
MUST_CHECK check_t scen_establish(struct scen *s, const struct cfgb *c, const struct cfgb *v,
                                  const char *host);
/* The ClientHello is on the wire and its SNI is right for `host` (RFC 6066
 * section 3: absent for an IP literal or no name). */
MUST_CHECK check_t scen_check_ch_sni(struct scen *s, const char *host);

/* After a handshake that ended in `r`: the client must have rejected the
 * server: the client fails first, the server
 * never completes, a server that received the client's alert fails too (RFC
 * 8446 section 6.2), the ClientHello carried the right SNI, and the client
 * sent one of `alerts` (0-terminated; none given: not checked). */
MUST_CHECK check_t scen_client_rejects(struct scen *s, enum hs_result r, const char *host,
                                       const int *alerts, const char *why);
/* After a handshake that ended in `r`: the server must have rejected the
 * client: the server fails first; a client that
 * received the server's alert fails too; a TLS 1.2 client never completes.
 * The alert must be one of `alerts` (0-terminated). */
MUST_CHECK check_t scen_server_rejects(struct scen *s, enum hs_result r, enum tlsh_version v,
                                       const int *alerts);

/* Records the FAIL of a handshake that ended in `r` against expectations:
 * "<prefix><result>; client ...; server ...". */
check_t scen_fail_hs(struct scen *s, enum hs_result r, const char *prefix);
/* "client TLS_ERROR: <message> (alert sent X, received Y)" */
const char *scen_ep_state(const struct endpoint *e, int st, char *buf, size_t cap);

/* Checks that the ClientHello offers exactly the versions lo..hi (wire values
 * 0x0303/0x0304; GREASE ignored; no supported_versions means TLS 1.2 only).
 * Returns 0, or -1 with the reason in `why`. */
int wire_offers_range(const struct wire_client_hello *ch, uint16_t lo, uint16_t hi, char *why,
                      size_t whycap);

/* Checks a failed handshake's alert: `code` should be sent by the side
 * `sender` (TLSH_ROLE_*), i.e. reported as alert_sent by it, or as
 * alert_received by its peer, or seen as a plaintext alert on the wire.
 * Mismatch or absence gives PASS-LOOSE with the observed alerts. */
void scen_check_alert(struct scen *s, enum tlsh_role sender, int code);
/* The same for a set of acceptable codes (0-terminated). */
void scen_check_alert_in(struct scen *s, enum tlsh_role sender, const int *codes);
/* Whether `code` was seen from `sender` (reported sent by it, received by
 * its peer, or as a plaintext alert on the wire). */
int scen_alert_seen(struct scen *s, enum tlsh_role sender, int code);
/* Whether `sender` sent a fatal alert by its own account or visibly on the
 * wire (plaintext). */
int scen_alert_sent(struct scen *s, enum tlsh_role sender);

/* Sends `n` bytes of a deterministic pattern from one side to the other
 * (C2S: client writes, server reads) through the pump, in writes of at most
 * `chunk` bytes, and verifies every byte arrives in order. */
MUST_CHECK check_t scen_transfer(struct scen *s, enum dir d, size_t n, size_t chunk);
/* 100 bytes each way. */
MUST_CHECK check_t scen_small_transfer(struct scen *s);

/* Reads from `e` until it returns something other than WANT_READ with the
 * pump flushed both ways; collects plaintext into `out` (may be NULL).
 * Returns the final status. At most `max_rounds` rounds. */
int scen_read_until(struct scen *s, struct endpoint *e, struct bytes *out, int max_rounds);

/* Shuts `e` down: calls shutdown and pumps until it returns something
 * other than WANT_READ/WANT_WRITE, or the peer stops answering. `peer_reads`
 * makes the peer call read (so it sees close_notify and, for libraries that
 * answer it, sends its own). Returns the last status of shutdown. */
int scen_shutdown(struct scen *s, struct endpoint *e, int peer_reads);

/* getpeercert on `e` returns the DER of <kt>-<stem>.pem (stem NULL: none). */
MUST_CHECK check_t scen_check_peercert(struct scen *s, struct endpoint *e, const char *kt,
                                       const char *stem);
/* After a FAIL: appends to the observed text which certificate the server
 * actually sent (subject CN, subjectAltName, EKU), from the TLS 1.2
 * Certificate message on the wire or the client's getpeercert. */
void scen_note_server_cert(struct scen *s);
/* DER of the first certificate in a PEM file of the test PKI. */
void pki_cert_der(struct scen *s, const char *file, struct bytes *out);

/* The peer of an endpoint; the direction in which `e` sends. */
struct endpoint *scen_peer(struct scen *s, struct endpoint *e);
enum dir scen_dir_from(struct scen *s, struct endpoint *e);
/* The endpoint of a role. */
struct endpoint *scen_ep(struct scen *s, enum tlsh_role role);

/* Capability test on the backend behind an endpoint role. */
int scen_has_cap(const struct scen *s, enum tlsh_role role, uint64_t cap);

/* Human name of a negotiated version from the API. */
const char *vname(enum tlsh_version v);
/* Human name of a delivery policy. */
const char *policy_name(enum delivery d);

/* ---- for the engine ---------------------------------------------------------- */

/* The scenario a child process runs (for scen_abort and the PKI cache). */
void scen_set_current(struct scen *s);
/* Called by scen_abort to emit the result before the child exits. */
extern void (*scen_finish)(struct scen *s);
/* The interpreter: runs the instance s->def (the `run` of every scen_def). */
void interp_run(struct scen *s);

#endif
