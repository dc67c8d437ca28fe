/* config.c - the configuration builder and the test PKI cache, shared by
 * the scenarios, the socket front-end and the fuzz driver. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TLSH_PKI_DIR
#define TLSH_PKI_DIR "harness/pki"
#endif

static void cfg_fatal_default(const char *msg)
{
	fprintf(stderr, "tlsharness: %s\n", msg);
	abort();
}

void (*cfg_fatal)(const char *msg) = cfg_fatal_default;

static void cfg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void cfg_die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cfg_fatal(msg);
	abort(); /* cfg_fatal must not return */
}

struct pki_entry {
	char *name;
	char *path;
	struct bytes data;
};

static struct pki_entry pki_cache[64];
static size_t pki_n;

static const char *pki_dir(void)
{
	const char *e = getenv("TLSH_PKI_DIR");
	return e && *e ? e : TLSH_PKI_DIR;
}

static struct pki_entry *pki_get(const char *name)
{
	for (size_t i = 0; i < pki_n; i++)
		if (strcmp(pki_cache[i].name, name) == 0)
			return &pki_cache[i];
	if (pki_n == sizeof pki_cache / sizeof pki_cache[0])
		cfg_die("PKI cache full");
	struct pki_entry *e = &pki_cache[pki_n];
	memset(e, 0, sizeof *e);
	e->path = xasprintf("%s/%s", pki_dir(), name);
	if (read_file(e->path, &e->data) != 0) {
		cfg_die("test PKI file %s cannot be read", e->path);
	}
	e->name = xstrdup(name);
	pki_n++;
	return e;
}

void pki_provide(const char *name, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < pki_n; i++)
		if (strcmp(pki_cache[i].name, name) == 0)
			cfg_die("test PKI file %s was used before it was provided", name);
	if (pki_n == sizeof pki_cache / sizeof pki_cache[0])
		cfg_die("PKI cache full");
	struct pki_entry *e = &pki_cache[pki_n++];
	e->name = xstrdup(name);
	e->path = xasprintf("%s/%s", pki_dir(), name);
	e->data = (struct bytes){.data = (uint8_t *)data, .len = len, .cap = len};
}

const struct bytes *pki_file(const char *name)
{
	return &pki_get(name)->data;
}

const char *pki_path(const char *name)
{
	return pki_get(name)->path;
}

/* ---- configuration builder ------------------------------------------------ */

void cfg_init(struct cfgb *b)
{
	memset(b, 0, sizeof *b);
	b->cfg.struct_size = sizeof b->cfg;
}

void cfg_free(struct cfgb *b)
{
	free(b->owned);
	b->owned = NULL;
}

void cfg_replace(struct cfgb *b, const char *file, const uint8_t *data, size_t len)
{
	if (b->nreplace == CFG_MAX_REPLACE)
		cfg_die("too many replaced PKI files in a config");
	b->replace[b->nreplace].file = file;
	b->replace[b->nreplace].src =
	        (struct tlsh_source){.kind = TLSH_SOURCE_BUFFER, .data = data, .len = len};
	b->nreplace++;
}

/* A PKI file as a buffer source, or the bytes cfg_replace put in its place. */
static struct tlsh_source buf_source(const struct cfgb *b, const char *file)
{
	for (size_t i = b->nreplace; i-- > 0;)
		if (strcmp(b->replace[i].file, file) == 0)
			return b->replace[i].src;
	const struct bytes *f = pki_file(file);
	struct tlsh_source s = {.kind = TLSH_SOURCE_BUFFER, .data = f->data, .len = f->len};
	return s;
}

