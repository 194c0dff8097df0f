// SPDX-License-Identifier: MIT
/*
 * dmastack p2p: the PCI P2PDMA map type and distance of every provider
 * (an endpoint with a memory BAR) for every client (every endpoint), as a
 * matrix in the manner of nvidia-smi topo -m, and for one pair the path
 * that decided it. The machine is a platform file, the default platform, or
 * a Linux /sys tree turned into platform text (src/cli/sysfs.c).
 *
 * With --sysfs, ACS the kernel would not let us read (config space cut at
 * 64 bytes for non-root) is not guessed: a second machine is built with it
 * on, and a pair whose answer differs between the two shows both.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dmastack/pci-p2pdma.h>
#include "cli.h"

struct p2p_args {
	const char *platform;
	const char *sysfs;
	const char *explain[2];
	bool print_platform;
};

struct p2p_ctx {
	const char *source;		/* what the machine was made from */
	struct sysfs_topo *t;		/* --sysfs only */
	struct sim_machine *m;		/* unknown ACS off (or the only one) */
	struct sim_machine *m_on;	/* unknown ACS on; NULL without any */
	struct sim_node **eps;		/* endpoints of m, in platform order */
	unsigned int nr_eps;
};

/*
 * How a pair is connected, in nvidia-smi topo -m's words (the topology
 * alone; the kernel's map type says whether P2P is allowed on it):
 *   X     the same function
 *   PIX   below a common upstream bridge, through at most one bridge: one
 *         switch (its ports count as one bridge) or one root port
 *   PXB   below a common upstream bridge, through several bridges (nested
 *         switches, or a switch and the root port above it)
 *   PHB   no common upstream bridge: through the host bridge of both
 *   NODE  through two host bridges of one NUMA node (or nodes not known)
 *   SYS   through two host bridges on different NUMA nodes
 */
enum p2p_link { LINK_X, LINK_PIX, LINK_PXB, LINK_PHB, LINK_NODE, LINK_SYS };

static const char *const link_names[] = { "X", "PIX", "PXB", "PHB", "NODE", "SYS" };

struct p2p_cell {
	enum pci_p2pdma_map_type type;
	int dist;
	bool self;
	enum p2p_link link;
};

/*
 * An endpoint and the bridges above it as the kernel's
 * pci_upstream_bridge() walks them, up to the root bus.
 */
#define CHAIN_MAX 64
struct p2p_chain {
	unsigned int n;
	uintptr_t key[CHAIN_MAX];	/* the function */
	uintptr_t unit[CHAIN_MAX];	/* the bridge it is part of: a switch's ports are one */
	uintptr_t hb;			/* its host bridge */
	int numa;			/* its NUMA node, -1: not known */
};

static void p2p_usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack p2p [-p FILE | --sysfs [DIR]] [--explain PROVIDER CLIENT]\n"
		"                    [--print-platform] [--json]\n"
		"\n"
		"The PCI P2PDMA map type and distance for every provider (an endpoint\n"
		"with a memory BAR; rows) and client (every endpoint; columns), or with\n"
		"--explain the path walked for one pair, the bridges and ACS bits that\n"
		"decided it, and what would change the answer.\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the embedded server)\n"
		"  --sysfs [DIR]        the machine described by a Linux /sys tree at DIR\n"
		"                       (default /sys); read-only, works without root\n"
		"  --explain A B        provider A and client B: platform ids, or with\n"
		"                       --sysfs PCI addresses (0000:03:00.0 or 03:00.0)\n"
		"  --print-platform     print the machine's PCI tree as platform text (with\n"
		"                       --sysfs: the platform text made from /sys) to edit\n"
		"                       and re-read with -p\n"
		"  --json               machine-readable output\n"
		"  -h, --help           this text\n");
}

