// SPDX-License-Identifier: MIT
/*
 * The kernel's driver-facing calls: PCI driver registration (id matching,
 * probe, remove, a failing probe, registering twice, shutdown unbinding
 * what is still bound), ioremap/pci_iomap and the MMIO accessors (and
 * their misuse), delays and jiffies on the machine clock, completions that
 * run the machine (completed by a device's interrupt, timing out at the
 * deadline, waited for in the wrong context), the kernel log, and the
 * module loader's refusals.
 */
#include <stdatomic.h>
#include "failnth.h"
#include "models/dmaengine.h"

#define KD_PLATFORM							\
	"machine name=t arch=x86_64 ram=256M ram-below-4g=128M\n"	\
	"hostbridge id=hb0\n"						\
	"rootport id=rp0 bus=hb0\n"					\
	"dmaengine id=dma0 bus=rp0\n"					\
	"rootport id=rp1 bus=hb0\n"					\
	"dmaengine id=dma1 bus=rp1\n"					\
	"rootport id=rp2 bus=hb0\n"					\
	"pcidev id=dev0 bus=rp2 vendor=0x1234 device=0x5678\n"

static int setup(void **state)
{
	*state = machine_from(KD_PLATFORM);
	return 0;
}

static int teardown(void **state)
{
	return machine_teardown(*state, TD_CLEAN);
}

/* ---- PCI drivers --------------------------------------------------------- */

struct probes {
	int probed, removed, fail_on, fail_ret;
	const struct pci_device_id *last_id;
	struct pci_dev *seen[4];
};
static struct probes pr;

static int t_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	pr.last_id = id;
	pr.seen[pr.probed % 4] = pdev;
	if (++pr.probed == pr.fail_on)
		return pr.fail_ret ? pr.fail_ret : -EIO;
	pci_set_drvdata(pdev, &pr);
	return 0;
}

static void t_remove(struct pci_dev *pdev)
{
	assert_ptr_equal(pci_get_drvdata(pdev), &pr);
	pr.removed++;
}

static const struct pci_device_id dmae_ids[] = {
	{ PCI_DEVICE(0x8086, 0x0b25), .driver_data = 7 },
	{ }
};

static struct pci_driver t_driver = {
	.name = "t-dmae",
	.id_table = dmae_ids,
	.probe = t_probe,
	.remove = t_remove,
};

static void test_driver_binds_matches(void **state)
{
	struct sim_machine *m = *state;
	struct device *d0 = dev_of(m, "dma0"), *d1 = dev_of(m, "dma1");

	memset(&pr, 0, sizeof(pr));
	assert_int_equal(pci_register_driver(&t_driver), 0);
	assert_int_equal(pr.probed, 2);
	assert_int_equal(pr.last_id->driver_data, 7);
	assert_ptr_equal(d0->driver, &t_driver.driver);
	assert_string_equal(dev_driver_string(d0), "t-dmae");
	assert_string_equal(dev_driver_string(d1), "t-dmae");
	/* the plain device is not ours */
	assert_null(dev_of(m, "dev0")->driver);
	assert_int_equal(pci_register_driver(&t_driver), -EBUSY);
	pci_unregister_driver(&t_driver);
	assert_int_equal(pr.removed, 2);
	assert_null(d0->driver);
	assert_null(dev_get_drvdata(d0));
	/* unbound: named by its model again */
	assert_string_equal(dev_driver_string(d0), "dmaengine");
	pci_unregister_driver(&t_driver);	/* not registered: nothing */
	assert_int_equal(pr.removed, 2);
}

static void test_driver_probe_fails(void **state)
{
	struct sim_machine *m = *state;

	memset(&pr, 0, sizeof(pr));
	pr.fail_on = 1;
	assert_int_equal(pci_register_driver(&t_driver), 0);
	assert_int_equal(pr.probed, 2);
	/* the first stays unbound, the second is bound */
	assert_null(dev_of(m, "dma0")->driver);
	assert_non_null(dev_of(m, "dma1")->driver);
	assert_true(sim_report_find(m, SIM_REPORT_INFO,
				    "kernel: err: t-dmae 0000:01:00.0: probe with driver t-dmae failed with error -5"));
	pci_unregister_driver(&t_driver);
	assert_int_equal(pr.removed, 1);

	/* a driver declining a device (-ENODEV, -ENXIO) is not an error */
	for (int i = 0; i < 2; i++) {
		unsigned long logged = sim_report_count_kind(m, SIM_REPORT_INFO);

		memset(&pr, 0, sizeof(pr));
		pr.fail_on = 2;
		pr.fail_ret = i ? -ENXIO : -ENODEV;
		assert_int_equal(pci_register_driver(&t_driver), 0);
		assert_null(dev_of(m, "dma1")->driver);
		assert_int_equal(sim_report_count_kind(m, SIM_REPORT_INFO), logged);
		pci_unregister_driver(&t_driver);
		assert_int_equal(pr.removed, 1);
	}
}

