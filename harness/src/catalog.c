/* catalog.c - the list of families, the axes every family shares, and the
 * expansion of rows into scenario instances: ids from the templates,
 * resolved dimensions, and the capabilities each side needs, derived from
 * the row. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pump.h"
#include "rewrite.h"
#include "scenario.h"
#include "util.h"

const struct family *const catalog_families[] = {
        &family_handshake, &family_ragged_eof, &family_version_bounding,
        &family_alpn,      &family_misbehave,  &family_misbehave_encrypted,
};
const size_t catalog_nfamilies = sizeof catalog_families / sizeof catalog_families[0];

/* ---- shared axes ----------------------------------------------------------- */

static const struct axval kt_vals[] = {{.tag = "rsa", .v = KT_RSA},
                                       {.tag = "ecdsa", .v = KT_ECDSA}};
static const struct axval ver_vals[] = {{.tag = "tls12", .v = TLSH_TLS_1_2, .text = "TLS 1.2"},
                                        {.tag = "tls13", .v = TLSH_TLS_1_3, .text = "TLS 1.3"}};
static const struct axval role_vals[] = {{.tag = "client", .v = TLSH_ROLE_CLIENT},
                                         {.tag = "server", .v = TLSH_ROLE_SERVER}};
static const struct axval dir_vals[] = {{.tag = "c2s", .v = C2S, .text = "client->server"},
                                        {.tag = "s2c", .v = S2C, .text = "server->client"}};
static const struct axval eof_vals[] = {{.tag = "to-client", .v = TLSH_ROLE_CLIENT},
                                        {.tag = "to-server", .v = TLSH_ROLE_SERVER}};

const struct axis ax_kt = AXIS("kt", DIM_KT, kt_vals);
const struct axis ax_ver = AXIS("ver", DIM_VER, ver_vals);
const struct axis ax_role = AXIS("role", DIM_ROLE, role_vals);
const struct axis ax_dir = AXIS("dir", DIM_DIR, dir_vals);
const struct axis ax_eof_to = AXIS("to", DIM_EOF_TO, eof_vals);

/* ---- capabilities ------------------------------------------------------------ */

static uint64_t bound_needs(enum tlsh_version lo, enum tlsh_version hi, int handshake)
{
	uint64_t need = 0;
	if (lo == TLSH_TLS_1_3 || hi == TLSH_TLS_1_3)
		need |= TLSH_CAP_TLS13;
	/* A handshake within lo..hi needs TLS 1.2 when the range starts there
	 * (1.2 or MINIMUM_SUPPORTED); a configuration alone only when it names
	 * TLS 1.2. */
	if (lo == TLSH_TLS_1_2 || hi == TLSH_TLS_1_2 ||
	    (handshake && lo == TLSH_VERSION_MINIMUM_SUPPORTED))
		need |= TLSH_CAP_TLS12;
	return need;
}

static uint64_t side_needs(const struct scen_def *d, enum tlsh_role role)
{
	const struct row *r = d->row;
	const struct side *sd = role == TLSH_ROLE_CLIENT ? &r->client : &r->server;
	uint64_t need = d->kt == KT_ECDSA ? TLSH_CAP_ECDSA : TLSH_CAP_RSA;
	enum tlsh_version lo = role == TLSH_ROLE_CLIENT ? d->clo : d->slo;
	enum tlsh_version hi = role == TLSH_ROLE_CLIENT ? d->chi : d->shi;
	if (!d->solo && !lo && !hi) {
		/* An unbound side must reach a version its bound peer allows. */
		lo = role == TLSH_ROLE_CLIENT ? d->slo : d->clo;
		hi = role == TLSH_ROLE_CLIENT ? d->shi : d->chi;
	}
	if (r->outcome != OUT_CONFIG_ERROR)
		need |= bound_needs(
		        lo, hi, r->outcome != OUT_CONFIG_OK && r->outcome != OUT_BUFFER_REFUSED);
	if (role == TLSH_ROLE_CLIENT) {
		if (sd->chain[0])
			need |= TLSH_CAP_CLIENT_AUTH;
		if (sd->insecure)
			need |= TLSH_CAP_INSECURE;
		if (sd->flags & SIDE_TRUST_PATH)
			need |= TLSH_CAP_SOURCE_PATH;
	} else {
		if (sd->trust)
			need |= TLSH_CAP_CLIENT_AUTH;
		if (sd->trust && (sd->flags & SIDE_TRUST_PATH))
			need |= TLSH_CAP_SOURCE_PATH;
		if (sd->chain[1])
			need |= TLSH_CAP_SNI_CHAINS;
	}
	if (sd->alpn[0].data)
		need |= TLSH_CAP_ALPN;
	for (size_t i = 0; i < ROW_MAX_CIPHERS && sd->ciphers[i]; i++)
		need |= (sd->ciphers[i] >> 8) == 0x13 ? TLSH_CAP_CIPHERS_TLS13
		                                      : TLSH_CAP_CIPHERS_TLS12;
	if (r->after.peercert_on == (int)role)
		need |= TLSH_CAP_PEERCERT;
	if (d->eof_to & ROLE_BIT(role))
		need |= TLSH_CAP_TRANSPORT_EOF;
	if (r->shutdown_by & ROLE_BIT(role))
		need |= TLSH_CAP_SHUTDOWN;
	/* The misbehaving peer rewrites protected records with the secrets it
	 * exports (rewrite.h, the encrypted phase). */
	if (r->puppet && d->mut && d->mut->enc && role != d->role)
		need |= TLSH_CAP_EXPORT_SECRETS;
	need |= role == TLSH_ROLE_CLIENT ? r->need_client : r->need_server;
	return need;
}

