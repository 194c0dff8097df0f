// SPDX-License-Identifier: MIT
/*
 * dmastack: the command.
 *
 *   dmastack [--json] [--trace FILE] [-v]     the main job
 *   dmastack topo [-p FILE] [--json]          the platform as a tree
 *   dmastack bench [OPTIONS] [--json]         microbenchmarks and ratios
 *   dmastack p2p [-p FILE | --sysfs DIR] [--explain A B] [--json]
 *                                             P2PDMA map types and distances
 *   dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [--trace FILE]
 *                                             one workload, its stats, a verdict
 *   dmastack load MODULE.so [-p FILE] [--json]
 *                                             a kernel module on a platform
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
		"usage: dmastack [--json] [--trace FILE [--trace-format text|dat]] [-v] [-p FILE]\n"
		"       dmastack topo [-p FILE] [--json | --dot] [--svg FILE] [--pci-ids FILE]\n"
		"       dmastack bench [-t N -s SEC -g PAGES -d DIR -b BITS -x NS -m single|sg]\n"
		"                      [--path direct|swiotlb|iommu --mode strict|lazy\n"
		"                       --api map|iova|sg --granule 4K|16K|64K]\n"
		"                      [--section core|nvme|odp|pt|iova|all] [--json]\n"
		"       dmastack p2p [-p FILE | --sysfs [DIR]] [--explain PROVIDER CLIENT]\n"
		"                    [--print-platform] [--json]\n"
		"       dmastack run [-p FILE] WORKLOAD [key=value ...] [--json] [--trace FILE]\n"
		"                    WORKLOAD: nvme, odp, dmabuf-p2p, bounce, noncoherent\n"
		"                    ('dmastack run --help' lists their keys)\n"
		"       dmastack load MODULE.so [-p FILE] [--json]\n"
		"                    a kernel-style module's init, its drivers' probe,\n"
		"                    the devices' work, exit; reports and a verdict\n"
		"       dmastack help | --version\n"
		"\n"
		"With no command, run the main job: built-in workloads on the default\n"
		"platform, every device's DMA verified, ending with a verdict (exit 0\n"
		"only when every check passed).\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the embedded server)\n"
		"  --json               machine-readable output\n"
		"  --trace FILE         DMA trace events: a trace.dat (trace-cmd report,\n"
		"                       KernelShark) when FILE ends in .dat, else appended\n"
		"                       in the kernel's trace text format\n"
		"  --trace-format text|dat  the format whatever FILE's name\n"
		"  --trace-accesses     with --trace: every device access too\n"
		"  -v, --verbose        echo every report as it happens\n");
}

/*
 * The long options that take a value, spelled --opt=VALUE as well as
 * --opt VALUE in every command: split into two arguments before the
 * commands parse them.
 */
static const char *const valued_longopts[] = {
	"--platform", "--trace", "--sysfs", "--svg", "--pci-ids",
};

static char **split_long_equals(int *argc, char **argv)
{
	char **av = calloc((size_t)*argc * 2 + 1, sizeof(*av));
	int n = 0;

	if (!av)
		return NULL;
	for (int i = 0; i < *argc; i++) {
		const char *eq = argv[i][0] == '-' ? strchr(argv[i], '=') : NULL;
		bool split = false;

		for (size_t k = 0; eq && k < ARRAY_SIZE(valued_longopts); k++)
			if ((size_t)(eq - argv[i]) == strlen(valued_longopts[k]) &&
			    !strncmp(argv[i], valued_longopts[k],
				     (size_t)(eq - argv[i]))) {
				av[n++] = (char *)valued_longopts[k];
				av[n++] = (char *)eq + 1;
				split = true;
				break;
			}
		if (!split)
			av[n++] = argv[i];
	}
	*argc = n;
	return av;
}

static int cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
	char **av = split_long_equals(&argc, argv);
	int ret;

	if (!av) {
		fprintf(stderr, "dmastack: out of memory\n");
		return 1;
	}
	ret = cli_main(argc, av);
	free(av);
	return ret;
}

static int cli_main(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	const char *cmd = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!cmd && (!strcmp(a, "bench") || !strcmp(a, "p2p") ||
			     !strcmp(a, "run") || !strcmp(a, "load") ||
			     !strcmp(a, "topo"))) {
			/*
			 * bench, p2p and run parse their own options; --json
			 * may be anywhere
			 */
			char **rest = calloc((size_t)argc, sizeof(*rest));
			int n = 0, ret;

			if (!rest)
				return 1;
			for (int k = i + 1; k < argc; k++) {
				if (!strcmp(argv[k], "--json"))
					o.json = true;
				else
					rest[n++] = argv[k];
			}
			if (!strcmp(a, "p2p"))
				ret = cmd_p2p(n, rest, &o);
			else if (!strcmp(a, "run"))
				ret = cmd_run(n, rest, &o);
			else if (!strcmp(a, "topo"))
				ret = cmd_topo(n, rest, &o);
			else if (!strcmp(a, "load"))
				ret = cmd_load(n, rest, &o);
			else
				ret = cmd_bench(n, rest, &o);
			free(rest);
			return ret;
		}
		if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--trace-accesses")) {
			o.trace_accesses = true;
		} else if (!strncmp(a, "--trace-format=", 15)) {
			if (!cli_trace_format_arg(&o, a + 15))
				return 2;
		} else if (!strcmp(a, "--trace-format")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dmastack: %s needs an argument\n", a);
				return 2;
			}
			if (!cli_trace_format_arg(&o, argv[++i]))
				return 2;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o.verbose = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--platform") ||
			   !strcmp(a, "--trace")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "dmastack: %s needs an argument\n", a);
				return 2;
			}
			if (!strcmp(a, "--trace"))
				o.trace = argv[++i];
			else
				o.platform = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help") ||
			   !strcmp(a, "help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("dmastack %s\n", DMASTACK_VERSION);
			return 0;
		} else if (a[0] == '-') {
			fprintf(stderr, "dmastack: unknown option %s\n", a);
			usage(stderr);
			return 2;
		} else if (!cmd) {
			cmd = a;
		} else {
			fprintf(stderr, "dmastack: unexpected argument %s\n", a);
			return 2;
		}
	}
	if (!cmd)
		return cmd_mainjob(&o);
	fprintf(stderr, "dmastack: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
