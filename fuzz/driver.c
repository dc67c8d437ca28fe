/*
 * driver.c - the one fuzz driver (LLVMFuzzerTestOneInput) for every backend,
 * role and stage, for libFuzzer and AFL++ alike. It sees a backend only
 * through the descriptor (tlsh.h), and through the harness's own pieces,
 * compiled in: the guarded endpoint calls (harness/src/endpoint.c, in strict
 * mode), the pump (pump.c: what each side sends is held there, digested and
 * delivered) and the configuration builder (config.c, over the embedded
 * test PKI).
 *
 * Build-time choices (fuzz/build.sh sets them from the target name):
 *   TLSH_FUZZ_ROLE     1: the fuzzed side is the client, 2: the server
 *   TLSH_FUZZ_STAGE    k: a real handshake with a real peer (same backend)
 *                      runs until the fuzzed side has received k of the
 *                      peer's flights; the fuzz input then replaces the
 *                      peer's next flight. 0: the input is the peer's first
 *                      flight (no peer is needed).
 *   TLSH_FUZZ_VERSION  0x0303 or 0x0304 pins both sides to TLS 1.2 or 1.3;
 *                      0 lets both offer 1.2..1.3.
 *   TLSH_FUZZ_RSA      1: both sides handshake with the server's RSA chain
 *                      (the client asks for alt.tlsh.test) and the client
 *                      offers only suites that put RSA to work: RSA key
 *                      transport with AES-CBC and HMAC (TLS 1.2: the
 *                      ClientKeyExchange is an RSA ciphertext, records are
 *                      MAC-then-encrypt) or ChaCha20-Poly1305 with RSA-PSS
 *                      signatures (TLS 1.3). Needs a pinned version.
 *   TLSH_FUZZ_CFG      1 (stage 0 only): the fuzzed side's configuration comes
 *                      from the input too (see "configuration from the
 *                      input" below): its context is made per input, from
 *                      versions, cipher ids, ALPN names, chains, trust store
 *                      and certificate/key bytes the input chooses or
 *                      replaces; the rest of the input is the peer's flight.
 *   TLSH_FUZZ_ADAPTER_PATH  if set, the adapter .so is dlopen'ed from there;
 *                      otherwise the adapter source is linked in (its
 *                      coverage counts) and its entry point called directly.
 *   TLSH_FUZZ_TARGET   the target's name, for messages.
 *   TLSH_FUZZ_KIND     "instrumented" or "smoke" (library without coverage).
 *
 * The input: an 8-byte header (fuzz.h, fuzz/README.md) choosing the
 * chunking and the buffer calls after the stream, then the bytes the peer
 * would send. Contexts (and with them the parsed certificates and keys) are
 * built once; buffers are built per input. Before every input the
 * deterministic RNG stream is rewound (fz_det_reset), so that an input does
 * the same thing whatever ran before it in the process.
 *
 * The adapter is also held to the descriptor contract (endpoint.c's checks,
 * strict): a status outside a call's allowed set, a length beyond the buffer
 * given, OK with 0 bytes from read, ... aborts with "tlsh-fuzz: ABI
 * violation", so the fuzzer reports it like a crash.
 *
 * Environment (never needed for fuzzing):
 *   TLSH_FUZZ_TRACE=1  prints a digest of every byte each side sent and the
 *                      final statuses, per input (determinism checks).
 *   TLSH_FUZZ_SNAPSHOT=0  stage >= 1: redo the handshake for every input
 *                      in process instead of forking a prepared state
 *                      (see "snapshot mode" below).
 *   TLSH_FUZZ_EMIT=F   writes a seed to F: the default header and the real
 *                      peer flight the fuzz input replaces (needs a peer,
 *                      which emit mode creates at stage 0 too).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "endpoint.h"
#include "fuzz.h"
#include "pump.h"
#include "tlsh.h"

#ifndef TLSH_FUZZ_ROLE
#error "TLSH_FUZZ_ROLE must be 1 (client) or 2 (server)"
#endif
#ifndef TLSH_FUZZ_STAGE
#define TLSH_FUZZ_STAGE 0
#endif
#ifndef TLSH_FUZZ_VERSION
#define TLSH_FUZZ_VERSION 0
#endif
#ifndef TLSH_FUZZ_RSA
#define TLSH_FUZZ_RSA 0
#endif
#ifndef TLSH_FUZZ_CFG
#define TLSH_FUZZ_CFG 0
#endif
#if TLSH_FUZZ_CFG && TLSH_FUZZ_STAGE != 0
#error "TLSH_FUZZ_CFG needs stage 0"
#endif
#ifndef TLSH_FUZZ_TARGET
#define TLSH_FUZZ_TARGET "tlsh-fuzz"
#endif
#ifndef TLSH_FUZZ_KIND
#define TLSH_FUZZ_KIND "smoke"
#endif

#define FZ_HOST (TLSH_FUZZ_RSA ? ALT_HOST : TEST_HOST)
/* Bounds that keep every input short: rounds of the pre-stage handshake,
 * reads per drive, handshake retries, process_outgoing calls per drain, and
 * the size of every read and process_outgoing. */
#define FZ_MAX_ROUNDS 32
#define FZ_MAX_READS 64
#define FZ_MAX_RETRIES 8
#define FZ_MAX_DRAINS 1024
#define FZ_IO_CAP ((size_t)16 << 10)
/* What the pump holds of one side's output between deliveries, reserved
 * before the first input (more than any input sends). */
#define FZ_HELD_CAP ((size_t)256 << 10)

#ifndef TLSH_FUZZ_ADAPTER_PATH
const struct tlsh_implementation *tlsh_implementation(const char *arg);
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tlsh_implementation *impl;
static struct impl_handle fz_ih; /* impl, as the endpoint calls take it */
/* The contexts, as endpoints without a buffer (ep_open_context). */
static const struct endpoint *fz_ctx;   /* the fuzzed side's */
static const struct endpoint *peer_ctx; /* the real peer's */
static const enum tlsh_role fz_role = (enum tlsh_role)TLSH_FUZZ_ROLE;
static const enum tlsh_role peer_role = TLSH_FUZZ_ROLE == 1 ? TLSH_ROLE_SERVER : TLSH_ROLE_CLIENT;
static int trace;
static const char *emit_path;
static const char *fz_host = FZ_HOST; /* the client's server_hostname */

