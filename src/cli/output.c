// SPDX-License-Identifier: MIT
/* Small helpers shared by the dmastack subcommands. */
#include <string.h>
#include "cli.h"

const char *fmt_size(char *buf, size_t len, u64 bytes)
{
	static const char units[] = "KMGTP";
	int u = -1;
	u64 v = bytes;

	if (bytes < 1024 || bytes % 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

void json_print(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
}

struct sim_machine *cli_load_machine(const struct cli_opts *o)
{
	const char *name = o->platform ? o->platform : "default platform";
	char err[512] = "";
	struct sim_machine *m;

	if (o->platform)
		m = sim_machine_load(o->platform, err, sizeof(err));
	else
		m = sim_machine_parse(sim_default_platform_text(), err,
				      sizeof(err));
	if (!m) {
		/* File errors already name the file; parse errors name a line. */
		if (!strncmp(err, name, strlen(name)))
			fprintf(stderr, "dmastack: %s\n", err);
		else
			fprintf(stderr, "dmastack: %s: %s\n", name, err);
	}
	return m;
}

FILE *cli_open_trace(const struct cli_opts *o, struct sim_machine *m)
{
	FILE *f;

	if (!o->trace)
		return NULL;
	f = fopen(o->trace, "a");
	if (!f) {
		fprintf(stderr, "dmastack: cannot open trace file %s: %s\n",
			o->trace, strerror(errno));
		return NULL;
	}
	sim_trace_set_file(m, f);
	return f;
}

/* VFIO_DEVICE_FEATURE_GET of DMA_BUF for @nr ranges of BAR @bar: the fd. */
int cli_vfio_export(struct vfio_pci_core_device *v, u32 bar,
		    const struct vfio_region_dma_range *r, u32 nr)
{
	union {
		struct vfio_device_feature hdr;
		u8 bytes[sizeof(struct vfio_device_feature) +
			 sizeof(struct vfio_device_feature_dma_buf) +
			 4 * sizeof(struct vfio_region_dma_range)];
	} u;
	struct vfio_device_feature_dma_buf *db = (void *)u.hdr.data;
	size_t len = sizeof(u.hdr) + sizeof(*db) + nr * sizeof(*r);

	if (nr > 4)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.hdr.argsz = (u32)len;
	u.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, r, nr * sizeof(*r));
	return (int)vfio_pci_core_ioctl(v, VFIO_DEVICE_FEATURE, u.bytes, len);
}

/* The command register through the VFIO device's config region. */
int cli_vfio_set_command(struct vfio_pci_core_device *v, u16 cmd)
{
	return vfio_pci_core_write(v, &cmd, sizeof(cmd),
				   VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) +
				   PCI_COMMAND) == sizeof(cmd) ? 0 : -EIO;
}
