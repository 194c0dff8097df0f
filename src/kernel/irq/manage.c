// SPDX-License-Identifier: MIT
/*
 * Interrupt handlers: request_threaded_irq(), free_irq(), disable/enable,
 * synchronize, and the flow that runs them when the machine's interrupt
 * controller receives a message (kernel/irq/manage.c and handle.c).
 *
 * An irq's handlers run on the thread whose device raised the message
 * (the hardirq analogue), never two runs of one irq at once: a message
 * that arrives while they run on another thread makes that run go round
 * once more, as handle_edge_irq() does. A message for a disabled irq is
 * remembered and replayed by the enable that ends the disable (the MSI
 * vector is masked meanwhile, so the device keeps further ones pending).
 */
#include <string.h>
#include "irq.h"

static void irq_state_release(struct sim_machine *m, void *ctl);
static void irq_deliver(struct sim_machine *m, u64 addr, u32 data, void *ctl);

static const struct sim_msi_controller irq_controller = {
	.deliver = irq_deliver,
	.release = irq_state_release,
};

/**
 * irq_state_get - the irq state of @m, made and registered on first use
 * @m: the machine
 * @create: make it if there is none
 *
 * Return: the state, or NULL (none yet and !@create, or out of memory).
 */
struct irq_state *irq_state_get(struct sim_machine *m, bool create)
{
	struct irq_state *st = sim_msi_controller_data(m, &irq_controller);
	pthread_mutexattr_t attr;
	int ret;

	if (st || !create)
		return st;
	st = sim_kzalloc(m, sizeof(*st));
	if (!st)
		return NULL;
	st->m = m;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->mask_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	ret = sim_msi_set_controller(m, &irq_controller, st);
	if (ret) {
		/* another thread registered first, or another controller */
		pthread_mutex_destroy(&st->mask_lock);
		pthread_mutex_destroy(&st->lock);
		sim_kfree(m, st);
		return ret == -EEXIST ?
			       sim_msi_controller_data(m, &irq_controller) :
			       NULL;
	}
	return st;
}

struct irq_desc *irq_desc_alloc(struct irq_state *st, unsigned int irq)
{
	struct irq_desc *desc = sim_kzalloc(st->m, sizeof(*desc));

	if (!desc)
		return NULL;
	desc->irq = irq;
	desc->depth = 1;
	pthread_mutex_init(&desc->lock, NULL);
	pthread_cond_init(&desc->idle, NULL);
	return desc;
}

/* @desc is out of the table and no handler runs. */
void irq_desc_free(struct irq_state *st, struct irq_desc *desc)
{
	struct irqaction *a = atomic_load(&desc->action), *next;

	for (; a; a = next) {
		next = atomic_load(&a->next);
		sim_kfree(st->m, a);
	}
	pthread_cond_destroy(&desc->idle);
	pthread_mutex_destroy(&desc->lock);
	sim_kfree(st->m, desc);
}

static void irq_state_release(struct sim_machine *m, void *ctl)
{
	struct irq_state *st = ctl;

	for (unsigned int i = 0; i < SIM_NR_IRQS; i++)
		if (st->descs[i])
			irq_desc_free(st, st->descs[i]);
	pthread_mutex_destroy(&st->mask_lock);
	pthread_mutex_destroy(&st->lock);
	sim_kfree(m, st);
}

/* The current machine's descriptor of @irq, or NULL. */
static struct irq_desc *irq_to_desc(unsigned int irq, struct irq_state **stp)
{
	struct sim_machine *m = sim_current_machine();
	struct irq_state *st = m ? irq_state_get(m, false) : NULL;
	struct irq_desc *desc = NULL;

	if (!st || irq >= SIM_NR_IRQS)
		return NULL;
	pthread_mutex_lock(&st->lock);
	desc = st->descs[irq];
	/* an MSI block's vectors beyond the allocated ones are no irqs */
	if (desc && desc->index >= desc->nvec)
		desc = NULL;
	pthread_mutex_unlock(&st->lock);
	*stp = st;
	return desc;
}

static void irq_warn(unsigned int irq, struct irq_desc *desc, const char *fmt,
		     unsigned int arg)
	__attribute__((format(printf, 3, 0)));

/* WARN(): reported on the current machine (if there is one). */
static void irq_warn(unsigned int irq, struct irq_desc *desc, const char *fmt,
		     unsigned int arg)
{
	struct sim_machine *m = sim_current_machine();

	if (m)
		sim_report(m, SIM_REPORT_WARN, desc ? &desc->pdev->dev : NULL,
			   0, 0, fmt, arg);
}