static void test_driver_match_rules(void **state)
{
	struct sim_machine *m = *state;
	struct pci_dev *dma0 = to_pci_dev(dev_of(m, "dma0"));
	struct pci_dev *dev0 = to_pci_dev(dev_of(m, "dev0"));
	const struct pci_device_id by_class[] = {
		{ PCI_DEVICE_CLASS(0x088000, 0xffff00) },
		{ }
	};
	const struct pci_device_id by_sub[] = {
		{ PCI_DEVICE_SUB(0x8086, 0x0b25, 0x1111, 0x2222) },
		{ PCI_DEVICE(0x1234, PCI_ANY_ID), .driver_data = 3 },
		{ }
	};
	const struct pci_device_id only_override[] = {
		{ PCI_DEVICE(0x8086, 0x0b25), .override_only = 1 },
		{ }
	};

	assert_non_null(pci_match_id(by_class, dma0));
	assert_null(pci_match_id(by_class, dev0));
	/* the subsystem ids are read from config space: 0 here */
	assert_null(pci_match_id(by_sub, dma0));
	assert_int_equal(pci_match_id(by_sub, dev0)->driver_data, 3);
	assert_null(pci_match_id(only_override, dma0));
	assert_null(pci_match_id(NULL, dma0));
	assert_null(pci_match_id(by_class, NULL));
}

static void test_driver_bad_args(void **state)
{
	struct sim_machine *m = *state;
	struct pci_driver no_probe = { .name = "x", .id_table = dmae_ids };
	struct pci_driver no_name = { .probe = t_probe, .id_table = dmae_ids };

	assert_int_equal(pci_register_driver(NULL), -EINVAL);
	assert_int_equal(pci_register_driver(&no_probe), -EINVAL);
	assert_int_equal(pci_register_driver(&no_name), -EINVAL);
	assert_ptr_equal(sim_set_current_machine(NULL), m);
	assert_int_equal(pci_register_driver(&t_driver), -ENODEV);
	sim_set_current_machine(m);
	pci_unregister_driver(NULL);
}

/* A driver still registered at shutdown is unbound first (remove runs). */
static void test_driver_shutdown_unbinds(void **state)
{
	struct sim_machine *m = *state;

	memset(&pr, 0, sizeof(pr));
	assert_int_equal(pci_register_driver(&t_driver), 0);
	sim_machine_destroy(m);
	*state = NULL;
	assert_int_equal(pr.removed, 2);
}

/* ---- devices drivers make ------------------------------------------------ */

static int released;

static void child_release(struct device *dev)
{
	(void)dev;
	released++;
}

static void test_device_lifetime(void **state)
{
	struct sim_machine *m = *state;
	struct device *parent = dev_of(m, "dma0");
	struct device child = { .parent = parent, .release = child_release };
	struct device nameless = { 0 }, norelease = { .init_name = "norel" };

	released = 0;
	child.init_name = "dma0-child";
	assert_int_equal(device_register(&child), 0);
	assert_string_equal(dev_name(&child), "dma0-child");
	assert_ptr_equal(child.sim, m);
	assert_int_equal(device_add(&child), -EEXIST);
	assert_ptr_equal(get_device(&child), &child);
	put_device(&child);
	assert_int_equal(released, 0);
	/* renamed: the name is the library's, freed with the device */
	assert_int_equal(dev_set_name(&child, "child%d", 7), 0);
	assert_string_equal(dev_name(&child), "child7");
	device_unregister(&child);
	assert_int_equal(released, 1);
	assert_null(child.name);

	/* no name: refused; never initialised: refused */
	device_initialize(&nameless);
	assert_int_equal(device_add(&nameless), -EINVAL);
	assert_int_equal(device_add(&(struct device){ .init_name = "x" }),
			 -EINVAL);
	put_device(&nameless);		/* no release function: reported */
	assert_true(sim_report_find(m, SIM_REPORT_WARN,
				    "does not have a release() function"));
	put_device(&nameless);		/* one put too many */
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "one put too many"));
	/* the last put of a device still added */
	assert_int_equal(device_register(&norelease), 0);
	norelease.release = child_release;
	put_device(&norelease);
	assert_true(sim_report_find(m, SIM_REPORT_WARN, "still added"));
	assert_int_equal(released, 2);
	/* the machine's own devices are not the driver core's to free */
	assert_ptr_equal(get_device(parent), parent);
	put_device(parent);
	put_device(parent);
	assert_int_equal(dev_set_name(parent, "x"), -EINVAL);
	assert_int_equal(device_add(parent), -EINVAL);
	assert_string_equal(dev_name(parent), "0000:01:00.0");
	put_device(NULL);
	assert_null(get_device(NULL));
}

