/* gen_recprot.c - makes the record-protection fixtures of test_recprot:
 * real OpenSSL connections over memory BIOs, one per suite kind, each
 * written as
 *
 *     NAME.tlstr   every byte that crossed (TLSHTR01: direction byte,
 *                  32-bit big-endian length, bytes), as the harness writes
 *     NAME.keylog  OpenSSL's NSS key log (SSL_CTX_set_keylog_callback)
 *     NAME.meta    what the test checks against: negotiated version and
 *                  suite, encrypt_then_mac, both Finished verify_data, the
 *                  application data each side sent, the KeyUpdates sent
 *
 *     gen_recprot OUTDIR CERT.pem KEY.pem
 *
 * Not part of the harness (which links no TLS library) nor of the unit
 * tests: built on demand (see README.md next to this file). Each run makes
 * new randoms and keys, so new fixture bytes; the test reads whatever the
 * fixtures hold. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fputs("gen_recprot: out of memory\n", stderr);
			exit(1);
		}
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line) {
		fputs("gen_recprot: line too long\n", stderr);
		exit(1);
	}
	buf_add(b, line, (size_t)n);
}

static void buf_hexline(struct buf *b, const char *key, const unsigned char *p, size_t n)
{
	buf_printf(b, "%s ", key);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%02x", p[i]);
	buf_printf(b, "\n");
}

static void die(const char *what)
{
	fprintf(stderr, "gen_recprot: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

struct gcase {
	const char *name;
	int tls13;
	const char *ciphers; /* 1.3: ciphersuites; 1.2: cipher list */
	int etm;             /* 1.2: allow encrypt_then_mac */
	int key_update;      /* 1.3: KeyUpdate both ways */
};

static const struct gcase cases[] = {
        {"tls13-aes128gcm", 1, "TLS_AES_128_GCM_SHA256", 0, 1},
        {"tls13-aes256gcm", 1, "TLS_AES_256_GCM_SHA384", 0, 1},
        {"tls13-chacha20", 1, "TLS_CHACHA20_POLY1305_SHA256", 0, 1},
        {"tls12-aes128gcm", 0, "ECDHE-ECDSA-AES128-GCM-SHA256", 0, 0},
        {"tls12-aes256gcm", 0, "ECDHE-ECDSA-AES256-GCM-SHA384", 0, 0},
        {"tls12-chacha20", 0, "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 0},
        {"tls12-cbc-sha1-mte", 0, "ECDHE-ECDSA-AES128-SHA", 0, 0},
        {"tls12-cbc-sha1-etm", 0, "ECDHE-ECDSA-AES256-SHA", 1, 0},
        {"tls12-cbc-sha256-etm", 0, "ECDHE-ECDSA-AES128-SHA256", 1, 0},
        {"tls12-cbc-sha384-mte", 0, "ECDHE-ECDSA-AES256-SHA384", 0, 0},
};

static struct buf keylog;

static void keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	buf_printf(&keylog, "%s\n", line);
}

struct conn {
	SSL *c, *s;
	BIO *c_in, *c_out, *s_in, *s_out;
	struct buf tr;
};

/* Moves what each side wrote to the other, recording it. */
static int pump(struct conn *k)
{
	unsigned char b[16384];
	int moved = 0, n;
	while ((n = BIO_read(k->c_out, b, sizeof b)) > 0) {
		unsigned char h[5] = {0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
		                      (unsigned char)(n >> 8), (unsigned char)n};
		buf_add(&k->tr, h, 5);
		buf_add(&k->tr, b, (size_t)n);
		BIO_write(k->s_in, b, n);
		moved = 1;
	}
	while ((n = BIO_read(k->s_out, b, sizeof b)) > 0) {
		unsigned char h[5] = {1, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
		                      (unsigned char)(n >> 8), (unsigned char)n};
		buf_add(&k->tr, h, 5);
		buf_add(&k->tr, b, (size_t)n);
		BIO_write(k->c_in, b, n);
		moved = 1;
	}
	return moved;
}

/* Writes data from `from`, pumps, reads it all on `to`. */
static void transfer(struct conn *k, SSL *from, SSL *to, const unsigned char *data, size_t n,
                     struct buf *meta, const char *dir)
{
	if (SSL_write(from, data, (int)n) != (int)n)
		die("SSL_write");
	buf_hexline(meta, dir, data, n);
	unsigned char got[4096];
	size_t have = 0;
	while (have < n) {
		pump(k);
		int r = SSL_read(to, got + have, (int)(sizeof got - have));
		if (r <= 0)
			die("SSL_read");
		have += (size_t)r;
	}
	if (have != n || memcmp(got, data, n) != 0)
		die("transfer mismatch");
	pump(k); /* what reading made the receiver send (KeyUpdate answer) */
}

static void write_file(const char *dir, const char *name, const char *ext, const struct buf *b)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0)
		die(path);
}

