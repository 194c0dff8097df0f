/* SPDX-License-Identifier: MIT */
/*
 * Protection and mapping flags (include/linux/mman.h, from the uAPI's
 * asm-generic/mman-common.h; the values are the kernel's and glibc's, so
 * <sys/mman.h> may be included too).
 */
#ifndef _DMASTACK_LINUX_MMAN_H
#define _DMASTACK_LINUX_MMAN_H

#ifndef PROT_READ
#define PROT_READ	0x1
#endif
#ifndef PROT_WRITE
#define PROT_WRITE	0x2
#endif
#ifndef PROT_EXEC
#define PROT_EXEC	0x4
#endif
#ifndef PROT_NONE
#define PROT_NONE	0x0
#endif
#ifndef MAP_SHARED
#define MAP_SHARED	0x01
#endif
#ifndef MAP_PRIVATE
#define MAP_PRIVATE	0x02
#endif
#ifndef MAP_FIXED
#define MAP_FIXED	0x10
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	0x20
#endif

#endif /* _DMASTACK_LINUX_MMAN_H */
