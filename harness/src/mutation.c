/* mutation.c - placeholder, filled in below. */
#include <stdio.h>
int cmd_mutation(int argc, char **argv);
int cmd_mutation(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tlsharness: mutation: not built yet\n");
	return 2;
}
