/* SPDX-License-Identifier: MIT */
/*
 * What the workloads of src/cli/workloads/ share: formatted output through
 * their struct cli_out, mappings that are recorded as they are made, and
 * reproducible data.
 */
#ifndef _DMASTACK_CLI_WL_H
#define _DMASTACK_CLI_WL_H

#include <string.h>
#include "../cli.h"

void wl_say(const struct cli_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A check; @id its stable name within the workload ([a-z0-9_]+: the JSON's
 * "id" is the workload's id, a dot and this), @provoked as struct cli_out
 * says. Returns @ok.
 */
bool wl_check(const struct cli_out *out, const char *id, bool ok, bool provoked,
	      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Tell @out about a mapping (nothing when it records none). */
void wl_record(const struct cli_out *out, struct device *dev, const char *call,
	       phys_addr_t phys, size_t size, enum dma_data_direction dir,
	       dma_addr_t dma, unsigned long attrs);
/* dma_map_phys(), recorded, its error checked as drivers must. */
dma_addr_t wl_map(const struct cli_out *out, struct device *dev,
		  phys_addr_t phys, size_t size, enum dma_data_direction dir,
		  unsigned long attrs);
/*
 * A provoked problem must show as exactly @n new reports of @kind since
 * @before (a count of @kind taken before it): a provoked check, and @n
 * reports that are not unexpected.
 */
void wl_expect(const struct cli_out *out, const char *id, struct sim_machine *m,
	       enum sim_report_kind kind, unsigned long before,
	       unsigned long n, const char *what);

/* Bytes whose value depends on the position and on @seed. */
void wl_fill(void *p, size_t n, u64 seed);
/* xorshift64: deterministic choices, the same every run. */
u64 wl_rand(u64 *s);

/* The plural ending of a count: "%lu request%s", n, WL_S(n). */
#define WL_S(n)		((n) == 1 ? "" : "s")

static inline bool wl_same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

/* A workload's definition: a cli_wl_fn, its arguments named as it says. */
#define CLI_WORKLOAD(_name)						\
	int _name(struct sim_machine *m, const struct cli_wl_opts *o,	\
		  const struct cli_out *out, struct cli_wl_result *res,	\
		  char *err, size_t errlen)

/*
 * The device @id (@def when NULL) of @m, or NULL with @err saying what is
 * missing (@role: what the device is for).
 */
struct device *wl_need_dev(struct sim_machine *m, const char *id,
			   const char *def, const char *role, char *err,
			   size_t errlen);
/* The device @o->dev names (@def by default) inside a CLI_WORKLOAD. */
#define WL_DEV(_def, _role)	wl_need_dev(m, o->dev, (_def), (_role), err, errlen)
/* The device @o->peer names (@def by default). */
#define WL_PEER(_def, _role)	wl_need_dev(m, o->peer, (_def), (_role), err, errlen)
/* A device the workload names itself. */
#define WL_FIXED_DEV(_id, _role)	wl_need_dev(m, NULL, (_id), (_role), err, errlen)

/*
 * Rounds of one scenario: the first is told check by check, the rest are
 * counted and summed up in one check at the end (wl_rounds_end).
 */
struct wl_rounds {
	const struct cli_out *out;
	u64 round, count;
	unsigned long failed;		/* steps that failed after round 0 */
};

bool wl_step(struct wl_rounds *r, const char *id, bool ok, bool provoked,
	     const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* wl_expect() in round 0; later rounds count a wrong number as a failure. */
void wl_step_expect(struct wl_rounds *r, const char *id, struct sim_machine *m,
		    enum sim_report_kind kind, unsigned long before,
		    unsigned long n, const char *what);
void wl_rounds_end(struct wl_rounds *r);

#endif /* _DMASTACK_CLI_WL_H */
