// SPDX-License-Identifier: MIT
/*
 * src/cli/sysfs.c: a fake /sys tree in a temporary directory becomes
 * platform text that the parser accepts, with ACS read from config space,
 * "unknown" when config is cut at 64 bytes, and notes where the platform
 * cannot say what sysfs does.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "cli/cli.h"

struct tree {
	char root[256];
};

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[768];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void mkdirs(const char *path)
{
	char buf[768];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

/*
 * One function at @path below devices/: class, ids, config of @cfglen bytes
 * (PCIe port type @type, ACS control @acs when @acs >= 0), BAR0 of @bar0,
 * and its link in bus/pci/devices.
 */
static void fn(struct tree *t, const char *path, unsigned int class_code,
	       unsigned int type, int acs, size_t cfglen, unsigned long long bar0)
{
	char dir[768], buf[1024];
	unsigned char cfg[4096] = { 0 };

	snprintf(dir, sizeof(dir), "%s/devices/%s", t->root, path);
	mkdirs(dir);
	snprintf(buf, sizeof(buf), "0x%06x\n", class_code);
	put(dir, "class", buf, strlen(buf));
	put(dir, "vendor", "0x8086\n", 7);
	put(dir, "device", "0x1234\n", 7);
	cfg[6] = 0x10;			/* capability list */
	cfg[0x34] = 0x40;
	cfg[0x40] = PCI_CAP_ID_EXP;
	cfg[0x42] = (unsigned char)(type << 4 | 2);
	if (acs >= 0) {
		cfg[0x100] = PCI_EXT_CAP_ID_ACS;
		cfg[0x102] = 1;
		cfg[0x106] = (unsigned char)acs;
	}
	put(dir, "config", cfg, cfglen);
	buf[0] = '\0';
	if (bar0)
		snprintf(buf, sizeof(buf), "0x00000000c0000000 0x%016llx 0x0000000000040200\n",
			 0xc0000000ULL + bar0 - 1);
	for (int i = bar0 ? 1 : 0; i < 13; i++)
		strcat(buf, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	put(dir, "resource", buf, strlen(buf));
	/* libpci finds the function through bus/pci/devices, as on a real /sys */
	snprintf(buf, sizeof(buf), "%s/bus/pci/devices", t->root);
	mkdirs(buf);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%s",
		 strrchr(path, '/') + 1);
	assert_int_equal(symlink(dir, buf), 0);
}

/* A root port, a switch with two occupied ports (ACS @acs), two GPUs. */
static void switch_tree(struct tree *t, int acs, size_t cfglen)
{
	snprintf(t->root, sizeof(t->root), "/tmp/dmastack-test-sysfs.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	fn(t, "pci0000:00/0000:00:01.0", 0x060400, 4, 0, cfglen, 0);
	fn(t, "pci0000:00/0000:00:01.0/0000:01:00.0", 0x060400, 5, -1, cfglen, 0);
	fn(t, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0", 0x060400, 6,
	   acs, cfglen, 0);
	fn(t, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0", 0x060400, 6,
	   acs, cfglen, 0);
	fn(t, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0/0000:03:00.0",
	   0x030200, 0, -1, cfglen, 16ULL << 20);
	fn(t, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0",
	   0x030200, 0, -1, cfglen, 16ULL << 20);
}

static void tree_remove(struct tree *t)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
}

/* The text parses, and holds @want. */
static void check_text(struct sysfs_topo *topo, bool acs_on, const char *want)
{
	char err[256] = "", *text = NULL;
	struct sim_machine *m;

	assert_int_equal(sysfs_platform_text(topo, acs_on, &text), 0);
	if (!strstr(text, want))
		fail_msg("no '%s' in:\n%s", want, text);
	m = sim_machine_parse(text, err, sizeof(err));
	if (!m)
		fail_msg("platform rejected: %s\n%s", err, text);
	sim_machine_destroy(m);
	free(text);
}

