/* Name resolution the way static programs do it: getaddrinfo/getnameinfo on numeric names and on
 * "localhost" (/etc/hosts, read through the guest's namespace). */
#include "common.h"
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static void lookup(const char *host, int family, int flags)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags}, *res = 0;
	int r = getaddrinfo(host, "80", &hints, &res);
	printf("%s family %d: %s\n", host, family, r == 0 ? "ok" : r == EAI_NONAME ? "EAI_NONAME" : "other error");
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		char buf[64];
		void *p = a->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
		                                  : (void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		inet_ntop(a->ai_family, p, buf, sizeof buf);
		printf("  %s len %u port %d\n", buf, (unsigned)a->ai_addrlen,
		       ntohs(((struct sockaddr_in *)a->ai_addr)->sin_port));
	}
	if (res)
		freeaddrinfo(res);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	lookup("127.0.0.1", AF_INET, AI_NUMERICHOST);
	lookup("::1", AF_INET6, AI_NUMERICHOST);
	lookup("not a number", AF_INET, AI_NUMERICHOST);
	lookup("localhost", AF_INET, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char h[64], s[16];
	int r = getnameinfo((struct sockaddr *)&a, sizeof a, h, sizeof h, s, sizeof s, NI_NUMERICHOST | NI_NUMERICSERV);
	printf("getnameinfo %d %s %s\n", r, h, s);
	return 0;
}
