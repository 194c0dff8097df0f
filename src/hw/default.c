// SPDX-License-Identifier: MIT
/*
 * The embedded default platform: a two-socket-class x86 server behind a
 * lazy-mode IOMMU, with a PCIe switch holding an NVMe drive (with a
 * controller memory buffer) and a NIC,
 * a GPU with a 64 GiB BAR behind an ACS-enabled root port, and an untrusted,
 * non-coherent, 32-bit DMA engine (think Thunderbolt) on a third port.
 * The same text is examples/default.platform.
 */
#include "hw/machine.h"

static const char default_platform[] =
	"# dmastack default platform: an x86 server\n"
	"machine    name=epyc-server arch=x86_64 ram=64G cpus=8\n"
	"swiotlb    size=64M\n"
	"iommu      id=iommu0 format=x86_64 mode=lazy granule=4K\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0 acs=off\n"
	"switch     id=sw0 bus=rp0 acs=off\n"
	"nvme       id=nvme0 bus=sw0 bar0=16K cmb=64M flr=yes\n"
	"nic        id=nic0 bus=sw0 bar0=1M dma-bits=64\n"
	"rootport   id=rp1 bus=hb0 acs=rr,cr\n"
	"gpu        id=gpu0 bus=rp1 bar0=16M bar2=64G flr=yes\n"
	"rootport   id=rp2 bus=hb0\n"
	"dmaengine  id=tb0 bus=rp2 untrusted=yes dma-bits=32 coherent=no\n";

const char *sim_default_platform_text(void)
{
	return default_platform;
}
