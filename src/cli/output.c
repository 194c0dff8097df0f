// SPDX-License-Identifier: MIT
/* Small helpers shared by the dmastack subcommands. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"

const char *fmt_size(char *buf, size_t len, u64 bytes)
{
	static const char units[] = "KMGTP";
	int u = -1;
	u64 v = bytes;

	if (bytes < 1024 || bytes % 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

const char *fmt_bytes(char *buf, size_t len, u64 bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;
	u64 scale = 1024;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu byte%s", (unsigned long long)bytes,
			 bytes == 1 ? "" : "s");
		return buf;
	}
	while (u + 1 < ARRAY_SIZE(units) && bytes / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	if (bytes % scale == 0) {
		snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / scale), units[u]);
	} else {
		/* two decimals, rounded in integers (the same on every host) */
		u64 hundredths = (bytes * 100 + scale / 2) / scale;
		int n = snprintf(buf, len, "%llu.%02llu", (unsigned long long)(hundredths / 100),
				 (unsigned long long)(hundredths % 100));

		/* 7.50 -> 7.5, 3.00 -> 3 */
		if (n < 0 || (size_t)n >= len)
			return buf;
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
		snprintf(buf + n, len - (size_t)n, " %s", units[u]);
	}
	return buf;
}

const char *fmt_count(char *buf, size_t len, unsigned long long n,
		      const char *one, const char *many)
{
	if (n == 1)
		snprintf(buf, len, "1 %s", one);
	else if (many)
		snprintf(buf, len, "%llu %s", n, many);
	else
		snprintf(buf, len, "%llu %ss", n, one);
	return buf;
}

void json_print(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *cli_json_root(const char *command)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, "schema", json_object_new_string(CLI_JSON_SCHEMA));
	json_object_object_add(root, "command", json_object_new_string(command));
	return root;
}

