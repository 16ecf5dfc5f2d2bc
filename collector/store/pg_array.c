#include "pg_array.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
room(struct pg_array *a, size_t more)
{
	if (a->failed)
		return false;
	if (a->len + more + 2 <= a->cap)
		return true;
	size_t cap = a->cap > 0 ? a->cap : 1024;
	while (cap < a->len + more + 2)
		cap *= 2;
	char *t = realloc(a->text, cap);
	if (t == NULL) {
		a->failed = true;
		return false;
	}
	a->text = t;
	a->cap = cap;
	return true;
}

static void
put(struct pg_array *a, const char *s, size_t n)
{
	if (!room(a, n + 1))
		return;
	a->text[a->len++] = a->n++ == 0 ? '{' : ',';
	memcpy(a->text + a->len, s, n);
	a->len += n;
}

void
pg_array_reset(struct pg_array *a)
{
	a->len = 0;
	a->n = 0;
	a->failed = false;
}

void
pg_array_free(struct pg_array *a)
{
	free(a->text);
	memset(a, 0, sizeof(*a));
}

void
pg_array_null(struct pg_array *a)
{
	put(a, "NULL", 4);
}

void
pg_array_int(struct pg_array *a, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%lld", (long long)v);
	put(a, t, (size_t)n);
}

void
pg_array_real(struct pg_array *a, double v)
{
	char t[40];
	if (isnan(v)) {
		pg_array_null(a);
		return;
	}
	int n = snprintf(t, sizeof(t), "%.17g", v);
	put(a, t, (size_t)n);
}

/* Quoted, with " and \ escaped by a backslash. */
void
pg_array_text(struct pg_array *a, const char *v)
{
	if (v == NULL) {
		pg_array_null(a);
		return;
	}
	size_t n = strlen(v);
	if (!room(a, 2 * n + 3))
		return;
	a->text[a->len++] = a->n++ == 0 ? '{' : ',';
	a->text[a->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			a->text[a->len++] = '\\';
		a->text[a->len++] = v[i];
	}
	a->text[a->len++] = '"';
}

const char *
pg_array_end(struct pg_array *a)
{
	if (!room(a, 1))
		return NULL;
	if (a->n == 0)
		a->text[a->len++] = '{';
	a->text[a->len++] = '}';
	a->text[a->len] = '\0';
	return a->text;
}
