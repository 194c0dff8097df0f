/* SPDX-License-Identifier: MIT */
/*
 * <dmastack/pci-p2pdma.h>: the kernel's <linux/pci-p2pdma.h> (dmastack/linux/pci-p2pdma.h, what
 * kernel code includes with the dmastack-kernel cflags) and what dmastack
 * adds to it for programs.
 */
#ifndef _DMASTACK_PCI_P2PDMA_H
#define _DMASTACK_PCI_P2PDMA_H

#include "linux/pci-p2pdma.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the machine: why a map type is what it is ------------------------- */

#define SIM_P2P_PATH_MAX	16

/* One node on the path from the client up and down to the provider. */
struct sim_p2p_hop {
	const char *id;			/* platform id */
	const char *kind;		/* "rootport", "switch-up", "switch-down", ... */
	u16 acs_ctrl;			/* ACS control of a downstream/root port */
	bool redirects;			/* ACS RR, CR or EC here (the kernel's pci_bridge_has_acs_redir()) */
};

struct sim_p2p_explain {
	enum pci_p2pdma_map_type type;
	int distance;			/* -1 when not supported */
	const char *common;		/* id of the common upstream bridge, or NULL */
	const char *host_bridge;	/* host bridge reached, or NULL */
	bool host_bridge_p2p;		/* its allowlist entry (p2p=allow) */
	unsigned int nr_hops;
	struct sim_p2p_hop hops[SIM_P2P_PATH_MAX];
	char reason[256];		/* the deciding fact, one sentence */
	char change[256];		/* what would change the answer */
};

/*
 * Compute (without caching) @client's map type for @provider and the path
 * that decided it. 0, or -EINVAL for a non-PCI provider.
 */
int sim_p2pdma_explain(struct p2pdma_provider *provider, struct device *client,
		       struct sim_p2p_explain *out);
const char *sim_p2pdma_map_type_name(enum pci_p2pdma_map_type type);

#ifdef __cplusplus
}
#endif

#endif /* _DMASTACK_PCI_P2PDMA_H */
