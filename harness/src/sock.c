/* sock.c - `tlsharness serve` and `tlsharness connect`: a socket front-end
 * over any descriptor, the equivalent of PEP 748's TLSSocket built on
 * TLSBuffer. One connection, blocking I/O with poll() time limits, the same
 * configuration options as scenarios. Results are printed as key=value lines
 * so scripts can check them against the peer's view. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
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

struct tsock {
	int fd;
	struct endpoint ep;
	int timeout_ms;
	int transport_eof;
	struct bytes pending; /* received, not yet taken by a full buffer */
};

struct sock_opts {
	const char *impl;
	enum tlsh_version lo, hi;
	const char *alpn;
	const char *cert, *key, *chain, *trust;
	const char *servername;
	const char *send;
	int insecure;
	int timeout_s;
	int port;
	const char *host;
	int echo;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "tlsharness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void sock_violation(const char *msg)
{
	die("adapter broke the ABI: %s", msg);
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends everything the buffer has for the network. */
static void flush_out(struct tsock *t)
{
	uint8_t buf[16384 + 512];
	for (;;) {
		size_t n = 0;
		ep_outgoing(&t->ep, buf, sizeof buf, &n);
		if (!n)
			return;
		if (send_all(t->fd, buf, n) != 0)
			return; /* the peer went away: reads will tell */
	}
}

/* Offers bytes held back to the buffer. Returns 1 if some remain. */
static int offer_pending(struct tsock *t)
{
	size_t off = 0;
	while (off < t->pending.len) {
		size_t n = t->pending.len - off;
		int st = ep_incoming(&t->ep, t->pending.data + off, n);
		while (st == TLSH_WANT_READ && n > 1) {
			n /= 2;
			st = ep_incoming(&t->ep, t->pending.data + off, n);
		}
		if (st != TLSH_OK)
			break;
		off += n;
	}
	memmove(t->pending.data, t->pending.data + off, t->pending.len - off);
	t->pending.len -= off;
	return t->pending.len != 0;
}

/* Receives once from the socket into the buffer; a closed socket becomes a
 * transport EOF. Returns -1 on a time-out. */
static int fill_in(struct tsock *t)
{
	if (t->pending.len && offer_pending(t))
		return 0; /* still full: the caller processes first */
	if (t->transport_eof)
		return 0;
	struct pollfd p = {.fd = t->fd, .events = POLLIN};
	int r = poll(&p, 1, t->timeout_ms);
	if (r == 0)
		return -1;
	uint8_t buf[16384];
	ssize_t n = recv(t->fd, buf, sizeof buf, 0);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		t->transport_eof = 1;
		ep_incoming_eof(&t->ep);
		return 0;
	}
	bytes_append(&t->pending, buf, (size_t)n);
	offer_pending(t);
	return 0;
}

static int tls_handshake(struct tsock *t)
{
	for (;;) {
		int st = ep_handshake(&t->ep);
		flush_out(t);
		if (st == TLSH_OK)
			return 0;
		if (st == TLSH_TLS_ERROR)
			return -1;
		if (t->transport_eof) {
			/* The handshake cannot go on: let the adapter say so. */
			st = ep_handshake(&t->ep);
			return st == TLSH_OK ? 0 : -1;
		}
		if (fill_in(t) < 0) {
			fmt_into(t->ep.err.message, sizeof t->ep.err.message,
			         "handshake timed out");
			return -1;
		}
	}
}

/* Reads until data, the end, or an error. Returns the status. */
static int tls_read(struct tsock *t, struct bytes *out)
{
	uint8_t buf[16384];
	for (;;) {
		size_t n = 0;
		int st = ep_read(&t->ep, buf, sizeof buf, &n);
		flush_out(t);
		if (st == TLSH_OK) {
			bytes_append(out, buf, n);
			return st;
		}
		if (st != TLSH_WANT_READ && st != TLSH_WANT_WRITE)
			return st;
		if (fill_in(t) < 0)
			return TLSH_WANT_READ; /* time-out */
	}
}

static int tls_write(struct tsock *t, const uint8_t *p, size_t n)
{
	while (n) {
		size_t k = 0;
		int st = ep_write(&t->ep, p, n, &k);
		flush_out(t);
		if (st == TLSH_OK) {
			p += k;
			n -= k;
			continue;
		}
		if (st == TLSH_WANT_READ) {
			if (fill_in(t) < 0)
				return -1;
			continue;
		}
		if (st != TLSH_WANT_WRITE)
			return -1;
	}
	return 0;
}

/* PEP 748 close(force=False): send close_notify, then wait for the peer's.
 * Returns 1 when the peer's close_notify arrived, 0 when the transport
 * ended first, -1 on an error. */
static int tls_close(struct tsock *t)
{
	for (int i = 0; i < 1000; i++) {
		int st = ep_shutdown(&t->ep);
		flush_out(t);
		if (st == TLSH_OK)
			return 1;
		if (st == TLSH_TLS_ERROR)
			return t->transport_eof ? 0 : -1;
		if (t->transport_eof)
			return 0;
		if (fill_in(t) < 0)
			return 0;
	}
	return 0;
}

static void report(struct tsock *t, const char *who)
{
	const uint8_t *p;
	size_t n;
	enum tlsh_version v = ep_version(&t->ep);
	printf("%s.version=%s\n", who, version_name(v));
	printf("%s.cipher=0x%04x\n", who, ep_cipher(&t->ep));
	if (ep_alpn(&t->ep, &p, &n))
		printf("%s.alpn=%.*s\n", who, (int)n, (const char *)p);
	else
		printf("%s.alpn=none\n", who);
	if (ep_peercert(&t->ep, &p, &n))
		printf("%s.peercert_bytes=%zu\n", who, n);
	fflush(stdout);
}

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
	                                     {"insecure", no_argument, 0, 7},
	                                     {"timeout", required_argument, 0, 't'},
	                                     {"echo", no_argument, 0, 'e'},
	                                     {0, 0, 0, 0}};
	memset(o, 0, sizeof *o);
	o->lo = TLSH_VERSION_MINIMUM_SUPPORTED;
	o->hi = TLSH_VERSION_MAXIMUM_SUPPORTED;
	o->timeout_s = 10;
	o->host = "127.0.0.1";
	o->port = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:H:a:n:s:t:e", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->impl = optarg;
			break;
		case 'p':
			o->port = atoi(optarg);
			if (o->port < 0 || o->port > 65535)
				die("--port takes 0..65535");
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
			break;
		case 7:
			o->insecure = 1;
			break;
		case 't':
			o->timeout_s = atoi(optarg);
			if (o->timeout_s < 1)
				die("--timeout takes seconds >= 1");
			break;
		case 'e':
			o->echo = 1;
			break;
		default:
			return -1;
		}
	}
	if (!o->impl) {
		fprintf(stderr, "tlsharness: --impl NAME is required\n");
		return -1;
	}
	if (serve && o->port < 0) {
		fprintf(stderr, "tlsharness: serve needs --port P (0 picks a free port)\n");
		return -1;
	}
	return 0;
}

