/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (include/linux/crc32.h): crc32_le() is the reflected (little
 * endian) CRC with polynomial 0xedb88320, crc32_be() the normal one with
 * 0x04c11db7; @crc is the seed and nothing is inverted, as the kernel's
 * (crc32(~0, p, n) ^ ~0 is the zlib/Ethernet CRC). Bitwise: small, not
 * fast.
 */
#ifndef _DMASTACK_LINUX_CRC32_H
#define _DMASTACK_LINUX_CRC32_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline u32 crc32_le(u32 crc, const void *p, size_t len)
{
	const u8 *b = (const u8 *)p;

	while (len--) {
		crc ^= *b++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return crc;
}

static inline u32 crc32_be(u32 crc, const void *p, size_t len)
{
	const u8 *b = (const u8 *)p;

	while (len--) {
		crc ^= (u32)*b++ << 24;
		for (int i = 0; i < 8; i++)
			crc = (crc << 1) ^ (0x04c11db7U & -(crc >> 31));
	}
	return crc;
}

#define crc32(seed, data, length)	crc32_le(seed, data, length)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_CRC32_H */
