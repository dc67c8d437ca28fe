#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int cli_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tlsharness%s%s: %s\n(see 'tlsharness%s%s --help')\n", cmd ? " " : "",
	        cmd ? cmd : "", msg, cmd ? " " : "", cmd ? cmd : "");
	return 2;
}

int cli_bad_option(const char *cmd, int c, int argc, char **argv)
{
	/* getopt_long leaves optind past the offending word; a short option
	 * is in optopt (0 for a long one). */
	const char *word = optind - 1 >= 1 && optind - 1 < argc ? argv[optind - 1] : "?";
	char shortopt[3] = {'-', (char)optopt, '\0'};
	int is_long = strncmp(word, "--", 2) == 0;
	const char *name = !is_long && optopt > 0 && optopt < 128 ? shortopt : word;
	if (c == ':')
		return cli_error(cmd, "option '%s' needs a value", name);
	if (is_long)
		return cli_error(cmd, "unknown or ambiguous option '%s'", name);
	return cli_error(cmd, "unknown option '%s'", name);
}

int cli_help_only(const char *cmd, int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c != 'h')
			return cli_bad_option(cmd, c, argc, argv);
		fputs(usage, stdout);
		return 0;
	}
	return -1;
}

char *cli_command_line(int argc, char **argv)
{
	struct bytes o = {0};
	for (int i = 0; i < argc; i++) {
		if (i)
			bytes_append(&o, " ", 1);
		bytes_append(&o, argv[i], strlen(argv[i]));
	}
	bytes_append(&o, "", 1);
	return (char *)o.data;
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int lock_holder(int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		return fl.l_pid;
	/* The holder wrote its pid into the file (e.g. a lock held over NFS,
	 * where F_GETLK may not know it). */
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	return n > 0 ? atoi(buf) : 0;
}

int cli_outdir_claim(const char *dir, struct cli_outdir *od, char *err, size_t errcap)
{
	od->path = NULL;
	od->lock_fd = -1;
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fmt_into(err, errcap, "report folder %s is a file, not a folder", dir);
		return -1;
	}
	if (mkdir_p(dir) != 0) {
		fmt_into(err, errcap, "cannot create report folder %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Reports are written as a new file renamed into place: try that now
	 * rather than after the run. */
	char *probe = xasprintf("%s/.tlsharness-write-test.%ld", dir, (long)getpid());
	int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fmt_into(err, errcap, "cannot write in report folder %s: %s", dir, strerror(errno));
		free(probe);
		return -1;
	}
	close(fd);
	unlink(probe);
	free(probe);

	char *lock = xasprintf("%s/%s", dir, CLI_LOCK_FILE);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fmt_into(err, errcap, "cannot open the lock file %s: %s", lock, strerror(errno));
		free(lock);
		return -1;
	}
	free(lock);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;
		if (e == EACCES || e == EAGAIN) {
			int pid = lock_holder(fd);
			if (pid > 0)
				fmt_into(err, errcap,
				         "another tlsharness (pid %d) is writing into %s: wait for "
				         "it "
				         "or give another folder",
				         pid, dir);
			else
				fmt_into(err, errcap,
				         "another tlsharness is writing into %s: wait for it or "
				         "give "
				         "another folder",
				         dir);
		} else {
			fmt_into(err, errcap, "cannot lock %s/%s: %s", dir, CLI_LOCK_FILE,
			         strerror(e));
		}
		close(fd);
		return -1;
	}
	char pid[32];
	fmt_into(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		fmt_into(err, errcap, "cannot write the lock file in %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	od->path = xstrdup(dir);
	od->lock_fd = fd;
	return 0;
}

void cli_outdir_release(struct cli_outdir *od)
{
	/* The file stays: removing it would let a run that opened it just
	 * before lock a file no later run sees. */
	if (od->lock_fd >= 0)
		close(od->lock_fd);
	free(od->path);
	od->path = NULL;
	od->lock_fd = -1;
}