json_object *cli_json_hex(u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

json_object *cli_json_shex(s64 v)
{
	char buf[24];

	/* the magnitude of INT64_MIN is computed unsigned */
	snprintf(buf, sizeof(buf), "%s0x%llx", v < 0 ? "-" : "",
		 v < 0 ? -(unsigned long long)v : (unsigned long long)v);
	return json_object_new_string(buf);
}

struct sim_machine *cli_load_machine(const struct cli_opts *o)
{
	const char *name = o->platform ? o->platform : "default platform";
	char err[512] = "";
	struct sim_machine *m;

	if (o->platform)
		m = sim_machine_load(o->platform, err, sizeof(err));
	else
		m = sim_machine_parse(sim_default_platform_text(), err,
				      sizeof(err));
	if (!m) {
		/* File errors already name the file; parse errors name a line. */
		if (!strncmp(err, name, strlen(name)))
			fprintf(stderr, "dmastack: %s\n", err);
		else
			fprintf(stderr, "dmastack: %s: %s\n", name, err);
	}
	return m;
}

static bool trace_is_dat(const struct cli_opts *o)
{
	size_t n = strlen(o->trace);

	if (o->trace_format)
		return !strcmp(o->trace_format, "dat");
	return n >= 4 && !strcmp(o->trace + n - 4, ".dat");
}

int cli_trace_open(const struct cli_opts *o, struct cli_trace *t)
{
	bool dat;

	memset(t, 0, sizeof(*t));
	if (!o->trace)
		return 0;
	dat = trace_is_dat(o);
	/* a text trace is appended to; a trace.dat is a whole file */
	t->f = fopen(o->trace, dat ? "w" : "a");
	if (!t->f) {
		fprintf(stderr, "dmastack: cannot open trace file %s: %s\n",
			o->trace, strerror(errno));
		return -1;
	}
	if (dat) {
		t->dat = sim_trace_dat_open(t->f);
		if (!t->dat) {
			fprintf(stderr, "dmastack: %s: out of memory\n", o->trace);
			fclose(t->f);
			t->f = NULL;
			return -1;
		}
	}
	return 0;
}

void cli_trace_attach(const struct cli_opts *o, struct cli_trace *t,
		      struct sim_machine *m)
{
	if (!t->f)
		return;
	if (t->dat)
		sim_trace_set_dat(m, t->dat);
	else
		sim_trace_set_file(m, t->f);
	sim_trace_set_accesses(m, o->trace_accesses);
}

void cli_trace_detach(struct cli_trace *t, struct sim_machine *m)
{
	if (!t->f || !m)
		return;
	if (t->dat)
		sim_trace_set_dat(m, NULL);
	else
		sim_trace_set_file(m, NULL);
}

int cli_trace_close(const struct cli_opts *o, struct cli_trace *t)
{
	int ret = 0, err;

	if (!t->f)
		return 0;
	if (t->dat) {
		err = sim_trace_dat_close(t->dat);
		if (err) {
			fprintf(stderr, "dmastack: cannot write %s: %s\n",
				o->trace, strerror(-err));
			ret = -1;
		}
	}
	/*
	 * A write that failed while the command ran (a full disk) left the
	 * stream's error flag; the final flush says why if it fails too.
	 */
	errno = 0;
	if (!ret && (fflush(t->f) || ferror(t->f))) {
		fprintf(stderr, "dmastack: cannot write %s: %s\n", o->trace,
			strerror(errno ? errno : EIO));
		ret = -1;
	}
	errno = 0;
	if (fclose(t->f) && !ret) {
		fprintf(stderr, "dmastack: cannot write %s: %s\n", o->trace,
			strerror(errno ? errno : EIO));
		ret = -1;
	}
	memset(t, 0, sizeof(*t));
	return ret;
}

/*
 * Copy [@p, @cut), then @ins and @mode, then [@resume, @end) to @o; the
 * position after them.
 */
static char *put_spliced(char *o, const char *p, const char *cut,
			 const char *resume, const char *end, const char *ins,
			 const char *mode)
{
	memcpy(o, p, (size_t)(cut - p));
	o += cut - p;
	o += sprintf(o, "%s%s", ins, mode);
	memcpy(o, resume, (size_t)(end - resume));
	return o + (end - resume);
}

/*
 * The platform text with every IOMMU set to @mode (or turned off): the
 * mode= of each iommu line replaced, or added where the line has none (the
 * default, lazy). Comments are copied as they are.
 */
char *cli_text_with_iommu_mode(const char *text, const char *mode)
{
	size_t cap = strlen(text) + 1, extra = strlen(" mode=") + strlen(mode);
	const char *p = text;
	char *out, *o;

	for (const char *q = text; *q; q++)	/* at most one mode= per line */
		if (*q == '\n')
			cap += extra;
	cap += extra;
	out = malloc(cap);
	if (!out)
		return NULL;
	o = out;
	while (*p) {
		const char *eol = strchr(p, '\n'), *hash, *kw = p, *m;
		size_t len = eol ? (size_t)(eol - p) : strlen(p), body;

		hash = memchr(p, '#', len);
		body = hash ? (size_t)(hash - p) : len;
		while (kw < p + body && (*kw == ' ' || *kw == '\t'))
			kw++;
		if ((size_t)(p + body - kw) > 5 && !strncmp(kw, "iommu", 5) &&
		    (kw[5] == ' ' || kw[5] == '\t')) {
			const char *end = p + body;

			m = NULL;
			for (const char *q = kw; q + 5 <= end; q++)
				if (!strncmp(q, "mode=", 5) && (q[-1] == ' ' || q[-1] == '\t'))
					m = q;
			if (m) {
				const char *v = m + 5;

				while (v < end && *v != ' ' && *v != '\t')
					v++;
				o = put_spliced(o, p, m, v, p + len, "mode=", mode);
			} else {
				while (end > kw && (end[-1] == ' ' || end[-1] == '\t'))
					end--;
				o = put_spliced(o, p, end, end, p + len, " mode=", mode);
			}
		} else {
			memcpy(o, p, len);
			o += len;
		}
		if (eol)
			*o++ = '\n';
		p += len + (eol ? 1 : 0);
	}
	*o = '\0';
	return out;
}

char *cli_platform_text(const struct cli_opts *o)
{
	const char *why = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	if (!o->platform)
		return strdup(sim_default_platform_text());
	/* as sim_machine_load(): only a regular file, a FIFO not waited on */
	fd = open(o->platform, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		why = strerror(errno);
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		why = S_ISDIR(st.st_mode) ? "is a directory, not a platform file" :
		      S_ISFIFO(st.st_mode) ? "is a FIFO, not a platform file" :
		      S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ?
			"is a device, not a platform file" : "not a regular file";
		goto out;
	}
	if (st.st_size >= (64 << 20)) {
		why = "platform file too large";
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		why = "out of memory";
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			why = strerror(errno);
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (why) {
		fprintf(stderr, "dmastack: %s: %s\n", o->platform, why);
		free(buf);
		return NULL;
	}
	return buf;
}
