/* sock.c - `tlsharness serve` and `tlsharness connect`: a socket front-end
 * over any descriptor, the equivalent of PEP 748's TLSSocket built on
 * TLSBuffer, with the same configuration options as scenarios.
 *
 * Design. One process, one thread, one poll()-driven event loop over
 * non-blocking sockets. The library context is built ONCE at start from the
 * options (ep_open_context); every connection gets its own TLS buffer from it
 * (ep_open_buffer) and its own state machine (struct conn):
 *
 *   CONNECTING (client) -> HANDSHAKE -> TALK -> CLOSING -> LINGER -> done
 *                           \---- TLS error, peer gone, time limit ----/
 *
 *  - TALK: with --send TEXT the text is written first (in records of at most
 *    --split bytes) and the reply read until as many bytes came back (or the
 *    stream ended); with --echo every byte read is written back as it comes,
 *    until the peer's close_notify or the transport's end. Echo is a byte
 *    stream: each piece of plaintext read is written back before the next
 *    read, and nothing depends on how the peer cut its data into records (a
 *    reader of the echo, --send included, reads until it has what it wants).
 *  - CLOSING: PEP 748 shutdown, close_notify sent and the peer's awaited.
 *  - LINGER, the orderly TCP close, after success and failure alike:
 *    everything queued for the peer (a fatal alert included) is sent, then
 *    shutdown(SHUT_WR) sends FIN, then the peer's remaining input is read and
 *    dropped until its EOF (or for at most LINGER_MS), then close(). Closing
 *    with unread input would make the kernel answer with a RST, and the peer
 *    could lose the alert.
 *
 * Time limits are per connection (--timeout): the handshake must end within
 * it, and after the handshake a connection may stay idle (no byte either way)
 * for at most that long. A stalled peer costs a slot, never the others' time.
 * At most MAX_ACTIVE connections are open at once; further clients wait in
 * the listen backlog. serve runs until --max-connections connections are done
 * or until SIGTERM/SIGINT (then it stops accepting, closes the open
 * connections in order within STOP_MS, and exits). connect makes --count
 * connections, --parallel at a time, reusing its one context.
 *
 * Output: key=value lines, each prefixed with the side and the connection's
 * number ("server.3.version=1.3"), so that scripts can check them against the
 * peer's view; text from the peer or the library is escaped (\n, \xHH) so
 * that a line stays a line. Every connection ends with a "result=" line and a
 * "ms=" line; the process ends with a "connections=" summary. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "util.h"

#ifndef TLSH_PKI_DIR
#define TLSH_PKI_DIR "harness/pki"
#endif

int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);

enum {
	MAX_ACTIVE = 256,      /* connections open at once */
	LINGER_MS = 1000,      /* at most this long draining the peer's input after FIN */
	STOP_MS = 2000,        /* after SIGTERM/SIGINT, open connections get this long */
	IN_HIGH = 64 * 1024,   /* stop reading the socket above this much unread input */
	OUT_HIGH = 256 * 1024, /* stop reading plaintext above this much unsent output */
	RECORD_ROOM = 16384 + 2048,
};

struct sock_opts {
	const char *impl;
	enum tlsh_version lo, hi;
	const char *alpn;
	const char *cert, *key, *chain, *trust;
	const char *servername;
	const char *send;
	size_t send_len;
	long split;
	int insecure;
	long timeout_s;
	long port;
	const char *host;
	int echo;
	long max_conns; /* serve: 0 = until a signal */
	long count;     /* connect */
	long parallel;  /* connect */
};

enum phase { P_CONNECTING, P_HANDSHAKE, P_TALK, P_CLOSING, P_LINGER, P_DONE };

struct conn {
	struct conn *next;
	unsigned id;
	int fd;
	enum phase phase;
	struct endpoint ep;
	const char *who; /* "server" or "client" */
	struct bytes in; /* from the socket, not yet taken by the TLS buffer */
	struct bytes out;
	size_t out_off;    /* out[out_off..] is still to be sent */
	struct bytes echo; /* plaintext read, not yet written back */
	size_t echo_off;
	struct bytes reply; /* --send: the peer's answer so far */
	size_t send_off;    /* --send: bytes of the text written */
	size_t echoed;
	int replied;   /* --send: the answer is complete (or the stream ended) */
	int opened;    /* the TCP connection was established */
	int rd_eof;    /* the socket's EOF was read */
	int eof_given; /* ... and handed to the TLS buffer */
	int reset;     /* the connection was reset (or another socket error) */
	int sock_err;  /* its errno */
	int fin_sent;
	int failed;
	int echo_failed;
	int linger_timed_out;
	int moved; /* something happened in this pass */
	double t0, deadline;
};

