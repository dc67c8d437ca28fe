/* wirescan - runs the wire oracle's passive rules over saved transcripts
 * (TLSHTR01 files, as `tlsharness run -o DIR` writes under
 * DIR/transcripts/CLIENT--SERVER/) and prints every violation, one a line:
 *
 *     PATH<TAB>client|server<TAB>RULE<TAB>OFFSET<TAB>TEXT<TAB>HEX
 *
 * Usage: wirescan FILE.tlstr...   Exit status: 0 (violations or not), 2 when
 * a file cannot be read or is not a transcript. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "util.h"

static int split(const struct bytes *t, struct bytes wire[2])
{
	if (t->len < 8 || memcmp(t->data, "TLSHTR01", 8) != 0)
		return -1;
	size_t off = 8;
	while (off < t->len) {
		if (t->len - off < 5)
			return -1;
		int dir = t->data[off];
		size_t len = (size_t)t->data[off + 1] << 24 | (size_t)t->data[off + 2] << 16 |
		             (size_t)t->data[off + 3] << 8 | (size_t)t->data[off + 4];
		off += 5;
		if (dir > 1 || len > t->len - off)
			return -1;
		bytes_append(&wire[dir], t->data + off, len);
		off += len;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	struct wire *w = xcalloc(1, sizeof *w);
	for (int i = 1; i < argc; i++) {
		struct bytes t = {0}, wire[2] = {{0}, {0}};
		if (read_file(argv[i], &t) != 0 || split(&t, wire) != 0) {
			fprintf(stderr, "wirescan: %s: not a readable transcript\n", argv[i]);
			rc = 2;
			goto next;
		}
		oracle_parse(w, wire[0].data, wire[0].len, wire[1].data, wire[1].len);
		for (size_t k = 0; k < w->n_violations; k++) {
			const struct wire_violation *v = &w->violations[k];
			printf("%s\t%s\t%s\t%zu\t%s\t%s\n", argv[i], v->dir ? "server" : "client",
			       v->rule->id, v->offset, v->text, v->excerpt);
		}
		if (w->n_dropped)
			printf("%s\t-\t(dropped)\t0\t%zu more violations\t\n", argv[i],
			       w->n_dropped);
	next:
		bytes_free(&t);
		bytes_free(&wire[0]);
		bytes_free(&wire[1]);
	}
	free(w);
	return rc;
}
