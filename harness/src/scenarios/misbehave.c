/* misbehave family: a misbehaving peer in the unencrypted phase.
 *
 * The backend under test meets the puppet (--puppet, OpenSSL by default),
 * a real backend whose bytes pass through the rewriter (rewrite.h) on the
 * pump: one named mutation of the ClientHello (the server is under test), of
 * the ServerHello / HelloRetryRequest / TLS 1.2 server flight (the client is
 * under test), or of the records that carry them. Each row cites the RFC
 * rule it checks and the alert(s) the RFC names:
 *  - OUT_REJECTS: the backend under test aborts where the mutated message
 *    arrives (nothing but an alert leaves it afterwards), with one of the
 *    alerts (PASS-LOOSE with another or none); accepting it, going on past it
 *    or waiting forever is a FAIL;
 *  - OUT_PROCEEDS: it takes the message (the RFC says to tolerate it) and
 *    sends its next flight; the changed bytes make a later Finished
 *    disagree, which is not judged;
 *  - OUT_ESTABLISHED: a change the transcript does not see (records,
 *    fragmentation, an ignored record): the handshake completes.
 * Ids: misbehave/<rule>/<mutation>/<role under test>/<version>. */
#include <string.h>

#include "misbehave.h"
#include "rewrite.h"
#include "scenario.h"
#include "tlsmsg.h"

/* ---- the side under test --------------------------------------------------------- */

static const struct axval server_val[] = {{.tag = "server", .v = TLSH_ROLE_SERVER}};
static const struct axval client_val[] = {{.tag = "client", .v = TLSH_ROLE_CLIENT}};
const struct axis ax_server = AXIS("role", DIM_ROLE, server_val);
const struct axis ax_client = AXIS("role", DIM_ROLE, client_val);

/* ---- mutations ----------------------------------------------------------------------- */

#define CH .msg = TLS_HS_CLIENT_HELLO
#define SH .msg = TLS_HS_SERVER_HELLO, .hrr = 0
#define HRR .msg = TLS_HS_SERVER_HELLO, .hrr = 1
#define ANY .msg = RW_ANY, .nth = -1

/* Record framing: the transcript does not see it. */
static const struct rw_mutation m_frag1 = {.name = "frag-1", ANY, .op = RW_FRAGMENT, .size = 1};
static const struct rw_mutation m_frag2 = {.name = "frag-2", ANY, .op = RW_FRAGMENT, .size = 2};
static const struct rw_mutation m_frag3 = {.name = "frag-3", ANY, .op = RW_FRAGMENT, .size = 3};
static const struct rw_mutation m_frag5 = {.name = "frag-5", ANY, .op = RW_FRAGMENT, .size = 5};
static const struct rw_mutation m_frag16 = {.name = "frag-16", ANY, .op = RW_FRAGMENT, .size = 16};
static const struct rw_mutation m_frag100 = {
        .name = "frag-100", ANY, .op = RW_FRAGMENT, .size = 100};
static const struct rw_mutation m_frag1000 = {
        .name = "frag-1000", ANY, .op = RW_FRAGMENT, .size = 1000};
static const struct rw_mutation m_coalesce = {.name = "coalesce", ANY, .op = RW_COALESCE};
static const struct rw_mutation m_ch_split = {.name = "split-middle", CH, .op = RW_SPLIT, .at = -1};
static const struct rw_mutation m_ch_split_hdr = {
        .name = "split-header", CH, .op = RW_SPLIT, .at = 2};
static const struct rw_mutation m_ch_split_1 = {
        .name = "split-after-1", CH, .op = RW_SPLIT, .at = 1};
static const struct rw_mutation m_sh_split = {.name = "split-middle", SH, .op = RW_SPLIT, .at = -1};
static const struct rw_mutation m_sh_split_hdr = {
        .name = "split-header", SH, .op = RW_SPLIT, .at = 2};
static const struct rw_mutation m_sh_split_1 = {
        .name = "split-after-1", SH, .op = RW_SPLIT, .at = 1};

/* The client's flights are short: larger records and coalescing change
 * nothing there, so only the server's flights get them. */
static const struct axval frag_vals[] = {MUT(m_frag1), MUT(m_frag2),  MUT(m_frag3),
                                         MUT(m_frag5), MUT(m_frag16), MUT(m_frag100)};
static const struct axis ax_frag = AXIS("mut", DIM_MUT, frag_vals);
/* TLS 1.2 only: the TLS 1.3 server's plaintext flight is the ServerHello
 * alone (large records and coalescing change nothing there). */
static const struct axval frag_sflight_vals[] = {MUT(m_frag1000), MUT(m_coalesce)};
static const struct axis ax_frag_sflight = AXIS("mut", DIM_MUT, frag_sflight_vals);
#define SPLIT(var, nm, target, off)                                                                \
	static const struct rw_mutation var = {.name = nm, target, .op = RW_SPLIT, .at = off}
SPLIT(m_ch_split4, "split-after-header", CH, 4);
SPLIT(m_ch_split6, "split-after-legacy-version", CH, 6);
SPLIT(m_ch_split38, "split-after-random", CH, 38);
SPLIT(m_ch_split71, "split-in-cipher-suites", CH, 71);
SPLIT(m_sh_split4, "split-after-header", SH, 4);
SPLIT(m_sh_split6, "split-after-legacy-version", SH, 6);
SPLIT(m_sh_split38, "split-after-random", SH, 38);
static const struct axval ch_split_vals[] = {
        MUT(m_ch_split),  MUT(m_ch_split_hdr), MUT(m_ch_split_1), MUT(m_ch_split4),
        MUT(m_ch_split6), MUT(m_ch_split38),   MUT(m_ch_split71)};
static const struct axis ax_ch_split = AXIS("mut", DIM_MUT, ch_split_vals);
static const struct axval sh_split_vals[] = {MUT(m_sh_split),   MUT(m_sh_split_hdr),
                                             MUT(m_sh_split_1), MUT(m_sh_split4),
                                             MUT(m_sh_split6),  MUT(m_sh_split38)};
static const struct axis ax_sh_split = AXIS("mut", DIM_MUT, sh_split_vals);

/* The record version of the initial ClientHello is ignored (RFC 8446 5.1:
 * legacy_record_version MUST be ignored; RFC 5246 Appendix E.1: any {03,XX}). */
static const struct rw_mutation m_ch_rv0300 = {
        .name = "record-version-0300", CH, .op = RW_RECORD_VERSION, .value = 0x0300};
static const struct rw_mutation m_ch_rv0302 = {
        .name = "record-version-0302", CH, .op = RW_RECORD_VERSION, .value = 0x0302};
static const struct rw_mutation m_ch_rv0303 = {
        .name = "record-version-0303", CH, .op = RW_RECORD_VERSION, .value = 0x0303};
static const struct axval ch_rv_vals[] = {MUT(m_ch_rv0300), MUT(m_ch_rv0302), MUT(m_ch_rv0303)};
static const struct axis ax_ch_rv = AXIS("mut", DIM_MUT, ch_rv_vals);

/* Length fields made wrong (decode_error). A record or handshake length
 * grown makes the receiver wait for bytes that never come: that is right,
 * and a transport EOF then ends it (the interpreter allows the wait). */
#define LEN(var, nm, target, fld, md)                                                              \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, target, .op = RW_LENGTH, .field = fld, .mode = md}
#define LENX(var, nm, target, fld, e, md)                                                          \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, target, .op = RW_LENGTH, .field = fld, .ext = e, .mode = md}
LEN(m_ch_hs_p1, "hs-length-plus1", CH, RW_LEN_HS, RW_LEN_PLUS1);
LEN(m_ch_hs_m1, "hs-length-minus1", CH, RW_LEN_HS, RW_LEN_MINUS1);
LEN(m_ch_hs_0, "hs-length-zero", CH, RW_LEN_HS, RW_LEN_ZERO);
LEN(m_ch_rec_m1, "record-length-minus1", CH, RW_LEN_RECORD, RW_LEN_MINUS1);
LEN(m_ch_exts_p1, "extensions-length-plus1", CH, RW_LEN_EXTS, RW_LEN_PLUS1);
LEN(m_ch_exts_m1, "extensions-length-minus1", CH, RW_LEN_EXTS, RW_LEN_MINUS1);
LEN(m_ch_exts_0, "extensions-length-zero", CH, RW_LEN_EXTS, RW_LEN_ZERO);
LEN(m_ch_exts_max, "extensions-length-max", CH, RW_LEN_EXTS, RW_LEN_MAX);
LEN(m_ch_sid_max, "session-id-length-max", CH, RW_LEN_SID, RW_LEN_MAX);
LEN(m_ch_sid_p1, "session-id-length-plus1", CH, RW_LEN_SID, RW_LEN_PLUS1);
LEN(m_ch_ciph_p1, "cipher-suites-length-plus1", CH, RW_LEN_CIPHERS, RW_LEN_PLUS1);
LEN(m_ch_ciph_m1, "cipher-suites-length-minus1", CH, RW_LEN_CIPHERS, RW_LEN_MINUS1);
LEN(m_ch_ciph_0, "cipher-suites-length-zero", CH, RW_LEN_CIPHERS, RW_LEN_ZERO);
LEN(m_ch_comp_0, "compression-length-zero", CH, RW_LEN_COMP, RW_LEN_ZERO);
LEN(m_ch_comp_p1, "compression-length-plus1", CH, RW_LEN_COMP, RW_LEN_PLUS1);
LENX(m_ch_ext1_p1, "first-extension-length-plus1", CH, RW_LEN_EXT, -1, RW_LEN_PLUS1);
LENX(m_ch_ext1_max, "first-extension-length-max", CH, RW_LEN_EXT, -1, RW_LEN_MAX);
LENX(m_ch_groups_m1, "supported-groups-list-minus1", CH, RW_LEN_INNER, TLS_EXT_SUPPORTED_GROUPS,
     RW_LEN_MINUS1);
