/* SPDX-License-Identifier: MIT */
/*
 * The mmap lock of an address space (include/linux/mmap_lock.h): a
 * read-write semaphore. vm_mmap()/vm_munmap() take it for writing;
 * kernel code walking the address space (hmm_range_fault()) holds it for
 * reading. The page-table changes that call MMU notifiers (zap,
 * migration) take the page-table lock, not this one.
 *
 * The assertions are lockdep's: a WARN at the caller's line when the
 * lock is not held (for writing, for the _write form).
 */
#ifndef _DMASTACK_LINUX_MMAP_LOCK_H
#define _DMASTACK_LINUX_MMAP_LOCK_H

#include "types.h"
#include "mm_types.h"

#ifdef __cplusplus
extern "C" {
#endif

void mmap_read_lock(struct mm_struct *mm);
bool mmap_read_trylock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
void mmap_write_unlock(struct mm_struct *mm);
void mmap_write_downgrade(struct mm_struct *mm);
void __mmap_assert_locked(struct mm_struct *mm, const char *file, int line);
void __mmap_assert_write_locked(struct mm_struct *mm, const char *file,
				int line);
#define mmap_assert_locked(mm)	__mmap_assert_locked((mm), __FILE__, __LINE__)
#define mmap_assert_write_locked(mm)					\
	__mmap_assert_write_locked((mm), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_MMAP_LOCK_H */
