// SPDX-License-Identifier: MIT
/*
 * The DMA engine model through its registers (models/dmaengine.h), driven
 * as a driver would behind a strict IOMMU: a chain of descriptors copied in
 * order on the machine clock, completion records, MSI-X for the
 * descriptors that ask and for every halt, appending to a finished chain,
 * each kind of halt, commands it ignores, abort and reset.
 */
#include <stdatomic.h>
#include "helpers.h"
#include "models/dmaengine.h"

#define DMAE_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"iommu id=iommu0 format=x86_64 mode=strict granule=4K\n"	\
	"hostbridge id=hb0 iommu=iommu0 p2p=allow\n"			\
	"rootport id=rp0 bus=hb0\n"					\
	"dmaengine id=dma0 bus=rp0 flr=yes\n"

/* Coherent memory: descriptors at 0, the record at 4K, data from 8K. */
#define MEM_SIZE	(SZ_256K)
#define DESC(i)		((i) * sizeof(struct dmae_desc))
#define RECORD		SZ_4K
#define DATA		SZ_8K

struct ef {
	struct sim_machine *m;
	struct pci_dev *pdev;
	struct device *dev;
	phys_addr_t regs;
	u8 *cpu;
	dma_addr_t dma;
	int irq;
	atomic_int irqs;
	u32 sts_in_irq;
};

static u32 r32(struct ef *f, u64 off)
{
	return mmio_r32(f->m, f->regs + off);
}

static u64 r64(struct ef *f, u64 off)
{
	return mmio_r64(f->m, f->regs + off);
}

static void w32(struct ef *f, u64 off, u32 v)
{
	mmio_w32(f->m, f->regs + off, v);
}

static void w64(struct ef *f, u64 off, u64 v)
{
	mmio_w64(f->m, f->regs + off, v);
}

static struct dmae_desc *desc(struct ef *f, unsigned int i)
{
	return (struct dmae_desc *)(f->cpu + DESC(i));
}

/* Descriptor @i: copy @size bytes from data offset @src to @dst. */
static void set_desc(struct ef *f, unsigned int i, u32 size, u64 src, u64 dst,
		     u32 ctl, int next)
{
	*desc(f, i) = (struct dmae_desc){
		.size = size, .ctl = ctl,
		.src = f->dma + DATA + src, .dst = f->dma + DATA + dst,
		.next = next < 0 ? 0 : f->dma + DESC(next),
	};
}

static u64 record(struct ef *f)
{
	u64 r;

	memcpy(&r, f->cpu + RECORD, sizeof(r));
	return r;
}

static void run_all(struct ef *f)
{
	while (sim_clock_run_next(f->m))
		;
}

static irqreturn_t dmae_irq(int irq, void *dev_id)
{
	struct ef *f = dev_id;

	(void)irq;
	f->sts_in_irq = r32(f, DMAE_REG_STS);
	atomic_fetch_add(&f->irqs, 1);
	return IRQ_HANDLED;
}

static int ef_setup(void **state)
{
	struct ef *f = calloc(1, sizeof(*f));

	f->m = machine_from(DMAE_PLATFORM);
	f->dev = dev_of(f->m, "dma0");
	f->pdev = to_pci_dev(f->dev);
	f->regs = bar_of(f->m, "dma0", 0);
	assert_int_equal(pci_enable_device(f->pdev), 0);
	pci_set_master(f->pdev);
	assert_int_equal(dma_set_mask_and_coherent(f->dev, DMA_BIT_MASK(64)), 0);
	f->cpu = dma_alloc_coherent(f->dev, MEM_SIZE, &f->dma, GFP_KERNEL);
	assert_non_null(f->cpu);
	assert_int_equal(pci_alloc_irq_vectors(f->pdev, 1, 1, PCI_IRQ_MSIX), 1);
	f->irq = pci_irq_vector(f->pdev, 0);
	assert_int_equal(request_irq(f->irq, dmae_irq, 0, "dmae", f), 0);
	w64(f, DMAE_REG_CMPLADDR, f->dma + RECORD);
	*state = f;
	return 0;
}

static int ef_teardown(void **state)
{
	struct ef *f = *state;

	free_irq(f->irq, f);
	pci_free_irq_vectors(f->pdev);
	dma_free_coherent(f->dev, MEM_SIZE, f->cpu, f->dma);
	return fixture_teardown(f, f->m, TD_BUG | TD_DMA_DEBUG, 0, 0);
}

