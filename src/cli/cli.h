/* SPDX-License-Identifier: MIT */
/* The dmastack command: shared declarations. */
#ifndef _DMASTACK_CLI_H
#define _DMASTACK_CLI_H

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include <dmastack/dmastack.h>
#include <dmastack/pci-p2pdma.h>

/*
 * The command uses the public API only (a test checks its #includes); the
 * few helpers of the kernel's it likes are defined here.
 */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef min
/* Each argument evaluated once, as the kernel's min()/max(). */
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#endif
#ifndef ALIGN
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#endif
#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif

struct cli_opts {
	const char *platform;	/* -p FILE */
	const char *trace;	/* --trace FILE */
	bool trace_accesses;	/* --trace-accesses: device accesses too */
	const char *trace_format; /* --trace-format text|dat (NULL: by the name) */
	bool json;
	bool verbose;
};

/* ---- options (src/cli/args.c) -------------------------------------------- */

/* getopt_long() values of the long options several commands share. */
enum {
	CLI_OPT_JSON = 256,
	CLI_OPT_TRACE,
	CLI_OPT_TRACE_FORMAT,
	CLI_OPT_TRACE_ACCESSES,
	CLI_OPT_VERSION,
	CLI_OPT_FIRST_OWN,	/* a command's own long options from here */
};
#define CLI_LONGOPT_PLATFORM	{ "platform", required_argument, NULL, 'p' }
#define CLI_LONGOPT_JSON	{ "json", no_argument, NULL, CLI_OPT_JSON }
#define CLI_LONGOPT_VERBOSE	{ "verbose", no_argument, NULL, 'v' }
#define CLI_LONGOPT_HELP	{ "help", no_argument, NULL, 'h' }
#define CLI_LONGOPTS_TRACE						\
	{ "trace", required_argument, NULL, CLI_OPT_TRACE },		\
	{ "trace-format", required_argument, NULL, CLI_OPT_TRACE_FORMAT }, \
	{ "trace-accesses", no_argument, NULL, CLI_OPT_TRACE_ACCESSES }

/*
 * getopt_long() for command @cmd (NULL: the main job) over @argv, whose
 * argv[0] is the command: the next option, -1 at the end, or '?' after
 * one line on stderr naming the option that is unknown, lacks its value or
 * has one it does not take. @shortopts starts with ':' (after any '+').
 * Reset optind to 0 before the first call on a new @argv.
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* "dmastack CMD: <message>" on one line of stderr; returns 2 (bad usage). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Option @c (from cli_getopt, value in optarg) if it is one of the shared
 * ones (-p, -v, --json, --trace, --trace-format, --trace-accesses): 0 when
 * taken into @o, 2 after a message for a bad value, 1 when not shared.
 */
int cli_common_opt(const char *cmd, int c, struct cli_opts *o);
/* --trace-format and --trace-accesses without --trace: 2 and a message. */
int cli_check_trace_opts(const char *cmd, const struct cli_opts *o);

/* Sizes as platform text spells them: 4K, 64M; other numbers as they are. */
const char *fmt_size(char *buf, size_t len, u64 bytes);
/*
 * Sizes for people, in one style: "200 bytes", "64 KiB", "7.25 KiB",
 * "8.03 MiB" (powers of 1024, at most two decimals).
 */
const char *fmt_bytes(char *buf, size_t len, u64 bytes);
/* "1 sync", "2 syncs"; @many for the irregular plurals ("entries"). */
const char *fmt_count(char *buf, size_t len, unsigned long long n,
		      const char *one, const char *many);
/* ACS control bits as the platform text spells them (src/cli/sysfs.c). */
void cli_acs_str(u16 acs, char *buf, size_t len);
void json_print(json_object *obj);
/*
 * The JSON of every command (doc/dmastack-json.schema.json): a root object
 * carrying the schema version CLI_JSON_SCHEMA and the command's name.
 */
#define CLI_JSON_SCHEMA "dmastack/1"
json_object *cli_json_root(const char *command);
/* An address or a size of memory as a hex string, "0x1000", as cxl-cli writes them. */
json_object *cli_json_hex(u64 v);
/* A signed offset as a hex string: "0x1000" or "-0x1000". */
json_object *cli_json_shex(s64 v);
struct sim_machine *cli_load_machine(const struct cli_opts *o);
/*
 * --trace FILE: the text trace (appended) or a trace.dat (written when
 * closed), as --trace-format says or, without it, by the name: a name
 * ending in ".dat" is a trace.dat.
 */
