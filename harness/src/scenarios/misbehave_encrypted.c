/* misbehave-encrypted family: a misbehaving peer in the encrypted phase.
 *
 * The backend under test meets the puppet (--puppet, OpenSSL by default),
 * whose protected records the rewriter decrypts with the secrets the puppet
 * exports (TLSH_CAP_EXPORT_SECRETS, derived: a puppet without it makes the
 * row UNSUPPORTED), changes, and protects again with the keys and sequence
 * numbers the backend under test believes in (rewrite.h, the encrypted
 * phase). Each row cites the RFC rule it checks and the alert(s) it names:
 *  - OUT_REJECTS: the backend under test aborts where the mutated record
 *    arrives, with one of the alerts (PASS-LOOSE with another or none); for
 *    a record after the handshake (row.post), the handshake completes, the
 *    puppet sends data, and the backend's read must fail without returning
 *    any of it;
 *  - OUT_ESTABLISHED: the change is legal (a KeyUpdate, record padding up to
 *    the limit, an unknown NewSessionTicket extension): the handshake
 *    completes and data crosses both ways; after an injected KeyUpdate the
 *    puppet's records reach the backend under the updated keys, and a
 *    backend asked to update answers with a KeyUpdate of its own;
 *  - POST_CLOSE rows: authentic application data after the puppet's
 *    close_notify is never returned by read.
 * Ids: misbehave-encrypted/<rule>/<mutation>/<role under test>/<version>. */
#include <string.h>

#include "misbehave.h"
#include "rewrite.h"
#include "scenario.h"
#include "tlsmsg.h"

/* ---- mutations ----------------------------------------------------------------------- */

#define E_HS(t) .enc = RW_ENC_HS, .msg = (t)
#define FIN E_HS(TLS_HS_FINISHED)
#define EE E_HS(TLS_HS_ENCRYPTED_EXTENSIONS)
#define CV E_HS(TLS_HS_CERTIFICATE_VERIFY)
#define NST E_HS(TLS_HS_NEW_SESSION_TICKET)
#define APP .enc = RW_ENC_APPDATA
#define ALERT .enc = RW_ENC_ALERT

/* The Finished's verify_data made wrong: decrypt_error (RFC 8446 4.4.4; RFC
 * 5246 7.4.9). */
static const struct rw_mutation m_fin_flip_first = {
        .name = "flip-first-bit", FIN, .op = RW_XOR, .at = 0, .value = 0x01};
static const struct rw_mutation m_fin_flip_mid = {
        .name = "flip-byte-5-high-bit", FIN, .op = RW_XOR, .at = 5, .value = 0x80};
static const struct rw_mutation m_fin_flip_last = {
        .name = "flip-last-bit", FIN, .op = RW_XOR, .at = -1, .value = 0x01};
static const struct rw_mutation m_fin_flip_byte = {
        .name = "invert-first-byte", FIN, .op = RW_XOR, .at = 0, .value = 0xff};
static const struct axval fin_flip_vals[] = {MUT(m_fin_flip_first), MUT(m_fin_flip_mid),
                                             MUT(m_fin_flip_last), MUT(m_fin_flip_byte)};
static const struct axis ax_fin_flip = AXIS("mut", DIM_MUT, fin_flip_vals);

/* Its length wrong (the handshake length following): decode_error, or
 * decrypt_error for a verify_data that cannot match. */
static const struct rw_mutation m_fin_empty = {
        .name = "empty", FIN, .op = RW_TRUNCATE, .at = 0, .fix = 1};
static const struct rw_mutation m_fin_short = {
        .name = "cut-to-11-bytes", FIN, .op = RW_TRUNCATE, .at = 11, .fix = 1};
static const struct rw_mutation m_fin_long = {
        .name = "one-byte-more", FIN, .op = RW_PAD, .at = -1, .size = 1, .fix = 1};
static const struct axval fin_len_vals[] = {MUT(m_fin_empty), MUT(m_fin_short), MUT(m_fin_long)};
static const struct axis ax_fin_len = AXIS("mut", DIM_MUT, fin_len_vals);