static void test_chain(void **state)
{
	struct ef *f = *state;
	u8 *data = f->cpu + DATA;

	assert_string_equal(sim_device_model(f->dev), "dmaengine");
	assert_int_equal(r32(f, DMAE_REG_ID), DMAE_ID);
	assert_true(pci_find_capability(f->pdev, PCI_CAP_ID_MSIX) != 0);
	fill_pattern(data, SZ_64K, 1);
	/* 0 -> 1 -> 2: the last one interrupts; 1 is a null descriptor */
	set_desc(f, 0, 1000, 0, SZ_64K, 0, 1);
	set_desc(f, 1, 0, 0, 0, DMAE_CTL_NULL, 2);
	set_desc(f, 2, SZ_64K + 10, 0, SZ_128K, DMAE_CTL_INT, -1);
	w64(f, DMAE_REG_CHAINADDR, f->dma + DESC(0));
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_ACTIVE);

	/* the first copy after its latency, and nothing before */
	sim_clock_advance(f->m, DMAE_LATENCY_NS + 1000 / DMAE_BYTES_PER_NS - 1);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 0);
	/* the null descriptor completes in the same instant */
	sim_clock_advance(f->m, 1);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 2);
	assert_memory_equal(data + SZ_64K, data, 1000);
	assert_int_equal(record(f), (f->dma + DESC(1)) | DMAE_STS_ACTIVE);
	assert_int_equal(atomic_load(&f->irqs), 0);

	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_DONE);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 3);
	assert_memory_equal(data + SZ_128K, data, SZ_64K + 10);
	assert_int_equal(record(f), (f->dma + DESC(2)) | DMAE_STS_DONE);
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_int_equal(f->sts_in_irq, DMAE_STS_DONE);

	/* append: nothing new, then a fourth descriptor */
	w32(f, DMAE_REG_CMD, DMAE_CMD_APPEND);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_DONE);
	set_desc(f, 3, 64, 0, 100, DMAE_CTL_INT, -1);
	desc(f, 2)->next = f->dma + DESC(3);
	w32(f, DMAE_REG_CMD, DMAE_CMD_APPEND);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_ACTIVE);
	run_all(f);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 4);
	assert_memory_equal(data + 100, data, 64);
	assert_int_equal(atomic_load(&f->irqs), 2);
	assert_int_equal(sim_iommu_faults(f->m), 0);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 0);
}

/* Start a one-descriptor chain at @addr and run it; returns ERR. */
static u32 halt_of(struct ef *f, u64 addr)
{
	int before = atomic_load(&f->irqs);

	w64(f, DMAE_REG_CHAINADDR, addr);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_HALTED);
	/* every halt interrupts and says where */
	assert_int_equal(atomic_load(&f->irqs), before + 1);
	assert_int_equal(record(f), addr | DMAE_STS_HALTED);
	return r32(f, DMAE_REG_ERR);
}

static void test_halts(void **state)
{
	struct ef *f = *state;

	assert_int_equal(halt_of(f, f->dma + 8), DMAE_ERR_CHAINADDR);
	/* a descriptor the IOMMU does not map */
	assert_int_equal(halt_of(f, f->dma + MEM_SIZE), DMAE_ERR_DESC_READ);
	assert_int_equal(sim_iommu_faults(f->m), 1);
	/* malformed: too large, empty, unknown control bits */
	set_desc(f, 0, DMAE_MAX_SIZE + 1, 0, 0, 0, -1);
	assert_int_equal(halt_of(f, f->dma), DMAE_ERR_DESC);
	set_desc(f, 0, 0, 0, 0, 0, -1);
	assert_int_equal(halt_of(f, f->dma), DMAE_ERR_DESC);
	set_desc(f, 0, 8, 0, 0, 0x40, -1);
	assert_int_equal(halt_of(f, f->dma), DMAE_ERR_DESC);
	/* a source, then a destination the IOMMU does not map */
	set_desc(f, 0, 8, MEM_SIZE, 0, 0, -1);
	assert_int_equal(halt_of(f, f->dma), DMAE_ERR_SRC);
	set_desc(f, 0, 8, 0, MEM_SIZE, 0, -1);
	assert_int_equal(halt_of(f, f->dma), DMAE_ERR_DST);
	/* a next that is not aligned halts at the next one */
	set_desc(f, 0, 8, 0, 8, 0, -1);
	desc(f, 0)->next = f->dma + DESC(1) + 4;
	w64(f, DMAE_REG_CHAINADDR, f->dma);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_ERR), DMAE_ERR_CHAINADDR);
	assert_int_equal(record(f), (f->dma + DESC(1) + 4) | DMAE_STS_HALTED);
	assert_int_equal(sim_iommu_faults(f->m), 3);
	/* START clears the error */
	set_desc(f, 0, 8, 0, 8, 0, -1);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_DONE);
	assert_int_equal(r32(f, DMAE_REG_ERR), 0);

	/* a completion record the IOMMU does not map */
	w64(f, DMAE_REG_CMPLADDR, f->dma + MEM_SIZE);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_HALTED);
	assert_int_equal(r32(f, DMAE_REG_ERR), DMAE_ERR_CMPL);
	/* without a record address, the engine reports through STS only */
	w64(f, DMAE_REG_CMPLADDR, 0);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	run_all(f);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_DONE);
}

