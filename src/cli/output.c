// SPDX-License-Identifier: MIT
/* Small helpers shared by the dmastack subcommands. */
#include <string.h>
#include "cli.h"

const char *fmt_size(char *buf, size_t len, u64 bytes)
{
	static const char units[] = "KMGTP";
	int u = -1;
	u64 v = bytes;

	if (bytes < 1024 || bytes % 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

void json_print(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
}

struct sim_machine *cli_load_machine(const struct cli_opts *o)
{
	const char *name = o->platform ? o->platform : "default platform";
	char err[512] = "";
	struct sim_machine *m;

	if (o->platform)
		m = sim_machine_load(o->platform, err, sizeof(err));
	else
		m = sim_machine_parse(sim_default_platform_text(), err,
				      sizeof(err));
	if (!m) {
		/* File errors already name the file; parse errors name a line. */
		if (!strncmp(err, name, strlen(name)))
			fprintf(stderr, "dmastack: %s\n", err);
		else
			fprintf(stderr, "dmastack: %s: %s\n", name, err);
	}
	return m;
}

FILE *cli_open_trace(const struct cli_opts *o, struct sim_machine *m)
{
	FILE *f;

	if (!o->trace)
		return NULL;
	f = fopen(o->trace, "a");
	if (!f) {
		fprintf(stderr, "dmastack: cannot open trace file %s: %s\n",
			o->trace, strerror(errno));
		return NULL;
	}
	sim_trace_set_file(m, f);
	return f;
}
