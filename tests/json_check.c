// SPDX-License-Identifier: MIT
/*
 * json_check SCHEMA [FILE]: validate a JSON document (FILE, or stdin)
 * against doc/dmastack-json.schema.json. Exit 0 when it conforms, 1 with
 * one line per violation (its JSON pointer and what is wrong), 2 when the
 * schema or the document cannot be read or parsed.
 *
 * A validator for the subset of JSON Schema 2020-12 the schema uses, so the
 * tests need nothing beyond json-c: type, const, enum, properties,
 * required, additionalProperties, propertyNames, items, pattern (POSIX
 * extended regular expressions: the schema keeps to their common subset
 * with ECMA-262), minimum, $ref (to #/$defs/NAME), oneOf, anyOf, allOf;
 * and x-unique-key, the schema's own annotation: no two objects of the
 * array have the same value at that key (check ids). A keyword outside the
 * subset is an error, so the schema cannot say more than is checked.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

struct ctx {
	json_object *root;	/* the schema, for $ref */
	bool quiet;		/* inside oneOf/anyOf: count, do not print */
	unsigned int errors;
	bool bad_schema;
};

/* A value as the messages show it: compact, slashes as they are. */
static const char *js(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void fail(struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	if (c->quiet)
		return;
	printf("%s: ", *path ? path : "/");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void schema_error(struct ctx *c, const char *msg, const char *what)
{
	fprintf(stderr, "json_check: schema: %s%s\n", msg, what);
	c->bad_schema = true;
	c->errors++;
}

static bool type_is(json_object *v, const char *t)
{
	enum json_type jt = json_object_get_type(v);

	if (!strcmp(t, "null"))
		return jt == json_type_null;
	if (!strcmp(t, "object"))
		return jt == json_type_object;
	if (!strcmp(t, "array"))
		return jt == json_type_array;
	if (!strcmp(t, "string"))
		return jt == json_type_string;
	if (!strcmp(t, "boolean"))
		return jt == json_type_boolean;
	if (!strcmp(t, "integer"))
		return jt == json_type_int;
	if (!strcmp(t, "number"))
		return jt == json_type_int || jt == json_type_double;
	return false;
}

static bool match(struct ctx *c, const char *pattern, const char *s)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) {
		schema_error(c, "bad pattern ", pattern);
		return false;
	}
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void validate(struct ctx *c, json_object *s, json_object *v,
		     const char *path);

/* Does @v conform to @s? Silently: for oneOf and anyOf. */
static bool conforms(struct ctx *c, json_object *s, json_object *v,
		     const char *path)
{
	unsigned int e = c->errors;
	bool q = c->quiet;

	c->quiet = true;
	validate(c, s, v, path);
	c->quiet = q;
	if (c->bad_schema)
		return false;
	e = c->errors - e;
	c->errors -= e;
	return e == 0;
}

static json_object *resolve(struct ctx *c, const char *ref)
{
	json_object *defs, *t;

	if (strncmp(ref, "#/$defs/", 8) ||
	    !json_object_object_get_ex(c->root, "$defs", &defs) ||
	    !json_object_object_get_ex(defs, ref + 8, &t)) {
		schema_error(c, "unresolved $ref ", ref);
		return NULL;
	}
	return t;
}

static void child_path(char *buf, size_t len, const char *path, const char *key)
{
	snprintf(buf, len, "%s/%s", path, key);
}

static void check_object(struct ctx *c, json_object *s, json_object *v,
			 const char *path)
{
	json_object *props = NULL, *req, *addl = NULL, *names = NULL, *ps;
	char sub[512];

	json_object_object_get_ex(s, "properties", &props);
	json_object_object_get_ex(s, "additionalProperties", &addl);
	json_object_object_get_ex(s, "propertyNames", &names);
	if (json_object_object_get_ex(s, "required", &req))
		for (size_t i = 0; i < json_object_array_length(req); i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(req, i));

			if (!json_object_object_get_ex(v, k, NULL))
				fail(c, path, "required member \"%s\" is missing", k);
		}
	json_object_object_foreach(v, key, val) {
		child_path(sub, sizeof(sub), path, key);
		if (names) {
			json_object *k = json_object_new_string(key);

			validate(c, names, k, sub);
			json_object_put(k);
		}
		if (props && json_object_object_get_ex(props, key, &ps))
			validate(c, ps, val, sub);
		else if (addl && json_object_is_type(addl, json_type_boolean)) {
			if (!json_object_get_boolean(addl))
				fail(c, path, "member \"%s\" is not in the schema", key);
		} else if (addl) {
			validate(c, addl, val, sub);
		}
	}
}

static void check_array(struct ctx *c, json_object *s, json_object *v,
			const char *path)
{
	json_object *items, *uk;
	size_t n = json_object_array_length(v);
	char sub[512];

	if (json_object_object_get_ex(s, "items", &items))
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", path, i);
			validate(c, items, json_object_array_get_idx(v, i), sub);
		}
	if (!json_object_object_get_ex(s, "x-unique-key", &uk))
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *a, *b;

		if (!json_object_object_get_ex(json_object_array_get_idx(v, i),
					       json_object_get_string(uk), &a))
			continue;
		for (size_t k = i + 1; k < n; k++)
			if (json_object_object_get_ex(json_object_array_get_idx(v, k),
						      json_object_get_string(uk), &b) &&
			    json_object_equal(a, b))
				fail(c, path, "items %zu and %zu have the same %s %s", i, k,
				     json_object_get_string(uk),
				     js(a));
	}
}

