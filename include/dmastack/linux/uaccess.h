/* SPDX-License-Identifier: MIT */
/*
 * User memory access (include/linux/uaccess.h): copy_from_user(),
 * copy_to_user(), clear_user(), get_user(), put_user().
 *
 * User memory is the calling program's, as far as the calling thread's
 * user window reaches: the machine's side of a system call (a VFIO device
 * fd's ioctl, read or write) opens the window over the buffer the caller
 * passed, for the duration of the call. Outside it, and at NULL, nothing
 * is user memory: the copy stops at the window's end and reports the
 * bytes it could not copy, as the kernel's does at an unmapped page (the
 * calling code then returns -EFAULT). copy_from_user() zeroes the part
 * of the destination it could not fill, as the kernel's.
 */
#ifndef _DMASTACK_LINUX_UACCESS_H
#define _DMASTACK_LINUX_UACCESS_H

#include <errno.h>
#include "types.h"
#include "compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes NOT copied: 0 when all @n were. */
unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from,
			   unsigned long n);
/* Zero @n bytes of user memory; bytes NOT zeroed. */
unsigned long clear_user(void __user *to, unsigned long n);
/* Is [@addr, @addr + @size) user memory? */
bool access_ok(const void __user *addr, unsigned long size);

/*
 * One value of *@ptr's type: 0 or -EFAULT (get_user() then sets @x to
 * zero, as the kernel's).
 */
#define get_user(x, ptr)						\
({									\
	__typeof__(*(ptr)) __gu_val;					\
	int __gu_err = copy_from_user(&__gu_val, (ptr),			\
				      sizeof(__gu_val)) ? -EFAULT : 0;	\
	if (__gu_err)							\
		__builtin_memset(&__gu_val, 0, sizeof(__gu_val));	\
	(x) = __gu_val;							\
	__gu_err;							\
})

#define put_user(x, ptr)						\
({									\
	__typeof__(*(ptr)) __pu_val = (x);				\
	copy_to_user((ptr), &__pu_val, sizeof(__pu_val)) ? -EFAULT : 0;	\
})

#define __get_user(x, ptr)	get_user(x, ptr)
#define __put_user(x, ptr)	put_user(x, ptr)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_UACCESS_H */
