// SPDX-License-Identifier: MIT
/*
 * The bus observer list (see bus.h): fixed once the machine has booted, so
 * sim_bus_offer() walks it with no lock on every TLP.
 */
#include "../internal.h"

int sim_bus_observer_add(struct sim_machine *m, struct sim_bus_observer *o)
{
	struct sim_bus *bus = &m->bus;

	if (!o || !o->ops || (!o->ops->access && !o->ops->translated) ||
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

bool sim_bus_offer(struct sim_machine *m, struct sim_bus_access *a)
{
	struct sim_bus *bus = &m->bus;
	struct sim_bus_txn *t = a->txn;
	bool any = false;

	for (unsigned int i = 0; i < bus->nr_observers; i++) {
		struct sim_bus_observer *o = bus->observers[i];

		if (o->ops->access &&
		    o->ops->access(o, a, sim_bus_txn_spoken(t, o->group))) {
			sim_bus_txn_mark_spoken(t, o->group);
			any = true;
		}
	}
	return any;
}

bool sim_bus_offer_translation(struct sim_machine *m,
			       const struct sim_bus_translation *tr)
{
	struct sim_bus *bus = &m->bus;
	struct sim_bus_txn *t = tr->txn;
	bool any = false;

	for (unsigned int i = 0; i < bus->nr_observers; i++) {
		struct sim_bus_observer *o = bus->observers[i];

		if (o->ops->translated &&
		    o->ops->translated(o, tr, sim_bus_txn_spoken(t, o->group))) {
			sim_bus_txn_mark_spoken(t, o->group);
			any = true;
		}
	}
	return any;
}
