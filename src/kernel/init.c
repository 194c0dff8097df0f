// SPDX-License-Identifier: MIT
/*
 * Booting the kernel on a machine: the hardware is built from platform text
 * (src/hw/), then the kernel's subsystems come up in the order of the
 * init table below, as initcalls do; teardown unbinds the drivers and runs
 * the exits of whatever came up, in reverse. Nothing in the hardware layer
 * names a kernel subsystem: this file is the only place that knows them
 * all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

struct sim_initcall {
	const char *name;
	/* 0 or -errno with a one-line reason in @err; nothing to undo then */
	int (*init)(struct sim_machine *m, const struct sim_machine_opts *o,
		    char *err, size_t errlen);
	void (*exit)(struct sim_machine *m);
};

/* State created on first use: only its teardown has a place in the order. */
static int nop_init_call(struct sim_machine *m,
			 const struct sim_machine_opts *o, char *err,
			 size_t errlen)
{
	return 0;
}

static int pci_init_call(struct sim_machine *m, const struct sim_machine_opts *o,
			 char *err, size_t errlen)
{
	int ret = pci_dma_configure_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory configuring PCI devices");
	return ret;
}

static int pci_drivers_init_call(struct sim_machine *m,
				 const struct sim_machine_opts *o, char *err,
				 size_t errlen)
{
	int ret = pci_drivers_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the PCI driver list");
	return ret;
}

static int devres_init_call(struct sim_machine *m,
			    const struct sim_machine_opts *o, char *err,
			    size_t errlen)
{
	int ret = devres_init_machine(m);

	if (ret)
		snprintf(err, errlen, "cannot create the devres lock");
	return ret;
}

static void pci_exit_call(struct sim_machine *m)
{
	pci_dma_deconfigure_machine(m);
}

static int trace_init_call(struct sim_machine *m,
			   const struct sim_machine_opts *o, char *err,
			   size_t errlen)
{
	sim_trace_init(m);
	return 0;
}

static int mm_init_call(struct sim_machine *m, const struct sim_machine_opts *o,
			char *err, size_t errlen)
{
	int ret = sim_mm_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the memmap");
	return ret;
}

static int slab_init_call(struct sim_machine *m,
			  const struct sim_machine_opts *o, char *err,
			  size_t errlen)
{
	int ret = sim_slab_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the kmalloc caches");
	return ret;
}

static int iomap_init_call(struct sim_machine *m,
			   const struct sim_machine_opts *o, char *err,
			   size_t errlen)
{
	int ret = sim_iomap_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the ioremap list");
	return ret;
}

static int swiotlb_init_call(struct sim_machine *m,
			     const struct sim_machine_opts *o, char *err,
			     size_t errlen)
{
	int ret = swiotlb_init_machine(m);

	if (ret)
		snprintf(err, errlen,
			 "cannot create the %llu MiB swiotlb pool below 4G",
			 (unsigned long long)(m->swiotlb_size >> 20));
	return ret;
}

static int iommu_init_call(struct sim_machine *m,
			   const struct sim_machine_opts *o, char *err,
			   size_t errlen)
{
	int ret = sim_iommu_init_machine(m, err, errlen);

	/* A half-made IOMMU state is the exit's to free, as in Linux's
	 * probe unwinding: run it here so the table stays all-or-nothing. */
	if (ret)
		sim_iommu_exit_machine(m);
	return ret;
}

static int dma_debug_init_call(struct sim_machine *m,
			       const struct sim_machine_opts *o, char *err,
			       size_t errlen)
{
	int ret = dma_debug_init_machine(m, !(o && o->dma_debug_off));

	if (ret)
		snprintf(err, errlen, "out of memory creating dma-debug");
	return ret;
}

static int revoke_init_call(struct sim_machine *m,
			    const struct sim_machine_opts *o, char *err,
			    size_t errlen)
{
	int ret = mmio_revoke_init_machine(m);

	if (ret)
		snprintf(err, errlen,
			 "out of memory creating the revoked-MMIO registry");
	return ret;
}


