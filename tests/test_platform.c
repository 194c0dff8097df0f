// SPDX-License-Identifier: MIT
/*
 * The platform text parser (SPEC 2.3): every error class names its line and
 * says what is wrong; valid text builds the machine it describes.
 */
#include <unistd.h>
#include <sys/stat.h>
#include "helpers.h"

/* Lines 1 and 2 of most texts below: a small machine with a small pool. */
#define HDR "machine name=t ram=256M ram-below-4g=128M\nswiotlb size=4M\n"
/* ... plus a host bridge (line 3) and a root port (line 4). */
#define HB HDR "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"

/*
 * The text must be rejected with a single-line message that starts with
 * "line N: " and contains @needle.
 */
static void expect_error_at_(const char *text, int line, const char *needle,
			     const char *file, int at)
{
	char err[512];
	char prefix[32];
	struct sim_machine *m;

	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	m = sim_machine_parse(text, err, sizeof(err));
	if (m) {
		sim_machine_destroy(m);
		fail_msg("%s:%d: platform accepted, expected 'line %d: ...%s...'",
			 file, at, line, needle);
	}
	snprintf(prefix, sizeof(prefix), "line %d: ", line);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("%s:%d: error '%s' does not start with '%s'", file, at,
			 err, prefix);
	if (!strstr(err, needle))
		fail_msg("%s:%d: error '%s' does not contain '%s'", file, at, err,
			 needle);
	if (strchr(err, '\n'))
		fail_msg("%s:%d: error '%s' is not one line", file, at, err);
}
#define expect_error_at(text, line, needle) \
	expect_error_at_((text), (line), (needle), __FILE__, __LINE__)

/* Parse text that must be accepted. */
static struct sim_machine *must_parse_(const char *text, const char *file,
				       int at)
{
	char err[512] = "";
	struct sim_machine *m = sim_machine_parse(text, err, sizeof(err));

	if (!m)
		fail_msg("%s:%d: platform rejected: %s", file, at, err);
	return m;
}
#define must_parse(text) must_parse_((text), __FILE__, __LINE__)

static void expect_accepted_(const char *text, const char *file, int at)
{
	sim_machine_destroy(must_parse_(text, file, at));
}
#define expect_accepted(text) expect_accepted_((text), __FILE__, __LINE__)

static struct pci_dev *pdev_of(struct sim_machine *m, const char *id)
{
	struct device *dev = sim_device(m, id);

	assert_non_null(dev);
	assert_non_null(to_pci_dev(dev));
	return to_pci_dev(dev);
}

/* Grow-as-you-go text buffer for generated platforms. */
struct textbuf {
	char *s;
	size_t len, cap;
};

static void tb_printf(struct textbuf *tb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(tb->s ? tb->s + tb->len : NULL,
			      tb->s ? tb->cap - tb->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (tb->s && tb->len + (size_t)n < tb->cap)
			break;
		tb->cap = (tb->cap + (size_t)n + 1) * 2;
		tb->s = realloc(tb->s, tb->cap);
		assert_non_null(tb->s);
	}
	tb->len += (size_t)n;
}

/* ------------------------------------------------------------------------ */
/* Line syntax                                                              */
/* ------------------------------------------------------------------------ */

/* As expect_error_at(), and @secret appears nowhere in the message. */
static void expect_error_hides_(const char *text, int line, const char *needle,
				const char *secret, const char *file, int at)
{
	char err[512] = "";
	struct sim_machine *m;

	expect_error_at_(text, line, needle, file, at);
	m = sim_machine_parse(text, err, sizeof(err));
	assert_null(m);
	if (strstr(err, secret))
		fail_msg("%s:%d: error '%s' quotes '%s'", file, at, err, secret);
}
#define expect_error_hides(text, line, needle, secret) \
	expect_error_hides_((text), (line), (needle), (secret), __FILE__, __LINE__)

#define KINDS_MSG "unknown kind: a line starts with one of machine, iommu, swiotlb, hostbridge, rootport, switch, nvme, nic, gpu, dmaengine, pcidev"

/* An unknown kind is never quoted: it may be the first word of any file. */
static void test_unknown_kind_is_rejected(void **state)
{
	(void)state;
	expect_error_hides(HDR "bogus id=x\n", 3, KINDS_MSG, "bogus");
	/* Kinds are case-sensitive. */
	expect_error_hides("Machine ram=256M\n", 1, KINDS_MSG, "Machine");
	/* A line that starts with key=value has no kind. */
	expect_error_hides(HDR "id=x bus=hb0\n", 3, KINDS_MSG, "id=x");
	/* The kind is checked before the rest: nothing of the line is quoted. */
	expect_error_hides("API_KEY hunter2 =x\n", 1, KINDS_MSG, "hunter2");
	expect_error_hides("token s3cr3t=\n", 1, KINDS_MSG, "s3cr3t");
	expect_error_hides("root:$6$s3cr3t:19000:0:99999:7:::\n", 1, KINDS_MSG,
			   "s3cr3t");
}

static void test_unknown_key_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M foo=1\n", 1,
			"machine: unknown key 'foo'");
	expect_error_at(HDR "hostbridge id=hb0 colour=red\n", 3,
			"hostbridge: unknown key 'colour'");
	expect_error_at("machine ram=256M\nswiotlb size=4M slots=9\n", 2,
			"swiotlb: unknown key 'slots'");
	expect_error_at(HB "switch id=sw0 bus=rp0 speed=8GT\n", 5,
			"switch: unknown key 'speed'");
	expect_error_at(HB "rootport id=rp1 bus=hb0 lanes=16\n", 5,
			"rootport: unknown key 'lanes'");
	/* cmb= belongs to nvme only; acs= to ports only. */
	expect_error_at(HB "pcidev id=d0 bus=rp0 cmb=64M\n", 5,
			"pcidev: unknown key 'cmb'");
	expect_error_at(HB "nic id=n0 bus=rp0 acs=rr\n", 5,
			"nic: unknown key 'acs'");
	expect_error_at(HDR "iommu id=io0 mode=off bus=hb0\n", 3,
			"iommu: unknown key 'bus'");
}

static void test_key_given_twice_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M ram=512M\n", 1,
			"machine: key 'ram' given twice");
	expect_error_at(HB "pcidev id=d0 bus=rp0 id=d1\n", 5,
			"pcidev: key 'id' given twice");
}

static void test_key_without_value_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=\n", 1, "machine: ram= has no value");
	expect_error_at(HB "pcidev id=d0 bus=\n", 5, "pcidev: bus= has no value");
}

static void test_token_without_equals_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M big\n", 1,
			"machine: 'big' is not key=value");
	expect_error_at(HDR "hostbridge id=hb0 =allow\n", 3,
			"hostbridge: '=allow' is not key=value");
	/* "key = value" with spaces is three tokens. */
	expect_error_at(HDR "hostbridge id = hb0\n", 3,
			"hostbridge: 'id' is not key=value");
}

static void test_too_many_keys_is_rejected(void **state)
{
	char text[512];
	int o = snprintf(text, sizeof(text), "machine");

	(void)state;
	for (int i = 0; i < 25; i++)
		o += snprintf(text + o, sizeof(text) - (size_t)o, " k%d=1", i);
	snprintf(text + o, sizeof(text) - (size_t)o, "\n");
	expect_error_at(text, 1, "machine: too many keys");
}

/* ------------------------------------------------------------------------ */
/* Sizes                                                                    */
/* ------------------------------------------------------------------------ */

static void test_size_with_bad_suffix_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256X\n", 1,
			"machine: ram=256X is not a size");
	expect_error_at("machine ram=256MBB\n", 1, "ram=256MBB is not a size");
	expect_error_at("machine ram=1.5G\n", 1, "ram=1.5G is not a size");
	expect_error_at("machine ram=big\n", 1, "ram=big is not a size");
	expect_error_at("machine ram=0x\n", 1, "ram=0x is not a size");
	expect_error_at("machine ram=M\n", 1, "ram=M is not a size");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar0=4Q\n", 5,
			"pcidev: bar0=4Q is not a size");
	expect_error_at(HDR "hostbridge id=hb0 mmio32=lots\n", 3,
			"hostbridge: mmio32=lots is not a size");
}

static void test_size_overflow_is_rejected(void **state)
{
	(void)state;
	/* Overflow in the suffix shift. */
	expect_error_at("machine ram=17179869184T\n", 1,
			"machine: ram=17179869184T is too large");
	/* Overflow of the number itself. */
	expect_error_at("machine ram=99999999999999999999999\n", 1,
			"ram=99999999999999999999999 is too large");
	expect_error_at("machine ram=0x1ffffffffffffffffG\n", 1, "is too large");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar2=9999999999999T\n", 5,
			"pcidev: bar2=9999999999999T is too large");
}

static void test_negative_size_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=-256M\n", 1,
			"machine: ram=-256M is not a size");
	expect_error_at("machine ram=+256M\n", 1, "ram=+256M is not a size");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar0=-4K\n", 5,
			"bar0=-4K is not a size");
	expect_error_at("machine ram=256M\nswiotlb size=-4M\n", 2,
			"swiotlb: size=-4M is not a size");
}

static void expect_ram_size(const char *text, u64 size)
{
	struct sim_machine *m = must_parse(text);

	assert_int_equal(sim_ram_size(m), size);
	sim_machine_destroy(m);
}

static void test_size_spellings_are_accepted(void **state)
{
	(void)state;
	expect_ram_size("machine ram=256M\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=256m\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=256MB\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=256MiB\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=262144K\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=268435456\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=0x10000000\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=0X10000000\nswiotlb size=4M\n", 256 * SZ_1M);
	expect_ram_size("machine ram=1G ram-below-4g=512M\nswiotlb size=4M\n",
			SZ_1G);
	/* Decimal, not octal: a leading zero changes nothing. */
	expect_ram_size("machine ram=0100M\nswiotlb size=4M\n", 100 * SZ_1M);
	expect_ram_size("machine ram=0256M\nswiotlb size=4M\n", 256 * SZ_1M);
}

/* ------------------------------------------------------------------------ */
/* machine                                                                  */
/* ------------------------------------------------------------------------ */

static void test_machine_line_must_come_first(void **state)
{
	(void)state;
	expect_error_at("swiotlb size=4M\nmachine ram=256M\n", 2,
			"machine: must come before every other component");
	expect_error_at("hostbridge id=hb0\nmachine ram=256M\n", 2,
			"machine: must come before every other component");
	expect_error_at("iommu id=io0 mode=off\nmachine ram=256M\n", 2,
			"machine: must come before every other component");
	/* Comments and blank lines before it are fine. */
	expect_accepted("# a comment\n\n   \nmachine ram=256M\nswiotlb size=4M\n");
}

static void test_machine_line_given_twice_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M\n\nmachine ram=256M\n", 3,
			"machine: a second machine line (the first is on line 1)");
	expect_error_at("# x\nmachine ram=256M\nswiotlb size=4M\nmachine\n", 4,
			"the first is on line 2");
}

static void test_ram_not_multiple_of_4m_or_too_small_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=258M\n", 1,
			"machine: ram=264192K: must be at least 16M and a multiple of 4M");
	expect_error_at("machine ram=12M\n", 1,
			"must be at least 16M and a multiple of 4M");
	expect_error_at("machine ram=0\n", 1,
			"must be at least 16M and a multiple of 4M");
	expect_error_at("machine ram=268439552\n", 1,	/* 256M + 4K */
			"must be at least 16M and a multiple of 4M");
}

