/* SPDX-License-Identifier: MIT */
/*
 * struct iosys_map: a CPU mapping of a buffer that is either memory or
 * I/O memory (dma_buf_vmap()), with the kernel's field names.
 */
#ifndef _DMASTACK_LINUX_IOSYS_MAP_H
#define _DMASTACK_LINUX_IOSYS_MAP_H

#include "types.h"

#ifndef __iomem
#define __iomem
#endif

struct iosys_map {
	union {
		void __iomem *vaddr_iomem;
		void *vaddr;
	};
	bool is_iomem;
};

#define IOSYS_MAP_INIT_VADDR(vaddr_)	{ { .vaddr = (vaddr_) }, false }

static inline void iosys_map_set_vaddr(struct iosys_map *map, void *vaddr)
{
	map->vaddr = vaddr;
	map->is_iomem = false;
}

static inline void iosys_map_set_vaddr_iomem(struct iosys_map *map,
					     void __iomem *vaddr_iomem)
{
	map->vaddr_iomem = vaddr_iomem;
	map->is_iomem = true;
}

static inline bool iosys_map_is_null(const struct iosys_map *map)
{
	return !map->vaddr;
}

static inline bool iosys_map_is_set(const struct iosys_map *map)
{
	return !iosys_map_is_null(map);
}

static inline void iosys_map_clear(struct iosys_map *map)
{
	map->vaddr = NULL;
	map->is_iomem = false;
}

static inline bool iosys_map_is_equal(const struct iosys_map *a,
				      const struct iosys_map *b)
{
	return a->is_iomem == b->is_iomem && a->vaddr == b->vaddr;
}

#endif /* _DMASTACK_LINUX_IOSYS_MAP_H */
