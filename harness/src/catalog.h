/* catalog.h - the scenario catalog as data.
 *
 * A scenario is one declarative row (struct row): its id, the spec text it
 * checks, a one-line title, the configuration of each side, the axes it
 * expands over, the expected outcome with the alerts the RFC names, what to
 * check afterwards, and a time-limit scale. One interpreter (interp.c) runs
 * every row; a row may name an `extra` function for the byte-level cases a
 * table cannot express, and a `check` function for a check after the
 * outcome that the table's fields do not cover.
 *
 * Ids are templates: "handshake/trust/good-chain/{kt}/{ver}" expands over
 * the axes the row lists, each {name} replaced by the value's tag, so
 * `grep -rn 'trust/good-chain'` finds the row. The capabilities an instance
 * needs are derived from the row (catalog_needs in catalog.c): nothing is
 * written twice.
 *
 * Each family file in scenarios/ exports one array of rows; catalog.c lists
 * the families. The engine sees only the expanded instances
 * (catalog_instances). */
#ifndef TLSH_CATALOG_H
#define TLSH_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "tlsh.h"

struct scen;
struct row;
struct rw_mutation;

/* What a check returns: use the ENSURE/GUARD/FAIL macros of scenario.h, never
 * the value directly. A failed check has recorded its FAIL already. */
typedef struct {
	int failed;
} check_t;

#define MUST_CHECK __attribute__((warn_unused_result))

/* ---- axes ------------------------------------------------------------------ */

/* What an axis value sets in the instance. */
enum dim {
	DIM_KT = 1, /* key type: v = KT_RSA / KT_ECDSA */
	DIM_VER,    /* version both sides are bound to: v = TLSH_TLS_1_2 / _3 */
	DIM_ROLE,   /* the side a solo row (or a misbehave row) is about: v = role */
	DIM_POLICY, /* delivery policy: v = enum delivery */
	DIM_SIZE,   /* transfer size in bytes: v */
	DIM_DIR,    /* transfer direction: v = C2S / S2C */
	DIM_EOF_TO, /* side that gets the transport EOF: v = role */
	DIM_CRANGE, /* client version bounds: v = lowest, w = highest */
	DIM_SRANGE, /* server version bounds: v = lowest, w = highest */
	DIM_P,      /* a row-specific parameter: v, w, ptr */
	DIM_RCAP,   /* capacity of read on the row's side (DIM_ROLE; 0: both): v bytes, or
	             * CAP_LESS_ONE: one byte less than the plaintext pending */
	DIM_OCAP,   /* capacity of process_outgoing on that side: v bytes, or CAP_LESS_ONE:
	             * one byte less than outgoing_bytes_buffered */
	DIM_MUT,    /* the misbehaving peer's mutation: ptr = struct rw_mutation */
};

#define CAP_LESS_ONE (-1)

struct axval {
	const char *tag;  /* id segment, e.g. "rsa", "tls13", "one-byte" */
	intptr_t v, w;    /* the value(s), per enum dim */
	const void *ptr;  /* DIM_P: a row-specific object */
	const char *text; /* params text; NULL: the tag */
};

struct axis {
	const char *name; /* placeholder in the id: {name} */
	enum dim dim;     /* set from each value's v (ranges: v and w) */
	enum dim dim2;    /* 0, or a second dimension set from each value's w */
	const struct axval *vals;
	size_t n;
};

#define ROW_MAX_AXES 4

/* Axes every family uses (catalog.c). */
extern const struct axis ax_kt;     /* {kt}: rsa, ecdsa */
extern const struct axis ax_ver;    /* {ver}: tls12, tls13 */
extern const struct axis ax_role;   /* {role}: client, server */
extern const struct axis ax_dir;    /* {dir}: c2s, s2c */
extern const struct axis ax_eof_to; /* {to}: to-client, to-server */

#define AXIS(nm, d, arr)                                                                           \
	{                                                                                          \
		.name = (nm), .dim = (d), .vals = (arr), .n = sizeof(arr) / sizeof((arr)[0])       \
	}
#define AXIS2(nm, d, d2, arr)                                                                      \
	{                                                                                          \
		.name = (nm), .dim = (d), .dim2 = (d2), .vals = (arr),                             \
		.n = sizeof(arr) / sizeof((arr)[0])                                                \
	}

enum { KT_RSA = 0, KT_ECDSA = 1 };

/* ---- one side's configuration ------------------------------------------------ */

/* Side flags. */
enum {
	SIDE_NO_INTERMEDIATE = 1u << 0, /* the chain is the leaf alone */
	SIDE_TRUST_PATH = 1u << 1,      /* trust store given as a path */
	SIDE_NO_TRUST = 1u << 2,        /* client: no trust store at all */
	SIDE_UNBOUND = 1u << 3,         /* not bound to the instance's version */
	SIDE_NO_CHAIN = 1u << 4,        /* server: no certificate chain */
};