static void test_ram_below_4g_out_of_range_is_rejected(void **state)
{
	const char *msg = "machine: ram-below-4g must be a multiple of 4M from 16M to 3G and not above ram";

	(void)state;
	expect_error_at("machine ram=256M ram-below-4g=8M\n", 1, msg);
	expect_error_at("machine ram=256M ram-below-4g=18M\n", 1, msg);
	expect_error_at("machine ram=8G ram-below-4g=4G\n", 1, msg);
	expect_error_at("machine ram=8G ram-below-4g=3076M\n", 1, msg);
	expect_error_at("machine ram=64M ram-below-4g=128M\n", 1, msg);
	expect_error_at("machine ram=64M ram-below-4g=x\n", 1,
			"ram-below-4g=x is not a size");
	/* The limits themselves are fine. */
	expect_accepted("machine ram=8G ram-below-4g=3G\n");
	expect_accepted("machine ram=256M ram-below-4g=32M\nswiotlb size=4M\n");
}

static void test_ram_beyond_phys_bits_is_rejected(void **state)
{
	(void)state;
	/* 36 bits: 64G of address space, of which 4G is below the 4G line. */
	expect_error_at("machine ram=64G phys-bits=36\n", 1,
			"machine: ram does not fit 36 physical address bits");
}

static void test_bad_arch_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M arch=riscv64\n", 1,
			"machine: arch=riscv64: must be x86_64 or arm64");
	expect_error_at("machine arch=X86_64\n", 1, "must be x86_64 or arm64");
}

static void test_cpus_out_of_range_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M cpus=0\n", 1,
			"machine: cpus=0 must be a number from 1 to 256");
	expect_error_at("machine ram=256M cpus=257\n", 1,
			"cpus=257 must be a number from 1 to 256");
	expect_error_at("machine ram=256M cpus=4K\n", 1,
			"cpus=4K must be a number from 1 to 256");
	expect_error_at("machine ram=256M cpus=four\n", 1,
			"cpus=four must be a number from 1 to 256");
	expect_accepted("machine ram=256M cpus=256\nswiotlb size=4M\n");
}

static void test_phys_bits_out_of_range_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M phys-bits=35\n", 1,
			"machine: phys-bits=35 must be a number from 36 to 52");
	expect_error_at("machine ram=256M phys-bits=53\n", 1,
			"phys-bits=53 must be a number from 36 to 52");
}

static void test_machine_bad_name_or_bool_is_rejected(void **state)
{
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "machine name=%064d\n", 0);
	expect_error_at(text, 1, "machine: name must be 1 to 63 characters");
	expect_error_at("machine ram=256M coherent=maybe\n", 1,
			"machine: coherent=maybe must be yes or no");
}

/* machine dma-check=strict|off: the check mode for every device. */
static void test_machine_dma_check_key(void **state)
{
	struct sim_machine *m;

	(void)state;
	expect_error_at("machine ram=256M dma-check=yes\n", 1,
			"machine: dma-check=yes: must be strict or off");
	expect_error_at("machine ram=256M dma-check=\n", 1,
			"machine: dma-check= has no value");
	m = machine_from("machine ram=256M dma-check=strict\n"
			 "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			 "pcidev id=d0 bus=rp0\n");
	assert_true(sim_dma_check_enabled(sim_device(m, "d0")));
	/* the API's answers are the coherent device's */
	assert_true(dev_is_dma_coherent(sim_device(m, "d0")));
	sim_machine_destroy(m);
	m = machine_from("machine ram=256M dma-check=off\n"
			 "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			 "pcidev id=d0 bus=rp0\n");
	assert_false(sim_dma_check_enabled(sim_device(m, "d0")));
	assert_int_equal(sim_dma_check_set(sim_device(m, "d0"), true), 0);
	assert_true(sim_dma_check_enabled(sim_device(m, "d0")));
	assert_int_equal(sim_dma_check_set(NULL, true), -EINVAL);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* iommu                                                                    */
/* ------------------------------------------------------------------------ */

static void test_iommu_bad_format_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "iommu id=io0 format=ppc64 mode=off\n", 3,
			"iommu: format=ppc64: must be x86_64 or arm64-lpae");
}

static void test_iommu_bad_mode_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "iommu id=io0 mode=fast\n", 3,
			"iommu: mode=fast: must be off, passthrough, strict or lazy");
}

static void test_iommu_bad_granule_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "iommu id=io0 mode=off granule=8K\n", 3,
			"iommu: granule must be 4K, 16K or 64K");
	expect_error_at(HDR "iommu id=io0 mode=off granule=2M\n", 3,
			"iommu: granule must be 4K, 16K or 64K");
	expect_error_at(HDR "iommu id=io0 mode=off granule=huge\n", 3,
			"iommu: granule=huge is not a size");
}

static void test_iommu_modes_and_tuning_keys(void **state)
{
	(void)state;
	/* every mode builds; lazy is the default */
	expect_accepted(HDR "iommu id=io0 mode=strict\nhostbridge id=hb0 iommu=io0\n");
	expect_accepted(HDR "iommu id=io0 mode=lazy\nhostbridge id=hb0 iommu=io0\n");
	expect_accepted(HDR "iommu id=io0\nhostbridge id=hb0 iommu=io0\n");
	expect_accepted(HDR "iommu id=io0 mode=off\n");
	expect_accepted(HDR "iommu id=io0 mode=passthrough\n"
			"hostbridge id=hb0 iommu=io0\n");
	expect_accepted(HDR "iommu id=io0 iotlb=64 fq-size=16 fq-timeout=250us guard=8K\n");
	expect_accepted(HDR "iommu id=io0 fq-timeout=3ms\n");
	expect_accepted(HDR "iommu id=io0 fq-timeout=1000ns\n");
	/* each tuning key's bad values */
	expect_error_at(HDR "iommu id=io0 iotlb=100\n", 3, "iotlb=100 must be a power of two");
	expect_error_at(HDR "iommu id=io0 iotlb=8\n", 3, "iotlb=8 must be a number from 16");
	expect_error_at(HDR "iommu id=io0 fq-size=0\n", 3, "fq-size=0 must be a number from 1");
	expect_error_at(HDR "iommu id=io0 fq-timeout=10\n", 3, "fq-timeout=10 must be a number with ms, us or ns");
	expect_error_at(HDR "iommu id=io0 fq-timeout=-1ms\n", 3, "fq-timeout=-1ms must be");
	expect_error_at(HDR "iommu id=io0 fq-timeout=0ms\n", 3, "fq-timeout must not be 0");
	expect_error_at(HDR "iommu id=io0 fq-timeout=99999999ms\n", 3, "at most 3600000");
	expect_error_at(HDR "iommu id=io0 guard=6K\n", 3, "guard must be a multiple of the granule");
	expect_error_at(HDR "iommu id=io0 guard=8M\n", 3, "at most 1024 granules");
}

static void test_iommu_x86_format_has_only_4k_granule(void **state)
{
	(void)state;
	expect_error_at(HDR "iommu id=io0 format=x86_64 granule=16K mode=off\n", 3,
			"iommu: the x86_64 format has only a 4K granule");
	/* On an x86_64 machine the format defaults to x86_64. */
	expect_error_at(HDR "iommu id=io0 granule=64K mode=off\n", 3,
			"the x86_64 format has only a 4K granule");
	/* arm64-lpae has all three, and is the default on arm64. */
	expect_accepted(HDR "iommu id=io0 format=arm64-lpae granule=16K mode=off\n");
	expect_accepted("machine arch=arm64 ram=256M ram-below-4g=128M\n"
			"swiotlb size=4M\n"
			"iommu id=smmu0 granule=64K mode=passthrough\n");
}

static void test_iommu_missing_id_or_too_many_is_rejected(void **state)
{
	char text[1024];
	int o;

	(void)state;
	expect_error_at(HDR "iommu mode=off\n", 3, "iommu: missing or too long id=");
	o = snprintf(text, sizeof(text), HDR);
	for (int i = 0; i < 9; i++)
		o += snprintf(text + o, sizeof(text) - (size_t)o,
			      "iommu id=io%d mode=off\n", i);
	expect_error_at(text, 11, "iommu: too many IOMMUs (at most 8)");
}

/* ------------------------------------------------------------------------ */
/* ids and parents                                                          */
/* ------------------------------------------------------------------------ */

static void test_duplicate_ids_are_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\n\nhostbridge id=hb0\n", 5,
			"duplicate id 'hb0' (first on line 3)");
	expect_error_at(HB "rootport id=hb0 bus=hb0\n", 5,
			"duplicate id 'hb0' (first on line 3)");
	expect_error_at(HB "pcidev id=d0 bus=rp0\nrootport id=rp1 bus=hb0\n"
			"pcidev id=d0 bus=rp1\n", 7,
			"duplicate id 'd0' (first on line 5)");
	/* IOMMUs share the id namespace with the PCI components. */
	expect_error_at(HDR "iommu id=x mode=off\nhostbridge id=x\n", 4,
			"duplicate id 'x' (first on line 3)");
	expect_error_at(HDR "hostbridge id=x\niommu id=x mode=off\n", 4,
			"duplicate id 'x' (first on line 3)");
	expect_error_at(HDR "iommu id=x mode=off\niommu id=x mode=off\n", 4,
			"duplicate id 'x' (first on line 3)");
	expect_error_at(HB "pcidev id=d0 bus=rp0\niommu id=d0 mode=off\n", 6,
			"duplicate id 'd0' (first on line 5)");
}

static void test_id_clashing_with_switch_port_is_rejected(void **state)
{
	(void)state;
	/* A switch's downstream ports are named <switch>.dp<N>. */
	expect_error_at(HB "switch id=sw0 bus=rp0\npcidev id=d0 bus=sw0\n"
			"rootport id=rp1 bus=hb0\npcidev id=sw0.dp0 bus=rp1\n", 8,
			"duplicate id 'sw0.dp0' (first on line 5)");
	/* ... also when the id came first. */
	expect_error_at(HB "rootport id=rp1 bus=hb0\npcidev id=sw0.dp0 bus=rp1\n"
			"switch id=sw0 bus=rp0\npcidev id=d0 bus=sw0\n", 8,
			"switch 'sw0' needs the id 'sw0.dp0' for its downstream port, but line 6 uses it");
	expect_error_at(HDR "iommu id=sw0.dp1 mode=off\n"
			"hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
			"switch id=sw0 bus=rp0\npcidev id=a bus=sw0\n"
			"pcidev id=b bus=sw0\n", 8,
			"needs the id 'sw0.dp1' for its downstream port, but line 3 uses it");
}

