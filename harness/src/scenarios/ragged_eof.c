#include "scenario.h"
void family_ragged_eof(void)
{
}
