// SPDX-License-Identifier: MIT
/*
 * VFIO migration data buffers as vfio/mlx5 keeps them since "vfio/mlx5:
 * Explicitly use number of pages instead of allocated length" and "vfio/
 * mlx5: Enable the DMA link API" (drivers/vfio/pci/mlx5/cmd.c): the
 * device's state lives in an array of struct page pointers, mapped for the
 * device with the two-step IOVA API, with the per-page dma_map_page()
 * fallback of register_dma_pages() when the IOVA API is not usable.
 *
 * The device side is a model of mlx5's SAVE_VHCA_STATE / LOAD_VHCA_STATE:
 * the device writes (or reads) its state image through the buffer's memory
 * key. With the IOVA API the key is one contiguous range (byte N at
 * IOVA + N); on the fallback path it is the MTT, one DMA address per page,
 * which is the only per-page DMA address anything keeps.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/**
 * struct vfio_mig_buf - one migration data buffer (mlx5_vhca_data_buffer)
 * @dev: the device that moves the state by DMA
 * @m: its machine
 * @page_list: every page of the buffer, in buffer order
 * @npages: pages in @page_list
 * @block_order: pages are allocated in blocks of 1 << @block_order pages,
 *	one IOMMU granule each, so that every dma_iova_link() covers whole
 *	granules (see buf_block_order())
 * @dir: the direction the buffer is mapped for, DMA_NONE while unmapped
 * @state: the IOVA API state, zero when the fallback path mapped it
 * @mtt: the fallback's translation table (a DMA address per page), NULL
 *	on the IOVA path and while unmapped
 */
struct vfio_mig_buf {
	struct device *dev;
	struct sim_machine *m;
	struct page **page_list;
	u32 npages;
	unsigned int block_order;
	enum dma_data_direction dir;
	struct dma_iova_state state;
	dma_addr_t *mtt;
};

/*
 * mlx5 links PAGE_SIZE pages one by one. Behind an IOMMU whose granule is
 * larger than a page (a 4K kernel on a 64K-granule SMMU) every link after
 * the first would start inside a granule, which dma_iova_link() refuses
 * (-EIO, its WARN_ON_ONCE). The kernel tells a driver the granule through
 * dma_get_merge_boundary(); here the buffer allocates granule-sized,
 * naturally aligned blocks and links one block at a time instead.
 */
static unsigned int buf_block_order(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	unsigned long granule = sim_iommu_granule(dev);

	if (!dom || !iommu_is_dma_domain(dom) || granule <= PAGE_SIZE)
		return 0;
	return (unsigned int)get_order(granule);
}

static u32 round_npages(const struct vfio_mig_buf *buf, u32 npages)
{
	return ALIGN(npages, 1U << buf->block_order);
}

/* Undo alloc_pages of blocks [@from, @to) of @list (in pages). */
static void free_blocks(struct vfio_mig_buf *buf, struct page **list,
			u32 from, u32 to)
{
	u32 step = 1U << buf->block_order;

	while (to > from) {
		to -= step;
		sim_free_pages(buf->m, list[to], buf->block_order);
	}
}

/*
 * Fill @list[@from, @to) with new pages, block by block (mlx5vf_add_pages());
 * on failure nothing new stays allocated.
 */
static int alloc_blocks(struct vfio_mig_buf *buf, struct page **list,
			u32 from, u32 to)
{
	u32 step = 1U << buf->block_order;
	u32 i;

	for (i = from; i < to; i += step) {
		struct page *pg = sim_alloc_pages(buf->m, buf->block_order);

		if (!pg)
			goto err_free;
		for (u32 k = 0; k < step; k++)
			list[i + k] = pg + k;
	}
	return 0;

err_free:
	free_blocks(buf, list, from, i);
	return -ENOMEM;
}

/* unregister_dma_pages(): undo the first @npages pages of a mapping. */
static void unregister_dma_pages(struct vfio_mig_buf *buf, u32 npages,
				 enum dma_data_direction dir)
{
	if (dma_use_iova(&buf->state)) {
		dma_iova_destroy(buf->dev, &buf->state,
				 (size_t)npages * PAGE_SIZE, dir, 0);
		memset(&buf->state, 0, sizeof(buf->state));
		return;
	}
	/* in reverse, as mlx5 does, so a partial mapping unwinds the same way */
	while (npages--)
		dma_unmap_page(buf->dev, buf->mtt[npages], PAGE_SIZE, dir);
	sim_kfree(buf->m, buf->mtt);
	buf->mtt = NULL;
}

/*
 * register_dma_pages(): one IOVA range for the whole buffer when the IOVA
 * API is usable, else dma_map_page() page by page into the MTT. Nothing
 * stays mapped or allocated when it fails.
 */