/* KeyUpdate (RFC 8446 4.6.3). */
static const uint8_t d_ku0[] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 0};
static const uint8_t d_ku1[] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 1};
static const uint8_t d_ku2[] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 2};
static const uint8_t d_ku255[] = {TLS_HS_KEY_UPDATE, 0, 0, 1, 255};
static const uint8_t d_ku_long[] = {TLS_HS_KEY_UPDATE, 0, 0, 2, 0, 0};
static const uint8_t d_ku_empty[] = {TLS_HS_KEY_UPDATE, 0, 0, 0};
#define INJ_AFTER_FIN(var, nm, dat)                                                                \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, FIN, .op = RW_INJECT_AFTER, .ctype = TLS_CT_HANDSHAKE, D(dat)}
#define INJ_BEFORE_FIN(var, nm, dat)                                                               \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, FIN, .op = RW_INJECT_BEFORE, .ctype = TLS_CT_HANDSHAKE, D(dat)}
INJ_AFTER_FIN(m_ku0, "update-not-requested", d_ku0);
INJ_AFTER_FIN(m_ku1, "update-requested", d_ku1);
static const struct axval ku_ok_vals[] = {MUT(m_ku0), MUT(m_ku1)};
static const struct axis ax_ku_ok = AXIS("mut", DIM_MUT, ku_ok_vals);
INJ_AFTER_FIN(m_ku2, "request-update-2", d_ku2);
INJ_AFTER_FIN(m_ku255, "request-update-255", d_ku255);
static const struct axval ku_bad_vals[] = {MUT(m_ku2), MUT(m_ku255)};
static const struct axis ax_ku_bad = AXIS("mut", DIM_MUT, ku_bad_vals);
INJ_AFTER_FIN(m_ku_long, "two-byte-body", d_ku_long);
INJ_AFTER_FIN(m_ku_empty, "empty-body", d_ku_empty);
static const struct axval ku_len_vals[] = {MUT(m_ku_long), MUT(m_ku_empty)};
static const struct axis ax_ku_len = AXIS("mut", DIM_MUT, ku_len_vals);
INJ_BEFORE_FIN(m_ku0_early, "update-not-requested-before-finished", d_ku0);
INJ_BEFORE_FIN(m_ku1_early, "update-requested-before-finished", d_ku1);
static const struct axval ku_early_vals[] = {MUT(m_ku0_early), MUT(m_ku1_early)};
static const struct axis ax_ku_early = AXIS("mut", DIM_MUT, ku_early_vals);

/* Record size (RFC 8446 5.2, 5.4; RFC 5246 6.2.1, 6.2.3): record_overflow. */
static const struct rw_mutation m_app_16385 = {.name = "content-16385-bytes",
                                               APP,
                                               .op = RW_INJECT_BEFORE,
                                               .ctype = TLS_CT_APPDATA,
                                               .size = 16385};
static const struct rw_mutation m_app_18433 = {.name = "content-18433-bytes",
                                               APP,
                                               .op = RW_INJECT_BEFORE,
                                               .ctype = TLS_CT_APPDATA,
                                               .size = 18433};
static const struct rw_mutation m_app_ct_over = {.name = "ciphertext-over-16640-bytes",
                                                 APP,
                                                 .op = RW_INJECT_BEFORE,
                                                 .ctype = TLS_CT_APPDATA,
                                                 .size = 16384,
                                                 .value = 300};
static const struct rw_mutation m_app_pad_over = {
        .name = "inner-plaintext-over-16385-bytes", APP, .op = RW_E_PADDING, .size = 16300};
static const struct rw_mutation m_fin_pad_over = {
        .name = "finished-inner-plaintext-over-16385-bytes",
        FIN,
        .op = RW_E_PADDING,
        .size = 16400};
/* ... and at the limit: legal. */
static const struct rw_mutation m_app_pad_limit = {
        .name = "inner-plaintext-16385-bytes", APP, .op = RW_E_PADDING, .size = 16284};
