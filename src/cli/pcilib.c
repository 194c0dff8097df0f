// SPDX-License-Identifier: MIT
/*
 * libpci pointed at a sysfs tree (DIR/bus/pci): the functions, their ids,
 * class, BARs, NUMA node, IOMMU group, PCIe port type and ACS; and
 * libpci's names from a pci.ids file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pci/pci.h>
#include "pcilib.h"

/*
 * libpci reports what it cannot read through a callback that must not
 * return and gets no context (struct pci_access.error): the read it
 * interrupts is found through this thread's pointer and left with longjmp.
 * Warnings (a config file that cannot be opened or read) are kept for the
 * error that follows them.
 */
struct lp_read {
	jmp_buf jb;
	char msg[256];
	char warn[200];
};
static _Thread_local struct lp_read *lp_cur;

static void __attribute__((format(printf, 1, 2), noreturn)) lp_error(char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lp_cur->msg, sizeof(lp_cur->msg), fmt, ap);
	va_end(ap);
	longjmp(lp_cur->jb, 1);
}

static void __attribute__((format(printf, 1, 2))) lp_warning(char *fmt, ...)
{
	va_list ap;

	if (lp_cur->warn[0])
		return;
	va_start(ap, fmt);
	vsnprintf(lp_cur->warn, sizeof(lp_cur->warn), fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) lp_debug(char *fmt, ...)
{
}

static int is_bdf(const char *name)
{
	unsigned int dom, bus, dev;
	int fn, n = 0;

	/* libpci's scan parses the same, less strictly */
	return sscanf(name, "%x:%x:%x.%d%n", &dom, &bus, &dev, &fn, &n) == 4 &&
	       !name[n] && dom <= 0x7fffffff;
}

/*
 * Every name in @dir must be a PCI address: libpci's own check of them
 * leaves the scan with the device it allocated. 0, -ENOENT (no such
 * directory), or -EIO.
 */
static int check_names(const char *dir, struct lp_read *r)
{
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while (!ret && (de = readdir(d)))
		if (de->d_name[0] != '.' && !is_bdf(de->d_name)) {
			snprintf(r->msg, sizeof(r->msg), "bus/pci/devices/%.100s: not a PCI function's address",
				 de->d_name);
			ret = -EIO;
		}
	closedir(d);
	return ret;
}

/*
 * ACS from extended config space. Fewer than 256 bytes readable means we
 * do not know; exactly 256 means the kernel has no extended space for the
 * function either, so it sees no ACS capability, and neither do we.
 */
static enum sysfs_acs read_acs(struct pci_dev *d, uint16_t *ctrl)
{
	struct pci_cap *cap = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);
	u8 b[4];

	*ctrl = 0;
	if (cap && pci_read_block(d, (int)cap->addr + PCI_ACS_CTRL, b, 2)) {
		*ctrl = (uint16_t)(b[0] | b[1] << 8);
		return SYSFS_ACS_KNOWN;
	}
	if (cap || !pci_read_block(d, 0xfc, b, 4))
		return SYSFS_ACS_UNKNOWN;
	return SYSFS_ACS_ABSENT;
}

