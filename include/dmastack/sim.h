/* SPDX-License-Identifier: MIT */
/*
 * The machine API (sim_ prefix): create a simulated machine from platform
 * text, find its devices, allocate its RAM, and make its devices perform DMA.
 *
 * Everything lives in a struct sim_machine; nothing is global, so one
 * process may run many machines from many threads. Names and meaning of the
 * functions in the first block are a stable contract (SPEC 2.2).
 */
#ifndef _DMASTACK_SIM_H
#define _DMASTACK_SIM_H

#include <stdio.h>
#include <dmastack/types.h>
#include <dmastack/mm.h>
#include <dmastack/device.h>
#include <dmastack/pci.h>
#include <dmastack/sim-timer.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;

/* ---- stable contract ---------------------------------------------------- */
struct sim_machine *sim_machine_parse(const char *text, char *err,
				      size_t errlen);
/*
 * sim_machine_load() reads a regular file only: a directory, a FIFO (not
 * waited on) or a device is refused with the path named in @err.
 */
struct sim_machine *sim_machine_load(const char *path, char *err,
				     size_t errlen);
struct sim_machine *sim_machine_default(void);
void sim_machine_destroy(struct sim_machine *m);
struct device *sim_device(struct sim_machine *m, const char *id);

struct page *sim_alloc_pages(struct sim_machine *m, unsigned int order);
struct page *sim_alloc_pages_range(struct sim_machine *m, unsigned int order,
				   phys_addr_t lo, phys_addr_t hi);
void sim_free_pages(struct sim_machine *m, struct page *page,
		    unsigned int order);
void *sim_phys_to_virt(struct sim_machine *m, phys_addr_t phys);

int sim_dma_read(struct device *dev, dma_addr_t addr, void *buf, size_t len);
int sim_dma_write(struct device *dev, dma_addr_t addr, const void *buf,
		  size_t len);

unsigned long sim_dma_debug_errors(struct sim_machine *m);
unsigned long sim_iommu_faults(struct sim_machine *m);
/* Invalidation requests, each one batch of commands ended by a wait/sync. */
unsigned long sim_iommu_invalidations(struct sim_machine *m);
/*
 * Commands the units executed from their invalidation queues (VT-d
 * descriptors, SMMUv3 commands), the waits/syncs included.
 */
unsigned long sim_iommu_inval_commands(struct sim_machine *m);
/* Lazy mode: flush queue of @dev's domain (statistics; force the timer). */
int sim_iommu_fq_stats(struct device *dev, unsigned long *flushes,
		       unsigned int *queued, u64 *max_window_ops,
		       u64 *max_window_ns, unsigned long *stale_hits);
int sim_iommu_flush_queue(struct device *dev);
/* IOMMU groups the machine formed (0 without a translating IOMMU). */
unsigned int sim_iommu_group_count(struct sim_machine *m);
int sim_iommu_lookup(struct device *dev, dma_addr_t iova, phys_addr_t *phys,
		     int *prot);
/*
 * Page-table pages (the root included) of the domain @dev's group uses now:
 * how many, or -ENOENT (no IOMMU, or a domain without a page table:
 * identity, blocked).
 */
long sim_iommu_pt_pages(struct device *dev);

/* IOVA space of @dev's DMA (default) domain, in bytes. */
struct sim_iommu_iova_stats {
	u64 live;		/* held by iommu-dma: mapped or in the flush queue */
	u64 held;		/* taken from the allocator's tree: live + cached */
	u64 peak_held;		/* the most @held ever was (see below) */
	unsigned long ranges;	/* live ranges */
};
/*
 * 0 and *@out, or -ENOENT (no DMA domain: no IOMMU, passthrough). The
 * numbers are counted where the allocator takes its tree lock, so the
 * lock-free cache hits of the mapping hot path cost nothing; that is why
 * the peak is of @held (live plus the per-thread caches), an upper bound
 * of the live peak. Reading takes every cache lock (slow: for statistics).
 */
int sim_iommu_iova_stats(struct device *dev, struct sim_iommu_iova_stats *out);

/* ---- machine time ------------------------------------------------------ */
/*
 * The machine's clock (ns) only moves when told to, so timeouts (the lazy
 * flush queue's, a device's job latency) are deterministic. Advancing it
 * by @ns runs every machine timer (sim-timer.h) that expires up to the new
 * time, in expiry order (ties: arming order), each with sim_clock_now()
 * reading its expiry, then lets the lazy IOMMU flush queues see the new
 * time. Advances are serialised; a timer callback must not advance (it is
 * reported and ignored).
 */
u64 sim_clock_now(struct sim_machine *m);
void sim_clock_advance(struct sim_machine *m, u64 ns);
/*
 * Advance to the earliest pending timer and run it and every other timer
 * due then: "wait until the device completes". False if no timer is
 * pending (the clock does not move).
 */
bool sim_clock_run_next(struct sim_machine *m);

/* ---- machine creation with options ------------------------------------- */
struct sim_model;

