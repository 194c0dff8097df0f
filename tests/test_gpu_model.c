// SPDX-License-Identifier: MIT
/*
 * The GPU model through its registers (models/gpu.h), driven as a driver
 * would: the copy engine between video memory (BAR2) and host memory
 * through a strict IOMMU, its latency on the machine clock, the MSI that
 * runs the driver's handler, a job whose DMA faults, jobs the registers do
 * not describe, a launch while busy, and a reset that ends a job.
 */
#include <stdatomic.h>
#include "helpers.h"
#include "models/gpu.h"

#define GPU_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"iommu id=iommu0 format=x86_64 mode=strict granule=4K\n"	\
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"gpu id=gpu0 bus=rp0 bar0=16M bar2=1G flr=yes\n"

struct gf {
	struct sim_machine *m;
	struct pci_dev *pdev;
	struct device *dev;
	phys_addr_t regs, vram;
	void *cpu;		/* 256K of coherent host memory */
	dma_addr_t dma;
	int irq;
	atomic_int irqs;
	u32 status_in_irq;
};

static u32 r32(struct gf *f, u64 off)
{
	return mmio_r32(f->m, f->regs + off);
}

static void w32(struct gf *f, u64 off, u32 v)
{
	mmio_w32(f->m, f->regs + off, v);
}

static void w64(struct gf *f, u64 off, u64 v)
{
	mmio_w64(f->m, f->regs + off, v);
}

static irqreturn_t ce_irq(int irq, void *dev_id)
{
	struct gf *f = dev_id;

	(void)irq;
	f->status_in_irq = r32(f, GPU_REG_CE_STATUS);
	atomic_fetch_add(&f->irqs, 1);
	return IRQ_HANDLED;
}

static void ce_job(struct gf *f, u64 src, u64 dst, u32 len, u32 flags)
{
	w64(f, GPU_REG_CE_SRC, src);
	w64(f, GPU_REG_CE_DST, dst);
	w32(f, GPU_REG_CE_LEN, len);
	w32(f, GPU_REG_CE_FLAGS, flags);
	w32(f, GPU_REG_CE_LAUNCH, 1);
}

static int gf_setup(void **state)
{
	struct gf *f = calloc(1, sizeof(*f));

	f->m = machine_from(GPU_PLATFORM);
	f->dev = dev_of(f->m, "gpu0");
	f->pdev = to_pci_dev(f->dev);
	f->regs = bar_of(f->m, "gpu0", 0);
	f->vram = bar_of(f->m, "gpu0", 2);
	assert_int_equal(pci_enable_device(f->pdev), 0);
	pci_set_master(f->pdev);
	assert_int_equal(dma_set_mask_and_coherent(f->dev, DMA_BIT_MASK(64)), 0);
	f->cpu = dma_alloc_coherent(f->dev, SZ_256K, &f->dma, GFP_KERNEL);
	assert_non_null(f->cpu);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSI), 1);
	f->irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(f->irq, ce_irq, 0, "gpu-ce", f), 0);
	*state = f;
	return 0;
}

static int gf_teardown(void **state)
{
	struct gf *f = *state;

	free_irq(f->irq, f);
	pci_free_irq_vectors(f->pdev);
	dma_free_coherent(f->dev, SZ_256K, f->cpu, f->dma);
	return fixture_teardown(f, f->m, TD_BUG | TD_DMA_DEBUG, 0, 0);
}

static void test_identity(void **state)
{
	struct gf *f = *state;
	u64 size = 0;

	assert_string_equal(sim_device_model(f->dev), "gpu");
	assert_int_equal(r32(f, GPU_REG_ID), GPU_ID);
	assert_int_equal(sim_mmio_read(f->m, f->regs + GPU_REG_VRAM_SIZE,
				       &size, 8), 0);
	assert_int_equal(size, SZ_1G);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_IDLE);
	/* the memory BAR is memory */
	assert_int_equal(sim_mmio_write(f->m, f->vram + 8, "vram", 4), 0);
}

