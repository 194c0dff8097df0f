/* SPDX-License-Identifier: MIT */
/*
 * Exporting symbols (include/linux/export.h): a module is a shared object
 * whose globals are all visible, so the exports change nothing.
 */
#ifndef _DMASTACK_LINUX_EXPORT_H
#define _DMASTACK_LINUX_EXPORT_H

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL_NS(sym, ns)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#define EXPORT_SYMBOL_FOR_MODULES(sym, mods)

#endif /* _DMASTACK_LINUX_EXPORT_H */
