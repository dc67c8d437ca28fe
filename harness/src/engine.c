#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint.h"
#include "remote.h"
#include "util.h"

int id_matches(const char *id, char **filters, size_t nfilters)
{
	if (nfilters == 0)
		return 1;
	for (size_t i = 0; i < nfilters; i++)
		if (fnmatch(filters[i], id, 0) == 0)
			return 1;
	return 0;
}

/* ---- child side ------------------------------------------------------------ */

static char *transcript_rel(const struct result *r, struct backend *b)
{
	char *name = xasprintf("transcripts/%s--%s/%s.tlstr", b[r->client].name, b[r->server].name,
	                       r->def->id);
	for (char *p = name + strlen("transcripts/"); *p; p++)
		if (*p == '/' && p > strchr(name + strlen("transcripts/"), '/'))
			*p = '_';
	return name;
}

static int child_fd = -1;
static struct scen *child_scen;
static const char *child_transcript;
static int child_finishing;

/* Writes the transcript under a temporary name and renames it into place.
 * No fsync: a transcript is rebuilt by rerunning its scenario, and a sync
 * per instance costs more than the instance on a busy disk. */
static void child_write_transcript(struct scen *s)
{
	if (!child_transcript || !s->opened)
		return;
	struct bytes out = {0};
	bytes_append(&out, "TLSHTR01", 8);
	size_t off[2] = {0, 0};
	for (size_t i = 0; i < s->pump.nseg; i++) {
		const struct segment *g = &s->pump.seg[i];
		uint8_t h[5] = {g->dir, (uint8_t)(g->len >> 24), (uint8_t)(g->len >> 16),
		                (uint8_t)(g->len >> 8), (uint8_t)g->len};
		if (off[g->dir] + g->len > s->pump.wire[g->dir].len)
			break;
		bytes_append(&out, h, 5);
		bytes_append(&out, s->pump.wire[g->dir].data + off[g->dir], g->len);
		off[g->dir] += g->len;
	}
	char *tmp = xasprintf("%s.tmp", child_transcript);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;
	while (fd >= 0 && done < out.len) {
		ssize_t w = write(fd, out.data + done, out.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (fd >= 0 && close(fd) == 0 && done == out.len)
		rename(tmp, child_transcript);
	else
		unlink(tmp);
	free(tmp);
	bytes_free(&out);
}

static void child_emit(struct scen *s)
{
	static int synced;
	if (!synced) {
		/* Deferred calls of the proxies belong to this scenario; a crash
		 * there comes back here through scen_abort. */
		synced = 1;
		remote_sync();
	}
	if (child_finishing)
		_exit(0);
	child_finishing = 1;
	json_t *o = json_object();
	json_object_set_new(o, "verdict", json_integer(s->verdict));
	json_object_set_new(o, "expected", json_string(s->expected));
	json_object_set_new(o, "observed", json_string(s->observed));
	char detail[1400] = "";
	if (s->client.err.message[0] || s->server.err.message[0])
		fmt_into(detail, sizeof detail, "client: %s%s%s | server: %s%s%s",
		         status_name(s->client.err.status), s->client.err.message[0] ? ": " : "",
		         s->client.err.message, status_name(s->server.err.status),
		         s->server.err.message[0] ? ": " : "", s->server.err.message);
	json_object_set_new(o, "detail", json_string(detail));
	json_object_set_new(o, "cs", json_integer(s->client.err.alert_sent));
	json_object_set_new(o, "cr", json_integer(s->client.err.alert_received));
	json_object_set_new(o, "ss", json_integer(s->server.err.alert_sent));
	json_object_set_new(o, "sr", json_integer(s->server.err.alert_received));
	json_object_set_new(o, "cst", json_integer(s->client_status));
	json_object_set_new(o, "sst", json_integer(s->server_status));
	json_object_set_new(o, "mutation", json_string(s->mutation));
	json_object_set_new(o, "stopped", json_string(s->stopped));
	json_object_set_new(o, "rules", json_string(s->rules));
	json_object_set_new(o, "decrypted", json_string(s->decrypted));
	child_write_transcript(s);
	json_object_set_new(o, "transcript", json_boolean(child_transcript && s->opened));
	char *text = json_dumps(o, JSON_COMPACT);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(child_fd, text + off, len - off);
		if (w <= 0 && errno != EINTR)
			break;
		if (w > 0)
			off += (size_t)w;
	}
	free(text);
	json_decref(o);
	_exit(0);
}

static void child_violation(const char *msg)
{
	scen_abort(child_scen, V_HARNESS_ERROR, "ABI violation: %s", msg);
}

static void child_lost(const char *spec, const char *why)
{
	scen_abort(child_scen, V_CRASH, "endpoint host (%s) ended: %s", spec, why);
}

/* What a scenario child needs from the run: the children of warm hosts are
 * forked from hosts forked from this process after engine_run set it. */
static struct {
	struct result *res;
	struct backend *b;
	const struct run_opts *o;
} run_ctx;

static int server_is_remote(const struct run_opts *o, const struct backend *c,
                            const struct backend *s)
{
	return o->mode == EP_OOP || (o->mode == EP_AUTO && strcmp(c->spec, s->spec) != 0);
}

static double job_timeout_s(const struct run_opts *o, const struct scen_def *d)
{
	return o->timeout_s * (d->time_scale > 0 ? d->time_scale : 1);
}

/* The client's side: this process's adapter (the warm host's), or a proxy
 * to an endpoint child. */
static void child_endpoints(struct scen *sc, struct backend *c, struct backend *s,
                            const struct run_opts *o, struct impl_handle *ih, const char *load_err,
                            const int *socks, int nsocks)
{
	static struct impl_handle hc, hs;
	char err[512];
	int client_remote = o->mode == EP_OOP, server_remote = server_is_remote(o, c, s);
	int k = 0;
	if (nsocks != client_remote + server_remote)
		scen_abort(sc, V_HARNESS_ERROR, "scenario process got %d endpoint socket(s)",
		           nsocks);
	if (client_remote) {
		if (remote_attach(socks[k++], c->spec, &hc, err, sizeof err) != 0)
			scen_abort(sc, V_HARNESS_ERROR, "client endpoint: %s", err);
	} else if (ih) {
		hc = *ih;
	} else {
		scen_abort(sc, V_HARNESS_ERROR, "client endpoint: %s", load_err);
	}
	if (server_remote) {
		if (remote_attach(socks[k], s->spec, &hs, err, sizeof err) != 0)
			scen_abort(sc, V_HARNESS_ERROR, "server endpoint: %s", err);
	} else if (strcmp(c->spec, s->spec) == 0) {
		hs = hc;
	} else if (impl_load(s->spec, &hs, err, sizeof err) != 0) {
		scen_abort(sc, V_HARNESS_ERROR, "server endpoint: %s", err);
	}
	sc->cimpl = &hc;
	sc->simpl = &hs;
}

/* A scenario instance, in a fresh child of the client backend's warm host:
 * fds[0] is the result pipe, then the client's and the server's endpoint
 * sockets when they are out of process. */
static void run_child(uint32_t job, const int *fds, int nfds, struct impl_handle *ih,
                      const char *load_err)
{
	struct result *r = &run_ctx.res[job];
	const struct scen_def *d = r->def;
	struct backend *c = &run_ctx.b[r->client], *s = &run_ctx.b[r->server];
	const struct run_opts *o = run_ctx.o;
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	child_fd = fds[0];
	char *rel = transcript_rel(r, run_ctx.b);
	child_transcript = o->out_dir ? xasprintf("%s/%s", o->out_dir, rel) : NULL;
	free(rel);
	static struct scen sc;
	memset(&sc, 0, sizeof sc);
	sc.def = d;
	sc.client.err.alert_sent = sc.client.err.alert_received = TLSH_NO_ALERT;
	sc.server.err.alert_sent = sc.server.err.alert_received = TLSH_NO_ALERT;
	sc.client.label = "client";
	sc.server.label = "server";
	sc.client_status = sc.server_status = -1;
	uint64_t h = 1469598103934665603ull;
	for (const char *p = d->id; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	sc.seed = o->seed ^ h;
	child_scen = &sc;
	scen_set_current(&sc);
	scen_finish = child_emit;
	ep_violation = child_violation;
	remote_lost = child_lost;
	child_endpoints(&sc, c, s, o, ih, load_err, fds + 1, nfds - 1);
	d->run(&sc);
	child_emit(&sc);
}

/* Moves what `from` has to send into `to`; 0 when nothing moved. */
static int warm_move(const struct impl_handle *ih, tlsh_buffer *from, tlsh_buffer *to)
{
	static uint8_t b[16384];
	int moved = 0;
	for (int k = 0; k < 64; k++) {
		size_t n = 0;
		if (ih->fn.process_outgoing(from, b, sizeof b, &n) != TLSH_OK || n == 0 ||
		    n > sizeof b)
			break;
		if (ih->fn.process_incoming(to, b, n) != TLSH_OK)
			break;
		moved = 1;
	}
	return moved;
}

/* Warms an adapter up in its host: a client and a server context and
 * buffer with the standard RSA configuration, and with `deep` a handshake
 * between them (see warm_prepare_fn), pay the library's lazy
 * initialisation (providers, decoders, method caches, the handshake
 * path's tables) once, so each child writes to fewer shared pages: a
 * copy-on-write fault is the largest cost of a fresh child (bench/,
 * issue #15). Each child draws its own random values afterwards:
 * harness/tests/fork_rng.py checks that no two siblings share one. */
static void warm_prepare(const struct impl_handle *ih, int deep)
{
	struct cfgb cfg[2];
	cfg_std_client(&cfg[0], "rsa");
	cfg_std_server(&cfg[1], "rsa");
	tlsh_context *ctx[2] = {NULL, NULL};
	tlsh_buffer *buf[2] = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		enum tlsh_role role = i ? TLSH_ROLE_SERVER : TLSH_ROLE_CLIENT;
		struct tlsh_error e;
		memset(&e, 0, sizeof e);
		if (ih->fn.context_new(ih->self, role, &cfg[i].cfg, &ctx[i], &e) != TLSH_OK)
			ctx[i] = NULL;
		if (ctx[i] &&
		    ih->fn.buffer_new(ctx[i], i ? NULL : TEST_HOST, &buf[i], &e) != TLSH_OK)
			buf[i] = NULL;
	}
	if (deep && buf[0] && buf[1])
		for (int round = 0; round < 16; round++) {
			int c = ih->fn.do_handshake(buf[0]), moved = warm_move(ih, buf[0], buf[1]);
			int s = ih->fn.do_handshake(buf[1]);
			moved |= warm_move(ih, buf[1], buf[0]);
			if ((c == TLSH_OK && s == TLSH_OK) || !moved)
				break;
		}
	for (int i = 0; i < 2; i++) {
		if (buf[i])
			ih->fn.buffer_free(buf[i]);
		if (ctx[i])
			ih->fn.context_free(ctx[i]);
	}
}

/* ---- parent side ----------------------------------------------------------- */

/* The harness's view of a warm host. */
struct host {
	char *spec;
	pid_t pid; /* 0: not running */
	int ctl, errfd;
	struct bytes errtail; /* its stderr, last few KiB */
	int level;            /* what to ask for at the next start */
	int ready;
};

/* A child of a warm host working for a slot. */
struct child {
	int host;
	pid_t pid; /* 0 until STARTED */
	int exited, status;
};

struct slot {
	int busy;
	size_t job;
	int fd, efd; /* result pipe, stderr pipe */
	double start, deadline;
	struct bytes out, err;
	struct child ch[3]; /* the scenario process, then endpoint hosts */
	int nch;
	int killed;     /* 1: time limit, 2: interrupted */
	char lost[300]; /* a warm host died under it: why */
};

struct engine {
	struct backend *b;
	const struct run_opts *o;
	struct result *res;
	size_t total, next, done;
	struct host *hosts;
	size_t nhosts;
	struct slot *slots;
	int jobs, running;
};

static void set_str(char **dst, json_t *v)
{
	*dst = xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

static char *tail_of(const struct bytes *b, size_t max)
{
	size_t off = b->len > max ? b->len - max : 0;
	char *s = xmalloc(b->len - off + 1);
	if (b->len)
		memcpy(s, b->data + off, b->len - off);
	s[b->len - off] = '\0';
	return s;
}

static void keep_tail(struct bytes *dst, const char *buf, size_t n, size_t max)
{
	bytes_append(dst, buf, n);
	if (dst->len > 2 * max) {
		memmove(dst->data, dst->data + dst->len - max, max);
		dst->len = max;
	}
}

static int interrupted(const struct engine *e)
{
	return e->o->interrupted && *e->o->interrupted;
}

/* The verdict of a finished slot from its result pipe, the scenario
 * process's wait status and its stderr. */
static void finalize(struct result *r, struct slot *sl, const char *tpath)
{
	int status = sl->ch[0].status;
	r->ms = now_ms() - sl->start;
	json_t *o = NULL;
	if (sl->out.len)
		o = json_loadb((const char *)sl->out.data, sl->out.len, 0, NULL);
	char *stderr_tail = tail_of(&sl->err, 2000);
	int alarm_hit = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
	if (sl->killed || (alarm_hit && !o)) {
		r->raw = V_TIMEOUT;
		r->expected = xstrdup("");
		r->observed = xasprintf("no result within the time limit; killed after %.1f s",
		                        r->ms / 1000);
		r->detail = stderr_tail;
		stderr_tail = NULL;
	} else if (sl->lost[0]) {
		r->raw = V_CRASH;
		r->expected = xstrdup("");
		r->observed = xstrdup(sl->lost);
		r->detail = stderr_tail;
		stderr_tail = NULL;
	} else if (o && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r->raw = (enum verdict)json_integer_value(json_object_get(o, "verdict"));
		if ((int)r->raw < 0 || r->raw >= V_COUNT)
			r->raw = V_HARNESS_ERROR;
		set_str(&r->expected, json_object_get(o, "expected"));
		set_str(&r->observed, json_object_get(o, "observed"));
		set_str(&r->detail, json_object_get(o, "detail"));
		r->alerts[0] = (int)json_integer_value(json_object_get(o, "cs"));
		r->alerts[1] = (int)json_integer_value(json_object_get(o, "cr"));
		r->alerts[2] = (int)json_integer_value(json_object_get(o, "ss"));
		r->alerts[3] = (int)json_integer_value(json_object_get(o, "sr"));
		r->client_status = (int)json_integer_value(json_object_get(o, "cst"));
		r->server_status = (int)json_integer_value(json_object_get(o, "sst"));
		const char *k[4] = {"mutation", "stopped", "rules", "decrypted"};
		char **dst[4] = {&r->mutation, &r->stopped, &r->rules, &r->decrypted};
		for (int i = 0; i < 4; i++) {
			const char *v = json_string_value(json_object_get(o, k[i]));
			*dst[i] = v && *v ? xstrdup(v) : NULL;
		}
		if (json_is_true(json_object_get(o, "transcript")))
			r->transcript = xstrdup(tpath);
		/* The scenario's stderr explains a crash, and an ABI violation
		 * (e.g. the PEP 748 bridge prints the Python traceback there). */
		if ((r->raw == V_CRASH || r->raw == V_HARNESS_ERROR) && sl->err.len) {
			char *d = xasprintf("%s\n%s", r->detail, stderr_tail);
			free(r->detail);
			r->detail = d;
		}
	} else {
		r->raw = V_CRASH;
		r->expected = xstrdup("");
		if (WIFSIGNALED(status))
			r->observed = xasprintf("scenario process killed by signal %d (%s)",
			                        WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			r->observed =
			        xasprintf("scenario process exited with status %d and no result",
			                  WEXITSTATUS(status));
		r->detail = stderr_tail;
		stderr_tail = NULL;
	}
	if (sl->killed == 2) {
		free(r->observed);
		r->observed = xstrdup("interrupted before the scenario finished");
		r->raw = V_HARNESS_ERROR;
	}
	free(stderr_tail);
	json_decref(o);
}

/* A FAIL that comes from wire rules alone is expected when the backend that
 * broke each rule lists that rule: a documented deviation of its library.
 * Every other check of the scenario passed (the rules are judged last). */
static struct expectation *rule_expectation(const struct result *r, struct backend *b)
{
	if (r->raw != V_FAIL || !r->rules)
		return NULL;
	struct expectation *first = NULL;
	char *copy = xstrdup(r->rules), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		int client = !strncmp(t, "client:", 7);
		struct backend *be = client ? &b[r->client] : &b[r->server];
		struct backend *peer = client ? &b[r->server] : &b[r->client];
		const char *rule = strchr(t, ':') ? strchr(t, ':') + 1 : t;
		struct expectation *x = be->has_exp ? expect_match_rule(&be->exp, rule,
		                                                        client ? TLSH_ROLE_CLIENT
		                                                               : TLSH_ROLE_SERVER,
		                                                        peer->name)
		                                    : NULL;
		if (!x) {
			first = NULL;
			break;
		}
		if (!first)
			first = x;
	}
	free(copy);
	return first;
}

static void apply_expectations(struct result *r, struct backend *b, const struct run_opts *o)
{
	r->verdict = r->raw;
	if (!o->use_expectations)
		return;
	struct backend *c = &b[r->client], *s = &b[r->server];
	struct expectation *x = NULL;
	if (c->has_exp)
		x = expect_match(&c->exp, r->def->id, TLSH_ROLE_CLIENT, s->name);
	if (!x && s->has_exp)
		x = expect_match(&s->exp, r->def->id, TLSH_ROLE_SERVER, c->name);
	if (!x)
		x = rule_expectation(r, b);
	if (!x)
		return;
	x->used = 1;
	r->xfail_reason = xstrdup(x->reason);
	if (r->raw == V_PASS)
		r->verdict = V_XPASS;
	else if (r->raw == V_FAIL || r->raw == V_PASS_LOOSE || r->raw == V_CRASH ||
	         r->raw == V_TIMEOUT)
		r->verdict = V_XFAIL;
}

/* The capabilities a scenario needs that the pair does not declare. */
static void missing_caps(const struct result *r, const struct backend *b, uint64_t *mc,
                         uint64_t *ms)
{
	const struct scen_def *d = r->def;
	*mc = d->solo == TLSH_ROLE_SERVER ? 0 : d->need_client & ~b[r->client].caps;
	*ms = d->solo == TLSH_ROLE_CLIENT ? 0 : d->need_server & ~b[r->server].caps;
}

static void unsupported(struct result *r, struct backend *b, uint64_t mc, uint64_t ms)
{
	struct backend *c = &b[r->client], *s = &b[r->server];
	r->raw = r->verdict = V_UNSUPPORTED;
	r->expected = xstrdup("");
	r->observed = xasprintf("capability not declared:%s%s%s%s", mc ? " client " : "",
	                        mc ? c->name : "", ms ? " server " : "", ms ? s->name : "");
	char caps[256];
	r->detail = xasprintf("missing: %s", capability_list(mc | ms, caps, sizeof caps));
	r->alerts[0] = r->alerts[1] = r->alerts[2] = r->alerts[3] = TLSH_NO_ALERT;
}

/* Plans one instance if the filters keep it. Returns 1 when planned. */
static size_t plan_one(struct result *r, const struct scen_def *d, int client, int server,
                       struct backend *b, char **filters, size_t nfilters, const struct run_opts *o)
{
	if (!id_matches(d->id, filters, nfilters))
		return 0;
	if (o->keep && !o->keep(d, &b[client], &b[server], o->keep_arg))
		return 0;
	r->def = d;
	r->client = client;
	r->server = server;
	return 1;
}

int plan_pair_keeps(const struct scen_def *d, int client, int server, const struct run_opts *o)
{
	if (!d->one_side || !o->ref1 || client == server)
		return 1;
	int other = d->role == TLSH_ROLE_CLIENT ? server : client;
	return other == o->ref1 - 1;
}

/* The instances of a run, in a stable order (pair, then registration
 * order; then the puppet rows of each backend), with nothing run yet. */
static struct result *plan_instances(struct backend *b, size_t nb, const struct pair *pairs,
                                     size_t npairs, char **filters, size_t nfilters,
                                     const struct run_opts *o, size_t *total)
{
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	struct result *res = xcalloc((npairs + nb) * ndefs + 1, sizeof *res);
	size_t n = 0;
	for (size_t p = 0; p < npairs; p++)
		for (size_t i = 0; i < ndefs; i++)
			if (!defs[i].row->puppet &&
			    plan_pair_keeps(&defs[i], pairs[p].client, pairs[p].server, o))
				n += plan_one(&res[n], &defs[i], pairs[p].client, pairs[p].server,
				              b, filters, nfilters, o);
	/* Puppet rows: each backend of the pairs against the puppet, in both
	 * roles. */
	for (size_t u = 0; o->has_puppet && u < nb; u++) {
		if (!o->puppet_self && (int)u == o->puppet)
			continue;
		int in_pairs = 0;
		for (size_t p = 0; p < npairs; p++)
			in_pairs |= pairs[p].client == (int)u || pairs[p].server == (int)u;
		for (size_t i = 0; in_pairs && i < ndefs; i++) {
			const struct scen_def *d = &defs[i];
			if (!d->row->puppet)
				continue;
			int client = d->role == TLSH_ROLE_CLIENT;
			n += plan_one(&res[n], d, client ? (int)u : o->puppet,
			              client ? o->puppet : (int)u, b, filters, nfilters, o);
		}
	}
	*total = n;
	return res;
}

/* One folder per pair of the planned instances. */
static void make_transcript_dirs(struct backend *b, const struct result *res, size_t n,
                                 const char *out_dir)
{
	for (size_t i = 0; out_dir && i < n; i++) {
		if (i && res[i].client == res[i - 1].client && res[i].server == res[i - 1].server)
			continue;
		char *dir = xasprintf("%s/transcripts/%s--%s", out_dir, b[res[i].client].name,
		                      b[res[i].server].name);
		mkdir_p(dir);
		free(dir);
	}
}

/* ---- warm hosts, harness side ------------------------------------------- */

static int host_index(struct engine *e, const char *spec)
{
	for (size_t i = 0; i < e->nhosts; i++)
		if (strcmp(e->hosts[i].spec, spec) == 0)
			return (int)i;
	e->hosts = xrealloc(e->hosts, (e->nhosts + 1) * sizeof *e->hosts);
	e->hosts[e->nhosts] =
	        (struct host){.spec = xstrdup(spec), .ctl = -1, .errfd = -1, .level = 2};
	return (int)e->nhosts++;
}

/* The warm host of a backend, started when not running. -1 if it cannot
 * be forked at all. */
static int host_get(struct engine *e, const char *spec)
{
	int i = host_index(e, spec);
	struct host *h = &e->hosts[i];
	if (h->pid)
		return i;
	char err[256];
	h->ready = 0;
	bytes_reset(&h->errtail);
	h->pid = warm_spawn(spec, h->level, run_child, warm_prepare, &h->ctl, &h->errfd, err,
	                    sizeof err);
	if (h->pid < 0) {
		fprintf(stderr, "tlsharness: warm host for %s: %s\n", spec, err);
		exit(2);
	}
	return i;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void host_free(struct host *h)
{
	close_fd(&h->ctl);
	close_fd(&h->errfd);
	if (h->pid > 0)
		waitpid(h->pid, NULL, 0);
	bytes_free(&h->errtail);
	free(h->spec);
}

/* ---- slots -------------------------------------------------------------- */

static void pipe_or_die(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0) {
		perror("tlsharness: pipe");
		exit(2);
	}
}

static void socketpair_or_die(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("tlsharness: socketpair");
		exit(2);
	}
}

/* Asks a warm host for an endpoint child serving `sock`. */
static void submit_serve(struct engine *e, struct slot *sl, const char *spec, int efd, int sock,
                         unsigned limit_s)
{
	int h = host_get(e, spec);
	int fds[2] = {efd, sock};
	warm_send(e->hosts[h].ctl, WARM_SERVE, (uint32_t)sl->job, limit_s, fds, 2);
	sl->ch[sl->nch++] = (struct child){.host = h};
}

/* Starts instance `job` in slot `sl`: the scenario process from the client
 * backend's warm host, endpoint children from the warm hosts of the sides
 * that run out of process. */
static void submit(struct engine *e, struct slot *sl, size_t job)
{
	struct result *r = &e->res[job];
	struct backend *c = &e->b[r->client], *s = &e->b[r->server];
	double limit = job_timeout_s(e->o, r->def);
	unsigned limit_s = (unsigned)limit + 3; /* the child's own backstop */
	int client_remote = e->o->mode == EP_OOP, server_remote = server_is_remote(e->o, c, s);
	int pfd[2], efd[2], cs[2] = {-1, -1}, ss[2] = {-1, -1};
	pipe_or_die(pfd);
	pipe_or_die(efd);
	if (client_remote)
		socketpair_or_die(cs);
	if (server_remote)
		socketpair_or_die(ss);
	*sl = (struct slot){.busy = 1,
	                    .job = job,
	                    .fd = pfd[0],
	                    .efd = efd[0],
	                    .start = now_ms(),
	                    .deadline = now_ms() + limit * 1000};
	int fds[4] = {efd[1], pfd[1]}, nfds = 2;
	if (client_remote)
		fds[nfds++] = cs[0];
	if (server_remote)
		fds[nfds++] = ss[0];
	int h = host_get(e, c->spec);
	warm_send(e->hosts[h].ctl, WARM_RUN, (uint32_t)job, limit_s, fds, nfds);
	sl->ch[sl->nch++] = (struct child){.host = h};
	if (client_remote)
		submit_serve(e, sl, c->spec, efd[1], cs[1], limit_s);
	if (server_remote)
		submit_serve(e, sl, s->spec, efd[1], ss[1], limit_s);
	/* Only the children hold the write ends now: end of file is theirs. */
	int *mine[] = {&pfd[1], &efd[1], &cs[0], &cs[1], &ss[0], &ss[1]};
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
		close_fd(mine[i]);
	e->running++;
}

static void report_done(struct engine *e, struct result *r)
{
	e->done++;
	if (e->o->on_result)
		e->o->on_result(r, e->done, e->total, e->o->arg);
}

/* Fills free slots with the next instances (unsupported ones are decided
 * here without a process). */
static void start_jobs(struct engine *e)
{
	while (e->running < e->jobs && e->next < e->total && !interrupted(e)) {
		struct result *r = &e->res[e->next];
		uint64_t mc, ms;
		missing_caps(r, e->b, &mc, &ms);
		if (mc || ms) {
			unsupported(r, e->b, mc, ms);
			e->next++;
			report_done(e, r);
			continue;
		}
		int k = 0;
		while (e->slots[k].busy)
			k++;
		submit(e, &e->slots[k], e->next++);
	}
}

static void kill_slot(struct slot *sl, int why)
{
	if (!sl->killed)
		sl->killed = why;
	for (int i = 0; i < sl->nch; i++)
		if (sl->ch[i].pid > 0 && !sl->ch[i].exited)
			kill(-sl->ch[i].pid, SIGKILL);
}

static struct slot *slot_of_job(struct engine *e, uint32_t job)
{
	for (int i = 0; i < e->jobs; i++)
		if (e->slots[i].busy && e->slots[i].job == job)
			return &e->slots[i];
	return NULL;
}

static void on_host_event(struct engine *e, int h, const struct warm_event *ev)
{
	struct host *ho = &e->hosts[h];
	if (ev->kind == WARM_READY) {
		ho->ready = 1;
		return;
	}
	struct slot *sl = slot_of_job(e, ev->job);
	if (!sl)
		return;
	for (int i = 0; i < sl->nch; i++) {
		struct child *c = &sl->ch[i];
		if (c->host != h || c->exited)
			continue;
		if (ev->kind == WARM_STARTED && c->pid == 0) {
			c->pid = ev->pid;
			if (sl->killed)
				kill(-c->pid, SIGKILL);
			return;
		}
		if (ev->kind == WARM_EXITED &&
		    (c->pid == ev->pid || (ev->pid == 0 && c->pid == 0))) {
			c->exited = 1;
			c->status = ev->status;
			return;
		}
	}
}

/* A warm host's connection ended: it died. Its children died with it
 * (PR_SET_PDEATHSIG); the instances they served are CRASH naming it, and
 * the next request starts a new host (one level less warm if it died
 * before it was ready). */
static void on_host_gone(struct engine *e, int h)
{
	struct host *ho = &e->hosts[h];
	int status = 0;
	char why[160] = "connection closed";
	if (waitpid(ho->pid, &status, 0) == ho->pid) {
		if (WIFSIGNALED(status))
			fmt_into(why, sizeof why, "killed by signal %d (%s)", WTERMSIG(status),
			         strsignal(WTERMSIG(status)));
		else
			fmt_into(why, sizeof why, "exited with status %d", WEXITSTATUS(status));
	}
	for (int i = 0; i < e->jobs; i++) {
		struct slot *sl = &e->slots[i];
		int hit = 0;
		for (int k = 0; sl->busy && k < sl->nch; k++) {
			struct child *c = &sl->ch[k];
			if (c->host != h || c->exited)
				continue;
			hit = 1;
			c->exited = 1;
			c->status = status;
			if (c->pid > 0)
				kill(-c->pid, SIGKILL);
		}
		if (!hit)
			continue;
		if (!sl->lost[0] && !sl->killed)
			fmt_into(sl->lost, sizeof sl->lost, "warm host (%s) ended%s: %s", ho->spec,
			         ho->ready ? "" : " while starting", why);
		kill_slot(sl, sl->killed);
	}
	if (!ho->ready && ho->level > 0)
		ho->level--;
	close_fd(&ho->ctl);
	close_fd(&ho->errfd);
	ho->pid = 0;
}

static int slot_finished(const struct slot *sl)
{
	if (sl->fd >= 0 || sl->efd >= 0)
		return 0;
	for (int i = 0; i < sl->nch; i++)
		if (!sl->ch[i].exited)
			return 0;
	return 1;
}

static void complete_slot(struct engine *e, struct slot *sl)
{
	struct result *r = &e->res[sl->job];
	char *rel = transcript_rel(r, e->b);
	finalize(r, sl, rel);
	free(rel);
	apply_expectations(r, e->b, e->o);
	bytes_free(&sl->out);
	bytes_free(&sl->err);
	sl->busy = 0;
	e->running--;
	report_done(e, r);
}

/* Reads what a slot's pipe has; closes it at end of file. */
static void read_slot_fd(struct slot *sl, int is_err)
{
	int *fd = is_err ? &sl->efd : &sl->fd;
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof buf);
	if (n > 0) {
		struct bytes *dst = is_err ? &sl->err : &sl->out;
		if (!is_err || dst->len < 256 * 1024)
			bytes_append(dst, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close_fd(fd);
	}
}

enum src_kind { SRC_OUT, SRC_ERR, SRC_HOST, SRC_HOST_ERR };

struct src {
	enum src_kind kind;
	int index;
};

/* Everything worth waiting for: every slot's two pipes and every warm
 * host's control socket and stderr, however large -j is. */
static size_t gather(struct engine *e, struct pollfd *p, struct src *src)
{
	size_t n = 0;
	for (int i = 0; i < e->jobs; i++) {
		struct slot *sl = &e->slots[i];
		if (!sl->busy)
			continue;
		if (sl->fd >= 0) {
			p[n] = (struct pollfd){.fd = sl->fd, .events = POLLIN};
			src[n++] = (struct src){SRC_OUT, i};
		}
		if (sl->efd >= 0) {
			p[n] = (struct pollfd){.fd = sl->efd, .events = POLLIN};
			src[n++] = (struct src){SRC_ERR, i};
		}
	}
	for (size_t h = 0; h < e->nhosts; h++) {
		if (!e->hosts[h].pid)
			continue;
		p[n] = (struct pollfd){.fd = e->hosts[h].ctl, .events = POLLIN};
		src[n++] = (struct src){SRC_HOST, (int)h};
		if (e->hosts[h].errfd >= 0) {
			p[n] = (struct pollfd){.fd = e->hosts[h].errfd, .events = POLLIN};
			src[n++] = (struct src){SRC_HOST_ERR, (int)h};
		}
	}
	return n;
}

/* Milliseconds until the nearest deadline (-1: none). */
static int poll_timeout(const struct engine *e)
{
	double nearest = -1;
	for (int i = 0; i < e->jobs; i++) {
		const struct slot *sl = &e->slots[i];
		if (sl->busy && !sl->killed && (nearest < 0 || sl->deadline < nearest))
			nearest = sl->deadline;
	}
	if (nearest < 0)
		return -1;
	double ms = nearest - now_ms();
	return ms <= 0 ? 0 : (int)ms + 1;
}

static void handle_ready(struct engine *e, const struct pollfd *p, const struct src *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (src[i].kind == SRC_OUT || src[i].kind == SRC_ERR) {
			read_slot_fd(&e->slots[src[i].index], src[i].kind == SRC_ERR);
			continue;
		}
		struct host *h = &e->hosts[src[i].index];
		if (!h->pid || p[i].fd != (src[i].kind == SRC_HOST ? h->ctl : h->errfd))
			continue; /* gone earlier in this round */
		if (src[i].kind == SRC_HOST_ERR) {
			char buf[4096];
			ssize_t k = read(h->errfd, buf, sizeof buf);
			if (k > 0)
				keep_tail(&h->errtail, buf, (size_t)k, 4096);
			else if (k == 0)
				close_fd(&h->errfd);
			continue;
		}
		struct warm_event ev;
		int rc = warm_recv(h->ctl, &ev);
		if (rc == 1)
			on_host_event(e, src[i].index, &ev);
		else if (rc == 0)
			on_host_gone(e, src[i].index);
	}
}

