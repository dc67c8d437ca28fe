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
#include <stdint.h>
#include <sys/types.h>

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

/* A proxy over an already connected socket whose other end a warm host's
 * child serves (remote_serve). The host is not our child: how it ended
 * comes from the death notice the warm host writes. */
int remote_attach(int fd, const char *spec, struct impl_handle *out, char *err, size_t errcap);

/* Serves descriptor calls on fd with an adapter loaded in this process
 * (NULL: `load_err` says why it is not); never returns. */
void remote_serve(int fd, const struct impl_handle *ih, const char *load_err)
        __attribute__((noreturn));

/* Sends the process_incoming calls every proxy of this process deferred
 * (call before a result is final: a crash there is that scenario's). */
void remote_sync(void);

/* ---- warm hosts -------------------------------------------------------------
 * A warm host is forked from the harness (before it loads any adapter),
 * loads one adapter once and forks a fresh child per request. The harness
 * talks to it over a SOCK_SEQPACKET socket: requests carry descriptors,
 * events tell when a child started and how it ended (the host reaps). */

enum warm_kind {
	WARM_RUN = 1, /* fds: stderr, then what `run` expects */
	WARM_SERVE,   /* fds: stderr, socket to serve (remote_serve) */
};

enum warm_event_kind {
	WARM_READY = 1, /* status: adapter loaded (1) or not (0, text says why);
	                 * level: 0 (children call the entry point), 1 (entry point
	                 * called), 2 (and `prep` ran) */
	WARM_STARTED,   /* pid of the job's child */
	WARM_EXITED,    /* pid and wait status of the job's child (pid 0: not started) */
};

struct warm_event {
	enum warm_event_kind kind;
	uint32_t job;
	pid_t pid;
	int status, level;
	char text[480];
};

/* Runs job `job` in a fresh child of a warm host; `ih` is the host's adapter
 * (NULL: load_err). fds are those of the request after stderr. Must not
 * return. */
typedef void (*warm_run_fn)(uint32_t job, const int *fds, int nfds, struct impl_handle *ih,
                            const char *load_err);
/* Warms an adapter up in the host: `deep` 0 creates and frees contexts, 1
 * also runs a handshake. The host runs `deep` 1 only after a trial in a
 * child of its own ended well and left no other thread behind (a library
 * that starts a worker pool on its first handshake would leave children
 * waiting for threads fork() did not copy). */
typedef void (*warm_prepare_fn)(const struct impl_handle *ih, int deep);

/* Forks a warm host for `spec` that initialises up to `level` (see
 * WARM_READY). Returns its pid with the control socket and the read end of
 * its stderr (non-blocking) in *ctl / *errfd, or -1 with err set. */
pid_t warm_spawn(const char *spec, int level, warm_run_fn run, warm_prepare_fn prep, int *ctl,
                 int *errfd, char *err, size_t errcap);
/* Sends a request with its descriptors (kept open here: close them after).
 * `deadline_s`: the child's own limit (SIGALRM), 0 for none. */
int warm_send(int ctl, enum warm_kind kind, uint32_t job, unsigned deadline_s, const int *fds,
              int nfds);
/* Reads one event: 1, or 0 when the host is gone, -1 on a bad message. */
int warm_recv(int ctl, struct warm_event *ev);

#endif
