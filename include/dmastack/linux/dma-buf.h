/* SPDX-License-Identifier: MIT */
/*
 * dma-buf (include/linux/dma-buf.h): a buffer one driver exports and others
 * import by file descriptor, with static and dynamic (move_notify)
 * attachments, and the exporter helper of the 2025 series that turns a
 * list of MMIO physical ranges into a DMA-only sg_table
 * (dma_buf_phys_vec_to_sgt()).
 *
 * Differences forced by having no process: file descriptors live in the
 * machine (struct dma_buf_export_info names it in @sim), so the lookup by
 * fd, dma_buf_get(), is on the current machine (sim_dma_buf_get(machine,
 * fd) for programs) and closing one is sim_fd_close().
 */
#ifndef _DMASTACK_LINUX_DMA_BUF_H
#define _DMASTACK_LINUX_DMA_BUF_H

#include "types.h"
#include "fcntl.h"
#include "fs.h"
#include "iosys-map.h"
#include "device.h"
#include "dma-mapping.h"
#include "dma-resv.h"
#include "scatterlist.h"
#include "pci-p2pdma.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dma_buf;
struct dma_buf_attachment;
struct sim_machine;

struct dma_buf_ops {
	/* 0 or -errno; e.g. -EOPNOTSUPP when the importer can't do P2P */
	int (*attach)(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
	void (*detach)(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
	int (*pin)(struct dma_buf_attachment *attach);
	void (*unpin)(struct dma_buf_attachment *attach);
	/* under the reservation lock; ERR_PTR on failure */
	struct sg_table *(*map_dma_buf)(struct dma_buf_attachment *attach,
					enum dma_data_direction dir);
	void (*unmap_dma_buf)(struct dma_buf_attachment *attach,
			      struct sg_table *sgt, enum dma_data_direction dir);
	/* the last reference went: free the exporter's state */
	void (*release)(struct dma_buf *dmabuf);
	/* CPU access around the exporter's caches (optional) */
	int (*begin_cpu_access)(struct dma_buf *dmabuf,
				enum dma_data_direction dir);
	int (*end_cpu_access)(struct dma_buf *dmabuf,
			      enum dma_data_direction dir);
	/* a kernel mapping of the whole buffer, under the lock (optional) */
	int (*vmap)(struct dma_buf *dmabuf, struct iosys_map *map);
	void (*vunmap)(struct dma_buf *dmabuf, struct iosys_map *map);
};

struct file;

struct dma_buf {
	size_t size;
	struct file *file;		/* its anonymous file (<linux/fs.h>) */
	const struct dma_buf_ops *ops;
	void *priv;
	const char *exp_name;
	struct dma_resv *resv;
	/* dma_buf_vmap(): the mapping and its users, under @resv */
	unsigned int vmapping_counter;
	struct iosys_map vmap_ptr;
	struct sim_machine *sim;
	void *sim_priv;			/* machine-private: refs, fds, list */
};

/* Importer side of a dynamic attachment. */
struct dma_buf_attach_ops {
	/* the importer can take P2P (bus or MMIO) addresses */
	bool allow_peer2peer;
	/*
	 * Called with the reservation lock held when the exporter moves or
	 * revokes the buffer: the importer must stop DMA and unmap before
	 * returning (it may map again later, if the exporter allows).
	 */
	void (*move_notify)(struct dma_buf_attachment *attach);
};

struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	struct device *dev;
	bool peer2peer;
	const struct dma_buf_attach_ops *importer_ops;
	void *importer_priv;
	void *priv;			/* exporter's */
	/*
	 * The most recent mapping of this attachment still live, and its
	 * direction, NULL when none (under the reservation lock). Tracking
	 * only: as the kernel since 6.15, nothing is cached and every
	 * dma_buf_map_attachment() calls the exporter.
	 */
	struct sg_table *sgt;
	enum dma_data_direction dir;
	void *sim_priv;			/* machine-private list link */
};

struct dma_buf_export_info {
	const char *exp_name;
	const struct dma_buf_ops *ops;
	size_t size;
	int flags;
	struct dma_resv *resv;		/* NULL: the buffer gets its own */
	void *priv;
	/* dmastack: the machine it lives in; NULL: the current machine */
	struct sim_machine *sim;
};

#define DEFINE_DMA_BUF_EXPORT_INFO(name) \
	struct dma_buf_export_info name = { .exp_name = __FILE__ }

/*
 * A new buffer holding one reference, on @exp_info->sim or else the current
 * machine; ERR_PTR(-EINVAL) (reported) without a machine, ops with map_dma_buf/unmap_dma_buf/release, a priv, a size,
 * or with only one of pin/unpin; ERR_PTR(-ENOMEM).
 */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info);
