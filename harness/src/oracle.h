/* oracle.h - the wire oracle: parses the plaintext TLS records that crossed
 * the pump and extracts what can be checked independently of what the
 * adapters report (RFC 8446 sections 4.1.2, 4.1.3, 4.2.1, 5.1, 6; RFC 6066
 * section 3; RFC 7301 section 3.1). It never trusts its input: malformed
 * bytes give a `malformed` note, never a crash. */
#ifndef TLSH_ORACLE_H
#define TLSH_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAX_CIPHERS 256
#define WIRE_MAX_VERSIONS 32
#define WIRE_MAX_ALERTS 16
#define WIRE_MAX_VIOLATIONS 32

struct wire_client_hello {
	int present;
	uint16_t legacy_version;
	uint8_t random[32];
	size_t n_ciphers;
	uint16_t ciphers[WIRE_MAX_CIPHERS];
	int has_sni;
	char sni[256]; /* host_name, NUL-terminated (truncated if longer) */
	int has_alpn;
	uint8_t alpn[1024]; /* the ProtocolNameList body: len-prefixed names */
	size_t alpn_len;
	int has_versions;
	size_t n_versions;
	uint16_t versions[WIRE_MAX_VERSIONS];
};

struct wire_server_hello {
	int present;
	int hello_retry; /* HelloRetryRequest (RFC 8446 4.1.3 magic random) */
	uint16_t legacy_version;
	uint8_t random[32];
	uint16_t cipher;
	int has_version;
	uint16_t selected_version;
	int has_alpn;
	uint8_t alpn[256];
	size_t alpn_len;
};

struct wire_alert {
	int dir; /* 0: client->server, 1: server->client */
	uint8_t level;
	uint8_t description;
};

/* A passive wire rule: what a well-behaved peer never sends in the
 * plaintext phase (RFC 8446, RFC 5246, RFC 5746, RFC 6066, RFC 7301, RFC
 * 7627). oracle_rules lists them all, in a stable order. */
struct wire_rule {
	const char *id;   /* stable, e.g. "sh-ext-unoffered" */
	const char *ref;  /* e.g. "RFC 8446 4.2" */
	const char *text; /* what a conforming sender does */
};
extern const struct wire_rule oracle_rules[];
extern const size_t oracle_n_rules;

/* One violation of a rule, committed by the sender of direction `dir`. */
struct wire_violation {
	const struct wire_rule *rule;
	int dir;          /* 0: the client broke it (client->server bytes), 1: the server */
	size_t offset;    /* byte offset in that direction's stream */
	char excerpt[80]; /* hex of the offending bytes (cut at 32) */
	char text[200];   /* one line: what was seen */
};

struct wire {
	struct wire_client_hello ch; /* the first ClientHello */
	struct wire_server_hello sh; /* the last ServerHello that is not an HRR */
	int saw_hrr;
	/* Negotiated version as seen on the wire (0: no ServerHello). */
	uint16_t version;
	/* TLS 1.2 only (plaintext there): certificates in each Certificate
	 * message, -1 when not seen; whether a CertificateRequest was sent. */
	int server_cert_count;
	int client_cert_count;
	int cert_request;
	/* TLS 1.2: the server's leaf certificate (the first of its Certificate
	 * message), DER; 0 bytes when not seen or longer than the copy. */
	uint8_t server_leaf[8192];
	size_t server_leaf_len;
	int ccs[2];
	size_t n_records[2];
	size_t n_alerts;
	struct wire_alert alerts[WIRE_MAX_ALERTS];
	/* First problem found while parsing each direction, "" if none. A
	 * parse problem is not a rule violation. */
	char malformed[2][160];
	/* Rule violations in both directions, in the order found; more than
	 * WIRE_MAX_VIOLATIONS are counted in n_dropped. */
	size_t n_violations;
	struct wire_violation violations[WIRE_MAX_VIOLATIONS];
	size_t n_dropped;
};

/* Parses both directions of a transcript. */
void oracle_parse(struct wire *w, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                  size_t s2c_len);

/* 1 if the ServerHello random ends with the TLS 1.3 downgrade sentinel for
 * TLS 1.2 ("DOWNGRD\x01", RFC 8446 section 4.1.3). */
int oracle_downgrade_sentinel(const struct wire *w);

/* First plaintext alert seen in direction dir, or -1. */
int oracle_first_alert(const struct wire *w, int dir);

/* Number of rule violations committed by the sender of direction dir (in
 * misbehave scenarios the rewritten direction breaks rules on purpose:
 * judge only the other one). */
size_t oracle_violation_count(const struct wire *w, int dir);
/* The k-th violation of direction dir, or NULL. */
const struct wire_violation *oracle_violation(const struct wire *w, int dir, size_t k);
/* The rule with this id, or NULL. */
const struct wire_rule *oracle_rule(const char *id);

struct tls_conv;
/* Checks every rule on a parsed conversation, appending to w (oracle_parse
 * calls it; exposed for callers that parse with timing). */
void oracle_check_rules(struct wire *w, const struct tls_conv *c);

#endif