static const struct rw_mutation m_fin_pad_256 = {
        .name = "finished-padding-256-bytes", FIN, .op = RW_E_PADDING, .size = 256};
static const struct axval pad_ok_vals[] = {MUT(m_app_pad_limit), MUT(m_fin_pad_256)};
static const struct axis ax_pad_ok = AXIS("mut", DIM_MUT, pad_ok_vals);

/* A record of padding only: no content type (RFC 8446 5.4). */
static const struct rw_mutation m_padonly_fin0 = {
        .name = "empty-before-finished", FIN, .op = RW_E_PAD_ONLY, .size = 0};
static const struct rw_mutation m_padonly_fin16 = {
        .name = "16-zeros-before-finished", FIN, .op = RW_E_PAD_ONLY, .size = 16};
static const struct axval padonly_fin_vals[] = {MUT(m_padonly_fin0), MUT(m_padonly_fin16)};
static const struct axis ax_padonly_fin = AXIS("mut", DIM_MUT, padonly_fin_vals);
static const struct rw_mutation m_padonly_app0 = {
        .name = "empty-after-handshake", APP, .op = RW_E_PAD_ONLY, .size = 0};
static const struct rw_mutation m_padonly_app16 = {
        .name = "16-zeros-after-handshake", APP, .op = RW_E_PAD_ONLY, .size = 16};
static const struct axval padonly_app_vals[] = {MUT(m_padonly_app0), MUT(m_padonly_app16)};
static const struct axis ax_padonly_app = AXIS("mut", DIM_MUT, padonly_app_vals);

/* A record that does not authenticate: bad_record_mac (RFC 8446 5.2; RFC
 * 5246 6.2.3.2, 6.2.3.3). */
static const struct rw_mutation m_fin_tag = {.name = "finished-tag", FIN, .op = RW_E_TAG};
static const struct rw_mutation m_fin_ct = {.name = "finished-ciphertext", FIN, .op = RW_E_CT};
static const struct rw_mutation m_fin_cut = {.name = "finished-record-cut", FIN, .op = RW_E_CUT};
static const struct axval fin_mac_vals[] = {MUT(m_fin_tag), MUT(m_fin_ct), MUT(m_fin_cut)};
static const struct axis ax_fin_mac = AXIS("mut", DIM_MUT, fin_mac_vals);
static const struct rw_mutation m_app_tag = {.name = "application-data-tag", APP, .op = RW_E_TAG};
static const struct rw_mutation m_app_ct = {
        .name = "application-data-ciphertext", APP, .op = RW_E_CT};
static const struct rw_mutation m_app_cut = {
        .name = "application-data-record-cut", APP, .op = RW_E_CUT};
static const struct axval app_mac_vals[] = {MUT(m_app_tag), MUT(m_app_ct), MUT(m_app_cut)};
static const struct axis ax_app_mac = AXIS("mut", DIM_MUT, app_mac_vals);
static const struct rw_mutation m_ee_tag = {.name = "encrypted-extensions-tag", EE, .op = RW_E_TAG};

/* TLS 1.2 CBC: padding and MAC (RFC 5246 6.2.3.2; RFC 7366 3). */
static const struct rw_mutation m_cbc_fin_pad = {
        .name = "finished-padding-byte", FIN, .op = RW_E_CBC_PAD, .value = 1};
static const struct rw_mutation m_cbc_fin_padlen = {
        .name = "finished-padding-length-255", FIN, .op = RW_E_CBC_PAD, .value = 2};
static const struct rw_mutation m_cbc_fin_mac = {.name = "finished-mac", FIN, .op = RW_E_TAG};
static const struct rw_mutation m_cbc_app_pad = {
        .name = "application-data-padding-byte", APP, .op = RW_E_CBC_PAD, .value = 1};
static const struct rw_mutation m_cbc_app_padlen = {
        .name = "application-data-padding-length-255", APP, .op = RW_E_CBC_PAD, .value = 2};
