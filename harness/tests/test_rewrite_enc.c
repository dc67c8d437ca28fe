/* Unit tests of the rewriter's encrypted phase (rewrite.h) on real OpenSSL
 * connections with their key logs (harness/tests/recprot/, the fixtures of
 * test_recprot): every protected record the rewriter emits is opened here by
 * an independent reader (recprot's primitives, its own key schedule), so the
 * test checks what a receiver believes:
 *   - a mutation that matches nothing changes no record's content, whole
 *     flights or one byte at a time, TLS 1.3 and 1.2 (GCM, ChaCha20, CBC);
 *   - a Finished bit flip changes exactly that bit; a tag / ciphertext /
 *     CBC padding change makes exactly that record fail, with the right
 *     error; a padding-only record has no content type; padding is added;
 *   - an injected KeyUpdate makes every later record arrive under the
 *     updated keys with the sender's content (the translation), the
 *     sender's own KeyUpdates still followed;
 *   - the other direction is decrypted (its KeyUpdates counted);
 *   - without the secrets nothing changes and the reason is given.
 *
 *     test_rewrite_enc FIXTURE_DIR */
#include "recprot.h"
#include "t.h"
#include "tr.h"

/* ---- an independent reader ------------------------------------------------- */

struct hello_info {
	uint16_t version, suite;
	uint8_t cr[32], sr[32];
	int etm;
};

static int hello_info(const struct tr *t, struct hello_info *hi)
{
	struct tls_conv c;
	tr_conv(t, &c);
	long ch = tls_dir_find(&c.d[0], TLS_HS_CLIENT_HELLO, -1, 0);
	long sh = tls_dir_find(&c.d[1], TLS_HS_SERVER_HELLO, 0, 0);
	int ok = ch >= 0 && sh >= 0;
	if (ok) {
		struct tls_hello h;
		memcpy(hi->cr, tls_msg_body(&c.d[0], (size_t)ch) + 2, 32);
		tls_hello_parse(&h, 2, tls_msg_body(&c.d[1], (size_t)sh), c.d[1].msg[sh].len);
		memcpy(hi->sr, h.random, 32);
		hi->suite = (uint16_t)(h.ciphers[0] << 8 | h.ciphers[1]);
		hi->version = c.version;
		hi->etm = tls_hello_ext(&h, TLS_EXT_ENCRYPT_THEN_MAC) != NULL;
	}
	tls_conv_free(&c);
	return ok ? 0 : -1;
}

struct rrec {
	int status;
	uint8_t type;
	size_t padding;
	struct bytes c;
};

#define MAXREC 256

/* Opens every protected record of direction dir in w, following the key
 * schedule (TLS 1.3: handshake keys, application keys after the sender's
 * Finished, a KeyUpdate after each; TLS 1.2: the key block after
 * ChangeCipherSpec). Stops after the first record that does not open.
 * Returns the count. */
static size_t read_dir(const struct rp_keylog *kl, const struct hello_info *hi, int dir,
                       const struct bytes *w, struct rrec *out)
{
	struct rp_dir d;
	memset(&d, 0, sizeof d);
	int keyed = 0, app = 0, prot = 0;
	size_t n = 0, off = 0;
	while (off < w->len && n < MAXREC) {
		size_t rl = rp_record_len(w->data + off, w->len - off);
		if (!rl)
			break;
		const uint8_t *rec = w->data + off;
		off += rl;
		int is_prot = hi->version == RP_TLS13 ? rec[0] == TLS_CT_APPDATA : prot;
		if (rec[0] == TLS_CT_CCS)
			prot = 1;
		if (!is_prot)
			continue;
		if (!keyed) {
			if (hi->version == RP_TLS13) {
				const struct rp_secret *s = rp_keylog_find(
				        kl, hi->cr, dir ? RP_SERVER_HS : RP_CLIENT_HS);
				if (!s || rp13_init(&d, hi->suite, s->secret, s->len,
				                    RP_EPOCH_HANDSHAKE) != RP_OK)
					return n;
			} else {
				struct rp_dir cw, sw;
				const struct rp_secret *s =
				        rp_keylog_find(kl, hi->cr, RP_CLIENT_RANDOM);
				if (!s || rp12_init(&cw, &sw, hi->suite, s->secret, s->len, hi->cr,
				                    hi->sr, hi->etm) != RP_OK)
					return n;
				d = dir ? sw : cw;
			}
			keyed = 1;
		}
		struct rrec *r = &out[n++];
		memset(r, 0, sizeof *r);
		struct rp_opened info;
		r->status = rp_open(&d, rec, rl, &r->c, &info);
		r->type = info.type;
		r->padding = info.padding;
		if (r->status == RP_E_NO_TYPE)
			continue; /* authentic, no content type: the next one follows */
		if (r->status != RP_OK)
			break;
		if (hi->version != RP_TLS13 || r->type != TLS_CT_HANDSHAKE)
			continue;
		for (size_t p = 0; p + 4 <= r->c.len;) {
			uint8_t mt = r->c.data[p];
			size_t ml = (size_t)r->c.data[p + 1] << 16 | (size_t)r->c.data[p + 2] << 8 |
			            r->c.data[p + 3];
			if (mt == TLS_HS_FINISHED && !app) {
				const struct rp_secret *s = rp_keylog_find(
				        kl, hi->cr, dir ? RP_SERVER_AP0 : RP_CLIENT_AP0);
				if (!s || rp13_init(&d, hi->suite, s->secret, s->len,
				                    RP_EPOCH_APPLICATION) != RP_OK)
					return n;
				app = 1;
			} else if (mt == TLS_HS_KEY_UPDATE && app) {
				rp13_key_update(&d);
			}
			p += 4 + ml;
		}
	}
	return n;
}

