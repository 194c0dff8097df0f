// SPDX-License-Identifier: MIT
/*
 * The bus observer list (see bus.h): fixed once the machine has booted, so
 * sim_bus_offer() walks it with no lock on every TLP.
 */
#include "hw/machine.h"

int sim_bus_observer_add(struct sim_machine *m, struct sim_bus_observer *o)
{
	struct sim_bus *bus = &m->bus;

	if (!o || !o->ops ||
	    (!o->ops->access && !o->ops->translated && !o->ops->fault) ||
	    o->group >= 32)
		return -EINVAL;
	for (unsigned int i = 0; i < bus->nr_observers; i++)
		if (bus->observers[i] == o)
			return -EBUSY;
	if (bus->nr_observers == SIM_BUS_MAX_OBSERVERS)
		return -ENOSPC;
	bus->observers[bus->nr_observers++] = o;
	return 0;
}

void sim_bus_observer_del(struct sim_machine *m, struct sim_bus_observer *o)
{
	struct sim_bus *bus = &m->bus;

	for (unsigned int i = 0; i < bus->nr_observers; i++) {
		if (bus->observers[i] != o)
			continue;
		for (; i + 1 < bus->nr_observers; i++)
			bus->observers[i] = bus->observers[i + 1];
		bus->observers[--bus->nr_observers] = NULL;
		return;
	}
}

/*
 * Offer one event to every observer that takes it, in order; observers of
 * a group that spoke for the transaction are told so. @call returns -1
 * when the observer does not take this kind of event.
 */
static bool bus_offer(struct sim_machine *m, struct sim_bus_txn *t,
		      int (*call)(struct sim_bus_observer *o, const void *ev,
				  bool spoke),
		      const void *ev)
{
	struct sim_bus *bus = &m->bus;
	bool any = false;

	for (unsigned int i = 0; i < bus->nr_observers; i++) {
		struct sim_bus_observer *o = bus->observers[i];

		if (call(o, ev, sim_bus_txn_spoken(t, o->group)) > 0) {
			sim_bus_txn_mark_spoken(t, o->group);
			any = true;
		}
	}
	return any;
}

static int call_access(struct sim_bus_observer *o, const void *ev, bool spoke)
{
	if (!o->ops->access)
		return -1;
	return o->ops->access(o, ev, spoke);
}

static int call_translated(struct sim_bus_observer *o, const void *ev,
			   bool spoke)
{
	if (!o->ops->translated)
		return -1;
	return o->ops->translated(o, ev, spoke);
}

bool sim_bus_offer(struct sim_machine *m, struct sim_bus_access *a)
{
	return bus_offer(m, a->txn, call_access, a);
}

bool sim_bus_offer_translation(struct sim_machine *m,
			       const struct sim_bus_translation *t)
{
	return bus_offer(m, t->txn, call_translated, t);
}

void sim_bus_offer_fault(struct sim_machine *m, struct sim_bus_fault *f)
{
	struct sim_bus *bus = &m->bus;

	if (f->note && f->note_len)
		f->note[0] = '\0';
	for (unsigned int i = 0; i < bus->nr_observers; i++) {
		struct sim_bus_observer *o = bus->observers[i];

		if (o->ops->fault)
			o->ops->fault(o, f);
	}
}
