/* SPDX-License-Identifier: MIT */
/*
 * What every layer of libdmastack uses: the kernel's small helpers
 * (<linux/kernel.h>: ARRAY_SIZE, min/max, ALIGN, container_of), a short
 * inline spinlock, allocation through the machine's fault-injection hook,
 * and reports.
 * Nothing here is installed.
 */
#ifndef _DMASTACK_LIB_LIB_H
#define _DMASTACK_LIB_LIB_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <dmastack/dmastack.h>

struct sim_machine;

/*
 * The kernel's helpers are the public <linux/kernel.h>'s (min/max/clamp,
 * ARRAY_SIZE, ALIGN, DIV_ROUND_UP, container_of, likely, min_not_zero...):
 * one definition for the library and the kernel code it runs.
 */
#include <dmastack/linux/kernel.h>

/* ---------------------------------------------------------- reports --- */
struct sim_report_log {
	pthread_mutex_t lock;
	struct sim_report *items;
	unsigned long nr, cap, dropped;
	unsigned long by_kind[SIM_REPORT_INFO + 1];
	FILE *echo;
	/*
	 * Offered every report after it is logged, outside the lock: what
	 * the kernel registered (its trace, src/kernel/dma/trace.c), so the
	 * hardware's reports reach it without naming it. NULL: none.
	 */
	void (*hook)(struct sim_machine *m, struct device *dev,
		     const struct sim_report *r, unsigned int flags);
};

/* sim_report_flags() @flags: what the hook may want beyond the text */
#define SIM_REPORT_F_WRITE	0x1	/* an IOMMU fault on a device write */

#define SIM_REPORT_LOG_MAX	100000

void sim_report(struct sim_machine *m, enum sim_report_kind kind,
		struct device *dev, u64 addr, u64 len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void sim_report_flags(struct sim_machine *m, enum sim_report_kind kind,
		      unsigned int flags, struct device *dev, u64 addr,
		      u64 len, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* "dma-debug", "iommu-fault", ... as reports print their kind */
const char *sim_report_kind_name(enum sim_report_kind kind);
void sim_vreport(struct sim_machine *m, enum sim_report_kind kind,
		 struct device *dev, u64 addr, u64 len, const char *fmt,
		 va_list ap);

#define sim_dev_warn(dev, fmt, ...) \
	sim_report((dev)->sim, SIM_REPORT_WARN, (dev), 0, 0, fmt, ##__VA_ARGS__)
/* WARN_ON_ONCE analogue: reported every time, counted as a warning. */
#define SIM_WARN(m, dev, fmt, ...) \
	sim_report((m), SIM_REPORT_WARN, (dev), 0, 0, fmt, ##__VA_ARGS__)
/* BUG_ON analogue: the caller refuses the operation after reporting. */
#define SIM_BUG(m, dev, fmt, ...) \
	sim_report((m), SIM_REPORT_BUG, (dev), 0, 0, "kernel BUG: " fmt, \
		   ##__VA_ARGS__)


/*
 * A short spinlock, inline: uncontended it is one exchange and one store
 * (no call into libc). Spinners yield after a while, since a holder may
 * be preempted on a machine with fewer CPUs than threads.
 */
typedef struct {
	_Atomic int locked;
} sim_spinlock_t;

static inline void sim_spin_lock_init(sim_spinlock_t *l)
{
	atomic_init(&l->locked, 0);
}

static inline void sim_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

static inline void sim_spin_lock(sim_spinlock_t *l)
{
	unsigned int spins = 0;

	while (atomic_exchange_explicit(&l->locked, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			if (++spins >= 256) {
				sched_yield();
				spins = 0;
			} else {
				sim_cpu_relax();
			}
		}
	}
}

static inline void sim_spin_unlock(sim_spinlock_t *l)
{
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}


/* Allocation through the fault-injection hook. */
void *sim_kzalloc(struct sim_machine *m, size_t size);
void *sim_kzalloc_aligned(struct sim_machine *m, size_t size, size_t align);
void *sim_kmalloc(struct sim_machine *m, size_t size);
void *sim_kcalloc(struct sim_machine *m, size_t n, size_t size);
void sim_kfree(struct sim_machine *m, void *p);
/* Keep @p but stop counting it as live (the keeper free()s it). */
void sim_kdisown(struct sim_machine *m, void *p);
bool sim_should_fail_alloc(struct sim_machine *m);

#endif /* _DMASTACK_LIB_LIB_H */
