/* Unit tests of tlsh_adapter.h, the adapters' support header: the
 * configuration plan (versions, sources, ALPN, insecure flags, struct_size),
 * PEM detection, file reading, the error setter, the byte queue, the buffer
 * state guards, ALPN helpers, RFC 9525 identity matching and NSS key-log
 * lines. Every expectation is written out here, independently of the
 * implementation. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLSH_ADAPTER_IMPLEMENTATION
#include "tlsh_adapter.h"

#include "t.h"

#ifndef TLSH_PKI_DIR
#error "TLSH_PKI_DIR must name harness/pki"
#endif

/* Defined in test_adapter_decl.c, which includes the header without the
 * implementation. */
int decl_only_unit(void);

static const struct tlsh_plan_rules rules13 = {
        1, TLSH_KINDS_CHAIN, TLSH_KINDS_TRUST, 0, 0, "testlib 1.3",
};
static const struct tlsh_plan_rules rules12 = {
        0, TLSH_KINDS_CHAIN, TLSH_KINDS_TRUST, 0, 0, "testlib 1.2",
};

static const uint8_t leaf_bytes[] = "-----BEGIN CERTIFICATE-----\n";
static const uint8_t key_bytes[] = "-----BEGIN PRIVATE KEY-----\n";

/* A valid server config: one chain of BUFFER sources. */
struct cfg {
	struct tlsh_config c;
	struct tlsh_signing_chain chain[2];
	struct tlsh_source inter[1];
	struct tlsh_source trust;
	struct tlsh_bytes alpn[300];
	uint16_t ciphers[4];
};

static void cfg_server(struct cfg *f)
{
	memset(f, 0, sizeof *f);
	f->c.struct_size = sizeof f->c;
	for (int i = 0; i < 2; i++) {
		f->chain[i].leaf.kind = TLSH_SOURCE_BUFFER;
		f->chain[i].leaf.data = leaf_bytes;
		f->chain[i].leaf.len = sizeof leaf_bytes - 1;
		f->chain[i].key.kind = TLSH_SOURCE_BUFFER;
		f->chain[i].key.data = key_bytes;
		f->chain[i].key.len = sizeof key_bytes - 1;
	}
	f->c.certificate_chains = f->chain;
	f->c.certificate_chains_len = 1;
}

static void cfg_client(struct cfg *f)
{
	cfg_server(f);
	f->c.certificate_chains = NULL;
	f->c.certificate_chains_len = 0;
}

/* tlsh_plan_config on f for `role`: 1 when accepted; prints the message. */
static int plan_ok(const struct tlsh_plan_rules *r, enum tlsh_role role, const struct cfg *f,
                   struct tlsh_plan *p)
{
	struct tlsh_error err;
	memset(&err, 0x55, sizeof err);
	int st = tlsh_plan_config(r, role, &f->c, p, &err);
	if (st != TLSH_OK) {
		printf("#   refused: %s\n", err.message);
		if (err.status != TLSH_CONFIGURATION_ERROR || err.alert_sent != TLSH_NO_ALERT ||
		    err.alert_received != TLSH_NO_ALERT || err.message[0] == '\0' ||
		    memchr(err.message, '\0', sizeof err.message) == NULL)
			printf("#   (the error detail is malformed)\n");
	}
	return st == TLSH_OK;
}

/* Refused, with a message that contains `needle`. */
static int plan_refused(const struct tlsh_plan_rules *r, enum tlsh_role role, const struct cfg *f,
                        const char *needle)
{
	struct tlsh_plan p;
	struct tlsh_error err;
	memset(&err, 0, sizeof err);
	int st = tlsh_plan_config(r, role, &f->c, &p, &err);
	printf("#   %s\n", st == TLSH_OK ? "(accepted)" : err.message);
	return st == TLSH_CONFIGURATION_ERROR && err.status == TLSH_CONFIGURATION_ERROR &&
	       strstr(err.message, needle) != NULL;
}

/* ---- versions --------------------------------------------------------------- */

static const enum tlsh_version vals[7] = {
        TLSH_VERSION_NONE,
        TLSH_VERSION_MINIMUM_SUPPORTED,
        TLSH_TLS_1_2,
        TLSH_TLS_1_3,
        TLSH_VERSION_MAXIMUM_SUPPORTED,
        (enum tlsh_version)0x0302,
        (enum tlsh_version)0x0305,
};
static const char *const vnames[7] = {"NONE", "MIN", "1.2", "1.3", "MAX", "0x0302", "0x0305"};

/* Expected outcome per (lowest row, highest column), columns in the order of
 * vals: "E" refused, "22" [1.2, 1.2], "23" [1.2, 1.3], "33" [1.3, 1.3]. */
static const char *const want13[7][7] = {
        /* NONE */ {"23", "22", "22", "23", "23", "E", "E"},
        /* MIN  */ {"23", "22", "22", "23", "23", "E", "E"},
        /* 1.2  */ {"23", "E", "22", "23", "23", "E", "E"},
        /* 1.3  */ {"33", "E", "E", "33", "33", "E", "E"},
        /* MAX  */ {"33", "E", "E", "E", "33", "E", "E"},
        /* 0302 */ {"E", "E", "E", "E", "E", "E", "E"},
        /* 0305 */ {"E", "E", "E", "E", "E", "E", "E"},
};
/* The same for a library without TLS 1.3. */
static const char *const want12[7][7] = {
        /* NONE */ {"22", "22", "22", "22", "22", "E", "E"},
        /* MIN  */ {"22", "22", "22", "22", "22", "E", "E"},
        /* 1.2  */ {"22", "E", "22", "22", "22", "E", "E"},
        /* 1.3  */ {"E", "E", "E", "E", "E", "E", "E"},
        /* MAX  */ {"22", "E", "E", "E", "22", "E", "E"},
        /* 0302 */ {"E", "E", "E", "E", "E", "E", "E"},
        /* 0305 */ {"E", "E", "E", "E", "E", "E", "E"},
};

static const char *range_text(const struct tlsh_plan *p)
{
	if (p->lowest == TLSH_TLS_1_2 && p->highest == TLSH_TLS_1_2)
		return "22";
	if (p->lowest == TLSH_TLS_1_2 && p->highest == TLSH_TLS_1_3)
		return "23";
	if (p->lowest == TLSH_TLS_1_3 && p->highest == TLSH_TLS_1_3)
		return "33";
	return "??";
}