static void recs_free(struct rrec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bytes_free(&r[i].c);
}

/* ---- fixtures ----------------------------------------------------------------- */

struct fx {
	const char *name;
	struct tr t;
	struct rp_keylog kl;
	struct hello_info hi;
};

static int fx_load(const char *dir, const char *name, struct fx *f)
{
	memset(f, 0, sizeof *f);
	f->name = name;
	struct bytes b = {0};
	char *p = xasprintf("%s/%s.tlstr", dir, name);
	int ok = read_file(p, &b) == 0 && tr_parse(&f->t, b.data, b.len) == 0;
	free(p);
	bytes_free(&b);
	p = xasprintf("%s/%s.keylog", dir, name);
	char err[200];
	ok = ok && read_file(p, &b) == 0 &&
	     rp_keylog_parse(&f->kl, (const char *)b.data, b.len, err, sizeof err) == RP_OK;
	free(p);
	bytes_free(&b);
	return ok && hello_info(&f->t, &f->hi) == 0 ? 0 : -1;
}

static void fx_free(struct fx *f)
{
	tr_free(&f->t);
	rp_keylog_free(&f->kl);
}

/* Replays f's transcript through a rewriter with m on direction dir, the
 * secrets handed over first (none when `secrets` is 0). */
static struct rewriter *replay(struct fx *f, const struct rw_mutation *m, int dir, size_t chunk,
                               int secrets, struct tr *out)
{
	memset(out, 0, sizeof *out);
	struct rewriter *rw = rw_new(m, dir);
	for (size_t i = 0; secrets && i < f->kl.n; i++)
		rw_secret(rw, f->kl.v[i].label, f->kl.v[i].client_random, f->kl.v[i].secret,
		          f->kl.v[i].len);
	for (size_t i = 0; i < f->t.nseg; i++) {
		const struct bytes *s = &f->t.seg[i];
		if (f->t.dir[i] != dir) {
			rw_observe(rw, s->data, s->len);
			tr_add(out, f->t.dir[i], s->data, s->len);
			continue;
		}
		struct bytes o = {0};
		size_t step = chunk ? chunk : s->len;
		for (size_t off = 0; off < s->len; off += step)
			rw_push(rw, s->data + off, s->len - off < step ? s->len - off : step, &o);
		rw_flush(rw, &o);
		tr_add(out, dir, o.data, o.len);
		bytes_free(&o);
	}
	return rw;
}

/* Index of the first record whose handshake content starts with type t. */
static long find_hs(const struct rrec *r, size_t n, uint8_t t)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].status == RP_OK && r[i].type == TLS_CT_HANDSHAKE && r[i].c.len &&
		    r[i].c.data[0] == t)
			return (long)i;
	return -1;
}

/* Handshake content of records [0, n) joined, and the other records. */
static int same_records(const struct rrec *a, size_t na, const struct rrec *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].status != b[i].status || a[i].type != b[i].type ||
		    a[i].c.len != b[i].c.len ||
		    (a[i].c.len && memcmp(a[i].c.data, b[i].c.data, a[i].c.len)))
			return 0;
	return 1;
}