static int register_dma_pages(struct vfio_mig_buf *buf,
			      enum dma_data_direction dir)
{
	size_t block = PAGE_SIZE << buf->block_order;
	size_t mapped = 0;
	u32 i;
	int err;

	if (dma_iova_try_alloc(buf->dev, &buf->state, 0,
			       (size_t)buf->npages * PAGE_SIZE)) {
		for (i = 0; i < buf->npages; i += 1U << buf->block_order) {
			err = dma_iova_link(buf->dev, &buf->state,
					    page_to_phys(buf->page_list[i]),
					    mapped, block, dir, 0);
			if (err)
				goto err_unregister;
			mapped += block;
		}
		/* one IOTLB sync for everything, not one per page */
		err = dma_iova_sync(buf->dev, &buf->state, 0, mapped);
		if (err)
			goto err_unregister;
		return 0;
	}

	/*
	 * No IOVA API (dma-direct, or the IOVA space could not be had): the
	 * device's MTT needs one DMA address per page.
	 */
	buf->mtt = sim_kcalloc(buf->m, buf->npages, sizeof(*buf->mtt));
	if (!buf->mtt)
		return -ENOMEM;
	for (i = 0; i < buf->npages; i++) {
		dma_addr_t addr = dma_map_page(buf->dev, buf->page_list[i], 0,
					       PAGE_SIZE, dir);

		err = dma_mapping_error(buf->dev, addr);
		if (err)
			goto err_unregister_pages;
		buf->mtt[i] = addr;
	}
	return 0;

err_unregister_pages:
	unregister_dma_pages(buf, i, dir);
	return err;
err_unregister:
	unregister_dma_pages(buf, (u32)(mapped / PAGE_SIZE), dir);
	return err;
}

/**
 * vfio_mig_buf_map - map an unmapped buffer for the device
 * @buf: the buffer
 * @dir: DMA_FROM_DEVICE for a save buffer, DMA_TO_DEVICE for a load
 *	buffer, or DMA_BIDIRECTIONAL
 *
 * mlx5vf_dma_data_buffer() without the memory key: the buffer's
 * translation is its IOVA range or its MTT.
 *
 * Return: 0, -EINVAL (already mapped, no pages, DMA_NONE), -ENOMEM, or
 * the link's error.
 */
int vfio_mig_buf_map(struct vfio_mig_buf *buf, enum dma_data_direction dir)
{
	int err;

	if (buf->dir != DMA_NONE || !buf->npages)
		return -EINVAL;
	if (!valid_dma_direction(dir)) {
		/* mlx5's WARN_ON_ONCE(dir == DMA_NONE) */
		SIM_WARN(buf->m, buf->dev, "vfio_mig_buf_map: %s: direction %d",
			 dev_name(buf->dev), dir);
		return -EINVAL;
	}
	err = register_dma_pages(buf, dir);
	if (err)
		return err;
	buf->dir = dir;
	return 0;
}

static void vfio_mig_buf_unmap(struct vfio_mig_buf *buf)
{
	if (buf->dir == DMA_NONE)
		return;
	unregister_dma_pages(buf, buf->npages, buf->dir);
	buf->dir = DMA_NONE;
}

/**
 * vfio_mig_buf_alloc - allocate (and map) a migration data buffer
 * @dev: the device that moves the state by DMA
 * @npages: pages of state it must hold
 * @dir: the mapping's direction, DMA_NONE to leave it unmapped
 *
 * mlx5vf_alloc_data_buffer(): the pages first, then the mapping.
 *
 * Return: the buffer, or ERR_PTR(-EINVAL), ERR_PTR(-ENOMEM), or the
 * mapping's error.
 */
struct vfio_mig_buf *vfio_mig_buf_alloc(struct device *dev, u32 npages,
					enum dma_data_direction dir)
{
	struct vfio_mig_buf *buf;
	u32 n;
	int err;

	if (!dev || !npages || (dir != DMA_NONE && !valid_dma_direction(dir)))
		return ERR_PTR(-EINVAL);
	buf = sim_kzalloc(dev->sim, sizeof(*buf));
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->dev = dev;
	buf->m = dev->sim;
	buf->dir = DMA_NONE;
	buf->block_order = buf_block_order(dev);
	n = round_npages(buf, npages);
	if (n < npages) {	/* rounding wrapped */
		err = -EINVAL;
		goto err_free_buf;
	}
	buf->page_list = sim_kcalloc(buf->m, n, sizeof(*buf->page_list));
	if (!buf->page_list) {
		err = -ENOMEM;
		goto err_free_buf;
	}
	err = alloc_blocks(buf, buf->page_list, 0, n);
	if (err)
		goto err_free_list;
	buf->npages = n;
	if (dir != DMA_NONE) {
		err = vfio_mig_buf_map(buf, dir);
		if (err)
			goto err_free_pages;
	}
	return buf;

err_free_pages:
	free_blocks(buf, buf->page_list, 0, n);
err_free_list:
	sim_kfree(buf->m, buf->page_list);
err_free_buf:
	sim_kfree(dev->sim, buf);
	return ERR_PTR(err);
}