static int vfio_init_call(struct sim_machine *m,
			  const struct sim_machine_opts *o, char *err,
			  size_t errlen)
{
	int ret = vfio_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the VFIO state");
	return ret;
}

static int sched_init_call(struct sim_machine *m,
			   const struct sim_machine_opts *o, char *err,
			   size_t errlen)
{
	int ret = sim_sched_init_machine(m);

	if (ret)
		snprintf(err, errlen, "out of memory creating the scheduler state");
	return ret;
}

static const struct sim_initcall initcalls[] = {
	{ "trace", trace_init_call, sim_trace_fini },
	{ "mm", mm_init_call, sim_mm_exit_machine },
	{ "slab", slab_init_call, sim_slab_exit_machine },
	{ "iomap", iomap_init_call, sim_iomap_exit_machine },
	/* each function's DMA configuration, before any DMA layer */
	{ "pci", pci_init_call, pci_exit_call },
	{ "pci-drivers", pci_drivers_init_call, pci_drivers_exit_machine },
	/* managed resources: released at unbind, all gone before the exits */
	{ "devres", devres_init_call, devres_exit_machine },
	/* P2P pages live until everything that maps them is gone */
	{ "p2pdma", nop_init_call, pci_p2pdma_exit_machine },
	{ "swiotlb", swiotlb_init_call, swiotlb_exit_machine },
	{ "iommu", iommu_init_call, sim_iommu_exit_machine },
	/* after the IOMMU: need_sync depends on the DMA ops a device got */
	{ "dma-debug", dma_debug_init_call, dma_debug_exit_machine },
	/* after dma-debug: it observes the bus first */
	{ "vfio-revoke", revoke_init_call, mmio_revoke_exit_machine },
	{ "dma-buf", nop_init_call, dma_buf_exit_machine },
	/* after dma-buf: at shutdown its leaked exports go first */
	{ "vfio", vfio_init_call, vfio_exit_machine },
	/*
	 * last: at shutdown, once the drivers unbound, the kthreads still
	 * running are reported and stopped and the workqueues drained, before
	 * any layer their functions may use goes
	 */
	{ "sched", sched_init_call, sim_sched_exit_machine },
};

/**
 * sim_kernel_boot - bring the kernel up on @m's finalized hardware
 * @o: the machine options (dma-debug off, ...), may be NULL
 * @err: a one-line reason on failure
 *
 * Return: 0, or -errno; what came up stays for sim_kernel_shutdown().
 */
int sim_kernel_boot(struct sim_machine *m, const struct sim_machine_opts *o,
		    char *err, size_t errlen)
{
	m->kernel = sim_kzalloc(m, sizeof(*m->kernel));
	if (!m->kernel) {
		snprintf(err, errlen, "out of memory booting the kernel");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(initcalls); i++) {
		int ret = initcalls[i].init(m, o, err, errlen);

		if (ret)
			return ret;
		m->kernel->nr_initcalls_done = i + 1;
	}
	return 0;
}

void sim_kernel_shutdown(struct sim_machine *m)
{
	struct sim_kernel *k = m->kernel;

	if (!k)
		return;
	/*
	 * Drivers unbind first (registered PCI drivers' remove runs), so
	 * dma-debug sees what they left behind; every device's managed
	 * resources (devres) are released by its unbind, before any layer
	 * they came from goes.
	 */
	if (m->constructed) {
		/* the program's VFIO device fds close, as its process exits */
		vfio_close_machine(m);
		pci_drivers_unbind_machine(m);
		/* before the unbinds release managed pools (not these) */
		dma_pool_shutdown_machine(m);
		for (unsigned int i = 0; i < m->nr_devices; i++)
			sim_device_unbind(m->devices[i]);
	}
	while (k->nr_initcalls_done) {
		const struct sim_initcall *c = &initcalls[--k->nr_initcalls_done];

		c->exit(m);
	}
	m->kernel = NULL;
	sim_kfree(m, k);
}