struct loop {
	const struct sock_opts *o;
	int role;
	struct endpoint owner; /* holds the context */
	struct conn *conns;
	unsigned active;
	int listen_fd;
	struct addrinfo *target; /* connect */
	const char *hostname;
	unsigned started, done, ok;
	unsigned limit; /* connections to accept or make; 0: no limit */
	int stopping;
	double stop_at;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A problem with the options or the setup, before any connection: exit 2. */
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "tlsharness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void sock_violation(const char *msg)
{
	fprintf(stderr, "tlsharness: adapter broke the ABI: %s\n", msg);
	exit(1);
}

/* ---- output ------------------------------------------------------------- */

static void put_escaped(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch == '\\')
			fputs("\\\\", stdout);
		else if (ch < 32 || ch >= 127)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static void say(const struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s.%u.", c->who, c->id);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void say_text(const struct conn *c, const char *key, const void *p, size_t n)
{
	printf("%s.%u.%s=", c->who, c->id, key);
	put_escaped(p, n);
	putchar('\n');
}

static void say_error(struct conn *c, const char *what)
{
	say(c, "%s=failed", what);
	say_text(c, "error", c->ep.err.message, strlen(c->ep.err.message));
	say(c, "alert_sent=%d", c->ep.err.alert_sent);
	say(c, "alert_received=%d", c->ep.err.alert_received);
}

static void say_session(struct conn *c)
{
	const uint8_t *p;
	size_t n;
	say(c, "version=%s", version_name(ep_version(&c->ep)));
	say(c, "cipher=0x%04x", ep_cipher(&c->ep));
	if (ep_alpn(&c->ep, &p, &n))
		say_text(c, "alpn", p, n);
	else
		say(c, "alpn=none");
	if (ep_peercert(&c->ep, &p, &n))
		say(c, "peercert_bytes=%zu", n);
}

/* ---- moving bytes ------------------------------------------------------- */

static void set_deadline(struct conn *c, double ms)
{
	c->deadline = now_ms() + ms;
}

/* Everything the TLS buffer has for the network, into the output queue. */
static void drain_tls(struct conn *c)
{
	uint8_t buf[RECORD_ROOM];
	for (;;) {
		size_t n = 0;
		ep_outgoing(&c->ep, buf, sizeof buf, &n);
		if (!n)
			return;
		bytes_append(&c->out, buf, n);
		c->moved = 1;
	}
}

/* Sends what the socket takes now. */
static void flush_sock(struct conn *c)
{
	while (c->out_off < c->out.len && !c->reset) {
		ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
		                 MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) { /* EPIPE, ECONNRESET: the peer is gone */
			c->reset = 1;
			c->sock_err = w < 0 ? errno : EPIPE;
			c->rd_eof = 1;
			c->moved = 1;
			break;
		}
		c->out_off += (size_t)w;
		c->moved = 1;
	}
	if (c->out_off == c->out.len || c->reset) {
		bytes_reset(&c->out);
		c->out_off = 0;
	}
}

/* Reads what the socket has now (up to IN_HIGH held); in LINGER it is dropped. */
static void fill_sock(struct conn *c)
{
	uint8_t buf[16384];
	while (!c->rd_eof && !c->reset && c->in.len < IN_HIGH) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->moved = 1;
		if (n < 0) {
			c->reset = 1;
			c->sock_err = errno;
			c->rd_eof = 1;
			return;
		}
		if (n == 0) {
			c->rd_eof = 1;
			return;
		}
		if (c->phase != P_LINGER)
			bytes_append(&c->in, buf, (size_t)n);
	}
}

/* Offers the held input to the TLS buffer (a full buffer takes less: halve
 * until it takes some), then the transport's end once all input is in. */
static void feed_tls(struct conn *c)
{
	size_t off = 0;
	while (off < c->in.len) {
		size_t n = c->in.len - off;
		int st = ep_incoming(&c->ep, c->in.data + off, n);
		while (st == TLSH_WANT_READ && n > 1) {
			n /= 2;
			st = ep_incoming(&c->ep, c->in.data + off, n);
		}
		if (st != TLSH_OK)
			break; /* full (the next call makes room) or failed (it says so) */
		off += n;
	}
	if (off) {
		memmove(c->in.data, c->in.data + off, c->in.len - off);
		c->in.len -= off;
		c->moved = 1;
	}
	if (c->rd_eof && !c->in.len && !c->eof_given) {
		c->eof_given = 1;
		ep_incoming_eof(&c->ep); /* -1 when the adapter has no notion of it */
		c->moved = 1;
	}
}

/* All input is in the TLS buffer and no more will come, or the connection
 * was reset (nothing more comes or goes). */
static int transport_over(const struct conn *c)
{
	return c->eof_given || c->reset;
}

/* ---- the phases --------------------------------------------------------- */

static void go_linger(struct conn *c)
{
	c->phase = P_LINGER;
	c->moved = 1;
	bytes_reset(&c->in);
	set_deadline(c, LINGER_MS);
}

static void go_closing(struct loop *l, struct conn *c)
{
	c->phase = P_CLOSING;
	c->moved = 1;
	set_deadline(c, (double)l->o->timeout_s * 1000);
}

