// SPDX-License-Identifier: MIT
/*
 * A Linux /sys tree as platform text, for dmastack p2p --sysfs.
 *
 * The hierarchy comes from the directory nesting under devices/pciDDDD:BB
 * (each PCI function's directory holds the functions on its secondary
 * bus); the class code tells bridges from endpoints, the position in the
 * tree (or, when config space is readable, the PCIe capability) tells root
 * ports from switch ports, the config file gives the ACS control register
 * and the resource file the BARs. Nothing here is written and nothing needs
 * root: a config file cut short (non-root reads return 64 bytes) makes ACS
 * "unknown", which the caller shows instead of guessing.
 *
 * The platform text cannot say everything sysfs can: one device per root
 * port, ACS per switch rather than per downstream port, one PCI domain, no
 * endpoints on a root bus. Each place where the text approximates the
 * machine becomes a note naming the device; scanning never fails because a
 * device is odd.
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

#define SYSFS_MAX_DEPTH		32	/* PCIe cannot nest deeper than 256 buses;
					 * real trees stay far below this */
#define SYSFS_CONFIG_MAX	4096
#define SYSFS_SWITCH_PORTS	32	/* the parser's limit per switch */
#define SYSFS_ROOT_PORTS	31	/* the parser's limit per host bridge */
#define SZ_32M_BAR		(32ULL << 20)	/* above: a 64-bit BAR (parser) */

/* PCIe capability, device/port type (PCI_EXP_FLAGS bits 7:4). */
#define EXP_TYPE_ROOT_PORT	0x4
#define EXP_TYPE_UPSTREAM	0x5
#define EXP_TYPE_DOWNSTREAM	0x6
#define EXP_TYPE_PCI_BRIDGE	0x7
#define EXP_TYPE_RC_END		0x9

/* resource file flags: IORESOURCE_MEM (0x200) comes from dmastack/pci.h */

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
/* Reading one function                                                     */
/* ------------------------------------------------------------------------ */

/* Read up to @cap bytes of @dir/@name; 0 and *@len, or -errno. */
static int read_attr(int dirfd, const char *name, void *buf, size_t cap,
		     size_t *len)
{
	size_t got = 0;
	int fd, ret = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < cap) {
		ssize_t n = read(fd, (char *)buf + got, cap - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return ret;
}

/* The numa_node attribute (decimal; -1, or missing: not known). */
static int read_numa_node(int dirfd)
{
	char buf[32], *end;
	size_t len;
	long v;

	if (read_attr(dirfd, "numa_node", buf, sizeof(buf) - 1, &len))
		return -1;
	buf[len] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0 || v > 4095)
		return -1;
	return (int)v;
}