struct cli_trace {
	FILE *f;
	struct sim_trace_dat *dat;	/* NULL for the text format */
};
/* Open @o's trace (nothing without --trace): 0, or -1 with a message. */
int cli_trace_open(const struct cli_opts *o, struct cli_trace *t);
/* Trace @m's events to @t (and its device accesses if asked), or stop. */
void cli_trace_attach(const struct cli_opts *o, struct cli_trace *t,
		      struct sim_machine *m);
void cli_trace_detach(struct cli_trace *t, struct sim_machine *m);
/* Write (a trace.dat) and close: 0, or -1 with a message. */
int cli_trace_close(const struct cli_opts *o, struct cli_trace *t);

/*
 * The platform text -p names (or the default one), malloc'd; NULL when
 * the file cannot be read or is not a regular file (said on stderr).
 */
char *cli_platform_text(const struct cli_opts *o);
/* @text with every IOMMU's mode= set to @mode (malloc'd, NULL: no memory). */
char *cli_text_with_iommu_mode(const char *text, const char *mode);

/* ---- the workload library (src/cli/workloads/) ------------------------ */

/*
 * Every scenario of the main job and of `dmastack run` is one function
 * here, of type cli_wl_fn: it takes its options, does its DMA on the
 * machine it is given, verifies every byte a device moved, and tells what
 * it did through a struct cli_out. The main job is a table of these calls
 * (src/cli/mainjob.c); run gives each its key=value options (src/cli/run.c).
 */

/* The counters a run reports, taken before and after a workload. */
struct cli_stats {
	struct sim_dma_stats dma;
	unsigned long invalidations, inval_commands;
	unsigned long iommu_faults, access_errors;
	unsigned long debug_reports, warns, bugs, faults_reported;
	unsigned long trace_events;
};
void cli_stats_take(struct sim_machine *m, struct cli_stats *s);

/* A mapping a workload made, as the main job's table of mappings shows it. */
struct cli_map_rec {
	struct device *dev;
	const char *call;		/* "dma_map_phys", "dma_alloc_coherent", ... */
	phys_addr_t phys;
	size_t size;
	enum dma_data_direction dir;
	dma_addr_t dma;
	unsigned long attrs;		/* DMA_ATTR_MMIO: a resource */
};

/* Reports a workload provoked on purpose, so not unexpected ones. */
struct cli_expected {
	unsigned long debug;		/* dma-debug reports */
	unsigned long faults;		/* DMA and IOMMU fault reports */
};
/* Count @n provoked reports of @kind in @e. */
void cli_expected_add(struct cli_expected *e, enum sim_report_kind kind,
		      unsigned long n);

/* Where a workload says what it did and reports its checks. */
struct cli_out {
	void *ctx;
	/* the workload's id, the first part of its checks' ids (cli_wl_id()) */
	const char *id;
	/* what the workload did, beside its checks */
	void (*say)(void *ctx, const char *msg);
	/*
	 * One check; @id: its stable name ("iommu_lazy.stale_iotlb", see
	 * doc/dmastack-json.schema.json); @provoked: it catches a bug the
	 * workload made on purpose. Returns @ok.
	 */
	bool (*check)(void *ctx, const char *id, bool ok, bool provoked,
		      const char *msg);
	/* A mapping the workload made (NULL: not recorded). */
	void (*mapped)(void *ctx, const struct cli_map_rec *rec);
	/* @n reports of @kind were provoked on purpose: they are not unexpected. */
	void (*expect)(void *ctx, enum sim_report_kind kind, unsigned long n);
};

enum cli_nvme_rw { CLI_NVME_READ, CLI_NVME_WRITE, CLI_NVME_RANDRW };
const char *cli_nvme_rw_name(enum cli_nvme_rw rw);

/*
 * What a workload is asked to do. Each workload documents the fields it
 * reads; a field left zero takes the default the workload names.
 */
struct cli_wl_opts {
	const char *dev;		/* the device, by platform id */
	const char *peer;		/* the second device (dma-buf: the importer) */
	u64 size;			/* bytes per mapping, range, or in all */
	u64 count;			/* rounds (0: one) */
	unsigned int seed;		/* data patterns and random choices */
	bool provoke;			/* also make the bug the workload catches */
	union {
		struct {
			u64 offset;	/* of the buffer in its first page */
		} bounce;
		struct {
			u64 xfer;	/* bytes the device moves (0: size) */
			bool bidi;	/* a third, BIDIRECTIONAL mapping per round */
		} noncoherent;
		struct {
			u64 off[2];	/* the two exported ranges in BAR 2 */
			enum pci_p2pdma_map_type type;	/* how the peer must reach it */
			const char *path;	/* how the NIC maps it, in words */
		} dmabuf;
		struct {
			enum cli_nvme_rw rw;
			u64 bs;			/* bytes per request */
			unsigned int iodepth;	/* requests in flight */
			enum nvme_dma_api api;
			bool p2p;		/* data buffers in the controller's CMB */
		} nvme;
		struct {
			unsigned long faults;		/* NIC page faults to take */
			unsigned long invalidations;	/* migrations and zaps */
			enum sim_odp_strategy strategy;
		} odp;
	};
};

