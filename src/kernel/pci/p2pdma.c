// SPDX-License-Identifier: MIT
/*
 * PCI peer-to-peer DMA (drivers/pci/p2pdma.c, as the 2025 dma-buf series
 * split it into two layers).
 *
 * The core layer: pcim_p2pdma_init() gives a function one struct
 * p2pdma_provider per memory BAR, and pci_p2pdma_map_type() decides from
 * the topology how a client reaches a provider's MMIO. The decision is the
 * kernel's calc_map_type_and_dist():
 *
 *  - walk up from the provider and from the client (pci_upstream_bridge())
 *    to their first common upstream bridge, counting the steps each side
 *    takes; the distance is their sum (0 when provider == client);
 *  - every function visited on the way (the provider's side including the
 *    common bridge, the client's side below it) whose ACS control has
 *    RR, CR or EC set (pci_bridge_has_acs_redir()) makes the transfer go
 *    up to the host bridge; so does having no common upstream bridge;
 *  - the host-bridge path is THRU_HOST_BRIDGE if the host bridge is on the
 *    allowlist (platform `hostbridge p2p=allow`, standing in for the
 *    kernel's vendor/device table); two different host bridges must both
 *    be on it (host_bridge_whitelist()); otherwise NOT_SUPPORTED;
 *  - the host-bridge path adds no penalty to the distance: since the map
 *    types replaced the old upstream_bridge_distance() the kernel returns
 *    the plain hop count and only refuses (-1) what is NOT_SUPPORTED.
 *
 * Results are cached per client in the provider's state (the kernel's
 * map_types xarray) under the state's mutex.
 *
 * The upper layer gives BAR memory struct pages in a P2PDMA pgmap
 * (pci_p2pdma_add_resource()), a page-granular first-fit allocator over
 * them (the kernel's genalloc pool), publishing and pci_p2pmem_find_many().
 *
 * What a "virtual address" of P2P memory is here: the kernel hands out the
 * kernel virtual address of the ZONE_DEVICE mapping of the BAR, which is
 * still MMIO and must not be touched with memcpy(). The simulator reserves
 * an inaccessible (PROT_NONE) host range of the same size for each pgmap
 * and returns addresses inside it: unique, convertible (page_address(),
 * sim_virt_to_page(), sim_virt_to_phys(), pci_p2pmem_virt_to_bus()), and a
 * direct CPU access faults deterministically, as it would crash some real
 * architectures. CPU access goes through sim_mmio_read/write() on
 * sim_virt_to_phys() of the address, with the BAR's decode checks.
 */
#include <string.h>
#include <sys/mman.h>
#include "internal.h"

#define MEMORY_DEVICE_PCI_P2PDMA	0x70327064u	/* "p2pd" */

struct pci_p2pdma;

/*
 * One pci_p2pdma_add_resource() range: the pgmap its pages point to. The
 * type tag comes first so that is_pci_p2pdma_page() can tell it from any
 * other owner of page->pgmap.
 */
struct p2p_pgmap {
	unsigned int type;		/* MEMORY_DEVICE_PCI_P2PDMA */
	struct pci_p2pdma *p2p;
	struct p2pdma_provider *mem;	/* the BAR's provider */
	int bar;
	phys_addr_t start;		/* CPU physical address of page 0 */
	u64 bus;			/* bus address of page 0 */
	unsigned long nr_pages;
	u8 *va;				/* PROT_NONE reservation, nr_pages long */
	struct page *pages;		/* the memmap */
	u64 *used;			/* allocator bitmap, under p2p->lock */
	unsigned long nr_used;
	struct p2p_pgmap *next;
};

struct p2p_map_entry {
	struct pci_dev *client;
	enum pci_p2pdma_map_type type;
};

/*
 * P2PDMA state of one PCI function (fn->p2pdma). Created by
 * pcim_p2pdma_init(), freed by pci_p2pdma_release() with the function.
 * @lock protects the map-type cache, the pgmaps' allocator state and
 * @published; @mem and the pgmap list's ranges are immutable once visible.
 */
struct pci_p2pdma {
	struct sim_machine *m;
	struct pci_dev *pdev;
	pthread_mutex_t lock;
	struct p2pdma_provider mem[PCI_STD_NUM_BARS];
	struct p2p_map_entry *map_types;
	unsigned int nr_map_types, cap_map_types;
	struct p2p_pgmap *pgmaps;
	bool pool;			/* the upper layer is set up */
	bool published;
};

