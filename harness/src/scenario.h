/* scenario.h - what a scenario family file sees: the registry, the
 * configuration builder, the two endpoints with their pump, the handshake
 * driver, and the verdict helpers.
 *
 * A scenario runs in its own child process (the engine forks), so it may
 * exit early; everything it reports goes into `struct scen`. Ids are stable:
 * family/case[/params]. Each scenario names the spec text it checks and the
 * capabilities it needs from the client and the server backend. */
#ifndef TLSH_SCENARIO_H
#define TLSH_SCENARIO_H

#include <stdint.h>

#include "endpoint.h"
#include "oracle.h"
#include "pump.h"
#include "verdict.h"

struct scen;

struct scen_def {
	char id[160];
	const char *family;
	const char *spec;                  /* "RFC 8446 section 6.1: ..." or "descriptor: ..." */
	const char *title;                 /* one line: what is checked */
	char params[96];                   /* e.g. "tls13" or "client=1.2-1.3 server=1.3-MAX" */
	uint64_t need_client, need_server; /* TLSH_CAP_* bits */
	/* 0: a client/server pair. TLSH_ROLE_CLIENT or TLSH_ROLE_SERVER: only
	 * that side's backend is exercised (e.g. validate_config). */
	int solo;
	void (*run)(struct scen *s);
	intptr_t p[4];   /* integer parameters */
	const void *ptr; /* static parameter */

	double time_scale; /* 0 means 1 */
};

/* Registers a scenario (copied). Aborts on a duplicate id. */
void scen_add(const struct scen_def *d);
/* All registered scenarios, in registration order. */
const struct scen_def *scen_all(size_t *n);
/* Registers every family once. */
void scen_register_all(void);

/* Family registration functions, one per file in scenarios/. */
void family_handshake(void);
void family_ragged_eof(void);
void family_version_bounding(void);
void family_alpn(void);

/* ---- configuration builder -------------------------------------------- */

/* Owns the storage a struct tlsh_config points into. Zero-init with cfg_init. */
#define CFG_MAX_CHAINS 4
#define CFG_MAX_ALPN 16
#define CFG_MAX_CIPHERS 64

struct cfgb {
	struct tlsh_config cfg;
	struct tlsh_signing_chain chains[CFG_MAX_CHAINS];
	struct tlsh_source inter[CFG_MAX_CHAINS][2];
	struct tlsh_source trust;
	uint16_t ciphers[CFG_MAX_CIPHERS];
	struct tlsh_bytes alpn[CFG_MAX_ALPN];
	uint8_t alpn_store[CFG_MAX_ALPN][256];
};

void cfg_init(struct cfgb *b);
/* Adds a signing chain from the test PKI: `kt` is "rsa" or "ecdsa", `leaf`
 * the file stem ("server", "alt", "ip", "nosan", "client", "expired",
 * "notyet", "unknown"); with_intermediate adds <kt>-int.pem after the leaf
 * (not for "unknown", whose issuer is the unknown root). */
void cfg_chain(struct cfgb *b, const char *kt, const char *leaf, int with_intermediate);
/* Trust store from a PKI file, as a PEM buffer ("rsa-ca.pem"). */
void cfg_trust(struct cfgb *b, const char *file);
/* Trust store as a path to a PKI file. */
void cfg_trust_path(struct cfgb *b, const char *file);
void cfg_versions(struct cfgb *b, enum tlsh_version lo, enum tlsh_version hi);
/* ALPN protocols, NULL-terminated list of C strings. */
void cfg_alpn(struct cfgb *b, ...);
/* One ALPN protocol given as raw bytes (may contain NULs). */
void cfg_alpn_raw(struct cfgb *b, const uint8_t *p, size_t len);
void cfg_ciphers(struct cfgb *b, const uint16_t *ids, size_t n);

/* Bytes of a PKI file (cached for the process). Aborts the scenario with
 * HARNESS-ERROR if it cannot be read. */
const struct bytes *pki_file(const char *name);
/* Full path of a PKI file (static storage per call site not needed: the
 * string lives for the process). */
const char *pki_path(const char *name);