/* What the NVMe and ODP workloads leave for their callers' reports. */
struct cli_wl_result {
	struct {
		struct nvme_dev_info info;
		struct nvme_stats drv;
		struct sim_nvme_model_stats model;
		u64 requests, reads, writes;
	} nvme;
	struct {
		struct sim_odp_mr_stats st;
		struct sim_process_stats ps;
		unsigned long migrations, zaps;
	} odp;
};

/*
 * A workload: 0 when it ran (its outcome is in its checks), or -ENODEV,
 * -EINVAL, -E2BIG, -EOPNOTSUPP for what the machine or the options cannot
 * do, explained in @err. @res may be NULL.
 */
typedef int cli_wl_fn(struct sim_machine *m, const struct cli_wl_opts *o,
		      const struct cli_out *out, struct cli_wl_result *res,
		      char *err, size_t errlen);

/* src/cli/workloads/dma.c: the DMA API without an IOMMU */
cli_wl_fn cli_wl_coherent;	/* nic0: streaming DMA, a scatterlist */
cli_wl_fn cli_wl_noncoherent;	/* dev: cache maintenance and syncs */
cli_wl_fn cli_wl_bounce;	/* dev: swiotlb bouncing */
cli_wl_fn cli_wl_coherent_alloc;	/* dev, peer: coherent memory, a dma_pool */
cli_wl_fn cli_wl_mmio;		/* nic0 into nvme0's CMB and gpu0's BAR */
cli_wl_fn cli_wl_confidential;	/* dev in a confidential guest */
/* src/cli/workloads/iommu.c */
cli_wl_fn cli_wl_iommu_lazy;	/* nic0, nvme0, gpu0 behind a lazy IOMMU */
cli_wl_fn cli_wl_iova_api;	/* dev: 1 MiB of 256 pages, one IOVA range */
cli_wl_fn cli_wl_iommu_strict;	/* dev behind a strict IOMMU */
cli_wl_fn cli_wl_untrusted;	/* dev: an untrusted device's bounce */
cli_wl_fn cli_wl_granule_64k;	/* dev behind a 64K-granule IOMMU */
cli_wl_fn cli_wl_vfio_mig;	/* dev: a VFIO migration page list */
/* src/cli/workloads/p2p.c */
cli_wl_fn cli_wl_dmabuf_p2p;	/* dev's BAR 2 exported, imported by peer */
/* src/cli/workloads/nvme.c, odp.c */
cli_wl_fn cli_wl_nvme;		/* fio-like I/O through nvme-pci */
cli_wl_fn cli_wl_odp;		/* an ODP region mirroring a process */

/* A workload's id: its function's name without cli_wl_ ("iommu_lazy"). */
const char *cli_wl_id(cli_wl_fn *fn);
/*
 * Run workload @fn as its own task: on a thread named after its id (the
 * task a trace shows, "iommu_lazy-7"), with @m current; the caller waits
 * for it. Where no thread can be made it runs on the caller's. Returns
 * what @fn returns.
 */
int cli_wl_run(cli_wl_fn *fn, struct sim_machine *m, const struct cli_wl_opts *o,
	       const struct cli_out *out, struct cli_wl_result *res, char *err,
	       size_t errlen);

/* Built-in platforms of the workloads (src/cli/workloads/platforms.c). */
extern const char cli_p2p_switch_platform[];	/* GPU and NIC below one switch */
extern const char cli_p2p_hostbridge_platform[];	/* on two root ports */
extern const char cli_bounce_platform[];	/* 32-bit and untrusted devices */
extern const char cli_noncoherent_platform[];	/* an arm64 non-coherent device */
extern const char cli_arm64_64k_platform[];	/* an SMMU with a 64K granule */
extern const char cli_cc_guest_platform[];	/* a confidential guest */

/* A built-in platform as `dmastack platforms` lists it. */
struct cli_platform {
	const char *name;
	const char *text;	/* NULL: the embedded default platform */
	const char *what;	/* one line */
};
extern const struct cli_platform cli_platforms[];
extern const unsigned int cli_nr_platforms;
/* @p's platform text. */
const char *cli_platform_text_of(const struct cli_platform *p);
/* The built-in platform named @name (or whose machine is), or NULL. */
const struct cli_platform *cli_platform_find(const char *name);

