// SPDX-License-Identifier: MIT
/*
 * The kernel log: printk() and dev_printk() lines are information reports
 * of the machine (the current one, or the device's), so they sit in order
 * with what dmastack found, as in dmesg.
 */
#include <stdarg.h>
#include <stdio.h>
#include "internal.h"

/* "<3>" -> "err" and the text after the level. */
static const char *level_name(const char **fmt)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warn", "notice", "info",
		"debug",
	};
	const char *f = *fmt;

	if (f[0] == '<' && f[1] >= '0' && f[1] <= '7' && f[2] == '>') {
		*fmt = f + 3;
		return names[f[1] - '0'];
	}
	return "warn";	/* the kernel's default message loglevel */
}

/* One log line into @msg; a trailing newline ends it, as in dmesg. */
static int format_line(char *msg, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(msg, len, fmt, ap);

	if (n > 0 && (size_t)n < len && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	return n;
}

int printk(const char *fmt, ...)
{
	struct sim_machine *m = sim_current_machine();
	const char *lvl = level_name(&fmt);
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m)
		sim_report(m, SIM_REPORT_INFO, NULL, 0, 0, "kernel: %s: %s", lvl,
			   msg);
	else
		fprintf(stderr, "kernel: %s: %s\n", lvl, msg);
	return n;
}

void _dev_printk(const char *level, const struct device *dev,
		 const char *fmt, ...)
{
	const char *lvl = level_name(&level);
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dev && dev->sim)
		sim_report(dev->sim, SIM_REPORT_INFO, (struct device *)dev, 0,
			   0, "kernel: %s: %s %s: %s", lvl,
			   dev_driver_string(dev), dev_name(dev), msg);
	else
		fprintf(stderr, "kernel: %s: (NULL device *): %s\n", lvl, msg);
}
