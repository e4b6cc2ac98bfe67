// SPDX-License-Identifier: GPL-2.0
/*
 * A user-mode int3, for ownership.sh: the kernel passes it down the die chain too, and our
 * notifier must drop it first thing, before it counts or looks at anything. The process
 * gets SIGTRAP (and dies of it, exit status 133 in a shell).
 */
int main(void)
{
	__asm__ volatile("int3");
	return 0;
}
