/* SPDX-License-Identifier: MIT */
/*
 * Interrupt handlers, with the kernel's names (include/linux/interrupt.h,
 * include/linux/irqreturn.h).
 *
 * Irq numbers belong to a machine. The functions that take only an irq
 * number (request_irq(), free_irq(), ...) act on the calling thread's
 * current machine (the kernel's `current`): the machine whose
 * pci_alloc_irq_vectors() or pci_irq_vector() the thread called last, or
 * whose interrupt handler it is running; sim_set_current_machine() sets it
 * explicitly.
 *
 * Handlers run in the hardirq analogue: synchronously on the thread of the
 * device model that raised the MSI, with no machine lock held. One handler
 * run per irq at a time: a message arriving while the irq's handlers run
 * on another thread makes them run once more instead. A threaded handler
 * (thread_fn) runs right after its primary handler returned
 * IRQ_WAKE_THREAD, on the same thread.
 */
#ifndef _DMASTACK_LINUX_INTERRUPT_H
#define _DMASTACK_LINUX_INTERRUPT_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum irqreturn {
	IRQ_NONE		= (0 << 0),
	IRQ_HANDLED		= (1 << 0),
	IRQ_WAKE_THREAD		= (1 << 1),
};
typedef enum irqreturn irqreturn_t;
#define IRQ_RETVAL(x)	((x) ? IRQ_HANDLED : IRQ_NONE)

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

#define IRQF_SHARED		0x00000080
#define IRQF_ONESHOT		0x00002000
#define IRQF_NO_AUTOEN		0x00080000

/**
 * request_threaded_irq - install a handler for @irq
 * @irq: an irq of the current machine (pci_irq_vector())
 * @handler: the primary handler; NULL for the default one, which wakes
 *	@thread_fn (PCI MSI is oneshot safe: IRQF_ONESHOT is not required)
 * @thread_fn: run after @handler returned IRQ_WAKE_THREAD, or NULL
 * @flags: IRQF_SHARED (every action on the line must say so, and @dev_id
 *	must be unique and not NULL), IRQF_ONESHOT, IRQF_NO_AUTOEN (stays
 *	disabled until enable_irq())
 * @devname: kept (not copied) and returned by free_irq()
 * @dev_id: passed to the handlers; identifies the action for free_irq()
 *
 * The first action on the line unmasks its MSI vector, so a message that
 * was left pending is handled now, before this returns.
 *
 * Return: 0, -EINVAL (no such irq, a shared request without @dev_id or
 * with IRQF_NO_AUTOEN, no handler at all), -EBUSY (the line is taken and
 * not both shared, or IRQF_ONESHOT differs), -ENOMEM.
 */
int request_threaded_irq(unsigned int irq, irq_handler_t handler,
			 irq_handler_t thread_fn, unsigned long flags,
			 const char *devname, void *dev_id);

/**
 * request_irq - request_threaded_irq() without a thread_fn
 * @irq: the irq
 * @handler: the handler (not NULL)
 * @flags: IRQF_*
 * @name: the action's name
 * @dev: passed to @handler
 */
static inline int request_irq(unsigned int irq, irq_handler_t handler,
			      unsigned long flags, const char *name, void *dev)
{
	return request_threaded_irq(irq, handler, NULL, flags, name, dev);
}

/**
 * free_irq - remove the action of @irq whose dev_id is @dev_id
 * @irq: the irq
 * @dev_id: what was passed to request_irq()
 *
 * Waits until no handler of @irq runs; from @irq's own handler (where the
 * kernel would deadlock) it is refused with a WARN. Removing the last
 * action masks the vector. Freeing an action that does not exist is a WARN
 * (reported) and returns NULL.
 *
 * Return: the devname given to request_irq(), or NULL.
 */
const void *free_irq(unsigned int irq, void *dev_id);

/**
 * disable_irq_nosync - disable @irq without waiting for running handlers
 * @irq: the irq
 *
 * Disables nest: each needs an enable_irq(). The MSI vector is masked, so
 * messages stay pending in the device until enable_irq().
 */
void disable_irq_nosync(unsigned int irq);

/**
 * disable_irq - disable @irq and wait for its running handlers
 * @irq: the irq
 */
void disable_irq(unsigned int irq);

/**
 * enable_irq - undo one disable_irq(); the last unmasks the vector, and a
 *	message that arrived meanwhile is handled before this returns
 * @irq: the irq
 *
 * An enable without a disable is a WARN ("Unbalanced enable").
 */
void enable_irq(unsigned int irq);

/**
 * synchronize_irq - wait until no handler of @irq runs
 * @irq: the irq
 *
 * From @irq's own handler it does not wait (the kernel would deadlock): a
 * WARN is reported. disable_irq() waits the same way.
 */
void synchronize_irq(unsigned int irq);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_INTERRUPT_H */