/* Kills what ran out of time (or everything, when interrupted), and
 * completes every slot whose children are all accounted for. */
static void sweep(struct engine *e)
{
	double t = now_ms();
	for (int i = 0; i < e->jobs; i++) {
		struct slot *sl = &e->slots[i];
		if (!sl->busy)
			continue;
		if (!sl->killed && (t >= sl->deadline || interrupted(e)))
			kill_slot(sl, interrupted(e) ? 2 : 1);
		if (sl->killed) {
			/* Its pipes may be held by a child not yet started. */
			close_fd(&sl->fd);
			close_fd(&sl->efd);
		}
		if (slot_finished(sl))
			complete_slot(e, sl);
	}
}

/* Drops the instances an interruption left without a result. */
static size_t drop_unfinished(struct result *res, size_t total)
{
	size_t kept = 0;
	for (size_t i = 0; i < total; i++) {
		if (!res[i].expected && !res[i].observed)
			continue;
		if (kept != i)
			res[kept] = res[i];
		kept++;
	}
	return kept;
}

size_t engine_run(struct backend *b, size_t nb, const struct pair *pairs, size_t npairs,
                  char **filters, size_t nfilters, const struct run_opts *o, struct result **out)
{
	struct engine e = {.b = b, .o = o};
	e.res = plan_instances(b, nb, pairs, npairs, filters, nfilters, o, &e.total);
	if (o->results_view) {
		*o->results_view = e.res;
		*o->total_view = e.total;
	}
	make_transcript_dirs(b, e.res, e.total, o->out_dir);
	run_ctx.res = e.res;
	run_ctx.b = b;
	run_ctx.o = o;
	e.jobs = o->jobs > 0 ? o->jobs : 1;
	e.slots = xcalloc((size_t)e.jobs, sizeof *e.slots);
	size_t cap = 0;
	struct pollfd *p = NULL;
	struct src *src = NULL;
	for (;;) {
		start_jobs(&e);
		if (!e.running && (e.next >= e.total || interrupted(&e)))
			break;
		size_t want = 2 * (size_t)e.jobs + 2 * e.nhosts;
		if (want > cap) {
			cap = want;
			p = xrealloc(p, cap * sizeof *p);
			src = xrealloc(src, cap * sizeof *src);
		}
		size_t n = gather(&e, p, src);
		int pr = poll(p, (nfds_t)n, interrupted(&e) ? 0 : poll_timeout(&e));
		if (pr < 0 && errno != EINTR) {
			perror("tlsharness: poll");
			exit(2);
		}
		if (pr > 0)
			handle_ready(&e, p, src, n);
		sweep(&e);
	}
	free(p);
	free(src);
	free(e.slots);
	for (size_t h = 0; h < e.nhosts; h++)
		host_free(&e.hosts[h]);
	free(e.hosts);
	*out = e.res;
	return drop_unfinished(e.res, e.total);
}

