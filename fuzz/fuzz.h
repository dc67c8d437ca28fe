/* fuzz.h - what the fuzz driver needs besides tlsh.h and the harness pieces
 * it compiles in (endpoint.c, pump.c, config.c): determinism hooks (one
 * implementation per backend, det_<backend>.c), the embedded test PKI
 * (pki.c) and the input header format (header.c). No library headers. */
#ifndef TLSH_FUZZ_H
#define TLSH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* ---- determinism ---------------------------------------------------------- */

/* The fixed clock every target sees: 2030-01-01T00:00:00Z, inside the test
 * PKI's validity window (2020-2099). det_clock.c interposes time(). */
#define FZ_FIXED_TIME 1893456000

/* Called once, before the implementation is loaded: installs what makes the
 * library deterministic (a RAND provider, an RNG interposer, ...). */
void fz_det_init(void);
/* Called before every input: rewinds the deterministic RNG stream, so that an
 * input behaves the same whatever ran before it in the process. */
void fz_det_reset(void);
/* Runs one input: fn(arg). A backend whose RNG state is per thread runs it in
 * a fresh thread so that the state is rebuilt from the rewound stream. */
void fz_det_run(void (*fn)(void *), void *arg);
/* One line saying what is fixed (RNG, clock) for this backend, or why not. */
const char *fz_det_describe(void);
/* 1 when the RNG of this backend is deterministic across runs. */
int fz_det_rng_fixed(void);

/* The deterministic byte stream the RNG hooks draw from (splitmix64 over a
 * counter), rewound by fz_det_reset. */
void fz_det_bytes(uint8_t *out, size_t n);
void fz_det_rewind(void);

/* ---- the test PKI, embedded at build time ---------------------------------- */

struct fz_blob {
	const uint8_t *data;
	size_t len;
};

enum fz_pki_item {
	FZ_ECDSA_SERVER, /* leaf for server.tlsh.test */
	FZ_ECDSA_SERVER_KEY,
	FZ_ECDSA_INT,
	FZ_ECDSA_CA,
	FZ_ECDSA_CLIENT,
	FZ_ECDSA_CLIENT_KEY,
	FZ_RSA_ALT, /* leaf for alt.tlsh.test */
	FZ_RSA_ALT_KEY,
	FZ_RSA_INT,
	FZ_RSA_CA,
	FZ_PKI_COUNT
};

struct fz_blob fz_pki(enum fz_pki_item item);
/* The file each item is in harness/pki, the name config.c's builder uses. */
extern const char *const fz_pki_file[FZ_PKI_COUNT];
/* Hands every item to config.c (pki_provide): the configuration builder
 * then uses the embedded bytes and reads no file. */
void fz_pki_provide(void);

/* ---- the input header ------------------------------------------------------- */

/* Every input starts with FZ_HEADER_LEN bytes that choose how the rest (the
 * bytes the peer would send) is delivered and which buffer calls follow; the
 * format is described in fuzz/README.md. Inputs shorter than the header use
 * zero bytes for the missing ones. */
#define FZ_HEADER_LEN 8
#define FZ_MAX_OPS 8

enum fz_chunking {
	FZ_CHUNK_WHOLE = 0, /* one process_incoming for everything */
	FZ_CHUNK_FIXED = 1, /* chunks of size[0] bytes */
	FZ_CHUNK_TABLE = 2, /* chunk sizes size[0], size[1], size[2], size[0], ... */
	FZ_CHUNK_BYTE = 3,  /* one byte per call */
};

enum fz_op {
	FZ_OP_READ = 0,       /* read, cap 16 KiB, until it stops returning OK */
	FZ_OP_READ_SMALL,     /* read with a 1..16 byte cap */
	FZ_OP_WRITE_1,        /* write 1 byte */
	FZ_OP_WRITE_100,      /* write 100 bytes */
	FZ_OP_WRITE_BIG,      /* write 16 KiB + 1 bytes */
	FZ_OP_SHUTDOWN,       /* shutdown */
	FZ_OP_EOF,            /* process_incoming_eof */
	FZ_OP_HANDSHAKE,      /* do_handshake */
	FZ_OP_DRAIN,          /* process_outgoing until empty */
	FZ_OP_DRAIN_1,        /* process_outgoing with cap 1 */
	FZ_OP_QUERY,          /* cipher, ALPN, version, peer cert, buffered counts, last_error */
	FZ_OP_INCOMING_EMPTY, /* process_incoming with 0 bytes */
	FZ_OP_INCOMING_ALERT, /* process_incoming of a plaintext close_notify record */
	FZ_OP_READ_ZERO,      /* read with cap 0 */
	FZ_OP_EXCHANGE,       /* forward our output to the real peer, let it answer (stage >= 1) */
	FZ_OP_WRITE_EMPTY,    /* write 0 bytes */
	FZ_OP_COUNT
};

struct fz_header {
	enum fz_chunking chunking;
	int drive_each; /* drive (handshake/read) after every chunk, else once at the end */
	int eof_after;  /* process_incoming_eof after the last chunk */
	size_t size[3]; /* chunk sizes, 1..256 */
	int nops;
	uint8_t ops[FZ_MAX_OPS];
};

/* Parses the header; returns the number of bytes it took (<= len). */
size_t fz_header_parse(const uint8_t *data, size_t len, struct fz_header *h);
/* The header a seed gets when converted from a recording: whole delivery,
 * drive after it, then handshake, exchange, read, write 100, shutdown,
 * query. */
extern const uint8_t fz_default_header[FZ_HEADER_LEN];
const char *fz_op_name(int op);

#endif
