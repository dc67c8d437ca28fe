/* ossl_shim.c - libFuzzer entry points for OpenSSL's own fuzz/server.c (from
 * the Debian source package in .deps/src, compiled by bench/fuzz/compare.sh,
 * never committed). OpenSSL's fuzz/driver.c provides these only when OpenSSL
 * is configured with enable-fuzz-libfuzzer; the instrumented build in .deps
 * is configured without it, so this stands in for it. */
#include <stddef.h>
#include <stdint.h>

int FuzzerInitialize(int *argc, char ***argv);
int FuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return FuzzerInitialize(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	return FuzzerTestOneInput(buf, len);
}
