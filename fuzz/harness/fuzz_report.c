/* libFuzzer target: the report reader (used by `compare` and `report`) must
 * refuse a corrupt report with a message, never crash. */
#include <stddef.h>
#include <stdint.h>

#include "report_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rl_report rep;
	char err[512];
	if (rl_parse("fuzz.json", data, size, &rep, err, sizeof err) == 0)
		rl_free(&rep);
	return 0;
}
