/* Unit tests of the plaintext rewriter on real OpenSSL transcripts: every
 * named mutation is replayed (whole flights and one byte at a time), the
 * result is parsed back with the message layer, and the test checks that
 * exactly the intended change happened: the other direction and the
 * encrypted phase are byte-identical, untouched messages are identical, and
 * the target differs only where the mutation says. Also: structural
 * boundaries, held partial records, the log. */
#include "t.h"
#include "tr.h"

static struct tr b13, b12, balpn, bhrr;

/* ---- Comparison helpers ------------------------------------------------- */

static int bytes_eq(const struct bytes *a, const struct bytes *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

/* Raw bytes of direction dir from its first protected record on. */
static void enc_tail(const struct tls_conv *c, int dir, struct bytes *out)
{
	const struct tls_dir *d = &c->d[dir];
	size_t from = d->raw.len;
	for (size_t i = 0; i < d->n_rec; i++)
		if (d->rec[i].encrypted) {
			from = d->rec[i].off;
			break;
		}
	bytes_append(out, d->raw.data + from, d->raw.len - from);
}

static int ext_eq(const struct tls_ext *a, const struct tls_ext *b)
{
	return a->type == b->type && a->len == b->len && !memcmp(a->body, b->body, a->len);
}

enum { F_VERSION = 1, F_RANDOM = 2, F_SID = 4, F_CIPHERS = 8, F_COMP = 16, F_EXTS = 32 };

/* Bit mask of the fields that differ. */
static int hello_diff(const struct tls_hello *a, const struct tls_hello *b)
{
	int m = 0;
	if (a->legacy_version != b->legacy_version)
		m |= F_VERSION;
	if (memcmp(a->random, b->random, 32))
		m |= F_RANDOM;
	if (a->sid_len != b->sid_len || memcmp(a->sid, b->sid, a->sid_len))
		m |= F_SID;
	if (a->ciphers_len != b->ciphers_len || memcmp(a->ciphers, b->ciphers, a->ciphers_len))
		m |= F_CIPHERS;
	if (a->comp_len != b->comp_len || memcmp(a->comp, b->comp, a->comp_len))
		m |= F_COMP;
	if (a->n_ext != b->n_ext)
		m |= F_EXTS;
	for (size_t i = 0; !(m & F_EXTS) && i < a->n_ext; i++)
		if (!ext_eq(&a->ext[i], &b->ext[i]))
			m |= F_EXTS;
	return m;
}

/* b's extension list equals a's with index `skip_b` of b removed. */
static int exts_eq_without(const struct tls_hello *a, const struct tls_hello *b, size_t skip_b)
{
	if (b->n_ext != a->n_ext + 1)
		return 0;
	for (size_t i = 0, j = 0; j < b->n_ext; j++) {
		if (j == skip_b)
			continue;
		if (!ext_eq(&a->ext[i++], &b->ext[j]))
			return 0;
	}
	return 1;
}

static size_t first_of(const struct tls_hello *h, int32_t type)
{
	for (size_t i = 0; i < h->n_ext; i++)
		if (type < 0 || h->ext[i].type == (uint16_t)type)
			return i;
	return SIZE_MAX;
}

/* Index of the targeted message in a direction (first match), or -1. */
static long target_index(const struct tls_dir *d, const struct rw_mutation *m)
{
	if (m->msg == RW_ANY)
		return 0;
	int nth = m->nth < 0 ? 0 : m->nth;
	return tls_dir_find(d, m->msg, m->msg == TLS_HS_SERVER_HELLO ? m->hrr : -1, (size_t)nth);
}

/* ---- Per-op verification ------------------------------------------------- */

/* Checks the hello-level change of mutation m (one op, no chain) between
 * the original target body a and the rewritten b. Returns NULL or what is
 * wrong. */
static const char *check_hello_op(const struct rw_mutation *m, const struct tls_hello *ha,
                                  const struct tls_hello *hb)
{
	int diff = hello_diff(ha, hb);
	size_t i;
	switch (m->op) {
	case RW_EXT_ADD: {
		size_t pos = m->at < 0 ? hb->n_ext - 1 : (size_t)m->at;
		if (diff & ~F_EXTS)
			return "fields other than the extensions changed";
		if (hb->ext[pos].type != (uint16_t)m->ext || hb->ext[pos].len != m->len)
			return "added extension not where expected";
		return exts_eq_without(ha, hb, pos) ? NULL : "other extensions changed";
	}
	case RW_EXT_DROP: {
		if (diff & ~F_EXTS)
			return "fields other than the extensions changed";
		size_t j = 0;
		for (size_t k = 0; k < ha->n_ext; k++) {
			if (ha->ext[k].type == (uint16_t)m->ext)
				continue;
			if (j >= hb->n_ext || !ext_eq(&ha->ext[k], &hb->ext[j++]))
				return "remaining extensions differ";
		}
		return j == hb->n_ext && first_of(hb, m->ext) == SIZE_MAX ? NULL
		                                                          : "extension still there";
	}
	case RW_EXT_DUP:
		i = first_of(ha, m->ext);
		if (diff & ~F_EXTS)
			return "fields other than the extensions changed";
		return exts_eq_without(ha, hb, i + 1) && ext_eq(&hb->ext[i], &hb->ext[i + 1])
		               ? NULL
		               : "not a duplicate right after the original";
	case RW_EXT_MOVE: {
		i = first_of(ha, m->ext);
		size_t pos = m->at < 0 ? hb->n_ext - 1 : (size_t)m->at;
		if (diff & ~F_EXTS || hb->n_ext != ha->n_ext || !ext_eq(&hb->ext[pos], &ha->ext[i]))
			return "extension not moved";
		return NULL;
	}
	case RW_EXT_BODY:
		i = first_of(hb, m->ext);
		if (diff & ~F_EXTS)
			return "fields other than the extensions changed";
		if (i == SIZE_MAX || hb->ext[i].len != m->len ||
		    (m->len && memcmp(hb->ext[i].body, m->data, m->len)))
			return "body not replaced";
		if (first_of(ha, m->ext) == SIZE_MAX)
			return exts_eq_without(ha, hb, i) ? NULL : "other extensions changed";
		for (size_t k = 0; k < ha->n_ext; k++)
			if (k != i && !ext_eq(&ha->ext[k], &hb->ext[k]))
				return "other extensions changed";
		return NULL;
	case RW_SET_VERSION:
		return !(diff & ~F_VERSION) && hb->legacy_version == m->value ? NULL : "version";
	case RW_SET_RANDOM: {
		if (diff & ~F_RANDOM)
			return "fields other than random changed";
		size_t at = m->at < 0 ? 0 : (size_t)m->at;
		for (size_t k = 0; k < 32; k++) {
			int in = k >= at && k - at < m->len;
			if (hb->random[k] != (in ? m->data[k - at] : ha->random[k]))
				return "random bytes";
		}
		return NULL;
	}
	case RW_SET_SID:
		return !(diff & ~F_SID) && hb->sid_len == m->len &&
		                       !memcmp(hb->sid, m->data, m->len)
		               ? NULL
		               : "session id";
	case RW_SET_CIPHER:
		if (diff & ~F_CIPHERS)
			return "fields other than the cipher suite(s) changed";
		if (ha->type == TLS_HS_CLIENT_HELLO)
			return hb->ciphers_len == m->len && !memcmp(hb->ciphers, m->data, m->len)
			               ? NULL
			               : "cipher list";
		return (uint32_t)(hb->ciphers[0] << 8 | hb->ciphers[1]) == m->value ? NULL
		                                                                    : "cipher";
	case RW_SET_COMP:
		if (diff & ~F_COMP)
			return "fields other than compression changed";
		if (ha->type == TLS_HS_CLIENT_HELLO)
			return hb->comp_len == m->len && !memcmp(hb->comp, m->data, m->len)
			               ? NULL
			               : "compression list";
		return hb->comp[0] == m->value ? NULL : "compression";
	case RW_KS_GROUP: {
		i = first_of(ha, TLS_EXT_KEY_SHARE);
		if (diff != F_EXTS || hb->ext[i].len != ha->ext[i].len)
			return "more than key_share changed";
		size_t n = 0, at = SIZE_MAX;
		for (size_t k = 0; k < ha->ext[i].len; k++)
			if (ha->ext[i].body[k] != hb->ext[i].body[k])
				n++, at = at == SIZE_MAX ? k : at;
		const uint8_t *g = hb->ext[i].body + (at == SIZE_MAX ? 0 : at - (at % 2));
		(void)g;
		for (size_t k = 0; k < ha->n_ext; k++)
			if (k != i && !ext_eq(&ha->ext[k], &hb->ext[k]))
				return "other extensions changed";
		return n >= 1 && n <= 2 ? NULL : "key_share group bytes";
	}
	case RW_BIG_HELLO:
	case RW_OVERSIZE: {
		i = first_of(hb, TLS_EXT_PADDING);
		if (diff & ~F_EXTS || i == SIZE_MAX || !exts_eq_without(ha, hb, i))
			return "padding extension not added alone";
		for (size_t k = 0; k < hb->ext[i].len; k++)
			if (hb->ext[i].body[k])
				return "padding not zero";
		size_t want = m->op == RW_BIG_HELLO ? m->size : m->size - 4;
		return hb->body_len == want ? NULL : "hello size";
	}
	default:
		return diff ? "the hello changed" : NULL;
	}
}

static size_t count_plain_hs(const struct tls_dir *d, size_t *zero, size_t *maxlen)
{
	size_t n = 0;
	*zero = 0;
	*maxlen = 0;
	for (size_t i = 0; i < d->n_rec; i++) {
		if (d->rec[i].encrypted || d->rec[i].type != TLS_CT_HANDSHAKE)
			continue;
		n++;
		*zero += d->rec[i].len == 0;
		if (d->rec[i].len > *maxlen)
			*maxlen = d->rec[i].len;
	}
	return n;
}

/* Verifies one replay; returns NULL or what is wrong. */
static const char *verify(const struct rw_mutation *m, const struct tr *orig, const struct tr *out,
                          int dir)
{
	static char why[160];
	struct tls_conv a, b;
	tr_conv(orig, &a);
	tr_conv(out, &b);
	struct bytes ta = {0}, tb = {0};
	const char *bad = NULL;
	if (!bytes_eq(&orig->wire[!dir], &out->wire[!dir])) {
		bad = "the other direction changed";
		goto done;
	}
	/* The protected records of the original end the rewritten stream
	 * unchanged (the rewritten one may no longer parse as the original
	 * did: a stale length, another version). */
	enc_tail(&a, dir, &ta);
	const struct bytes *ob = &out->wire[dir];
	if (ob->len < ta.len || memcmp(ob->data + ob->len - ta.len, ta.data, ta.len) ||
	    ta.len == orig->wire[dir].len) {
		bad = "the encrypted phase changed";
		goto done;
	}
	const struct tls_dir *da = &a.d[dir], *db = &b.d[dir];
	long k = target_index(da, m);
	if (k < 0) {
		bad = "no target in the original";
		goto done;
	}
	const struct tls_msg *ma = &da->msg[k];
	size_t zero, maxlen, na = 0, za, ma_len;
	switch (m->op) {
	case RW_FRAGMENT:
	case RW_ZERO_RECORDS:
	case RW_SPLIT:
	case RW_COALESCE:
	case RW_RECORD_VERSION:
		if (!bytes_eq(&da->hs, &db->hs)) {
			bad = "handshake bytes changed";
			break;
		}
		na = count_plain_hs(da, &za, &ma_len);
		size_t nb = count_plain_hs(db, &zero, &maxlen);
		if (m->op == RW_FRAGMENT && (maxlen > m->size || nb < da->hs.len / m->size))
			bad = "records not of the asked size";
		else if (m->op == RW_ZERO_RECORDS && zero < 1)
			bad = "no zero-length record";
		else if (m->op == RW_COALESCE && nb > na)
			bad = "more records after coalescing";
		else if (m->op == RW_SPLIT && db->msg[k].first_rec == db->msg[k].last_rec)
			bad = "target not split";
		else if (m->op == RW_RECORD_VERSION &&
		         db->rec[db->msg[k].first_rec].version != m->value)
			bad = "record version not set";
		break;
	case RW_INJECT_BEFORE:
	case RW_INJECT_AFTER:
	case RW_INJECT_MID: {
		if (m->copy) {
			/* The target message, twice in a row on the wire (after
			 * a TLS 1.3 ServerHello the copy no longer parses as
			 * plaintext: look for its bytes). */
			const uint8_t *msg = da->hs.data + ma->hs_off;
			size_t ml = 4 + ma->len, hits = 0;
			const struct bytes *w = &out->wire[dir];
			for (size_t i = 0; i + ml <= w->len; i++)
				hits += !memcmp(w->data + i, msg, ml);
			if (hits != 2)
				bad = "message not duplicated";
			break;
		}
		/* An injected ChangeCipherSpec may end the plaintext phase of the
		 * parse: the handshake bytes are a prefix of the original's that
		 * holds the target. */
		if (db->hs.len > da->hs.len || memcmp(db->hs.data, da->hs.data, db->hs.len) ||
		    db->hs.len < ma->hs_off + 4 + ma->len) {
			bad = "handshake bytes changed";
			break;
		}
		const struct tls_msg *mb = &db->msg[k];
		size_t want_lo = m->op == RW_INJECT_BEFORE ? 0 : mb->first_rec;
		size_t want_hi = m->op == RW_INJECT_BEFORE ? mb->first_rec : db->n_rec;
		if (m->op == RW_INJECT_MID)
			want_hi = mb->last_rec;
		if (m->op == RW_INJECT_AFTER)
			want_lo = mb->last_rec;
		int found = 0;
		for (size_t i = want_lo; i < want_hi && i < db->n_rec; i++) {
			const struct tls_rec *r = &db->rec[i];
			if (r->type == m->ctype && r->len == m->len &&
			    !memcmp(db->raw.data + r->off + 5, m->data, m->len))
				found = 1;
		}
		if (!found)
			bad = "injected record not found where expected";
		break;
	}
	case RW_LENGTH: {
		if (m->field == RW_LEN_RECORD) {
			/* The record carrying the target has a wrong length:
			 * compare the raw bytes around it. */
			if (out->wire[dir].len != orig->wire[dir].len)
				bad = "stream length changed";
			break;
		}
		/* The bytes differ in one field only (a wrong length may make
		 * later records parse differently: the original's are compared). */
		if (db->hs.len < da->hs.len) {
			bad = "handshake length changed";
			break;
		}
		size_t lo = SIZE_MAX, hi = 0;
		for (size_t i = 0; i < da->hs.len; i++)
			if (da->hs.data[i] != db->hs.data[i]) {
				if (lo == SIZE_MAX)
					lo = i;
				hi = i;
			}
		size_t start = ma->hs_off, end = ma->hs_off + 4 + ma->len;
		if (lo == SIZE_MAX || lo < start || hi >= end || hi - lo > 2)
			bad = "change outside one length field of the target";
		break;
	}
	case RW_TRUNCATE:
	case RW_PAD: {
		/* Expected handshake bytes: before + header + new body + after. */
		const uint8_t *body = tls_msg_body(da, (size_t)k);
		size_t at = m->at < 0 ? (m->op == RW_PAD ? ma->len : ma->len / 2) : (size_t)m->at;
		size_t n = m->data ? m->len : m->size;
		struct bytes want = {0}, nbody = {0};
		bytes_append(&want, da->hs.data, ma->hs_off);
		bytes_append(&nbody, body, at);
		if (m->op == RW_PAD) {
			for (size_t i = 0; i < n; i++)
				tls_put_u8(&nbody, m->data ? m->data[i] : 0);
			bytes_append(&nbody, body + at, ma->len - at);
		}
		struct tls_hello h;
		tls_hello_parse(&h, ma->type, body, ma->len);
		int inside = m->op == RW_PAD ? at >= h.off_exts + 2 : at > h.off_exts + 2;
		if (m->fix && h.has_exts && inside && at <= h.end) {
			unsigned v =
			        m->op == RW_PAD
			                ? (unsigned)(body[h.off_exts] << 8 | body[h.off_exts + 1]) +
			                          (unsigned)n
			                : (unsigned)(at - h.off_exts - 2);
			nbody.data[h.off_exts] = (uint8_t)(v >> 8);
			nbody.data[h.off_exts + 1] = (uint8_t)v;
		}
		tls_put_hs(&want, ma->type, nbody.data, nbody.len);
		if (!m->fix) {
			want.data[ma->hs_off + 1] = (uint8_t)(ma->len >> 16);
			want.data[ma->hs_off + 2] = (uint8_t)(ma->len >> 8);
			want.data[ma->hs_off + 3] = (uint8_t)ma->len;
		}
		bytes_append(&want, da->hs.data + ma->hs_off + 4 + ma->len,
		             da->hs.len - ma->hs_off - 4 - ma->len);
		/* With a stale length the message swallows what follows, and
		 * later records may parse differently: compare what is known. */
		if (db->hs.len < want.len || memcmp(db->hs.data, want.data, want.len) ||
		    (m->fix && db->hs.len != want.len))
			bad = "handshake bytes are not the expected cut/padded message";
		bytes_free(&want);
		bytes_free(&nbody);
		break;
	}
	case RW_APPEND_HS:
		if (db->hs.len != da->hs.len + m->len)
			bad = "appended bytes";
		break;
	default: {
		/* Hello-level ops: every other message identical; the target
		 * re-encoded with consistent lengths and changed as asked. */
		/* A changed version may change how later records parse: every
		 * message both parses hold is compared. */
		if (db->n_msg <= (size_t)k || (db->n_msg != da->n_msg && m->op != RW_SET_VERSION)) {
			bad = "message count changed";
			break;
		}
		for (size_t i = 0; i < da->n_msg && i < db->n_msg; i++)
			if ((long)i != k &&
			    (da->msg[i].len != db->msg[i].len ||
			     memcmp(tls_msg_body(da, i), tls_msg_body(db, i), da->msg[i].len))) {
				bad = "an untargeted message changed";
				goto done;
			}
		struct tls_hello *ha = xmalloc(sizeof *ha), *hb = xmalloc(sizeof *hb);
		tls_hello_parse(ha, ma->type, tls_msg_body(da, (size_t)k), ma->len);
		int rc = tls_hello_parse(hb, db->msg[k].type, tls_msg_body(db, (size_t)k),
		                         db->msg[k].len);
		if (rc != 0)
			bad = "rewritten hello does not parse";
		else if (!m->then)
			bad = check_hello_op(m, ha, hb);
		else
			for (const struct rw_mutation *x = m; x && !bad; x = x->then)
				if ((x->op == RW_EXT_ADD && first_of(hb, x->ext) == SIZE_MAX) ||
				    (x->op == RW_EXT_DROP && first_of(hb, x->ext) != SIZE_MAX) ||
				    (x->op == RW_SET_CIPHER &&
				     (hb->ciphers_len != x->len ||
				      memcmp(hb->ciphers, x->data, x->len))))
					bad = "a step of the chain did not happen";
		if (!bad && m->op == RW_OVERSIZE && db->rec[db->msg[k].first_rec].len != m->size)
			bad = "record not of the asked size";
		free(ha);
		free(hb);
		break;
	}
	}
done:
	if (bad)
		fmt_into(why, sizeof why, "%s", bad);
	bytes_free(&ta);
	bytes_free(&tb);
	tls_conv_free(&a);
	tls_conv_free(&b);
	return bad ? why : NULL;
}

/* ---- Tests ------------------------------------------------------------------ */

static void identity(void)
{
	static const struct rw_mutation none = {.name = "none", .msg = 99};
	const struct tr *bases[] = {&b13, &b12, &balpn};
	int same = 1;
	for (size_t i = 0; i < 3; i++)
		for (int dir = 0; dir < 2; dir++)
			for (size_t chunk = 0; chunk < 8; chunk += 1 + chunk) {
				struct tr out;
				struct rewriter *rw = tr_replay(bases[i], &none, dir, chunk, &out);
				same &= bytes_eq(&bases[i]->wire[0], &out.wire[0]) &&
				        bytes_eq(&bases[i]->wire[1], &out.wire[1]) &&
				        rw_applied(rw) == 0 && rw_log_count(rw) == 0;
				rw_free(rw);
				tr_free(&out);
			}
	OK(same, "a mutation without a target passes every byte unchanged (any chunking)");
}

/* Every named mutation, on the transcripts whose direction carries its
 * target, whole and one byte at a time. */
static void named_all(void)
{
	size_t n_ok = 0, n_cases = 0, n_absent = 0;
	for (size_t i = 0; rw_named_at(i); i++) {
		const struct rw_mutation *m = rw_named_at(i);
		/* Mutations of a HelloRetryRequest or the second ClientHello run
		 * on the HRR transcript built from the TLS 1.3 one. */
		int hrr_or_ch2 = (m->msg == TLS_HS_SERVER_HELLO && m->hrr == 1) || m->nth == 1;
		const struct tr *bases[] = {&b13, &b12};
		if (hrr_or_ch2)
			bases[0] = &bhrr;
		for (size_t bi = 0; bi < (hrr_or_ch2 ? 1u : 2u); bi++) {
			int dirs[2] = {0, 1}, nd = 2;
			if (m->msg == TLS_HS_CLIENT_HELLO)
				dirs[0] = 0, nd = 1;
			else if (m->msg == TLS_HS_SERVER_HELLO)
				dirs[0] = 1, nd = 1;
			for (int di = 0; di < nd; di++) {
				int dir = dirs[di];
				struct tr whole, bytewise;
				struct rewriter *r1 = tr_replay(bases[bi], m, dir, 0, &whole);
				struct rewriter *r2 = tr_replay(bases[bi], m, dir, 1, &bytewise);
				const char *bad = NULL;
				const struct rw_log *l0 = rw_log_get(r1, 0);
				if (!bytes_eq(&whole.wire[dir], &bytewise.wire[dir]))
					bad = "one-byte pushes give other bytes";
				else if (rw_applied(r1) == 0 && l0 &&
				         (strstr(l0->what, "absent") || strstr(l0->what, "no key")))
					bad = NULL, n_absent++; /* the target field is absent */
				else if (rw_applied(r1) == 0)
					bad = "not applied";
				else if (rw_log_count(r1) == 0 ||
				         strncmp(rw_log_get(r1, 0)->what, m->name, strlen(m->name)))
					bad = "no log entry naming the mutation";
				else
					bad = verify(m, bases[bi], &whole, dir);
				n_cases++;
				if (!bad)
					n_ok++;
				else
					OK(0, "%s on %s dir %d: %s", m->name,
					   bi ? "tls12" : "tls13", dir, bad);
				rw_free(r1);
				rw_free(r2);
				tr_free(&whole);
				tr_free(&bytewise);
			}
		}
	}
	OK(n_ok == n_cases && n_absent < 12,
	   "%zu/%zu named mutation replays verified (whole and one-byte; %zu without the target "
	   "field)",
	   n_ok, n_cases, n_absent);
}

/* Truncation and padding at every structural boundary of each hello. */
static void boundaries(void)
{
	struct tls_conv c;
	tr_conv(&b13, &c);
	int all = 1;
	size_t total = 0;
	for (int dir = 0; dir < 2; dir++) {
		const struct tls_dir *d = &c.d[dir];
		struct rw_boundary bd[200];
		size_t n =
		        rw_boundaries(d->msg[0].type, tls_msg_body(d, 0), d->msg[0].len, bd, 200);
		struct tls_hello h;
		tls_hello_parse(&h, d->msg[0].type, tls_msg_body(d, 0), d->msg[0].len);
		all &= n == 1 + 6 + (h.n_ext - 1) + 1 && bd[n - 1].at == d->msg[0].len;
		for (size_t i = 0; i < n && i < 200; i++) {
			for (int op = 0; op < 2; op++)
				for (int fix = 0; fix < 2; fix++) {
					struct rw_mutation m = {.name = "b",
					                        .msg = d->msg[0].type,
					                        .op = op ? RW_PAD : RW_TRUNCATE,
					                        .at = (long)bd[i].at,
					                        .size = 2,
					                        .fix = fix};
					struct tr out;
					struct rewriter *rw = tr_replay(&b13, &m, dir, 0, &out);
					const char *bad = verify(&m, &b13, &out, dir);
					if (bad) {
						all = 0;
						printf("#   %s %s fix=%d dir %d: %s\n", bd[i].name,
						       op ? "pad" : "truncate", fix, dir, bad);
					}
					total++;
					rw_free(rw);
					tr_free(&out);
				}
			/* A cut at an extension boundary with lengths fixed is a
			 * well-formed hello with the first extensions. */
			if (!strncmp(bd[i].name, "after-ext-", 10)) {
				struct rw_mutation m = {.name = "b",
				                        .msg = d->msg[0].type,
				                        .op = RW_TRUNCATE,
				                        .at = (long)bd[i].at,
				                        .fix = 1};
				struct tr out;
				struct rewriter *rw = tr_replay(&b13, &m, dir, 0, &out);
				struct tls_conv o;
				tr_conv(&out, &o);
				struct tls_hello hb;
				int rc = tls_hello_parse(&hb, o.d[dir].msg[0].type,
				                         tls_msg_body(&o.d[dir], 0),
				                         o.d[dir].msg[0].len);
				size_t want = (size_t)atoi(bd[i].name + 10) + 1;
				if (rc != 0 || hb.n_ext != want) {
					all = 0;
					printf("#   %s: %zu extensions, rc %d\n", bd[i].name,
					       hb.n_ext, rc);
				}
				tls_conv_free(&o);
				rw_free(rw);
				tr_free(&out);
			}
		}
	}
	tls_conv_free(&c);
	OK(all && total > 40, "truncate/pad at each of the hellos' boundaries (%zu cases)", total);
}

/* Lengths: every field and mode on the ClientHello. */
static void lengths(void)
{
	int all = 1;
	size_t total = 0;
	enum rw_len_field fields[] = {RW_LEN_HS,  RW_LEN_EXTS,    RW_LEN_EXT, RW_LEN_INNER,
	                              RW_LEN_SID, RW_LEN_CIPHERS, RW_LEN_COMP};
	int32_t exts[] = {TLS_EXT_SERVER_NAME, TLS_EXT_SUPPORTED_GROUPS, TLS_EXT_SUPPORTED_VERSIONS,
	                  TLS_EXT_KEY_SHARE, TLS_EXT_EC_POINT_FORMATS};
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		for (int mode = 0; mode < 4; mode++)
			for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
				if (e && fields[f] != RW_LEN_EXT && fields[f] != RW_LEN_INNER)
					continue;
				struct rw_mutation m = {.name = "len",
				                        .msg = 1,
				                        .op = RW_LENGTH,
				                        .field = fields[f],
				                        .mode = (enum rw_len_mode)mode,
				                        .ext = exts[e]};
				struct tr out;
				struct rewriter *rw = tr_replay(&b13, &m, 0, 1, &out);
				const char *bad =
				        rw_applied(rw) ? verify(&m, &b13, &out, 0) : "not applied";
				if (m.field == RW_LEN_HS && !bad) {
					/* The header value itself. */
					const uint8_t *p = out.wire[0].data + 5;
					uint32_t v =
					        (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
					uint32_t o = (uint32_t)b13.wire[0].data[6] << 16 |
					             (uint32_t)b13.wire[0].data[7] << 8 |
					             b13.wire[0].data[8];
					uint32_t want = mode == 0   ? o + 1
					                : mode == 1 ? o - 1
					                : mode == 2 ? 0
					                            : 0xffffff;
					if (v != want)
						bad = "header value";
				}
				if (bad) {
					all = 0;
					printf("#   field %d mode %d ext %d: %s\n", (int)fields[f],
					       mode, (int)exts[e], bad);
				}
				total++;
				rw_free(rw);
				tr_free(&out);
			}
	OK(all, "length fields +1/-1/0/max on the ClientHello (%zu cases)", total);
	/* The record length: the header of the record carrying the target. */
	struct rw_mutation m = {.name = "reclen",
	                        .msg = 1,
	                        .op = RW_LENGTH,
	                        .field = RW_LEN_RECORD,
	                        .mode = RW_LEN_PLUS1};
	struct tr out;
	struct rewriter *rw = tr_replay(&b13, &m, 0, 0, &out);
	unsigned was = (unsigned)(b13.wire[0].data[3] << 8 | b13.wire[0].data[4]);
	unsigned now = (unsigned)(out.wire[0].data[3] << 8 | out.wire[0].data[4]);
	OK(now == was + 1 && out.wire[0].len == b13.wire[0].len &&
	           !memcmp(out.wire[0].data + 5, b13.wire[0].data + 5, b13.wire[0].len - 5),
	   "record length +1: only the header's length changed (%u -> %u)", was, now);
	rw_free(rw);
	tr_free(&out);
}

/* A flight cut mid-record is held until its rest arrives; a group whose
 * message is incomplete at the end of a burst is released unchanged. */
static void held_and_released(void)
{
	const struct rw_mutation *m = rw_named("ch-legacy-version-0304");
	struct rewriter *rw = rw_new(m, 0);
	struct bytes out = {0};
	const struct bytes *ch = &b13.seg[0];
	size_t half = ch->len / 2;
	rw_push(rw, ch->data, half, &out);
	rw_flush(rw, &out);
	OK(out.len == 0, "half a record is held over the end of a burst");
	rw_push(rw, ch->data + half, ch->len - half, &out);
	rw_flush(rw, &out);
	OK(out.len == ch->len && out.data[9] == 0x03 && out.data[10] == 0x04,
	   "the rest arrives: the whole rewritten record goes out");
	rw_free(rw);
	bytes_reset(&out);

	/* The ClientHello over two records, the first burst ending between. */
	const struct rw_mutation *frag = rw_named("frag-100");
	struct tr two;
	struct rewriter *f = tr_replay(&b13, frag, 0, 0, &two);
	rw_free(f);
	rw = rw_new(m, 0);
	const struct bytes *s = &two.seg[0];
	rw_push(rw, s->data, 105, &out); /* the first record */
	OK(out.len == 0, "a record holding the start of a message is held");
	rw_flush(rw, &out);
	OK(out.len == 105 && !memcmp(out.data, s->data, 105),
	   "end of burst: released unchanged, no deadlock");
	rw_push(rw, s->data + 105, s->len - 105, &out);
	rw_flush(rw, &out);
	OK(out.len == s->len && !memcmp(out.data, s->data, s->len) && rw_applied(rw) == 0,
	   "the rest passes; the split message was not mutated");
	rw_free(rw);
	tr_free(&two);
	bytes_free(&out);

	/* After the direction turns encrypted, bytes pass at once. */
	struct tr o13;
	rw = tr_replay(&b13, rw_named("sh-legacy-version-0304"), 1, 0, &o13);
	OK(!rw_plaintext(rw), "TLS 1.3: the server direction is encrypted after the ServerHello");
	bytes_reset(&out);
	uint8_t junk[3] = {1, 2, 3};
	rw_push(rw, junk, 3, &out);
	OK(out.len == 3 && !memcmp(out.data, junk, 3), "and later bytes pass through untouched");
	rw_free(rw);
	tr_free(&o13);
	bytes_free(&out);
}

/* Body-byte ops on the TLS 1.2 ServerKeyExchange: RW_SET_BYTES writes its
 * bytes at the offset (negative: from the end) and nowhere else, RW_XOR
 * flips the one byte; an offset past the body is refused (not applied). */
static void body_bytes(void)
{
	static const uint8_t pair[] = {0xfe, 0xed};
	static const struct rw_mutation set = {.name = "set-pair",
	                                       .msg = TLS_HS_SERVER_KEY_EXCHANGE,
	                                       .op = RW_SET_BYTES,
	                                       .at = 36,
	                                       .data = pair,
	                                       .len = sizeof pair};
	static const struct rw_mutation set_end = {.name = "set-end",
	                                           .msg = TLS_HS_SERVER_KEY_EXCHANGE,
	                                           .op = RW_SET_BYTES,
	                                           .at = -2,
	                                           .data = pair,
	                                           .len = sizeof pair};
	static const struct rw_mutation set_past = {.name = "set-past",
	                                            .msg = TLS_HS_SERVER_KEY_EXCHANGE,
	                                            .op = RW_SET_BYTES,
	                                            .at = -1,
	                                            .data = pair,
	                                            .len = sizeof pair};
	static const struct rw_mutation flip = {.name = "flip-last",
	                                        .msg = TLS_HS_SERVER_KEY_EXCHANGE,
	                                        .op = RW_XOR,
	                                        .at = -1,
	                                        .value = 0x01};
	const struct rw_mutation *ms[] = {&set, &set_end, &flip};
	struct tls_conv a;
	tr_conv(&b12, &a);
	long k = target_index(&a.d[1], &set);
	OK(k >= 0, "the TLS 1.2 transcript carries a ServerKeyExchange");
	if (k < 0)
		return;
	const struct tls_msg *ma = &a.d[1].msg[k];
	const uint8_t *ba = tls_msg_body(&a.d[1], (size_t)k);
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		struct tr out;
		struct rewriter *rw = tr_replay(&b12, ms[i], 1, 1, &out);
		struct tls_conv b;
		tr_conv(&out, &b);
		const struct tls_dir *db = &b.d[1];
		size_t at = ms[i] == &set ? 36 : ma->len - (ms[i] == &flip ? 1 : 2);
		size_t n = ms[i] == &flip ? 1 : 2;
		int same_len = db->n_msg == a.d[1].n_msg && db->msg[k].len == ma->len;
		size_t diffs = 0, outside = 0;
		const uint8_t *bb = same_len ? tls_msg_body(db, (size_t)k) : NULL;
		for (size_t j = 0; bb && j < ma->len; j++)
			if (ba[j] != bb[j]) {
				diffs++;
				outside += j < at || j >= at + n;
			}
		int right = bb && (ms[i] == &flip ? bb[at] == (ba[at] ^ 0x01)
		                                  : !memcmp(bb + at, pair, sizeof pair));
		OK(rw_applied(rw) == 1 && same_len && right && outside == 0 && diffs >= 1,
		   "%s: the ServerKeyExchange changed at %zu only (%zu bytes differ)", ms[i]->name,
		   at, diffs);
		tls_conv_free(&b);
		rw_free(rw);
		tr_free(&out);
	}
	struct tr out;
	struct rewriter *rw = tr_replay(&b12, &set_past, 1, 0, &out);
	OK(rw_applied(rw) == 0 && bytes_eq(&out.wire[1], &b12.wire[1]),
	   "bytes that would run past the body: not applied, the flight passes unchanged");
	rw_free(rw);
	tr_free(&out);
	tls_conv_free(&a);
}