/* ---- expansion --------------------------------------------------------------- */

static void die(const struct row *r, const char *why)
{
	fprintf(stderr, "tlsharness: catalog row %s: %s\n", r->id, why);
	abort();
}

static void apply(struct scen_def *d, enum dim dim, intptr_t v, intptr_t w, const void *ptr)
{
	switch (dim) {
	case DIM_KT:
		d->kt = (int)v;
		break;
	case DIM_VER:
		d->ver = (enum tlsh_version)v;
		break;
	case DIM_ROLE:
		d->role = (enum tlsh_role)v;
		break;
	case DIM_POLICY:
		d->policy = (int)v;
		break;
	case DIM_SIZE:
		d->size = (size_t)v;
		break;
	case DIM_DIR:
		d->dir = (int)v;
		break;
	case DIM_EOF_TO:
		d->eof_to = ROLE_BIT(v);
		break;
	case DIM_CRANGE:
		d->clo = (enum tlsh_version)v;
		d->chi = (enum tlsh_version)w;
		break;
	case DIM_SRANGE:
		d->slo = (enum tlsh_version)v;
		d->shi = (enum tlsh_version)w;
		break;
	case DIM_P:
		d->p = v;
		d->pw = w;
		break;
	case DIM_RCAP:
		d->rcap = (size_t)v;
		break;
	case DIM_OCAP:
		d->ocap = (size_t)v;
		break;
	case DIM_MUT:
		d->mut = ptr;
		return;
	}
	if (ptr)
		d->ptr = ptr;
}

/* The tag of an axis value; a DIM_MUT value without one is tagged by its
 * mutation's name (a static initializer cannot read the name: clang). */
static const char *val_tag(const struct axis *ax, const struct axval *v)
{
	if (!v->tag && ax->dim == DIM_MUT && v->ptr)
		return ((const struct rw_mutation *)v->ptr)->name;
	return v->tag;
}

/* Replaces every {name} of the template by the tag of that axis's value. */
static void expand_id(const struct row *r, const size_t *idx, char *out, size_t cap)
{
	size_t o = 0;
	unsigned used = 0;
	for (const char *p = r->id; *p; p++) {
		if (*p != '{') {
			if (o + 1 >= cap)
				die(r, "expanded id too long");
			out[o++] = *p;
			continue;
		}
		const char *end = strchr(p, '}');
		if (!end)
			die(r, "unterminated {placeholder}");
		size_t len = (size_t)(end - p - 1);
		const char *tag = NULL;
		for (size_t a = 0; a < ROW_MAX_AXES && r->axes[a]; a++) {
			if (strlen(r->axes[a]->name) == len &&
			    !strncmp(r->axes[a]->name, p + 1, len)) {
				tag = val_tag(r->axes[a], &r->axes[a]->vals[idx[a]]);
				used |= 1u << a;
			}
		}
		if (!tag && len == 3 && !strncmp(p + 1, "mut", 3) && r->mut)
			tag = r->mut->name; /* a row's one mutation */
		if (!tag)
			die(r, "a {placeholder} names no axis of the row");
		size_t tl = strlen(tag);
		if (o + tl >= cap)
			die(r, "expanded id too long");
		memcpy(out + o, tag, tl);
		o += tl;
		p = end;
	}
	out[o] = '\0';
	for (size_t a = 0; a < ROW_MAX_AXES && r->axes[a]; a++)
		if (!(used & (1u << a)))
			die(r, "an axis is not named in the id");
}

static void resolve_bounds(const struct scen_def *d, const struct side *sd, int has_range,
                           enum tlsh_version *lo, enum tlsh_version *hi)
{
	if (sd->lo || sd->hi) {
		*lo = sd->lo;
		*hi = sd->hi;
	} else if (has_range) {
		/* set by DIM_CRANGE / DIM_SRANGE */
	} else if (!(sd->flags & SIDE_UNBOUND) && d->ver != TLSH_VERSION_NONE) {
		*lo = *hi = d->ver;
	} else {
		*lo = *hi = TLSH_VERSION_NONE;
	}
}

