#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number as text ("-1.2345678901234567e+308"). */
#define PROMTEXT_NUM_MAX 40

static bool
reserve(struct promtext *t, size_t more)
{
	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	size_t cap = t->cap > 0 ? t->cap : 4096;
	while (cap < t->len + more + 1)
		cap *= 2;
	char *p = realloc(t->p, cap);
	if (p == NULL) {
		t->oom = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

static void
put(struct promtext *t, const char *s, size_t n)
{
	if (!reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void
puts_(struct promtext *t, const char *s)
{
	put(t, s, strlen(s));
}

/* s with \\, \n and (in label values) \" escaped. */
static void
put_escaped(struct promtext *t, const char *s, bool quote)
{
	size_t start = 0, i = 0;
	for (; s[i] != '\0'; i++) {
		const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '\n' ? "\\n" :
		                  quote && s[i] == '"' ? "\\\"" : NULL;
		if (esc == NULL)
			continue;
		put(t, s + start, i - start);
		put(t, esc, 2);
		start = i + 1;
	}
	put(t, s + start, i - start);
}

void
promtext_init(struct promtext *t, size_t hint)
{
	memset(t, 0, sizeof(*t));
	if (reserve(t, hint))
		t->p[0] = '\0';
}

void
promtext_family(struct promtext *t, const char *name, const char *type, const char *help)
{
	puts_(t, "# HELP ");
	puts_(t, name);
	put(t, " ", 1);
	put_escaped(t, help, false);
	puts_(t, "\n# TYPE ");
	puts_(t, name);
	put(t, " ", 1);
	puts_(t, type);
	put(t, "\n", 1);
}

static void
put_series(struct promtext *t, const char *name, const struct promtext_label *labels,
    size_t n)
{
	puts_(t, name);
	if (n > PROMTEXT_MAX_LABELS)
		n = PROMTEXT_MAX_LABELS;
	for (size_t i = 0; i < n; i++) {
		put(t, i == 0 ? "{" : ",", 1);
		puts_(t, labels[i].name);
		put(t, "=\"", 2);
		put_escaped(t, labels[i].value != NULL ? labels[i].value : "", true);
		put(t, "\"", 1);
	}
	if (n > 0)
		put(t, "}", 1);
	put(t, " ", 1);
}

void
promtext_sample(struct promtext *t, const char *name, const struct promtext_label *labels,
    size_t n, double value)
{
	char num[PROMTEXT_NUM_MAX];
	if (isnan(value))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(value))
		snprintf(num, sizeof(num), "%sInf", value > 0 ? "+" : "-");
	else if (value == floor(value) && fabs(value) < 1e15)
		snprintf(num, sizeof(num), "%.0f", value);
	else
		snprintf(num, sizeof(num), "%.10g", value);
	put_series(t, name, labels, n);
	puts_(t, num);
	put(t, "\n", 1);
}

void
promtext_counter(struct promtext *t, const char *name, const struct promtext_label *labels,
    size_t n, uint64_t value)
{
	char num[PROMTEXT_NUM_MAX];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	put_series(t, name, labels, n);
	puts_(t, num);
	put(t, "\n", 1);
}

char *
promtext_take(struct promtext *t, size_t *len)
{
	char *p = t->oom ? NULL : t->p;
	if (p == NULL && !t->oom)
		p = calloc(1, 1);
	if (t->oom)
		free(t->p);
	*len = p != NULL ? t->len : 0;
	memset(t, 0, sizeof(*t));
	return p;
}

void
promtext_discard(struct promtext *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}
