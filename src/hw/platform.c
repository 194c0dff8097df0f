// SPDX-License-Identifier: MIT
/*
 * The platform description: one component per line, "kind key=value ...",
 * '#' comments, children naming their parent with bus=. Every error names
 * its line and what is wrong. See docs/platform.md for every key.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "hw/machine.h"

#define MAX_KV		24
#define MAX_LINE	1024

struct kv {
	char *key;
	char *val;
	bool used;
};

struct line_ctx {
	struct sim_machine *m;
	int line;
	const char *kind;
	struct kv kv[MAX_KV];
	int nkv;
	char *err;
	size_t errlen;
};

static int perr(struct line_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct line_ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "line %d: %s", c->line, msg);
	return -EINVAL;
}

static const char *kv_get(struct line_ctx *c, const char *key)
{
	for (int i = 0; i < c->nkv; i++)
		if (!strcmp(c->kv[i].key, key)) {
			c->kv[i].used = true;
			return c->kv[i].val;
		}
	return NULL;
}

/* Sizes: decimal or 0x hex, optional K/M/G/T (binary) suffix. */
static int parse_u64(const char *s, u64 *out, bool allow_suffix)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	/* Decimal or 0x hex; a leading zero does not make it octal. */
	v = strtoull(s, &end,
		     s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s)
		return -EINVAL;
	if (*end && allow_suffix) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (toupper((unsigned char)*end) == 'B' || *end == 'i') {
			if (*end == 'i')
				end++;
			if (toupper((unsigned char)*end) == 'B')
				end++;
		}
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = (u64)v << shift;
	return 0;
}

/* A size as platform text writes it (device models' keys use it too). */
int sim_parse_size(const char *s, u64 *out)
{
	return parse_u64(s, out, true);
}

static int get_size(struct line_ctx *c, const char *key, u64 *out, bool *set)
{
	const char *v = kv_get(c, key);
	int ret;

	if (set)
		*set = v != NULL;
	if (!v)
		return 0;
	ret = parse_u64(v, out, true);
	if (ret == -ERANGE)
		return perr(c, "%s: %s=%s is too large", c->kind, key, v);
	if (ret)
		return perr(c, "%s: %s=%s is not a size (use a number with an optional K, M, G or T suffix)",
			    c->kind, key, v);
	return 0;
}

/* A signed offset: "-1G" or "0x100000". */
static int get_offset(struct line_ctx *c, const char *key, s64 *out)
{
	const char *v = kv_get(c, key);
	bool neg = false;
	u64 mag;

	if (!v)
		return 0;
	if (*v == '-') {
		neg = true;
		v++;
	}
	if (parse_u64(v, &mag, true) || mag > (u64)INT64_MAX)
		return perr(c, "%s: %s is not an offset (a size, optionally negative)",
			    c->kind, key);
	*out = neg ? -(s64)mag : (s64)mag;
	return 0;
}

static int get_bool(struct line_ctx *c, const char *key, bool *out)
{
	const char *v = kv_get(c, key);

	if (!v)
		return 0;
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") ||
		 !strcmp(v, "0"))
		*out = false;
	else
		return perr(c, "%s: %s=%s must be yes or no", c->kind, key, v);
	return 0;
}

static int get_uint(struct line_ctx *c, const char *key, unsigned int lo,
		    unsigned int hi, unsigned int *out)
{
	const char *v = kv_get(c, key);
	u64 x;

	if (!v)
		return 0;
	if (parse_u64(v, &x, false) || x < lo || x > hi)
		return perr(c, "%s: %s=%s must be a number from %u to %u",
			    c->kind, key, v, lo, hi);
	*out = (unsigned int)x;
	return 0;
}

static int get_acs(struct line_ctx *c, u16 *out)
{
	static const struct { const char *name; u16 bit; } bits[] = {
		{ "sv", PCI_ACS_SV }, { "tb", PCI_ACS_TB }, { "rr", PCI_ACS_RR },
		{ "cr", PCI_ACS_CR }, { "uf", PCI_ACS_UF }, { "ec", PCI_ACS_EC },
		{ "dt", PCI_ACS_DT },
	};
	const char *v = kv_get(c, "acs");
	char buf[64], *save = NULL, *tok;
	u16 acs = 0;

	if (!v)
		return 0;
	if (!strcmp(v, "off") || !strcmp(v, "none")) {
		*out = 0;
		return 0;
	}
	if (!strcmp(v, "on") || !strcmp(v, "all")) {
		*out = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
		return 0;
	}
	if (strlen(v) >= sizeof(buf))
		return perr(c, "%s: acs=%s is too long", c->kind, v);
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bits); i++)
			if (!strcmp(tok, bits[i].name))
				break;
		if (i == ARRAY_SIZE(bits))
			return perr(c, "%s: acs: unknown control '%s' (off, on, or a list of sv,tb,rr,cr,uf,ec,dt)",
				    c->kind, tok);
		acs |= bits[i].bit;
	}
	*out = acs;
	return 0;
}

static int check_unused(struct line_ctx *c)
{
	for (int i = 0; i < c->nkv; i++)
		if (!c->kv[i].used)
			return perr(c, "%s: unknown key '%s'", c->kind,
				    c->kv[i].key);
	return 0;
}

static bool is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

/* ------------------------------------------------------------------------ */
/* Components                                                               */
/* ------------------------------------------------------------------------ */

struct parse_state {
	bool have_machine, have_swiotlb;
	int machine_line;
	u64 ram;
	bool ram_below_set;
	u64 ram_below;
	unsigned int nr_hostbridges;
	/*
	 * Bus numbers each PCI segment needs so far (a host bridge's root bus
	 * and one per bridge below it): a platform that cannot be numbered
	 * is refused at the line that overflows, not after the whole tree.
	 */
	u16 *seg_buses;
};

#define SIM_MAX_SEGMENT	0xffff

/* One more bus number in @seg's 256; an error naming the line when none is left. */
static int take_bus(struct line_ctx *c, struct parse_state *ps, unsigned int seg,
		    unsigned int nr, const char *who)
{
	if (!ps->seg_buses) {
		ps->seg_buses = calloc(SIM_MAX_SEGMENT + 1, sizeof(*ps->seg_buses));
		if (!ps->seg_buses)
			return perr(c, "out of memory");
	}
	if (ps->seg_buses[seg] + nr > 256)
		return perr(c, "%s: %s: out of PCI bus numbers in segment %u (256 buses; put more on a host bridge with another segment=)",
			    c->kind, who, seg);
	ps->seg_buses[seg] += nr;
	return 0;
}