#define ROW_MAX_ALPN 9

/* A byte-string literal, NULs included: NAME("h2\0x") is 4 bytes. */
#define NAME(lit)                                                                                  \
	{                                                                                          \
		(const uint8_t *)(lit), sizeof(lit) - 1                                            \
	}
#define ROW_MAX_CIPHERS 4

struct side {
	/* Certificate chains by PKI stem (<kt>-<stem>.pem/.key): for a server
	 * the default is {"server"}; for a client none. A second stem gives
	 * a second chain (SNI). */
	const char *chain[2];
	/* Trust store by PKI file suffix (<kt>-<trust>.pem): client default
	 * "ca"; server default none (a server trust store requests and
	 * requires a client certificate). */
	const char *trust;
	/* Explicit version bounds; 0/0 follow the instance's version. */
	enum tlsh_version lo, hi;
	/* ALPN names in preference order (NAME("h2"): any bytes, NULs too);
	 * the list ends at the first entry without data. */
	struct tlsh_bytes alpn[ROW_MAX_ALPN];
	/* IANA cipher ids, 0-terminated. */
	uint16_t ciphers[ROW_MAX_CIPHERS + 1];
	uint32_t insecure;
	unsigned flags;
};

/* ---- expected outcome -------------------------------------------------------- */

enum outcome {
	OUT_EXTRA = 0,      /* the row's extra function decides everything */
	OUT_ESTABLISHED,    /* both complete; API and wire agree */
	OUT_CLIENT_REJECTS, /* the client fails first (certificate, identity) */
	OUT_SERVER_REJECTS, /* the server fails first */
	OUT_CONFIG_ERROR,   /* solo: validate_config and context_new refuse */
	OUT_CONFIG_OK,      /* solo: validate_config, context_new, buffer_new accept */
	OUT_BUFFER_REFUSED, /* solo: validate_config and context_new accept, buffer_new returns
	                     * CONFIGURATION_ERROR (e.g. a NULL server_hostname) */
	/* Misbehaving peer (row.puppet): the backend under test ... */
	OUT_REJECTS,  /* ... aborts where the mutated message arrives: nothing but an
	               * alert leaves it afterwards, and it fails (never completes,
	               * never hangs), with one of the row's alerts (else PASS-LOOSE) */
	OUT_PROCEEDS, /* ... takes the mutated message and sends its next flight (what
	               * happens later, e.g. a Finished that no longer matches, is not
	               * judged) */
};

#define ROW_MAX_ALERTS 3

/* What to check after an established handshake. */
struct after {
	/* Transfer `size` bytes in direction `dir` (0: 100 bytes each way),
	 * then check the receiver has nothing more and records stay within
	 * the size limit. */
	size_t size;
	int dir;
	int no_transfer; /* skip the default 100-byte exchange */
	/* getpeercert on `peercert_on` (a role) returns <kt>-<stem>.pem's DER;
	 * stem NULL: returns none. */
	int peercert_on;
	const char *peercert_stem;
	/* TLS 1.2 wire: certificates in the server's / client's Certificate
	 * (0: not checked; -2: no Certificate message; -3: an empty one), a
	 * CertificateRequest seen (1) or not (-1). */
	int server_certs, client_certs, cert_request;
	/* The protocol both sides report (and a TLS 1.2 ServerHello selects):
	 * with alpn_check set, alpn (data NULL: none). */
	int alpn_check;
	struct tlsh_bytes alpn;
	/* Byte counts: every process_outgoing / process_incoming of both
	 * sides is checked against outgoing/incoming_bytes_buffered (endpoint.h
	 * count_check), and after the transfer both counts are 0. */
	int counts;
};

/* Several connections from one client context and one server context
 * (tlsh.h: a context may create any number of buffers). */
struct conns {
	int n;           /* connections (buffers per context); < 2: one, the usual run */
	int interleaved; /* all alive at once, handshakes stepped in turn; one connection's
	                  * buffers are then freed and the others (and a new one) still work */
	/* The first connection's first flight to the row's side (`role`) is
	 * corrupted (its record type byte): that side's handshake must fail,
	 * and the same contexts must then serve the other connections. */
	int fail_first;
};

#define DIR_BOTH 2

/* ---- the row ----------------------------------------------------------------- */

