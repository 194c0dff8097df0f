// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the VFIO device ioctls as a hostile user calls them:
 * VFIO_DEVICE_FEATURE with any argsz, flags and payload (the DMA_BUF
 * feature's region, ranges and flags among them), and the region-info,
 * reset and hot-reset ioctls, on plain vfio-pci functions and an
 * nvgrace-like variant.
 *
 * Input: byte 0 picks the device (bits 0-1) and the ioctl (bits 2-3:
 * VFIO_DEVICE_FEATURE twice as often as the others); byte 1 says what to do
 * with an exported dma-buf before closing everything (bit 0: a NIC imports
 * and reads it; bit 1: memory decode off and on; bit 2: a device reset);
 * the rest is the user's argument buffer, exactly that long.
 *
 * Every input runs on a fresh machine. It must give the kernel's answer
 * shape (0, an fd for DMA_BUF GET, or a negative errno), an fd must be a
 * dma-buf of exactly the requested ranges' size, and after the fds and the
 * device are closed no export is left and nothing stays allocated (but
 * what the NIC's driver keeps once it imported).
 *
 * make fuzz builds it with libFuzzer; the suite runs tests/fuzz_driver.h's
 * replay of tests/fuzz-corpus/vfio_feature plus mutants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/dmastack.h>
#include <dmastack/nic.h>
#include "fuzz_vfio.h"

#define PLATFORM	FUZZ_VFIO_PLATFORM

#define NVGRACE_ORDER	4	/* 64 KiB of RAM behind the variant's region */

static void fuzz_fail(const char *what, long v)
{
	fprintf(stderr, "fuzz_vfio_feature: %s (%ld)\n", what, v);
	abort();
}

/* What the argument asks for: a DMA_BUF GET, and the ranges' total size. */
static bool dmabuf_get(const uint8_t *arg, size_t len, uint64_t *total)
{
	struct vfio_device_feature hdr;
	struct vfio_device_feature_dma_buf db;
	size_t at = sizeof(hdr) + sizeof(db);

	*total = 0;
	if (len < at)
		return false;
	memcpy(&hdr, arg, sizeof(hdr));
	memcpy(&db, arg + sizeof(hdr), sizeof(db));
	/* a PROBE only says whether GET is supported: 0, no fd */
	if ((hdr.flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_DMA_BUF ||
	    !(hdr.flags & VFIO_DEVICE_FEATURE_GET) ||
	    (hdr.flags & VFIO_DEVICE_FEATURE_PROBE))
		return false;
	for (uint32_t i = 0; i < db.nr_ranges && at + 16 <= len; i++, at += 16) {
		struct vfio_region_dma_range r;

		memcpy(&r, arg + at, sizeof(r));
		*total += r.length;
	}
	return true;
}

static void cfg_command(struct vfio_pci_core_device *v, uint16_t cmd)
{
	sim_vfio_write(&v->vdev, &cmd, sizeof(cmd),
		       VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
		       PCI_COMMAND);
}

/* What a user and an importer may do with an export before closing. */
static void use_export(struct sim_machine *m, struct vfio_pci_core_device *v,
		       int fd, uint64_t total, uint8_t how)
{
	struct dma_buf *d = dma_buf_get(fd);
	struct sim_nic_mr *mr = NULL;
	uint8_t buf[64];

	if (IS_ERR_OR_NULL(d))
		fuzz_fail("the returned fd is not a dma-buf", PTR_ERR(d));
	if (d->size != total)
		fuzz_fail("the dma-buf's size is not the ranges' total", (long)d->size);
	dma_buf_put(d);
	if (how & 1) {
		mr = sim_nic_reg_dmabuf_mr(sim_device(m, "nic0"), fd, 0,
					   total < sizeof(buf) ? total : sizeof(buf),
					   DMA_BIDIRECTIONAL);
		if (!IS_ERR(mr))
			sim_nic_mr_read(mr, 0, buf, total < sizeof(buf) ? total : sizeof(buf));
	}
	if (how & 2) {
		cfg_command(v, PCI_COMMAND_MASTER);
		if (!IS_ERR_OR_NULL(mr))
			sim_nic_mr_read(mr, 0, buf, 8);
		cfg_command(v, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	}
	if (how & 4)
		sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0);
	if (!IS_ERR_OR_NULL(mr)) {
		sim_nic_mr_read(mr, 0, buf, 8);
		sim_nic_dereg_mr(mr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int cmds[] = {
		VFIO_DEVICE_FEATURE, VFIO_DEVICE_FEATURE,
		VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_RESET,
	};
	struct vfio_pci_core_device *v;
	struct sim_machine *m;
	struct page *mem = NULL;
	unsigned int which, cmd;
	uint64_t total = 0;
	bool get, imported = false;
	char err[256];
	long live;
	uint8_t *arg;
	size_t len;
	long ret;

	if (size < 2)
		return 0;
	which = data[0] & 3;
	cmd = cmds[(data[0] >> 2) & 3];
	if (((data[0] >> 4) & 3) == 3 && cmd == VFIO_DEVICE_RESET)
		cmd = VFIO_DEVICE_PCI_HOT_RESET;
	len = size - 2;
	arg = malloc(len ? len : 1);	/* exactly the user's bytes: ASan sees overreads */
	m = sim_machine_parse(PLATFORM, err, sizeof(err));
	if (!m || !arg)
		fuzz_fail("no machine", 0);
	memcpy(arg, data + 2, len);
	if (which == 2) {
		mem = sim_alloc_pages(m, NVGRACE_ORDER);
		if (!mem)
			fuzz_fail("no memory for the variant", 0);
		v = sim_vfio_nvgrace_alloc_device(sim_device(m, "gpu0"), page_to_phys(mem),
						  PAGE_SIZE << NVGRACE_ORDER);
	} else {
		v = vfio_alloc_device(vfio_pci_core_device, vdev,
				      sim_device(m, which == 1 ? "gpu1" : "gpu0"),
				      &sim_vfio_pci_ops);
		if (!IS_ERR(v))
			v->pci_ops = &sim_vfio_pci_dev_ops;
	}
	if (IS_ERR(v) || vfio_pci_core_register_device(v) || open_warm(m, v, &live))
		fuzz_fail("the device does not open", 0);

	get = cmd == VFIO_DEVICE_FEATURE && dmabuf_get(arg, len, &total);
	ret = sim_vfio_ioctl(&v->vdev, cmd, len ? arg : NULL, len);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "device %u ioctl %#x, %zu bytes: %ld\n", which, cmd, len, ret);
	if (ret < -4095)
		fuzz_fail("not an errno", ret);
	if (ret > 0 && !get)
		fuzz_fail("a positive return without a DMA_BUF GET", ret);
	if (ret >= 0 && get) {
		imported = data[1] & 1;
		use_export(m, v, (int)ret, total, data[1]);
		if (sim_fd_close(m, (int)ret))
			fuzz_fail("the dma-buf fd does not close", ret);
	}

	sim_vfio_close(&v->vdev);
	if (sim_vfio_pci_dma_buf_count(v))
		fuzz_fail("exports left after close", sim_vfio_pci_dma_buf_count(v));
	/*
	 * Nothing allocated since the warm open; unless the NIC imported: its
	 * driver and its IOMMU domain keep state (page tables) for later
	 * registrations, and the sanitizers watch that path.
	 */
	if (!imported && sim_alloc_live(m) != live)
		fuzz_fail("allocations left behind", sim_alloc_live(m) - live);
	vfio_pci_core_unregister_device(v);
	vfio_put_device(&v->vdev);
	if (mem)
		sim_free_pages(m, mem, NVGRACE_ORDER);
	sim_machine_destroy(m);
	free(arg);
	return 0;
}

#ifndef DMASTACK_LIBFUZZER
#include "fuzz_driver.h"

int main(int argc, char **argv)
{
	return fuzz_main(argc, argv);
}
#endif
