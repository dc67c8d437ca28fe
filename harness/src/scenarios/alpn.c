/* alpn family: inner_protocols (ALPN, RFC 7301).
 *
 * Handshake rows run under TLS 1.2 and TLS 1.3 (both sides pinned). The
 * server selects, by its own preference order (RFC 7301 section 3.2; the
 * descriptor's adapters are built that way); a server configured with
 * protocols that shares none with the client fails with
 * no_application_protocol(120). Names are arbitrary bytes, 1..255 long; an
 * empty or longer name is a CONFIGURATION_ERROR (solo rows).
 *
 * Besides scen_check_established (both sides agree; the ClientHello's list
 * equals the client's configured list, or is absent), the interpreter checks
 * the protocol both sides report and, in TLS 1.2, the ServerHello's ALPN
 * extension on the wire (in TLS 1.3 it travels in the encrypted
 * EncryptedExtensions). */
#include "scenario.h"

/* A 255-byte name: 'a' + (i * 7) % 26 for i = 0..254. */
#define P26 "ahovcjqxelszgnubipwdkryfmt"
#define N255 P26 P26 P26 P26 P26 P26 P26 P26 P26 "ahovcjqxelszgnubipwdk"
/* A 256-byte name (one byte too long). */
#define P16 "pppppppppppppppp"
#define N256 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16 P16

#define FF5 "\xff\x00\x80\x7f\xff"

#define SPEC_31 "RFC 7301 section 3.1"
#define SPEC_OPAQUE "RFC 7301 section 3.1 (names are opaque bytes)"
#define SPEC_INVALID                                                                               \
	"RFC 7301 section 3.1; descriptor: validate_config (names must be 1..255 bytes)"

static const struct row rows[] = {
        {.id = "alpn/overlap/{ver}",
         .spec = "RFC 7301 section 3.2",
         .title = "overlapping lists: both sides report the common protocol",
         .expect = "client {h2, http/1.1}, server {http/1.1}: both report http/1.1",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .server = {.alpn = {NAME("http/1.1")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME("http/1.1")}},
        {.id = "alpn/server-preference/{ver}",
         .spec = "RFC 7301 section 3.2 (the server selects)",
         .title = "the server's preference order decides",
         .expect = "client {http/1.1, h2}, server {h2, http/1.1}: the server selects by its "
                   "own preference: both report h2",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("http/1.1"), NAME("h2")}},
         .server = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME("h2")}},
        {.id = "alpn/no-overlap/{ver}",
         .spec = "RFC 7301 section 3.2 (no_application_protocol)",
         .title = "disjoint lists: the server fails with no_application_protocol(120)",
         .expect = "client {h2}, server {spdy/3}: the server fails the handshake; the client "
                   "fails too",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2")}},
         .server = {.alpn = {NAME("spdy/3")}},
         .outcome = OUT_SERVER_REJECTS,
         .alerts = {120}},
        {.id = "alpn/server-not-configured/{ver}",
         .spec = SPEC_31,
         .title = "server without ALPN: success, no protocol, no ALPN in the ServerHello",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1}},
        {.id = "alpn/client-not-configured/{ver}",
         .spec = SPEC_31,
         .title = "client without ALPN: success, no protocol, no ALPN in the ClientHello",
         .axes = {&ax_ver},
         .server = {.alpn = {NAME("h2"), NAME("http/1.1")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1}},
        {.id = "alpn/raw/255-byte-name/{ver}",
         .spec = "RFC 7301 section 3.1 (names are 1..255 bytes)",
         .title = "a 255-byte protocol name is negotiated exactly",
         .expect = "client {h2, <255-byte name>}, server {<255-byte name>, h2}: both report "
                   "the 255-byte name exactly",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2"), NAME(N255)}},
         .server = {.alpn = {NAME(N255), NAME("h2")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME(N255)}},
        {.id = "alpn/raw/nul-byte/{ver}",
         .spec = SPEC_OPAQUE,
         .title = "a name containing a NUL byte is negotiated exactly",
         .expect = "client {h2, \"h2\\x00x\"}, server {\"h2\\x00x\"}: both report the 4-byte "
                   "\"h2\\x00x\" (not truncated at the NUL)",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2"), NAME("h2\0x")}},
         .server = {.alpn = {NAME("h2\0x")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME("h2\0x")}},
        {.id = "alpn/raw/ff-bytes/{ver}",
         .spec = SPEC_OPAQUE,
         .title = "a name of 0xFF/0x00/0x80 bytes is negotiated exactly",
         .expect = "client {\\xff, \\xff\\x00\\x80\\x7f\\xff}, server {\\xff\\x00\\x80\\x7f\\xff}: "
                   "both report the 5-byte name exactly",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("\xff"), NAME(FF5)}},
         .server = {.alpn = {NAME(FF5)}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME(FF5)}},
        {.id = "alpn/long-list/{ver}",
         .spec = SPEC_31,
         .title = "8 offered protocols: the wire list equals the configured list",
         .expect = "client offers 8 protocols, server {imap, h2}: the ClientHello carries all "
                   "8 in order; both report imap (server preference)",
         .axes = {&ax_ver},
         .client = {.alpn = {NAME("h2"), NAME("http/1.1"), NAME("spdy/3"), NAME("stun.turn"),
                             NAME("webrtc"), NAME("c-webrtc"), NAME("ftp"), NAME("imap")}},
         .server = {.alpn = {NAME("imap"), NAME("h2")}},
         .outcome = OUT_ESTABLISHED,
         .after = {.alpn_check = 1, .alpn = NAME("imap")}},

        /* invalid names, on one side alone */
        {.id = "alpn/invalid/empty-name/{role}",
         .spec = SPEC_INVALID,
         .title = "an invalid protocol name gives CONFIGURATION_ERROR",
         .expect = "a config with ALPN {h2, <empty name>}: validate_config returns "
                   "CONFIGURATION_ERROR and context_new refuses it",
         .axes = {&ax_role},
         .solo = 1,
         .client = {.alpn = {NAME("h2"), NAME("")}},
         .server = {.alpn = {NAME("h2"), NAME("")}},
         .outcome = OUT_CONFIG_ERROR},
        {.id = "alpn/invalid/256-byte-name/{role}",
         .spec = SPEC_INVALID,
         .title = "an invalid protocol name gives CONFIGURATION_ERROR",
         .expect = "a config with ALPN {h2, <256-byte name>}: validate_config returns "
                   "CONFIGURATION_ERROR and context_new refuses it",
         .axes = {&ax_role},
         .solo = 1,
         .client = {.alpn = {NAME("h2"), NAME(N256)}},
         .server = {.alpn = {NAME("h2"), NAME(N256)}},
         .outcome = OUT_CONFIG_ERROR},
};

FAMILY(family_alpn, "alpn", rows);