int cmd_topo(int argc, char **argv, const struct cli_opts *o);

/* ---- P2P helpers shared by p2p and topo (src/cli/p2p.c) ------------------ */

/* The BAR endpoint @n registers with P2PDMA (CMB, video memory, ...), -1: none. */
int cli_p2p_provider_bar(struct sim_node *n);
/* The kernel's map type and distance of client @q for provider @p's P2P BAR. */
/* An endpoint that answers: not a VF its PF has not enabled. */
bool cli_endpoint_present(struct sim_node *n);
int cli_p2p_pair(struct sim_node *p, struct sim_node *q,
		 enum pci_p2pdma_map_type *type, int *dist);
/* The pair's link in nvidia-smi topo -m's words (X, PIX, PXB, PHB, NODE, SYS). */
const char *cli_p2p_link_name(struct sim_node *p, struct sim_node *q);

/* ---- names from pci.ids, and PCI functions: libpci ---------------------- */

#include "pcilib.h"

/*
 * The commands. topo, p2p, run, load and platforms parse every option
 * themselves: @argv[0] is the command's name and @o is empty. bench gets
 * its arguments without the name, with --json taken into @o. Each returns
 * the exit status: 0, 1 (a check or the work failed), 2 (bad usage).
 */
int cmd_mainjob(const struct cli_opts *o);
int cmd_bench(int argc, char **argv, const struct cli_opts *o);
int cmd_p2p(int argc, char **argv, const struct cli_opts *o);
int cmd_run(int argc, char **argv, const struct cli_opts *o);
int cmd_load(int argc, char **argv, const struct cli_opts *o);
int cmd_platforms(int argc, char **argv, const struct cli_opts *o);

/* ---- a Linux /sys tree as platform text (src/cli/sysfs.c) ---------------- */

/* enum sysfs_acs, enum sysfs_role, struct sysfs_fn: src/cli/pcilib.h */

struct sysfs_hb {
	char name[24];		/* "pci0000:00" */
	char id[24];		/* platform id */
	unsigned int domain, bus;
	bool p2p_allow;
	char why[200];		/* what decided p2p= (the kernel's allowlist) */
};

/* A platform id (including implicit switch ports) and what it stands for. */
struct sysfs_alias {
	char id[48];
	int fn;			/* -1: synthetic, nothing in sysfs */
	bool acs_unknown;
};

struct sysfs_note {
	char where[24];		/* BDF or host bridge name */
	char msg[240];
};

struct sysfs_line;

struct sysfs_topo {
	struct sysfs_fn *fns;
	unsigned int nr_fns, cap_fns;
	struct sysfs_hb *hbs;
	unsigned int nr_hbs, cap_hbs;
	struct sysfs_note *notes;
	unsigned int nr_notes, cap_notes;
	struct sysfs_alias *aliases;
	unsigned int nr_aliases, cap_aliases;
	struct sysfs_line *lines;	/* the platform text, before formatting */
	unsigned int nr_lines, cap_lines;
	bool acs_unknown;	/* some modeled port's ACS could not be read */
	bool iommu;		/* the kernel formed IOMMU groups */
	bool multi_domain;
};

/*
 * Read the /sys tree at @root (the directory holding devices/ and bus/pci/)
 * with libpci and plan its platform text. 0 and *@out, or
 * -ENOENT/-ENOTDIR (not a sysfs root), -EIO (a function libpci cannot
 * read, or config space shorter than its 64-byte header), -ENOMEM; @err
 * says which, in one line. Devices the platform cannot express become
 * notes, never errors.
 */
int sysfs_scan(const char *root, struct sysfs_topo **out, char *err,
	       size_t errlen);
void sysfs_topo_free(struct sysfs_topo *t);
/*
 * The platform text (malloc'd, *@text) with every port whose ACS could not
 * be read set to off, or with @unknown_acs_on, to on. 0 or -ENOMEM.
 */
int sysfs_platform_text(const struct sysfs_topo *t, bool unknown_acs_on,
			char **text);
/* The alias of platform id @id, or NULL. */
const struct sysfs_alias *sysfs_alias_find(const struct sysfs_topo *t,
					   const char *id);
/* The function named by @name (full or short BDF, or platform id), or -1. */
int sysfs_fn_find(const struct sysfs_topo *t, const char *name);
/* The label a function is shown with (short BDF when one domain). */
const char *sysfs_fn_label(const struct sysfs_topo *t, int fn, char *buf,
			   size_t len);

#endif
