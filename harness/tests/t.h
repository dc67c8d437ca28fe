/* t.h - a minimal TAP test helper for the harness's unit tests. */
#ifndef TLSH_T_H
#define TLSH_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_n, t_failed;

#define OK(cond, ...)                                                                              \
	do {                                                                                       \
		int t_ok_ = !!(cond);                                                              \
		t_n++;                                                                             \
		if (t_ok_) {                                                                       \
			printf("ok %d - ", t_n);                                                   \
		} else {                                                                           \
			t_failed++;                                                                \
			printf("not ok %d - ", t_n);                                               \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!t_ok_)                                                                        \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
	} while (0)

static inline int t_done(void)
{
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

#endif