static void test_copy_both_ways(void **state)
{
	struct gf *f = *state;
	u8 *host = f->cpu, got[SZ_16K + 100];

	fill_pattern(host, SZ_64K, 1);
	/* host -> VRAM at 1M + 5 */
	ce_job(f, f->dma + 100, SZ_1M + 5, SZ_16K + 100,
	       GPU_CE_DST_VRAM | GPU_CE_IRQ);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BUSY);
	/* nothing happens before the latency */
	sim_clock_advance(f->m, GPU_CE_LATENCY_NS);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BUSY);
	assert_int_equal(atomic_load(&f->irqs), 0);
	sim_clock_advance(f->m, (SZ_16K + 100) / GPU_CE_BYTES_PER_NS);
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_int_equal(f->status_in_irq, GPU_CE_DONE);
	assert_int_equal(r32(f, GPU_REG_CE_DONE), 1);
	assert_int_equal(sim_mmio_read(f->m, f->vram + SZ_1M + 5, got,
				       sizeof(got)), 0);
	assert_memory_equal(got, host + 100, sizeof(got));

	/* VRAM -> host, without an interrupt */
	memset(host, 0, SZ_256K);
	ce_job(f, SZ_1M + 5, f->dma + 4, SZ_16K + 100, GPU_CE_SRC_VRAM);
	assert_true(sim_clock_run_next(f->m));
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_DONE);
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_memory_equal(host + 4, got, sizeof(got));

	/* host -> host, in several pieces of the engine's 64K staging */
	fill_pattern(host, SZ_128K, 2);
	ce_job(f, f->dma, f->dma + SZ_128K, SZ_128K - 3, GPU_CE_IRQ);
	assert_true(sim_clock_run_next(f->m));
	assert_memory_equal(host + SZ_128K, host, SZ_128K - 3);
	/* VRAM -> VRAM: 1M + 5 still holds what the first job wrote */
	ce_job(f, SZ_1M + 5, 0, 64, GPU_CE_SRC_VRAM | GPU_CE_DST_VRAM);
	assert_true(sim_clock_run_next(f->m));
	{
		u8 v[64];

		assert_int_equal(sim_mmio_read(f->m, f->vram, v, 64), 0);
		assert_memory_equal(v, got, 64);
	}
	assert_int_equal(r32(f, GPU_REG_CE_DONE), 4);
	assert_int_equal(atomic_load(&f->irqs), 2);
	assert_int_equal(sim_iommu_faults(f->m), 0);
}

static void test_fault_and_bad_jobs(void **state)
{
	struct gf *f = *state;

	/* a bus address the IOMMU does not map: the job fails, still irqs */
	ce_job(f, f->dma + SZ_1M, 0, 4096, GPU_CE_DST_VRAM | GPU_CE_IRQ);
	assert_true(sim_clock_run_next(f->m));
	assert_int_equal(f->status_in_irq, GPU_CE_ERROR);
	assert_int_equal(sim_iommu_faults(f->m), 1);
	assert_int_equal(r32(f, GPU_REG_CE_DONE), 1);

	/* jobs the registers do not describe start nothing */
	ce_job(f, f->dma, 0, 0, GPU_CE_DST_VRAM);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BAD);
	ce_job(f, f->dma, 0, GPU_CE_MAX_LEN + 1, GPU_CE_DST_VRAM);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BAD);
	ce_job(f, f->dma, SZ_1G - 8, 16, GPU_CE_DST_VRAM);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BAD);
	ce_job(f, ~0ULL - 4, f->dma, 16, GPU_CE_SRC_VRAM);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BAD);
	ce_job(f, f->dma, 0, 16, 0x80);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_BAD);
	assert_false(sim_clock_run_next(f->m));

	/* registers the engine does not have */
	{
		u64 q = 0;
		u16 h = 0;

		assert_int_equal(sim_mmio_write(f->m, f->regs + 0x200, &q, 8),
				 -EINVAL);
		assert_int_equal(sim_mmio_write(f->m, f->regs + GPU_REG_CE_LEN,
						&q, 8), -EINVAL);
		assert_int_equal(sim_mmio_write(f->m, f->regs + 2, &h, 2),
				 -EINVAL);
		assert_int_equal(sim_mmio_read(f->m, f->regs + 3, &q, 4),
				 -EINVAL);
		assert_int_equal(r32(f, 0x300), 0);
	}
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 2);
}

static void test_busy_and_reset(void **state)
{
	struct gf *f = *state;
	u64 src = 0;

	ce_job(f, f->dma, 0, 4096, GPU_CE_DST_VRAM | GPU_CE_IRQ);
	/* while it runs: another launch and new registers are ignored */
	w64(f, GPU_REG_CE_SRC, 12345);
	w32(f, GPU_REG_CE_LAUNCH, 1);
	assert_int_equal(sim_mmio_read(f->m, f->regs + GPU_REG_CE_SRC, &src, 8),
			 0);
	assert_int_equal(src, f->dma);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "launched while busy"));
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "written while busy"));

	/* a function reset ends it: no copy, no interrupt */
	assert_int_equal(pcie_flr(f->pdev), 0);
	pci_write_config_word(f->pdev, PCI_COMMAND,
			      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_false(sim_clock_run_next(f->m));
	assert_int_equal(atomic_load(&f->irqs), 0);
	assert_int_equal(r32(f, GPU_REG_CE_STATUS), GPU_CE_IDLE);
	assert_int_equal(r32(f, GPU_REG_CE_DONE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, gf_setup, gf_teardown),
		cmocka_unit_test_setup_teardown(test_copy_both_ways, gf_setup, gf_teardown),
		cmocka_unit_test_setup_teardown(test_fault_and_bad_jobs, gf_setup, gf_teardown),
		cmocka_unit_test_setup_teardown(test_busy_and_reset, gf_setup, gf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