LENX(m_ch_groups_p1, "supported-groups-list-plus1", CH, RW_LEN_INNER, TLS_EXT_SUPPORTED_GROUPS,
     RW_LEN_PLUS1);
LENX(m_ch_sigalgs_m1, "signature-algorithms-list-minus1", CH, RW_LEN_INNER,
     TLS_EXT_SIGNATURE_ALGORITHMS, RW_LEN_MINUS1);
LENX(m_ch_sigalgs_0, "signature-algorithms-list-zero", CH, RW_LEN_INNER,
     TLS_EXT_SIGNATURE_ALGORITHMS, RW_LEN_ZERO);
LEN(m_sh_hs_p1, "hs-length-plus1", SH, RW_LEN_HS, RW_LEN_PLUS1);
LEN(m_sh_hs_m1, "hs-length-minus1", SH, RW_LEN_HS, RW_LEN_MINUS1);
LEN(m_sh_exts_p1, "extensions-length-plus1", SH, RW_LEN_EXTS, RW_LEN_PLUS1);
LEN(m_sh_exts_m1, "extensions-length-minus1", SH, RW_LEN_EXTS, RW_LEN_MINUS1);
LEN(m_sh_exts_max, "extensions-length-max", SH, RW_LEN_EXTS, RW_LEN_MAX);
LEN(m_sh_sid_max, "session-id-length-max", SH, RW_LEN_SID, RW_LEN_MAX);
LEN(m_sh_sid_p1, "session-id-length-plus1", SH, RW_LEN_SID, RW_LEN_PLUS1);
LENX(m_sh_ext1_p1, "first-extension-length-plus1", SH, RW_LEN_EXT, -1, RW_LEN_PLUS1);
LENX(m_sh_ext1_m1, "first-extension-length-minus1", SH, RW_LEN_EXT, -1, RW_LEN_MINUS1);

/* Truncation and padding at structural boundaries, lengths kept consistent:
 * the message ends where a field should be (decode_error). */
#define TRUNC(var, nm, target, off)                                                                \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, target, .op = RW_TRUNCATE, .at = off, .fix = 1}
TRUNC(m_ch_t0, "truncate-empty", CH, 0);
TRUNC(m_ch_t1, "truncate-mid-version", CH, 1);
TRUNC(m_ch_t2, "truncate-after-version", CH, 2);
TRUNC(m_ch_t20, "truncate-mid-random", CH, 20);
TRUNC(m_ch_t34, "truncate-after-random", CH, 34);
TRUNC(m_sh_t0, "truncate-empty", SH, 0);
TRUNC(m_sh_t2, "truncate-after-version", SH, 2);
TRUNC(m_sh_t20, "truncate-mid-random", SH, 20);
TRUNC(m_sh_t34, "truncate-after-random", SH, 34);
static const struct rw_mutation m_ch_pad = {
        .name = "trailing-bytes", CH, .op = RW_PAD, .at = -1, .size = 3, .fix = 1};
static const struct rw_mutation m_ch_pad1 = {
        .name = "trailing-byte", CH, .op = RW_PAD, .at = -1, .size = 1, .fix = 1};
static const struct rw_mutation m_sh_pad = {
        .name = "trailing-bytes", SH, .op = RW_PAD, .at = -1, .size = 3, .fix = 1};
static const uint8_t d_sid33[33] = {0x33};
static const struct rw_mutation m_ch_sid33 = {
        .name = "session-id-33-bytes", CH, .op = RW_SET_SID, D(d_sid33)};
static const struct rw_mutation m_sh_sid33 = {
        .name = "session-id-33-bytes", SH, .op = RW_SET_SID, D(d_sid33)};

static const struct axval ch_decode_vals[] = {
        MUT(m_ch_hs_m1),     MUT(m_ch_hs_0),       MUT(m_ch_exts_p1),   MUT(m_ch_exts_m1),
        MUT(m_ch_exts_0),    MUT(m_ch_exts_max),   MUT(m_ch_sid_max),   MUT(m_ch_sid_p1),
        MUT(m_ch_ciph_p1),   MUT(m_ch_ciph_m1),    MUT(m_ch_ciph_0),    MUT(m_ch_comp_0),
        MUT(m_ch_comp_p1),   MUT(m_ch_ext1_p1),    MUT(m_ch_ext1_max),  MUT(m_ch_groups_m1),
        MUT(m_ch_groups_p1), MUT(m_ch_sigalgs_m1), MUT(m_ch_sigalgs_0), MUT(m_ch_t0),
        MUT(m_ch_t1),        MUT(m_ch_t2),         MUT(m_ch_t20),       MUT(m_ch_t34),
        MUT(m_ch_pad),       MUT(m_ch_pad1),       MUT(m_ch_sid33),
};
static const struct axis ax_ch_decode = AXIS("mut", DIM_MUT, ch_decode_vals);
static const struct axval sh_decode_vals[] = {
        MUT(m_sh_hs_m1),   MUT(m_sh_exts_p1), MUT(m_sh_exts_m1), MUT(m_sh_exts_max),
        MUT(m_sh_sid_max), MUT(m_sh_sid_p1),  MUT(m_sh_ext1_p1), MUT(m_sh_ext1_m1),
        MUT(m_sh_t0),      MUT(m_sh_t2),      MUT(m_sh_t20),     MUT(m_sh_t34),
        MUT(m_sh_pad),     MUT(m_sh_sid33),
};
static const struct axis ax_sh_decode = AXIS("mut", DIM_MUT, sh_decode_vals);
/* A message announced longer than what arrives: the receiver waits for the
 * rest (a transport EOF ends it), or finds a record of another type where
 * the rest should be (RFC 8446 5.1: unexpected_message). */
static const struct axval ch_overrun_vals[] = {MUT(m_ch_hs_p1), MUT(m_ch_rec_m1)};
static const struct axis ax_ch_overrun = AXIS("mut", DIM_MUT, ch_overrun_vals);
static const struct axval sh_overrun_vals[] = {MUT(m_sh_hs_p1)};
static const struct axis ax_sh_overrun = AXIS("mut", DIM_MUT, sh_overrun_vals);

/* ClientHello.legacy_version. */
#define CHV(var, nm, val)                                                                          \
	static const struct rw_mutation var = {.name = nm, CH, .op = RW_SET_VERSION, .value = val}
CHV(m_chv_0300, "legacy-version-0300", 0x0300);
CHV(m_chv_0200, "legacy-version-0200", 0x0200);
CHV(m_chv_0301, "legacy-version-0301", 0x0301);
CHV(m_chv_0302, "legacy-version-0302", 0x0302);
CHV(m_chv_0304, "legacy-version-0304", 0x0304);
CHV(m_chv_0305, "legacy-version-0305", 0x0305);
CHV(m_chv_0400, "legacy-version-0400", 0x0400);
CHV(m_chv_7f17, "legacy-version-7f17", 0x7f17);
/* supported_versions present: legacy_version is not used (RFC 8446 4.2.1).
 * Not 0x0304 or later: "Servers MAY abort the handshake upon receiving a
 * ClientHello with legacy_version 0x0304 or later" (4.2.1), so either outcome
 * conforms and no row can check it. */
static const struct axval chv13_ok_vals[] = {MUT(m_chv_0301), MUT(m_chv_0302)};
static const struct axis ax_chv13_ok = AXIS("mut", DIM_MUT, chv13_ok_vals);
/* 0x0300 is refused whatever else the hello says (RFC 8446 D.5: "Any endpoint
 * receiving a Hello message with ClientHello.legacy_version ... set to 0x0300
 * MUST abort the handshake with a protocol_version alert"). Below 0x0300 D.5
 * names no receiver rule, and with supported_versions 4.2.1 forbids using
 * legacy_version at all: only a TLS 1.2 server (RFC 5246 E.1) must refuse it. */
static const struct axval chv_old_vals[] = {MUT(m_chv_0300)};
static const struct axis ax_chv_old = AXIS("mut", DIM_MUT, chv_old_vals);
static const struct axval chv12_ancient_vals[] = {MUT(m_chv_0200)};
static const struct axis ax_chv12_ancient = AXIS("mut", DIM_MUT, chv12_ancient_vals);
/* No supported_versions (a TLS 1.2 client): TLS 1.0 and 1.1 are not
 * negotiable (RFC 8996), a higher version is answered with 1.2 (RFC 5246
 * E.1). */
static const struct axval chv12_low_vals[] = {MUT(m_chv_0301), MUT(m_chv_0302)};
static const struct axis ax_chv12_low = AXIS("mut", DIM_MUT, chv12_low_vals);
static const struct axval chv12_high_vals[] = {MUT(m_chv_0304), MUT(m_chv_0305), MUT(m_chv_0400),
                                               MUT(m_chv_7f17)};
static const struct axis ax_chv12_high = AXIS("mut", DIM_MUT, chv12_high_vals);

/* supported_versions in the ClientHello. */
#define CHSV(var, nm, arr)                                                                         \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, CH, .op = RW_EXT_BODY, .ext = TLS_EXT_SUPPORTED_VERSIONS, D(arr)}
static const uint8_t d_sv_unknown[] = {0x04, 0x03, 0x05, 0x7f, 0x1c};
static const uint8_t d_sv_grease[] = {0x06, 0x0a, 0x0a, 0x03, 0x04, 0x3a, 0x3a};
static const uint8_t d_sv_empty[] = {0x00};
static const uint8_t d_sv_odd[] = {0x03, 0x03, 0x04, 0x03};
static const uint8_t d_sv_overrun[] = {0x08, 0x03, 0x04};
CHSV(m_chsv_unknown, "only-unknown-versions", d_sv_unknown);
CHSV(m_chsv_grease, "grease-versions", d_sv_grease);
CHSV(m_chsv_empty, "empty-list", d_sv_empty);
CHSV(m_chsv_odd, "odd-length", d_sv_odd);
CHSV(m_chsv_overrun, "list-overruns", d_sv_overrun);
static const struct axval chsv_decode_vals[] = {MUT(m_chsv_empty), MUT(m_chsv_odd),
                                                MUT(m_chsv_overrun)};