/* 2: bad input (exit status), or 0 with @a and @o filled. */
static int parse_args(int argc, char **argv, struct cli_opts *o,
		      struct p2p_args *a, bool *help)
{
	enum { OPT_SYSFS = CLI_OPT_FIRST_OWN, OPT_EXPLAIN, OPT_PRINT_PLATFORM };
	static const struct option longopts[] = {
		CLI_LONGOPT_PLATFORM, CLI_LONGOPT_JSON, CLI_LONGOPT_HELP,
		{ "sysfs", optional_argument, NULL, OPT_SYSFS },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "print-platform", no_argument, NULL, OPT_PRINT_PLATFORM },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = cli_getopt("p2p", argc, argv, ":hp:", longopts)) != -1) {
		switch (c) {
		case 'h':
			*help = true;
			return 0;
		case OPT_SYSFS:
			/*
			 * DIR is optional: --sysfs=DIR, --sysfs DIR, or --sysfs
			 * alone (or before an option) for /sys
			 */
			if (optarg)
				a->sysfs = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				a->sysfs = argv[optind++];
			else
				a->sysfs = "/sys";
			if (!*a->sysfs)
				return cli_usage_error("p2p", "--sysfs needs a directory");
			break;
		case OPT_EXPLAIN:
			/* two values: the provider, then the client */
			if (optind >= argc || argv[optind][0] == '-')
				return cli_usage_error("p2p", "--explain needs a provider and a client");
			a->explain[0] = optarg;
			a->explain[1] = argv[optind++];
			break;
		case OPT_PRINT_PLATFORM:
			a->print_platform = true;
			break;
		case 'p':
		case CLI_OPT_JSON:
			if (cli_common_opt("p2p", c, o))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		return cli_usage_error("p2p", "unexpected argument '%s' (see dmastack p2p --help)",
				       argv[optind]);
	a->platform = o->platform;
	if (a->sysfs && a->platform)
		return cli_usage_error("p2p", "--sysfs and -p are exclusive (one machine at a time)");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/* How a platform node is shown: its real PCI address with --sysfs. */
static const char *node_label(const struct p2p_ctx *c, const char *id,
			      char *buf, size_t len)
{
	const struct sysfs_alias *al;

	if (!c->t) {
		snprintf(buf, len, "%s", id);
		return buf;
	}
	al = sysfs_alias_find(c->t, id);
	if (!al || al->fn < 0) {
		for (unsigned int h = 0; h < c->t->nr_hbs; h++)
			if (!strcmp(c->t->hbs[h].id, id)) {
				snprintf(buf, len, "%s", c->t->hbs[h].name);
				return buf;
			}
		snprintf(buf, len, "%s", id);
		return buf;
	}
	return sysfs_fn_label(c->t, al->fn, buf, len);
}

static bool id_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

/*
 * The library's sentences name platform ids; with --sysfs, show each as
 * the PCI address (or host bridge) it stands for. Whole ids only, so that
 * a switch id is not replaced inside one of its port ids.
 */
static void humanize(const struct p2p_ctx *c, const char *in, char *out,
		     size_t len)
{
	size_t o = 0;

	if (!c->t) {
		snprintf(out, len, "%s", in);
		return;
	}
	while (*in && o + 1 < len) {
		size_t n = 0;

		if (id_char(*in)) {
			char word[64], label[64];

			while (id_char(in[n]))
				n++;
			/* a sentence's full stop is not part of an id */
			while (n > 1 && in[n - 1] == '.')
				n--;
			if (n < sizeof(word)) {
				memcpy(word, in, n);
				word[n] = '\0';
				node_label(c, word, label, sizeof(label));
				o += (size_t)snprintf(out + o, len - o, "%s", label);
			} else {
				o += (size_t)snprintf(out + o, len - o, "%.*s", (int)n, in);
			}
			in += n;
			if (o >= len)
				o = len - 1;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
}

static bool acs_unknown(const struct p2p_ctx *c, const char *id)
{
	const struct sysfs_alias *al = c->t ? sysfs_alias_find(c->t, id) : NULL;

	return al && al->acs_unknown;
}

static const char *short_type(enum pci_p2pdma_map_type t)
{
	switch (t) {
	case PCI_P2PDMA_MAP_BUS_ADDR: return "BUS";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: return "HB";
	case PCI_P2PDMA_MAP_NOT_SUPPORTED: return "--";
	case PCI_P2PDMA_MAP_NONE: return "none";
	default: return "?";
	}
}

static int first_bar(struct sim_node *n)
{
	struct sim_bar_info bar;

	for (int b = 0; b < PCI_STD_NUM_BARS; b++)
		if (!sim_node_get_bar(n, b, &bar))
			return b;
	return -1;
}

/*
 * The BAR a driver registers with P2PDMA: the NVMe controller memory
 * buffer, a GPU's video memory, else the largest 64-bit prefetchable BAR
 * (what VFIO exports as a dma-buf), else the first memory BAR; -1: none.
 */
int cli_p2p_provider_bar(struct sim_node *n)
{
	struct sim_bar_info bar;
	int best = -1;
	u64 best_size = 0;

	for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
		if (sim_node_get_bar(n, b, &bar))
			continue;
		if (bar.role && (!strcmp(bar.role, "cmb") || !strcmp(bar.role, "vram")))
			return b;
		if (bar.is64 && bar.prefetch && bar.size > best_size) {
			best = b;
			best_size = bar.size;
		}
	}
	return best >= 0 ? best : first_bar(n);
}

static u64 bar_size(struct sim_node *n, int b)
{
	struct sim_bar_info bar;

	return sim_node_get_bar(n, b, &bar) ? 0 : bar.size;
}

/* The endpoint @name names, or NULL (the message is printed). */
static struct sim_node *find_endpoint(const struct p2p_ctx *c, const char *name,
				      const char *what)
{
	struct sim_node *n = NULL;

	if (c->t) {
		int fi = sysfs_fn_find(c->t, name);

		if (fi >= 0 && c->t->fns[fi].modeled && c->t->fns[fi].id[0])
			n = sim_node_find(c->m, c->t->fns[fi].id);
		if (fi >= 0 && !n) {
			fprintf(stderr, "dmastack p2p: --explain: %s %s is not a modeled endpoint (see the notes of dmastack p2p --sysfs)\n",
				what, name);
			return NULL;
		}
	} else {
		n = sim_node_find(c->m, name);
	}
	if (!n || sim_node_kind(n) != SIM_NODE_ENDPOINT) {
		fprintf(stderr, "dmastack p2p: --explain: no endpoint '%s' for the %s (run dmastack p2p for the ids)\n",
			name, what);
		return NULL;
	}
	if (!cli_endpoint_present(n)) {
		fprintf(stderr, "dmastack p2p: --explain: %s %s is a VF its PF has not enabled (SR-IOV)\n",
			what, name);
		return NULL;
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Building the machines                                                    */
/* ------------------------------------------------------------------------ */

static struct sim_machine *machine_from_sysfs(struct p2p_ctx *c, bool acs_on,
					      const char *dir, int *status)
{
	char err[512] = "";
	struct sim_machine *m;
	char *text;

	if (sysfs_platform_text(c->t, acs_on, &text)) {
		fprintf(stderr, "dmastack p2p: out of memory\n");
		*status = 1;
		return NULL;
	}
	m = sim_machine_parse(text, err, sizeof(err));
	free(text);
	if (!m) {
		fprintf(stderr, "dmastack p2p: the platform made from %s does not build: %s (dmastack p2p --sysfs %s --print-platform shows it)\n",
			dir, err, dir);
		*status = 1;
	}
	return m;
}

static int collect_endpoints(struct p2p_ctx *c)
{
	struct sim_machine *m = c->m;

	unsigned int nr = sim_node_count(m);

	c->eps = calloc(nr ? nr : 1, sizeof(*c->eps));
	if (!c->eps)
		return -ENOMEM;
	/* a VF its PF has not enabled is no device (Linux has no pci_dev) */
	for (unsigned int i = 0; i < nr; i++)
		if (cli_endpoint_present(sim_node_at(m, i)))
			c->eps[c->nr_eps++] = sim_node_at(m, i);
	return 0;
}

static void size_str(u64 v, char *buf, size_t len)
{
	if (v && !(v % (1ULL << 30)))
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && !(v % (1ULL << 20)))
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v)
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "0");
}

/*
 * The PCI lines of the platform text of @m, in the form the --sysfs
 * printer writes them, so that printing, re-reading and printing again
 * gives the same text: a BAR whose width is not the one its size implies
 * says so (",64", ",32"), and a host bridge its root bus number.
 */
static void print_machine_platform(struct sim_machine *m, const char *source)
{
	char sz[32], acs[40];

	printf("# generated by dmastack p2p --print-platform from %s\n", source);
	for (unsigned int i = 0; i < sim_node_count(m); i++) {
		struct sim_node *n = sim_node_at(m, i), *p = sim_node_parent(n);
		struct pci_dev *pdev = sim_node_pci_dev(n);
		struct sim_hostbridge_info hb;
		struct sim_bar_info bar;
		const char *bus;

		if (p && sim_node_kind(p) == SIM_NODE_SWITCH_DOWN)
			p = sim_node_parent(p);
		bus = p ? sim_node_id(p) : "";
		switch (sim_node_kind(n)) {
		case SIM_NODE_HOSTBRIDGE: {
			u64 w32 = 0, w64 = 0;

			sim_node_get_hostbridge(n, &hb);
			for (unsigned int r = 0; r < sim_mem_range_count(m); r++) {
				struct sim_mem_range mr;

				if (sim_mem_range_get(m, r, &mr) || !mr.owner ||
				    strcmp(mr.owner, sim_node_id(n)))
					continue;
				if (!strcmp(mr.kind, "mmio32"))
					w32 = mr.size;
				else if (!strcmp(mr.kind, "mmio64"))
					w64 = mr.size;
			}
			printf("hostbridge id=%s p2p=%s", sim_node_id(n),
			       hb.p2p_allow ? "allow" : "deny");
			if (hb.busnr)
				printf(" busnr=%#x", hb.busnr);
			size_str(w32, sz, sizeof(sz));
			printf(" mmio32=%s", sz);
			size_str(w64, sz, sizeof(sz));
			printf(" mmio64=%s", sz);
			if (hb.iommu)
				printf(" iommu=%s", hb.iommu);
			break;
		}
		case SIM_NODE_ROOTPORT:
			cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
			printf("rootport id=%s bus=%s acs=%s", sim_node_id(n), bus, acs);
			break;
		case SIM_NODE_SWITCH_UP: {
			struct sim_node *dp = sim_node_first_child(n);

			cli_acs_str(dp ? sim_node_acs_ctrl(dp) : 0, acs, sizeof(acs));
			printf("switch id=%s bus=%s acs=%s", sim_node_id(n), bus, acs);
			break;
		}
		case SIM_NODE_SWITCH_DOWN:
			continue;
		case SIM_NODE_ENDPOINT:
			printf("%s id=%s bus=%s vendor=%#x device=%#x", sim_node_kind_name(n),
			       sim_node_id(n), bus, pdev ? pdev->vendor : 0,
			       pdev ? pdev->device : 0);
			for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
				if (sim_node_get_bar(n, b, &bar)) {
					if (!b)
						printf(" bar0=0");
					continue;
				}
				size_str(bar.size, sz, sizeof(sz));
				printf(" bar%d=%s%s", b, sz,
				       bar.is64 && bar.size <= SZ_32M ? ",64" :
				       !bar.is64 && bar.size > SZ_32M ? ",32" : "");
			}
			break;
		}
		if (pdev)
			printf("\t# %s\n", dev_name(&pdev->dev));
		else
			printf("\t# pci%04x:%02x\n", hb.domain, hb.busnr);
	}
}

/* 0, or the exit status after printing why. */
static int ctx_init(struct p2p_ctx *c, const struct p2p_args *a,
		    const struct cli_opts *o)
{
	int status = 0;

	if (a->sysfs) {
		char err[512] = "";
		int ret = sysfs_scan(a->sysfs, &c->t, err, sizeof(err));

		if (ret) {
			fprintf(stderr, "dmastack p2p: %s\n", err);
			return ret == -ENOMEM ? 1 : 2;
		}
		c->source = a->sysfs;
		if (a->print_platform) {
			char *text;

			if (sysfs_platform_text(c->t, false, &text)) {
				fprintf(stderr, "dmastack p2p: out of memory\n");
				return 1;
			}
			fputs(text, stdout);
			free(text);
			return -1;	/* done */
		}
		c->m = machine_from_sysfs(c, false, a->sysfs, &status);
		if (!c->m)
			return status;
		if (c->t->acs_unknown) {
			c->m_on = machine_from_sysfs(c, true, a->sysfs, &status);
			if (!c->m_on)
				return status;
		}
	} else {
		struct cli_opts po = *o;

		po.platform = a->platform;
		c->source = a->platform ? a->platform : "the default platform";
		c->m = cli_load_machine(&po);
		if (!c->m)
			return 2;
		if (a->print_platform) {
			print_machine_platform(c->m, c->source);
			return -1;	/* done */
		}
	}
	if (collect_endpoints(c)) {
		fprintf(stderr, "dmastack p2p: out of memory\n");
		return 1;
	}
	return 0;
}

static void ctx_fini(struct p2p_ctx *c)
{
	free(c->eps);
	sim_machine_destroy(c->m);
	sim_machine_destroy(c->m_on);
	sysfs_topo_free(c->t);
}

/* ------------------------------------------------------------------------ */
/* The matrix                                                               */
/* ------------------------------------------------------------------------ */

/* The chain of endpoint @n: the real tree's with --sysfs, else the platform's. */
static int chain_of(const struct p2p_ctx *c, struct sim_node *n,
		    struct p2p_chain *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->numa = -1;
	if (c->t) {
		const struct sysfs_alias *al = sysfs_alias_find(c->t, sim_node_id(n));
		int i;

		if (!al || al->fn < 0)
			return -ENOENT;
		ch->hb = (uintptr_t)c->t->fns[al->fn].hb + 1;
		ch->numa = c->t->fns[al->fn].numa_node;
		for (i = al->fn; i >= 0 && ch->n < CHAIN_MAX; i = c->t->fns[i].parent) {
			const struct sysfs_fn *f = &c->t->fns[i];

			ch->key[ch->n] = (uintptr_t)i + 1;
			ch->unit[ch->n++] = (uintptr_t)(f->role == SYSFS_SWITCH_DOWN &&
							 f->parent >= 0 ? f->parent : i) + 1;
		}
		return 0;
	}
	for (; n && sim_node_kind(n) != SIM_NODE_HOSTBRIDGE && ch->n < CHAIN_MAX;
	     n = sim_node_parent(n)) {
		struct sim_node *p = sim_node_parent(n);

		ch->key[ch->n] = (uintptr_t)n;
		ch->unit[ch->n++] = (uintptr_t)(sim_node_kind(n) == SIM_NODE_SWITCH_DOWN &&
						p ? p : n);
	}
	ch->hb = (uintptr_t)n;
	ch->numa = 0;	/* the platform has one NUMA node */
	return 0;
}

/*
 * The kernel's pci_p2pdma distance (calc_map_type_and_dist()): the
 * functions from @a up to the first bridge both reach, plus those from
 * @b; with none, both chains whole. *@ia and *@ib: the common bridge's
 * position in each chain, -1 when there is none.
 */
static int chain_distance(const struct p2p_chain *a, const struct p2p_chain *b,
			  int *ia, int *ib)
{
	for (unsigned int i = 0; i < a->n; i++)
		for (unsigned int k = 0; k < b->n; k++)
			if (a->key[i] == b->key[k]) {
				*ia = (int)i;
				*ib = (int)k;
				return (int)(i + k);
			}
	*ia = *ib = -1;
	return (int)(a->n + b->n);
}

static enum p2p_link chain_link(const struct p2p_chain *a,
				const struct p2p_chain *b)
{
	uintptr_t units[2 * CHAIN_MAX];
	unsigned int nr = 0;
	int ia, ib;

	chain_distance(a, b, &ia, &ib);
	if (ia == 0 && ib == 0)
		return LINK_X;
	if (ia < 0) {
		if (a->hb == b->hb)
			return LINK_PHB;
		return a->numa >= 0 && b->numa >= 0 && a->numa != b->numa ?
		       LINK_SYS : LINK_NODE;
	}
	/* the bridges crossed: each side's above its endpoint, up to the common one */
	for (int side = 0; side < 2; side++) {
		const struct p2p_chain *ch = side ? b : a;
		int top = side ? ib : ia;

		for (int i = 1; i <= top; i++) {
			unsigned int k;

			for (k = 0; k < nr && units[k] != ch->unit[i]; k++)
				;
			if (k == nr)
				units[nr++] = ch->unit[i];
		}
	}
	return nr <= 1 ? LINK_PIX : LINK_PXB;
}

bool cli_endpoint_present(struct sim_node *n)
{
	struct pci_dev *pdev = sim_node_pci_dev(n);

	return sim_node_kind(n) == SIM_NODE_ENDPOINT &&
	       (!pdev || sim_device_present(&pdev->dev));
}

int cli_p2p_pair(struct sim_node *p, struct sim_node *q,
		 enum pci_p2pdma_map_type *type, int *dist)
{
	struct p2pdma_provider *provider;
	int bar = cli_p2p_provider_bar(p), ret;

	if (bar < 0 || !sim_node_pci_dev(p) || !sim_node_pci_dev(q))
		return -ENOENT;
	ret = pcim_p2pdma_init(sim_node_pci_dev(p));
	if (ret)
		return ret;
	provider = pcim_p2pdma_provider(sim_node_pci_dev(p), bar);
	if (!provider)
		return -ENOENT;
	*type = pci_p2pdma_map_type(provider, &sim_node_pci_dev(q)->dev);
	*dist = pci_p2pdma_distance(sim_node_pci_dev(p), &sim_node_pci_dev(q)->dev, false);
	return 0;
}

const char *cli_p2p_link_name(struct sim_node *p, struct sim_node *q)
{
	struct p2p_ctx c = { 0 };
	struct p2p_chain ca, cb;

	if (chain_of(&c, p, &ca) || chain_of(&c, q, &cb))
		return "?";
	return link_names[chain_link(&ca, &cb)];
}

/* @prov and @cli are endpoints of @m, found by id (machines share ids). */
static int compute_cell(const struct p2p_ctx *c, struct sim_machine *m,
			const char *prov_id, const char *cli_id,
			struct p2p_cell *cell)
{
	struct p2p_chain ca, cb;
	struct sim_node *p = sim_node_find(m, prov_id);
	struct sim_node *q = sim_node_find(m, cli_id);
	struct p2pdma_provider *provider;
	struct pci_dev *pdev;
	int bar, ret;

	memset(cell, 0, sizeof(*cell));
	if (!p || !q || !sim_node_pci_dev(p) || !sim_node_pci_dev(q))
		return -ENOENT;
	ret = chain_of(c, p, &ca);
	if (!ret)
		ret = chain_of(c, q, &cb);
	if (ret)
		return ret;
	cell->link = chain_link(&ca, &cb);
	if (p == q) {
		cell->self = true;
		cell->type = PCI_P2PDMA_MAP_BUS_ADDR;
		return 0;
	}
	pdev = sim_node_pci_dev(p);
	bar = cli_p2p_provider_bar(p);
	if (bar < 0)
		return -ENOENT;
	ret = pcim_p2pdma_init(pdev);
	if (ret)
		return ret;
	provider = pcim_p2pdma_provider(pdev, bar);
	if (!provider)
		return -ENOENT;
	cell->type = pci_p2pdma_map_type(provider, &sim_node_pci_dev(q)->dev);
	cell->dist = pci_p2pdma_distance(pdev, &sim_node_pci_dev(q)->dev, false);
	/*
	 * With --sysfs the platform may hold bridges the real tree has not
	 * (a synthetic root port or switch): count on the real tree.
	 */
	if (c->t && cell->dist >= 0) {
		int ia, ib;

		cell->dist = chain_distance(&ca, &cb, &ia, &ib);
	}
	return 0;
}

static void cell_text(const struct p2p_cell *a, const struct p2p_cell *b,
		      char *buf, size_t len)
{
	if (a->self) {
		snprintf(buf, len, "self");
		return;
	}
	if (b && (a->type != b->type || a->dist != b->dist)) {
		if (a->type == b->type)
			snprintf(buf, len, "%s %d|%d", short_type(a->type), a->dist,
				 b->dist);
		else
			snprintf(buf, len, "%s|%s", short_type(a->type),
				 short_type(b->type));
		return;
	}
	if (a->dist >= 0 && (a->type == PCI_P2PDMA_MAP_BUS_ADDR ||
			     a->type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE))
		snprintf(buf, len, "%s %d", short_type(a->type), a->dist);
	else
		snprintf(buf, len, "%s", short_type(a->type));
}

static json_object *cell_json(const struct p2p_cell *cell)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(
		cell->self ? "self" : sim_p2pdma_map_type_name(cell->type)));
	json_object_object_add(o, "short", json_object_new_string(
		cell->self ? "self" : short_type(cell->type)));
	json_object_object_add(o, "distance", json_object_new_int(cell->self ? 0 : cell->dist));
	json_object_object_add(o, "link", json_object_new_string(link_names[cell->link]));
	return o;
}