static const struct rw_mutation m_cbc_app_mac = {
        .name = "application-data-mac", APP, .op = RW_E_TAG};
static const struct axval cbc_fin_vals[] = {MUT(m_cbc_fin_pad), MUT(m_cbc_fin_padlen),
                                            MUT(m_cbc_fin_mac)};
static const struct axis ax_cbc_fin = AXIS("mut", DIM_MUT, cbc_fin_vals);
static const struct axval cbc_app_vals[] = {MUT(m_cbc_app_pad), MUT(m_cbc_app_padlen),
                                            MUT(m_cbc_app_mac)};
static const struct axis ax_cbc_app = AXIS("mut", DIM_MUT, cbc_app_vals);

/* EncryptedExtensions (RFC 8446 4.2, 4.3.1; RFC 7301 3.1). */
static const uint8_t d_alpn_bogus[] = {0x00, 0x06, 0x05, 'b', 'o', 'g', 'u', 's'};
static const uint8_t d_alpn_two[] = {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h',
                                     't',  't',  'p',  '/', '1', '.',  '1'};
static const uint8_t d_ks_x25519[] = {0x00, 0x1d, 0x00, 0x01, 0x00};
static const uint8_t d_sv_13[] = {0x03, 0x04};
static const uint8_t d_sigalgs[] = {0x00, 0x02, 0x04, 0x03};
static const uint8_t d_empty[1] = {0};
static const struct rw_mutation m_ee_alpn_bogus = {
        .name = "alpn-unoffered", EE, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(d_alpn_bogus)};
static const struct rw_mutation m_ee_alpn_two = {
        .name = "alpn-two-names", EE, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(d_alpn_two)};
static const struct rw_mutation m_ee_alpn_unasked = {
        .name = "alpn-not-requested", EE, .op = RW_EXT_BODY, .ext = TLS_EXT_ALPN, D(d_alpn_two)};
static const struct rw_mutation m_ee_unknown = {.name = "unrequested-extension",
                                                EE,
                                                .op = RW_EXT_ADD,
                                                .ext = 0x4242,
                                                .at = -1,
                                                .data = d_empty,
                                                .len = 0};
static const struct rw_mutation m_ee_ks = {.name = "key-share",
                                           EE,
                                           .op = RW_EXT_ADD,
                                           .ext = TLS_EXT_KEY_SHARE,
                                           .at = -1,
                                           D(d_ks_x25519)};
static const struct rw_mutation m_ee_sv = {.name = "supported-versions",
                                           EE,
                                           .op = RW_EXT_ADD,
                                           .ext = TLS_EXT_SUPPORTED_VERSIONS,
                                           .at = -1,
                                           D(d_sv_13)};
static const struct rw_mutation m_ee_sigalgs = {.name = "signature-algorithms",
                                                EE,
                                                .op = RW_EXT_ADD,
                                                .ext = TLS_EXT_SIGNATURE_ALGORITHMS,
                                                .at = -1,
                                                D(d_sigalgs)};
static const struct axval ee_forbidden_vals[] = {MUT(m_ee_ks), MUT(m_ee_sv), MUT(m_ee_sigalgs)};
static const struct axis ax_ee_forbidden = AXIS("mut", DIM_MUT, ee_forbidden_vals);
static const struct rw_mutation m_ee_dup = {
        .name = "duplicate-alpn", EE, .op = RW_EXT_DUP, .ext = TLS_EXT_ALPN};
static const struct rw_mutation m_ee_trunc = {
        .name = "truncated", EE, .op = RW_TRUNCATE, .at = 1, .fix = 1};

/* CertificateVerify (RFC 8446 4.4.3). */
static const struct rw_mutation m_cv_last = {
        .name = "signature-last-bit", CV, .op = RW_XOR, .at = -1, .value = 0x01};
static const struct rw_mutation m_cv_mid = {
        .name = "signature-byte-12", CV, .op = RW_XOR, .at = 12, .value = 0x10};
