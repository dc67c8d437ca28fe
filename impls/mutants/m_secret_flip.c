/* Hands over every exported secret with one bit of it flipped (breaks: the
 * secrets are the library's, harness/tests/secrets_check.c). Not in
 * mutants.json: no scenario exercises secrets; secrets_check proves it is
 * caught. */
#include <stdint.h>
#include <string.h>

#include "wrap.h"

const char mutant_name[] = "secret-flip";

/* The caller's receiver per buffer (a test tool: a few buffers at a time). */
static struct {
	tlsh_buffer *b;
	tlsh_secret_fn cb;
	void *arg;
} slots[64];
static void (*base_free)(tlsh_buffer *b);

static void flip(void *arg, const char *label, const uint8_t *client_random, const uint8_t *secret,
                 size_t len)
{
	uint8_t copy[64];
	size_t i = (size_t)((char *)arg - (char *)slots) / sizeof slots[0];
	if (len == 0 || len > sizeof copy || slots[i].cb == NULL)
		return;
	memcpy(copy, secret, len);
	copy[len / 2] ^= 0x01;
	slots[i].cb(slots[i].arg, label, client_random, copy, len);
}

static int m_set_secret_callback(tlsh_buffer *b, tlsh_secret_fn cb, void *arg)
{
	size_t i = 0;
	while (i < 64 && slots[i].b != NULL && slots[i].b != b)
		i++;
	if (i == 64)
		return base->set_secret_callback(b, cb, arg); /* out of slots: unchanged */
	slots[i].b = b;
	slots[i].cb = cb;
	slots[i].arg = arg;
	return base->set_secret_callback(b, cb ? flip : NULL, &slots[i]);
}

static void m_buffer_free(tlsh_buffer *b)
{
	for (size_t i = 0; i < 64; i++)
		if (slots[i].b == b)
			memset(&slots[i], 0, sizeof slots[i]);
	base_free(b);
}

void mutant_patch(struct tlsh_implementation *d)
{
	base_free = d->buffer_free;
	d->buffer_free = m_buffer_free;
	d->set_secret_callback = m_set_secret_callback;
}
