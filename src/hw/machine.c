// SPDX-License-Identifier: MIT
/*
 * The machine object: construction from platform text, teardown, the
 * allocation hook every layer allocates through (fail-Nth injection), the
 * report log and the statistics.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hw/machine.h"

/* ------------------------------------------------------------------------ */
/* Allocation with fault injection                                          */
/* ------------------------------------------------------------------------ */

bool sim_should_fail_alloc(struct sim_machine *m)
{
	unsigned long at;

	sim_alloc_shard_add(m, false, 1);
	if (likely(!sim_fail_armed(m)))
		return false;
	/* armed: one sequence over every thread, to fail the Nth */
	at = atomic_load(&m->fail_at);
	if (at && atomic_fetch_add(&m->fail_seq, 1) + 1 == at) {
		atomic_store(&m->fail_triggered, true);
		return true;
	}
	return false;
}

void *sim_kmalloc(struct sim_machine *m, size_t size)
{
	void *p;

	if (sim_should_fail_alloc(m))
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		sim_alloc_live_add(m, 1);
	return p;
}

void *sim_kzalloc(struct sim_machine *m, size_t size)
{
	void *p;

	if (sim_should_fail_alloc(m))
		return NULL;
	p = calloc(1, size ? size : 1);
	if (p)
		sim_alloc_live_add(m, 1);
	return p;
}

void *sim_kcalloc(struct sim_machine *m, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (sim_should_fail_alloc(m))
		return NULL;
	p = calloc(n ? n : 1, size ? size : 1);
	if (p)
		sim_alloc_live_add(m, 1);
	return p;
}

/* Zeroed and @align-aligned (a power of two); free with sim_kfree(). */
void *sim_kzalloc_aligned(struct sim_machine *m, size_t size, size_t align)
{
	void *p;

	if (sim_should_fail_alloc(m))
		return NULL;
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	sim_alloc_live_add(m, 1);
	return p;
}

void sim_kfree(struct sim_machine *m, void *p)
{
	if (!p)
		return;
	sim_alloc_live_add(m, -1);
	free(p);
}

/*
 * @p (from sim_k*alloc()) stays allocated but is no longer counted as
 * live: it became machine infrastructure, freed with free() by its keeper.
 */
void sim_kdisown(struct sim_machine *m, void *p)
{
	if (p)
		sim_alloc_live_add(m, -1);
}

void *sim_zalloc(struct sim_machine *m, size_t size)
{
	return m ? sim_kzalloc(m, size) : NULL;
}

void sim_free(struct sim_machine *m, void *p)
{
	if (m)
		sim_kfree(m, p);
}

void sim_fail_nth_alloc(struct sim_machine *m, unsigned long nth)
{
	atomic_store(&m->fail_triggered, false);
	atomic_store(&m->fail_at, 0);
	atomic_store(&m->fail_seq, 0);
	atomic_store(&m->fail_at, nth);
}

bool sim_fail_nth_triggered(struct sim_machine *m)
{
	return atomic_load(&m->fail_triggered);
}

unsigned long sim_alloc_count(struct sim_machine *m)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i <= SIM_MAX_THREADS; i++)
		n += atomic_load_explicit(&m->alloc_shard[i].count,
					  memory_order_relaxed);
	return n;
}

long sim_alloc_live(struct sim_machine *m)
{
	long n = 0;

	for (unsigned int i = 0; i <= SIM_MAX_THREADS; i++)
		n += atomic_load_explicit(&m->alloc_shard[i].live,
					  memory_order_relaxed);
	return n;
}

/*
 * Called by the constructing thread with no other thread on the machine
 * yet (the shards' owners write them without a lock).
 */
void sim_alloc_live_reset(struct sim_machine *m)
{
	for (unsigned int i = 0; i <= SIM_MAX_THREADS; i++)
		atomic_store(&m->alloc_shard[i].live, 0);
}

