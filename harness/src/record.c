/* record.c - `tlsharness record`: turns the transcripts of finished runs into
 * fuzz seeds, the bytes each side received, split at the peer's flights.
 *
 *     tlsharness record [-o DIR] REPORT_DIR...
 *
 * For every result of REPORT_DIR/report.json that has a transcript, and for
 * each side, it writes the bytes that side received starting at each of the
 * peer's flights k (a flight is a maximal run of bytes in one direction), to
 *
 *     DIR/BACKEND-ROLE-sK[-tls12|-tls13]/CLIENT--SERVER--ID.bin
 *
 * where BACKEND and ROLE are the receiving side's, and the version is the one
 * the ServerHello on the wire chose (none when there was no ServerHello).
 * The folder names match the fuzz target names (fuzz/targets.txt): a target
 * BACKEND-ROLE-sK[-VER] is seeded from the folders that start with its name.
 * Files are raw bytes (no fuzz input header); identical files are written
 * once. Exit status: 0, or 2 for bad usage or an unreadable report. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oracle.h"
#include "util.h"

int cmd_record(int argc, char **argv);

/* At most this many flights per direction are written (deeper stages have
 * no fuzz target). */
#define REC_MAX_STAGE 4

struct rec_seg {
	int dir; /* 0: client->server, 1: server->client */
	const uint8_t *p;
	size_t len;
};

/* Parses a TLSHTR01 transcript into segments, merging neighbours in the same
 * direction. Returns the count, or -1 if malformed. */
static long rec_parse(const struct bytes *t, struct rec_seg *seg, size_t cap)
{
	size_t off = 8, n = 0;
	if (t->len < 8 || memcmp(t->data, "TLSHTR01", 8) != 0)
		return -1;
	while (off < t->len) {
		if (t->len - off < 5)
			return -1;
		int dir = t->data[off];
		size_t len = (size_t)t->data[off + 1] << 24 | (size_t)t->data[off + 2] << 16 |
		             (size_t)t->data[off + 3] << 8 | (size_t)t->data[off + 4];
		off += 5;
		if (dir > 1 || len > t->len - off)
			return -1;
		if (n > 0 && seg[n - 1].dir == dir &&
		    seg[n - 1].p + seg[n - 1].len == t->data + off) {
			seg[n - 1].len += len;
		} else if (len > 0) {
			if (n == cap)
				break;
			seg[n++] = (struct rec_seg){dir, t->data + off, len};
		}
		off += len;
	}
	return (long)n;
}