void cfg_chain(struct cfgb *b, const char *kt, const char *leaf, int with_intermediate)
{
	size_t i = b->cfg.certificate_chains_len;
	if (i >= CFG_MAX_CHAINS)
		cfg_die("too many chains in a config");
	char leaf_file[64], key_file[64], int_file[64];
	fmt_into(leaf_file, sizeof leaf_file, "%s-%s.pem", kt, leaf);
	fmt_into(key_file, sizeof key_file, "%s-%s.key", kt, leaf);
	fmt_into(int_file, sizeof int_file, "%s-int.pem", kt);
	b->chains[i].leaf = buf_source(b, leaf_file);
	b->chains[i].key = buf_source(b, key_file);
	if (with_intermediate) {
		b->inter[i][0] = buf_source(b, int_file);
		b->chains[i].chain = b->inter[i];
		b->chains[i].chain_len = 1;
	}
	b->cfg.certificate_chains = b->chains;
	b->cfg.certificate_chains_len = i + 1;
}

void cfg_trust(struct cfgb *b, const char *file)
{
	b->trust = buf_source(b, file);
	b->cfg.trust_store = &b->trust;
}

void cfg_trust_add(struct cfgb *b, const char *file)
{
	if (!b->cfg.trust_store) {
		cfg_trust(b, file);
		return;
	}
	if (b->trust.kind != TLSH_SOURCE_BUFFER)
		cfg_die("cfg_trust_add: the trust store is not a buffer");
	struct tlsh_source add = buf_source(b, file);
	size_t len = b->trust.len + add.len;
	uint8_t *cat = xmalloc(len + 1);
	if (b->trust.len)
		memcpy(cat, b->trust.data, b->trust.len);
	if (add.len)
		memcpy(cat + b->trust.len, add.data, add.len);
	free(b->owned);
	b->owned = cat;
	b->trust.data = cat;
	b->trust.len = len;
}

void cfg_trust_path(struct cfgb *b, const char *file)
{
	b->trust = (struct tlsh_source){.kind = TLSH_SOURCE_PATH, .path = pki_path(file)};
	b->cfg.trust_store = &b->trust;
}

void cfg_versions(struct cfgb *b, enum tlsh_version lo, enum tlsh_version hi)
{
	b->cfg.lowest_supported_version = lo;
	b->cfg.highest_supported_version = hi;
}

void cfg_alpn_ref(struct cfgb *b, const uint8_t *p, size_t len)
{
	size_t i = b->cfg.inner_protocols_len;
	if (i >= CFG_MAX_ALPN)
		cfg_die("ALPN list too long for the builder");
	b->alpn[i].data = p;
	b->alpn[i].len = len;
	b->cfg.inner_protocols = b->alpn;
	b->cfg.inner_protocols_len = i + 1;
}

void cfg_alpn_raw(struct cfgb *b, const uint8_t *p, size_t len)
{
	size_t i = b->cfg.inner_protocols_len;
	if (i >= CFG_MAX_ALPN || len > sizeof b->alpn_store[0])
		cfg_die("ALPN list too long for the builder");
	memcpy(b->alpn_store[i], p, len);
	cfg_alpn_ref(b, b->alpn_store[i], len);
}

void cfg_alpn(struct cfgb *b, ...)
{
	va_list ap;
	va_start(ap, b);
	const char *p;
	while ((p = va_arg(ap, const char *)))
		cfg_alpn_raw(b, (const uint8_t *)p, strlen(p));
	va_end(ap);
}

void cfg_ciphers(struct cfgb *b, const uint16_t *ids, size_t n)
{
	if (n > CFG_MAX_CIPHERS)
		cfg_die("cipher list too long for the builder");
	memcpy(b->ciphers, ids, n * sizeof *ids);
	b->cfg.ciphers = b->ciphers;
	b->cfg.ciphers_len = n;
}

void cfg_std_client(struct cfgb *b, const char *kt)
{
	char f[32];
	cfg_init(b);
	cfg_trust(b, fmt_into(f, sizeof f, "%s-ca.pem", kt));
}

void cfg_std_server(struct cfgb *b, const char *kt)
{
	cfg_init(b);
	cfg_chain(b, kt, "server", 1);
}