static int parse_machine(struct line_ctx *c, struct parse_state *ps)
{
	struct sim_machine *m = c->m;
	const char *v;
	int ret;

	if (ps->have_machine)
		return perr(c, "machine: a second machine line (the first is on line %d)",
			    ps->machine_line);
	if (m->nr_nodes || m->nr_iommus || ps->have_swiotlb)
		return perr(c, "machine: must come before every other component");
	ps->have_machine = true;
	ps->machine_line = c->line;
	v = kv_get(c, "name");
	if (v) {
		if (!*v || strlen(v) >= sizeof(m->name))
			return perr(c, "machine: name must be 1 to %zu characters",
				    sizeof(m->name) - 1);
		strcpy(m->name, v);
	}
	v = kv_get(c, "arch");
	if (v) {
		if (strcmp(v, "x86_64") && strcmp(v, "arm64"))
			return perr(c, "machine: arch=%s: must be x86_64 or arm64", v);
		strcpy(m->arch, v);
		m->coherent = !strcmp(v, "x86_64");
	}
	v = kv_get(c, "dma-check");
	if (v) {
		if (strcmp(v, "strict") && strcmp(v, "off"))
			return perr(c, "machine: dma-check=%s: must be strict or off", v);
		m->dma_check = !strcmp(v, "strict");
	}
	if ((ret = get_size(c, "ram", &ps->ram, NULL)) ||
	    (ret = get_size(c, "ram-below-4g", &ps->ram_below,
			    &ps->ram_below_set)) ||
	    (ret = get_bool(c, "coherent", &m->coherent)) ||
	    (ret = get_uint(c, "cpus", 1, 256, &m->ncpus)) ||
	    (ret = get_uint(c, "phys-bits", 36, 52, &m->phys_bits)))
		return ret;
	if (ps->ram < 16 * SZ_1M || ps->ram % SZ_4M)
		return perr(c, "machine: ram=%lluK: must be at least 16M and a multiple of 4M",
			    (unsigned long long)(ps->ram >> 10));
	if (ps->ram_below_set &&
	    (ps->ram_below < 16 * SZ_1M || ps->ram_below % SZ_4M ||
	     ps->ram_below > 3 * SZ_1G || ps->ram_below > ps->ram))
		return perr(c, "machine: ram-below-4g must be a multiple of 4M from 16M to 3G and not above ram");
	if (ps->ram - (ps->ram_below_set ? ps->ram_below : 0) >
	    (1ULL << m->phys_bits) - SZ_4G)
		return perr(c, "machine: ram does not fit %u physical address bits",
			    m->phys_bits);
	return check_unused(c);
}

/* Ids name devices in sysfs-like paths and reports: ASCII letters, digits, _-. */
static bool id_chars_ok(const char *id)
{
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return false;
	return true;
}

static int parse_iommu(struct line_ctx *c)
{
	struct sim_machine *m = c->m;
	struct sim_iommu_cfg *io;
	const char *id = kv_get(c, "id");
	const char *v;

	if (m->nr_iommus == ARRAY_SIZE(m->iommus))
		return perr(c, "iommu: too many IOMMUs (at most %zu)",
			    ARRAY_SIZE(m->iommus));
	io = &m->iommus[m->nr_iommus];
	memset(io, 0, sizeof(*io));
	if (!id || !*id || strlen(id) >= sizeof(io->id))
		return perr(c, "iommu: missing or too long id=");
	if (!id_chars_ok(id))
		return perr(c, "iommu: id '%s' may hold only letters, digits, '_', '-' and '.'",
			    id);
	for (unsigned int i = 0; i < m->nr_iommus; i++)
		if (!strcmp(m->iommus[i].id, id))
			return perr(c, "duplicate id '%s' (first on line %d)", id,
				    m->iommus[i].line);
	if (sim_node_find(m, id))
		return perr(c, "duplicate id '%s' (first on line %d)", id,
			    sim_node_find(m, id)->line);
	strcpy(io->id, id);
	io->line = c->line;
	io->segment = -1;
	strcpy(io->format, !strcmp(m->arch, "arm64") ? "arm64-lpae" : "x86_64");
	strcpy(io->mode, "lazy");
	io->granule = SZ_4K;
	v = kv_get(c, "format");
	if (v) {
		if (strcmp(v, "x86_64") && strcmp(v, "arm64-lpae") &&
		    strcmp(v, "arm64"))
			return perr(c, "iommu: format=%s: must be x86_64 or arm64-lpae", v);
		snprintf(io->format, sizeof(io->format), "%s",
			 !strcmp(v, "arm64") ? "arm64-lpae" : v);
	}
	v = kv_get(c, "mode");
	if (v) {
		if (strcmp(v, "off") && strcmp(v, "passthrough") &&
		    strcmp(v, "strict") && strcmp(v, "lazy"))
			return perr(c, "iommu: mode=%s: must be off, passthrough, strict or lazy", v);
		snprintf(io->mode, sizeof(io->mode), "%s", v);
	}
	if (get_size(c, "granule", &io->granule, NULL))
		return -EINVAL;
	if (io->granule != SZ_4K && io->granule != SZ_16K &&
	    io->granule != SZ_64K)
		return perr(c, "iommu: granule must be 4K, 16K or 64K");
	if (!strcmp(io->format, "x86_64") && io->granule != SZ_4K)
		return perr(c, "iommu: the x86_64 format has only a 4K granule");
	{
		unsigned int tlb = 4096, fq = 256;
		u64 guard = 0;
		const char *t = kv_get(c, "fq-timeout");

		if (get_uint(c, "iotlb", 16, 1u << 20, &tlb) ||
		    get_uint(c, "fq-size", 1, 65536, &fq) ||
		    get_size(c, "guard", &guard, NULL))
			return -EINVAL;
		if (!is_pow2(tlb))
			return perr(c, "iommu: iotlb=%u must be a power of two", tlb);
		if (guard % io->granule || guard > 1024 * io->granule)
			return perr(c, "iommu: guard must be a multiple of the granule, at most 1024 granules");
		io->iotlb_entries = tlb;
		io->fq_size = fq;
		io->guard_pfns = (unsigned long)(guard / io->granule);
		io->fq_timeout_ns = 10000000ULL;	/* IOVA_FQ_TIMEOUT, 10 ms */
		if (t) {
			char *end;
			unsigned long long tv;

			errno = 0;
			tv = strtoull(t, &end, 10);
			if (errno || end == t || *t == '-' ||
			    (strcmp(end, "ms") && strcmp(end, "us") && strcmp(end, "ns")) ||
			    tv > 3600000ULL)
				return perr(c, "iommu: fq-timeout=%s must be a number with ms, us or ns (at most 3600000)",
					    t);
			io->fq_timeout_ns = tv * (!strcmp(end, "ms") ? 1000000ULL :
						 !strcmp(end, "us") ? 1000ULL : 1ULL);
			if (!io->fq_timeout_ns)
				return perr(c, "iommu: fq-timeout must not be 0");
		}
	}
	if (check_unused(c))
		return -EINVAL;
	m->nr_iommus++;
	return 0;
}

