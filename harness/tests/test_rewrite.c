#include "t.h"
#include "tr.h"
int main(void)
{
	return t_done();
}
