// SPDX-License-Identifier: MIT
/*
 * dmastack topo: the platform as a tree (like lspci -tv), the physical
 * memory map, and the IOMMU groups.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli.h"

struct topo_args {
	bool dot;
	const char *svg;
	const char *pci_ids;
};

/* The names database for this run (NULL: the numbers only). */

static const char *node_role(struct sim_node *n)
{
	switch (sim_node_kind(n)) {
	case SIM_NODE_HOSTBRIDGE: return "host bridge";
	case SIM_NODE_ROOTPORT: return "root port";
	case SIM_NODE_SWITCH_UP: return "switch upstream port";
	case SIM_NODE_SWITCH_DOWN: return "switch downstream port";
	case SIM_NODE_ENDPOINT: return sim_node_kind_name(n);
	}
	return "?";
}

static bool node_has_acs(struct sim_node *n)
{
	return sim_node_kind(n) == SIM_NODE_ROOTPORT ||
	       sim_node_kind(n) == SIM_NODE_SWITCH_DOWN;
}

static const char *bar_role(const struct sim_bar_info *bar)
{
	if (!bar->role || !strcmp(bar->role, "bar"))
		return "";
	return strcmp(bar->role, "cmb") ? "  (registers)" : "  (controller memory buffer)";
}

static void print_node(const struct cli_pciids *ids, struct sim_node *n,
		       const char *prefix, bool last)
{
	char acs[40], sz[32], child_prefix[256];
	struct pci_dev *pdev = sim_node_pci_dev(n);
	struct sim_endpoint_info ep;
	struct sim_bar_info bar;

	printf("%s%s %s  %s", prefix, last ? "`--" : "|--",
	       pdev ? dev_name(&pdev->dev) : "", sim_node_id(n));
	printf("  %s", node_role(n));
	/* a VF its PF has not enabled: its routing ID, nothing answers there */
	if (pdev && !sim_device_present(&pdev->dev)) {
		printf("  not enabled (SR-IOV of its PF)\n");
		return;
	}
	if (pdev)
		printf(" [%04x:%04x]", pdev->vendor, pdev->device);
	if (node_has_acs(n)) {
		cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
		printf("  acs=%s", acs);
	}
	if (!sim_node_get_endpoint(n, &ep))
		printf("  %s, %u-bit DMA%s%s", ep.coherent ? "coherent" : "non-coherent",
		       ep.dma_bits, ep.untrusted ? ", untrusted" : "",
		       ep.flr ? ", FLR" : "");
	if (pdev) {
		char name[512];

		/* the name last, as lspci -tv prints it */
		if (cli_pciids_name(ids, pdev->vendor, pdev->device, name, sizeof(name)))
			printf("  %s", name);
	}
	printf("\n");
	snprintf(child_prefix, sizeof(child_prefix), "%s%s", prefix,
		 last ? "    " : "|   ");
	for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
		if (sim_node_get_bar(n, b, &bar))
			continue;
		printf("%s%s    bar%d 0x%012llx %6s  %s%s  bus %#llx\n",
		       child_prefix, sim_node_first_child(n) ? "|" : " ", b,
		       (unsigned long long)bar.cpu_start,
		       fmt_size(sz, sizeof(sz), bar.size),
		       bar.is64 ? "64-bit pref" : "32-bit", bar_role(&bar),
		       (unsigned long long)bar.bus_addr);
	}
	for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
		print_node(ids, c, child_prefix, !sim_node_next_sibling(c));
}

static const char *node_kind_json(struct sim_node *n)
{
	switch (sim_node_kind(n)) {
	case SIM_NODE_ENDPOINT: return sim_node_kind_name(n);
	case SIM_NODE_HOSTBRIDGE: return "hostbridge";
	case SIM_NODE_ROOTPORT: return "rootport";
	case SIM_NODE_SWITCH_UP: return "switch";
	case SIM_NODE_SWITCH_DOWN: return "switch-port";
	}
	return "?";
}