void results_free(struct result *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].expected);
		free(r[i].observed);
		free(r[i].detail);
		free(r[i].xfail_reason);
		free(r[i].transcript);
		free(r[i].mutation);
		free(r[i].stopped);
		free(r[i].decrypted);
		free(r[i].rules);
	}
	free(r);
}

/* ---- probing ------------------------------------------------------------- */

int backend_probe(const char *spec, struct backend *b, char *err, size_t errcap)
{
	memset(b, 0, sizeof *b);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		fmt_into(err, errcap, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		struct impl_handle h;
		char e[600];
		json_t *o = json_object();
		if (impl_load(spec, &h, e, sizeof e) != 0) {
			json_object_set_new(o, "error", json_string(e));
		} else {
			json_object_set_new(o, "name", json_string(h.fn.name));
			json_object_set_new(o, "version", json_string(h.fn.library_version));
			json_object_set_new(o, "caps", json_integer((json_int_t)h.fn.capabilities));
			json_object_set_new(o, "path", json_string(h.path));
		}
		char *t = json_dumps(o, JSON_COMPACT);
		if (write(pfd[1], t, strlen(t)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	struct bytes out = {0};
	char buf[4096];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			bytes_append(&out, buf, (size_t)n);
	close(pfd[0]);
	int status;
	waitpid(pid, &status, 0);
	json_t *o = out.len ? json_loadb((const char *)out.data, out.len, 0, NULL) : NULL;
	bytes_free(&out);
	if (!o) {
		if (WIFSIGNALED(status))
			fmt_into(err, errcap, "loading backend '%s' crashed (signal %d, %s)", spec,
			         WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			fmt_into(err, errcap,
			         "loading backend '%s' ended the process (exit status %d)", spec,
			         WEXITSTATUS(status));
		return -1;
	}
	json_t *e = json_object_get(o, "error");
	if (e) {
		fmt_into(err, errcap, "%s", json_string_value(e));
		json_decref(o);
		return -1;
	}
	b->spec = xstrdup(spec);
	b->name = xstrdup(json_string_value(json_object_get(o, "name")));
	b->library_version = xstrdup(json_string_value(json_object_get(o, "version")));
	b->path = xstrdup(json_string_value(json_object_get(o, "path")));
	b->caps = (uint64_t)json_integer_value(json_object_get(o, "caps"));
	json_decref(o);
	return 0;
}

void backend_free(struct backend *b)
{
	free(b->spec);
	free(b->name);
	free(b->library_version);
	free(b->path);
	if (b->has_exp)
		expect_free(&b->exp);
	memset(b, 0, sizeof *b);
}
