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
#include <string.h>
#include <dmastack/linux/slab.h>
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

/* ---- the kernel's devres API (current machine) ------------------------- */

/**
 * __devres_alloc_node - devres_alloc() on the current machine's allocator
 *
 * @gfp, @nid and @name are accepted; a zeroed resource of @size bytes
 * (aligned for any type) or NULL (no current machine, out of memory).
 */
void *__devres_alloc_node(dr_release_t release, size_t size, gfp_t gfp,
			  int nid, const char *name)
{
	(void)gfp;
	(void)nid;
	(void)name;
	return devres_alloc_machine(sim_current_machine(), release, size);
}

void *devres_find(struct device *dev, dr_release_t release, dr_match_t match,
		  void *match_data)
{
	pthread_mutex_t *lock = devres_lock_of(dev);
	struct sim_devres *dr;
	void *found = NULL;

	if (!lock)
		return NULL;
	pthread_mutex_lock(lock);
	for (dr = dev->sim_devres; dr; dr = dr->next)
		if (dr->release == release &&
		    (!match || match(dev, dr->data, match_data))) {
			found = dr->data;
			break;
		}
	pthread_mutex_unlock(lock);
	return found;
}

/* devm_kmalloc(): the resource holds the kmalloc()ed object. */
struct devm_kmem {
	void *p;
};

static void devm_kmem_release(struct device *dev, void *res)
{
	(void)dev;
	kfree(((struct devm_kmem *)res)->p);
}

static int devm_kmem_match(struct device *dev, void *res, void *data)
{
	(void)dev;
	return ((struct devm_kmem *)res)->p == data;
}

/**
 * devm_kmalloc - kmalloc() memory of @dev, freed when its driver unbinds
 *
 * The memory is kmalloc()'s (machine RAM, in the linear map), so it can
 * be DMA mapped as kmalloc memory can. NULL for a NULL device, a size of
 * 0, or no memory; the device's machine allocates.
 */
void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp)
{
	struct sim_machine *m = dev ? dev->sim : NULL;
	struct sim_machine *prev;
	struct devm_kmem *dr;
	void *p;

	if (!m || !size)
		return NULL;
	prev = sim_set_current_machine(m);
	dr = devres_alloc_machine(m, devm_kmem_release, sizeof(*dr));
	p = dr ? kmalloc(size, gfp) : NULL;
	sim_set_current_machine(prev);
	if (!p) {
		devres_free(dr);
		return NULL;
	}
	dr->p = p;
	devres_add(dev, dr);
	return p;
}

/* Free what devm_kmalloc() gave @dev now; anything else is a WARN. */
void devm_kfree(struct device *dev, const void *p)
{
	struct sim_machine *prev;
	int ret;

	if (!p || p == ZERO_SIZE_PTR)
		return;
	prev = sim_set_current_machine(dev ? dev->sim : NULL);
	ret = devres_release(dev, devm_kmem_release, devm_kmem_match,
			     (void *)p);
	WARN_ON(ret);
	sim_set_current_machine(prev);
}

char *devm_kstrdup(struct device *dev, const char *s, gfp_t gfp)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = devm_kmalloc(dev, n, gfp);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* devm_add_action(): the resource holds the action and its data. */
struct devm_action {
	void (*action)(void *);
	void *data;
};

static void devm_action_release(struct device *dev, void *res)
{
	struct devm_action *a = res;

	(void)dev;
	a->action(a->data);
}

static int devm_action_match(struct device *dev, void *res, void *p)
{
	struct devm_action *a = res, *want = p;

	(void)dev;
	return a->action == want->action && a->data == want->data;
}

int __devm_add_action(struct device *dev, void (*action)(void *), void *data,
		      const char *name)
{
	struct devm_action *a;

	(void)name;
	if (!dev || !action)
		return -EINVAL;
	a = devres_alloc_machine(dev->sim, devm_action_release, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->action = action;
	a->data = data;
	devres_add(dev, a);
	return 0;
}

void devm_remove_action(struct device *dev, void (*action)(void *), void *data)
{
	struct devm_action want = { action, data };

	WARN_ON(devres_destroy(dev, devm_action_release, devm_action_match,
			       &want));
}

void devm_release_action(struct device *dev, void (*action)(void *), void *data)
{
	struct devm_action want = { action, data };

	WARN_ON(devres_release(dev, devm_action_release, devm_action_match,
			       &want));
}
