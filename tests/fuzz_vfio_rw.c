// SPDX-License-Identifier: MIT
/*
 * Fuzz target for read(2)/write(2) on a VFIO device fd: any region index,
 * offset and size (config space, BARs, the ROM and VGA indexes, offsets
 * past a region's end or wrapping 2^64), with or without a live dma-buf
 * export the NIC has imported (so config writes that turn memory decode
 * off, change the power state or reset the function revoke it while it is
 * in use).
 *
 * Input: byte 0 picks the device (bit 0: gpu0 below a switch behind the
 * IOMMU, or gpu1 on a bridge without one) and bit 1 an export of BAR 2
 * imported by the NIC first; then operations of 12 bytes each: op (bit 0
 * write, bit 1 the position is the raw 64 bits that follow instead of
 * region + offset), the region index, a 16-bit count (at most 8 KiB),
 * a 64-bit offset; a write's bytes follow it (zeros past the input's end).
 *
 * Every input runs on a fresh machine. Each call returns at most its count
 * or a negative errno; the device then closes with no export left and
 * nothing allocated (without an import: the NIC's driver keeps state).
 *
 * make fuzz builds it with libFuzzer; the suite runs tests/fuzz_driver.h's
 * replay of tests/fuzz-corpus/vfio_rw plus mutants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/dmastack.h>
#include <dmastack/nic.h>
#include "fuzz_vfio.h"

#define PLATFORM							\
	FUZZ_VFIO_PLATFORM						\
	"rootport id=rq1 bus=hb1\n"					\
	"nic id=nic1 bus=rq1 bar0=64K\n"

#define MAX_OPS		64
#define MAX_COUNT	8192

static void fuzz_fail(const char *what, long v)
{
	fprintf(stderr, "fuzz_vfio_rw: %s (%ld)\n", what, v);
	abort();
}

/* VFIO_DEVICE_FEATURE_DMA_BUF GET of the first 64 KiB of BAR 2: the fd. */
static int export_bar2(struct vfio_pci_core_device *v)
{
	union {
		struct vfio_device_feature hdr;
		uint8_t b[sizeof(struct vfio_device_feature) +
			  sizeof(struct vfio_device_feature_dma_buf) +
			  sizeof(struct vfio_region_dma_range)];
	} u;
	struct vfio_device_feature_dma_buf *db = (void *)u.hdr.data;

	memset(&u, 0, sizeof(u));
	u.hdr.argsz = sizeof(u);
	u.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = VFIO_PCI_BAR2_REGION_INDEX;
	db->nr_ranges = 1;
	db->dma_ranges[0].length = SZ_64K;
	return (int)sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_FEATURE, u.b, sizeof(u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfio_pci_core_device *v;
	struct sim_nic_mr *mr = NULL;
	struct sim_machine *m;
	struct device *gpu, *nic;
	uint8_t *buf = malloc(MAX_COUNT), probe[64];
	char err[256];
	long live;
	size_t at = 1;
	int fd = -1;

	if (!size || !buf) {
		free(buf);
		return 0;
	}
	m = sim_machine_parse(PLATFORM, err, sizeof(err));
	if (!m)
		fuzz_fail("no machine", 0);
	gpu = sim_device(m, data[0] & 1 ? "gpu1" : "gpu0");
	nic = sim_device(m, data[0] & 1 ? "nic1" : "nic0");
	v = vfio_alloc_device(vfio_pci_core_device, vdev, gpu, &sim_vfio_pci_ops);
	if (IS_ERR(v))
		fuzz_fail("no device", PTR_ERR(v));
	v->pci_ops = &sim_vfio_pci_dev_ops;
	if (vfio_pci_core_register_device(v) || open_warm(m, v, &live))
		fuzz_fail("the device does not open", 0);
	if (data[0] & 2) {
		fd = export_bar2(v);
		if (fd < 0)
			fuzz_fail("BAR 2 does not export", fd);
		mr = sim_nic_reg_dmabuf_mr(nic, fd, 0, SZ_64K, DMA_BIDIRECTIONAL);
		if (IS_ERR(mr))
			fuzz_fail("the NIC does not import", PTR_ERR(mr));
		sim_nic_mr_read(mr, 0, probe, sizeof(probe));
	}

	for (int n = 0; n < MAX_OPS && at + 12 <= size; n++) {
		uint8_t op = data[at], region = data[at + 1];
		uint16_t count;
		uint64_t off, pos;
		ssize_t ret;

		memcpy(&count, data + at + 2, 2);
		memcpy(&off, data + at + 4, 8);
		at += 12;
		count %= MAX_COUNT + 1;
		pos = op & 2 ? off : VFIO_PCI_INDEX_TO_OFFSET(region) + off;
		if (op & 1) {
			size_t have = size - at < count ? size - at : count;

			memset(buf, 0, count);
			memcpy(buf, data + at, have);
			at += have;
			ret = sim_vfio_write(&v->vdev, buf, count, pos);
		} else {
			ret = sim_vfio_read(&v->vdev, buf, count, pos);
		}
		if (ret > (ssize_t)count || ret < -4095)
			fuzz_fail("neither a byte count nor an errno", (long)ret);
		/* the importer keeps using what it imported */
		if (mr)
			sim_nic_mr_read(mr, 0, probe, sizeof(probe));
	}

	sim_nic_dereg_mr(mr);
	if (fd >= 0 && sim_fd_close(m, fd))
		fuzz_fail("the dma-buf fd does not close", fd);
	sim_vfio_close(&v->vdev);
	if (sim_vfio_pci_dma_buf_count(v))
		fuzz_fail("exports left after close", sim_vfio_pci_dma_buf_count(v));
	/* the NIC's driver keeps state once it imported (see fuzz_vfio_feature.c) */
	if (!mr && sim_alloc_live(m) != live)
		fuzz_fail("allocations left behind", sim_alloc_live(m) - live);
	vfio_pci_core_unregister_device(v);
	vfio_put_device(&v->vdev);
	sim_machine_destroy(m);
	free(buf);
	return 0;
}

#ifndef DMASTACK_LIBFUZZER
#include "fuzz_driver.h"

int main(int argc, char **argv)
{
	return fuzz_main(argc, argv);
}
#endif