struct sim_machine_opts {
	/* Fail the Nth allocation the machine makes (1-based), 0 for never. */
	unsigned long fail_nth;
	/* Start with dma-debug off (it is on by default). */
	bool dma_debug_off;
	/*
	 * Device models the platform text may bind (pcidev ... model=NAME),
	 * a NULL-terminated array (sim-model.h). They must outlive the
	 * machine; a name given twice, or a malformed model, is an error.
	 */
	const struct sim_model *const *models;
};

struct sim_machine *sim_machine_parse_opts(const char *text,
					   const struct sim_machine_opts *opts,
					   char *err, size_t errlen);
/* sim_machine_load() with options (a program's device models). */
struct sim_machine *sim_machine_load_opts(const char *path,
					  const struct sim_machine_opts *opts,
					  char *err, size_t errlen);
/* The platform text of the embedded default machine. */
const char *sim_default_platform_text(void);

/*
 * The calling thread's current machine (the kernel's `current`): what the
 * kernel's calls that name no device act on: alloc_pages(), virt_to_page()
 * and the rest of <linux/gfp.h> and <linux/mm.h>, request_irq(), free_irq()
 * and the other calls that take only an irq number. Creating a machine
 * makes it the creating thread's current machine; another thread enters
 * it with sim_set_current_machine(). pci_alloc_irq_vectors() and
 * pci_irq_vector() set it, and it is the handler's machine while an
 * interrupt handler runs. Returns the previous one. A machine being
 * destroyed stops being its destroying thread's current machine.
 */
struct sim_machine *sim_set_current_machine(struct sim_machine *m);
struct sim_machine *sim_current_machine(void);

/* ---- fault injection ----------------------------------------------------- */
/*
 * Make the @nth allocation from now fail (1 = the next one); 0 disarms.
 * Every allocation the machine and the DMA layers make goes through this
 * hook, so a test can sweep N over a scenario and check each unwind.
 */
void sim_fail_nth_alloc(struct sim_machine *m, unsigned long nth);
/* True once the armed failure has been delivered. */
bool sim_fail_nth_triggered(struct sim_machine *m);
/* Allocations made so far (including failed ones). */
unsigned long sim_alloc_count(struct sim_machine *m);
/* Live allocations the machine holds beyond its construction. */
long sim_alloc_live(struct sim_machine *m);
/*
 * Zeroed memory for a device model's state, through the same hook (so a
 * model's own unwinding is swept too): NULL when it fails. Free with
 * sim_free() on the same machine; sim_free(m, NULL) does nothing.
 */
void *sim_zalloc(struct sim_machine *m, size_t size);
void sim_free(struct sim_machine *m, void *p);

/* ---- machine description ------------------------------------------------- */
const char *sim_machine_name(struct sim_machine *m);
const char *sim_machine_arch(struct sim_machine *m);
u64 sim_ram_size(struct sim_machine *m);
/* Pages of RAM currently handed out by the page allocator. */
unsigned long sim_ram_pages_allocated(struct sim_machine *m);
/*
 * 4 MiB sections of RAM with a memmap (created on first use), and in
 * *@chunks (if not NULL) the section-table chunks of 4 GiB each.
 */
unsigned long sim_ram_memmap_sections(struct sim_machine *m,
				      unsigned long *chunks);
/* Of those, the pages the slab allocator holds (src/kernel/mm/slab.c). */
unsigned long sim_slab_pages(struct sim_machine *m);
/*
 * Every function the platform describes, by index, including SR-IOV VFs
 * their PF has not enabled (see sim_device_present()).
 */
unsigned int sim_device_count(struct sim_machine *m);
struct device *sim_device_at(struct sim_machine *m, unsigned int idx);
/*
 * Is @dev there: false for a VF while its PF's VF Enable is clear or its
 * index is >= NumVFs (sim_device() returns NULL for it then).
 */
bool sim_device_present(struct device *dev);
const char *sim_device_id(struct device *dev);
const char *sim_device_kind(struct device *dev);
bool sim_device_is_endpoint(struct device *dev);
unsigned int sim_device_dma_bits(struct device *dev);
bool sim_machine_is_confidential(struct sim_machine *m);

/* Walk RAM regions and host bridge windows (for topology printing). */
struct sim_mem_range {
	const char *kind;	/* "ram", "mmio32", "mmio64", "swiotlb" */
	const char *owner;	/* host bridge id for windows */
	phys_addr_t start;
	u64 size;
	u64 bus_offset;		/* CPU address minus bus address */
};
unsigned int sim_mem_range_count(struct sim_machine *m);
int sim_mem_range_get(struct sim_machine *m, unsigned int idx,
		      struct sim_mem_range *out);

/* ---- MMIO from the CPU --------------------------------------------------- */
/*
 * CPU accesses to a BAR. Reads of a BAR whose memory decoding is off (or
 * whose function is in D3hot or reset) return all ones, as on real hardware;
 * the functions return -EIO in that case and record it.
 */
int sim_mmio_read(struct sim_machine *m, phys_addr_t phys, void *buf,
		  size_t len);
