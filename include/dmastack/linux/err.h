/* SPDX-License-Identifier: MIT */
/*
 * Error pointers: an errno (-MAX_ERRNO..-1) returned where a pointer is,
 * in the top page of the address space, which no object occupies.
 *
 * Self-contained (no <linux/compiler.h>): <dmastack/dmastack.h> has it
 * through <linux/types.h>, and programs that include that do not get the
 * kernel's compiler words.
 */
#ifndef _DMASTACK_LINUX_ERR_H
#define _DMASTACK_LINUX_ERR_H

#include <errno.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_ERRNO	4095

/* Is @x (an address or unsigned long) an encoded errno? */
#define IS_ERR_VALUE(x)							\
	__builtin_expect((unsigned long)(void *)(x) >=			\
			 (unsigned long)-MAX_ERRNO, 0)

/* @error (-MAX_ERRNO..-1) as a pointer */
static inline __attribute__((__warn_unused_result__))
void *ERR_PTR(long error)
{
	return (void *)error;
}

/* The errno an error pointer holds (meaningful only if IS_ERR(@ptr)). */
static inline __attribute__((__warn_unused_result__))
long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline __attribute__((__warn_unused_result__))
bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

static inline __attribute__((__warn_unused_result__))
bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR_VALUE((unsigned long)ptr);
}

/* An error pointer passed on as another pointer type (const dropped). */
static inline __attribute__((__warn_unused_result__))
void *ERR_CAST(const void *ptr)
{
	return (void *)ptr;
}

/* The errno of an error pointer, 0 for any other pointer (NULL too). */
static inline __attribute__((__warn_unused_result__))
int PTR_ERR_OR_ZERO(const void *ptr)
{
	return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_ERR_H */
