/* SPDX-License-Identifier: MIT */
/*
 * A module is a shared object built from kernel-style sources:
 * module_init() and module_exit() name its entry points, as the kernel's
 * init_module/cleanup_module aliases do, and `dmastack load MODULE.so`
 * (or sim_module_load()) runs them on a machine. The MODULE_* tags,
 * EXPORT_SYMBOL* (every global of the object is visible), __init/__exit
 * and module parameters are accepted and change nothing.
 */
#ifndef _DMASTACK_LINUX_MODULE_H
#define _DMASTACK_LINUX_MODULE_H

#include "export.h"
#include "moduleparam.h"

struct module;

#define THIS_MODULE		((struct module *)0)
#define KBUILD_MODNAME		"module"

#define MODULE_LICENSE(x)
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_VERSION(x)
#define MODULE_ALIAS(x)
#define MODULE_SOFTDEP(x)
#define MODULE_FIRMWARE(x)
#define MODULE_IMPORT_NS(ns)
#define MODULE_DEVICE_TABLE(type, name)


#define __init
#define __exit
#define __initdata
#define __exitdata

#define module_init(initfn) \
	int init_module(void) __attribute__((alias(#initfn)));
#define module_exit(exitfn) \
	void cleanup_module(void) __attribute__((alias(#exitfn)));

/* A driver that only registers and unregisters (module_pci_driver()). */
#define module_driver(__driver, __register, __unregister, ...)		\
static int __init __driver##_init(void)					\
{									\
	return __register(&(__driver), ##__VA_ARGS__);			\
}									\
module_init(__driver##_init);						\
static void __exit __driver##_exit(void)				\
{									\
	__unregister(&(__driver), ##__VA_ARGS__);			\
}									\
module_exit(__driver##_exit);

#endif /* _DMASTACK_LINUX_MODULE_H */
