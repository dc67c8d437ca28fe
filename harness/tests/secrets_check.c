/* secrets_check - proves an adapter's exported secrets (set_secret_callback,
 * TLSH_CAP_EXPORT_SECRETS) against the wire. For each backend named, each
 * role and each version it supports, against an OpenSSL peer: a handshake
 * and an exchange of application data both ways through the pump, with the
 * backend's receiver collecting every secret it hands over; then every
 * encrypted record of the transcript, both directions, must open with
 * recprot (harness/src/recprot.h) under the keys those secrets give, and
 * the application data opened must be exactly what was written. A missing,
 * late or wrong secret leaves a record that does not open: the case fails.
 *
 *     secrets-check [--remote] [--expect-fail] BACKEND...
 *
 * --remote: the backend runs out of process (its proxy forwards the
 * secrets). The OpenSSL peer always runs out of process (BoringSSL clashes
 * with it in one process). --expect-fail: every case must fail (a mutant
 * that breaks the export; the exit status inverts). A backend on the
 * `undeclared` list below is skipped (it must not declare the capability);
 * any other must declare it. TAP output; exit 0 when
 * every case is as expected.
 *
 * A backend that cannot export for a version says so (set_secret_callback
 * refuses, or the table below names it): that case is skipped, and the
 * test checks the refusal or the silence is real. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "endpoint.h"
#include "loader.h"
#include "pump.h"
#include "recprot.h"
#include "remote.h"
#include "util.h"

/* Versions a backend documents it cannot export although it declares the
 * capability and set_secret_callback accepts (its descriptor's comment says
 * why). The test checks that it then exports nothing at all. */
static const struct {
	const char *backend;
	enum tlsh_version version;
} silent_versions[] = {
        {"nss", TLSH_TLS_1_2}, /* SSL_SecretCallback is TLS 1.3 only */
};

/* Backends documented as not exporting at all (their descriptor's comment
 * says why): skipped, and they must indeed not declare the capability. Any
 * other backend must declare it. */
static const char *const undeclared[] = {"botan", "pep748"};

static int t_n, t_fail;

static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %d - ", ok ? "ok" : "not ok", ++t_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!ok)
		t_fail++;
	fflush(stdout);
}

/* ---- the receiver ---------------------------------------------------------- */

struct collected {
	struct rp_keylog kl;
	unsigned calls, bad;
	/* When each label arrived: how many bytes had left each side then
	 * (the pump's totals), to check it came before the records it protects
	 * left the backend. */
	const struct pump *p;
	struct {
		char label[RP_LABEL_MAX];
		size_t total[2];
	} when[32];
	unsigned nwhen;
};

static void collect(void *arg, const char *label, const uint8_t *client_random,
                    const uint8_t *secret, size_t len)
{
	struct collected *c = arg;
	c->calls++;
	if (label != NULL && c->p != NULL && c->nwhen < sizeof c->when / sizeof c->when[0]) {
		fmt_into(c->when[c->nwhen].label, sizeof c->when[0].label, "%s", label);
		c->when[c->nwhen].total[0] = c->p->total[0];
		c->when[c->nwhen].total[1] = c->p->total[1];
		c->nwhen++;
	}
	if (label == NULL || client_random == NULL || secret == NULL ||
	    rp_keylog_add(&c->kl, label, client_random, secret, len) != RP_OK)
		c->bad++;
}

/* ---- the transcript -------------------------------------------------------- */

/* One direction's records, opened in order. */
struct side {
	const char *name; /* "client->server" */
	struct rp_dir d;
	int keyed;         /* records are protected from now on */
	int app;           /* 1.3: application keys installed */
	struct bytes hs;   /* 1.3: handshake bytes not yet walked */
	struct bytes data; /* application data opened */
	int own;           /* the backend sends this direction */
	unsigned opened, n_app;
	char why[256]; /* the first failure */
};

/* 1.3: walks the complete handshake messages of s->hs; 1 when a Finished
 * (type 20) went by (the direction switches to its application keys). */
static int walk_finished(struct side *s)
{
	size_t off = 0;
	int fin = 0;
	while (s->hs.len - off >= 4) {
		size_t mlen = (size_t)s->hs.data[off + 1] << 16 | (size_t)s->hs.data[off + 2] << 8 |
		              s->hs.data[off + 3];
		if (s->hs.len - off < 4 + mlen)
			break;
		if (s->hs.data[off] == 20)
			fin = 1;
		off += 4 + mlen;
	}
	memmove(s->hs.data, s->hs.data + off, s->hs.len - off);
	s->hs.len -= off;
	return fin;
}

