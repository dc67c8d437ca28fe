/* config.h - the configuration builder (struct cfgb owns the storage a
 * struct tlsh_config points into) and the test PKI (harness/pki, or
 * $TLSH_PKI_DIR), read once per process. Shared by the scenarios, the socket
 * front-end and the fuzz driver. */
#ifndef TLSH_CONFIG_H
#define TLSH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "tlsh.h"
#include "util.h"

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
/* Full path of a PKI file (lives for the process). */
const char *pki_path(const char *name);

/* The standard pair: client trusting `kt`'s root; server with `kt`'s server
 * chain (leaf + intermediate). */
void cfg_std_client(struct cfgb *b, const char *kt);
void cfg_std_server(struct cfgb *b, const char *kt);

#define TEST_HOST "server.tlsh.test"
#define ALT_HOST "alt.tlsh.test"

/* Called when the builder cannot go on (a PKI file is missing, a list is too
 * long for it); must not return. The default prints and aborts; a scenario
 * ends with HARNESS-ERROR instead. */
extern void (*cfg_fatal)(const char *msg);

#endif
