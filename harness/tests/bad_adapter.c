/* A deliberately broken adapter for the loader tests. Built several times
 * with -DBAD_KIND=... : 1 wrong ABI version, 2 NULL descriptor, 3 crash in
 * the entry point, 4 missing mandatory function, 5 no entry point. */
#include <signal.h>
#include <stddef.h>

#include "tlsh.h"

#if BAD_KIND != 5
static struct tlsh_implementation d = {
        .abi_version = BAD_KIND == 1 ? 99u : TLSH_ABI_VERSION,
        .struct_size = sizeof(struct tlsh_implementation),
        .name = "bad",
        .library_version = "bad 0",
};

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	(void)arg;
	if (BAD_KIND == 2)
		return NULL;
	if (BAD_KIND == 3)
		raise(SIGSEGV);
	return &d;
}
#else
__attribute__((visibility("default"))) int not_an_adapter(void);
int not_an_adapter(void)
{
	return 0;
}
#endif