static const struct axval cv_sig_vals[] = {MUT(m_cv_last), MUT(m_cv_mid)};
static const struct axis ax_cv_sig = AXIS("mut", DIM_MUT, cv_sig_vals);
static const struct rw_mutation m_cv_scheme = {
        .name = "scheme-unoffered", CV, .op = RW_XOR, .at = 0, .value = 0x40};

/* NewSessionTicket extensions the client does not know: ignored (RFC 8446
 * 4.6.1, 4.2). */
static const struct rw_mutation m_nst_unknown = {.name = "unknown-extension",
                                                 NST,
                                                 .op = RW_EXT_ADD,
                                                 .ext = 0x4242,
                                                 .at = -1,
                                                 .data = d_empty,
                                                 .len = 0};
static const struct rw_mutation m_nst_grease = {
        .name = "grease-extension", NST, .op = RW_EXT_ADD, .ext = 0x0a0a, .at = 0, D(d_sv_13)};
static const struct axval nst_vals[] = {MUT(m_nst_unknown), MUT(m_nst_grease)};
static const struct axis ax_nst = AXIS("mut", DIM_MUT, nst_vals);

/* Handshake messages after the handshake that have no place there. */
static const uint8_t d_hs_unknown[] = {99, 0, 0, 0};
static const uint8_t d_hs_fin32[36] = {TLS_HS_FINISHED, 0, 0, 32};
static const uint8_t d_hs_ee[] = {TLS_HS_ENCRYPTED_EXTENSIONS, 0, 0, 2, 0, 0};
static const uint8_t d_hs_nst[] = {
        TLS_HS_NEW_SESSION_TICKET, 0, 0, 15, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 2, 'a', 'b', 0, 0};
#define INJ_BEFORE_APP(var, nm, dat)                                                               \
	static const struct rw_mutation var = {                                                    \
	        .name = nm, APP, .op = RW_INJECT_BEFORE, .ctype = TLS_CT_HANDSHAKE, D(dat)}
static const uint8_t d_hello_request[] = {TLS_HS_HELLO_REQUEST, 0, 0, 0};
INJ_BEFORE_APP(m_hello_request, "hello-request", d_hello_request);
INJ_BEFORE_APP(m_post_unknown, "unknown-handshake-type", d_hs_unknown);
INJ_BEFORE_APP(m_post_fin, "finished", d_hs_fin32);
INJ_BEFORE_APP(m_post_ee, "encrypted-extensions", d_hs_ee);
INJ_BEFORE_APP(m_post_nst, "new-session-ticket-from-client", d_hs_nst);
static const struct axval post13_vals[] = {MUT(m_post_fin), MUT(m_post_ee)};
static const struct axis ax_post13 = AXIS("mut", DIM_MUT, post13_vals);

/* Authentic application data after close_notify (RFC 8446 6.1; RFC 5246
 * 7.2.1). */
static const uint8_t d_late[] = "data after close_notify";
static const struct rw_mutation m_after_close = {.name = "application-data",
                                                 ALERT,
                                                 .op = RW_INJECT_AFTER,
                                                 .ctype = TLS_CT_APPDATA,
                                                 D(d_late)};

/* ---- rows ----------------------------------------------------------------------------- */

