/* SPDX-License-Identifier: MIT */
/*
 * libpci (pciutils) for the dmastack command, in a file of its own: its
 * struct pci_dev and PCI_* register names clash with the kernel's that the
 * rest of the command sees. Only libc types cross this interface.
 */
#ifndef DMASTACK_CLI_PCILIB_H
#define DMASTACK_CLI_PCILIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a PCI function's ACS control register is known to hold. */
enum sysfs_acs {
	SYSFS_ACS_ABSENT,	/* readable config, no ACS capability */
	SYSFS_ACS_KNOWN,	/* capability found, control register read */
	SYSFS_ACS_UNKNOWN,	/* config space not readable far enough */
};

enum sysfs_role {
	SYSFS_ENDPOINT,
	SYSFS_ROOTPORT,
	SYSFS_SWITCH_UP,
	SYSFS_SWITCH_DOWN,
	SYSFS_HOSTBRIDGE_FN,	/* the root bus's "host bridge" function */
};

/*
 * One PCI function of a sysfs tree: what libpci read (pcilib_read()), then
 * where it sits and how the platform models it (src/cli/sysfs.c).
 */
struct sysfs_fn {
	char bdf[24];		/* "0000:03:00.0" as sysfs names it */
	char *path;		/* pcilib_read(): its directory below DIR/devices/,
				 * NULL when elsewhere (then nothing else is read) */
	char id[40];		/* its platform id ("" when not modeled) */
	char kind[12];		/* platform kind, or the role for bridges */
	unsigned int domain, bus, dev, func;
	uint32_t class_code;	/* base class, subclass, 0 */
	uint16_t vendor, device;
	int pcie_type;		/* PCIe capability port type, -1 unknown */
	enum sysfs_role role;
	enum sysfs_acs acs;
	uint16_t acs_ctrl;
	uint64_t bar_size[6];	/* memory BARs as read, then as modeled (0: none) */
	uint64_t bar_flags[6];	/* IORESOURCE_* of each, as read */
	bool bar_is64[6];	/* 64-bit (in the 64-bit window, two slots) */
	int iommu_group;	/* -1: none */
	int numa_node;		/* -1: not known */
	int parent;		/* index of the parent bridge, -1 on a root bus */
	int hb;			/* index of its host bridge */
	bool modeled;
};

/*
 * Every function libpci lists in @root/bus/pci/devices, in *@fns (free with
 * pcilib_free()); none when @root has no bus/pci/devices. 0, -ENOMEM, or
 * -EIO with a one-line @err: a name there that is no PCI address, a file
 * libpci cannot read, config space shorter than the 64-byte header every
 * reader gets.
 */
int pcilib_read(const char *root, struct sysfs_fn **fns, unsigned int *nr,
		char *err, size_t errlen);
void pcilib_free(struct sysfs_fn *fns, unsigned int nr);

/*
 * The pci.ids database, read by libpci: @path, else $DMASTACK_PCI_IDS, else
 * the system's (/usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids). NULL
 * when none can be read (names then fall back to the numbers), or with @err
 * set when libpci cannot parse the one chosen.
 */
struct cli_pciids;
struct cli_pciids *cli_pciids_open(const char *path, char *err, size_t errlen);
void cli_pciids_close(struct cli_pciids *db);
/* "Vendor Device" as lspci -v names it, in @buf; NULL when the vendor is unknown. */
const char *cli_pciids_name(const struct cli_pciids *db, uint16_t vendor,
			    uint16_t device, char *buf, size_t len);

#endif
