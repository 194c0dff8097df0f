/* SPDX-License-Identifier: MIT */
/*
 * The device-model API: the hardware of a PCI function, written outside
 * dmastack (compare QEMU's PCIDevice, MemoryRegionOps and hw/misc/edu.c).
 *
 * A model is its registers, its DMA and its interrupts:
 * - registers: BARs whose CPU MMIO runs the model's bar_read/bar_write
 *   (SIM_BAR_REGS), or plain memory the model reads and writes through
 *   sim_model_bar_mem();
 * - DMA: sim_dma_read()/sim_dma_write() on sim_model_device(), routed as
 *   any device access (peer BARs, the root complex, the IOMMU, RAM);
 * - interrupts: MSI or MSI-X vectors (sim_msi_raise()) that run the
 *   handlers the driver registered with pci_alloc_irq_vectors() and
 *   request_irq();
 * - time: machine timers (sim-timer.h) to finish a job after its latency
 *   (sim_timer_arm_in(m, t, latency)), or as deferred work
 *   (sim_timer_arm_in(m, t, 0): runs at the next clock move).
 *
 * A program describes a model with a const struct sim_model, passes it to
 * sim_machine_parse_opts() in opts->models, and binds it to a function in
 * the platform text:
 *
 *	pcidev id=dma0 bus=rp0 model=NAME [model keys...]
 *
 * The machine creates one instance (struct sim_model_dev, opaque) per bound
 * function, calls init() once the function exists (BARs placed, config
 * space built) and exit() when the machine is destroyed. The description
 * must outlive every machine that uses it.
 *
 * Locks: no callback runs with a machine lock held. bar_read/bar_write run
 * on the thread doing the CPU MMIO, config hooks on the thread writing
 * config space (or resetting), timer callbacks on the thread moving the
 * clock; a model that can be reached from several threads serialises its
 * own state. Raising an MSI runs the driver's handler on the raising
 * thread before sim_msi_raise() returns, so a model must not hold a lock
 * across sim_msi_raise() that the driver's handler could need (its MMIO
 * handlers' lock, typically).
 */
#ifndef _DMASTACK_SIM_MODEL_H
#define _DMASTACK_SIM_MODEL_H

#include <dmastack/types.h>
#include <dmastack/device.h>
#include <dmastack/pci.h>
#include <dmastack/sim-timer.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sim_machine;
struct sim_model_dev;

/* struct sim_model_bar flags */
#define SIM_BAR_64		0x1	/* 64-bit BAR (takes the next slot too) */
#define SIM_BAR_PREFETCH	0x2	/* prefetchable (64-bit window if 64) */
#define SIM_BAR_REGS		0x4	/* CPU MMIO runs bar_read/bar_write */

/* A BAR of the model: @size 0 (none) or a power of two of at least 4K. */
struct sim_model_bar {
	u64 size;
	unsigned int flags;
};

/* Why reset() is called. */
enum sim_model_reset {
	SIM_MODEL_RESET_FLR,	/* function level reset (PCIe or AF) */
	SIM_MODEL_RESET_BUS,	/* secondary bus reset of the bridge above */
};

/* Most MSI vectors a function offers (the MSI capability's limit). */
#define SIM_MSI_MAX_VECTORS	32
/* Most MSI-X vectors (the MSI-X capability's limit). */
#define SIM_MSIX_MAX_VECTORS	2048

/**
 * struct sim_model - a device model, as registered
 * @name: what platform text names in model= (letters, digits, '-', '_')
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @class_code: 24-bit class code (base, sub-class, programming interface)
 * @revision: revision ID
 * @subsystem_vendor: subsystem vendor ID (0: none)
 * @subsystem_device: subsystem ID
 * @bars: the BARs; the platform line may not give bar0..bar5 for a model
 * @msi_vectors: MSI vectors (0: no MSI capability; 1, 2, 4, 8, 16 or 32),
 *	with per-vector masking and pending bits
 * @msix_vectors: MSI-X vectors (0: no MSI-X capability; up to 2048)
 * @msix_bar: the BAR holding the MSI-X table and, right after it, the
 *	pending bit array (PBA); CPU MMIO there reaches them, not the model
 * @msix_offset: the table's offset in that BAR, a multiple of 8
 * @params: NULL-terminated list of the keys the model accepts on its
 *	platform line (NULL: none); any other key is an error of that line
 * @init: create the instance's state (sim_model_set_priv()); may read its
 *	parameters and fail with -errno (-EINVAL for a bad parameter, after
 *	sim_model_error() says which), and then nothing of the machine is
 *	kept. Runs once at machine creation, on the creating thread. Optional.
 * @exit: free what init made; cancel the model's timers. Runs once at
 *	machine destruction after drivers unbound, when the instance's init
 *	succeeded; no DMA, no interrupts. Optional.
 * @bar_read: CPU MMIO read of a SIM_BAR_REGS BAR: fill @buf with @len bytes
 *	at offset @off (the access never crosses the BAR's end) and return 0,
 *	or -errno (passed back to the reader, whose bytes read as all ones).
 *	Runs after the function's decode checks (memory enabled, D0, not in
 *	reset), without machine locks, so it may DMA and raise interrupts.
 * @bar_write: the same for a CPU MMIO write (a doorbell)
 * @command: the command register was written (@old and @new values; bus
 *	mastering and memory decoding bits among them). Optional.
 * @power: the power state changes from @old to @new (PCI_D0, PCI_D3hot);
 *	called after the change. Optional.
 * @reset: the function is being reset (@how); called while it is in reset,
 *	after its command register was cleared and its MSI state reset, so
 *	the model should forget its registers and stop its jobs. Optional.
 *
 * A model with a SIM_BAR_REGS BAR must have both bar_read and bar_write.
 */
