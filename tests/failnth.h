/* SPDX-License-Identifier: MIT */
/*
 * The one fail-Nth driver of the suites.
 *
 * A scenario is a callback that runs something end to end and undoes it:
 * 0 when it completed, nonzero (an errno, or the step it reached) when an
 * allocation failed on the way. The driver runs it clean once to warm up
 * (caches, root tables) and once more to count its allocations
 * (sim_alloc_count), then for N = 1, 2, ... makes the Nth allocation fail
 * and runs it again, until a run in which no failure was delivered. After
 * every run, once the scenario's own checks are done, comes the one
 * baseline check, failnth_check(): nothing left mapped
 * (dma-debug entries), the machine's live allocations and RAM pages as at
 * the baseline, no BUG report.
 *
 * The scenario runs on one machine (failnth.m), or on a fresh one per run
 * when it has a machine() callback; then the baseline is the fresh machine
 * plus what a clean run leaves on it, and release() may look at the
 * machine a last time before it is destroyed.
 */
#ifndef DMASTACK_TEST_FAILNTH_H
#define DMASTACK_TEST_FAILNTH_H

#include "helpers.h"

/* A baseline: what the machine holds when the scenario is not running. */
struct failnth_base {
	long live;		/* sim_alloc_live */
	unsigned long pages;	/* sim_ram_pages_allocated */
	unsigned long entries;	/* sim_dma_debug_entries, all devices */
	unsigned long bugs;	/* BUG reports */
	/* fresh machines: what a clean run leaves (state kept until destroy) */
	long live_left;
	unsigned long pages_left;
};

static inline void failnth_base_take(struct sim_machine *m,
				     struct failnth_base *b)
{
	b->live = sim_alloc_live(m);
	b->pages = sim_ram_pages_allocated(m);
	b->entries = sim_dma_debug_entries(m, NULL);
	b->bugs = sim_report_count_kind(m, SIM_REPORT_BUG);
}

/*
 * The check after each run (@n: the allocation that was failed, 0 for a
 * clean run; @ret: what the run returned). With @may_shrink, memory the
 * layers cache (IOVA magazines) may have been dropped on a failure: the
 * baseline may go down, never up, and is moved down with it.
 */
static inline void failnth_check(struct sim_machine *m, struct failnth_base *b,
				 bool may_shrink, const char *what,
				 unsigned long n, int ret)
{
	long live = sim_alloc_live(m);
	unsigned long pages = sim_ram_pages_allocated(m);

	if (sim_dma_debug_entries(m, NULL) != b->entries) {
		sim_dma_debug_dump(m, NULL, stderr);
		fail_msg("%s fail-nth %lu (ret %d): %lu dma-debug entries, %lu before",
			 what, n, ret, sim_dma_debug_entries(m, NULL),
			 b->entries);
	}
	if (sim_report_count_kind(m, SIM_REPORT_BUG) != b->bugs) {
		sim_report_dump(m, stderr);
		fail_msg("%s fail-nth %lu (ret %d): BUG reported", what, n, ret);
	}
	if (live != b->live && !(may_shrink && live < b->live))
		fail_msg("%s fail-nth %lu (ret %d): %ld live allocations, %ld before",
			 what, n, ret, live, b->live);
	if (pages != b->pages && !(may_shrink && pages < b->pages))
		fail_msg("%s fail-nth %lu (ret %d): %lu RAM pages, %lu before",
			 what, n, ret, pages, b->pages);
	b->live = live;
	b->pages = pages;
}

/* failnth.flags */
/* caches may drop memory on a failure (see failnth_check) */
#define FAILNTH_MAY_SHRINK	(1u << 0)
/*
 * The scenario keeps what a successful run made (a map that stays mapped):
 * no clean runs first, the sweep ends at the first run that completes,
 * each failed run checked against the state just before it.
 */
#define FAILNTH_UNTIL_DONE	(1u << 1)

struct failnth {
	const char *name;		/* for messages */
	struct sim_machine *m;		/* the machine (set by machine()) */
	void *ctx;			/* the scenario's state */
	/* A fresh machine for each run (optional): make it, set up @ctx. */
	struct sim_machine *(*machine)(void *ctx);
	/* Tear down what machine() set up in @ctx (optional). */
	void (*release)(void *ctx);
	/* One run of the scenario: 0 if it completed, nonzero if it failed. */
	int (*run)(void *ctx);
	/* After each run, before the checks (drain a flush queue...). */
	void (*settle)(void *ctx);
	/* The scenario's own checks after each run (optional). */
	void (*check)(void *ctx, unsigned long n, int ret);
	unsigned int flags;
	unsigned long max;		/* runs at most (default 20000) */

	/* results */
	unsigned long count;		/* allocations of a clean run */
	unsigned long runs;		/* runs with a failure armed */
	unsigned long failed;		/* runs that returned nonzero */
};

/* Before a run: a fresh machine and its baseline, if the scenario has one. */
static inline void failnth_begin(struct failnth *fn, struct failnth_base *b)
{
	if (!fn->machine)
		return;
	fn->m = fn->machine(fn->ctx);
	assert_non_null(fn->m);
	failnth_base_take(fn->m, b);
	b->live += b->live_left;
	b->pages += b->pages_left;
}

/*
 * After a run: settle, the scenario's own checks (which may drop caches,
 * as an allocation of the whole IOVA space does), then the baseline: taken
 * by the warm-up (@take), compared after every other run.
 */
