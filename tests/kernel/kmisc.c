// SPDX-License-Identifier: MIT
/*
 * A kernel-style user of the small headers: machine time through ktime
 * and delays, the math64 helpers, temporary page mappings, init
 * annotations.
 */
#include <linux/init.h>
#include <linux/types.h>
#include <linux/ktime.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sizes.h>
#include <linux/bits.h>
#include <linux/bitfield.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/limits.h>
#include <linux/unaligned.h>
#include <linux/iopoll.h>
#include <linux/dma-direction.h>
#include <linux/export.h>
#include <linux/moduleparam.h>
#include <linux/pci_ids.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/cpumask.h>
#include <linux/int_sqrt.h>
#include <linux/mm.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include "kmod.h"

static int __init kmisc_time(void)
{
	ktime_t t0 = ktime_get(), t1;

	msleep(3);
	udelay(250);
	t1 = ktime_get();
	if (ktime_us_delta(t1, t0) != 3250 || ktime_ms_delta(t1, t0) != 3 ||
	    !ktime_after(t1, t0) || ktime_compare(t0, t1) != -1 ||
	    ktime_get_ns() != (u64)ktime_to_ns(t1) ||
	    ktime_add_us(t0, 3250) != t1)
		return 1;
	return 0;
}

static int kmisc_math(void)
{
	u32 rem;

	if (div_u64(10000000000ULL, 3) != 3333333333ULL ||
	    div_u64_rem(10, 4, &rem) != 2 || rem != 2 ||
	    div_s64(-9, 2) != -4 || div64_u64(1ULL << 40, 1ULL << 20) != 1ULL << 20 ||
	    mul_u64_u32_div(1ULL << 62, 8, 16) != 1ULL << 61 ||
	    DIV64_U64_ROUND_UP(10, 4) != 3)
		return 1;
	return 0;
}

static int kmisc_highmem(void)
{
	struct page *page = alloc_page(GFP_KERNEL);
	char buf[8] = "kmapped";
	pgoff_t index = 3;
	char *p;
	int ret = 0;

	if (!page)
		return 1;
	memcpy_to_page(page, 100, buf, sizeof(buf));
	p = kmap_local_page(page);
	if (memcmp(p + 100, "kmapped", 8))
		ret = 2;
	kunmap_local(p);
	memzero_page(page, 100, 4);
	memcpy_from_page(buf, page, 100, sizeof(buf));
	if (buf[0] || buf[3] || buf[4] != 'p')
		ret = 3;
	clear_highpage(page);
	if (((char *)kmap(page))[104])
		ret = 4;
	kunmap(page);
	__free_page(page);
	return ret ? ret : (int)(index - 3);
}

/* The calling thread's task: stable, named, not a kthread, with a pid. */
static int kmisc_current(void)
{
	char comm[TASK_COMM_LEN];
	char small[4];

	if (current != current || current->pid <= 0 ||
	    task_pid_nr(current) != current->tgid ||
	    (current->flags & PF_KTHREAD))
		return 1;
	if (strcmp(get_task_comm(comm, current), current->comm) ||
	    strlen(comm) < 4 || strncmp(get_task_comm(small, current), comm, 3) ||
	    small[3])
		return 2;
	if (strscpy(small, "abc", sizeof(small)) != 3 ||
	    strscpy(small, "abcd", sizeof(small)) != -E2BIG || strcmp(small, "abc"))
		return 3;
	return 0;
}

static int kmisc_param = 3;
module_param(kmisc_param, int, 0444);
MODULE_PARM_DESC(kmisc_param, "accepted, not settable");

struct kmisc_flex {
	u32 n;
	u16 a, b;
	u64 items[];
};

#define REG_MODE	GENMASK(7, 4)
#define REG_EN		BIT(0)

/* The small headers nearly every driver includes. */
static int kmisc_small_headers(void)
{
	u8 buf[11] = { 0 };
	u32 reg = FIELD_PREP(REG_MODE, 0xa) | REG_EN;
	size_t bytes;

	if (reg != 0xa1 || FIELD_GET(REG_MODE, reg) != 0xa ||
	    FIELD_MAX(REG_MODE) != 0xf || !FIELD_FIT(REG_MODE, 0xf) ||
	    FIELD_FIT(REG_MODE, 0x10) || u32_get_bits(reg, REG_MODE) != 0xa ||
	    u32_replace_bits(reg, 3, REG_MODE) != 0x31 ||
	    GENMASK_ULL(63, 62) != 0xc000000000000000ULL || BIT_ULL(40) != SZ_1T)
		return 1;
	if (ilog2(SZ_4K) != 12 || ilog2(4097u) != 12 || ilog2(1ULL << 40) != 40 ||
	    roundup_pow_of_two(4097) != SZ_8K || rounddown_pow_of_two(4097) != SZ_4K ||
	    !is_power_of_2(SZ_2M) || is_power_of_2(0) || is_power_of_2(6) ||
	    order_base_2(5) != 3 || order_base_2(1) != 0)
		return 2;
	if (struct_size((struct kmisc_flex *)NULL, items, 4) != sizeof(struct kmisc_flex) + 32 ||
	    struct_size((struct kmisc_flex *)NULL, items, SIZE_MAX / 4) != SIZE_MAX ||
	    !check_mul_overflow((size_t)SIZE_MAX, (size_t)2, &bytes) ||
	    check_add_overflow((u32)1, (u32)2, (u32 *)&reg) || reg != 3 ||
	    size_sub(1, 2) != SIZE_MAX)
		return 3;
	if (offsetofend(struct kmisc_flex, a) != 6 ||
	    sizeof_field(struct kmisc_flex, b) != 2 || U16_MAX != 0xffff ||
	    S32_MIN != -2147483647 - 1 || EPROBE_DEFER != 517 || ENOTSUPP != 524 ||
	    !valid_dma_direction(DMA_FROM_DEVICE) || valid_dma_direction(DMA_NONE) ||
	    kmisc_param != 3 || PCI_VENDOR_ID_MELLANOX != 0x15b3 ||
	    PCI_CLASS_STORAGE_EXPRESS >> 8 != 0x0108)
		return 4;
	put_unaligned_le32(0x11223344, buf + 1);
	put_unaligned_be64(0x0102030405060708ULL, buf + 3);
	if (buf[1] != 0x44 || buf[3] != 0x01 || buf[10] != 0x08 ||
	    get_unaligned_le32(buf + 1) != 0x02013344 ||
	    get_unaligned_be64(buf + 3) != 0x0102030405060708ULL ||
	    be32_to_cpu(cpu_to_be32(0xdeadbeef)) != 0xdeadbeef ||
	    le16_to_cpu(cpu_to_le16(0x1234)) != 0x1234 || swab32(0x11223344) != 0x44332211)
		return 5;
	return 0;
}