static const struct axis ax_chsv_decode = AXIS("mut", DIM_MUT, chsv_decode_vals);
static const struct rw_mutation m_ch_no_sv_0304 = {.name = "0304-without-extension",
                                                   CH,
                                                   .op = RW_EXT_DROP,
                                                   .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                                   .then = &m_chv_0304};

/* TLS_FALLBACK_SCSV (RFC 7507) with a TLS 1.2 ClientHello. */
static const uint8_t d_ciphers_fallback[] = {0xc0, 0x2f, 0xc0, 0x30, 0x56, 0x00};
static const struct rw_mutation m_fallback = {
        .name = "fallback-scsv", CH, .op = RW_SET_CIPHER, D(d_ciphers_fallback)};

/* The ServerHello chooses what the client did not offer. */
static const uint8_t d_sv_0305[] = {0x03, 0x05};
static const uint8_t d_sv_0303[] = {0x03, 0x03};
static const uint8_t d_sv_0302[] = {0x03, 0x02};
static const uint8_t d_sv_3bytes[] = {0x03, 0x04, 0x00};
static const uint8_t d_sid32[32] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t d_downgrd12[] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01};
static const uint8_t d_downgrd11[] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x00};
static const struct rw_mutation m_sh_cipher_unknown = {
        .name = "cipher-unoffered", SH, .op = RW_SET_CIPHER, .value = 0xc0ff};
static const struct rw_mutation m_sh_cipher_null = {
        .name = "cipher-null-null", SH, .op = RW_SET_CIPHER, .value = 0x0000};
static const struct rw_mutation m_sh_cipher_scsv = {
        .name = "cipher-renegotiation-scsv", SH, .op = RW_SET_CIPHER, .value = 0x00ff};
static const struct rw_mutation m_sh_cipher_13in12 = {
        .name = "cipher-tls13-suite", SH, .op = RW_SET_CIPHER, .value = 0x1302};
static const struct rw_mutation m_sh_cipher_12in13 = {
        .name = "cipher-tls12-suite", SH, .op = RW_SET_CIPHER, .value = 0xc02f};
static const struct rw_mutation m_sh_comp1 = {
        .name = "compression-deflate", SH, .op = RW_SET_COMP, .value = 1};
static const struct rw_mutation m_sh_comp40 = {
        .name = "compression-64", SH, .op = RW_SET_COMP, .value = 64};
static const struct axval sh_choice_vals[] = {MUT(m_sh_cipher_unknown), MUT(m_sh_cipher_null),
                                              MUT(m_sh_cipher_scsv), MUT(m_sh_comp1),
                                              MUT(m_sh_comp40)};
static const struct axis ax_sh_choice = AXIS("mut", DIM_MUT, sh_choice_vals);
static const struct rw_mutation m_sh_sv0305 = {.name = "selected-version-0305",
                                               SH,
                                               .op = RW_EXT_BODY,
                                               .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                               D(d_sv_0305)};
static const struct rw_mutation m_sh_sv0303 = {.name = "selected-version-0303",
                                               SH,
                                               .op = RW_EXT_BODY,
                                               .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                               D(d_sv_0303)};
static const struct rw_mutation m_sh_sv0302 = {.name = "selected-version-0302",
                                               SH,
                                               .op = RW_EXT_BODY,
                                               .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                               D(d_sv_0302)};
static const struct rw_mutation m_sh_ks_p256 = {
        .name = "key-share-without-client-share", SH, .op = RW_KS_GROUP, .value = 0x0017};
static const struct rw_mutation m_sh_ks_unknown = {
        .name = "key-share-unoffered-group", SH, .op = RW_KS_GROUP, .value = 0x0200};
static const struct rw_mutation m_sh_sid_changed = {
        .name = "session-id-echo-changed", SH, .op = RW_SET_SID, D(d_sid32)};
static const struct axval sh13_choice_vals[] = {
        MUT(m_sh_sv0305),     MUT(m_sh_sv0303),      MUT(m_sh_sv0302),       MUT(m_sh_ks_p256),
        MUT(m_sh_ks_unknown), MUT(m_sh_sid_changed), MUT(m_sh_cipher_12in13)};
static const struct axis ax_sh13_choice = AXIS("mut", DIM_MUT, sh13_choice_vals);
static const struct rw_mutation m_sh_sv_3 = {.name = "selected-version-3-bytes",
                                             SH,
                                             .op = RW_EXT_BODY,
                                             .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                             D(d_sv_3bytes)};
/* A TLS 1.2 ServerHello above or below what a TLS 1.2-only client offered. */
#define SHV(var, nm, val)                                                                          \
	static const struct rw_mutation var = {.name = nm, SH, .op = RW_SET_VERSION, .value = val}
SHV(m_shv_0304, "legacy-version-0304", 0x0304);
SHV(m_shv_0301, "legacy-version-0301", 0x0301);
SHV(m_shv_0302, "legacy-version-0302", 0x0302);
SHV(m_shv_0300, "legacy-version-0300", 0x0300);
static const struct axval shv12_vals[] = {MUT(m_shv_0304), MUT(m_shv_0301), MUT(m_shv_0302),
                                          MUT(m_shv_0300)};
static const struct axis ax_shv12 = AXIS("mut", DIM_MUT, shv12_vals);
static const struct rw_mutation m_downgrd12 = {
        .name = "downgrade-sentinel-tls12", SH, .op = RW_SET_RANDOM, .at = 24, D(d_downgrd12)};
static const struct rw_mutation m_downgrd11 = {
        .name = "downgrade-sentinel-tls11", SH, .op = RW_SET_RANDOM, .at = 24, D(d_downgrd11)};
static const struct axval downgrd_vals[] = {MUT(m_downgrd12), MUT(m_downgrd11)};
static const struct axis ax_downgrd = AXIS("mut", DIM_MUT, downgrd_vals);

/* Extensions the client did not offer, or in the wrong message. */
static const uint8_t d_nothing[1] = {0};
static const uint8_t d_alpn_h2[] = {0x00, 0x03, 0x02, 'h', '2'};
static const uint8_t d_groups[] = {0x00, 0x02, 0x00, 0x1d};
static const uint8_t d_sigalgs[] = {0x00, 0x02, 0x04, 0x03};
#define SHADD(var, nm, type, body, blen)                                                           \
	static const struct rw_mutation var = {.name = nm,                                         \
	                                       SH,                                                 \
	                                       .op = RW_EXT_ADD,                                   \
	                                       .ext = type,                                        \
	                                       .at = -1,                                           \
	                                       .data = body,                                       \
	                                       .len = blen}
SHADD(m_sh_add_unknown, "unknown-extension", 0x4242, d_nothing, 0);
SHADD(m_sh_add_unknown_body, "unknown-extension-with-body", 0xfe7e, d_groups, sizeof d_groups);
SHADD(m_sh_add_alpn, "alpn-not-offered", TLS_EXT_ALPN, d_alpn_h2, sizeof d_alpn_h2);
SHADD(m_sh_add_heartbeat, "heartbeat-not-offered", 15, d_downgrd12, 1);
SHADD(m_sh_add_sct, "sct-not-offered", TLS_EXT_SCT, d_nothing, 0);
static const struct axval sh_unsolicited_vals[] = {MUT(m_sh_add_unknown),
                                                   MUT(m_sh_add_unknown_body), MUT(m_sh_add_alpn),
                                                   MUT(m_sh_add_heartbeat), MUT(m_sh_add_sct)};
static const struct axis ax_sh_unsolicited = AXIS("mut", DIM_MUT, sh_unsolicited_vals);
/* TLS 1.3: offered by the client, but not allowed in a ServerHello (RFC 8446
 * 4.2: illegal_parameter). */
SHADD(m_sh_add_groups, "supported-groups-in-server-hello", TLS_EXT_SUPPORTED_GROUPS, d_groups,
      sizeof d_groups);
SHADD(m_sh_add_sigalgs, "signature-algorithms-in-server-hello", TLS_EXT_SIGNATURE_ALGORITHMS,
      d_sigalgs, sizeof d_sigalgs);
SHADD(m_sh_add_alpn13, "alpn-in-server-hello", TLS_EXT_ALPN, d_alpn_h2, sizeof d_alpn_h2);
SHADD(m_sh_add_sni13, "server-name-in-server-hello", TLS_EXT_SERVER_NAME, d_nothing, 0);
static const struct axval sh13_misplaced_vals[] = {MUT(m_sh_add_groups), MUT(m_sh_add_sigalgs),
                                                   MUT(m_sh_add_alpn13), MUT(m_sh_add_sni13)};
static const struct axis ax_sh13_misplaced = AXIS("mut", DIM_MUT, sh13_misplaced_vals);

/* Duplicated extensions (RFC 8446 4.2, RFC 5246 7.4.1.4). */
static const struct rw_mutation m_ch_dup_groups = {
        .name = "supported-groups-twice", CH, .op = RW_EXT_DUP, .ext = TLS_EXT_SUPPORTED_GROUPS};
static const struct rw_mutation m_ch_dup_sigalgs = {.name = "signature-algorithms-twice",
                                                    CH,
                                                    .op = RW_EXT_DUP,
                                                    .ext = TLS_EXT_SIGNATURE_ALGORITHMS};
static const struct rw_mutation m_ch_dup_sni = {
        .name = "server-name-twice", CH, .op = RW_EXT_DUP, .ext = TLS_EXT_SERVER_NAME};
static const struct rw_mutation m_ch_dup_first = {
        .name = "first-extension-twice", CH, .op = RW_EXT_DUP, .ext = -1};
static const struct axval ch_dup_vals[] = {MUT(m_ch_dup_groups), MUT(m_ch_dup_sigalgs),
                                           MUT(m_ch_dup_sni), MUT(m_ch_dup_first)};
