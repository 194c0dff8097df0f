// SPDX-License-Identifier: MIT
/*
 * dmastack: the command.
 *
 *   dmastack [OPTIONS]                        the main job
 *   dmastack topo [-p FILE] [--json | --dot]  the platform as a tree
 *   dmastack bench [OPTIONS] [--json]         microbenchmarks and ratios
 *   dmastack p2p [-p FILE | --sysfs DIR] [--explain A B] [--json]
 *                                             P2PDMA map types and distances
 *   dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [--trace FILE]
 *                                             one workload, its stats, a verdict
 *   dmastack load MODULE.so [-p FILE] [--json]
 *                                             a kernel module on a platform
 *   dmastack platforms [NAME]                 the built-in platforms
 *   dmastack help [COMMAND]
 *
 * Options before the command are the command's: `dmastack -p F topo` is
 * `dmastack topo -p F`, and a command refuses those it does not take.
 */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* project()'s version in meson.build, passed by it as -DDMASTACK_VERSION */
#ifndef DMASTACK_VERSION
#define DMASTACK_VERSION "(unknown version)"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack [-p FILE] [--json] [--trace FILE [--trace-format text|dat]\n"
		"                [--trace-accesses]] [-v]\n"
		"       dmastack COMMAND [OPTIONS]      (dmastack help COMMAND, or COMMAND --help)\n"
		"       dmastack help [COMMAND] | --help | --version\n"
		"\n"
		"commands:\n"
		"  topo       the platform as a tree, its memory map and IOMMU groups\n"
		"  p2p        PCI P2PDMA map types and distances, of a platform or of /sys\n"
		"  run        one workload with key=value parameters, its statistics, a verdict\n"
		"  bench      dma_map_benchmark-style latencies, or the ratio suite\n"
		"  load       a kernel-style module on a platform: probe, work, remove\n"
		"  platforms  the built-in platforms, or one of them as platform text\n"
		"  help       this text, or a command's\n"
		"\n"
		"With no command, run the main job: built-in workloads on the platform\n"
		"(default: the embedded server) in its IOMMU lazy, strict and off\n"
		"variants and on built-in arm64, confidential-guest and P2P platforms,\n"
		"every device's DMA verified; what the platform cannot do is skipped\n"
		"with the reason. Exit 0 only when every check passed.\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the embedded server;\n"
		"                       `dmastack platforms` lists the built-in ones)\n"
		"  --json               machine-readable output\n"
		"  --trace FILE         DMA trace events: a trace.dat (trace-cmd report,\n"
		"                       KernelShark) when FILE ends in .dat, else appended\n"
		"                       in the kernel's trace text format\n"
		"  --trace-format text|dat  the format whatever FILE's name\n"
		"  --trace-accesses     with --trace: every device access too\n"
		"  -v, --verbose        echo every report as it happens\n"
		"  -h, --help           this text\n"
		"  --version            the version\n"
		"\n"
		"Exit status: 0 pass, 1 a check failed, 2 bad usage.\n");
}

/* bench parses its own arguments without the command's name; --json anywhere */
static int bench_entry(int argc, char **argv, const struct cli_opts *o)
{
	struct cli_opts bo = *o;
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int n = 0, ret;

	if (!rest) {
		fprintf(stderr, "dmastack: out of memory\n");
		return 1;
	}
	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			bo.json = true;
		else
			rest[n++] = argv[k];
	}
	ret = cmd_bench(n, rest, &bo);
	free(rest);
	return ret;
}

static int cmd_help(int argc, char **argv, const struct cli_opts *o);

static const struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const struct cli_opts *o);
} cmds[] = {
	{ "topo", cmd_topo },
	{ "p2p", cmd_p2p },
	{ "run", cmd_run },
	{ "bench", bench_entry },
	{ "load", cmd_load },
	{ "platforms", cmd_platforms },
	{ "help", cmd_help },
};

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int unknown_cmd(const char *name)
{
	return cli_usage_error(NULL, "unknown command '%s' (commands: topo, p2p, run, bench, load, platforms, help)",
			       name);
}

/* dmastack help [COMMAND]: the same text as COMMAND --help. */
static int cmd_help(int argc, char **argv, const struct cli_opts *o)
{
	const struct cli_cmd *c;
	char *av[3];

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: dmastack help [COMMAND]\n\n"
		       "The usage of dmastack, or of COMMAND (as COMMAND --help prints it).\n");
		return 0;
	}
	if (argc > 2)
		return cli_usage_error("help", "one command at a time (got '%s' after '%s')",
				       argv[2], argv[1]);
	if (argc < 2 || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		return cli_usage_error("help", "unknown option %s (see dmastack help --help)",
				       argv[1]);
	c = find_cmd(argv[1]);
	if (!c)
		return unknown_cmd(argv[1]);
	av[0] = (char *)c->name;
	av[1] = "--help";
	av[2] = NULL;
	return c->fn(2, av, o);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_LONGOPT_PLATFORM, CLI_LONGOPT_JSON, CLI_LONGOPTS_TRACE,
		CLI_LONGOPT_VERBOSE, CLI_LONGOPT_HELP,
		{ "version", no_argument, NULL, CLI_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_opts none = { 0 };
	struct cli_opts o = { 0 };
	const struct cli_cmd *cmd;
	char **av;
	int c, end = 1, n = 0, ret;

	/* up to the command: the main job's options, or the command's */
	optind = 0;
	while ((c = cli_getopt(NULL, argc, argv, "+:hvp:", longopts)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case CLI_OPT_VERSION:
			printf("dmastack %s\n", DMASTACK_VERSION);
			return 0;
		case '?':
			return 2;
		default:
			if (cli_common_opt(NULL, c, &o))
				return 2;
		}
		end = optind;
	}
	if (optind >= argc) {
		if (cli_check_trace_opts(NULL, &o))
			return 2;
		return cmd_mainjob(&o);
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return unknown_cmd(argv[optind]);
	/*
	 * The command parses what came before it too (a "--" that ended
	 * those options is dropped): it takes them or says it does not.
	 */
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av) {
		fprintf(stderr, "dmastack: out of memory\n");
		return 1;
	}
	av[n++] = argv[optind];
	for (int i = 1; i < end; i++)
		av[n++] = argv[i];
	for (int i = optind + 1; i < argc; i++)
		av[n++] = argv[i];
	optind = 0;
	ret = cmd->fn(n, av, &none);
	free(av);
	return ret;
}
