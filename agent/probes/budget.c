#include "agent/probes/budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "log.h"

#define BUDGET_FILE "budget"
#define DAY_MS 86400000LL

struct budget {
	char dir[512];
	bool persist;
	int64_t limit;
	int64_t day;
	int64_t used;
};

static const struct {
	const char *link;
	int mb;
} defaults[] = {
	{ "fiber", 2000 },
	{ "microwave", 1000 },
	{ "cellular", 500 },
	{ "vsat-leo", 300 },
	{ "vsat-geo", 100 },  /* metered: SATRIA-class sites have about 1 Mbit/s */
};

int
budget_default_mb(const char *link)
{
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (link != NULL && strcmp(defaults[i].link, link) == 0)
			return defaults[i].mb;
	return 100;
}

static int64_t
day_of(int64_t now_ms)
{
	return now_ms >= 0 ? now_ms / DAY_MS : (now_ms - DAY_MS + 1) / DAY_MS;
}

static void
load(struct budget *b)
{
	char buf[64];
	long long day = 0, used = 0;
	pantau_err rc = durable_read(b->dir, BUDGET_FILE, buf, sizeof(buf));
	if (rc == PANTAU_ERR_NOT_FOUND)
		return;
	if (rc != PANTAU_OK || sscanf(buf, "%lld %lld", &day, &used) != 2 || used < 0) {
		log_warnx("agent: %s/%s is unreadable; the data budget starts at 0 used today",
		    b->dir, BUDGET_FILE);
		return;
	}
	if (day == b->day)
		b->used = used;
}

pantau_err
budget_new(const char *dir, int64_t limit_bytes, int64_t now_ms, struct budget **out)
{
	struct budget *b = calloc(1, sizeof(*b));
	*out = b;
	if (b == NULL)
		return PANTAU_ERR_NOMEM;
	b->limit = limit_bytes > 0 ? limit_bytes : 0;
	b->day = day_of(now_ms);
	if (dir != NULL) {
		snprintf(b->dir, sizeof(b->dir), "%s", dir);
		b->persist = true;
		load(b);
	}
	return PANTAU_OK;
}

void
budget_free(struct budget *b)
{
	free(b);
}

int64_t
budget_limit(const struct budget *b)
{
	return b->limit;
}

static void
roll(struct budget *b, int64_t now_ms)
{
	int64_t d = day_of(now_ms);
	if (d != b->day) {
		b->day = d;
		b->used = 0;
	}
}

int64_t
budget_used(struct budget *b, int64_t now_ms)
{
	roll(b, now_ms);
	return b->used;
}

int64_t
budget_left(struct budget *b, int64_t now_ms)
{
	roll(b, now_ms);
	return b->used < b->limit ? b->limit - b->used : 0;
}

pantau_err
budget_spend(struct budget *b, int64_t bytes, int64_t now_ms)
{
	char text[64];
	roll(b, now_ms);
	if (bytes > 0)
		b->used += bytes;
	if (!b->persist)
		return PANTAU_OK;
	snprintf(text, sizeof(text), "%lld %lld\n", (long long)b->day, (long long)b->used);
	return durable_write(b->dir, BUDGET_FILE, text);
}
