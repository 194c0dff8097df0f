/* SPDX-License-Identifier: MIT */
/*
 * What the VFIO fuzz targets (fuzz_vfio_feature.c, fuzz_vfio_rw.c) share:
 * their machine, and an open of the device that leaves behind only what
 * the input's own calls make.
 */
#ifndef DMASTACK_FUZZ_VFIO_H
#define DMASTACK_FUZZ_VFIO_H

#include <dmastack/dmastack.h>

/* gpu0 and nic0 below a switch behind an IOMMU; gpu1 on a bridge without */
#define FUZZ_VFIO_PLATFORM						\
	"machine name=fuzz-vfio arch=x86_64 ram=256M ram-below-4g=128M\n" \
	"swiotlb size=4M\n"						\
	"iommu id=io0 format=x86_64 mode=strict\n"			\
	"hostbridge id=hb0 p2p=allow iommu=io0\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"switch id=sw0 bus=rp0 acs=off\n"				\
	"gpu id=gpu0 bus=sw0 bar0=64K bar2=4M flr=yes\n"		\
	"nic id=nic0 bus=sw0 bar0=64K\n"					\
	"hostbridge id=hb1 p2p=allow\n"					\
	"rootport id=rq0 bus=hb1\n"					\
	"gpu id=gpu1 bus=rq0 bar0=64K bar2=4M flr=yes\n"

/*
 * Open @v once and close it (what the first open creates for good, the
 * group's DMA ownership state, is then there), note what is allocated in
 * *@live, and open it for the input.
 */
static inline int open_warm(struct sim_machine *m,
			    struct vfio_pci_core_device *v, long *live)
{
	int ret = sim_vfio_open(&v->vdev);

	if (ret)
		return ret;
	sim_vfio_close(&v->vdev);
	*live = sim_alloc_live(m);
	return sim_vfio_open(&v->vdev);
}

#endif /* DMASTACK_FUZZ_VFIO_H */