static struct pci_p2pdma *p2p_of(struct pci_dev *pdev)
{
	if (!pdev || !pdev->sim)
		return NULL;
	return __atomic_load_n(&pdev->sim->p2pdma, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------------ */
/* Core layer: providers                                                    */
/* ------------------------------------------------------------------------ */

/**
 * pcim_p2pdma_init - set up the P2PDMA providers of @pdev
 * @pdev: the PCI function whose memory BARs become providers
 *
 * Allocates @pdev's P2PDMA state with one struct p2pdma_provider for each
 * memory BAR (owner &pdev->dev, bus_offset the BAR's bus address minus its
 * CPU address). Idempotent: a second call returns 0 and changes nothing.
 * The state belongs to the function and is freed with it at machine
 * teardown (pci_p2pdma_release()), as the kernel's devm action.
 * Serialised against itself by the machine's topology lock.
 *
 * Return: 0 or -ENOMEM (-EINVAL for a NULL or non-machine @pdev).
 */
int pcim_p2pdma_init(struct pci_dev *pdev)
{
	struct sim_machine *m;
	struct pci_p2pdma *p2p;
	int ret = 0;

	if (!pdev || !pdev->sim || !pdev->dev.sim)
		return -EINVAL;
	m = pdev->dev.sim;
	pthread_mutex_lock(&m->topo_lock);
	if (pdev->sim->p2pdma)
		goto out_unlock;
	p2p = sim_kzalloc(m, sizeof(*p2p));
	if (!p2p) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	p2p->m = m;
	p2p->pdev = pdev;
	pthread_mutex_init(&p2p->lock, NULL);
	/* Only memory BARs: I/O space cannot be a peer-to-peer target. */
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		p2p->mem[i].owner = &pdev->dev;
		p2p->mem[i].bus_offset = pci_bus_address(pdev, i) -
					 pci_resource_start(pdev, i);
	}
	__atomic_store_n(&pdev->sim->p2pdma, p2p, __ATOMIC_RELEASE);
out_unlock:
	pthread_mutex_unlock(&m->topo_lock);
	return ret;
}

/**
 * pcim_p2pdma_provider - the provider of memory BAR @bar of @pdev
 * @pdev: a function set up with pcim_p2pdma_init()
 * @bar: BAR index
 *
 * The provider lives as long as @pdev's P2PDMA state (until the machine
 * is destroyed); callers must have unmapped everything they mapped through
 * it before then. Takes no lock.
 *
 * Return: the provider; NULL for a non-memory BAR, or (with a warning, as
 * the kernel's WARN_ON) when pcim_p2pdma_init() was never called.
 */
struct p2pdma_provider *pcim_p2pdma_provider(struct pci_dev *pdev, int bar)
{
	struct pci_p2pdma *p2p;

	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return NULL;
	p2p = p2p_of(pdev);
	if (!p2p) {
		SIM_WARN(pdev->dev.sim, &pdev->dev,
			 "WARNING: %s: %s: pcim_p2pdma_provider() before pcim_p2pdma_init()",
			 __func__, pci_name(pdev));
		return NULL;
	}
	return &p2p->mem[bar];
}

/* ------------------------------------------------------------------------ */
/* Core layer: the map type                                                 */
/* ------------------------------------------------------------------------ */

/* pci_bridge_has_acs_redir(): ACS control of @pdev, and whether it redirects. */
static bool acs_redirects(struct pci_dev *pdev, u16 *ctrl_out)
{
	u16 pos = pdev->sim->acs_cap;
	u16 ctrl = 0;

	if (pos)
		pci_read_config_word(pdev, pos + PCI_ACS_CTRL, &ctrl);
	if (ctrl_out)
		*ctrl_out = ctrl;
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

static const char *node_kind_name(struct sim_node *n)
{
	switch (n->kind) {
	case SIM_NODE_HOSTBRIDGE:
		return "hostbridge";
	case SIM_NODE_ROOTPORT:
		return "rootport";
	case SIM_NODE_SWITCH_UP:
		return "switch-up";
	case SIM_NODE_SWITCH_DOWN:
		return "switch-down";
	case SIM_NODE_ENDPOINT:
		break;
	}
	return "endpoint";
}

static struct sim_node *node_of(struct pci_dev *pdev)
{
	return pdev->sim->node;
}

static void add_hop(struct sim_p2p_explain *ex, struct sim_node *n)
{
	struct sim_p2p_hop *h;

	if (!ex || ex->nr_hops >= SIM_P2P_PATH_MAX)
		return;
	h = &ex->hops[ex->nr_hops++];
	h->id = n->id;
	h->kind = node_kind_name(n);
	h->acs_ctrl = 0;
	h->redirects = false;
	if (n->fn)
		h->redirects = acs_redirects(&n->fn->pdev, &h->acs_ctrl);
}

/* An explanation sentence; a long one is cut at the buffer's end. */
static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Appends "id" to a comma-separated list in @buf. */
static void acs_list_add(char *buf, size_t len, const char *id)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", id);
}

/*
 * calc_map_type_and_dist() of the kernel, plus the explanation. Computes
 * only; the caller caches. @verbose reports what the kernel pci_warn()s.
 */
static enum pci_p2pdma_map_type calc(struct pci_dev *provider,
				     struct pci_dev *client, int *dist,
				     bool verbose, struct sim_p2p_explain *ex)
{
	struct sim_machine *m = client->dev.sim;
	struct pci_dev *a = provider, *b = client, *bb;
	struct sim_node *hb_a = node_of(provider)->hb;
	struct sim_node *hb_b = node_of(client)->hb;
	struct sim_hostbridge *ha = hb_a->hostbridge, *hbb = hb_b->hostbridge;
	char acs_list[160] = "";
	int acs_cnt = 0, dist_a = 0, dist_b = 0;
	bool allowed, common = false;

	while (a) {
		dist_b = 0;
		if (acs_redirects(a, NULL)) {
			acs_list_add(acs_list, sizeof(acs_list), node_of(a)->id);
			acs_cnt++;
		}
		for (bb = b; bb; bb = pci_upstream_bridge(bb), dist_b++)
			if (bb == a)
				goto common;
		a = pci_upstream_bridge(a);
		dist_a++;
	}

	/* No common upstream bridge: up through the root complex. */
	*dist = dist_a + dist_b;
	if (ex) {
		for (bb = b; bb; bb = pci_upstream_bridge(bb))
			add_hop(ex, node_of(bb));
		add_hop(ex, hb_b);
		if (hb_a != hb_b)
			add_hop(ex, hb_a);
		/* Down to the provider: its chain in reverse order. */
		struct sim_node *down[SIM_P2P_PATH_MAX];
		unsigned int nd = 0;

		for (a = provider; a && nd < SIM_P2P_PATH_MAX;
		     a = pci_upstream_bridge(a))
			down[nd++] = node_of(a);
		while (nd)
			add_hop(ex, down[--nd]);
		ex->common = NULL;
	}
	goto host_bridge;

common:
	common = true;
	for (bb = b; bb && bb != a; bb = pci_upstream_bridge(bb)) {
		if (acs_redirects(bb, NULL)) {
			acs_list_add(acs_list, sizeof(acs_list), node_of(bb)->id);
			acs_cnt++;
		}
	}
	*dist = dist_a + dist_b;
	if (ex) {
		struct sim_node *down[SIM_P2P_PATH_MAX];
		unsigned int nd = 0;
		struct pci_dev *x;

		for (bb = b; bb && bb != a; bb = pci_upstream_bridge(bb))
			add_hop(ex, node_of(bb));
		if (provider != client)
			add_hop(ex, node_of(a));
		for (x = provider; x && x != a && nd < SIM_P2P_PATH_MAX;
		     x = pci_upstream_bridge(x))
			down[nd++] = node_of(x);
		while (nd)
			add_hop(ex, down[--nd]);
		if (provider == client)
			add_hop(ex, node_of(provider));
		ex->common = node_of(a)->id;
	}
	if (!acs_cnt) {
		if (ex) {
			ex->type = PCI_P2PDMA_MAP_BUS_ADDR;
			if (provider == client) {
				say(ex->reason, sizeof(ex->reason),
					 "%s is both provider and client: the transfer never leaves the function",
					 node_of(provider)->id);
				say(ex->change, sizeof(ex->change),
					 "nothing in the topology changes the answer for a function and its own BAR");
			} else {
				say(ex->reason, sizeof(ex->reason),
					 "%s and %s share upstream bridge %s and no port on the path has ACS RR, CR or EC set",
					 node_of(client)->id,
					 node_of(provider)->id,
					 node_of(a)->id);
				say(ex->change, sizeof(ex->change),
					 "setting ACS RR on a port between them would send the traffic through host bridge %s, making it %s",
					 hb_a->id,
					 ha->p2p_allow ? "THRU_HOST_BRIDGE" :
							 "NOT_SUPPORTED");
			}
		}
		return PCI_P2PDMA_MAP_BUS_ADDR;
	}
	if (verbose) {
		sim_report(m, SIM_REPORT_WARN, &client->dev, 0, 0,
			   "%s: ACS redirect is set between the client and provider (%s)",
			   pci_name(client), pci_name(provider));
		sim_report(m, SIM_REPORT_WARN, &client->dev, 0, 0,
			   "%s: to disable ACS redirect for this path, clear ACS RR/CR/EC on: %s",
			   pci_name(client), acs_list);
	}
	if (ex)
		add_hop(ex, hb_a);

host_bridge:
	/*
	 * host_bridge_whitelist(): one host bridge must be on the list; two
	 * different ones must both be (entries limited to the same host
	 * bridge have no equivalent in the platform text). As the kernel,
	 * the allowlist complaint is printed only on the ACS-redirect path.
	 */
	allowed = ha->p2p_allow && hbb->p2p_allow;
	if (acs_cnt && !allowed)
		sim_report(m, SIM_REPORT_WARN, &client->dev, 0, 0,
			   "host bridge %s not in P2PDMA allowlist (p2p=deny)",
			   !ha->p2p_allow ? hb_a->id : hb_b->id);
	if (ex) {
		const char *deny = !hbb->p2p_allow ? hb_b->id : hb_a->id;

		ex->host_bridge = hb_b->id;
		ex->host_bridge_p2p = allowed;
		ex->type = allowed ? PCI_P2PDMA_MAP_THRU_HOST_BRIDGE :
				     PCI_P2PDMA_MAP_NOT_SUPPORTED;
		/*
		 * ACS decides only below a common bridge; without one the
		 * traffic reaches the host bridge whatever the ACS bits say.
		 */
		if (acs_cnt && common) {
			say(ex->reason, sizeof(ex->reason),
				 "ACS redirect (RR/CR/EC) on %s sends the traffic up to host bridge %s, which %s peer-to-peer",
				 acs_list, hb_a->id,
				 allowed ? "allows" : "does not allow (p2p=deny)");
			if (allowed)
				say(ex->change, sizeof(ex->change),
					 "clearing ACS RR/CR/EC on %s would make it BUS_ADDR",
					 acs_list);
			else
				say(ex->change, sizeof(ex->change),
					 "p2p=allow on host bridge %s would make it THRU_HOST_BRIDGE; clearing ACS RR/CR/EC on %s would make it BUS_ADDR",
					 deny, acs_list);
		} else if (hb_a != hb_b) {
			say(ex->reason, sizeof(ex->reason),
				 "%s and %s are below different host bridges (%s, %s)%s",
				 node_of(client)->id, node_of(provider)->id,
				 hb_b->id, hb_a->id,
				 allowed ? ", both on the P2P allowlist" :
					   ", and both must be on the P2P allowlist");
			if (allowed)
				say(ex->change, sizeof(ex->change),
					 "p2p=deny on host bridge %s or %s would make it NOT_SUPPORTED",
					 hb_b->id, hb_a->id);
			else if (!ha->p2p_allow && !hbb->p2p_allow)
				say(ex->change, sizeof(ex->change),
					 "p2p=allow on host bridges %s and %s would make it THRU_HOST_BRIDGE",
					 hb_b->id, hb_a->id);
			else
				say(ex->change, sizeof(ex->change),
					 "p2p=allow on host bridge %s would make it THRU_HOST_BRIDGE",
					 deny);
		} else {
			say(ex->reason, sizeof(ex->reason),
				 "%s and %s share no upstream bridge, so the traffic goes through host bridge %s, which %s peer-to-peer",
				 node_of(client)->id, node_of(provider)->id,
				 hb_a->id,
				 allowed ? "allows" : "does not allow (p2p=deny)");
			if (allowed)
				say(ex->change, sizeof(ex->change),
					 "placing both below one PCIe switch without ACS redirect would make it BUS_ADDR");
			else
				say(ex->change, sizeof(ex->change),
					 "p2p=allow on host bridge %s would make it THRU_HOST_BRIDGE",
					 hb_a->id);
		}
	}
	if (!allowed) {
		if (verbose)
			sim_report(m, SIM_REPORT_WARN, &client->dev, 0, 0,
				   "%s: cannot be used for peer-to-peer DMA as the client and provider (%s) do not share an upstream bridge or whitelisted host bridge",
				   pci_name(client), pci_name(provider));
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	}
	return PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
}

/* Store @type for @client; a failed allocation only loses the cache entry,
 * as the kernel ignores a failed xa_store(). Called with p2p->lock held. */
static void cache_store(struct pci_p2pdma *p2p, struct pci_dev *client,
			enum pci_p2pdma_map_type type)
{
	struct p2p_map_entry *n;
	unsigned int cap;

