// SPDX-License-Identifier: MIT
/*
 * WARN(): what the kernel prints between its "cut here" lines, as a
 * warning report of the calling thread's current machine (stderr without
 * one). The caller goes on, as after a kernel WARN.
 */
#include <stdarg.h>
#include <stdio.h>
#include "internal.h"

/**
 * warn_slowpath_fmt - report a WARN() of kernel code
 * @file: source file of the WARN (__FILE__)
 * @line: its line (__LINE__)
 * @taint: the taint the kernel would set (TAINT_WARN); not recorded
 * @fmt: printk-style message, or NULL for none (WARN_ON())
 *
 * A SIM_REPORT_WARN "WARNING: at FILE:LINE: message" on the current
 * machine, counted with the machine's other warnings; every call is
 * reported (the _ONCE forms too). Without a current machine the line
 * goes to stderr.
 */
void warn_slowpath_fmt(const char *file, const int line, unsigned int taint,
		       const char *fmt, ...)
{
	struct sim_machine *m = sim_current_machine();
	char msg[256] = "";
	va_list ap;

	(void)taint;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (m)
		sim_report(m, SIM_REPORT_WARN, NULL, 0, 0, "WARNING: at %s:%d%s%s",
			   file, line, msg[0] ? ": " : "", msg);
	else
		fprintf(stderr, "WARNING: at %s:%d%s%s\n", file, line,
			msg[0] ? ": " : "", msg);
}