struct sim_model {
	const char *name;
	u16 vendor;
	u16 device;
	u32 class_code;
	u8 revision;
	u16 subsystem_vendor;
	u16 subsystem_device;
	struct sim_model_bar bars[PCI_STD_NUM_BARS];
	unsigned int msi_vectors;
	unsigned int msix_vectors;
	int msix_bar;
	u64 msix_offset;
	const char *const *params;
	int (*init)(struct sim_model_dev *md);
	void (*exit)(struct sim_model_dev *md);
	int (*bar_read)(struct sim_model_dev *md, int bar, u64 off, void *buf,
			size_t len);
	int (*bar_write)(struct sim_model_dev *md, int bar, u64 off,
			 const void *buf, size_t len);
	void (*command)(struct sim_model_dev *md, u16 old, u16 new_cmd);
	void (*power)(struct sim_model_dev *md, pci_power_t old,
		      pci_power_t new_state);
	void (*reset)(struct sim_model_dev *md, enum sim_model_reset how);
};

/* ---- the instance -------------------------------------------------------- */

/**
 * sim_model_priv - the state the model's init stored
 * @md: the instance
 */
void *sim_model_priv(struct sim_model_dev *md);

/**
 * sim_model_set_priv - store the model's state for the instance
 * @md: the instance
 * @priv: owned by the model (freed by its exit)
 */
void sim_model_set_priv(struct sim_model_dev *md, void *priv);

/**
 * sim_model_machine - the machine the instance lives in (for timers)
 * @md: the instance
 */
struct sim_machine *sim_model_machine(struct sim_model_dev *md);

/**
 * sim_model_pci_dev - the PCI function the model is
 * @md: the instance
 */
struct pci_dev *sim_model_pci_dev(struct sim_model_dev *md);

/**
 * sim_model_device - the function's device, the initiator of its DMA
 * @md: the instance
 *
 * Pass it to sim_dma_read()/sim_dma_write().
 */
struct device *sim_model_device(struct sim_model_dev *md);

/**
 * sim_model_id - the id= of the instance's platform line
 * @md: the instance
 */
const char *sim_model_id(struct sim_model_dev *md);

/**
 * sim_model_of - the registered description of the instance
 * @md: the instance
 */
const struct sim_model *sim_model_of(struct sim_model_dev *md);

/**
 * sim_model_param - a key=value of the instance's platform line
 * @md: the instance
 * @key: one of the model's @params
 *
 * Return: the value (owned by the machine, valid while it lives), or NULL
 * when the line did not give @key.
 */
const char *sim_model_param(struct sim_model_dev *md, const char *key);

/**
 * sim_model_param_u64 - a numeric key=value (decimal or 0x hex, optional
 *	K/M/G/T suffix) of the instance's platform line
 * @md: the instance
 * @key: one of the model's @params
 * @def: the value when the line does not give @key
 * @out: the value
 *
 * Return: 0, or -EINVAL when the value is not a number (and then
 * sim_model_error() has said so, naming the key).
 */
int sim_model_param_u64(struct sim_model_dev *md, const char *key, u64 def,
			u64 *out);

/**
 * sim_model_error - say why init failed
 * @md: the instance
 * @fmt: printf format of the message
 *
 * Machine creation reports "line N: ID: model 'NAME': MESSAGE" when init
 * returns an error. The last message wins.
 */