static void test_bad_id_characters_are_rejected(void **state)
{
	char text[256];

	(void)state;
	expect_error_at(HDR "hostbridge id=hb/0\n", 3,
			"hostbridge: id 'hb/0' may hold only letters, digits, '_', '-' and '.'");
	expect_error_at(HB "pcidev id=d:0 bus=rp0\n", 5,
			"pcidev: id 'd:0' may hold only letters");
	expect_error_at(HB "pcidev id=d\xc3\xa9v bus=rp0\n", 5, "may hold only letters");
	expect_error_at(HB "switch id=sw,0 bus=rp0\n", 5, "may hold only letters");
	snprintf(text, sizeof(text), HB "pcidev id=%040d bus=rp0\n", 7);
	expect_error_at(text, 5, "is too long");
	/* 39 characters, the punctuation allowed: fine. */
	snprintf(text, sizeof(text), HB "pcidev id=a-b_c.d%032d bus=rp0\n", 7);
	expect_accepted(text);
}

static void test_missing_id_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge p2p=allow\n", 3, "hostbridge: missing id=");
	expect_error_at(HDR "hostbridge id=hb0\nrootport bus=hb0\n", 4,
			"rootport: missing id=");
	expect_error_at(HB "switch bus=rp0\n", 5, "switch: missing id=");
	expect_error_at(HB "nvme bus=rp0\n", 5, "nvme: missing id=");
}

static void test_missing_bus_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\nrootport id=rp0\n", 4,
			"rootport: missing bus= (the parent component)");
	expect_error_at(HB "switch id=sw0\n", 5, "switch: missing bus=");
	expect_error_at(HB "gpu id=g0\n", 5, "gpu: missing bus=");
}

static void test_parent_not_found_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\nrootport id=rp0 bus=hbX\n", 4,
			"rootport: parent 'hbX' not found");
	/* Parents must come first: no forward references. */
	expect_error_at(HB "pcidev id=d0 bus=rp1\nrootport id=rp1 bus=hb0\n", 5,
			"pcidev: parent 'rp1' not found (parents must come first)");
	/* An IOMMU is not a bus. */
	expect_error_at(HDR "iommu id=io0 mode=off\nhostbridge id=hb0\n"
			"rootport id=rp0 bus=io0\n", 5, "parent 'io0' not found");
}

static void test_wrong_kind_of_parent_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0\npcidev id=d1 bus=d0\n", 6,
			"pcidev: parent 'd0' is a pcidev, not a rootport or switch");
	expect_error_at(HB "switch id=sw0 bus=rp0\nrootport id=rp1 bus=sw0\n", 6,
			"rootport: parent 'sw0' is a switch, not a hostbridge");
	expect_error_at(HB "rootport id=rp1 bus=rp0\n", 5,
			"rootport: parent 'rp0' is a rootport, not a hostbridge");
	expect_error_at(HB "nvme id=n0 bus=hb0\n", 5,
			"nvme: parent 'hb0' is a hostbridge, not a rootport or switch");
	expect_error_at(HB "switch id=sw0 bus=hb0\n", 5,
			"switch: parent 'hb0' is a hostbridge, not a rootport or switch");
	/* The implicit downstream ports are not parents either. */
	expect_error_at(HB "switch id=sw0 bus=rp0\npcidev id=a bus=sw0\n"
			"pcidev id=b bus=sw0.dp0\n", 7,
			"parent 'sw0.dp0' is a switch-port, not a rootport or switch");
}

static void test_rootport_with_a_device_already_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0\npcidev id=d1 bus=rp0\n", 6,
			"pcidev: root port 'rp0' already has 'd0' on its link");
	expect_error_at(HB "switch id=sw0 bus=rp0\nswitch id=sw1 bus=rp0\n", 6,
			"switch: root port 'rp0' already has 'sw0' on its link");
}

static void test_switch_with_33_children_is_rejected(void **state)
{
	struct textbuf tb = { 0 };

	(void)state;
	tb_printf(&tb, HB "switch id=sw0 bus=rp0\n");
	for (int i = 0; i < 33; i++)
		tb_printf(&tb, "pcidev id=d%d bus=sw0\n", i);
	expect_error_at(tb.s, 38,
			"pcidev: switch 'sw0' has no free downstream port (32 used)");
	free(tb.s);
}

static void test_hostbridge_with_32_root_ports_is_rejected(void **state)
{
	struct textbuf tb = { 0 };
	struct sim_machine *m;

	(void)state;
	tb_printf(&tb, HDR "hostbridge id=hb0\n");
	for (int i = 0; i < 31; i++)
		tb_printf(&tb, "rootport id=rp%d bus=hb0\n", i);
	/* 31 root ports take devices 1..31 of bus 0, each with its own name. */
	m = must_parse(tb.s);
	for (int i = 0; i < 31; i++) {
		char id[16];

		snprintf(id, sizeof(id), "rp%d", i);
		assert_int_equal(PCI_SLOT(pdev_of(m, id)->devfn), i + 1);
		for (int j = 0; j < i; j++) {
			char o[16];

			snprintf(o, sizeof(o), "rp%d", j);
			assert_string_not_equal(dev_name(sim_device(m, id)),
						dev_name(sim_device(m, o)));
		}
	}
	sim_machine_destroy(m);
	tb_printf(&tb, "rootport id=rp31 bus=hb0\n");
	expect_error_at(tb.s, 35,
			"rootport: host bridge 'hb0' has no free slot for another root port (31 used)");
	free(tb.s);
}

/*
 * Every bridge takes a bus number. Under hb0 (bus 0), group i of a root
 * port, a switch and its 32 downstream ports takes buses 1+34i to 34+34i,
 * so the 8th switch runs out at its 16th port (bus 256): refused at the
 * line that asks for that port, before the rest of the text is read.
 */
static void test_running_out_of_bus_numbers_is_rejected(void **state)
{
	struct textbuf tb = { 0 };
	int sw7_line = 0;

	(void)state;
	tb_printf(&tb, HDR "hostbridge id=hb0\n");
	for (int i = 0; i < 8; i++) {
		tb_printf(&tb, "rootport id=rp%d bus=hb0\n", i);
		tb_printf(&tb, "switch id=sw%d bus=rp%d\n", i, i);
		for (int j = 0; j < 32; j++) {
			if (i == 7 && j == 15)
				sw7_line = count_lines(tb.s) + 1;
			tb_printf(&tb, "pcidev id=d%d_%d bus=sw%d\n", i, j, i);
		}
	}
	expect_error_at(tb.s, sw7_line,
			"pcidev: sw7.dp15: out of PCI bus numbers in segment 0");
	free(tb.s);
}

/* A second host bridge's bus must not wrap around to bus 0. */
static void test_second_hostbridge_without_bus_numbers_is_rejected(void **state)
{
	struct textbuf tb = { 0 };
	struct sim_machine *m;
	size_t keep;
	int hb1_line;

	(void)state;
	tb_printf(&tb, HDR "hostbridge id=hb0\n");
	/* 7 x (root port + switch + 32 ports) + 15 root ports: buses 0..253. */
	for (int i = 0; i < 7; i++) {
		tb_printf(&tb, "rootport id=rp%d bus=hb0\nswitch id=sw%d bus=rp%d\n",
			  i, i, i);
		for (int j = 0; j < 32; j++)
			tb_printf(&tb, "pcidev id=d%d_%d bus=sw%d\n", i, j, i);
	}
	for (int i = 7; i < 22; i++)
		tb_printf(&tb, "rootport id=rp%d bus=hb0\n", i);
	keep = tb.len;
	/* hb1 gets bus 254, its root port bus 255: the last one. */
	tb_printf(&tb, "hostbridge id=hb1\nrootport id=x0 bus=hb1\n");
	m = must_parse(tb.s);
	assert_int_equal(pdev_of(m, "x0")->bus_nr, 254);
	assert_int_equal(pdev_of(m, "rp21")->bus_nr, 0);
	sim_machine_destroy(m);
	/* Two more root ports under hb0 take 254 and 255. */
	tb.len = keep;
	tb.s[keep] = '\0';
	tb_printf(&tb, "rootport id=rp22 bus=hb0\nrootport id=rp23 bus=hb0\n");
	hb1_line = count_lines(tb.s) + 1;
	tb_printf(&tb, "hostbridge id=hb1\nrootport id=x0 bus=hb1\n");
	expect_error_at(tb.s, hb1_line, "hb1: out of PCI bus numbers");
	free(tb.s);
}

static void test_hostbridge_busnr_is_checked(void **state)
{
	struct sim_machine *m;

	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 busnr=256\n", 3,
			"hostbridge: busnr=256 must be a number from 0 to 255");
	/* hb0 uses buses 0..3; hb1 may not start at 1. */
	expect_error_at(HB "switch id=sw0 bus=rp0\npcidev id=d0 bus=sw0\n"
			"hostbridge id=hb1 busnr=1\n", 7,
			"hb1: busnr=1 overlaps buses already used (up to 3)");
	m = must_parse(HB "pcidev id=d0 bus=rp0\nhostbridge id=hb1 busnr=0x40\n"
		       "rootport id=rp1 bus=hb1\npcidev id=d1 bus=rp1\n");
	assert_int_equal(pdev_of(m, "rp1")->bus_nr, 0x40);
	assert_int_equal(pdev_of(m, "d1")->bus_nr, 0x41);
	assert_string_equal(dev_name(sim_device(m, "d1")), "0000:41:00.0");
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* swiotlb                                                                  */
/* ------------------------------------------------------------------------ */

static void test_swiotlb_bad_size_is_rejected(void **state)
{
	const char *msg = "swiotlb: size must be 0 or a multiple of 256K up to 1G";

	(void)state;
	expect_error_at("machine ram=4G\nswiotlb size=128K\n", 2, msg);
	expect_error_at("machine ram=4G\nswiotlb size=384K\n", 2, msg);
	expect_error_at("machine ram=8G ram-below-4g=3G\nswiotlb size=2G\n", 2, msg);
	expect_error_at("machine ram=4G\nswiotlb size=lots\n", 2,
			"swiotlb: size=lots is not a size");
	expect_accepted("machine ram=256M\nswiotlb size=256K\n");
	expect_accepted("machine ram=256M\nswiotlb size=0\n");
}

static void test_swiotlb_bad_areas_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M\nswiotlb size=4M areas=3\n", 2,
			"swiotlb: areas=3 must be a power of two");
	expect_error_at("machine ram=256M\nswiotlb size=4M areas=0\n", 2,
			"swiotlb: areas=0 must be a number from 1 to 256");
	expect_error_at("machine ram=256M\nswiotlb size=4M areas=512\n", 2,
			"areas=512 must be a number from 1 to 256");
	expect_accepted("machine ram=256M\nswiotlb size=4M areas=16\n");
}

static void test_swiotlb_force_without_pool_is_rejected(void **state)
{
	(void)state;
	expect_error_at("machine ram=256M\nswiotlb size=0 force=yes\n", 2,
			"swiotlb: force=yes needs a pool (size is 0)");
	expect_error_at("machine ram=256M\nswiotlb size=4M force=perhaps\n", 2,
			"swiotlb: force=perhaps must be yes or no");
}

static void test_second_swiotlb_line_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\nswiotlb size=4M\n", 4,
			"swiotlb: a second swiotlb line");
}

static void test_swiotlb_larger_than_low_ram_is_rejected(void **state)
{
	(void)state;
	/* The pool lives below 4G and 16M there must stay free. */
	expect_error_at("machine ram=256M ram-below-4g=64M\nswiotlb size=64M\n", 2,
			"swiotlb: size=64M does not fit the 64M of RAM below 4G");
	expect_accepted("machine ram=256M ram-below-4g=64M\nswiotlb size=48M\n");
	/* Without a swiotlb line the default 64M pool is blamed on the RAM. */
	expect_error_at("# small\nmachine ram=64M\nhostbridge id=hb0\n", 2,
			"machine: 64M of RAM below 4G leaves no room for the default 64M swiotlb pool");
	expect_accepted("machine ram=80M\nhostbridge id=hb0\n");
}