	for (unsigned int i = 0; i < p2p->nr_map_types; i++)
		if (p2p->map_types[i].client == client) {
			p2p->map_types[i].type = type;
			return;
		}
	if (p2p->nr_map_types == p2p->cap_map_types) {
		cap = p2p->cap_map_types ? 2 * p2p->cap_map_types : 8;
		n = sim_kcalloc(p2p->m, cap, sizeof(*n));
		if (!n)
			return;
		if (p2p->nr_map_types)
			memcpy(n, p2p->map_types,
			       p2p->nr_map_types * sizeof(*n));
		sim_kfree(p2p->m, p2p->map_types);
		p2p->map_types = n;
		p2p->cap_map_types = cap;
	}
	p2p->map_types[p2p->nr_map_types++] =
		(struct p2p_map_entry){ .client = client, .type = type };
}

/* calc() for the API: caches the result in the provider's state. */
static enum pci_p2pdma_map_type calc_and_cache(struct pci_dev *provider,
					       struct pci_dev *client,
					       int *dist, bool verbose)
{
	enum pci_p2pdma_map_type type = calc(provider, client, dist, verbose,
					     NULL);
	struct pci_p2pdma *p2p = p2p_of(provider);

	if (p2p) {
		pthread_mutex_lock(&p2p->lock);
		cache_store(p2p, client, type);
		pthread_mutex_unlock(&p2p->lock);
	}
	return type;
}

/**
 * pci_p2pdma_map_type - how @dev reaches @provider's MMIO
 * @provider: a provider from pcim_p2pdma_provider()
 * @dev: the DMA client
 *
 * Computed from the topology on first use (reporting, as the kernel's
 * pci_warn()s, why a path is redirected or refused) and cached per client
 * in the provider's state; takes that state's mutex.
 *
 * Return: BUS_ADDR, THRU_HOST_BRIDGE or NOT_SUPPORTED (also for a non-PCI
 * client or a provider whose function has no P2PDMA state); never UNKNOWN.
 */
enum pci_p2pdma_map_type pci_p2pdma_map_type(struct p2pdma_provider *provider,
					     struct device *dev)
{
	enum pci_p2pdma_map_type type = PCI_P2PDMA_MAP_UNKNOWN;
	struct pci_dev *pdev, *client;
	struct pci_p2pdma *p2p;
	int dist;