static void test_versions(void)
{
	for (int t = 0; t < 2; t++) {
		const struct tlsh_plan_rules *r = t ? &rules12 : &rules13;
		int bad = 0, n = 0;
		for (int i = 0; i < 7; i++) {
			for (int j = 0; j < 7; j++) {
				struct cfg f;
				struct tlsh_plan p;
				struct tlsh_error err;
				cfg_server(&f);
				f.c.lowest_supported_version = vals[i];
				f.c.highest_supported_version = vals[j];
				int st = tlsh_plan_config(r, TLSH_ROLE_SERVER, &f.c, &p, &err);
				const char *got = st == TLSH_OK ? range_text(&p) : "E";
				const char *want = t ? want12[i][j] : want13[i][j];
				n++;
				if (strcmp(got, want) != 0) {
					bad++;
					printf("#   %s: lowest %s, highest %s: got %s, want %s\n",
					       r->library, vnames[i], vnames[j], got, want);
				}
			}
		}
		OK(bad == 0,
		   "%s: all %d lowest x highest combinations of NONE/MIN/1.2/1.3/MAX/"
		   "0x0302/0x0305 resolve or fail as tlsh.h defines",
		   r->library, n);
	}
	struct cfg f;
	cfg_server(&f);
	f.c.lowest_supported_version = TLSH_TLS_1_3;
	f.c.highest_supported_version = TLSH_TLS_1_2;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f,
	                "lowest version TLS 1.3 is above highest "
	                "version TLS 1.2"),
	   "lowest > highest names both");
	f.c.lowest_supported_version = TLSH_VERSION_MAXIMUM_SUPPORTED;
	f.c.highest_supported_version = TLSH_TLS_1_3;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "MAXIMUM_SUPPORTED is above"),
	   "lowest MAXIMUM_SUPPORTED with a concrete highest names the sentinel");
	f.c.lowest_supported_version = TLSH_TLS_1_2;
	f.c.highest_supported_version = TLSH_VERSION_MINIMUM_SUPPORTED;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "above highest version MINIMUM_SUPPORTED"),
	   "highest MINIMUM_SUPPORTED with a concrete lowest names the sentinel");
	f.c.lowest_supported_version = (enum tlsh_version)0x0305;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "0x0305"),
	   "an undefined version value is named in the message");
	f.c.lowest_supported_version = TLSH_TLS_1_3;
	f.c.highest_supported_version = TLSH_VERSION_NONE;
	OK(plan_refused(&rules12, TLSH_ROLE_SERVER, &f, "testlib 1.2"),
	   "lowest TLS 1.3 without TLS 1.3 names the library");
}

static void test_ciphers(void)
{
	static const struct {
		enum tlsh_version lo, hi;
		int has12, has13;
		const char *want;
	} cases[] = {
	        {TLSH_TLS_1_2, TLSH_TLS_1_3, 1, 1, "23"}, {TLSH_TLS_1_2, TLSH_TLS_1_3, 1, 0, "22"},
	        {TLSH_TLS_1_2, TLSH_TLS_1_3, 0, 1, "33"}, {TLSH_TLS_1_2, TLSH_TLS_1_3, 0, 0, "E"},
	        {TLSH_TLS_1_3, TLSH_TLS_1_3, 1, 0, "E"},  {TLSH_TLS_1_3, TLSH_TLS_1_3, 0, 1, "33"},
	        {TLSH_TLS_1_2, TLSH_TLS_1_2, 0, 1, "E"},  {TLSH_TLS_1_2, TLSH_TLS_1_2, 1, 0, "22"},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tlsh_plan p;
		struct tlsh_error err;
		memset(&p, 0, sizeof p);
		p.lowest = cases[i].lo;
		p.highest = cases[i].hi;
		int st = tlsh_plan_ciphers(&p, cases[i].has12, cases[i].has13, &err);
		const char *got = st == TLSH_OK ? range_text(&p) : "E";
		if (strcmp(got, cases[i].want) != 0) {
			bad++;
			printf("#   case %zu: got %s, want %s\n", i, got, cases[i].want);
		}
	}
	OK(bad == 0, "tlsh_plan_ciphers narrows the range to the versions the list serves, and "
	             "refuses a range it leaves empty");
}

/* ---- sources, chains, trust ----------------------------------------------------- */

static void test_sources(void)
{
	struct cfg f;
	struct tlsh_plan p;
	cfg_server(&f);
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p), "a server with one BUFFER chain is fine");

	f.chain[0].leaf.kind = TLSH_SOURCE_PATH;
	f.chain[0].leaf.path = "/x.pem";
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p),
	   "a PATH leaf is fine where PATH is allowed");
	struct tlsh_plan_rules only_buf = rules13;
	only_buf.chain_kinds = TLSH_KIND(TLSH_SOURCE_BUFFER);
	OK(plan_refused(&only_buf, TLSH_ROLE_SERVER, &f, "PATH is not supported"),
	   "a PATH leaf is refused where only BUFFER is allowed, naming the kind");
	f.chain[0].leaf.path = "";
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "empty path"), "an empty path is refused");
	f.chain[0].leaf.path = NULL;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "empty path"), "a NULL path is refused");

	cfg_server(&f);
	f.chain[0].key.kind = TLSH_SOURCE_ID;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "chain 0 key: source kind ID"),
	   "an ID key is refused where ID is not allowed, naming the key");
	struct tlsh_plan_rules with_id = rules13;
	with_id.chain_kinds |= TLSH_KIND(TLSH_SOURCE_ID);
	OK(plan_ok(&with_id, TLSH_ROLE_SERVER, &f, &p), "an ID key is fine where ID is allowed");
	f.chain[0].key.kind = TLSH_SOURCE_NONE;
	OK(plan_refused(&with_id, TLSH_ROLE_SERVER, &f, "NONE"), "a key of kind NONE is refused");
	f.chain[0].key.kind = (enum tlsh_source_kind)99;
	OK(plan_refused(&with_id, TLSH_ROLE_SERVER, &f, "unknown"), "an undefined kind is refused");

	cfg_server(&f);
	f.chain[0].leaf.len = 0;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "empty"), "an empty BUFFER is refused");
	cfg_server(&f);
	f.chain[0].leaf.data = NULL;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "empty"), "a NULL BUFFER is refused");
	cfg_server(&f);
	struct tlsh_plan_rules small = rules13;
	small.max_buffer = f.chain[0].leaf.len;
	OK(plan_ok(&small, TLSH_ROLE_SERVER, &f, &p), "a BUFFER of exactly max_buffer is fine");
	small.max_buffer = f.chain[0].leaf.len - 1;
	OK(plan_refused(&small, TLSH_ROLE_SERVER, &f, "oversized"),
	   "a BUFFER above max_buffer is refused");

	cfg_server(&f);
	f.c.certificate_chains_len = 0;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "needs a certificate chain"),
	   "a server without a chain is refused");
	cfg_client(&f);
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p), "a client without a chain is fine");
	f.c.certificate_chains = f.chain;
	f.c.certificate_chains_len = 2;
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "at most one"),
	   "a client with two chains is refused");
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p), "a server with two chains is fine");
	f.c.certificate_chains = NULL;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "certificate_chains is NULL"),
	   "a NULL chain array with a length is refused");
	cfg_server(&f);
	f.chain[0].chain_len = 1;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "intermediates are NULL"),
	   "a NULL intermediates array with a length is refused");
	f.chain[0].chain = f.inter;
	f.inter[0].kind = TLSH_SOURCE_SYSTEM;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "intermediate 0"),
	   "an intermediate of kind SYSTEM is refused, naming it");
	f.inter[0] = f.chain[0].leaf;
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p), "a BUFFER intermediate is fine");

	/* Trust stores. */
	cfg_client(&f);
	f.c.trust_store = &f.trust;
	f.trust.kind = TLSH_SOURCE_NONE;
	struct tlsh_plan_rules no_trust = rules13;
	no_trust.trust_kinds = 0;
	OK(plan_ok(&no_trust, TLSH_ROLE_CLIENT, &f, &p),
	   "a trust store of kind NONE is always accepted");
	f.trust.kind = TLSH_SOURCE_SYSTEM;
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p), "a SYSTEM trust store is fine");
	OK(plan_refused(&no_trust, TLSH_ROLE_CLIENT, &f, "trust store: source kind SYSTEM"),
	   "a SYSTEM trust store is refused where SYSTEM is not allowed");
	f.trust.kind = TLSH_SOURCE_ID;
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "trust store"),
	   "an ID trust store is refused where ID is not allowed");
	f.trust.kind = TLSH_SOURCE_BUFFER;
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "trust store: empty"),
	   "an empty BUFFER trust store is refused");
}

/* ---- roles, insecure flags, struct_size ----------------------------------------- */