/* RAM below 4 GiB as sim_platform_parse() will settle it. */
static u64 ps_ram_below(const struct parse_state *ps)
{
	return ps->ram_below_set ? ps->ram_below : min(ps->ram, 2 * SZ_1G);
}

/* swiotlb_init_machine() needs the pool plus 16M below 4G. */
static bool swiotlb_fits(const struct parse_state *ps, u64 size)
{
	return !size || ps_ram_below(ps) >= size + 16 * SZ_1M;
}

static int parse_swiotlb(struct line_ctx *c, struct parse_state *ps)
{
	struct sim_machine *m = c->m;
	u64 size = m->swiotlb_size;
	int ret;

	if (ps->have_swiotlb)
		return perr(c, "swiotlb: a second swiotlb line");
	ps->have_swiotlb = true;
	if ((ret = get_size(c, "size", &size, NULL)) ||
	    (ret = get_bool(c, "force", &m->swiotlb_force)) ||
	    (ret = get_uint(c, "areas", 1, 256, &m->swiotlb_areas)))
		return ret;
	if (size && (size < (u64)IO_TLB_SIZE * IO_TLB_SEGSIZE ||
		     size % ((u64)IO_TLB_SIZE * IO_TLB_SEGSIZE) ||
		     size > SZ_1G))
		return perr(c, "swiotlb: size must be 0 or a multiple of 256K up to 1G");
	if (m->swiotlb_areas && !is_pow2(m->swiotlb_areas))
		return perr(c, "swiotlb: areas=%u must be a power of two",
			    m->swiotlb_areas);
	if (!size && m->swiotlb_force)
		return perr(c, "swiotlb: force=yes needs a pool (size is 0)");
	if (!swiotlb_fits(ps, size))
		return perr(c, "swiotlb: size=%lluM does not fit the %lluM of RAM below 4G (16M must stay free)",
			    (unsigned long long)(size >> 20),
			    (unsigned long long)(ps_ram_below(ps) >> 20));
	m->swiotlb_size = size;
	m->confidential = m->swiotlb_force;
	return check_unused(c);
}

static int new_id_ok(struct line_ctx *c, const char *id)
{
	struct sim_node *dup;

	if (!id || !*id)
		return perr(c, "%s: missing id=", c->kind);
	if (strlen(id) >= sizeof(((struct sim_node *)0)->id) - 8)
		return perr(c, "%s: id '%s' is too long", c->kind, id);
	if (!id_chars_ok(id))
		return perr(c, "%s: id '%s' may hold only letters, digits, '_', '-' and '.'",
			    c->kind, id);
	dup = sim_node_find(c->m, id);
	if (dup)
		return perr(c, "duplicate id '%s' (first on line %d)", id,
			    dup->line);
	for (unsigned int i = 0; i < c->m->nr_iommus; i++)
		if (!strcmp(c->m->iommus[i].id, id))
			return perr(c, "duplicate id '%s' (first on line %d)", id,
				    c->m->iommus[i].line);
	return 0;
}

static struct sim_node *new_node(struct line_ctx *c, enum sim_node_kind kind,
				 const char *id, struct sim_node *parent)
{
	struct sim_node *n = sim_node_new(c->m, kind, id, parent);

	if (!n) {
		perr(c, "out of memory");
		return NULL;
	}
	n->line = c->line;
	snprintf(n->kindname, sizeof(n->kindname), "%s", c->kind);
	if (kind != SIM_NODE_HOSTBRIDGE) {
		n->fn = sim_kzalloc(c->m, sizeof(*n->fn));
		if (!n->fn) {
			perr(c, "out of memory");
			return NULL;
		}
		n->fn->node = n;
		n->fn->pdev.sim = n->fn;
	}
	return n;
}

static int parse_hostbridge(struct line_ctx *c, struct parse_state *ps)
{
	struct sim_machine *m = c->m;
	const char *id = kv_get(c, "id");
	const char *v;
	struct sim_hostbridge *hb;
	struct sim_node *n;
	u64 off = 0;
	bool set;
	s64 dram_off = 0;
	unsigned int busnr = 0, segment = 0;
	struct sim_iommu_cfg *io = NULL;
	int ret;

	if (new_id_ok(c, id))
		return -EINVAL;
	if (get_uint(c, "segment", 0, SIM_MAX_SEGMENT, &segment))
		return -EINVAL;
	hb = sim_kzalloc(m, sizeof(*hb));
	if (!hb)
		return perr(c, "out of memory");
	n = new_node(c, SIM_NODE_HOSTBRIDGE, id, NULL);
	if (!n) {
		sim_kfree(m, hb);
		return -ENOMEM;
	}
	n->hostbridge = hb;
	hb->p2p_allow = false;
	hb->win32.size = 256 * SZ_1M;
	hb->win64.size = 512ULL << 30;
	hb->win64.is64 = true;

	v = kv_get(c, "p2p");
	if (v) {
		if (!strcmp(v, "allow"))
			hb->p2p_allow = true;
		else if (strcmp(v, "deny"))
			return perr(c, "hostbridge: p2p=%s must be allow or deny", v);
	}
	v = kv_get(c, "iommu");
	if (v) {
		unsigned int i;

		for (i = 0; i < m->nr_iommus; i++)
			if (!strcmp(m->iommus[i].id, v))
				break;
		if (i == m->nr_iommus)
			return perr(c, "hostbridge: iommu '%s' not found (define it on an earlier line)",
				    v);
		io = &m->iommus[i];
		/* Its tables are indexed by bus and devfn: one segment per unit (VT-d's DRHD). */
		if (io->segment >= 0 && (unsigned int)io->segment != segment)
			return perr(c, "hostbridge: iommu '%s' translates for segment %d already (an IOMMU serves one PCI segment)",
				    v, io->segment);
		snprintf(hb->iommu_id, sizeof(hb->iommu_id), "%s", v);
	}
	if ((ret = get_size(c, "bus-offset", &off, NULL)) ||
	    (ret = get_size(c, "mmio32", &hb->win32.size, NULL)) ||
	    (ret = get_size(c, "mmio64", &hb->win64.size, NULL)) ||
	    (ret = get_offset(c, "dram-bus-offset", &dram_off)) ||
	    (ret = get_size(c, "dma-limit", &hb->dma_limit, &set)) ||
	    (ret = get_uint(c, "busnr", 0, 255, &busnr)))
		return ret;
	if (set) {
		if (hb->dma_limit < 16 * SZ_1M)
			return perr(c, "hostbridge: dma-limit must be at least 16M");
		hb->dma_limit -= 1;
	}
	hb->busnr = (u8)busnr;
	hb->domain = (u16)segment;
	if (take_bus(c, ps, segment, 1, id))
		return -EINVAL;
	if (io)
		io->segment = (int)segment;
	/* a flag, not a sentinel value: every base the text gives is checked */
	if (get_size(c, "mmio32-base", &hb->win32.cpu_start, &hb->win32.base_set) ||
	    get_size(c, "mmio64-base", &hb->win64.cpu_start, &hb->win64.base_set))
		return -EINVAL;
	if (hb->win32.size && (hb->win32.size % SZ_1M || hb->win32.size > 2 * SZ_1G))
		return perr(c, "hostbridge: mmio32 must be a multiple of 1M, at most 2G");
	if (hb->win64.size && (hb->win64.size % SZ_1G))
		return perr(c, "hostbridge: mmio64 must be a multiple of 1G");
	hb->win32.offset = hb->win64.offset = off;
	hb->dma_offset = (u64)dram_off;
	ps->nr_hostbridges++;
	return check_unused(c);
}