static int bytes_eq_(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

/* ---- the tests ------------------------------------------------------------------- */

static const struct rw_mutation m_none = {
        .name = "none", .enc = RW_ENC_HS, .msg = 0xfe, .op = RW_XOR, .at = 0};
static const struct rw_mutation m_fin_flip = {.name = "fin-flip",
                                              .enc = RW_ENC_HS,
                                              .msg = TLS_HS_FINISHED,
                                              .op = RW_XOR,
                                              .at = 0,
                                              .value = 0x01};
static const struct rw_mutation m_fin_tag = {
        .name = "fin-tag", .enc = RW_ENC_HS, .msg = TLS_HS_FINISHED, .op = RW_E_TAG};
static const struct rw_mutation m_fin_ct = {
        .name = "fin-ct", .enc = RW_ENC_HS, .msg = TLS_HS_FINISHED, .op = RW_E_CT};
static const struct rw_mutation m_fin_cut = {
        .name = "fin-cut", .enc = RW_ENC_HS, .msg = TLS_HS_FINISHED, .op = RW_E_CUT};
static const uint8_t d_ku1[] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 1};
static const struct rw_mutation m_ku1 = {.name = "ku1",
                                         .enc = RW_ENC_HS,
                                         .msg = TLS_HS_FINISHED,
                                         .op = RW_INJECT_AFTER,
                                         .ctype = TLS_CT_HANDSHAKE,
                                         .data = d_ku1,
                                         .len = sizeof d_ku1};
static const struct rw_mutation m_padonly = {.name = "padonly",
                                             .enc = RW_ENC_HS,
                                             .msg = TLS_HS_FINISHED,
                                             .op = RW_E_PAD_ONLY,
                                             .size = 7};
static const struct rw_mutation m_app_pad = {
        .name = "app-pad", .enc = RW_ENC_APPDATA, .op = RW_E_PADDING, .size = 100};
static const struct rw_mutation m_cbc_pad = {.name = "cbc-pad",
                                             .enc = RW_ENC_HS,
                                             .msg = TLS_HS_FINISHED,
                                             .op = RW_E_CBC_PAD,
                                             .value = 1};
static const struct rw_mutation m_cbc_padlen = {.name = "cbc-padlen",
                                                .enc = RW_ENC_HS,
                                                .msg = TLS_HS_FINISHED,
                                                .op = RW_E_CBC_PAD,
                                                .value = 2};
static const struct rw_mutation m_ee_add = {.name = "ee-add",
                                            .enc = RW_ENC_HS,
                                            .msg = TLS_HS_ENCRYPTED_EXTENSIONS,
                                            .op = RW_EXT_ADD,
                                            .ext = 0x4242,
                                            .at = -1,
                                            .data = d_ku1,
                                            .len = 2};

