// SPDX-License-Identifier: MIT
/*
 * Device models bound to PCI functions (include/dmastack/sim-model.h).
 *
 * The platform parser finds a model by name (the program's first, then the
 * built-in table), gives the function the model's BARs and identity and
 * creates its instance with the model's keys of the line. Once every
 * function exists, sim_models_realize() writes the identity into config
 * space, adds the MSI capability, hands the register BARs to the model and
 * calls its init, in platform order. The instance goes with its function
 * (struct sim_pci_model's release), calling the model's exit first.
 * Config-space events reach the model through the sim_model_cfg_*() hooks
 * that src/hw/pci.c calls.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "hw/machine.h"
#include "models/models.h"

/* Models every machine knows, and the platform kind each one is. */
static const struct {
	const char *kind;
	const struct sim_model *model;
} builtin_models[] = {
	{ "dmaengine", &sim_model_dmaengine },
	{ "gpu", &sim_model_gpu },
	{ "nic", &sim_model_nic },
};

static bool bar_valid(const struct sim_model *model, int i, char *why,
		      size_t len)
{
	const struct sim_model_bar *b = &model->bars[i];

	if (!b->size) {
		if (b->flags) {
			snprintf(why, len, "bar%d has flags but no size", i);
			return false;
		}
		return true;
	}
	if (b->size < SZ_4K || (b->size & (b->size - 1)) ||
	    b->size > (1ULL << 47)) {
		snprintf(why, len,
			 "bar%d must be a power of two from 4K to 128T", i);
		return false;
	}
	if (b->flags & ~(SIM_BAR_64 | SIM_BAR_PREFETCH | SIM_BAR_REGS)) {
		snprintf(why, len, "bar%d has unknown flags", i);
		return false;
	}
	if (!(b->flags & SIM_BAR_64) && b->size > SZ_1G) {
		snprintf(why, len, "bar%d is larger than 1G and not 64-bit", i);
		return false;
	}
	if ((b->flags & SIM_BAR_64) &&
	    (i == PCI_STD_NUM_BARS - 1 || model->bars[i + 1].size ||
	     model->bars[i + 1].flags)) {
		snprintf(why, len,
			 "64-bit bar%d needs bar%d as its upper half", i, i + 1);
		return false;
	}
	if ((b->flags & SIM_BAR_REGS) &&
	    (!model->bar_read || !model->bar_write)) {
		snprintf(why, len,
			 "bar%d has registers but no bar_read/bar_write", i);
		return false;
	}
	return true;
}

static bool model_valid(const struct sim_model *model, char *why, size_t len)
{
	const char *p;
	unsigned int v = model->msi_vectors;

	if (!model->name || !*model->name || strlen(model->name) > 32) {
		snprintf(why, len, "a model needs a name of 1 to 32 characters");
		return false;
	}
	for (p = model->name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			snprintf(why, len,
				 "model name '%s' may hold only letters, digits, '-' and '_'",
				 model->name);
			return false;
		}
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (i > 0 && (model->bars[i - 1].flags & SIM_BAR_64))
			continue;
		if (!bar_valid(model, i, why, len))
			return false;
	}
	if (v > SIM_MSI_MAX_VECTORS || (v & (v - 1))) {
		snprintf(why, len, "msi_vectors=%u: must be 0 or a power of two up to %d",
			 v, SIM_MSI_MAX_VECTORS);
		return false;
	}
	if (model->msix_vectors) {
		const struct sim_model_bar *b;
		u64 need = (u64)PCI_MSIX_ENTRY_SIZE * model->msix_vectors +
			   DIV_ROUND_UP(model->msix_vectors, 64) * 8;

		if (model->msix_vectors > SIM_MSIX_MAX_VECTORS) {
			snprintf(why, len, "msix_vectors=%u: at most %d",
				 model->msix_vectors, SIM_MSIX_MAX_VECTORS);
			return false;
		}
		if (model->msix_bar < 0 || model->msix_bar >= PCI_STD_NUM_BARS ||
		    !model->bars[model->msix_bar].size) {
			snprintf(why, len, "msix_bar=%d is not a BAR of the model",
				 model->msix_bar);
			return false;
		}
		b = &model->bars[model->msix_bar];
		if ((model->msix_offset & 7) || model->msix_offset > b->size ||
		    need > b->size - model->msix_offset) {
			snprintf(why, len,
				 "the MSI-X table and PBA (%llu bytes at %#llx) do not fit bar%d, or are not 8-aligned",
				 (unsigned long long)need,
				 (unsigned long long)model->msix_offset,
				 model->msix_bar);
			return false;
		}
	}
	if (model->class_code > 0xffffff) {
		snprintf(why, len, "class %#x is wider than 24 bits", model->class_code);
		return false;
	}
	for (const char *const *k = model->params; k && *k; k++) {
		static const char *const line_keys[] = {
			"id", "bus", "model", "dma-bits", "coherent", "untrusted",
			"flr", "vendor", "device", "bar0", "bar1", "bar2",
			"bar3", "bar4", "bar5",
		};

		for (size_t i = 0; i < ARRAY_SIZE(line_keys); i++)
			if (!strcmp(*k, line_keys[i])) {
				snprintf(why, len,
					 "parameter '%s' is a key of every pcidev line",
					 *k);
				return false;
			}
	}
	return true;
}

