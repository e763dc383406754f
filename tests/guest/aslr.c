/* Where things were loaded: printed as raw addresses on purpose. Not compared with native output;
 * the aslr test checks that a static-pie lands at a different base on each run and that an ET_EXEC
 * binary sits at its link address, exactly as natively. */
#include "common.h"

int global_data = 42;

int main(void)
{
	int local = 0;
	printf("main %p\n", (void *)&main);
	printf("data %p\n", (void *)&global_data);
	printf("stack-page-aligned-16 %d\n", (int)(((uintptr_t)__builtin_frame_address(0)) % 16 == 0));
	printf("heap %p\n", malloc(16));
	(void)local;
	return 0;
}