	if (!provider || !provider->owner)
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	pdev = to_pci_dev(provider->owner);
	p2p = p2p_of(pdev);
	if (!p2p)
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	if (!dev_is_pci(dev))
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	client = to_pci_dev(dev);

	pthread_mutex_lock(&p2p->lock);
	for (unsigned int i = 0; i < p2p->nr_map_types; i++)
		if (p2p->map_types[i].client == client) {
			type = p2p->map_types[i].type;
			break;
		}
	pthread_mutex_unlock(&p2p->lock);
	if (type == PCI_P2PDMA_MAP_UNKNOWN)
		type = calc_and_cache(pdev, client, &dist, true);
	return type;
}

/* find_parent_pci_dev(): @dev or its first PCI ancestor. */
static struct pci_dev *find_parent_pci_dev(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return to_pci_dev(dev);
	return NULL;
}

/**
 * pci_p2pdma_distance_many - how far @provider is from all of @clients
 * @provider: the function whose memory would be used
 * @clients: the devices that would DMA to it
 * @num_clients: how many
 * @verbose: report why a client cannot use it
 *
 * Each client's distance is the number of steps from it and from the
 * provider up to their common upstream bridge (or to the top of both
 * hierarchies when there is none); no penalty is added for the host-bridge
 * path. A client that is not (below) a PCI function or whose map type is
 * NOT_SUPPORTED makes the whole answer -1. Each computed map type is
 * cached in @provider's state if it has one (its mutex is taken).
 *
 * Return: the sum of the distances, or -1.
 */
int pci_p2pdma_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose)
{
	bool not_supported = false;
	int total = 0;

	if (!provider || num_clients <= 0 || !clients)
		return -1;
	for (int i = 0; i < num_clients; i++) {
		struct pci_dev *client = find_parent_pci_dev(clients[i]);
		enum pci_p2pdma_map_type map;
		int dist;

		if (!client) {
			if (verbose && clients[i] && clients[i]->sim)
				sim_report(clients[i]->sim, SIM_REPORT_WARN,
					   clients[i], 0, 0,
					   "%s: cannot be used for peer-to-peer DMA as it is not a PCI device",
					   dev_name(clients[i]));
			return -1;
		}
		map = calc_and_cache(provider, client, &dist, verbose);
		if (map == PCI_P2PDMA_MAP_NOT_SUPPORTED)
			not_supported = true;
		if (not_supported && !verbose)
			break;
		total += dist;
	}
	return not_supported ? -1 : total;
}

