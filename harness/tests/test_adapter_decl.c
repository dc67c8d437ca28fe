/* Part of test_adapter: includes tlsh_adapter.h without
 * TLSH_ADAPTER_IMPLEMENTATION, as a second file of an adapter would. Its
 * types, constants and macros must be usable and its declarations must not
 * draw a warning (the build treats warnings as errors). */
#include "tlsh_adapter.h"

int decl_only_unit(void);

int decl_only_unit(void)
{
	struct tlsh_queue q = {0};
	struct tlsh_plan_rules r = {1, TLSH_KINDS_CHAIN, TLSH_KINDS_TRUST, 0, 0, "x"};
	struct tlsh_identity id;
	id.kind = TLSH_IDENTITY_DNS;
	return (int)q.len + (r.chain_kinds == 6u ? 40 : 0) + (TLSH_PROCEED == -1) +
	       (id.kind == TLSH_IDENTITY_DNS && TLSH_SAN_IP == 7);
}
