/* bench/handshake.c - handshakes per second through the descriptor and the
 * pump, against a direct loop written against the same library with memory
 * BIOs (OpenSSL; GnuTLS when built), in one run: TLS 1.2 and TLS 1.3, with
 * the endpoints in process and with the server out of process (the mode the
 * harness uses for two different backends).
 *
 * Both sides of every measurement use the same test PKI (RSA 2048 server
 * chain), default groups and suites, a context built once and a new
 * connection per handshake, no session resumption.
 *
 * Two figures per mode: handshakes per second of wall time, and per second
 * of CPU time of every process involved (this one and, out of process, the
 * endpoint host: /proc/PID/schedstat). On a shared machine the wall rate
 * follows the load; the CPU rate does not.
 *
 * bench-handshake [SECONDS]      the table (SECONDS per measurement, 1)
 * bench-handshake --direct-cpu   CPU milliseconds of one direct OpenSSL
 *                                TLS 1.3 handshake (median of 5 rounds), the
 *                                unit of bench/matrix-cpu.sh */
#include <gnutls/gnutls.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "pump.h"
#include "remote.h"
#include "util.h"

#ifndef TLSH_PKI_DIR
#define TLSH_PKI_DIR "harness/pki"
#endif

static double budget_ms = 1000;

/* CPU nanoseconds a process has run (0 for this one's own clock). */
static double cpu_ns(pid_t pid)
{
	if (pid == 0) {
		struct timespec t;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/schedstat", (long)pid);
	FILE *f = fopen(path, "r");
	double ns = 0;
	if (f) {
		if (fscanf(f, "%lf", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

/* One measurement: handshakes per wall second and per CPU second. */
struct rate {
	double wall, cpu;
};

static struct rate rate_of(long n, double t0_ms, double cpu0, pid_t host, double host0)
{
	double cpu = cpu_ns(0) - cpu0 + (host ? cpu_ns(host) - host0 : 0);
	return (struct rate){(double)n / ((now_ms() - t0_ms) / 1000), (double)n / (cpu / 1e9)};
}

#define ROUNDS 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof *v, cmp_double);
	return v[ROUNDS / 2];
}

/* ---- direct OpenSSL loop ------------------------------------------------- */

static void ossl_move(SSL *from, SSL *to)
{
	char buf[16384];
	int n;
	BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
	while ((n = BIO_read(w, buf, sizeof buf)) > 0)
		BIO_write(r, buf, n);
}

static struct rate direct_openssl(int version)
{
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method()), *sc = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(cc, version);
	SSL_CTX_set_max_proto_version(cc, version);
	SSL_CTX_set_min_proto_version(sc, version);
	SSL_CTX_set_max_proto_version(sc, version);
	SSL_CTX_load_verify_locations(cc, TLSH_PKI_DIR "/rsa-ca.pem", NULL);
	SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
	SSL_CTX_use_certificate_chain_file(sc, TLSH_PKI_DIR "/rsa-server-chain.pem");
	SSL_CTX_use_PrivateKey_file(sc, TLSH_PKI_DIR "/rsa-server.key", SSL_FILETYPE_PEM);
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
	double t0 = now_ms(), c0 = cpu_ns(0);
	long n = 0;
	while (now_ms() - t0 < budget_ms) {
		SSL *c = SSL_new(cc), *s = SSL_new(sc);
		SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_connect_state(c);
		SSL_set_accept_state(s);
		SSL_set_tlsext_host_name(c, "server.tlsh.test");
		SSL_set1_host(c, "server.tlsh.test");
		int cd = 0, sd = 0;
		for (int i = 0; i < 20 && !(cd && sd); i++) {
			if (!cd)
				cd = SSL_do_handshake(c) == 1;
			ossl_move(c, s);
			if (!sd)
				sd = SSL_do_handshake(s) == 1;
			ossl_move(s, c);
		}
		if (!(cd && sd)) {
			fprintf(stderr, "direct OpenSSL handshake failed\n");
			exit(1);
		}
		SSL_free(c);
		SSL_free(s);
		n++;
	}
	struct rate rate = rate_of(n, t0, c0, 0, 0);
	SSL_CTX_free(cc);
	SSL_CTX_free(sc);
	return rate;
}

/* ---- direct GnuTLS loop -------------------------------------------------- */

struct gpipe {
	struct bytes b;
	size_t off;
};

static ssize_t g_push(gnutls_transport_ptr_t p, const void *d, size_t n)
{
	bytes_append(&((struct gpipe *)p)->b, d, n);
	return (ssize_t)n;
}

struct gside {
	gnutls_session_t s;
	struct gpipe *in, *out;
};

static ssize_t g_pull(gnutls_transport_ptr_t p, void *d, size_t n)
{
	struct gside *g = p;
	size_t avail = g->in->b.len - g->in->off;
	if (!avail) {
		gnutls_transport_set_errno(g->s, EAGAIN);
		return -1;
	}
	if (n > avail)
		n = avail;
	memcpy(d, g->in->b.data + g->in->off, n);
	g->in->off += n;
	return (ssize_t)n;
}

static ssize_t g_push_side(gnutls_transport_ptr_t p, const void *d, size_t n)
{
	return g_push(((struct gside *)p)->out, d, n);
}

static struct rate direct_gnutls(int version)
{
	gnutls_certificate_credentials_t cc, sc;
	gnutls_certificate_allocate_credentials(&cc);
	gnutls_certificate_allocate_credentials(&sc);
	gnutls_certificate_set_x509_trust_file(cc, TLSH_PKI_DIR "/rsa-ca.pem", GNUTLS_X509_FMT_PEM);
	gnutls_certificate_set_x509_key_file(sc, TLSH_PKI_DIR "/rsa-server-chain.pem",
	                                     TLSH_PKI_DIR "/rsa-server.key", GNUTLS_X509_FMT_PEM);
	const char *prio = version == TLS1_3_VERSION ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
	                                             : "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	double t0 = now_ms(), c0 = cpu_ns(0);
	long n = 0;
	while (now_ms() - t0 < budget_ms) {
		struct gpipe c2s = {0}, s2c = {0};
		struct gside c = {.in = &s2c, .out = &c2s}, s = {.in = &c2s, .out = &s2c};
		gnutls_init(&c.s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
		gnutls_init(&s.s, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS);
		gnutls_priority_set_direct(c.s, prio, NULL);
		gnutls_priority_set_direct(s.s, prio, NULL);
		gnutls_credentials_set(c.s, GNUTLS_CRD_CERTIFICATE, cc);
		gnutls_credentials_set(s.s, GNUTLS_CRD_CERTIFICATE, sc);
		gnutls_server_name_set(c.s, GNUTLS_NAME_DNS, "server.tlsh.test", 16);
		gnutls_session_set_verify_cert(c.s, "server.tlsh.test", 0);
		gnutls_transport_set_ptr(c.s, &c);
		gnutls_transport_set_ptr(s.s, &s);
		gnutls_transport_set_push_function(c.s, g_push_side);
		gnutls_transport_set_push_function(s.s, g_push_side);
		gnutls_transport_set_pull_function(c.s, g_pull);
		gnutls_transport_set_pull_function(s.s, g_pull);
		int cd = 0, sd = 0;
		for (int i = 0; i < 40 && !(cd && sd); i++) {
			if (!cd)
				cd = gnutls_handshake(c.s) == 0;
			if (!sd)
				sd = gnutls_handshake(s.s) == 0;
		}
		if (!(cd && sd)) {
			fprintf(stderr, "direct GnuTLS handshake failed\n");
			exit(1);
		}
		gnutls_deinit(c.s);
		gnutls_deinit(s.s);
		bytes_free(&c2s.b);
		bytes_free(&s2c.b);
		n++;
	}
	struct rate rate = rate_of(n, t0, c0, 0, 0);
	gnutls_certificate_free_credentials(cc);
	gnutls_certificate_free_credentials(sc);
	return rate;
}

/* ---- through the descriptor and the pump --------------------------------- */

static struct tlsh_source file_src(const char *name)
{
	struct bytes *b = xcalloc(1, sizeof *b);
	char *p = xasprintf("%s/%s", TLSH_PKI_DIR, name);
	if (read_file(p, b) != 0) {
		fprintf(stderr, "cannot read %s\n", p);
		exit(2);
	}
	free(p);
	return (struct tlsh_source){.kind = TLSH_SOURCE_BUFFER, .data = b->data, .len = b->len};
}

static struct rate via_descriptor(const struct impl_handle *hc, const struct impl_handle *hs,
                                  enum tlsh_version v)
{
	static struct tlsh_source trust, leaf, key, inter;
	static int init;
	if (!init) {
		trust = file_src("rsa-ca.pem");
		leaf = file_src("rsa-server.pem");
		key = file_src("rsa-server.key");
		inter = file_src("rsa-int.pem");
		init = 1;
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
		fprintf(stderr, "context_new failed: %s\n", err.message);
		exit(1);
	}
	double t0 = now_ms(), c0 = cpu_ns(0), h0 = hs->host_pid ? cpu_ns(hs->host_pid) : 0;
	long n = 0;
	while (now_ms() - t0 < budget_ms) {
		struct endpoint c = {
		        .ih = hc, .role = TLSH_ROLE_CLIENT, .label = "client", .ctx = cctx};
		struct endpoint s = {
		        .ih = hs, .role = TLSH_ROLE_SERVER, .label = "server", .ctx = sctx};
		if (hc->fn.buffer_new(cctx, "server.tlsh.test", &c.buf, &err) != TLSH_OK ||
		    hs->fn.buffer_new(sctx, NULL, &s.buf, &err) != TLSH_OK) {
			fprintf(stderr, "buffer_new failed: %s\n", err.message);
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
			fprintf(stderr, "descriptor handshake failed\n");
			exit(1);
		}
		pump_free(&p);
		hc->fn.buffer_free(c.buf);
		hs->fn.buffer_free(s.buf);
		n++;
	}
	struct rate rate = rate_of(n, t0, c0, hs->host_pid, h0);
	hc->fn.context_free(cctx);
	hs->fn.context_free(sctx);
	return rate;
}

static double median_of(struct rate *v, int cpu)
{
	double x[ROUNDS];
	for (int i = 0; i < ROUNDS; i++)
		x[i] = cpu ? v[i].cpu : v[i].wall;
	return median(x);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--direct-cpu") == 0) {
		budget_ms = 400;
		struct rate d[ROUNDS];
		for (int r = 0; r < ROUNDS; r++)
			d[r] = direct_openssl(TLS1_3_VERSION);
		printf("%.3f\n", 1000.0 / median_of(d, 1));
		return 0;
	}
	if (argc > 1)
		budget_ms = atof(argv[1]) * 1000;
	const char *names[] = {"openssl", "gnutls"};
	printf("%-8s %-4s %-4s %12s %12s %8s %12s %8s\n", "backend", "TLS", "per", "direct hs/s",
	       "inproc hs/s", "ratio", "oop hs/s", "ratio");
	for (int b = 0; b < 2; b++) {
		char err[600];
		struct impl_handle local, remote;
		/* The host is forked before the adapter is loaded here. */
		if (remote_spawn(names[b], &remote, err, sizeof err) != 0) {
			printf("%-8s (adapter not built: %s)\n", names[b], err);
			continue;
		}
		if (impl_load(names[b], &local, err, sizeof err) != 0) {
			printf("%-8s (%s)\n", names[b], err);
			remote_close(&remote);
			continue;
		}
		for (int v = 0; v < 2; v++) {
			int ver = v ? TLS1_3_VERSION : TLS1_2_VERSION;
			enum tlsh_version tv = v ? TLSH_TLS_1_3 : TLSH_TLS_1_2;
			/* Interleaved rounds, median of each: the machine's load
			 * drifts, and it drifts for all three alike. */
			struct rate d[ROUNDS], in[ROUNDS], oop[ROUNDS];
			for (int r = 0; r < ROUNDS; r++) {
				d[r] = b == 0 ? direct_openssl(ver) : direct_gnutls(ver);
				in[r] = via_descriptor(&local, &local, tv);
				oop[r] = via_descriptor(&local, &remote, tv);
			}
			for (int cpu = 0; cpu < 2; cpu++) {
				double md = median_of(d, cpu), mi = median_of(in, cpu),
				       mo = median_of(oop, cpu);
				printf("%-8s %-4s %-4s %12.0f %12.0f %8.3f %12.0f %8.3f\n",
				       names[b], v ? "1.3" : "1.2", cpu ? "cpu" : "wall", md, mi,
				       mi / md, mo, mo / md);
			}
			fflush(stdout);
		}
		remote_close(&remote);
	}
	return 0;
}
