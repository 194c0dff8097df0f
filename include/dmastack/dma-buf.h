/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/dma-buf.h>: the kernel's <linux/dma-buf.h> (dmastack/linux/dma-buf.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_DMA_BUF_H
#define _DMASTACK_DMA_BUF_H

#include "linux/dma-buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The machine's fd table, as a program sees it (no process has it). */
/* A new reference to the buffer behind @fd; ERR_PTR(-EBADF/-EINVAL). */
struct dma_buf *sim_dma_buf_get(struct sim_machine *m, int fd);
/* Close @fd (the reference it holds goes). 0 or -EBADF. */
int sim_fd_close(struct sim_machine *m, int fd);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_DMA_BUF_H */