/**
 * sim_p2pdma_explain - why @client gets the map type it gets for @provider
 * @provider: a provider (its owner must be a PCI function)
 * @client: the DMA client
 * @out: filled with the type, distance, path and the deciding fact
 *
 * Computed afresh every time (the cache is neither read nor written) and
 * without reports. Takes no lock.
 *
 * Return: 0, or -EINVAL for a NULL argument or a non-PCI provider.
 */
int sim_p2pdma_explain(struct p2pdma_provider *provider, struct device *client,
		       struct sim_p2p_explain *out)
{
	struct pci_dev *pdev, *cdev;
	int dist = -1;

	if (!provider || !out || !provider->owner ||
	    !dev_is_pci(provider->owner))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->distance = -1;
	pdev = to_pci_dev(provider->owner);
	if (!dev_is_pci(client)) {
		out->type = PCI_P2PDMA_MAP_NOT_SUPPORTED;
		say(out->reason, sizeof(out->reason),
			 "%s is not a PCI device, so it cannot take part in PCI peer-to-peer DMA",
			 client ? dev_name(client) : "(null)");
		say(out->change, sizeof(out->change),
			 "only a PCI client can use the provider's MMIO directly");
		return 0;
	}
	cdev = to_pci_dev(client);
	if (!p2p_of(pdev)) {
		out->type = PCI_P2PDMA_MAP_NOT_SUPPORTED;
		say(out->reason, sizeof(out->reason),
			 "%s has no P2PDMA state (pcim_p2pdma_init() was not called)",
			 node_of(pdev)->id);
		say(out->change, sizeof(out->change),
			 "calling pcim_p2pdma_init() on %s would let the topology decide",
			 node_of(pdev)->id);
		return 0;
	}
	out->type = calc(pdev, cdev, &dist, false, out);
	out->distance = out->type == PCI_P2PDMA_MAP_NOT_SUPPORTED ? -1 : dist;
	return 0;
}

const char *sim_p2pdma_map_type_name(enum pci_p2pdma_map_type type)
{
	switch (type) {
	case PCI_P2PDMA_MAP_UNKNOWN:
		return "UNKNOWN";
	case PCI_P2PDMA_MAP_NONE:
		return "NONE";
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		return "NOT_SUPPORTED";
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "BUS_ADDR";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "THRU_HOST_BRIDGE";
	}
	return "?";
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                 */
/* ------------------------------------------------------------------------ */

static void pgmap_free(struct sim_machine *m, struct p2p_pgmap *pg)
{
	if (pg->va)
		munmap(pg->va, pg->nr_pages << PAGE_SHIFT);
	sim_kfree(m, pg->used);
	sim_kfree(m, pg->pages);
	sim_kfree(m, pg);
}

/*
 * pci_p2pdma_release - free @fn's P2PDMA state (machine teardown). Nothing
 * may use its providers or pages any more.
 */
static void pci_p2pdma_release(struct sim_machine *m, struct sim_pci_fn *fn)
{
	struct pci_p2pdma *p2p = fn->p2pdma;

	if (!p2p)
		return;
	fn->p2pdma = NULL;
	while (p2p->pgmaps) {
		struct p2p_pgmap *pg = p2p->pgmaps;

		p2p->pgmaps = pg->next;
		pgmap_free(m, pg);
	}
	sim_kfree(m, p2p->map_types);
	pthread_mutex_destroy(&p2p->lock);
	sim_kfree(m, p2p);
}

/**
 * pci_p2pdma_exit_machine - every function's P2PDMA state goes
 * @m: the machine, shutting down (after the users of P2P memory: dma-buf,
 *	the IOMMU); its device models are still there
 */
void pci_p2pdma_exit_machine(struct sim_machine *m)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->fn)
			pci_p2pdma_release(m, m->nodes[i]->fn);
}

/* ------------------------------------------------------------------------ */
/* Upper layer: struct pages for BAR memory and an allocator over them      */
/* ------------------------------------------------------------------------ */

static bool pgmap_overlaps(struct pci_p2pdma *p2p, phys_addr_t start, u64 size)
{
	for (struct p2p_pgmap *pg = p2p->pgmaps; pg; pg = pg->next) {
		u64 len = (u64)pg->nr_pages << PAGE_SHIFT;

		if (start < pg->start + len && pg->start < start + size)
			return true;
	}
	return false;
}

/**
 * pci_p2pdma_add_resource - give part of a BAR struct pages for P2P use
 * @pdev: the function providing the memory
 * @bar: a memory BAR of @pdev
 * @size: bytes to add (0: the rest of the BAR from @offset)
 * @offset: where in the BAR they start
 *
 * Sets up @pdev's P2PDMA state if needed (pcim_p2pdma_init(), kept on a
 * later failure as the kernel keeps it), then creates a P2PDMA pgmap: a
 * struct page per page of the range (page_to_phys() is the BAR's CPU
 * address, page_address() the P2P virtual address described at the top
 * of this file) and adds it to the function's pool, unpublished. The pgmap
 * belongs to the function and is freed with it. Takes the state's mutex.
 *
 * Return: 0; -EINVAL for a non-memory BAR, a range outside it or not page
 * aligned; -ENOMEM when out of memory or when the range overlaps a pgmap
 * added before (the kernel's "Conflicting mapping" from memremap_pages()).
 */
int pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset)
{
	struct sim_machine *m;
	struct p2p_pgmap *pg;
	struct pci_p2pdma *p2p;
	u64 len;
	int ret;

	if (!pdev || !pdev->sim || !pdev->dev.sim)
		return -EINVAL;
	m = pdev->dev.sim;
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;
	len = pci_resource_len(pdev, bar);
	if (offset >= len)
		return -EINVAL;
	if (!size)
		size = len - offset;
	if (size > len - offset)
		return -EINVAL;
	/* memremap_pages() works on whole pages. */
	if (!IS_ALIGNED(offset, PAGE_SIZE) || !IS_ALIGNED((u64)size, PAGE_SIZE))
		return -EINVAL;

	ret = pcim_p2pdma_init(pdev);
	if (ret)
		return ret;
	p2p = p2p_of(pdev);

	pg = sim_kzalloc(m, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	pg->type = MEMORY_DEVICE_PCI_P2PDMA;
	pg->p2p = p2p;
	pg->mem = &p2p->mem[bar];
	pg->bar = bar;
	pg->start = pci_resource_start(pdev, bar) + offset;
	pg->bus = pci_bus_address(pdev, bar) + offset;
	pg->nr_pages = size >> PAGE_SHIFT;
	pg->pages = sim_kcalloc(m, pg->nr_pages, sizeof(*pg->pages));
	if (!pg->pages)
		goto err_free_pgmap;
	pg->used = sim_kcalloc(m, DIV_ROUND_UP(pg->nr_pages, 64), sizeof(u64));
	if (!pg->used)
		goto err_free_pgmap;
	/* The "kernel mapping" of the BAR: address space only (see top). */
	if (sim_should_fail_alloc(m))
		goto err_free_pgmap;
	pg->va = mmap(NULL, size, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pg->va == MAP_FAILED) {
		pg->va = NULL;
		goto err_free_pgmap;
	}
	for (unsigned long i = 0; i < pg->nr_pages; i++) {
		struct page *page = &pg->pages[i];

		page->pfn = PHYS_PFN(pg->start) + i;
		page->pgmap = pg;
		page->virtual = pg->va + (i << PAGE_SHIFT);
		page->flags = PG_reserved;
	}

	pthread_mutex_lock(&p2p->lock);
	if (pgmap_overlaps(p2p, pg->start, size)) {
		pthread_mutex_unlock(&p2p->lock);
		SIM_WARN(m, &pdev->dev,
			 "WARNING: %s: Conflicting mapping in same section: %#llx-%#llx",
			 pci_name(pdev), (unsigned long long)pg->start,
			 (unsigned long long)(pg->start + size - 1));
		goto err_free_pgmap;
	}
	p2p->pool = true;
	/* genalloc adds a chunk at the head: the newest range is tried first. */
	pg->next = p2p->pgmaps;
	p2p->pgmaps = pg;
	pthread_mutex_unlock(&p2p->lock);

	sim_report(m, SIM_REPORT_INFO, &pdev->dev, pg->start, size,
		   "%s: added peer-to-peer DMA memory %#llx-%#llx",
		   pci_name(pdev), (unsigned long long)pg->start,
		   (unsigned long long)(pg->start + size - 1));
	return 0;

err_free_pgmap:
	pgmap_free(m, pg);
	return -ENOMEM;
}

static bool bit_test(const u64 *map, unsigned long i)
{
	return map[i / 64] & (1ULL << (i % 64));
}

static void bits_assign(u64 *map, unsigned long first, unsigned long n,
			bool set)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (set)
			map[i / 64] |= 1ULL << (i % 64);
		else
			map[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* First fit of @n free pages in @pg; the index or -1. Under p2p->lock. */
static long pgmap_find_free(struct p2p_pgmap *pg, unsigned long n)
{
	unsigned long run = 0;

	if (n > pg->nr_pages - pg->nr_used)
		return -1;
	for (unsigned long i = 0; i < pg->nr_pages; i++) {
		run = bit_test(pg->used, i) ? 0 : run + 1;
		if (run == n)
			return (long)(i + 1 - n);
	}
	return -1;
}

/**
 * pci_alloc_p2pmem - allocate P2P memory from @pdev's pool
 * @pdev: a function with resources added by pci_p2pdma_add_resource()
 * @size: bytes; rounded up to whole pages (the pool's granule)
 *
 * First fit, the most recently added range first. The memory stays the
 * caller's until pci_free_p2pmem() with the same size. Takes the state's
 * mutex.
 *
 * Return: the P2P virtual address (see the top of this file), or NULL.
 */
void *pci_alloc_p2pmem(struct pci_dev *pdev, size_t size)
{
	struct pci_p2pdma *p2p = p2p_of(pdev);
	unsigned long n;
	void *ret = NULL;

	if (!p2p || !size)
		return NULL;
	n = DIV_ROUND_UP((u64)size, PAGE_SIZE);
	pthread_mutex_lock(&p2p->lock);
	for (struct p2p_pgmap *pg = p2p->pgmaps; pg; pg = pg->next) {
		long first = pgmap_find_free(pg, n);

		if (first < 0)
			continue;
		bits_assign(pg->used, (unsigned long)first, n, true);
		pg->nr_used += n;
		for (unsigned long i = 0; i < n; i++)
			pg->pages[first + i].refcount = 1;
		ret = pg->va + ((unsigned long)first << PAGE_SHIFT);
		break;
	}
	pthread_mutex_unlock(&p2p->lock);
	return ret;
}

/* The pgmap of @pdev whose P2P virtual range holds @addr. Under p2p->lock
 * or with the pgmap list stable (ranges never move once added). */
static struct p2p_pgmap *pgmap_of_va(struct pci_p2pdma *p2p, const void *addr)
{
	const u8 *a = addr;

	for (struct p2p_pgmap *pg = p2p->pgmaps; pg; pg = pg->next)
		if (a >= pg->va && a < pg->va + (pg->nr_pages << PAGE_SHIFT))
			return pg;
	return NULL;
}

/**
 * pci_free_p2pmem - give back memory from pci_alloc_p2pmem()
 * @pdev: the function it came from
 * @addr: what pci_alloc_p2pmem() returned
 * @size: the size it was asked for
 *
 * Freeing memory that is not allocated from @pdev's pool is a bug (the
 * kernel's genalloc BUG()s): it is reported and nothing is freed. Takes
 * the state's mutex.
 */
void pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size)
{
	struct pci_p2pdma *p2p = p2p_of(pdev);
	struct p2p_pgmap *pg;
	unsigned long first, n;

	if (!addr)
		return;
	if (!p2p) {
		SIM_BUG(pdev->dev.sim, &pdev->dev,
			"%s: %s has no P2P memory pool", __func__,
			pci_name(pdev));
		return;
	}
	n = DIV_ROUND_UP((u64)size, PAGE_SIZE);
	pthread_mutex_lock(&p2p->lock);
	pg = pgmap_of_va(p2p, addr);
	if (!pg || ((uintptr_t)addr & (PAGE_SIZE - 1)))
		goto bug;
	first = (unsigned long)(((u8 *)addr - pg->va) >> PAGE_SHIFT);
	if (!n || n > pg->nr_pages - first)
		goto bug;
	for (unsigned long i = first; i < first + n; i++)
		if (!bit_test(pg->used, i))
			goto bug;
	bits_assign(pg->used, first, n, false);
	pg->nr_used -= n;
	for (unsigned long i = first; i < first + n; i++)
		pg->pages[i].refcount = 0;
	pthread_mutex_unlock(&p2p->lock);
	return;

bug:
	pthread_mutex_unlock(&p2p->lock);
	SIM_BUG(pdev->dev.sim, &pdev->dev,
		"%s: %s: %p+%zu is not allocated P2P memory", __func__,
		pci_name(pdev), addr, size);
}

/**
 * pci_p2pmem_virt_to_bus - the PCI bus address of P2P memory
 * @pdev: the function whose pool @addr came from
 * @addr: a P2P virtual address from pci_alloc_p2pmem()
 *
 * Return: the bus address; 0 for a NULL @addr or a function without a
 * pool; (u64)-1 for an address outside the pool (genalloc's answer).
 */
u64 pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	struct pci_p2pdma *p2p = p2p_of(pdev);
	struct p2p_pgmap *pg;
	u64 bus = (u64)-1;

	if (!addr || !p2p)
		return 0;
	pthread_mutex_lock(&p2p->lock);
	pg = pgmap_of_va(p2p, addr);
	if (pg)
		bus = pg->bus + (u64)((u8 *)addr - pg->va);
	pthread_mutex_unlock(&p2p->lock);
	return bus;
}

