// SPDX-License-Identifier: MIT
/*
 * Vendor and device names from the pci.ids database (the pciutils
 * format: "VVVV  Vendor" lines, "\tDDDD  Device" below them, "\t\t"
 * subsystems, "C xx" classes at the end), as lspci -v shows them.
 */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct cli_pciids {
	char *text;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
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

/* The name after the id at @s, up to the end of the line, into @out. */
static void name_of(const char *s, char *out, size_t len)
{
	size_t n = 0;

	s += 4;
	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] && s[n] != '\n' && s[n] != '\r')
		n++;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	snprintf(out, len, "%.*s", (int)n, s);
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
				in_vendor = true;
				name_of(l, vname, sizeof(vname));
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
