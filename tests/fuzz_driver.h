/* SPDX-License-Identifier: MIT */
/*
 * The standalone driver of a libFuzzer target (tests/fuzz_*.c), for builds
 * without -fsanitize=fuzzer (the suite, under ASan+UBSan and TSan):
 *
 *   fuzz_X [FILE|DIR]...
 *
 * replays every file given (a directory: each regular file in it, in name
 * order, so runs are repeatable), then runs FUZZ_ITERS (default 500)
 * deterministic mutants of those inputs through LLVMFuzzerTestOneInput().
 * The target aborts on a broken invariant; sanitizers catch the rest.
 */
#ifndef DMASTACK_TESTS_FUZZ_DRIVER_H
#define DMASTACK_TESTS_FUZZ_DRIVER_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT	8192

struct fuzz_seeds {
	uint8_t **data;
	size_t *len;
	size_t nr;
	uint64_t rng;
};

static uint64_t fuzz_rng(struct fuzz_seeds *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static int fuzz_add_file(struct fuzz_seeds *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(FUZZ_MAX_INPUT);
	size_t n;

	if (!f || !buf) {
		perror(path);
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	n = fread(buf, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	s->data = realloc(s->data, (s->nr + 1) * sizeof(*s->data));
	s->len = realloc(s->len, (s->nr + 1) * sizeof(*s->len));
	if (!s->data || !s->len) {
		free(buf);
		return -1;
	}
	s->data[s->nr] = buf;
	s->len[s->nr++] = n;
	return 0;
}

static int fuzz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fuzz_add_path(struct fuzz_seeds *s, const char *path)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t nr = 0;
	int ret = 0;
	DIR *d;

	if (stat(path, &st)) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fuzz_add_file(s, path);
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (nr + 1) * sizeof(*names));
		if (!names || asprintf(&names[nr], "%s/%s", path, e->d_name) < 0) {
			closedir(d);
			return -1;
		}
		nr++;
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), fuzz_name_cmp);
	for (size_t i = 0; i < nr; i++) {
		if (!ret && fuzz_add_file(s, names[i]))
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

/* A few mutations of @buf (@len bytes, room for FUZZ_MAX_INPUT). */
static size_t fuzz_mutate(struct fuzz_seeds *s, uint8_t *buf, size_t len)
{
	static const uint32_t interesting[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x1000, 0xffff, 0x10000, 0x7fffffff,
		0x80000000, 0xfffffffe, 0xffffffff, 24, 40, 11, 0x1000b, 0x2000b,
		0x4000b,
	};
	int n = 1 + (int)(fuzz_rng(s) % 4);

	while (n--) {
		size_t pos = len ? fuzz_rng(s) % len : 0;

		switch (fuzz_rng(s) % 5) {
		case 0:		/* flip bits of a byte */
			if (len)
				buf[pos] ^= (uint8_t)(1u << (fuzz_rng(s) % 8));
			break;
		case 1: {	/* an interesting 32-bit value, aligned */
			uint32_t v = interesting[fuzz_rng(s) % (sizeof(interesting) /
							      sizeof(interesting[0]))];

			pos &= ~(size_t)3;
			if (pos + 4 <= len)
				memcpy(buf + pos, &v, 4);
			break;
		}
		case 2: {	/* insert random bytes */
			size_t k = 1 + fuzz_rng(s) % 16;

			if (len + k <= FUZZ_MAX_INPUT) {
				memmove(buf + pos + k, buf + pos, len - pos);
				for (size_t i = 0; i < k; i++)
					buf[pos + i] = (uint8_t)fuzz_rng(s);
				len += k;
			}
			break;
		}
		case 3: {	/* delete a run */
			size_t k = 1 + fuzz_rng(s) % 16;

			if (pos + k <= len) {
				memmove(buf + pos, buf + pos + k, len - pos - k);
				len -= k;
			}
			break;
		}
		default:	/* truncate */
			len = pos;
			break;
		}
	}
	return len;
}

static int fuzz_main(int argc, char **argv)
{
	struct fuzz_seeds s = { .rng = 0x9e3779b97f4a7c15ULL };
	const char *env = getenv("FUZZ_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 10) : 500;
	uint8_t *buf = malloc(FUZZ_MAX_INPUT);
	int ret = 0;

	if (!buf)
		return 1;
	for (int i = 1; i < argc; i++)
		if (fuzz_add_path(&s, argv[i]))
			ret = 1;
	for (size_t i = 0; !ret && i < s.nr; i++)
		LLVMFuzzerTestOneInput(s.data[i], s.len[i]);
	for (unsigned long i = 0; !ret && s.nr && i < iters; i++) {
		size_t k = i % s.nr, len = s.len[k];

		memcpy(buf, s.data[k], len);
		len = fuzz_mutate(&s, buf, len);
		LLVMFuzzerTestOneInput(buf, len);
	}
	if (!ret)
		printf("%s: %zu inputs replayed, %lu mutants\n", argv[0], s.nr,
		       s.nr ? iters : 0);
	for (size_t i = 0; i < s.nr; i++)
		free(s.data[i]);
	free(s.data);
	free(s.len);
	free(buf);
	return ret;
}

#endif /* DMASTACK_TESTS_FUZZ_DRIVER_H */