static void test_switch_acs_off(void **state)
{
	struct sysfs_topo *topo;
	struct tree t;
	char err[256], label[32];
	int fi;

	switch_tree(&t, 0, 4096);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), 0);
	assert_false(topo->acs_unknown);
	assert_int_equal(topo->nr_hbs, 1);
	check_text(topo, false, "switch id=0000-01-00.0 bus=0000-00-01.0 acs=off");
	check_text(topo, false, "gpu id=0000-03-00.0 bus=0000-01-00.0");
	fi = sysfs_fn_find(topo, "03:00.0");
	assert_true(fi >= 0);
	assert_string_equal(sysfs_fn_label(topo, fi, label, sizeof(label)), "03:00.0");
	assert_int_equal(sysfs_fn_find(topo, "0000:04:00.0"),
			 sysfs_fn_find(topo, "0000-04-00.0"));
	assert_int_equal(sysfs_fn_find(topo, "09:00.0"), -1);
	/* the implicit switch ports stand for the real downstream ports */
	assert_non_null(sysfs_alias_find(topo, "0000-01-00.0.dp1"));
	assert_string_equal(topo->fns[sysfs_alias_find(topo, "0000-01-00.0.dp1")->fn].bdf,
			    "0000:02:01.0");
	assert_int_equal(topo->fns[fi].role, SYSFS_ENDPOINT);
	assert_int_equal(topo->fns[sysfs_fn_find(topo, "02:00.0")].role,
			 SYSFS_SWITCH_DOWN);
	sysfs_topo_free(topo);
	tree_remove(&t);
}

static void test_switch_acs_rr(void **state)
{
	struct sysfs_topo *topo;
	struct tree t;
	char err[256];

	switch_tree(&t, PCI_ACS_RR | PCI_ACS_SV, 4096);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), 0);
	assert_int_equal(topo->fns[sysfs_fn_find(topo, "02:01.0")].acs, SYSFS_ACS_KNOWN);
	check_text(topo, false, "acs=sv,rr");
	sysfs_topo_free(topo);
	tree_remove(&t);
}

static void test_config_cut_short(void **state)
{
	struct sysfs_topo *topo;
	struct tree t;
	char err[256];

	switch_tree(&t, 0, 64);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), 0);
	assert_true(topo->acs_unknown);
	assert_int_equal(topo->fns[sysfs_fn_find(topo, "02:01.0")].acs, SYSFS_ACS_UNKNOWN);
	assert_true(sysfs_alias_find(topo, "0000-01-00.0.dp0")->acs_unknown);
	check_text(topo, false, "switch id=0000-01-00.0 bus=0000-00-01.0 acs=off");
	check_text(topo, true, "switch id=0000-01-00.0 bus=0000-00-01.0 acs=sv,rr,cr,uf");
	sysfs_topo_free(topo);
	tree_remove(&t);
}

static void test_odd_devices_become_notes(void **state)
{
	struct sysfs_topo *topo;
	struct tree t;
	char err[256];
	bool rcie = false, mf = false;

	snprintf(t.root, sizeof(t.root), "/tmp/dmastack-test-sysfs.XXXXXX");
	assert_non_null(mkdtemp(t.root));
	fn(&t, "pci0000:00/0000:00:02.0", 0x038000, 0, -1, 256, 1ULL << 30);
	fn(&t, "pci0000:00/0000:00:1c.0", 0x060400, 4, 0, 4096, 0);
	fn(&t, "pci0000:00/0000:00:1c.0/0000:01:00.0", 0x020000, 0, -1, 4096, 4096);
	fn(&t, "pci0000:00/0000:00:1c.0/0000:01:00.1", 0x020000, 0, -1, 4096, 100);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < topo->nr_notes; i++) {
		if (strstr(topo->notes[i].msg, "synthetic root port"))
			rcie = true;
		if (strstr(topo->notes[i].msg, "synthetic switch"))
			mf = true;
	}
	assert_true(rcie);
	assert_true(mf);
	/* a 100-byte BAR becomes 4K, with a note */
	assert_int_equal(topo->fns[sysfs_fn_find(topo, "01:00.1")].bar_size[0], 4096);
	check_text(topo, false, "gpu id=0000-00-02.0 bus=rp-0000-00-02.0");
	check_text(topo, false, "switch id=mf-0000-00-1c.0 bus=0000-00-1c.0");
	sysfs_topo_free(topo);
	tree_remove(&t);
}

