#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#ifndef TLSH_IMPLS_DIR
#define TLSH_IMPLS_DIR "impls"
#endif

struct field {
	const char *name;
	size_t offset;
	size_t size;
	int mandatory;
};

#define FN(f, m)                                                                                   \
	{                                                                                          \
#f, offsetof(struct tlsh_implementation, f),                                       \
		        sizeof(((struct tlsh_implementation *)0)->f), m                            \
	}

static const struct field fields[] = {
        FN(validate_config, 1),
        FN(context_new, 1),
        FN(context_free, 1),
        FN(buffer_new, 1),
        FN(buffer_free, 1),
        FN(do_handshake, 1),
        FN(read, 1),
        FN(write, 1),
        FN(shutdown, 1),
        FN(process_incoming, 1),
        FN(process_incoming_eof, 0),
        FN(process_outgoing, 1),
        FN(incoming_bytes_buffered, 1),
        FN(outgoing_bytes_buffered, 1),
        FN(cipher, 1),
        FN(negotiated_protocol, 1),
        FN(negotiated_tls_version, 1),
        FN(getpeercert, 0),
        FN(last_error, 1),
        FN(set_secret_callback, 0),
};

int impl_validate(const struct tlsh_implementation *d, char *err, size_t errcap)
{
	if (!d) {
		fmt_into(err, errcap, "entry point returned NULL (no descriptor)");
		return -1;
	}
	if (d->abi_version != TLSH_ABI_VERSION) {
		fmt_into(err, errcap, "abi_version is %u, this harness speaks %u", d->abi_version,
		         TLSH_ABI_VERSION);
		return -1;
	}
	size_t header = offsetof(struct tlsh_implementation, validate_config);
	if (d->struct_size < header) {
		fmt_into(err, errcap, "struct_size %u is smaller than the descriptor header (%zu)",
		         d->struct_size, header);
		return -1;
	}
	if (!d->name || !d->name[0]) {
		fmt_into(err, errcap, "name is NULL or empty");
		return -1;
	}
	if (!d->library_version) {
		fmt_into(err, errcap, "library_version is NULL");
		return -1;
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const struct field *f = &fields[i];
		int present = d->struct_size >= f->offset + f->size;
		void *p = NULL;
		if (present)
			memcpy(&p, (const char *)d + f->offset, sizeof p);
		if (f->mandatory && !present) {
			fmt_into(
			        err, errcap,
			        "struct_size %u is too small: mandatory function %s lies beyond it",
			        d->struct_size, f->name);
			return -1;
		}
		if (f->mandatory && !p) {
			fmt_into(err, errcap, "mandatory function %s is NULL", f->name);
			return -1;
		}
	}
	if ((d->capabilities & TLSH_CAP_TRANSPORT_EOF) &&
	    (d->struct_size <
	             offsetof(struct tlsh_implementation, process_incoming_eof) + sizeof(void *) ||
	     !d->process_incoming_eof)) {
		fmt_into(err, errcap,
		         "capability TRANSPORT_EOF declared but process_incoming_eof is NULL");
		return -1;
	}
	if ((d->capabilities & TLSH_CAP_PEERCERT) &&
	    (d->struct_size < offsetof(struct tlsh_implementation, getpeercert) + sizeof(void *) ||
	     !d->getpeercert)) {
		fmt_into(err, errcap, "capability PEERCERT declared but getpeercert is NULL");
		return -1;
	}
	if ((d->capabilities & TLSH_CAP_EXPORT_SECRETS) &&
	    (d->struct_size <
	             offsetof(struct tlsh_implementation, set_secret_callback) + sizeof(void *) ||
	     !d->set_secret_callback)) {
		fmt_into(err, errcap,
		         "capability EXPORT_SECRETS declared but set_secret_callback is NULL");
		return -1;
	}
	return 0;
}

