/* SPDX-License-Identifier: MIT */
/*
 * struct device: the DMA-relevant part of the kernel's device model.
 *
 * Field names are the kernel's so that code which pokes dev->dma_mask or
 * dev->bus_dma_limit compiles unchanged. Devices are created by the machine
 * from the platform text and owned by it; look them up with sim_device().
 */
#ifndef _DMASTACK_LINUX_DEVICE_H
#define _DMASTACK_LINUX_DEVICE_H

#include "types.h"
#include "numa.h"
#include "gfp.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct dma_map_ops;
struct io_tlb_mem;
struct sim_dev_state;
struct sim_devres;

struct module;
struct of_device_id;

/* A driver, as the driver core knows it (embedded in struct pci_driver). */
struct device_driver {
	const char *name;
	struct module *owner;
	const struct of_device_id *of_match_table;
	bool suppress_bind_attrs;
};

struct device_dma_parameters {
	unsigned int max_segment_size;
	unsigned int min_align_mask;
	unsigned long segment_boundary_mask;
};

/* One DRAM-to-bus translation (the kernel's struct bus_dma_region). */
struct bus_dma_region {
	phys_addr_t cpu_start;
	dma_addr_t dma_start;
	u64 size;
};

enum sim_bus_type {
	SIM_BUS_PCI = 1,
	SIM_BUS_PLATFORM,
};

/*
 * The kernel's kobject, as far as a device's lifetime needs it: its
 * reference count (get_device()/put_device()).
 */
struct kobject {
	unsigned int refcount;		/* __atomic access */
	bool added;			/* between device_add() and device_del() */
};

struct device {
	struct device *parent;
	struct kobject kobj;
	/* called by the last put_device() of a device_initialize()d device */
	void (*release)(struct device *dev);
	const char *init_name;		/* the name device_add() takes */
	const char *name;		/* dev_name(): "0000:03:00.0" for PCI */
	const char *driver_name;	/* dev_driver_string() */
	enum sim_bus_type bus_type;

	u64 *dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;		/* upstream bus limit, 0 for none */
	const struct bus_dma_region *dma_range_map;
	const struct dma_map_ops *dma_ops;	/* legacy ops, NULL for direct */
	struct io_tlb_mem *dma_io_tlb_mem;
	struct device_dma_parameters *dma_parms;
	struct iommu_group *iommu_group;	/* NULL without a translating IOMMU */

	bool dma_coherent;
	bool dma_ops_bypass;
	bool dma_skip_sync;
	bool dma_iommu;			/* iommu-dma owns this device */
	bool removable;

	struct device_driver *driver;	/* the bound driver, or NULL */
	void *driver_data;		/* dev_set_drvdata() */

	struct sim_machine *sim;	/* the machine this device lives in */
	struct sim_dev_state *sim_state;	/* the hardware's, private */
	struct sim_dma_dev_stats *sim_dma_stats; /* the DMA API's, private */
	/* managed resources (devres), newest first: the driver core's */
	struct sim_devres *sim_devres;
};

static inline const char *dev_name(const struct device *dev)
{
	return dev->name;
}

static inline const char *dev_driver_string(const struct device *dev)
{
	return dev->driver_name ? dev->driver_name : "";
}

/*
 * The driver core for devices a driver makes itself (a child of its PCI
 * function, a class device): reference counted, named, released by the
 * last put_device(). Such a device does no DMA of its own (as in the
 * kernel, it has no DMA configuration: map for its parent).
 */
void device_initialize(struct device *dev);
int device_add(struct device *dev);
int device_register(struct device *dev);
void device_del(struct device *dev);
void device_unregister(struct device *dev);
struct device *get_device(struct device *dev);
void put_device(struct device *dev);
int dev_set_name(struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Managed resources (devres): released, newest first, when the device's
 * driver is unbound (after its remove or a failed probe) and at shutdown.
 * devres_alloc() is on the current machine's allocator.
 */
typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);

void *__devres_alloc_node(dr_release_t release, size_t size, gfp_t gfp,
			  int nid, const char *name);