void sim_model_error(struct sim_model_dev *md, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * sim_model_bar_mem - the host mapping of a BAR's contents
 * @md: the instance
 * @bar: the BAR index
 *
 * What a plain-memory BAR holds (CPU MMIO and peer DMA reach these bytes),
 * for the model to read and write as its device memory. NULL for a BAR the
 * model does not have.
 */
void *sim_model_bar_mem(struct sim_model_dev *md, int bar);

/**
 * sim_model_bar_size - the size of one of the function's BARs
 * @md: the instance
 * @bar: the BAR index
 *
 * What the platform gave the function: at least the model's own size for
 * that BAR, larger when its line said so. 0 for a BAR it does not have.
 */
u64 sim_model_bar_size(struct sim_model_dev *md, int bar);

/**
 * sim_model_log - a model says what it did, in the machine's reports
 * @md: the instance
 * @addr: the address the message is about (0: none)
 * @fmt: printf format of the message
 *
 * Recorded as an information report naming the device (a controller
 * fatal status, an ignored register write); nothing fails.
 */
void sim_model_log(struct sim_model_dev *md, u64 addr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * sim_model_attach - make an existing function an instance of @model
 * @dev: a PCI endpoint of the machine with no model yet, whose BARs came
 *	from its platform line (a kind such as `nvme`)
 * @model: the model; its @bars give what it needs of the function: each
 *	BAR with a size must exist and be at least that large, and a
 *	SIM_BAR_REGS one is handed to the model's bar_read/bar_write
 * @priv: the instance's state before init runs (sim_model_priv())
 *
 * The run-time counterpart of binding a model from platform text, for a
 * program that sets a model up on a function after the machine exists
 * (dmastack's NVMe controller is attached this way). Identity is written
 * to config space and init runs as at machine creation; exit runs when the
 * machine is destroyed. Attach before anything uses the function.
 *
 * Return: 0; -EINVAL (not an endpoint, an invalid model, a BAR missing or
 * too small); -EBUSY (a model is there already); -ENOMEM; or what init
 * returned. On error nothing stays attached and exit is not called.
 */
int sim_model_attach(struct device *dev, const struct sim_model *model,
		     void *priv);

/**
 * sim_model_dev_of - the model instance of a device
 * @dev: a device of a machine
 *
 * Return: the instance, or NULL when @dev is not bound to a model.
 */
struct sim_model_dev *sim_model_dev_of(struct device *dev);

/**
 * sim_device_model - the name of the model @dev is bound to, or NULL
 * @dev: a device of a machine
 */
const char *sim_device_model(struct device *dev);

/* ---- interrupts ---------------------------------------------------------- */

/**
 * sim_msi_raise - the function sends MSI vector @vector
 * @md: the instance
 * @vector: 0 .. the vectors the driver enabled - 1
 *
 * The vector is an MSI-X table entry while MSI-X is enabled, else an MSI
 * vector. As hardware: the message is sent only while bus mastering and
 * MSI (or MSI-X) are enabled and the function is in D0 and not in reset. A
 * vector whose mask bit (or MSI-X's function mask) is set gets its pending
 * bit instead and is sent when unmasked. A
 * sent message reaches the machine's interrupt controller, which runs the
 * driver's handler on this thread before this returns. Call it without
 * holding locks the handler may need. Messages the driver never
 * requested an irq for are counted as spurious by the kernel side.
 *
 * Return: 0 (sent, or left pending), -ENODEV (the model has no MSI nor
 * MSI-X), -EINVAL (@vector is not enabled), -EIO (not sent: MSI and MSI-X
 * disabled, bus mastering off, D3hot or reset; as hardware, the message
 * is lost).
 */
int sim_msi_raise(struct sim_model_dev *md, unsigned int vector);

/**
 * sim_msi_pending - is @vector's pending bit set (masked when raised)?
 * @md: the instance
 * @vector: the vector
 */
bool sim_msi_pending(struct sim_model_dev *md, unsigned int vector);

/**
 * struct sim_irq_stats - what the kernel's interrupt layer did with an irq
 * @delivered: messages that reached it
 * @handled: runs where a handler returned IRQ_HANDLED or IRQ_WAKE_THREAD
 * @unhandled: runs where every handler returned IRQ_NONE
 * @spurious: messages with no handler to run (none requested, or disabled
 *	and replayed later)
 */
struct sim_irq_stats {
	unsigned long delivered;
	unsigned long handled;
	unsigned long unhandled;
	unsigned long spurious;
};

/**
 * sim_irq_get_stats - counters of irq @irq of @m (the kernel's kstat_irqs)
 * @m: the machine
 * @irq: a Linux irq number (pci_irq_vector())
 * @out: the counters
 *
 * Return: 0, or -ENOENT when @irq is not allocated.
 */
int sim_irq_get_stats(struct sim_machine *m, unsigned int irq,
		      struct sim_irq_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* _DMASTACK_SIM_MODEL_H */
