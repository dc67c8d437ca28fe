#include "wrap.h"

#ifndef MUTANT_BASE
#define MUTANT_BASE "openssl"
#endif
static const char mutant_base[] = MUTANT_BASE;

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct tlsh_implementation *base;
static struct tlsh_implementation self;
static char self_name[64];

/* Role bookkeeping: contexts and buffers created through the mutant. */
#define MW_MAX 256
static struct {
	void *p;
	enum tlsh_role role;
	int flags;
} tab[MW_MAX];
static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember(void *p, enum tlsh_role role)
{
	pthread_mutex_lock(&tab_lock);
	for (int i = 0; i < MW_MAX; i++) {
		if (!tab[i].p) {
			tab[i].p = p;
			tab[i].role = role;
			tab[i].flags = 0;
			break;
		}
	}
	pthread_mutex_unlock(&tab_lock);
}

static int find(void *p)
{
	for (int i = 0; i < MW_MAX; i++)
		if (tab[i].p == p)
			return i;
	return -1;
}

static void forget(void *p)
{
	pthread_mutex_lock(&tab_lock);
	int i = find(p);
	if (i >= 0)
		tab[i].p = NULL;
	pthread_mutex_unlock(&tab_lock);
}

int mw_context_new(enum tlsh_role role, const struct tlsh_config *cfg, tlsh_context **out,
                   struct tlsh_error *err)
{
	int st = base->context_new(base, role, cfg, out, err);
	if (st == TLSH_OK && *out)
		remember(*out, role);
	return st;
}

int mw_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out, struct tlsh_error *err)
{
	int st = base->buffer_new(ctx, host, out, err);
	int i = find(ctx);
	if (st == TLSH_OK && *out)
		remember(*out, i >= 0 ? tab[i].role : TLSH_ROLE_CLIENT);
	return st;
}

enum tlsh_role mw_buffer_role(tlsh_buffer *b)
{
	int i = find(b);
	return i >= 0 ? tab[i].role : TLSH_ROLE_CLIENT;
}

int *mw_flags(tlsh_buffer *b)
{
	static int none;
	int i = find(b);
	return i >= 0 ? &tab[i].flags : &none;
}

static void *slot_state(struct mw_slots *t, size_t i)
{
	return (unsigned char *)t->states + i * t->size;
}

void *mw_slot_find(struct mw_slots *t, tlsh_buffer *b)
{
	for (size_t i = 0; b && i < MW_SLOTS; i++)
		if (t->key[i] == b)
			return slot_state(t, i);
	return NULL;
}

void *mw_slot_get(struct mw_slots *t, tlsh_buffer *b)
{
	size_t free_slot = MW_SLOTS;
	for (size_t i = 0; b && i < MW_SLOTS; i++) {
		if (t->key[i] == b)
			return slot_state(t, i);
		if (!t->key[i] && free_slot == MW_SLOTS)
			free_slot = i;
	}
	if (!b || free_slot == MW_SLOTS)
		return NULL;
	void *w = slot_state(t, free_slot);
	memset(w, 0, t->size);
	t->key[free_slot] = b;
	if (t->init)
		t->init(w, b);
	return w;
}

void mw_slot_release(struct mw_slots *t, tlsh_buffer *b)
{
	for (size_t i = 0; b && i < MW_SLOTS; i++) {
		if (t->key[i] != b)
			continue;
		void *w = slot_state(t, i);
		if (t->fini)
			t->fini(w);
		memset(w, 0, t->size);
		t->key[i] = NULL;
		return;
	}
}

void (*mutant_config)(enum tlsh_role role, struct tlsh_config *c);
int (*mutant_arg_hook)(const char *arg);

static int w_context_new(const struct tlsh_implementation *s, enum tlsh_role role,
                         const struct tlsh_config *cfg, tlsh_context **out, struct tlsh_error *err)
{
	(void)s;
	if (!mutant_config || !cfg)
		return mw_context_new(role, cfg, out, err);
	struct tlsh_config c = *cfg;
	mutant_config(role, &c);
	return mw_context_new(role, &c, out, err);
}

static void w_context_free(tlsh_context *ctx)
{
	forget(ctx);
	base->context_free(ctx);
}

static int w_buffer_new(tlsh_context *ctx, const char *host, tlsh_buffer **out,
                        struct tlsh_error *err)
{
	return mw_buffer_new(ctx, host, out, err);
}

static void w_buffer_free(tlsh_buffer *b)
{
	forget(b);
	base->buffer_free(b);
}

static int w_validate(const struct tlsh_implementation *s, enum tlsh_role role,
                      const struct tlsh_config *cfg, struct tlsh_error *err)
{
	(void)s;
	return base->validate_config(base, role, cfg, err);
}

__attribute__((visibility("default"))) const struct tlsh_implementation *
tlsh_implementation(const char *arg)
{
	if (base)
		return mutant_arg_hook && mutant_arg_hook(arg) ? NULL : &self;
	/* The base plugin sits next to this one's folder: impls/<base>/. */
	Dl_info info;
	char path[4096];
	const char *dir = getenv("TLSH_IMPLS_DIR");
	if (dir && *dir) {
		snprintf(path, sizeof path, "%s/%s/tlsh-%s.so", dir, mutant_base, mutant_base);
	} else {
		if (!dladdr((void *)tlsh_implementation, &info) || !info.dli_fname)
			return NULL;
		snprintf(path, sizeof path, "%s", info.dli_fname);
		char *slash = strrchr(path, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		slash = strrchr(path, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		size_t l = strlen(path);
		snprintf(path + l, sizeof path - l, "/%s/tlsh-%s.so", mutant_base, mutant_base);
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "mutant %s: cannot load base %s: %s\n", mutant_name, path,
		        dlerror());
		return NULL;
	}
	const struct tlsh_implementation *(*entry)(const char *);
	void *sym = dlsym(h, TLSH_ENTRY_SYMBOL);
	if (!sym)
		return NULL;
	memcpy(&entry, &sym, sizeof entry);
	const struct tlsh_implementation *b = entry(NULL);
	if (!b || b->abi_version != TLSH_ABI_VERSION || b->struct_size < sizeof self)
		return NULL;
	base = b;
	self = *b;
#ifdef HOSTILE
	snprintf(self_name, sizeof self_name, "hostile-%s", mutant_name);
#else
	if (strcmp(mutant_base, "openssl") == 0)
		snprintf(self_name, sizeof self_name, "mutant-%s", mutant_name);
	else
		snprintf(self_name, sizeof self_name, "mutant-%s-%s", mutant_name, mutant_base);
#endif
	self.name = self_name;
	self.validate_config = w_validate;
	self.context_new = w_context_new;
	self.context_free = w_context_free;
	self.buffer_new = w_buffer_new;
	self.buffer_free = w_buffer_free;
	mutant_patch(&self);
	return mutant_arg_hook && mutant_arg_hook(arg) ? NULL : &self;
}