static u64 kmisc_now_us(int unused)
{
	return ktime_get_ns() / 1000;
}

/* Polls on machine time: met after 500 us, or timed out after 1 ms. */
static int kmisc_poll(void)
{
	u64 t0 = ktime_get_ns() / 1000, v;
	int ret;

	ret = read_poll_timeout(kmisc_now_us, v, v >= t0 + 500, 10, 1000, false, 0);
	if (ret || v < t0 + 500 || v > t0 + 520)
		return 1;
	t0 = ktime_get_ns() / 1000;
	ret = read_poll_timeout(kmisc_now_us, v, v == 0, 10, 1000, true, 0);
	if (ret != -ETIMEDOUT || kmisc_now_us(0) < t0 + 1000)
		return 2;
	ret = read_poll_timeout_atomic(kmisc_now_us, v, v >= t0 + 5000, 2, 0, false, 0);
	if (ret || v < t0 + 5000)
		return 3;
	return 0;
}

struct kmisc_thread_data {
	atomic64_t v;
	struct completion started;
};

static int kmisc_thread(void *data)
{
	struct kmisc_thread_data *d = data;

	atomic64_add(40, &d->v);
	complete(&d->started);
	while (!kthread_should_stop())
		msleep_interruptible(1);
	return 7;
}

/*
 * A kthread's task outlives kthread_stop() while a reference is held;
 * exact page allocations; the small numeric helpers.
 */
static int kmisc_task_pages(void)
{
	struct kmisc_thread_data d = { .v = ATOMIC64_INIT(2) };
	struct task_struct *t;
	char *p;
	int ret;

	init_completion(&d.started);
	t = kthread_create(kmisc_thread, &d, "kmisc-%d", 1);
	if (IS_ERR(t))
		return 1;
	get_task_struct(t);
	kthread_bind_mask(t, cpumask_of_node(0));
	wake_up_process(t);
	wait_for_completion(&d.started);
	ret = kthread_stop(t);
	/* the task is still there to read until the put */
	if (ret != 7 || strcmp(t->comm, "kmisc-1") || atomic64_read(&d.v) != 42)
		return 2;
	put_task_struct(t);
	/* stopped before it ever ran: -EINTR, and the put frees it */
	t = kthread_create(kmisc_thread, &d, "kmisc-put");
	if (IS_ERR(t))
		return 3;
	get_task_struct(t);
	if (kthread_stop_put(t) != -EINTR || atomic64_read(&d.v) != 42)
		return 4;

	p = alloc_pages_exact(5 * PAGE_SIZE + 1, GFP_KERNEL | __GFP_ZERO);
	if (!p || p[6 * PAGE_SIZE - 1] || virt_to_phys(p) & (PAGE_SIZE - 1))
		return 5;
	/* a page of it is freed alone; the rest later */
	__free_pages(virt_to_page(p + 5 * PAGE_SIZE), 0);
	free_pages_exact(p, 5 * PAGE_SIZE);
	if (alloc_pages_exact(0, GFP_KERNEL))
		return 6;
	if (int_sqrt64(99) != 9 || int_sqrt64(1ULL << 62) != 1ULL << 31 ||
	    int_sqrt(0) != 0 || div64_ul(10, 3) != 3 ||
	    !cpumask_test_cpu(0, cpumask_of_node(0)) || num_online_cpus() < 1 ||
	    !node_possible(0) || node_possible(1) || MAX_NUMNODES != 1)
		return 7;
	return 0;
}

int kmisc_selftest(void)
{
	int ret;

	if ((ret = kmisc_time()))
		return 10 + ret;
	if ((ret = kmisc_math()))
		return 20 + ret;
	if ((ret = kmisc_highmem()))
		return 30 + ret;
	if ((ret = kmisc_current()))
		return 40 + ret;
	if ((ret = kmisc_small_headers()))
		return 50 + ret;
	if ((ret = kmisc_poll()))
		return 60 + ret;
	if ((ret = kmisc_task_pages()))
		return 70 + ret;
	return 0;
}