static void run(const struct gcase *g, const char *out, const char *cert, const char *key)
{
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method()), *sc = SSL_CTX_new(TLS_server_method());
	int v = g->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	if (!cc || !sc || !SSL_CTX_set_min_proto_version(cc, v) ||
	    !SSL_CTX_set_max_proto_version(cc, v) || !SSL_CTX_set_min_proto_version(sc, v) ||
	    !SSL_CTX_set_max_proto_version(sc, v))
		die("context");
	if (g->tls13 ? !SSL_CTX_set_ciphersuites(cc, g->ciphers)
	             : !SSL_CTX_set_cipher_list(cc, g->ciphers))
		die("cipher");
	if (!g->etm)
		SSL_CTX_set_options(cc, SSL_OP_NO_ENCRYPT_THEN_MAC);
	SSL_CTX_set_num_tickets(sc, 1);
	if (SSL_CTX_use_certificate_chain_file(sc, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM) != 1)
		die("certificate");
	SSL_CTX_set_keylog_callback(cc, keylog_cb);

	struct conn k = {0};
	k.c = SSL_new(cc);
	k.s = SSL_new(sc);
	k.c_in = BIO_new(BIO_s_mem());
	k.c_out = BIO_new(BIO_s_mem());
	k.s_in = BIO_new(BIO_s_mem());
	k.s_out = BIO_new(BIO_s_mem());
	SSL_set_bio(k.c, k.c_in, k.c_out);
	SSL_set_bio(k.s, k.s_in, k.s_out);
	SSL_set_connect_state(k.c);
	SSL_set_accept_state(k.s);
	buf_add(&k.tr, "TLSHTR01", 8);
	keylog.n = 0;

	int cd = 0, sd = 0;
	for (int i = 0; i < 100 && !(cd && sd); i++) {
		if (!cd) {
			int r = SSL_do_handshake(k.c);
			if (r == 1)
				cd = 1;
			else if (SSL_get_error(k.c, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		if (!sd) {
			int r = SSL_do_handshake(k.s);
			if (r == 1)
				sd = 1;
			else if (SSL_get_error(k.s, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
		pump(&k);
	}
	if (!cd || !sd)
		die("handshake did not finish");

	struct buf meta = {0};
	const SSL_CIPHER *ciph = SSL_get_current_cipher(k.c);
	buf_printf(&meta, "# %s, made by gen_recprot with %s\n", g->name,
	           OpenSSL_version(OPENSSL_VERSION));
	buf_printf(&meta, "version %04x\n", (unsigned)SSL_version(k.c));
	buf_printf(&meta, "suite %04x\n", (unsigned)SSL_CIPHER_get_protocol_id(ciph));
	buf_printf(&meta, "etm %d\n", g->etm);
	unsigned char fin[128];
	size_t n = SSL_get_finished(k.c, fin, sizeof fin);
	buf_hexline(&meta, "client_finished", fin, n);
	n = SSL_get_finished(k.s, fin, sizeof fin);
	buf_hexline(&meta, "server_finished", fin, n);

	unsigned char data[1500];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 1);
	static const char hello[] = "GET / HTTP/1.0\r\n\r\n";
	transfer(&k, k.c, k.s, (const unsigned char *)hello, sizeof hello - 1, &meta, "c2s");
	transfer(&k, k.s, k.c, data, 1000, &meta, "s2c");
	transfer(&k, k.c, k.s, data + 3, 333, &meta, "c2s");
	if (g->key_update) {
		/* The client asks (update_requested): the server answers with its
		 * own KeyUpdate before its next record. Then the server updates
		 * alone (update_not_requested). */
		if (!SSL_key_update(k.c, SSL_KEY_UPDATE_REQUESTED))
			die("SSL_key_update client");
		buf_printf(&meta, "keyupdate c2s 1\n");
		transfer(&k, k.c, k.s, data + 10, 77, &meta, "c2s");
		buf_printf(&meta, "keyupdate s2c 0\n");
		transfer(&k, k.s, k.c, data + 20, 500, &meta, "s2c");
		if (!SSL_key_update(k.s, SSL_KEY_UPDATE_NOT_REQUESTED))
			die("SSL_key_update server");
		buf_printf(&meta, "keyupdate s2c 0\n");
		transfer(&k, k.s, k.c, data + 30, 64, &meta, "s2c");
		transfer(&k, k.c, k.s, data + 40, 17, &meta, "c2s");
	}
	SSL_shutdown(k.c);
	pump(&k);
	SSL_shutdown(k.s);
	pump(&k);

	write_file(out, g->name, "tlstr", &k.tr);
	write_file(out, g->name, "keylog", &keylog);
	write_file(out, g->name, "meta", &meta);
	printf("%s: %s %s, %zu transcript bytes\n", g->name, SSL_get_version(k.c),
	       SSL_CIPHER_get_name(ciph), k.tr.n);
	free(k.tr.p);
	free(meta.p);
	SSL_free(k.c);
	SSL_free(k.s);
	SSL_CTX_free(cc);
	SSL_CTX_free(sc);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gen_recprot OUTDIR CERT.pem KEY.pem\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run(&cases[i], argv[1], argv[2], argv[3]);
	free(keylog.p);
	return 0;
}
