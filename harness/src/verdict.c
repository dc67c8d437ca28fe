#include "verdict.h"

#include <string.h>

static const char *const names[V_COUNT] = {"PASS",        "PASS-LOOSE", "FAIL",
                                           "UNSUPPORTED", "XFAIL",      "XPASS",
                                           "CRASH",       "TIMEOUT",    "HARNESS-ERROR"};

const char *verdict_name(enum verdict v)
{
	return (int)v >= 0 && v < V_COUNT ? names[v] : "?";
}

int verdict_parse(const char *s)
{
	for (int i = 0; i < V_COUNT; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int verdict_is_bad(enum verdict v)
{
	return v == V_FAIL || v == V_XPASS || v == V_CRASH || v == V_TIMEOUT ||
	       v == V_HARNESS_ERROR;
}
