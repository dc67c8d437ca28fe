/* det_openssl.c - determinism for OpenSSL 3.0 without rebuilding it.
 *
 * RNG: a built-in provider ("tlsh-det") offers one EVP_RAND, "TLSH-DET",
 * whose generate draws from fz_det_bytes; RAND_set_DRBG_type makes it the
 * type of the primary, public and private DRBGs before any of them exists.
 * Everything random in libssl and libcrypto (client/server randoms, session
 * ids, ECDHE keys, ECDSA nonces, RSA blinding and padding, ticket keys) comes
 * from those DRBGs, and nothing is buffered between calls, so rewinding the
 * stream before an input makes the input replay exactly. The default
 * provider is loaded explicitly (loading any provider explicitly turns off
 * the implicit fallback to it).
 *
 * Clock: OpenSSL 3.0's TLS code and X509_verify_cert read time(NULL), which
 * det_clock.c fixes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "fuzz.h"

struct fz_rand {
	int state;
};

static void *fz_rand_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
	(void)provctx;
	(void)parent;
	(void)parent_calls;
	struct fz_rand *r = calloc(1, sizeof *r);
	if (r != NULL)
		r->state = EVP_RAND_STATE_UNINITIALISED;
	return r;
}

static void fz_rand_freectx(void *vr)
{
	free(vr);
}

static int fz_rand_instantiate(void *vr, unsigned int strength, int prediction_resistance,
                               const unsigned char *pstr, size_t pstr_len,
                               const OSSL_PARAM params[])
{
	(void)strength;
	(void)prediction_resistance;
	(void)pstr;
	(void)pstr_len;
	(void)params;
	((struct fz_rand *)vr)->state = EVP_RAND_STATE_READY;
	return 1;
}

static int fz_rand_uninstantiate(void *vr)
{
	((struct fz_rand *)vr)->state = EVP_RAND_STATE_UNINITIALISED;
	return 1;
}

static int fz_rand_generate(void *vr, unsigned char *out, size_t outlen, unsigned int strength,
                            int prediction_resistance, const unsigned char *adin, size_t adinlen)
{
	(void)vr;
	(void)strength;
	(void)prediction_resistance;
	(void)adin;
	(void)adinlen;
	fz_det_bytes(out, outlen);
	return 1;
}

static int fz_rand_reseed(void *vr, int prediction_resistance, const unsigned char *ent,
                          size_t ent_len, const unsigned char *adin, size_t adin_len)
{
	(void)vr;
	(void)prediction_resistance;
	(void)ent;
	(void)ent_len;
	(void)adin;
	(void)adin_len;
	return 1;
}

static int fz_rand_enable_locking(void *vr)
{
	(void)vr;
	return 1;
}

static int fz_rand_get_ctx_params(void *vr, OSSL_PARAM params[])
{
	OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
	if (p != NULL && !OSSL_PARAM_set_int(p, ((struct fz_rand *)vr)->state))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
	if (p != NULL && !OSSL_PARAM_set_uint(p, 256))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
	if (p != NULL && !OSSL_PARAM_set_size_t(p, INT_MAX))
		return 0;
	return 1;
}

static const OSSL_PARAM *fz_rand_gettable_ctx_params(void *vr, void *provctx)
{
	static const OSSL_PARAM known[] = {
	        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
	        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
	        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
	        OSSL_PARAM_END,
	};
	(void)vr;
	(void)provctx;
	return known;
}

typedef void (*fz_fn)(void);

static const OSSL_DISPATCH fz_rand_functions[] = {
        {OSSL_FUNC_RAND_NEWCTX, (fz_fn)fz_rand_newctx},
        {OSSL_FUNC_RAND_FREECTX, (fz_fn)fz_rand_freectx},
        {OSSL_FUNC_RAND_INSTANTIATE, (fz_fn)fz_rand_instantiate},
        {OSSL_FUNC_RAND_UNINSTANTIATE, (fz_fn)fz_rand_uninstantiate},
        {OSSL_FUNC_RAND_GENERATE, (fz_fn)fz_rand_generate},
        {OSSL_FUNC_RAND_RESEED, (fz_fn)fz_rand_reseed},
        {OSSL_FUNC_RAND_ENABLE_LOCKING, (fz_fn)fz_rand_enable_locking},
        {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (fz_fn)fz_rand_gettable_ctx_params},
        {OSSL_FUNC_RAND_GET_CTX_PARAMS, (fz_fn)fz_rand_get_ctx_params},
        {0, NULL},
};

static const OSSL_ALGORITHM fz_rand_algs[] = {
        {"TLSH-DET", "provider=tlsh-det", fz_rand_functions, "deterministic test stream"},
        {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *fz_prov_query(void *provctx, int operation_id, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return operation_id == OSSL_OP_RAND ? fz_rand_algs : NULL;
}

static const OSSL_DISPATCH fz_prov_functions[] = {
        {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (fz_fn)fz_prov_query},
        {0, NULL},
};

static int fz_prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                        const OSSL_DISPATCH **out, void **provctx)
{
	(void)handle;
	(void)in;
	*out = fz_prov_functions;
	*provctx = NULL;
	return 1;
}

/* Kept for the process: the loaded providers. */
static OSSL_PROVIDER *fz_det_prov, *fz_default_prov;

static void fz_ossl_init(void)
{
	int ok = OSSL_PROVIDER_add_builtin(NULL, "tlsh-det", fz_prov_init) == 1 &&
	         RAND_set_DRBG_type(NULL, "TLSH-DET", "provider=tlsh-det", NULL, NULL) == 1 &&
	         (fz_det_prov = OSSL_PROVIDER_load(NULL, "tlsh-det")) != NULL &&
	         (fz_default_prov = OSSL_PROVIDER_load(NULL, "default")) != NULL;
	if (!ok) {
		ERR_print_errors_fp(stderr);
		fprintf(stderr, "tlsh-fuzz: cannot install the deterministic RAND provider\n");
		abort();
	}
	/* Prove it: two draws after a rewind must be equal. */
	unsigned char a[16], b[16];
	fz_det_rewind();
	if (RAND_bytes(a, sizeof a) != 1)
		abort();
	fz_det_rewind();
	if (RAND_bytes(b, sizeof b) != 1 || CRYPTO_memcmp(a, b, sizeof a) != 0) {
		fprintf(stderr,
		        "tlsh-fuzz: RAND_bytes does not come from the deterministic stream\n");
		abort();
	}
}

static void fz_ossl_reset(void)
{
	ERR_clear_error();
}

#define FZ_PLAIN_INIT fz_ossl_init
#define FZ_PLAIN_RESET fz_ossl_reset
#define FZ_PLAIN_DESCRIBE                                                                          \
	"RNG: TLSH-DET EVP_RAND provider (RAND_set_DRBG_type), rewound per input; "                \
	"clock: time() fixed at 2030-01-01"
#define FZ_PLAIN_RNG_FIXED 1
#include "det_plain.c"