/*
 * The handlers of one run, each between the kernel's irq_handler_entry and
 * irq_handler_exit trace events; returns what they said, ORed.
 */
static irqreturn_t run_actions(struct sim_machine *m, struct irq_desc *desc)
{
	irqreturn_t all = IRQ_NONE;

	for (struct irqaction *a = atomic_load(&desc->action); a;
	     a = atomic_load(&a->next)) {
		irqreturn_t r;

		trace_irq_handler_entry(m, desc->irq, a->name);
		r = a->handler((int)desc->irq, a->dev_id);
		trace_irq_handler_exit(m, desc->irq, r);
		if ((r & IRQ_WAKE_THREAD) && a->thread_fn)
			r = (r & ~IRQ_WAKE_THREAD) |
			    a->thread_fn((int)desc->irq, a->dev_id) |
			    IRQ_HANDLED;
		all |= r;
	}
	return all;
}

/* The message reached the controller: run @desc's handlers. */
static void irq_handle(struct sim_machine *m, struct irq_desc *desc)
{
	struct sim_machine *prev;

	/* desc->lock held */
	atomic_fetch_add(&desc->delivered, 1);
	if (!atomic_load(&desc->action) || desc->depth) {
		atomic_fetch_add(&desc->spurious, 1);
		if (atomic_load(&desc->action))
			desc->pending = true;
		pthread_mutex_unlock(&desc->lock);
		return;
	}
	if (desc->running) {
		desc->replay = true;
		pthread_mutex_unlock(&desc->lock);
		return;
	}
	desc->running = true;
	desc->runner = sim_thread_pointer();
	prev = sim_set_current_machine(m);
	do {
		irqreturn_t r;

		desc->replay = false;
		pthread_mutex_unlock(&desc->lock);
		r = run_actions(m, desc);
		atomic_fetch_add(r ? &desc->handled : &desc->unhandled, 1);
		pthread_mutex_lock(&desc->lock);
	} while (desc->replay && atomic_load(&desc->action) && !desc->depth);
	if (desc->replay)
		desc->pending = true;
	sim_set_current_machine(prev);
	desc->running = false;
	desc->runner = 0;
	pthread_cond_broadcast(&desc->idle);
	pthread_mutex_unlock(&desc->lock);
}

static void irq_deliver(struct sim_machine *m, u64 addr, u32 data, void *ctl)
{
	struct irq_state *st = ctl;
	struct irq_desc *desc;

	pthread_mutex_lock(&st->lock);
	desc = data < SIM_NR_IRQS ? st->descs[data] : NULL;
	if (!desc) {
		pthread_mutex_unlock(&st->lock);
		atomic_fetch_add(&st->stray, 1);
		return;
	}
	pthread_mutex_lock(&desc->lock);
	pthread_mutex_unlock(&st->lock);
	irq_handle(m, desc);
}

static irqreturn_t irq_default_primary_handler(int irq, void *dev_id)
{
	return IRQ_WAKE_THREAD;
}

int request_threaded_irq(unsigned int irq, irq_handler_t handler,
			 irq_handler_t thread_fn, unsigned long flags,
			 const char *devname, void *dev_id)
{
	struct irq_state *st;
	struct irq_desc *desc;
	struct irqaction *action, *old;
	bool first;

	if (((flags & IRQF_SHARED) && !dev_id) ||
	    ((flags & IRQF_SHARED) && (flags & IRQF_NO_AUTOEN)))
		return -EINVAL;
	desc = irq_to_desc(irq, &st);
	if (!desc)
		return -EINVAL;
	if (!handler) {
		if (!thread_fn)
			return -EINVAL;
		/* PCI MSI is oneshot safe: no IRQF_ONESHOT needed */
		handler = irq_default_primary_handler;
	}
	action = sim_kzalloc(st->m, sizeof(*action));
	if (!action)
		return -ENOMEM;
	action->handler = handler;
	action->thread_fn = thread_fn;
	action->flags = flags;
	action->name = devname;
	action->dev_id = dev_id;

	pthread_mutex_lock(&desc->lock);
	old = atomic_load(&desc->action);
	first = !old;
	if (old) {
		/* every action on a line must agree to share it */
		if (!(old->flags & flags & IRQF_SHARED) ||
		    ((old->flags ^ flags) & IRQF_ONESHOT)) {
			pthread_mutex_unlock(&desc->lock);
			sim_kfree(st->m, action);
			return -EBUSY;
		}
		while (atomic_load(&old->next))
			old = atomic_load(&old->next);
		atomic_store(&old->next, action);
	} else {
		desc->depth = (flags & IRQF_NO_AUTOEN) ? 1 : 0;
		desc->pending = false;
		atomic_store(&desc->action, action);
	}
	pthread_mutex_unlock(&desc->lock);
	/* startup: the vector is unmasked and a pending message comes now */
	if (first)
		pci_msi_update_mask(st, desc);
	return 0;
}