static const char *const known[] = {
	"$schema", "$id", "title", "description", "$defs", "type", "const",
	"enum", "properties", "required", "additionalProperties",
	"propertyNames", "items", "pattern", "minimum", "$ref", "oneOf",
	"anyOf", "allOf", "x-unique-key",
};

static void validate(struct ctx *c, json_object *s, json_object *v,
		     const char *path)
{
	json_object *t;

	if (!json_object_is_type(s, json_type_object)) {
		schema_error(c, "a schema that is not an object at ", path);
		return;
	}
	json_object_object_foreach(s, kw, unused) {
		size_t i;

		(void)unused;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(kw, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			schema_error(c, "unsupported keyword ", kw);
			return;
		}
	}
	if (json_object_object_get_ex(s, "$ref", &t)) {
		json_object *r = resolve(c, json_object_get_string(t));

		if (r)
			validate(c, r, v, path);
	}
	if (json_object_object_get_ex(s, "type", &t)) {
		bool ok = false;

		if (json_object_is_type(t, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(t); i++)
				ok |= type_is(v, json_object_get_string(
						json_object_array_get_idx(t, i)));
		} else {
			ok = type_is(v, json_object_get_string(t));
		}
		if (!ok) {
			fail(c, path, "%s is not of type %s", js(v),
			     js(t));
			return;
		}
	}
	if (json_object_object_get_ex(s, "const", &t) && !json_object_equal(t, v))
		fail(c, path, "%s is not %s", js(v),
		     js(t));
	if (json_object_object_get_ex(s, "enum", &t)) {
		bool ok = false;

		for (size_t i = 0; i < json_object_array_length(t); i++)
			ok |= json_object_equal(json_object_array_get_idx(t, i), v);
		if (!ok)
			fail(c, path, "%s is not one of %s", js(v),
			     js(t));
	}
	if (json_object_object_get_ex(s, "pattern", &t) &&
	    json_object_is_type(v, json_type_string) &&
	    !match(c, json_object_get_string(t), json_object_get_string(v)))
		fail(c, path, "\"%s\" does not match %s", json_object_get_string(v),
		     json_object_get_string(t));
	if (json_object_object_get_ex(s, "minimum", &t) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) &&
	    json_object_get_double(v) < json_object_get_double(t))
		fail(c, path, "%s is below %s", js(v),
		     js(t));
	if (json_object_is_type(v, json_type_object))
		check_object(c, s, v, path);
	if (json_object_is_type(v, json_type_array))
		check_array(c, s, v, path);
	if (json_object_object_get_ex(s, "allOf", &t))
		for (size_t i = 0; i < json_object_array_length(t); i++)
			validate(c, json_object_array_get_idx(t, i), v, path);
	if (json_object_object_get_ex(s, "anyOf", &t)) {
		bool ok = false;

		for (size_t i = 0; i < json_object_array_length(t) && !ok; i++)
			ok = conforms(c, json_object_array_get_idx(t, i), v, path);
		if (!ok)
			fail(c, path, "matches none of anyOf");
	}
	if (json_object_object_get_ex(s, "oneOf", &t)) {
		unsigned int n = 0, best_errors = ~0u;
		size_t best = 0;

		for (size_t i = 0; i < json_object_array_length(t); i++) {
			unsigned int e = c->errors;
			bool q = c->quiet;

			c->quiet = true;
			validate(c, json_object_array_get_idx(t, i), v, path);
			c->quiet = q;
			e = c->errors - e;
			c->errors -= e;
			if (!e)
				n++;
			if (e < best_errors) {
				best_errors = e;
				best = i;
			}
		}
		if (n != 1) {
			fail(c, path, "matches %u of oneOf's schemas, not one", n);
			/* say why against the alternative it came closest to */
			if (!n)
				validate(c, json_object_array_get_idx(t, best), v, path);
		}
	}
}

/* The one JSON document of @f, or NULL with a message. */
static json_object *read_json(const char *name, FILE *f)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error err;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	do {
		if (len == cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	tok = json_tokener_new();
	if (!tok) {
		free(buf);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_success)
		/* nothing but white space after the document */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", buf[i])) {
				err = json_tokener_error_parse_unexpected;
				break;
			}
	if (err != json_tokener_success) {
		fprintf(stderr, "json_check: %s: not one JSON document (%s)\n", name,
			err == json_tokener_continue ? "it ends early" :
			json_tokener_error_desc(err));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(buf);
	return o;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	json_object *doc;
	FILE *f;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: json_check SCHEMA [FILE]\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	c.root = read_json(argv[1], f);
	fclose(f);
	if (!c.root)
		return 2;
	f = argc == 3 ? fopen(argv[2], "r") : stdin;
	if (!f) {
		perror(argv[2]);
		json_object_put(c.root);
		return 2;
	}
	doc = read_json(argc == 3 ? argv[2] : "stdin", f);
	if (f != stdin)
		fclose(f);
	if (!doc) {
		json_object_put(c.root);
		return 2;
	}
	validate(&c, c.root, doc, "");
	ret = c.bad_schema ? 2 : c.errors ? 1 : 0;
	json_object_put(doc);
	json_object_put(c.root);
	return ret;
}
