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

/* Rough centre of each province (degrees), for simulated positions only. */
static const struct { const char code[3]; float lat, lon; } centres[] = {
	{ "11", 4.7f, 96.7f }, { "12", 2.1f, 99.5f }, { "13", -0.7f, 100.6f },
	{ "14", 0.5f, 101.8f }, { "15", -1.6f, 103.0f }, { "16", -3.3f, 104.2f },
	{ "17", -3.8f, 102.3f }, { "18", -4.9f, 105.0f }, { "19", -2.7f, 106.4f },
	{ "21", 1.0f, 104.5f }, { "31", -6.2f, 106.8f }, { "32", -6.9f, 107.6f },
	{ "33", -7.2f, 110.1f }, { "34", -7.8f, 110.4f }, { "35", -7.5f, 112.5f },
	{ "36", -6.4f, 106.1f }, { "51", -8.4f, 115.2f }, { "52", -8.6f, 117.4f },
	{ "53", -8.7f, 121.1f }, { "61", -0.1f, 111.1f }, { "62", -1.7f, 113.4f },
	{ "63", -3.1f, 115.3f }, { "64", 0.5f, 116.4f }, { "65", 3.1f, 116.0f },
	{ "71", 0.9f, 124.3f }, { "72", -1.4f, 121.4f }, { "73", -3.7f, 120.0f },
	{ "74", -4.1f, 122.2f }, { "75", 0.7f, 122.4f }, { "76", -2.8f, 119.2f },
	{ "81", -3.2f, 129.0f }, { "82", 1.6f, 127.8f }, { "91", -2.5f, 140.0f },
	{ "92", -1.3f, 133.2f }, { "93", -7.0f, 139.5f }, { "94", -3.6f, 136.5f },
	{ "95", -4.1f, 138.9f }, { "96", -1.0f, 131.5f },
};

/* Within 0.6 degrees of its province's centre. */
static void
place(struct vagent *a, struct rng *rng)
{
	a->lat = a->lon = -1000;
	for (size_t i = 0; i < sizeof(centres) / sizeof(centres[0]); i++)
		if (strncmp(centres[i].code, a->regency, 2) == 0) {
			a->lat = centres[i].lat + 1.2 * (profile_uniform(rng) - 0.5);
			a->lon = centres[i].lon + 1.2 * (profile_uniform(rng) - 0.5);
		}
}

/* The demo's picture: Jayawijaya (95.01, 3T) at risk, 8 % of the other
 * sites degraded and 1 % offline, none of those in another 3T regency (so
 * Jayawijaya is the one 3T regency at risk). */
static enum vcond
demo_cond(const struct vagent *a, struct rng *rng)
{
	if (strcmp(a->regency, "95.01") == 0)
		return VC_CRITICAL;
	double u = profile_uniform(rng);
	if (u < 0.01)
		return catalog_regency_3t(a->reg) ? VC_DEGRADED : VC_OFFLINE;
	return u < 0.09 ? VC_DEGRADED : VC_NORMAL;
}

/* Demo fleets start with Jayawijaya, so even a small one shows it. */
static void
demo_first(const struct catalog *cat, size_t *perm)
{
	for (size_t i = 0; i < cat->nregencies; i++)
		if (strcmp(cat->regencies[perm[i]].code, "95.01") == 0) {
			size_t t = perm[0];
			perm[0] = perm[i];
			perm[i] = t;
		}
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
	place(a, rng);
	if (spec->demo)
		a->cond = demo_cond(a, rng);
	a->throughput = spec->demo;
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
	if (spec->demo)
		demo_first(cat, perm);
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
	json_t *results = profile_results(a->link, a->base_rtt_ms, (int)a->cond, rng);
	if (results != NULL && a->throughput && seq % VAGENT_THROUGHPUT_EVERY == 1 &&
	    json_array_append_new(results, profile_throughput(a->link, rng)) != 0) {
		json_decref(results);
		results = NULL;
	}
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
	bool will = a->cond == VC_OFFLINE;
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:b}", "v",
	    WIRE_VERSION, "state", will ? "offline" : "online", "agent", a->id, "boot",
	    (json_int_t)a->boot, "ts", ts, "site", site, "link", a->link->link, "region",
	    a->regency, "interval", interval_s, "version", PANTAU_VERSION "-loadgen", "simulated",
	    1);
	if (o == NULL)
		return NULL;
	if (will)
		json_object_set_new(o, "reason", json_string("lost"));
	if (a->lat > -1000) {
		wire_set_num(o, "lat", a->lat);
		wire_set_num(o, "lon", a->lon);
	}
	char *text = json_dumps(o, WIRE_JSON_FLAGS);
	json_decref(o);
	if (text != NULL)
		*len = strlen(text);
	return text;
}
