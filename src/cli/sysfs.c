// SPDX-License-Identifier: MIT
/*
 * A Linux /sys tree as platform text, for dmastack p2p --sysfs.
 *
 * libpci (pciutils), pointed at DIR/bus/pci, lists the functions and reads
 * each one's ids, class, BARs, NUMA node, IOMMU group, config space and
 * capabilities (the PCIe port type, ACS). What it does not say is where a
 * function sits: that comes from its directory under devices/pciDDDD:BB
 * (each function's directory holds the functions on its secondary bus).
 * The class tells bridges from endpoints, the position in the tree tells
 * root ports from switch ports. Nothing here is written and nothing needs
 * root: config space cut short (non-root reads return 64 bytes) makes ACS
 * "unknown", which the caller shows instead of guessing; a tree libpci
 * cannot read (a missing class or resource file, config space shorter
 * than the 64-byte header or unreadable) is an error naming the file.
 *
 * The platform text cannot say everything sysfs can: one device per root
 * port, ACS per switch rather than per downstream port, one PCI domain, no
 * endpoints on a root bus. Each place where the text approximates the
 * machine becomes a note naming the device.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

#define SYSFS_SWITCH_PORTS	32	/* the parser's limit per switch */
#define SYSFS_ROOT_PORTS	31	/* the parser's limit per host bridge */
#define SZ_32M_BAR		(32ULL << 20)	/* above: a 64-bit BAR (parser) */

/* PCIe capability, device/port type (PCI_EXP_FLAGS bits 7:4). */
#define EXP_TYPE_ROOT_PORT	0x4
#define EXP_TYPE_UPSTREAM	0x5
#define EXP_TYPE_DOWNSTREAM	0x6
#define EXP_TYPE_PCI_BRIDGE	0x7
#define EXP_TYPE_RC_END		0x9

enum sysfs_line_kind {
	LINE_HOSTBRIDGE,
	LINE_ROOTPORT,
	LINE_SWITCH,
	LINE_ENDPOINT,
};

/* One line of platform text; formatted per ACS scenario. */
struct sysfs_line {
	enum sysfs_line_kind kind;
	int fn;			/* -1: synthetic */
	int hb;
	char id[48];
	char bus[48];
	u16 acs;		/* the known part */
	bool acs_unknown;	/* some port it stands for could not be read */
};

/* ------------------------------------------------------------------------ */
/* Growing arrays                                                           */
/* ------------------------------------------------------------------------ */