#define devres_alloc(release, size, gfp)				\
	__devres_alloc_node(release, size, gfp, NUMA_NO_NODE, #release)
#define devres_alloc_node(release, size, gfp, nid)			\
	__devres_alloc_node(release, size, gfp, nid, #release)
void devres_free(void *res);
void devres_add(struct device *dev, void *res);
/* The newest matching resource's data, or NULL (@match NULL: any). */
void *devres_find(struct device *dev, dr_release_t release, dr_match_t match,
		  void *match_data);
int devres_destroy(struct device *dev, dr_release_t release,
		   dr_match_t match, void *match_data);
int devres_release(struct device *dev, dr_release_t release,
		   dr_match_t match, void *match_data);

/*
 * Managed memory: kmalloc() memory (machine RAM, DMA-able as kmalloc's)
 * freed at unbind; devm_kfree() frees it early. NULL for a NULL device.
 */
void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
void devm_kfree(struct device *dev, const void *p);
char *devm_kstrdup(struct device *dev, const char *s, gfp_t gfp);

static inline void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp)
{
	return devm_kmalloc(dev, size, gfp | __GFP_ZERO);
}

static inline void *devm_kmalloc_array(struct device *dev, size_t n,
				       size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return devm_kmalloc(dev, bytes, flags);
}

static inline void *devm_kcalloc(struct device *dev, size_t n, size_t size,
				 gfp_t flags)
{
	return devm_kmalloc_array(dev, n, size, flags | __GFP_ZERO);
}

/*
 * devm_add_action - run @action(@data) at unbind. 0 or -ENOMEM;
 * devm_add_action_or_reset() runs @action at once when it fails.
 */
int __devm_add_action(struct device *dev, void (*action)(void *), void *data,
		      const char *name);
#define devm_add_action(dev, action, data)				\
	__devm_add_action(dev, action, data, #action)

static inline int __devm_add_action_or_reset(struct device *dev,
					     void (*action)(void *),
					     void *data, const char *name)
{
	int ret = __devm_add_action(dev, action, data, name);

	if (ret)
		action(data);
	return ret;
}
#define devm_add_action_or_reset(dev, action, data)			\
	__devm_add_action_or_reset(dev, action, data, #action)
/* Forget (remove) or run now (release) the action added with @data. */
void devm_remove_action(struct device *dev, void (*action)(void *), void *data);
void devm_release_action(struct device *dev, void (*action)(void *), void *data);

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

/*
 * The kernel log (dev_err() and the rest): a line in the reports of the
 * device's machine (information, not a finding), "<level>driver
 * name: message" as dmesg prints it. dev_dbg() is compiled out unless
 * DEBUG is defined, as with the kernel's dynamic debug off.
 */
void _dev_printk(const char *level, const struct device *dev,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define dev_printk(level, dev, fmt, ...) \
	_dev_printk(level, dev, fmt, ##__VA_ARGS__)
#define dev_emerg(dev, fmt, ...)	_dev_printk("<0>", dev, fmt, ##__VA_ARGS__)
#define dev_crit(dev, fmt, ...)		_dev_printk("<2>", dev, fmt, ##__VA_ARGS__)
#define dev_err(dev, fmt, ...)		_dev_printk("<3>", dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...)		_dev_printk("<4>", dev, fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...)	_dev_printk("<5>", dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...)		_dev_printk("<6>", dev, fmt, ##__VA_ARGS__)
#ifdef DEBUG
#define dev_dbg(dev, fmt, ...)		_dev_printk("<7>", dev, fmt, ##__VA_ARGS__)
#else
#define dev_dbg(dev, fmt, ...)		do { if (0) _dev_printk("<7>", dev, fmt, ##__VA_ARGS__); } while (0)
#endif

static inline bool dev_is_dma_coherent(struct device *dev)
{
	return dev->dma_coherent;
}

static inline bool dev_is_pci(struct device *dev)
{
	return dev && dev->bus_type == SIM_BUS_PCI;
}

static inline bool device_iommu_mapped(struct device *dev)
{
	return dev->dma_iommu;
}

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DEVICE_H */
