// SPDX-License-Identifier: MIT
/* The built-in platforms of the workloads (-p replaces them in run). */
#include "wl.h"

/*
 * A GPU and a NIC below one switch without ACS: peer-to-peer stays below
 * it (the main job's and `run dmabuf-p2p path=switch`'s machine).
 */
const char cli_p2p_switch_platform[] =
	"machine    name=p2p-switch arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0\n"
	"switch     id=sw0 bus=rp0 acs=off\n"
	"gpu        id=gpu0 bus=sw0 bar0=16M bar2=8G flr=yes\n"
	"nic        id=nic0 bus=sw0 bar0=1M dma-bits=64\n";

/* The GPU and the NIC on separate root ports: through the host bridge. */
const char cli_p2p_hostbridge_platform[] =
	"machine    name=run-p2p-hostbridge arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=lazy\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0 acs=on\n"
	"gpu        id=gpu0 bus=rp0 bar0=16M bar2=4G flr=yes\n"
	"rootport   id=rp1 bus=hb0 acs=on\n"
	"nic        id=nic0 bus=rp1 bar0=1M dma-bits=64\n";

/*
 * dma32: a 32-bit device without an IOMMU; untrusted: an untrusted device
 * behind a strict IOMMU (iommu-dma bounces what it cannot map whole).
 */
const char cli_bounce_platform[] =
	"machine    name=run-bounce arch=x86_64 ram=8G cpus=2\n"
	"swiotlb    size=64M\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0\n"
	"rootport   id=rp0 bus=hb0\n"
	"dmaengine  id=tb0 bus=rp0 dma-bits=32 coherent=yes\n"
	"hostbridge id=hb1 iommu=iommu0\n"
	"rootport   id=rp1 bus=hb1 acs=on\n"
	"dmaengine  id=ut0 bus=rp1 untrusted=yes dma-bits=64 coherent=yes\n";

/* An arm64 SoC whose DMA engine does not snoop the CPU caches. */
const char cli_noncoherent_platform[] =
	"machine    name=run-arm64-noncoherent arch=arm64 ram=4G cpus=2\n"
	"swiotlb    size=16M\n"
	"hostbridge id=pcie0\n"
	"rootport   id=rp0 bus=pcie0\n"
	"dmaengine  id=dma0 bus=rp0 dma-bits=64 coherent=no\n";

/* arm64 with an SMMU using a 64K granule. */
const char cli_arm64_64k_platform[] =
	"machine    name=arm64-64k arch=arm64 ram=8G cpus=4\n"
	"swiotlb    size=32M\n"
	"iommu      id=smmu0 format=arm64-lpae granule=64K mode=lazy\n"
	"hostbridge id=pcie0 iommu=smmu0 p2p=allow\n"
	"rootport   id=rp0 bus=pcie0 acs=on\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K coherent=yes\n";

/* A confidential guest: every streaming mapping bounces (swiotlb force). */
const char cli_cc_guest_platform[] =
	"machine    name=cc-guest arch=x86_64 ram=8G cpus=4\n"
	"swiotlb    size=64M force=yes\n"
	"hostbridge id=hb0\n"
	"rootport   id=rp0 bus=hb0\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K\n";