static void test_flags(void)
{
	struct cfg f;
	struct tlsh_plan p;
	struct tlsh_error err;
	cfg_server(&f);
	OK(tlsh_plan_config(&rules13, (enum tlsh_role)3, &f.c, &p, &err) ==
	                   TLSH_CONFIGURATION_ERROR &&
	           strstr(err.message, "role") != NULL,
	   "an unknown role is refused");
	OK(tlsh_plan_config(&rules13, TLSH_ROLE_CLIENT, NULL, &p, &err) ==
	                   TLSH_CONFIGURATION_ERROR &&
	           strstr(err.message, "no configuration") != NULL,
	   "a NULL config is refused");
	OK(tlsh_plan_config(&rules13, TLSH_ROLE_CLIENT, NULL, &p, NULL) == TLSH_CONFIGURATION_ERROR,
	   "a NULL err is fine");

	static const struct {
		uint32_t bits;
		int ok, verify, check;
	} cl[] = {
	        {0, 1, 1, 1},
	        {TLSH_INSECURE_NO_VERIFY, 1, 0, 0},
	        {TLSH_INSECURE_NO_HOSTNAME_CHECK, 1, 1, 0},
	        {TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK, 1, 0, 0},
	        {1u << 2, 0, 0, 0},
	        {TLSH_INSECURE_NO_VERIFY | (1u << 31), 0, 0, 0},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
		cfg_client(&f);
		f.c.insecure = cl[i].bits;
		int st = tlsh_plan_config(&rules13, TLSH_ROLE_CLIENT, &f.c, &p, &err);
		if ((st == TLSH_OK) != cl[i].ok ||
		    (st == TLSH_OK &&
		     (p.verify_peer != cl[i].verify || p.check_name != cl[i].check)) ||
		    (st != TLSH_OK && strstr(err.message, "insecure") == NULL)) {
			bad++;
			printf("#   client insecure 0x%x: status %d verify %d check %d\n",
			       cl[i].bits, st, p.verify_peer, p.check_name);
		}
	}
	OK(bad == 0, "client insecure bits: the two defined ones set verify_peer / check_name, "
	             "any other bit is refused");

	cfg_server(&f);
	f.c.insecure = TLSH_INSECURE_NO_VERIFY | TLSH_INSECURE_NO_HOSTNAME_CHECK;
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p) && !p.verify_peer && !p.check_name,
	   "insecure flags on a server are accepted and have no effect (no trust store: no "
	   "client authentication)");
	f.c.trust_store = &f.trust;
	f.trust = f.chain[0].leaf;
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p) && p.verify_peer && !p.check_name,
	   "a server with a trust store verifies clients, NO_VERIFY notwithstanding");
	f.trust.kind = TLSH_SOURCE_NONE;
	OK(plan_ok(&rules13, TLSH_ROLE_SERVER, &f, &p) && !p.verify_peer,
	   "a server trust store of kind NONE disables client authentication");
	f.c.insecure = 1u << 5;
	OK(plan_refused(&rules13, TLSH_ROLE_SERVER, &f, "unknown insecure flags 0x20"),
	   "an unknown insecure bit is refused on a server too");

	/* struct_size: fields beyond it read as zero. */
	cfg_client(&f);
	f.c.insecure = 1u << 7; /* would be refused */
	f.c.struct_size = offsetof(struct tlsh_config, insecure);
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p) && p.c.insecure == 0 &&
	           p.c.struct_size == sizeof p.c,
	   "a field beyond struct_size is ignored (read as zero)");
	cfg_client(&f);
	f.c.lowest_supported_version = TLSH_TLS_1_3;
	f.c.struct_size = offsetof(struct tlsh_config, lowest_supported_version);
	OK(plan_ok(&rules12, TLSH_ROLE_CLIENT, &f, &p) && p.lowest == TLSH_TLS_1_2,
	   "a version beyond struct_size is NONE");
	cfg_client(&f);
	f.c.struct_size = 0;
	f.c.insecure = 1u << 7;
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p) && p.c.insecure == 0,
	   "struct_size 0: every field reads as zero");
	cfg_client(&f);
	f.c.insecure = 3;
	f.c.struct_size = offsetof(struct tlsh_config, insecure) + sizeof f.c.insecure;
	struct tlsh_config copy;
	memset(&copy, 0x5a, sizeof copy);
	tlsh_config_copy(&f.c, &copy);
	OK(copy.insecure == 3 && copy.struct_size == sizeof copy && copy.certificate_chains == NULL,
	   "tlsh_config_copy copies what struct_size covers");
	f.c.struct_size = offsetof(struct tlsh_config, inner_protocols);
	f.c.inner_protocols_len = 4;
	tlsh_config_copy(&f.c, &copy);
	OK(copy.insecure == 0 && copy.inner_protocols_len == 0 && copy.inner_protocols == NULL,
	   "tlsh_config_copy zeroes what struct_size does not cover");
	cfg_client(&f);
	f.c.struct_size = sizeof f.c + 64; /* a newer caller: the known part is used */
	f.c.insecure = TLSH_INSECURE_NO_VERIFY;
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p) && !p.verify_peer,
	   "a larger struct_size from a newer caller is fine");
}

/* ---- ALPN ------------------------------------------------------------------------ */

static uint8_t big_name[256];

static void test_alpn(void)
{
	struct cfg f;
	struct tlsh_plan p;
	memset(big_name, 'a', sizeof big_name);
	static const struct {
		size_t len;
		int ok;
	} lens[] = {{0, 0}, {1, 1}, {255, 1}, {256, 0}};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		cfg_client(&f);
		f.alpn[0].data = big_name;
		f.alpn[0].len = lens[i].len;
		f.c.inner_protocols = f.alpn;
		f.c.inner_protocols_len = 1;
		int ok = plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p);
		OK(ok == lens[i].ok && (!ok || p.alpn_wire_len == 1 + lens[i].len),
		   "an ALPN name of %zu bytes is %s", lens[i].len, lens[i].ok ? "fine" : "refused");
	}
	cfg_client(&f);
	f.c.inner_protocols_len = 1;
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "inner_protocols is NULL"),
	   "a NULL protocol array with a length is refused");
	f.c.inner_protocols = f.alpn;
	f.alpn[0].len = 2;
	f.alpn[0].data = NULL;
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "ALPN protocol 0"),
	   "a name with NULL data is refused");
	/* 257 names of 255 bytes: 65,792 bytes on the wire. */
	cfg_client(&f);
	for (int i = 0; i < 257; i++) {
		f.alpn[i].data = big_name;
		f.alpn[i].len = 255;
	}
	f.c.inner_protocols = f.alpn;
	f.c.inner_protocols_len = 256; /* 65,536 */
	OK(plan_refused(&rules13, TLSH_ROLE_CLIENT, &f, "too long"),
	   "a list of 65,536 wire bytes is refused");
	f.c.inner_protocols_len = 255; /* 65,280 */
	OK(plan_ok(&rules13, TLSH_ROLE_CLIENT, &f, &p) && p.alpn_wire_len == 65280,
	   "a list of 65,280 wire bytes is fine");
	struct tlsh_plan_rules r = rules13;
	r.max_alpn_wire = 65279;
	OK(plan_refused(&r, TLSH_ROLE_CLIENT, &f, "too long"), "max_alpn_wire is honoured");

	/* Wire format and the server's choice. */
	static const uint8_t h2[] = "h2", h11[] = "http/1.1", nul[] = {'a', 0, 'b'};
	cfg_client(&f);
	f.alpn[0].data = h2;
	f.alpn[0].len = 2;
	f.alpn[1].data = nul;
	f.alpn[1].len = 3;
	f.alpn[2].data = h11;
	f.alpn[2].len = 8;
	f.c.inner_protocols = f.alpn;
	f.c.inner_protocols_len = 3;
	uint8_t *w = NULL;
	size_t wl = 0;
	static const uint8_t want[] = {2,   'h', '2', 3,   'a', 0,   'b', 8,
	                               'h', 't', 't', 'p', '/', '1', '.', '1'};
	OK(tlsh_alpn_wire(&f.c, &w, &wl) && wl == sizeof want && memcmp(w, want, wl) == 0,
	   "tlsh_alpn_wire: length-prefixed names, NUL bytes kept");
	static const uint8_t offer[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1', 2, 'h', '2'};
	const uint8_t *sel = NULL;
	uint8_t sl = 0;
	OK(tlsh_alpn_select(w, wl, offer, sizeof offer, &sel, &sl) && sl == 2 &&
	           memcmp(sel, "h2", 2) == 0 && sel == w + 1,
	   "tlsh_alpn_select picks by the server's order (h2 before http/1.1)");
	static const uint8_t other[] = {3, 'f', 'o', 'o'};
	OK(!tlsh_alpn_select(w, wl, other, sizeof other, &sel, &sl), "no overlap: none chosen");
	static const uint8_t bad[] = {9, 'h', '2'};
	OK(!tlsh_alpn_select(w, wl, bad, sizeof bad, &sel, &sl),
	   "an entry running past the end of the offer ends it");
	static const uint8_t zero[] = {0, 2, 'h', '2'};
	OK(!tlsh_alpn_select(w, wl, zero, sizeof zero, &sel, &sl),
	   "a zero-length entry ends the offer");
	free(w);
	cfg_client(&f);
	OK(tlsh_alpn_wire(&f.c, &w, &wl) && w == NULL && wl == 0, "no protocols: no wire list");
}

