/* SPDX-License-Identifier: MIT */
/*
 * struct file as far as DMA code touches it: the anonymous file behind a
 * dma-buf (dmabuf->file). Its references are the buffer's: get_file() and
 * fput() of a dma-buf's file are get_dma_buf() and dma_buf_put(). There is
 * no other kind of file here.
 */
#ifndef _DMASTACK_LINUX_FS_H
#define _DMASTACK_LINUX_FS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int fmode_t;

#define FMODE_READ	((fmode_t)0x1)
#define FMODE_WRITE	((fmode_t)0x2)

struct file {
	void *private_data;		/* the struct dma_buf */
	unsigned int f_flags;		/* O_* of dma_buf_fd() */
	fmode_t f_mode;
};

/* A new reference to @f (returned); fput() drops one. */
struct file *get_file(struct file *f);
void fput(struct file *f);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_FS_H */