/* What libpci says about @d; -EIO with @r->msg for a function it cannot read. */
static int read_fn(struct pci_dev *d, struct sysfs_fn *f, struct lp_read *r)
{
	struct pci_cap *cap;
	const char *grp;
	u8 hdr[64];

	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_BASES |
			 PCI_FILL_SIZES | PCI_FILL_IO_FLAGS |
			 PCI_FILL_NUMA_NODE | PCI_FILL_IOMMU_GROUP);
	f->vendor = d->vendor_id;
	f->device = d->device_id;
	f->class_code = (uint32_t)d->device_class << 8;
	f->numa_node = d->numa_node >= 0 ? d->numa_node : -1;
	grp = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP);
	f->iommu_group = grp ? (int)strtol(grp, NULL, 10) : -1;
	_Static_assert(sizeof(pciaddr_t) == sizeof(uint64_t), "BAR sizes");
	memcpy(f->bar_size, d->size, sizeof(f->bar_size));
	memcpy(f->bar_flags, d->flags, sizeof(f->bar_flags));
	/* every reader, root or not, gets a real function's 64-byte header */
	r->warn[0] = '\0';
	if (!pci_read_block(d, 0, hdr, sizeof(hdr))) {
		if (r->warn[0])
			snprintf(r->msg, sizeof(r->msg), "%s: config space unreadable (%.150s)",
				 f->bdf, r->warn);
		else
			snprintf(r->msg, sizeof(r->msg), "%s: config space shorter than the 64-byte header",
				 f->bdf);
		return -EIO;
	}
	pci_fill_info(d, PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
	f->pcie_type = -1;
	cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (cap && pci_read_block(d, (int)cap->addr + PCI_EXP_FLAGS, hdr, 1))
		f->pcie_type = (hdr[0] >> 4) & 0xf;
	f->acs = read_acs(d, &f->acs_ctrl);
	return 0;
}

/*
 * The functions of @a, in libpci's order. libpci may longjmp out of
 * read_fn(): by then everything allocated here hangs off *@fns.
 */
static int read_all(struct pci_access *a, const char *root, struct lp_read *r,
		    struct sysfs_fn **fns, unsigned int *nr)
{
	char path[PATH_MAX], *devs, *rp;
	unsigned int n = 0;
	size_t dl;
	int ret = 0;

	pci_scan_bus(a);
	for (struct pci_dev *d = a->devices; d; d = d->next)
		n++;
	if (!n)
		return 0;
	*fns = calloc(n, sizeof(**fns));
	snprintf(path, sizeof(path), "%s/devices", root);
	devs = realpath(path, NULL);
	if (!*fns || !devs) {
		free(devs);
		return -ENOMEM;
	}
	dl = strlen(devs);
	for (struct pci_dev *d = a->devices; d && !ret; d = d->next) {
		struct sysfs_fn *f = &(*fns)[(*nr)++];

		f->domain = (unsigned int)d->domain;
		f->bus = d->bus;
		f->dev = d->dev;
		f->func = d->func;
		snprintf(f->bdf, sizeof(f->bdf), "%04x:%02x:%02x.%d", d->domain,
			 d->bus, d->dev, d->func);
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, f->bdf);
		rp = realpath(path, NULL);
		if (rp && !strncmp(rp, devs, dl) && rp[dl] == '/' &&
		    !(f->path = strdup(rp + dl + 1)))
			ret = -ENOMEM;
		free(rp);
	}
	free(devs);
	n = 0;
	for (struct pci_dev *d = a->devices; d && !ret; d = d->next, n++)
		if ((*fns)[n].path)
			ret = read_fn(d, &(*fns)[n], r);
	return ret;
}

int pcilib_read(const char *root, struct sysfs_fn **fns, unsigned int *nr,
		char *err, size_t errlen)
{
	struct lp_read r = { .msg = "" };
	struct pci_access *a;
	char path[PATH_MAX];
	int ret;

	*fns = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	ret = check_names(path, &r);
	if (ret == -ENOENT)
		return 0;	/* no bus/pci: a kernel without PCI */
	if (!ret) {
		a = pci_alloc();
		a->error = lp_error;
		a->warning = lp_warning;
		a->debug = lp_debug;
		a->method = PCI_ACCESS_SYS_BUS_PCI;
		snprintf(path, sizeof(path), "%s/bus/pci", root);
		lp_cur = &r;
		if (setjmp(r.jb)) {
			ret = -EIO;	/* r.msg says what libpci could not read */
		} else {
			pci_set_param(a, "sysfs.path", path);
			pci_init(a);
			ret = read_all(a, root, &r, fns, nr);
		}
		lp_cur = NULL;
		pci_cleanup(a);
	}
	if (ret) {
		if (ret == -EIO)
			snprintf(err, errlen, "%s: %s", root, r.msg);
		else
			snprintf(err, errlen, "reading %s: %s", root, strerror(-ret));
		pcilib_free(*fns, *nr);
		*fns = NULL;
		*nr = 0;
	}
	return ret;
}

