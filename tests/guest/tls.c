/* thread-local storage in the main thread (arch_prctl/FS base set up by libc), errno is TLS too */
#include "common.h"

static __thread int tls_counter = 5;
static __thread char tls_buf[64] = "initial tls";
static __thread long tls_zero;

int main(void)
{
	printf("tls_counter %d tls_buf [%s] tls_zero %ld\n", tls_counter, tls_buf, tls_zero);
	for (int i = 0; i < 1000; i++) tls_counter += i;
	strcpy(tls_buf, "changed");
	tls_zero = -1;
	printf("tls_counter %d tls_buf [%s] tls_zero %ld\n", tls_counter, tls_buf, tls_zero);
	/* errno lives in TLS: syscalls that fail must set it without disturbing our variables */
	errno = 0;
	close(-1);
	printf("errno after close(-1): %s, tls intact: %s\n", errname(errno), tls_counter == 499505 ? "yes" : "no");
	/* stack protector canary (read through %fs:0x28 by every function compiled with it) */
	volatile char big[4096];
	memset((char *)big, 1, sizeof big);
	printf("stack use ok: %d\n", big[4095]);
	/* the FS base points at the thread control block, whose first word points at itself (x86_64 TLS ABI) */
	void *self;
	__asm__("mov %%fs:0, %0" : "=r"(self));
	unsigned long fsbase = 0;
	long r = syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fsbase);
	printf("ARCH_GET_FS = %ld, matches %%fs:0: %s\n", r, (unsigned long)self == fsbase ? "yes" : "no");
	return 0;
}
