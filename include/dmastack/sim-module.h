/* SPDX-License-Identifier: MIT */
/*
 * Kernel modules on a machine: a shared object built from kernel-style
 * sources (<linux/module.h>), loaded and run as the kernel would.
 */
#ifndef _DMASTACK_SIM_MODULE_H
#define _DMASTACK_SIM_MODULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_module;

/**
 * sim_module_load - load a module and run its module_init()
 * @m: the machine it runs on (made the calling thread's current one)
 * @path: the shared object (a path: a name without '/' is not searched)
 * @err: why it failed, one line
 * @errlen: its size
 *
 * Return: the module, or NULL: it cannot be loaded, it has no
 * module_init(), or its module_init() returned an error (then nothing of
 * it stays loaded).
 */
struct sim_module *sim_module_load(struct sim_machine *m, const char *path,
				   char *err, size_t errlen);

/**
 * sim_module_unload - run a module's module_exit() and unload it
 * @mod: from sim_module_load(); NULL does nothing
 *
 * On the machine it was loaded on, before that machine is destroyed.
 */
void sim_module_unload(struct sim_module *mod);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_SIM_MODULE_H */
