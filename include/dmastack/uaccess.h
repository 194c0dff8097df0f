/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/uaccess.h>: the kernel's <linux/uaccess.h> and the calling
 * thread's user window, which a program sets to play the user side of a
 * system call (the VFIO device fd of <dmastack/vfio.h> does it for each
 * ioctl, read and write).
 */
#ifndef _DMASTACK_UACCESS_H
#define _DMASTACK_UACCESS_H

#include <stddef.h>
#include "linux/uaccess.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The calling thread's user memory: [start, start + len). */
struct sim_user_window {
	void *start;
	size_t len;
};

/*
 * From now on the calling thread's user memory is [@start, @start + @len)
 * (NULL or 0: none, as when a thread starts). Returns the window it had,
 * for the caller to put back (sim_user_window_restore()) when its call is
 * over.
 */
struct sim_user_window sim_user_window_set(void *start, size_t len);
void sim_user_window_restore(struct sim_user_window old);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_UACCESS_H */