static void log_and_lookup(void)
{
	struct tr out;
	struct rewriter *rw = tr_replay(&b13, rw_named("sh-random-downgrade-tls12"), 1, 0, &out);
	const struct rw_log *l = rw_log_get(rw, 0);
	OK(l && l->msg == TLS_HS_SERVER_HELLO && strstr(l->what, "sh-random-downgrade-tls12") &&
	           !strncmp(l->after, "444f574e475244", 14) && l->offset == 5 + 4 + 2 + 24,
	   "log: mutation, message, offset %zu, before %s, after %s", l ? l->offset : 0,
	   l ? l->before : "", l ? l->after : "");
	rw_free(rw);
	tr_free(&out);
	OK(rw_named("frag-1") && !rw_named("no-such-mutation"), "rw_named lookup");
	size_t n = 0;
	int unique = 1;
	for (; rw_named_at(n); n++)
		for (size_t j = 0; j < n; j++)
			unique &= strcmp(rw_named_at(j)->name, rw_named_at(n)->name) != 0;
	OK(n >= 90 && unique, "%zu named mutations, names unique", n);
	/* A ClientHello of 32 KiB goes out over three records. */
	rw = tr_replay(&b13, rw_named("ch-32k"), 0, 0, &out);
	struct tls_conv c;
	tr_conv(&out, &c);
	OK(c.d[0].msg[0].len == 32768 && c.d[0].msg[0].last_rec - c.d[0].msg[0].first_rec == 2,
	   "ch-32k: a 32 KiB ClientHello over %zu records",
	   c.d[0].msg[0].last_rec - c.d[0].msg[0].first_rec + 1);
	tls_conv_free(&c);
	rw_free(rw);
	tr_free(&out);
}

