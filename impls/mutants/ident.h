/* ident.h - the shared frame of the identity mutants (a client that matches
 * server names itself, one rule broken).
 *
 * The base backend still verifies the chain (trust, validity, key usage) but
 * gets TLSH_INSECURE_NO_HOSTNAME_CHECK, so the name is the frame's to check:
 * once the base completes a client handshake, the frame reads the server's
 * leaf (getpeercert) with harness/src/der.c and asks the mutant's matcher;
 * no match fails the buffer (TLS_ERROR from then on). Without a name check
 * in the original configuration (NO_VERIFY, NO_HOSTNAME_CHECK) or without a
 * name, nothing is matched. The frame gives the base the name as the
 * descriptor wants it sent (one trailing dot dropped; ident_base_host may
 * change that), and refuses a NULL name without an insecure flag (tlsh.h
 * buffer_new), so the frame alone is a conforming client. */
#ifndef TLSH_MUTANT_IDENT_H
#define TLSH_MUTANT_IDENT_H

#include <stddef.h>

#include "../../harness/src/der.h"
#include "wrap.h"

/* Does certificate `c` name `host` (one trailing dot already dropped)? */
typedef int (*ident_match_fn)(const char *host, const struct der_cert_ids *c);

/* Installs the frame on the descriptor with the mutant's matcher. */
void ident_install(struct tlsh_implementation *d, ident_match_fn match);

/* The RFC 9525 matcher (sections 6.3, 6.4; RFC 4343 case; no CN), which the
 * mutants alter one rule of. `label_eq` compares two labels (case-folding
 * in the correct matcher). */
int ident_rfc_match(const char *host, const struct der_cert_ids *c);
int ident_dns_match(const char *pattern, size_t plen, const char *host,
                    int (*label_eq)(const char *a, const char *b, size_t n));
int ident_ip_match(const char *host, const struct der_cert_ids *c);
int ident_label_eq_nocase(const char *a, const char *b, size_t n);
/* 4 or 16 when `host` is an IPv4 / IPv6 literal (bytes in out), else 0. */
size_t ident_ip_parse(const char *host, unsigned char out[16]);

/* Optional hooks a mutant may set before ident_install. */
/* What the base gets as server_hostname for `host` (the frame: `host`
 * without one trailing dot); returns a pointer to `buf` or `host`. */
extern const char *(*ident_base_host)(const char *host, char *buf, size_t cap);
/* Whether a NULL server_hostname is refused: 1 without an insecure flag
 * (the frame), 0 never, 2 always. */
extern int ident_refuse_null;

#endif