/* ---- PEM, files ---------------------------------------------------------------------- */

static void test_pem(void)
{
	static const struct {
		const char *text;
		size_t len;
		int pem;
		const char *what;
	} cases[] = {
	        {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0, 1,
	         "a PEM block"},
	        {"-----BEGIN CERTIFICATE-----\nMIIBxx", 0, 1,
	         "no END line: still PEM (the library's parser refuses it)"},
	        {"-----BEGIN", 0, 1, "exactly the tag"},
	        {"-----BEGI", 0, 0, "the tag cut short"},
	        {"  \t\r\n-----BEGIN CERTIFICATE-----\n", 0, 1, "leading white space"},
	        {"\v-----BEGIN CERTIFICATE-----\n", 0, 0, "a vertical tab is not white space here"},
	        {"Bag Attributes\n-----BEGIN CERTIFICATE-----\n", 0, 0,
	         "explanatory text before the BEGIN line: not PEM"},
	        {"garbage garbage", 0, 0, "garbage"},
	        {"----- BEGIN", 0, 0, "a space inside the tag"},
	        {"-----begin CERTIFICATE-----", 0, 0, "lower case"},
	        {"-\x30\x82\x01\x0a", 5, 0, "DER that happens to start with '-'"},
	        {"\x30\x82\x01\x0a-----BEGIN", 14, 0, "the tag inside DER"},
	        {"", 0, 0, "empty"},
	        {"   ", 0, 0, "white space only"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);
		OK(tlsh_is_pem(cases[i].text, n) == cases[i].pem, "tlsh_is_pem: %s -> %s",
		   cases[i].what, cases[i].pem ? "PEM" : "DER");
	}
	OK(!tlsh_is_pem(NULL, 10), "tlsh_is_pem: NULL -> DER");
	OK(!tlsh_is_pem("-----BEGIN", 9), "tlsh_is_pem honours the length");
}