static void print_notes(const struct p2p_ctx *c)
{
	if (!c->t)
		return;
	printf("\nHost bridges:\n");
	for (unsigned int h = 0; h < c->t->nr_hbs; h++)
		printf("  %-12s p2p=%-5s  %s\n", c->t->hbs[h].name,
		       c->t->hbs[h].p2p_allow ? "allow" : "deny",
		       c->t->hbs[h].why);
	if (!c->t->nr_hbs)
		printf("  none\n");
	if (c->t->acs_unknown) {
		printf("\nACS unknown (config space not readable past 64 bytes: run as root to read it):");
		for (unsigned int i = 0; i < c->t->nr_fns; i++) {
			const struct sysfs_fn *f = &c->t->fns[i];

			if (f->modeled && f->acs == SYSFS_ACS_UNKNOWN &&
			    (f->role == SYSFS_ROOTPORT || f->role == SYSFS_SWITCH_DOWN))
				printf(" %s", f->bdf);
		}
		printf("\n");
	}
	if (c->t->nr_notes) {
		printf("\nNotes (what the platform could not express):\n");
		for (unsigned int i = 0; i < c->t->nr_notes; i++)
			printf("  %s: %s\n", c->t->notes[i].where, c->t->notes[i].msg);
	}
}

static json_object *notes_json(const struct p2p_ctx *c)
{
	json_object *arr = json_object_new_array();

	for (unsigned int i = 0; c->t && i < c->t->nr_notes; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "device", json_object_new_string(c->t->notes[i].where));
		json_object_object_add(n, "note", json_object_new_string(c->t->notes[i].msg));
		json_object_array_add(arr, n);
	}
	return arr;
}

