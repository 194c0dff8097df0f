// SPDX-License-Identifier: MIT
/*
 * The block layer's kernel types and calls: bios (bio_add_page()'s merges
 * and refusals, the iterators), requests of bios (blk_rq_append_bio()'s
 * layout checks, the DMA iterator walking a chain of bios exactly as it
 * walks the same data in one table), and blk-mq's passthrough path (tag
 * sets, queues, blk_rq_map_kern() in place and bounced, blk_execute_rq()
 * with a driver that completes from a device timer), each with its
 * misuse and a fail-Nth sweep.
 */
#include <dmastack/linux/bio.h>
#include <dmastack/linux/blk-mq.h>
#include <dmastack/linux/slab.h>
#include <dmastack/linux/vmalloc.h>
#include <dmastack/sim-timer.h>
#include "variants.h"
#include "failnth.h"

struct fx {
	VARIANT_FX;
	struct device *dev;
	struct pci_dev *gpu;
	unsigned long warns;	/* WARNs the test provoked */
};

static int fx_setup(void **state)
{
	struct fx *f = variant_fx_new(state, sizeof(*f), &variant_api_machine);

	f->dev = dev_of(f->m, "dev0");
	f->gpu = to_pci_dev(dev_of(f->m, "gpu0"));
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int bad = 0;

	if (f && sim_report_count_kind(f->m, SIM_REPORT_WARN) != f->warns) {
		sim_report_dump(f->m, stderr);
		bad = -1;
	}
	if (variant_fx_teardown(state, TD_CLEAN))
		bad = -1;
	return bad;
}

/* @n order-0 pages, physically apart (every other one of a block). */
static void scattered_pages(struct page *block, struct page **pg, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pg[i] = block + 2 * i;
}