static const struct axis ax_ch_dup = AXIS("mut", DIM_MUT, ch_dup_vals);
static const struct rw_mutation m_ch_dup_sv = {.name = "supported-versions-twice",
                                               CH,
                                               .op = RW_EXT_DUP,
                                               .ext = TLS_EXT_SUPPORTED_VERSIONS};
static const struct rw_mutation m_ch_dup_ks = {
        .name = "key-share-twice", CH, .op = RW_EXT_DUP, .ext = TLS_EXT_KEY_SHARE};
static const struct axval ch13_dup_vals[] = {MUT(m_ch_dup_sv), MUT(m_ch_dup_ks)};
static const struct axis ax_ch13_dup = AXIS("mut", DIM_MUT, ch13_dup_vals);
static const struct rw_mutation m_sh_dup_first = {
        .name = "first-extension-twice", SH, .op = RW_EXT_DUP, .ext = -1};

/* ALPN in the ClientHello, malformed (RFC 7301 3.1: ProtocolNameList<2..2^16-1>,
 * ProtocolName<1..2^8-1>). */
#define CHALPN(var, nm, arr)                                                                       \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, CH, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(arr)}
static const uint8_t d_alpn_empty_list[] = {0x00, 0x00};
static const uint8_t d_alpn_empty_name[] = {0x00, 0x04, 0x00, 0x02, 'h', '2'};
static const uint8_t d_alpn_list_long[] = {0x00, 0x04, 0x02, 'h', '2'};
static const uint8_t d_alpn_list_short[] = {0x00, 0x02, 0x02, 'h', '2'};
static const uint8_t d_alpn_name_overrun[] = {0x00, 0x03, 0x05, 'h', '2'};
static const uint8_t d_alpn_no_list[] = {0x00};
CHALPN(m_alpn_empty_list, "empty-list", d_alpn_empty_list);
CHALPN(m_alpn_empty_name, "empty-name", d_alpn_empty_name);
CHALPN(m_alpn_list_long, "list-length-overruns", d_alpn_list_long);
CHALPN(m_alpn_list_short, "list-length-short", d_alpn_list_short);
CHALPN(m_alpn_name_overrun, "name-overruns-list", d_alpn_name_overrun);
CHALPN(m_alpn_no_list, "one-byte-body", d_alpn_no_list);
static const struct axval ch_alpn_vals[] = {MUT(m_alpn_empty_list),   MUT(m_alpn_empty_name),
                                            MUT(m_alpn_list_long),    MUT(m_alpn_list_short),
                                            MUT(m_alpn_name_overrun), MUT(m_alpn_no_list)};
static const struct axis ax_ch_alpn = AXIS("mut", DIM_MUT, ch_alpn_vals);
/* The TLS 1.2 ServerHello's ALPN (RFC 7301 3.1: exactly one name, one the
 * client offered). */
static const uint8_t d_sh_alpn_two[] = {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h',
                                        't',  't',  'p',  '/', '1', '.',  '1'};
static const uint8_t d_sh_alpn_bogus[] = {0x00, 0x06, 0x05, 'b', 'o', 'g', 'u', 's'};
static const uint8_t d_sh_alpn_empty[] = {0x00, 0x00};
#define SHALPN(var, nm, arr)                                                                       \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, SH, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(arr)}
SHALPN(m_sh_alpn_two, "two-names", d_sh_alpn_two);
SHALPN(m_sh_alpn_bogus, "unoffered-name", d_sh_alpn_bogus);
SHALPN(m_sh_alpn_empty, "empty-list", d_sh_alpn_empty);
static const struct axval sh_alpn_vals[] = {MUT(m_sh_alpn_two), MUT(m_sh_alpn_bogus),
                                            MUT(m_sh_alpn_empty)};
static const struct axis ax_sh_alpn = AXIS("mut", DIM_MUT, sh_alpn_vals);

/* server_name in the ClientHello, malformed (RFC 6066 3). */
#define CHSNI(var, nm, arr)                                                                        \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, CH, .op = RW_EXT_BODY, .ext = TLS_EXT_SERVER_NAME, D(arr)}
static const uint8_t d_sni_two[] = {0x00, 0x26, 0x00, 0x00, 0x10, 's', 'e', 'r', 'v', 'e',
                                    'r',  '.',  't',  'l',  's',  'h', '.', 't', 'e', 's',
                                    't',  0x00, 0x00, 0x0d, 'a',  'l', 't', '.', 't', 'l',
                                    's',  'h',  '.',  't',  'e',  's', 't'};
static const uint8_t d_sni_empty_name[] = {0x00, 0x03, 0x00, 0x00, 0x00};
static const uint8_t d_sni_empty_list[] = {0x00, 0x00};
static const uint8_t d_sni_list_long[] = {0x00, 0x20, 0x00, 0x00, 0x10, 's', 'e',
                                          'r',  'v',  'e',  'r',  '.',  't', 'l',
                                          's',  'h',  '.',  't',  'e',  's', 't'};
static const uint8_t d_sni_name_long[] = {0x00, 0x13, 0x00, 0x00, 0x20, 's', 'e',
                                          'r',  'v',  'e',  'r',  '.',  't', 'l',
                                          's',  'h',  '.',  't',  'e',  's', 't'};
CHSNI(m_sni_two, "two-host-names", d_sni_two);
CHSNI(m_sni_empty_name, "empty-host-name", d_sni_empty_name);
CHSNI(m_sni_empty_list, "empty-list", d_sni_empty_list);
CHSNI(m_sni_list_long, "list-length-overruns", d_sni_list_long);
CHSNI(m_sni_name_long, "name-length-overruns", d_sni_name_long);
static const struct axval ch_sni_vals[] = {MUT(m_sni_two), MUT(m_sni_empty_name),
                                           MUT(m_sni_empty_list), MUT(m_sni_list_long),
                                           MUT(m_sni_name_long)};
static const struct axis ax_ch_sni = AXIS("mut", DIM_MUT, ch_sni_vals);

/* Records over 2^14 bytes of plaintext (RFC 8446 5.1, RFC 5246 6.2.1). */
static const struct rw_mutation m_ch_over1 = {
        .name = "record-16385", CH, .op = RW_OVERSIZE, .size = 16385};
static const struct rw_mutation m_ch_over256 = {
        .name = "record-16641", CH, .op = RW_OVERSIZE, .size = 16641};
static const struct rw_mutation m_ch_over2048 = {
        .name = "record-18433", CH, .op = RW_OVERSIZE, .size = 18433};
static const struct axval ch_over_vals[] = {MUT(m_ch_over1), MUT(m_ch_over256), MUT(m_ch_over2048)};
static const struct axis ax_ch_over = AXIS("mut", DIM_MUT, ch_over_vals);
static const struct rw_mutation m_sh_over1 = {
        .name = "record-16385", SH, .op = RW_OVERSIZE, .size = 16385};
static const struct rw_mutation m_sh_over2048 = {
        .name = "record-18433", SH, .op = RW_OVERSIZE, .size = 18433};
static const struct axval sh_over_vals[] = {MUT(m_sh_over1), MUT(m_sh_over2048)};
static const struct axis ax_sh_over = AXIS("mut", DIM_MUT, sh_over_vals);

/* A ClientHello of 16 KiB and more over several records (a hello with
 * large key shares reaches it). Larger hellos are left out: no RFC text
 * makes a server take them, and libraries cap them (BoringSSL, wolfSSL). */
static const struct rw_mutation m_ch_16k = {
        .name = "hello-16k", CH, .op = RW_BIG_HELLO, .size = 16384};
static const struct axval ch_big_vals[] = {MUT(m_ch_16k)};
static const struct axis ax_ch_big = AXIS("mut", DIM_MUT, ch_big_vals);

/* Records of a type that has no place before the handshake is done. */
static const uint8_t d_one[] = {0x01};
static const uint8_t d_two[] = {0x02};
static const uint8_t d_appdata[] = {'h', 'e', 'l', 'l', 'o'};
/* A record injected after the ClientHello carries 0x0303, as every record
 * but the initial ClientHello (RFC 8446 5.1); the others the version of
 * the records around them. */
#define INJ(var, nm, target, where, ct, arr)                                                       \
	static const struct rw_mutation var = {.name = nm,                                         \
	                                       target,                                             \
	                                       .op = where,                                        \
	                                       .ctype = ct,                                        \
	                                       .rversion =                                         \
	                                               (where) == RW_INJECT_AFTER ? 0x0303 : 0,    \
	                                       D(arr)}
INJ(m_ch_unknown_before, "unknown-type-before", CH, RW_INJECT_BEFORE, 0x63, d_one);
INJ(m_ch_unknown_after, "unknown-type-after", CH, RW_INJECT_AFTER, 0x63, d_one);
INJ(m_ch_heartbeat_before, "heartbeat-before", CH, RW_INJECT_BEFORE, 24, d_one);
INJ(m_ch_appdata_before, "application-data-before", CH, RW_INJECT_BEFORE, TLS_CT_APPDATA,
    d_appdata);
INJ(m_ch_appdata_after, "application-data-after", CH, RW_INJECT_AFTER, TLS_CT_APPDATA, d_appdata);
INJ(m_ch_ccs_before, "ccs-before", CH, RW_INJECT_BEFORE, TLS_CT_CCS, d_one);
INJ(m_ch_ccs2_after, "ccs-value-2-after", CH, RW_INJECT_AFTER, TLS_CT_CCS, d_two);
INJ(m_ch_appdata_mid, "application-data-inside", CH, RW_INJECT_MID, TLS_CT_APPDATA, d_appdata);
INJ(m_ch_ccs_mid, "ccs-inside", CH, RW_INJECT_MID, TLS_CT_CCS, d_one);
static const struct axval ch_inject_vals[] = {MUT(m_ch_unknown_before),   MUT(m_ch_unknown_after),
                                              MUT(m_ch_heartbeat_before), MUT(m_ch_appdata_before),
                                              MUT(m_ch_ccs_before),       MUT(m_ch_ccs2_after),
                                              MUT(m_ch_appdata_mid),      MUT(m_ch_ccs_mid)};