/* ---- fail-Nth over a driver's life --------------------------------------- */

struct sweep_drv {
	void __iomem *regs;
	void *buf;
	void *coh;
	dma_addr_t coh_dma;
};

static int sweep_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct sweep_drv *d;

	(void)id;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->regs = pci_iomap(pdev, 0, 0);
	if (!d->regs)
		goto err_free;
	d->buf = kmalloc(300, GFP_KERNEL);
	if (!d->buf)
		goto err_unmap;
	d->coh = dma_alloc_coherent(&pdev->dev, PAGE_SIZE, &d->coh_dma,
				    GFP_KERNEL);
	if (!d->coh)
		goto err_buf;
	pci_set_drvdata(pdev, d);
	return 0;

err_buf:
	kfree(d->buf);
err_unmap:
	pci_iounmap(pdev, d->regs);
err_free:
	kfree(d);
	return -ENOMEM;
}

static void sweep_remove(struct pci_dev *pdev)
{
	struct sweep_drv *d = pci_get_drvdata(pdev);

	dma_free_coherent(&pdev->dev, PAGE_SIZE, d->coh, d->coh_dma);
	kfree(d->buf);
	pci_iounmap(pdev, d->regs);
	kfree(d);
}

static struct pci_driver sweep_driver = {
	.name = "t-sweep",
	.id_table = dmae_ids,
	.probe = sweep_probe,
	.remove = sweep_remove,
};

/* Register (probing both engines), then unregister: 0 if both bound. */
static int driver_life(void *ctx)
{
	struct sim_machine *m = ctx;
	int bound = 0, ret;

	sim_set_current_machine(m);
	ret = pci_register_driver(&sweep_driver);
	if (ret)
		return ret;
	for (int i = 0; i < 2; i++)
		bound += dev_of(m, i ? "dma1" : "dma0")->driver != NULL;
	pci_unregister_driver(&sweep_driver);
	return bound == 2 ? 0 : -ENOMEM;
}

static void test_failnth_driver_life(void **state)
{
	struct failnth fn = {
		.name = "driver life", .m = *state, .ctx = *state,
		.run = driver_life,
	};

	failnth_sweep(&fn);
	/*
	 * The driver list's entry, and per device the iomap and the coherent
	 * page (the slab's objects come from slabs the warm-up run left).
	 */
	assert_true(fn.count >= 5);
	assert_int_equal(fn.failed, fn.count);
}

/* ---- MMIO ---------------------------------------------------------------- */

static void test_iomap(void **state)
{
	struct sim_machine *m = *state;
	struct pci_dev *pdev = to_pci_dev(dev_of(m, "dma0"));
	void __iomem *regs = pci_iomap(pdev, 0, 0);
	void __iomem *part = pci_iomap(pdev, 0, 0x100);
	void __iomem *byphys = ioremap(pci_resource_start(pdev, 0), 0x40);

	assert_non_null(regs);
	assert_non_null(part);
	assert_non_null(byphys);
	assert_int_equal(readl(regs + DMAE_REG_ID), DMAE_ID);
	assert_int_equal(readl(byphys + DMAE_REG_ID), DMAE_ID);
	writeq(0x1000, regs + DMAE_REG_CHAINADDR);
	assert_int_equal(readq(part + DMAE_REG_CHAINADDR), 0x1000);
	assert_int_equal(ioread32(regs + DMAE_REG_STS), DMAE_STS_IDLE);
	/* beyond a mapping: a BUG, all ones */
	assert_int_equal(readl(part + 0x100), 0xffffffff);
	assert_int_equal(readl(byphys + 0x40), 0xffffffff);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 2);
	assert_null(pci_iomap(pdev, 1, 0));	/* no BAR 1 */
	assert_null(pci_iomap(pdev, 7, 0));
	assert_null(ioremap(0x1000, 0));
	/* the thread's last look-up is @part: its iounmap must end that */
	assert_int_equal(readl(part + DMAE_REG_ID), DMAE_ID);
	pci_iounmap(pdev, part);
	iounmap(byphys);
	/* a cookie that went: a BUG */
	assert_int_equal(readl(part), 0xffffffff);
	iounmap(part);
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_BUG), 4);
	pci_iounmap(pdev, regs);
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 4, 0), 0);
	*state = NULL;
}

/* ---- time and completions ------------------------------------------------ */

