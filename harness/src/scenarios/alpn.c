#include "scenario.h"
void family_alpn(void)
{
}