/* ------------------------------------------------------------------------ */
/* hostbridge                                                               */
/* ------------------------------------------------------------------------ */

static void test_hostbridge_bad_p2p_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 p2p=sometimes\n", 3,
			"hostbridge: p2p=sometimes must be allow or deny");
	expect_error_at(HDR "hostbridge id=hb0 p2p=yes\n", 3,
			"p2p=yes must be allow or deny");
	expect_accepted(HDR "hostbridge id=hb0 p2p=deny\n");
}

static void test_hostbridge_unknown_iommu_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 iommu=nope\n", 3,
			"hostbridge: iommu 'nope' not found (define it on an earlier line)");
	expect_error_at(HDR "hostbridge id=hb0 iommu=io0\niommu id=io0 mode=off\n",
			3, "iommu 'io0' not found");
}

static void test_hostbridge_bad_window_sizes_are_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 mmio32=1500K\n", 3,
			"hostbridge: mmio32 must be a multiple of 1M, at most 2G");
	expect_error_at(HDR "hostbridge id=hb0 mmio32=4G\n", 3,
			"mmio32 must be a multiple of 1M, at most 2G");
	expect_error_at(HDR "hostbridge id=hb0 mmio64=1536M\n", 3,
			"hostbridge: mmio64 must be a multiple of 1G");
	expect_error_at(HDR "hostbridge id=hb0 mmio64=1G mmio64-base=zz\n", 3,
			"mmio64-base=zz is not a size");
}

static void test_window_overlapping_ram_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 mmio32-base=0x4000000\n", 3,
			"hostbridge: mmio32 window 0x4000000+0x10000000 overlaps RAM at 0+0x8000000");
	/* RAM above 4G is 4G..4G+128M. */
	expect_error_at(HDR "hostbridge id=hb0 mmio64=1G mmio64-base=0x100000000\n",
			3, "hostbridge: mmio64 window 0x100000000+0x40000000 overlaps RAM at 0x100000000+0x8000000");
	expect_error_at("machine ram=8G ram-below-4g=3G\nswiotlb size=4M\n"
			"hostbridge id=hb0 mmio32-base=0xa0000000\n", 3,
			"mmio32 window 0xa0000000+0x10000000 overlaps RAM at 0+0xc0000000");
}

/*
 * A base equal to the parser's old "unset" value (all ones) is a base like
 * any other: checked, never silently replaced by an automatic placement.
 */
static void test_window_base_all_ones_is_checked(void **state)
{
	struct sim_machine *m;
	struct pci_dev *p;
	u16 v = 0xbeef;

	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 mmio32-base=0xffffffffffffffff\n", 3,
			"mmio32 window 0xffffffffffffffff+256M must end below 0xfec00000");
	expect_error_at(HDR "hostbridge id=hb0 mmio64-base=0xffffffffffffffff\n", 3,
			"mmio64 window 0xffffffffffffffff+512G must lie between 4G");
	expect_error_at(HDR "hostbridge id=hb0 mmio32-base=0\n", 3,
			"mmio32 window 0+0x10000000 overlaps RAM");
	/* vendor 0 and 0xffff are no vendor: refused, not "take the default" */
	expect_error_at(HB "pcidev id=d0 bus=rp0 vendor=0\n", 5,
			"pcidev: vendor=0x0000 is not a PCI vendor ID");
	expect_error_at(HB "nic id=d0 bus=rp0 vendor=0xffff\n", 5,
			"nic: vendor=0xffff is not a PCI vendor ID");
	expect_error_at(HB "nic id=d0 bus=rp0 device=0xffff\n", 5,
			"nic: device=0xffff is not a PCI device ID");
	/* device=0 is an ID: kept, in the config space too */
	m = must_parse(HB "pcidev id=d0 bus=rp0 vendor=0x1234 device=0\n");
	p = pdev_of(m, "d0");
	assert_int_equal(p->device, 0);
	assert_int_equal(pci_read_config_word(p, PCI_DEVICE_ID, &v), 0);
	assert_int_equal(v, 0);
	sim_machine_destroy(m);
}

static void test_windows_overlapping_each_other_are_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\nhostbridge id=hb1 mmio32-base=0x88000000\n",
			4, "hostbridge: mmio32 window overlaps a window of hb0 (line 3)");
	expect_error_at(HDR "hostbridge id=hb0 mmio64=4G mmio64-base=0x2000000000\n"
			"# between\n"
			"hostbridge id=hb1 mmio32=0 mmio64=4G mmio64-base=0x20c0000000\n",
			5, "hostbridge: mmio64 window overlaps a window of hb0 (line 3)");
	/* Side by side is fine. */
	expect_accepted(HDR "hostbridge id=hb0 mmio64=4G mmio64-base=0x2000000000\n"
			"hostbridge id=hb1 mmio64=4G mmio64-base=0x2100000000\n");
}

static void test_window_outside_its_range_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 mmio32-base=0xfe000000\n", 3,
			"mmio32 window 0xfe000000+256M must end below 0xfec00000");
	expect_error_at(HDR "hostbridge id=hb0 mmio64=1G mmio64-base=0x80000000\n", 3,
			"mmio64 window 0x80000000+1G must lie between 4G and the 46-bit physical address limit");
	/* The default 512G mmio64 window sits at 1T: beyond 36 bits. */
	expect_error_at("machine ram=256M ram-below-4g=128M phys-bits=36\n"
			"swiotlb size=4M\nhostbridge id=hb0\n", 3,
			"must lie between 4G and the 36-bit physical address limit");
	expect_accepted("machine ram=256M ram-below-4g=128M phys-bits=36\n"
			"swiotlb size=4M\nhostbridge id=hb0 mmio64=0\n");
}

static void test_bus_offset_above_window_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 bus-offset=0x100000000\n", 3,
			"hostbridge: bus-offset 0x100000000 is above the mmio32 window at 0x80000000");
	expect_error_at(HDR "hostbridge id=hb0 bus-offset=-1G\n", 3,
			"bus-offset=-1G is not a size");
	/* Bus addresses of a window must not alias DRAM. */
	expect_error_at(HDR "hostbridge id=hb0 bus-offset=0x80000000\n", 3,
			"mmio32 window's bus addresses overlap DRAM as devices see it");
}

static void test_dram_bus_offset_below_zero_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 dram-bus-offset=-1G\n", 3,
			"hostbridge: dram-bus-offset puts RAM at 0 below bus address 0");
	expect_error_at(HDR "hostbridge id=hb0 dram-bus-offset=-\n", 3,
			"hostbridge: dram-bus-offset is not an offset");
	expect_error_at(HDR "hostbridge id=hb0 dram-bus-offset=1Q\n", 3,
			"dram-bus-offset is not an offset");
	expect_error_at(HDR "hostbridge id=hb0 dram-bus-offset=0x8000000000000000\n",
			3, "dram-bus-offset is not an offset");
}

static void test_dma_limit_too_small_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0 dma-limit=8M\n", 3,
			"hostbridge: dma-limit must be at least 16M");
	expect_error_at(HDR "hostbridge id=hb0 dma-limit=0\n", 3,
			"dma-limit must be at least 16M");
	expect_accepted(HDR "hostbridge id=hb0 dma-limit=16M\n");
}

/* ------------------------------------------------------------------------ */
/* endpoints and BARs                                                       */
/* ------------------------------------------------------------------------ */

static void test_endpoint_bad_values_are_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0 dma-bits=23\n", 5,
			"pcidev: dma-bits=23 must be a number from 24 to 64");
	expect_error_at(HB "pcidev id=d0 bus=rp0 dma-bits=65\n", 5,
			"dma-bits=65 must be a number from 24 to 64");
	expect_error_at(HB "pcidev id=d0 bus=rp0 vendor=0x10000\n", 5,
			"pcidev: vendor=0x10000 must be a number from 0 to 65535");
	expect_error_at(HB "pcidev id=d0 bus=rp0 coherent=sort-of\n", 5,
			"pcidev: coherent=sort-of must be yes or no");
	expect_error_at(HB "nvme id=n0 bus=rp0 flr=2\n", 5,
			"nvme: flr=2 must be yes or no");
	expect_error_at(HB "dmaengine id=e0 bus=rp0 untrusted=y\n", 5,
			"dmaengine: untrusted=y must be yes or no");
}

static void test_bar_not_power_of_two_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar0=12K\n", 5,
			"pcidev: bar0 must be a power of two of at least 4K");
	expect_error_at(HB "gpu id=g0 bus=rp0 bar2=48G\n", 5,
			"gpu: bar2 must be a power of two of at least 4K");
}

static void test_bar_below_4k_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar0=2K\n", 5,
			"pcidev: bar0 must be a power of two of at least 4K");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar3=256\n", 5,
			"bar3 must be a power of two of at least 4K");
}

static void test_bar_after_64bit_bar_is_rejected(void **state)
{
	(void)state;
	/* BARs above 32M are 64-bit and take two registers. */
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar0=64M bar1=4K\n", 5,
			"pcidev: bar1 is the upper half of 64-bit bar0");
	expect_error_at(HB "gpu id=g0 bus=rp0 bar2=1G bar3=16K\n", 5,
			"gpu: bar3 is the upper half of 64-bit bar2");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar5=64M\n", 5,
			"pcidev: bar5 cannot hold a 64-bit BAR (64M)");
	expect_error_at(HB "pcidev id=d0 bus=rp0 bar2=256T\n", 5,
			"pcidev: bar2 is larger than 128T");
	/* 32M is still a 32-bit BAR: bar1 may follow it. */
	expect_accepted(HB "pcidev id=d0 bus=rp0 bar0=32M bar1=4K\n");
}

static void test_bar_not_fitting_its_window_is_rejected(void **state)
{
	(void)state;
	expect_error_at(HB "pcidev id=d0 bus=rp0\n"
			"hostbridge id=hb1 mmio64=1G\nrootport id=rp1 bus=hb1\n"
			"gpu id=g0 bus=rp1 bar2=2G\n", 8,
			"g0: bar2=2097152K does not fit the 64-bit window of host bridge hb1");
	expect_error_at(HDR "hostbridge id=hb0 mmio32=1M\nrootport id=rp0 bus=hb0\n"
			"pcidev id=d0 bus=rp0 bar0=2M\n", 5,
			"d0: bar0=2048K does not fit the 32-bit window of host bridge hb0");
	/* Two 1M BARs fill a 2M window; a third 4K one is too many. */
	expect_accepted(HDR "hostbridge id=hb0 mmio32=2M\nrootport id=rp0 bus=hb0\n"
			"switch id=sw0 bus=rp0\npcidev id=a bus=sw0 bar0=1M\n"
			"pcidev id=b bus=sw0 bar0=1M\n");
	expect_error_at(HDR "hostbridge id=hb0 mmio32=2M\nrootport id=rp0 bus=hb0\n"
			"switch id=sw0 bus=rp0\npcidev id=a bus=sw0 bar0=1M\n"
			"pcidev id=b bus=sw0 bar0=1M\npcidev id=c bus=sw0 bar0=4K\n", 8,
			"c: bar0=4K does not fit the 32-bit window");
	/* No window at all. */
	expect_error_at(HDR "hostbridge id=hb0 mmio32=0\nrootport id=rp0 bus=hb0\n"
			"pcidev id=d0 bus=rp0\n", 5,
			"d0: bar0=4K does not fit the 32-bit window of host bridge hb0 (0K");
	expect_error_at(HDR "hostbridge id=hb0 mmio64=0\nrootport id=rp0 bus=hb0\n"
			"gpu id=g0 bus=rp0 bar0=16M bar2=1G\n", 5,
			"g0: bar2=1048576K does not fit the 64-bit window of host bridge hb0 (0K");
}