static const struct axis ax_ch_inject = AXIS("mut", DIM_MUT, ch_inject_vals);
INJ(m_sh_unknown_before, "unknown-type-before", SH, RW_INJECT_BEFORE, 0x63, d_one);
INJ(m_sh_unknown_after, "unknown-type-after", SH, RW_INJECT_AFTER, 0x63, d_one);
INJ(m_sh_appdata_before, "application-data-before", SH, RW_INJECT_BEFORE, TLS_CT_APPDATA,
    d_appdata);
INJ(m_sh_appdata_after, "application-data-after", SH, RW_INJECT_AFTER, TLS_CT_APPDATA, d_appdata);
INJ(m_sh_ccs2_after, "ccs-value-2-after", SH, RW_INJECT_AFTER, TLS_CT_CCS, d_two);
INJ(m_sh_appdata_mid, "application-data-inside", SH, RW_INJECT_MID, TLS_CT_APPDATA, d_appdata);
INJ(m_sh_ccs_mid, "ccs-inside", SH, RW_INJECT_MID, TLS_CT_CCS, d_one);
static const struct axval sh_inject_vals[] = {MUT(m_sh_unknown_before), MUT(m_sh_unknown_after),
                                              MUT(m_sh_appdata_before), MUT(m_sh_ccs2_after),
                                              MUT(m_sh_appdata_mid),    MUT(m_sh_ccs_mid)};
static const struct axis ax_sh_inject = AXIS("mut", DIM_MUT, sh_inject_vals);

/* Alerts in the middle of the handshake. A fatal alert ends it; in TLS 1.3
 * every alert but close_notify and user_canceled is an error alert whatever
 * its level, and so is an unknown one (RFC 8446 6, 6.2). */
static const uint8_t d_fatal_hf[] = {0x02, 40};
static const uint8_t d_warn_hf[] = {0x01, 40};
static const uint8_t d_warn_unknown[] = {0x01, 0xfe};
static const uint8_t d_fatal_unknown[] = {0x02, 0xfe};
INJ(m_ch_fatal, "fatal-handshake-failure-after", CH, RW_INJECT_AFTER, TLS_CT_ALERT, d_fatal_hf);
INJ(m_sh_fatal, "fatal-handshake-failure-before", SH, RW_INJECT_BEFORE, TLS_CT_ALERT, d_fatal_hf);
INJ(m_ch_fatal_unknown, "fatal-unknown-alert-after", CH, RW_INJECT_AFTER, TLS_CT_ALERT,
    d_fatal_unknown);
INJ(m_sh_fatal_unknown, "fatal-unknown-alert-before", SH, RW_INJECT_BEFORE, TLS_CT_ALERT,
    d_fatal_unknown);
static const struct axval ch_fatal_vals[] = {MUT(m_ch_fatal), MUT(m_ch_fatal_unknown)};
static const struct axis ax_ch_fatal = AXIS("mut", DIM_MUT, ch_fatal_vals);
static const struct axval sh_fatal_vals[] = {MUT(m_sh_fatal), MUT(m_sh_fatal_unknown)};
static const struct axis ax_sh_fatal = AXIS("mut", DIM_MUT, sh_fatal_vals);
INJ(m_ch_warn_hf, "warning-handshake-failure-after", CH, RW_INJECT_AFTER, TLS_CT_ALERT, d_warn_hf);
INJ(m_ch_warn_unknown, "warning-unknown-alert-after", CH, RW_INJECT_AFTER, TLS_CT_ALERT,
    d_warn_unknown);
static const struct axval ch_warn13_vals[] = {MUT(m_ch_warn_hf), MUT(m_ch_warn_unknown)};
static const struct axis ax_ch_warn13 = AXIS("mut", DIM_MUT, ch_warn13_vals);

/* TLS 1.3 ClientHello content rules the server MUST check. */
static const uint8_t d_comp_deflate_null[] = {0x01, 0x00};
static const uint8_t d_comp_deflate[] = {0x01};
static const struct rw_mutation m_ch_comp_deflate_null = {
        .name = "compression-deflate-and-null", CH, .op = RW_SET_COMP, D(d_comp_deflate_null)};
static const struct rw_mutation m_ch_comp_deflate = {
        .name = "compression-deflate-only", CH, .op = RW_SET_COMP, D(d_comp_deflate)};
static const struct rw_mutation m_ch_drop_sigalgs = {.name = "no-signature-algorithms",
                                                     CH,
                                                     .op = RW_EXT_DROP,
                                                     .ext = TLS_EXT_SIGNATURE_ALGORITHMS};
static const struct rw_mutation m_ch_drop_groups = {.name = "key-share-without-supported-groups",
                                                    CH,
                                                    .op = RW_EXT_DROP,
                                                    .ext = TLS_EXT_SUPPORTED_GROUPS};
static const uint8_t d_psk[45] = {0x00, 0x08, 0x00, 0x02, 'a', 'b', 0, 0, 0, 0, 0x00, 0x21, 0x20};
static const struct rw_mutation m_drop_modes = {
        .name = "drop-psk-modes", CH, .op = RW_EXT_DROP, .ext = TLS_EXT_PSK_KEY_EXCHANGE_MODES};
static const struct rw_mutation m_ch_psk_first = {.name = "pre-shared-key-not-last",
                                                  CH,
                                                  .op = RW_EXT_ADD,
                                                  .ext = TLS_EXT_PRE_SHARED_KEY,
                                                  .at = 0,
                                                  D(d_psk)};
static const struct rw_mutation m_ch_psk_no_modes = {.name = "pre-shared-key-without-modes",
                                                     CH,
                                                     .op = RW_EXT_ADD,
                                                     .ext = TLS_EXT_PRE_SHARED_KEY,
                                                     .at = -1,
                                                     D(d_psk),
                                                     .then = &m_drop_modes};

/* TLS 1.2 extension echoes (RFC 5746, RFC 7627). */
static const uint8_t d_reneg_full[] = {0x01, 0xaa};
static const uint8_t d_one_zero[] = {0x00};
static const struct rw_mutation m_ch_reneg_full = {.name = "renegotiation-info-not-empty",
                                                   CH,
                                                   .op = RW_EXT_BODY,
                                                   .ext = TLS_EXT_RENEGOTIATION_INFO,
                                                   D(d_reneg_full)};
static const struct rw_mutation m_sh_reneg_full = {.name = "renegotiation-info-not-empty",
                                                   SH,
                                                   .op = RW_EXT_BODY,
                                                   .ext = TLS_EXT_RENEGOTIATION_INFO,
                                                   D(d_reneg_full)};
static const struct rw_mutation m_ch_ems_body = {.name = "extended-master-secret-not-empty",
                                                 CH,
                                                 .op = RW_EXT_BODY,
                                                 .ext = TLS_EXT_EXTENDED_MASTER_SECRET,
                                                 D(d_one_zero)};
static const struct rw_mutation m_sh_ems_body = {.name = "extended-master-secret-not-empty",
                                                 SH,
                                                 .op = RW_EXT_BODY,
                                                 .ext = TLS_EXT_EXTENDED_MASTER_SECRET,
                                                 D(d_one_zero)};

/* HelloRetryRequest (the client under test): `coax` changes the client's
 * ClientHello on its way to the puppet so that the puppet asks for another
 * group; the HelloRetryRequest itself is then mutated. */
static const uint8_t d_no_shares[] = {0x00, 0x00};
static const struct rw_mutation m_coax_no_shares = {.name = "coax-no-key-shares",
                                                    CH,
                                                    .op = RW_EXT_BODY,
                                                    .ext = TLS_EXT_KEY_SHARE,
                                                    D(d_no_shares)};
static const struct rw_mutation m_hrr_as_is = {
        .name = "as-sent", HRR, .op = RW_FRAGMENT, .size = 16384};
static const struct rw_mutation m_hrr_drop_cookie = {
        .name = "drop-cookie", HRR, .op = RW_EXT_DROP, .ext = TLS_EXT_COOKIE};
static const struct rw_mutation m_hrr_no_change = {.name = "no-change",
                                                   HRR,
                                                   .op = RW_EXT_DROP,
                                                   .ext = TLS_EXT_KEY_SHARE,
                                                   .then = &m_hrr_drop_cookie};
static const struct rw_mutation m_hrr_unknown_group = {
        .name = "unoffered-group", HRR, .op = RW_KS_GROUP, .value = 0x0200};
static const struct rw_mutation m_hrr_cipher = {
        .name = "cipher-unoffered", HRR, .op = RW_SET_CIPHER, .value = 0xc0ff};
static const struct rw_mutation m_hrr_version = {.name = "selected-version-0305",
                                                 HRR,
                                                 .op = RW_EXT_BODY,
                                                 .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                                 D(d_sv_0305)};
static const struct rw_mutation m_hrr_unknown_ext = {.name = "unknown-extension",
                                                     HRR,
                                                     .op = RW_EXT_ADD,
                                                     .ext = 0x4242,
                                                     .at = -1,
                                                     .data = d_nothing,
                                                     .len = 0};
static const struct rw_mutation m_hrr_sid = {
        .name = "session-id-echo-changed", HRR, .op = RW_SET_SID, D(d_sid32)};
static const struct axval hrr_bad_vals[] = {MUT(m_hrr_no_change), MUT(m_hrr_unknown_group),
                                            MUT(m_hrr_cipher), MUT(m_hrr_version), MUT(m_hrr_sid)};
static const struct axis ax_hrr_bad = AXIS("mut", DIM_MUT, hrr_bad_vals);
/* The server under test, sent a ClientHello without key shares, must ask
 * for one with a HelloRetryRequest (RFC 8446 4.1.1, 4.1.4). */
static const struct rw_mutation m_ch_no_shares = {
        .name = "no-key-shares", CH, .op = RW_EXT_BODY, .ext = TLS_EXT_KEY_SHARE, D(d_no_shares)};