static void load(const struct sock_opts *o, struct impl_handle *h)
{
	char err[600];
	if (impl_load(o->impl, h, err, sizeof err) != 0) {
		fprintf(stderr, "tlsharness: %s\n", err);
		exit(2);
	}
	ep_violation = sock_violation;
}

/* Echo or send, then close: the conversation both commands share. */
static int converse(struct tsock *t, const struct sock_opts *o, const char *who)
{
	struct bytes got = {0};
	int rc = 0;
	if (o->send) {
		if (tls_write(t, (const uint8_t *)o->send, strlen(o->send)) != 0)
			die("%s: write failed: %s", who, t->ep.err.message);
		int st = tls_read(t, &got);
		if (st == TLSH_OK)
			printf("%s.received=%.*s\n", who, (int)got.len, (const char *)got.data);
		else
			printf("%s.received_status=%s\n", who, status_name(st));
	}
	if (o->echo) {
		for (;;) {
			bytes_reset(&got);
			int st = tls_read(t, &got);
			if (st == TLSH_OK) {
				/* The peer may have sent close_notify right behind its
				 * data (and some libraries close at once): a failed
				 * echo is reported, and the end is still read. */
				if (tls_write(t, got.data, got.len) != 0)
					printf("%s.echo=failed\n", who);
				continue;
			}
			printf("%s.end=%s\n", who, status_name(st));
			if (st == TLSH_CLOSED)
				printf("%s.close_notify=received\n", who);
			break;
		}
	}
	int closed = tls_close(t);
	printf("%s.shutdown=%s\n", who,
	       closed == 1   ? "clean"
	       : closed == 0 ? "peer-did-not-answer"
	                     : "error");
	fflush(stdout);
	bytes_free(&got);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct sock_opts o;
	if (parse_opts(argc, argv, &o, 1) != 0) {
		fprintf(stderr, "usage: tlsharness serve --impl NAME --port P [--host H] [--min V] "
		                "[--max V] [--alpn A,B] [--cert F --key F [--chain F]] [--trust F] "
		                "[--echo] [--send TEXT] [--timeout S]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct impl_handle h;
	load(&o, &h);
	struct tlsh_config cfg = build_config(&o, TLSH_ROLE_SERVER);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		die("--host takes an IPv4 address, not '%s'", o.host);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 1) != 0)
		die("cannot listen on %s:%d: %s", o.host, o.port, strerror(errno));
	socklen_t sl = sizeof sa;
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	printf("listening=%s:%d\n", o.host, ntohs(sa.sin_port));
	fflush(stdout);
	struct pollfd p = {.fd = ls, .events = POLLIN};
	if (poll(&p, 1, o.timeout_s * 1000) <= 0)
		die("no connection within %d s", o.timeout_s);
	struct tsock t = {.timeout_ms = o.timeout_s * 1000};
	t.fd = accept(ls, NULL, NULL);
	close(ls);
	if (t.fd < 0)
		die("accept: %s", strerror(errno));
	if (ep_open(&t.ep, &h, TLSH_ROLE_SERVER, &cfg, NULL) != TLSH_OK)
		die("server configuration refused: %s", t.ep.err.message);
	if (tls_handshake(&t) != 0) {
		printf("server.handshake=failed\nserver.error=%s\nserver.alert_sent=%d\n",
		       t.ep.err.message, t.ep.err.alert_sent);
		fflush(stdout);
		return 1;
	}
	printf("server.handshake=ok\n");
	report(&t, "server");
	converse(&t, &o, "server");
	ep_close(&t.ep);
	close(t.fd);
	return 0;
}

