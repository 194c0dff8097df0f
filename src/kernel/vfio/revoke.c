// SPDX-License-Identifier: MIT
/*
 * The revoked-MMIO registry: MMIO that a dma-buf exporter (VFIO) revoked.
 *
 * Revocation is a software promise that no importer will touch the range
 * again; the BAR itself keeps decoding. The registry is a bus observer
 * (src/hw/bus.h): a device access overlapping a revoked range is reported
 * once per access as a DMA fault naming the exporter, and then goes
 * wherever the hardware sends it: a BAR that decodes answers (the report
 * says the access completed), one that does not fails as any other, and
 * the router's failure report carries the registry's note.
 */
#include <string.h>
#include "internal.h"

/* One revoked range, [start, end] inclusive, and who revoked it. */
struct revoked_range {
	phys_addr_t start, end;
	char who[64];
};

/*
 * Sorted, disjoint ranges, adjacent ranges of one exporter merged. @nr is
 * read without the lock on every device access to a BAR (zero: nothing to
 * look up); everything else is under @lock.
 */
struct mmio_revoke {
	struct sim_bus_observer obs;
	struct sim_machine *m;
	sim_spinlock_t lock;
	_Atomic unsigned int nr;
	unsigned int cap;
	struct revoked_range *r;
};

static bool revoked_overlaps(const struct revoked_range *r,
			     phys_addr_t start, phys_addr_t end)
{
	return r->start <= end && start <= r->end;
}

/*
 * Copy the first revoked range overlapping [@cpu, @cpu + @len) to @out.
 * Offered every TLP that lands in a BAR: with no range registered it
 * is one relaxed load (the count is only a hint; the ranges themselves
 * are read under the lock, so a range revoked concurrently is seen by
 * this access or the next one, as on hardware with a racing driver).
 */
static bool revoked_lookup(struct mmio_revoke *reg, phys_addr_t cpu,
			   size_t len, struct revoked_range *out)
{
	phys_addr_t end = cpu + len - 1;
	bool found = false;
	unsigned int lo, hi;

	if (likely(!atomic_load_explicit(&reg->nr, memory_order_relaxed)))
		return false;
	sim_spin_lock(&reg->lock);
	/* First range ending at or after @cpu: sorted and disjoint. */
	lo = 0;
	hi = atomic_load_explicit(&reg->nr, memory_order_relaxed);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (reg->r[mid].end < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < atomic_load_explicit(&reg->nr, memory_order_relaxed) &&
	    revoked_overlaps(&reg->r[lo], cpu, end)) {
		*out = reg->r[lo];
		found = true;
	}
	sim_spin_unlock(&reg->lock);
	return found;
}

static void revoked_push(struct revoked_range *v, unsigned int *n,
			 phys_addr_t start, phys_addr_t end, const char *who)
{
	struct revoked_range *r = &v[(*n)++];

	r->start = start;
	r->end = end;
	snprintf(r->who, sizeof(r->who), "%s", who);
}

/**
 * sim_mmio_set_revoked - record or forget MMIO that a dma-buf export revoked
 * @m:       the machine
 * @cpu:     CPU physical address of the range (inside a BAR, normally)
 * @len:     its length in bytes
 * @revoked: true: the exporter revoked it; false: it is usable again
 * @who:     the exporter, named in reports (copied; may be NULL)
 *
 * Revoking a range takes it over from any range it overlaps (the newer
 * exporter is the one named) and merges it with adjacent ranges of the
 * same exporter; restoring removes exactly [@cpu, @cpu + @len), splitting
 * what it cuts. A device access overlapping a recorded range is reported
 * by the registry's bus observer; whether it completes is still up to the
 * BAR. The registry lock is a spinlock taken here and by the observer,
 * never held across anything else. On error the registry is unchanged.
 *
 * Return: 0, -EINVAL for an empty range or one that wraps, -ENOMEM.
 */
int sim_mmio_set_revoked(struct sim_machine *m, phys_addr_t cpu, u64 len,
			 bool revoked, const char *who)
{
	struct revoked_range *v = NULL, *old;
	struct mmio_revoke *reg;
	phys_addr_t end;
	unsigned int nr, n = 0, k, alloc;
	bool touches = false;

	if (!m || !m->kernel->revoke || !len || cpu + len - 1 < cpu)
		return -EINVAL;
	if (!who)
		who = "(unnamed exporter)";
	reg = m->kernel->revoke;
	end = cpu + len - 1;

	sim_spin_lock(&reg->lock);
	nr = atomic_load_explicit(&reg->nr, memory_order_relaxed);
	for (k = 0; k < nr && !touches; k++)
		touches = revoked_overlaps(&reg->r[k], cpu, end);
	/* Restoring what was never revoked: nothing to do, nothing to fail. */
	if (!revoked && !touches) {
		sim_spin_unlock(&reg->lock);
		return 0;
	}
	/*
	 * A new array each time: the cut can split one range in two and the
	 * new range adds one. Readers copy under the same lock, so the old
	 * array can go as soon as the lock is dropped.
	 */
	alloc = nr + 2;
	v = sim_kcalloc(m, alloc, sizeof(*v));
	if (!v) {
		sim_spin_unlock(&reg->lock);
		return -ENOMEM;
	}
	for (k = 0; k < nr; k++) {
		const struct revoked_range *r = &reg->r[k];

		if (r->end < cpu)
			revoked_push(v, &n, r->start, r->end, r->who);
		else if (r->start < cpu)
			revoked_push(v, &n, r->start, cpu - 1, r->who);
	}
	if (revoked)
		revoked_push(v, &n, cpu, end, who);
	for (k = 0; k < nr; k++) {
		const struct revoked_range *r = &reg->r[k];

		if (r->start > end)
			revoked_push(v, &n, r->start, r->end, r->who);
		else if (r->end > end)
			revoked_push(v, &n, end + 1, r->end, r->who);
	}
	/* Merge neighbours of one exporter (end + 1 cannot wrap: a range
	 * follows). */
	for (k = 1, nr = n ? 1 : 0; k < n; k++) {
		struct revoked_range *prev = &v[nr - 1];

		if (prev->end + 1 == v[k].start && !strcmp(prev->who, v[k].who))
			prev->end = v[k].end;
		else
			v[nr++] = v[k];
	}
	if (!nr) {
		sim_kfree(m, v);
		v = NULL;
	}
	old = reg->r;
	reg->r = v;
	reg->cap = v ? alloc : 0;
	atomic_store_explicit(&reg->nr, nr, memory_order_relaxed);
	sim_spin_unlock(&reg->lock);
	sim_kfree(m, old);
	return 0;
}