static void step_handshake(struct loop *l, struct conn *c)
{
	int st = ep_handshake(&c->ep);
	if (st == TLSH_OK) {
		say(c, "handshake=ok");
		say_session(c);
		c->phase = P_TALK;
		c->moved = 1;
		set_deadline(c, (double)l->o->timeout_s * 1000);
		return;
	}
	if (st == TLSH_TLS_ERROR) {
		say_error(c, "handshake");
		c->failed = 1;
		go_linger(c);
		return;
	}
	if (transport_over(c)) {
		if (!c->ep.err.message[0])
			fmt_into(c->ep.err.message, sizeof c->ep.err.message,
			         "the peer closed the connection during the handshake");
		say_error(c, "handshake");
		c->failed = 1;
		go_linger(c);
	}
}

static void stream_ended(struct loop *l, struct conn *c, int st)
{
	const struct sock_opts *o = l->o;
	if (o->send && !c->replied) {
		if (c->reply.len)
			say_text(c, "received", c->reply.data, c->reply.len);
		else
			say(c, "received_status=%s", status_name(st));
		c->replied = 1; /* as far as it goes */
	}
	say(c, "end=%s", status_name(st));
	if (st == TLSH_CLOSED)
		say(c, "close_notify=received");
	if (o->echo)
		say(c, "echoed_bytes=%zu", c->echoed);
	if (st == TLSH_TLS_ERROR) {
		say_error(c, "read");
		c->failed = 1;
		go_linger(c);
		return;
	}
	go_closing(l, c);
}

/* After WANT_WRITE: drains the TLS buffer's output; 1 if that made room. */
static int made_room(struct conn *c)
{
	size_t before = c->out.len;
	drain_tls(c);
	return c->out.len != before;
}

/* Writes what waits in the echo queue; a refusal drops it and is reported
 * (the peer may have sent close_notify right behind its data, and some
 * libraries refuse to write then): the end is still read. */
static void write_echo(struct conn *c)
{
	while (c->echo_off < c->echo.len && c->out.len - c->out_off < OUT_HIGH) {
		size_t k = 0;
		int st =
		        ep_write(&c->ep, c->echo.data + c->echo_off, c->echo.len - c->echo_off, &k);
		if (st == TLSH_OK) {
			c->echo_off += k;
			c->echoed += k;
			c->moved = 1;
			drain_tls(c);
			continue;
		}
		if (st == TLSH_WANT_WRITE && made_room(c))
			continue;
		if (st == TLSH_WANT_READ || st == TLSH_WANT_WRITE)
			return;
		if (!c->echo_failed)
			say(c, "echo=failed");
		c->echo_failed = 1;
		c->echo_off = c->echo.len;
	}
	if (c->echo_off == c->echo.len) {
		bytes_reset(&c->echo);
		c->echo_off = 0;
	}
}

/* --send: the text, in records of at most --split bytes. Returns 1 when all
 * of it is written, 0 while waiting, -1 on an error (reported). */
static int write_text(struct loop *l, struct conn *c)
{
	const struct sock_opts *o = l->o;
	while (c->send_off < o->send_len) {
		size_t n = o->send_len - c->send_off;
		if (o->split && n > (size_t)o->split)
			n = (size_t)o->split;
		size_t k = 0;
		int st = ep_write(&c->ep, (const uint8_t *)o->send + c->send_off, n, &k);
		if (st == TLSH_OK) {
			c->send_off += k;
			c->moved = 1;
			drain_tls(c);
			if (o->split)
				flush_sock(c); /* one record, one send */
			continue;
		}
		if (st == TLSH_WANT_WRITE && made_room(c))
			continue;
		if (st == TLSH_WANT_READ || st == TLSH_WANT_WRITE)
			return 0;
		say_error(c, "write");
		c->failed = 1;
		go_linger(c);
		return -1;
	}
	return 1;
}

static void step_talk(struct loop *l, struct conn *c)
{
	const struct sock_opts *o = l->o;
	if (o->send && write_text(l, c) <= 0)
		return;
	int want_reply = o->send && !c->replied;
	if (!want_reply && !o->echo) {
		go_closing(l, c);
		return;
	}
	uint8_t buf[16384];
	for (;;) {
		if (c->out.len - c->out_off >= OUT_HIGH || c->echo.len >= OUT_HIGH)
			break; /* the peer is slow to read: wait */
		size_t n = 0;
		int st = ep_read(&c->ep, buf, sizeof buf, &n);
		if (st == TLSH_OK) {
			c->moved = 1;
			if (want_reply) {
				size_t need = o->send_len - c->reply.len,
				       take = n < need ? n : need;
				bytes_append(&c->reply, buf, take);
				if (c->reply.len == o->send_len) {
					say_text(c, "received", c->reply.data, c->reply.len);
					c->replied = 1;
					want_reply = 0;
				}
				if (!o->echo) {
					if (!want_reply)
						break;
					continue;
				}
				memmove(buf, buf + take, n - take);
				n -= take;
			}
			/* Back at once, before the next read: a peer may send
			 * close_notify right behind its data, and some libraries
			 * refuse to write once they have read it. */
			bytes_append(&c->echo, buf, n);
			write_echo(c);
			continue;
		}
		if (st == TLSH_WANT_WRITE && made_room(c))
			continue;
		if (st == TLSH_WANT_WRITE)
			break;
		if (st == TLSH_WANT_READ) {
			if (transport_over(c)) {
				/* An adapter without transport EOF: the end is ragged. */
				write_echo(c);
				stream_ended(l, c, TLSH_RAGGED_EOF);
				return;
			}
			break;
		}
		write_echo(c);
		stream_ended(l, c, st);
		return;
	}
	write_echo(c);
	if (o->send && !o->echo && !want_reply)
		go_closing(l, c);
}

