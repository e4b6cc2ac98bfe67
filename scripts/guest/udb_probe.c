// SPDX-License-Identifier: GPL-2.0
/*
 * Does this CPU, or emulator, raise #UD on UDB (0xd6 in 64-bit mode)? Linux 7.3.4's kCFI call
 * checks jump to that byte when the type hashes differ, so where it runs as the old SALC no
 * kCFI check can fire. Prints "udb: sigill" when it traps, "udb: ran" when it ran; the kcfi
 * guest (kcfi.sh) runs it, kcfi-check.sh judges it.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void on_sigill(int sig)
{
	(void)sig;
	write(1, "udb: sigill\n", 12);
	_exit(0);
}

int main(void)
{
	signal(SIGILL, on_sigill);
	__asm__ volatile(".byte 0xd6" ::: "rax", "cc", "memory");
	puts("udb: ran");
	return 1;
}
