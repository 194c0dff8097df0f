/* SPDX-License-Identifier: MIT */
/*
 * The DMA map benchmark's uAPI (the kernel's include/uapi/linux/
 * map_benchmark.h): the ioctl and its argument, with the kernel's layout,
 * for the benchmark module and its user-space tool.
 */
#ifndef _DMASTACK_LINUX_MAP_BENCHMARK_H
#define _DMASTACK_LINUX_MAP_BENCHMARK_H

#include <sys/ioctl.h>
#include "types.h"

#define DMA_MAP_BENCHMARK	_IOWR('d', 1, struct map_benchmark)
#define DMA_MAP_MAX_THREADS	1024
#define DMA_MAP_MAX_SECONDS	300
#define DMA_MAP_MAX_TRANS_DELAY	(10 * 1000 * 1000)	/* 10 ms, in ns */

#define DMA_MAP_BIDIRECTIONAL	0
#define DMA_MAP_TO_DEVICE	1
#define DMA_MAP_FROM_DEVICE	2

/* In: threads..granule; out: the four results, in units of 100 ns. */
struct map_benchmark {
	__u64 avg_map_100ns;
	__u64 map_stddev;
	__u64 avg_unmap_100ns;
	__u64 unmap_stddev;
	__u32 threads;		/* mapping threads at once */
	__u32 seconds;		/* the run's length */
	__s32 node;		/* NUMA node of the threads (-1: any) */
	__u32 dma_bits;		/* the device's DMA mask width */
	__u32 dma_dir;		/* DMA_MAP_* */
	__u32 dma_trans_ns;	/* time between map and unmap */
	__u32 granule;		/* pages per mapping */
	__u8 expansion[76];	/* reserved, zero */
};

#endif /* _DMASTACK_LINUX_MAP_BENCHMARK_H */