static json_object *bars_json(struct sim_node *n)
{
	json_object *bars = json_object_new_array();
	struct sim_bar_info bar;

	for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
		json_object *jb;

		if (sim_node_get_bar(n, b, &bar))
			continue;
		jb = json_object_new_object();
		json_object_object_add(jb, "index", json_object_new_int(b));
		json_object_object_add(jb, "start", cli_json_hex(bar.cpu_start));
		json_object_object_add(jb, "size", cli_json_hex(bar.size));
		json_object_object_add(jb, "bus_address", cli_json_hex(bar.bus_addr));
		json_object_object_add(jb, "64bit", json_object_new_boolean(bar.is64));
		json_object_object_add(jb, "prefetchable", json_object_new_boolean(bar.prefetch));
		json_object_array_add(bars, jb);
	}
	return bars;
}

static json_object *node_json(const struct cli_pciids *ids, struct sim_node *n)
{
	json_object *o = json_object_new_object();
	json_object *kids = json_object_new_array();
	struct pci_dev *pdev = sim_node_pci_dev(n);
	struct sim_hostbridge_info hb;
	struct sim_endpoint_info ep;
	char acs[40];

	json_object_object_add(o, "id", json_object_new_string(sim_node_id(n)));
	json_object_object_add(o, "kind", json_object_new_string(node_kind_json(n)));
	if (pdev) {
		char id[16];

		json_object_object_add(o, "bdf", json_object_new_string(dev_name(&pdev->dev)));
		snprintf(id, sizeof(id), "%04x:%04x", pdev->vendor, pdev->device);
		json_object_object_add(o, "pci_id", json_object_new_string(id));
		{
			char name[512];

			if (cli_pciids_name(ids, pdev->vendor, pdev->device, name,
					    sizeof(name)))
				json_object_object_add(o, "pci_name",
						       json_object_new_string(name));
		}
		json_object_object_add(o, "bars", bars_json(n));
		if (!sim_device_present(&pdev->dev))
			json_object_object_add(o, "present",
					       json_object_new_boolean(false));
	}
	if (node_has_acs(n)) {
		cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
		json_object_object_add(o, "acs", json_object_new_string(acs));
	}
	if (!sim_node_get_hostbridge(n, &hb)) {
		json_object_object_add(o, "p2p", json_object_new_string(hb.p2p_allow ? "allow" : "deny"));
		json_object_object_add(o, "iommu", hb.iommu ? json_object_new_string(hb.iommu) : NULL);
		json_object_object_add(o, "bus_offset", cli_json_hex(hb.bus_offset));
		json_object_object_add(o, "dram_bus_offset",
				       cli_json_shex((s64)hb.dram_bus_offset));
		if (hb.dma_limit)
			json_object_object_add(o, "dma_limit", cli_json_hex(hb.dma_limit));
	}
	if (!sim_node_get_endpoint(n, &ep)) {
		json_object_object_add(o, "coherent", json_object_new_boolean(ep.coherent));
		json_object_object_add(o, "dma_bits", json_object_new_int((int)ep.dma_bits));
		json_object_object_add(o, "untrusted", json_object_new_boolean(ep.untrusted));
		json_object_object_add(o, "flr", json_object_new_boolean(ep.flr));
	}
	for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
		json_object_array_add(kids, node_json(ids, c));
	json_object_object_add(o, "children", kids);
	return o;
}

static const char *domain_type_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_BLOCKED: return "blocked";
	case IOMMU_DOMAIN_IDENTITY: return "identity";
	case IOMMU_DOMAIN_DMA: return "DMA (strict)";
	case IOMMU_DOMAIN_DMA_FQ: return "DMA_FQ (lazy)";
	default: return "unmanaged";
	}
}

static const char *granule_name(unsigned long granule)
{
	return granule == SZ_4K ? "4K" : granule == SZ_16K ? "16K" : "64K";
}

static json_object *groups_json(struct sim_machine *m)
{
	json_object *arr = json_object_new_array();
	struct sim_iommu_group_info gi;

	for (unsigned int i = 0; i < sim_iommu_group_count(m); i++) {
		struct iommu_group *g = sim_iommu_group_at(m, i);
		json_object *jg = json_object_new_object(), *devs = json_object_new_array();

		sim_iommu_group_get_info(g, &gi);
		json_object_object_add(jg, "id", json_object_new_int(gi.id));
		json_object_object_add(jg, "iommu", json_object_new_string(gi.iommu));
		json_object_object_add(jg, "domain", json_object_new_string(
			domain_type_name(gi.domain_type)));
		json_object_object_add(jg, "granule", cli_json_hex(gi.granule));
		for (unsigned int k = 0; k < sim_device_count(m); k++)
			if (iommu_group_get(sim_device_at(m, k)) == g &&
			    sim_device_present(sim_device_at(m, k)))
				json_object_array_add(devs, json_object_new_string(
					sim_device_id(sim_device_at(m, k))));
		json_object_object_add(jg, "devices", devs);
		json_object_array_add(arr, jg);
	}
	return arr;
}