static const struct row rows[] = {
        /* Finished. */
        {.id = "misbehave-encrypted/finished/{mut}/{role}/{ver}",
         .spec = "RFC 8446 4.4.4; RFC 5246 7.4.9 (verify_data that does not match: "
                 "decrypt_error)",
         .title = "a Finished with a wrong verify_data is refused with decrypt_error",
         .axes = {&ax_fin_flip, &ax_role, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/finished-length/{mut}/{role}/{ver}",
         .spec = "RFC 8446 4.4.4, 6.2 (decode_error); RFC 5246 7.4.9",
         .title = "a Finished of the wrong length is refused",
         .axes = {&ax_fin_len, &ax_role, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR, A_DECRYPT_ERROR}},

        /* KeyUpdate. */
        {.id = "misbehave-encrypted/key-update/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.3, 7.2 (the receiver updates its receiving keys; asked, it "
                 "sends a KeyUpdate of its own before its next application data)",
         .title = "a KeyUpdate after the handshake: the keys change, data keeps flowing both "
                  "ways",
         .axes = {&ax_ku_ok, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave-encrypted/key-update/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.3 (request_update other than 0 or 1: illegal_parameter)",
         .title = "a KeyUpdate with an invalid request_update is refused",
         .axes = {&ax_ku_bad, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER}},
        {.id = "misbehave-encrypted/key-update/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.3, 6.2 (a malformed message: decode_error)",
         .title = "a KeyUpdate whose body is not one byte is refused",
         .axes = {&ax_ku_len, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR}},
        {.id = "misbehave-encrypted/key-update/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.3 (a KeyUpdate before the Finished: unexpected_message)",
         .title = "a KeyUpdate before the Finished is refused",
         .axes = {&ax_ku_early, &ax_role},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},

        /* Record size. */
        {.id = "misbehave-encrypted/record-overflow/{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.2, 5.4; RFC 5246 6.2.1, 6.2.3 (plaintext over 2^14 bytes: "
                 "record_overflow)",
         .title = "a protected record carrying more than 2^14 bytes is refused with "
                  "record_overflow",
         .axes = {&ax_role, &ax_ver},
         .mut = &m_app_16385,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave-encrypted/record-overflow/{mut}/{role}/tls12",
         .spec = "RFC 5246 6.2.3 (TLSCiphertext over 2^14 + 2048 bytes: record_overflow)",
         .title = "a TLS 1.2 ciphertext over 2^14 + 2048 bytes is refused",
         .axes = {&ax_role},
         .mut = &m_app_18433,
         .ver = V12,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave-encrypted/record-overflow/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.2 (TLSCiphertext over 2^14 + 256 bytes: record_overflow)",
         .title = "a TLS 1.3 ciphertext over 2^14 + 256 bytes is refused",
         .axes = {&ax_role},
         .mut = &m_app_ct_over,
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave-encrypted/record-overflow/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.4 (TLSInnerPlaintext, padding included, over 2^14 + 1 bytes), "
                 "5.2 (record_overflow)",
         .title = "padding that makes the inner plaintext exceed 2^14 + 1 bytes is refused",
         .axes = {&ax_role},
         .mut = &m_app_pad_over,
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave-encrypted/record-overflow/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.4 (TLSInnerPlaintext over 2^14 + 1 bytes), 5.2",
         .title = "a Finished record padded beyond the limit is refused",
         .axes = {&ax_role},
         .mut = &m_fin_pad_over,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_RECORD_OVERFLOW}},
        {.id = "misbehave-encrypted/record-padding/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.4 (padding up to the record limit is legal and removed by the "
                 "receiver)",
         .title = "padded records within the limit are taken",
         .axes = {&ax_pad_ok, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave-encrypted/padding-only/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.4 (no non-zero octet in the plaintext: unexpected_message)",
         .title = "a record of padding only, without a content type, is refused",
         .axes = {&ax_padonly_fin, &ax_role},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave-encrypted/padding-only/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.4 (no non-zero octet in the plaintext: unexpected_message)",
         .title = "a record of padding only, without a content type, is refused",
         .axes = {&ax_padonly_app, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},

        /* Authentication of records. */
        {.id = "misbehave-encrypted/bad-record-mac/{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.2; RFC 5246 6.2.3.3 (a record that does not authenticate: "
                 "bad_record_mac)",
         .title = "a protected handshake record with a wrong tag or ciphertext is refused",
         .axes = {&ax_fin_mac, &ax_role, &ax_ver},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_BAD_RECORD_MAC}},
        {.id = "misbehave-encrypted/bad-record-mac/{mut}/{role}/{ver}",
         .spec = "RFC 8446 5.2; RFC 5246 6.2.3.3 (bad_record_mac)",
         .title = "an application data record with a wrong tag or ciphertext is refused",
         .axes = {&ax_app_mac, &ax_role, &ax_ver},
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_BAD_RECORD_MAC}},
        {.id = "misbehave-encrypted/bad-record-mac/{mut}/{role}/tls13",
         .spec = "RFC 8446 5.2 (bad_record_mac)",
         .title = "the EncryptedExtensions record with a wrong tag is refused",
         .axes = {&ax_client},
         .mut = &m_ee_tag,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_BAD_RECORD_MAC}},
#define CBC_ROWS(tag, suite)                                                                       \
	{.id = "misbehave-encrypted/cbc/" tag "/{mut}/{role}/tls12",                               \
	 .spec = "RFC 5246 6.2.3.2 (padding and MAC errors: bad_record_mac); RFC 7366 3",          \
	 .title = "a CBC record with wrong padding or MAC is refused with bad_record_mac",         \
	 .axes = {&ax_cbc_fin, &ax_role},                                                          \
	 .ver = V12,                                                                               \
	 .client = {.ciphers = {suite}},                                                           \
	 .server = {.ciphers = {suite}},                                                           \
	 PUPPET,                                                                                   \
	 .outcome = OUT_REJECTS,                                                                   \
	 .alerts = {A_BAD_RECORD_MAC}},                                                            \
	{                                                                                          \
		.id = "misbehave-encrypted/cbc/" tag "/{mut}/{role}/tls12",                        \
		.spec = "RFC 5246 6.2.3.2 (padding and MAC errors: bad_record_mac); RFC 7366 3",   \
		.title = "a CBC record with wrong padding or MAC is refused with bad_record_mac",  \
		.axes = {&ax_cbc_app, &ax_role}, .ver = V12, .client = {.ciphers = {suite}},       \
		.server = {.ciphers = {suite}}, PUPPET, .post = POST_DATA, .outcome = OUT_REJECTS, \
		.alerts = {                                                                        \
			A_BAD_RECORD_MAC                                                           \
		}                                                                                  \
	}
        /* TLS 1.2 CBC (the rows' key type is RSA). */
        CBC_ROWS("aes128-cbc-sha", 0xc013),
        CBC_ROWS("aes256-cbc-sha", 0xc014),

        /* EncryptedExtensions. */
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 7301 3.1 (the server selects one of the client's names); RFC 8446 4.3.1",
         .title = "EncryptedExtensions selecting a protocol the client did not offer",
         .axes = {&ax_client},
         .mut = &m_ee_alpn_bogus,
         .ver = V13,
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER, A_NO_APPLICATION_PROTOCOL},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 7301 3.1 (the server's ProtocolNameList holds exactly one name); RFC "
                 "8446 6.2",
         .title = "EncryptedExtensions selecting two protocols",
         .axes = {&ax_client},
         .mut = &m_ee_alpn_two,
         .ver = V13,
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER, A_DECODE_ERROR},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (an extension response the client did not request: "
                 "unsupported_extension)",
         .title = "EncryptedExtensions with ALPN when the client offered none",
         .axes = {&ax_client},
         .mut = &m_ee_alpn_unasked,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNSUPPORTED_EXTENSION},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (an extension response the client did not request: "
                 "unsupported_extension)",
         .title = "EncryptedExtensions with an extension the client never offered",
         .axes = {&ax_client},
         .mut = &m_ee_unknown,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNSUPPORTED_EXTENSION},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (a known extension not allowed in the message: "
                 "illegal_parameter), 4.3.1",
         .title = "EncryptedExtensions carrying an extension that belongs elsewhere",
         .axes = {&ax_ee_forbidden, &ax_client},
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER, A_UNSUPPORTED_EXTENSION},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.2 (no two extensions of the same type in a block), 6.2",
         .title = "EncryptedExtensions with a duplicated extension",
         .axes = {&ax_client},
         .mut = &m_ee_dup,
         .ver = V13,
         .client = {.alpn = {NAME("h2")}},
         .server = {.alpn = {NAME("h2")}},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER, A_DECODE_ERROR},
         .late = {A_DECRYPT_ERROR}},
        {.id = "misbehave-encrypted/encrypted-extensions/{mut}/{role}/tls13",
         .spec = "RFC 8446 6.2 (a message that does not parse: decode_error)",
         .title = "a truncated EncryptedExtensions is refused with decode_error",
         .axes = {&ax_client},
         .mut = &m_ee_trunc,
         .ver = V13,
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECODE_ERROR},
         .late = {A_DECRYPT_ERROR}},

        /* CertificateVerify. */
        {.id = "misbehave-encrypted/certificate-verify/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.4.3 (a signature that does not verify: decrypt_error)",
         .title = "a CertificateVerify whose signature does not verify is refused",
         .axes = {&ax_cv_sig, &ax_role},
         .ver = V13,
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_DECRYPT_ERROR, A_DECODE_ERROR}},
        {.id = "misbehave-encrypted/certificate-verify/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.4.3 (the scheme MUST be one the peer offered), 4.2.3",
         .title = "a CertificateVerify with a signature scheme that was not offered is "
                  "refused",
         .axes = {&ax_role},
         .mut = &m_cv_scheme,
         .ver = V13,
         .client = {.chain = {"client"}},
         .server = {.trust = "ca"},
         PUPPET,
         .outcome = OUT_REJECTS,
         .alerts = {A_ILLEGAL_PARAMETER, A_DECRYPT_ERROR, A_HANDSHAKE_FAILURE}},

        /* Post-handshake messages. */
        {.id = "misbehave-encrypted/new-session-ticket/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.1 (NewSessionTicket extensions), 4.2 (unknown extensions are "
                 "ignored)",
         .title = "a NewSessionTicket with an extension the client does not know is taken",
         .axes = {&ax_nst, &ax_client},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_ESTABLISHED},
        {.id = "misbehave-encrypted/post-handshake/{mut}/{role}/{ver}",
         .spec = "RFC 8446 4 (an unexpected handshake message: unexpected_message), 6.2; RFC "
                 "5246 7.4",
         .title = "a handshake message of an unknown type after the handshake is refused",
         .axes = {&ax_role, &ax_ver},
         .mut = &m_post_unknown,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave-encrypted/post-handshake/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6 (only NewSessionTicket, CertificateRequest and KeyUpdate come "
                 "after the handshake), 6.2 (unexpected_message)",
         .title = "a handshake message that has no place after the handshake is refused",
         .axes = {&ax_post13, &ax_role},
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},
        {.id = "misbehave-encrypted/post-handshake/{mut}/{role}/tls13",
         .spec = "RFC 8446 4.6.1 (only servers send NewSessionTicket), 6.2",
         .title = "a NewSessionTicket from the client is refused",
         .axes = {&ax_server},
         .mut = &m_post_nst,
         .ver = V13,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_REJECTS,
         .alerts = {A_UNEXPECTED}},

        {.id = "misbehave-encrypted/renegotiation/{mut}/{role}/tls12",
         .spec = "descriptor: adapters do not renegotiate (PEP 748 buffers have no "
                 "renegotiation; the adapters disable it); RFC 5246 7.4.1.1 (a client may "
                 "ignore a HelloRequest or answer no_renegotiation); RFC 5746",
         .title = "a HelloRequest after the handshake: the client does not renegotiate, data "
                  "keeps flowing",
         .axes = {&ax_client},
         .mut = &m_hello_request,
         .ver = V12,
         PUPPET,
         .post = POST_DATA,
         .outcome = OUT_ESTABLISHED},

        /* close_notify. */
        {.id = "misbehave-encrypted/close-notify/{mut}/{role}/{ver}",
         .spec = "RFC 8446 6.1 (data received after a closure alert MUST be ignored); RFC "
                 "5246 7.2.1",
         .title = "authentic application data after close_notify is never returned by read",
         .axes = {&ax_role, &ax_ver},
         .mut = &m_after_close,
         PUPPET,
         .post = POST_CLOSE,
         .outcome = OUT_REJECTS},
};

FAMILY(family_misbehave_encrypted, "misbehave-encrypted", rows);