static void fz_warmup(void *arg);
static void fz_snap(void);
static int snap_on; /* snapshot mode (see fz_snap) */
/* The pump's storage, kept from one input to the next (outside snapshot
 * mode) and reserved before the first: an input allocates nothing for it,
 * as the old static sinks did not (libFuzzer runs an input that leaves more
 * mallocs than frees a second time, looking for a leak; under ASan every
 * fresh allocation also costs page faults). */
static struct pump fz_kept;
static uint8_t *snap_cov; /* coverage counters shared with the children */

/* ---- contract checks -------------------------------------------------------- */

/* endpoint.c reports a broken rule as "ROLE adapter (NAME): what"; the
 * prefix is what fuzz/triage.sh recognises. */
static void fz_violation_hook(const char *msg)
{
	fprintf(stderr, "tlsh-fuzz: ABI violation by %s\n", msg);
	abort();
}

/* A rule only the driver can see (it spans two calls). */
static void fz_violation(const char *what)
{
	char msg[512];
	fmt_into(msg, sizeof msg, "%s adapter (%s): %s",
	         fz_role == TLSH_ROLE_CLIENT ? "client" : "server", impl->name, what);
	ep_violation(msg);
}

static void fz_cfg_fatal(const char *msg)
{
	fprintf(stderr, "tlsh-fuzz: %s\n", msg);
	abort();
}

/* ---- one side --------------------------------------------------------------- */

/* One input's connection: the fuzzed side and the real peer, and the pump
 * between them. What a side sends is held in the pump (pump.held[its
 * direction]) until it is delivered or dropped, and digested there
 * (pump.digest, pump.total: the trace). */
struct side {
	struct endpoint ep;
	enum dir dir;     /* the direction it sends in */
	int done;         /* handshake completed */
	int dead;         /* TLS_ERROR or a terminal read status seen */
	int last;         /* last status of a driving call */
	int post_actions; /* the peer's actions after its handshake */
};

struct run {
	const uint8_t *data;
	size_t size;
	struct pump pump;
	struct side fz, peer;
	int have_peer;
	size_t skip; /* the stream starts after the header and this many bytes (cfg) */
};

static struct side *fz_client(struct run *r)
{
	return fz_role == TLSH_ROLE_CLIENT ? &r->fz : &r->peer;
}

/* Takes what `s` has pending into the pump: everything (cap 0), or what one
 * process_outgoing call of `cap` bytes gives. Returns the count. */
static size_t side_drain(struct run *r, struct side *s, size_t cap)
{
	return pump_hold_n(&r->pump, s->dir, cap == 0 ? FZ_IO_CAP : cap,
	                   cap == 0 ? FZ_MAX_DRAINS : 1);
}

/* Forgets what `s` sent since its last delivery. */
static void side_drop(struct run *r, struct side *s)
{
	bytes_reset(&r->pump.held[s->dir]);
}

static int side_incoming(struct side *s, const uint8_t *p, size_t n)
{
	int st = ep_incoming(&s->ep, p, n);
	if (st == TLSH_TLS_ERROR)
		s->dead = 1;
	return st;
}

/* Delivers what `from` sent since its last delivery to `to` in one
 * process_incoming call, then forgets it whatever the status (a full
 * receiver does not get it later). */
static int side_deliver(struct run *r, struct side *from, struct side *to)
{
	int st = pump_release(&r->pump, from->dir);
	if (st == TLSH_TLS_ERROR)
		to->dead = 1;
	side_drop(r, from);
	return st;
}

static int side_read(struct side *s, size_t cap)
{
	static uint8_t tmp[FZ_IO_CAP];
	size_t n;
	if (cap > sizeof tmp)
		cap = sizeof tmp;
	int st = ep_read(&s->ep, tmp, cap, &n);
	if (st == TLSH_TLS_ERROR || st == TLSH_CLOSED || st == TLSH_RAGGED_EOF)
		s->dead = 1;
	return st;
}

static int side_write(struct side *s, size_t len)
{
	static uint8_t pattern[FZ_IO_CAP + 1];
	size_t n;
	if (len > sizeof pattern)
		len = sizeof pattern;
	if (pattern[0] == 0)
		for (size_t i = 0; i < sizeof pattern; i++)
			pattern[i] = (uint8_t)('A' + i % 26);
	int st = ep_write(&s->ep, pattern, len, &n);
	if (st == TLSH_TLS_ERROR)
		s->dead = 1;
	return st;
}

/* Makes progress on `s`: the handshake, then reads of whatever plaintext is
 * buffered. Output is taken into the pump after every call. */
static int side_drive(struct run *r, struct side *s)
{
	int st = TLSH_OK;
	if (!s->done) {
		for (int i = 0; i < FZ_MAX_RETRIES; i++) {
			st = ep_handshake(&s->ep);
			side_drain(r, s, 0);
			if (st != TLSH_WANT_WRITE)
				break;
		}
		if (st == TLSH_OK)
			s->done = 1;
		else if (st == TLSH_TLS_ERROR)
			s->dead = 1;
		s->last = st;
		if (!s->done)
			return st;
	}
	for (int i = 0; i < FZ_MAX_READS && !s->dead; i++) {
		st = side_read(s, FZ_IO_CAP);
		side_drain(r, s, 0);
		if (st != TLSH_OK && st != TLSH_WANT_WRITE)
			break;
	}
	s->last = st;
	return st;
}

/* Every query (endpoint.c checks each answer); what identifies the
 * connection - ALPN, peer certificate, cipher - goes into the side's digest. */