/*
 * The lowest free fd in the machine's table; consumes the caller's
 * reference on success. -EINVAL, -ENOMEM or -EMFILE (the caller keeps it).
 */
int dma_buf_fd(struct dma_buf *dmabuf, int flags);
/* A new reference to the buffer behind @fd; ERR_PTR(-EBADF). */
struct dma_buf *dma_buf_get(int fd);

/*
 * CPU access: begin waits for the fences of the access (a write waits for
 * readers too) running the machine, then calls the exporter's hook; 0 or
 * its -errno.
 */
int dma_buf_begin_cpu_access(struct dma_buf *dmabuf,
			     enum dma_data_direction dir);
int dma_buf_end_cpu_access(struct dma_buf *dmabuf,
			   enum dma_data_direction dir);
/*
 * A kernel mapping of the whole buffer, shared by its users (counted);
 * the reservation lock held (the _unlocked forms take it). 0, -EINVAL (no
 * vmap op, NULL arguments), or the exporter's -errno.
 */
int dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map);
void dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map);
int dma_buf_vmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map);
void dma_buf_vunmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map);
void get_dma_buf(struct dma_buf *dmabuf);
void dma_buf_put(struct dma_buf *dmabuf);

struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf,
					  struct device *dev);
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv);
void dma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
int dma_buf_pin(struct dma_buf_attachment *attach);
void dma_buf_unpin(struct dma_buf_attachment *attach);
bool dma_buf_is_dynamic(struct dma_buf *dmabuf);
bool dma_buf_attachment_is_dynamic(struct dma_buf_attachment *attach);

/* Under dmabuf->resv. */
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir);
void dma_buf_unmap_attachment(struct dma_buf_attachment *attach,
			      struct sg_table *sgt, enum dma_data_direction dir);
/* Taking the reservation lock themselves. */
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
				enum dma_data_direction dir);
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach,
				       struct sg_table *sgt,
				       enum dma_data_direction dir);
/*
 * Under dmabuf->resv: every dynamic importer's move_notify, in list order
 * (the newest attachment first, as the kernel's list_add()).
 */
void dma_buf_move_notify(struct dma_buf *dmabuf);

/* ---- the exporter helper for MMIO (drivers/dma-buf/dma-buf-mapping.c) --- */

/* The name before 7.0 of struct phys_vec (<linux/types.h>): one type. */
#define dma_buf_phys_vec phys_vec

/*
 * A DMA-only sg_table (orig_nents == 0, no pages, entries split at
 * UINT_MAX) for @attach->dev reaching @provider's MMIO ranges: bus
 * addresses for PCI_P2PDMA_MAP_BUS_ADDR; for THRU_HOST_BRIDGE one IOVA
 * range (dma_iova_try_alloc/link/sync with DMA_ATTR_MMIO) or, when that
 * is not possible, dma_map_phys(DMA_ATTR_MMIO) per range; ERR_PTR(-EINVAL)
 * when not supported or when the ranges do not add up to @size, -ENOMEM,
 * or the mapping error. Everything is undone
 * on failure. The reservation lock must be held. Free with
 * dma_buf_free_sgt().
 */
struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 struct dma_buf_phys_vec *phys_vec,
					 size_t nr_ranges, size_t size,
					 enum dma_data_direction dir);
void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_LINUX_DMA_BUF_H */
