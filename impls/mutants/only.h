/* only.h - a mutant built with -DMUTANT_ONLY_SERVER deviates on server
 * buffers only (its name gets "-server"), to prove the server-role rows:
 * the rows of the client role do not see it. */
#ifndef TLSH_MUTANT_ONLY_H
#define TLSH_MUTANT_ONLY_H

#include "wrap.h"

#ifdef MUTANT_ONLY_SERVER
#define MUTANT_SUFFIX "-server"
static inline int mutant_applies(tlsh_buffer *b)
{
	return mw_buffer_role(b) == TLSH_ROLE_SERVER;
}
static inline int mutant_applies_role(enum tlsh_role role)
{
	return role == TLSH_ROLE_SERVER;
}
#else
#define MUTANT_SUFFIX ""
static inline int mutant_applies(tlsh_buffer *b)
{
	(void)b;
	return 1;
}
static inline int mutant_applies_role(enum tlsh_role role)
{
	(void)role;
	return 1;
}
#endif

#endif