/* Resolve bus=: root ports sit on host bridges; the rest on ports. */
static struct sim_node *resolve_parent(struct line_ctx *c,
				       struct parse_state *ps, bool rootport)
{
	struct sim_machine *m = c->m;
	const char *bus = kv_get(c, "bus");
	struct sim_node *p, *dsp;
	char name[64];
	int used_on;

	if (!bus || !*bus) {
		perr(c, "%s: missing bus= (the parent component)", c->kind);
		return NULL;
	}
	p = sim_node_find(m, bus);
	if (!p) {
		perr(c, "%s: parent '%s' not found (parents must come first)",
		     c->kind, bus);
		return NULL;
	}
	if (rootport) {
		unsigned int nr = 0;

		if (p->kind != SIM_NODE_HOSTBRIDGE) {
			perr(c, "%s: parent '%s' is a %s, not a hostbridge",
			     c->kind, bus, p->kindname);
			return NULL;
		}
		/* Root ports take devices 1 to 31 of the host bridge's bus. */
		for (struct sim_node *k = p->first_child; k; k = k->next_sibling)
			nr++;
		if (nr == 31) {
			perr(c, "%s: host bridge '%s' has no free slot for another root port (31 used)",
			     c->kind, bus);
			return NULL;
		}
		return p;
	}
	if (p->kind == SIM_NODE_ROOTPORT) {
		if (p->first_child) {
			perr(c, "%s: root port '%s' already has '%s' on its link",
			     c->kind, bus, p->first_child->id);
			return NULL;
		}
		return p;
	}
	if (p->kind != SIM_NODE_SWITCH_UP) {
		perr(c, "%s: parent '%s' is a %s, not a rootport or switch",
		     c->kind, bus, p->kindname);
		return NULL;
	}
	if (p->dsp_count == 32) {
		perr(c, "%s: switch '%s' has no free downstream port (32 used)",
		     c->kind, bus);
		return NULL;
	}
	/* Each child of a switch gets its own downstream port. */
	snprintf(name, sizeof(name), "%s.dp%u", p->id, p->dsp_count);
	/* Its implicit id must not be one the text already used. */
	dsp = sim_node_find(m, name);
	used_on = dsp ? dsp->line : 0;
	for (unsigned int i = 0; i < m->nr_iommus; i++)
		if (!strcmp(m->iommus[i].id, name))
			used_on = m->iommus[i].line;
	if (used_on) {
		perr(c, "%s: switch '%s' needs the id '%s' for its downstream port, but line %d uses it",
		     c->kind, bus, name, used_on);
		return NULL;
	}
	if (take_bus(c, ps, p->hb->hostbridge->domain, 1, name))
		return NULL;
	dsp = sim_node_new(m, SIM_NODE_SWITCH_DOWN, name, p);
	if (!dsp) {
		perr(c, "out of memory");
		return NULL;
	}
	dsp->line = p->line;
	strcpy(dsp->kindname, "switch-port");
	dsp->acs_ctrl = p->acs_ctrl;
	dsp->fn = sim_kzalloc(m, sizeof(*dsp->fn));
	if (!dsp->fn) {
		perr(c, "out of memory");
		return NULL;
	}
	dsp->fn->node = dsp;
	dsp->fn->pdev.sim = dsp->fn;
	p->dsp_count++;
	return dsp;
}

static int parse_port(struct line_ctx *c, struct parse_state *ps, bool rootport)
{
	const char *id = kv_get(c, "id");
	struct sim_node *parent, *n;
	u16 acs = 0;

	if (new_id_ok(c, id))
		return -EINVAL;
	if (get_acs(c, &acs))
		return -EINVAL;
	parent = resolve_parent(c, ps, rootport);
	if (!parent)
		return -EINVAL;
	if (take_bus(c, ps, parent->hb->hostbridge->domain, 1, id))
		return -EINVAL;
	n = new_node(c, rootport ? SIM_NODE_ROOTPORT : SIM_NODE_SWITCH_UP, id,
		     parent);
	if (!n)
		return -ENOMEM;
	n->acs_ctrl = acs;
	n->coherent = true;
	return check_unused(c);
}

static int parse_bar_w(struct line_ctx *c, struct sim_node *n, int idx, u64 size,
		       const char *role, int width)
{
	struct sim_bar *bar = &n->fn->bars[idx];

	if (!is_pow2(size) || size < SZ_4K)
		return perr(c, "%s: bar%d must be a power of two of at least 4K",
			    c->kind, idx);
	if (size > (1ULL << 47))
		return perr(c, "%s: bar%d is larger than 128T", c->kind, idx);
	if (idx > 0 && n->fn->bars[idx - 1].is64)
		return perr(c, "%s: bar%d is the upper half of 64-bit bar%d",
			    c->kind, idx, idx - 1);
	bar->index = idx;
	bar->size = size;
	bar->role = role;
	/* Large BARs are 64-bit prefetchable, the rest 32-bit registers. */
	bar->is64 = width ? width == 64 : size > 32 * SZ_1M;
	bar->prefetch = bar->is64;
	if (bar->is64 && idx == PCI_STD_NUM_BARS - 1)
		return perr(c, "%s: bar5 cannot hold a 64-bit BAR (%lluM)",
			    c->kind, (unsigned long long)(size >> 20));
	if (bar->is64 && n->fn->bars[idx + 1].size)
		return perr(c, "%s: bar%d is the upper half of 64-bit bar%d",
			    c->kind, idx + 1, idx);
	return 0;
}

static int parse_bar(struct line_ctx *c, struct sim_node *n, int idx, u64 size,
		     const char *role)
{
	return parse_bar_w(c, n, idx, size, role, 0);
}

/*
 * A pcidev line with model=: the BARs are the model's, and the keys the
 * model declares are its parameters; any other key is an error.
 */