static void test_ignored(void **state)
{
	struct ef *f = *state;
	u64 q = 0;

	/* APPEND before any chain, unknown commands, bad registers */
	w32(f, DMAE_REG_CMD, DMAE_CMD_APPEND);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_IDLE);
	w32(f, DMAE_REG_CMD, 9);
	assert_int_equal(sim_mmio_write(f->m, f->regs + DMAE_REG_CMPLADDR,
					&(u64){ f->dma + 4 }, 8), -EINVAL);
	assert_int_equal(r64(f, DMAE_REG_CMPLADDR), f->dma + RECORD);
	assert_int_equal(sim_mmio_write(f->m, f->regs + DMAE_REG_CMD, &q, 8),
			 -EINVAL);
	assert_int_equal(sim_mmio_write(f->m, f->regs + 0x100, &q, 4), -EINVAL);
	assert_int_equal(sim_mmio_write(f->m, f->regs + 1, &q, 4), -EINVAL);
	assert_int_equal(sim_mmio_read(f->m, f->regs + 6, &q, 4), -EINVAL);
	assert_int_equal(r32(f, 0x100), 0);
	/* START while active */
	set_desc(f, 0, 4096, 0, 4096, 0, -1);
	w64(f, DMAE_REG_CHAINADDR, f->dma);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "command 1 while active"));
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "command 2 while not done"));
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO, "unknown command 9"));
	/* and the three writes the registers do not decode */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 6);
	run_all(f);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 1);
}

static void test_abort_and_reset(void **state)
{
	struct ef *f = *state;
	u8 *data = f->cpu + DATA;

	fill_pattern(data, 4096, 2);
	set_desc(f, 0, 4096, 0, 4096, DMAE_CTL_INT, 1);
	set_desc(f, 1, 4096, 0, 8192, DMAE_CTL_INT, -1);
	w64(f, DMAE_REG_CHAINADDR, f->dma);
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	/* abort: the descriptor under way is not completed */
	w32(f, DMAE_REG_CMD, DMAE_CMD_ABORT);
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_IDLE);
	assert_false(sim_clock_run_next(f->m));
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 0);
	assert_int_equal(atomic_load(&f->irqs), 0);

	/* again, and a function reset after the first descriptor */
	w32(f, DMAE_REG_CMD, DMAE_CMD_START);
	assert_true(sim_clock_run_next(f->m));
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 1);
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_int_equal(pcie_flr(f->pdev), 0);
	pci_write_config_word(f->pdev, PCI_COMMAND,
			      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_false(sim_clock_run_next(f->m));
	assert_int_equal(r32(f, DMAE_REG_STS), DMAE_STS_IDLE);
	assert_int_equal(r64(f, DMAE_REG_COMPLETED), 0);
	assert_int_equal(r64(f, DMAE_REG_CHAINADDR), 0);
	assert_int_equal(atomic_load(&f->irqs), 1);
	/* the second copy never happened */
	{
		u8 zero[4096] = { 0 };

		assert_memory_equal(data + 8192, zero, 4096);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain, ef_setup, ef_teardown),
		cmocka_unit_test_setup_teardown(test_halts, ef_setup, ef_teardown),
		cmocka_unit_test_setup_teardown(test_ignored, ef_setup, ef_teardown),
		cmocka_unit_test_setup_teardown(test_abort_and_reset, ef_setup, ef_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