/**
 * pci_p2pmem_publish - make @pdev's pool findable by pci_p2pmem_find_many()
 * @pdev: the function
 * @publish: true to publish, false to make it private again
 *
 * Does nothing for a function without P2PDMA state. Takes its mutex.
 */
void pci_p2pmem_publish(struct pci_dev *pdev, bool publish)
{
	struct pci_p2pdma *p2p = p2p_of(pdev);

	if (!p2p)
		return;
	pthread_mutex_lock(&p2p->lock);
	p2p->published = publish;
	pthread_mutex_unlock(&p2p->lock);
}

static bool pci_has_p2pmem(struct pci_dev *pdev)
{
	struct pci_p2pdma *p2p = p2p_of(pdev);
	bool ret;

	if (!p2p)
		return false;
	pthread_mutex_lock(&p2p->lock);
	ret = p2p->published;
	pthread_mutex_unlock(&p2p->lock);
	return ret;
}

/**
 * pci_p2pmem_find_many - the closest published P2P memory for @clients
 * @clients: the devices that will DMA to it (all in one machine)
 * @num_clients: how many
 *
 * Every function of the machine with a published pool is measured with
 * pci_p2pdma_distance_many() (which caches map types in the candidates'
 * states); the smallest distance wins. Where the kernel picks randomly
 * among equally close providers, the simulator takes the first in
 * platform order, so that runs are reproducible.
 *
 * Return: the provider, or NULL if no published pool is reachable by all.
 */
struct pci_dev *pci_p2pmem_find_many(struct device **clients, int num_clients)
{
	struct pci_dev *best = NULL;
	int best_dist = 0;
	struct sim_machine *m;

	if (!clients || num_clients <= 0 || !clients[0] || !clients[0]->sim)
		return NULL;
	m = clients[0]->sim;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_pci_fn *fn = m->nodes[i]->fn;
		int dist;

		if (!fn || !pci_has_p2pmem(&fn->pdev))
			continue;
		dist = pci_p2pdma_distance_many(&fn->pdev, clients,
						num_clients, false);
		if (dist < 0 || (best && dist >= best_dist))
			continue;
		best = &fn->pdev;
		best_dist = dist;
	}
	return best;
}