struct hello_info {
	uint8_t client_random[32], server_random[32];
	int have_cr, have_sr, etm;
};

/* The ClientHello's random (first client record) and the ServerHello's
 * random and encrypt_then_mac (first server record), from the plaintext. */
static void parse_hellos(const struct bytes *c2s, const struct bytes *s2c, struct hello_info *h)
{
	memset(h, 0, sizeof *h);
	if (c2s->len >= 43 && c2s->data[0] == 22 && c2s->data[5] == 1) {
		memcpy(h->client_random, c2s->data + 11, 32);
		h->have_cr = 1;
	}
	const uint8_t *p = s2c->data;
	size_t rl = rp_record_len(p, s2c->len);
	if (rl < 5 + 4 + 38 || p[0] != 22 || p[5] != 2)
		return;
	memcpy(h->server_random, p + 11, 32);
	h->have_sr = 1;
	size_t off = 43, end = rl;
	if (off >= end)
		return;
	off += 1 + p[off]; /* session id */
	off += 3;          /* cipher suite, compression */
	if (off + 2 > end)
		return;
	size_t ext_end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
	off += 2;
	while (off + 4 <= end && off + 4 <= ext_end) {
		unsigned type = (unsigned)p[off] << 8 | p[off + 1];
		size_t len = (size_t)p[off + 2] << 8 | p[off + 3];
		if (type == 22)
			h->etm = 1;
		off += 4 + len;
	}
}

static const struct rp_secret *need(const struct rp_keylog *kl, const struct hello_info *h,
                                    const char *label, struct side *s)
{
	const struct rp_secret *x = rp_keylog_find(kl, h->client_random, label);
	if (x == NULL && !s->why[0])
		fmt_into(s->why, sizeof s->why, "%s: no %s exported for this client random",
		         s->name, label);
	return x;
}

/* Opens every record of one direction. Returns 1 when all protected
 * records opened and the data matched. */
/* The secret `label` reached the receiver before byte `at` of direction d
 * left its sender (checked for the backend's own direction only: a secret
 * for what it receives may come as it reads those records). */
static void check_when(struct side *s, const struct collected *c, const char *label, enum dir d,
                       size_t at)
{
	if (s->why[0] || !s->own)
		return;
	for (unsigned i = 0; i < c->nwhen; i++)
		if (strcmp(c->when[i].label, label) == 0) {
			if (c->when[i].total[d] > at)
				fmt_into(s->why, sizeof s->why,
				         "%s: %s arrived after %zu bytes had left, but protects "
				         "the record at byte %zu",
				         s->name, label, c->when[i].total[d], at);
			return;
		}
}

