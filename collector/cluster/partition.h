/*
 * Which partition a site belongs to in a cluster of collectors
 * (docs/scaling.md, "Partitioned collectors"): a hash (FNV-1a) of its
 * regency's four digits, modulo [cluster] partitions. A regency is the
 * largest area an alert rule judges (PantauRegencyAtRisk), so each one
 * stays whole on one owner. The agents' topics carry the regency
 * (pantau/v1/PP/RRRR/AGENT/...), so a partition's subscription is one
 * filter per regency of it, pantau/v1/PP/RRRR/#, and the agents change
 * nothing.
 */
#ifndef PANTAU_PARTITION_H
#define PANTAU_PARTITION_H

#include <stddef.h>

#include "err.h"

/* The partition (0..n-1) of a regency code, "32.73" or "3273"; 0 when n <= 1. */
int partition_of(const char *regency, int n);

/* The topic filter of a regency's sites, "pantau/v1/32/3273/#". */
pantau_err partition_filter(char *buf, size_t len, const char *regency);

#endif
