// SPDX-License-Identifier: MIT
/*
 * The seed's peer-to-peer flow: a GPU BAR exported through VFIO as a
 * dma-buf, imported by the NIC as a memory region, DMA verified both ways,
 * memory decode turned off and an FLR in the middle revoking and restoring
 * it, close revoking it for good.
 */
#include <stdlib.h>
#include "wl.h"

/*
 * VFIO_DEVICE_FEATURE_GET of DMA_BUF for @nr (at most 4) ranges of BAR
 * @bar of the open device @v: the dma-buf fd, or -errno.
 */
static int vfio_export(struct vfio_pci_core_device *v, u32 bar,
		       const struct vfio_region_dma_range *r, u32 nr)
{
	union {
		struct vfio_device_feature hdr;
		u8 bytes[sizeof(struct vfio_device_feature) +
			 sizeof(struct vfio_device_feature_dma_buf) +
			 4 * sizeof(struct vfio_region_dma_range)];
	} u;
	struct vfio_device_feature_dma_buf *db = (void *)u.hdr.data;
	size_t len = sizeof(u.hdr) + sizeof(*db) + nr * sizeof(*r);

	if (nr > 4)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.hdr.argsz = (u32)len;
	u.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, r, nr * sizeof(*r));
	return (int)sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_FEATURE, u.bytes, len);
}

/* Write the command register through @v's config region: 0 or -EIO. */
static int vfio_set_command(struct vfio_pci_core_device *v, u16 cmd)
{
	return sim_vfio_write(&v->vdev, &cmd, sizeof(cmd),
				   VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
				   PCI_COMMAND) == sizeof(cmd) ? 0 : -EIO;
}

/*
 * cli_wl_dmabuf_p2p - @o->dev (gpu0) bound to vfio-pci, two ranges of
 * @o->size (64K) at @o->dmabuf.off (1M and 4M; 0: size and 3 x size) of its
 * BAR 2 exported as one dma-buf, imported by the NIC @o->peer (nic0), which
 * must reach the BAR as @o->dmabuf.type (@o->dmabuf.path says how).
 */
