#include "pg_array.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for more bytes and the closing brace. */
static bool
room(struct pg_array *a, size_t more)
{
	return textbuf_reserve(&a->b, more + 1, 1024);
}

static void
put(struct pg_array *a, const char *s, size_t n)
{
	if (!room(a, n + 1))
		return;
	a->b.p[a->b.len++] = a->n++ == 0 ? '{' : ',';
	memcpy(a->b.p + a->b.len, s, n);
	a->b.len += n;
}

void
pg_array_reset(struct pg_array *a)
{
	a->b.len = 0;
	a->b.oom = false;
	a->n = 0;
}

void
pg_array_free(struct pg_array *a)
{
	free(a->b.p);
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
	a->b.p[a->b.len++] = a->n++ == 0 ? '{' : ',';
	a->b.p[a->b.len++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			a->b.p[a->b.len++] = '\\';
		a->b.p[a->b.len++] = v[i];
	}
	a->b.p[a->b.len++] = '"';
}

const char *
pg_array_end(struct pg_array *a)
{
	if (!room(a, 1))
		return NULL;
	if (a->n == 0)
		a->b.p[a->b.len++] = '{';
	a->b.p[a->b.len++] = '}';
	a->b.p[a->b.len] = '\0';
	return a->b.p;
}