static int check_side(struct side *s, const struct bytes *wire, int client_side, uint16_t suite,
                      enum tlsh_version v, const struct collected *col, const struct hello_info *h,
                      const uint8_t *want, size_t want_len)
{
	const struct rp_keylog *kl = &col->kl;
	enum dir d = client_side ? C2S : S2C;
	int first_protected = 1;
	struct bytes content = {0};
	const struct rp_secret *sec;
	struct rp_dir c12, s12;
	memset(&c12, 0, sizeof c12);
	memset(&s12, 0, sizeof s12);
	if (v == TLSH_TLS_1_2) {
		sec = need(kl, h, RP_CLIENT_RANDOM, s);
		if (sec == NULL)
			return 0;
		int st = rp12_init(&c12, &s12, suite, sec->secret, sec->len, h->client_random,
		                   h->server_random, h->etm);
		if (st != RP_OK) {
			fmt_into(s->why, sizeof s->why, "%s: rp12_init: %s", s->name,
			         rp_strerror(st));
			return 0;
		}
	}
	size_t off = 0;
	while (off < wire->len) {
		size_t rl = rp_record_len(wire->data + off, wire->len - off);
		if (rl == 0) {
			fmt_into(s->why, sizeof s->why, "%s: %zu trailing bytes, not a record",
			         s->name, wire->len - off);
			break;
		}
		const uint8_t *rec = wire->data + off;
		off += rl;
		if (rec[0] == 20) { /* ChangeCipherSpec: never protected */
			if (v == TLSH_TLS_1_2 && !s->keyed) {
				s->d = client_side ? c12 : s12;
				s->keyed = 1;
			}
			continue;
		}
		if (!s->keyed && v == TLSH_TLS_1_3 && rec[0] == 23) {
			sec = need(kl, h, client_side ? RP_CLIENT_HS : RP_SERVER_HS, s);
			if (sec == NULL)
				break;
			int st = rp13_init(&s->d, suite, sec->secret, sec->len, RP_EPOCH_HANDSHAKE);
			if (st != RP_OK) {
				fmt_into(s->why, sizeof s->why, "%s: rp13_init: %s", s->name,
				         rp_strerror(st));
				break;
			}
			s->keyed = 1;
		}
		if (!s->keyed)
			continue; /* plaintext handshake */
		if (first_protected) {
			check_when(s, col,
			           v == TLSH_TLS_1_2 ? RP_CLIENT_RANDOM
			           : client_side     ? RP_CLIENT_HS
			                             : RP_SERVER_HS,
			           d, off - rl);
			first_protected = 0;
		}
		if (s->app == 1) {
			check_when(s, col, client_side ? RP_CLIENT_AP0 : RP_SERVER_AP0, d,
			           off - rl);
			s->app = 2;
		}
		if (s->why[0])
			break;
		struct rp_opened info;
		uint64_t seq = s->d.seq;
		int st = rp_open(&s->d, rec, rl, &content, &info);
		if (st != RP_OK) {
			fmt_into(s->why, sizeof s->why,
			         "%s: record %u (type %u, %zu bytes, sequence %llu%s) does not "
			         "open: %s",
			         s->name, s->opened + 1, rec[0], rl, (unsigned long long)seq,
			         v == TLSH_TLS_1_3
			                 ? (s->app ? ", application keys" : ", handshake keys")
			                 : "",
			         rp_strerror(st));
			break;
		}
		s->opened++;
		if (info.type == 23) {
			s->n_app++;
			bytes_append(&s->data, content.data, content.len);
		} else if (info.type == 22 && v == TLSH_TLS_1_3 && !s->app) {
			bytes_append(&s->hs, content.data, content.len);
			if (walk_finished(s)) {
				sec = need(kl, h, client_side ? RP_CLIENT_AP0 : RP_SERVER_AP0, s);
				if (sec == NULL)
					break;
				st = rp13_init(&s->d, suite, sec->secret, sec->len,
				               RP_EPOCH_APPLICATION);
				if (st != RP_OK) {
					fmt_into(s->why, sizeof s->why, "%s: rp13_init: %s",
					         s->name, rp_strerror(st));
					break;
				}
				s->app = 1;
			}
		}
	}
	bytes_free(&content);
	if (!s->why[0] && s->opened == 0)
		fmt_into(s->why, sizeof s->why, "%s: no protected record at all", s->name);
	if (!s->why[0] && (s->data.len != want_len || memcmp(s->data.data, want, want_len) != 0))
		fmt_into(s->why, sizeof s->why,
		         "%s: the application data opened (%zu bytes in %u records) is not the "
		         "%zu bytes written",
		         s->name, s->data.len, s->n_app, want_len);
	return !s->why[0];
}

/* ---- one case ---------------------------------------------------------------- */

struct runner {
	struct impl_handle *backend, *peer;
	int expect_fail;
	const char *mode; /* "in process" / "out of process" */
};

static int handshake(struct pump *p, struct endpoint *c, struct endpoint *s, char *why, size_t cap)
{
	int sc = TLSH_WANT_READ, ss = TLSH_WANT_READ;
	for (int i = 0; i < 64; i++) {
		if (sc != TLSH_OK)
			sc = ep_handshake(c);
		pump_flush(p, C2S);
		if (ss != TLSH_OK)
			ss = ep_handshake(s);
		pump_flush(p, S2C);
		if (sc == TLSH_OK && ss == TLSH_OK)
			return 1;
		if ((sc != TLSH_OK && sc != TLSH_WANT_READ) ||
		    (ss != TLSH_OK && ss != TLSH_WANT_READ))
			break;
	}
	fmt_into(why, cap, "handshake: client %s (%s), server %s (%s)", status_name(sc),
	         c->err.message, status_name(ss), s->err.message);
	return 0;
}

/* Writes all of data on `from`, and reads it all on `to`. */
static int transfer(struct pump *p, struct endpoint *from, struct endpoint *to, enum dir d,
                    const uint8_t *data, size_t len, char *why, size_t cap)
{
	size_t done = 0, got = 0;
	uint8_t buf[4096];
	for (int i = 0; i < 256 && (done < len || got < len); i++) {
		if (done < len) {
			size_t n = 0;
			int st = ep_write(from, data + done, len - done, &n);
			if (st != TLSH_OK && st != TLSH_WANT_READ && st != TLSH_WANT_WRITE) {
				fmt_into(why, cap, "write: %s", status_name(st));
				return 0;
			}
			done += st == TLSH_OK ? n : 0;
		}
		pump_flush(p, d);
		for (;;) {
			size_t n = 0;
			int st = ep_read(to, buf, sizeof buf, &n);
			if (st != TLSH_OK)
				break;
			if (got + n > len || memcmp(buf, data + got, n) != 0) {
				fmt_into(why, cap, "read: the peer got other bytes than written");
				return 0;
			}
			got += n;
		}
		pump_flush(p, d == C2S ? S2C : C2S); /* e.g. a KeyUpdate answer */
	}
	if (got != len)
		fmt_into(why, cap, "transfer: %zu of %zu bytes arrived", got, len);
	return got == len;
}

