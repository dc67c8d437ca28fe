/* misbehave.h - what the misbehaving peer's families (misbehave.c,
 * misbehave_encrypted.c) share: alert codes, the side-under-test axes,
 * and the shorthands of their mutation tables. */
#ifndef TLSH_SCENARIOS_MISBEHAVE_H
#define TLSH_SCENARIOS_MISBEHAVE_H

#include "catalog.h"

/* Alerts (RFC 8446 section 6). */
#define A_UNEXPECTED 10
#define A_BAD_RECORD_MAC 20
#define A_RECORD_OVERFLOW 22
#define A_HANDSHAKE_FAILURE 40
#define A_ILLEGAL_PARAMETER 47
#define A_DECODE_ERROR 50
#define A_DECRYPT_ERROR 51
#define A_PROTOCOL_VERSION 70
#define A_INAPPROPRIATE_FALLBACK 86
#define A_MISSING_EXTENSION 109
#define A_UNSUPPORTED_EXTENSION 110
#define A_NO_APPLICATION_PROTOCOL 120

#define V12 TLSH_TLS_1_2
#define V13 TLSH_TLS_1_3

/* The side under test, one role (misbehave.c defines them). */
extern const struct axis ax_server; /* {role}: server */
extern const struct axis ax_client; /* {role}: client */

/* An axis value naming a mutation (its tag is the mutation's name). */
#define MUT(var)                                                                                   \
	{                                                                                          \
		.ptr = &(var)                                                                      \
	}
/* A mutation's data: a byte array and its size. */
#define D(x) .data = (x), .len = sizeof(x)

#define PUPPET .puppet = 1

#endif