static char *rec_safe(const char *s)
{
	char *r = xstrdup(s);
	for (char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			*p = '_';
	return r;
}

/* Writes one seed unless a file with the same bytes is already there under
 * the same name. Returns 1 if written, 0 if skipped, -1 on error. */
static int rec_write(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	if (mkdir_p(dir) != 0) {
		fprintf(stderr, "tlsharness record: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char *path = xasprintf("%s/%s.bin", dir, name);
	struct bytes old = {0};
	int same = read_file(path, &old) == 0 && old.len == len && memcmp(old.data, p, len) == 0;
	bytes_free(&old);
	int rc = 0;
	if (!same) {
		rc = write_file_atomic(path, p, len) == 0 ? 1 : -1;
		if (rc < 0)
			fprintf(stderr, "tlsharness record: %s: %s\n", path, strerror(errno));
	}
	free(path);
	return rc;
}

/* Seeds from one transcript. Returns the number written, or -1. */
static int rec_transcript(const char *out, const struct bytes *t, const char *client,
                          const char *server, const char *id)
{
	struct rec_seg seg[512];
	long n = rec_parse(t, seg, sizeof seg / sizeof seg[0]);
	if (n < 0)
		return 0; /* not a transcript we can read: skip it */
	/* The whole streams, for the wire oracle's view of the version. */
	struct bytes wire[2] = {{0}, {0}};
	for (long i = 0; i < n; i++)
		bytes_append(&wire[seg[i].dir], seg[i].p, seg[i].len);
	struct wire *w = xcalloc(1, sizeof *w);
	oracle_parse(w, wire[0].data, wire[0].len, wire[1].data, wire[1].len);
	const char *ver = w->version == 0x0303 ? "-tls12" : w->version == 0x0304 ? "-tls13" : "";
	free(w);

	char *sid = rec_safe(id), *sc = rec_safe(client), *ss = rec_safe(server);
	char *name = xasprintf("%s--%s--%s", sc, ss, sid);
	int written = 0;
	/* Direction d is received by the server (d = 0) or the client (d = 1). */
	for (int d = 0; d < 2 && written >= 0; d++) {
		const char *rx = d == 0 ? ss : sc;
		const char *role = d == 0 ? "server" : "client";
		int k = 0;
		for (long i = 0; i < n && k <= REC_MAX_STAGE; i++) {
			if (seg[i].dir != d)
				continue;
			/* Everything the receiver got from flight k on. */
			struct bytes b = {0};
			for (long j = i; j < n; j++)
				if (seg[j].dir == d)
					bytes_append(&b, seg[j].p, seg[j].len);
			char *dir = xasprintf("%s/%s-%s-s%d%s", out, rx, role, k, ver);
			int rc = rec_write(dir, name, b.data, b.len);
			free(dir);
			bytes_free(&b);
			if (rc < 0) {
				written = -1;
				break;
			}
			written += rc;
			k++;
		}
	}
	free(name);
	free(sid);
	free(sc);
	free(ss);
	bytes_free(&wire[0]);
	bytes_free(&wire[1]);
	return written;
}

static int rec_report(const char *report_dir, const char *out, size_t *n_seeds, size_t *n_tr)
{
	char *path = xasprintf("%s/report.json", report_dir);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		fprintf(stderr, "tlsharness record: %s: %s\n", path, jerr.text);
		free(path);
		return -1;
	}
	free(path);
	json_t *results = json_object_get(root, "results");
	size_t i;
	json_t *r;
	int rc = 0;
	json_array_foreach(results, i, r)
	{
		const char *tr = json_string_value(json_object_get(r, "transcript"));
		const char *client = json_string_value(json_object_get(r, "client"));
		const char *server = json_string_value(json_object_get(r, "server"));
		const char *id = json_string_value(json_object_get(r, "id"));
		if (tr == NULL || client == NULL || server == NULL || id == NULL)
			continue;
		char *tpath = xasprintf("%s/%s", report_dir, tr);
		struct bytes t = {0};
		if (read_file(tpath, &t) == 0) {
			int w = rec_transcript(out, &t, client, server, id);
			if (w < 0)
				rc = -1;
			else
				*n_seeds += (size_t)w;
			(*n_tr)++;
		}
		bytes_free(&t);
		free(tpath);
		if (rc < 0)
			break;
	}
	json_decref(root);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"out", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *out = "reports/out/seeds";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: tlsharness record [-o DIR] REPORT_DIR...\n"
			       "Writes the bytes each side received in the runs' transcripts as "
			       "fuzz\n"
			       "seeds: DIR/BACKEND-ROLE-sK[-tls12|-tls13]/CLIENT--SERVER--ID.bin, "
			       "from\n"
			       "the peer's flight K on (default DIR: reports/out/seeds).\n");
			return 0;
		default:
			return cli_bad_option("record", c, argc, argv);
		}
	}
	if (optind >= argc)
		return cli_error("record", "give at least one report folder");
	size_t n_seeds = 0, n_tr = 0;
	for (int i = optind; i < argc; i++)
		if (rec_report(argv[i], out, &n_seeds, &n_tr) != 0)
			return 2;
	printf("record: %zu transcripts, %zu new seed files in %s\n", n_tr, n_seeds, out);
	return 0;
}