struct row {
	const char *id;     /* template, e.g. "handshake/trust/good-chain/{kt}/{ver}" */
	const char *spec;   /* "RFC 8446 section 6.1: ..." or "descriptor: ..." */
	const char *title;  /* one line: what is checked */
	const char *expect; /* expected-outcome text for the report; NULL: derived */
	const struct axis *axes[ROW_MAX_AXES];
	/* Fixed dimensions (an axis of the same dim overrides). */
	int kt;
	enum tlsh_version ver; /* NONE: default bounds */
	enum tlsh_role role;   /* the side the row is about (0: none or both) */
	int solo;              /* 1: one side alone (validate_config ...): `role` or DIM_ROLE */
	/* 1: the rule is the `role` side's alone (its name matching, its
	 * buffer bounds): a matrix runs the row in self pairs and with the
	 * other side played by the reference peer (--puppet, OpenSSL by
	 * default), not in every pair; with no reference among the pairs'
	 * backends, in every pair. */
	int one_side;
	struct side client, server;
	const char *host; /* server_hostname; NULL: "server.tlsh.test"; HOST_NONE: NULL */
	enum outcome outcome;
	int alerts[ROW_MAX_ALERTS]; /* alerts the RFC names (0-terminated); none: not checked */
	struct after after;
	struct conns conns;
	/* Byte-level behaviour (ragged-eof): who gets a transport EOF and who
	 * shuts down (role bits), for the extra to use and the capabilities. */
	unsigned eof_to, shutdown_by;
	/* Capabilities no field above implies (rare; prefer a field). */
	uint64_t need_client, need_server;
	double time_scale; /* 0: 1 */
	/* Misbehaving peer: the backend under test plays the role of the
	 * instance (a DIM_ROLE axis); the other side is the puppet (--puppet,
	 * OpenSSL by default), whose bytes pass through `mut` (or the DIM_MUT
	 * axis's) before they reach the backend under test. `coax` rewrites
	 * what the backend under test sends, to make the puppet produce a
	 * message (e.g. a HelloRetryRequest). `stall_ok`: the mutation makes
	 * the receiver wait for bytes that never come (a length grown); a
	 * transport EOF then ends it. */
	int puppet;
	const struct rw_mutation *mut, *coax;
	int stall_ok;
	/* Misbehaving peer, encrypted phase: what the puppet does once the
	 * handshake is over, so that the mutated record goes by (enum post). */
	int post;
	/* OUT_REJECTS: alerts that show the backend under test took the
	 * mutated message and failed only later, at a signature or Finished
	 * the change invalidated (e.g. decrypt_error after a changed
	 * EncryptedExtensions): a FAIL (0-terminated). */
	int late[ROW_MAX_ALERTS];
	MUST_CHECK check_t (*extra)(struct scen *s);
	MUST_CHECK check_t (*check)(struct scen *s);
};

/* row.post: after the handshake (which must complete), the puppet ... */
enum post {
	POST_NONE = 0,
	POST_DATA,  /* ... sends data; the backend under test reads (and, if the
	             * row expects it to go on, answers: data both ways) */
	POST_CLOSE, /* ... sends close_notify; the backend under test reads */
};

#define HOST_NONE "\x01none"
#define ROLE_BIT(r) (1u << (r))

/* ---- families and instances ------------------------------------------------ */

struct family {
	const char *name;
	const struct row *rows;
	size_t n;
};

/* The families, in order (catalog.c). */
extern const struct family *const catalog_families[];
extern const size_t catalog_nfamilies;

/* An expanded row: what the engine runs (one scenario instance per pair of
 * backends). The field names the engine reads (id, family, need_client,
 * need_server, solo, time_scale, run) keep their meaning. */
struct scen_def {
	const struct row *row;
	const char *family;
	const char *spec, *title;
	char id[160];
	char params[128];
	uint64_t need_client, need_server; /* TLSH_CAP_* bits, derived from the row */
	/* 0: a client/server pair. TLSH_ROLE_CLIENT or TLSH_ROLE_SERVER: only
	 * that side's backend is exercised (e.g. validate_config). */
	int solo;
	int one_side;                /* row.one_side: the rule is `role`'s side's alone */
	double time_scale;           /* 0: 1 */
	void (*run)(struct scen *s); /* the interpreter */
	/* Resolved dimensions. */
	int kt;
	enum tlsh_version ver;
	enum tlsh_role role; /* DIM_ROLE, or 0 */
	int policy;
	size_t size;
	int dir;
	unsigned eof_to;
	size_t rcap, ocap; /* read / process_outgoing capacity on `role`'s side (0: none) */
	enum tlsh_version clo, chi, slo, shi; /* each side's configured bounds */
	intptr_t p, pw;
	const void *ptr;
	const struct rw_mutation *mut; /* puppet rows: the mutation */
};

/* Expands every row of every family once, in family and row order (aborts
 * on a duplicate id or a row that cannot expand: a bug in the catalog). */
const struct scen_def *scen_all(size_t *n);

/* The families (scenarios/), each defined with FAMILY() next to its rows. */
extern const struct family family_handshake;
extern const struct family family_ragged_eof;
extern const struct family family_version_bounding;
extern const struct family family_alpn;
extern const struct family family_misbehave;
extern const struct family family_misbehave_encrypted;

#define FAMILY(var, nm, rows) const struct family var = {nm, rows, sizeof(rows) / sizeof((rows)[0])}

#endif