static int silent_version(const char *name, enum tlsh_version v)
{
	for (size_t i = 0; i < sizeof silent_versions / sizeof *silent_versions; i++)
		if (strcmp(silent_versions[i].backend, name) == 0 &&
		    silent_versions[i].version == v)
			return 1;
	return 0;
}

static void run_case(struct runner *r, enum tlsh_role role, enum tlsh_version v)
{
	const char *bname = r->backend->fn.name, *vn = v == TLSH_TLS_1_2 ? "TLS 1.2" : "TLS 1.3";
	const char *rn = role == TLSH_ROLE_CLIENT ? "client" : "server";
	struct cfgb cc, sc;
	cfg_init(&cc);
	cfg_init(&sc);
	cfg_std_client(&cc, "rsa");
	cfg_std_server(&sc, "rsa");
	cfg_versions(&cc, v, v);
	cfg_versions(&sc, v, v);
	struct endpoint c = {0}, s = {0};
	struct impl_handle *ci = role == TLSH_ROLE_CLIENT ? r->backend : r->peer;
	struct impl_handle *si = role == TLSH_ROLE_SERVER ? r->backend : r->peer;
	char why[600] = "";
	struct collected got = {0};
	struct pump p;
	memset(&p, 0, sizeof p);
	int ok = 0, skipped = 0;
	if (ep_open(&c, ci, TLSH_ROLE_CLIENT, &cc.cfg, TEST_HOST) != TLSH_OK ||
	    ep_open(&s, si, TLSH_ROLE_SERVER, &sc.cfg, NULL) != TLSH_OK) {
		fmt_into(why, sizeof why, "cannot open the endpoints: %s%s", c.err.message,
		         s.err.message);
		goto out;
	}
	struct endpoint *me = role == TLSH_ROLE_CLIENT ? &c : &s;
	int st = r->backend->fn.set_secret_callback(me->buf, collect, &got);
	if (st != TLSH_OK) {
		struct tlsh_error e;
		ep_last_error(me, &e);
		/* A documented refusal: the status says TLS_ERROR and why. */
		skipped = st == TLSH_TLS_ERROR && e.message[0];
		fmt_into(why, sizeof why, "set_secret_callback refused: %s: %s", status_name(st),
		         e.message);
		goto out;
	}
	pump_init(&p, &c, &s);
	got.p = &p;
	static uint8_t c_data[5000], s_data[3000];
	for (size_t i = 0; i < sizeof c_data; i++)
		c_data[i] = (uint8_t)('a' + i % 26);
	for (size_t i = 0; i < sizeof s_data; i++)
		s_data[i] = (uint8_t)('A' + (i * 7) % 26);
	if (!handshake(&p, &c, &s, why, sizeof why) ||
	    !transfer(&p, &c, &s, C2S, c_data, sizeof c_data, why, sizeof why) ||
	    !transfer(&p, &s, &c, S2C, s_data, sizeof s_data, why, sizeof why))
		goto out;
	remote_sync();
	if (got.bad) {
		fmt_into(why, sizeof why, "%u of %u secrets handed over were malformed", got.bad,
		         got.calls);
		goto out;
	}
	if (silent_version(bname, v)) {
		skipped = got.calls == 0;
		fmt_into(why, sizeof why,
		         got.calls
		                 ? "documented as exporting nothing at %s, but exported %u secrets"
		                 : "exports nothing at %s (documented)",
		         vn, got.calls);
		goto out;
	}
	if (p.truncated_transcript) {
		fmt_into(why, sizeof why, "transcript truncated");
		goto out;
	}
	struct hello_info h;
	parse_hellos(&p.wire[C2S], &p.wire[S2C], &h);
	uint16_t suite = ep_cipher(me);
	if (!h.have_cr || (v == TLSH_TLS_1_2 && !h.have_sr) ||
	    !rp_can_protect(suite, v == TLSH_TLS_1_2 ? RP_TLS12 : RP_TLS13)) {
		fmt_into(why, sizeof why,
		         "cannot follow the transcript (suite 0x%04x, hellos %d/%d)", suite,
		         h.have_cr, h.have_sr);
		goto out;
	}
	struct side cs = {.name = "client->server", .own = role == TLSH_ROLE_CLIENT},
	            ss = {.name = "server->client", .own = role == TLSH_ROLE_SERVER};
	int okc = check_side(&cs, &p.wire[C2S], 1, suite, v, &got, &h, c_data, sizeof c_data);
	int oks = check_side(&ss, &p.wire[S2C], 0, suite, v, &got, &h, s_data, sizeof s_data);
	ok = okc && oks;
	fmt_into(why, sizeof why, "%u secrets, suite 0x%04x, %u + %u records opened%s%s%s%s",
	         got.calls, suite, cs.opened, ss.opened, cs.why[0] ? "; " : "", cs.why,
	         ss.why[0] ? "; " : "", ss.why);
	bytes_free(&cs.hs);
	bytes_free(&cs.data);
	bytes_free(&ss.hs);
	bytes_free(&ss.data);
out:
	if (skipped) {
		printf("ok %d - %s %s %s (%s) # SKIP %s\n", ++t_n, bname, rn, vn, r->mode, why);
		fflush(stdout);
	} else {
		tap(r->expect_fail ? !ok : ok, "%s %s %s against openssl (%s): %s%s", bname, rn, vn,
		    r->mode, r->expect_fail ? (ok ? "NOT CAUGHT: " : "caught: ") : "", why);
	}
	if (p.ep[0] != NULL)
		pump_free(&p);
	ep_close(&c);
	ep_close(&s);
	cfg_free(&cc);
	cfg_free(&sc);
	rp_keylog_free(&got.kl);
}

