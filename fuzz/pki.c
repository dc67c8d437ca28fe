/* pki.c - the test PKI (harness/pki) embedded into the target at build time
 * with .incbin, so that a target runs anywhere (OSS-Fuzz copies only $OUT)
 * and loads no file per input. TLSH_FUZZ_PKI_DIR is the folder, as a string
 * literal. */
#include "config.h"
#include "fuzz.h"

#ifndef TLSH_FUZZ_PKI_DIR
#error "build with -DTLSH_FUZZ_PKI_DIR='\"/path/to/harness/pki\"'"
#endif

/* In the order of enum fz_pki_item. */
const char *const fz_pki_file[FZ_PKI_COUNT] = {
        "ecdsa-server.pem", "ecdsa-server.key", "ecdsa-int.pem", "ecdsa-ca.pem", "ecdsa-client.pem",
        "ecdsa-client.key", "rsa-alt.pem",      "rsa-alt.key",   "rsa-int.pem",  "rsa-ca.pem",
};

/* One blob: a local label at the start and one past the end, then a NUL so
 * that PEM text is also a C string. */
#define FZ_INCBIN(sym, file)                                                                       \
	__asm__(".pushsection .rodata\n"                                                           \
	        ".balign 16\n" #sym ":\n"                                                          \
	        ".incbin \"" TLSH_FUZZ_PKI_DIR "/" file "\"\n" #sym "_end:\n"                      \
	        ".byte 0\n"                                                                        \
	        ".popsection\n");                                                                  \
	extern const uint8_t sym[], sym##_end[]

FZ_INCBIN(fz_pki_ecdsa_server, "ecdsa-server.pem");
FZ_INCBIN(fz_pki_ecdsa_server_key, "ecdsa-server.key");
FZ_INCBIN(fz_pki_ecdsa_int, "ecdsa-int.pem");
FZ_INCBIN(fz_pki_ecdsa_ca, "ecdsa-ca.pem");
FZ_INCBIN(fz_pki_ecdsa_client, "ecdsa-client.pem");
FZ_INCBIN(fz_pki_ecdsa_client_key, "ecdsa-client.key");
FZ_INCBIN(fz_pki_rsa_alt, "rsa-alt.pem");
FZ_INCBIN(fz_pki_rsa_alt_key, "rsa-alt.key");
FZ_INCBIN(fz_pki_rsa_int, "rsa-int.pem");
FZ_INCBIN(fz_pki_rsa_ca, "rsa-ca.pem");

#define FZ_BLOB(sym) ((struct fz_blob){sym, (size_t)(sym##_end - sym)})

struct fz_blob fz_pki(enum fz_pki_item item)
{
	switch (item) {
	case FZ_ECDSA_SERVER:
		return FZ_BLOB(fz_pki_ecdsa_server);
	case FZ_ECDSA_SERVER_KEY:
		return FZ_BLOB(fz_pki_ecdsa_server_key);
	case FZ_ECDSA_INT:
		return FZ_BLOB(fz_pki_ecdsa_int);
	case FZ_ECDSA_CA:
		return FZ_BLOB(fz_pki_ecdsa_ca);
	case FZ_ECDSA_CLIENT:
		return FZ_BLOB(fz_pki_ecdsa_client);
	case FZ_ECDSA_CLIENT_KEY:
		return FZ_BLOB(fz_pki_ecdsa_client_key);
	case FZ_RSA_ALT:
		return FZ_BLOB(fz_pki_rsa_alt);
	case FZ_RSA_ALT_KEY:
		return FZ_BLOB(fz_pki_rsa_alt_key);
	case FZ_RSA_INT:
		return FZ_BLOB(fz_pki_rsa_int);
	case FZ_RSA_CA:
		return FZ_BLOB(fz_pki_rsa_ca);
	case FZ_PKI_COUNT:
		break;
	}
	return (struct fz_blob){0, 0};
}

void fz_pki_provide(void)
{
	for (int i = 0; i < FZ_PKI_COUNT; i++) {
		struct fz_blob b = fz_pki((enum fz_pki_item)i);
		pki_provide(fz_pki_file[i], b.data, b.len);
	}
}
