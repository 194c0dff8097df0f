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
	return 0;
}
