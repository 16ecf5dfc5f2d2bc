/*
 * Regional roll-ups (docs/status.md): a regency is AT RISK when at least
 * at_risk_share (25 %) of its sites are CRITICAL or OFFLINE, or when any
 * site of a 3T regency is; a province counts its regencies; the nation
 * counts its provinces. Every roll-up carries its reason in words. Pure.
 */
#ifndef PANTAU_ROLLUP_H
#define PANTAU_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitestate.h"

#define ROLLUP_REASON_MAX 320

struct rollup_site {
	const char *agent;
	enum site_status status;
	int64_t since_ms;         /* when it entered status */
	const char *reason;
};

struct regency_rollup {
	int known;
	int counts[SITE_STATUS_COUNT];
	enum site_status worst;   /* UNKNOWN when no site is known */
	bool at_risk;
	char reason[ROLLUP_REASON_MAX];
};

/* Roll the n sites of one regency up. */
void rollup_regency(const struct rollup_site *sites, size_t n, bool is_3t, double at_risk_share,
    int64_t now_ms, struct regency_rollup *out);

struct area_rollup {
	int regencies;            /* regencies with at least one site */
	int at_risk;
	int counts[SITE_STATUS_COUNT]; /* regencies by their worst site */
	int sites;
	int site_counts[SITE_STATUS_COUNT];
	enum site_status worst;
	char reason[ROLLUP_REASON_MAX];
};

/* Start an area (province or nation) roll-up. */
void rollup_area_init(struct area_rollup *a);
/* Add one regency's roll-up; name is used in the reason. */
void rollup_area_add(struct area_rollup *a, const struct regency_rollup *r, const char *name);
/* Write the reason once every regency is added. */
void rollup_area_finish(struct area_rollup *a);

#endif
