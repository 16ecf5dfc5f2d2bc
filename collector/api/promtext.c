#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number as text ("-1.2345678901234567e+308"). */
#define PROMTEXT_NUM_MAX 40

/* The first allocation of the text, unless promtext_init's hint is larger. */
#define PROMTEXT_FIRST 4096

static void
put(struct promtext *t, const char *s, size_t n)
{
	textbuf_put(&t->b, s, n, PROMTEXT_FIRST);
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
	if (textbuf_reserve(&t->b, hint, PROMTEXT_FIRST))
		t->b.p[0] = '\0';
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
	char *p = t->b.oom ? NULL : t->b.p;
	if (p == NULL && !t->b.oom)
		p = calloc(1, 1);
	if (t->b.oom)
		free(t->b.p);
	*len = p != NULL ? t->b.len : 0;
	memset(t, 0, sizeof(*t));
	return p;
}

void
promtext_discard(struct promtext *t)
{
	free(t->b.p);
	memset(t, 0, sizeof(*t));
}