static void test_files(void)
{
	uint8_t *d = NULL;
	size_t n = 0;
	struct stat sb;
	const char *pem = TLSH_PKI_DIR "/rsa-server.pem", *der = TLSH_PKI_DIR "/rsa-server.der";
	int e = tlsh_file_read(pem, 1 << 20, &d, &n);
	OK(e == 0 && stat(pem, &sb) == 0 && n == (size_t)sb.st_size && d[n] == '\0' &&
	           tlsh_is_pem(d, n),
	   "tlsh_file_read reads the test PKI's PEM leaf whole, NUL after the end");
	free(d);
	e = tlsh_file_read(der, 1 << 20, &d, &n);
	OK(e == 0 && n > 100 && d[0] == 0x30 && !tlsh_is_pem(d, n), "its DER form is not PEM");
	free(d);
	OK(tlsh_file_read(der, 100, &d, &n) == EFBIG && d == NULL && n == 0,
	   "a file above max: EFBIG");
	OK(tlsh_file_read(TLSH_PKI_DIR, 1 << 20, &d, &n) == EISDIR && d == NULL,
	   "a directory: EISDIR");
	OK(tlsh_file_read(TLSH_PKI_DIR "/no-such-file", 1 << 20, &d, &n) == ENOENT && d == NULL,
	   "a missing file: ENOENT");
	char empty[] = "/tmp/tlsh-test-adapter-XXXXXX";
	int fd = mkstemp(empty);
	if (fd >= 0)
		close(fd);
	OK(fd >= 0 && tlsh_file_read(empty, 1 << 20, &d, &n) == ENODATA && d == NULL,
	   "an empty file: ENODATA");
	if (fd >= 0)
		unlink(empty);

	struct tlsh_source s = {TLSH_SOURCE_BUFFER, (const uint8_t *)"abc", 3, NULL};
	const uint8_t *data;
	uint8_t *owned;
	OK(tlsh_source_bytes(&s, 10, &data, &n, &owned) == 0 && data == s.data && n == 3 &&
	           owned == NULL,
	   "tlsh_source_bytes: a BUFFER is borrowed");
	s.kind = TLSH_SOURCE_PATH;
	s.path = pem;
	OK(tlsh_source_bytes(&s, 1 << 20, &data, &n, &owned) == 0 && data == owned &&
	           tlsh_is_pem(data, n),
	   "tlsh_source_bytes: a PATH is read into an allocation");
	free(owned);
	s.kind = TLSH_SOURCE_ID;
	OK(tlsh_source_bytes(&s, 10, &data, &n, &owned) == EINVAL && data == NULL,
	   "tlsh_source_bytes: another kind is EINVAL");
	OK(strcmp(tlsh_source_kind_name(TLSH_SOURCE_SYSTEM), "SYSTEM") == 0 &&
	           strcmp(tlsh_source_kind_name((enum tlsh_source_kind)42), "unknown") == 0,
	   "source kind names");
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_errors(void)
{
	struct tlsh_error err;
	memset(&err, 'x', sizeof err);
	char longtext[600];
	memset(longtext, 'y', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	int st = tlsh_error_set(&err, TLSH_TLS_ERROR, 40, 48, "%s and %d", longtext, 7);
	OK(st == TLSH_TLS_ERROR && err.status == TLSH_TLS_ERROR && err.alert_sent == 40 &&
	           err.alert_received == 48 && err.message[sizeof err.message - 1] == '\0' &&
	           strlen(err.message) == sizeof err.message - 1,
	   "tlsh_error_set: status, alerts, message cut to fit and NUL-terminated");
	OK(tlsh_error_set(NULL, TLSH_WANT_READ, 1, 2, "x") == TLSH_WANT_READ,
	   "tlsh_error_set with NULL returns the status");
	st = tlsh_config_fail(&err, "bad %s", "thing");
	OK(st == TLSH_CONFIGURATION_ERROR && err.status == st && err.alert_sent == TLSH_NO_ALERT &&
	           err.alert_received == TLSH_NO_ALERT && strcmp(err.message, "bad thing") == 0,
	   "tlsh_config_fail");
	tlsh_error_ok(&err);
	OK(err.status == TLSH_OK && err.alert_sent == TLSH_NO_ALERT && err.message[0] == '\0',
	   "tlsh_error_ok");
	tlsh_error_ok(NULL);
}

/* ---- byte queue ---------------------------------------------------------------------- */

static void test_queue(void)
{
	struct tlsh_queue q;
	memset(&q, 0, sizeof q);
	OK(tlsh_queue_length(&q) == 0 && tlsh_queue_peek(&q) == NULL, "a zeroed queue is empty");
	OK(tlsh_queue_append(&q, NULL, 0) && tlsh_queue_length(&q) == 0, "appending nothing");
	OK(tlsh_queue_append(&q, "hello", 5) && tlsh_queue_length(&q) == 5 &&
	           memcmp(tlsh_queue_peek(&q), "hello", 5) == 0,
	   "append, length, peek");
	tlsh_queue_consume(&q, 2);
	OK(tlsh_queue_length(&q) == 3 && memcmp(tlsh_queue_peek(&q), "llo", 3) == 0,
	   "consume drops from the front");
	char buf[8];
	OK(tlsh_queue_take(&q, buf, 2) == 2 && memcmp(buf, "ll", 2) == 0 &&
	           tlsh_queue_length(&q) == 1,
	   "take copies and drops");
	tlsh_queue_consume(&q, 100);
	OK(tlsh_queue_length(&q) == 0 && tlsh_queue_peek(&q) == NULL,
	   "consuming more than is pending empties it");
	/* Many appends and partial consumes: the content stays in order. */
	uint8_t chunk[1000];
	size_t in = 0, out = 0;
	int ok = 1;
	for (int round = 0; round < 200 && ok; round++) {
		for (size_t i = 0; i < sizeof chunk; i++)
			chunk[i] = (uint8_t)(in + i);
		size_t k = 1 + (size_t)(round * 37) % sizeof chunk;
		ok = tlsh_queue_append(&q, chunk, k);
		in += k;
		size_t take = (size_t)(round * 53) % 700;
		uint8_t got[700];
		size_t g = tlsh_queue_take(&q, got, take);
		for (size_t i = 0; i < g && ok; i++)
			ok = got[i] == (uint8_t)(out + i);
		out += g;
	}
	OK(ok && tlsh_queue_length(&q) == in - out,
	   "200 rounds of appends and takes keep every byte, in order (%zu in, %zu out)", in, out);
	tlsh_queue_free(&q);
	OK(q.p == NULL && tlsh_queue_length(&q) == 0 && tlsh_queue_append(&q, "x", 1),
	   "a freed queue is empty and usable");
	tlsh_queue_free(&q);
}

/* ---- buffer state ---------------------------------------------------------------------- */

static void test_state(void)
{
	struct tlsh_state s;
	size_t n = 99;
	tlsh_state_init(&s);
	OK(s.alert_sent == TLSH_NO_ALERT && s.alert_received == TLSH_NO_ALERT &&
	           s.last.status == TLSH_OK && !s.eof && !s.closed && !s.ragged && !s.failed,
	   "tlsh_state_init");
	OK(tlsh_state_read(&s, &n) == TLSH_PROCEED && n == 0, "a fresh buffer reads on");

	tlsh_state_alert(&s, 1, 0, 0);
	OK(s.alert_sent == TLSH_NO_ALERT, "a warning close_notify is not noted");
	tlsh_state_alert(&s, 1, 300, 1);
	OK(s.alert_sent == TLSH_NO_ALERT, "a code above 255 is not noted");
	tlsh_state_alert(&s, 1, 90, 0);
	tlsh_state_alert(&s, 1, 80, 0);
	OK(s.alert_sent == 90, "the first warning is kept");
	tlsh_state_alert(&s, 1, 40, 1);
	tlsh_state_alert(&s, 1, 50, 1);
	OK(s.alert_sent == 40 && s.alert_sent_fatal,
	   "the first fatal alert replaces a warning once");
	tlsh_state_alert(&s, 0, 0, 1);
	OK(s.alert_received == 0, "a fatal close_notify is noted");

	OK(tlsh_state_fail(&s, TLSH_TLS_ERROR, "refused %d", 1) == TLSH_TLS_ERROR && !s.failed &&
	           s.last.alert_sent == 40 && s.last.alert_received == 0 &&
	           strcmp(s.last.message, "refused 1") == 0,
	   "tlsh_state_fail records the alerts noted and does not mark the buffer failed");
	OK(tlsh_state_read(&s, &n) == TLSH_PROCEED, "after a refused call reads go on");

	OK(tlsh_state_kill(&s, "boom") == TLSH_TLS_ERROR && s.failed, "tlsh_state_kill");
	s.last.status = TLSH_OK;
	n = 5;
	OK(tlsh_state_read(&s, &n) == TLSH_TLS_ERROR && n == 0 && s.last.status == TLSH_TLS_ERROR &&
	           strcmp(s.last.message, "boom") == 0,
	   "a failed buffer reads TLS_ERROR, keeping the failure's detail");

	tlsh_state_init(&s);
	OK(tlsh_state_closed(&s) == TLSH_CLOSED, "tlsh_state_closed");
	s.failed = 1; /* a later failure (e.g. a write) */
	OK(tlsh_state_read(&s, &n) == TLSH_CLOSED && tlsh_state_read(&s, &n) == TLSH_CLOSED,
	   "CLOSED is sticky, even after a later failure");
	tlsh_state_init(&s);
	OK(tlsh_state_ragged(&s, "cut at %d", 3) == TLSH_RAGGED_EOF &&
	           s.last.status == TLSH_RAGGED_EOF && strcmp(s.last.message, "cut at 3") == 0,
	   "tlsh_state_ragged records RAGGED_EOF");
	OK(tlsh_state_read(&s, &n) == TLSH_RAGGED_EOF && tlsh_state_read(&s, &n) == TLSH_RAGGED_EOF,
	   "RAGGED_EOF is sticky");

	/* process_incoming. */
	static const uint8_t b[4] = {1, 2, 3, 4};
	tlsh_state_init(&s);
	OK(tlsh_state_incoming(&s, 0, b, 4, 0, 8) == TLSH_PROCEED, "bytes are stored");
	OK(tlsh_state_incoming(&s, 0, b, 0, 0, 8) == TLSH_OK, "no bytes: OK");
	OK(tlsh_state_incoming(&s, 0, NULL, 0, 0, 8) == TLSH_OK, "no bytes, NULL data: OK");
	OK(tlsh_state_incoming(&s, 0, NULL, 4, 0, 8) == TLSH_TLS_ERROR &&
	           s.last.status == TLSH_TLS_ERROR && !s.failed,
	   "NULL data: TLS_ERROR, the buffer stays usable");
	OK(tlsh_state_incoming(&s, 0, b, 4, 4, 8) == TLSH_PROCEED, "filling up to cap is fine");
	OK(tlsh_state_incoming(&s, 0, b, 4, 5, 8) == TLSH_WANT_READ, "beyond cap: WANT_READ");
	OK(tlsh_state_incoming(&s, 0, b, 4, 8, 8) == TLSH_WANT_READ, "at cap: WANT_READ");
	OK(tlsh_state_incoming(&s, 0, b, 4, 0, 2) == TLSH_PROCEED,
	   "a delivery into an empty buffer is always taken");
	OK(tlsh_state_incoming(&s, 1, b, 4, 0, 8) == TLSH_OK, "drop: taken and ignored");
	s.closed = 1;
	OK(tlsh_state_incoming(&s, 0, b, 4, 0, 8) == TLSH_OK, "after CLOSED: dropped");
	s.closed = 0;
	s.failed = 1;
	OK(tlsh_state_incoming(&s, 0, b, 4, 0, 8) == TLSH_OK, "after a failure: dropped");
	s.eof = 1;
	s.last.status = TLSH_OK;
	OK(tlsh_state_incoming(&s, 0, b, 4, 0, 8) == TLSH_TLS_ERROR &&
	           s.last.status == TLSH_TLS_ERROR &&
	           strstr(s.last.message, "process_incoming_eof") != NULL,
	   "after process_incoming_eof: TLS_ERROR naming it");

	/* The same with a queue. */
	struct tlsh_queue q;
	memset(&q, 0, sizeof q);
	tlsh_state_init(&s);
	OK(tlsh_state_store(&s, &q, 0, b, 4, 6) == TLSH_OK && tlsh_queue_length(&q) == 4,
	   "tlsh_state_store stores");
	OK(tlsh_state_store(&s, &q, 0, b, 4, 6) == TLSH_WANT_READ && tlsh_queue_length(&q) == 4,
	   "tlsh_state_store: WANT_READ beyond cap, nothing stored");
	OK(tlsh_state_store(&s, &q, 1, b, 1, 6) == TLSH_OK && tlsh_queue_length(&q) == 4,
	   "tlsh_state_store: dropped");
	s.eof = 1;
	OK(tlsh_state_store(&s, &q, 0, b, 1, 6) == TLSH_TLS_ERROR && tlsh_queue_length(&q) == 4,
	   "tlsh_state_store: after EOF, TLS_ERROR");
	tlsh_queue_free(&q);
}

/* ---- identity -------------------------------------------------------------------------- */

static void test_dns(void)
{
	static const struct {
		const char *pattern, *host;
		int match;
	} cases[] = {
	        {"server.tlsh.test", "server.tlsh.test", 1},
	        {"server.tlsh.test", "SERVER.Tlsh.TEST", 1},
	        {"SeRvEr.TLSH.test", "server.tlsh.test", 1},
	        {"server.tlsh.test", "server.tlsh.tes", 0},
	        {"server.tlsh.test", "xserver.tlsh.test", 0},
	        {"server.tlsh.test", "server.tlsh.test.", 1},
	        {"server.tlsh.test.", "server.tlsh.test", 1},
	        {"server.tlsh.test.", "server.tlsh.test.", 1},
	        {"server.tlsh.test", "server.tlsh.test..", 0},
	        {"server.tlsh.test..", "server.tlsh.test", 0},
	        {"server.tlsh.test", ".server.tlsh.test", 0},
	        {"server..test", "server..test", 0},
	        {"", "", 0},
	        {".", ".", 0},
	        {"server.tlsh.test", "", 0},
	        {"*.tlsh.test", "a.tlsh.test", 1},
	        {"*.tlsh.test", "A.TLSH.TEST", 1},
	        {"*.tlsh.test", "a.tlsh.test.", 1},
	        {"*.tlsh.test", "tlsh.test", 0},
	        {"*.tlsh.test", ".tlsh.test", 0},
	        {"*.tlsh.test", "a.b.tlsh.test", 0},
	        {"*.tlsh.test", "a.tlsh.testx", 0},
	        {"*.test", "a.test", 0},
	        {"*.test", "test", 0},
	        {"*", "a", 0},
	        {"*.", "a.", 0},
	        {"w*.tlsh.test", "wx.tlsh.test", 0},
	        {"w*.tlsh.test", "w.tlsh.test", 0},
	        {"*w.tlsh.test", "xw.tlsh.test", 0},
	        {"a*b.tlsh.test", "axb.tlsh.test", 0},
	        {"a.*.tlsh.test", "a.b.tlsh.test", 0},
	        {"*.*.tlsh.test", "a.b.tlsh.test", 0},
	        {"**.tlsh.test", "a.tlsh.test", 0},
	        {"server.tlsh.*", "server.tlsh.test", 0},
	        {"*.tlsh.test", "*.tlsh.test", 0},
	        {"xn--bcher-kva.example", "xn--bcher-kva.example", 1},
	        {"xn--bcher-kva.example", "XN--BCHER-KVA.example", 1},
	        {"xn--bcher-kva.example", "xn--bcher-kvb.example", 0},
	        {"*.xn--bcher-kva.example", "www.xn--bcher-kva.example", 1},
	        {"*.example.com", "xn--bcher-kva.example.com", 1},
	        {"xn--*.example.com", "xn--bcher-kva.example.com", 0},
	        {"xn--bcher-*.example.com", "xn--bcher-kva.example.com", 0},
	        {"*xn--bcher-kva.example.com", "xn--bcher-kva.example.com", 0},
	        {"127.0.0.1", "127.0.0.1", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		OK(tlsh_dns_match(cases[i].pattern, strlen(cases[i].pattern), cases[i].host) ==
		           cases[i].match,
		   "dNSName \"%s\" %s \"%s\"", cases[i].pattern,
		   cases[i].match ? "matches" : "does not match", cases[i].host);
	static const char nul[] = "server.tlsh.test\0.evil.test";
	OK(!tlsh_dns_match(nul, sizeof nul - 1, "server.tlsh.test") &&
	           !tlsh_dns_match(nul, sizeof nul - 1, "server.tlsh.test.evil.test"),
	   "a dNSName holding a NUL byte matches nothing");
	OK(tlsh_dns_match("server.tlsh.testXYZ", 16, "server.tlsh.test"),
	   "the pattern's length is honoured (not NUL-terminated)");
	OK(!tlsh_dns_match(NULL, 0, "a") && !tlsh_dns_match("a", 1, NULL), "NULL matches nothing");
}

static void test_identity(void)
{
	uint8_t ip[16];
	static const uint8_t lo4[4] = {127, 0, 0, 1};
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	OK(tlsh_ip_parse("127.0.0.1", ip) == 4 && memcmp(ip, lo4, 4) == 0, "IPv4 literal");
	OK(tlsh_ip_parse("::1", ip) == 16 && memcmp(ip, lo6, 16) == 0, "IPv6 literal");
	OK(tlsh_ip_parse("server.tlsh.test", ip) == 0, "a DNS name is not an IP literal");
	OK(tlsh_ip_parse("127.0.0.256", ip) == 0 && tlsh_ip_parse("127.1", ip) == 0 &&
	           tlsh_ip_parse("[::1]", ip) == 0 && tlsh_ip_parse(NULL, ip) == 0,
	   "malformed literals are not IP literals");

	struct tlsh_identity id;
	tlsh_identity_set(&id, NULL);
	OK(id.kind == TLSH_IDENTITY_NONE && !tlsh_identity_match(&id, TLSH_SAN_DNS, "a", 1),
	   "no hostname: no identity, nothing matches");
	tlsh_identity_set(&id, "");
	OK(id.kind == TLSH_IDENTITY_NONE, "an empty hostname is none");
	tlsh_identity_set(&id, "127.0.0.1");
	OK(id.kind == TLSH_IDENTITY_IP && id.ip_len == 4, "an IPv4 literal is an IP identity");
	OK(tlsh_identity_match(&id, TLSH_SAN_IP, lo4, 4), "it matches its iPAddress");
	OK(!tlsh_identity_match(&id, TLSH_SAN_DNS, "127.0.0.1", 9),
	   "an IP identity never matches a dNSName, even one spelling the address");
	OK(!tlsh_identity_match(&id, TLSH_SAN_IP, lo6, 16), "nor another address length");
	static const uint8_t lo4_long[16] = {127, 0, 0, 1};
	OK(!tlsh_identity_match(&id, TLSH_SAN_IP, lo4_long, 16) &&
	           !tlsh_identity_match(&id, TLSH_SAN_IP, lo4, 3),
	   "nor an iPAddress that only starts with the address, nor a truncated one");
	tlsh_identity_set(&id, "::1");
	OK(id.kind == TLSH_IDENTITY_IP && tlsh_identity_match(&id, TLSH_SAN_IP, lo6, 16) &&
	           !tlsh_identity_match(&id, TLSH_SAN_IP, lo4, 4),
	   "an IPv6 identity matches its 16-byte iPAddress only");
	tlsh_identity_set(&id, "Server.TLSH.test.");
	OK(id.kind == TLSH_IDENTITY_DNS &&
	           tlsh_identity_match(&id, TLSH_SAN_DNS, "server.tlsh.test", 16),
	   "a DNS identity matches a dNSName (case, trailing dot)");
	OK(!tlsh_identity_match(&id, TLSH_SAN_IP, lo4, 4) &&
	           !tlsh_identity_match(&id, 1 /* rfc822Name */, "server.tlsh.test", 16),
	   "a DNS identity matches no other GeneralName type");
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	tlsh_identity_set(&id, longname);
	OK(id.kind == TLSH_IDENTITY_DNS && id.too_long &&
	           !tlsh_identity_match(&id, TLSH_SAN_DNS, longname, 255),
	   "a name longer than 255 bytes matches nothing");
}

static void test_client_name(void)
{
	struct tlsh_identity id;
	struct tlsh_error e;
	char sni[256];
	memset(sni, 'x', sizeof sni);
	OK(tlsh_client_name(NULL, 1, &id, sni, &e) == TLSH_CONFIGURATION_ERROR &&
	           e.status == TLSH_CONFIGURATION_ERROR && strstr(e.message, "NULL") &&
	           strstr(e.message, "NO_HOSTNAME_CHECK") && sni[0] == '\0',
	   "a NULL name while names are verified is a configuration error naming the flags");
	OK(tlsh_client_name("", 1, &id, sni, &e) == TLSH_CONFIGURATION_ERROR &&
	           strstr(e.message, "empty"),
	   "so is an empty name");
	memset(sni, 'x', sizeof sni);
	OK(tlsh_client_name(NULL, 0, &id, sni, &e) == TLSH_OK && sni[0] == '\0' &&
	           id.kind == TLSH_IDENTITY_NONE,
	   "with an insecure flag NULL is accepted: no SNI, no identity");
	OK(tlsh_client_name("Server.TLSH.test.", 1, &id, sni, &e) == TLSH_OK &&
	           strcmp(sni, "Server.TLSH.test") == 0 && id.kind == TLSH_IDENTITY_DNS &&
	           tlsh_identity_match(&id, TLSH_SAN_DNS, "server.tlsh.test", 16),
	   "SNI drops one trailing dot and keeps the case; the identity still matches");
	OK(tlsh_client_name("a.b..", 1, &id, sni, &e) == TLSH_OK && strcmp(sni, "a.b.") == 0,
	   "only one trailing dot is dropped");
	OK(tlsh_client_name("web-01.mixed9.tlsh.test", 0, &id, sni, &e) == TLSH_OK &&
	           strcmp(sni, "web-01.mixed9.tlsh.test") == 0 && id.kind == TLSH_IDENTITY_NONE,
	   "without name checks the name is still sent, and nothing is verified");
	memset(sni, 'x', sizeof sni);
	OK(tlsh_client_name("127.0.0.1", 1, &id, sni, &e) == TLSH_OK && sni[0] == '\0' &&
	           id.kind == TLSH_IDENTITY_IP && id.ip_len == 4,
	   "an IPv4 literal: no SNI, an IP identity");
	memset(sni, 'x', sizeof sni);
	OK(tlsh_client_name("::1", 1, &id, sni, &e) == TLSH_OK && sni[0] == '\0' &&
	           id.kind == TLSH_IDENTITY_IP && id.ip_len == 16,
	   "an IPv6 literal: no SNI, an IP identity");
	char name[300];
	memset(name, 'a', 256);
	name[256] = '\0';
	OK(tlsh_client_name(name, 1, &id, sni, &e) == TLSH_CONFIGURATION_ERROR &&
	           strstr(e.message, "255"),
	   "a 256-byte name is a configuration error");
	name[255] = '.';
	OK(tlsh_client_name(name, 1, &id, sni, &e) == TLSH_OK && strlen(sni) == 255,
	   "255 bytes and a trailing dot fit");
}

/* ---- names in tlsh.h ------------------------------------------------------------------ */

/* The values every list must keep (the ABI). */
_Static_assert(TLSH_OK == 0 && TLSH_WANT_READ == 1 && TLSH_WANT_WRITE == 2 &&
                       TLSH_RAGGED_EOF == 3 && TLSH_CLOSED == 4 && TLSH_TLS_ERROR == 5 &&
                       TLSH_CONFIGURATION_ERROR == 6 && TLSH_STATUS_COUNT == 7,
               "status values");
_Static_assert(TLSH_CAP_TLS12 == 0x1 && TLSH_CAP_TLS13 == 0x2 && TLSH_CAP_CLIENT_AUTH == 0x4 &&
                       TLSH_CAP_CIPHERS_TLS12 == 0x8 && TLSH_CAP_CIPHERS_TLS13 == 0x10 &&
                       TLSH_CAP_ALPN == 0x20 && TLSH_CAP_SNI_CHAINS == 0x40 &&
                       TLSH_CAP_PEERCERT == 0x80 && TLSH_CAP_TRANSPORT_EOF == 0x100 &&
                       TLSH_CAP_SOURCE_PATH == 0x200 && TLSH_CAP_SOURCE_BUFFER == 0x400 &&
                       TLSH_CAP_INSECURE == 0x800 && TLSH_CAP_RSA == 0x1000 &&
                       TLSH_CAP_ECDSA == 0x2000 && TLSH_CAP_SHUTDOWN == 0x4000 &&
                       TLSH_CAP_EXPORT_SECRETS == 0x8000 && TLSH_CAP_COUNT == 16,
               "capability bits");

static void test_names(void)
{
	int n = 0, in_order = 1, last = -1;
#define COUNT_(name, value, text)                                                                  \
	n++;                                                                                       \
	in_order &= (value) > last && strcmp(#name, text) == 0;                                    \
	last = (value);
	TLSH_STATUS_LIST(COUNT_)
	OK(n == TLSH_STATUS_COUNT && in_order && last == TLSH_STATUS_COUNT - 1,
	   "TLSH_STATUS_LIST: %d statuses, in value order, each text its name", n);
	n = 0;
	last = -1;
	in_order = 1;
	TLSH_CAPABILITY_LIST(COUNT_)
	OK(n == TLSH_CAP_COUNT && in_order && last == TLSH_CAP_COUNT - 1,
	   "TLSH_CAPABILITY_LIST: %d bits 0..%d, in order, each text its name", n, last);
#undef COUNT_
	n = 0;
	last = -1;
	in_order = 1;
#define ALERT_(name, code, text)                                                                   \
	n++;                                                                                       \
	in_order &= (code) > last && (code) <= 255 && strlen(text) == strlen(#name);               \
	last = (code);
	TLSH_ALERT_LIST(ALERT_)
#undef ALERT_
	OK(n == 34 && in_order && TLSH_ALERT_UNKNOWN_CA == 48 &&
	           TLSH_ALERT_NO_APPLICATION_PROTOCOL == 120 && TLSH_ALERT_CLOSE_NOTIFY == 0,
	   "TLSH_ALERT_LIST: %d alerts in code order, codes as IANA assigns them", n);
}

/* What the key-log callback received. */
struct got {
	int calls;
	char label[64];
	uint8_t random[32];
	uint8_t secret[80];
	size_t len;
	void *arg;
};

static void got_cb(void *arg, const char *label, const uint8_t *client_random,
                   const uint8_t *secret, size_t len)
{
	struct got *g = arg;
	g->calls++;
	g->arg = arg;
	snprintf(g->label, sizeof g->label, "%s", label);
	memcpy(g->random, client_random, 32);
	memcpy(g->secret, secret, len < sizeof g->secret ? len : sizeof g->secret);
	g->len = len;
}

/* "LABEL " + 64 hex digits of the random (bytes 0x00..0x1f) + " " + the
 * given secret hex. */
static void keylog_build(char *out, size_t cap, const char *label, const char *secret_hex)
{
	char rnd[65];
	for (int i = 0; i < 32; i++)
		snprintf(rnd + 2 * i, 3, "%02x", i);
	snprintf(out, cap, "%s %s %s", label, rnd, secret_hex);
}

static int keylog_rejects(const char *line)
{
	struct got g = {0};
	int r = tlsh_keylog_line(line, got_cb, &g);
	return r == 0 && g.calls == 0;
}

static void test_keylog(void)
{
	char line[512], hex[300];
	struct got g = {0};

	keylog_build(line, sizeof line, "CLIENT_TRAFFIC_SECRET_0", "00ff10Ab");
	OK(tlsh_keylog_line(line, got_cb, &g) == 1 && g.calls == 1 && g.arg == &g &&
	           strcmp(g.label, "CLIENT_TRAFFIC_SECRET_0") == 0 && g.len == 4 &&
	           memcmp(g.secret, "\x00\xff\x10\xab", 4) == 0 && g.random[0] == 0x00 &&
	           g.random[17] == 0x11 && g.random[31] == 0x1f,
	   "keylog: label, random, secret (mixed case hex) handed over");
	OK(tlsh_keylog_line(line, NULL, NULL) == 1, "keylog: a NULL callback only validates");

	/* 48-byte TLS 1.2 master secret and the 64-byte maximum. */
	memset(hex, 'a', 96);
	hex[96] = '\0';
	keylog_build(line, sizeof line, "CLIENT_RANDOM", hex);
	memset(&g, 0, sizeof g);
	OK(tlsh_keylog_line(line, got_cb, &g) == 1 && g.len == 48 && g.secret[47] == 0xaa,
	   "keylog: a 48-byte master secret");
	memset(hex, '7', 128);
	hex[128] = '\0';
	keylog_build(line, sizeof line, "SERVER_TRAFFIC_SECRET_0", hex);
	memset(&g, 0, sizeof g);
	OK(tlsh_keylog_line(line, got_cb, &g) == 1 && g.len == 64 && g.secret[63] == 0x77,
	   "keylog: a 64-byte secret (the maximum)");
	memset(hex, '7', 130);
	hex[130] = '\0';
	keylog_build(line, sizeof line, "SERVER_TRAFFIC_SECRET_0", hex);
	OK(keylog_rejects(line), "keylog: a 65-byte secret is rejected");

	/* The label: 47 characters fit, 48 do not; only [A-Z0-9_]. */
	char lab[64];
	memset(lab, 'L', 47);
	lab[47] = '\0';
	keylog_build(line, sizeof line, lab, "0011");
	memset(&g, 0, sizeof g);
	OK(tlsh_keylog_line(line, got_cb, &g) == 1 && strlen(g.label) == 47,
	   "keylog: a 47-character label");
	memset(lab, 'L', 48);
	lab[48] = '\0';
	keylog_build(line, sizeof line, lab, "0011");
	OK(keylog_rejects(line), "keylog: a 48-character label is rejected");
	keylog_build(line, sizeof line, "client_random", "0011");
	OK(keylog_rejects(line), "keylog: a lower-case label is rejected");
	keylog_build(line, sizeof line, "", "0011");
	OK(keylog_rejects(line), "keylog: an empty label is rejected");

	/* The secret: odd digits, none, a non-hex character, trailing bytes. */
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "001");
	OK(keylog_rejects(line), "keylog: an odd number of secret digits is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "");
	OK(keylog_rejects(line), "keylog: an empty secret is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "00g1");
	OK(keylog_rejects(line), "keylog: a non-hex digit in the secret is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "0011\n");
	OK(keylog_rejects(line), "keylog: a trailing newline is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "0011 ");
	OK(keylog_rejects(line), "keylog: a trailing space is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "0011 22");
	OK(keylog_rejects(line), "keylog: a fourth field is rejected");

	/* The client random: 62 and 66 digits, an odd 63, a non-hex digit. */
	static const char *const bad_random[] = {
	        "CLIENT_RANDOM 00112233445566778899aabbccddeeff00112233445566778899aabbccddee 0011",
	        "CLIENT_RANDOM 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00 "
	        "0011",
	        "CLIENT_RANDOM 00112233445566778899aabbccddeeff00112233445566778899aabbccddeef "
	        "0011",
	        "CLIENT_RANDOM 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeZf "
	        "0011",
	};
	for (size_t i = 0; i < sizeof bad_random / sizeof *bad_random; i++)
		OK(keylog_rejects(bad_random[i]), "keylog: malformed client random %zu rejected",
		   i);
	OK(tlsh_keylog_line("CLIENT_RANDOM "
	                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 0011",
	                    NULL, NULL) == 1,
	   "keylog: the same line with a 64-digit random is accepted");

	/* Separators and junk. */
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "0011");
	line[13] = '\t';
	OK(keylog_rejects(line), "keylog: a tab separator is rejected");
	keylog_build(line, sizeof line, "CLIENT_RANDOM", "0011");
	memmove(line + 1, line, strlen(line) + 1);
	line[0] = ' ';
	OK(keylog_rejects(line), "keylog: a leading space is rejected");
	OK(keylog_rejects(""), "keylog: an empty line is rejected");
	OK(keylog_rejects("# comment"), "keylog: a comment is rejected");
	OK(keylog_rejects("CLIENT_RANDOM"), "keylog: a label alone is rejected");
	OK(keylog_rejects("CLIENT_RANDOM "), "keylog: a label and a space are rejected");
	OK(keylog_rejects("RSA 0011223344556677 0011"), "keylog: an RSA line is rejected");
	OK(keylog_rejects("\xff\xfe junk"), "keylog: binary junk is rejected");
	OK(keylog_rejects(NULL), "keylog: a NULL line is rejected");

	/* Every truncation of a good line is malformed, and is never read
	 * past its end (ASan watches the exact-size copies). */
	keylog_build(line, sizeof line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "00112233");
	size_t full = strlen(line);
	int all = 1;
	for (size_t k = 0; k < full; k++) {
		char *cut = malloc(k + 1);
		if (cut == NULL)
			abort();
		memcpy(cut, line, k);
		cut[k] = '\0';
		/* Cuts inside the secret leave an even, non-empty prefix:
		 * those are shorter secrets, still well-formed. */
		size_t secret_start = full - 8;
		int expect = k > secret_start && (k - secret_start) % 2 == 0;
		if (tlsh_keylog_line(cut, NULL, NULL) != expect)
			all = 0;
		free(cut);
	}
	OK(all, "keylog: every truncation of a line is parsed as its length says");
}

int main(void)
{
	test_versions();
	test_ciphers();
	test_sources();
	test_flags();
	test_alpn();
	test_pem();
	test_files();
	test_errors();
	test_queue();
	test_state();
	test_dns();
	test_identity();
	test_client_name();
	test_names();
	test_keylog();
	OK(decl_only_unit() == 42, "the header compiles without the implementation (types only)");
	return t_done();
}
