// SPDX-License-Identifier: MIT
/*
 * The built-in platforms: the main job's and the workloads' machines (-p
 * replaces them in run), listed and printed by `dmastack platforms`. Each
 * text is platform-file syntax, so what is printed loads again with -p.
 */
#include "wl.h"

/*
 * A GPU and a NIC below one switch without ACS: peer-to-peer stays below
 * it (the main job's and `run dmabuf-p2p path=switch`'s machine).
 */
const char cli_p2p_switch_platform[] =
	"# dmastack built-in platform p2p-switch: a GPU and a NIC below one\n"
	"# switch without ACS, so peer-to-peer stays below the switch\n"
	"machine    name=p2p-switch arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0\n"
	"switch     id=sw0 bus=rp0 acs=off\n"
	"gpu        id=gpu0 bus=sw0 bar0=16M bar2=8G flr=yes\n"
	"nic        id=nic0 bus=sw0 bar0=1M dma-bits=64\n";

/* The GPU and the NIC on separate root ports: through the host bridge. */
const char cli_p2p_hostbridge_platform[] =
	"# dmastack built-in platform p2p-hostbridge: a GPU and a NIC on two\n"
	"# root ports with ACS, so peer-to-peer goes through the host bridge\n"
	"machine    name=p2p-hostbridge arch=x86_64 ram=4G cpus=2\n"
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
	"# dmastack built-in platform bounce: a 32-bit DMA engine without an\n"
	"# IOMMU, and an untrusted one behind a strict IOMMU\n"
	"machine    name=bounce arch=x86_64 ram=8G cpus=2\n"
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
	"# dmastack built-in platform arm64-noncoherent: an arm64 SoC whose DMA\n"
	"# engine does not snoop the CPU caches\n"
	"machine    name=arm64-noncoherent arch=arm64 ram=4G cpus=2\n"
	"swiotlb    size=16M\n"
	"hostbridge id=pcie0\n"
	"rootport   id=rp0 bus=pcie0\n"
	"dmaengine  id=tb0 bus=rp0 dma-bits=64 coherent=no\n";

/* arm64 with an SMMU using a 64K granule. */
const char cli_arm64_64k_platform[] =
	"# dmastack built-in platform arm64-64k: an arm64 SMMU with a 64K granule\n"
	"machine    name=arm64-64k arch=arm64 ram=8G cpus=4\n"
	"swiotlb    size=32M\n"
	"iommu      id=smmu0 format=arm64-lpae granule=64K mode=lazy\n"
	"hostbridge id=pcie0 iommu=smmu0 p2p=allow\n"
	"rootport   id=rp0 bus=pcie0 acs=on\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K coherent=yes\n";

/* A confidential guest: every streaming mapping bounces (swiotlb force). */
const char cli_cc_guest_platform[] =
	"# A confidential guest: every streaming mapping is bounced through the\n"
	"# shared swiotlb pool; devices cannot reach private memory.\n"
	"machine    name=cc-guest arch=x86_64 ram=8G cpus=4\n"
	"swiotlb    size=64M force=yes\n"
	"hostbridge id=hb0\n"
	"rootport   id=rp0 bus=hb0\n"
	"nvme       id=nvme0 bus=rp0 bar0=16K\n";

const struct cli_platform cli_platforms[] = {
	{ "default", NULL,
	  "the embedded x86 server (epyc-server): lazy IOMMU, NVMe with a CMB and a NIC below a switch, a GPU, an untrusted 32-bit non-coherent DMA engine" },
	{ "p2p-switch", cli_p2p_switch_platform,
	  "a GPU and a NIC below one switch without ACS (P2P by bus address)" },
	{ "p2p-hostbridge", cli_p2p_hostbridge_platform,
	  "a GPU and a NIC on two root ports (P2P through the host bridge and IOMMU)" },
	{ "bounce", cli_bounce_platform,
	  "a 32-bit DMA engine without IOMMU and an untrusted one behind a strict IOMMU" },
	{ "arm64-noncoherent", cli_noncoherent_platform,
	  "an arm64 SoC with a DMA engine that does not snoop the CPU caches" },
	{ "arm64-64k", cli_arm64_64k_platform,
	  "an arm64 SMMU with a 64K granule and an NVMe drive behind it" },
	{ "cc-guest", cli_cc_guest_platform,
	  "a confidential guest: every streaming mapping bounces through swiotlb" },
};
const unsigned int cli_nr_platforms = ARRAY_SIZE(cli_platforms);

const char *cli_platform_text_of(const struct cli_platform *p)
{
	return p->text ? p->text : sim_default_platform_text();
}

const struct cli_platform *cli_platform_find(const char *name)
{
	for (unsigned int i = 0; i < cli_nr_platforms; i++)
		if (!strcmp(cli_platforms[i].name, name))
			return &cli_platforms[i];
	/* the machine's own name= too (epyc-server is the default) */
	for (unsigned int i = 0; i < cli_nr_platforms; i++) {
		const struct cli_platform *p = &cli_platforms[i];
		char err[256];
		struct sim_machine *m = sim_machine_parse(cli_platform_text_of(p),
							  err, sizeof(err));
		bool same = m && !strcmp(sim_machine_name(m), name);

		sim_machine_destroy(m);
		if (same)
			return p;
	}
	return NULL;
}