static void test_bio_add_page(void **state)
{
	struct fx *f = *state;
	struct page *block = alloc_pages(GFP_KERNEL, 3);
	struct bio_vec table[3];
	struct bvec_iter it;
	struct bio_vec bv;
	struct bio bio;
	unsigned int n = 0, bytes = 0;

	assert_non_null(block);
	bio_init(&bio, NULL, table, 3, REQ_OP_WRITE);
	/* contiguous pages merge into one multi-page bvec */
	assert_int_equal(bio_add_page(&bio, block, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(bio_add_page(&bio, block + 1, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(bio.bi_vcnt, 1);
	assert_int_equal(table[0].bv_len, 2 * PAGE_SIZE);
	/* a gap opens a new bvec; the table fills up */
	assert_int_equal(bio_add_page(&bio, block + 3, 512, 0), 512);
	assert_int_equal(bio_add_page(&bio, block + 5, 512, 512), 512);
	assert_int_equal(bio.bi_vcnt, 3);
	assert_int_equal(bio_add_page(&bio, block + 7, 512, 0), 0);
	/* but a contiguous piece still merges into the last bvec */
	assert_int_equal(bio_add_page(&bio, block + 5, 512, 1024), 512);
	assert_int_equal(bio.bi_iter.bi_size, 2 * PAGE_SIZE + 3 * 512);
	assert_int_equal(bio_add_page(&bio, NULL, 512, 0), 0);
	/* the size may not pass UINT_MAX */
	bio.bi_iter.bi_size = UINT_MAX - 100;
	assert_int_equal(bio_add_page(&bio, block + 5, 512, 1536), 0);
	bio.bi_iter.bi_size = 2 * PAGE_SIZE + 3 * 512;

	/* whole bvecs, then single pages */
	bio_for_each_bvec(bv, &bio, it) {
		n++;
		bytes += bv.bv_len;
	}
	assert_int_equal(n, 3);
	assert_int_equal(bytes, bio.bi_iter.bi_size);
	n = 0;
	bio_for_each_segment(bv, &bio, it) {
		assert_true(bv.bv_offset + bv.bv_len <= PAGE_SIZE);
		n++;
	}
	assert_int_equal(n, 4);
	/* advancing consumes across bvecs; past the end is a WARN */
	bio_advance(&bio, PAGE_SIZE + 512);
	assert_int_equal(bio.bi_iter.bi_idx, 0);
	assert_int_equal(bio.bi_iter.bi_bvec_done, PAGE_SIZE + 512);
	bio_advance(&bio, PAGE_SIZE);
	assert_int_equal(bio.bi_iter.bi_idx, 2);
	assert_int_equal(bio.bi_iter.bi_bvec_done, 0);
	assert_int_equal(bio.bi_iter.bi_sector, (2 * PAGE_SIZE + 512) >> 9);
	bio_advance(&bio, 4096);
	assert_int_equal(bio.bi_iter.bi_size, 0);
	f->warns++;
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_WARN), 1);
	/* a clone's table is not its own */
	bio_set_flag(&bio, BIO_CLONED);
	assert_int_equal(bio_add_page(&bio, block + 7, 512, 0), 0);
	f->warns++;
	bio_uninit(&bio);
	__free_pages(block, 3);
}

static void test_bio_p2p_apart(void **state)
{
	struct fx *f = *state;
	struct page *ram = alloc_page(GFP_KERNEL);
	struct bio_vec table[4];
	struct bio bio;
	void *p2p;

	assert_int_equal(pcim_p2pdma_init(f->gpu), 0);
	assert_int_equal(pci_p2pdma_add_resource(f->gpu, 2, SZ_1M, 0), 0);
	p2p = pci_alloc_p2pmem(f->gpu, SZ_64K);
	assert_non_null(p2p);
	bio_init(&bio, NULL, table, 4, REQ_OP_READ);
	assert_int_equal(bio_add_page(&bio, virt_to_page(p2p), PAGE_SIZE, 0), PAGE_SIZE);
	/* RAM never joins P2P memory in a bio */
	assert_int_equal(bio_add_page(&bio, ram, PAGE_SIZE, 0), 0);
	assert_int_equal(bio_add_page(&bio, virt_to_page((char *)p2p + SZ_8K),
				      PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(bio.bi_vcnt, 2);
	pci_free_p2pmem(f->gpu, p2p, SZ_64K);
	__free_page(ram);
}

static void test_bio_alloc_put(void **state)
{
	struct fx *f = *state;
	struct bio *bio = bio_alloc(NULL, 4, REQ_OP_WRITE, GFP_KERNEL);
	struct bio *k;

	assert_non_null(bio);
	assert_int_equal(bio->bi_max_vecs, 4);
	assert_ptr_equal(bio->bi_io_vec, bio->bi_inline_vecs);
	bio_get(bio);
	bio_put(bio);
	bio_put(bio);
	assert_null(bio_alloc(NULL, BIO_MAX_VECS + 1, REQ_OP_WRITE, GFP_KERNEL));
	k = bio_kmalloc(2, GFP_KERNEL);
	assert_non_null(k);
	bio_init(k, NULL, k->bi_inline_vecs, 2, REQ_OP_READ);
	bio_uninit(k);
	kfree(k);
	(void)f;
}

/* The segments the DMA iterator returns for @rq. */
struct segs {
	unsigned int n;
	dma_addr_t addr[64];
	size_t len[64];
	bool iova;
};

static void map_segs(struct device *dev, struct request *rq, struct segs *s)
{
	struct dma_iova_state state;
	struct blk_dma_iter iter;
	size_t total = 0;

	memset(s, 0, sizeof(*s));
	assert_true(blk_rq_dma_map_iter_start(rq, dev, &state, &iter));
	s->iova = blk_rq_dma_map_coalesce(&state);
	do {
		assert_true(s->n < 64);
		s->addr[s->n] = iter.addr;
		s->len[s->n++] = iter.len;
		total += iter.len;
	} while (blk_rq_dma_map_iter_next(rq, dev, &state, &iter));
	assert_int_equal(iter.status, BLK_STS_OK);
	assert_int_equal(total, blk_rq_bytes(rq));
	if (!blk_rq_dma_unmap(rq, dev, &state, total, iter.p2pdma.map))
		for (unsigned int i = 0; i < s->n; i++)
			dma_unmap_phys(dev, s->addr[i], s->len[i], rq_dma_dir(rq), 0);
}

/*
 * The same data as three bios and as one table: the same physical
 * segments (contiguous bvecs merge across bios), the same DMA layout.
 */
static void test_request_of_bios(void **state)
{
	struct fx *f = *state;
	struct request_queue q = { 0 };
	struct page *block = alloc_pages(GFP_KERNEL, 4);
	struct page *pg[6];
	struct bio_vec tables[3][2];
	struct bio bios[3];
	struct request *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct segs sa, sb;

	assert_non_null(block);
	blk_set_default_limits(&q.limits);
	scattered_pages(block, pg, 4);
	pg[4] = pg[3] + 1;	/* contiguous with pg[3], in the next bio */
	pg[5] = pg[3] + 2;
	blk_rq_init(&q, a);
	a->cmd_flags = REQ_OP_WRITE;
	blk_rq_init(&q, b, REQ_OP_WRITE);
	for (int i = 0; i < 3; i++) {
		bio_init(&bios[i], NULL, tables[i], 2, REQ_OP_WRITE);
		for (int j = 0; j < 2; j++) {
			assert_int_equal(bio_add_page(&bios[i], pg[2 * i + j], PAGE_SIZE, 0),
					 PAGE_SIZE);
			assert_int_equal(blk_rq_add_page(b, pg[2 * i + j], PAGE_SIZE, 0), 0);
		}
		assert_int_equal(blk_rq_append_bio(a, &bios[i]), 0);
	}
	assert_ptr_equal(a->bio, &bios[0]);
	assert_ptr_equal(a->biotail, &bios[2]);
	assert_int_equal(blk_rq_bytes(a), 6 * PAGE_SIZE);
	/* counted per bvec before merging: an upper bound */
	assert_true(blk_rq_nr_phys_segments(a) >= blk_rq_nr_phys_segments(b));
	/* the table-built request has its one bio too */
	assert_ptr_equal(b->bio, &b->__bio);
	assert_int_equal(req_phys_gap_mask(a), req_phys_gap_mask(b));

	map_segs(f->dev, a, &sa);
	map_segs(f->dev, b, &sb);
	assert_int_equal(sa.iova, sb.iova);
	assert_int_equal(sa.n, sb.n);
	for (unsigned int i = 0; i < sa.n; i++)
		assert_int_equal(sa.len[i], sb.len[i]);
	if (!dev_translated(f->dev)) {
		/* pg[3..5] are one segment across two bios */
		assert_int_equal(sa.n, 4);
		assert_int_equal(sa.len[3], 3 * PAGE_SIZE);
		/* dma-direct gives the physical addresses (cc: bounced) */
		for (unsigned int i = 0; f->v == &variant_direct && i < sa.n; i++)
			assert_int_equal(sa.addr[i], sb.addr[i]);
	}
	/* a request with bios takes no table pages, and the reverse */
	assert_int_equal(blk_rq_add_page(a, pg[0], PAGE_SIZE, 0), -EINVAL);
	assert_int_equal(blk_rq_append_bio(b, &bios[0]), -EINVAL);
	free(a);
	free(b);
	__free_pages(block, 4);
}

/* What blk_rq_append_bio() refuses, and that a refusal changes nothing. */
static void test_append_bio_refused(void **state)
{
	struct fx *f = *state;
	struct request_queue q = { 0 };
	struct page *block = alloc_pages(GFP_KERNEL, 3);
	struct bio_vec t1[4], t2[4];
	struct bio b1, b2;
	struct request *rq = calloc(1, sizeof(*rq));

	assert_non_null(block);
	blk_set_default_limits(&q.limits);
	q.limits.virt_boundary_mask = PAGE_SIZE - 1;
	q.limits.max_segment_size = UINT_MAX;
	blk_rq_init(&q, rq, REQ_OP_READ);

	/* a gap inside the virt boundary within the bio: would be split */
	bio_init(&b1, NULL, t1, 4, REQ_OP_READ);
	assert_int_equal(bio_add_page(&b1, block, 1024, 0), 1024);
	assert_int_equal(bio_add_page(&b1, block + 2, 1024, 0), 1024);
	assert_int_equal(blk_rq_append_bio(rq, &b1), -EREMOTEIO);
	assert_null(rq->bio);
	/* off the DMA alignment */
	bio_init(&b1, NULL, t1, 4, REQ_OP_READ);
	assert_int_equal(bio_add_page(&b1, block, 100, 0), 100);
	assert_int_equal(blk_rq_append_bio(rq, &b1), -EINVAL);
	/* more segments than the queue takes */
	q.limits.virt_boundary_mask = 0;
	q.limits.max_segment_size = BLK_MAX_SEGMENT_SIZE;
	q.limits.max_segments = 2;
	bio_init(&b1, NULL, t1, 4, REQ_OP_READ);
	for (int i = 0; i < 3; i++)
		assert_int_equal(bio_add_page(&b1, block + 2 * i, PAGE_SIZE, 0), PAGE_SIZE);
	assert_int_equal(blk_rq_append_bio(rq, &b1), -EREMOTEIO);
	/* more bytes than max_hw_sectors */
	q.limits.max_segments = 0;
	q.limits.max_hw_sectors = 8;
	assert_int_equal(blk_rq_append_bio(rq, &b1), -EREMOTEIO);
	q.limits.max_hw_sectors = 0;
	/* two bios fit alone; together they pass max_segments */
	q.limits.max_segments = 3;
	assert_int_equal(blk_rq_append_bio(rq, &b1), 0);
	bio_init(&b2, NULL, t2, 4, REQ_OP_READ);
	assert_int_equal(bio_add_page(&b2, block + 7, PAGE_SIZE, 0), PAGE_SIZE);
	q.limits.max_segments = 3;
	assert_int_equal(blk_rq_append_bio(rq, &b2), -EINVAL);
	assert_ptr_equal(rq->biotail, &b1);
	assert_int_equal(blk_rq_bytes(rq), 3 * PAGE_SIZE);
	/* an empty bio cannot follow */
	q.limits.max_segments = 0;
	bio_init(&b2, NULL, t2, 4, REQ_OP_READ);
	assert_int_equal(blk_rq_append_bio(rq, &b2), -EINVAL);
	assert_int_equal(blk_rq_append_bio(rq, NULL), -EINVAL);
	free(rq);
	__free_pages(block, 3);
	(void)f;
}

/* ---- blk-mq with a driver that completes from a machine timer --------- */

struct tdrv {
	struct sim_machine *m;
	struct device *dev;
	struct blk_mq_tag_set set;
	struct request_queue *q;
	struct sim_timer timer;
	struct request *active;
	unsigned int busy_left;		/* refuse with DEV_RESOURCE this often */
	blk_status_t status;		/* what the "device" ends with */
	unsigned int inits, exits, hctx_inits, hctx_exits;
	int fail_init_request_at;	/* 1-based, 0: never */
	u8 media[SZ_64K];
};

struct tcmd {
	u32 off;
	u32 magic;
};

static void tdrv_fire(struct sim_timer *tm, void *data)
{
	struct tdrv *t = data;
	struct request *rq = t->active;

	(void)tm;
	t->active = NULL;
	blk_mq_complete_request(rq);
}

/* The "device": copy between the request's pages and the media. */
static blk_status_t tdrv_queue_rq(struct blk_mq_hw_ctx *hctx,
				  const struct blk_mq_queue_data *bd)
{
	struct tdrv *t = hctx->driver_data;
	struct request *rq = bd->rq;
	struct tcmd *c = blk_mq_rq_to_pdu(rq);
	struct req_iterator it;
	struct bio_vec bv;
	u32 off = c->off;

	if (t->busy_left) {
		t->busy_left--;
		return BLK_STS_DEV_RESOURCE;
	}
	if (c->off + blk_rq_bytes(rq) > sizeof(t->media))
		return BLK_STS_IOERR;
	blk_mq_start_request(rq);
	rq_for_each_segment(bv, rq, it) {
		void *p = (char *)page_address(bv.bv_page) + bv.bv_offset;

		if (rq_data_dir(rq))
			memcpy(t->media + off, p, bv.bv_len);
		else
			memcpy(p, t->media + off, bv.bv_len);
		off += bv.bv_len;
	}
	t->active = rq;
	sim_timer_arm_in(t->m, &t->timer, 5000);
	return BLK_STS_OK;
}

static void tdrv_complete(struct request *rq)
{
	struct tdrv *t = rq->q->queuedata;

	blk_mq_end_request(rq, t->status);
}

static int tdrv_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int i)
{
	struct tdrv *t = data;

	hctx->driver_data = data;
	t->hctx_inits++;
	(void)i;
	return 0;
}

static void tdrv_exit_hctx(struct blk_mq_hw_ctx *hctx, unsigned int i)
{
	struct tdrv *t = hctx->driver_data;

	t->hctx_exits++;
	(void)i;
}

static int tdrv_init_request(struct blk_mq_tag_set *set, struct request *rq,
			     unsigned int hctx, unsigned int node)
{
	struct tdrv *t = set->driver_data;
	struct tcmd *c = blk_mq_rq_to_pdu(rq);

	(void)hctx;
	(void)node;
	if (t->fail_init_request_at && ++t->inits == (unsigned int)t->fail_init_request_at)
		return -EIO;
	if (!t->fail_init_request_at)
		t->inits++;
	c->magic = 0x5eed;
	return 0;
}

static void tdrv_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx)
{
	struct tdrv *t = set->driver_data;

	(void)rq;
	(void)hctx;
	t->exits++;
}

static const struct blk_mq_ops tdrv_ops = {
	.queue_rq = tdrv_queue_rq,
	.complete = tdrv_complete,
	.init_hctx = tdrv_init_hctx,
	.exit_hctx = tdrv_exit_hctx,
	.init_request = tdrv_init_request,
	.exit_request = tdrv_exit_request,
};

static int tdrv_setup(struct tdrv *t, unsigned int depth)
{
	int ret;

	t->set = (struct blk_mq_tag_set){
		.ops = &tdrv_ops, .nr_hw_queues = 2, .queue_depth = depth,
		.cmd_size = sizeof(struct tcmd), .driver_data = t,
	};
	ret = blk_mq_alloc_tag_set(&t->set);
	if (ret)
		return ret;
	t->q = blk_mq_alloc_queue(&t->set, NULL, t);
	if (IS_ERR(t->q)) {
		ret = PTR_ERR(t->q);
		blk_mq_free_tag_set(&t->set);
		return ret;
	}
	return 0;
}

static void tdrv_teardown(struct tdrv *t)
{
	blk_mq_destroy_queue(t->q);
	blk_put_queue(t->q);
	blk_mq_free_tag_set(&t->set);
}

static struct tdrv *tdrv_new(struct fx *f)
{
	struct tdrv *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->m = f->m;
	t->dev = f->dev;
	sim_timer_init(f->m, &t->timer, tdrv_fire, t);
	return t;
}

static void tdrv_free(struct tdrv *t)
{
	sim_timer_cancel(&t->timer);
	free(t);
}

/* One request over kernel memory; the status it ended with. */
static int tdrv_rw(struct tdrv *t, bool write, void *buf, unsigned int len,
		   u32 off)
{
	struct request *rq = blk_mq_alloc_request(t->q, write ? REQ_OP_DRV_OUT :
						  REQ_OP_DRV_IN, 0);
	blk_status_t sts;
	int ret;

	if (IS_ERR(rq))
		return (int)PTR_ERR(rq);
	((struct tcmd *)blk_mq_rq_to_pdu(rq))->off = off;
	ret = blk_rq_map_kern(rq, buf, len, GFP_KERNEL);
	if (ret) {
		blk_mq_free_request(rq);
		return ret;
	}
	sts = blk_execute_rq(rq, false);
	blk_mq_free_request(rq);
	return blk_status_to_errno(sts);
}

static void test_blk_mq_passthrough(void **state)
{
	struct fx *f = *state;
	struct tdrv *t = tdrv_new(f);
	const unsigned int len = 3 * PAGE_SIZE;
	u8 *a = kmalloc(len, GFP_KERNEL), *b = kzalloc(len + 1, GFP_KERNEL);
	u8 *v = vmalloc(len);
	struct request *rq;
	u64 t0;

	assert_int_equal(tdrv_setup(t, 4), 0);
	assert_int_equal(t->inits, 4);
	assert_int_equal(t->hctx_inits, 2);
	rq = blk_mq_alloc_request(t->q, REQ_OP_DRV_IN, 0);
	assert_false(IS_ERR(rq));
	assert_ptr_equal(blk_mq_rq_from_pdu(blk_mq_rq_to_pdu(rq)), rq);
	assert_int_equal(((struct tcmd *)blk_mq_rq_to_pdu(rq))->magic, 0x5eed);
	/* the validated defaults */
	assert_int_equal(t->q->limits.max_hw_sectors, BLK_SAFE_MAX_SECTORS);
	assert_int_equal(t->q->limits.logical_block_size, 512);
	assert_int_equal(t->q->limits.dma_alignment, 511);
	blk_mq_free_request(rq);

	for (unsigned int i = 0; i < len; i++) {
		a[i] = (u8)(i * 7);
		v[i] = (u8)(i * 11);
	}
	/* in place: the bio's pages are the buffer's */
	rq = blk_mq_alloc_request(t->q, REQ_OP_DRV_OUT, 0);
	assert_false(IS_ERR(rq));
	assert_int_equal(blk_rq_map_kern(rq, a, len, GFP_KERNEL), 0);
	assert_ptr_equal(bvec_virt(&rq->bio->bi_io_vec[0]), a);
	t0 = sim_clock_now(f->m);
	assert_int_equal(blk_execute_rq(rq, false), BLK_STS_OK);
	/* the device's timer ended it: machine time passed */
	assert_true(sim_clock_now(f->m) >= t0 + 5000);
	assert_null(rq->bio);
	assert_int_equal(blk_mq_rq_state(rq), MQ_RQ_COMPLETE);
	blk_mq_free_request(rq);
	/* bounced (misaligned): copied back at completion */
	assert_int_equal(tdrv_rw(t, false, b + 1, len, 0), 0);
	assert_memory_equal(b + 1, a, len);
	/* vmalloc memory is bounced both ways */
	assert_int_equal(tdrv_rw(t, true, v, len, SZ_16K), 0);
	memset(v, 0, len);
	assert_int_equal(tdrv_rw(t, false, v, len, 0), 0);
	assert_memory_equal(v, a, len);
	/* the driver's status, and its refusal for resources, retried */
	t->busy_left = 3;
	assert_int_equal(tdrv_rw(t, true, a, 512, 0), 0);
	assert_int_equal(t->busy_left, 0);
	t->busy_left = 100;
	assert_int_equal(tdrv_rw(t, true, a, 512, 0), -EBUSY);
	t->busy_left = 0;
	t->status = BLK_STS_MEDIUM;
	assert_int_equal(tdrv_rw(t, false, b, 512, 0), -ENODATA);
	t->status = BLK_STS_OK;
	assert_int_equal(tdrv_rw(t, true, a, 512, SZ_64K), -EIO);
	/* bad lengths */
	assert_int_equal(tdrv_rw(t, true, a, 0, 0), -EINVAL);
	assert_int_equal(tdrv_rw(t, true, a, 256 * 512, 0), -EINVAL);
	assert_int_equal(tdrv_rw(t, true, NULL, 512, 0), -EINVAL);

	vfree(v);
	kfree(b);
	kfree(a);
	tdrv_teardown(t);
	assert_int_equal(t->exits, 4);
	assert_int_equal(t->hctx_exits, 2);
	tdrv_free(t);
}

static void test_blk_mq_misuse(void **state)
{
	struct fx *f = *state;
	struct tdrv *t = tdrv_new(f);
	struct blk_mq_tag_set bad = { .ops = &tdrv_ops, .nr_hw_queues = 1 };
	struct queue_limits lim = { .logical_block_size = 768 };
	struct request *rq[3];

	/* sets that make no sense */
	assert_int_equal(blk_mq_alloc_tag_set(&bad), -EINVAL);
	bad.queue_depth = 2;
	bad.nr_hw_queues = 0;
	assert_int_equal(blk_mq_alloc_tag_set(&bad), -EINVAL);
	bad.nr_hw_queues = 1;
	bad.ops = NULL;
	assert_int_equal(blk_mq_alloc_tag_set(&bad), -EINVAL);
	bad.ops = &tdrv_ops;
	bad.reserved_tags = 2;
	assert_int_equal(blk_mq_alloc_tag_set(&bad), -EINVAL);
	assert_ptr_equal(blk_mq_alloc_queue(&bad, NULL, NULL), ERR_PTR(-EINVAL));

	/* an init_request failing unwinds the ones done */
	t->fail_init_request_at = 3;
	t->set = (struct blk_mq_tag_set){ .ops = &tdrv_ops, .nr_hw_queues = 1,
		.queue_depth = 4, .cmd_size = sizeof(struct tcmd), .driver_data = t };
	assert_int_equal(blk_mq_alloc_tag_set(&t->set), -EIO);
	assert_int_equal(t->exits, 2);
	assert_null(t->set.__tags);
	t->fail_init_request_at = 0;
	t->inits = t->exits = 0;

	assert_int_equal(tdrv_setup(t, 2), 0);
	/* limits refused by validation */
	assert_ptr_equal(blk_mq_alloc_queue(&t->set, &lim, NULL), ERR_PTR(-EINVAL));
	lim = (struct queue_limits){ .virt_boundary_mask = 4095,
				     .max_segment_size = 65536 };
	assert_ptr_equal(blk_mq_alloc_queue(&t->set, &lim, NULL), ERR_PTR(-EINVAL));
	lim = (struct queue_limits){ .max_segment_size = 512 };
	assert_ptr_equal(blk_mq_alloc_queue(&t->set, &lim, NULL), ERR_PTR(-EINVAL));

	/* the tags run out; a request freed twice is a WARN */
	rq[0] = blk_mq_alloc_request(t->q, REQ_OP_DRV_IN, 0);
	rq[1] = blk_mq_alloc_request(t->q, REQ_OP_DRV_IN, 0);
	rq[2] = blk_mq_alloc_request(t->q, REQ_OP_DRV_IN, BLK_MQ_REQ_NOWAIT);
	assert_false(IS_ERR(rq[0]));
	assert_false(IS_ERR(rq[1]));
	assert_ptr_equal(rq[2], ERR_PTR(-EWOULDBLOCK));
	assert_int_not_equal(rq[0]->tag, rq[1]->tag);
	blk_mq_free_request(rq[1]);
	blk_mq_free_request(rq[1]);
	f->warns++;
	assert_true(sim_report_find(f->m, SIM_REPORT_WARN, "freed twice"));
	blk_mq_free_request(rq[0]);
	tdrv_teardown(t);
	/* a request of a destroyed queue */
	tdrv_free(t);
}

/* Set, queue, a mapped and executed request, teardown: under fail-Nth. */
static int blk_mq_scenario(void *ctx)
{
	struct tdrv *t = ctx;
	u8 *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = tdrv_setup(t, 3);
	if (!ret) {
		ret = tdrv_rw(t, true, buf, 2 * PAGE_SIZE, 0);
		if (!ret)
			ret = tdrv_rw(t, false, buf + 1, PAGE_SIZE, 0);
		tdrv_teardown(t);
	}
	kfree(buf);
	return ret;
}

static void test_blk_mq_fail_nth(void **state)
{
	struct fx *f = *state;
	struct tdrv *t = tdrv_new(f);
	struct failnth fn = { .name = "blk-mq", .m = f->m, .ctx = t,
			      .run = blk_mq_scenario };

	failnth_sweep(&fn);
	assert_true(fn.failed >= 10);
	tdrv_free(t);
}

static const struct dma_variant *const variants[] = {
	&variant_direct, &variant_x86_strict, &variant_x86_lazy,
	&variant_arm64_64k_strict, &variant_cc,
};

static const struct variant_test tests[] = {
	VARIANT_TEST(test_bio_add_page),
	VARIANT_TEST(test_bio_p2p_apart),
	VARIANT_TEST(test_bio_alloc_put),
	VARIANT_TEST(test_request_of_bios),
	VARIANT_TEST(test_append_bio_refused),
	VARIANT_TEST(test_blk_mq_passthrough),
	VARIANT_TEST(test_blk_mq_misuse),
	VARIANT_TEST(test_blk_mq_fail_nth),
};

int main(void)
{
	return variant_run_groups("bio", VARIANT_TESTS(tests),
				  VARIANTS(variants), fx_setup, fx_teardown);
}