static int bind_model(struct line_ctx *c, struct sim_node *n,
		      const struct sim_model *model)
{
	char *keys[MAX_KV], *vals[MAX_KV];
	unsigned int nr = 0;

	for (int i = 0; i < c->nkv; i++) {
		if (c->kv[i].used)
			continue;
		if (!strncmp(c->kv[i].key, "bar", 3) && !sim_model_has_param(model, c->kv[i].key))
			return perr(c, "%s: %s: the BARs come from model '%s'",
				    c->kind, c->kv[i].key, model->name);
		if (!sim_model_has_param(model, c->kv[i].key))
			return perr(c, "%s: unknown key '%s' (not a key of model '%s')",
				    c->kind, c->kv[i].key, model->name);
		c->kv[i].used = true;
		keys[nr] = c->kv[i].key;
		vals[nr] = c->kv[i].val;
		nr++;
	}
	if (sim_model_bind(c->m, n, model, keys, vals, nr))
		return perr(c, "out of memory");
	return 0;
}

static const struct {
	const char *kind;
	u64 bar0;
	unsigned int dma_bits;
} endpoint_kinds[] = {
	{ "nvme", 16 * SZ_1K, 64 },
	{ "nic", SZ_1M, 64 },
	{ "gpu", 16 * SZ_1M, 64 },
	{ "dmaengine", 64 * SZ_1K, 64 },
	{ "pcidev", 4 * SZ_1K, 64 },
};

/* "SIZE" or "SIZE,64" / "SIZE,32" (the BAR's width, whatever its size). */
static int get_bar_spec(struct line_ctx *c, const char *key, u64 *size,
			int *width, bool *set)
{
	const char *raw = kv_get(c, key);
	const char *comma;
	char num[64];

	*set = raw != NULL;
	*width = 0;
	if (!raw)
		return 0;
	comma = strchr(raw, ',');
	if (!comma)
		return get_size(c, key, size, NULL);
	if (strcmp(comma, ",64") && strcmp(comma, ",32"))
		return perr(c, "%s: %s=%s: the width after the comma is 64 or 32",
			    c->kind, key, raw);
	*width = comma[1] == '6' ? 64 : 32;
	snprintf(num, sizeof(num), "%.*s", (int)(comma - raw), raw);
	if (parse_u64(num, size, true))
		return perr(c, "%s: %s=%s is not a size (use a number with an optional K, M, G or T suffix)",
			    c->kind, key, raw);
	return 0;
}

#define SIM_MAX_VFS	255

/*
 * sriov=N: the PF's SR-IOV capability (TotalVFs N; First VF Offset
 * vf-offset=, default 1, VF Stride vf-stride=, default 1, as most devices
 * on an ARI link have; vfs-enabled=K of them enabled at boot, default N)
 * and its VF BARs, vf-bar0..5 (default: vf-bar0 as the kind's BAR0). Each
 * VF BAR is an aperture in the PF of NumVFs times its size, aligned to
 * its size (Linux's IOV resources).
 */
static int parse_sriov(struct line_ctx *c, struct sim_node *n, int kind_idx)
{
	unsigned int nr = 0, vf_device = 0, enabled = 0, offset = 1, stride = 1;
	static const char *const needs_sriov[] = {
		"vf-device", "vfs-enabled", "vf-offset", "vf-stride",
	};
	bool any = false;

	if (get_uint(c, "sriov", 1, SIM_MAX_VFS, &nr) ||
	    get_uint(c, "vf-device", 0, 0xffff, &vf_device) ||
	    get_uint(c, "vfs-enabled", 0, SIM_MAX_VFS, &enabled) ||
	    get_uint(c, "vf-offset", 1, 0xff, &offset) ||
	    get_uint(c, "vf-stride", 1, 0xff, &stride))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(needs_sriov); i++)
		if (!nr && kv_get(c, needs_sriov[i]))
			return perr(c, "%s: %s needs sriov=", c->kind,
				    needs_sriov[i]);
	if (!kv_get(c, "vfs-enabled"))
		enabled = nr;
	if (enabled > nr)
		return perr(c, "%s: vfs-enabled=%u is more than sriov=%u",
			    c->kind, enabled, nr);
	/* the last VF's devfn: an endpoint is devfn 0, alone on its link */
	if (nr && offset + stride * (nr - 1) > 0xff)
		return perr(c, "%s: sriov=%u vf-offset=%u vf-stride=%u puts VF %u at devfn %u, past the PF's bus (255)",
			    c->kind, nr, offset, stride, nr - 1,
			    offset + stride * (nr - 1));
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		char key[8];
		u64 size = 0;
		int width;
		bool set;
		struct sim_bar *bar = &n->fn->iov_bars[i];

		snprintf(key, sizeof(key), "vf-bar%d", i);
		if (get_bar_spec(c, key, &size, &width, &set))
			return -EINVAL;
		if (!set && !(i == 0 && !any && nr))
			continue;
		if (!nr)
			return perr(c, "%s: %s needs sriov=", c->kind, key);
		if (!set)
			size = endpoint_kinds[kind_idx].bar0;
		if (!size)
			continue;
		if (!is_pow2(size) || size < SZ_4K || size > (1ULL << 40))
			return perr(c, "%s: %s must be a power of two from 4K to 1T",
				    c->kind, key);
		if (i > 0 && n->fn->iov_bars[i - 1].is64)
			return perr(c, "%s: %s is the upper half of 64-bit vf-bar%d",
				    c->kind, key, i - 1);
		bar->index = i;
		bar->size = size * nr;
		bar->align = size;
		bar->role = "vf";
		bar->is64 = width ? width == 64 : size > 32 * SZ_1M;
		bar->prefetch = bar->is64;
		if (bar->is64 && i == PCI_STD_NUM_BARS - 1)
			return perr(c, "%s: vf-bar5 cannot hold a 64-bit BAR",
				    c->kind);
		any = true;
	}
	if (!nr)
		return 0;
	if (!any)
		return perr(c, "%s: sriov=%u: the VFs have no BAR (give a vf-bar0=)",
			    c->kind, nr);
	/*
	 * VF RIDs: the PF's + vf-offset + vf-stride * i, all on the PF's bus,
	 * so they need no bus number of their own.
	 */
	n->nr_vfs = nr;
	n->vfs_enabled = enabled;
	n->vf_offset = (u16)offset;
	n->vf_stride = (u16)stride;
	n->vf_device = (u16)vf_device;
	return 0;
}