static void side_query(struct run *r, struct side *s)
{
	struct tlsh_error err;
	const uint8_t *p;
	size_t len;
	uint16_t cipher = ep_cipher(&s->ep);
	(void)ep_version(&s->ep);
	if (ep_alpn(&s->ep, &p, &len))
		pump_fold(&r->pump, s->dir, p, len);
	if (ep_peercert(&s->ep, &p, &len))
		pump_fold(&r->pump, s->dir, p, len);
	(void)ep_in_pending(&s->ep);
	(void)ep_out_pending(&s->ep);
	ep_last_error(&s->ep, &err);
	uint8_t c[2] = {(uint8_t)(cipher >> 8), (uint8_t)cipher};
	pump_fold(&r->pump, s->dir, c, 2);
}

/* ---- configuration ----------------------------------------------------------- */

/* A stage-0 server offers every suite a TLS 1.2/1.3 library may implement,
 * in the order of RFC 9325's recommendations, so that the ClientHello (the
 * fuzz input) can steer it into any cipher, key exchange and signature its
 * library has - as a maintainer fuzzing a server enables everything. The
 * descriptor contract: ids a library does not know are ignored. Later
 * stages keep the libraries' defaults, so that the real handshake stays the
 * one their corpora were recorded from. In order: the five TLS 1.3 suites;
 * ECDHE with AEADs (GCM, ChaCha20-Poly1305, CCM, CCM_8, ARIA, Camellia);
 * DHE with AEADs; ECDHE and DHE with CBC; RSA key transport with AEADs,
 * CBC, Camellia and 3DES. */
static const uint16_t fz_wide_ciphers[] = {
        0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
        0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xc05c, 0xc05d, 0xc060, 0xc061, 0xc086, 0xc087, 0x009e,
        0x009f, 0xccaa, 0xc09e, 0xc09f, 0xc0a2, 0xc0a3, 0xc023, 0xc027, 0xc024, 0xc028, 0xc009,
        0xc013, 0xc00a, 0xc014, 0x0067, 0x006b, 0x0033, 0x0039, 0x009c, 0x009d, 0xc09c, 0xc09d,
        0xc0a0, 0xc0a1, 0x003c, 0x003d, 0x002f, 0x0035, 0x0041, 0x0084, 0xc012, 0xc008, 0x000a};

/* The client's suites in an RSA target (TLSH_FUZZ_RSA). */
static const uint16_t fz_rsa_ciphers_tls12[] = {0x003c,
                                                0x002f}; /* RSA_WITH_AES_128_CBC_SHA256, _SHA */
static const uint16_t fz_rsa_ciphers_tls13[] = {0x1303}; /* CHACHA20_POLY1305_SHA256 */

/* The test PKI's chains, as config.c names them (the files are the embedded
 * ones, fz_pki_provide). */
static void fz_chain_ecdsa_server(struct cfgb *b)
{
	cfg_chain(b, "ecdsa", "server", 1);
}

static void fz_chain_rsa_alt(struct cfgb *b)
{
	cfg_chain(b, "rsa", "alt", 1);
}

/* A client's trust store of both test roots. */
static void fz_trust_both(struct cfgb *b)
{
	cfg_trust(b, "ecdsa-ca.pem");
	cfg_trust_add(b, "rsa-ca.pem");
}

static const struct endpoint *fz_context(enum tlsh_role role)
{
	/* Static storage: contexts live for the process, and so does what
	 * they were built from. */
	static struct cfgb builders[2];
	static struct endpoint contexts[2];
	struct cfgb *b = &builders[role == TLSH_ROLE_SERVER];
	struct endpoint *e = &contexts[role == TLSH_ROLE_SERVER];

	cfg_init(b);
	if (role == TLSH_ROLE_SERVER && role == fz_role && TLSH_FUZZ_STAGE == 0)
		cfg_ciphers(b, fz_wide_ciphers, sizeof fz_wide_ciphers / sizeof fz_wide_ciphers[0]);
	cfg_versions(b, TLSH_FUZZ_VERSION ? (enum tlsh_version)TLSH_FUZZ_VERSION : TLSH_TLS_1_2,
	             TLSH_FUZZ_VERSION ? (enum tlsh_version)TLSH_FUZZ_VERSION : TLSH_TLS_1_3);
	if (role == TLSH_ROLE_SERVER) {
		/* ECDSA chain for server.tlsh.test (the default), RSA for
		 * alt.tlsh.test (chosen by SNI); client certificates required
		 * and verified against the ECDSA root. */
		fz_chain_ecdsa_server(b);
		if ((impl->capabilities & TLSH_CAP_SNI_CHAINS) &&
		    (impl->capabilities & TLSH_CAP_RSA))
			fz_chain_rsa_alt(b);
		if (impl->capabilities & TLSH_CAP_CLIENT_AUTH)
			cfg_trust(b, "ecdsa-ca.pem");
	} else {
		if (TLSH_FUZZ_RSA && TLSH_FUZZ_VERSION == TLSH_TLS_1_3)
			cfg_ciphers(b, fz_rsa_ciphers_tls13, 1);
		else if (TLSH_FUZZ_RSA)
			cfg_ciphers(b, fz_rsa_ciphers_tls12, 2);
		fz_trust_both(b);
		if (impl->capabilities & TLSH_CAP_CLIENT_AUTH)
			cfg_chain(b, "ecdsa", "client", 1);
	}
	if (impl->capabilities & TLSH_CAP_ALPN)
		cfg_alpn(b, "h2", "http/1.1", NULL);
	if (!(impl->capabilities & TLSH_CAP_TLS13) &&
	    b->cfg.highest_supported_version == TLSH_TLS_1_3)
		b->cfg.highest_supported_version = TLSH_TLS_1_2;
	if (b->cfg.ciphers != NULL && ep_open_context(e, &fz_ih, role, &b->cfg) != TLSH_OK) {
		/* A library that cannot enable exactly this set (GnuTLS enables
		 * key exchange x cipher x MAC) keeps its default suites. */
		if (getenv("TLSH_FUZZ_QUIET") == NULL)
			fprintf(stderr,
			        "tlsh-fuzz: the wide cipher list was refused (%s); "
			        "the server keeps %s's default suites\n",
			        e->err.message, impl->name);
		b->cfg.ciphers = NULL;
		b->cfg.ciphers_len = 0;
	}
	if (e->ctx == NULL && ep_open_context(e, &fz_ih, role, &b->cfg) != TLSH_OK) {
		fprintf(stderr, "tlsh-fuzz: %s context_new failed: %s\n", e->label, e->err.message);
		abort();
	}
	return e;
}

