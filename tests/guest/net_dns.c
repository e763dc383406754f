/* Name resolution over DNS the way static programs do it: /etc/resolv.conf names a resolver (the test
 * runs one on a loopback address), getaddrinfo/gethostbyname query it over UDP. Addresses are printed
 * sorted, so the order of answers does not matter. */
#include "common.h"
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void lookup(const char *host, int family)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM}, *res = 0;
	int r = getaddrinfo(host, "53", &hints, &res);
	printf("getaddrinfo %s family %d: %s\n", host, family,
	       r == 0 ? "ok" : r == EAI_NONAME ? "EAI_NONAME" : r == EAI_AGAIN ? "EAI_AGAIN" :
	       r == EAI_NODATA ? "EAI_NODATA" : "other error");
	char *names[16];
	int n = 0;
	for (struct addrinfo *a = res; a && n < 16; a = a->ai_next) {
		char buf[64];
		void *p = a->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
		                                  : (void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		inet_ntop(a->ai_family, p, buf, sizeof buf);
		names[n++] = strdup(buf);
	}
	qsort(names, n, sizeof *names, cmp);
	for (int i = 0; i < n; i++) {
		printf("  %s\n", names[i]);
		free(names[i]);
	}
	if (res)
		freeaddrinfo(res);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	lookup("www.rumplx.test", AF_INET);
	lookup("www.rumplx.test", AF_INET6);
	lookup("www.rumplx.test", AF_UNSPEC);
	lookup("v4only.rumplx.test", AF_INET);
	lookup("missing.rumplx.test", AF_UNSPEC);
	struct hostent *h = gethostbyname("v4only.rumplx.test");
	printf("gethostbyname v4only: %s\n", h ? "ok" : "failed");
	if (h) {
		char buf[64];
		inet_ntop(AF_INET, h->h_addr_list[0], buf, sizeof buf);
		printf("  %s (length %d)\n", buf, h->h_length);
	}
	return 0;
}