static void print_groups(struct sim_machine *m)
{
	struct sim_iommu_group_info gi;

	if (!sim_iommu_group_count(m)) {
		printf("\nIOMMU groups: none (no IOMMU translates DMA on this platform)\n");
		return;
	}
	printf("\nIOMMU groups:\n");
	for (unsigned int i = 0; i < sim_iommu_group_count(m); i++) {
		struct iommu_group *g = sim_iommu_group_at(m, i);

		sim_iommu_group_get_info(g, &gi);
		printf("  group %d  %s (%s, %s granule)  %-14s  devices:", gi.id,
		       gi.iommu, gi.format, granule_name(gi.granule),
		       domain_type_name(gi.domain_type));
		for (unsigned int k = 0; k < sim_device_count(m); k++)
			if (iommu_group_get(sim_device_at(m, k)) == g)
				printf(" %s%s", sim_device_id(sim_device_at(m, k)),
				       sim_device_present(sim_device_at(m, k)) ?
					       "" : " (VF not enabled)");
		printf("%s\n", gi.nr_devices > 1 ?
		       "  (shared: no ACS isolation between them)" : "");
	}
}

static void topo_usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack topo [-p FILE] [--json | --dot] [--svg FILE] [--pci-ids FILE]\n"
		"\n"
		"The platform as a tree (like lspci -tv, with names from pci.ids), the\n"
		"physical memory map and the IOMMU groups; or as a Graphviz graph.\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the embedded server)\n"
		"  --json               machine-readable output\n"
		"  -h, --help           this text\n"
		"  --dot                the machine as a Graphviz graph: host bridges, ports,\n"
		"                       switches, endpoints and IOMMUs, IOMMU groups as\n"
		"                       clusters, P2P pairs as edges and a legend\n"
		"  --svg FILE           render that graph to FILE with Graphviz's dot -Tsvg\n"
		"                       ($DMASTACK_DOT names another dot program)\n"
		"  --pci-ids FILE       vendor and device names from FILE (default:\n"
		"                       $DMASTACK_PCI_IDS, /usr/share/misc/pci.ids or\n"
		"                       /usr/share/hwdata/pci.ids; the numbers without one)\n");
}

