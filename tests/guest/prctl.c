/* prctl: PR_SET_NAME/PR_GET_NAME (15 chars), PR_GET_DUMPABLE, unknown option */
#include "common.h"
#include <sys/prctl.h>

int main(void)
{
	char name[32] = {0};
	T(prctl(PR_SET_NAME, "rumplx-guest", 0, 0, 0));
	T(prctl(PR_GET_NAME, name, 0, 0, 0));
	printf("name [%s]\n", name);
	T(prctl(PR_SET_NAME, "a-name-much-longer-than-fifteen", 0, 0, 0));
	memset(name, 'z', sizeof name);
	T(prctl(PR_GET_NAME, name, 0, 0, 0));
	printf("truncated name [%s] len %zu\n", name, strlen(name));
	T(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	T(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	T(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	T(prctl(PR_SET_DUMPABLE, 7, 0, 0, 0));
	T(prctl(PR_GET_PDEATHSIG, name, 0, 0, 0));
	T(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	T(prctl(0x7fff1234, 0, 0, 0, 0));
	T(prctl(PR_GET_NAME, (char *)1, 0, 0, 0));
	return 0;
}
