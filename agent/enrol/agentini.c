#include "agentini.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sections and keys enrolment owns; a line of them is replaced. */
enum { SEC_AGENT, SEC_BROKER, SEC_ENROL, SEC_N, SEC_OTHER = SEC_N };
static const char *const sections[SEC_N] = { "agent", "broker", "enrol" };
static const char *const owned[SEC_N][8] = {
	{ "id", "region", "site", NULL },
	{ "host", "port", "tls", "cafile", "certfile", "keyfile", "username", "password" },
	{ "collector", "cacert", NULL },
};

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->failed = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
kv(struct out *o, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	put(o, key, strlen(key));
	put(o, " = ", 3);
	put(o, value, strlen(value));
	put(o, "\n", 1);
}

static void
emit(struct out *o, int sec, const struct agentini_set *s)
{
	switch (sec) {
	case SEC_AGENT:
		kv(o, "id", s->id);
		kv(o, "region", s->region);
		kv(o, "site", s->site);
		break;
	case SEC_BROKER:
		kv(o, "host", s->host);
		kv(o, "port", s->port);
		kv(o, "tls", "true");
		kv(o, "cafile", s->cafile);
		kv(o, "certfile", s->certfile);
		kv(o, "keyfile", s->keyfile);
		break;
	default:
		kv(o, "collector", s->collector);
		kv(o, "cacert", s->cacert);
		break;
	}
}

/* The section a "[name]" line opens, SEC_OTHER for any other. */
static int
section_of(const char *line, size_t n)
{
	const char *end = memchr(line, ']', n);
	size_t len = end != NULL ? (size_t)(end - line - 1) : 0;
	for (int i = 0; i < SEC_N; i++)
		if (strlen(sections[i]) == len && strncmp(line + 1, sections[i], len) == 0)
			return i;
	return SEC_OTHER;
}

static bool
is_owned(int sec, const char *line, size_t n)
{
	size_t k = 0;
	while (k < n && line[k] != '=' && line[k] != ' ' && line[k] != '\t')
		k++;
	if (sec == SEC_OTHER || k == 0 || k == n)
		return false;
	for (int i = 0; i < 8 && owned[sec][i] != NULL; i++)
		if (strlen(owned[sec][i]) == k && strncmp(line, owned[sec][i], k) == 0)
			return true;
	return false;
}

char *
agentini_rewrite(const char *old, const struct agentini_set *s)
{
	struct out o = { 0 };
	bool seen[SEC_N] = { false };
	int sec = SEC_OTHER;
	put(&o, "", 0);
	for (const char *p = old != NULL ? old : ""; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		const char *line = p;
		size_t skip = strspn(line, " \t");
		p += n + (p[n] == '\n');
		if (line[skip] == '[') {
			sec = section_of(line + skip, n - skip);
			put(&o, line, n);
			put(&o, "\n", 1);
			if (sec != SEC_OTHER && !seen[sec]) {
				seen[sec] = true;
				emit(&o, sec, s);
			}
			continue;
		}
		if (is_owned(sec, line + skip, n - skip))
			continue;
		put(&o, line, n);
		put(&o, "\n", 1);
	}
	for (int i = 0; i < SEC_N; i++)
		if (!seen[i]) {
			put(&o, "\n[", 2);
			put(&o, sections[i], strlen(sections[i]));
			put(&o, "]\n", 2);
			emit(&o, i, s);
		}
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}

bool
agentini_get(const char *text, const char *section, const char *key, char *out, size_t len)
{
	bool in = false;
	size_t kl = strlen(key), sl = strlen(section);
	for (const char *p = text != NULL ? text : ""; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		const char *line = p + strspn(p, " \t");
		p += n + (p[n] == '\n');
		if (*line == '[') {
			in = strncmp(line + 1, section, sl) == 0 && line[1 + sl] == ']';
			continue;
		}
		if (!in || strncmp(line, key, kl) != 0)
			continue;
		const char *v = line + kl + strspn(line + kl, " \t");
		if (*v != '=')
			continue;
		v += 1 + strspn(v + 1, " \t");
		size_t vl = strcspn(v, "\n");
		const char *c = v;
		while ((c = memchr(c, ';', vl - (size_t)(c - v))) != NULL && c > v && c[-1] != ' ' &&
		    c[-1] != '\t')
			c++;
		if (c != NULL)
			vl = (size_t)(c - v);
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
			vl--;
		snprintf(out, len, "%.*s", (int)vl, v);
		return true;
	}
	return false;
}