/* The bus observer: a TLP reaching a BAR. */
static bool revoke_bus_access(struct sim_bus_observer *o,
			      const struct sim_bus_access *a, bool spoke)
{
	struct mmio_revoke *reg = container_of(o, struct mmio_revoke, obs);
	struct device *dev = a->txn->dev;
	struct revoked_range rr;
	char note[200];

	if (spoke || a->target != SIM_BUS_BAR ||
	    !revoked_lookup(reg, a->phys, a->len, &rr))
		return false;
	snprintf(note, sizeof(note),
		 "MMIO %#llx-%#llx was revoked by dma-buf exporter %s",
		 (unsigned long long)rr.start, (unsigned long long)rr.end,
		 rr.who);
	/* The BAR does not answer: the router's failure report says it. */
	if (!a->decodes) {
		snprintf(a->note, a->note_len, "%s", note);
		return true;
	}
	/*
	 * Revocation is software: the BAR still answers, so the access
	 * completes, and the importer that made it is reported.
	 */
	atomic_fetch_add(&reg->m->stats.dma_access_errors, 1);
	sim_report(reg->m, SIM_REPORT_DMA_FAULT, dev, a->addr, a->len,
		   "%s %s (%s): DMA %s %#llx+%zu reaches revoked MMIO: %s (%s bar%d at CPU %#llx, %s); the BAR still decodes, so the access completes",
		   dev_driver_string(dev), dev_name(dev), sim_device_id(dev),
		   a->txn->write ? "write to" : "read from",
		   (unsigned long long)a->addr, a->len, note,
		   sim_device_id(a->owner), a->bar,
		   (unsigned long long)a->phys, a->path);
	return true;
}

static const struct sim_bus_observer_ops revoke_observer_ops = {
	.access = revoke_bus_access,
};

/**
 * mmio_revoke_init_machine - create @m's registry and observe its bus
 * @m: the machine, booting
 * Return: 0 or -ENOMEM / the observer list's error; nothing is left behind
 * on error.
 */
int mmio_revoke_init_machine(struct sim_machine *m)
{
	struct mmio_revoke *reg = sim_kzalloc(m, sizeof(*reg));
	int ret;

	if (!reg)
		return -ENOMEM;
	reg->m = m;
	reg->obs.ops = &revoke_observer_ops;
	reg->obs.group = SIM_BUS_GROUP_REVOKE;
	sim_spin_lock_init(&reg->lock);
	ret = sim_bus_observer_add(m, &reg->obs);
	if (ret) {
		sim_kfree(m, reg);
		return ret;
	}
	m->kernel->revoke = reg;
	return 0;
}

/**
 * mmio_revoke_exit_machine - forget every revoked range of @m
 * @m: the machine, being torn down (no device accesses any more)
 */
void mmio_revoke_exit_machine(struct sim_machine *m)
{
	struct mmio_revoke *reg = m->kernel->revoke;

	if (!reg)
		return;
	sim_bus_observer_del(m, &reg->obs);
	sim_kfree(m, reg->r);
	sim_kfree(m, reg);
	m->kernel->revoke = NULL;
}

/* What the registry holds, for tests: the number of ranges. */
unsigned int mmio_revoke_count(struct sim_machine *m)
{
	return m->kernel->revoke ? atomic_load(&m->kernel->revoke->nr) : 0;
}

/*
 * Range @idx (sorted) into @start/@end (inclusive) and @who (@wholen
 * bytes): 0, or -ENOENT past the end. Takes the registry lock.
 */
int mmio_revoke_range(struct sim_machine *m, unsigned int idx,
		      phys_addr_t *start, phys_addr_t *end, char *who,
		      size_t wholen)
{
	struct mmio_revoke *reg = m->kernel->revoke;
	int ret = -ENOENT;

	if (!reg)
		return ret;
	sim_spin_lock(&reg->lock);
	if (idx < atomic_load_explicit(&reg->nr, memory_order_relaxed)) {
		*start = reg->r[idx].start;
		*end = reg->r[idx].end;
		snprintf(who, wholen, "%s", reg->r[idx].who);
		ret = 0;
	}
	sim_spin_unlock(&reg->lock);
	return ret;
}
