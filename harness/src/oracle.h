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
	/* First problem found while parsing each direction, "" if none. */
	char malformed[2][160];
};

/* Parses both directions of a transcript. */
void oracle_parse(struct wire *w, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                  size_t s2c_len);

/* 1 if the ServerHello random ends with the TLS 1.3 downgrade sentinel for
 * TLS 1.2 ("DOWNGRD\x01", RFC 8446 section 4.1.3). */
int oracle_downgrade_sentinel(const struct wire *w);

/* First plaintext alert seen in direction dir, or -1. */
int oracle_first_alert(const struct wire *w, int dir);

#endif