/* TLS 1.2 signatures in the plaintext phase: the ServerKeyExchange's (the
 * client under test) and the client's CertificateVerify (the server under
 * test). An ECDHE ServerKeyExchange body is curve_type(1) named_curve(2)
 * point<1..255> SignatureAndHashAlgorithm(2) signature<0..2^16-1>; the rows
 * that need fixed offsets coax the client's supported_groups to X25519
 * then P-256 (a 32-byte point at 4..35, the pair at 36..37; P-256 stays
 * offered because the OpenSSL puppet signs with an ECDSA P-256 key only when
 * the client offers that curve). */
#define SKE .msg = TLS_HS_SERVER_KEY_EXCHANGE
#define CV12 .msg = TLS_HS_CERTIFICATE_VERIFY
static const uint8_t d_groups_x25519[] = {0x00, 0x04, 0x00, 0x1d, 0x00, 0x17};
static const struct rw_mutation m_coax_x25519 = {.name = "coax-x25519-first",
                                                 CH,
                                                 .op = RW_EXT_BODY,
                                                 .ext = TLS_EXT_SUPPORTED_GROUPS,
                                                 D(d_groups_x25519)};
static const struct rw_mutation m_ske_sig_last = {
        .name = "signature-last-bit", SKE, .op = RW_XOR, .at = -1, .value = 0x01};
static const struct rw_mutation m_ske_sig_mid = {
        .name = "signature-byte-10-from-end", SKE, .op = RW_XOR, .at = -10, .value = 0x10};
static const struct axval ske_sig_vals[] = {MUT(m_ske_sig_last), MUT(m_ske_sig_mid)};
static const struct axis ax_ske_sig = AXIS("mut", DIM_MUT, ske_sig_vals);
/* The low bit of the point's last byte (X25519: the most significant byte
 * of the u-coordinate; any 32 bytes are a valid X25519 public value). */
static const struct rw_mutation m_ske_point = {
        .name = "params-point-last-byte", SKE, .op = RW_XOR, .at = 35, .value = 0x01};
/* The pair: hash byte 0x40 higher (0x4804, 0x4403, 0x4401: unassigned, so
 * never offered); or an offered pair of the other key type. */
static const struct rw_mutation m_ske_pair_unoffered = {
        .name = "pair-unoffered", SKE, .op = RW_XOR, .at = 36, .value = 0x40};
static const uint8_t d_pair_ecdsa_sha256[] = {0x04, 0x03};
static const uint8_t d_pair_rsa_sha256[] = {0x04, 0x01};
static const struct rw_mutation m_ske_pair_ecdsa = {.name = "ecdsa-pair-for-rsa-key",
                                                    SKE,
                                                    .op = RW_SET_BYTES,
                                                    .at = 36,
                                                    D(d_pair_ecdsa_sha256)};
static const struct rw_mutation m_ske_pair_rsa = {
        .name = "rsa-pair-for-ecdsa-key", SKE, .op = RW_SET_BYTES, .at = 36, D(d_pair_rsa_sha256)};
/* CertificateVerify: SignatureAndHashAlgorithm(2) signature<0..2^16-1>. */
static const struct rw_mutation m_cv12_last = {
        .name = "signature-last-bit", CV12, .op = RW_XOR, .at = -1, .value = 0x01};
static const struct rw_mutation m_cv12_mid = {
        .name = "signature-byte-12", CV12, .op = RW_XOR, .at = 12, .value = 0x10};
static const struct axval cv12_sig_vals[] = {MUT(m_cv12_last), MUT(m_cv12_mid)};
static const struct axis ax_cv12_sig = AXIS("mut", DIM_MUT, cv12_sig_vals);
#undef SKE
#undef CV12

#undef D
#undef CH
#undef SH
#undef HRR
#undef ANY

/* ---- rows ---------------------------------------------------------------------------- */

#define SPEC_FRAG "RFC 8446 5.1; RFC 5246 6.2.1 (a handshake message may span records)"
#define SPEC_DECODE "RFC 8446 6.2 (decode_error); RFC 5246 7.2.2"
/* ECDHE with either key type: the puppet signs a ServerKeyExchange. */
#define ECDHE_SUITES 0xc02f, 0xc030, 0xc02b, 0xc02c
#define SPEC_SKE_SIG                                                                               \
	"RFC 5246 7.4.3 (the signature over the params), 7.2.2 (decrypt_error: unable to "         \
	"correctly verify a signature)"
/* No RFC names the alert for a pair that was not offered or does not fit
 * the key: the row checks the refusal, not the alert. */
#define SPEC_SKE_PAIR                                                                              \
	"RFC 5246 7.4.1.4.1, 7.4.3 (the pair MUST be one listed in the client's "                  \
	"signature_algorithms; no alert named)"

