// SPDX-License-Identifier: MIT
/*
 * The PCIe hierarchy: host bridges, root ports, switches (an upstream port
 * and one downstream port per child), endpoints; bus numbering, BAR
 * placement in the host bridge windows, a config space per function with
 * the command register, power management, PCIe (FLR), Advanced Features
 * (FLR, on pcidev functions) and ACS capabilities, secondary bus reset,
 * and the kernel-style helpers drivers use on a struct pci_dev.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hw/machine.h"

#define CAP_PM		0x40
#define CAP_EXP		0x50
#define CAP_AF		0x90
#define ECAP_ACS	0x100
#define ECAP_SRIOV	0x100	/* endpoints: no ACS there */

static inline void cfg_w8(u8 *c, int off, u8 v) { c[off] = v; }
static inline void cfg_w16(u8 *c, int off, u16 v) { memcpy(c + off, &v, 2); }
static inline void cfg_w32(u8 *c, int off, u32 v) { memcpy(c + off, &v, 4); }
static inline u16 cfg_r16(const u8 *c, int off) { u16 v; memcpy(&v, c + off, 2); return v; }
static inline u32 cfg_r32(const u8 *c, int off) { u32 v; memcpy(&v, c + off, 4); return v; }

/* FNV-1a of a node id: the bucket of m->node_hash (cap_nodes buckets). */
static unsigned int id_hash(const char *id, unsigned int buckets)
{
	u32 h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (u8)*id) * 16777619u;
	return h & (buckets - 1);
}

/*
 * Grow the node array and the id hash together (doubling: appends are
 * amortized O(1), look-ups O(1)); 0 or -ENOMEM with nothing changed.
 */
static int nodes_grow(struct sim_machine *m)
{
	unsigned int cap = m->cap_nodes ? m->cap_nodes * 2 : 16;
	struct sim_node **nodes = sim_kcalloc(m, cap, sizeof(*nodes));
	struct sim_node **hash = sim_kcalloc(m, cap, sizeof(*hash));

	if (!nodes || !hash) {
		sim_kfree(m, nodes);
		sim_kfree(m, hash);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];
		unsigned int b = id_hash(n->id, cap);

		nodes[i] = n;
		n->hash_next = hash[b];
		hash[b] = n;
	}
	sim_kfree(m, m->nodes);
	sim_kfree(m, m->node_hash);
	m->nodes = nodes;
	m->node_hash = hash;
	m->cap_nodes = cap;
	return 0;
}

struct sim_node *sim_node_new(struct sim_machine *m, enum sim_node_kind kind,
			      const char *id, struct sim_node *parent)
{
	struct sim_node *n;
	unsigned int b;

	if (m->nr_nodes == m->cap_nodes && nodes_grow(m))
		return NULL;
	n = sim_kzalloc(m, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->parent = parent;
	if (parent) {
		if (parent->last_child)
			parent->last_child->next_sibling = n;
		else
			parent->first_child = n;
		parent->last_child = n;
		n->hb = parent->hb;
		n->depth = parent->depth + 1;
	} else {
		n->hb = n;
	}
	m->nodes[m->nr_nodes++] = n;
	b = id_hash(n->id, m->cap_nodes);
	n->hash_next = m->node_hash[b];
	m->node_hash[b] = n;
	return n;
}

struct sim_node *sim_node_find(struct sim_machine *m, const char *id)
{
	if (!m->node_hash || !id)
		return NULL;
	for (struct sim_node *n = m->node_hash[id_hash(id, m->cap_nodes)]; n;
	     n = n->hash_next)
		if (!strcmp(n->id, id))
			return n;
	return NULL;
}

struct sim_node *sim_node_of_dev(struct device *dev)
{
	return dev->sim_state ? dev->sim_state->node : NULL;
}

static void sim_bar_fini(struct sim_bar *bar)
{
	if (bar->backing)
		munmap(bar->backing, bar->size);
	bar->backing = NULL;
}

void sim_pci_fn_fini(struct sim_machine *m, struct sim_node *node)
{
	struct sim_pci_fn *fn = node->fn;

	if (!fn)
		return;
	/* The model may use its BARs until it is released. */
	if (fn->model.release)
		fn->model.release(m, fn->model.data);
	fn->model.release = NULL;
	fn->model.data = NULL;
	for (int i = 0; i < PCI_STD_NUM_BARS; i++)
		sim_bar_fini(&fn->bars[i]);
	if (fn->pdev.dev.sim_state)
		sim_kfree(m, (void *)fn->pdev.dev.sim_state->id);
	sim_kfree(m, fn->pdev.dev.sim_state);
	sim_kfree(m, (void *)fn->pdev.dev.name);
	sim_kfree(m, fn);
	node->fn = NULL;
}

void sim_topology_fini(struct sim_machine *m)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		sim_pci_fn_fini(m, n);
		sim_kfree(m, n->hostbridge);
		sim_kfree(m, n);
	}
	sim_kfree(m, m->nodes);
	sim_kfree(m, m->node_hash);
	sim_kfree(m, m->bar_index);
	sim_kfree(m, m->hostbridges);
	m->bar_index = NULL;
	m->hostbridges = NULL;
	m->nr_bar_index = m->nr_hostbridges = 0;
	sim_kfree(m, m->devices);
	m->node_hash = NULL;
	m->nodes = NULL;
	m->devices = NULL;
	m->nr_nodes = m->nr_devices = m->cap_nodes = 0;
}

/* ------------------------------------------------------------------------ */
/* Config space                                                             */
/* ------------------------------------------------------------------------ */

static const struct {
	const char *kind;
	u16 vendor, device;
	u32 class;
} kind_ids[] = {
	{ "nvme",	0x144d, 0xa80a, 0x010802 },
	{ "nic",	0x15b3, 0x1021, 0x020000 },
	{ "gpu",	0x10de, 0x2335, 0x030200 },
	{ "dmaengine",	0x8086, 0x0b25, 0x088000 },
	{ "pcidev",	0x1b36, 0x0005, 0x00ff00 },
	{ "rootport",	0x8086, 0x347a, 0x060400 },
	{ "switch",	0x10b5, 0x8747, 0x060400 },
	{ "switch-port", 0x10b5, 0x8747, 0x060400 },
};