static void step_closing(struct conn *c)
{
	int st = ep_shutdown(&c->ep);
	if (st == TLSH_OK) {
		say(c, "shutdown=clean");
		go_linger(c);
	} else if (st == TLSH_TLS_ERROR || transport_over(c)) {
		say(c, "shutdown=%s",
		    st == TLSH_TLS_ERROR && !c->rd_eof ? "error" : "peer-did-not-answer");
		go_linger(c);
	}
}

/* After everything queued is sent: FIN, then the rest of the peer's input is
 * read and dropped until its EOF. */
static void step_linger(struct conn *c)
{
	if (c->out_off < c->out.len && !c->reset)
		return;
	if (!c->fin_sent) {
		shutdown(c->fd, SHUT_WR);
		c->fin_sent = 1;
		c->moved = 1;
	}
	if (c->rd_eof || c->reset) {
		c->phase = P_DONE;
		c->moved = 1;
	}
}

static void conn_finish(struct loop *l, struct conn *c)
{
	if (c->opened)
		say(c, "tcp_end=%s",
		    !c->reset                   ? (c->linger_timed_out ? "linger-timeout" : "eof")
		    : c->sock_err == ECONNRESET ? "reset"
		                                : strerror(c->sock_err));
	say(c, "result=%s", c->failed ? "failed" : "ok");
	say(c, "ms=%.1f", now_ms() - c->t0);
	ep_close(&c->ep);
	close(c->fd);
	bytes_free(&c->in);
	bytes_free(&c->out);
	bytes_free(&c->echo);
	bytes_free(&c->reply);
	l->done++;
	l->ok += !c->failed;
	l->active--;
}

/* Runs a connection until nothing moves; returns 1 when it is done. */
static int conn_run(struct loop *l, struct conn *c)
{
	for (int pass = 0; pass < 10000; pass++) {
		c->moved = 0;
		if (c->phase == P_CONNECTING) {
			int err = 0;
			socklen_t el = sizeof err;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			if (err == 0 && poll(&p, 1, 0) == 1 && !(p.revents & (POLLERR | POLLHUP))) {
				c->phase = P_HANDSHAKE;
				c->opened = 1;
				c->moved = 1;
			} else if (err != 0 || (p.revents & (POLLERR | POLLHUP))) {
				say(c, "connect=failed");
				say_text(c, "error", strerror(err ? err : ECONNREFUSED),
				         strlen(strerror(err ? err : ECONNREFUSED)));
				c->failed = 1;
				c->phase = P_DONE;
			}
		}
		if (c->phase >= P_HANDSHAKE && c->phase <= P_LINGER)
			fill_sock(c);
		if (c->phase >= P_HANDSHAKE && c->phase < P_LINGER)
			feed_tls(c);
		switch (c->phase) {
		case P_HANDSHAKE:
			step_handshake(l, c);
			break;
		case P_TALK:
			step_talk(l, c);
			break;
		case P_CLOSING:
			step_closing(c);
			break;
		default:
			break;
		}
		if (c->phase >= P_HANDSHAKE && c->phase <= P_LINGER) {
			drain_tls(c);
			flush_sock(c);
		}
		if (c->phase == P_LINGER)
			step_linger(c);
		if (c->phase == P_DONE) {
			conn_finish(l, c);
			return 1;
		}
		if (!c->moved)
			return 0;
		if (c->phase == P_TALK || c->phase == P_CLOSING) /* idle time counts from here */
			set_deadline(c, (double)l->o->timeout_s * 1000);
	}
	return 0;
}

/* A time limit passed. */
static void conn_expire(struct loop *l, struct conn *c)
{
	static const char *const names[] = {"connect", "handshake", "talk", "closing", "linger"};
	if (c->phase == P_LINGER) {
		c->linger_timed_out = 1;
		c->phase = P_DONE;
		return;
	}
	say(c, "timeout=%s", names[c->phase]);
	if (c->phase == P_CLOSING) {
		say(c, "shutdown=peer-did-not-answer");
	} else {
		c->failed = 1;
		if (c->phase == P_TALK && l->o->send && !c->replied && c->reply.len)
			say_text(c, "received", c->reply.data, c->reply.len);
		if (c->phase == P_TALK && l->o->echo)
			say(c, "echoed_bytes=%zu", c->echoed);
	}
	if (c->phase == P_CONNECTING)
		c->phase = P_DONE;
	else
		go_linger(c);
}

