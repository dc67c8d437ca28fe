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
#define CFG_MAX_REPLACE 4

struct cfgb {
	struct tlsh_config cfg;
	struct tlsh_signing_chain chains[CFG_MAX_CHAINS];
	struct tlsh_source inter[CFG_MAX_CHAINS][2];
	struct tlsh_source trust;
	uint16_t ciphers[CFG_MAX_CIPHERS];
	struct tlsh_bytes alpn[CFG_MAX_ALPN];
	uint8_t alpn_store[CFG_MAX_ALPN][256];
	/* PKI files this builder uses other bytes for (cfg_replace). */
	struct {
		const char *file;
		struct tlsh_source src;
	} replace[CFG_MAX_REPLACE];
	size_t nreplace;
	uint8_t *owned; /* a trust store cfg_trust_add concatenated (cfg_free) */
};

void cfg_init(struct cfgb *b);
/* Frees what the builder allocated (cfg_trust_add's concatenation); the
 * config must not be used afterwards. Not needed for builders that never
 * called cfg_trust_add with a second file. */
void cfg_free(struct cfgb *b);
/* From now on this builder uses `len` bytes at `data` (not copied: they
 * must outlive the config; `file` too) wherever it would use PKI file `file`
 * - a chain's leaf, key or intermediate, or a trust store. */
void cfg_replace(struct cfgb *b, const char *file, const uint8_t *data, size_t len);
/* Adds a signing chain from the test PKI: `kt` is "rsa" or "ecdsa", `leaf`
 * the file stem ("server", "alt", "ip", "nosan", "client", "expired",
 * "notyet", "unknown"); with_intermediate adds <kt>-int.pem after the leaf
 * (not for "unknown", whose issuer is the unknown root). */
void cfg_chain(struct cfgb *b, const char *kt, const char *leaf, int with_intermediate);
/* Trust store from a PKI file, as a PEM buffer ("rsa-ca.pem"). */
void cfg_trust(struct cfgb *b, const char *file);
/* Adds a PKI file to the trust store: the first is used as cfg_trust does,
 * more are appended to it (PEM bundles) in storage that cfg_free releases,
 * sized exactly (plus one spare byte, left unwritten), so that a sanitizer
 * sees an adapter that reads past its end. */
void cfg_trust_add(struct cfgb *b, const char *file);
/* Trust store as a path to a PKI file. */
void cfg_trust_path(struct cfgb *b, const char *file);
void cfg_versions(struct cfgb *b, enum tlsh_version lo, enum tlsh_version hi);
/* ALPN protocols, NULL-terminated list of C strings. */
void cfg_alpn(struct cfgb *b, ...);
/* One ALPN protocol given as raw bytes (may contain NULs). */
void cfg_alpn_raw(struct cfgb *b, const uint8_t *p, size_t len);
/* One ALPN protocol that points at the caller's bytes (not copied: they must
 * outlive the config), e.g. a fuzz input's, where a sanitizer then sees an
 * adapter that reads past the name. */
void cfg_alpn_ref(struct cfgb *b, const uint8_t *p, size_t len);
void cfg_ciphers(struct cfgb *b, const uint16_t *ids, size_t n);

/* Bytes of a PKI file (cached for the process). Aborts the scenario with
 * HARNESS-ERROR if it cannot be read. */
const struct bytes *pki_file(const char *name);
/* Full path of a PKI file (lives for the process). */
const char *pki_path(const char *name);
/* Makes pki_file(name) return `len` bytes at `data` (not copied: they must
 * live for the process) instead of reading the file, e.g. a PKI compiled
 * into a fuzz target that runs where harness/pki is not. Call it before the
 * first use of `name`; pki_path(name) still names the file. */
void pki_provide(const char *name, const uint8_t *data, size_t len);

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
