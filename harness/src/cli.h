/* cli.h - what the subcommands' option parsing shares: usage errors of one
 * line that name the bad option or value, strict number parsing, and the
 * report folder a command writes into, checked and locked before any work
 * starts so that no run is lost at its end. */
#ifndef TLSH_CLI_H
#define TLSH_CLI_H

#include <stddef.h>

/* Prints "tlsharness CMD: MESSAGE" and "(see 'tlsharness CMD --help')" to
 * stderr; returns 2 (the exit status of bad usage). `cmd` NULL: the top
 * level. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* After getopt_long (with an option string that starts with ':') returned
 * '?' or ':': names the unknown option, or the option missing its value.
 * Returns 2. */
int cli_bad_option(const char *cmd, int c, int argc, char **argv);

/* The option parsing of a subcommand whose only option is -h/--help:
 * prints `usage` to stdout and returns 0 for it, returns 2 for another
 * option, -1 to go on (optind at the first operand). */
int cli_help_only(const char *cmd, int argc, char **argv, const char *usage);

/* The words of a command line joined by spaces, for a report (malloc'd). */
char *cli_command_line(int argc, char **argv);

/* A whole decimal number in [lo, hi]. Returns 0, or -1 (nothing stored). */
int cli_parse_long(const char *s, long lo, long hi, long *out);

/* A report folder claimed by this process: it exists (created if needed),
 * is a folder, accepts new files, and holds a lock no other tlsharness
 * holds (a POSIX record lock on DIR/.tlsharness.lock, which names the
 * holder's pid; it dies with the process, SIGKILL included, and is not
 * inherited by scenario processes). */
struct cli_outdir {
	char *path;
	int lock_fd;
};

#define CLI_LOCK_FILE ".tlsharness.lock"

/* Returns 0, or -1 with err set to a one-line reason. */
int cli_outdir_claim(const char *dir, struct cli_outdir *od, char *err, size_t errcap);
void cli_outdir_release(struct cli_outdir *od);

#endif
