/* remote.h - out-of-process endpoints.
 *
 * BoringSSL exports the same unversioned symbols as OpenSSL, and sanitizers
 * refuse RTLD_DEEPBIND, so two clashing adapters cannot share a process. A
 * remote implementation is a host process (forked before any adapter is
 * loaded in the parent) that loads one adapter and serves every descriptor
 * call over a socketpair; the parent gets a proxy descriptor implementing
 * the same ABI. The proxy is also crash isolation: a dying host is reported
 * through remote_lost. */
#ifndef TLSH_REMOTE_H
#define TLSH_REMOTE_H

#include <stddef.h>

#include "loader.h"

/* Forks a host for `spec` and fills `out` with a proxy handle. Must be called
 * before this process loads an adapter that clashes with `spec`. Returns 0,
 * or -1 with err set (e.g. the host could not load or validate the adapter). */
int remote_spawn(const char *spec, struct impl_handle *out, char *err, size_t errcap);

/* Called when the host dies or the connection breaks; must not return. The
 * default prints and exits. `why` says how the host ended. */
extern void (*remote_lost)(const char *spec, const char *why);

/* Ends the host of a remote handle and reaps it. */
void remote_close(struct impl_handle *h);

#endif