static void die_violation(const char *msg)
{
	printf("Bail out! %s\n", msg);
	exit(2);
}

int main(int argc, char **argv)
{
	int remote = 0, expect_fail = 0;
	static const struct option opts[] = {
	        {"remote", no_argument, NULL, 'r'},
	        {"expect-fail", no_argument, NULL, 'x'},
	        {NULL, 0, NULL, 0},
	};
	for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (o == 'r')
			remote = 1;
		else if (o == 'x')
			expect_fail = 1;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: secrets-check [--remote] [--expect-fail] BACKEND...\n");
		return 2;
	}
	ep_violation = die_violation;
	char err[512];
	/* Every remote first: nothing is loaded here yet. */
	static struct impl_handle peer;
	if (remote_spawn("openssl", &peer, err, sizeof err) != 0) {
		printf("Bail out! cannot start the openssl peer: %s\n", err);
		return 2;
	}
	int nb = argc - optind;
	struct impl_handle *hs = calloc((size_t)nb, sizeof *hs);
	if (hs == NULL)
		return 2;
	for (int i = 0; i < nb && remote; i++)
		if (remote_spawn(argv[optind + i], &hs[i], err, sizeof err) != 0) {
			printf("Bail out! %s: %s\n", argv[optind + i], err);
			return 2;
		}
	for (int i = 0; i < nb; i++) {
		if (!remote && impl_load(argv[optind + i], &hs[i], err, sizeof err) != 0) {
			printf("Bail out! %s: %s\n", argv[optind + i], err);
			return 2;
		}
		struct impl_handle *b = &hs[i];
		int documented = 0;
		for (size_t k = 0; k < sizeof undeclared / sizeof *undeclared; k++)
			documented |= strcmp(b->fn.name, undeclared[k]) == 0;
		int declared = (b->fn.capabilities & TLSH_CAP_EXPORT_SECRETS) &&
		               b->fn.set_secret_callback != NULL;
		if (documented || !declared) {
			if (documented && !declared)
				printf("ok %d - %s # SKIP does not declare EXPORT_SECRETS "
				       "(documented)\n",
				       ++t_n, b->fn.name);
			else
				tap(0, "%s (%s) %s", b->fn.name,
				    remote ? "out of process" : "in process",
				    declared ? "declares EXPORT_SECRETS: take it off "
				               "secrets_check's "
				               "undeclared list"
				             : "does not declare EXPORT_SECRETS");
			continue;
		}
		struct runner r = {b, &peer, expect_fail, remote ? "out of process" : "in process"};
		for (int role = 0; role < 2; role++) {
			enum tlsh_role ro = role ? TLSH_ROLE_SERVER : TLSH_ROLE_CLIENT;
			if (b->fn.capabilities & TLSH_CAP_TLS12)
				run_case(&r, ro, TLSH_TLS_1_2);
			if (b->fn.capabilities & TLSH_CAP_TLS13)
				run_case(&r, ro, TLSH_TLS_1_3);
		}
	}
	printf("1..%d\n", t_n);
	return t_fail ? 1 : 0;
}
