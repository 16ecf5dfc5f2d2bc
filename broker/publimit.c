#include "publimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "strnum.h"

/* The longest user name limited by its own bucket; a longer one shares
 * the bucket of its first PUBLIMIT_KEY bytes. */
#define PUBLIMIT_KEY 128

struct dropper {
	char name[PUBLIMIT_KEY + 1];
	uint64_t n;
};

struct publimit {
	struct publimit_opts o;
	struct ratelimit *rl;
	int64_t window_start;          /* the window's first drop; 0: none yet */
	uint64_t window_dropped;
	uint64_t others;               /* dropped from clients not in named[] */
	size_t named_count;
	struct dropper named[PUBLIMIT_NAMED];
	uint64_t dropped;
	uint64_t window_kicks;
	size_t kick_count;
	char kicks[PUBLIMIT_KICKS][PUBLIMIT_KEY + 1];
};

void
publimit_opts_default(struct publimit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = 50;
	o->burst = 1000;
	o->clients = 65536;
	o->summary_s = 60;
	o->disconnect = true;
	strnum_copy(o->exempt, sizeof(o->exempt), "pantau-collector,pantau-bridge-*");
}

pantau_err
publimit_opt(struct publimit_opts *o, const char *key, const char *value,
             char *why, size_t why_size)
{
	pantau_err rc = PANTAU_ERR_INVAL;
	if (strcmp(key, "rate") == 0)
		rc = strnum_double(value, 0.001, 1e9, &o->rate);
	else if (strcmp(key, "burst") == 0)
		rc = strnum_double(value, 1, 1e12, &o->burst);
	else if (strcmp(key, "clients") == 0)
		rc = strnum_int(value, 16, 100000000, &o->clients);
	else if (strcmp(key, "summary") == 0)
		rc = strnum_int(value, 1, 86400, &o->summary_s);
	else if (strcmp(key, "disconnect") == 0) {
		rc = PANTAU_OK;
		if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
			o->disconnect = value[0] == 't';
		else
			rc = PANTAU_ERR_INVAL;
	} else if (strcmp(key, "exempt") == 0)
		rc = strnum_copy(o->exempt, sizeof(o->exempt), value);
	else {
		snprintf(why, why_size, "unknown option plugin_opt_%s (rate, burst, clients, summary, disconnect, "
		         "exempt)",
		         key);
		return PANTAU_ERR_INVAL;
	}
	if (rc == PANTAU_OK)
		return PANTAU_OK;
	snprintf(why, why_size, "plugin_opt_%s %s: out of bounds or not a number "
	         "(rate 0.001..1e9, burst 1..1e12, clients 16..1e8, summary 1..86400 s, "
	         "disconnect true or false, exempt up to %d characters)", key, value, PUBLIMIT_EXEMPT_MAX - 1);
	return PANTAU_ERR_INVAL;
}

pantau_err
publimit_new(const struct publimit_opts *o, int64_t now_ns, struct publimit **out)
{
	(void)now_ns;
	*out = NULL;
	struct publimit *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return PANTAU_ERR_NOMEM;
	p->o = *o;
	pantau_err rc = ratelimit_new_keyed(o->rate, o->burst, (size_t)o->clients, PUBLIMIT_KEY,
	                                    &p->rl);
	if (rc != PANTAU_OK) {
		free(p);
		return rc;
	}
	*out = p;
	return PANTAU_OK;
}

void
publimit_free(struct publimit *p)
{
	if (p == NULL)
		return;
	ratelimit_free(p->rl);
	free(p);
}

/* Whether user is one of the comma-separated names of list ("x*": any
 * name beginning with x). */
static bool
exempt(const char *list, const char *user)
{
	size_t ulen = strlen(user);
	for (const char *s = list; *s != '\0';) {
		size_t n = strcspn(s, ",");
		if (n > 0 && s[n - 1] == '*') {
			if (ulen >= n - 1 && memcmp(s, user, n - 1) == 0)
				return true;
		} else if (n == ulen && memcmp(s, user, n) == 0) {
			return true;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return false;
}

static void
count_drop(struct publimit *p, const char *user, size_t len, int64_t now_ns)
{
	p->dropped++;
	if (p->window_dropped++ == 0)
		p->window_start = now_ns;
	for (size_t i = 0; i < p->named_count; i++) {
		struct dropper *d = &p->named[i];
		if (strlen(d->name) == len && memcmp(d->name, user, len) == 0) {
			d->n++;
			return;
		}
	}
	if (p->named_count == PUBLIMIT_NAMED) {
		p->others++;
		return;
	}
	struct dropper *d = &p->named[p->named_count++];
	memcpy(d->name, user, len);
	d->name[len] = '\0';
	d->n = 1;
}

/* user (len bytes) queued to be disconnected, once. */
static void
queue_kick(struct publimit *p, const char *user, size_t len)
{
	for (size_t i = 0; i < p->kick_count; i++)
		if (strlen(p->kicks[i]) == len && memcmp(p->kicks[i], user, len) == 0)
			return;
	if (p->kick_count == PUBLIMIT_KICKS)
		return;
	memcpy(p->kicks[p->kick_count], user, len);
	p->kicks[p->kick_count++][len] = '\0';
}

bool
publimit_take_kick(struct publimit *p, char *name, size_t size)
{
	if (p->kick_count == 0)
		return false;
	p->kick_count--;
	snprintf(name, size, "%s", p->kicks[p->kick_count]);
	p->window_kicks++;
	return true;
}

bool
publimit_allow(struct publimit *p, const char *user, int64_t now_ns)
{
	if (user == NULL || *user == '\0' || exempt(p->o.exempt, user))
		return true;
	size_t len = strlen(user);
	if (len > PUBLIMIT_KEY)
		len = PUBLIMIT_KEY;
	if (ratelimit_allow_key(p->rl, user, len, now_ns))
		return true;
	count_drop(p, user, len, now_ns);
	if (p->o.disconnect)
		queue_kick(p, user, len);
	return false;
}

bool
publimit_summary(struct publimit *p, int64_t now_ns, char *line, size_t size)
{
	if (p->window_dropped == 0 || now_ns - p->window_start < p->o.summary_s * 1000000000LL)
		return false;
	int at = snprintf(line, size, "dropped %llu publishes over the limit of %g/s (burst %g) "
	                  "in the last %llds, %llu disconnects:",
	                  (unsigned long long)p->window_dropped, p->o.rate, p->o.burst,
	                  (long long)((now_ns - p->window_start) / 1000000000LL),
	                  (unsigned long long)p->window_kicks);
	for (size_t i = 0; i < p->named_count && at >= 0 && (size_t)at < size; i++)
		at += snprintf(line + at, size - (size_t)at, "%s %s %llu", i ? "," : "",
		               p->named[i].name, (unsigned long long)p->named[i].n);
	if (p->others > 0 && at >= 0 && (size_t)at < size)
		snprintf(line + at, size - (size_t)at, ", %llu from other clients",
		         (unsigned long long)p->others);
	p->window_dropped = 0;
	p->window_kicks = 0;
	p->others = 0;
	p->named_count = 0;
	return true;
}

uint64_t
publimit_dropped(const struct publimit *p)
{
	return p->dropped;
}