static void cfg_init(struct sim_node *node)
{
	struct sim_pci_fn *fn = node->fn;
	u8 *c = fn->config;
	bool bridge = node->kind != SIM_NODE_ENDPOINT;
	u16 vendor = 0x1b36, device = 0x0005;
	u32 class = 0x00ff00;
	u16 exp_flags;

	for (size_t i = 0; i < ARRAY_SIZE(kind_ids); i++)
		if (!strcmp(kind_ids[i].kind, node->kindname)) {
			vendor = kind_ids[i].vendor;
			device = kind_ids[i].device;
			class = kind_ids[i].class;
		}
	if (node->pf) {
		/* a VF: the PF's vendor and class, the VF Device ID */
		const struct pci_dev *pf = &node->pf->fn->pdev;

		vendor = pf->vendor;
		device = node->pf->vf_device ? node->pf->vf_device : pf->device;
		class = pf->class;
		fn->pdev.is_virtfn = 1;
		fn->pdev.physfn = &node->pf->fn->pdev;
	}
	if (fn->pdev.vendor)
		vendor = fn->pdev.vendor;
	/* device=0 given on the line is an ID, not "unset" */
	if (fn->pdev.device || node->device_set)
		device = fn->pdev.device;
	fn->pdev.vendor = vendor;
	fn->pdev.device = device;
	fn->pdev.class = class;

	cfg_w16(c, PCI_VENDOR_ID, vendor);
	cfg_w16(c, PCI_DEVICE_ID, device);
	cfg_w32(c, PCI_CLASS_REVISION, (class << 8) | 0x01);
	cfg_w8(c, PCI_HEADER_TYPE, bridge ? 1 : 0);
	cfg_w16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg_w8(c, PCI_CAPABILITY_LIST, CAP_PM);

	/* Power management: D0, No_Soft_Reset so D3hot->D0 keeps state. */
	fn->pm_cap = CAP_PM;
	cfg_w8(c, CAP_PM, PCI_CAP_ID_PM);
	cfg_w8(c, CAP_PM + 1, CAP_EXP);
	cfg_w16(c, CAP_PM + 2, 0x0003);
	cfg_w16(c, CAP_PM + PCI_PM_CTRL, 0x0008);

	/* PCI Express capability: port type decides root/switch/endpoint. */
	fn->exp_cap = CAP_EXP;
	cfg_w8(c, CAP_EXP, PCI_CAP_ID_EXP);
	cfg_w8(c, CAP_EXP + 1, 0);
	switch (node->kind) {
	case SIM_NODE_ROOTPORT:
		exp_flags = 0x4 << 4;
		break;
	case SIM_NODE_SWITCH_UP:
		exp_flags = 0x5 << 4;
		break;
	case SIM_NODE_SWITCH_DOWN:
		exp_flags = 0x6 << 4;
		break;
	default:
		exp_flags = 0x0 << 4;
		break;
	}
	cfg_w16(c, CAP_EXP + PCI_EXP_FLAGS, exp_flags | 2);
	cfg_w32(c, CAP_EXP + PCI_EXP_DEVCAP, node->flr ? PCI_EXP_DEVCAP_FLR : 0);

	/*
	 * Advanced Features (conventional PCI's FLR): the generic "pcidev"
	 * function with flr=yes advertises it besides PCIe FLR, so that both
	 * ways of asking for a reset exist (VFIO virtualizes both); the
	 * named device kinds keep PCIe FLR only. TP and FLR capable.
	 */
	if (node->flr && !bridge && !strcmp(node->kindname, "pcidev")) {
		fn->af_cap = CAP_AF;
		cfg_w8(c, CAP_EXP + 1, CAP_AF);
		cfg_w8(c, CAP_AF, PCI_CAP_ID_AF);
		cfg_w8(c, CAP_AF + 1, 0);
		cfg_w8(c, CAP_AF + 2, 6);	/* capability length */
		cfg_w8(c, CAP_AF + PCI_AF_CAP, PCI_AF_CAP_TP | PCI_AF_CAP_FLR);
	}

	/* ACS on ports that route peer traffic. */
	if (node->kind == SIM_NODE_ROOTPORT || node->kind == SIM_NODE_SWITCH_DOWN) {
		fn->acs_cap = ECAP_ACS;
		cfg_w32(c, ECAP_ACS, PCI_EXT_CAP_ID_ACS | (1 << 16));
		cfg_w16(c, ECAP_ACS + PCI_ACS_CAP, 0x007f);
		cfg_w16(c, ECAP_ACS + PCI_ACS_CTRL, node->acs_ctrl);
	}

	/*
	 * SR-IOV on a PF: vfs-enabled=K of its VFs enabled with their memory
	 * space, as after sriov_numvfs=K (K = 0: VF Enable and VF MSE clear,
	 * NumVFs 0); sim_pci_assign() then marks which VFs are present.
	 */
	if (node->nr_vfs) {
		int sr = ECAP_SRIOV;
		u16 on = node->vfs_enabled ? PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE : 0;

		fn->sriov_cap = ECAP_SRIOV;
		fn->pdev.is_physfn = 1;
		cfg_w32(c, sr, PCI_EXT_CAP_ID_SRIOV | (1 << 16));
		cfg_w16(c, sr + PCI_SRIOV_CTRL, on | PCI_SRIOV_CTRL_ARI);
		cfg_w16(c, sr + PCI_SRIOV_INITIAL_VF, (u16)node->nr_vfs);
		cfg_w16(c, sr + PCI_SRIOV_TOTAL_VF, (u16)node->nr_vfs);
		cfg_w16(c, sr + PCI_SRIOV_NUM_VF, (u16)node->vfs_enabled);
		cfg_w16(c, sr + PCI_SRIOV_VF_OFFSET, node->vf_offset);
		cfg_w16(c, sr + PCI_SRIOV_VF_STRIDE, node->vf_stride);
		cfg_w16(c, sr + PCI_SRIOV_VF_DID,
			node->vf_device ? node->vf_device : device);
		cfg_w32(c, sr + PCI_SRIOV_SUP_PGSIZE, 0x553);
		cfg_w32(c, sr + PCI_SRIOV_SYS_PGSIZE, 0x1);	/* 4K */
		for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
			const struct sim_bar *ap = &fn->iov_bars[i];
			u64 bus;

			if (!ap->size)
				continue;
			bus = ap->cpu_start - (ap->is64 ? node->hb->hostbridge->win64.offset :
							  node->hb->hostbridge->win32.offset);
			cfg_w32(c, sr + PCI_SRIOV_BAR + 4 * i,
				(u32)bus | (ap->is64 ? 0x4 : 0) |
					(ap->prefetch ? 0x8 : 0));
			if (ap->is64)
				cfg_w32(c, sr + PCI_SRIOV_BAR + 4 * (i + 1),
					(u32)(bus >> 32));
		}
	}

	if (bridge) {
		cfg_w8(c, PCI_PRIMARY_BUS, fn->pdev.bus_nr);
		cfg_w8(c, PCI_SECONDARY_BUS, node->secondary_bus);
	}
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct sim_bar *bar = &fn->bars[i];
		u64 bus;

		/* a VF's BAR registers read as zero: the PF's aperture places it */
		if (!bar->size || node->pf)
			continue;
		bus = sim_bar_bus_addr(node, bar);
		cfg_w32(c, PCI_BASE_ADDRESS_0 + 4 * i,
			(u32)bus | (bar->is64 ? 0x4 : 0) |
				(bar->prefetch ? 0x8 : 0));
		if (bar->is64)
			cfg_w32(c, PCI_BASE_ADDRESS_0 + 4 * (i + 1),
				(u32)(bus >> 32));
	}
	/* Drivers are bound: decoding and bus mastering are on. */
	cfg_w16(c, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/**
 * sim_pci_fn_init - give @node its PCI function (struct pci_dev + config)
 *
 * Called once bus numbers and BARs are assigned. Allocates the function and
 * a host mapping for each BAR's contents; on failure leaves nothing behind
 * that sim_pci_fn_fini() would not free.
 */
int sim_pci_fn_init(struct sim_machine *m, struct sim_node *node)
{
	struct sim_pci_fn *fn = node->fn;
	struct pci_dev *pdev = &fn->pdev;
	struct sim_dev_state *st;
	char name[16];

	snprintf(name, sizeof(name), "%04x:%02x:%02x.%d", pdev->domain_nr,
		 pdev->bus_nr, PCI_SLOT(pdev->devfn), PCI_FUNC(pdev->devfn));
	pdev->dev.name = sim_kmalloc(m, strlen(name) + 1);
	if (!pdev->dev.name)
		return -ENOMEM;
	strcpy((char *)pdev->dev.name, name);

	st = sim_kzalloc(m, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pdev->dev.sim_state = st;
	st->node = node;
	st->m = m;
	st->id = sim_kmalloc(m, strlen(node->id) + 1);
	if (!st->id)
		return -ENOMEM;
	strcpy((char *)st->id, node->id);

	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct sim_bar *bar = &fn->bars[i];

		if (!bar->size)
			continue;
		if (sim_should_fail_alloc(m))
			return -ENOMEM;
		bar->backing = mmap(NULL, bar->size, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				    -1, 0);
		if (bar->backing == MAP_FAILED) {
			bar->backing = NULL;
			return -ENOMEM;
		}
		pdev->resource[i].start = bar->cpu_start;
		pdev->resource[i].end = bar->cpu_start + bar->size - 1;
		pdev->resource[i].name = bar->role;
		pdev->resource[i].flags = IORESOURCE_MEM |
			(bar->is64 ? IORESOURCE_MEM_64 : 0) |
			(bar->prefetch ? IORESOURCE_PREFETCH : 0);
	}

	pdev->dev.sim = m;
	pdev->dev.bus_type = SIM_BUS_PCI;
	/*
	 * Until a driver binds (and says its name), a device is named by what
	 * it is: its platform kind, or its model once one is bound. Ports
	 * have the kernel's port driver from the start.
	 */
	pdev->dev.driver_name = node->kind == SIM_NODE_ENDPOINT ?
				node->kindname : "pcieport";
	if (node->parent && node->parent->fn)
		pdev->dev.parent = &node->parent->fn->pdev.dev;
	pdev->current_state = PCI_D0;
	fn->d_state = PCI_D0;
	cfg_init(node);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Bus numbers and BAR placement                                            */
/* ------------------------------------------------------------------------ */

static int assign_bus(struct sim_node *n, u8 *next_bus, char *err,
		      size_t errlen)
{
	unsigned int slot = 0;

	for (struct sim_node *c = n->first_child; c; c = c->next_sibling) {
		struct pci_dev *pdev = &c->fn->pdev;

		if (c->pf) {
			/* A VF's routing ID: the PF's + First VF Offset + Stride * i */
			const struct pci_dev *pf = &c->pf->fn->pdev;
			unsigned int rid = ((unsigned int)pf->bus_nr << 8 | pf->devfn) +
					   c->pf->vf_offset + c->pf->vf_stride * c->vf_index;

			/* every VF on the PF's bus: no bus number is reserved for them */
			if (pf->devfn + c->pf->vf_offset +
			    c->pf->vf_stride * c->vf_index > 0xff) {
				snprintf(err, errlen,
					 "line %d: %s: VF %s would be at devfn %u, past the PF's bus (devfn %u, vf-offset=%u, vf-stride=%u)",
					 c->pf->line, c->pf->id, c->id,
					 pf->devfn + c->pf->vf_offset +
						 c->pf->vf_stride * c->vf_index,
					 pf->devfn, c->pf->vf_offset,
					 c->pf->vf_stride);
				return -ENOSPC;
			}
			pdev->domain_nr = pf->domain_nr;
			pdev->bus_nr = (u8)(rid >> 8);
			pdev->devfn = rid & 0xff;
			continue;
		}
		pdev->domain_nr = n->hb->hostbridge->domain;
		pdev->bus_nr = n->kind == SIM_NODE_HOSTBRIDGE ?
				       n->hostbridge->busnr : n->secondary_bus;
		if (n->kind == SIM_NODE_HOSTBRIDGE)
			pdev->devfn = PCI_DEVFN(slot + 1, 0);
		else
			pdev->devfn = PCI_DEVFN(slot, 0);
		slot++;
		if (c->kind != SIM_NODE_ENDPOINT) {
			if (*next_bus == 0xff) {
				snprintf(err, errlen,
					 "line %d: %s: out of PCI bus numbers",
					 c->line, c->id);
				return -ENOSPC;
			}
			c->secondary_bus = ++*next_bus;
			if (assign_bus(c, next_bus, err, errlen))
				return -ENOSPC;
		}
	}
	return 0;
}

static int bar_cmp(const void *a, const void *b)
{
	const struct sim_bar *x = *(struct sim_bar *const *)a;
	const struct sim_bar *y = *(struct sim_bar *const *)b;

	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* BAR @i of @fn's standard BARs, then (6..11) its VF apertures. */
static struct sim_bar *fn_bar(struct sim_pci_fn *fn, int i)
{
	return i < PCI_STD_NUM_BARS ? &fn->bars[i] :
				      &fn->iov_bars[i - PCI_STD_NUM_BARS];
}

/*
 * Place the BARs of @nr functions below host bridge @hbn, largest first,
 * each at the next free naturally aligned address of its window.
 */
static int place_bars(struct sim_node *hbn, struct sim_bar **bars,
		      unsigned int nr, char *err, size_t errlen)
{
	struct sim_hostbridge *hb = hbn->hostbridge;

	qsort(bars, nr, sizeof(*bars), bar_cmp);
	for (unsigned int i = 0; i < nr; i++) {
		struct sim_bar *bar = bars[i];
		struct sim_window *w = bar->is64 ? &hb->win64 : &hb->win32;
		/* a VF aperture (align set) lives in iov_bars[] */
		struct sim_pci_fn *fn = bar->align ?
			container_of(bar - bar->index, struct sim_pci_fn, iov_bars[0]) :
			container_of(bar - bar->index, struct sim_pci_fn, bars[0]);
		phys_addr_t start = ALIGN(w->next, bar->align ? bar->align : bar->size);

		if (!w->size || start < w->next ||
		    start + bar->size > w->cpu_start + w->size ||
		    start + bar->size < start) {
			snprintf(err, errlen,
				 "line %d: %s: %sbar%d=%lluK does not fit the %s window of host bridge %s (%lluK, %lluK free)",
				 fn->node->line, fn->node->id,
				 bar->align ? "the VF aperture of vf-" : "", bar->index,
				 (unsigned long long)(bar->size >> 10),
				 bar->is64 ? "64-bit" : "32-bit", hbn->id,
				 (unsigned long long)(w->size >> 10),
				 (unsigned long long)((w->cpu_start + w->size -
						       w->next) >> 10));
			return -ENOSPC;
		}
		bar->cpu_start = start;
		w->next = start + bar->size;
	}
	return 0;
}

/*
 * Every host bridge's BARs, in one pass over the nodes: the BARs are
 * bucketed by host bridge in node order (a counting sort, so each bridge
 * sorts exactly the list it always did), then each bucket is placed.
 */
static int place_all_bars(struct sim_machine *m, char *err, size_t errlen)
{
	unsigned int nr_hb = 0, total = 0, *start = NULL;
	struct sim_bar **bars = NULL;
	int ret = 0;

	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (n->kind == SIM_NODE_HOSTBRIDGE)
			n->hostbridge->index = nr_hb++;
	}
	start = sim_kcalloc(m, nr_hb + 1, sizeof(*start));
	if (!start)
		goto nomem;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (!n->fn || n->pf)
			continue;
		for (int b = 0; b < 2 * PCI_STD_NUM_BARS; b++)
			if (fn_bar(n->fn, b)->size) {
				start[n->hb->hostbridge->index + 1]++;
				total++;
			}
	}
	for (unsigned int h = 0; h < nr_hb; h++)
		start[h + 1] += start[h];
	bars = sim_kcalloc(m, total ? total : 1, sizeof(*bars));
	if (!bars)
		goto nomem;
	{
		unsigned int *pos = sim_kcalloc(m, nr_hb ? nr_hb : 1, sizeof(*pos));

		if (!pos)
			goto nomem;
		memcpy(pos, start, nr_hb * sizeof(*pos));
		for (unsigned int i = 0; i < m->nr_nodes; i++) {
			struct sim_node *n = m->nodes[i];

			if (!n->fn || n->pf)
				continue;
			for (int b = 0; b < 2 * PCI_STD_NUM_BARS; b++)
				if (fn_bar(n->fn, b)->size)
					bars[pos[n->hb->hostbridge->index]++] =
						fn_bar(n->fn, b);
		}
		sim_kfree(m, pos);
	}
	for (unsigned int i = 0; i < m->nr_nodes && !ret; i++) {
		struct sim_node *n = m->nodes[i];
		unsigned int h;

		if (n->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		h = n->hostbridge->index;
		ret = place_bars(n, bars + start[h], start[h + 1] - start[h],
				 err, errlen);
	}
	sim_kfree(m, bars);
	sim_kfree(m, start);
	/* VF i's BAR k: the i-th slot of the PF's aperture k */
	for (unsigned int i = 0; i < m->nr_nodes && !ret; i++) {
		struct sim_node *n = m->nodes[i];

		if (!n->pf)
			continue;
		for (int b = 0; b < PCI_STD_NUM_BARS; b++)
			if (n->fn->bars[b].size)
				n->fn->bars[b].cpu_start =
					n->pf->fn->iov_bars[b].cpu_start +
					(u64)n->vf_index * n->fn->bars[b].size;
	}
	return ret;
nomem:
	sim_kfree(m, bars);
	sim_kfree(m, start);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static int bar_addr_cmp(const void *a, const void *b)
{
	const struct sim_bar *x = *(struct sim_bar *const *)a;
	const struct sim_bar *y = *(struct sim_bar *const *)b;

	return x->cpu_start < y->cpu_start ? -1 : x->cpu_start > y->cpu_start;
}

/*
 * The BARs sorted by address: placed BARs never overlap (each window is
 * handed out in order, windows do not overlap), so a look-up is a binary
 * search instead of a walk over every function.
 */
static int index_bars(struct sim_machine *m)
{
	unsigned int nr = 0, nr_hb = 0;

	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		for (int b = 0; m->nodes[i]->fn && b < PCI_STD_NUM_BARS; b++)
			nr += m->nodes[i]->fn->bars[b].size != 0;
		nr_hb += m->nodes[i]->kind == SIM_NODE_HOSTBRIDGE;
	}
	m->bar_index = sim_kcalloc(m, nr ? nr : 1, sizeof(*m->bar_index));
	m->hostbridges = sim_kcalloc(m, nr_hb ? nr_hb : 1,
				     sizeof(*m->hostbridges));
	if (!m->bar_index || !m->hostbridges)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (n->kind == SIM_NODE_HOSTBRIDGE)
			m->hostbridges[m->nr_hostbridges++] = n;

		for (int b = 0; n->fn && b < PCI_STD_NUM_BARS; b++)
			if (n->fn->bars[b].size) {
				n->fn->bars[b].owner = n;
				m->bar_index[m->nr_bar_index++] = &n->fn->bars[b];
			}
	}
	qsort(m->bar_index, m->nr_bar_index, sizeof(*m->bar_index),
	      bar_addr_cmp);
	return 0;
}

/*
 * A VF that appears or goes away starts over as after a reset: no memory
 * decode, no bus mastering, D0 (its driver enables it again).
 */
static void vf_reset_state(struct sim_pci_fn *vf)
{
	sim_pci_fn_set_command(vf, 0);
	if (vf->pm_cap)
		cfg_w16(vf->config, vf->pm_cap + PCI_PM_CTRL,
			cfg_r16(vf->config, vf->pm_cap + PCI_PM_CTRL) &
				~PCI_PM_CTRL_STATE_MASK);
	__atomic_store_n(&vf->d_state, PCI_D0, __ATOMIC_RELEASE);
	if (vf->mdev)
		sim_msi_reset(vf->mdev);
}

/*
 * Make @pf's VFs what its SR-IOV Control and NumVFs say: VF i is present
 * iff VF Enable is set and i < NumVFs; its BARs decode only with VF MSE
 * set. The VFs are @pf's siblings right after it (make_vfs()). At @boot
 * only the absent ones are reset (the present ones are bound and
 * enabled, as every function at boot). Config lock held.
 */
static void sriov_sync(struct sim_node *pf, bool boot)
{
	const u8 *c = pf->fn->config;
	int sr = pf->fn->sriov_cap;
	u16 ctrl = cfg_r16(c, sr + PCI_SRIOV_CTRL);
	unsigned int num = cfg_r16(c, sr + PCI_SRIOV_NUM_VF);

	for (struct sim_node *v = pf->next_sibling; v && v->pf == pf;
	     v = v->next_sibling) {
		struct sim_pci_fn *vf = v->fn;
		bool absent = !(ctrl & PCI_SRIOV_CTRL_VFE) || v->vf_index >= num;

		if (absent != vf->vf_absent || (boot && absent))
			vf_reset_state(vf);
		__atomic_store_n(&vf->vf_nomse, !(ctrl & PCI_SRIOV_CTRL_MSE),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&vf->vf_absent, absent, __ATOMIC_RELEASE);
	}
}

/**
 * sim_pci_assign - number the buses, place BARs, create every function
 *
 * Runs once after the platform text is parsed. Each PCI segment numbers
 * its own 256 buses, its host bridges in platform order. Errors name the
 * platform line of the component that could not be placed.
 */
int sim_pci_assign(struct sim_machine *m, char *err, size_t errlen)
{
	/* per segment: the last bus used + 1, 0 while the segment is unused */
	u16 *seg_next = calloc(0x10000, sizeof(*seg_next));
	int ret = 0;

	if (!seg_next) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < m->nr_nodes && !ret; i++) {
		struct sim_node *n = m->nodes[i];
		struct sim_hostbridge *hb;
		bool first;
		u8 next_bus;

		if (n->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		hb = n->hostbridge;
		first = !seg_next[hb->domain];
		next_bus = first ? 0 : (u8)(seg_next[hb->domain] - 1);
		if (!first || hb->busnr) {
			if (!hb->busnr) {
				if (next_bus == 0xff) {
					snprintf(err, errlen,
						 "line %d: %s: out of PCI bus numbers",
						 n->line, n->id);
					ret = -ENOSPC;
					break;
				}
				hb->busnr = next_bus + 1;
			} else if (!first && hb->busnr <= next_bus) {
				snprintf(err, errlen,
					 "line %d: %s: busnr=%u overlaps buses already used (up to %u)",
					 n->line, n->id, hb->busnr, next_bus);
				ret = -EINVAL;
				break;
			}
		}
		next_bus = hb->busnr;
		ret = assign_bus(n, &next_bus, err, errlen);
		seg_next[hb->domain] = (u16)(next_bus + 1);
	}
	free(seg_next);
	if (!ret)
		ret = place_all_bars(m, err, errlen);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (!n->fn)
			continue;
		ret = sim_pci_fn_init(m, n);
		if (ret) {
			snprintf(err, errlen, "out of memory creating %s", n->id);
			return ret;
		}
	}
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->nr_vfs)
			sriov_sync(m->nodes[i], true);
	ret = index_bars(m);
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

