// SPDX-License-Identifier: MIT
/*
 * User memory access: the calling thread's user window (set by the
 * machine's side of a system call) is its user memory; the copies stop
 * where the window ends and report what they could not copy.
 */
#include <string.h>
#include "internal.h"

static _Thread_local struct sim_user_window user_window;

struct sim_user_window sim_user_window_set(void *start, size_t len)
{
	struct sim_user_window old = user_window;

	user_window.start = start;
	user_window.len = start ? len : 0;
	return old;
}

void sim_user_window_restore(struct sim_user_window old)
{
	user_window = old;
}

/* How many of @n bytes at @uptr are user memory, from the start. */
static unsigned long user_bytes(const void *uptr, unsigned long n)
{
	uintptr_t p = (uintptr_t)uptr;
	uintptr_t s = (uintptr_t)user_window.start;

	if (!uptr || !user_window.start || p < s ||
	    p - s >= user_window.len)
		return 0;
	return n < user_window.len - (p - s) ? n : user_window.len - (p - s);
}

bool access_ok(const void __user *addr, unsigned long size)
{
	return !size || user_bytes(addr, size) == size;
}

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n)
{
	unsigned long ok = user_bytes(from, n);

	if (ok)
		memcpy(to, from, ok);
	/* the kernel zeroes what it could not copy */
	if (ok < n)
		memset((char *)to + ok, 0, n - ok);
	return n - ok;
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	unsigned long ok = user_bytes(to, n);

	if (ok)
		memmove(to, from, ok);
	return n - ok;
}

unsigned long clear_user(void __user *to, unsigned long n)
{
	unsigned long ok = user_bytes(to, n);

	if (ok)
		memset(to, 0, ok);
	return n - ok;
}