/* ------------------------------------------------------------------------ */
/* Reports                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const report_kind_name[] = {
	[SIM_REPORT_DMA_DEBUG] = "dma-debug",
	[SIM_REPORT_DMA_FAULT] = "dma-fault",
	[SIM_REPORT_IOMMU_FAULT] = "iommu-fault",
	[SIM_REPORT_WARN] = "warning",
	[SIM_REPORT_BUG] = "bug",
	[SIM_REPORT_INFO] = "info",
};

const char *sim_report_kind_name(enum sim_report_kind kind)
{
	if (kind < SIM_REPORT_DMA_DEBUG || kind > SIM_REPORT_INFO)
		return "report";
	return report_kind_name[kind];
}

static void report_va(struct sim_machine *m, enum sim_report_kind kind,
		      unsigned int flags, struct device *dev, u64 addr,
		      u64 len, const char *fmt, va_list ap)
{
	struct sim_report_log *log = &m->log;
	void (*hook)(struct sim_machine *, struct device *,
		     const struct sim_report *, unsigned int);
	struct sim_report r = {
		.kind = kind,
		.device = dev ? dev_name(dev) : "",
		.addr = addr,
		.len = len,
	};

	vsnprintf(r.text, sizeof(r.text), fmt, ap);
	/* Reports are one line each; the kernel's trailing newline goes. */
	r.text[strcspn(r.text, "\n")] = '\0';

	pthread_mutex_lock(&log->lock);
	log->by_kind[kind]++;
	if (log->echo)
		fprintf(log->echo, "[%s] %s\n", report_kind_name[kind], r.text);
	/*
	 * The log grows with plain realloc: it is diagnostic state, and
	 * failing it by injection would change what a test can observe.
	 */
	if (log->nr == log->cap && log->cap < SIM_REPORT_LOG_MAX) {
		unsigned long cap = log->cap ? log->cap * 2 : 64;
		struct sim_report *items;

		items = realloc(log->items, cap * sizeof(*items));
		if (items) {
			log->items = items;
			log->cap = cap;
		}
	}
	if (log->nr < log->cap)
		log->items[log->nr++] = r;
	else
		log->dropped++;
	hook = log->hook;
	pthread_mutex_unlock(&log->lock);
	if (hook)
		hook(m, dev, &r, flags);
}

void sim_vreport(struct sim_machine *m, enum sim_report_kind kind,
		 struct device *dev, u64 addr, u64 len, const char *fmt,
		 va_list ap)
{
	report_va(m, kind, 0, dev, addr, len, fmt, ap);
}

void sim_report_flags(struct sim_machine *m, enum sim_report_kind kind,
		      unsigned int flags, struct device *dev, u64 addr,
		      u64 len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(m, kind, flags, dev, addr, len, fmt, ap);
	va_end(ap);
}

void sim_report(struct sim_machine *m, enum sim_report_kind kind,
		struct device *dev, u64 addr, u64 len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_vreport(m, kind, dev, addr, len, fmt, ap);
	va_end(ap);
}

unsigned long sim_report_count(struct sim_machine *m)
{
	unsigned long n;

	pthread_mutex_lock(&m->log.lock);
	n = m->log.nr;
	pthread_mutex_unlock(&m->log.lock);
	return n;
}

int sim_report_get(struct sim_machine *m, unsigned long idx,
		   struct sim_report *out)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&m->log.lock);
	if (idx < m->log.nr) {
		*out = m->log.items[idx];
		ret = 0;
	}
	pthread_mutex_unlock(&m->log.lock);
	return ret;
}

unsigned long sim_report_count_kind(struct sim_machine *m,
				    enum sim_report_kind kind)
{
	unsigned long n = 0;

	if (kind < SIM_REPORT_DMA_DEBUG || kind > SIM_REPORT_INFO)
		return 0;
	pthread_mutex_lock(&m->log.lock);
	n = m->log.by_kind[kind];
	pthread_mutex_unlock(&m->log.lock);
	return n;
}

bool sim_report_find(struct sim_machine *m, enum sim_report_kind kind,
		     const char *needle)
{
	bool found = false;

	pthread_mutex_lock(&m->log.lock);
	for (unsigned long i = 0; i < m->log.nr && !found; i++)
		if ((!kind || m->log.items[i].kind == kind) &&
		    strstr(m->log.items[i].text, needle))
			found = true;
	pthread_mutex_unlock(&m->log.lock);
	return found;
}