/**
 * is_pci_p2pdma_page - is @page a page of a P2PDMA pgmap?
 * @page: any struct page (RAM or ZONE_DEVICE)
 */
bool is_pci_p2pdma_page(const struct page *page)
{
	const struct p2p_pgmap *pg = page ? page->pgmap : NULL;

	return pg && pg->type == MEMORY_DEVICE_PCI_P2PDMA;
}

/**
 * pci_p2pdma_state - the map type of @page for @dev, remembered in @state
 * @state: zeroed by the caller before the first page of a mapping
 * @dev: the DMA client
 * @page: the page about to be mapped
 *
 * Only a page of another provider than the last one looks the type up
 * again (pci_p2pdma_map_type(), which may take the provider's mutex).
 *
 * Return: PCI_P2PDMA_MAP_NONE for a page that is not P2PDMA memory, else
 * the map type, with @state->mem the page's provider.
 */
enum pci_p2pdma_map_type pci_p2pdma_state(struct pci_p2pdma_map_state *state,
					  struct device *dev, struct page *page)
{
	struct p2p_pgmap *pg;

	if (!is_pci_p2pdma_page(page))
		return PCI_P2PDMA_MAP_NONE;
	pg = page->pgmap;
	if (state->mem != pg->mem) {
		state->mem = pg->mem;
		state->map = pci_p2pdma_map_type(pg->mem, dev);
	}
	return state->map;
}

/**
 * sim_p2pmem_virt_to_page - the struct page of a P2P virtual address
 * @m: the machine
 * @vaddr: an address from pci_alloc_p2pmem() (or page_address() of a
 *	   P2PDMA page)
 *
 * The virt_to_page() of ZONE_DEVICE memory, for sim_virt_to_page() and
 * sim_virt_to_phys(). Walks the machine's functions; takes each state's
 * mutex in turn.
 *
 * Return: the page, or NULL if @vaddr is not P2P memory of @m.
 */
struct page *sim_p2pmem_virt_to_page(struct sim_machine *m, const void *vaddr)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_pci_fn *fn = m->nodes[i]->fn;
		struct pci_p2pdma *p2p = fn ? p2p_of(&fn->pdev) : NULL;
		struct page *page = NULL;
		struct p2p_pgmap *pg;

		if (!p2p)
			continue;
		pthread_mutex_lock(&p2p->lock);
		pg = pgmap_of_va(p2p, vaddr);
		if (pg)
			page = &pg->pages[((const u8 *)vaddr - pg->va) >>
					  PAGE_SHIFT];
		pthread_mutex_unlock(&p2p->lock);
		if (page)
			return page;
	}
	return NULL;
}

/**
 * sim_p2pdma_pfn_to_page - the struct page of a P2PDMA page frame
 * @m: the machine
 * @pfn: a page frame number of BAR memory
 *
 * pfn_to_page() of ZONE_DEVICE memory, for users holding page frame
 * numbers (hmm_dma_map_pfn()). Walks the machine's functions; takes each
 * state's mutex in turn.
 *
 * Return: the page, or NULL if @pfn is not in a P2PDMA pgmap of @m.
 */
struct page *sim_p2pdma_pfn_to_page(struct sim_machine *m, unsigned long pfn)
{
	phys_addr_t phys = PFN_PHYS(pfn);

	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_pci_fn *fn = m->nodes[i]->fn;
		struct pci_p2pdma *p2p = fn ? p2p_of(&fn->pdev) : NULL;
		struct page *page = NULL;

		if (!p2p)
			continue;
		pthread_mutex_lock(&p2p->lock);
		for (struct p2p_pgmap *pg = p2p->pgmaps; pg; pg = pg->next) {
			if (phys >= pg->start &&
			    phys - pg->start < ((u64)pg->nr_pages << PAGE_SHIFT)) {
				page = &pg->pages[(phys - pg->start) >> PAGE_SHIFT];
				break;
			}
		}
		pthread_mutex_unlock(&p2p->lock);
		if (page)
			return page;
	}
	return NULL;
}

/**
 * pci_p2pmem_alloc_sgl - P2P memory of @pdev as a scatterlist
 * @pdev: a provider with a pool (pci_p2pdma_add_resource())
 * @nents: set to the entries (1)
 * @length: bytes
 *
 * The list and the memory are the caller's until pci_p2pmem_free_sgl().
 *
 * Return: the list, or NULL (no pool, @length 0, no memory left).
 */
struct scatterlist *pci_p2pmem_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length)
{
	struct sim_machine *m = pdev ? pdev->dev.sim : NULL;
	struct scatterlist *sg;
	void *addr;

	if (!m || !nents || !length)
		return NULL;
	sg = sim_kzalloc(m, sizeof(*sg));
	if (!sg)
		return NULL;
	sg_init_table(sg, 1);
	addr = pci_alloc_p2pmem(pdev, length);
	if (!addr) {
		sim_kfree(m, sg);
		return NULL;
	}
	sg_set_page(sg, sim_p2pmem_virt_to_page(m, addr), length,
		    (unsigned int)offset_in_page(addr));
	*nents = 1;
	return sg;
}

/* pci_p2pmem_free_sgl - give back pci_p2pmem_alloc_sgl()'s memory and list */
void pci_p2pmem_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl)
{
	/* the one entry pci_p2pmem_alloc_sgl() made */
	if (!pdev || !sgl)
		return;
	pci_free_p2pmem(pdev, sg_virt(sgl), sgl->length);
	sim_kfree(pdev->dev.sim, sgl);
}
