// SPDX-License-Identifier: MIT
/*
 * dmastack platforms [NAME]: the built-in platforms, one line each, or
 * NAME's platform text, which loads again with -p (the main job's and the
 * workloads' machines can so be read, edited and run).
 */
#include <string.h>
#include "cli.h"

static void platforms_usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack platforms [NAME]\n"
		"\n"
		"Without NAME, list the built-in platforms: the main job's and the run\n"
		"workloads' machines, each with a line saying what it has. With NAME,\n"
		"print that platform's text (platform-file syntax, dmastack-platform(5)),\n"
		"which loads again with -p: dmastack platforms bounce > b.platform;\n"
		"dmastack run -p b.platform bounce.\n"
		"\n"
		"  -h, --help           this text\n");
}

int cmd_platforms(int argc, char **argv, const struct cli_opts *o)
{
	static const struct option longopts[] = {
		CLI_LONGOPT_HELP,
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_platform *p;
	int c;

	(void)o;
	optind = 0;
	while ((c = cli_getopt("platforms", argc, argv, ":h", longopts)) != -1) {
		if (c != 'h')
			return 2;
		platforms_usage(stdout);
		return 0;
	}
	if (optind + 1 < argc)
		return cli_usage_error("platforms", "one platform at a time (got '%s' after '%s')",
				       argv[optind + 1], argv[optind]);
	if (optind == argc) {
		for (unsigned int i = 0; i < cli_nr_platforms; i++)
			printf("%-18s %s\n", cli_platforms[i].name, cli_platforms[i].what);
		return 0;
	}
	p = cli_platform_find(argv[optind]);
	if (!p) {
		fprintf(stderr, "dmastack platforms: no built-in platform '%s' (", argv[optind]);
		for (unsigned int i = 0; i < cli_nr_platforms; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", cli_platforms[i].name);
		fprintf(stderr, ")\n");
		return 2;
	}
	fputs(cli_platform_text_of(p), stdout);
	return 0;
}
