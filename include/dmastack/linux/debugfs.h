/* SPDX-License-Identifier: MIT */
/*
 * debugfs (include/linux/debugfs.h) as the kernel has it with
 * CONFIG_DEBUG_FS=n: there is no debugfs here, so every create call
 * returns ERR_PTR(-ENODEV) (which the other calls accept and ignore, and
 * which drivers are told never to check) and removal does nothing.
 */
#ifndef _DMASTACK_LINUX_DEBUGFS_H
#define _DMASTACK_LINUX_DEBUGFS_H

#include "types.h"
#include "err.h"
#include "fs.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dentry;
struct file_operations;

static inline struct dentry *debugfs_create_dir(const char *name,
						struct dentry *parent)
{
	(void)name;
	(void)parent;
	return (struct dentry *)ERR_PTR(-ENODEV);
}

static inline struct dentry *
debugfs_create_file(const char *name, unsigned short mode,
		    struct dentry *parent, void *data,
		    const struct file_operations *fops)
{
	(void)name;
	(void)mode;
	(void)parent;
	(void)data;
	(void)fops;
	return (struct dentry *)ERR_PTR(-ENODEV);
}

static inline struct dentry *debugfs_lookup(const char *name,
					    struct dentry *parent)
{
	(void)name;
	(void)parent;
	return (struct dentry *)ERR_PTR(-ENODEV);
}

static inline void debugfs_remove(struct dentry *dentry)
{
	(void)dentry;
}
#define debugfs_remove_recursive(dentry)	debugfs_remove(dentry)

static inline void debugfs_lookup_and_remove(const char *name,
					     struct dentry *parent)
{
	(void)name;
	(void)parent;
}

#define __DEBUGFS_CREATE_NOP(fn, type)					\
	static inline void fn(const char *name, unsigned short mode,	\
			      struct dentry *parent, type *value)	\
	{								\
		(void)name;						\
		(void)mode;						\
		(void)parent;						\
		(void)value;						\
	}
__DEBUGFS_CREATE_NOP(debugfs_create_u8, u8)
__DEBUGFS_CREATE_NOP(debugfs_create_u16, u16)
__DEBUGFS_CREATE_NOP(debugfs_create_u32, u32)
__DEBUGFS_CREATE_NOP(debugfs_create_u64, u64)
__DEBUGFS_CREATE_NOP(debugfs_create_x8, u8)
__DEBUGFS_CREATE_NOP(debugfs_create_x16, u16)
__DEBUGFS_CREATE_NOP(debugfs_create_x32, u32)
__DEBUGFS_CREATE_NOP(debugfs_create_x64, u64)
__DEBUGFS_CREATE_NOP(debugfs_create_ulong, unsigned long)
__DEBUGFS_CREATE_NOP(debugfs_create_bool, bool)
#undef __DEBUGFS_CREATE_NOP

static inline bool debugfs_initialized(void)
{
	return false;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DEBUGFS_H */