int sim_mmio_write(struct sim_machine *m, phys_addr_t phys, const void *buf,
		   size_t len);

/* ---- reports --------------------------------------------------------------- */
enum sim_report_kind {
	SIM_REPORT_DMA_DEBUG = 1,	/* dma-debug (err_printk) */
	SIM_REPORT_DMA_FAULT,		/* a device access that failed */
	SIM_REPORT_IOMMU_FAULT,
	SIM_REPORT_WARN,		/* WARN()/dev_warn from the DMA layers */
	SIM_REPORT_BUG,			/* BUG_ON: the call was refused */
	SIM_REPORT_INFO,
};

struct sim_report {
	enum sim_report_kind kind;
	const char *device;		/* dev_name() or "" */
	u64 addr;
	u64 len;
	char text[320];
};

unsigned long sim_report_count(struct sim_machine *m);
int sim_report_get(struct sim_machine *m, unsigned long idx,
		   struct sim_report *out);
/* Count of reports of one kind since machine creation. */
unsigned long sim_report_count_kind(struct sim_machine *m,
				    enum sim_report_kind kind);
/* True if any report of @kind contains @needle. */
bool sim_report_find(struct sim_machine *m, enum sim_report_kind kind,
		     const char *needle);
void sim_report_dump(struct sim_machine *m, FILE *f);
void sim_report_clear(struct sim_machine *m);
/* Echo reports to @f as they happen (NULL to stop). */
void sim_report_echo(struct sim_machine *m, FILE *f);
unsigned long sim_dma_access_errors(struct sim_machine *m);

/* ---- dma-debug control ------------------------------------------------ */
void sim_dma_debug_enable(struct sim_machine *m, bool on);
bool sim_dma_debug_enabled(struct sim_machine *m);
/*
 * The DMA check mode of @dev (dma-debug must be on): the device works on
 * its own view of memory for its streaming mappings, which map, unmap and
 * the syncs transfer as ownership moves, so that a missing sync gives
 * stale data and a report on a coherent machine too; a sync for the
 * device of data the device wrote and the CPU never took back is
 * reported. No answer of the DMA API changes. The platform key
 * "machine dma-check=strict" turns it on for every device. Mappings keep
 * the mode they were made in; call it while the device does no DMA.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int sim_dma_check_set(struct device *dev, bool on);
bool sim_dma_check_enabled(struct device *dev);
/* Live dma-debug entries (all devices when @dev is NULL). */
unsigned long sim_dma_debug_entries(struct sim_machine *m, struct device *dev);
/* Print live entries in the format of debugfs dma-api/dump. */
void sim_dma_debug_dump(struct sim_machine *m, struct device *dev, FILE *f);
/*
 * The driver is unbound from @dev: its managed resources (dmam_*) are
 * released, newest first, then dma-debug reports whatever the device still
 * has mapped or allocated, as on BUS_NOTIFY_UNBOUND_DRIVER.
 */
void sim_device_unbind(struct device *dev);

/* ---- tracing ----------------------------------------------------------- */
/*
 * Write DMA trace events to @f in the kernel's trace text format (NULL:
 * stop). A failed write stays on @f's error flag: after detaching, the
 * caller's fflush()/ferror()/fclose() says whether the trace is whole.
 */
void sim_trace_set_file(struct sim_machine *m, FILE *f);
unsigned long sim_trace_events(struct sim_machine *m);
/*
 * Write them as trace-cmd's trace.dat instead (or as well), which
 * `trace-cmd report` and KernelShark open: open a writer on @f (a new,
 * seekable file), attach it to one or more machines, detach them (NULL)
 * or destroy them, then close the writer, which writes the whole file
 * (0, or the failed write's negative errno: -ENOSPC on a full disk) and
 * frees it; @f stays open.
 */
struct sim_trace_dat;
struct sim_trace_dat *sim_trace_dat_open(FILE *f);
void sim_trace_set_dat(struct sim_machine *m, struct sim_trace_dat *d);
int sim_trace_dat_close(struct sim_trace_dat *d);
/* Also trace every device access (a dmastack_dev_access event per TLP). */
void sim_trace_set_accesses(struct sim_machine *m, bool on);

/* ---- statistics -------------------------------------------------------- */
struct sim_dma_stats {
	unsigned long maps;		/* successful streaming maps */
	unsigned long unmaps;
	unsigned long map_errors;	/* DMA_MAPPING_ERROR returned */
	unsigned long syncs;
	unsigned long cache_ops;	/* clean/invalidate operations */
	unsigned long bounced_maps;	/* swiotlb mappings */
	unsigned long long bounced_bytes;	/* bytes copied by swiotlb */
	unsigned long swiotlb_full;	/* "buffer is full" failures */
	unsigned long coherent_allocs;
	unsigned long dev_reads, dev_writes;	/* successful device accesses */
	unsigned long long dev_bytes;
	unsigned long p2p_accesses;	/* routed to a peer BAR */
};
void sim_dma_stats_get(struct sim_machine *m, struct sim_dma_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_SIM_H */
