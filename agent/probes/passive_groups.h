/*
 * The passive probe's destination groups (docs/probes.md, "passive"): the
 * `groups` key, e.g.
 *
 *   groups = tally 198.18.5.0/24:443 198.18.6.7:443, portal 203.0.113.0/24
 *
 * (groups apart by commas; in each, a name and up to PG_DESTS prefixes, each
 * with an optional port; IPv6 as [2001:db8::/32]:443), the `local` key (the
 * site's own prefixes), which end of a packet is the site's and which group
 * the far end is in, and the BPF filter compiled from them.
 */
#ifndef PANTAU_PASSIVE_GROUPS_H
#define PANTAU_PASSIVE_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/probes/passive_decode.h"

#define PG_GROUPS 8          /* configured groups; "other" comes after them */
#define PG_DESTS 8           /* prefixes in one group */
#define PG_LOCAL 8           /* prefixes in local */
#define PG_NAME_MAX 32
#define PG_FILTER_MAX 2048

struct pg_prefix {
	uint8_t family;          /* 4 or 6 */
	uint8_t len;             /* prefix length */
	uint16_t port;           /* 0: any */
	uint8_t addr[16];
};

struct pg_group {
	char name[PG_NAME_MAX + 1];
	struct pg_prefix dest[PG_DESTS];
	int ndest;
};

struct pg_config {
	struct pg_group group[PG_GROUPS];
	int ngroups;
	struct pg_prefix local[PG_LOCAL];
	int nlocal;
};

/* Parse the groups key's text into c (ngroups set); false with why. */
bool pg_parse_groups(const char *text, struct pg_config *c, char *why, size_t len);
/* Parse local's text (prefixes apart by commas or spaces, no ports). */
bool pg_parse_local(const char *text, struct pg_config *c, char *why, size_t len);
/* Add one local address (the interface's own), as a host prefix. */
void pg_add_local(struct pg_config *c, int family, const uint8_t *addr);

/* cfg_check_fn of the two keys. */
bool pg_groups_check(const char *v, char *why, size_t len);
bool pg_local_check(const char *v, char *why, size_t len);

/* Which end of p is the site's (*from_site) and the far end's group:
 * 0..ngroups-1, or ngroups for "other". */
int pg_classify(const struct pg_config *c, const struct pd_packet *p, bool *from_site);

/* The capture filter: TCP and DNS over UDP; with other false only the
 * groups' destinations. vlan: the link is Ethernet (tagged frames too).
 * False when it does not fit in len. */
bool pg_filter(const struct pg_config *c, bool other, bool vlan, char *buf, size_t len);

#endif