/* Garbage in: never a crash, and non-TLS bytes pass through. */
static void garbage(void)
{
	struct rng r = {7};
	uint8_t buf[600];
	for (int i = 0; i < 3000; i++) {
		const struct rw_mutation *m = rw_named_at((size_t)i % 100);
		if (!m)
			m = rw_named_at(0);
		size_t n = rng_range(&r, 0, sizeof buf);
		if (i % 2) {
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rng_next(&r);
		} else {
			n = b13.seg[0].len < sizeof buf ? b13.seg[0].len : sizeof buf;
			memcpy(buf, b13.seg[0].data, n);
			for (int k = 0; k < 6; k++)
				buf[rng_range(&r, 0, n - 1)] = (uint8_t)rng_next(&r);
		}
		struct rewriter *rw = rw_new(m, i % 4 < 2 ? 0 : 1);
		struct bytes out = {0};
		size_t step = rng_range(&r, 1, 64);
		for (size_t off = 0; off < n; off += step)
			rw_push(rw, buf + off, n - off < step ? n - off : step, &out);
		rw_observe(rw, buf, n);
		rw_flush(rw, &out);
		rw_free(rw);
		bytes_free(&out);
	}
	OK(1, "3000 random and corrupted inputs through the rewriter without a crash");
}

int main(void)
{
	tr_load(&b13, "openssl-tls13.tlstr");
	tr_load(&b12, "openssl-tls12.tlstr");
	tr_load(&balpn, "openssl-alpn-tls12.tlstr");
	tr_build_hrr(&b13, &bhrr);
	identity();
	named_all();
	boundaries();
	lengths();
	held_and_released();
	body_bytes();
	log_and_lookup();
	garbage();
	tr_free(&b13);
	tr_free(&b12);
	tr_free(&balpn);
	tr_free(&bhrr);
	return t_done();
}
