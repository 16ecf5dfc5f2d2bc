/*
 * Grouping bad sites behind a shared hop (docs/incidents.md). Pure: the
 * caller gives each site's status and latest paths.
 *
 * A site is behind a hop when one of its latest paths has that hop's
 * address (or, with prefix_len, an IPv4 address in that prefix). Silent
 * hops match nothing. Bad is DEGRADED, CRITICAL or OFFLINE; UNKNOWN sites
 * and sites without a path take no part (a bad site with no path is never
 * guessed into a group).
 *
 * Groups are chosen one at a time: of the hops behind which at least
 * min_sites bad sites not yet in a group stand and whose confidence is at
 * least min_confidence, the deepest (the fewest sites behind it: the hop
 * nearest the sites, since what is further is "beyond"); on a tie the one
 * explaining the most bad sites, an address before its prefix, the lower
 * TTL, then the text. Its bad sites then leave the pool and the next group
 * is chosen. Confidence = bad sites behind the hop / all sites behind it
 * that are bad or OK: sites behind it that are OK lower it.
 */
#ifndef PANTAU_PATHGROUP_H
#define PANTAU_PATHGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/status/sitestate.h"
#include "sitepath.h"

/* "10.20.0.1" or "10.20.0.0/24". */
#define PG_HOP_MAX (PATH_ADDR_MAX + 4)

struct pg_site {
	const char *agent;
	enum site_status status;
	const struct path_route *routes;  /* latest per target; NULL: no path known */
	size_t nroutes;
};

struct pg_rules {
	int min_sites;                    /* 2 */
	double min_confidence;            /* 0.5 */
	int prefix_len;                   /* IPv4 prefixes of this length too; 0: off */
};

struct pg_group {
	char hop[PG_HOP_MAX];
	bool prefix;
	int ttl;                          /* the lowest TTL a site sees it at */
	size_t *bad;                      /* indexes into the sites given: this group's */
	size_t nbad;
	size_t nbad_behind;               /* every bad site behind it (others' groups too) */
	size_t nok;                       /* OK sites behind it */
	double confidence;
	bool localised;                   /* false: every site with a path is bad and
	                                   * behind it: the paths do not show where it starts */
};

/* The groups (*out, *n; release with pathgroup_free). */
pantau_err pathgroup_find(const struct pg_site *sites, size_t n, const struct pg_rules *r,
    struct pg_group **out, size_t *ngroups);
void pathgroup_free(struct pg_group *g, size_t n);

/* Is s bad (DEGRADED, CRITICAL, OFFLINE)? */
bool pathgroup_bad(enum site_status s);

/* The prefix key of addr ("10.20.0.0/24"); false when addr is not IPv4. */
bool pathgroup_prefix(const char *addr, int len, char *buf, size_t size);

#endif