/* ------------------------------------------------------------------------ */
/* BAR lookup and decoding                                                  */
/* ------------------------------------------------------------------------ */

/* Where @bar of @owner is on the bus: its CPU address minus the window's offset. */
u64 sim_bar_bus_addr(const struct sim_node *owner, const struct sim_bar *bar)
{
	const struct sim_hostbridge *hb = owner->hb->hostbridge;

	return bar->cpu_start - (bar->is64 ? hb->win64.offset : hb->win32.offset);
}

/* A BAR answers only while decoding is on and its function is usable. */
bool sim_bar_decodes(struct sim_node *node)
{
	struct sim_pci_fn *fn = node->fn;

	return (sim_pci_fn_command(fn) & PCI_COMMAND_MEMORY) &&
	       sim_pci_fn_d_state(fn) == PCI_D0 && !sim_pci_fn_in_reset(fn) &&
	       sim_pci_fn_present(fn) && !sim_pci_fn_vf_nomse(fn);
}

struct sim_bar *sim_bar_find(struct sim_machine *m, phys_addr_t cpu,
			     size_t len, struct sim_node **owner)
{
	if (m->bar_index) {
		/* the last BAR starting at or below @cpu is the only candidate */
		unsigned int lo = 0, hi = m->nr_bar_index;
		struct sim_bar *bar;

		while (lo < hi) {
			unsigned int mid = lo + (hi - lo) / 2;

			if (m->bar_index[mid]->cpu_start <= cpu)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo)
			return NULL;
		bar = m->bar_index[lo - 1];
		if (cpu - bar->cpu_start >= bar->size ||
		    len > bar->size - (cpu - bar->cpu_start))
			return NULL;
		if (owner)
			*owner = bar->owner;
		return bar;
	}
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];

		if (!n->fn)
			continue;
		for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
			struct sim_bar *bar = &n->fn->bars[b];

			if (bar->size && cpu >= bar->cpu_start &&
			    cpu - bar->cpu_start < bar->size &&
			    len <= bar->size - (cpu - bar->cpu_start)) {
				if (owner)
					*owner = n;
				return bar;
			}
		}
	}
	return NULL;
}