static void test_delays(void **state)
{
	struct sim_machine *m = *state;
	u64 t0 = sim_clock_now(m);
	unsigned long j0 = jiffies;

	udelay(3);
	assert_int_equal(sim_clock_now(m) - t0, 3000);
	ndelay(5);
	mdelay(2);
	msleep(1);
	usleep_range(10, 20);
	fsleep(1);
	assert_int_equal(sim_clock_now(m) - t0, 3000 + 5 + 3000000 + 11000);
	assert_int_equal(jiffies - j0, 3);
	assert_true(time_after(jiffies, j0));
	assert_int_equal(msecs_to_jiffies(20), 20);
	sim_set_current_machine(NULL);
	assert_int_equal(get_jiffies_64(), 0);
	udelay(5);		/* no machine: nothing */
	sim_set_current_machine(m);
	assert_int_equal(sim_clock_now(m) - t0, 3000 + 5 + 3000000 + 11000);
}

struct waiter {
	struct completion done;
	struct sim_timer t;
	struct sim_machine *m;
	int fired;
	unsigned long left;
};

static void complete_on_timer(struct sim_timer *t, void *data)
{
	struct waiter *w = data;

	(void)t;
	w->fired++;
	complete(&w->done);
	/* waiting here is the caller's bug */
	w->left = wait_for_completion_timeout(&w->done, 10);
}

static void test_completion_runs_machine(void **state)
{
	struct sim_machine *m = *state;
	struct waiter w = { .m = m };
	u64 t0 = sim_clock_now(m);

	init_completion(&w.done);
	sim_timer_init(m, &w.t, complete_on_timer, &w);
	assert_int_equal(sim_timer_arm_in(m, &w.t, 5000000), 0);	/* 5 ms */
	assert_false(completion_done(&w.done));
	/* the wait runs the timer, which completes it: 15 jiffies left */
	assert_int_equal(wait_for_completion_timeout(&w.done, 20), 15);
	assert_int_equal(w.fired, 1);
	assert_int_equal(sim_clock_now(m) - t0, 5000000);
	assert_true(sim_report_find(m, SIM_REPORT_BUG,
				    "sleeping function called from invalid context"));
	assert_int_equal(w.left, 0);

	/* nothing will complete it: the clock reaches the deadline */
	t0 = sim_clock_now(m);
	assert_int_equal(wait_for_completion_timeout(&w.done, 7), 0);
	assert_int_equal(sim_clock_now(m) - t0, 7000000);

	/* complete_all: every wait returns at once, and keeps returning */
	complete_all(&w.done);
	wait_for_completion(&w.done);
	assert_true(try_wait_for_completion(&w.done));
	reinit_completion(&w.done);
	assert_false(try_wait_for_completion(&w.done));
	complete(&w.done);
	complete(&w.done);
	wait_for_completion(&w.done);
	assert_true(try_wait_for_completion(&w.done));
	assert_false(completion_done(&w.done));
	assert_int_equal(machine_teardown_allowed(m, TD_CLEAN, 1, 0), 0);
	*state = NULL;
}

/* ---- the kernel log ------------------------------------------------------ */

static void test_printk(void **state)
{
	struct sim_machine *m = *state;
	struct device *d = dev_of(m, "dma0");

	pr_info("hello %d\n", 42);
	printk("no level");
	pr_debug("not compiled in");
	dev_err(d, "broken %s", "badly");
	dev_dbg(d, "not compiled in");
	assert_true(sim_report_find(m, SIM_REPORT_INFO, "kernel: info: hello 42"));
	assert_true(sim_report_find(m, SIM_REPORT_INFO, "kernel: warn: no level"));
	assert_true(sim_report_find(m, SIM_REPORT_INFO,
				    "kernel: err: dmaengine 0000:01:00.0: broken badly"));
	assert_false(sim_report_find(m, SIM_REPORT_INFO, "not compiled in"));
	assert_int_equal(sim_report_count_kind(m, SIM_REPORT_INFO), 3);
}

/* ---- the module loader --------------------------------------------------- */

static void test_module_refusals(void **state)
{
	struct sim_machine *m = *state;
	char err[256];

	assert_null(sim_module_load(m, "/nonexistent/mod.so", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/mod.so"));
	assert_null(sim_module_load(NULL, "x.so", err, sizeof(err)));
	assert_null(sim_module_load(m, NULL, err, sizeof(err)));
	/*
	 * A shared object without module_init(): libm has none, though what
	 * it depends on (libc) has an init_module(), which must not be taken
	 * for the module's.
	 */
	assert_null(sim_module_load(m, "libm.so.6", err, sizeof(err)));
	assert_non_null(strstr(err, "no module_init()"));
	sim_module_unload(NULL);
	assert_int_equal(sim_alloc_live(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_driver_binds_matches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_probe_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_match_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_shutdown_unbinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_lifetime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failnth_driver_life, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iomap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion_runs_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_printk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