/* The PF's VFs: endpoints on its link named PF.vfN, created after it. */
static int make_vfs(struct line_ctx *c, struct sim_node *pf)
{
	struct sim_machine *m = c->m;

	for (unsigned int i = 0; i < pf->nr_vfs; i++) {
		char name[64];
		struct sim_node *vf, *dup;
		int used_on = 0;

		snprintf(name, sizeof(name), "%s.vf%u", pf->id, i);
		dup = sim_node_find(m, name);
		used_on = dup ? dup->line : 0;
		for (unsigned int k = 0; k < m->nr_iommus; k++)
			if (!strcmp(m->iommus[k].id, name))
				used_on = m->iommus[k].line;
		if (used_on)
			return perr(c, "%s: sriov needs the id '%s' for a VF, but line %d uses it",
				    c->kind, name, used_on);
		vf = sim_node_new(m, SIM_NODE_ENDPOINT, name, pf->parent);
		if (!vf)
			return perr(c, "out of memory");
		vf->line = pf->line;
		strcpy(vf->kindname, "vf");
		vf->pf = pf;
		vf->vf_index = i;
		vf->dma_bits = pf->dma_bits;
		vf->coherent = pf->coherent;
		vf->untrusted = pf->untrusted;
		vf->flr = true;		/* VFs must implement FLR (SR-IOV 1.1) */
		vf->fn = sim_kzalloc(m, sizeof(*vf->fn));
		if (!vf->fn)
			return perr(c, "out of memory");
		vf->fn->node = vf;
		vf->fn->pdev.sim = vf->fn;
		for (int b = 0; b < PCI_STD_NUM_BARS; b++) {
			const struct sim_bar *ap = &pf->fn->iov_bars[b];
			struct sim_bar *bar = &vf->fn->bars[b];

			if (!ap->size)
				continue;
			bar->index = b;
			bar->size = ap->align;
			bar->is64 = ap->is64;
			bar->prefetch = ap->prefetch;
			bar->role = "vf";
		}
	}
	return 0;
}

static int parse_endpoint(struct line_ctx *c, struct parse_state *ps,
			  int kind_idx)
{
	struct sim_machine *m = c->m;
	const char *id = kv_get(c, "id");
	struct sim_node *parent, *n;
	unsigned int vendor = 0, device = 0;
	const struct sim_model *model = NULL;
	const char *model_name = NULL;
	int ret;

	if (new_id_ok(c, id))
		return -EINVAL;
	if (!strcmp(c->kind, "pcidev"))
		model_name = kv_get(c, "model");
	if (model_name && !(model = sim_model_find(m, model_name)))
		return perr(c, "unknown device model '%s'", model_name);
	parent = resolve_parent(c, ps, false);
	if (!parent)
		return -EINVAL;
	n = new_node(c, SIM_NODE_ENDPOINT, id, parent);
	if (!n)
		return -ENOMEM;
	n->dma_bits = endpoint_kinds[kind_idx].dma_bits;
	n->coherent = m->coherent;
	if ((ret = get_uint(c, "dma-bits", 24, 64, &n->dma_bits)) ||
	    (ret = get_bool(c, "coherent", &n->coherent)) ||
	    (ret = get_bool(c, "untrusted", &n->untrusted)) ||
	    (ret = get_bool(c, "flr", &n->flr)) ||
	    (ret = get_uint(c, "vendor", 0, 0xffff, &vendor)) ||
	    (ret = get_uint(c, "device", 0, 0xffff, &device)))
		return ret;
	n->vendor_set = kv_get(c, "vendor") != NULL;
	n->device_set = kv_get(c, "device") != NULL;
	/* 0xffff is what a read of an absent function returns; 0 is no vendor */
	if (n->vendor_set && (vendor == 0 || vendor == 0xffff))
		return perr(c, "%s: vendor=0x%04x is not a PCI vendor ID", c->kind,
			    vendor);
	if (n->device_set && device == 0xffff)
		return perr(c, "%s: device=0xffff is not a PCI device ID", c->kind);
	if (model) {
		n->fn->pdev.vendor = (u16)(n->vendor_set ? vendor : model->vendor);
		n->fn->pdev.device = (u16)(n->device_set ? device : model->device);
		return bind_model(c, n, model);
	}
	n->fn->pdev.vendor = (u16)vendor;
	n->fn->pdev.device = (u16)device;

	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		char key[8];
		u64 size = 0;
		bool set;

		const char *raw;
		int width = 0;

		snprintf(key, sizeof(key), "bar%d", i);
		/* "SIZE,64" or "SIZE,32": the BAR's width, whatever its size */
		raw = kv_get(c, key);
		if (raw) {
			const char *comma = strchr(raw, ',');

			if (comma) {
				char num[64];

				if (strcmp(comma, ",64") && strcmp(comma, ",32"))
					return perr(c, "%s: %s=%s: the width after the comma is 64 or 32",
						    c->kind, key, raw);
				width = comma[1] == '6' ? 64 : 32;
				snprintf(num, sizeof(num), "%.*s", (int)(comma - raw), raw);
				if (parse_u64(num, &size, true))
					return perr(c, "%s: %s=%s is not a size (use a number with an optional K, M, G or T suffix)",
						    c->kind, key, raw);
				set = true;
			} else if (get_size(c, key, &size, &set)) {
				return -EINVAL;
			}
		} else {
			set = false;
		}
		if (!set && i == 0)
			size = endpoint_kinds[kind_idx].bar0;
		if ((set || i == 0) && size &&
		    parse_bar_w(c, n, i, size, i == 0 ? "regs" : "bar", width))
			return -EINVAL;
	}
	if (!strcmp(c->kind, "nvme")) {
		u64 cmb = 0;
		bool set;

		if (get_size(c, "cmb", &cmb, &set))
			return -EINVAL;
		if (set && cmb) {
			int idx = n->fn->bars[2].size ? 4 : 2;

			if (n->fn->bars[idx].size || (idx == 4 && n->fn->bars[3].size))
				return perr(c, "nvme: no free BAR for cmb=");
			if (parse_bar(c, n, idx, cmb, "cmb"))
				return -EINVAL;
		}
	}
	if (parse_sriov(c, n, kind_idx))
		return -EINVAL;
	ret = check_unused(c);
	if (!ret) {
		char why[160];

		ret = sim_model_bind_kind(m, n, why, sizeof(why));
		if (ret == -EINVAL)
			return perr(c, "%s", why);
		if (ret)
			return perr(c, "out of memory");
	}
	if (!ret && n->nr_vfs)
		ret = make_vfs(c, n);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Lines                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const plain_kinds[] = {
	"machine", "iommu", "swiotlb", "hostbridge", "rootport", "switch",
};

static bool kind_known(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(plain_kinds); i++)
		if (!strcmp(kind, plain_kinds[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(endpoint_kinds); i++)
		if (!strcmp(kind, endpoint_kinds[i].kind))
			return true;
	return false;
}

static int split_line(struct line_ctx *c, char *s)
{
	char *save = NULL, *tok;

	c->kind = strtok_r(s, " \t\r", &save);
	c->nkv = 0;
	/*
	 * Nothing of a line is quoted until its kind is known: a file that
	 * is not a platform (a key file, /etc/shadow) must not have its first
	 * word or any other part echoed into an error message.
	 */
	if (c->kind && !kind_known(c->kind))
		return perr(c, "unknown kind: a line starts with one of machine, iommu, swiotlb, hostbridge, rootport, switch, nvme, nic, gpu, dmaengine, pcidev");
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			return perr(c, "%s: '%s' is not key=value", c->kind, tok);
		*eq = '\0';
		if (!eq[1])
			return perr(c, "%s: %s= has no value", c->kind, tok);
		for (int i = 0; i < c->nkv; i++)
			if (!strcmp(c->kv[i].key, tok))
				return perr(c, "%s: key '%s' given twice", c->kind,
					    tok);
		if (c->nkv == MAX_KV)
			return perr(c, "%s: too many keys", c->kind);
		c->kv[c->nkv].key = tok;
		c->kv[c->nkv].val = eq + 1;
		c->kv[c->nkv].used = false;
		c->nkv++;
	}
	return 0;
}