static const char *impls_dir(void)
{
	const char *e = getenv("TLSH_IMPLS_DIR");
	return e && *e ? e : TLSH_IMPLS_DIR;
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

char *impl_resolve(const char *spec, char **arg_out, char *err, size_t errcap)
{
	*arg_out = NULL;
	if (!spec || !*spec) {
		fmt_into(err, errcap, "empty backend name");
		return NULL;
	}
	size_t sl = strlen(spec);
	if (strchr(spec, '/') || (sl > 3 && strcmp(spec + sl - 3, ".so") == 0)) {
		struct stat st;
		if (stat(spec, &st) != 0) {
			fmt_into(err, errcap, "adapter '%s': %s", spec,
			         errno == ENOENT ? "no such file" : strerror(errno));
			return NULL;
		}
		if (!S_ISREG(st.st_mode)) {
			fmt_into(err, errcap, "adapter '%s' is %s, not an adapter .so", spec,
			         S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
			return NULL;
		}
		return xstrdup(spec);
	}
	char *name = xstrdup(spec);
	char *colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		*arg_out = xstrdup(colon + 1);
	}
	for (const char *c = name; *c; c++) {
		if (!(*c == '-' || *c == '_' || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9'))) {
			fmt_into(err, errcap, "backend name '%s' has invalid characters", name);
			goto fail;
		}
	}
	const char *sub[] = {name, "mutants", "hostile"};
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s/tlsh-%s.so", impls_dir(), sub[i], name);
		if (is_file(p)) {
			free(name);
			return p;
		}
		free(p);
	}
	{
		char **names = impl_list_builtin();
		char known[512] = "";
		size_t off = 0;
		for (size_t i = 0; names[i]; i++) {
			off += (size_t)snprintf(known + off,
			                        off < sizeof known ? sizeof known - off : 0, "%s%s",
			                        i ? ", " : "", names[i]);
			free(names[i]);
		}
		free(names);
		fmt_into(err, errcap, "unknown backend '%s' (built: %s; or give a path to a .so)",
		         name, known[0] ? known : "none");
	}
fail:
	free(name);
	free(*arg_out);
	*arg_out = NULL;
	return NULL;
}

int impl_open(const char *spec, struct impl_handle *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	char *arg = NULL;
	char *path = impl_resolve(spec, &arg, err, errcap);
	if (!path)
		return -1;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fmt_into(err, errcap, "cannot load adapter %s: %s", path, dlerror());
		goto fail;
	}
	void *sym = dlsym(dl, TLSH_ENTRY_SYMBOL);
	if (!sym) {
		fmt_into(err, errcap, "adapter %s does not export %s()", path, TLSH_ENTRY_SYMBOL);
		goto fail;
	}
	memcpy(&out->entry, &sym, sizeof out->entry);
	out->spec = xstrdup(spec);
	out->path = path;
	out->arg = arg;
	out->dl = dl;
	out->remote_fd = -1;
	return 0;
fail:
	free(path);
	free(arg);
	return -1;
}

int impl_init(struct impl_handle *h, char *err, size_t errcap)
{
	if (h->self)
		return 0;
	const struct tlsh_implementation *d = h->entry(h->arg);
	char why[400];
	if (impl_validate(d, why, sizeof why) != 0) {
		fmt_into(err, errcap, "adapter %s refused: %s", h->path, why);
		return -1;
	}
	size_t n = d->struct_size < sizeof h->fn ? d->struct_size : sizeof h->fn;
	memset(&h->fn, 0, sizeof h->fn);
	memcpy(&h->fn, d, n);
	h->self = d;
	return 0;
}

int impl_load(const char *spec, struct impl_handle *out, char *err, size_t errcap)
{
	if (impl_open(spec, out, err, errcap) != 0)
		return -1;
	if (impl_init(out, err, errcap) != 0) {
		impl_unload(out);
		return -1;
	}
	return 0;
}

void impl_unload(struct impl_handle *h)
{
	free(h->arg);
	free(h->spec);
	free(h->path);
	memset(h, 0, sizeof *h);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **impl_list_builtin(void)
{
	size_t n = 0;
	char **v = xcalloc(1, sizeof *v);
	DIR *d = opendir(impls_dir());
	if (!d)
		return v;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "mutants") ||
		    !strcmp(e->d_name, "hostile"))
			continue;
		char *p = xasprintf("%s/%s/tlsh-%s.so", impls_dir(), e->d_name, e->d_name);
		if (is_file(p)) {
			v = xrealloc(v, (n + 2) * sizeof *v);
			v[n++] = xstrdup(e->d_name);
			v[n] = NULL;
		}
		free(p);
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_str);
	return v;
}