void sim_report_dump(struct sim_machine *m, FILE *f)
{
	pthread_mutex_lock(&m->log.lock);
	for (unsigned long i = 0; i < m->log.nr; i++)
		fprintf(f, "[%s] %s\n", report_kind_name[m->log.items[i].kind],
			m->log.items[i].text);
	if (m->log.dropped)
		fprintf(f, "[info] %lu further reports not kept\n",
			m->log.dropped);
	pthread_mutex_unlock(&m->log.lock);
}

void sim_report_clear(struct sim_machine *m)
{
	pthread_mutex_lock(&m->log.lock);
	m->log.nr = 0;
	m->log.dropped = 0;
	pthread_mutex_unlock(&m->log.lock);
}

void sim_report_echo(struct sim_machine *m, FILE *f)
{
	pthread_mutex_lock(&m->log.lock);
	m->log.echo = f;
	pthread_mutex_unlock(&m->log.lock);
}

unsigned long sim_dma_debug_errors(struct sim_machine *m)
{
	return sim_report_count_kind(m, SIM_REPORT_DMA_DEBUG);
}

unsigned long sim_dma_access_errors(struct sim_machine *m)
{
	return atomic_load(&m->stats.dma_access_errors);
}

/* ------------------------------------------------------------------------ */
/* Construction and teardown                                                */
/* ------------------------------------------------------------------------ */

struct sim_machine *sim_machine_alloc(void)
{
	struct sim_machine *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->log.lock, NULL);
	pthread_mutex_init(&m->topo_lock, NULL);
	sim_threads_init(m);
	sim_timers_init(m);
	strcpy(m->name, "machine");
	strcpy(m->arch, "x86_64");
	m->coherent = true;
	m->ncpus = 4;
	m->phys_bits = 46;
	m->ram_below_4g = 2 * SZ_1G;
	m->ram_above_4g = 6 * SZ_1G;
	return m;
}

/**
 * sim_hw_destroy - take the hardware of @m apart and free @m
 * @m: a machine whose kernel has shut down (sim_kernel_shutdown())
 */
void sim_hw_destroy(struct sim_machine *m)
{
	sim_iommu_hw_destroy_all(m);
	sim_msi_fini(m);
	sim_topology_fini(m);
	sim_ram_fini(m);
	free(m->log.items);
	pthread_mutex_destroy(&m->log.lock);
	pthread_mutex_destroy(&m->topo_lock);
	sim_timers_fini(m);
	sim_current_forget(m);
	sim_threads_fini(m);
	free(m);
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */
/* ------------------------------------------------------------------------ */

const char *sim_machine_name(struct sim_machine *m)
{
	return m->name;
}

const char *sim_machine_arch(struct sim_machine *m)
{
	return m->arch;
}

bool sim_machine_is_confidential(struct sim_machine *m)
{
	return m->confidential;
}

u64 sim_ram_size(struct sim_machine *m)
{
	return m->ram.total;
}

unsigned int sim_device_count(struct sim_machine *m)
{
	return m->nr_devices;
}

struct device *sim_device_at(struct sim_machine *m, unsigned int idx)
{
	return idx < m->nr_devices ? m->devices[idx] : NULL;
}

struct device *sim_device(struct sim_machine *m, const char *id)
{
	struct sim_node *n;

	if (!m || !id)
		return NULL;
	n = sim_node_find(m, id);
	/* a VF not enabled has no pci_dev in Linux */
	if (!n || !n->fn || !sim_pci_fn_present(n->fn))
		return NULL;
	return &n->fn->pdev.dev;
}

bool sim_device_present(struct device *dev)
{
	struct sim_node *n = dev ? sim_node_of_dev(dev) : NULL;

	return n && n->fn && sim_pci_fn_present(n->fn);
}

const char *sim_device_id(struct device *dev)
{
	return dev->sim_state->id;
}

const char *sim_device_kind(struct device *dev)
{
	return dev->sim_state->node->kindname;
}

bool sim_device_is_endpoint(struct device *dev)
{
	return dev->sim_state->node->kind == SIM_NODE_ENDPOINT;
}

unsigned int sim_device_dma_bits(struct device *dev)
{
	return dev->sim_state->node->dma_bits;
}

