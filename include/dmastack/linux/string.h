/* SPDX-License-Identifier: MIT */
/*
 * String and memory helpers (include/linux/string.h): the C library's,
 * plus the kernel's own spellings.
 */
#ifndef _DMASTACK_LINUX_STRING_H
#define _DMASTACK_LINUX_STRING_H

#include <string.h>
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * strscpy - copy @src into @dst of @count bytes, always terminated.
 * Returns the length copied, or -E2BIG when @src was truncated (or
 * @count is 0).
 */
static inline ssize_t strscpy(char *dst, const char *src, size_t count)
{
	const char *end;
	size_t len;

	if (!count)
		return -E2BIG;
	/* strnlen(), which strict ISO C does not declare */
	end = (const char *)memchr(src, '\0', count);
	len = end ? (size_t)(end - src) : count;
	if (len == count) {
		memcpy(dst, src, count - 1);
		dst[count - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return (ssize_t)len;
}

/* memset of a whole object's tail from @member on (the kernel's macro). */
#define memset_after(obj, v, member)					\
	memset((char *)(obj) + offsetof(__typeof__(*(obj)), member) +	\
		       sizeof((obj)->member), (v),			\
	       sizeof(*(obj)) - offsetof(__typeof__(*(obj)), member) -	\
		       sizeof((obj)->member))

static inline bool mem_is_zero(const void *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	while (n--)
		if (*p++)
			return false;
	return true;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_STRING_H */