enum failnth_after { FAILNTH_TAKE, FAILNTH_COMPARE, FAILNTH_KEEP };

static inline void failnth_end(struct failnth *fn, struct failnth_base *b,
			       unsigned long n, int ret,
			       enum failnth_after after)
{
	bool take = after == FAILNTH_TAKE;

	if (fn->settle)
		fn->settle(fn->ctx);
	if (fn->check)
		fn->check(fn->ctx, n, ret);
	if (take && fn->machine) {
		b->live_left = sim_alloc_live(fn->m) - b->live;
		b->pages_left = sim_ram_pages_allocated(fn->m) - b->pages;
	} else if (take) {
		failnth_base_take(fn->m, b);
	} else if (after == FAILNTH_COMPARE) {
		failnth_check(fn->m, b, fn->flags & FAILNTH_MAY_SHRINK,
			      fn->name, n, ret);
	}
	if (fn->machine) {
		if (fn->release)
			fn->release(fn->ctx);
		sim_machine_destroy(fn->m);
		fn->m = NULL;
	}
}

/*
 * One clean run: it must complete. The warm-up (caches, root tables) takes
 * the baseline on a reused machine, or what a run leaves on a fresh one;
 * the next one counts allocations.
 */
static inline void failnth_clean_run(struct failnth *fn,
				     struct failnth_base *b, bool warm_up)
{
	unsigned long before;
	int ret;

	failnth_begin(fn, b);
	before = sim_alloc_count(fn->m);
	ret = fn->run(fn->ctx);
	if (ret)
		fail_msg("%s: a run without failures returned %d", fn->name,
			 ret);
	fn->count = sim_alloc_count(fn->m) - before;
	failnth_end(fn, b, 0, ret, warm_up ? FAILNTH_TAKE : FAILNTH_COMPARE);
}

/* Sweep N over every allocation of the scenario; see the top of the file. */
static inline void failnth_sweep(struct failnth *fn)
{
	const unsigned long max = fn->max ? fn->max : 20000;
	const bool until_done = fn->flags & FAILNTH_UNTIL_DONE;
	struct failnth_base b = { 0 };
	unsigned long n;

	assert_true(fn->machine || fn->m);
	fn->runs = fn->failed = fn->count = 0;
	if (!until_done) {
		failnth_clean_run(fn, &b, true);
		failnth_clean_run(fn, &b, false);
	}
	for (n = 1; n < max; n++) {
		bool triggered;
		int ret;

		failnth_begin(fn, &b);
		if (until_done && !fn->machine)
			failnth_base_take(fn->m, &b);
		sim_fail_nth_alloc(fn->m, n);
		ret = fn->run(fn->ctx);
		triggered = sim_fail_nth_triggered(fn->m);
		sim_fail_nth_alloc(fn->m, 0);
		fn->runs++;
		if (ret)
			fn->failed++;
		if (ret && !triggered)
			fail_msg("%s fail-nth %lu: failed (%d) with no failure injected",
				 fn->name, n, ret);
		/* up to the count, a run makes the clean run's allocations */
		if (!triggered && n <= fn->count)
			fail_msg("%s fail-nth %lu: not reached, a clean run makes %lu allocations",
				 fn->name, n, fn->count);
		failnth_end(fn, &b, n, ret, until_done && !triggered ?
			    FAILNTH_KEEP : FAILNTH_COMPARE);
		if (!triggered)
			break;
	}
	if (n >= max)
		fail_msg("%s: still failing after %lu runs", fn->name, n);
}

/*
 * A sweep of a scenario on @dev whose run ends at a step (@done when it
 * completed), counting the runs by the step they ended at; with @iova,
 * @dev's IOVA space is narrowed and checked free after every run.
 */
struct failnth_steps {
	struct sim_machine *m;
	struct device *dev;
	bool iova;
	int (*step)(struct failnth_steps *w);	/* one run: where it ended */
	void (*settle)(struct failnth_steps *w);	/* optional */
	int done;
	void *arg;				/* the scenario's own */
	unsigned long results[8];		/* runs, by the step they end at */
};

static inline int failnth_steps_run(void *ctx)
{
	struct failnth_steps *w = ctx;
	int res = w->step(w);

	assert_true(res >= 0 && res <= w->done && res < 8);
	w->results[res]++;
	return res == w->done ? 0 : res + 1;
}

static inline void failnth_steps_settle(void *ctx)
{
	struct failnth_steps *w = ctx;

	if (w->settle)
		w->settle(w);
}

/* The IOVA check itself moves the caches: it comes before the baseline. */
static inline void failnth_steps_check(void *ctx, unsigned long n, int ret)
{
	struct failnth_steps *w = ctx;

	if (w->iova)
		check_iova_space_free(w->dev);
}

static inline void failnth_steps_sweep(struct failnth_steps *w)
{
	struct failnth fn = {
		.name = dev_name(w->dev), .m = w->m, .ctx = w,
		.run = failnth_steps_run, .settle = failnth_steps_settle,
		.check = failnth_steps_check,
	};

	if (w->iova)
		assert_int_equal(dma_set_mask(w->dev, SWEEP_IOVA_MASK), 0);
	failnth_sweep(&fn);
	if (w->iova)
		assert_int_equal(dma_set_mask(w->dev, DMA_BIT_MASK(64)), 0);
}

#endif
