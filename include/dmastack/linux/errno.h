/* SPDX-License-Identifier: MIT */
/*
 * Error numbers (include/linux/errno.h): the uAPI's, and the ones the
 * kernel keeps to itself (never returned to user space), with its values.
 */
#ifndef _DMASTACK_LINUX_ERRNO_H
#define _DMASTACK_LINUX_ERRNO_H

/* the system's uAPI numbers (the C library's <errno.h> includes this) */
#include_next <linux/errno.h>

#define ERESTARTSYS	512
#define ERESTARTNOINTR	513
#define ERESTARTNOHAND	514
#define ENOIOCTLCMD	515
#define ERESTART_RESTARTBLOCK 516
#define EPROBE_DEFER	517
#define EOPENSTALE	518
#define ENOPARAM	519
#define EBADHANDLE	521
#define ENOTSYNC	522
#define EBADCOOKIE	523
#define ENOTSUPP	524
#define ETOOSMALL	525
#define ESERVERFAULT	526
#define EBADTYPE	527
#define EJUKEBOX	528
#define EIOCBQUEUED	529
#define ERECALLCONFLICT	530
#define ENOGRACE	531

#endif /* _DMASTACK_LINUX_ERRNO_H */
