/* SPDX-License-Identifier: MIT */
/*
 * File flags (include/linux/fcntl.h, from the uAPI's
 * asm-generic/fcntl.h): what dma_buf_fd() and dma_buf_export_info::flags
 * take. The values are the kernel's, spelled as glibc spells them so that
 * <fcntl.h> may be included too, before or after.
 */
#ifndef _DMASTACK_LINUX_FCNTL_H
#define _DMASTACK_LINUX_FCNTL_H

#define O_RDONLY	     00
#define O_WRONLY	     01
#define O_RDWR		     02
#ifndef __O_CLOEXEC
#define __O_CLOEXEC	02000000
#endif
#define O_CLOEXEC	__O_CLOEXEC

#endif /* _DMASTACK_LINUX_FCNTL_H */
