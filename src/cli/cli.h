/* SPDX-License-Identifier: MIT */
/* The dmastack command: shared declarations. */
#ifndef _DMASTACK_CLI_H
#define _DMASTACK_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include "internal.h"

struct cli_opts {
	const char *platform;	/* -p FILE */
	const char *trace;	/* --trace FILE */
	bool json;
	bool verbose;
};

/* Human-readable sizes: 4K, 64M, 1.5G. */
const char *fmt_size(char *buf, size_t len, u64 bytes);
void json_print(json_object *obj);
struct sim_machine *cli_load_machine(const struct cli_opts *o);
FILE *cli_open_trace(const struct cli_opts *o, struct sim_machine *m);

int cmd_topo(const struct cli_opts *o);
int cmd_mainjob(const struct cli_opts *o);
int cmd_bench(int argc, char **argv, const struct cli_opts *o);

#endif