static int parse_topo_args(int argc, char **argv, struct cli_opts *o,
			   struct topo_args *a, bool *help)
{
	enum { OPT_DOT = CLI_OPT_FIRST_OWN, OPT_SVG, OPT_PCI_IDS };
	static const struct option longopts[] = {
		CLI_LONGOPT_PLATFORM, CLI_LONGOPT_JSON, CLI_LONGOPT_HELP,
		{ "dot", no_argument, NULL, OPT_DOT },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "pci-ids", required_argument, NULL, OPT_PCI_IDS },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = cli_getopt("topo", argc, argv, ":hp:", longopts)) != -1) {
		switch (c) {
		case 'h':
			*help = true;
			return 0;
		case OPT_DOT:
			a->dot = true;
			break;
		case OPT_SVG:
			if (!*optarg)
				return cli_usage_error("topo", "--svg needs a file name");
			a->svg = optarg;
			break;
		case OPT_PCI_IDS:
			if (!*optarg)
				return cli_usage_error("topo", "--pci-ids needs a file name");
			a->pci_ids = optarg;
			break;
		case 'p':
		case CLI_OPT_JSON:
			if (cli_common_opt("topo", c, o))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		return cli_usage_error("topo", "unexpected argument '%s' (see dmastack topo --help)",
				       argv[optind]);
	if (o->json && (a->dot || a->svg))
		return cli_usage_error("topo", "--json and --dot/--svg are exclusive");
	return 0;
}

/* ---- Graphviz ----------------------------------------------------------- */

/* @s as the inside of a DOT double-quoted string. */
static void dot_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void dot_node(FILE *f, const struct cli_pciids *ids, struct sim_node *n,
		     const char *indent)
{
	struct pci_dev *pdev = sim_node_pci_dev(n);
	struct sim_bar_info bar;
	char label[1024], acs[40], sz[32];
	size_t pos = 0;
	const char *shape = "box", *fill = "white", *style = "rounded,filled";
	/* a VF its PF has not enabled: its place, nothing answers there */
	bool absent = pdev && !sim_device_present(&pdev->dev);

	pos += (size_t)snprintf(label + pos, sizeof(label) - pos, "%s  %s",
				sim_node_id(n), node_role(n));
	if (pdev) {
		char name[512];

		pos += (size_t)snprintf(label + pos, sizeof(label) - pos,
					"\n%s [%04x:%04x]", dev_name(&pdev->dev),
					pdev->vendor, pdev->device);
		if (cli_pciids_name(ids, pdev->vendor, pdev->device, name, sizeof(name)))
			pos += (size_t)snprintf(label + pos, sizeof(label) - pos,
						"\n%s", name);
	}
	if (node_has_acs(n)) {
		cli_acs_str(sim_node_acs_ctrl(n), acs, sizeof(acs));
		pos += (size_t)snprintf(label + pos, sizeof(label) - pos,
					"\nacs=%s", acs);
	}
	if (absent) {
		pos += (size_t)snprintf(label + pos, sizeof(label) - pos,
					"\nnot enabled (SR-IOV of its PF)");
		style = "rounded,dashed";
	}
	for (int b = 0; b < PCI_STD_NUM_BARS && pos < sizeof(label) && !absent;
	     b++) {
		if (sim_node_get_bar(n, b, &bar))
			continue;
		pos += (size_t)snprintf(label + pos, sizeof(label) - pos,
					"\nbar%d %s %s%s", b,
					fmt_size(sz, sizeof(sz), bar.size),
					bar.is64 ? "64-bit" : "32-bit",
					b == cli_p2p_provider_bar(n) ? " (P2P)" : "");
	}
	switch (sim_node_kind(n)) {
	case SIM_NODE_HOSTBRIDGE: shape = "house"; fill = "lightgrey"; break;
	case SIM_NODE_ROOTPORT: shape = "box"; fill = "lightyellow"; break;
	case SIM_NODE_SWITCH_UP: shape = "box3d"; fill = "lightblue"; break;
	case SIM_NODE_SWITCH_DOWN: shape = "box"; fill = "aliceblue"; break;
	case SIM_NODE_ENDPOINT: shape = "box"; fill = "white"; break;
	}
	fprintf(f, "%s\"%s\" [shape=%s, style=\"%s\", fillcolor=%s, label=\"",
		indent, sim_node_id(n), shape, style, fill);
	dot_str(f, label);
	fprintf(f, "\"];\n");
}

static const char *const group_colors[] = {
	"palegreen", "lightpink", "lightsalmon", "plum", "khaki", "paleturquoise",
	"wheat", "thistle",
};

static void write_dot(FILE *f, const struct cli_pciids *ids, struct sim_machine *m)
{
	struct sim_machine_info mi;
	unsigned int nn = sim_node_count(m), ngroups = sim_iommu_group_count(m);
	char hbiommu[64][64];
	unsigned int nhb = 0;

	sim_machine_get_info(m, &mi);
	fprintf(f, "graph \"");
	dot_str(f, mi.name);
	fprintf(f, "\" {\n"
		   "  label=\"");
	dot_str(f, mi.name);
	fprintf(f, " (%s): PCIe topology, IOMMU groups and P2P paths\";\n"
		   "  labelloc=t;\n"
		   "  rankdir=TB;\n"
		   "  node [fontname=\"Helvetica\", fontsize=10];\n"
		   "  edge [fontname=\"Helvetica\", fontsize=9];\n", mi.arch);
	/* IOMMU groups as clusters of their endpoints */
	for (unsigned int g = 0; g < ngroups; g++) {
		struct iommu_group *grp = sim_iommu_group_at(m, g);
		struct sim_iommu_group_info gi;

		sim_iommu_group_get_info(grp, &gi);
		fprintf(f, "  subgraph \"cluster_group%d\" {\n"
			   "    label=\"IOMMU group %d (%s, %s)\";\n"
			   "    style=filled; fillcolor=%s;\n",
			gi.id, gi.id, gi.iommu, domain_type_name(gi.domain_type),
			group_colors[g % ARRAY_SIZE(group_colors)]);
		for (unsigned int i = 0; i < nn; i++) {
			struct sim_node *n = sim_node_at(m, i);
			struct pci_dev *pdev = sim_node_pci_dev(n);

			if (sim_node_kind(n) == SIM_NODE_ENDPOINT && pdev &&
			    iommu_group_get(&pdev->dev) == grp)
				dot_node(f, ids, n, "    ");
		}
		fprintf(f, "  }\n");
	}
	/* every other node */
	for (unsigned int i = 0; i < nn; i++) {
		struct sim_node *n = sim_node_at(m, i);
		struct pci_dev *pdev = sim_node_pci_dev(n);

		if (sim_node_kind(n) == SIM_NODE_ENDPOINT && pdev && ngroups &&
		    iommu_group_get(&pdev->dev))
			continue;
		dot_node(f, ids, n, "  ");
	}
	/* the tree */
	for (unsigned int i = 0; i < nn; i++) {
		struct sim_node *n = sim_node_at(m, i);
		struct sim_node *p = sim_node_parent(n);

		if (p)
			fprintf(f, "  \"%s\" -- \"%s\";\n", sim_node_id(p), sim_node_id(n));
	}
	/* IOMMUs, by the host bridges that name them */
	for (unsigned int i = 0; i < nn; i++) {
		struct sim_node *n = sim_node_at(m, i);
		struct sim_hostbridge_info hb;
		unsigned int k;

		if (sim_node_get_hostbridge(n, &hb) || !hb.iommu)
			continue;
		for (k = 0; k < nhb && strcmp(hbiommu[k], hb.iommu); k++)
			;
		if (k == nhb && nhb < ARRAY_SIZE(hbiommu)) {
			snprintf(hbiommu[nhb++], sizeof(hbiommu[0]), "%s", hb.iommu);
			fprintf(f, "  \"iommu:%s\" [shape=octagon, style=filled, fillcolor=orange, label=\"IOMMU %s\"];\n",
				hb.iommu, hb.iommu);
		}
		fprintf(f, "  \"iommu:%s\" -- \"%s\" [style=dashed, color=orange, label=\"translates\"];\n",
			hb.iommu, sim_node_id(n));
	}
	/* P2P: pairs below a switch as edges, every pair in the legend */
	{
		char legend[8192];
		size_t pos = 0;

		pos += (size_t)snprintf(legend + pos, sizeof(legend) - pos,
					"P2P (PCI P2PDMA map type, distance, nvidia-smi link)\\l");
		for (unsigned int i = 0; i < nn; i++) {
			struct sim_node *a = sim_node_at(m, i);

			if (!cli_endpoint_present(a))
				continue;
			for (unsigned int k = i + 1; k < nn; k++) {
				struct sim_node *b = sim_node_at(m, k);
				enum pci_p2pdma_map_type ty;
				const char *how;
				int dist;

				if (!cli_endpoint_present(b))
					continue;
				/* the provider: the first of the two with a P2P BAR */
				if (cli_p2p_provider_bar(a) >= 0) {
					if (cli_p2p_pair(a, b, &ty, &dist))
						continue;
				} else if (cli_p2p_provider_bar(b) >= 0) {
					if (cli_p2p_pair(b, a, &ty, &dist))
						continue;
				} else {
					continue;
				}
				how = ty == PCI_P2PDMA_MAP_BUS_ADDR ? "below a switch (BUS_ADDR)" :
				      ty == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
				      "through the host bridge (THRU_HOST_BRIDGE)" :
				      "not supported";
				if (pos < sizeof(legend))
					pos += (size_t)snprintf(legend + pos, sizeof(legend) - pos,
								"%s <-> %s: %s, distance %d, %s\\l",
								sim_node_id(a), sim_node_id(b), how,
								dist, cli_p2p_link_name(a, b));
				if (ty == PCI_P2PDMA_MAP_BUS_ADDR)
					fprintf(f, "  \"%s\" -- \"%s\" [constraint=false, color=darkgreen, penwidth=2, style=bold, label=\"P2P bus %d %s\"];\n",
						sim_node_id(a), sim_node_id(b), dist,
						cli_p2p_link_name(a, b));
				else if (ty == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
					fprintf(f, "  \"%s\" -- \"%s\" [constraint=false, color=blue, style=dotted, label=\"P2P via host bridge %d %s\"];\n",
						sim_node_id(a), sim_node_id(b), dist,
						cli_p2p_link_name(a, b));
			}
		}
		if (pos >= sizeof(legend))
			legend[sizeof(legend) - 1] = '\0';
		fprintf(f, "  \"legend\" [shape=note, fontsize=9, label=\"%s\"];\n", legend);
	}
	fprintf(f, "}\n");
}

/* The dot program: $DMASTACK_DOT, else "dot" on the PATH; NULL: none. */
static const char *find_dot(char *buf, size_t len)
{
	const char *env = getenv("DMASTACK_DOT"), *path = getenv("PATH");

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		snprintf(buf, len, "%.*s/dot", (int)n, n ? p : ".");
		if (!access(buf, X_OK))
			return buf;
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* Run dot -Tsvg -o @out on @text; 0, or the exit status after saying why. */
static int render_svg(const char *text, size_t len, const char *out)
{
	char dotbuf[4096];
	const char *dot = find_dot(dotbuf, sizeof(dotbuf));
	int fds[2], status;
	pid_t pid;

	if (!dot) {
		fprintf(stderr, "dmastack topo: --svg needs Graphviz's dot, which is not installed (%s; apt-get install graphviz, or --dot for the graph text)\n",
			getenv("DMASTACK_DOT") && *getenv("DMASTACK_DOT") ?
			"$DMASTACK_DOT is not an executable" : "no dot on the PATH");
		return 1;
	}
	if (pipe(fds)) {
		perror("dmastack topo: pipe");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("dmastack topo: fork");
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	if (!pid) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(dot, "dot", "-Tsvg", "-o", out, (char *)NULL);
		fprintf(stderr, "dmastack topo: cannot run %s\n", dot);
		_exit(127);
	}
	close(fds[0]);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fds[1], text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("dmastack topo: waitpid");
			return 1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "dmastack topo: %s -Tsvg -o %s failed (%s %d)\n", dot, out,
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return 1;
	}
	return 0;
}

static int topo_graph(const struct cli_pciids *ids, struct sim_machine *m,
		      const struct topo_args *a)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = 0;

	if (!f) {
		fprintf(stderr, "dmastack topo: out of memory\n");
		return 1;
	}
	write_dot(f, ids, m);
	if (fclose(f)) {
		free(text);
		fprintf(stderr, "dmastack topo: out of memory\n");
		return 1;
	}
	if (a->dot)
		fputs(text, stdout);
	if (a->svg)
		ret = render_svg(text, len, a->svg);
	free(text);
	return ret;
}

int cmd_topo(int argc, char **argv, const struct cli_opts *opts)
{
	struct cli_opts oo = *opts, *o = &oo;
	struct topo_args a = { 0 };
	struct sim_machine *m;
	struct sim_machine_info mi;
	unsigned int nranges;
	bool help = false;
	char sz[32], ids_err[256];
	struct cli_pciids *ids;
	struct stat st;
	int ret;

	ret = parse_topo_args(argc, argv, o, &a, &help);
	if (ret)
		return ret;
	if (help) {
		topo_usage(stdout);
		return 0;
	}
	if (a.pci_ids && access(a.pci_ids, R_OK))
		return cli_usage_error("topo", "--pci-ids %s: %s", a.pci_ids, strerror(errno));
	/* a FIFO or a device is not read (it may never end) */
	if (a.pci_ids && (stat(a.pci_ids, &st) || !S_ISREG(st.st_mode)))
		return cli_usage_error("topo", "--pci-ids %s: not a regular file", a.pci_ids);
	if (a.svg && !a.dot) {
		char dotbuf[4096];

		if (!find_dot(dotbuf, sizeof(dotbuf))) {
			fprintf(stderr, "dmastack topo: --svg needs Graphviz's dot, which is not installed (apt-get install graphviz, or --dot for the graph text)\n");
			return 1;
		}
	}
	m = cli_load_machine(o);
	if (!m)
		return 2;
	ids = cli_pciids_open(a.pci_ids, ids_err, sizeof(ids_err));
	if (!ids && ids_err[0]) {
		sim_machine_destroy(m);
		return cli_usage_error("topo", "pci.ids: %s", ids_err);
	}
	if (a.dot || a.svg) {
		ret = topo_graph(ids, m, &a);
		cli_pciids_close(ids);
		sim_machine_destroy(m);
		return ret;
	}
	sim_machine_get_info(m, &mi);
	nranges = sim_mem_range_count(m);
	if (o->json) {
		json_object *root = cli_json_root("topo");
		json_object *tree = json_object_new_array();
		json_object *map = json_object_new_array();

		json_object_object_add(root, "machine", json_object_new_string(mi.name));
		json_object_object_add(root, "arch", json_object_new_string(mi.arch));
		json_object_object_add(root, "ram", cli_json_hex(mi.ram));
		json_object_object_add(root, "cpus", json_object_new_int((int)mi.cpus));
		json_object_object_add(root, "confidential", json_object_new_boolean(mi.confidential));
		for (unsigned int i = 0; i < sim_node_count(m); i++)
			if (sim_node_kind(sim_node_at(m, i)) == SIM_NODE_HOSTBRIDGE)
				json_object_array_add(tree, node_json(ids, sim_node_at(m, i)));
		json_object_object_add(root, "topology", tree);
		for (unsigned int i = 0; i < nranges; i++) {
			struct sim_mem_range r;
			json_object *jr;

			if (sim_mem_range_get(m, i, &r))
				continue;
			jr = json_object_new_object();
			json_object_object_add(jr, "kind", json_object_new_string(r.kind));
			json_object_object_add(jr, "owner", json_object_new_string(r.owner));
			json_object_object_add(jr, "start", cli_json_hex(r.start));
			json_object_object_add(jr, "size", cli_json_hex(r.size));
			json_object_object_add(jr, "bus_offset", cli_json_hex(r.bus_offset));
			json_object_array_add(map, jr);
		}
		json_object_object_add(root, "memory_map", map);
		json_object_object_add(root, "iommu_groups", groups_json(m));
		json_print(root);
		json_object_put(root);
		cli_pciids_close(ids);
		sim_machine_destroy(m);
		return 0;
	}

	printf("%s  (%s, %s RAM, %u CPUs%s%s)\n\n", mi.name, mi.arch,
	       fmt_size(sz, sizeof(sz), mi.ram), mi.cpus,
	       mi.coherent ? ", coherent by default" : ", non-coherent by default",
	       mi.confidential ? ", confidential guest" : "");
	for (unsigned int i = 0; i < sim_node_count(m); i++) {
		struct sim_node *n = sim_node_at(m, i);
		struct sim_hostbridge_info hb;

		if (sim_node_get_hostbridge(n, &hb))
			continue;
		printf("%s  host bridge [%04x:%02x]  p2p=%s  iommu=%s",
		       sim_node_id(n), hb.domain, hb.busnr, hb.p2p_allow ? "allow" : "deny",
		       hb.iommu ? hb.iommu : "none");
		if (hb.dram_bus_offset)
			printf("  dram-bus-offset=%#llx", (unsigned long long)hb.dram_bus_offset);
		if (hb.dma_limit)
			printf("  dma-limit=%#llx", (unsigned long long)hb.dma_limit);
		printf("\n");
		for (struct sim_node *c = sim_node_first_child(n); c; c = sim_node_next_sibling(c))
			print_node(ids, c, "", !sim_node_next_sibling(c));
		printf("\n");
	}
	printf("Memory map:\n");
	for (unsigned int i = 0; i < nranges; i++) {
		struct sim_mem_range r;

		if (sim_mem_range_get(m, i, &r))
			continue;
		printf("  0x%012llx-0x%012llx  %-8s %6s  %s", (unsigned long long)r.start,
		       (unsigned long long)(r.start + r.size - 1), r.kind,
		       fmt_size(sz, sizeof(sz), r.size), r.owner);
		if (r.bus_offset)
			printf("  (bus = cpu - %#llx)", (unsigned long long)r.bus_offset);
		printf("\n");
	}
	print_groups(m);
	cli_pciids_close(ids);
	sim_machine_destroy(m);
	return 0;
}