/**
 * sim_machine_parse_opts - build a machine from @text and boot the kernel
 * @text: platform text (SPEC 2.3)
 * @opts: NULL, or options (fail-Nth from the first allocation, dma-debug)
 * @err: receives "line N: ..." or another one-line reason on failure
 *
 * Return: the machine, owned by the caller (sim_machine_destroy()), or
 * NULL with nothing left allocated.
 */
struct sim_machine *sim_machine_parse_opts(const char *text,
					   const struct sim_machine_opts *opts,
					   char *err, size_t errlen)
{
	struct sim_machine *m;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "no platform text");
		return NULL;
	}
	m = sim_machine_alloc();
	if (!m) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opts && opts->fail_nth)
		sim_fail_nth_alloc(m, opts->fail_nth);
	m->models = opts ? opts->models : NULL;
	if (sim_models_check(m, err, errlen))
		goto err_destroy;
	if (sim_platform_parse(m, text, err, errlen))
		goto err_destroy;
	if (sim_machine_finalize(m, err, errlen))
		goto err_destroy;
	if (sim_kernel_boot(m, opts, err, errlen))
		goto err_destroy;
	/* the device models come up on a booted machine, as after a reset */
	if (sim_models_realize(m, err, errlen))
		goto err_destroy;
	m->constructed = true;
	/* Leak accounting counts what the layers hold beyond construction. */
	sim_alloc_live_reset(m);
	/* the creating thread runs on the new machine (the kernel's current) */
	sim_set_current_machine(m);
	return m;

err_destroy:
	sim_machine_destroy(m);
	return NULL;
}

void sim_machine_destroy(struct sim_machine *m)
{
	if (!m)
		return;
	sim_kernel_shutdown(m);
	sim_hw_destroy(m);
}

struct sim_machine *sim_machine_parse(const char *text, char *err,
				      size_t errlen)
{
	return sim_machine_parse_opts(text, NULL, err, errlen);
}

struct sim_machine *sim_machine_load(const char *path, char *err,
				     size_t errlen)
{
	return sim_machine_load_opts(path, NULL, err, errlen);
}

/* Any line that is not blank or a comment? */
static bool platform_has_content(const char *text)
{
	for (const char *p = text; *p;) {
		p += strspn(p, " \t\r\n");
		if (*p && *p != '#')
			return true;
		p += strcspn(p, "\n");
	}
	return false;
}

struct sim_machine *sim_machine_load_opts(const char *path,
					  const struct sim_machine_opts *opts,
					  char *err, size_t errlen)
{
	struct sim_machine *m;
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	struct stat st = { 0 };
	int fd;

	/*
	 * Non-blocking: opening a FIFO for reading would wait for a writer.
	 * A directory reads as nothing, a device or FIFO maybe forever: only
	 * a regular file is a platform file.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
				 S_ISDIR(st.st_mode) ? "is a directory, not a platform file" :
				 S_ISFIFO(st.st_mode) ? "is a FIFO, not a platform file" :
				 S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ?
					"is a device, not a platform file" :
					"not a regular file");
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *t;

			cap = cap ? cap * 2 : 8192;
			if (cap > (64u << 20)) {
				if (err && errlen)
					snprintf(err, errlen,
						 "%s: platform file too large",
						 path);
				free(text);
				fclose(f);
				return NULL;
			}
			t = realloc(text, cap);
			if (!t) {
				free(text);
				fclose(f);
				if (err && errlen)
					snprintf(err, errlen, "out of memory");
				return NULL;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	text[len] = '\0';
	if (!platform_has_content(text)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: empty platform file (no component lines)",
				 path);
		free(text);
		return NULL;
	}
	if (strlen(text) != len) {
		if (err && errlen)
			snprintf(err, errlen, "%s: platform file contains a NUL byte",
				 path);
		free(text);
		return NULL;
	}
	m = sim_machine_parse_opts(text, opts, err, errlen);
	free(text);
	return m;
}

struct sim_machine *sim_machine_default(void)
{
	return sim_machine_parse(sim_default_platform_text(), NULL, 0);
}
