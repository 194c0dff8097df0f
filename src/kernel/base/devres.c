// SPDX-License-Identifier: MIT
/*
 * Managed device resources (drivers/base/devres.c): a driver hands a
 * resource to its device with a release function, and the driver core
 * releases whatever is left, newest first, when the driver is unbound:
 * after its remove (or a failed probe), before dma-debug looks for what
 * the driver left mapped, and for every device at machine shutdown.
 *
 * Each device's resources are a list hanging off dev->sim_devres (the one
 * private field struct device has for it), newest first. All the lists of
 * a machine share one mutex in its kernel state (the kernel has a spinlock
 * per device; a driver rarely adds resources outside probe, so one lock
 * costs nothing). Release functions run without it, so they may call
 * anything, devres included.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include "internal.h"

struct sim_devres {
	struct sim_devres *next;
	struct sim_machine *m;		/* whose allocator it came from */
	dr_release_t release;
	alignas(max_align_t) unsigned char data[];	/* the resource */
};

static inline struct sim_devres *to_devres(void *res)
{
	return container_of(res, struct sim_devres, data);
}

/* The machine's devres lock, or NULL before boot got there / after exit. */
static pthread_mutex_t *devres_lock_of(struct device *dev)
{
	struct sim_kernel *k;

	if (!dev || !dev->sim || !(k = dev->sim->kernel) || !k->devres_up)
		return NULL;
	return &k->devres_lock;
}

int devres_init_machine(struct sim_machine *m)
{
	int ret = pthread_mutex_init(&m->kernel->devres_lock, NULL);

	if (ret)
		return -ret;
	m->kernel->devres_up = true;
	return 0;
}

/* Every device's list was released at unbind or shutdown, before this. */
void devres_exit_machine(struct sim_machine *m)
{
	if (!m->kernel->devres_up)
		return;
	m->kernel->devres_up = false;
	pthread_mutex_destroy(&m->kernel->devres_lock);
}

/**
 * devres_alloc_machine - a zeroed resource of @size bytes, not yet added
 * @m: the machine whose allocator it comes from (fault injection applies)
 * @release: what releases it when the driver is unbound
 * @size: bytes of the resource itself
 *
 * The kernel's devres_alloc(). Returns the resource (aligned for any
 * type), or NULL. The caller owns it until devres_add() or devres_free().
 */
void *devres_alloc_machine(struct sim_machine *m, dr_release_t release,
			   size_t size)
{
	struct sim_devres *dr;

	if (!m || !release || size > SIZE_MAX - sizeof(*dr))
		return NULL;
	dr = sim_kzalloc(m, sizeof(*dr) + size);
	if (!dr)
		return NULL;
	dr->m = m;
	dr->release = release;
	return dr->data;
}

/* Free a resource that was not added (or was removed): no release. */
void devres_free(void *res)
{
	struct sim_devres *dr;

	if (!res)
		return;
	dr = to_devres(res);
	sim_kfree(dr->m, dr);
}

/**
 * devres_add - hand @res to @dev: released when its driver is unbound
 *
 * Takes the machine's devres lock. A device of a machine that is not (or
 * no longer) booted cannot hold resources: @res is released at once.
 */
void devres_add(struct device *dev, void *res)
{
	pthread_mutex_t *lock = devres_lock_of(dev);
	struct sim_devres *dr = to_devres(res);

	if (!lock) {
		dr->release(dev, dr->data);
		devres_free(res);
		return;
	}
	pthread_mutex_lock(lock);
	dr->next = dev->sim_devres;
	dev->sim_devres = dr;
	pthread_mutex_unlock(lock);
}

/*
 * Take the newest resource of @dev released by @release that @match (if
 * any) accepts off its list; NULL if there is none. Takes the devres lock;
 * @match runs under it.
 */
static struct sim_devres *devres_remove(struct device *dev,
					dr_release_t release, dr_match_t match,
					void *match_data)
{
	pthread_mutex_t *lock = devres_lock_of(dev);
	struct sim_devres **pp, *dr = NULL;

	if (!lock)
		return NULL;
	pthread_mutex_lock(lock);
	for (pp = &dev->sim_devres; *pp; pp = &(*pp)->next) {
		if ((*pp)->release != release ||
		    (match && !match(dev, (*pp)->data, match_data)))
			continue;
		dr = *pp;
		*pp = dr->next;
		break;
	}
	pthread_mutex_unlock(lock);
	return dr;
}

/**
 * devres_destroy - forget a resource of @dev without releasing it
 * @release: the release function it was allocated with
 * @match: NULL (any) or a test of the resource against @match_data
 *
 * Return: 0, or -ENOENT when @dev has no such resource.
 */
int devres_destroy(struct device *dev, dr_release_t release,
		   dr_match_t match, void *match_data)
{
	struct sim_devres *dr = devres_remove(dev, release, match, match_data);

	if (!dr)
		return -ENOENT;
	sim_kfree(dr->m, dr);
	return 0;
}

/**
 * devres_release - release a resource of @dev now, and forget it
 *
 * As devres_destroy(), but the release function runs first (without the
 * devres lock held). Return: 0, or -ENOENT.
 */
int devres_release(struct device *dev, dr_release_t release,
		   dr_match_t match, void *match_data)
{
	struct sim_devres *dr = devres_remove(dev, release, match, match_data);

	if (!dr)
		return -ENOENT;
	dr->release(dev, dr->data);
	sim_kfree(dr->m, dr);
	return 0;
}

/**
 * devres_release_all - release every resource of @dev, newest first
 *
 * The list is taken off the device under the devres lock; the release
 * functions run after it is dropped. Return: how many were released.
 */
int devres_release_all(struct device *dev)
{
	pthread_mutex_t *lock = devres_lock_of(dev);
	struct sim_devres *list, *dr;
	int n = 0;

	if (!lock)
		return 0;
	pthread_mutex_lock(lock);
	list = dev->sim_devres;
	dev->sim_devres = NULL;
	pthread_mutex_unlock(lock);
	while ((dr = list)) {
		list = dr->next;
		dr->release(dev, dr->data);
		sim_kfree(dr->m, dr);
		n++;
	}
	return n;
}

/**
 * sim_device_unbind - the driver is unbound from @dev
 * @dev: the device (NULL: nothing)
 *
 * What the driver core does once a driver's remove has run (or its probe
 * failed): the device's managed resources are released, newest first,
 * then dma-debug reports whatever the device still has mapped or
 * allocated (BUS_NOTIFY_UNBOUND_DRIVER). Takes the devres lock, then
 * dma-debug's bucket locks.
 */
void sim_device_unbind(struct device *dev)
{
	if (!dev)
		return;
	devres_release_all(dev);
	debug_dma_device_unbound(dev);
}
