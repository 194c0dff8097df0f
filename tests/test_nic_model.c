// SPDX-License-Identifier: MIT
/*
 * The NIC model through its registers alone (<dmastack/nic-regs.h>), as a driver
 * sees it: binding to the platform kind, mkeys handed out once each, MTTs
 * of fixed and of any-length entries, work requests that stop at page
 * faults, access and range checks, failed DMA, malformed requests, reset,
 * and an MTT the NIC cannot allocate.
 */
#include "helpers.h"
#include <dmastack/nic-regs.h>

#define NIC_PLATFORM(nic_line)						\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"hostbridge id=hb0 p2p=allow\n"					\
	"rootport id=rp0 bus=hb0\n"					\
	nic_line

struct nf {
	struct sim_machine *m;
	struct device *nic;
	phys_addr_t bar;
	void *cpu;		/* 4 pages of coherent memory */
	dma_addr_t dma;
};

static u32 r32(struct nf *f, u64 off)
{
	return mmio_r32(f->m, f->bar + off);
}

static u64 r64(struct nf *f, u64 off)
{
	return mmio_r64(f->m, f->bar + off);
}

static void w32(struct nf *f, u64 off, u32 v)
{
	mmio_w32(f->m, f->bar + off, v);
}

static u64 mk(u32 idx, u64 reg)
{
	return NIC_MKEY_BASE + (u64)idx * NIC_MKEY_STRIDE + reg;
}

static u32 create(struct nf *f, u32 idx, u32 n, u32 shift, u32 access)
{
	w32(f, mk(idx, NIC_MKEY_NENTRIES), n);
	w32(f, mk(idx, NIC_MKEY_SHIFT), shift);
	w32(f, mk(idx, NIC_MKEY_ACCESS), access);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_CREATE);
	return r32(f, mk(idx, NIC_MKEY_STATUS));
}

static u32 set(struct nf *f, u32 idx, u32 i, u64 addr, u64 start, u32 len,
	       u32 flags)
{
	struct nic_mtte e = {
		.addr = addr, .start = start, .len = len, .index = i,
		.flags = flags,
	};

	assert_int_equal(sim_mmio_write(f->m, f->bar + mk(idx, NIC_MKEY_MTT),
					&e, sizeof(e)), 0);
	return r32(f, mk(idx, NIC_MKEY_STATUS));
}

/* Post; returns the syndrome, *bytes and *fault as the NIC says. */
static u32 post(struct nf *f, u32 idx, u32 op, u64 off, void *wire, u64 len,
		u64 *bytes, u32 *fault)
{
	struct nic_wqe w = {
		.opcode = op, .offset = off, .len = len,
		.wire = (u64)(uintptr_t)wire,
	};

	assert_int_equal(sim_mmio_write(f->m, f->bar + mk(idx, NIC_MKEY_WQE),
					&w, sizeof(w)), 0);
	*bytes = r64(f, mk(idx, NIC_MKEY_BYTES));
	*fault = r32(f, mk(idx, NIC_MKEY_FAULT));
	return r32(f, mk(idx, NIC_MKEY_STATUS));
}

static int nf_setup_text(void **state, const char *text)
{
	struct nf *f = calloc(1, sizeof(*f));

	f->m = machine_from(text);
	f->nic = dev_of(f->m, "nic0");
	f->bar = bar_of(f->m, "nic0", 0);
	assert_int_equal(dma_set_mask_and_coherent(f->nic, DMA_BIT_MASK(64)), 0);
	f->cpu = dma_alloc_coherent(f->nic, 4 * PAGE_SIZE, &f->dma, GFP_KERNEL);
	assert_non_null(f->cpu);
	*state = f;
	return 0;
}

static int nf_setup(void **state)
{
	return nf_setup_text(state, NIC_PLATFORM(
		"nic id=nic0 bus=rp0 bar0=64K flr=yes\n"));
}

static int nf_teardown(void **state)
{
	struct nf *f = *state;

	dma_free_coherent(f->nic, 4 * PAGE_SIZE, f->cpu, f->dma);
	return fixture_teardown(f, f->m, TD_CLEAN, 0, 0);
}