CLI_WORKLOAD(cli_wl_dmabuf_p2p)
{
	struct device *gdev = WL_DEV("gpu0", "the exporter, with a memory BAR 2");
	struct device *nic = WL_PEER("nic0", "the importer, a nic");
	const u64 size = o->size ? o->size : SZ_64K;
	const enum pci_p2pdma_map_type type = o->dmabuf.type;
	struct vfio_region_dma_range r[2];
	struct vfio_pci_core_device *v;
	struct sim_nic_mr_stats st;
	struct sim_nic_mr *mr;
	const char *gid, *nid;
	u8 *want = NULL, *got = NULL;
	phys_addr_t bar2;
	char b1[32];
	u16 cmd;
	int fd;

	if (!gdev || !nic)
		return -ENODEV;
	gid = sim_device_id(gdev);
	nid = sim_device_id(nic);
	for (int i = 0; i < 2; i++)
		r[i] = (struct vfio_region_dma_range){
			.offset = o->dmabuf.off[i] ? o->dmabuf.off[i] : (2 * i + 1) * size,
			.length = size,
		};
	if (!to_pci_dev(gdev) ||
	    pci_resource_len(to_pci_dev(gdev), 2) < max(r[0].offset, r[1].offset) + size) {
		snprintf(err, errlen, "%s has no BAR 2 that holds both ranges (%s at %#llx and %#llx)",
			 gid, fmt_bytes(b1, sizeof(b1), size),
			 (unsigned long long)r[0].offset, (unsigned long long)r[1].offset);
		return -EINVAL;
	}
	if (!size || size % PAGE_SIZE || r[0].offset % PAGE_SIZE || r[1].offset % PAGE_SIZE) {
		snprintf(err, errlen, "the ranges must be whole pages");
		return -EINVAL;
	}
	want = malloc(2 * size);
	got = malloc(2 * size);
	if (!want || !got) {
		wl_check(out, "allocated_buffers", false, false, "allocated %s of buffers",
			 fmt_bytes(b1, sizeof(b1), 4 * size));
		goto out_free;
	}
	fmt_bytes(b1, sizeof(b1), 2 * size);

	v = vfio_alloc_device(vfio_pci_core_device, vdev, gdev, &sim_vfio_pci_ops);
	if (!wl_check(out, "vfio_pci_bound", !IS_ERR(v), false, "vfio-pci bound to %s", gid))
		goto out_free;
	v->pci_ops = &sim_vfio_pci_dev_ops;
	if (!wl_check(out, "device_opened_dma_ownership", vfio_pci_core_register_device(v) == 0 &&
			   sim_vfio_open(&v->vdev) == 0, false,
		      "device opened (DMA ownership of its IOMMU group claimed)"))
		goto out_put;
	bar2 = pci_resource_start(to_pci_dev(gdev), 2);
	wl_check(out, "reaches_s_bar_2", pci_p2pdma_map_type(pcim_p2pdma_provider(to_pci_dev(gdev), 2),
					  nic) == type, false,
		 "%s reaches %s's BAR 2 as %s", nid, gid, sim_p2pdma_map_type_name(type));
	fd = vfio_export(v, 2, r, 2);
	if (!wl_check(out, "vfio_device_feature_dma", fd >= 0, false,
		      "VFIO_DEVICE_FEATURE_DMA_BUF: 2 ranges of BAR 2 exported as dma-buf fd %d", fd))
		goto out_close;
	mr = sim_nic_reg_dmabuf_mr(nic, fd, 0, 2 * size, DMA_BIDIRECTIONAL);
	sim_fd_close(m, fd);
	if (!wl_check(out, "registered_memory_region_dynamic", !IS_ERR(mr), false,
		      "%s registered it as a memory region (dynamic attach, peer2peer, %s)",
		      nid, o->dmabuf.path ? o->dmabuf.path : sim_p2pdma_map_type_name(type)))
		goto out_close;

	wl_fill(want, 2 * size, 40);
	sim_mmio_write(m, bar2 + r[0].offset, want, size);
	sim_mmio_write(m, bar2 + r[1].offset, want + size, size);
	wl_check(out, "nic_read_gpu_memory", sim_nic_mr_read(mr, 0, got, 2 * size) == 0 &&
		      wl_same(got, want, 2 * size), false,
		 "NIC read %s of GPU memory across both ranges", b1);
	wl_fill(want, 2 * size, 41);
	wl_check(out, "nic_wrote_into_gpu", sim_nic_mr_write(mr, 0, want, 2 * size) == 0 &&
		      sim_mmio_read(m, bar2 + r[0].offset, got, size) == 0 &&
		      sim_mmio_read(m, bar2 + r[1].offset, got + size, size) == 0 &&
		      wl_same(got, want, 2 * size), false,
		 "NIC wrote %s into GPU memory; the CPU reads it back from the BAR", b1);

	pci_read_config_word(to_pci_dev(gdev), PCI_COMMAND, &cmd);
	vfio_set_command(v, cmd & ~PCI_COMMAND_MEMORY);
	sim_nic_mr_stats(mr, &st);
	wl_check(out, "memory_decode_off_through", st.invalidations == 1 && !sim_nic_mr_mapped(mr), false,
		 "memory decode off through VFIO: move_notify, the NIC unmapped");
	wl_check(out, "while_revoked_nic_cannot", sim_nic_mr_read(mr, 0, got, 64) == -ENODEV, false,
		 "while revoked the NIC cannot map it again (-ENODEV), nothing reaches the BAR");
	vfio_set_command(v, cmd);
	wl_check(out, "memory_decode_nic_maps", sim_nic_mr_read(mr, 0, got, size) == 0 && wl_same(got, want, size),
		 false, "memory decode on: the NIC maps again on its next access");

	wl_check(out, "vfio_device_reset_flr", sim_vfio_ioctl(&v->vdev, VFIO_DEVICE_RESET, NULL, 0) == 0, false,
		 "VFIO_DEVICE_RESET: an FLR, exports revoked around it");
	sim_nic_mr_stats(mr, &st);
	wl_check(out, "nic_told_move_notify", st.invalidations == 2, false,
		 "the NIC was told (move_notify) before the reset");
	wl_fill(want, size, 42);
	sim_mmio_write(m, bar2 + r[1].offset, want, size);
	wl_check(out, "after_flr_nic_maps", sim_nic_mr_read(mr, size, got, size) == 0 &&
		      wl_same(got, want, size), false,
		 "after the FLR the NIC maps again and reads the GPU's new contents");

	sim_vfio_close(&v->vdev);
	wl_check(out, "close_revoked_export_good", sim_nic_mr_read(mr, 0, got, 64) == -ENODEV, false,
		 "close revoked the export for good: the NIC's region is dead");
	sim_nic_dereg_mr(mr);
	wl_check(out, "exports_registration_reference_gone", sim_vfio_registration_count(&v->vdev) == 1, false,
		 "the export's registration reference is gone");
	goto out_unregister;

out_close:
	sim_vfio_close(&v->vdev);
out_unregister:
	vfio_pci_core_unregister_device(v);
out_put:
	vfio_put_device(&v->vdev);
out_free:
	free(want);
	free(got);
	sim_iommu_flush_queue(nic);
	return 0;
}