static void make_instance(const struct family *f, const struct row *r, const size_t *idx,
                          struct scen_def *d)
{
	memset(d, 0, sizeof *d);
	d->row = r;
	d->family = f->name;
	d->spec = r->spec;
	d->title = r->title;
	d->run = interp_run;
	d->time_scale = r->time_scale;
	d->kt = r->kt;
	d->ver = r->ver;
	d->role = r->role;
	d->size = r->after.size;
	d->dir = r->after.dir;
	d->eof_to = r->eof_to;
	d->mut = r->mut;
	int crange = 0, srange = 0;
	size_t po = 0;
	for (size_t a = 0; a < ROW_MAX_AXES && r->axes[a]; a++) {
		const struct axis *ax = r->axes[a];
		const struct axval *v = &ax->vals[idx[a]];
		apply(d, ax->dim, v->v, v->w, v->ptr);
		if (ax->dim2)
			apply(d, ax->dim2, v->w, 0, NULL);
		crange |= ax->dim == DIM_CRANGE;
		srange |= ax->dim == DIM_SRANGE;
		po += (size_t)snprintf(d->params + po,
		                       po < sizeof d->params ? sizeof d->params - po : 0, "%s%s",
		                       po ? ", " : "", v->text ? v->text : val_tag(ax, v));
		if (po >= sizeof d->params)
			po = sizeof d->params - 1;
	}
	if (!po)
		fmt_into(d->params, sizeof d->params, "%s", kt_name(d->kt));
	expand_id(r, idx, d->id, sizeof d->id);
	resolve_bounds(d, &r->client, crange, &d->clo, &d->chi);
	resolve_bounds(d, &r->server, srange, &d->slo, &d->shi);
	if (r->solo) {
		if (!d->role)
			die(r, "a solo row needs a role (the field or an axis)");
		d->solo = d->role;
	}
	if (r->one_side && !d->role)
		die(r, "a one-side row needs the side (role, the field or an axis)");
	d->one_side = r->one_side;
	if (!r->extra && r->outcome == OUT_EXTRA)
		die(r, "a row without an extra needs an outcome");
	if (r->outcome == OUT_BUFFER_REFUSED && !(r->solo && d->role == TLSH_ROLE_CLIENT))
		die(r, "OUT_BUFFER_REFUSED is for a solo client row");
	if (r->conns.fail_first && !d->role)
		die(r, "conns.fail_first needs the row's side (role)");
	if (r->puppet && (!d->role || (!d->mut && !r->extra)))
		die(r, "a puppet row needs a role axis and a mutation");
	if (!r->puppet && (r->outcome == OUT_REJECTS || r->outcome == OUT_PROCEEDS))
		die(r, "only a puppet row can expect the backend under test to reject or proceed");
	if (d->solo != TLSH_ROLE_SERVER)
		d->need_client = side_needs(d, TLSH_ROLE_CLIENT);
	if (d->solo != TLSH_ROLE_CLIENT)
		d->need_server = side_needs(d, TLSH_ROLE_SERVER);
}

static struct scen_def *insts;
static size_t ninsts;

static void expand_all(void)
{
	size_t cap = 256;
	insts = xcalloc(cap, sizeof *insts);
	for (size_t fi = 0; fi < catalog_nfamilies; fi++) {
		const struct family *f = catalog_families[fi];
		for (size_t ri = 0; ri < f->n; ri++) {
			const struct row *r = &f->rows[ri];
			size_t idx[ROW_MAX_AXES] = {0}, naxes = 0;
			while (naxes < ROW_MAX_AXES && r->axes[naxes])
				naxes++;
			for (int done = 0; !done;) {
				if (ninsts == cap) {
					cap *= 2;
					insts = xrealloc(insts, cap * sizeof *insts);
				}
				make_instance(f, r, idx, &insts[ninsts]);
				for (size_t k = 0; k < ninsts; k++)
					if (!strcmp(insts[k].id, insts[ninsts].id))
						die(r, "duplicate expanded id");
				ninsts++;
				/* Next combination: the last axis varies fastest. */
				size_t a = naxes;
				for (;;) {
					if (a == 0) {
						done = 1;
						break;
					}
					a--;
					if (++idx[a] < r->axes[a]->n)
						break;
					idx[a] = 0;
				}
			}
		}
	}
}

const struct scen_def *scen_all(size_t *n)
{
	if (!insts)
		expand_all();
	*n = ninsts;
	return insts;
}

void scen_register_all(void)
{
	size_t n;
	scen_all(&n);
}