static void test_binding(void **state)
{
	struct nf *f = *state;
	struct sim_machine *m;

	(void)state;
	assert_string_equal(sim_device_model(f->nic), "nic");
	assert_int_equal(r32(f, NIC_REG_ID), NIC_ID);
	/* the slots that fit a 64K BAR0 */
	assert_int_equal(r32(f, NIC_REG_MKEYS),
			 (SZ_64K - NIC_MKEY_BASE) / NIC_MKEY_STRIDE);

	/* the default BAR0 of a nic line is 1M: more mkeys */
	m = machine_from(NIC_PLATFORM("nic id=nic0 bus=rp0\n"));
	{
		struct nf g = { .m = m, .bar = bar_of(m, "nic0", 0) };

		assert_int_equal(r32(&g, NIC_REG_MKEYS),
				 (SZ_1M - NIC_MKEY_BASE) / NIC_MKEY_STRIDE);
	}
	sim_machine_destroy(m);

	/* a BAR0 too small for the registers is the line's error */
	expect_platform_error(NIC_PLATFORM("nic id=nic0 bus=rp0 bar0=32K\n"),
			      "line 4: nic: the nic model needs bar0 of at least 64K");

	/* another vendor's network function is not this NIC */
	m = machine_from(NIC_PLATFORM(
		"nic id=nic0 bus=rp0 vendor=0x8086 device=0x1592 bar0=4K\n"));
	assert_null(sim_device_model(dev_of(m, "nic0")));
	assert_ptr_equal(sim_nic_reg_dmabuf_mr(dev_of(m, "nic0"), 3, 0, 1,
					       DMA_TO_DEVICE),
			 ERR_PTR(-ENODEV));
	sim_machine_destroy(m);

	/* and a pcidev line may name the model */
	m = machine_from(NIC_PLATFORM("pcidev id=nic0 bus=rp0 model=nic\n"));
	assert_string_equal(sim_device_model(dev_of(m, "nic0")), "nic");
	assert_int_equal(pci_resource_len(to_pci_dev(dev_of(m, "nic0")), 0),
			 NIC_BAR0_MIN);
	sim_machine_destroy(m);
}

static void test_mkeys_once_each(void **state)
{
	struct nf *f = *state;
	u32 n = r32(f, NIC_REG_MKEYS);
	u8 *seen = calloc(n, 1);

	for (u32 i = 0; i < n; i++) {
		u32 idx = r32(f, NIC_REG_MKEY_ALLOC);

		assert_true(idx < n);
		assert_false(seen[idx]);
		seen[idx] = 1;
	}
	assert_int_equal(r32(f, NIC_REG_MKEY_ALLOC), NIC_MKEY_NONE);
	/* one given back is the one handed out next */
	w32(f, mk(7, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
	assert_int_equal(r32(f, mk(7, NIC_MKEY_STATUS)), NIC_SYND_OK);
	assert_int_equal(r32(f, NIC_REG_MKEY_ALLOC), 7);
	assert_int_equal(r32(f, NIC_REG_MKEY_ALLOC), NIC_MKEY_NONE);
	for (u32 i = 0; i < n; i++)
		w32(f, mk(i, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
	free(seen);
}

static void test_page_mtt(void **state)
{
	struct nf *f = *state;
	u8 *mem = f->cpu, wire[3 * PAGE_SIZE];
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC), fault;
	u64 bytes;

	fill_pattern(mem, 4 * PAGE_SIZE, 1);
	assert_int_equal(create(f, idx, 4, PAGE_SHIFT,
				NIC_ACCESS_READ | NIC_ACCESS_WRITE), NIC_SYND_OK);
	/* nothing valid yet: the first byte faults */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_PAGE_FAULT);
	assert_int_equal(fault, 0);
	assert_int_equal(bytes, 0);
	/* entries 0, 1 writable; 2 read-only (pages 3, 2); 3 invalid */
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0,
			     NIC_MTT_VALID | NIC_MTT_WRITE), NIC_SYND_OK);
	assert_int_equal(set(f, idx, 1, f->dma + PAGE_SIZE, 0, 0,
			     NIC_MTT_VALID | NIC_MTT_WRITE), NIC_SYND_OK);
	assert_int_equal(set(f, idx, 2, f->dma + 3 * PAGE_SIZE, 0, 0,
			     NIC_MTT_VALID), NIC_SYND_OK);

	/* a send across entries 0 and 1 */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 100, wire, 5000, &bytes,
			      &fault), NIC_SYND_OK);
	assert_int_equal(bytes, 5000);
	assert_memory_equal(wire, mem + 100, 5000);
	/* a receive into both */
	fill_pattern(wire, 2 * PAGE_SIZE, 2);
	assert_int_equal(post(f, idx, NIC_OP_RECV, 0, wire, 2 * PAGE_SIZE,
			      &bytes, &fault), NIC_SYND_OK);
	assert_memory_equal(mem, wire, 2 * PAGE_SIZE);
	/* entry 2 is read-only: a write faults there, a read goes on */
	assert_int_equal(post(f, idx, NIC_OP_RECV, 2 * PAGE_SIZE, wire, 10,
			      &bytes, &fault), NIC_SYND_PAGE_FAULT);
	assert_int_equal(fault, 2);
	assert_int_equal(bytes, 0);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 8000, wire, 5000, &bytes,
			      &fault), NIC_SYND_PAGE_FAULT);
	assert_int_equal(fault, 3);
	assert_int_equal(bytes, 3 * PAGE_SIZE - 8000);
	assert_memory_equal(wire + (2 * PAGE_SIZE - 8000), mem + 3 * PAGE_SIZE,
			    PAGE_SIZE);
	/* past the MTT, and a range that wraps */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 4 * PAGE_SIZE, wire, 1,
			      &bytes, &fault), NIC_SYND_RANGE);
	assert_int_equal(post(f, idx, NIC_OP_SEND, ~0ULL - 1, wire, 4, &bytes,
			      &fault), NIC_SYND_RANGE);
	/* nothing to move is done at once */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 0, &bytes, &fault),
			 NIC_SYND_OK);

	/* a zap invalidates every entry */
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_ZAP);
	assert_int_equal(r32(f, mk(idx, NIC_MKEY_STATUS)), NIC_SYND_OK);
	assert_int_equal(post(f, idx, NIC_OP_SEND, PAGE_SIZE, wire, 1, &bytes,
			      &fault), NIC_SYND_PAGE_FAULT);
	assert_int_equal(fault, 1);

	/* a read-only mkey: the NIC may send from it, not receive into it */
	assert_int_equal(create(f, idx, 1, PAGE_SHIFT, NIC_ACCESS_READ),
			 NIC_SYND_OK);
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0,
			     NIC_MTT_VALID | NIC_MTT_WRITE), NIC_SYND_OK);
	assert_int_equal(post(f, idx, NIC_OP_RECV, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_ACCESS);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_OK);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
	/* a destroyed mkey has no MTT */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_BAD_MKEY);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 0);
}