/* Wait until no run of @desc's handlers is going on (desc->lock held). */
static void wait_idle_locked(struct irq_desc *desc)
{
	if (desc->running && desc->runner == sim_thread_pointer()) {
		irq_warn(desc->irq, desc,
			 "irq %u: waiting for its handlers from its own handler would deadlock",
			 desc->irq);
		return;
	}
	while (desc->running)
		pthread_cond_wait(&desc->idle, &desc->lock);
}

const void *free_irq(unsigned int irq, void *dev_id)
{
	struct irq_state *st;
	struct irq_desc *desc = irq_to_desc(irq, &st);
	struct irqaction *_Atomic *pp;
	struct irqaction *a;
	const char *name;
	bool last;

	if (!desc) {
		irq_warn(irq, NULL, "Trying to free IRQ %u, which does not exist",
			 irq);
		return NULL;
	}
	pthread_mutex_lock(&desc->lock);
	if (desc->running && desc->runner == sim_thread_pointer()) {
		/* the kernel would deadlock; the action is still in use */
		pthread_mutex_unlock(&desc->lock);
		irq_warn(irq, desc, "free_irq(%u) from its own handler: refused",
			 irq);
		return NULL;
	}
	for (pp = &desc->action; (a = atomic_load(pp)); pp = &a->next)
		if (a->dev_id == dev_id)
			break;
	if (!a) {
		pthread_mutex_unlock(&desc->lock);
		irq_warn(irq, desc, "Trying to free already-free IRQ %u", irq);
		return NULL;
	}
	atomic_store(pp, atomic_load(&a->next));
	last = !atomic_load(&desc->action);
	if (last) {
		desc->depth = 1;	/* shut down */
		desc->pending = false;
	}
	/* a run may still be using the action */
	wait_idle_locked(desc);
	pthread_mutex_unlock(&desc->lock);
	if (last)
		pci_msi_update_mask(st, desc);
	name = a->name;
	sim_kfree(st->m, a);
	return name;
}

void disable_irq_nosync(unsigned int irq)
{
	struct irq_state *st;
	struct irq_desc *desc = irq_to_desc(irq, &st);
	bool first;

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	first = desc->depth++ == 0;
	pthread_mutex_unlock(&desc->lock);
	if (first)
		pci_msi_update_mask(st, desc);
}

void synchronize_irq(unsigned int irq)
{
	struct irq_state *st;
	struct irq_desc *desc = irq_to_desc(irq, &st);

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	wait_idle_locked(desc);
	pthread_mutex_unlock(&desc->lock);
}

void disable_irq(unsigned int irq)
{
	disable_irq_nosync(irq);
	synchronize_irq(irq);
}

void enable_irq(unsigned int irq)
{
	struct irq_state *st;
	struct irq_desc *desc = irq_to_desc(irq, &st);
	bool replay = false, last;

	if (!desc)
		return;
	pthread_mutex_lock(&desc->lock);
	if (!desc->depth || !atomic_load(&desc->action)) {
		pthread_mutex_unlock(&desc->lock);
		irq_warn(irq, desc, "Unbalanced enable for IRQ %u", irq);
		return;
	}
	last = --desc->depth == 0;
	if (last) {
		replay = desc->pending;
		desc->pending = false;
	}
	pthread_mutex_unlock(&desc->lock);
	if (!last)
		return;
	pci_msi_update_mask(st, desc);
	/* check_irq_resend(): what came while disabled runs now */
	if (replay) {
		pthread_mutex_lock(&desc->lock);
		irq_handle(st->m, desc);
	}
}

int sim_irq_get_stats(struct sim_machine *m, unsigned int irq,
		      struct sim_irq_stats *out)
{
	struct irq_state *st = m ? irq_state_get(m, false) : NULL;
	struct irq_desc *desc;
	int ret = -ENOENT;

	if (!st || irq >= SIM_NR_IRQS)
		return -ENOENT;
	pthread_mutex_lock(&st->lock);
	desc = st->descs[irq];
	if (desc) {
		out->delivered = atomic_load(&desc->delivered);
		out->handled = atomic_load(&desc->handled);
		out->unhandled = atomic_load(&desc->unhandled);
		out->spurious = atomic_load(&desc->spurious);
		ret = 0;
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}