/* The standard pair: client trusting `kt`'s root; server with `kt`'s server
 * chain (leaf + intermediate). */
void cfg_std_client(struct cfgb *b, const char *kt);
void cfg_std_server(struct cfgb *b, const char *kt);

#define TEST_HOST "server.tlsh.test"
#define ALT_HOST "alt.tlsh.test"

/* ---- the running scenario -------------------------------------------------- */

struct scen {
	const struct scen_def *def;
	const struct impl_handle *cimpl, *simpl;
	struct endpoint client, server;
	struct pump pump;
	int opened;
	uint64_t seed;
	/* Result. */
	enum verdict verdict;
	char expected[512];
	char observed[1024];
	char detail[1024]; /* error text(s) */
	/* What the handshake driver saw, for the report. */
	int client_status, server_status;
};

/* Which backend plays which role, from the scenario's point of view. */
#define S_CLIENT(s) ((s)->client)
#define S_SERVER(s) ((s)->server)

/* Sets the expected-outcome text (shown in reports next to observed). */
void scen_expect(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a FAIL with the observed text; the first FAIL wins. Returns 0 so
 * that `return scen_fail(...)` reads well in int helpers. */
int scen_fail(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Right outcome, wrong or missing alert: PASS-LOOSE unless already worse. */
void scen_loose(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets observed text without changing the verdict. */
void scen_observe(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the scenario now with the given verdict (UNSUPPORTED, HARNESS-ERROR). */
void scen_abort(struct scen *s, enum verdict v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));
int scen_failed(const struct scen *s);

/* The FAIL-and-return idiom: EXPECT(s, cond, "observed text", ...). */
#define EXPECT(s, cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			scen_fail((s), __VA_ARGS__);                                               \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* Opens both endpoints and the pump. On a construction failure returns the
 * failing status (and which side in *who: TLSH_ROLE_CLIENT/SERVER) without
 * recording a verdict; the scenario decides. */
int scen_open(struct scen *s, const struct cfgb *client, const struct cfgb *server,
              const char *hostname, int *who);
/* scen_open that FAILs the scenario when either side cannot be built;
 * returns 0 on success. */
int scen_open_ok(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                 const char *hostname);

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
 * list; supported_versions matches the client's configured range. Records a
 * FAIL and returns -1 on the first mismatch. */
int scen_check_established(struct scen *s, const struct cfgb *client, const struct cfgb *server,
                           const char *hostname);

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
/* Whether `code` was seen from `sender` (reported sent by it, received by
 * its peer, or as a plaintext alert on the wire). */
int scen_alert_seen(struct scen *s, enum tlsh_role sender, int code);

/* Sends `n` bytes of a deterministic pattern from one side to the other
 * (C2S: client writes, server reads) through the pump, in writes of at most
 * `chunk` bytes, and verifies every byte arrives in order. Returns 0 or -1
 * after recording a FAIL. */
int scen_transfer(struct scen *s, enum dir d, size_t n, size_t chunk);

/* Reads from `e` until it returns something other than WANT_READ with the
 * pump flushed both ways; collects plaintext into `out` (may be NULL).
 * Returns the final status. At most `max_rounds` rounds. */
int scen_read_until(struct scen *s, struct endpoint *e, struct bytes *out, int max_rounds);

/* Shuts `e` down: calls shutdown and pumps until it returns something
 * other than WANT_READ/WANT_WRITE, or the peer stops answering. `peer_reads`
 * makes the peer call read (so it sees close_notify and, for libraries that
 * answer it, sends its own). Returns the last status of shutdown. */
int scen_shutdown(struct scen *s, struct endpoint *e, int peer_reads);

/* The peer of an endpoint; the direction in which `e` sends. */
struct endpoint *scen_peer(struct scen *s, struct endpoint *e);
enum dir scen_dir_from(struct scen *s, struct endpoint *e);

/* Capability test on the backend behind an endpoint role. */
int scen_has_cap(const struct scen *s, enum tlsh_role role, uint64_t cap);

/* Human name of a negotiated version from the API. */
const char *vname(enum tlsh_version v);

#endif