static void fz_load(void)
{
#ifdef TLSH_FUZZ_ADAPTER_PATH
	void *dl = dlopen(TLSH_FUZZ_ADAPTER_PATH, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "tlsh-fuzz: %s\n", dlerror());
		abort();
	}
	tlsh_entry_fn entry = (tlsh_entry_fn)dlsym(dl, TLSH_ENTRY_SYMBOL);
	impl = entry != NULL ? entry(NULL) : NULL;
#else
	impl = tlsh_implementation(NULL);
#endif
	if (impl == NULL || impl->abi_version != TLSH_ABI_VERSION ||
	    impl->struct_size < sizeof(struct tlsh_implementation)) {
		fprintf(stderr, "tlsh-fuzz: no usable descriptor\n");
		abort();
	}
	fz_ih.fn = *impl;
	fz_ih.self = impl;
	if (TLSH_FUZZ_VERSION == TLSH_TLS_1_3 && !(impl->capabilities & TLSH_CAP_TLS13)) {
		fprintf(stderr, "tlsh-fuzz: %s does not declare TLS 1.3\n", impl->name);
		abort();
	}
	const uint32_t rsa_caps = TLSH_CAP_RSA | TLSH_CAP_SNI_CHAINS |
	                          (TLSH_FUZZ_VERSION == TLSH_TLS_1_3 ? TLSH_CAP_CIPHERS_TLS13
	                                                             : TLSH_CAP_CIPHERS_TLS12);
	if (TLSH_FUZZ_RSA && (impl->capabilities & rsa_caps) != rsa_caps) {
		fprintf(stderr,
		        "tlsh-fuzz: an RSA target needs RSA, SNI-chosen chains and a cipher list "
		        "(TLSH_CAP_RSA, _SNI_CHAINS, _CIPHERS_TLS1x): %s does not declare them "
		        "all\n",
		        impl->name);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ep_strict = 1;
	ep_violation = fz_violation_hook;
	cfg_fatal = fz_cfg_fatal;
	fz_pki_provide();
	fz_det_init();
	fz_load();
	fz_det_reset();
	fz_ctx = fz_context(fz_role);
	peer_ctx = fz_context(peer_role);
	/* One empty input first: whatever a library initialises lazily on its
	 * first connection (BoringSSL probes getrandom once per process, OpenSSL
	 * fetches algorithms) happens now, so that every real input, the first
	 * one of a reproduction included, starts from the same state. */
	fz_det_run(fz_warmup, NULL);
	trace = getenv("TLSH_FUZZ_TRACE") != NULL;
	emit_path = getenv("TLSH_FUZZ_EMIT");
	if (getenv("TLSH_FUZZ_QUIET") == NULL)
		fprintf(stderr,
		        "tlsh-fuzz: %s [%s build] %s (%s); %s role, stage %d, %s\n"
		        "tlsh-fuzz: %s\n",
		        TLSH_FUZZ_TARGET, TLSH_FUZZ_KIND, impl->name, impl->library_version,
		        fz_role == TLSH_ROLE_SERVER ? "server" : "client", TLSH_FUZZ_STAGE,
		        TLSH_FUZZ_VERSION == 0x0303   ? "TLS 1.2"
		        : TLSH_FUZZ_VERSION == 0x0304 ? "TLS 1.3"
		                                      : "TLS 1.2-1.3",
		        fz_det_describe());
	fz_snap();
	if (!snap_on)
		pump_reserve(&fz_kept, FZ_HELD_CAP);
	if (snap_on && getenv("TLSH_FUZZ_QUIET") == NULL)
		fprintf(stderr,
		        "tlsh-fuzz: snapshot mode: the handshake before the input is done once; "
		        "every input runs in a fork of that state%s\n",
		        snap_cov != NULL ? " (coverage counters copied back)" : "");
	return 0;
}

/* ---- configuration from the input (TLSH_FUZZ_CFG) ---------------------------------- */

/* After the 8-byte header, a cfg target's input configures the fuzzed side
 * (fuzz/README.md, "Input format"); missing bytes read as 0, which gives the
 * default configuration:
 *   F1  bits 0-1 versions: 0 1.2-1.3, 1 1.2 only, 2 1.3 only, 3 a byte V
 *       follows: lowest = fz_cfg_versions[V & 7], highest = [(V >> 3) & 7]
 *       (including NONE, MIN/MAX_SUPPORTED and unknown values);
 *       bit 2 ALPN: a byte N, then N & 7 names, each a length byte and
 *       that many bytes (0 and lengths past the input included);
 *       bit 3 ciphers: a byte N, then N & 63 big-endian ids;
 *       bits 4-5 chains: server 0 ECDSA, 1 RSA, 2 both, 3 both RSA first;
 *       client 0 none, 1 ECDSA, 2 ECDSA without intermediate, 3 RSA;
 *       bit 6 trust store: server: the ECDSA root (client authentication),
 *       else none; client: the ECDSA root only, else both roots;
 *       bit 7 replace: a byte I and a big-endian 16-bit length L, then L
 *       bytes that stand for test-PKI item I % FZ_PKI_COUNT (fuzz.h)
 *       wherever the configuration uses it;
 *   F2  bits 0-1 insecure flags; bit 2 an unknown insecure flag too; bit 3
 *       a client asks for alt.tlsh.test (the RSA chain).
 * The context is checked against the contract: validate_config and
 * context_new return OK or CONFIGURATION_ERROR, context_new gives a context
 * exactly on OK, and rejects what validate_config rejected. */