static int grow(void **arr, unsigned int *cap, unsigned int nr, size_t sz)
{
	unsigned int ncap;
	void *p;

	if (nr < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, (size_t)ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int add_note(struct sysfs_topo *t, const char *where, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static int add_note(struct sysfs_topo *t, const char *where, const char *fmt,
		    ...)
{
	struct sysfs_note *n;
	va_list ap;

	if (grow((void **)&t->notes, &t->cap_notes, t->nr_notes, sizeof(*n)))
		return -ENOMEM;
	n = &t->notes[t->nr_notes++];
	snprintf(n->where, sizeof(n->where), "%s", where);
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
	return 0;
}

static int add_alias(struct sysfs_topo *t, const char *id, int fn,
		     bool acs_unknown)
{
	struct sysfs_alias *a;

	if (grow((void **)&t->aliases, &t->cap_aliases, t->nr_aliases,
		 sizeof(*a)))
		return -ENOMEM;
	a = &t->aliases[t->nr_aliases++];
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->fn = fn;
	a->acs_unknown = acs_unknown;
	return 0;
}

static struct sysfs_line *add_line(struct sysfs_topo *t,
				   enum sysfs_line_kind kind, int fn, int hb,
				   const char *id, const char *bus)
{
	struct sysfs_line *l;

	if (grow((void **)&t->lines, &t->cap_lines, t->nr_lines, sizeof(*l)))
		return NULL;
	l = &t->lines[t->nr_lines++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->fn = fn;
	l->hb = hb;
	snprintf(l->id, sizeof(l->id), "%s", id);
	snprintf(l->bus, sizeof(l->bus), "%s", bus ? bus : "");
	return l;
}

/* ------------------------------------------------------------------------ */
/* Placing the functions libpci read                                        */
/* ------------------------------------------------------------------------ */

static u64 roundup_pow2_u64(u64 x)
{
	u64 r = 1;

	while (r < x && r)
		r <<= 1;
	return r;
}

/*
 * The memory BARs libpci read from the resource file, fitted to what the
 * parser accepts: a power of two of at least 4K, a BAR above 32M is 64-bit
 * and takes the next slot too.
 */
static int fit_bars(struct sysfs_topo *t, struct sysfs_fn *f)
{
	bool taken[PCI_STD_NUM_BARS] = { false };
	int ret;

	for (int idx = 0; idx < PCI_STD_NUM_BARS; idx++) {
		u64 size = f->bar_size[idx], flags = f->bar_flags[idx], fit;

		f->bar_size[idx] = 0;
		if (!(flags & IORESOURCE_MEM) || !size)
			continue;	/* I/O BARs and unassigned ones */
		if (taken[idx]) {
			ret = add_note(t, f->bdf, "bar%d (%llu bytes) is not modeled: the platform makes bar%d 64-bit, which takes its slot",
				       idx, (unsigned long long)size, idx - 1);
			if (ret)
				return ret;
			continue;
		}
		fit = size < SZ_4K ? SZ_4K : roundup_pow2_u64(size);
		if (fit != size) {
			ret = add_note(t, f->bdf, "bar%d: %llu bytes modeled as %llu (the platform's BARs are powers of two of at least 4K)",
				       idx, (unsigned long long)size,
				       (unsigned long long)fit);
			if (ret)
				return ret;
		}
		if (fit > (1ULL << 47)) {
			ret = add_note(t, f->bdf, "bar%d is larger than 128T: not modeled",
				       idx);
			if (ret)
				return ret;
			continue;
		}
		if ((fit > SZ_32M_BAR || (flags & IORESOURCE_MEM_64)) &&
		    idx == PCI_STD_NUM_BARS - 1) {
			ret = add_note(t, f->bdf, "bar5 (%llu bytes) is not modeled: the platform needs two slots for a BAR above 32M",
				       (unsigned long long)size);
			if (ret)
				return ret;
			continue;
		}
		f->bar_size[idx] = fit;
		/* a 64-bit BAR stays one whatever its size */
		f->bar_is64[idx] = (flags & IORESOURCE_MEM_64) || fit > SZ_32M_BAR;
		taken[idx] = true;
		if (f->bar_is64[idx] && idx + 1 < PCI_STD_NUM_BARS)
			taken[idx + 1] = true;
	}
	return 0;
}

static bool is_bridge_class(u32 class_code)
{
	return (class_code >> 8) == 0x0604 || (class_code >> 8) == 0x0609;
}

static int add_fn(struct sysfs_topo *t, const struct sysfs_fn *p, int parent,
		  int hb)
{
	struct sysfs_fn *f;

	if (grow((void **)&t->fns, &t->cap_fns, t->nr_fns, sizeof(*f)))
		return -ENOMEM;
	f = &t->fns[t->nr_fns++];
	*f = *p;
	f->path = NULL;		/* pcilib_read()'s, freed with its result */
	f->parent = parent;
	f->hb = hb;
	return fit_bars(t, f);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

static int push_name(char ***names, unsigned int *cap, unsigned int *nr,
		     const char *name)
{
	if (grow((void **)names, cap, *nr, sizeof(**names)) ||
	    !((*names)[*nr] = strdup(name)))
		return -ENOMEM;
	(*nr)++;
	return 0;
}

static bool is_hb_name(const char *name)
{
	unsigned int dom, bus;
	int n = 0;

	return !strncmp(name, "pci", 3) &&
	       sscanf(name + 3, "%x:%x%n", &dom, &bus, &n) == 2 && !name[3 + n];
}

/* Path order where '/' sorts first: a depth-first walk, parents first. */
static int path_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == *y || !*x || !*y)
		return *x == *y ? 0 : *x ? 1 : -1;
	if (*x == '/' || *y == '/')
		return *x == '/' ? -1 : 1;
	return (unsigned char)*x - (unsigned char)*y;
}

/*
 * libpci lists the functions but not where they sit: the hierarchy, the
 * host bridges (pciDDDD:BB, nested ones behind Intel VMD included) and
 * the order come from each function's real directory below devices/.
 * (libpci 3.9's PCI_FILL_PARENT leaks its realpath() buffers and cannot
 * name a root bus's host bridge, so it is not used.)
 */
struct placed {
	char *path;		/* below devices/; first, so path_cmp sorts these */
	const struct sysfs_fn *info;	/* NULL: a host bridge directory */
	int fn;			/* its index in t->fns, or -1 */
};

static int push_placed(struct placed **p, unsigned int *cap, unsigned int *nr,
		       const char *path, const struct sysfs_fn *info)
{
	if (grow((void **)p, cap, *nr, sizeof(**p)) ||
	    !((*p)[*nr].path = strdup(path)))
		return -ENOMEM;
	(*p)[*nr].info = info;
	(*p)[(*nr)++].fn = -1;
	return 0;
}

/* The function whose directory is @path's first @len bytes, or -1. */
static int placed_fn(const struct placed *p, unsigned int nr, const char *path,
		     size_t len)
{
	for (unsigned int i = 0; i < nr; i++)
		if (strlen(p[i].path) == len && !strncmp(p[i].path, path, len))
			return p[i].fn;
	return -1;
}

/* Host bridge directory @path's index in t->hbs, added when new. */
static int place_hb(struct sysfs_topo *t, const struct placed *p,
		    unsigned int nr, const char *path, size_t len)
{
	const char *name = path + len;
	struct sysfs_hb *h;
	int up;

	while (name > path && name[-1] != '/')
		name--;
	for (unsigned int i = 0; i < t->nr_hbs; i++)
		if (!strncmp(t->hbs[i].name, name, (size_t)(path + len - name)) &&
		    !t->hbs[i].name[path + len - name])
			return (int)i;
	if (grow((void **)&t->hbs, &t->cap_hbs, t->nr_hbs, sizeof(*h)))
		return -ENOMEM;
	h = &t->hbs[t->nr_hbs];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%.*s", (int)(path + len - name), name);
	sscanf(h->name + 3, "%x:%x", &h->domain, &h->bus);
	snprintf(h->id, sizeof(h->id), "pci%04x-%02x", h->domain, h->bus);
	/* below a function: a bus behind Intel VMD */
	up = name > path ? placed_fn(p, nr, path, (size_t)(name - path - 1)) : -1;
	if (up >= 0 && add_note(t, h->name, "a host bridge nested below %s (e.g. Intel VMD): modeled as a separate host bridge",
				t->fns[up].bdf))
		return -ENOMEM;
	return (int)t->nr_hbs++;
}

/*
 * The functions libpci reads, placed in @t: below the function or the host
 * bridge whose directory holds theirs. Those that sit elsewhere go to
 * @lost (sorted). 0, -ENOMEM, or -EIO with @err.
 */
static int read_pci(struct sysfs_topo *t, const char *root, char ***lost,
		    unsigned int *nlost, char *err, size_t errlen)
{
	unsigned int nf, np = 0, cap = 0, nlc = 0;
	struct sysfs_fn *fns;
	struct placed *p = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = pcilib_read(root, &fns, &nf, err, errlen);
	if (ret)
		return ret;
	/* the host bridges on devices/ itself, functions or not */
	snprintf(path, sizeof(path), "%s/devices", root);
	d = opendir(path);
	while (d && !ret && (de = readdir(d))) {
		struct stat st;

		if (is_hb_name(de->d_name) &&
		    !fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISDIR(st.st_mode))
			ret = push_placed(&p, &cap, &np, de->d_name, NULL);
	}
	if (d)
		closedir(d);
	for (unsigned int i = 0; i < nf && !ret; i++)
		ret = fns[i].path ? push_placed(&p, &cap, &np, fns[i].path, &fns[i]) :
				    push_name(lost, &nlc, nlost, fns[i].bdf);
	if (!ret && np)
		qsort(p, np, sizeof(*p), path_cmp);
	for (unsigned int i = 0; i < np && !ret; i++) {
		const char *slash = strrchr(p[i].path, '/');
		size_t len = slash ? (size_t)(slash - p[i].path) : 0;
		int parent = -1, hb;

		if (!p[i].info) {
			ret = place_hb(t, p, i, p[i].path, strlen(p[i].path));
			ret = ret < 0 ? ret : 0;
			continue;
		}
		if (slash)
			parent = placed_fn(p, i, p[i].path, len);
		if (parent >= 0) {
			hb = t->fns[parent].hb;
		} else {
			const char *dir;

			snprintf(path, sizeof(path), "%.*s", (int)len, p[i].path);
			dir = strrchr(path, '/');
			if (!slash || !is_hb_name(dir ? dir + 1 : path)) {
				ret = push_name(lost, &nlc, nlost, p[i].info->bdf);
				continue;
			}
			hb = place_hb(t, p, i, p[i].path, len);
			if (hb < 0) {
				ret = hb;
				continue;
			}
		}
		p[i].fn = (int)t->nr_fns;
		ret = add_fn(t, p[i].info, parent, hb);
	}
	for (unsigned int i = 0; i < np; i++)
		free(p[i].path);
	free(p);
	pcilib_free(fns, nf);
	if (!ret && *nlost)
		qsort(*lost, *nlost, sizeof(**lost), name_cmp);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "reading %s: %s", root, strerror(-ret));
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Roles and the host bridge allowlist                                      */
/* ------------------------------------------------------------------------ */

static const char *role_name(enum sysfs_role r)
{
	switch (r) {
	case SYSFS_ROOTPORT: return "rootport";
	case SYSFS_SWITCH_UP: return "switch-up";
	case SYSFS_SWITCH_DOWN: return "switch-down";
	case SYSFS_HOSTBRIDGE_FN: return "hostbridge";
	default: return "endpoint";
	}
}

/*
 * A bridge's role follows from where it sits: on a root bus a root port,
 * below a port a switch's upstream port, below that its downstream ports.
 * The PCIe capability, when readable, only adds a note if it disagrees.
 */
static int assign_roles(struct sysfs_topo *t)
{
	static const int expect[] = {
		[SYSFS_ROOTPORT] = EXP_TYPE_ROOT_PORT,
		[SYSFS_SWITCH_UP] = EXP_TYPE_UPSTREAM,
		[SYSFS_SWITCH_DOWN] = EXP_TYPE_DOWNSTREAM,
	};

	for (unsigned int i = 0; i < t->nr_fns; i++) {
		struct sysfs_fn *f = &t->fns[i];
		enum sysfs_role up = f->parent >= 0 ? t->fns[f->parent].role :
						      SYSFS_HOSTBRIDGE_FN;
		int ret;

		/* parents come before children in fns[] */
		if ((f->class_code >> 8) == 0x0600 && f->parent < 0) {
			f->role = SYSFS_HOSTBRIDGE_FN;
			continue;
		}
		if (!is_bridge_class(f->class_code)) {
			f->role = SYSFS_ENDPOINT;
			continue;
		}
		if (f->parent < 0)
			f->role = SYSFS_ROOTPORT;
		else if (up == SYSFS_SWITCH_UP)
			f->role = SYSFS_SWITCH_DOWN;
		else
			f->role = SYSFS_SWITCH_UP;
		if (f->pcie_type >= 0 && f->pcie_type != expect[f->role]) {
			ret = add_note(t, f->bdf, "a bridge of PCIe port type %d where the tree puts a %s: modeled as a %s",
				       f->pcie_type, role_name(f->role),
				       role_name(f->role));
			if (ret)
				return ret;
		}
	}
	return 0;
}

static const struct {
	u16 vendor, device;
	bool same_hb;
} p2p_allowlist[] = {
	/* drivers/pci/p2pdma.c pci_p2pdma_whitelist[] */
	{ 0x8086, 0x3c00, true }, { 0x8086, 0x3c01, true },	/* Xeon E5 */
	{ 0x8086, 0x2f00, true }, { 0x8086, 0x2f01, true },	/* Xeon E5 v3 */
	{ 0x8086, 0x2030, false }, { 0x8086, 0x2031, false },	/* Skylake-E */
	{ 0x8086, 0x2032, false }, { 0x8086, 0x2033, false },
	{ 0x8086, 0x2020, false }, { 0x8086, 0x09a2, false },
};

/*
 * The kernel allows P2P through the host bridge on every AMD CPU of family
 * 17h (Zen) or later (cpu_supports_p2pdma()); the CPU's modalias names
 * vendor and family: "cpu:type:x86,ven0002fam0019mod...".
 */
static bool cpu_allows_p2p(const char *root, char *why, size_t len)
{
	char path[PATH_MAX], buf[256] = "";
	const char *p;
	unsigned int ven, fam;
	FILE *f;

	snprintf(path, sizeof(path), "%s/devices/system/cpu/modalias", root);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strstr(buf, ",ven");
	if (!p || sscanf(p, ",ven%4xfam%4x", &ven, &fam) != 2)
		return false;
	if (ven != 2 || fam < 0x17)	/* X86_VENDOR_AMD */
		return false;
	snprintf(why, len, "the CPU is AMD family %#x (Zen or later): the kernel allows P2P through every host bridge",
		 fam);
	return true;
}

static int decide_hb_p2p(struct sysfs_topo *t, const char *root)
{
	char cpu_why[200];
	bool cpu = cpu_allows_p2p(root, cpu_why, sizeof(cpu_why));

	for (unsigned int h = 0; h < t->nr_hbs; h++) {
		struct sysfs_hb *hb = &t->hbs[h];
		struct sysfs_fn *first = NULL;

		if (cpu) {
			hb->p2p_allow = true;
			snprintf(hb->why, sizeof(hb->why), "%s", cpu_why);
			continue;
		}
		/* pci_host_bridge_dev(): 00.0 on the root bus, or a root port */
		for (unsigned int i = 0; i < t->nr_fns; i++) {
			struct sysfs_fn *f = &t->fns[i];

			if (f->hb != (int)h || f->parent >= 0)
				continue;
			if (!first || f->dev * 8 + f->func < first->dev * 8 + first->func)
				first = f;
		}
		if (first && ((first->dev == 0 && first->func == 0) ||
			      first->role == SYSFS_ROOTPORT)) {
			for (size_t k = 0; k < ARRAY_SIZE(p2p_allowlist); k++) {
				if (p2p_allowlist[k].vendor != first->vendor ||
				    p2p_allowlist[k].device != first->device)
					continue;
				hb->p2p_allow = true;
				snprintf(hb->why, sizeof(hb->why), "%s [%04x:%04x] is on the kernel's P2PDMA allowlist%s",
					 first->bdf, first->vendor, first->device,
					 p2p_allowlist[k].same_hb ?
						 " (only between devices below this same host bridge)" : "");
				break;
			}
		}
		if (hb->p2p_allow)
			continue;
		if (first && ((first->dev == 0 && first->func == 0) ||
			      first->role == SYSFS_ROOTPORT))
			snprintf(hb->why, sizeof(hb->why), "%s [%04x:%04x] is not on the kernel's P2PDMA allowlist and the CPU is not AMD Zen",
				 first->bdf, first->vendor, first->device);
		else
			snprintf(hb->why, sizeof(hb->why), "no 00.0 function or root port first on the root bus to match the kernel's P2PDMA allowlist, and the CPU is not AMD Zen");
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Planning the platform text                                               */
/* ------------------------------------------------------------------------ */

static void make_id(char *buf, size_t len, const char *prefix,
		    const struct sysfs_fn *f)
{
	snprintf(buf, len, "%s%04x-%02x-%02x.%x", prefix, f->domain, f->bus,
		 f->dev, f->func);
}

static const char *endpoint_kind(u32 class_code)
{
	switch (class_code >> 8) {
	case 0x0108: return "nvme";
	case 0x0200: case 0x0207: return "nic";
	case 0x0300: case 0x0302: case 0x0380: case 0x1200: return "gpu";
	default: return "pcidev";
	}
}

static int plan_endpoint(struct sysfs_topo *t, int fi, const char *bus)
{
	struct sysfs_fn *f = &t->fns[fi];

	make_id(f->id, sizeof(f->id), "", f);
	snprintf(f->kind, sizeof(f->kind), "%s", endpoint_kind(f->class_code));
	f->modeled = true;
	if (!add_line(t, LINE_ENDPOINT, fi, f->hb, f->id, bus))
		return -ENOMEM;
	return add_alias(t, f->id, fi, false);
}

static int plan_below_port(struct sysfs_topo *t, int port, const char *bus);

/* A switch: its upstream port @usp and one platform port per child. */
static int plan_switch(struct sysfs_topo *t, int usp, const char *bus)
{
	struct sysfs_fn *u = &t->fns[usp];
	struct sysfs_line *l;
	unsigned int line, ports = 0;
	bool first = true, differ = false;
	u16 acs = 0;
	int ret;

	make_id(u->id, sizeof(u->id), "", u);
	snprintf(u->kind, sizeof(u->kind), "switch");
	u->modeled = true;
	l = add_line(t, LINE_SWITCH, usp, u->hb, u->id, bus);
	if (!l)
		return -ENOMEM;
	line = t->nr_lines - 1;
	ret = add_alias(t, u->id, usp, false);
	for (unsigned int i = 0; i < t->nr_fns && !ret; i++) {
		struct sysfs_fn *d = &t->fns[i];
		unsigned int before = t->nr_lines;
		char dp[64];
		bool has_child = false;

		if (d->parent != usp)
			continue;
		for (unsigned int k = i + 1; k < t->nr_fns; k++)
			if (t->fns[k].parent == (int)i &&
			    t->fns[k].role != SYSFS_HOSTBRIDGE_FN)
				has_child = true;
		if (d->role == SYSFS_SWITCH_DOWN && !has_child)
			continue;	/* an empty slot: the platform has no port for it */
		if (ports == SYSFS_SWITCH_PORTS) {
			ret = add_note(t, d->bdf, "switch %s has more than %d occupied ports: not modeled",
				       u->bdf, SYSFS_SWITCH_PORTS);
			continue;
		}
		if (d->role != SYSFS_SWITCH_DOWN) {
			ret = add_note(t, d->bdf, "an endpoint on the switch's internal bus: modeled behind a downstream port of its own");
			if (!ret) {
				snprintf(dp, sizeof(dp), "%s.dp%u", u->id, ports);
				ret = add_alias(t, dp, -1, false);
			}
			if (!ret)
				ret = plan_endpoint(t, (int)i, u->id);
			ports++;
			continue;
		}
		/* The platform makes one port per child, with the switch's ACS. */
		ret = plan_below_port(t, (int)i, u->id);
		if (ret)
			break;
		for (unsigned int k = before; k < t->nr_lines; k++) {
			const struct sysfs_line *c = &t->lines[k];

			if (strcmp(c->bus, u->id))
				continue;
			if (ports == SYSFS_SWITCH_PORTS)
				break;
			snprintf(dp, sizeof(dp), "%s.dp%u", u->id, ports++);
			ret = add_alias(t, dp, (int)i,
					d->acs == SYSFS_ACS_UNKNOWN);
			if (ret)
				break;
		}
		if (d->acs == SYSFS_ACS_UNKNOWN) {
			t->lines[line].acs_unknown = true;
			t->acs_unknown = true;
			continue;
		}
		if (!first && d->acs_ctrl != acs)
			differ = true;
		acs |= d->acs_ctrl;
		first = false;
	}
	if (ret)
		return ret;
	t->lines[line].acs = acs;
	/* Occupied downstream ports are modeled (as the switch's ports). */
	for (unsigned int i = 0; i < t->nr_aliases; i++) {
		int fi = t->aliases[i].fn;

		if (fi >= 0 && t->fns[fi].parent == usp &&
		    t->fns[fi].role == SYSFS_SWITCH_DOWN) {
			t->fns[fi].modeled = true;
			snprintf(t->fns[fi].kind, sizeof(t->fns[fi].kind),
				 "switch-down");
		}
	}
	if (differ)
		return add_note(t, u->bdf, "its downstream ports differ in ACS; the platform has one ACS per switch, so every port gets the union of their bits");
	return 0;
}

/* What sits below root port or downstream port @port, parent id @bus. */
static int plan_below_port(struct sysfs_topo *t, int port, const char *bus)
{
	struct sysfs_fn *p = &t->fns[port];
	char parent_id[48];
	unsigned int nr = 0;
	int ret = 0;

	for (unsigned int i = 0; i < t->nr_fns; i++)
		if (t->fns[i].parent == port)
			nr++;
	snprintf(parent_id, sizeof(parent_id), "%s", bus);
	/*
	 * A root port carries one device in the platform; the functions of a
	 * multi-function device below it share a synthetic switch carrying the
	 * root port's ACS (so redirection there still counts).
	 */
	if (nr > 1 && p->role == SYSFS_ROOTPORT) {
		struct sysfs_line *l;

		make_id(parent_id, sizeof(parent_id), "mf-", p);
		l = add_line(t, LINE_SWITCH, -1, p->hb, parent_id, bus);
		if (!l)
			return -ENOMEM;
		l->acs = p->acs_ctrl;
		l->acs_unknown = p->acs == SYSFS_ACS_UNKNOWN;
		ret = add_alias(t, parent_id, -1, l->acs_unknown);
		for (unsigned int k = 0; k < nr && !ret; k++) {
			char dp[64];

			snprintf(dp, sizeof(dp), "%s.dp%u", parent_id, k);
			ret = add_alias(t, dp, port, l->acs_unknown);
		}
		if (!ret)
			ret = add_note(t, p->bdf, "%u functions below one root port: modeled behind a synthetic switch %s (distances are counted on the real tree, as the kernel does)",
				       nr, parent_id);
		if (ret)
			return ret;
	} else if (nr > 1) {
		ret = add_note(t, p->bdf, "%u functions below one downstream port: each gets its own port in the platform",
			       nr);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < t->nr_fns && !ret; i++) {
		struct sysfs_fn *c = &t->fns[i];

		if (c->parent != port)
			continue;
		if (c->role == SYSFS_SWITCH_UP)
			ret = plan_switch(t, (int)i, parent_id);
		else
			ret = plan_endpoint(t, (int)i, parent_id);
	}
	return ret;
}

/* Round up to @align (a power of two). */
static u64 align_up(u64 x, u64 align)
{
	return (x + align - 1) & ~(align - 1);
}

static int plan(struct sysfs_topo *t)
{
	int ret = 0;

	for (unsigned int h = 0; h < t->nr_hbs && !ret; h++) {
		struct sysfs_hb *hb = &t->hbs[h];
		unsigned int rootports = 0;

		if (!add_line(t, LINE_HOSTBRIDGE, -1, (int)h, hb->id, NULL))
			return -ENOMEM;
		ret = add_alias(t, hb->id, -1, false);
		if (!ret && hb->domain != t->hbs[0].domain) {
			t->multi_domain = true;
			ret = add_note(t, hb->name, "PCI domain %04x: the platform has one domain, so its devices get domain %04x bus numbers in the machine",
				       hb->domain, 0);
		}
		for (unsigned int i = 0; i < t->nr_fns && !ret; i++) {
			struct sysfs_fn *f = &t->fns[i];
			struct sysfs_line *l;

			if (f->hb != (int)h || f->parent >= 0)
				continue;
			if (f->role == SYSFS_HOSTBRIDGE_FN) {
				snprintf(f->kind, sizeof(f->kind), "hostbridge");
				ret = add_note(t, f->bdf, "the host bridge's own function [%04x:%04x]: it decides the P2P allowlist, not modeled as a device",
					       f->vendor, f->device);
				continue;
			}
			if (rootports == SYSFS_ROOT_PORTS) {
				ret = add_note(t, f->bdf, "host bridge %s has more than %d root ports and integrated devices: not modeled",
					       hb->name, SYSFS_ROOT_PORTS);
				continue;
			}
			rootports++;
			if (f->role == SYSFS_ROOTPORT) {
				make_id(f->id, sizeof(f->id), "", f);
				snprintf(f->kind, sizeof(f->kind), "rootport");
				f->modeled = true;
				l = add_line(t, LINE_ROOTPORT, (int)i, (int)h, f->id,
					     hb->id);
				if (!l)
					return -ENOMEM;
				l->acs = f->acs_ctrl;
				l->acs_unknown = f->acs == SYSFS_ACS_UNKNOWN;
				if (l->acs_unknown)
					t->acs_unknown = true;
				ret = add_alias(t, f->id, (int)i, l->acs_unknown);
				if (!ret)
					ret = plan_below_port(t, (int)i, f->id);
				continue;
			}
			/*
			 * An endpoint on the root bus (integrated, or a plain
			 * PCI device in a VM): the platform needs a port above
			 * every endpoint, so it gets a synthetic root port.
			 */
			{
				char rp[48];

				make_id(rp, sizeof(rp), "rp-", f);
				l = add_line(t, LINE_ROOTPORT, -1, (int)h, rp, hb->id);
				if (!l)
					return -ENOMEM;
				ret = add_alias(t, rp, -1, false);
				if (!ret)
					ret = add_note(t, f->bdf, "on the root bus with no root port above it: modeled behind a synthetic root port %s (distances are counted on the real tree, as the kernel does)",
						       rp);
				if (!ret)
					ret = plan_endpoint(t, (int)i, rp);
			}
		}
	}
	return ret;
}

/* Note every function that ended up outside the platform. */
static int note_unmodeled(struct sysfs_topo *t, char **lost, unsigned int nlost)
{
	int ret = 0;

	for (unsigned int i = 0; i < t->nr_fns && !ret; i++) {
		struct sysfs_fn *f = &t->fns[i];

		if (f->modeled || f->role == SYSFS_HOSTBRIDGE_FN)
			continue;
		if (f->role == SYSFS_SWITCH_DOWN)
			continue;	/* an empty slot */
		if (f->parent >= 0 && !t->fns[f->parent].modeled)
			continue;	/* its parent's note covers it */
		ret = add_note(t, f->bdf, "not modeled (%s)", role_name(f->role));
	}
	for (unsigned int i = 0; i < nlost && !ret; i++)
		ret = add_note(t, lost[i], "listed in bus/pci/devices but not found under devices/pci*: not modeled");
	return ret;
}

int sysfs_scan(const char *root, struct sysfs_topo **out, char *err,
	       size_t errlen)
{
	struct sysfs_topo *t;
	char path[PATH_MAX], **lost = NULL;
	unsigned int nlost = 0;
	struct stat st;
	int ret;

	*out = NULL;
	if (errlen)
		*err = '\0';
	if (stat(root, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", root);
		return -ENOTDIR;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/devices", root) >= sizeof(path) - 16) {
		snprintf(err, errlen, "%s: path too long", root);
		return -ENAMETOOLONG;
	}
	ret = stat(path, &st) ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (ret) {
		snprintf(err, errlen, "%s: not a sysfs root (no devices/ directory: %s)",
			 root, strerror(-ret));
		return ret;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = read_pci(t, root, &lost, &nlost, err, errlen);
	if (!ret)
		ret = assign_roles(t);
	if (!ret)
		ret = decide_hb_p2p(t, root);
	if (!ret)
		ret = plan(t);
	if (!ret)
		ret = note_unmodeled(t, lost, nlost);
	free_names(lost, nlost);
	for (unsigned int i = 0; i < t->nr_fns; i++)
		if (t->fns[i].iommu_group >= 0)
			t->iommu = true;
	if (ret) {
		if (!*err)
			snprintf(err, errlen, "reading %s: %s", root, strerror(-ret));
		sysfs_topo_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void sysfs_topo_free(struct sysfs_topo *t)
{
	if (!t)
		return;
	free(t->fns);
	free(t->hbs);
	free(t->notes);
	free(t->aliases);
	free(t->lines);
	free(t);
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */
/* ------------------------------------------------------------------------ */

struct strbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *p;

			while (ncap <= b->len + (size_t)n)
				ncap *= 2;
			p = realloc(b->s, ncap);
			if (!p) {
				b->err = -ENOMEM;
				return;
			}
			b->s = p;
			b->cap = ncap;
		}
	}
}

/* ACS control bits as the platform text spells them ("off" for none). */
void cli_acs_str(u16 acs, char *buf, size_t len)
{
	static const char *const names[] = { "sv", "tb", "rr", "cr", "uf", "ec", "dt" };
	size_t pos = 0;

	acs &= 0x7f;
	if (!acs) {
		snprintf(buf, len, "off");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < 7; i++)
		if (acs & (1 << i))
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
						pos ? "," : "", names[i]);
}

static void size_text(u64 v, char *buf, size_t len)
{
	if (v && !(v % (1ULL << 30)))
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && !(v % (1ULL << 20)))
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
}

int sysfs_platform_text(const struct sysfs_topo *t, bool unknown_acs_on,
			char **text)
{
	struct strbuf b = { 0 };

	*text = NULL;
	sb_printf(&b, "# generated by dmastack p2p --sysfs; ACS that could not be read is %s\n",
		  unknown_acs_on ? "on" : "off");
	/* 52 physical address bits: room for a 1T-aligned window per bridge */
	sb_printf(&b, "machine name=sysfs phys-bits=52\n");
	if (t->iommu)
		sb_printf(&b, "iommu id=iommu0 mode=strict\n");
	for (unsigned int i = 0; i < t->nr_lines; i++) {
		const struct sysfs_line *l = &t->lines[i];
		u16 acs = l->acs;
		char a[40], sz[32];

		if (l->acs_unknown && unknown_acs_on)
			acs |= PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
		cli_acs_str(acs, a, sizeof(a));
		switch (l->kind) {
		case LINE_HOSTBRIDGE: {
			const struct sysfs_hb *hb = &t->hbs[l->hb];
			u64 w32 = 0, w64 = 0;

			/*
			 * Windows just large enough: BARs are placed largest
			 * first at their natural alignment, so the sums fit
			 * exactly in windows aligned to the largest BAR.
			 */
			for (unsigned int k = 0; k < t->nr_fns; k++) {
				const struct sysfs_fn *f = &t->fns[k];

				if (f->hb != l->hb || !f->modeled ||
				    f->role != SYSFS_ENDPOINT)
					continue;
				for (int j = 0; j < PCI_STD_NUM_BARS; j++) {
					if (f->bar_is64[j])
						w64 += f->bar_size[j];
					else
						w32 += f->bar_size[j];
				}
			}
			w32 = w32 ? align_up(w32, SZ_32M_BAR) : 0;
			w64 = w64 ? align_up(w64, 1ULL << 30) : 0;
			sb_printf(&b, "hostbridge id=%s p2p=%s", l->id,
				  hb->p2p_allow ? "allow" : "deny");
			/* the root bus number, so that the functions keep theirs */
			if (hb->bus)
				sb_printf(&b, " busnr=%#x", hb->bus);
			size_text(w32, sz, sizeof(sz));
			sb_printf(&b, " mmio32=%s", w32 ? sz : "0");
			size_text(w64, sz, sizeof(sz));
			sb_printf(&b, " mmio64=%s", w64 ? sz : "0");
			if (t->iommu)
				sb_printf(&b, " iommu=iommu0");
			sb_printf(&b, "\t# %s\n", hb->name);
			break;
		}
		case LINE_ROOTPORT:
			sb_printf(&b, "rootport id=%s bus=%s acs=%s", l->id, l->bus, a);
			break;
		case LINE_SWITCH:
			sb_printf(&b, "switch id=%s bus=%s acs=%s", l->id, l->bus, a);
			break;
		case LINE_ENDPOINT: {
			const struct sysfs_fn *f = &t->fns[l->fn];

			sb_printf(&b, "%s id=%s bus=%s vendor=%#x device=%#x",
				  f->kind, l->id, l->bus, f->vendor, f->device);
			for (int j = 0; j < PCI_STD_NUM_BARS; j++) {
				if (!f->bar_size[j] && j)
					continue;
				size_text(f->bar_size[j], sz, sizeof(sz));
				/* bar0=0: no BAR0, not the kind's default */
				sb_printf(&b, " bar%d=%s%s", j, f->bar_size[j] ? sz : "0",
					  !f->bar_size[j] ? "" :
					  f->bar_is64[j] && f->bar_size[j] <= SZ_32M_BAR ? ",64" :
					  !f->bar_is64[j] && f->bar_size[j] > SZ_32M_BAR ? ",32" : "");
			}
			break;
		}
		}
		if (l->kind != LINE_HOSTBRIDGE) {
			if (l->fn >= 0)
				sb_printf(&b, "\t# %s", t->fns[l->fn].bdf);
			else
				sb_printf(&b, "\t# synthetic");
			if (l->acs_unknown)
				sb_printf(&b, ", ACS unknown");
			sb_printf(&b, "\n");
		}
	}
	if (b.err) {
		free(b.s);
		return b.err;
	}
	if (!b.s) {
		b.s = strdup("");
		if (!b.s)
			return -ENOMEM;
	}
	*text = b.s;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

const struct sysfs_alias *sysfs_alias_find(const struct sysfs_topo *t,
					   const char *id)
{
	for (unsigned int i = 0; i < t->nr_aliases; i++)
		if (!strcmp(t->aliases[i].id, id))
			return &t->aliases[i];
	return NULL;
}

int sysfs_fn_find(const struct sysfs_topo *t, const char *name)
{
	for (unsigned int i = 0; i < t->nr_fns; i++) {
		const struct sysfs_fn *f = &t->fns[i];

		if (!strcasecmp(f->bdf, name) || (f->id[0] && !strcmp(f->id, name)))
			return (int)i;
		/* "03:00.0" names domain 0000 as lspci does */
		if (f->domain == 0 && !strcasecmp(f->bdf + 5, name))
			return (int)i;
	}
	return -1;
}

const char *sysfs_fn_label(const struct sysfs_topo *t, int fn, char *buf,
			   size_t len)
{
	const struct sysfs_fn *f;
	bool one_domain = true;

	if (fn < 0 || (unsigned int)fn >= t->nr_fns) {
		snprintf(buf, len, "?");
		return buf;
	}
	f = &t->fns[fn];
	for (unsigned int i = 0; i < t->nr_fns; i++)
		if (t->fns[i].domain)
			one_domain = false;
	snprintf(buf, len, "%s", one_domain && strlen(f->bdf) > 5 ? f->bdf + 5 :
								  f->bdf);
	return buf;
}
