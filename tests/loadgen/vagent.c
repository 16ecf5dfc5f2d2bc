#include "vagent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Seeded boots are drawn from 1..VAGENT_BOOT_MAX. */
#define VAGENT_BOOT_MAX 1000

bool
vagent_prefix_valid(const char *prefix)
{
	size_t n = strlen(prefix);
	return n > 0 && n <= VAGENT_PREFIX_MAX && wire_agent_id_valid(prefix);
}

/* Fisher-Yates shuffle of the catalog's regency indexes. */
static size_t *
shuffled_regencies(const struct catalog *cat, struct rng *rng)
{
	size_t n = cat->nregencies;
	size_t *perm = malloc(n * sizeof(*perm));
	if (perm == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rng_below(rng, (uint64_t)i + 1);
		size_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	return perm;
}

static pantau_err
vagent_init(struct vagent *a, const struct catalog_regency *reg, size_t number,
    const struct vfleet_spec *spec, struct rng *rng)
{
	memset(a, 0, sizeof(*a));
	a->reg = reg;
	memcpy(a->regency, reg->code, sizeof(a->regency));
	int n = snprintf(a->id, sizeof(a->id), "%s-%.2s%.2s-%04zu", spec->prefix, reg->code,
	    reg->code + 3, number);
	if (n < 0 || (size_t)n >= sizeof(a->id))
		return PANTAU_ERR_TOO_BIG;
	pantau_err rc = wire_topic_result(a->topic, sizeof(a->topic), a->regency, a->id);
	if (rc != PANTAU_OK)
		return rc;
	a->link = profile_pick(rng);
	a->base_rtt_ms = profile_site_rtt(a->link, rng);
	a->boot = spec->seeded ? 1 + (int64_t)rng_below(rng, VAGENT_BOOT_MAX) : spec->boot_now;
	a->seq = 0;
	return PANTAU_OK;
}

pantau_err
vfleet_new(const struct catalog *cat, const struct vfleet_spec *spec, struct vagent **out,
    char *why, size_t whylen)
{
	struct rng rng;
	pantau_err rc = PANTAU_ERR_NOMEM;
	size_t *perm = NULL;
	struct vagent *a = NULL;
	*out = NULL;
	snprintf(why, whylen, "out of memory for %zu agents", spec->n);
	if (spec->seeded)
		rng_seed_with(&rng, spec->seed);
	else
		rng_seed(&rng);
	if ((perm = shuffled_regencies(cat, &rng)) == NULL ||
	    (a = calloc(spec->n, sizeof(*a))) == NULL)
		goto out;
	for (size_t i = 0; i < spec->n; i++) {
		const struct catalog_regency *reg = &cat->regencies[perm[i % cat->nregencies]];
		rc = vagent_init(&a[i], reg, i / cat->nregencies + 1, spec, &rng);
		if (rc != PANTAU_OK) {
			snprintf(why, whylen, "cannot make an agent id from prefix \"%s\" and "
			    "regency %s", spec->prefix, reg->code);
			goto out;
		}
	}
	*out = a;
	a = NULL;
	rc = PANTAU_OK;
out:
	free(perm);
	free(a);
	return rc;
}

char *
vagent_batch(const struct vagent *a, struct rng *rng, int64_t ts_ms, size_t *len,
    pantau_err *rc)
{
	return vagent_batch_seq(a, a->seq + 1, rng, ts_ms, len, rc);
}

char *
vagent_batch_seq(const struct vagent *a, int64_t seq, struct rng *rng, int64_t ts_ms,
    size_t *len, pantau_err *rc)
{
	json_t *results = profile_results(a->link, a->base_rtt_ms, rng);
	if (results == NULL) {
		*rc = PANTAU_ERR_NOMEM;
		return NULL;
	}
	struct wire_batch_hdr h = {
		.agent = a->id, .boot = a->boot, .seq = seq, .ts_ms = ts_ms,
		.outbox_pending = 0, .outbox_dropped = 0,
	};
	char *text = wire_batch_encode(&h, results, len, rc);
	json_decref(results);
	return text;
}

void
vagent_commit(struct vagent *a)
{
	a->seq++;
}

char *
vagent_birth(const struct vagent *a, int interval_s, int64_t ts_ms, char *topic,
    size_t topic_len, size_t *len)
{
	char ts[CLOCK_ISO_LEN], site[WIRE_TEXT_MAX];
	if (wire_topic_status(topic, topic_len, a->regency, a->id) != PANTAU_OK)
		return NULL;
	clock_format_iso(ts_ms, ts);
	snprintf(site, sizeof(site), "Simulated site %s, %s", a->id + strlen(a->id) - 4,
	    a->reg->name);
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s}", "v",
	    WIRE_VERSION, "state", "online", "agent", a->id, "boot", (json_int_t)a->boot, "ts", ts,
	    "site", site, "link", a->link->link, "region", a->regency, "interval", interval_s,
	    "version", PANTAU_VERSION "-loadgen");
	if (o == NULL)
		return NULL;
	char *text = json_dumps(o, WIRE_JSON_FLAGS);
	json_decref(o);
	if (text != NULL)
		*len = strlen(text);
	return text;
}
