// SPDX-License-Identifier: MIT
/*
 * Option parsing shared by the commands: getopt_long() with one-line
 * messages that name the command, and the options most commands take
 * (-p, --json, --trace and its companions, -v).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static void prefix(FILE *f, const char *cmd)
{
	if (cmd && *cmd)
		fprintf(f, "dmastack %s: ", cmd);
	else
		fprintf(f, "dmastack: ");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	prefix(stderr, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* The long option @a (--word or --word=value) names, or NULL. */
static const struct option *long_opt(const struct option *longopts, const char *a,
				     unsigned int *matches)
{
	size_t n = strcspn(a + 2, "=");
	const struct option *found = NULL;

	*matches = 0;
	for (const struct option *lo = longopts; lo && lo->name; lo++) {
		if (strncmp(lo->name, a + 2, n))
			continue;
		if (strlen(lo->name) == n) {	/* exact: no ambiguity */
			*matches = 1;
			return lo;
		}
		found = lo;	/* an abbreviation, as getopt_long takes them */
		(*matches)++;
	}
	return *matches == 1 ? found : NULL;
}

/*
 * The option getopt_long() just refused, as the user spelled it (the long
 * option's word up to any '=', or the short letter) and its table entry.
 */
static const struct option *bad_option(char **argv, int optind_now, int opt,
				       const struct option *longopts,
				       char *buf, size_t len, unsigned int *matches)
{
	const char *a = optind_now > 0 ? argv[optind_now - 1] : NULL;
	const struct option *lo = NULL;

	*matches = 0;
	if (a && !strncmp(a, "--", 2) && a[2])
		lo = long_opt(longopts, a, matches);
	/* a long option, unless the letter is a short one in a cluster */
	if (a && !strncmp(a, "--", 2) && a[2] &&
	    (opt == 0 || opt >= 256 || (lo && lo->val == opt))) {
		snprintf(buf, len, "%.*s", (int)(strcspn(a, "=")), a);
		return lo;
	}
	*matches = 0;
	snprintf(buf, len, "-%c", opt > 0 && opt < 256 ? opt : '?');
	return NULL;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	const struct option *lo;
	char name[64], hint[80];
	unsigned int matches;
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	snprintf(hint, sizeof(hint), "dmastack %s%s--help", cmd ? cmd : "",
		 cmd && *cmd ? " " : "");
	lo = bad_option(argv, optind, optopt, longopts, name, sizeof(name), &matches);
	if (c == ':')
		cli_usage_error(cmd, "%s needs a value (see %s)", name, hint);
	else if (lo && lo->has_arg == no_argument)
		cli_usage_error(cmd, "%s takes no value (see %s)", name, hint);
	else if (matches > 1)
		cli_usage_error(cmd, "ambiguous option %s (see %s)", name, hint);
	else
		cli_usage_error(cmd, "unknown option %s (see %s)", name, hint);
	return '?';
}

int cli_common_opt(const char *cmd, int c, struct cli_opts *o)
{
	switch (c) {
	case 'p':
		if (!*optarg)
			return cli_usage_error(cmd, "-p needs a file name");
		o->platform = optarg;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case CLI_OPT_JSON:
		o->json = true;
		return 0;
	case CLI_OPT_TRACE:
		if (!*optarg)
			return cli_usage_error(cmd, "--trace needs a file name");
		o->trace = optarg;
		return 0;
	case CLI_OPT_TRACE_FORMAT:
		if (strcmp(optarg, "text") && strcmp(optarg, "dat"))
			return cli_usage_error(cmd, "--trace-format: '%s' is not text or dat",
					       optarg);
		o->trace_format = optarg;
		return 0;
	case CLI_OPT_TRACE_ACCESSES:
		o->trace_accesses = true;
		return 0;
	}
	return 1;
}

int cli_check_trace_opts(const char *cmd, const struct cli_opts *o)
{
	if (o->trace)
		return 0;
	if (o->trace_format)
		return cli_usage_error(cmd, "--trace-format needs --trace FILE");
	if (o->trace_accesses)
		return cli_usage_error(cmd, "--trace-accesses needs --trace FILE");
	return 0;
}