static void test_any_length_mtt(void **state)
{
	struct nf *f = *state;
	u8 *mem = f->cpu, wire[64];
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC), fault;
	u64 bytes;

	fill_pattern(mem, 4 * PAGE_SIZE, 3);
	assert_int_equal(create(f, idx, 2, 0, NIC_ACCESS_READ), NIC_SYND_OK);
	/* [0, 100) from page 2, [100, 150) from page 0 + 7 */
	assert_int_equal(set(f, idx, 0, f->dma + 2 * PAGE_SIZE, 0, 100,
			     NIC_MTT_VALID), NIC_SYND_OK);
	assert_int_equal(set(f, idx, 1, f->dma + 7, 100, 50, NIC_MTT_VALID),
			 NIC_SYND_OK);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 90, wire, 20, &bytes,
			      &fault), NIC_SYND_OK);
	assert_memory_equal(wire, mem + 2 * PAGE_SIZE + 90, 10);
	assert_memory_equal(wire + 10, mem + 7, 10);
	/* no entry covers 150 */
	assert_int_equal(post(f, idx, NIC_OP_SEND, 140, wire, 20, &bytes,
			      &fault), NIC_SYND_RANGE);
	assert_int_equal(bytes, 10);
	/* an entry needs a length that does not wrap */
	assert_int_equal(set(f, idx, 1, f->dma, 100, 0, NIC_MTT_VALID),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(set(f, idx, 1, f->dma, ~0ULL - 2, 50, NIC_MTT_VALID),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 2);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
}