static const enum tlsh_version fz_cfg_versions[8] = {TLSH_VERSION_NONE,
                                                     TLSH_VERSION_MINIMUM_SUPPORTED,
                                                     TLSH_TLS_1_2,
                                                     TLSH_TLS_1_3,
                                                     TLSH_VERSION_MAXIMUM_SUPPORTED,
                                                     (enum tlsh_version)0x0301,
                                                     (enum tlsh_version)0x0305,
                                                     (enum tlsh_version)0x7f1c};

struct fz_cfg_reader {
	const uint8_t *p;
	size_t n, used;
};

static unsigned fz_cfg_byte(struct fz_cfg_reader *rd)
{
	if (rd->used >= rd->n)
		return 0;
	return rd->p[rd->used++];
}

/* Up to `len` bytes from the input (fewer at its end). */
static struct tlsh_bytes fz_cfg_take(struct fz_cfg_reader *rd, size_t len)
{
	size_t left = rd->n - rd->used;
	struct tlsh_bytes b = {rd->p + rd->used, len < left ? len : left};
	rd->used += b.len;
	return b;
}

/* Builds the fuzzed side's context from the input after the header into
 * *ctx (ctx->ctx NULL when the configuration is rejected); returns the bytes
 * used, header included. Names and replaced items point into the input, and
 * the builder's copies are freed right after context_new: a sanitizer sees
 * an adapter that reads past them or keeps them. */
static size_t fz_cfg_context(const uint8_t *data, size_t size, struct endpoint *ctx)
{
	struct fz_cfg_reader rd = {data, size, size < FZ_HEADER_LEN ? size : FZ_HEADER_LEN};
	struct cfgb b;
	struct tlsh_error err;

	cfg_init(&b);
	unsigned f1 = fz_cfg_byte(&rd), f2 = fz_cfg_byte(&rd);
	switch (f1 & 3) {
	case 0:
		cfg_versions(&b, TLSH_TLS_1_2, TLSH_TLS_1_3);
		break;
	case 1:
		cfg_versions(&b, TLSH_TLS_1_2, TLSH_TLS_1_2);
		break;
	case 2:
		cfg_versions(&b, TLSH_TLS_1_3, TLSH_TLS_1_3);
		break;
	default: {
		unsigned v = fz_cfg_byte(&rd);
		cfg_versions(&b, fz_cfg_versions[v & 7], fz_cfg_versions[(v >> 3) & 7]);
	}
	}
	if (f1 & 4) {
		unsigned n = fz_cfg_byte(&rd) & 7;
		for (unsigned i = 0; i < n; i++) {
			struct tlsh_bytes name = fz_cfg_take(&rd, fz_cfg_byte(&rd));
			cfg_alpn_ref(&b, name.data, name.len);
		}
	} else {
		cfg_alpn(&b, "h2", "http/1.1", NULL);
	}
	if (f1 & 8) {
		uint16_t ciphers[63];
		unsigned n = fz_cfg_byte(&rd) & 63;
		for (unsigned i = 0; i < n; i++) {
			unsigned hi = fz_cfg_byte(&rd);
			ciphers[i] = (uint16_t)(hi << 8 | fz_cfg_byte(&rd));
		}
		cfg_ciphers(&b, ciphers, n);
	}
	if (f1 & 128) {
		unsigned i = fz_cfg_byte(&rd) % FZ_PKI_COUNT;
		unsigned hi = fz_cfg_byte(&rd);
		struct tlsh_bytes item = fz_cfg_take(&rd, hi << 8 | fz_cfg_byte(&rd));
		cfg_replace(&b, fz_pki_file[i], item.data, item.len);
	}
	unsigned ch = (f1 >> 4) & 3;
	if (fz_role == TLSH_ROLE_SERVER) {
		(ch == 1 || ch == 3 ? fz_chain_rsa_alt : fz_chain_ecdsa_server)(&b);
		if (ch >= 2)
			(ch == 3 ? fz_chain_ecdsa_server : fz_chain_rsa_alt)(&b);
		if (f1 & 64)
			cfg_trust(&b, "ecdsa-ca.pem");
	} else {
		if (ch == 1 || ch == 2)
			cfg_chain(&b, "ecdsa", "client", ch == 1);
		else if (ch == 3)
			fz_chain_rsa_alt(&b);
		if (f1 & 64)
			cfg_trust(&b, "ecdsa-ca.pem");
		else
			fz_trust_both(&b);
	}
	b.cfg.insecure = (f2 & 3) | (f2 & 4 ? 0x80u : 0);
	fz_host = f2 & 8 ? ALT_HOST : TEST_HOST;

	int valid = ep_validate(&fz_ih, fz_role, &b.cfg, &err);
	int st = ep_open_context(ctx, &fz_ih, fz_role, &b.cfg);
	if (st == TLSH_OK && valid != TLSH_OK)
		fz_violation("context_new accepted a configuration validate_config rejected");
	if (trace && st != TLSH_OK)
		fprintf(stderr,
		        "tlsh-fuzz: trace config rejected: validate_config %d, context_new %d: "
		        "%s\n",
		        valid, st, ctx->err.message);
	cfg_free(&b);
	return rd.used;
}

/* ---- one input ----------------------------------------------------------------- */

static void fz_emit(const uint8_t *flight, size_t n)
{
	FILE *f = fopen(emit_path, "wb");
	if (f == NULL || fwrite(fz_default_header, 1, FZ_HEADER_LEN, f) != FZ_HEADER_LEN ||
	    fwrite(flight, 1, n, f) != n) {
		perror(emit_path);
		exit(1);
	}
	fclose(f);
	fprintf(stderr, "tlsh-fuzz: wrote %zu-byte seed to %s\n", n + FZ_HEADER_LEN, emit_path);
	emit_path = NULL; /* once per process */
}