static int mmio_access(struct sim_machine *m, phys_addr_t phys, void *buf,
		       size_t len, bool write)
{
	struct sim_node *owner;
	struct sim_bar *bar = sim_bar_find(m, phys, len, &owner);

	if (!bar) {
		if (!write)
			memset(buf, 0xff, len);
		sim_report(m, SIM_REPORT_WARN, NULL, phys, len,
			   "CPU MMIO %s at %#llx+%zu: no BAR decodes it",
			   write ? "write" : "read", (unsigned long long)phys,
			   len);
		return -EIO;
	}
	if (!sim_bar_decodes(owner)) {
		if (!write)
			memset(buf, 0xff, len);
		sim_report(m, SIM_REPORT_WARN, &owner->fn->pdev.dev, phys, len,
			   "CPU MMIO %s at %#llx+%zu: %s bar%d is not decoding (memory %s, %s%s%s)",
			   write ? "write" : "read", (unsigned long long)phys,
			   len, owner->id, bar->index,
			   (sim_pci_fn_command(owner->fn) &
			    PCI_COMMAND_MEMORY) ? "enabled" : "disabled",
			   sim_pci_fn_d_state(owner->fn) == PCI_D0 ? "D0" : "D3hot",
			   sim_pci_fn_in_reset(owner->fn) ? ", in reset" : "",
			   sim_pci_fn_vf_note(owner->fn));
		return -EIO;
	}
	return sim_bar_io(owner, bar, phys - bar->cpu_start, buf, len, write);
}