/**
 * sim_models_check - the program's models are well formed and unique
 *
 * Run before the platform text is read. @err gets "model 'NAME': why".
 */
int sim_models_check(struct sim_machine *m, char *err, size_t errlen)
{
	char why[160];

	for (const struct sim_model *const *p = m->models; p && *p; p++) {
		if (!model_valid(*p, why, sizeof(why))) {
			snprintf(err, errlen, "model '%s': %s",
				 (*p)->name ? (*p)->name : "", why);
			return -EINVAL;
		}
		for (const struct sim_model *const *q = m->models; q != p; q++)
			if (!strcmp((*q)->name, (*p)->name)) {
				snprintf(err, errlen,
					 "model '%s' is registered twice",
					 (*p)->name);
				return -EINVAL;
			}
	}
	return 0;
}

const struct sim_model *sim_model_find(struct sim_machine *m, const char *name)
{
	for (const struct sim_model *const *p = m->models; p && *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	for (size_t i = 0; i < ARRAY_SIZE(builtin_models); i++)
		if (!strcmp(builtin_models[i].model->name, name))
			return builtin_models[i].model;
	return NULL;
}

bool sim_model_has_param(const struct sim_model *model, const char *key)
{
	for (const char *const *k = model->params; k && *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* Instances                                                                */
/* ------------------------------------------------------------------------ */

static void model_release(struct sim_machine *m, void *data)
{
	struct sim_model_dev *md = data;

	if (md->realized && md->model->exit)
		md->model->exit(md);
	md->realized = false;
	md->fn->mdev = NULL;
	for (unsigned int i = 0; i < md->nr_params; i++) {
		sim_kfree(m, md->keys[i]);
		sim_kfree(m, md->vals[i]);
	}
	sim_kfree(m, md->keys);
	sim_kfree(m, md->vals);
	sim_msix_free(md);
	pthread_mutex_destroy(&md->msi.lock);
	sim_kfree(m, md);
}

/* An instance on @fn: freed with the function (model_release). */
static struct sim_model_dev *instance_new(struct sim_machine *m,
					  struct sim_pci_fn *fn,
					  const struct sim_model *model)
{
	struct sim_model_dev *md = sim_kzalloc(m, sizeof(*md));

	if (!md)
		return NULL;
	md->m = m;
	md->fn = fn;
	md->model = model;
	pthread_mutex_init(&md->msi.lock, NULL);
	fn->mdev = md;
	fn->model.data = md;
	fn->model.release = model_release;
	return md;
}

static char *dup_str(struct sim_machine *m, const char *s)
{
	char *d = sim_kmalloc(m, strlen(s) + 1);

	if (d)
		strcpy(d, s);
	return d;
}

/**
 * sim_model_bind - make @node's function an instance of @model
 * @m: the machine being parsed
 * @node: an endpoint with its function, no BARs yet
 * @model: a model sim_model_find() returned
 * @keys: the model's keys of the line
 * @vals: their values
 * @nr: how many
 *
 * Sets the BARs from the model. The instance is freed with the function.
 * Return: 0 or -ENOMEM.
 */
int sim_model_bind(struct sim_machine *m, struct sim_node *node,
		   const struct sim_model *model, char **keys, char **vals,
		   unsigned int nr)
{
	struct sim_pci_fn *fn = node->fn;
	struct sim_model_dev *md;

	md = instance_new(m, fn, model);
	if (!md)
		return -ENOMEM;
	if (nr) {
		md->keys = sim_kcalloc(m, nr, sizeof(*md->keys));
		md->vals = sim_kcalloc(m, nr, sizeof(*md->vals));
		if (!md->keys || !md->vals)
			return -ENOMEM;
		for (unsigned int i = 0; i < nr; i++) {
			md->keys[i] = dup_str(m, keys[i]);
			md->vals[i] = dup_str(m, vals[i]);
			md->nr_params = i + 1;
			if (!md->keys[i] || !md->vals[i])
				return -ENOMEM;
		}
	}
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct sim_model_bar *b = &model->bars[i];
		struct sim_bar *bar = &fn->bars[i];

		if (i > 0 && (model->bars[i - 1].flags & SIM_BAR_64))
			continue;
		if (!b->size)
			continue;
		bar->index = i;
		bar->size = b->size;
		bar->is64 = b->flags & SIM_BAR_64;
		bar->prefetch = b->flags & SIM_BAR_PREFETCH;
		bar->role = b->flags & SIM_BAR_REGS ? "regs" : "mem";
	}
	return 0;
}

/**
 * sim_model_bind_kind - bind the built-in model of @node's platform kind
 * @m: the machine being parsed
 * @node: an endpoint whose BARs its line placed
 * @err: says why binding refused
 * @errlen: its size
 *
 * The function keeps the line's BARs; each BAR the model needs must be
 * there and at least as large. A kind without a model is left alone, and
 * so is a function whose line gave it another identity (vendor=, device=:
 * some other vendor's function of that class, as the sysfs reader writes).
 * Return: 0, -EINVAL (a BAR too small) or -ENOMEM.
 */
int sim_model_bind_kind(struct sim_machine *m, struct sim_node *node,
			char *err, size_t errlen)
{
	const struct sim_model *model = NULL;
	const struct pci_dev *pdev = &node->fn->pdev;

	for (size_t i = 0; i < ARRAY_SIZE(builtin_models); i++)
		if (!strcmp(builtin_models[i].kind, node->kindname))
			model = builtin_models[i].model;
	if (!model || (node->vendor_set && pdev->vendor != model->vendor) ||
	    (node->device_set && pdev->device != model->device))
		return 0;
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		u64 need = model->bars[i].size;

		if (need && node->fn->bars[i].size < need) {
			snprintf(err, errlen,
				 "%s: the %s model needs bar%d of at least %lluK",
				 node->kindname, model->name, i,
				 (unsigned long long)(need >> 10));
			return -EINVAL;
		}
	}
	return instance_new(m, node->fn, model) ? 0 : -ENOMEM;
}

static int model_bar_read(struct sim_bar *bar, u64 off, void *buf, size_t len)
{
	struct sim_model_dev *md = bar->ops_data;
	int ret = md->model->bar_read(md, bar->index, off, buf, len);

	if (ret)
		memset(buf, 0xff, len);
	return ret;
}

static int model_bar_write(struct sim_bar *bar, u64 off, const void *buf,
			   size_t len)
{
	struct sim_model_dev *md = bar->ops_data;

	return md->model->bar_write(md, bar->index, off, buf, len);
}

static const struct sim_bar_ops model_bar_ops = {
	.read = model_bar_read,
	.write = model_bar_write,
};

static int model_realize(struct sim_model_dev *md, char *err, size_t errlen)
{
	const struct sim_model *model = md->model;
	struct sim_pci_fn *fn = md->fn;
	u8 *c = fn->config;
	u32 classrev = (model->class_code << 8) | model->revision;
	u16 cmd;
	int ret;

	memcpy(c + PCI_CLASS_REVISION, &classrev, 4);
	fn->pdev.class = model->class_code;
	memcpy(c + PCI_SUBSYSTEM_VENDOR_ID, &model->subsystem_vendor, 2);
	memcpy(c + PCI_SUBSYSTEM_ID, &model->subsystem_device, 2);
	/* no driver is bound yet: reports name the device by its model */
	fn->pdev.dev.driver_name = model->name;
	memcpy(&cmd, c + PCI_COMMAND, 2);
	sim_msi_set_state(md, cmd & PCI_COMMAND_MASTER,
			  sim_pci_fn_d_state(fn) == PCI_D0);
	if (model->msi_vectors)
		sim_msi_install(md, model->msi_vectors);
	if (model->msix_vectors &&
	    sim_msix_install(md, model->msix_vectors, model->msix_bar,
			     model->msix_offset)) {
		snprintf(err, errlen, "out of memory creating %s",
			 fn->node->id);
		return -ENOMEM;
	}
	for (int i = 0; i < PCI_STD_NUM_BARS; i++)
		if (fn->bars[i].size && (model->bars[i].flags & SIM_BAR_REGS)) {
			fn->bars[i].ops = &model_bar_ops;
			fn->bars[i].ops_data = md;
		}
	if (!model->init)
		goto done;
	ret = model->init(md);
	if (ret) {
		char why[64];

		if (!md->error[0])
			snprintf(why, sizeof(why), "%s", strerror(-ret));
		snprintf(err, errlen, "line %d: %s: model '%s': %s",
			 fn->node->line, fn->node->id, model->name,
			 md->error[0] ? md->error : why);
		for (int i = 0; i < PCI_STD_NUM_BARS; i++)
			if (fn->bars[i].ops == &model_bar_ops) {
				fn->bars[i].ops = NULL;
				fn->bars[i].ops_data = NULL;
			}
		return ret < 0 ? ret : -EINVAL;
	}
done:
	md->realized = true;
	return 0;
}

/**
 * sim_models_realize - run every bound model's init, in platform order
 *
 * After the functions exist. On failure @err names the line, and the
 * models realized so far are exited with the machine.
 */
int sim_models_realize(struct sim_machine *m, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < m->nr_nodes; i++) {
		struct sim_pci_fn *fn = m->nodes[i]->fn;
		int ret;

		if (!fn || !fn->mdev)
			continue;
		ret = model_realize(fn->mdev, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int sim_model_attach(struct device *dev, const struct sim_model *model,
		     void *priv)
{
	struct sim_model_dev *md;
	struct sim_pci_fn *fn;
	u8 config[sizeof(fn->config)];
	const char *driver;
	char why[160];
	u32 class;
	int ret;

	if (!dev || !dev_is_pci(dev) || !dev->sim || !model)
		return -EINVAL;
	fn = sim_fn_of_dev(dev);
	if (!fn || fn->node->kind != SIM_NODE_ENDPOINT ||
	    !model_valid(model, why, sizeof(why)))
		return -EINVAL;
	if (fn->mdev || fn->model.release)
		return -EBUSY;
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		const struct sim_model_bar *b = &model->bars[i];

		if (b->size && fn->bars[i].size < b->size)
			return -EINVAL;
		if ((b->flags & SIM_BAR_REGS) && fn->bars[i].ops)
			return -EBUSY;
	}
	md = instance_new(dev->sim, fn, model);
	if (!md)
		return -ENOMEM;
	md->priv = priv;
	/* what realizing changes, to be put back if init refuses */
	memcpy(config, fn->config, sizeof(config));
	class = fn->pdev.class;
	driver = fn->pdev.dev.driver_name;
	ret = model_realize(md, why, sizeof(why));
	if (ret) {
		/* not realized: the release calls no exit */
		model_release(dev->sim, md);
		fn->model.data = NULL;
		fn->model.release = NULL;
		memcpy(fn->config, config, sizeof(config));
		fn->pdev.class = class;
		fn->pdev.dev.driver_name = driver;
	}
	return ret;
}

void sim_model_log(struct sim_model_dev *md, u64 addr, const char *fmt, ...)
{
	struct device *dev = &md->fn->pdev.dev;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_report(md->m, SIM_REPORT_INFO, dev, addr, 0, "%s", msg);
}

/* ------------------------------------------------------------------------ */
/* Config-space events (src/hw/pci.c)                                  */
/* ------------------------------------------------------------------------ */

void sim_model_cfg_command(struct sim_model_dev *md, u16 old, u16 new_cmd)
{
	sim_msi_set_state(md, new_cmd & PCI_COMMAND_MASTER,
			  sim_pci_fn_d_state(md->fn) == PCI_D0);
	if (md->realized && md->model->command)
		md->model->command(md, old, new_cmd);
}

void sim_model_cfg_power(struct sim_model_dev *md, pci_power_t old,
			 pci_power_t new_state)
{
	u16 cmd = sim_pci_fn_command(md->fn);

	sim_msi_set_state(md, cmd & PCI_COMMAND_MASTER, new_state == PCI_D0);
	if (md->realized && md->model->power)
		md->model->power(md, old, new_state);
}

/*
 * The reset's effect on registers (MSI and MSI-X back to reset values) is
 * sim_msi_reset(), made with the config registers; this is the model's
 * hook, called once the config mechanism's lock is dropped.
 */
void sim_model_cfg_reset(struct sim_model_dev *md, enum sim_model_reset how)
{
	if (md->realized && md->model->reset)
		md->model->reset(md, how);
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */
/* ------------------------------------------------------------------------ */

void *sim_model_priv(struct sim_model_dev *md)
{
	return md->priv;
}

void sim_model_set_priv(struct sim_model_dev *md, void *priv)
{
	md->priv = priv;
}

struct sim_machine *sim_model_machine(struct sim_model_dev *md)
{
	return md->m;
}

struct pci_dev *sim_model_pci_dev(struct sim_model_dev *md)
{
	return &md->fn->pdev;
}

struct device *sim_model_device(struct sim_model_dev *md)
{
	return &md->fn->pdev.dev;
}

const char *sim_model_id(struct sim_model_dev *md)
{
	return md->fn->node->id;
}

const struct sim_model *sim_model_of(struct sim_model_dev *md)
{
	return md->model;
}

const char *sim_model_param(struct sim_model_dev *md, const char *key)
{
	for (unsigned int i = 0; i < md->nr_params; i++)
		if (!strcmp(md->keys[i], key))
			return md->vals[i];
	return NULL;
}

int sim_model_param_u64(struct sim_model_dev *md, const char *key, u64 def,
			u64 *out)
{
	const char *v = sim_model_param(md, key);

	if (!v) {
		*out = def;
		return 0;
	}
	if (sim_parse_size(v, out)) {
		sim_model_error(md, "%s=%s is not a number", key, v);
		return -EINVAL;
	}
	return 0;
}

void sim_model_error(struct sim_model_dev *md, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(md->error, sizeof(md->error), fmt, ap);
	va_end(ap);
}

void *sim_model_bar_mem(struct sim_model_dev *md, int bar)
{
	if (bar < 0 || bar >= PCI_STD_NUM_BARS || !md->fn->bars[bar].size)
		return NULL;
	return md->fn->bars[bar].backing;
}

u64 sim_model_bar_size(struct sim_model_dev *md, int bar)
{
	if (bar < 0 || bar >= PCI_STD_NUM_BARS)
		return 0;
	return md->fn->bars[bar].size;
}

struct sim_model_dev *sim_model_dev_of(struct device *dev)
{
	struct pci_dev *pdev;

	if (!dev || dev->bus_type != SIM_BUS_PCI)
		return NULL;
	pdev = container_of(dev, struct pci_dev, dev);
	return pdev->sim ? pdev->sim->mdev : NULL;
}

const char *sim_device_model(struct device *dev)
{
	struct sim_model_dev *md = sim_model_dev_of(dev);

	return md ? md->model->name : NULL;
}
