/* SPDX-License-Identifier: MIT */
/*
 * CPU masks (include/linux/cpumask.h), for the calls that take one. The
 * machine's CPUs are the platform's cpus= (at most 64 here); a thread is
 * not bound to one, so affinity (kthread_bind_mask(), set_cpus_allowed)
 * is accepted and changes nothing.
 */
#ifndef _DMASTACK_LINUX_CPUMASK_H
#define _DMASTACK_LINUX_CPUMASK_H

#include "types.h"
#include "bits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NR_CPUS		64

struct cpumask {
	unsigned long bits[1];
};
typedef struct cpumask cpumask_t;

/* The CPUs of the current machine (1 without one). */
unsigned int num_online_cpus(void);
#define num_possible_cpus()	num_online_cpus()
#define num_present_cpus()	num_online_cpus()
#define nr_cpu_ids		num_online_cpus()

/* Every CPU of the machine: one NUMA node holds them all. */
static inline const struct cpumask *cpumask_of_node(int node)
{
	static const struct cpumask all = { { ~0UL } };

	(void)node;
	return &all;
}

static inline bool cpumask_test_cpu(int cpu, const struct cpumask *mask)
{
	return cpu >= 0 && cpu < NR_CPUS && (mask->bits[0] & BIT(cpu));
}

static inline void cpumask_set_cpu(unsigned int cpu, struct cpumask *mask)
{
	if (cpu < NR_CPUS)
		mask->bits[0] |= BIT(cpu);
}

static inline void cpumask_clear(struct cpumask *mask)
{
	mask->bits[0] = 0;
}

static inline unsigned int cpumask_weight(const struct cpumask *mask)
{
	unsigned long n = num_online_cpus();

	return (unsigned int)__builtin_popcountl(mask->bits[0] &
						 (n >= 64 ? ~0UL : BIT(n) - 1));
}

#define cpu_online(cpu)		((unsigned int)(cpu) < num_online_cpus())
#define for_each_online_cpu(cpu)					\
	for ((cpu) = 0; (unsigned int)(cpu) < num_online_cpus(); (cpu)++)
#define for_each_possible_cpu(cpu)	for_each_online_cpu(cpu)

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_CPUMASK_H */
