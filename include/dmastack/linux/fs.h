/* SPDX-License-Identifier: MIT */
/*
 * struct file as far as DMA code touches it: the anonymous file behind a
 * dma-buf (dmabuf->file). Its references are the buffer's: get_file() and
 * fput() of a dma-buf's file are get_dma_buf() and dma_buf_put().
 *
 * struct file_operations and struct inode are there for the drivers that
 * declare a character-device or debugfs interface (an fops table with
 * open/unlocked_ioctl/release, simple_open()); no file system opens them:
 * a driver's user interface is driven from programs through the machine's
 * own calls (the VFIO device fd, dma-buf fds).
 */
#ifndef _DMASTACK_LINUX_FS_H
#define _DMASTACK_LINUX_FS_H

#include "types.h"
#include "uaccess.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int fmode_t;

#define FMODE_READ	((fmode_t)0x1)
#define FMODE_WRITE	((fmode_t)0x2)

typedef unsigned short umode_t;

struct inode {
	umode_t i_mode;
	void *i_private;		/* the creator's data (debugfs) */
};

struct module;
struct file;
struct vm_area_struct;
struct poll_table_struct;
typedef unsigned int __poll_t;

struct file_operations {
	struct module *owner;
	loff_t (*llseek)(struct file *, loff_t, int);
	ssize_t (*read)(struct file *, char *, size_t, loff_t *);
	ssize_t (*write)(struct file *, const char *, size_t, loff_t *);
	__poll_t (*poll)(struct file *, struct poll_table_struct *);
	long (*unlocked_ioctl)(struct file *, unsigned int, unsigned long);
	long (*compat_ioctl)(struct file *, unsigned int, unsigned long);
	int (*mmap)(struct file *, struct vm_area_struct *);
	int (*open)(struct inode *, struct file *);
	int (*flush)(struct file *, void *id);
	int (*release)(struct inode *, struct file *);
	int (*fsync)(struct file *, loff_t, loff_t, int datasync);
};

struct file {
	void *private_data;		/* the struct dma_buf, or the driver's */
	unsigned int f_flags;		/* O_* of dma_buf_fd() */
	fmode_t f_mode;
	const struct file_operations *f_op;
	struct inode *f_inode;
	loff_t f_pos;
};

static inline struct inode *file_inode(const struct file *f)
{
	return f->f_inode;
}

/* open: the file's private data is the inode's (debugfs files). */
static inline int simple_open(struct inode *inode, struct file *file)
{
	if (inode->i_private)
		file->private_data = inode->i_private;
	return 0;
}

static inline int nonseekable_open(struct inode *inode, struct file *filp)
{
	(void)inode;
	(void)filp;
	return 0;
}

#define stream_open(inode, filp)	nonseekable_open((inode), (filp))

static inline loff_t noop_llseek(struct file *file, loff_t offset, int whence)
{
	(void)offset;
	(void)whence;
	return file->f_pos;
}

/* A new reference to @f (returned); fput() drops one. */
struct file *get_file(struct file *f);
void fput(struct file *f);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_FS_H */
