// SPDX-License-Identifier: MIT
/* Small helpers shared by the dmastack subcommands. */
#include <stdlib.h>
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

/*
 * The platform text with every IOMMU set to @mode (or turned off): the
 * mode= of each iommu line replaced, or added where the line has none (the
 * default, lazy). Comments are copied as they are.
 */
char *cli_text_with_iommu_mode(const char *text, const char *mode)
{
	size_t cap = strlen(text) + 1, extra = strlen(" mode=") + strlen(mode);
	const char *p = text;
	char *out, *o;

	for (const char *q = text; *q; q++)	/* at most one mode= per line */
		if (*q == '\n')
			cap += extra;
	cap += extra;
	out = malloc(cap);
	if (!out)
		return NULL;
	o = out;
	while (*p) {
		const char *eol = strchr(p, '\n'), *hash, *kw = p, *m;
		size_t len = eol ? (size_t)(eol - p) : strlen(p), body;

		hash = memchr(p, '#', len);
		body = hash ? (size_t)(hash - p) : len;
		while (kw < p + body && (*kw == ' ' || *kw == '\t'))
			kw++;
		if ((size_t)(p + body - kw) > 5 && !strncmp(kw, "iommu", 5) &&
		    (kw[5] == ' ' || kw[5] == '\t')) {
			const char *end = p + body;

			m = NULL;
			for (const char *q = kw; q + 5 <= end; q++)
				if (!strncmp(q, "mode=", 5) && (q[-1] == ' ' || q[-1] == '\t'))
					m = q;
			if (m) {
				const char *v = m + 5;

				while (v < end && *v != ' ' && *v != '\t')
					v++;
				memcpy(o, p, (size_t)(m - p));
				o += m - p;
				o += sprintf(o, "mode=%s", mode);
				memcpy(o, v, (size_t)(p + len - v));
				o += p + len - v;
			} else {
				while (end > kw && (end[-1] == ' ' || end[-1] == '\t'))
					end--;
				memcpy(o, p, (size_t)(end - p));
				o += end - p;
				o += sprintf(o, " mode=%s", mode);
				memcpy(o, end, (size_t)(p + len - end));
				o += p + len - end;
			}
		} else {
			memcpy(o, p, len);
			o += len;
		}
		if (eol)
			*o++ = '\n';
		p += len + (eol ? 1 : 0);
	}
	*o = '\0';
	return out;
}

char *cli_platform_text(const struct cli_opts *o)
{
	FILE *f;
	char *buf;
	long n;

	if (!o->platform)
		return strdup(sim_default_platform_text());
	f = fopen(o->platform, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 && n < (64 << 20) ? malloc((size_t)n + 1) : NULL;
	if (buf) {
		n = (long)fread(buf, 1, (size_t)n, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

/*
 * A GPU and a NIC below one switch without ACS: peer-to-peer stays below
 * it (the main job's and `run dmabuf-p2p path=switch`'s machine).
 */
const char cli_p2p_switch_platform[] =
	"machine    name=p2p-switch arch=x86_64 ram=4G cpus=2\n"
	"iommu      id=iommu0 format=x86_64 mode=strict\n"
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"
	"rootport   id=rp0 bus=hb0\n"
	"switch     id=sw0 bus=rp0 acs=off\n"
	"gpu        id=gpu0 bus=sw0 bar0=16M bar2=8G flr=yes\n"
	"nic        id=nic0 bus=sw0 bar0=1M dma-bits=64\n";
