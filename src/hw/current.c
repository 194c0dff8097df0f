// SPDX-License-Identifier: MIT
/*
 * The calling thread's current machine: which machine the "CPU" this
 * thread is belongs to, for the kernel calls that name no device (an irq
 * number is per machine). The one per-thread state of dmastack besides the
 * per-thread indices (SPEC: the kernel's `current`).
 */
#include "hw/machine.h"

static _Thread_local struct sim_machine *current_machine;

struct sim_machine *sim_set_current_machine(struct sim_machine *m)
{
	struct sim_machine *prev = current_machine;

	current_machine = m;
	return prev;
}

struct sim_machine *sim_current_machine(void)
{
	return current_machine;
}

void sim_current_forget(struct sim_machine *m)
{
	if (current_machine == m)
		current_machine = NULL;
}
