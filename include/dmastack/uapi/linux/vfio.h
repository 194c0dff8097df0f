/* SPDX-License-Identifier: MIT */
/*
 * The VFIO user API (the kernel's include/uapi/linux/vfio.h), as far as
 * the device ioctls here go: region info, reset, hot reset (the iommufd
 * form) and VFIO_DEVICE_FEATURE with the DMA_BUF feature. Kernel code
 * gets it through <linux/vfio.h>, as in the kernel; programs through
 * <dmastack/vfio.h>.
 */
#ifndef _DMASTACK_UAPI_LINUX_VFIO_H
#define _DMASTACK_UAPI_LINUX_VFIO_H

#include "../../linux/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VFIO_TYPE		(';')
#define VFIO_BASE		100
/* _IO(VFIO_TYPE, VFIO_BASE + nr): no direction or size bits */
#define VFIO_IO(nr)		((unsigned int)((VFIO_TYPE << 8) | (VFIO_BASE + (nr))))
#define VFIO_DEVICE_GET_REGION_INFO	VFIO_IO(8)
#define VFIO_DEVICE_RESET		VFIO_IO(11)
#define VFIO_DEVICE_PCI_HOT_RESET	VFIO_IO(13)
#define VFIO_DEVICE_FEATURE		VFIO_IO(17)

struct vfio_region_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_REGION_INFO_FLAG_READ	(1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE	(1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP	(1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS	(1 << 3)
	__u32 index;
	__u32 cap_offset;
	__u64 size;
	__u64 offset;
};

enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

/* VFIO_DEVICE_PCI_HOT_RESET; only the iommufd form (count 0) exists here */
struct vfio_pci_hot_reset {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__s32 group_fds[];
};

struct vfio_device_feature {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FEATURE_MASK	(0xffff)	/* 16-bit feature index */
#define VFIO_DEVICE_FEATURE_GET		(1 << 16)	/* Get feature into data[] */
#define VFIO_DEVICE_FEATURE_SET		(1 << 17)	/* Set feature from data[] */
#define VFIO_DEVICE_FEATURE_PROBE	(1 << 18)	/* Probe feature support */
	__u8 data[];
};

#define VFIO_DEVICE_FEATURE_PCI_VF_TOKEN		0
#define VFIO_DEVICE_FEATURE_MIGRATION			1
#define VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE		2
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY		3
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP	4
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT		5
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START		6
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP		7
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT		8
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE		9
#define VFIO_DEVICE_FEATURE_BUS_MASTER			10

/*
 * Upon VFIO_DEVICE_FEATURE_GET create a dma_buf fd for the region selected.
 * open_flags are the flags passed to open(2); each range is a slice
 * (offset, length: page aligned, non-zero) of the region; flags must be 0.
 * Returns the fd.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF			11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};

/*
 * VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: the eventfd the device
 * signals when it wakes.
 */
struct vfio_device_low_power_entry_with_wakeup {
	__s32 wakeup_eventfd;
	__u32 reserved;
};

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_UAPI_LINUX_VFIO_H */