/* After its handshake the peer has nothing to say on its own; to give later
 * stages a flight to replace, it then sends a line of application data, and
 * after that its close_notify. */
static void peer_post_handshake(struct side *p)
{
	static const char line[] = "GET / HTTP/1.1\r\nHost: server.tlsh.test\r\n\r\n";
	if (!p->done || p->dead || ep_out_pending(&p->ep) > 0)
		return;
	if (p->post_actions == 0) {
		size_t n;
		(void)ep_write(&p->ep, (const uint8_t *)line, sizeof line - 1, &n);
	} else if (p->post_actions == 1) {
		(void)ep_shutdown(&p->ep);
	}
	p->post_actions++;
}

/* Runs the real handshake until the fuzzed side has received TLSH_FUZZ_STAGE
 * flights from the peer; the peer's next flight is dropped (the fuzz input
 * stands in for it), or written as a seed in emit mode. */
static void fz_prestage(struct run *r)
{
	int delivered = 0, idle = 0;
	struct side *cur = fz_client(r);
	for (int round = 0; round < FZ_MAX_ROUNDS; round++) {
		struct side *other = cur == &r->fz ? &r->peer : &r->fz;
		struct bytes *out = &r->pump.held[cur->dir];
		/* The fuzzed client's ClientHello may be held already. */
		if (cur == &r->peer)
			peer_post_handshake(cur);
		side_drive(r, cur);
		if (out->len == 0) {
			if (++idle >= 4)
				break;
			cur = other;
			continue;
		}
		idle = 0;
		if (cur == &r->peer) {
			if (delivered == TLSH_FUZZ_STAGE) {
				if (emit_path != NULL)
					fz_emit(out->data, out->len);
				side_drop(r, cur);
				return;
			}
			delivered++;
		}
		if (!other->dead && side_deliver(r, cur, other) != TLSH_OK) {
			fprintf(stderr, "tlsh-fuzz: the real %s refused a flight\n",
			        other->ep.label);
			abort();
		}
		side_drop(r, cur);
		cur = other;
	}
	fprintf(stderr, "tlsh-fuzz: stage %d unreachable: the real handshake stalled\n",
	        TLSH_FUZZ_STAGE);
	abort();
}

/* FZ_OP_EXCHANGE: what the fuzzed side sent since the input began goes to
 * the real peer, which answers; the answer is delivered back. */
static void fz_exchange(struct run *r)
{
	struct side *p = &r->peer;
	if (!r->have_peer || p->dead)
		return;
	side_drain(r, &r->fz, 0);
	if (r->pump.held[r->fz.dir].len > 0)
		side_deliver(r, &r->fz, p);
	side_drop(r, p);
	side_drive(r, p);
	if (r->pump.held[p->dir].len > 0 && !r->fz.dead) {
		side_deliver(r, p, &r->fz);
		side_drive(r, &r->fz);
	}
	side_drop(r, p);
}

/* Feeds the stream in header-chosen chunks; a full receiver (WANT_READ) is
 * driven and offered the chunk once more. */
static void fz_feed(struct run *r, const struct fz_header *h, const uint8_t *p, size_t n)
{
	size_t off = 0;
	int k = 0;
	while (off < n && !r->fz.dead) {
		size_t chunk = n - off;
		switch (h->chunking) {
		case FZ_CHUNK_WHOLE:
			break;
		case FZ_CHUNK_FIXED:
			chunk = h->size[0];
			break;
		case FZ_CHUNK_TABLE:
			chunk = h->size[k++ % 3];
			break;
		case FZ_CHUNK_BYTE:
			chunk = 1;
			break;
		}
		if (chunk > n - off)
			chunk = n - off;
		int st = side_incoming(&r->fz, p + off, chunk);
		if (st == TLSH_WANT_READ) {
			side_drive(r, &r->fz);
			st = side_incoming(&r->fz, p + off, chunk);
		}
		if (st != TLSH_OK)
			break;
		off += chunk;
		if (h->drive_each)
			side_drive(r, &r->fz);
	}
	if (!h->drive_each)
		side_drive(r, &r->fz);
}

