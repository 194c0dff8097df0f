// SPDX-License-Identifier: MIT
/*
 * dmastack load MODULE.so [-p FILE] [--json]: run a kernel module on a
 * platform. The module's module_init() runs (its PCI drivers bind to the
 * platform's functions and probe), the machine then runs until no device
 * has anything left to do, module_exit() runs (remove), and every device
 * is unbound so dma-debug reports what was left mapped. The run prints
 * the kernel log and every finding, and a verdict: PASS when the module
 * loaded and nothing was found (no BUG, WARN, dma-debug error, IOMMU
 * fault or failed device access).
 */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *kind_name(enum sim_report_kind k)
{
	switch (k) {
	case SIM_REPORT_DMA_DEBUG:	return "dma-debug";
	case SIM_REPORT_DMA_FAULT:	return "dma-fault";
	case SIM_REPORT_IOMMU_FAULT:	return "iommu-fault";
	case SIM_REPORT_WARN:		return "warn";
	case SIM_REPORT_BUG:		return "bug";
	case SIM_REPORT_INFO:		return "info";
	}
	return "?";
}

static void load_usage(FILE *f)
{
	fprintf(f,
		"usage: dmastack load MODULE.so [-p FILE] [--json]\n"
		"\n"
		"Load a kernel-style module (built against <linux/...> of dmastack): its\n"
		"module_init() runs and its PCI drivers probe the platform's devices,\n"
		"the devices finish their work, module_exit() runs and every device is\n"
		"unbound. The kernel log and every finding (BUG, WARN, dma-debug error,\n"
		"IOMMU fault, failed device access) are printed, then a verdict: exit 0\n"
		"when the module loaded and nothing was found, 1 otherwise, 2 for bad\n"
		"usage. MODULE.so without a '/' is a file in the current directory.\n"
		"\n"
		"  -p, --platform FILE  platform description (default: the embedded server)\n"
		"  --json               machine-readable output\n"
		"  -h, --help           this text\n");
}

int cmd_load(int argc, char **argv, const struct cli_opts *o_in)
{
	static const struct option longopts[] = {
		CLI_LONGOPT_PLATFORM, CLI_LONGOPT_JSON, CLI_LONGOPT_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts mo = *o_in;
	const struct cli_opts *o = &mo;
	const char *path = NULL;
	struct sim_machine *m;
	struct sim_module *mod;
	char err[512] = "";
	unsigned long findings = 0, nrep;
	json_object *jroot = NULL, *jbound = NULL, *jrep = NULL;
	u64 t0, t1;
	bool pass;
	int c;

	optind = 0;
	while ((c = cli_getopt("load", argc, argv, ":hp:", longopts)) != -1) {
		switch (c) {
		case 'h':
			load_usage(stdout);
			return 0;
		case 'p':
		case CLI_OPT_JSON:
			if (cli_common_opt("load", c, &mo))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return cli_usage_error("load", "unexpected argument '%s' (one module at a time)",
				       argv[optind]);
	if (!path || !*path)
		return cli_usage_error("load", "which module? (dmastack load MODULE.so; see dmastack load --help)");
	m = cli_load_machine(&mo);
	if (!m)
		return 2;
	if (o->json) {
		jroot = cli_json_root("load");
		jbound = json_object_new_array();
		jrep = json_object_new_array();
		json_object_object_add(jroot, "module", json_object_new_string(path));
		json_object_object_add(jroot, "platform",
				       json_object_new_string(mo.platform ? mo.platform :
							     "default"));
	} else {
		printf("dmastack load: %s\n   on %s (%s)\n", path,
		       sim_machine_name(m), sim_machine_arch(m));
	}
	/* a path without '/' is the file here, not a library to search for */
	{
		char *p = NULL;

		if (!strchr(path, '/')) {
			p = malloc(strlen(path) + 3);
			if (!p) {
				sim_machine_destroy(m);
				return 1;
			}
			strcpy(p, "./");
			strcat(p, path);
		}
		t0 = sim_clock_now(m);
		mod = sim_module_load(m, p ? p : path, err, sizeof(err));
		free(p);
	}
	if (!o->json)
		printf("   %-4s module_init%s%s\n", mod ? "ok" : "FAIL",
		       mod ? "" : ": ", mod ? "" : err);
	for (unsigned int i = 0; mod && i < sim_device_count(m); i++) {
		struct device *dev = sim_device_at(m, i);

		if (!dev || !dev->driver)
			continue;
		if (o->json)
			json_object_array_add(jbound,
				json_object_new_string(sim_device_id(dev)));
		else
			printf("   bound %s (%s) to %s\n", sim_device_id(dev),
			       dev_name(dev), dev_driver_string(dev));
	}
	/* the devices finish what they were given */
	while (mod && sim_clock_run_next(m))
		;
	t1 = sim_clock_now(m);
	if (mod) {
		sim_module_unload(mod);
		if (!o->json)
			printf("   ok   module_exit (machine time %llu ns)\n",
			       (unsigned long long)(t1 - t0));
	}
	for (unsigned int i = 0; i < sim_device_count(m); i++)
		sim_device_unbind(sim_device_at(m, i));
	nrep = sim_report_count(m);
	for (unsigned long i = 0; i < nrep; i++) {
		struct sim_report r;

		if (sim_report_get(m, i, &r))
			continue;
		if (r.kind != SIM_REPORT_INFO)
			findings++;
		if (o->json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "kind",
					       json_object_new_string(kind_name(r.kind)));
			json_object_object_add(j, "device",
					       json_object_new_string(r.device));
			json_object_object_add(j, "text",
					       json_object_new_string(r.text));
			json_object_array_add(jrep, j);
		} else {
			printf("   %-11s %s\n", kind_name(r.kind), r.text);
		}
	}
	pass = mod && !findings;
	if (o->json) {
		json_object_object_add(jroot, "init_ok", json_object_new_boolean(mod != NULL));
		if (!mod)
			json_object_object_add(jroot, "error", json_object_new_string(err));
		json_object_object_add(jroot, "bound", jbound);
		json_object_object_add(jroot, "machine_ns",
				       json_object_new_int64((int64_t)(t1 - t0)));
		json_object_object_add(jroot, "reports", jrep);
		json_object_object_add(jroot, "findings",
				       json_object_new_int64((int64_t)findings));
		json_object_object_add(jroot, "verdict",
				       json_object_new_string(pass ? "PASS" : "FAIL"));
		json_print(jroot);
		json_object_put(jroot);
	} else {
		printf("verdict: %s — %lu finding%s\n", pass ? "PASS" : "FAIL",
		       findings, findings == 1 ? "" : "s");
	}
	sim_machine_destroy(m);
	return pass ? 0 : 1;
}
