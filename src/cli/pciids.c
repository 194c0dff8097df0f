// SPDX-License-Identifier: MIT
/*
 * Vendor and device names from the pci.ids database (the pciutils
 * format: "VVVV  Vendor" lines, "\tDDDD  Device" below them, "\t\t"
 * subsystems, "C xx" classes at the end), as lspci -v shows them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"

struct cli_pciids {
	char *text;
};

static char *slurp(const char *path)
{
	/* a regular file only: a FIFO or a device is not waited on */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *p = realloc(buf, cap + 262144);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
			cap += 262144;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

struct cli_pciids *cli_pciids_open(const char *path)
{
	static const char *const system[] = {
		"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
		"/usr/share/pci.ids",
	};
	struct cli_pciids *db;
	char *text = NULL;

	if (!path)
		path = getenv("DMASTACK_PCI_IDS");
	if (path && *path) {
		text = slurp(path);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(system) && !text; i++)
			text = slurp(system[i]);
	}
	if (!text)
		return NULL;
	db = calloc(1, sizeof(*db));
	if (!db) {
		free(text);
		return NULL;
	}
	db->text = text;
	return db;
}

void cli_pciids_close(struct cli_pciids *db)
{
	if (!db)
		return;
	free(db->text);
	free(db);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4-digit id at @s followed by white space, or -1. */
static long id4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return s[4] == ' ' || s[4] == '\t' ? v : -1;
}

/*
 * Bytes of the UTF-8 character at @s that is printable text (no control
 * character, well-formed: shortest form, no surrogate, at most U+10FFFF),
 * or 0.
 */
static size_t utf8_text_char(const unsigned char *s)
{
	unsigned long cp;
	size_t n;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/*
 * The name after the id at @s, up to the end of the line, into @out, cut
 * at a character boundary. Names go into text and JSON output: one that is
 * not UTF-8 text is no name (false, @out empty).
 */
static bool name_of(const char *s, char *out, size_t len)
{
	size_t n = 0, keep = 0;

	s += 4;
	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] && s[n] != '\n' && s[n] != '\r')
		n++;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	out[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t c = s[i] == '\t' ? 1 : utf8_text_char((const unsigned char *)s + i);

		if (!c || i + c > n)
			return false;
		i += c;
		if (i < len)
			keep = i;
	}
	snprintf(out, len, "%.*s", (int)keep, s);
	return true;
}

const char *cli_pciids_name(const struct cli_pciids *db, u16 vendor, u16 device,
			    char *buf, size_t len)
{
	char vname[256] = "", dname[256] = "";
	bool in_vendor = false;

	if (!db)
		return NULL;
	for (const char *l = db->text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (*l == '#' || *l == '\n')
			continue;
		if (l[0] == 'C' && l[1] == ' ')
			break;		/* the class list: no more vendors */
		if (l[0] != '\t') {
			if (in_vendor)
				break;
			if (id4(l) == vendor) {
				if (!name_of(l, vname, sizeof(vname)))
					return NULL;	/* the numbers alone */
				in_vendor = true;
			}
			continue;
		}
		if (in_vendor && l[1] != '\t' && id4(l + 1) == device) {
			name_of(l + 1, dname, sizeof(dname));
			break;
		}
	}
	if (!in_vendor)
		return NULL;
	if (dname[0])
		snprintf(buf, len, "%s %s", vname, dname);
	else
		snprintf(buf, len, "%s Device %04x", vname, device);
	return buf;
}