/**
 * vfio_mig_buf_free - unmap and free a buffer (mlx5vf_free_data_buffer())
 * @buf: the buffer; NULL or an ERR_PTR is ignored
 */
void vfio_mig_buf_free(struct vfio_mig_buf *buf)
{
	if (IS_ERR_OR_NULL(buf))
		return;
	vfio_mig_buf_unmap(buf);
	free_blocks(buf, buf->page_list, 0, buf->npages);
	sim_kfree(buf->m, buf->page_list);
	sim_kfree(buf->m, buf);
}

/**
 * vfio_mig_buf_add_pages - grow a buffer, keeping its contents
 * @buf: the buffer
 * @npages: pages to add (rounded up to whole blocks)
 *
 * The new list and pages are had before anything is given up, so running
 * out of memory leaves the buffer as it was. A mapped buffer is then
 * unmapped and mapped again whole: an IOVA range cannot be extended, and
 * a new range beside the old one would map the old pages twice.
 *
 * Return: 0; -EINVAL (no pages asked, too many); -ENOMEM (buffer
 * unchanged); or the new mapping's error, the buffer grown and unmapped.
 */
int vfio_mig_buf_add_pages(struct vfio_mig_buf *buf, u32 npages)
{
	enum dma_data_direction dir = buf->dir;
	struct page **list;
	u32 add, total;
	int err;

	add = round_npages(buf, npages);
	if (!npages || add < npages || buf->npages + add < buf->npages)
		return -EINVAL;
	total = buf->npages + add;
	list = sim_kcalloc(buf->m, total, sizeof(*list));
	if (!list)
		return -ENOMEM;
	err = alloc_blocks(buf, list, buf->npages, total);
	if (err)
		goto err_free_list;
	memcpy(list, buf->page_list, buf->npages * sizeof(*list));

	vfio_mig_buf_unmap(buf);
	sim_kfree(buf->m, buf->page_list);
	buf->page_list = list;
	buf->npages = total;
	if (dir != DMA_NONE)
		return vfio_mig_buf_map(buf, dir);
	return 0;

err_free_list:
	sim_kfree(buf->m, list);
	return err;
}

u32 vfio_mig_buf_npages(const struct vfio_mig_buf *buf)
{
	return buf->npages;
}

bool vfio_mig_buf_mapped(const struct vfio_mig_buf *buf)
{
	return buf->dir != DMA_NONE;
}

bool vfio_mig_buf_uses_iova(const struct vfio_mig_buf *buf)
{
	return buf->dir != DMA_NONE && dma_use_iova((struct dma_iova_state *)
						    &buf->state);
}

struct page *vfio_mig_buf_page(const struct vfio_mig_buf *buf, u64 offset)
{
	u64 entry = offset / PAGE_SIZE;

	if (entry >= buf->npages)
		return NULL;
	return buf->page_list[entry];
}

dma_addr_t vfio_mig_buf_dma_addr(const struct vfio_mig_buf *buf, u64 offset)
{
	if (buf->dir == DMA_NONE || offset >= (u64)buf->npages * PAGE_SIZE)
		return DMA_MAPPING_ERROR;
	if (buf->mtt)
		return buf->mtt[offset / PAGE_SIZE] + offset % PAGE_SIZE;
	return buf->state.addr + offset;
}

size_t vfio_mig_buf_meta_bytes(const struct vfio_mig_buf *buf)
{
	size_t bytes = sizeof(*buf) + buf->npages * sizeof(*buf->page_list);

	if (buf->mtt)
		bytes += buf->npages * sizeof(*buf->mtt);
	return bytes;
}

static bool range_ok(const struct vfio_mig_buf *buf, u64 offset, size_t len)
{
	u64 size = (u64)buf->npages * PAGE_SIZE;

	return offset <= size && len <= size - offset;
}

int vfio_mig_buf_read(const struct vfio_mig_buf *buf, u64 offset, void *dst,
		      size_t len)
{
	u8 *d = dst;

	if (!range_ok(buf, offset, len))
		return -EINVAL;
	while (len) {
		size_t in = offset % PAGE_SIZE;
		size_t n = min(len, (size_t)PAGE_SIZE - in);

		memcpy(d, (u8 *)page_address(vfio_mig_buf_page(buf, offset)) +
			  in, n);
		d += n;
		offset += n;
		len -= n;
	}
	return 0;
}

