/* SPDX-License-Identifier: MIT */
/*
 * Module parameters (include/linux/moduleparam.h): accepted; a parameter
 * keeps the value its variable was initialised with (dmastack load takes
 * no parameters).
 */
#ifndef _DMASTACK_LINUX_MODULEPARAM_H
#define _DMASTACK_LINUX_MODULEPARAM_H

#define module_param(name, type, perm)
#define module_param_named(name, value, type, perm)
#define module_param_unsafe(name, type, perm)
#define module_param_array(name, type, nump, perm)
#define module_param_string(name, string, len, perm)
#define MODULE_PARM_DESC(parm, desc)

#endif /* _DMASTACK_LINUX_MODULEPARAM_H */
