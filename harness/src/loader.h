/* loader.h - finds, loads and validates adapter descriptors, and wraps every
 * descriptor call so that an adapter breaking the ABI is named, not obeyed. */
#ifndef TLSH_LOADER_H
#define TLSH_LOADER_H

#include <stddef.h>
#include <sys/types.h>

#include "tlsh.h"

/* A loaded implementation. `fn` is a zero-extended copy of the adapter's
 * descriptor (fields beyond its struct_size read as zero/NULL); `self` is the
 * adapter's own pointer, passed back as the `self` argument. */
struct impl_handle {
	struct tlsh_implementation fn;
	const struct tlsh_implementation *self;
	char *spec;          /* what the user named: "openssl", "./x.so", ... */
	char *path;          /* the shared object, or "remote:<spec>" */
	void *dl;            /* dlopen handle, NULL for a remote implementation */
	tlsh_entry_fn entry; /* the adapter's entry point (impl_open) */
	char *arg;           /* the ":ARG" part of the spec, passed to it */
	pid_t host_pid;      /* host process of a remote implementation, else 0 */
	int remote_fd;
};

/* Validates a descriptor as the harness sees it. `size_known` is how many
 * bytes of it may be read (the descriptor's struct_size, capped). Returns 0,
 * or -1 with a message in err naming the offending field. */
int impl_validate(const struct tlsh_implementation *d, char *err, size_t errcap);

/* Resolves a backend name to a shared object path: a spec containing '/' or
 * ending in ".so" is a path; otherwise NAME[:ARG] is looked up as
 * $TLSH_IMPLS_DIR/NAME/tlsh-NAME.so, then $TLSH_IMPLS_DIR/mutants/tlsh-NAME.so,
 * then $TLSH_IMPLS_DIR/hostile/tlsh-NAME.so, with TLSH_IMPLS_DIR defaulting to
 * the build tree's impls/. Returns a malloc'd path or NULL with err set. */
char *impl_resolve(const char *spec, char **arg_out, char *err, size_t errcap);

/* Loads and validates an implementation in this process: impl_open then
 * impl_init. Returns 0, or -1 with a message in err. */
int impl_load(const char *spec, struct impl_handle *out, char *err, size_t errcap);

/* The two halves of impl_load. impl_open resolves and dlopen()s the adapter
 * and finds its entry point without calling it (no library initialisation
 * beyond the loader's constructors); impl_init calls the entry point once and
 * validates the descriptor (a no-op when already done). A warm host opens an
 * adapter and, for libraries whose initialised state must not be shared by
 * forked children, leaves impl_init to each child. */
int impl_open(const char *spec, struct impl_handle *out, char *err, size_t errcap);
int impl_init(struct impl_handle *h, char *err, size_t errcap);

/* Releases a handle (dlclose is deliberately skipped: adapters may register
 * atexit handlers or thread-locals). */
void impl_unload(struct impl_handle *h);

/* Lists the names of the backends built into the tree (not mutants). Returns
 * a NULL-terminated malloc'd array of malloc'd strings. */
char **impl_list_builtin(void);

#endif