static void test_bad_requests(void **state)
{
	struct nf *f = *state;
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC), fault, v = 0;
	u64 bytes, q = 0;
	u8 wire[8];

	/* MTTs the NIC does not make */
	assert_int_equal(create(f, idx, 0, PAGE_SHIFT, NIC_ACCESS_READ),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(create(f, idx, NIC_MTT_MAX + 1, PAGE_SHIFT,
				NIC_ACCESS_READ), NIC_SYND_BAD_REQUEST);
	assert_int_equal(create(f, idx, 1, 5, NIC_ACCESS_READ),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(create(f, idx, 1, 31, NIC_ACCESS_READ),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(create(f, idx, 1, PAGE_SHIFT, 4),
			 NIC_SYND_BAD_REQUEST);
	/* no MTT: entries, zaps and requests are refused */
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_BAD_MKEY);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_ZAP);
	assert_int_equal(r32(f, mk(idx, NIC_MKEY_STATUS)), NIC_SYND_BAD_MKEY);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_BAD_MKEY);

	assert_int_equal(create(f, idx, 2, PAGE_SHIFT,
				NIC_ACCESS_READ | NIC_ACCESS_WRITE), NIC_SYND_OK);
	/* entries: out of the MTT, unknown flags, not page aligned */
	assert_int_equal(set(f, idx, 2, f->dma, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0, 0x80),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(set(f, idx, 0, f->dma + 8, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_BAD_REQUEST);
	/* the NIC says which entries it refused */
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 4);
	assert_true(sim_report_find(f->m, SIM_REPORT_INFO,
				    "MTT entry 2 refused"));
	/* requests: unknown opcode, no wire */
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_OK);
	assert_int_equal(post(f, idx, 9, 0, wire, 1, &bytes, &fault),
			 NIC_SYND_BAD_REQUEST);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, NULL, 1, &bytes, &fault),
			 NIC_SYND_BAD_REQUEST);
	/* an unknown command */
	w32(f, mk(idx, NIC_MKEY_CTRL), 77);
	assert_int_equal(r32(f, mk(idx, NIC_MKEY_STATUS)), NIC_SYND_BAD_REQUEST);

	/* accesses the registers do not decode */
	assert_int_equal(sim_mmio_write(f->m, f->bar + mk(idx, NIC_MKEY_CTRL),
					&q, 8), -EINVAL);
	assert_int_equal(sim_mmio_write(f->m, f->bar + NIC_REG_ID, &v, 4),
			 -EINVAL);
	assert_int_equal(sim_mmio_write(f->m, f->bar + mk(idx, NIC_MKEY_WQE),
					&q, 8), -EINVAL);
	assert_int_equal(sim_report_count_kind(f->m, SIM_REPORT_INFO), 7);
	assert_int_equal(sim_mmio_read(f->m, f->bar + 2, &v, 4), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(sim_mmio_read(f->m, f->bar + 8, &q, 2), -EINVAL);
	/* unassigned registers read as zero */
	assert_int_equal(r32(f, 0x100), 0);
	assert_int_equal(r32(f, mk(idx, 0x7c)), 0);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
}

static void test_dma_failure(void **state)
{
	struct nf *f = *state;
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC), fault;
	u8 wire[2 * PAGE_SIZE];
	u64 bytes;

	assert_int_equal(create(f, idx, 2, PAGE_SHIFT, NIC_ACCESS_READ |
				NIC_ACCESS_WRITE), NIC_SYND_OK);
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_OK);
	/* entry 1 points where nothing answers */
	assert_int_equal(set(f, idx, 1, 0x7f0000000000ULL, 0, 0,
			     NIC_MTT_VALID | NIC_MTT_WRITE), NIC_SYND_OK);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 10, wire, PAGE_SIZE, &bytes,
			      &fault), NIC_SYND_DMA);
	assert_int_equal(bytes, PAGE_SIZE - 10);
	assert_int_equal(sim_dma_access_errors(f->m), 1);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
}

static void test_reset_forgets(void **state)
{
	struct nf *f = *state;
	u32 n = r32(f, NIC_REG_MKEYS), fault;
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC);
	u8 wire[4];
	u64 bytes;

	assert_int_equal(create(f, idx, 1, PAGE_SHIFT, NIC_ACCESS_READ),
			 NIC_SYND_OK);
	assert_int_equal(set(f, idx, 0, f->dma, 0, 0, NIC_MTT_VALID),
			 NIC_SYND_OK);
	assert_int_equal(pcie_flr(to_pci_dev(f->nic)), 0);
	/* decoding again after the reset cleared the command register */
	pci_write_config_word(to_pci_dev(f->nic), PCI_COMMAND,
			      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(post(f, idx, NIC_OP_SEND, 0, wire, 4, &bytes, &fault),
			 NIC_SYND_BAD_MKEY);
	/* every mkey is free again */
	for (u32 i = 0; i < n; i++)
		assert_int_not_equal(r32(f, NIC_REG_MKEY_ALLOC), NIC_MKEY_NONE);
	assert_int_equal(r32(f, NIC_REG_MKEY_ALLOC), NIC_MKEY_NONE);
	for (u32 i = 0; i < n; i++)
		w32(f, mk(i, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
}

static void test_mtt_no_memory(void **state)
{
	struct nf *f = *state;
	u32 idx = r32(f, NIC_REG_MKEY_ALLOC);

	sim_fail_nth_alloc(f->m, 1);
	assert_int_equal(create(f, idx, 16, PAGE_SHIFT, NIC_ACCESS_READ),
			 NIC_SYND_NO_RESOURCES);
	sim_fail_nth_alloc(f->m, 0);
	assert_int_equal(create(f, idx, 16, 0, NIC_ACCESS_READ), NIC_SYND_OK);
	w32(f, mk(idx, NIC_MKEY_CTRL), NIC_CTRL_DESTROY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_binding, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_mkeys_once_each, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_page_mtt, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_any_length_mtt, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_dma_failure, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_reset_forgets, nf_setup, nf_teardown),
		cmocka_unit_test_setup_teardown(test_mtt_no_memory, nf_setup, nf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