static void fz_op(struct run *r, int op, int i)
{
	static const uint8_t close_notify[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
	struct side *s = &r->fz;
	size_t n;
	uint8_t one[1];
	switch ((enum fz_op)op) {
	case FZ_OP_READ:
		side_drive(r, s);
		break;
	case FZ_OP_READ_SMALL:
		side_read(s, 1 + (size_t)i * 2);
		break;
	case FZ_OP_WRITE_1:
		side_write(s, 1);
		break;
	case FZ_OP_WRITE_100:
		side_write(s, 100);
		break;
	case FZ_OP_WRITE_BIG:
		side_write(s, FZ_IO_CAP + 1);
		break;
	case FZ_OP_SHUTDOWN:
		if (ep_shutdown(&s->ep) == TLSH_TLS_ERROR)
			s->dead = 1;
		break;
	case FZ_OP_EOF:
		(void)ep_incoming_eof(&s->ep);
		break;
	case FZ_OP_HANDSHAKE:
		if (ep_handshake(&s->ep) == TLSH_OK)
			s->done = 1;
		break;
	case FZ_OP_DRAIN:
		side_drain(r, s, 0);
		break;
	case FZ_OP_DRAIN_1:
		side_drain(r, s, 1);
		break;
	case FZ_OP_QUERY:
		side_query(r, s);
		break;
	case FZ_OP_INCOMING_EMPTY:
		side_incoming(s, one, 0);
		break;
	case FZ_OP_INCOMING_ALERT:
		side_incoming(s, close_notify, sizeof close_notify);
		break;
	case FZ_OP_READ_ZERO:
		(void)ep_read(&s->ep, one, 0, &n);
		break;
	case FZ_OP_EXCHANGE:
		fz_exchange(r);
		break;
	case FZ_OP_WRITE_EMPTY:
		side_write(s, 0);
		break;
	case FZ_OP_COUNT:
		break;
	}
	side_drain(r, s, 0);
}

/* A new buffer for `s` on the context of `ctx` (which lives longer). A
 * -cfg target's fuzzed side may be refused one (-1); anything else that
 * goes wrong aborts, naming `what`. */
static int fz_buffer(struct side *s, const struct endpoint *ctx, const char *what)
{
	memset(s, 0, sizeof *s);
	s->dir = ctx->role == TLSH_ROLE_CLIENT ? C2S : S2C;
	int st = ep_open_buffer(&s->ep, ctx, fz_host);
	if (TLSH_FUZZ_CFG && ctx->role == fz_role && st == TLSH_CONFIGURATION_ERROR)
		return -1; /* a configuration from the input may not allow a buffer */
	if (st != TLSH_OK) {
		fprintf(stderr, "tlsh-fuzz: %s buffer_new failed: %s\n", what, s->ep.err.message);
		abort();
	}
	return 0;
}

static void fz_side_free(struct side *s)
{
	ep_close(&s->ep);
}

/* The pump between the two sides of `r` (the peer's may stay without a
 * buffer), on whatever storage r->pump already has. */
static void fz_pump(struct run *r)
{
	int fz_is_client = fz_role == TLSH_ROLE_CLIENT;
	pump_restart(&r->pump, fz_is_client ? &r->fz.ep : &r->peer.ep,
	             fz_is_client ? &r->peer.ep : &r->fz.ep);
	r->fz.dir = fz_is_client ? C2S : S2C;
	r->peer.dir = fz_is_client ? S2C : C2S;
}

/* A complete real connection between the two contexts: handshake, a line
 * each way, close_notify. Run once at start-up, so that what a library sets
 * up lazily on the first connection (BoringSSL probes getrandom once per
 * process and makes its ticket key on the first ticket; OpenSSL fetches
 * algorithms) is done before any input, and every input, the first one of a
 * reproduction included, starts from the same state. */
static void fz_warmup(void *arg)
{
	struct run r;
	(void)arg;
	memset(&r, 0, sizeof r);
	fz_pump(&r);
	fz_buffer(&r.fz, fz_ctx, "warm-up fuzzed side");
	fz_buffer(&r.peer, peer_ctx, "warm-up peer");
	struct side *cur = fz_client(&r);
	for (int round = 0, idle = 0; round < 4 * FZ_MAX_ROUNDS && idle < 4; round++) {
		struct side *other = cur == &r.fz ? &r.peer : &r.fz;
		peer_post_handshake(cur);
		side_drive(&r, cur);
		size_t out = r.pump.held[cur->dir].len;
		if (out > 0 && !other->dead)
			side_deliver(&r, cur, other);
		idle = out > 0 ? 0 : idle + 1;
		side_drop(&r, cur);
		cur = other;
	}
	if (!r.fz.done || !r.peer.done) {
		fprintf(stderr, "tlsh-fuzz: the warm-up handshake did not complete\n");
		abort();
	}
	fz_side_free(&r.peer);
	fz_side_free(&r.fz);
	pump_free(&r.pump);
}

/* Everything before the input: the fuzzed side's buffer (a client's
 * ClientHello produced, then dropped at stage 0), and at stage >= 1 the
 * peer and the real handshake up to the flight the input replaces. */
static int fz_prepare(struct run *r)
{
	fz_pump(r);
	if (fz_buffer(&r->fz, fz_ctx, fz_ctx->label) != 0)
		return -1;
	if (fz_role == TLSH_ROLE_CLIENT) {
		/* The client speaks first: its ClientHello is produced (and
		 * held for the peer) before anything else. */
		side_drive(r, &r->fz);
	}
	r->have_peer = TLSH_FUZZ_STAGE > 0 || emit_path != NULL;
	if (r->have_peer) {
		fz_buffer(&r->peer, peer_ctx, peer_ctx->label);
		fz_prestage(r);
	}
	side_drop(r, &r->fz);
	return 0;
}

static void fz_prepare_cb(void *arg)
{
	(void)fz_prepare(arg);
}

/* The input itself, on a prepared run. */
static void fz_input(struct run *r)
{
	struct fz_header h;
	size_t used = fz_header_parse(r->data, r->size, &h);
	if (r->skip > used)
		used = r->skip;
	const uint8_t *stream = r->data + used;
	size_t stream_len = r->size - used;

	fz_feed(r, &h, stream, stream_len);
	if (h.eof_after)
		fz_op(r, FZ_OP_EOF, 0);
	for (int i = 0; i < h.nops; i++)
		fz_op(r, h.ops[i], i);
	side_query(r, &r->fz);
	if (trace) {
		if (r->have_peer)
			side_query(r, &r->peer);
		/* Without a peer its digest reads 0, as it always did. */
		fprintf(stderr,
		        "tlsh-fuzz: trace fz=%016llx/%zu peer=%016llx/%zu handshake=%s "
		        "version=0x%04x cipher=0x%04x last=%d\n",
		        (unsigned long long)r->pump.digest[r->fz.dir], r->pump.total[r->fz.dir],
		        r->have_peer ? (unsigned long long)r->pump.digest[r->peer.dir] : 0ull,
		        r->pump.total[r->peer.dir], r->fz.done ? "done" : "no",
		        (unsigned)ep_version(&r->fz.ep), (unsigned)ep_cipher(&r->fz.ep),
		        r->fz.last);
	}
}

static void fz_input_cb(void *arg)
{
	fz_input(arg);
}

static void fz_one(void *arg)
{
	struct run *r = arg;
	const struct endpoint *deflt = fz_ctx;
	struct endpoint cfg_ctx;
	if (TLSH_FUZZ_CFG) {
		r->skip = fz_cfg_context(r->data, r->size, &cfg_ctx);
		if (cfg_ctx.ctx == NULL) {
			fz_host = FZ_HOST;
			return;
		}
		fz_ctx = &cfg_ctx;
	}
	r->pump = fz_kept;
	if (fz_prepare(r) == 0) {
		fz_input(r);
		if (r->have_peer)
			fz_side_free(&r->peer);
		fz_side_free(&r->fz);
	}
	fz_kept = r->pump;
	if (TLSH_FUZZ_CFG) {
		ep_close(&cfg_ctx);
		fz_ctx = deflt;
		fz_host = FZ_HOST;
	}
}

/* ---- snapshot mode ----------------------------------------------------------- */

/* Every stage >= 1 target does the same work before each input: a real
 * handshake of k flights with ECDHE, chains verified and signatures on both
 * sides - the same bytes every time, since RNG and clock are fixed. In
 * snapshot mode that work is done once, at start-up (fz_snap), and every
 * input runs in a forked child of that state,
 * which then exits: the input starts from exactly the state a fresh
 * preparation would give (same bytes, same library state), and nothing it
 * does can leak into the next input.
 *
 * Coverage: libFuzzer's inline 8-bit counters live in the process's
 * __sancov_cntrs section; the child copies them into a shared mapping when
 * it is done and the parent copies them back, so libFuzzer sees the child's
 * edges as its own. AFL++'s map is shared memory already. (What is lost:
 * libFuzzer's comparison table and value profile from inside the child, and
 * LeakSanitizer in the child - the replay in fuzz/regress.sh runs without
 * snapshots to keep leak checking.)
 *
 * Findings: the child dies of the sanitizer's report or ABI violation
 * (abort); the parent then aborts too, so either engine records the input.
 * TLSH_FUZZ_SNAPSHOT=0 turns the mode off (every input prepares afresh).
 * Stage 0 does not use it: a fork() of an ASan process (page tables of
 * ~50 MB) costs more than a buffer and a ClientHello. */
extern uint8_t *const fz_cov_counters[2]; /* cov.c */
#define fz_cntrs_start (fz_cov_counters[0])
#define fz_cntrs_stop (fz_cov_counters[1])

static struct run snap;
static size_t snap_cov_len;

static void fz_snap(void)
{
	const char *env = getenv("TLSH_FUZZ_SNAPSHOT");
	if (TLSH_FUZZ_STAGE == 0 || emit_path != NULL || (env != NULL && strcmp(env, "0") == 0))
		return;
	if (fz_cntrs_start != NULL && fz_cntrs_stop > fz_cntrs_start) {
		snap_cov_len = (size_t)(fz_cntrs_stop - fz_cntrs_start);
		snap_cov = mmap(NULL, snap_cov_len, PROT_READ | PROT_WRITE,
		                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (snap_cov == MAP_FAILED) {
			perror("tlsh-fuzz: mmap");
			abort();
		}
	}
	memset(&snap, 0, sizeof snap);
	fz_det_reset();
	fz_det_run(fz_prepare_cb, &snap);
	snap_on = 1;
}

static void fz_snap_child(const uint8_t *data, size_t size)
{
	static const int sigs[] = {SIGABRT, SIGALRM, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGXFSZ};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snap.data = data;
	snap.size = size;
	fz_det_run(fz_input_cb, &snap);
	if (snap_cov != NULL)
		memcpy(snap_cov, fz_cntrs_start, snap_cov_len);
	_exit(0);
}

/* fork() copies only the calling thread: a lock another thread holds at that
 * moment stays locked in the child for good. libFuzzer's RSS thread starts
 * right after LLVMFuzzerInitialize and allocates as it starts (ASan's
 * thread set-up reallocs under a size class's mutex); a fork at that moment
 * left the child waiting for that mutex forever (boringssl-server-s1-tls13,
 * about 1 run in 10 hung at its first input, in CI too). So every other
 * thread must be blocked in a sleep or a futex wait - where neither ASan
 * nor libc holds a lock - before a fork; /proc/self/task/TID/syscall tells.
 * Returns 1 when they all are (or when /proc cannot tell). */
static int fz_threads_quiet(void)
{
	DIR *d = opendir("/proc/self/task");
	if (d == NULL)
		return 1;
	long self = (long)gettid();
	int quiet = 1;
	struct dirent *e;
	while (quiet && (e = readdir(d)) != NULL) {
		char path[64], buf[32];
		long tid = strtol(e->d_name, NULL, 10);
		if (tid <= 0 || tid == self)
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the thread has gone */
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *end;
		long nr = strtol(buf, &end, 10);
		quiet = end != buf && (nr == SYS_futex || nr == SYS_clock_nanosleep
#ifdef SYS_nanosleep
		                       || nr == SYS_nanosleep
#endif
		                      );
	}
	closedir(d);
	return quiet;
}

/* Waits (up to 5 s) until fz_threads_quiet; after that forks anyway, once
 * with a warning. */
static void fz_wait_quiet(void)
{
	static int warned;
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 5000; i++) {
		if (fz_threads_quiet())
			return;
		nanosleep(&ms, NULL);
	}
	if (!warned)
		fprintf(stderr, "tlsh-fuzz: another thread stayed busy for 5 s; forking anyway "
		                "(a lock it holds would hang the input's process)\n");
	warned = 1;
}

static void fz_snap_run(const uint8_t *data, size_t size)
{
	int status = 0;
	fz_wait_quiet();
	pid_t pid = fork();
	if (pid < 0) {
		perror("tlsh-fuzz: fork");
		abort();
	}
	if (pid == 0)
		fz_snap_child(data, size);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("tlsh-fuzz: waitpid");
			abort();
		}
	}
	if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr,
		        "tlsh-fuzz: the input's snapshot process %s %d (its report is above)\n",
		        WIFSIGNALED(status) ? "died of signal" : "exited with status",
		        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		abort();
	}
	if (snap_cov != NULL)
		memcpy(fz_cntrs_start, snap_cov, snap_cov_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	if (snap_on) {
		fz_snap_run(data, size);
		return 0;
	}
	memset(&r, 0, sizeof r);
	r.data = data;
	r.size = size;
	fz_det_reset();
	fz_det_run(fz_one, &r);
	return 0;
}