/* ---- connections -------------------------------------------------------- */

static struct conn *conn_new(struct loop *l, int fd)
{
	struct conn *c = xcalloc(1, sizeof *c);
	c->id = ++l->started;
	c->fd = fd;
	c->who = l->role == TLSH_ROLE_SERVER ? "server" : "client";
	c->t0 = now_ms();
	set_deadline(c, (double)l->o->timeout_s * 1000);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (ep_open_buffer(&c->ep, &l->owner, l->hostname) != TLSH_OK) {
		say_error(c, "buffer");
		c->failed = 1;
		c->phase = P_LINGER;
		set_deadline(c, LINGER_MS);
	} else {
		c->phase = P_HANDSHAKE;
		c->opened = 1;
	}
	c->next = l->conns;
	l->conns = c;
	l->active++;
	return c;
}

static void accept_some(struct loop *l)
{
	while (l->listen_fd >= 0 && l->active < MAX_ACTIVE) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof sa;
		int fd = accept4(l->listen_fd, (struct sockaddr *)&sa, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or an aborted connection: poll again */
		struct conn *c = conn_new(l, fd);
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		if (getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, serv, sizeof serv,
		                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			say(c, "peer=%s:%s", host, serv);
		if (l->limit && l->started >= l->limit) {
			close(l->listen_fd); /* later clients are refused, not kept waiting */
			l->listen_fd = -1;
		}
	}
}

static void connect_one(struct loop *l)
{
	int fd = socket(l->target->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	struct conn *c = conn_new(l, fd);
	if (c->phase != P_HANDSHAKE)
		return;
	if (connect(fd, l->target->ai_addr, l->target->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			int e = errno;
			say(c, "connect=failed");
			say_text(c, "error", strerror(e), strlen(strerror(e)));
			c->failed = 1;
			c->opened = 0;
			c->phase = P_DONE;
			return;
		}
		c->phase = P_CONNECTING;
		c->opened = 0;
	}
}

static void begin_stop(struct loop *l)
{
	l->stopping = 1;
	l->stop_at = now_ms() + STOP_MS;
	printf("stopping=%s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	if (l->listen_fd >= 0) {
		close(l->listen_fd);
		l->listen_fd = -1;
	}
	for (struct conn *c = l->conns; c; c = c->next) {
		if (c->phase == P_TALK) {
			go_closing(l, c);
		} else if (c->phase == P_HANDSHAKE || c->phase == P_CONNECTING) {
			say(c, "stopped=%s", c->phase == P_HANDSHAKE ? "handshake" : "connect");
			c->failed = 1;
			if (c->phase == P_HANDSHAKE)
				go_linger(c);
			else
				c->phase = P_DONE;
		}
		if (c->deadline > l->stop_at)
			c->deadline = l->stop_at;
	}
}

/* The event loop, until every connection to make or accept is done (or a
 * signal stopped it and the open ones are closed). */
static void run_loop(struct loop *l)
{
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct pollfd *pf = xcalloc(MAX_ACTIVE + 1, sizeof *pf);
	for (;;) {
		if (stop_signal && !l->stopping)
			begin_stop(l);
		if (l->role == TLSH_ROLE_CLIENT && !l->stopping)
			while (l->started < l->limit && l->active < (unsigned)l->o->parallel)
				connect_one(l);
		/* Run the new and the expired, drop the finished. */
		double now = now_ms();
		for (struct conn **pp = &l->conns; *pp;) {
			struct conn *c = *pp;
			if (c->deadline <= now)
				conn_expire(l, c);
			if (conn_run(l, c)) {
				*pp = c->next;
				free(c);
				continue;
			}
			pp = &c->next;
		}
		int more = l->role == TLSH_ROLE_SERVER ? l->listen_fd >= 0
		                                       : !l->stopping && l->started < l->limit;
		if (!more && !l->conns)
			break;
		if (l->role == TLSH_ROLE_CLIENT && more && l->active < (unsigned)l->o->parallel)
			continue;

		nfds_t n = 0;
		double next = l->stopping ? l->stop_at : now + 60000;
		if (l->listen_fd >= 0 && l->active < MAX_ACTIVE)
			pf[n++] = (struct pollfd){.fd = l->listen_fd, .events = POLLIN};
		for (struct conn *c = l->conns; c; c = c->next) {
			short ev = 0;
			if (c->phase == P_CONNECTING || c->out_off < c->out.len)
				ev |= POLLOUT;
			if (c->phase >= P_HANDSHAKE && !c->rd_eof && c->in.len < IN_HIGH)
				ev |= POLLIN;
			if (c->deadline < next)
				next = c->deadline;
			/* Nothing to wait for but the deadline: left out of the poll,
			 * where an error or a hang-up would wake it again and again. */
			pf[n++] = (struct pollfd){.fd = ev ? c->fd : -1, .events = ev};
		}
		double wait = next - now_ms();
		struct timespec ts = {0, 0};
		if (wait > 0) {
			ts.tv_sec = (time_t)(wait / 1000);
			ts.tv_nsec = (long)((wait - (double)ts.tv_sec * 1000) * 1e6);
		}
		fflush(stdout); /* before sleeping: scripts watch the lines */
		int r = ppoll(pf, n, &ts, &orig);
		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (l->stopping && now_ms() >= l->stop_at) {
			for (struct conn *c = l->conns; c; c = c->next)
				if (c->deadline > l->stop_at)
					c->deadline = l->stop_at;
		}
		if (r > 0 && l->listen_fd >= 0 && pf[0].fd == l->listen_fd && pf[0].revents)
			accept_some(l);
	}
	fflush(stdout);
	free(pf);
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* ---- options and configuration ----------------------------------------- */

static enum tlsh_version parse_version(const char *s)
{
	if (!strcmp(s, "1.2"))
		return TLSH_TLS_1_2;
	if (!strcmp(s, "1.3"))
		return TLSH_TLS_1_3;
	if (!strcmp(s, "min") || !strcmp(s, "MIN"))
		return TLSH_VERSION_MINIMUM_SUPPORTED;
	if (!strcmp(s, "max") || !strcmp(s, "MAX"))
		return TLSH_VERSION_MAXIMUM_SUPPORTED;
	die("a version is 1.2, 1.3, min or max, not '%s'", s);
}

static long parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die("%s takes a number in %ld..%ld, not '%s'", opt, lo, hi, s);
	return v;
}

static struct tlsh_source file_source(const char *path)
{
	struct bytes *b = xcalloc(1, sizeof *b);
	if (read_file(path, b) != 0)
		die("cannot read %s: %s", path, strerror(errno));
	return (struct tlsh_source){.kind = TLSH_SOURCE_BUFFER, .data = b->data, .len = b->len};
}

/* Builds the configuration from the options. Storage lives for the process. */
static struct tlsh_config build_config(const struct sock_opts *o, enum tlsh_role role)
{
	struct tlsh_config c = {.struct_size = sizeof c};
	c.lowest_supported_version = o->lo;
	c.highest_supported_version = o->hi;
	if (o->alpn && *o->alpn) {
		char *list = xstrdup(o->alpn), *save = NULL;
		struct tlsh_bytes *v = xcalloc(32, sizeof *v);
		size_t n = 0;
		for (char *t = strtok_r(list, ",", &save); t && n < 32;
		     t = strtok_r(NULL, ",", &save))
			v[n++] = (struct tlsh_bytes){(const uint8_t *)t, strlen(t)};
		c.inner_protocols = v;
		c.inner_protocols_len = n;
	}
	const char *cert = o->cert, *key = o->key, *chain = o->chain;
	if (role == TLSH_ROLE_SERVER && !cert) {
		cert = TLSH_PKI_DIR "/rsa-server.pem";
		key = TLSH_PKI_DIR "/rsa-server.key";
		chain = TLSH_PKI_DIR "/rsa-int.pem";
	}
	if (cert) {
		if (!key)
			die("--cert needs --key");
		struct tlsh_signing_chain *sc = xcalloc(1, sizeof *sc);
		sc->leaf = file_source(cert);
		sc->key = file_source(key);
		if (chain) {
			struct tlsh_source *inter = xcalloc(1, sizeof *inter);
			*inter = file_source(chain);
			sc->chain = inter;
			sc->chain_len = 1;
		}
		c.certificate_chains = sc;
		c.certificate_chains_len = 1;
	}
	const char *trust = o->trust;
	if (role == TLSH_ROLE_CLIENT && !trust)
		trust = TLSH_PKI_DIR "/rsa-ca.pem";
	if (trust) {
		struct tlsh_source *t = xcalloc(1, sizeof *t);
		*t = file_source(trust);
		c.trust_store = t;
	}
	if (o->insecure)
		c.insecure = TLSH_INSECURE_NO_VERIFY;
	return c;
}

static const char serve_usage[] =
        "usage: tlsharness serve --impl NAME --port P [OPTIONS]\n"
        "\n"
        "Accepts TLS connections on a TCP port, many per process (sequential and\n"
        "concurrent), every one a buffer of one library context built at start.\n"
        "Runs until --max-connections are done, or until SIGTERM/SIGINT (then it\n"
        "closes the open connections in order and exits).\n"
        "\n"
        "options:\n"
        "  -i, --impl NAME          the backend (a name or an adapter .so)\n"
        "  -p, --port P             TCP port (0: a free one, printed as listening=)\n"
        "  -H, --host ADDR          address to listen on (default 127.0.0.1)\n"
        "  -m, --max-connections N  exit after N connections (default: until a signal)\n"
        "  -e, --echo               write back every byte read, until the peer ends\n"
        "  -s, --send TEXT          write TEXT first, then read as many bytes back\n"
        "      --split N            write TEXT in records of at most N bytes\n"
        "      --min V, --max V     version bounds: 1.2, 1.3, min, max\n"
        "  -a, --alpn A,B           ALPN protocols in preference order\n"
        "      --cert F --key F [--chain F]  certificate (default: harness/pki's\n"
        "                           rsa-server.pem with rsa-int.pem)\n"
        "      --trust F            request and verify client certificates with F\n"
        "  -t, --timeout S          per connection: the handshake's limit and the\n"
        "                           longest idle time after it (default 10)\n"
        "  -h, --help\n"
        "\n"
        "Output: listening=HOST:PORT, then key=value lines per connection prefixed\n"
        "server.N. (handshake, version, cipher, alpn, received, end, shutdown,\n"
        "tcp_end, result, ms), then connections=N ok=N failed=N. After a failed\n"
        "handshake the alert is sent, then FIN, then the peer's input is drained\n"
        "before the socket closes (no RST). Exit status: 0 when every connection\n"
        "succeeded, 1 when one failed, 2 on bad usage or setup.\n";

static const char connect_usage[] =
        "usage: tlsharness connect --impl NAME [OPTIONS] HOST:PORT\n"
        "\n"
        "Makes TLS connections to HOST:PORT, --count of them, --parallel at a\n"
        "time, every one a buffer of one library context built at start.\n"
        "\n"
        "options:\n"
        "  -i, --impl NAME          the backend (a name or an adapter .so)\n"
        "  -c, --count N            connections to make (default 1)\n"
        "  -P, --parallel N         connections open at once (default 1)\n"
        "  -n, --servername NAME    SNI and the name to verify (default\n"
        "                           server.tlsh.test)\n"
        "  -s, --send TEXT          write TEXT, then read as many bytes back\n"
        "      --split N            write TEXT in records of at most N bytes\n"
        "  -e, --echo               write back every byte read, until the peer ends\n"
        "      --min V, --max V     version bounds: 1.2, 1.3, min, max\n"
        "  -a, --alpn A,B           ALPN protocols in preference order\n"
        "      --trust F            CA certificates (default harness/pki/rsa-ca.pem)\n"
        "      --cert F --key F [--chain F]  client certificate\n"
        "      --insecure           do not verify the server's certificate\n"
        "  -t, --timeout S          per connection: the handshake's limit and the\n"
        "                           longest idle time after it (default 10)\n"
        "  -h, --help\n"
        "\n"
        "Output: key=value lines per connection prefixed client.N. (handshake,\n"
        "version, cipher, alpn, received, end, shutdown, tcp_end, result, ms), then\n"
        "connections=N ok=N failed=N. Exit status: 0 when every connection\n"
        "succeeded, 1 when one failed, 2 on bad usage or setup.\n";

/* Returns 0, 1 for --help (printed), or -1 for bad usage (reported). */
static int parse_opts(int argc, char **argv, struct sock_opts *o, int serve)
{
	static const struct option opts[] = {{"impl", required_argument, 0, 'i'},
	                                     {"port", required_argument, 0, 'p'},
	                                     {"host", required_argument, 0, 'H'},
	                                     {"min", required_argument, 0, 1},
	                                     {"max", required_argument, 0, 2},
	                                     {"alpn", required_argument, 0, 'a'},
	                                     {"cert", required_argument, 0, 3},
	                                     {"key", required_argument, 0, 4},
	                                     {"chain", required_argument, 0, 5},
	                                     {"trust", required_argument, 0, 6},
	                                     {"servername", required_argument, 0, 'n'},
	                                     {"send", required_argument, 0, 's'},
	                                     {"split", required_argument, 0, 8},
	                                     {"insecure", no_argument, 0, 7},
	                                     {"timeout", required_argument, 0, 't'},
	                                     {"echo", no_argument, 0, 'e'},
	                                     {"max-connections", required_argument, 0, 'm'},
	                                     {"count", required_argument, 0, 'c'},
	                                     {"parallel", required_argument, 0, 'P'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *cmd = serve ? "serve" : "connect";
	memset(o, 0, sizeof *o);
	o->lo = TLSH_VERSION_MINIMUM_SUPPORTED;
	o->hi = TLSH_VERSION_MAXIMUM_SUPPORTED;
	o->timeout_s = 10;
	o->host = "127.0.0.1";
	o->port = -1;
	o->count = 1;
	o->parallel = 1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:H:a:n:s:t:em:c:P:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->impl = optarg;
			break;
		case 'p':
			o->port = parse_num("--port", optarg, 0, 65535);
			break;
		case 'H':
			o->host = optarg;
			break;
		case 1:
			o->lo = parse_version(optarg);
			break;
		case 2:
			o->hi = parse_version(optarg);
			break;
		case 'a':
			o->alpn = optarg;
			break;
		case 3:
			o->cert = optarg;
			break;
		case 4:
			o->key = optarg;
			break;
		case 5:
			o->chain = optarg;
			break;
		case 6:
			o->trust = optarg;
			break;
		case 'n':
			o->servername = optarg;
			break;
		case 's':
			o->send = optarg;
			o->send_len = strlen(optarg);
			break;
		case 8:
			o->split = parse_num("--split", optarg, 1, 16384);
			break;
		case 7:
			o->insecure = 1;
			break;
		case 't':
			o->timeout_s = parse_num("--timeout", optarg, 1, 86400);
			break;
		case 'e':
			o->echo = 1;
			break;
		case 'm':
			o->max_conns = parse_num("--max-connections", optarg, 1, 1L << 30);
			break;
		case 'c':
			o->count = parse_num("--count", optarg, 1, 1L << 30);
			break;
		case 'P':
			o->parallel = parse_num("--parallel", optarg, 1, MAX_ACTIVE);
			break;
		case 'h':
			fputs(serve ? serve_usage : connect_usage, stdout);
			return 1;
		default:
			goto bad;
		}
	}
	if (!o->impl) {
		fprintf(stderr, "tlsharness %s: --impl NAME is required\n", cmd);
		goto bad;
	}
	if (serve && o->port < 0) {
		fprintf(stderr, "tlsharness serve: --port P is required (0 picks a free port)\n");
		goto bad;
	}
	if (o->send && !o->send_len) {
		fprintf(stderr, "tlsharness %s: --send takes a non-empty text\n", cmd);
		goto bad;
	}
	if (serve ? optind != argc : optind != argc - 1) {
		fprintf(stderr, "tlsharness %s: %s\n", cmd,
		        serve ? "unexpected argument" : "give one HOST:PORT");
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "(see 'tlsharness %s --help')\n", cmd);
	return -1;
}

static void load(const struct sock_opts *o, struct impl_handle *h)
{
	char err[600];
	if (impl_load(o->impl, h, err, sizeof err) != 0)
		die("%s", err);
	ep_violation = sock_violation;
}

static int finish(struct loop *l)
{
	printf("connections=%u ok=%u failed=%u\n", l->done, l->ok, l->done - l->ok);
	fflush(stdout);
	ep_close(&l->owner);
	return l->ok == l->done ? 0 : 1;
}

int cmd_serve(int argc, char **argv)
{
	struct sock_opts o;
	int pr = parse_opts(argc, argv, &o, 1);
	if (pr)
		return pr > 0 ? 0 : 2;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV},
	                *ai;
	char port[16];
	fmt_into(port, sizeof port, "%ld", o.port);
	if (getaddrinfo(o.host, port, &hints, &ai) != 0)
		die("--host takes an IPv4 or IPv6 address, not '%s'", o.host);
	struct impl_handle h;
	load(&o, &h);
	struct tlsh_config cfg = build_config(&o, TLSH_ROLE_SERVER);
	struct loop l = {.o = &o, .role = TLSH_ROLE_SERVER, .limit = (unsigned)o.max_conns};
	if (ep_open_context(&l.owner, &h, TLSH_ROLE_SERVER, &cfg) != TLSH_OK)
		die("server configuration refused: %s", l.owner.err.message);
	l.listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (l.listen_fd >= 0)
		setsockopt(l.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l.listen_fd < 0 || bind(l.listen_fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(l.listen_fd, 128) != 0)
		die("cannot listen on %s port %ld: %s", o.host, o.port, strerror(errno));
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	getsockname(l.listen_fd, (struct sockaddr *)&sa, &sl);
	getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, serv, sizeof serv,
	            NI_NUMERICHOST | NI_NUMERICSERV);
	printf("listening=%s:%s\n", host, serv);
	fflush(stdout);
	run_loop(&l);
	return finish(&l);
}

int cmd_connect(int argc, char **argv)
{
	struct sock_opts o;
	int pr = parse_opts(argc, argv, &o, 0);
	if (pr)
		return pr > 0 ? 0 : 2;
	const char *arg = argv[optind];
	char *target = xstrdup(arg);
	char *colon = strrchr(target, ':');
	if (!colon || colon == target || !colon[1])
		die("connect takes HOST:PORT, not '%s'", arg);
	*colon = '\0';
	char *host = target;
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') { /* [::1]:443 */
		host[hl - 1] = '\0';
		host++;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	int gr = getaddrinfo(host, colon + 1, &hints, &ai);
	if (gr != 0)
		die("cannot resolve %s: %s", arg, gai_strerror(gr));
	struct impl_handle h;
	load(&o, &h);
	struct tlsh_config cfg = build_config(&o, TLSH_ROLE_CLIENT);
	struct loop l = {.o = &o,
	                 .role = TLSH_ROLE_CLIENT,
	                 .listen_fd = -1,
	                 .target = ai,
	                 .hostname = o.servername ? o.servername : "server.tlsh.test",
	                 .limit = (unsigned)o.count};
	if (ep_open_context(&l.owner, &h, TLSH_ROLE_CLIENT, &cfg) != TLSH_OK)
		die("client configuration refused: %s", l.owner.err.message);
	run_loop(&l);
	freeaddrinfo(ai);
	free(target);
	return finish(&l);
}