int vfio_mig_buf_write(struct vfio_mig_buf *buf, u64 offset, const void *src,
		       size_t len)
{
	const u8 *s = src;

	if (!range_ok(buf, offset, len))
		return -EINVAL;
	while (len) {
		size_t in = offset % PAGE_SIZE;
		size_t n = min(len, (size_t)PAGE_SIZE - in);

		memcpy((u8 *)page_address(vfio_mig_buf_page(buf, offset)) + in,
		       s, n);
		/*
		 * Written while mapped: the device gets the bytes only after
		 * a sync for it (bounced or non-coherent DMA, dma-debug's
		 * ownership check).
		 */
		if (vfio_mig_buf_mapped(buf))
			dma_sync_single_for_device(buf->dev,
						   vfio_mig_buf_dma_addr(buf, offset),
						   n, buf->dir);
		s += n;
		offset += n;
		len -= n;
	}
	return 0;
}

/**
 * vfio_mig_state_image - bytes [@offset, @offset + @len) of a state image
 * @seed: which image
 * @offset: where in it
 * @dst: filled with @len bytes
 *
 * A function of the absolute offset (not of the chunk), so any split of
 * the image into pages or DMA bursts gives the same bytes; a header-like
 * first word carries the seed so images of different seeds differ at once.
 */
void vfio_mig_state_image(u32 seed, u64 offset, void *dst, size_t len)
{
	u8 *d = dst;

	for (size_t i = 0; i < len; i++) {
		u64 x = (offset + i) ^ ((u64)seed << 32);

		x *= 0x9e3779b97f4a7c15ULL;
		d[i] = (u8)(x >> 56) ^ (u8)((offset + i) >> 12);
	}
}

/* The device's bursts: the longest run that is contiguous in DMA space. */
#define MIG_DMA_CHUNK	(256 * 1024)

static int device_xfer(struct vfio_mig_buf *buf, u32 seed, size_t len,
		       bool save)
{
	size_t chunk = min(len, (size_t)MIG_DMA_CHUNK);
	u8 *img, *got = NULL;
	int ret = 0;

	if (buf->dir == DMA_NONE || !range_ok(buf, 0, len) ||
	    (save && buf->dir == DMA_TO_DEVICE) ||
	    (!save && buf->dir == DMA_FROM_DEVICE))
		return -EINVAL;
	if (!len)
		return 0;
	/* the device's own memory, not the machine's: plain malloc */
	img = malloc(chunk);
	if (!save)
		got = malloc(chunk);
	if (!img || (!save && !got)) {
		ret = -ENOMEM;
		goto out;
	}
	for (u64 off = 0; off < len;) {
		/*
		 * Through the memory key: one burst per chunk on the IOVA
		 * path, one per page through the MTT.
		 */
		size_t n = min((size_t)(len - off), chunk);
		dma_addr_t addr = vfio_mig_buf_dma_addr(buf, off);

		if (buf->mtt)
			n = min(n, (size_t)(PAGE_SIZE - off % PAGE_SIZE));
		vfio_mig_state_image(seed, off, img, n);
		if (save) {
			ret = sim_dma_write(buf->dev, addr, img, n);
		} else {
			ret = sim_dma_read(buf->dev, addr, got, n);
			if (!ret && memcmp(got, img, n))
				ret = -EBADMSG;
		}
		if (ret)
			break;
		off += n;
	}
out:
	free(got);
	free(img);
	return ret;
}

/**
 * vfio_mig_device_save - the device writes its state into @buf by DMA
 * @buf: a buffer mapped DMA_FROM_DEVICE or DMA_BIDIRECTIONAL
 * @seed: which state image
 * @len: its size, at most the buffer's
 *
 * Return: 0, -EINVAL, -ENOMEM, or the DMA error.
 */
int vfio_mig_device_save(struct vfio_mig_buf *buf, u32 seed, size_t len)
{
	return device_xfer(buf, seed, len, true);
}

/**
 * vfio_mig_device_load - the device reads its state from @buf by DMA
 * @buf: a buffer mapped DMA_TO_DEVICE or DMA_BIDIRECTIONAL
 * @seed: the state image it must find
 * @len: its size
 *
 * Return: 0, -EBADMSG when the bytes read differ from the image, -EINVAL,
 * -ENOMEM, or the DMA error.
 */
int vfio_mig_device_load(struct vfio_mig_buf *buf, u32 seed, size_t len)
{
	return device_xfer(buf, seed, len, false);
}