static json_object *hbs_json(const struct p2p_ctx *c)
{
	json_object *arr = json_object_new_array();

	for (unsigned int h = 0; c->t && h < c->t->nr_hbs; h++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(c->t->hbs[h].name));
		json_object_object_add(o, "id", json_object_new_string(c->t->hbs[h].id));
		json_object_object_add(o, "p2p", json_object_new_string(
			c->t->hbs[h].p2p_allow ? "allow" : "deny"));
		json_object_object_add(o, "why", json_object_new_string(c->t->hbs[h].why));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *device_json(const struct p2p_ctx *c, struct sim_node *n)
{
	json_object *o = json_object_new_object();
	char label[64];
	int bar = cli_p2p_provider_bar(n);

	json_object_object_add(o, "id", json_object_new_string(sim_node_id(n)));
	json_object_object_add(o, "label", json_object_new_string(
		node_label(c, sim_node_id(n), label, sizeof(label))));
	json_object_object_add(o, "kind", json_object_new_string(sim_node_kind_name(n)));
	if (bar >= 0) {
		json_object_object_add(o, "bar", json_object_new_int(bar));
		json_object_object_add(o, "bar_size",
				       cli_json_hex(bar_size(n, bar)));
	}
	if (c->t) {
		const struct sysfs_alias *al = sysfs_alias_find(c->t, sim_node_id(n));

		if (al && al->fn >= 0) {
			json_object_object_add(o, "bdf", json_object_new_string(
				c->t->fns[al->fn].bdf));
			json_object_object_add(o, "iommu_group",
				c->t->fns[al->fn].iommu_group >= 0 ?
				json_object_new_int(c->t->fns[al->fn].iommu_group) : NULL);
		}
	}
	return o;
}

/* The same pairs in nvidia-smi topo -m's vocabulary, and its legend. */
static void print_links(const struct p2p_ctx *c, const struct p2p_cell *cells,
			unsigned int rowlab, unsigned int width)
{
	char label[64], row[96];

	printf("\nThe same pairs as nvidia-smi topo -m names them (the topology only;\n"
	       "the map type above says whether the kernel allows P2P on it):\n\n");
	printf("%-*s", (int)rowlab, "");
	for (unsigned int k = 0; k < c->nr_eps; k++)
		printf("%*s", (int)width,
		       node_label(c, sim_node_id(c->eps[k]), label, sizeof(label)));
	printf("\n");
	for (unsigned int i = 0; i < c->nr_eps; i++) {
		if (first_bar(c->eps[i]) < 0)
			continue;
		snprintf(row, sizeof(row), "%s (%s)",
			 node_label(c, sim_node_id(c->eps[i]), label, sizeof(label)),
			 sim_node_kind_name(c->eps[i]));
		printf("%-*s", (int)rowlab, row);
		for (unsigned int k = 0; k < c->nr_eps; k++)
			printf("%*s", (int)width,
			       link_names[cells[(size_t)i * c->nr_eps + k].link]);
		printf("\n");
	}
	printf("\n  X     the same function\n"
	       "  PIX   below a common upstream bridge through at most one bridge\n"
	       "        (one switch, whose ports count as one, or one root port)\n"
	       "  PXB   below a common upstream bridge through several bridges\n"
	       "        (nested switches, or a switch and the root port above it)\n"
	       "  PHB   no common upstream bridge: through their host bridge\n"
	       "  NODE  through two host bridges of one NUMA node (or nodes unknown)\n"
	       "  SYS   through two host bridges on different NUMA nodes\n");
}

static int run_matrix(struct p2p_ctx *c, bool json)
{
	unsigned int nprov = 0, width = 6, rowlab = 16;
	struct p2p_cell *cells, *cells_on = NULL;
	char label[64], buf[64];
	json_object *root = NULL, *provs = NULL, *clis = NULL, *mat = NULL;
	int ret = 0;

	cells = calloc((size_t)c->nr_eps * c->nr_eps + 1, sizeof(*cells));
	if (c->m_on)
		cells_on = calloc((size_t)c->nr_eps * c->nr_eps + 1, sizeof(*cells));
	if (!cells || (c->m_on && !cells_on)) {
		free(cells);
		free(cells_on);
		fprintf(stderr, "dmastack p2p: out of memory\n");
		return 1;
	}
	for (unsigned int i = 0; i < c->nr_eps && !ret; i++) {
		if (first_bar(c->eps[i]) < 0)
			continue;
		nprov++;
		for (unsigned int k = 0; k < c->nr_eps && !ret; k++) {
			size_t at = (size_t)i * c->nr_eps + k;

			ret = compute_cell(c, c->m, sim_node_id(c->eps[i]), sim_node_id(c->eps[k]), &cells[at]);
			if (!ret && c->m_on)
				ret = compute_cell(c, c->m_on, sim_node_id(c->eps[i]),
						   sim_node_id(c->eps[k]), &cells_on[at]);
			if (!ret) {
				cell_text(&cells[at], cells_on ? &cells_on[at] : NULL,
					  buf, sizeof(buf));
				if (strlen(buf) + 2 > width)
					width = (unsigned int)strlen(buf) + 2;
			}
		}
	}
	if (ret) {
		fprintf(stderr, "dmastack p2p: computing the map types failed: %s\n",
			strerror(-ret));
		free(cells);
		free(cells_on);
		return 1;
	}
	for (unsigned int i = 0; i < c->nr_eps; i++) {
		size_t l = strlen(node_label(c, sim_node_id(c->eps[i]), label, sizeof(label)));

		if (l + 2 > width)
			width = (unsigned int)l + 2;
		l += strlen(sim_node_kind_name(c->eps[i])) + 3;
		if (l + 2 > rowlab)
			rowlab = (unsigned int)l + 2;
	}

	if (json) {
		root = cli_json_root("p2p");
		json_object_object_add(root, "mode", json_object_new_string("matrix"));
		provs = json_object_new_array();
		clis = json_object_new_array();
		mat = json_object_new_array();
		json_object_object_add(root, "source", json_object_new_string(c->source));
		json_object_object_add(root, "sysfs", json_object_new_boolean(c->t != NULL));
		for (unsigned int i = 0; i < c->nr_eps; i++) {
			if (first_bar(c->eps[i]) >= 0)
				json_object_array_add(provs, device_json(c, c->eps[i]));
			json_object_array_add(clis, device_json(c, c->eps[i]));
		}
		json_object_object_add(root, "providers", provs);
		json_object_object_add(root, "clients", clis);
	} else {
		printf("PCI P2PDMA map type and distance, %s%s\n", c->t ? "sysfs tree " : "",
		       c->source);
		printf("rows: providers (endpoints with a memory BAR); columns: clients\n\n");
		if (!nprov || !c->nr_eps) {
			printf("no %s: nothing to show\n", c->nr_eps ?
			       "endpoint with a memory BAR (no provider)" : "PCI endpoints");
		} else {
			printf("%-*s", (int)rowlab, "");
			for (unsigned int k = 0; k < c->nr_eps; k++)
				printf("%*s", (int)width,
				       node_label(c, sim_node_id(c->eps[k]), label, sizeof(label)));
			printf("\n");
		}
	}
	for (unsigned int i = 0; i < c->nr_eps && nprov; i++) {
		char row[96];

		if (first_bar(c->eps[i]) < 0)
			continue;
		snprintf(row, sizeof(row), "%s (%s)",
			 node_label(c, sim_node_id(c->eps[i]), label, sizeof(label)),
			 sim_node_kind_name(c->eps[i]));
		if (!json)
			printf("%-*s", (int)rowlab, row);
		for (unsigned int k = 0; k < c->nr_eps; k++) {
			size_t at = (size_t)i * c->nr_eps + k;
			const struct p2p_cell *on = cells_on ? &cells_on[at] : NULL;

			if (!json) {
				cell_text(&cells[at], on, buf, sizeof(buf));
				printf("%*s", (int)width, buf);
				continue;
			}
			{
				json_object *jc = cell_json(&cells[at]);
				bool dep = on && (on->type != cells[at].type ||
						  on->dist != cells[at].dist);

				json_object_object_add(jc, "provider", json_object_new_string(
					node_label(c, sim_node_id(c->eps[i]), label, sizeof(label))));
				json_object_object_add(jc, "client", json_object_new_string(
					node_label(c, sim_node_id(c->eps[k]), label, sizeof(label))));
				json_object_object_add(jc, "acs_dependent", json_object_new_boolean(dep));
				if (dep)
					json_object_object_add(jc, "if_unknown_acs_on", cell_json(on));
				json_object_array_add(mat, jc);
			}
		}
		if (!json)
			printf("\n");
	}
	if (json) {
		json_object_object_add(root, "matrix", mat);
		{
			json_object *leg = json_object_new_object();

			json_object_object_add(leg, "X", json_object_new_string("the same function"));
			json_object_object_add(leg, "PIX", json_object_new_string("below a common upstream bridge through at most one bridge (one switch or one root port)"));
			json_object_object_add(leg, "PXB", json_object_new_string("below a common upstream bridge through several bridges"));
			json_object_object_add(leg, "PHB", json_object_new_string("through their host bridge"));
			json_object_object_add(leg, "NODE", json_object_new_string("through two host bridges of one NUMA node"));
			json_object_object_add(leg, "SYS", json_object_new_string("through two host bridges on different NUMA nodes"));
			json_object_object_add(root, "link_legend", leg);
		}
		json_object_object_add(root, "acs_unknown",
				       json_object_new_boolean(c->t && c->t->acs_unknown));
		if (c->t) {
			json_object_object_add(root, "host_bridges", hbs_json(c));
			json_object_object_add(root, "notes", notes_json(c));
		}
		json_print(root);
		json_object_put(root);
	} else {
		if (nprov) {
			printf("\nP2P BARs (what each provider registers with P2PDMA):");
			for (unsigned int i = 0; i < c->nr_eps; i++) {
				int b = cli_p2p_provider_bar(c->eps[i]);

				if (b < 0)
					continue;
				printf(" %s bar%d (%s)", node_label(c, sim_node_id(c->eps[i]),
								     label, sizeof(label)),
				       b, fmt_size(buf, sizeof(buf), bar_size(c->eps[i], b)));
			}
			printf("\n");
		}
		if (nprov)
			printf("\n  BUS N  bus addresses below a common switch (PCI_P2PDMA_MAP_BUS_ADDR), distance N\n"
			       "  HB N   through an allowed host bridge (PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)\n"
			       "  --     not supported: the host bridge is not on the P2P allowlist\n"
			       "  self   the provider itself\n");
		if (cells_on)
			printf("  X|Y    X if the ACS that could not be read is off, Y if on\n");
		if (nprov)
			print_links(c, cells, rowlab, width);
		print_notes(c);
		if (nprov)
			printf("\ndmastack p2p --explain PROVIDER CLIENT shows why.\n");
	}
	free(cells);
	free(cells_on);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* One pair                                                                 */
/* ------------------------------------------------------------------------ */

static int explain_in(struct sim_machine *m, const char *prov_id,
		      const char *cli_id, struct sim_p2p_explain *ex)
{
	struct sim_node *p = sim_node_find(m, prov_id);
	struct sim_node *q = sim_node_find(m, cli_id);
	struct p2pdma_provider *provider;
	int bar, ret;

	if (!p || !q)
		return -ENOENT;
	bar = cli_p2p_provider_bar(p);
	ret = pcim_p2pdma_init(sim_node_pci_dev(p));
	if (ret)
		return ret;
	provider = pcim_p2pdma_provider(sim_node_pci_dev(p), bar);
	if (!provider)
		return -ENOENT;
	return sim_p2pdma_explain(provider, &sim_node_pci_dev(q)->dev, ex);
}

static bool hop_has_acs(const struct sim_p2p_hop *h)
{
	return !strcmp(h->kind, "rootport") || !strcmp(h->kind, "switch-down") ||
	       h->acs_ctrl;
}

/* @ex's fields into @o; @o. */
static json_object *explain_json_into(json_object *o, const struct p2p_ctx *c,
				      const struct sim_p2p_explain *ex)
{
	json_object *hops = json_object_new_array();
	char label[64], acs[40], text[512];

	json_object_object_add(o, "type", json_object_new_string(
		sim_p2pdma_map_type_name(ex->type)));
	json_object_object_add(o, "short", json_object_new_string(short_type(ex->type)));
	json_object_object_add(o, "distance", json_object_new_int(ex->distance));
	json_object_object_add(o, "common", ex->common ? json_object_new_string(
		node_label(c, ex->common, label, sizeof(label))) : NULL);
	json_object_object_add(o, "host_bridge", ex->host_bridge ?
			       json_object_new_string(ex->host_bridge) : NULL);
	json_object_object_add(o, "host_bridge_p2p", json_object_new_boolean(ex->host_bridge_p2p));
	for (unsigned int i = 0; i < ex->nr_hops && i < SIM_P2P_PATH_MAX; i++) {
		const struct sim_p2p_hop *h = &ex->hops[i];
		json_object *jh = json_object_new_object();

		json_object_object_add(jh, "id", json_object_new_string(h->id ? h->id : ""));
		json_object_object_add(jh, "label", json_object_new_string(
			node_label(c, h->id ? h->id : "", label, sizeof(label))));
		json_object_object_add(jh, "kind", json_object_new_string(h->kind ? h->kind : ""));
		if (h->kind && hop_has_acs(h)) {
			bool unknown = h->id && acs_unknown(c, h->id);

			cli_acs_str(h->acs_ctrl, acs, sizeof(acs));
			json_object_object_add(jh, "acs", json_object_new_string(
				unknown ? "unknown" : acs));
		}
		json_object_object_add(jh, "redirects", json_object_new_boolean(h->redirects));
		json_object_array_add(hops, jh);
	}
	json_object_object_add(o, "hops", hops);
	humanize(c, ex->reason, text, sizeof(text));
	json_object_object_add(o, "reason", json_object_new_string(text));
	humanize(c, ex->change, text, sizeof(text));
	json_object_object_add(o, "change", json_object_new_string(text));
	return o;
}

static json_object *explain_json(const struct p2p_ctx *c,
				 const struct sim_p2p_explain *ex)
{
	return explain_json_into(json_object_new_object(), c, ex);
}

static void print_explain(const struct p2p_ctx *c,
			  const struct sim_p2p_explain *ex)
{
	char label[64], acs[40], text[512];

	printf("map type     %s (%s)", short_type(ex->type),
	       sim_p2pdma_map_type_name(ex->type));
	if (ex->distance >= 0)
		printf(", distance %d", ex->distance);
	printf("\npath         client to provider:\n");
	for (unsigned int i = 0; i < ex->nr_hops && i < SIM_P2P_PATH_MAX; i++) {
		const struct sim_p2p_hop *h = &ex->hops[i];
		const char *id = h->id ? h->id : "";

		printf("  %-16s %-12s", node_label(c, id, label, sizeof(label)),
		       h->kind ? h->kind : "");
		if (c->t && strcmp(label, id))
			printf(" [%s]", id);
		if (h->kind && hop_has_acs(h)) {
			cli_acs_str(h->acs_ctrl, acs, sizeof(acs));
			if (acs_unknown(c, id))
				printf("  acs=unknown (taken as %s)", acs);
			else
				printf("  acs=%s", acs);
		}
		if (h->redirects)
			printf("  redirects peers upstream");
		if (ex->common && !strcmp(id, ex->common))
			printf("  <- common upstream bridge");
		printf("\n");
	}
	if (ex->host_bridge) {
		printf("host bridge  %s, p2p=%s",
		       node_label(c, ex->host_bridge, label, sizeof(label)),
		       ex->host_bridge_p2p ? "allow" : "deny");
		if (c->t)
			for (unsigned int h = 0; h < c->t->nr_hbs; h++)
				if (!strcmp(c->t->hbs[h].id, ex->host_bridge))
					printf(" (%s)", c->t->hbs[h].why);
		printf("\n");
	}
	humanize(c, ex->reason, text, sizeof(text));
	printf("because      %s\n", text);
	humanize(c, ex->change, text, sizeof(text));
	printf("would change %s\n", text);
}

static int run_explain(struct p2p_ctx *c, const struct p2p_args *a, bool json)
{
	struct sim_node *p, *q;
	struct sim_p2p_explain ex, ex_on;
	char pl[64], ql[64], sz[32];
	bool dep = false;
	int ret;

	p = find_endpoint(c, a->explain[0], "provider");
	if (!p)
		return 2;
	q = find_endpoint(c, a->explain[1], "client");
	if (!q)
		return 2;
	if (first_bar(p) < 0) {
		fprintf(stderr, "dmastack p2p: --explain: %s has no memory BAR, so it provides no P2P memory\n",
			a->explain[0]);
		return 2;
	}
	memset(&ex, 0, sizeof(ex));
	memset(&ex_on, 0, sizeof(ex_on));
	ret = explain_in(c->m, sim_node_id(p), sim_node_id(q), &ex);
	if (!ret && c->m_on) {
		ret = explain_in(c->m_on, sim_node_id(p), sim_node_id(q), &ex_on);
		dep = !ret && (ex.type != ex_on.type || ex.distance != ex_on.distance);
	}
	if (ret) {
		fprintf(stderr, "dmastack p2p: --explain failed: %s\n", strerror(-ret));
		return 1;
	}
	if (c->t) {
		/* counted on the real tree, as in the matrix */
		struct p2p_chain ca, cb;
		int ia, ib;

		if (!chain_of(c, p, &ca) && !chain_of(c, q, &cb)) {
			int d = chain_distance(&ca, &cb, &ia, &ib);

			if (ex.distance >= 0)
				ex.distance = d;
			if (c->m_on && ex_on.distance >= 0)
				ex_on.distance = d;
			dep = c->m_on && (ex.type != ex_on.type ||
					  ex.distance != ex_on.distance);
		}
	}
	node_label(c, sim_node_id(p), pl, sizeof(pl));
	node_label(c, sim_node_id(q), ql, sizeof(ql));
	if (json) {
		json_object *root = cli_json_root("p2p");

		json_object_object_add(root, "mode", json_object_new_string("explain"));
		explain_json_into(root, c, &ex);

		json_object_object_add(root, "provider", json_object_new_string(pl));
		json_object_object_add(root, "client", json_object_new_string(ql));
		json_object_object_add(root, "source", json_object_new_string(c->source));
		json_object_object_add(root, "acs_dependent", json_object_new_boolean(dep));
		if (dep)
			json_object_object_add(root, "if_unknown_acs_on",
					       explain_json(c, &ex_on));
		json_print(root);
		json_object_put(root);
		return 0;
	}
	printf("%s (%s, bar%d %s) provides, %s (%s) reaches it\n", pl,
	       sim_node_kind_name(p), cli_p2p_provider_bar(p),
	       fmt_size(sz, sizeof(sz), bar_size(p, cli_p2p_provider_bar(p))), ql,
	       sim_node_kind_name(q));
	if (p == q)
		printf("(the same function: no P2P transfer)\n");
	printf("\n");
	print_explain(c, &ex);
	if (dep) {
		printf("\nACS on this path could not be read; if it is on:\n");
		print_explain(c, &ex_on);
	} else if (c->m_on) {
		bool any = false;

		for (unsigned int i = 0; i < ex.nr_hops && i < SIM_P2P_PATH_MAX; i++)
			if (ex.hops[i].id && acs_unknown(c, ex.hops[i].id))
				any = true;
		if (any)
			printf("\nACS on this path could not be read, but the answer is the same either way.\n");
	}
	return 0;
}

int cmd_p2p(int argc, char **argv, const struct cli_opts *opts)
{
	struct cli_opts oo = *opts, *o = &oo;
	struct p2p_args a = { 0 };
	struct p2p_ctx c = { 0 };
	bool help = false;
	int ret;

	ret = parse_args(argc, argv, o, &a, &help);
	if (ret)
		return ret;
	if (help) {
		p2p_usage(stdout);
		return 0;
	}
	ret = ctx_init(&c, &a, o);
	if (ret) {
		ctx_fini(&c);
		return ret < 0 ? 0 : ret;
	}
	if (a.explain[0])
		ret = run_explain(&c, &a, o->json);
	else
		ret = run_matrix(&c, o->json);
	ctx_fini(&c);
	return ret;
}