static void test_fixture(struct fx *f)
{
	int v13 = f->hi.version == RP_TLS13;
	struct rrec orig[2][MAXREC], got[MAXREC];
	size_t no[2];
	for (int dir = 0; dir < 2; dir++)
		no[dir] = read_dir(&f->kl, &f->hi, dir, &f->t.wire[dir], orig[dir]);
	OK(no[0] > 1 && no[1] > 1 && orig[1][no[1] - 1].status == RP_OK,
	   "%s: the reader opens the original records (%zu c2s, %zu s2c)", f->name, no[0], no[1]);

	/* A mutation that matches nothing: same content, both directions,
	 * whole flights and one byte at a time. */
	for (int dir = 0; dir < 2; dir++)
		for (size_t chunk = 0; chunk <= 1; chunk++) {
			struct tr out;
			struct rewriter *rw = replay(f, &m_none, dir, chunk, 1, &out);
			size_t n = read_dir(&f->kl, &f->hi, dir, &out.wire[dir], got);
			OK(same_records(orig[dir], no[dir], got, n) && !rw_applied(rw) &&
			           !rw_enc_error(rw)[0] && rw_translated(rw) == 0,
			   "%s: dir %d, %s: every protected record carries what it carried (%zu)",
			   f->name, dir, chunk ? "one byte at a time" : "whole flights", n);
			OK(bytes_eq_(&out.wire[!dir], &f->t.wire[!dir]),
			   "%s: dir %d: the other direction is untouched", f->name, dir);
			recs_free(got, n);
			rw_free(rw);
			tr_free(&out);
		}

	/* The server's Finished, one bit flipped: only that bit differs. */
	struct tr out;
	struct rewriter *rw = replay(f, &m_fin_flip, 1, 0, 1, &out);
	size_t n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
	long fo = find_hs(orig[1], no[1], TLS_HS_FINISHED), fg = find_hs(got, n, TLS_HS_FINISHED);
	int only = fo >= 0 && fg >= 0 && got[fg].c.len == orig[1][fo].c.len;
	size_t diff = 0;
	for (size_t i = 0; only && i < got[fg].c.len; i++)
		diff += got[fg].c.data[i] != orig[1][fo].c.data[i];
	OK(only && diff == 1 && (got[fg].c.data[4] ^ orig[1][fo].c.data[4]) == 0x01 &&
	           rw_applied(rw) == 1 && n >= no[1],
	   "%s: Finished flip: one bit of verify_data differs, every record still opens", f->name);
	/* Everything after it is the same content (re-framed around it). */
	int tail = n - (size_t)fg == no[1] - (size_t)fo;
	for (size_t k = 1; tail && (size_t)fg + k < n; k++)
		tail = same_records(&orig[1][fo + (long)k], 1, &got[fg + (long)k], 1);
	OK(tail, "%s: Finished flip: the records after it are unchanged", f->name);
	OK(rw_log_count(rw) >= 1 && strstr(rw_log_get(rw, 0)->what, "Finished"),
	   "%s: Finished flip: logged (%s)", f->name,
	   rw_log_count(rw) ? rw_log_get(rw, 0)->what : "");
	recs_free(got, n);
	rw_free(rw);
	tr_free(&out);

	/* Record-level changes: that record fails, with the right error. */
	const struct rw_mutation *bad[] = {&m_fin_tag, &m_fin_ct, &m_fin_cut};
	for (size_t k = 0; k < 3; k++) {
		rw = replay(f, bad[k], 0, 0, 1, &out);
		n = read_dir(&f->kl, &f->hi, 0, &out.wire[0], got);
		long cf = find_hs(orig[0], no[0], TLS_HS_FINISHED);
		int want = f->hi.suite == 0xc009 || f->hi.suite == 0xc00a ||
		                           f->hi.suite == 0xc023 || f->hi.suite == 0xc024
		                   ? RP_E_MAC
		                   : RP_E_TAG;
		int st = n ? got[n - 1].status : 0;
		OK(cf >= 0 && n == (size_t)cf + 1 &&
		           (st == want || (k > 0 && (st == RP_E_PADDING || st == RP_E_MALFORMED))),
		   "%s: %s: the client's Finished record fails to open (%s)", f->name, bad[k]->name,
		   rp_strerror(st));
		recs_free(got, n);
		rw_free(rw);
		tr_free(&out);
	}

	/* No secrets: nothing changes, and the reason is said. */
	rw = replay(f, &m_fin_flip, 1, 0, 0, &out);
	OK(bytes_eq_(&out.wire[1], &f->t.wire[1]) && strstr(rw_enc_error(rw), "no ") &&
	           !rw_applied(rw),
	   "%s: without secrets the bytes pass unchanged: %s", f->name, rw_enc_error(rw));
	rw_free(rw);
	tr_free(&out);

	if (!v13) {
		int cbc_suite = f->hi.suite == 0xc009 || f->hi.suite == 0xc00a ||
		                f->hi.suite == 0xc023 || f->hi.suite == 0xc024;
		const struct rw_mutation *cbc[] = {&m_cbc_pad, &m_cbc_padlen};
		for (size_t k = 0; cbc_suite && k < 2; k++) {
			rw = replay(f, cbc[k], 1, 0, 1, &out);
			n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
			OK(n == (size_t)fo + 1 && got[n - 1].status == RP_E_PADDING,
			   "%s: %s: the server's Finished record has bad CBC padding (%s)", f->name,
			   cbc[k]->name, n ? rp_strerror(got[n - 1].status) : "none");
			recs_free(got, n);
			rw_free(rw);
			tr_free(&out);
		}
		for (int dir = 0; dir < 2; dir++)
			recs_free(orig[dir], no[dir]);
		return;
	}

	/* TLS 1.3: a KeyUpdate injected after the server's Finished. */
	rw = replay(f, &m_ku1, 1, 0, 1, &out);
	n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
	int ku_ok = n == no[1] + 1 && got[fo + 1].status == RP_OK &&
	            got[fo + 1].type == TLS_CT_HANDSHAKE && got[fo + 1].c.len == 5 &&
	            !memcmp(got[fo + 1].c.data, d_ku1, 5);
	for (size_t k = (size_t)fo + 1; ku_ok && k < no[1]; k++)
		ku_ok = same_records(&orig[1][k], 1, &got[k + 1], 1);
	OK(ku_ok && rw_translated(rw) == no[1] - (size_t)fo - 1,
	   "%s: KeyUpdate injected: %zu later records arrive under the updated keys with the "
	   "sender's content (the sender's own KeyUpdates followed)",
	   f->name, rw_translated(rw));
	struct rw_other o;
	rw_decrypt_other(rw, out.wire[0].data, out.wire[0].len, &o);
	OK(o.failed == 0 && o.opened == (int)no[0] && o.keyupdates == 1 && o.ku_requested == 1 &&
	           o.appdata > 0,
	   "%s: the other direction decrypted: %d records, %d KeyUpdate(s), %d requested", f->name,
	   o.opened, o.keyupdates, o.ku_requested);
	OK(rw_plain_count(rw) > 0 && rw_plain_get(rw, 0)->offset > 0,
	   "%s: the decrypted view has %zu entries", f->name, rw_plain_count(rw));
	recs_free(got, n);
	rw_free(rw);
	tr_free(&out);

	/* A record of padding only, before the Finished. */
	rw = replay(f, &m_padonly, 1, 0, 1, &out);
	n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
	OK(n > (size_t)fo && got[fo].status == RP_E_NO_TYPE && got[fo].padding == 7,
	   "%s: padding-only record: no content type (%s, %zu zeros)", f->name,
	   n > (size_t)fo ? rp_strerror(got[fo].status) : "none",
	   n > (size_t)fo ? got[fo].padding : 0);
	OK(n == no[1] + 1 && same_records(orig[1], (size_t)fo, got, (size_t)fo) &&
	           same_records(&orig[1][fo], no[1] - (size_t)fo, &got[fo + 1], n - (size_t)fo - 1),
	   "%s: padding-only record: every original record follows it unchanged (%zu of %zu)",
	   f->name, n, no[1] + 1);
	recs_free(got, n);
	rw_free(rw);
	tr_free(&out);

	/* Padding on the first application data record. */
	rw = replay(f, &m_app_pad, 1, 0, 1, &out);
	n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
	long ao = -1;
	for (size_t i = 0; i < no[1] && ao < 0; i++)
		if (orig[1][i].type == TLS_CT_APPDATA)
			ao = (long)i;
	OK(ao >= 0 && n == no[1] && got[ao].padding == 100 && same_records(orig[1], no[1], got, n),
	   "%s: application data padded by 100 bytes, content unchanged", f->name);
	recs_free(got, n);
	rw_free(rw);
	tr_free(&out);

	/* An extension added to EncryptedExtensions. */
	rw = replay(f, &m_ee_add, 1, 0, 1, &out);
	n = read_dir(&f->kl, &f->hi, 1, &out.wire[1], got);
	long eo = find_hs(got, n, TLS_HS_ENCRYPTED_EXTENSIONS);
	int ee_ok = eo >= 0 && got[eo].c.len >= 6 + 6;
	if (ee_ok) {
		const uint8_t *b = got[eo].c.data + 4;
		size_t bl = (size_t)got[eo].c.data[1] << 16 | (size_t)got[eo].c.data[2] << 8 |
		            got[eo].c.data[3];
		ee_ok = ((size_t)b[0] << 8 | b[1]) + 2 == bl &&
		        !memcmp(b + bl - 6, "\x42\x42\x00\x02", 4);
	}
	OK(ee_ok && n == no[1], "%s: EncryptedExtensions gains the extension, lengths follow",
	   f->name);
	recs_free(got, n);
	rw_free(rw);
	tr_free(&out);
	for (int dir = 0; dir < 2; dir++)
		recs_free(orig[dir], no[dir]);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_rewrite_enc FIXTURE_DIR\n");
		return 2;
	}
	static const char *names[] = {"tls13-aes128gcm",    "tls13-aes256gcm",
	                              "tls13-chacha20",     "tls12-aes128gcm",
	                              "tls12-chacha20",     "tls12-cbc-sha1-mte",
	                              "tls12-cbc-sha1-etm", "tls12-cbc-sha256-etm"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct fx f;
		if (fx_load(argv[1], names[i], &f) != 0) {
			printf("Bail out! cannot load fixture %s from %s\n", names[i], argv[1]);
			return 1;
		}
		test_fixture(&f);
		fx_free(&f);
	}
	return t_done();
}