static void test_bad_roots(void **state)
{
	struct sysfs_topo *topo = (void *)1;
	char err[256] = "", dir[] = "/tmp/dmastack-test-sysfs.XXXXXX";

	assert_int_equal(sysfs_scan("/nonexistent/sys", &topo, err, sizeof(err)), -ENOENT);
	assert_null(topo);
	assert_non_null(strstr(err, "/nonexistent/sys"));
	assert_int_equal(sysfs_scan("/dev/null", &topo, err, sizeof(err)), -ENOTDIR);
	/* a directory without devices/ is not a sysfs root */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sysfs_scan(dir, &topo, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not a sysfs root"));
	/* an empty devices/ is a machine without PCI */
	{
		char sub[300], *text;

		snprintf(sub, sizeof(sub), "%s/devices", dir);
		assert_int_equal(mkdir(sub, 0755), 0);
		assert_int_equal(sysfs_scan(dir, &topo, err, sizeof(err)), 0);
		assert_int_equal(topo->nr_fns, 0);
		assert_int_equal(sysfs_platform_text(topo, false, &text), 0);
		free(text);
		sysfs_topo_free(topo);
		rmdir(sub);
	}
	rmdir(dir);
}

/* A switch tree with one GPU's config file broken by @breakit: -EIO, one line. */
static void broken_tree(void (*breakit)(const char *cfg), const char *want)
{
	struct sysfs_topo *topo = (void *)1;
	struct tree t;
	char err[512], cfg[768];

	switch_tree(&t, 0, 4096);
	snprintf(cfg, sizeof(cfg), "%s/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0/config",
		 t.root);
	breakit(cfg);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), -EIO);
	assert_null(topo);
	if (!strstr(err, want) || strchr(err, '\n'))
		fail_msg("want one line with '%s', got '%s'", want, err);
	tree_remove(&t);
}

static void cut_config(const char *cfg)
{
	assert_int_equal(truncate(cfg, 63), 0);
}

static void remove_config(const char *cfg)
{
	assert_int_equal(unlink(cfg), 0);
}

static void config_is_dir(const char *cfg)
{
	assert_int_equal(unlink(cfg), 0);
	assert_int_equal(mkdir(cfg, 0755), 0);
}

static void test_broken_trees(void **state)
{
	struct sysfs_topo *topo = (void *)1;
	struct tree t;
	char err[512], junk[768];

	broken_tree(cut_config, "0000:04:00.0: config space shorter than the 64-byte header");
	broken_tree(remove_config, "0000:04:00.0: config space unreadable (Cannot open");
	broken_tree(config_is_dir, "0000:04:00.0: config space unreadable");
	/* a name in bus/pci/devices that is no PCI address */
	switch_tree(&t, 0, 4096);
	snprintf(junk, sizeof(junk), "%s/bus/pci/devices/0000:zz", t.root);
	assert_int_equal(mkdir(junk, 0755), 0);
	assert_int_equal(sysfs_scan(t.root, &topo, err, sizeof(err)), -EIO);
	assert_null(topo);
	assert_non_null(strstr(err, "bus/pci/devices/0000:zz: not a PCI function's address"));
	tree_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_acs_off),
		cmocka_unit_test(test_switch_acs_rr),
		cmocka_unit_test(test_config_cut_short),
		cmocka_unit_test(test_odd_devices_become_notes),
		cmocka_unit_test(test_bad_roots),
		cmocka_unit_test(test_broken_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
