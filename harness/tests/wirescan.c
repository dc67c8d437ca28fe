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
#include "tr.h"
#include "util.h"

int main(int argc, char **argv)
{
	int rc = 0;
	struct wire *w = xcalloc(1, sizeof *w);
	for (int i = 1; i < argc; i++) {
		struct bytes f = {0};
		struct tr t;
		memset(&t, 0, sizeof t);
		if (read_file(argv[i], &f) != 0 || tr_parse(&t, f.data, f.len) != 0) {
			fprintf(stderr, "wirescan: %s: not a readable transcript\n", argv[i]);
			rc = 2;
			goto next;
		}
		oracle_parse(w, t.wire[0].data, t.wire[0].len, t.wire[1].data, t.wire[1].len);
		for (size_t k = 0; k < w->n_violations; k++) {
			const struct wire_violation *v = &w->violations[k];
			printf("%s\t%s\t%s\t%zu\t%s\t%s\n", argv[i], v->dir ? "server" : "client",
			       v->rule->id, v->offset, v->text, v->excerpt);
		}
		if (w->n_dropped)
			printf("%s\t-\t(dropped)\t0\t%zu more violations\t\n", argv[i],
			       w->n_dropped);
	next:
		bytes_free(&f);
		tr_free(&t);
	}
	free(w);
	return rc;
}