static void test_nvme_cmb_takes_a_free_bar(void **state)
{
	struct sim_machine *m;
	struct pci_dev *p;

	(void)state;
	m = must_parse(HB "nvme id=n0 bus=rp0 cmb=64M\n");
	p = pdev_of(m, "n0");
	assert_int_equal(pci_resource_len(p, 0), 16 * SZ_1K);
	assert_int_equal(pci_resource_len(p, 2), 64 * SZ_1M);
	assert_true(pci_resource_flags(p, 2) & IORESOURCE_MEM_64);
	assert_true(pci_resource_flags(p, 2) & IORESOURCE_PREFETCH);
	assert_string_equal(p->resource[2].name, "cmb");
	sim_machine_destroy(m);

	/* bar2 taken: the CMB goes to bar4. */
	m = must_parse(HB "nvme id=n0 bus=rp0 bar2=64M cmb=128M\n");
	p = pdev_of(m, "n0");
	assert_int_equal(pci_resource_len(p, 2), 64 * SZ_1M);
	assert_int_equal(pci_resource_len(p, 4), 128 * SZ_1M);
	assert_string_equal(p->resource[4].name, "cmb");
	sim_machine_destroy(m);

	expect_error_at(HB "nvme id=n0 bus=rp0 bar2=4K bar4=4K cmb=64M\n", 5,
			"nvme: no free BAR for cmb=");
	expect_error_at(HB "nvme id=n0 bus=rp0 cmb=3M\n", 5,
			"nvme: bar2 must be a power of two of at least 4K");
	expect_error_at(HB "nvme id=n0 bus=rp0 cmb=lots\n", 5,
			"nvme: cmb=lots is not a size");
	/* cmb=0 means none. */
	m = must_parse(HB "nvme id=n0 bus=rp0 cmb=0\n");
	assert_int_equal(pci_resource_len(pdev_of(m, "n0"), 2), 0);
	sim_machine_destroy(m);
}

static void test_acs_bad_token_is_rejected(void **state)
{
	char text[512];

	(void)state;
	expect_error_at(HB "rootport id=rp1 bus=hb0 acs=rr,xx\n", 5,
			"rootport: acs: unknown control 'xx' (off, on, or a list of sv,tb,rr,cr,uf,ec,dt)");
	expect_error_at(HB "switch id=sw0 bus=rp0 acs=RR\n", 5,
			"switch: acs: unknown control 'RR'");
	snprintf(text, sizeof(text), HB "switch id=sw0 bus=rp0 acs=%s\n",
		 "rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr,cr,rr");
	expect_error_at(text, 5, "is too long");
}

static u16 acs_ctrl(struct sim_machine *m, const char *id)
{
	struct pci_dev *p = pdev_of(m, id);
	u16 pos = pci_find_ext_capability(p, PCI_EXT_CAP_ID_ACS);
	u16 ctrl = 0xffff;

	assert_int_not_equal(pos, 0);
	assert_int_equal(pci_read_config_word(p, pos + PCI_ACS_CTRL, &ctrl), 0);
	return ctrl;
}

