/* SPDX-License-Identifier: MIT */
/*
 * Trace events as records (src/kernel/dma/trace.c): each event is a table
 * entry naming its fields as the kernel's format file does, and each
 * trace_*() fills the values of one record. Both writers use the record:
 * the text writer prints it with the event's text function (the kernel's
 * /sys/kernel/tracing/trace line), the trace.dat writer
 * (src/kernel/dma/trace-dat.c) lays it out as the kernel's ring buffer
 * does and writes the format files trace-cmd and libtraceevent parse.
 */
#ifndef _DMASTACK_TRACE_EVENT_H
#define _DMASTACK_TRACE_EVENT_H

#include "internal.h"

enum trace_field_kind {
	TF_NUM,		/* a number of @size bytes */
	TF_STR,		/* __data_loc char[]: a NUL-terminated string */
	TF_SG,		/* __data_loc u64[] or unsigned int[] from a scatterlist */
};

struct trace_field {
	const char *type;	/* as the format file spells it: "u64", "int" */
	const char *name;
	unsigned char size;	/* of the field (4 for a __data_loc) */
	unsigned char elem;	/* TF_SG: bytes per element (8 or 4) */
	bool is_signed;
	enum trace_field_kind kind;
};

/* A scatterlist's column: TSG_DMA (sg_dma_address), _LEN, _PHYS. */
enum { TSG_DMA, TSG_LEN, TSG_PHYS };

union trace_val {
	u64 u;
	const char *s;
	struct {
		struct scatterlist *sgl;
		int n;
		int what;
	} sg;
};

#define TRACE_MAX_FIELDS 8

struct trace_event {
	const char *system;
	const char *name;
	const struct trace_field *fields;
	unsigned int nfields;
	const char *print_fmt;	/* the format file's print fmt: arguments */
	/* the text line's body, from the record */
	void (*text)(char *buf, size_t len, const union trace_val *v);
};

extern const struct trace_event trace_event_table[];
extern const unsigned int trace_event_count;
/* The ID of an event in a trace.dat (its index plus TRACE_EVENT_ID_BASE). */
#define TRACE_EVENT_ID_BASE 100

/* A scatterlist entry's column @what. */
u64 trace_sg_value(struct scatterlist *sg, int what);

/* trace-dat.c: add one record to a trace.dat writer, under its lock. */
struct sim_trace_dat;
void trace_dat_add(struct sim_trace_dat *d, struct sim_machine *m, int cpu,
		   int pid, const char *comm, u64 ns,
		   const struct trace_event *ev, const union trace_val *v);

#endif