static int parse_component(struct line_ctx *c, struct parse_state *ps)
{
	if (!strcmp(c->kind, "machine"))
		return parse_machine(c, ps);
	if (!strcmp(c->kind, "iommu"))
		return parse_iommu(c);
	if (!strcmp(c->kind, "swiotlb"))
		return parse_swiotlb(c, ps);
	if (!strcmp(c->kind, "hostbridge"))
		return parse_hostbridge(c, ps);
	if (!strcmp(c->kind, "rootport"))
		return parse_port(c, ps, true);
	if (!strcmp(c->kind, "switch"))
		return parse_port(c, ps, false);
	for (size_t i = 0; i < ARRAY_SIZE(endpoint_kinds); i++)
		if (!strcmp(c->kind, endpoint_kinds[i].kind))
			return parse_endpoint(c, ps, (int)i);
	return perr(c, "not a platform component");	/* split_line() checked */
}

/* ------------------------------------------------------------------------ */
/* Layout and checks after every line is read                               */
/* ------------------------------------------------------------------------ */

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static int window_cmp(const void *a, const void *b)
{
	const struct sim_window *x = *(struct sim_window *const *)a;
	const struct sim_window *y = *(struct sim_window *const *)b;

	return x->cpu_start < y->cpu_start ? -1 : x->cpu_start > y->cpu_start;
}

/*
 * Do any two host bridge windows overlap? Sorted by start, only neighbours
 * need comparing: O(n log n). The caller then names the pair the slow way,
 * once. -ENOMEM, 0 (none) or 1.
 */
static int windows_overlap(struct sim_machine *m)
{
	struct sim_window **w = sim_kcalloc(m, 2 * (size_t)m->nr_nodes + 1,
					    sizeof(*w));
	unsigned int nr = 0;
	int ret = 0;

	if (!w)
		return -ENOMEM;
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_hostbridge *hb = m->nodes[i]->hostbridge;

		if (m->nodes[i]->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		if (hb->win32.size)
			w[nr++] = &hb->win32;
		if (hb->win64.size)
			w[nr++] = &hb->win64;
	}
	qsort(w, nr, sizeof(*w), window_cmp);
	for (unsigned int i = 1; i < nr && !ret; i++)
		if (ranges_overlap(w[i - 1]->cpu_start, w[i - 1]->size,
				   w[i]->cpu_start, w[i]->size))
			ret = 1;
	sim_kfree(m, w);
	return ret;
}

static int layout_windows(struct sim_machine *m, char *err, size_t errlen)
{
	phys_addr_t ram_top = m->ram_above_4g ? SZ_4G + m->ram_above_4g :
						m->ram_below_4g;
	phys_addr_t cur32 = max(m->ram_below_4g, (u64)0x80000000ULL);
	phys_addr_t cur64 = ALIGN(max(ram_top, (u64)SZ_4G), 1ULL << 40);
	u64 limit = 1ULL << m->phys_bits;
	int overlap;

	/* Windows without a base are laid out in platform order first. */
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_hostbridge *hb = m->nodes[i]->hostbridge;

		if (m->nodes[i]->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		if (hb->win32.size && !hb->win32.base_set) {
			hb->win32.cpu_start = cur32;
			cur32 += hb->win32.size;
		}
		if (hb->win64.size && !hb->win64.base_set) {
			hb->win64.cpu_start = cur64;
			cur64 += ALIGN(hb->win64.size, 1ULL << 40);
		}
	}
	overlap = windows_overlap(m);
	if (overlap < 0) {
		snprintf(err, errlen, "out of memory");
		return overlap;
	}

	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_node *n = m->nodes[i];
		struct sim_hostbridge *hb = n->hostbridge;
		struct sim_window *w32, *w64;

		if (n->kind != SIM_NODE_HOSTBRIDGE)
			continue;
		w32 = &hb->win32;
		w64 = &hb->win64;
		if (w32->size &&
		    (w32->cpu_start + w32->size > 0xfec00000ULL ||
		     w32->cpu_start + w32->size < w32->cpu_start)) {
			snprintf(err, errlen,
				 "line %d: hostbridge: mmio32 window %#llx+%lluM must end below 0xfec00000 (the local APIC/MSI area)",
				 n->line, (unsigned long long)w32->cpu_start,
				 (unsigned long long)(w32->size >> 20));
			return -EINVAL;
		}
		if (w64->size && (w64->cpu_start < SZ_4G ||
				  w64->cpu_start + w64->size > limit ||
				  w64->cpu_start + w64->size < w64->cpu_start)) {
			snprintf(err, errlen,
				 "line %d: hostbridge: mmio64 window %#llx+%lluG must lie between 4G and the %u-bit physical address limit",
				 n->line, (unsigned long long)w64->cpu_start,
				 (unsigned long long)(w64->size >> 30),
				 m->phys_bits);
			return -EINVAL;
		}
		w32->next = w32->cpu_start;
		w64->next = w64->cpu_start;
		for (int k = 0; k < 2; k++) {
			struct sim_window *w = k ? w64 : w32;

			if (!w->size)
				continue;
			if (w->offset > w->cpu_start) {
				snprintf(err, errlen,
					 "line %d: hostbridge: bus-offset %#llx is above the %s window at %#llx",
					 n->line, (unsigned long long)w->offset,
					 k ? "mmio64" : "mmio32",
					 (unsigned long long)w->cpu_start);
				return -EINVAL;
			}
			for (unsigned int r = 0; r < m->ram.nr_regions; r++) {
				struct sim_ram_region *rr = &m->ram.regions[r];

				if (ranges_overlap(w->cpu_start, w->size, rr->base,
						   rr->size)) {
					snprintf(err, errlen,
						 "line %d: hostbridge: %s window %#llx+%#llx overlaps RAM at %#llx+%#llx",
						 n->line, k ? "mmio64" : "mmio32",
						 (unsigned long long)w->cpu_start,
						 (unsigned long long)w->size,
						 (unsigned long long)rr->base,
						 (unsigned long long)rr->size);
					return -EINVAL;
				}
				/* Devices must not see a window and DRAM at one bus address. */
				if (ranges_overlap(w->cpu_start - w->offset, w->size,
						   rr->base + hb->dma_offset,
						   rr->size)) {
					snprintf(err, errlen,
						 "line %d: hostbridge: %s window's bus addresses overlap DRAM as devices see it",
						 n->line, k ? "mmio64" : "mmio32");
					return -EINVAL;
				}
			}
			for (unsigned int j = 0; overlap && j < i; j++) {
				struct sim_node *o = m->nodes[j];

				if (o->kind != SIM_NODE_HOSTBRIDGE)
					continue;
				for (int q = 0; q < 2; q++) {
					struct sim_window *ow = q ? &o->hostbridge->win64 :
								    &o->hostbridge->win32;

					if (ow->size &&
					    ranges_overlap(w->cpu_start, w->size,
							   ow->cpu_start, ow->size)) {
						snprintf(err, errlen,
							 "line %d: hostbridge: %s window overlaps a window of %s (line %d)",
							 n->line, k ? "mmio64" : "mmio32",
							 o->id, o->line);
						return -EINVAL;
					}
				}
			}
		}
		/* DRAM as the devices below this bridge see it. */
		if (hb->dma_offset) {
			for (unsigned int r = 0; r < m->ram.nr_regions && r < 2; r++) {
				struct sim_ram_region *rr = &m->ram.regions[r];
				u64 dma = rr->base + hb->dma_offset;

				if ((s64)hb->dma_offset < 0 &&
				    (u64)(-(s64)hb->dma_offset) > rr->base) {
					snprintf(err, errlen,
						 "line %d: hostbridge: dram-bus-offset puts RAM at %#llx below bus address 0",
						 n->line, (unsigned long long)rr->base);
					return -EINVAL;
				}
				hb->dma_map[r].cpu_start = rr->base;
				hb->dma_map[r].dma_start = dma;
				hb->dma_map[r].size = rr->size;
			}
		}
	}
	return 0;
}

