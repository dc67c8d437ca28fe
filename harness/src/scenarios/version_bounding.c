#include "scenario.h"
void family_version_bounding(void)
{
}
