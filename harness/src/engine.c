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
#include <sys/wait.h>
#include <unistd.h>

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

static int child_fd = -1;
static struct scen *child_scen;
static const char *child_transcript;
static int child_finishing;

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
	write_file_atomic(child_transcript, out.data, out.len);
	bytes_free(&out);
}

static void child_emit(struct scen *s)
{
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

static void run_child(const struct scen_def *d, struct backend *c, struct backend *s,
                      const struct run_opts *o, int fd, const char *transcript)
{
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	child_fd = fd;
	child_transcript = transcript;
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

	static struct impl_handle hc, hs;
	char err[512];
	int same = strcmp(c->spec, s->spec) == 0;
	int server_remote = o->mode == EP_OOP || (o->mode == EP_AUTO && !same);
	int client_remote = o->mode == EP_OOP;
	if (server_remote && remote_spawn(s->spec, &hs, err, sizeof err) != 0)
		scen_abort(&sc, V_HARNESS_ERROR, "server endpoint: %s", err);
	if (client_remote) {
		if (remote_spawn(c->spec, &hc, err, sizeof err) != 0)
			scen_abort(&sc, V_HARNESS_ERROR, "client endpoint: %s", err);
	} else if (impl_load(c->spec, &hc, err, sizeof err) != 0) {
		scen_abort(&sc, V_HARNESS_ERROR, "client endpoint: %s", err);
	}
	if (!server_remote) {
		if (same && !client_remote)
			hs = hc;
		else if (impl_load(s->spec, &hs, err, sizeof err) != 0)
			scen_abort(&sc, V_HARNESS_ERROR, "server endpoint: %s", err);
	}
	sc.cimpl = &hc;
	sc.simpl = &hs;
	d->run(&sc);
	child_emit(&sc);
}

/* ---- parent side ----------------------------------------------------------- */

struct slot {
	pid_t pid;
	int fd, efd;
	size_t job;
	double start;
	struct bytes out, err;
	int killed;
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

static void finalize(struct result *r, struct slot *sl, int status, const char *tpath)
{
	r->ms = now_ms() - sl->start;
	json_t *o = NULL;
	if (sl->out.len)
		o = json_loadb((const char *)sl->out.data, sl->out.len, 0, NULL);
	char *stderr_tail = tail_of(&sl->err, 2000);
	if (sl->killed) {
		r->raw = V_TIMEOUT;
		r->expected = xstrdup("");
		r->observed = xasprintf("no result within the time limit; killed after %.1f s",
		                        r->ms / 1000);
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
		const char *k[3] = {"mutation", "stopped", "rules"};
		char **dst[3] = {&r->mutation, &r->stopped, &r->rules};
		for (int i = 0; i < 3; i++) {
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

static void unsupported(struct result *r, struct backend *b)
{
	const struct scen_def *d = r->def;
	struct backend *c = &b[r->client], *s = &b[r->server];
	uint64_t mc = d->solo == TLSH_ROLE_SERVER ? 0 : d->need_client & ~c->caps;
	uint64_t ms = d->solo == TLSH_ROLE_CLIENT ? 0 : d->need_server & ~s->caps;
	r->raw = r->verdict = V_UNSUPPORTED;
	r->expected = xstrdup("");
	r->observed = xasprintf("capability not declared:%s%s%s%s", mc ? " client " : "",
	                        mc ? c->name : "", ms ? " server " : "", ms ? s->name : "");
	char caps[256] = "";
	size_t off = 0;
	static const char *names[] = {
	        "TLS12",         "TLS13",      "CLIENT_AUTH", "CIPHERS_TLS12", "CIPHERS_TLS13",
	        "ALPN",          "SNI_CHAINS", "PEERCERT",    "TRANSPORT_EOF", "SOURCE_PATH",
	        "SOURCE_BUFFER", "INSECURE",   "RSA",         "ECDSA",         "SHUTDOWN"};
	for (int i = 0; i < 15; i++)
		if ((mc | ms) & (1ull << i))
			off += (size_t)snprintf(caps + off, sizeof caps - off, "%s%s",
			                        off ? "," : "", names[i]);
	r->detail = xasprintf("missing: %s", caps);
	r->alerts[0] = r->alerts[1] = r->alerts[2] = r->alerts[3] = TLSH_NO_ALERT;
}

static char *transcript_rel(const struct result *r, struct backend *b)
{
	char *name = xasprintf("transcripts/%s--%s/%s.tlstr", b[r->client].name, b[r->server].name,
	                       r->def->id);
	for (char *p = name + strlen("transcripts/"); *p; p++)
		if (*p == '/' && p > strchr(name + strlen("transcripts/"), '/'))
			*p = '_';
	return name;
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

size_t engine_run(struct backend *b, size_t nb, const struct pair *pairs, size_t npairs,
                  char **filters, size_t nfilters, const struct run_opts *o, struct result **out)
{
	size_t ndefs;
	const struct scen_def *defs = scen_all(&ndefs);
	size_t total = 0;
	struct result *res = xcalloc((npairs + 2 * nb) * ndefs + 1, sizeof *res);
	for (size_t p = 0; p < npairs; p++) {
		for (size_t i = 0; i < ndefs; i++) {
			if (defs[i].row->puppet)
				continue;
			total += plan_one(&res[total], &defs[i], pairs[p].client, pairs[p].server,
			                  b, filters, nfilters, o);
		}
	}
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
			total += plan_one(&res[total], d, client ? (int)u : o->puppet,
			                  client ? o->puppet : (int)u, b, filters, nfilters, o);
		}
	}
	if (o->results_view) {
		*o->results_view = res;
		*o->total_view = total;
	}
	if (o->out_dir) {
		for (size_t i = 0; i < total; i++) {
			if (i && res[i].client == res[i - 1].client &&
			    res[i].server == res[i - 1].server)
				continue;
			char *dir = xasprintf("%s/transcripts/%s--%s", o->out_dir,
			                      b[res[i].client].name, b[res[i].server].name);
			mkdir_p(dir);
			free(dir);
		}
	}
	int jobs = o->jobs > 0 ? o->jobs : 1;
	struct slot *slots = xcalloc((size_t)jobs, sizeof *slots);
	for (int i = 0; i < jobs; i++)
		slots[i].pid = 0;
	size_t next = 0, done = 0;
	int running = 0;
	while ((next < total || running) && !(o->interrupted && *o->interrupted && !running)) {
		/* Start work. */
		while (running < jobs && next < total && !(o->interrupted && *o->interrupted)) {
			struct result *r = &res[next];
			const struct scen_def *d = r->def;
			struct backend *c = &b[r->client], *s = &b[r->server];
			uint64_t mc = d->solo == TLSH_ROLE_SERVER ? 0 : d->need_client & ~c->caps;
			uint64_t ms = d->solo == TLSH_ROLE_CLIENT ? 0 : d->need_server & ~s->caps;
			if (mc || ms) {
				unsupported(r, b);
				next++;
				done++;
				if (o->on_result)
					o->on_result(r, done, total, o->arg);
				continue;
			}
			int pfd[2], efd[2];
			if (pipe2(pfd, O_CLOEXEC) != 0 || pipe2(efd, O_CLOEXEC) != 0) {
				perror("tlsharness: pipe");
				exit(2);
			}
			char *rel = transcript_rel(r, b);
			char *abs = o->out_dir ? xasprintf("%s/%s", o->out_dir, rel) : NULL;
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				perror("tlsharness: fork");
				exit(2);
			}
			if (pid == 0) {
				close(pfd[0]);
				close(efd[0]);
				dup2(efd[1], 2);
				int devnull = open("/dev/null", O_RDWR);
				if (devnull >= 0)
					dup2(devnull, 1);
				run_child(d, c, s, o, pfd[1], abs);
				_exit(0);
			}
			free(abs);
			free(rel);
			close(pfd[1]);
			close(efd[1]);
			setpgid(pid, pid);
			int k = 0;
			while (slots[k].pid)
				k++;
			slots[k] = (struct slot){.pid = pid,
			                         .fd = pfd[0],
			                         .efd = efd[0],
			                         .job = next,
			                         .start = now_ms()};
			running++;
			next++;
		}
		if (!running)
			continue;
		/* Wait for output, completion or a deadline. */
		struct pollfd pfds[64];
		int map[64], nfds = 0;
		double nearest = 1e18;
		for (int i = 0; i < jobs && nfds < 62; i++) {
			if (!slots[i].pid)
				continue;
			if (slots[i].fd >= 0) {
				pfds[nfds] = (struct pollfd){.fd = slots[i].fd, .events = POLLIN};
				map[nfds++] = i;
			}
			if (slots[i].efd >= 0) {
				pfds[nfds] = (struct pollfd){.fd = slots[i].efd, .events = POLLIN};
				map[nfds++] = i;
			}
			double dl = slots[i].start + o->timeout_s * 1000;
			if (dl < nearest)
				nearest = dl;
		}
		int wait_ms = (int)(nearest - now_ms());
		if (wait_ms < 0)
			wait_ms = 0;
		if (wait_ms > 200)
			wait_ms = 200;
		int pr = poll(pfds, (nfds_t)nfds, wait_ms);
		if (pr < 0 && errno != EINTR) {
			perror("tlsharness: poll");
			exit(2);
		}
		for (int i = 0; pr > 0 && i < nfds; i++) {
			if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct slot *sl = &slots[map[i]];
			int is_err = pfds[i].fd == sl->efd;
			char buf[65536];
			ssize_t n = read(pfds[i].fd, buf, sizeof buf);
			if (n > 0) {
				struct bytes *dst = is_err ? &sl->err : &sl->out;
				if (!is_err || dst->len < 256 * 1024)
					bytes_append(dst, buf, (size_t)n);
			} else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				close(pfds[i].fd);
				if (is_err)
					sl->efd = -1;
				else
					sl->fd = -1;
			}
		}
		double t = now_ms();
		for (int i = 0; i < jobs; i++) {
			struct slot *sl = &slots[i];
			if (!sl->pid)
				continue;
			int interrupted = o->interrupted && *o->interrupted;
			if (!sl->killed && (t - sl->start > o->timeout_s * 1000 || interrupted)) {
				kill(-sl->pid, SIGKILL);
				kill(sl->pid, SIGKILL);
				sl->killed = interrupted ? 2 : 1;
			}
			if (sl->fd >= 0 || sl->efd >= 0) {
				if (!sl->killed)
					continue;
				if (sl->fd >= 0)
					close(sl->fd);
				if (sl->efd >= 0)
					close(sl->efd);
				sl->fd = sl->efd = -1;
			}
			int status = 0;
			pid_t w = waitpid(sl->pid, &status, sl->killed ? 0 : WNOHANG);
			if (w == 0)
				continue;
			kill(-sl->pid, SIGKILL); /* stray hosts of this scenario */
			struct result *r = &res[sl->job];
			char *rel = transcript_rel(r, b);
			finalize(r, sl, status, rel);
			free(rel);
			if (sl->killed == 2) {
				free(r->observed);
				r->observed = xstrdup("interrupted before the scenario finished");
				r->raw = V_HARNESS_ERROR;
			}
			apply_expectations(r, b, o);
			bytes_free(&sl->out);
			bytes_free(&sl->err);
			sl->pid = 0;
			running--;
			done++;
			if (o->on_result)
				o->on_result(r, done, total, o->arg);
		}
	}
	free(slots);
	/* Unfinished results (interrupted): drop them from the list. */
	size_t kept = 0;
	for (size_t i = 0; i < total; i++) {
		if (!res[i].expected && !res[i].observed)
			continue;
		if (kept != i)
			res[kept] = res[i];
		kept++;
	}
	*out = res;
	return kept;
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