int cmd_connect(int argc, char **argv)
{
	struct sock_opts o;
	if (parse_opts(argc, argv, &o, 0) != 0 || optind != argc - 1) {
		fprintf(stderr,
		        "usage: tlsharness connect --impl NAME [--servername N] [--min V] "
		        "[--max V] [--alpn A,B] [--trust F] [--cert F --key F] [--insecure] "
		        "[--send TEXT] [--echo] [--timeout S] HOST:PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char *target = xstrdup(argv[optind]);
	char *colon = strrchr(target, ':');
	if (!colon)
		die("connect takes HOST:PORT, not '%s'", target);
	*colon = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(target, colon + 1, &hints, &ai) != 0)
		die("cannot resolve %s", argv[optind]);
	struct impl_handle h;
	load(&o, &h);
	struct tlsh_config cfg = build_config(&o, TLSH_ROLE_CLIENT);
	struct tsock t = {.timeout_ms = o.timeout_s * 1000};
	t.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t.fd < 0 || connect(t.fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("cannot connect to %s: %s", argv[optind], strerror(errno));
	freeaddrinfo(ai);
	const char *name = o.servername ? o.servername : "server.tlsh.test";
	if (ep_open(&t.ep, &h, TLSH_ROLE_CLIENT, &cfg, name) != TLSH_OK)
		die("client configuration refused: %s", t.ep.err.message);
	if (tls_handshake(&t) != 0) {
		printf("client.handshake=failed\nclient.error=%s\nclient.alert_sent=%d\n"
		       "client.alert_received=%d\n",
		       t.ep.err.message, t.ep.err.alert_sent, t.ep.err.alert_received);
		fflush(stdout);
		return 1;
	}
	printf("client.handshake=ok\n");
	report(&t, "client");
	converse(&t, &o, "client");
	ep_close(&t.ep);
	close(t.fd);
	free(target);
	return 0;
}