static const struct row rows[] = {
        /* Record-level fragmentation and coalescing of every plaintext
         * handshake message: tolerated. */
        {.id = "misbehave/fragment/{mut}/{role}/{ver}",
         .spec = SPEC_FRAG,
         .title = "the puppet's handshake records re-framed: the handshake completes",
         .axes = {&ax_frag, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave/fragment/{mut}/{role}/{ver}",
         .spec = SPEC_FRAG,
         .title = "the puppet's handshake records re-framed: the handshake completes",
         .axes = {&ax_frag, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave/fragment/{mut}/{role}/tls12",
         .spec = SPEC_FRAG,
         .title = "the puppet's handshake records re-framed: the handshake completes",
         .axes = {&ax_frag_sflight, &ax_client},
         .ver = TLSH_TLS_1_2,
         PUPPET,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave/fragment/client-hello-{mut}/{role}/{ver}",
         .spec = SPEC_FRAG,
         .title = "the ClientHello split over two records: the handshake completes",
         .axes = {&ax_ch_split, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave/fragment/server-hello-{mut}/{role}/{ver}",
         .spec = SPEC_FRAG,
         .title = "the ServerHello split over two records: the handshake completes",
         .axes = {&ax_sh_split, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave/record-version/client-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.1 (legacy_record_version MUST be ignored); RFC 5246 Appendix E.1",
         .title = "the ClientHello's record version is ignored",
         .axes = {&ax_ch_rv, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_ESTABLISHED},

        /* Malformed hellos. */
        {.id = "misbehave/decode/client-hello-{mut}/{role}/{ver}",
         .spec = SPEC_DECODE,
         .title = "a malformed ClientHello is refused with decode_error",
         .axes = {&ax_ch_decode, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},
        {.id = "misbehave/decode/server-hello-{mut}/{role}/{ver}",
         .spec = SPEC_DECODE,
         .title = "a malformed ServerHello is refused with decode_error",
         .axes = {&ax_sh_decode, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},
        {.id = "misbehave/decode/client-hello-{mut}/{role}/{ver}",
         .spec = SPEC_DECODE "; RFC 8446 5.1 (a message split over records: nothing between "
                             "the pieces)",
         .title = "a ClientHello announced longer than it is is never taken",
         .axes = {&ax_ch_overrun, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_UNEXPECTED}},
        {.id = "misbehave/decode/server-hello-{mut}/{role}/{ver}",
         .spec = SPEC_DECODE "; RFC 8446 5.1 (a message split over records: nothing between "
                             "the pieces)",
         .title = "a ServerHello announced longer than it is is never taken",
         .axes = {&ax_sh_overrun, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_UNEXPECTED}},
        {.id = "misbehave/decode/client-hello-supported-versions-{mut}/{role}/tls13",
         .spec = SPEC_DECODE "; RFC 8446 4.2.1 (versions<2..254>)",
         .title = "a malformed supported_versions list is refused with decode_error",
         .axes = {&ax_chsv_decode, &ax_server},
         .server = {.lo = V12, .hi = V13},
         .client = {.lo = V13, .hi = V13},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},
        {.id = "misbehave/decode/server-hello-{mut}/{role}/tls13",
         .spec = SPEC_DECODE,
         .title = "a selected_version of 3 bytes is refused with decode_error",
         .axes = {&ax_client},
         .mut = &m_sh_sv_3,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},

        /* ClientHello.legacy_version. */
        {.id = "misbehave/client-version/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2.1 (with supported_versions the server MUST NOT use "
                 "legacy_version)",
         .title = "legacy_version is ignored when supported_versions is present",
         .axes = {&ax_chv13_ok, &ax_server},
         .ver = V13,
         PUPPET,
         .outcome = OUT_PROCEEDS},
        {.id = "misbehave/client-version/{mut}/{role}/{ver}",
         .spec = "RFC 8446 Appendix D.5 (legacy_version 0x0300: protocol_version)",
         .title = "a ClientHello claiming SSL 3.0 is refused with protocol_version",
         .axes = {&ax_chv_old, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},
        {.id = "misbehave/client-version/{mut}/{role}/tls12",
         .spec = "RFC 5246 Appendix E.1 (only versions above the client's: protocol_version)",
         .title = "a ClientHello claiming a version older than SSL 3.0 is refused by a TLS 1.2 "
                  "server with protocol_version",
         .axes = {&ax_chv12_ancient, &ax_server},
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},
        {.id = "misbehave/client-version/{mut}/{role}/tls12",
         .spec = "RFC 8996 (TLS 1.0 and 1.1 MUST NOT be negotiated); RFC 5246 E.1",
         .title = "a TLS 1.0 or 1.1 ClientHello is refused by a TLS 1.2 server with "
                  "protocol_version",
         .axes = {&ax_chv12_low, &ax_server},
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},
        {.id = "misbehave/client-version/{mut}/{role}/tls12",
         .spec = "RFC 5246 Appendix E.1 (a higher version is answered with the server's "
                 "highest)",
         .title = "a ClientHello above TLS 1.2 without supported_versions gets TLS 1.2",
         .axes = {&ax_chv12_high, &ax_server},
         .ver = V12,
         PUPPET,
         .outcome = OUT_PROCEEDS},

        /* supported_versions edge cases. */
        {.id = "misbehave/supported-versions/only-unknown-versions/{role}/tls13",
         .spec = "RFC 8446 4.2.1 (no acceptable version: protocol_version)",
         .title = "supported_versions with no version the server knows: protocol_version",
         .axes = {&ax_server},
         .mut = &m_chsv_unknown,
         .server = {.lo = V12, .hi = V13},
         .client = {.lo = V13, .hi = V13},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},
        {.id = "misbehave/supported-versions/grease-versions/{role}/tls13",
         .spec = "RFC 8701 2 (GREASE values MUST be ignored); RFC 8446 4.2.1",
         .title = "GREASE versions in supported_versions are ignored",
         .axes = {&ax_server},
         .mut = &m_chsv_grease,
         .ver = V13,
         PUPPET,
         .outcome = OUT_PROCEEDS},
        {.id = "misbehave/supported-versions/0304-without-extension/{role}/tls12-tls13",
         .spec = "RFC 8446 4.2.1 (TLS 1.3 only with supported_versions); RFC 5246 E.1",
         .title = "legacy_version 0x0304 without supported_versions is answered with TLS 1.2",
         .axes = {&ax_server},
         .mut = &m_ch_no_sv_0304,
         .server = {.lo = V12, .hi = V13},
         .client = {.lo = V12, .hi = V13},
         PUPPET,
         .outcome = OUT_PROCEEDS},
        {.id = "misbehave/supported-versions/0304-without-extension/{role}/tls13",
         .spec = "RFC 8446 4.2.1 (TLS 1.3 only with supported_versions; else "
                 "protocol_version)",
         .title = "a TLS 1.3-only server refuses a ClientHello without supported_versions",
         .axes = {&ax_server},
         .mut = &m_ch_no_sv_0304,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},

        /* TLS_FALLBACK_SCSV. */
        {.id = "misbehave/fallback-scsv/lower-version/{role}/tls12-tls13",
         .spec = "RFC 7507 3 (inappropriate_fallback)",
         .title = "TLS_FALLBACK_SCSV in a TLS 1.2 ClientHello to a TLS 1.3 server: "
                  "inappropriate_fallback",
         .axes = {&ax_server},
         .mut = &m_fallback,
         .server = {.lo = V12, .hi = V13},
         .client = {.lo = V12, .hi = V12},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_INAPPROPRIATE_FALLBACK}},
        {.id = "misbehave/fallback-scsv/highest-version/{role}/tls12",
         .spec = "RFC 7507 3 (no fallback when the client offers the server's highest)",
         .title = "TLS_FALLBACK_SCSV at the server's highest version is no fallback",
         .axes = {&ax_server},
         .mut = &m_fallback,
         .ver = V12,
         PUPPET,
         .outcome = OUT_PROCEEDS},

        /* The ServerHello chooses what was not offered. */
        {.id = "misbehave/server-choice/{mut}/{role}/{ver}",
         .spec = "RFC 8446 4.1.3 (illegal_parameter); RFC 5246 7.4.1.3",
         .title = "a cipher suite or compression the client did not offer: "
                  "illegal_parameter",
         .axes = {&ax_sh_choice, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/server-choice/{mut}/{role}/tls12",
         .spec = "RFC 5246 7.4.1.3 (the suite is one from ClientHello.cipher_suites)",
         .title = "a TLS 1.3 suite in a TLS 1.2 ServerHello: illegal_parameter",
         .axes = {&ax_client},
         .mut = &m_sh_cipher_13in12,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/server-choice/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.1.3, 4.2.1, 4.2.8 (illegal_parameter)",
         .title = "a version, group, session id echo or suite the client did not offer: "
                  "illegal_parameter",
         .axes = {&ax_sh13_choice, &ax_client},
         .ver = V13,
         .client = {.lo = V12, .hi = V13},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/server-version/{mut}/{role}/tls12",
         .spec = "RFC 5246 Appendix E.1 (a version the client does not support: "
                 "protocol_version); RFC 8996",
         .title = "a TLS 1.2 client refuses a ServerHello of another version",
         .axes = {&ax_shv12, &ax_client},
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_PROTOCOL_VERSION}},
        {.id = "misbehave/downgrade-sentinel/{mut}/{role}/tls12-tls13",
         .spec = "RFC 8446 4.1.3 (a TLS 1.3 client MUST check both sentinels: "
                 "illegal_parameter)",
         .title = "a TLS 1.2 ServerHello with a downgrade sentinel to a TLS 1.3 client",
         .axes = {&ax_downgrd, &ax_client},
         .client = {.lo = V12, .hi = V13},
         .server = {.lo = V12, .hi = V12},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        /* Extensions the client did not ask for, or in the wrong message. */
        {.id = "misbehave/unsolicited-extension/{mut}/{role}/tls12",
         .spec = "RFC 5246 7.4.1.4 (an extension not requested: unsupported_extension)",
         .title = "a ServerHello extension the client did not offer: unsupported_extension",
         .axes = {&ax_sh_unsolicited, &ax_client},
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNSUPPORTED_EXTENSION}},
        {.id = "misbehave/unsolicited-extension/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (not requested: unsupported_extension; not allowed in the "
                 "message: illegal_parameter)",
         .title = "a ServerHello extension the client did not offer: unsupported_extension",
         .axes = {&ax_sh_unsolicited, &ax_client},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNSUPPORTED_EXTENSION, A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/misplaced-extension/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (an extension not specified for the message: "
                 "illegal_parameter)",
         .title = "an extension the client offered but a ServerHello may not carry",
         .axes = {&ax_sh13_misplaced, &ax_client},
         .ver = V13,
         .client = {.alpn = {NAME("h2")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/duplicate-extension/client-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 4.2; RFC 5246 7.4.1.4 (no two extensions of one type)",
         .title = "a ClientHello with an extension twice is refused",
         .axes = {&ax_ch_dup, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/duplicate-extension/client-hello-{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (no two extensions of one type)",
         .title = "a ClientHello with a TLS 1.3 extension twice is refused",
         .axes = {&ax_ch13_dup, &ax_server},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/duplicate-extension/server-hello-first-extension-twice/{role}/{ver}",
         .spec = "RFC 8446 4.2; RFC 5246 7.4.1.4 (no two extensions of one type)",
         .title = "a ServerHello with an extension twice is refused",
         .axes = {&ax_client, &ax_ver},
         .mut = &m_sh_dup_first,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER, A_UNSUPPORTED_EXTENSION}},

        /* HelloRetryRequest. */
        {.id = "misbehave/hello-retry/group-already-offered/{role}/tls13",
         .spec = "RFC 8446 4.2.8 (an HRR for a group the client sent a share for: "
                 "illegal_parameter)",
         .title = "a HelloRetryRequest asking for a group the client already sent a share for",
         .axes = {&ax_client},
         .ver = V13,
         .mut = &m_hrr_as_is,
         .coax = &m_coax_no_shares,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/hello-retry/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.1.4 (an HRR must change something; its fields are checked as a "
                 "ServerHello's: illegal_parameter)",
         .title = "a malformed HelloRetryRequest is refused",
         .axes = {&ax_hrr_bad, &ax_client},
         .ver = V13,
         .coax = &m_coax_no_shares,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/hello-retry/unknown-extension/{role}/tls13",
         .spec = "RFC 8446 4.1.4 (unsupported_extension)",
         .title = "a HelloRetryRequest with an extension the client did not offer",
         .axes = {&ax_client},
         .ver = V13,
         .mut = &m_hrr_unknown_ext,
         .coax = &m_coax_no_shares,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNSUPPORTED_EXTENSION}},
        {.id = "misbehave/hello-retry/no-key-shares/{role}/tls13",
         .spec = "RFC 8446 4.1.1, 4.1.4 (no acceptable share: a HelloRetryRequest)",
         .title = "a ClientHello without key shares gets a HelloRetryRequest",
         .axes = {&ax_server},
         .ver = V13,
         .mut = &m_ch_no_shares,
         PUPPET,
         .outcome = OUT_PROCEEDS},

        /* ALPN. */
        {.id = "misbehave/alpn/client-hello-{mut}/{role}/{ver}",
         .spec = "RFC 7301 3.1 (ProtocolNameList<2..2^16-1>, ProtocolName<1..2^8-1>); RFC "
                 "8446 6.2 (decode_error)",
         .title = "a malformed ALPN list is refused with decode_error",
         .axes = {&ax_ch_alpn, &ax_server, &ax_ver},
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},
        {.id = "misbehave/alpn/server-hello-{mut}/{role}/tls12",
         .spec = "RFC 7301 3.1 (the server's list holds exactly one name, one the client "
                 "offered)",
         .title = "a TLS 1.2 ServerHello selecting no, two or an unoffered protocol",
         .axes = {&ax_sh_alpn, &ax_client},
         .ver = V12,
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS},

        /* server_name. */
        {.id = "misbehave/server-name/{mut}/{role}/{ver}",
         .spec = "RFC 6066 3 (one name per type; HostName<1..2^16-1>); RFC 8446 6.2",
         .title = "a server that chooses its chain by SNI refuses a malformed server_name "
                  "list",
         .axes = {&ax_ch_sni, &ax_server, &ax_ver},
         .server = {.chain = {"server", "alt"}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER}},

        /* Record size. */
        {.id = "misbehave/record-overflow/client-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.1; RFC 5246 6.2.1 (record_overflow)",
         .title = "a plaintext record over 2^14 bytes is refused with record_overflow",
         .axes = {&ax_ch_over, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave/record-overflow/server-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.1; RFC 5246 6.2.1 (record_overflow)",
         .title = "a plaintext record over 2^14 bytes is refused with record_overflow",
         .axes = {&ax_sh_over, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave/large-hello/{mut}/{role}/{ver}",
         .spec = "RFC 8446 4 (handshake messages up to 2^24-1 bytes), 5.1",
         .title = "a ClientHello of 16 KiB and more over several records is taken",
         .axes = {&ax_ch_big, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_PROCEEDS},

        /* Records of the wrong type before the handshake is done. */
        {.id = "misbehave/unexpected-record/client-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 5 (unexpected record type: unexpected_message), 5.1; RFC 5246 6, 7.1",
         .title = "an unknown, application_data or misplaced ChangeCipherSpec record during "
                  "the handshake: unexpected_message",
         .axes = {&ax_ch_inject, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave/unexpected-record/server-hello-{mut}/{role}/{ver}",
         .spec = "RFC 8446 5 (unexpected record type: unexpected_message), 5.1; RFC 5246 6, 7.1",
         .title = "an unknown, application_data or misplaced ChangeCipherSpec record during "
                  "the handshake: unexpected_message",
         .axes = {&ax_sh_inject, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},

        /* Application data right after the hello: in TLS 1.2 it has no place
         * before the Finished; in TLS 1.3 the records after the hello are
         * protected, and one that does not decrypt is bad_record_mac
         * (early data was not offered). */
        {.id = "misbehave/unexpected-record/client-hello-{mut}/{role}/tls12",
         .spec = "RFC 5246 6, 7.4 (application data before the Finished: unexpected_message)",
         .title = "application_data right after the ClientHello: unexpected_message",
         .axes = {&ax_server},
         .mut = &m_ch_appdata_after,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave/unexpected-record/client-hello-{mut}/{role}/tls13",
         .spec = "RFC 8446 5, 5.2 (not decryptable: bad_record_mac), 4.2.10",
         .title = "application_data right after the ClientHello, no early data offered",
         .axes = {&ax_server},
         .mut = &m_ch_appdata_after,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED, 20}},
        {.id = "misbehave/unexpected-record/server-hello-{mut}/{role}/tls12",
         .spec = "RFC 5246 6, 7.4 (application data before the Finished: unexpected_message)",
         .title = "application_data inside the TLS 1.2 server flight: unexpected_message",
         .axes = {&ax_client},
         .mut = &m_sh_appdata_after,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave/unexpected-record/server-hello-{mut}/{role}/tls13",
         .spec = "RFC 8446 5.2 (a record that does not decrypt: bad_record_mac)",
         .title = "a record after the ServerHello that is not protected: bad_record_mac",
         .axes = {&ax_client},
         .mut = &m_sh_appdata_after,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {20}},

        /* Alerts mid-handshake. */
        {.id = "misbehave/alert/{mut}/{role}/{ver}",
         .spec = "RFC 8446 6.2; RFC 5246 7.2.2 (a fatal alert ends the connection)",
         .title = "a fatal alert in the middle of the handshake ends it",
         .axes = {&ax_ch_fatal, &ax_server, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/alert/{mut}/{role}/{ver}",
         .spec = "RFC 8446 6.2; RFC 5246 7.2.2 (a fatal alert ends the connection)",
         .title = "a fatal alert in the middle of the handshake ends it",
         .axes = {&ax_sh_fatal, &ax_client, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/alert/{mut}/{role}/tls13",
         .spec = "RFC 8446 6 (unknown alerts are error alerts), 6.2 (error alerts whatever "
                 "the level)",
         .title = "a TLS 1.3 warning-level error alert is fatal",
         .axes = {&ax_ch_warn13, &ax_server},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS},
        /* TLS 1.3 ClientHello content. */
        {.id = "misbehave/client-hello-content/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.1.2 (compression other than the one null byte: "
                 "illegal_parameter)",
         .title = "a TLS 1.3 ClientHello offering compression is refused",
         .axes = {&ax_server},
         .mut = &m_ch_comp_deflate_null,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/client-hello-content/{mut}/{role}/{ver}",
         .spec = "RFC 5246 7.4.1.2 (compression_methods MUST contain null); RFC 8446 4.1.2",
         .title = "a ClientHello without the null compression method is refused",
         .axes = {&ax_server, &ax_ver},
         .mut = &m_ch_comp_deflate,
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/client-hello-content/{mut}/{role}/tls13",
         .spec = "RFC 8446 9.2 (signature_algorithms missing: missing_extension)",
         .title = "a TLS 1.3 ClientHello without signature_algorithms: missing_extension",
         .axes = {&ax_server},
         .mut = &m_ch_drop_sigalgs,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_MISSING_EXTENSION}},
        {.id = "misbehave/client-hello-content/{mut}/{role}/tls13",
         .spec = "RFC 8446 9.2 (key_share without supported_groups: missing_extension)",
         .title = "a TLS 1.3 ClientHello with key_share but no supported_groups",
         .axes = {&ax_server},
         .mut = &m_ch_drop_groups,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_MISSING_EXTENSION}},
        {.id = "misbehave/client-hello-content/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2.11 (pre_shared_key MUST be the last extension: "
                 "illegal_parameter)",
         .title = "pre_shared_key that is not the last extension is refused",
         .axes = {&ax_server},
         .mut = &m_ch_psk_first,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/client-hello-content/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2.9 (pre_shared_key without psk_key_exchange_modes: the server "
                 "MUST abort)",
         .title = "pre_shared_key without psk_key_exchange_modes is refused",
         .axes = {&ax_server},
         .mut = &m_ch_psk_no_modes,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_MISSING_EXTENSION, A_ILLEGAL_PARAMETER}},

        /* TLS 1.2 echoes. */
        {.id = "misbehave/renegotiation-info/client-hello-not-empty/{role}/tls12",
         .spec = "RFC 5746 3.6 (renegotiated_connection not empty on an initial handshake: "
                 "handshake_failure)",
         .title = "an initial ClientHello with a non-empty renegotiation_info is refused",
         .axes = {&ax_server},
         .mut = &m_ch_reneg_full,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_HANDSHAKE_FAILURE}},
        {.id = "misbehave/renegotiation-info/server-hello-not-empty/{role}/tls12",
         .spec = "RFC 5746 3.4 (renegotiated_connection not empty: handshake_failure)",
         .title = "an initial ServerHello with a non-empty renegotiation_info is refused",
         .axes = {&ax_client},
         .mut = &m_sh_reneg_full,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_HANDSHAKE_FAILURE}},
        {.id = "misbehave/extended-master-secret/client-hello-not-empty/{role}/tls12",
         .spec = "RFC 7627 5.1 (extension_data is empty); RFC 8446 6.2 (decode_error)",
         .title = "an extended_master_secret extension with a body is refused",
         .axes = {&ax_server},
         .mut = &m_ch_ems_body,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER}},
        {.id = "misbehave/extended-master-secret/server-hello-not-empty/{role}/tls12",
         .spec = "RFC 7627 5.1 (extension_data is empty); RFC 8446 6.2 (decode_error)",
         .title = "an extended_master_secret extension with a body is refused",
         .axes = {&ax_client},
         .mut = &m_sh_ems_body,
         .ver = V12,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_ILLEGAL_PARAMETER}},
        /* TLS 1.2 signatures (ECDHE suites; the key type of the signer's
         * certificate on the {kt} axis). */
        {.id = "misbehave/server-key-exchange-signature/{mut}/{kt}/{role}/tls12",
         .spec = SPEC_SKE_SIG,
         .title = "a ServerKeyExchange whose signature does not verify is refused with "
                  "decrypt_error",
         .axes = {&ax_ske_sig, &ax_kt, &ax_client},
         .ver = V12,
         .server = {.ciphers = {ECDHE_SUITES}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECRYPT_ERROR}},
        {.id = "misbehave/server-key-exchange-signature/{mut}/{kt}/{role}/tls12",
         .spec = SPEC_SKE_SIG "; RFC 8422 5.4 (the signature covers ServerECDHParams), 5.11 "
                              "(X25519 public values need no validation: RFC 7748 5)",
         .title = "a ServerKeyExchange whose signed ECDHE point was changed is refused with "
                  "decrypt_error",
         .axes = {&ax_kt, &ax_client},
         .mut = &m_ske_point,
         .coax = &m_coax_x25519,
         .ver = V12,
         .server = {.ciphers = {ECDHE_SUITES}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECRYPT_ERROR}},
        {.id = "misbehave/server-key-exchange-algorithm/{mut}/{kt}/{role}/tls12",
         .spec = SPEC_SKE_PAIR,
         .title = "a ServerKeyExchange signed with a pair the client did not offer is refused",
         .axes = {&ax_kt, &ax_client},
         .mut = &m_ske_pair_unoffered,
         .coax = &m_coax_x25519,
         .ver = V12,
         .server = {.ciphers = {ECDHE_SUITES}},
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/server-key-exchange-algorithm/{mut}/rsa/{role}/tls12",
         .spec = SPEC_SKE_PAIR "; RFC 5246 7.4.3 (the signature is made with the key of the "
                               "server's certificate)",
         .title = "a ServerKeyExchange naming an ECDSA pair for an RSA certificate is refused",
         .axes = {&ax_client},
         .mut = &m_ske_pair_ecdsa,
         .coax = &m_coax_x25519,
         .kt = KT_RSA,
         .ver = V12,
         .server = {.ciphers = {ECDHE_SUITES}},
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/server-key-exchange-algorithm/{mut}/ecdsa/{role}/tls12",
         .spec = SPEC_SKE_PAIR "; RFC 5246 7.4.3 (the signature is made with the key of the "
                               "server's certificate)",
         .title = "a ServerKeyExchange naming an RSA pair for an ECDSA certificate is refused",
         .axes = {&ax_client},
         .mut = &m_ske_pair_rsa,
         .coax = &m_coax_x25519,
         .kt = KT_ECDSA,
         .ver = V12,
         .server = {.ciphers = {ECDHE_SUITES}},
         PUPPET,
         .outcome = OUT_REJECTS},
        {.id = "misbehave/certificate-verify/{mut}/{kt}/{role}/tls12",
         .spec = "RFC 5246 7.4.8 (the signature over the handshake messages), 7.2.2 "
                 "(decrypt_error: unable to correctly verify a signature)",
         .title = "a client CertificateVerify whose signature does not verify is refused with "
                  "decrypt_error",
         .axes = {&ax_cv12_sig, &ax_kt, &ax_server},
         .ver = V12,
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECRYPT_ERROR}},
};

FAMILY(family_misbehave, "misbehave", rows);
