/* bench/pep748.c - handshakes per second of a Python PEP 748 endpoint (the
 * pep748 bridge and tlsh_pep748.stdlib) against the C OpenSSL endpoint, in
 * one run, through the descriptor and the pump exactly as the harness drives
 * them: a context built once, a new buffer pair per handshake, no session
 * resumption, the test PKI's RSA 2048 server chain, default groups and
 * suites. Pairs of one backend run in process; mixed pairs put the server
 * in an endpoint host (out of process), as the harness does.
 *
 * Also timed: loading each adapter (for pep748: starting the interpreter and
 * importing the implementation), which every scenario process of the harness
 * pays once.
 *
 * Built and run by bench/pep748.sh (it needs the harness core of a build
 * tree). Usage: bench-pep748 [SECONDS per round] [PYTHON-SPEC]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint.h"
#include "pump.h"
#include "remote.h"
#include "util.h"

#ifndef TLSH_PKI_DIR
#define TLSH_PKI_DIR "harness/pki"
#endif

#define ROUNDS 3

static double budget_ms = 1000;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct tlsh_source pki(const char *name)
{
	struct bytes *b = xcalloc(1, sizeof *b);
	char *p = xasprintf("%s/%s", TLSH_PKI_DIR, name);
	if (read_file(p, b) != 0) {
		fprintf(stderr, "bench-pep748: cannot read %s\n", p);
		exit(2);
	}
	free(p);
	return (struct tlsh_source){.kind = TLSH_SOURCE_BUFFER, .data = b->data, .len = b->len};
}

/* Handshakes per second (median of ROUNDS rounds of budget_ms each). */
static double rate(const struct impl_handle *hc, const struct impl_handle *hs, enum tlsh_version v)
{
	static struct tlsh_source trust, leaf, key, inter;
	if (!trust.data) {
		trust = pki("rsa-ca.pem");
		leaf = pki("rsa-server.pem");
		key = pki("rsa-server.key");
		inter = pki("rsa-int.pem");
	}
	struct tlsh_signing_chain chain = {
	        .leaf = leaf, .key = key, .chain = &inter, .chain_len = 1};
	struct tlsh_config cc = {.struct_size = sizeof cc,
	                         .trust_store = &trust,
	                         .lowest_supported_version = v,
	                         .highest_supported_version = v};
	struct tlsh_config sc = {.struct_size = sizeof sc,
	                         .certificate_chains = &chain,
	                         .certificate_chains_len = 1,
	                         .lowest_supported_version = v,
	                         .highest_supported_version = v};
	struct tlsh_error err;
	tlsh_context *cctx, *sctx;
	if (hc->fn.context_new(hc->self, TLSH_ROLE_CLIENT, &cc, &cctx, &err) != TLSH_OK ||
	    hs->fn.context_new(hs->self, TLSH_ROLE_SERVER, &sc, &sctx, &err) != TLSH_OK) {
		fprintf(stderr, "bench-pep748: context_new failed: %s\n", err.message);
		exit(1);
	}
	double rates[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ms();
		long n = 0;
		while (now_ms() - t0 < budget_ms) {
			struct endpoint c = {
			        .ih = hc, .role = TLSH_ROLE_CLIENT, .label = "client", .ctx = cctx};
			struct endpoint s = {
			        .ih = hs, .role = TLSH_ROLE_SERVER, .label = "server", .ctx = sctx};
			if (hc->fn.buffer_new(cctx, "server.tlsh.test", &c.buf, &err) != TLSH_OK ||
			    hs->fn.buffer_new(sctx, NULL, &s.buf, &err) != TLSH_OK) {
				fprintf(stderr, "bench-pep748: buffer_new failed: %s\n",
				        err.message);
				exit(1);
			}
			struct pump p;
			pump_init(&p, &c, &s);
			for (int i = 0; i < 40 && !(c.handshake_done && s.handshake_done); i++) {
				if (!c.handshake_done && ep_handshake(&c) == TLSH_TLS_ERROR)
					break;
				pump_flush(&p, C2S);
				if (!s.handshake_done && ep_handshake(&s) == TLSH_TLS_ERROR)
					break;
				pump_flush(&p, S2C);
			}
			if (!(c.handshake_done && s.handshake_done)) {
				fprintf(stderr, "bench-pep748: handshake failed: %s\n",
				        c.err.message[0] ? c.err.message : s.err.message);
				exit(1);
			}
			pump_free(&p);
			hc->fn.buffer_free(c.buf);
			hs->fn.buffer_free(s.buf);
			n++;
		}
		rates[r] = (double)n / ((now_ms() - t0) / 1000);
	}
	hc->fn.context_free(cctx);
	hs->fn.context_free(sctx);
	qsort(rates, ROUNDS, sizeof rates[0], cmp_double);
	return rates[ROUNDS / 2];
}

