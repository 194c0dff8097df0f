/* SPDX-License-Identifier: MIT */
/*
 * The address space's type (include/linux/mm_types.h).
 *
 * struct mm_struct is a process's user address space: a range of virtual
 * pages backed, once touched, by pages of machine RAM, with its page
 * table, its mmap lock (<linux/mmap_lock.h>) and its MMU interval
 * notifiers (<linux/mmu_notifier.h>). Kernel code only ever holds a
 * pointer to one (current->mm, mmu_interval_notifier::mm); its fields are
 * the library's.
 */
#ifndef _DMASTACK_LINUX_MM_TYPES_H
#define _DMASTACK_LINUX_MM_TYPES_H

struct mm_struct;

#endif /* _DMASTACK_LINUX_MM_TYPES_H */
