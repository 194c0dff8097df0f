// SPDX-License-Identifier: MIT
/*
 * The module loader: dlopen() the shared object, run its init_module()
 * (module_init()'s alias) on the machine, and at unload its
 * cleanup_module() then dlclose(). The object's own symbols stay local
 * (RTLD_LOCAL); it resolves the kernel's calls against libdmastack.
 *
 * As insmod's task, the thread running init and exit has an address
 * space, current->mm: one per module (sim_mm_create()), made at load and
 * destroyed after the exit, so kernel code can vm_mmap() user memory and
 * mirror it.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

struct sim_module {
	struct sim_machine *m;
	void *handle;
	void (*exit)(void);
	struct mm_struct *mm;	/* current->mm of init and exit */
};

/*
 * @name of the module itself: dlsym() also searches what it depends on,
 * and libc has an init_module() (the system call).
 */
static void *own_sym(void *h, const char *name)
{
	struct link_map *lm = NULL;
	void *sym = dlsym(h, name);
	Dl_info info;

	if (!sym || dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm ||
	    !dladdr(sym, &info) || !info.dli_fname ||
	    strcmp(info.dli_fname, lm->l_name))
		return NULL;
	return sym;
}

struct sim_module *sim_module_load(struct sim_machine *m, const char *path,
				   char *err, size_t errlen)
{
	struct sim_module *mod;
	struct mm_struct *prev_mm;
	int (*init)(void);
	void *h;
	int ret;

	if (!m || !path) {
		snprintf(err, errlen, "no machine or no module path");
		return NULL;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "%s", dlerror());
		return NULL;
	}
	*(void **)&init = own_sym(h, "init_module");
	if (!init) {
		snprintf(err, errlen, "%s: no module_init()", path);
		dlclose(h);
		return NULL;
	}
	mod = sim_kzalloc(m, sizeof(*mod));
	if (!mod) {
		snprintf(err, errlen, "out of memory");
		dlclose(h);
		return NULL;
	}
	mod->m = m;
	mod->handle = h;
	*(void **)&mod->exit = own_sym(h, "cleanup_module");
	mod->mm = sim_mm_create(m);
	if (IS_ERR(mod->mm)) {
		snprintf(err, errlen, "out of memory");
		sim_kfree(m, mod);
		dlclose(h);
		return NULL;
	}
	sim_set_current_machine(m);
	prev_mm = sim_set_current_mm(mod->mm);
	ret = init();
	sim_set_current_mm(prev_mm);
	if (ret) {
		snprintf(err, errlen, "%s: module_init() returned %d", path, ret);
		sim_process_destroy(mod->mm);
		sim_kfree(m, mod);
		dlclose(h);
		return NULL;
	}
	return mod;
}

/* Is @addr the module's code (or data)? */
static bool module_owns(void *arg, const void *addr)
{
	struct sim_module *mod = arg;
	struct link_map *lm = NULL;
	Dl_info info;

	return !dlinfo(mod->handle, RTLD_DI_LINKMAP, &lm) && lm &&
	       dladdr(addr, &info) && info.dli_fname &&
	       !strcmp(info.dli_fname, lm->l_name);
}

void sim_module_unload(struct sim_module *mod)
{
	struct mm_struct *prev_mm;
	struct link_map *lm = NULL;
	const char *name = "the module";

	if (!mod)
		return;
	sim_set_current_machine(mod->m);
	prev_mm = sim_set_current_mm(mod->mm);
	if (mod->exit)
		mod->exit();
	/*
	 * Nothing of its code may run once it is unmapped: its works on the
	 * system workqueues run now; its kthreads, workqueues and delayed
	 * works still there are reported and stopped.
	 */
	if (!dlinfo(mod->handle, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name) {
		name = strrchr(lm->l_name, '/');
		name = name ? name + 1 : lm->l_name;
	}
	sim_sched_module_unload(mod->m, name, module_owns, mod);
	sim_set_current_mm(prev_mm);
	sim_process_destroy(mod->mm);
	dlclose(mod->handle);
	sim_kfree(mod->m, mod);
}
