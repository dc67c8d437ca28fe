/* fake.h - an in-test descriptor whose buffers are plain byte pipes: what
 * process_incoming receives, read returns; what write gets, process_outgoing
 * returns. It records the size of every process_incoming call so the pump's
 * delivery policies can be checked. */
#ifndef TLSH_FAKE_H
#define TLSH_FAKE_H

#include "tlsh.h"
#include "util.h"

struct fake_buf {
	struct bytes in, out;
	size_t in_off, out_off;
	size_t calls, chunk_sizes[4096];
	int eof;
	size_t cap_in; /* 0: unlimited; else WANT_READ when full */
};

extern const struct tlsh_implementation fake_impl;

#endif
