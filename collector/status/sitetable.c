/* The status engine's site table: sites by agent id in an open-addressing
 * hash (FNV-1a, linear probing), created on first sight. */
#include "engine_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t *
slot_of(const struct engine *e, const char *agent)
{
	size_t i = hash(agent) & (e->nslots - 1);
	while (e->slots[i] != 0 && strcmp(e->sites[e->slots[i] - 1]->agent, agent) != 0)
		i = (i + 1) & (e->nslots - 1);
	return &e->slots[i];
}

struct esite *
sitetable_find(const struct engine *e, const char *agent)
{
	size_t *s = slot_of(e, agent);
	return *s != 0 ? e->sites[*s - 1] : NULL;
}

static bool
grow(struct engine *e)
{
	size_t n = e->nslots * 2;
	size_t *slots = calloc(n, sizeof(*slots));
	struct esite **sites = realloc(e->sites, n / 2 * sizeof(*sites));
	if (slots == NULL || sites == NULL) {
		free(slots);
		if (sites != NULL)
			e->sites = sites;
		return false;
	}
	e->sites = sites;
	e->capsites = n / 2;
	free(e->slots);
	e->slots = slots;
	e->nslots = n;
	for (size_t i = 0; i < e->nsites; i++)
		*slot_of(e, e->sites[i]->agent) = i + 1;
	return true;
}

int
sitetable_regency_index(const struct engine *e, const char *code)
{
	const struct catalog_regency *r = catalog_regency(e->cat, code);
	return r != NULL ? (int)(r - e->cat->regencies) : -1;
}

void
sitetable_thresholds(struct engine *e, struct esite *s)
{
	const char *link = profiles_site_link(e->prof, s->agent);
	if (link != NULL)
		snprintf(s->link, sizeof(s->link), "%s", link);
	profiles_thresholds(e->prof, s->agent, s->link[0] != '\0' ? s->link : NULL, &s->th);
}

static struct esite *
add_site(struct engine *e, const char *agent, const char *regency)
{
	int reg = sitetable_regency_index(e, regency);
	if (reg < 0 || strlen(agent) > WIRE_AGENT_MAX)
		return NULL;
	if (e->nsites == e->capsites && !grow(e))
		return NULL;
	struct esite *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	snprintf(s->agent, sizeof(s->agent), "%s", agent);
	s->regency = reg;
	s->interval_s = s->last_result_ms = s->boot = s->status_ms = -1;
	s->online = -1;
	s->grace_from_ms = e->listening_ms;
	s->shown = SITE_UNKNOWN;
	s->since_ms = e->listening_ms;
	snprintf(s->reason, sizeof(s->reason), "no result received yet");
	hyst_reset(&s->hyst, SITE_OK);
	s->base = (struct baseline){ .rtt_p95_ms = NAN, .loss_pct = NAN };
	s->base_first_ms = s->base_last_ms = -1;
	sitetable_thresholds(e, s);
	e->sites[e->nsites++] = s;
	*slot_of(e, agent) = e->nsites;
	return s;
}

struct esite *
sitetable_site_for(struct engine *e, const char *agent, const char *regency)
{
	struct esite *s = sitetable_find(e, agent);
	if (s == NULL)
		return add_site(e, agent, regency);
	int reg = sitetable_regency_index(e, regency);
	if (reg >= 0)
		s->regency = reg;
	return s;
}

bool
engine_admits(const struct engine *e, const char *agent, size_t max)
{
	return e->nsites < max || sitetable_find(e, agent) != NULL;
}