/*
 * The code point at @s if it starts a well-formed UTF-8 sequence (RFC
 * 3629: shortest form, no surrogates, at most U+10FFFF), its length in
 * *@len; -1 otherwise.
 */
static long utf8_decode(const unsigned char *s, size_t *len)
{
	static const long min_of[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned long cp;
	size_t n;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((long)cp < min_of[n] || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return (long)cp;
}

/*
 * A line (its comment cut off) must be UTF-8 text without control
 * characters but tab and CR: names and ids end up in text and JSON output,
 * and in error messages. The offending byte is named by value and column,
 * never echoed.
 */
static int check_text(struct line_ctx *c, const char *line)
{
	const unsigned char *s = (const unsigned char *)line;

	for (size_t i = 0; s[i];) {
		size_t n = 1;
		long cp = utf8_decode(s + i, &n);

		if (cp < 0)
			return perr(c, "byte 0x%02x at column %zu is not UTF-8 text",
				    s[i], i + 1);
		if ((cp < 0x20 && cp != '\t' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return cp < 0x80 ?
				perr(c, "control character 0x%02lx at column %zu", cp, i + 1) :
				perr(c, "control character U+%04lX at column %zu", cp, i + 1);
		i += n;
	}
	return 0;
}

/* The lines of @text, one component each (sim_platform_parse()). */
static int parse_text(struct sim_machine *m, const char *text, char *err,
		      size_t errlen, struct parse_state *psp)
{
	struct parse_state ps = *psp;
	struct line_ctx c = { .m = m, .err = err, .errlen = errlen };
	const char *p = text;
	char buf[MAX_LINE + 2];
	int ret = 0;

	m->swiotlb_size = IO_TLB_DEFAULT_SIZE;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *hash;

		c.line++;
		if (len > MAX_LINE)
			return perr(&c, "line is longer than %d characters", MAX_LINE);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (nl ? 1 : 0);
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		if (check_text(&c, buf))
			return -EINVAL;
		if (split_line(&c, buf))
			return -EINVAL;
		if (!c.kind)
			continue;
		ret = parse_component(&c, &ps);
		psp->seg_buses = ps.seg_buses;
		if (ret)
			return ret;
	}
	if (ps.have_machine && !ps.have_swiotlb &&
	    !swiotlb_fits(&ps, m->swiotlb_size)) {
		c.line = ps.machine_line;
		return perr(&c, "machine: %lluM of RAM below 4G leaves no room for the default %lluM swiotlb pool (add a smaller swiotlb size=)",
			    (unsigned long long)(ps_ram_below(&ps) >> 20),
			    (unsigned long long)(m->swiotlb_size >> 20));
	}
	if (ps.ram_below_set)
		m->ram_below_4g = ps.ram_below;
	else
		m->ram_below_4g = min(ps.ram, 2 * SZ_1G);
	m->ram_above_4g = ps.ram - m->ram_below_4g;
	return 0;
}

/**
 * sim_platform_parse - read platform text into @m
 *
 * Builds nodes and records settings; RAM and the PCI functions are created
 * by sim_machine_finalize(). On error @err holds "line N: ...".
 */
int sim_platform_parse(struct sim_machine *m, const char *text, char *err,
		       size_t errlen)
{
	struct parse_state ps = { .ram = 8 * SZ_1G };
	int ret = parse_text(m, text, err, errlen, &ps);

	free(ps.seg_buses);
	return ret;
}

/**
 * sim_machine_finalize - create RAM, place BARs, build the PCI functions
 *
 * Called after sim_platform_parse() succeeded; the kernel boots on the
 * result (src/kernel/init.c). Any failure leaves state that
 * sim_machine_destroy() releases completely.
 */
int sim_machine_finalize(struct sim_machine *m, char *err, size_t errlen)
{
	int ret;

	/* dma-check=strict: the devices' own views are the memory views. */
	m->ram.views = !m->coherent || m->dma_check;
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->kind == SIM_NODE_ENDPOINT &&
		    !m->nodes[i]->coherent)
			m->ram.views = true;

	ret = sim_ram_init(m, m->ram_below_4g, m->ram_above_4g);
	if (ret) {
		snprintf(err, errlen, "out of memory creating %llu MiB of RAM (the host has no address space for its views)",
			 (unsigned long long)((m->ram_below_4g + m->ram_above_4g) >> 20));
		return ret;
	}
	ret = layout_windows(m, err, errlen);
	if (ret)
		return ret;
	ret = sim_pci_assign(m, err, errlen);
	if (ret)
		return ret;

	m->devices = sim_kcalloc(m, m->nr_nodes ? m->nr_nodes : 1,
				 sizeof(*m->devices));
	if (!m->devices) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < m->nr_nodes; i++)
		if (m->nodes[i]->kind == SIM_NODE_ENDPOINT)
			m->devices[m->nr_devices++] = &m->nodes[i]->fn->pdev.dev;
	ret = sim_iommu_hw_create_all(m);
	if (ret)
		snprintf(err, errlen, "out of memory creating the IOMMU units");
	return ret;
}