void pcilib_free(struct sysfs_fn *fns, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		free(fns[i].path);
	free(fns);
}

struct cli_pciids {
	struct pci_access *a;
};

/* pci_load_name_list(), which reports a parse error through lp_error() */
static int load_names(struct pci_access *a, char *err, size_t errlen)
{
	struct lp_read r = { .msg = "" };
	volatile int ok = 0;

	lp_cur = &r;
	if (!setjmp(r.jb))
		ok = pci_load_name_list(a);
	lp_cur = NULL;
	/* libpci ends its message with a newline */
	snprintf(err, errlen, "%.*s", (int)strcspn(r.msg, "\n"),
		 ok ? "" : r.msg[0] ? r.msg : "cannot be read");
	return ok;
}

struct cli_pciids *cli_pciids_open(const char *path, char *err, size_t errlen)
{
	static const char *const system[] = {
		"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
		"/usr/share/pci.ids",
	};
	struct cli_pciids *db;
	struct stat st;

	*err = '\0';
	if (!path)
		path = getenv("DMASTACK_PCI_IDS");
	for (size_t i = 0; (!path || !*path) && i < sizeof(system) / sizeof(*system); i++)
		if (!access(system[i], R_OK))
			path = system[i];
	/* a regular file only: a FIFO or a device is not waited on */
	if (!path || !*path || access(path, R_OK) || stat(path, &st) ||
	    !S_ISREG(st.st_mode) || !(db = calloc(1, sizeof(*db))))
		return NULL;
	db->a = pci_alloc();
	db->a->error = lp_error;
	db->a->warning = lp_warning;
	db->a->debug = lp_debug;
	/* the file alone: no ~/.pciids-cache, udev hwdb or DNS */
	db->a->id_lookup_mode = PCI_LOOKUP_NO_HWDB;
	pci_set_name_list_path(db->a, (char *)path, 0);
	if (!load_names(db->a, err, errlen)) {
		cli_pciids_close(db);
		return NULL;
	}
	return db;
}

void cli_pciids_close(struct cli_pciids *db)
{
	if (!db)
		return;
	pci_cleanup(db->a);
	free(db);
}

/*
 * Bytes of the UTF-8 character at @s that is printable text (no control
 * character, well-formed: shortest form, no surrogate, at most U+10FFFF),
 * or 0.
 */
static size_t utf8_text_char(const unsigned char *s)
{
	unsigned long cp;
	size_t n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* @s is UTF-8 text (tabs allowed): names go into text and JSON output. */
static bool utf8_text(const char *s)
{
	for (size_t c; *s; s += c) {
		c = *s == '\t' ? 1 : utf8_text_char((const unsigned char *)s);
		if (!c)
			return false;
	}
	return true;
}

/* Cut @buf (UTF-8 text that snprintf may have cut) at a character boundary. */
static void utf8_trim(char *buf)
{
	for (size_t i = 0, c; buf[i]; i += c) {
		c = buf[i] == '\t' ? 1 : utf8_text_char((const unsigned char *)buf + i);
		if (!c) {
			buf[i] = '\0';
			return;
		}
	}
}

const char *cli_pciids_name(const struct cli_pciids *db, uint16_t vendor,
			    uint16_t device, char *buf, size_t len)
{
	char v[256], d[256];
	int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;

	/* a name that is not UTF-8 text is no name: the numbers are shown */
	if (!db || !pci_lookup_name(db->a, v, sizeof(v), flags | PCI_LOOKUP_VENDOR, vendor) ||
	    !utf8_text(v))
		return NULL;
	if (pci_lookup_name(db->a, d, sizeof(d), flags | PCI_LOOKUP_DEVICE, vendor, device) &&
	    utf8_text(d))
		snprintf(buf, len, "%s %s", v, d);
	else
		snprintf(buf, len, "%s Device %04x", v, device);
	utf8_trim(buf);
	return buf;
}