static void test_acs_values_reach_the_ports(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse(HDR "hostbridge id=hb0\n"
		       "rootport id=rp0 bus=hb0 acs=rr,cr\n"
		       "rootport id=rp1 bus=hb0 acs=on\n"
		       "rootport id=rp2 bus=hb0 acs=none\n"
		       "rootport id=rp3 bus=hb0 acs=sv,tb,rr,cr,uf,ec,dt\n"
		       "switch id=sw0 bus=rp2 acs=rr\n"
		       "pcidev id=a bus=sw0\npcidev id=b bus=sw0\n");
	assert_int_equal(acs_ctrl(m, "rp0"), PCI_ACS_RR | PCI_ACS_CR);
	assert_int_equal(acs_ctrl(m, "rp1"),
			 PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
	assert_int_equal(acs_ctrl(m, "rp2"), 0);
	assert_int_equal(acs_ctrl(m, "rp3"), 0x7f);
	/* A switch's acs= lands on each of its downstream ports. */
	assert_int_equal(acs_ctrl(m, "sw0.dp0"), PCI_ACS_RR);
	assert_int_equal(acs_ctrl(m, "sw0.dp1"), PCI_ACS_RR);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Characters and lines                                                     */
/* ------------------------------------------------------------------------ */

static void test_control_characters_are_rejected(void **state)
{
	(void)state;
	expect_error_at(HDR "hostbridge id=hb0\x01\n", 3, "control character 0x01");
	expect_error_at("machine ram=256M\x1b[0m\n", 1, "control character 0x1b");
	expect_error_at("machine ram=256M\n\vswiotlb size=4M\n", 2,
			"control character 0x0b");
	/* Tabs separate like spaces; control characters in comments are
	 * part of the comment. */
	expect_accepted("machine\tram=256M\t\n\tswiotlb size=4M # \x01\x02\n");
}

/*
 * Names and ids end up in text and JSON output: a line must be UTF-8 text
 * without control characters (C0 but tab and CR, DEL, C1). The bad byte
 * is named by value and column, never copied into the message.
 */
static void test_names_must_be_utf8(void **state)
{
	static const struct {
		const char *line;
		const char *needle;
	} bad[] = {
		{ "machine name=\xff", "byte 0xff at column 14 is not UTF-8 text" },
		{ "machine name=a\xc3", "byte 0xc3 at column 15 is not UTF-8 text" },
		{ "machine name=\xc3(", "byte 0xc3 at column 14 is not UTF-8" },
		/* overlong forms of '/' and of NUL */
		{ "machine name=\xc0\xaf", "byte 0xc0 at column 14" },
		{ "machine name=\xe0\x80\xaf", "byte 0xe0 at column 14" },
		{ "machine name=\xf0\x80\x80\xaf", "byte 0xf0 at column 14" },
		/* a UTF-16 surrogate, and beyond U+10FFFF */
		{ "machine name=\xed\xa0\x80", "byte 0xed at column 14" },
		{ "machine name=\xf4\x90\x80\x80", "byte 0xf4 at column 14" },
		{ "machine name=\xf8\x88\x80\x80\x80", "byte 0xf8 at column 14" },
		/* a lone continuation byte */
		{ "machine name=ab\x80", "byte 0x80 at column 16" },
		/* DEL and a C1 control (U+0085, NEL), as UTF-8 */
		{ "machine name=a\x7f", "control character 0x7f at column 15" },
		{ "machine name=\xc2\x85x", "control character U+0085 at column 14" },
		{ "machine name=\xc2\x9b" "31m", "control character U+009B at column 14" },
	};
	char text[256], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# first\n%s ram=256M\n", bad[i].line);
		expect_error_at(text, 2, bad[i].needle);
		/* the message itself is plain ASCII (valid in any JSON string) */
		assert_null(sim_machine_parse(text, err, sizeof(err)));
		for (const char *p = err; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	}
	/* Ids: ASCII letters, digits and _-. only, IOMMU ids too. */
	expect_error_at(HDR "iommu id=io\xc3\xa9 mode=off\n", 3,
			"iommu: id 'io\xc3\xa9' may hold only letters");
	expect_error_at(HDR "iommu id=io\xe9 mode=off\n", 3,
			"byte 0xe9 at column 12 is not UTF-8 text");
	expect_error_at(HDR "hostbridge id=h\xc3\xa9\n", 3,
			"hostbridge: id 'h\xc3\xa9' may hold only letters");
	expect_error_at(HB "nic id=n0 bus=rp0 vendor=0x\xff\n", 5,
			"byte 0xff at column 28");
	/* Well-formed UTF-8 names are kept as they are, up to U+10FFFF. */
	{
		struct sim_machine *m = must_parse(
			"machine name=caf\xc3\xa9-\xe2\x82\xac-\xf4\x8f\xbf\xbf ram=256M\n");

		assert_string_equal(sim_machine_name(m),
				    "caf\xc3\xa9-\xe2\x82\xac-\xf4\x8f\xbf\xbf");
		sim_machine_destroy(m);
	}
	/* Comments are not names: any bytes after '#'. */
	expect_accepted("machine ram=256M # caf\xe9 \xff\x7f\n");
}

static void test_overlong_line_is_rejected(void **state)
{
	char *text = malloc(4096);
	int o;

	(void)state;
	assert_non_null(text);
	/* Line 3 is exactly 1024 characters: fine. */
	o = snprintf(text, 4096, HDR "hostbridge id=hb0 #");
	memset(text + o, 'c', 1024 - strlen("hostbridge id=hb0 #"));
	o += 1024 - (int)strlen("hostbridge id=hb0 #");
	strcpy(text + o, "\n");
	expect_accepted(text);
	/* 1025: not fine, whatever the line holds. */
	text[o] = 'c';
	strcpy(text + o + 1, "\n");
	expect_error_at(text, 3, "line is longer than 1024 characters");
	/* Also as the last line without a newline. */
	text[o + 1] = '\0';
	expect_error_at(text, 3, "line is longer than 1024 characters");
	free(text);
}

static void test_comments_and_blank_lines_are_accepted(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse("# a platform\n"
		       "\n"
		       "machine name=c ram=256M ram-below-4g=128M   # trailing\n"
		       "   \t  \n"
		       "#hostbridge id=commented-out\n"
		       "swiotlb size=4M#no space needed\n"
		       "hostbridge id=hb0 p2p=allow\n"
		       "rootport id=rp0 bus=hb0 # acs=bogus is ignored\n"
		       "pcidev id=d0 bus=rp0\n"
		       "#");
	assert_string_equal(sim_machine_name(m), "c");
	assert_null(sim_device(m, "commented-out"));
	assert_non_null(sim_device(m, "d0"));
	assert_int_equal(sim_device_count(m), 1);
	sim_machine_destroy(m);
	/* Lines that hold nothing still count. */
	expect_error_at("\n# one\n\n   \n#\nmachine ram=256M bad\n", 6,
			"'bad' is not key=value");
}

static void test_crlf_line_ends_are_accepted(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse("machine name=crlf ram=256M ram-below-4g=128M\r\n"
		       "swiotlb size=4M\r\n"
		       "\r\n"
		       "hostbridge id=hb0 p2p=allow\r\n"
		       "rootport id=rp0 bus=hb0\r\n"
		       "pcidev id=d0 bus=rp0 dma-bits=40\r\n");
	assert_string_equal(sim_machine_name(m), "crlf");
	assert_non_null(sim_device(m, "d0"));
	assert_int_equal(sim_device_dma_bits(sim_device(m, "d0")), 40);
	sim_machine_destroy(m);
	expect_error_hides("machine ram=256M\r\n\r\nbogus x=1\r\n", 3,
			   KINDS_MSG, "bogus");
}

static void test_last_line_without_newline_is_read(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse(HB "pcidev id=last bus=rp0");
	assert_non_null(sim_device(m, "last"));
	sim_machine_destroy(m);
	expect_error_at(HB "pcidev id=last bus=rp9", 5, "parent 'rp9' not found");
}

/* ------------------------------------------------------------------------ */
/* The default platform                                                     */
/* ------------------------------------------------------------------------ */

static const char *const default_fns[] = {
	"rp0", "sw0", "sw0.dp0", "nvme0", "sw0.dp1", "nic0",
	"rp1", "gpu0", "rp2", "tb0",
};

static void test_default_platform_parses(void **state)
{
	struct sim_machine *m = sim_machine_default();
	struct sim_machine *m2;

	(void)state;
	assert_non_null(m);
	assert_string_equal(sim_machine_name(m), "epyc-server");
	assert_string_equal(sim_machine_arch(m), "x86_64");
	assert_int_equal(sim_ram_size(m), 64ULL << 30);
	assert_int_equal(sim_device_count(m), 4);
	assert_false(sim_machine_is_confidential(m));
	assert_true(sim_dma_debug_enabled(m));
	assert_int_equal(sim_report_count(m), 0);
	sim_machine_destroy(m);
	/* The embedded text is what sim_machine_default() builds. */
	m2 = must_parse(sim_default_platform_text());
	assert_int_equal(sim_device_count(m2), 4);
	assert_string_equal(sim_machine_name(m2), "epyc-server");
	sim_machine_destroy(m2);
}

static void test_default_devices_resolve(void **state)
{
	struct sim_machine *m = sim_machine_default();
	static const struct {
		const char *id, *kind;
		unsigned int dma_bits;
		bool coherent, untrusted;
	} eps[] = {
		{ "nvme0", "nvme", 64, true, false },
		{ "nic0", "nic", 64, true, false },
		{ "gpu0", "gpu", 64, true, false },
		{ "tb0", "dmaengine", 32, false, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		struct device *dev = sim_device(m, eps[i].id);

		assert_non_null(dev);
		assert_ptr_equal(sim_device_at(m, (unsigned int)i), dev);
		assert_string_equal(sim_device_id(dev), eps[i].id);
		assert_string_equal(sim_device_kind(dev), eps[i].kind);
		assert_true(sim_device_is_endpoint(dev));
		assert_true(dev_is_pci(dev));
		assert_ptr_equal(dev->sim, m);
		assert_int_equal(sim_device_dma_bits(dev), eps[i].dma_bits);
		assert_int_equal(*dev->dma_mask, DMA_BIT_MASK(eps[i].dma_bits));
		assert_int_equal(dev->dma_coherent, eps[i].coherent);
		assert_int_equal(to_pci_dev(dev)->untrusted, eps[i].untrusted);
	}
	assert_null(sim_device_at(m, 4));
	/* Ports are PCI functions too, but not endpoints. */
	assert_false(sim_device_is_endpoint(sim_device(m, "rp0")));
	assert_string_equal(sim_device_kind(sim_device(m, "sw0")), "switch");
	assert_string_equal(sim_device_kind(sim_device(m, "sw0.dp1")), "switch-port");
	/* A host bridge is no PCI function; unknown ids are nothing. */
	assert_null(sim_device(m, "hb0"));
	assert_null(sim_device(m, "nvme1"));
	assert_null(sim_device(m, ""));
	assert_null(sim_device(m, NULL));
	assert_null(sim_device(NULL, "nvme0"));
	/* Hierarchy. */
	assert_ptr_equal(pci_upstream_bridge(pdev_of(m, "nvme0")),
			 pdev_of(m, "sw0.dp0"));
	assert_ptr_equal(pci_upstream_bridge(pdev_of(m, "nic0")),
			 pdev_of(m, "sw0.dp1"));
	assert_ptr_equal(pci_upstream_bridge(pdev_of(m, "sw0.dp0")),
			 pdev_of(m, "sw0"));
	assert_ptr_equal(pci_upstream_bridge(pdev_of(m, "gpu0")),
			 pdev_of(m, "rp1"));
	assert_null(pci_upstream_bridge(pdev_of(m, "rp0")));
	assert_ptr_equal(sim_device(m, "tb0")->parent, sim_device(m, "rp2"));
	sim_machine_destroy(m);
}

static bool bdf_sane(const char *s)
{
	unsigned int dom, bus, slot, fn;
	char end;

	if (strlen(s) != 12)
		return false;
	if (sscanf(s, "%4x:%2x:%2x.%1u%c", &dom, &bus, &slot, &fn, &end) != 4)
		return false;
	return s[4] == ':' && s[7] == ':' && s[10] == '.' && slot < 32 && fn < 8;
}

static void test_default_bdf_names_are_sane_and_unique(void **state)
{
	struct sim_machine *m = sim_machine_default();
	const size_t n = sizeof(default_fns) / sizeof(default_fns[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct pci_dev *p = pdev_of(m, default_fns[i]);
		const char *name = dev_name(&p->dev);
		char want[16];

		assert_true(bdf_sane(name));
		assert_string_equal(pci_name(p), name);
		snprintf(want, sizeof(want), "%04x:%02x:%02x.%d", p->domain_nr,
			 p->bus_nr, PCI_SLOT(p->devfn), PCI_FUNC(p->devfn));
		assert_string_equal(name, want);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(name,
						dev_name(sim_device(m, default_fns[j])));
		/* A function sits on its bridge's secondary bus. */
		if (pci_upstream_bridge(p)) {
			u8 sec = 0;

			assert_int_equal(pci_read_config_byte(pci_upstream_bridge(p),
							      PCI_SECONDARY_BUS,
							      &sec), 0);
			assert_int_equal(sec, p->bus_nr);
		} else {
			assert_int_equal(p->bus_nr, 0);
		}
	}
	/* Root ports start at device 1 of bus 0. */
	assert_string_equal(dev_name(sim_device(m, "rp0")), "0000:00:01.0");
	assert_string_equal(dev_name(sim_device(m, "rp1")), "0000:00:02.0");
	sim_machine_destroy(m);
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static void test_default_bar_resources(void **state)
{
	struct sim_machine *m = sim_machine_default();
	struct sim_mem_range w32 = { 0 }, w64 = { 0 };
	static const struct {
		const char *id;
		int bar;
		u64 len;
		bool is64;
	} bars[] = {
		{ "nvme0", 0, 16 * SZ_1K, false },
		{ "nvme0", 2, 64 * SZ_1M, true },
		{ "nic0", 0, SZ_1M, false },
		{ "gpu0", 0, 16 * SZ_1M, false },
		{ "gpu0", 2, 64ULL << 30, true },
		{ "tb0", 0, 64 * SZ_1K, false },
	};
	const size_t nb = sizeof(bars) / sizeof(bars[0]);

	(void)state;
	for (unsigned int i = 0; i < sim_mem_range_count(m); i++) {
		struct sim_mem_range r;

		assert_int_equal(sim_mem_range_get(m, i, &r), 0);
		if (!strcmp(r.kind, "mmio32"))
			w32 = r;
		if (!strcmp(r.kind, "mmio64"))
			w64 = r;
	}
	assert_int_not_equal(w32.size, 0);
	assert_int_not_equal(w64.size, 0);
	for (size_t i = 0; i < nb; i++) {
		struct pci_dev *p = pdev_of(m, bars[i].id);
		phys_addr_t start = pci_resource_start(p, bars[i].bar);
		struct sim_mem_range *w = bars[i].is64 ? &w64 : &w32;
		void *virt;

		assert_int_equal(pci_resource_len(p, bars[i].bar), bars[i].len);
		assert_int_equal(pci_resource_end(p, bars[i].bar),
				 start + bars[i].len - 1);
		assert_int_equal(start % bars[i].len, 0);
		assert_true(start >= w->start &&
			    start + bars[i].len <= w->start + w->size);
		assert_true(pci_resource_flags(p, bars[i].bar) & IORESOURCE_MEM);
		assert_int_equal(!!(pci_resource_flags(p, bars[i].bar) &
				    IORESOURCE_MEM_64), bars[i].is64);
		assert_int_equal(pci_bus_address(p, bars[i].bar), start);
		/* MMIO is not RAM. */
		virt = sim_phys_to_virt(m, start);
		assert_null(virt);
		assert_null(sim_phys_to_page(m, start));
		for (size_t j = 0; j < i; j++)
			assert_false(ranges_overlap(start, bars[i].len,
					pci_resource_start(pdev_of(m, bars[j].id),
							   bars[j].bar),
					bars[j].len));
	}
	/* Unused and invalid BAR numbers. */
	assert_int_equal(pci_resource_len(pdev_of(m, "nic0"), 2), 0);
	assert_int_equal(pci_resource_start(pdev_of(m, "nic0"), 2), 0);
	assert_int_equal(pci_resource_len(pdev_of(m, "gpu0"), 3), 0);
	assert_int_equal(pci_resource_len(pdev_of(m, "gpu0"), 6), 0);
	assert_int_equal(pci_resource_len(pdev_of(m, "gpu0"), -1), 0);
	assert_int_equal(pci_resource_start(NULL, 0), 0);
	sim_machine_destroy(m);
}

static void test_default_memory_map(void **state)
{
	struct sim_machine *m = sim_machine_default();
	struct sim_mem_range r;
	unsigned int n = sim_mem_range_count(m);
	u64 ram = 0;
	bool seen32 = false, seen64 = false, seen_tlb = false;

	(void)state;
	assert_int_equal(n, 5);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(sim_mem_range_get(m, i, &r), 0);
		assert_non_null(r.kind);
		assert_non_null(r.owner);
		if (!strcmp(r.kind, "ram")) {
			ram += r.size;
			assert_true(r.start == 0 || r.start == SZ_4G);
			if (r.start == 0)
				assert_int_equal(r.size, 2 * SZ_1G);
		} else if (!strcmp(r.kind, "mmio32")) {
			seen32 = true;
			assert_string_equal(r.owner, "hb0");
			assert_int_equal(r.size, 256 * SZ_1M);
			assert_true(r.start >= 2 * SZ_1G &&
				    r.start + r.size <= 0xfec00000ULL);
			assert_int_equal(r.bus_offset, 0);
		} else if (!strcmp(r.kind, "mmio64")) {
			seen64 = true;
			assert_string_equal(r.owner, "hb0");
			assert_true(r.start >= SZ_4G + 62 * SZ_1G);
		} else if (!strcmp(r.kind, "swiotlb")) {
			seen_tlb = true;
			assert_int_equal(r.size, 64 * SZ_1M);
			assert_true(r.start + r.size <= 2 * SZ_1G);
		}
	}
	assert_int_equal(ram, 64ULL << 30);
	assert_true(seen32 && seen64 && seen_tlb);
	assert_int_equal(sim_mem_range_get(m, n, &r), -ENOENT);
	sim_machine_destroy(m);
}

static void test_bus_offset_is_visible(void **state)
{
	struct sim_machine *m;
	struct pci_dev *p;
	struct sim_mem_range r;
	bool found = false;
	u32 reg = 0;

	(void)state;
	m = must_parse(HDR "hostbridge id=hb0 bus-offset=0x40000000\n"
		       "rootport id=rp0 bus=hb0\npcidev id=d0 bus=rp0 bar0=64K\n");
	p = pdev_of(m, "d0");
	for (unsigned int i = 0; i < sim_mem_range_count(m); i++) {
		assert_int_equal(sim_mem_range_get(m, i, &r), 0);
		if (!strcmp(r.kind, "mmio32")) {
			found = true;
			assert_int_equal(r.bus_offset, 0x40000000);
			assert_true(pci_resource_start(p, 0) >= r.start);
		}
	}
	assert_true(found);
	assert_int_equal(pci_bus_address(p, 0),
			 pci_resource_start(p, 0) - 0x40000000);
	/* The BAR register holds the bus address. */
	assert_int_equal(pci_read_config_dword(p, PCI_BASE_ADDRESS_0, &reg), 0);
	assert_int_equal(reg & ~0xfu, (u32)pci_bus_address(p, 0));
	sim_machine_destroy(m);
}

static void test_explicit_window_bases_are_used(void **state)
{
	struct sim_machine *m;
	struct pci_dev *p;

	(void)state;
	m = must_parse(HDR "hostbridge id=hb0 mmio32=64M mmio32-base=0xc0000000 "
		       "mmio64=64G mmio64-base=0x4000000000\n"
		       "rootport id=rp0 bus=hb0\n"
		       "gpu id=g0 bus=rp0 bar0=16M bar2=16G\n");
	p = pdev_of(m, "g0");
	assert_true(pci_resource_start(p, 0) >= 0xc0000000ULL &&
		    pci_resource_end(p, 0) < 0xc4000000ULL);
	assert_true(pci_resource_start(p, 2) >= 0x4000000000ULL &&
		    pci_resource_end(p, 2) < 0x5000000000ULL);
	sim_machine_destroy(m);
}

static void test_hostbridge_dma_settings_reach_devices(void **state)
{
	struct sim_machine *m;
	struct device *dev;

	(void)state;
	m = must_parse(HDR "hostbridge id=hb0 dma-limit=1G dram-bus-offset=0x1000000000\n"
		       "rootport id=rp0 bus=hb0\npcidev id=d0 bus=rp0\n"
		       "hostbridge id=hb1\nrootport id=rp1 bus=hb1\npcidev id=d1 bus=rp1\n");
	dev = sim_device(m, "d0");
	assert_int_equal(dev->bus_dma_limit, SZ_1G - 1);
	assert_non_null(dev->dma_range_map);
	assert_int_equal(dev->dma_range_map[0].cpu_start, 0);
	assert_int_equal(dev->dma_range_map[0].dma_start, 0x1000000000ULL);
	assert_int_equal(dev->dma_range_map[0].size, 128 * SZ_1M);
	assert_int_equal(dev->dma_range_map[1].cpu_start, SZ_4G);
	assert_int_equal(dev->dma_range_map[1].dma_start,
			 SZ_4G + 0x1000000000ULL);
	/* The other host bridge is untouched. */
	dev = sim_device(m, "d1");
	assert_int_equal(dev->bus_dma_limit, 0);
	assert_null(dev->dma_range_map);
	sim_machine_destroy(m);
}

static void test_arm64_devices_default_to_non_coherent(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse("machine arch=arm64 ram=256M ram-below-4g=128M\n"
		       "swiotlb size=4M\nhostbridge id=hb0\n"
		       "rootport id=rp0 bus=hb0\nswitch id=sw0 bus=rp0\n"
		       "pcidev id=a bus=sw0\npcidev id=b bus=sw0 coherent=yes\n");
	assert_string_equal(sim_machine_arch(m), "arm64");
	assert_false(sim_device(m, "a")->dma_coherent);
	assert_true(sim_device(m, "b")->dma_coherent);
	sim_machine_destroy(m);
	/* coherent= on the machine line sets the default. */
	m = must_parse("machine arch=arm64 coherent=yes ram=256M\nswiotlb size=4M\n"
		       "hostbridge id=hb0\nrootport id=rp0 bus=hb0\n"
		       "pcidev id=a bus=rp0\n");
	assert_true(sim_device(m, "a")->dma_coherent);
	sim_machine_destroy(m);
}

static void test_endpoint_ids_from_text(void **state)
{
	struct sim_machine *m;
	struct pci_dev *p;
	u16 v = 0;

	(void)state;
	m = must_parse(HB "pcidev id=d0 bus=rp0 vendor=0x1234 device=0xabcd\n");
	p = pdev_of(m, "d0");
	assert_int_equal(p->vendor, 0x1234);
	assert_int_equal(p->device, 0xabcd);
	assert_int_equal(pci_read_config_word(p, PCI_VENDOR_ID, &v), 0);
	assert_int_equal(v, 0x1234);
	assert_int_equal(pci_read_config_word(p, PCI_DEVICE_ID, &v), 0);
	assert_int_equal(v, 0xabcd);
	sim_machine_destroy(m);
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

static char *write_temp(const void *data, size_t len)
{
	char *path = strdup("/tmp/dmastack-platform-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_load_from_file(void **state)
{
	const char *text = sim_default_platform_text();
	char *path = write_temp(text, strlen(text));
	char err[256] = "x";
	struct sim_machine *m = sim_machine_load(path, err, sizeof(err));

	(void)state;
	unlink(path);
	free(path);
	assert_non_null(m);
	assert_string_equal(err, "");
	assert_string_equal(sim_machine_name(m), "epyc-server");
	assert_non_null(sim_device(m, "gpu0"));
	sim_machine_destroy(m);
}

static void test_load_reports_line_of_bad_file(void **state)
{
	static const char text[] = HB "pcidev id=d0 bus=rp0\nwidget id=w\n";
	char *path = write_temp(text, sizeof(text) - 1);
	char err[256] = "";
	struct sim_machine *m = sim_machine_load(path, err, sizeof(err));

	(void)state;
	unlink(path);
	free(path);
	assert_null(m);
	assert_int_equal(strncmp(err, "line 6: ", 8), 0);
	assert_non_null(strstr(err, KINDS_MSG));
	assert_null(strstr(err, "widget"));
}

/*
 * A file that is not a platform (a key, a password file, a binary): the
 * line is named and what was expected said, and nothing of the file's
 * contents is in the message.
 */
static void test_load_secret_file_not_echoed(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} files[] = {
		{ "s3cr3tT0kenQ\n", 1, KINDS_MSG },
		{ "root:$6$s3cr3tT0kenQ:19000:0:99999:7:::\n", 1, KINDS_MSG },
		{ "# header\n\n  s3cr3tT0kenQ\n", 3, KINDS_MSG },
		{ "password = s3cr3tT0kenQ\n", 1, KINDS_MSG },
		{ "-----BEGIN KEY-----\ns3cr3tT0kenQ\n", 1, KINDS_MSG },
		{ "\x7f" "ELF s3cr3tT0kenQ\n", 1, "control character 0x7f at column 1" },
		{ "\xff\xfes3cr3tT0kenQ\n", 1, "byte 0xff at column 1 is not UTF-8" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = write_temp(files[i].text, strlen(files[i].text));
		char err[512] = "", prefix[16];
		struct sim_machine *m = sim_machine_load(path, err, sizeof(err));

		unlink(path);
		free(path);
		assert_null(m);
		snprintf(prefix, sizeof(prefix), "line %d: ", files[i].line);
		if (strncmp(err, prefix, strlen(prefix)) ||
		    !strstr(err, files[i].needle) || strstr(err, "s3cr3t"))
			fail_msg("file %zu: error '%s'", i, err);
	}
}

static void test_load_missing_file_fails(void **state)
{
	char err[256] = "";
	struct sim_machine *m;

	(void)state;
	m = sim_machine_load("/nonexistent/dir/none.platform", err, sizeof(err));
	assert_null(m);
	assert_non_null(strstr(err, "/nonexistent/dir/none.platform"));
	assert_non_null(strstr(err, "No such file"));
	/* No error buffer: still just NULL. */
	assert_null(sim_machine_load("/nonexistent/dir/none.platform", NULL, 0));
}

/*
 * A directory, a device, an empty file and one of comments alone are not
 * platforms: refused with the path named, never an empty machine.
 */
static void test_load_not_a_platform_fails(void **state)
{
	char err[256] = "";
	char *empty = write_temp("", 0);
	static const char ctext[] = "# nothing but\n\n   # comments\n";
	char *comments = write_temp(ctext, sizeof(ctext) - 1);

	(void)state;
	assert_null(sim_machine_load("/tmp", err, sizeof(err)));
	assert_non_null(strstr(err, "/tmp: is a directory"));
	assert_null(sim_machine_load("/dev/null", err, sizeof(err)));
	assert_non_null(strstr(err, "/dev/null: is a device, not a platform file"));
	/* endless: refused before a byte is read */
	assert_null(sim_machine_load("/dev/zero", err, sizeof(err)));
	assert_non_null(strstr(err, "/dev/zero: is a device, not a platform file"));
	/* a FIFO without a writer: refused at once, not waited on */
	{
		char fifo[] = "/tmp/dmastack-fifo-XXXXXX";
		int fd = mkstemp(fifo);

		assert_true(fd >= 0);
		close(fd);
		unlink(fifo);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_null(sim_machine_load(fifo, err, sizeof(err)));
		unlink(fifo);
		assert_non_null(strstr(err, "is a FIFO, not a platform file"));
		assert_non_null(strstr(err, fifo));
	}
	assert_null(sim_machine_load(empty, err, sizeof(err)));
	assert_non_null(strstr(err, "empty platform file"));
	assert_non_null(strstr(err, empty));
	assert_null(sim_machine_load(comments, err, sizeof(err)));
	assert_non_null(strstr(err, "empty platform file"));
	assert_null(sim_machine_load("/tmp", NULL, 0));
	unlink(empty);
	unlink(comments);
	free(empty);
	free(comments);
}

static void test_load_file_with_nul_byte_fails(void **state)
{
	static const char text[] = "machine ram=256M\n\0swiotlb size=4M\n";
	char *path = write_temp(text, sizeof(text) - 1);
	char err[256] = "";
	struct sim_machine *m = sim_machine_load(path, err, sizeof(err));

	(void)state;
	unlink(path);
	assert_null(m);
	assert_non_null(strstr(err, "NUL byte"));
	assert_non_null(strstr(err, path));
	free(path);
}

static void test_load_large_file(void **state)
{
	/* More than one read buffer's worth of comments. */
	struct textbuf tb = { 0 };
	char *path;
	struct sim_machine *m;
	char err[256] = "";

	(void)state;
	for (int i = 0; i < 2000; i++)
		tb_printf(&tb, "# comment line %d of the preamble, long enough\n", i);
	tb_printf(&tb, HB "pcidev id=tail bus=rp0\n");
	path = write_temp(tb.s, tb.len);
	m = sim_machine_load(path, err, sizeof(err));
	unlink(path);
	free(path);
	free(tb.s);
	if (!m)
		fail_msg("rejected: %s", err);
	assert_non_null(sim_device(m, "tail"));
	sim_machine_destroy(m);
}

static void test_null_text_is_rejected(void **state)
{
	char err[64] = "x";

	(void)state;
	assert_null(sim_machine_parse(NULL, err, sizeof(err)));
	assert_string_equal(err, "no platform text");
	assert_null(sim_machine_parse(NULL, NULL, 0));
	assert_null(sim_machine_parse_opts(NULL, &(struct sim_machine_opts){ 0 },
					   err, sizeof(err)));
}

static void test_error_buffer_may_be_small_or_absent(void **state)
{
	char err[8];

	(void)state;
	assert_null(sim_machine_parse("machine ram=1\n", NULL, 0));
	assert_null(sim_machine_parse("machine ram=1\n", NULL, 100));
	memset(err, 'Z', sizeof(err));
	assert_null(sim_machine_parse("machine ram=1\n", err, sizeof(err)));
	assert_string_equal(err, "line 1:");
	memset(err, 'Z', sizeof(err));
	assert_null(sim_machine_parse("machine ram=1\n", err, 0));
	assert_int_equal(err[0], 'Z');
}

static void test_empty_text_gives_machine_without_devices(void **state)
{
	struct sim_machine *m;

	(void)state;
	m = must_parse("");
	assert_int_equal(sim_device_count(m), 0);
	sim_machine_destroy(m);
	m = must_parse("# nothing but a comment\n\n");
	assert_int_equal(sim_device_count(m), 0);
	sim_machine_destroy(m);
}

static void test_dma_debug_off_option(void **state)
{
	struct sim_machine_opts opts = { .dma_debug_off = true };
	char err[256] = "";
	struct sim_machine *m;

	(void)state;
	m = sim_machine_parse_opts(PLATFORM_SMALL, &opts, err, sizeof(err));
	assert_non_null(m);
	assert_false(sim_dma_debug_enabled(m));
	sim_machine_destroy(m);
	m = sim_machine_parse_opts(PLATFORM_SMALL, NULL, err, sizeof(err));
	assert_non_null(m);
	assert_true(sim_dma_debug_enabled(m));
	sim_machine_destroy(m);
}

/*
 * Fail each allocation of machine construction in turn: every failure must
 * come back as NULL with a message, and leak nothing (LeakSanitizer).
 */
static void fail_nth_sweep(const char *text)
{
	unsigned long n;
	struct sim_machine *m = NULL;

	for (n = 1; n < 10000; n++) {
		struct sim_machine_opts opts = { .fail_nth = n };
		char err[256];

		memset(err, 0, sizeof(err));
		m = sim_machine_parse_opts(text, &opts, err, sizeof(err));
		if (m)
			break;
		if (!err[0])
			fail_msg("fail_nth=%lu: NULL without a message", n);
	}
	assert_non_null(m);
	/* Construction really allocates: some N did fail. */
	assert_true(n > 1);
	/* The armed failure lies beyond construction: nothing tripped. */
	assert_false(sim_fail_nth_triggered(m));
	assert_non_null(sim_device(m, sim_device_id(sim_device_at(m, 0))));
	sim_machine_destroy(m);
}

static void test_fail_nth_sweep_default_platform(void **state)
{
	(void)state;
	fail_nth_sweep(sim_default_platform_text());
}

static void test_fail_nth_sweep_small_platform(void **state)
{
	(void)state;
	fail_nth_sweep(PLATFORM_SMALL);
}

/* An arm64 machine behind a 64K-granule SMMU, non-coherent devices. */
static void test_fail_nth_sweep_arm64_smmu(void **state)
{
	(void)state;
	fail_nth_sweep(
		"machine name=a arch=arm64 ram=512M ram-below-4g=256M cpus=2\n"
		"swiotlb size=8M\n"
		"iommu id=smmu0 format=arm64-lpae granule=64K mode=lazy\n"
		"iommu id=smmu1 format=arm64-lpae granule=16K mode=strict\n"
		"hostbridge id=hb0 iommu=smmu0\n"
		"rootport id=rp0 bus=hb0 acs=on\n"
		"nvme id=nvme0 bus=rp0 bar0=16K cmb=1M coherent=no\n"
		"hostbridge id=hb1 iommu=smmu1\n"
		"rootport id=rp1 bus=hb1\n"
		"pcidev id=dev1 bus=rp1 coherent=no\n");
}

/* A confidential guest: shared-page state and a forced swiotlb pool. */
static void test_fail_nth_sweep_confidential(void **state)
{
	(void)state;
	fail_nth_sweep(
		"machine name=cc arch=x86_64 ram=512M ram-below-4g=256M\n"
		"swiotlb size=16M force=yes\n"
		"hostbridge id=hb0\n"
		"rootport id=rp0 bus=hb0\n"
		"nvme id=nvme0 bus=rp0 bar0=16K\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_kind_is_rejected),
		cmocka_unit_test(test_unknown_key_is_rejected),
		cmocka_unit_test(test_key_given_twice_is_rejected),
		cmocka_unit_test(test_key_without_value_is_rejected),
		cmocka_unit_test(test_token_without_equals_is_rejected),
		cmocka_unit_test(test_too_many_keys_is_rejected),
		cmocka_unit_test(test_size_with_bad_suffix_is_rejected),
		cmocka_unit_test(test_size_overflow_is_rejected),
		cmocka_unit_test(test_negative_size_is_rejected),
		cmocka_unit_test(test_size_spellings_are_accepted),
		cmocka_unit_test(test_machine_line_must_come_first),
		cmocka_unit_test(test_machine_line_given_twice_is_rejected),
		cmocka_unit_test(test_ram_not_multiple_of_4m_or_too_small_is_rejected),
		cmocka_unit_test(test_ram_below_4g_out_of_range_is_rejected),
		cmocka_unit_test(test_ram_beyond_phys_bits_is_rejected),
		cmocka_unit_test(test_bad_arch_is_rejected),
		cmocka_unit_test(test_cpus_out_of_range_is_rejected),
		cmocka_unit_test(test_phys_bits_out_of_range_is_rejected),
		cmocka_unit_test(test_machine_bad_name_or_bool_is_rejected),
		cmocka_unit_test(test_machine_dma_check_key),
		cmocka_unit_test(test_iommu_bad_format_is_rejected),
		cmocka_unit_test(test_iommu_bad_mode_is_rejected),
		cmocka_unit_test(test_iommu_bad_granule_is_rejected),
		cmocka_unit_test(test_iommu_modes_and_tuning_keys),
		cmocka_unit_test(test_iommu_x86_format_has_only_4k_granule),
		cmocka_unit_test(test_iommu_missing_id_or_too_many_is_rejected),
		cmocka_unit_test(test_duplicate_ids_are_rejected),
		cmocka_unit_test(test_id_clashing_with_switch_port_is_rejected),
		cmocka_unit_test(test_bad_id_characters_are_rejected),
		cmocka_unit_test(test_missing_id_is_rejected),
		cmocka_unit_test(test_missing_bus_is_rejected),
		cmocka_unit_test(test_parent_not_found_is_rejected),
		cmocka_unit_test(test_wrong_kind_of_parent_is_rejected),
		cmocka_unit_test(test_rootport_with_a_device_already_is_rejected),
		cmocka_unit_test(test_switch_with_33_children_is_rejected),
		cmocka_unit_test(test_hostbridge_with_32_root_ports_is_rejected),
		cmocka_unit_test(test_running_out_of_bus_numbers_is_rejected),
		cmocka_unit_test(test_second_hostbridge_without_bus_numbers_is_rejected),
		cmocka_unit_test(test_hostbridge_busnr_is_checked),
		cmocka_unit_test(test_swiotlb_bad_size_is_rejected),
		cmocka_unit_test(test_swiotlb_bad_areas_is_rejected),
		cmocka_unit_test(test_swiotlb_force_without_pool_is_rejected),
		cmocka_unit_test(test_second_swiotlb_line_is_rejected),
		cmocka_unit_test(test_swiotlb_larger_than_low_ram_is_rejected),
		cmocka_unit_test(test_hostbridge_bad_p2p_is_rejected),
		cmocka_unit_test(test_hostbridge_unknown_iommu_is_rejected),
		cmocka_unit_test(test_hostbridge_bad_window_sizes_are_rejected),
		cmocka_unit_test(test_window_overlapping_ram_is_rejected),
		cmocka_unit_test(test_window_base_all_ones_is_checked),
		cmocka_unit_test(test_windows_overlapping_each_other_are_rejected),
		cmocka_unit_test(test_window_outside_its_range_is_rejected),
		cmocka_unit_test(test_bus_offset_above_window_is_rejected),
		cmocka_unit_test(test_dram_bus_offset_below_zero_is_rejected),
		cmocka_unit_test(test_dma_limit_too_small_is_rejected),
		cmocka_unit_test(test_endpoint_bad_values_are_rejected),
		cmocka_unit_test(test_bar_not_power_of_two_is_rejected),
		cmocka_unit_test(test_bar_below_4k_is_rejected),
		cmocka_unit_test(test_bar_after_64bit_bar_is_rejected),
		cmocka_unit_test(test_bar_not_fitting_its_window_is_rejected),
		cmocka_unit_test(test_nvme_cmb_takes_a_free_bar),
		cmocka_unit_test(test_acs_bad_token_is_rejected),
		cmocka_unit_test(test_acs_values_reach_the_ports),
		cmocka_unit_test(test_control_characters_are_rejected),
		cmocka_unit_test(test_names_must_be_utf8),
		cmocka_unit_test(test_overlong_line_is_rejected),
		cmocka_unit_test(test_comments_and_blank_lines_are_accepted),
		cmocka_unit_test(test_crlf_line_ends_are_accepted),
		cmocka_unit_test(test_last_line_without_newline_is_read),
		cmocka_unit_test(test_default_platform_parses),
		cmocka_unit_test(test_default_devices_resolve),
		cmocka_unit_test(test_default_bdf_names_are_sane_and_unique),
		cmocka_unit_test(test_default_bar_resources),
		cmocka_unit_test(test_default_memory_map),
		cmocka_unit_test(test_bus_offset_is_visible),
		cmocka_unit_test(test_explicit_window_bases_are_used),
		cmocka_unit_test(test_hostbridge_dma_settings_reach_devices),
		cmocka_unit_test(test_arm64_devices_default_to_non_coherent),
		cmocka_unit_test(test_endpoint_ids_from_text),
		cmocka_unit_test(test_load_from_file),
		cmocka_unit_test(test_load_reports_line_of_bad_file),
		cmocka_unit_test(test_load_secret_file_not_echoed),
		cmocka_unit_test(test_load_missing_file_fails),
		cmocka_unit_test(test_load_not_a_platform_fails),
		cmocka_unit_test(test_load_file_with_nul_byte_fails),
		cmocka_unit_test(test_load_large_file),
		cmocka_unit_test(test_null_text_is_rejected),
		cmocka_unit_test(test_error_buffer_may_be_small_or_absent),
		cmocka_unit_test(test_empty_text_gives_machine_without_devices),
		cmocka_unit_test(test_dma_debug_off_option),
		cmocka_unit_test(test_fail_nth_sweep_default_platform),
		cmocka_unit_test(test_fail_nth_sweep_small_platform),
		cmocka_unit_test(test_fail_nth_sweep_arm64_smmu),
		cmocka_unit_test(test_fail_nth_sweep_confidential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