int sim_bar_io(struct sim_node *owner, struct sim_bar *bar, u64 off,
	       void *buf, size_t len, bool write)
{
	if (owner->fn->mdev) {
		int ret = sim_msix_mmio(owner->fn->mdev, bar->index, off, buf,
					len, write);

		if (ret != -ENOENT)
			return ret;
	}
	if (bar->ops)
		return write ? bar->ops->write(bar, off, buf, len) :
			       bar->ops->read(bar, off, buf, len);
	if (write)
		memcpy(bar->backing + off, buf, len);
	else
		memcpy(buf, bar->backing + off, len);
	return 0;
}

/**
 * sim_bar_set_ops - let a device model own a BAR's register behaviour
 * @pdev: the function
 * @bar: its BAR index
 * @ops: read/write handlers for CPU MMIO, NULL to make it plain memory again
 * @data: passed back in bar->ops_data
 *
 * CPU MMIO (sim_mmio_read/write) and peer DMA into the BAR go to the
 * handlers. Not serialised against concurrent MMIO: set it while the
 * function is not in use (model attach and release).
 *
 * Return: 0, -EINVAL for a BAR that does not exist, -EBUSY if other
 * handlers own it.
 */
int sim_bar_set_ops(struct pci_dev *pdev, int bar, const struct sim_bar_ops *ops,
		    void *data)
{
	struct sim_bar *b;

	if (!pdev || !pdev->sim || bar < 0 || bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	b = &pdev->sim->bars[bar];
	if (!b->size)
		return -EINVAL;
	if (ops && b->ops && b->ops != ops)
		return -EBUSY;
	b->ops = ops;
	b->ops_data = ops ? data : NULL;
	return 0;
}

int sim_mmio_read(struct sim_machine *m, phys_addr_t phys, void *buf,
		  size_t len)
{
	return mmio_access(m, phys, buf, len, false);
}

int sim_mmio_write(struct sim_machine *m, phys_addr_t phys, const void *buf,
		   size_t len)
{
	return mmio_access(m, phys, (void *)buf, len, true);
}

static void notify(struct sim_pci_fn *fn, enum sim_pci_event ev)
{
	if (!fn->notify)
		return;
	__atomic_fetch_add(&fn->events, 1, __ATOMIC_RELAXED);
	fn->notify(&fn->pdev, ev, fn->notify_data);
}

int sim_pci_set_notifier(struct pci_dev *pdev, sim_pci_notifier_fn fn,
			 void *data)
{
	if (!pdev || !pdev->sim)
		return -EINVAL;
	if (fn && pdev->sim->notify && pdev->sim->notify != fn)
		return -EBUSY;
	pdev->sim->notify = fn;
	pdev->sim->notify_data = fn ? data : NULL;
	return 0;
}

unsigned long sim_pci_events(struct pci_dev *pdev)
{
	return pdev && pdev->sim ?
		       __atomic_load_n(&pdev->sim->events, __ATOMIC_RELAXED) : 0;
}

static void cfg_lock(sim_spinlock_t *lock)
{
	if (lock)
		sim_spin_lock(lock);
}

static void cfg_unlock(sim_spinlock_t *lock)
{
	if (lock)
		sim_spin_unlock(lock);
}

/*
 * One configuration write, in three steps, so that no lock is held while
 * anything outside the register file runs:
 *  1. the registers are looked at (under @lock) to tell which announced
 *     change the write makes: memory decode off, D3hot or a function
 *     reset; the notifier hears of it while the BARs still decode, with
 *     no lock held (it may take its own and read config space);
 *  2. the registers change, under @lock (the caller's: the kernel's
 *     pci_lock, which its config reads take too);
 *  3. with @lock dropped: the model's hooks, pending MSIs, the end of a
 *     reset, and the notifications that follow the change (memory on,
 *     D0, reset done, and SIM_PCI_CHANGE_DONE closing what step 1
 *     announced). A notifier may hold its own lock from the announcement
 *     to its close, across the register change (VFIO's memory_lock).
 */
struct cfg_effects {
	bool cmd, pm, flr;		/* the register was written */
	u16 old_cmd, new_cmd;
	pci_power_t old_state, new_state;
	bool msi;
};

static bool cfg_hits(int where, int size, int reg, int len)
{
	return where < reg + len && where + size > reg;
}

/*
 * A PF's SR-IOV registers (@img: config space as the write would leave
 * it). Writable: SR-IOV Control's VF Enable, VF MSE and ARI Capable
 * Hierarchy bits, and NumVFs. The spec leaves a NumVFs write while VF
 * Enable is set, or of more than TotalVFs, undefined: here such a write
 * is dropped (NumVFs keeps its value). NumVFs is looked at before the
 * control register, so one write cannot change NumVFs under VF Enable.
 * Every other SR-IOV register is read-only. Then the VFs follow (which
 * are present, whether they decode). Config lock held.
 */
static void sriov_apply(struct sim_pci_fn *fn, const u8 *img, int where,
			int size)
{
	u8 *c = fn->config;
	int sr = fn->sriov_cap;
	u16 ctrl = cfg_r16(c, sr + PCI_SRIOV_CTRL);
	bool changed = false;

	if (cfg_hits(where, size, sr + PCI_SRIOV_NUM_VF, 2)) {
		u16 nr = cfg_r16(img, sr + PCI_SRIOV_NUM_VF);

		if (!(ctrl & PCI_SRIOV_CTRL_VFE) &&
		    nr <= cfg_r16(c, sr + PCI_SRIOV_TOTAL_VF)) {
			cfg_w16(c, sr + PCI_SRIOV_NUM_VF, nr);
			changed = true;
		}
	}
	if (cfg_hits(where, size, sr + PCI_SRIOV_CTRL, 2)) {
		cfg_w16(c, sr + PCI_SRIOV_CTRL,
			cfg_r16(img, sr + PCI_SRIOV_CTRL) &
				(PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE |
				 PCI_SRIOV_CTRL_ARI));
		changed = true;
	}
	if (changed)
		sriov_sync(fn->node, false);
}

/* Register semantics, the register file's part (step 2; @lock held). */
static void cfg_apply(struct sim_pci_fn *fn, int where, const void *val,
		      int size, bool flr, struct cfg_effects *e)
{
	u8 tmp[4096];
	u8 *c = fn->config;
	int pm = fn->pm_cap, exp = fn->exp_cap, acs = fn->acs_cap;
	u16 cmd_mask = PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		       PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;

	/* the VF went away since the caller looked: the write goes nowhere */
	if (fn->vf_absent)
		return;
	memcpy(tmp, c, sizeof(tmp));
	memcpy(tmp + where, val, size);
	if (where < PCI_COMMAND + 2 && where + size > PCI_COMMAND) {
		e->cmd = true;
		e->old_cmd = cfg_r16(c, PCI_COMMAND);
		e->new_cmd = cfg_r16(tmp, PCI_COMMAND) & cmd_mask;
		sim_pci_fn_set_command(fn, e->new_cmd);
	}
	if (pm && where < pm + PCI_PM_CTRL + 2 && where + size > pm + PCI_PM_CTRL) {
		u16 pmcsr = cfg_r16(tmp, pm + PCI_PM_CTRL);
		u16 state = pmcsr & PCI_PM_CTRL_STATE_MASK;

		/* Only D0 and D3hot are implemented (PMC advertises no D1/D2). */
		if ((state == PCI_D0 || state == PCI_D3hot) &&
		    state != fn->d_state) {
			e->pm = true;
			e->old_state = fn->d_state;
			e->new_state = state;
			cfg_w16(c, pm + PCI_PM_CTRL,
				(cfg_r16(c, pm + PCI_PM_CTRL) &
				 ~PCI_PM_CTRL_STATE_MASK) | state);
			__atomic_store_n(&fn->d_state, (pci_power_t)state,
					 __ATOMIC_RELEASE);
		}
	}
	if (exp && where < exp + PCI_EXP_DEVCTL + 2 &&
	    where + size > exp + PCI_EXP_DEVCTL) {
		u16 devctl = cfg_r16(tmp, exp + PCI_EXP_DEVCTL);

		cfg_w16(c, exp + PCI_EXP_DEVCTL, devctl & ~PCI_EXP_DEVCTL_BCR_FLR);
	}
	/* the FLR bit always reads back as zero */
	if (fn->af_cap && where <= fn->af_cap + PCI_AF_CTRL &&
	    where + size > fn->af_cap + PCI_AF_CTRL)
		c[fn->af_cap + PCI_AF_CTRL] = 0;
	if (acs && where < acs + PCI_ACS_CTRL + 2 &&
	    where + size > acs + PCI_ACS_CTRL) {
		u16 ctrl = cfg_r16(tmp, acs + PCI_ACS_CTRL) & 0x7f;

		cfg_w16(c, acs + PCI_ACS_CTRL, ctrl);
		fn->node->acs_ctrl = ctrl;
	}
	if (fn->sriov_cap)
		sriov_apply(fn, tmp, where, size);
	if (fn->mdev)
		e->msi = sim_msi_cfg_write(fn->mdev, tmp, where, size);
	if (flr) {
		/* Function Level Reset: the function forgets its command register. */
		e->flr = true;
		__atomic_store_n(&fn->in_reset, true, __ATOMIC_RELEASE);
		fn->flr_count++;
		sim_pci_fn_set_command(fn, 0);
		if (fn->mdev)
			sim_msi_reset(fn->mdev);
	}
}

/* Does the write start a function reset (step 1; @lock held)? */
static bool cfg_write_flr(struct sim_pci_fn *fn, int where, const u8 *tmp,
			  int size)
{
	const u8 *c = fn->config;
	int exp = fn->exp_cap, af = fn->af_cap;

	if (exp && where < exp + PCI_EXP_DEVCTL + 2 &&
	    where + size > exp + PCI_EXP_DEVCTL &&
	    (cfg_r16(tmp, exp + PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_BCR_FLR) &&
	    (cfg_r32(c, exp + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR))
		return true;
	return af && where <= af + PCI_AF_CTRL && where + size > af + PCI_AF_CTRL &&
	       (tmp[af + PCI_AF_CTRL] & PCI_AF_CTRL_FLR) &&
	       (c[af + PCI_AF_CAP] & PCI_AF_CAP_FLR);
}

/*
 * Register semantics on write. Writable: the command register, PMCSR power
 * state, the PCIe device control register (the FLR bit triggers a reset and
 * reads back as zero), the AF control FLR bit, ACS control. BAR registers
 * are read-only here (placement belongs to the platform).
 */
static void cfg_write(struct sim_pci_fn *fn, int where, const void *val,
		      int size, sim_spinlock_t *lock)
{
	struct cfg_effects e = { 0 };
	enum sim_pci_event before = SIM_PCI_CHANGE_DONE;
	int pm = fn->pm_cap;
	u8 tmp[4];
	bool flr;

	/* step 1: what the write announces */
	cfg_lock(lock);
	{
		u8 img[4096];

		memcpy(img, fn->config, sizeof(img));
		memcpy(img + where, val, size);
		flr = cfg_write_flr(fn, where, img, size);
		if (where < PCI_COMMAND + 2 && where + size > PCI_COMMAND &&
		    (cfg_r16(fn->config, PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
		    !(cfg_r16(img, PCI_COMMAND) & PCI_COMMAND_MEMORY))
			before = SIM_PCI_MEMORY_DISABLE;
		else if (pm && where < pm + PCI_PM_CTRL + 2 &&
			 where + size > pm + PCI_PM_CTRL &&
			 (cfg_r16(img, pm + PCI_PM_CTRL) &
			  PCI_PM_CTRL_STATE_MASK) == PCI_D3hot &&
			 fn->d_state != PCI_D3hot)
			before = SIM_PCI_D3HOT;
	}
	cfg_unlock(lock);
	memcpy(tmp, val, size);
	if (flr)
		notify(fn, SIM_PCI_FLR_START);
	else if (before != SIM_PCI_CHANGE_DONE)
		notify(fn, before);

	/* step 2: the registers */
	cfg_lock(lock);
	cfg_apply(fn, where, tmp, size, flr, &e);
	cfg_unlock(lock);

	/* step 3: the model, MSIs, and what follows the change */
	if (e.cmd && fn->mdev)
		sim_model_cfg_command(fn->mdev, e.old_cmd, e.new_cmd);
	if (e.pm && fn->mdev)
		sim_model_cfg_power(fn->mdev, e.old_state, e.new_state);
	if (e.flr) {
		if (fn->mdev)
			sim_model_cfg_reset(fn->mdev, SIM_MODEL_RESET_FLR);
		__atomic_store_n(&fn->in_reset, false, __ATOMIC_RELEASE);
	}
	if (e.msi)
		sim_msi_flush_pending(fn->mdev);
	if (e.cmd && !(e.old_cmd & PCI_COMMAND_MEMORY) &&
	    (e.new_cmd & PCI_COMMAND_MEMORY))
		notify(fn, SIM_PCI_MEMORY_ENABLE);
	if (e.pm && e.new_state == PCI_D0)
		notify(fn, SIM_PCI_D0);
	if (flr)
		notify(fn, SIM_PCI_FLR_DONE);
	else if (before != SIM_PCI_CHANGE_DONE)
		notify(fn, SIM_PCI_CHANGE_DONE);
}

/* ------------------------------------------------------------------------ */
/* Configuration requests                                                   */
/* ------------------------------------------------------------------------ */

static int cfg_check(const struct sim_pci_fn *fn, int where, int size)
{
	if (!fn || where < 0 || where + size > 4096 || (where & (size - 1)) ||
	    (size != 1 && size != 2 && size != 4))
		return -EINVAL;
	return 0;
}

/**
 * sim_pci_cfg_read - a configuration read of @size bytes at @where
 * @fn: the function
 * @val: the value read (zero-extended)
 *
 * The caller serializes it against configuration writes (the kernel holds
 * its pci_lock, which it gives sim_pci_cfg_write()).
 *
 * Return: 0, or -EINVAL for an offset outside config space, a size other
 * than 1, 2 or 4, or an unaligned access.
 */
int sim_pci_cfg_read(struct sim_pci_fn *fn, int where, int size, u32 *val)
{
	if (cfg_check(fn, where, size))
		return -EINVAL;
	/* no function answers: the request completes as Unsupported */
	if (!sim_pci_fn_present(fn)) {
		*val = size == 4 ? ~0u : (1u << (8 * size)) - 1;
		return 0;
	}
	*val = 0;
	memcpy(val, fn->config + where, size);
	/* a model's function: its MSI pending bits live beside config space */
	if (fn->mdev)
		sim_msi_cfg_read(fn->mdev, where, size, val);
	return 0;
}

/**
 * sim_pci_cfg_write - a configuration write, with the registers' side
 * effects (memory decode, power state, FLR, ACS; see cfg_write())
 * @lock: taken around every look at and change of the registers, and
 *	dropped while notifiers and the model's hooks run (the kernel's
 *	pci_lock); NULL: the caller serializes
 *
 * Return: 0 or -EINVAL as sim_pci_cfg_read().
 */
int sim_pci_cfg_write(struct sim_pci_fn *fn, int where, int size, u32 val,
		      sim_spinlock_t *lock)
{
	if (cfg_check(fn, where, size))
		return -EINVAL;
	/* a VF its PF has not enabled: nothing takes the write */
	if (!sim_pci_fn_present(fn))
		return 0;
	cfg_write(fn, where, &val, size, lock);
	return 0;
}

/* The function's power state as its PMCSR says (PCI_D0 or PCI_D3hot). */
pci_power_t sim_pci_fn_power(const struct sim_pci_fn *fn)
{
	return sim_pci_fn_d_state(fn);
}

/* Visit every endpoint function in the subtree below @n. */
static void for_each_fn_below(struct sim_node *n,
			      void (*fn)(struct sim_pci_fn *f, int phase),
			      int phase)
{
	for (struct sim_node *c = n->first_child; c; c = c->next_sibling) {
		if (c->kind == SIM_NODE_ENDPOINT && c->fn)
			fn(c->fn, phase);
		for_each_fn_below(c, fn, phase);
	}
}

static void sbr_phase(struct sim_pci_fn *f, int phase)
{
	int pm = f->pm_cap;

	switch (phase) {
	case 0:
		notify(f, SIM_PCI_FLR_START);
		break;
	case 1:
		/* conventional reset: command register cleared, back in D0 */
		__atomic_store_n(&f->in_reset, true, __ATOMIC_RELEASE);
		f->flr_count++;
		sim_pci_fn_set_command(f, 0);
		if (pm)
			cfg_w16(f->config, pm + PCI_PM_CTRL,
				cfg_r16(f->config, pm + PCI_PM_CTRL) &
					~PCI_PM_CTRL_STATE_MASK);
		__atomic_store_n(&f->d_state, PCI_D0, __ATOMIC_RELEASE);
		if (f->mdev)
			sim_msi_reset(f->mdev);
		break;
	case 2:
		if (f->mdev)
			sim_model_cfg_reset(f->mdev, SIM_MODEL_RESET_BUS);
		__atomic_store_n(&f->in_reset, false, __ATOMIC_RELEASE);
		break;
	default:
		notify(f, SIM_PCI_FLR_DONE);
		break;
	}
}

/**
 * sim_pci_secondary_bus_reset - the Secondary Bus Reset bit of @bridge's
 * bridge control register, set and cleared
 * @bridge: a root port, switch upstream port or switch downstream port
 * @lock: held while the registers below change (the kernel's pci_lock),
 *	not while notifiers and the models' hooks run; NULL: the caller's
 *
 * Every endpoint function below @bridge is told the reset begins
 * (SIM_PCI_FLR_START, while all still decode), then all are in reset
 * together (command register cleared, back in D0), then each is told it
 * is over (SIM_PCI_FLR_DONE).
 *
 * Return: 0, or -EINVAL when @bridge is not a bridge of the machine.
 */
int sim_pci_secondary_bus_reset(struct sim_pci_fn *bridge,
				sim_spinlock_t *lock)
{
	struct sim_node *n;

	if (!bridge)
		return -EINVAL;
	n = bridge->node;
	if (n->kind == SIM_NODE_ENDPOINT || n->kind == SIM_NODE_HOSTBRIDGE)
		return -EINVAL;
	for_each_fn_below(n, sbr_phase, 0);
	cfg_lock(lock);
	for_each_fn_below(n, sbr_phase, 1);
	cfg_unlock(lock);
	for_each_fn_below(n, sbr_phase, 2);
	for_each_fn_below(n, sbr_phase, 3);
	return 0;
}