/* A one-line hex attribute ("0x060400\n"). */
static int read_hex(int dirfd, const char *name, unsigned long *out)
{
	char buf[64], *end;
	size_t len;
	int ret;

	ret = read_attr(dirfd, name, buf, sizeof(buf) - 1, &len);
	if (ret)
		return ret;
	buf[len] = '\0';
	errno = 0;
	*out = strtoul(buf, &end, 16);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

static u16 cfg16(const u8 *c, unsigned int off)
{
	return (u16)(c[off] | c[off + 1] << 8);
}

static u32 cfg32(const u8 *c, unsigned int off)
{
	return (u32)c[off] | (u32)c[off + 1] << 8 | (u32)c[off + 2] << 16 |
	       (u32)c[off + 3] << 24;
}

/* The PCIe capability's port type, or -1 when it cannot be read. */
static int pcie_type(const u8 *c, size_t len)
{
	unsigned int pos, loops = 48;	/* the kernel's PCI_FIND_CAP_TTL */

	if (len < 0x40 || !(cfg16(c, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return -1;
	pos = c[PCI_CAPABILITY_LIST] & ~3u;
	while (pos >= 0x40 && loops--) {
		if (pos + 4 > len)
			return -1;	/* the list runs past what we may read */
		if (c[pos] == 0xff)
			return -1;
		if (c[pos] == PCI_CAP_ID_EXP)
			return (cfg16(c, pos + PCI_EXP_FLAGS) >> 4) & 0xf;
		pos = c[pos + 1] & ~3u;
	}
	return -1;
}

/*
 * ACS from extended config space. Fewer than 256 bytes readable means we do
 * not know; exactly 256 means the kernel has no extended space for the
 * function either, so it sees no ACS capability, and neither do we.
 */
static enum sysfs_acs find_acs(const u8 *c, size_t len, u16 *ctrl)
{
	unsigned int pos = 0x100, loops = (SYSFS_CONFIG_MAX - 0x100) / 8;

	*ctrl = 0;
	if (len < 0x100)
		return SYSFS_ACS_UNKNOWN;
	while (pos >= 0x100 && loops--) {
		u32 h;

		if (pos + 8 > len)
			return len < SYSFS_CONFIG_MAX && pos + 4 <= len ?
				       SYSFS_ACS_UNKNOWN : SYSFS_ACS_ABSENT;
		h = cfg32(c, pos);
		if (h == 0 || h == 0xffffffff)
			return SYSFS_ACS_ABSENT;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_ACS) {
			*ctrl = cfg16(c, pos + PCI_ACS_CTRL);
			return SYSFS_ACS_KNOWN;
		}
		pos = (h >> 20) & 0xffc;
	}
	return SYSFS_ACS_ABSENT;
}

static u64 roundup_pow2_u64(u64 x)
{
	u64 r = 1;

	while (r < x && r)
		r <<= 1;
	return r;
}

/*
 * BARs from the resource file, fitted to what the parser accepts: memory
 * only, a power of two of at least 4K, a BAR above 32M is 64-bit and takes
 * the next slot too.
 */
static int read_bars(struct sysfs_topo *t, struct sysfs_fn *f, int dirfd)
{
	char buf[2048], *line, *save = NULL;
	bool taken[PCI_STD_NUM_BARS] = { false };
	size_t len;
	int ret, idx = 0;

	ret = read_attr(dirfd, "resource", buf, sizeof(buf) - 1, &len);
	if (ret)
		return add_note(t, f->bdf, "no readable resource file (%s): its BARs are not modeled",
				strerror(-ret));
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && idx < PCI_STD_NUM_BARS;
	     line = strtok_r(NULL, "\n", &save), idx++) {
		unsigned long long start, end, flags;
		u64 size, fit;

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			continue;
		if (!(flags & IORESOURCE_MEM) || end <= start)
			continue;	/* I/O BARs and unassigned ones */
		size = end - start + 1;
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
		if ((fit > SZ_32M_BAR || (flags & 0x00100000)) &&
		    idx == PCI_STD_NUM_BARS - 1) {
			ret = add_note(t, f->bdf, "bar5 (%llu bytes) is not modeled: the platform needs two slots for a BAR above 32M",
				       (unsigned long long)size);
			if (ret)
				return ret;
			continue;
		}
		f->bar_size[idx] = fit;
		/* a 64-bit BAR stays one whatever its size (0x100000: IORESOURCE_MEM_64) */
		f->bar_is64[idx] = (flags & 0x00100000) || fit > SZ_32M_BAR;
		taken[idx] = true;
		if (f->bar_is64[idx] && idx + 1 < PCI_STD_NUM_BARS)
			taken[idx + 1] = true;
	}
	return 0;
}

static int read_iommu_group(int dirfd)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;
	char *end;
	long g;

	n = readlinkat(dirfd, "iommu_group", target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	g = strtol(base, &end, 10);
	if (end == base || *end || g < 0 || g > 0x7fffffff)
		return -1;
	return (int)g;
}

static bool parse_bdf(const char *name, unsigned int *dom, unsigned int *bus,
		      unsigned int *dev, unsigned int *fn)
{
	int n = 0;

	if (sscanf(name, "%x:%x:%x.%x%n", dom, bus, dev, fn, &n) != 4 ||
	    name[n] || !strchr(name, '.'))
		return false;
	/* "%x" would also take signs and 0x prefixes: insist on hex digits */
	for (const char *p = name; *p; p++)
		if (!strchr("0123456789abcdefABCDEF:.", *p))
			return false;
	return *bus <= 0xff && *dev <= 0x1f && *fn <= 7;
}

static bool parse_hb_name(const char *name, unsigned int *dom,
			  unsigned int *bus)
{
	int n = 0;

	if (strncmp(name, "pci", 3) ||
	    sscanf(name + 3, "%x:%x%n", dom, bus, &n) != 2 || name[3 + n])
		return false;
	for (const char *p = name + 3; *p; p++)
		if (!strchr("0123456789abcdefABCDEF:", *p))
			return false;
	return *bus <= 0xff;
}

static bool is_bridge_class(u32 class_code)
{
	return (class_code >> 8) == 0x0604 || (class_code >> 8) == 0x0609;
}

static int add_fn(struct sysfs_topo *t, int dirfd, const char *name,
		  int parent, int hb, int *idx)
{
	struct sysfs_fn *f;
	unsigned long v;
	u8 *cfg;
	size_t len = 0;
	int ret;

	if (grow((void **)&t->fns, &t->cap_fns, t->nr_fns, sizeof(*f)))
		return -ENOMEM;
	f = &t->fns[t->nr_fns];
	memset(f, 0, sizeof(*f));
	snprintf(f->bdf, sizeof(f->bdf), "%s", name);
	parse_bdf(name, &f->domain, &f->bus, &f->dev, &f->func);
	f->parent = parent;
	f->hb = hb;
	f->pcie_type = -1;
	f->iommu_group = read_iommu_group(dirfd);
	*idx = (int)t->nr_fns++;

	if (!read_hex(dirfd, "class", &v))
		f->class_code = (u32)v;
	else if ((ret = add_note(t, f->bdf, "class unreadable: taken as an endpoint")))
		return ret;
	if (!read_hex(dirfd, "vendor", &v))
		f->vendor = (u16)v;
	if (!read_hex(dirfd, "device", &v))
		f->device = (u16)v;
	f->numa_node = read_numa_node(dirfd);

	cfg = malloc(SYSFS_CONFIG_MAX);
	if (!cfg)
		return -ENOMEM;
	ret = read_attr(dirfd, "config", cfg, SYSFS_CONFIG_MAX, &len);
	if (ret)
		len = 0;
	f->config_len = (unsigned int)len;
	/* The class file can be missing in odd trees; config has it too. */
	if (!f->class_code && len >= 0x0c)
		f->class_code = cfg32(cfg, PCI_CLASS_REVISION) >> 8;
	f->pcie_type = pcie_type(cfg, len);
	f->acs = find_acs(cfg, len, &f->acs_ctrl);
	free(cfg);
	return read_bars(t, &t->fns[*idx], dirfd);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in @d (closed here), skipping dot entries and, with @dirfd >= 0,
 * anything that is not a real subdirectory of @dirfd (subsystem, driver,
 * firmware_node... are links: never followed). Sorted. 0 or -ENOMEM.
 */
static int collect_names(DIR *d, int dirfd, char ***names, unsigned int *nr)
{
	unsigned int cap = 0;
	struct dirent *de;
	int ret = 0;

	*names = NULL;
	*nr = 0;
	while ((de = readdir(d))) {
		struct stat st;
		char *s;

		if (de->d_name[0] == '.')
			continue;
		if (dirfd >= 0 &&
		    (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (grow((void **)names, &cap, *nr, sizeof(**names)) ||
		    !(s = strdup(de->d_name))) {
			ret = -ENOMEM;
			break;
		}
		(*names)[(*nr)++] = s;
	}
	closedir(d);
	if (ret) {
		for (unsigned int i = 0; i < *nr; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*nr = 0;
		return ret;
	}
	if (*nr)
		qsort(*names, *nr, sizeof(**names), name_cmp);
	return 0;
}

/* Sorted names of the subdirectories of @dirfd (no symlinks followed). */
static int list_subdirs(int dirfd, char ***names, unsigned int *nr)
{
	int fd, ret;
	DIR *d;

	*names = NULL;
	*nr = 0;
	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	rewinddir(d);
	return collect_names(d, dirfd, names, nr);
}

static int walk(struct sysfs_topo *t, int dirfd, int parent, int hb,
		unsigned int depth);

static int add_hb(struct sysfs_topo *t, const char *name, int *idx)
{
	struct sysfs_hb *h;

	if (grow((void **)&t->hbs, &t->cap_hbs, t->nr_hbs, sizeof(*h)))
		return -ENOMEM;
	h = &t->hbs[t->nr_hbs];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	parse_hb_name(name, &h->domain, &h->bus);
	snprintf(h->id, sizeof(h->id), "pci%04x-%02x", h->domain, h->bus);
	*idx = (int)t->nr_hbs++;
	return 0;
}

/* The functions (and nested host bridges, as behind Intel VMD) in @dirfd. */
static int walk(struct sysfs_topo *t, int dirfd, int parent, int hb,
		unsigned int depth)
{
	unsigned int nr, dom, bus, dev, fn;
	char **names;
	int ret;

	if (depth > SYSFS_MAX_DEPTH)
		return add_note(t, parent >= 0 ? t->fns[parent].bdf : "",
				"hierarchy deeper than %d levels: the rest is not modeled",
				SYSFS_MAX_DEPTH);
	ret = list_subdirs(dirfd, &names, &nr);
	if (ret)
		return ret == -ENOMEM ? ret : 0;
	for (unsigned int i = 0; i < nr && !ret; i++) {
		int sub, idx;

		if (parse_bdf(names[i], &dom, &bus, &dev, &fn)) {
			if (hb < 0)
				continue;
			sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0)
				continue;
			ret = add_fn(t, sub, names[i], parent, hb, &idx);
			if (!ret)
				ret = walk(t, sub, idx, hb, depth + 1);
			close(sub);
		} else if (parse_hb_name(names[i], &dom, &bus)) {
			sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0)
				continue;
			ret = add_hb(t, names[i], &idx);
			if (!ret && parent >= 0)
				ret = add_note(t, names[i], "a host bridge nested below %s (e.g. Intel VMD): modeled as a separate host bridge",
					       t->fns[parent].bdf);
			if (!ret)
				ret = walk(t, sub, -1, idx, depth + 1);
			close(sub);
		}
	}
	for (unsigned int i = 0; i < nr; i++)
		free(names[i]);
	free(names);
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
	char path[PATH_MAX], buf[256];
	const char *p;
	unsigned int ven, fam;
	size_t got;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/devices/system/cpu", root);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ret = read_attr(fd, "modalias", buf, sizeof(buf) - 1, &got);
	close(fd);
	if (ret)
		return false;
	buf[got] = '\0';
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

/* Names of the entries of directory @path (links included), or -errno. */
static int list_entries(const char *path, char ***names, unsigned int *nr)
{
	DIR *d;

	*names = NULL;
	*nr = 0;
	d = opendir(path);
	if (!d)
		return -errno;
	return collect_names(d, -1, names, nr);
}

static void free_names(char **names, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

static int find_fn_by_bdf(const struct sysfs_topo *t, const char *bdf)
{
	for (unsigned int i = 0; i < t->nr_fns; i++)
		if (!strcmp(t->fns[i].bdf, bdf))
			return (int)i;
	return -1;
}

/*
 * kernel/iommu_groups/N/devices/ lists each group's members; it fills in
 * functions whose own iommu_group link was missing.
 */
static int read_iommu_groups(struct sysfs_topo *t, const char *root)
{
	char path[PATH_MAX];
	char **groups, **devs;
	unsigned int ng, nd;
	int ret;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", root);
	ret = list_entries(path, &groups, &ng);
	if (ret)
		return ret == -ENOMEM ? ret : 0;	/* no IOMMU: no groups */
	for (unsigned int g = 0; g < ng && !ret; g++) {
		char *end;
		long nr = strtol(groups[g], &end, 10);

		if (end == groups[g] || *end || nr < 0 || nr > 0x7fffffff)
			continue;
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%s/devices",
			 root, groups[g]);
		ret = list_entries(path, &devs, &nd);
		if (ret) {
			ret = ret == -ENOMEM ? ret : 0;
			continue;
		}
		for (unsigned int d = 0; d < nd; d++) {
			int fi = find_fn_by_bdf(t, devs[d]);

			if (fi >= 0 && t->fns[fi].iommu_group < 0)
				t->fns[fi].iommu_group = (int)nr;
		}
		free_names(devs, nd);
	}
	free_names(groups, ng);
	for (unsigned int i = 0; i < t->nr_fns; i++)
		if (t->fns[i].iommu_group >= 0)
			t->iommu = true;
	return ret;
}

/* Note every function that ended up outside the platform. */
static int note_unmodeled(struct sysfs_topo *t, const char *root)
{
	char path[PATH_MAX];
	char **names;
	unsigned int nr;
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
	if (ret)
		return ret;
	/* bus/pci/devices lists every function; one we did not reach is noted */
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	if (list_entries(path, &names, &nr))
		return 0;
	qsort(names, nr, sizeof(*names), name_cmp);
	for (unsigned int i = 0; i < nr && !ret; i++) {
		unsigned int a, b, c, e;

		if (parse_bdf(names[i], &a, &b, &c, &e) &&
		    find_fn_by_bdf(t, names[i]) < 0)
			ret = add_note(t, names[i], "listed in bus/pci/devices but not found under devices/pci*: not modeled");
	}
	free_names(names, nr);
	return ret;
}

int sysfs_scan(const char *root, struct sysfs_topo **out, char *err,
	       size_t errlen)
{
	struct sysfs_topo *t;
	char path[PATH_MAX];
	struct stat st;
	int fd, ret;

	*out = NULL;
	if (stat(root, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", root);
		return -ENOTDIR;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/devices", root) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", root);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: not a sysfs root (no devices/ directory: %s)",
			 root, strerror(errno));
		return ret;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = walk(t, fd, -1, -1, 0);
	close(fd);
	if (!ret)
		ret = assign_roles(t);
	if (!ret)
		ret = decide_hb_p2p(t, root);
	if (!ret)
		ret = plan(t);
	if (!ret)
		ret = note_unmodeled(t, root);
	if (!ret)
		ret = read_iommu_groups(t, root);
	if (ret) {
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
