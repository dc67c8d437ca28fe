/* cov.c - where libFuzzer's inline 8-bit coverage counters are, for the
 * driver's snapshot mode (driver.c, fz_snap), which copies a child's
 * counters back into the parent.
 *
 * The linker defines __start___sancov_cntrs and __stop___sancov_cntrs
 * around the section that holds every instrumented module's counters. This
 * file has no functions on purpose: the coverage pass declares those two
 * symbols itself in every module it instruments, and renames its own when
 * the module already declares them - so they may only be named in a module
 * it leaves alone. Without libFuzzer's instrumentation (AFL++ builds,
 * smoke builds without coverage) the weak references are NULL. */
#include <stdint.h>

extern uint8_t __start___sancov_cntrs[] __attribute__((weak, visibility("hidden")));
extern uint8_t __stop___sancov_cntrs[] __attribute__((weak, visibility("hidden")));

uint8_t *const fz_cov_counters[2] = {__start___sancov_cntrs, __stop___sancov_cntrs};