/* Milliseconds to load `spec` in a fresh child process (median of 5). */
static double load_ms(const char *spec)
{
	double t[5];
	for (int i = 0; i < 5; i++) {
		int fd[2];
		if (pipe(fd) != 0)
			exit(2);
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			struct impl_handle h;
			char err[600];
			double t0 = now_ms();
			int ok = impl_load(spec, &h, err, sizeof err) == 0;
			double ms = ok ? now_ms() - t0 : -1;
			if (write(fd[1], &ms, sizeof ms) != sizeof ms)
				_exit(1);
			_exit(0);
		}
		close(fd[1]);
		double ms = -1;
		if (read(fd[0], &ms, sizeof ms) != sizeof ms)
			ms = -1;
		close(fd[0]);
		waitpid(pid, NULL, 0);
		t[i] = ms;
	}
	qsort(t, 5, sizeof t[0], cmp_double);
	return t[2];
}

int main(int argc, char **argv)
{
	if (argc > 1)
		budget_ms = atof(argv[1]) * 1000;
	const char *py = argc > 2 ? argv[2] : "pep748:tlsh_pep748.stdlib:IMPLEMENTATION";
	const char *c_name = "openssl";
	char err[600];
	printf("adapter load (a scenario process pays it once): %s %.1f ms, %s %.1f ms\n\n", c_name,
	       load_ms(c_name), py, load_ms(py));

	/* Hosts first: they are forked before this process loads anything. */
	struct impl_handle c_remote, py_remote, c_local, py_local;
	if (remote_spawn(c_name, &c_remote, err, sizeof err) != 0 ||
	    remote_spawn(py, &py_remote, err, sizeof err) != 0 ||
	    impl_load(c_name, &c_local, err, sizeof err) != 0 ||
	    impl_load(py, &py_local, err, sizeof err) != 0) {
		fprintf(stderr, "bench-pep748: %s\n", err);
		return 2;
	}
	const struct {
		const char *label;
		const struct impl_handle *client, *server;
		const char *mode;
	} pairs[] = {
	        {"openssl -> openssl", &c_local, &c_local, "inproc"},
	        {"python  -> python", &py_local, &py_local, "inproc"},
	        {"python  -> openssl", &py_local, &c_remote, "server oop"},
	        {"openssl -> python", &c_local, &py_remote, "server oop"},
	};
	static const struct {
		const char *tag;
		enum tlsh_version v;
	} vers[] = {{"1.2", TLSH_TLS_1_2}, {"1.3", TLSH_TLS_1_3}};
	printf("%-20s %-11s %-4s %10s %10s\n", "client -> server", "endpoints", "TLS", "hs/s",
	       "vs openssl");
	for (size_t v = 0; v < 2; v++) {
		double base = 0;
		for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
			double r = rate(pairs[i].client, pairs[i].server, vers[v].v);
			if (i == 0)
				base = r;
			printf("%-20s %-11s %-4s %10.0f %9.2fx\n", pairs[i].label, pairs[i].mode,
			       vers[v].tag, r, base > 0 ? r / base : 0);
			fflush(stdout);
		}
	}
	printf("\nmedian of %d rounds of %.1f s per row; python = %s\n", ROUNDS, budget_ms / 1000,
	       py);
	/* The later host holds a copy of the earlier host's socket: close it
	 * first, or the earlier host never sees its end. */
	remote_close(&py_remote);
	remote_close(&c_remote);
	return 0;
}
