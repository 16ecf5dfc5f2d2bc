/*
 * Text sparklines of the pantau CLI (docs/cli.md): a series of values in
 * time bins drawn with the eight block characters U+2581..U+2588, lowest
 * to highest between the series' own minimum and maximum. A bin with no
 * measurement is U+00B7 (middle dot), a bin whose measurements all lost
 * every packet is "x". Pure: the clock is given.
 */
#ifndef PANTAU_CLI_SPARK_H
#define PANTAU_CLI_SPARK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Bins of the last hour: 30 of 2 minutes. */
#define SPARK_BINS 30
#define SPARK_SPAN_MS (3600 * 1000LL)
/* Bytes of a drawn line: 3 per bin and a NUL. */
#define SPARK_MAX (SPARK_BINS * 3 + 1)

/* What a bin holds. */
enum spark_bin { SPARK_EMPTY, SPARK_VALUE, SPARK_LOST };

struct spark {
	enum spark_bin kind[SPARK_BINS];
	double v[SPARK_BINS];      /* worst (highest) value of the bin */
	double min, max;           /* over the bins with a value; NAN when none */
	int points;                /* points placed in a bin */
};

/* Put the points of one API series (GET /api/v1/sites/{agent} "series[]"
 * "points") measured in (now - SPARK_SPAN_MS, now] into bins by their
 * "ts", value from key (e.g. "rtt_p95_ms"); a point whose key is null and
 * whose "loss_pct" is 100 counts as lost. */
void spark_bin_points(const json_t *points, const char *key, int64_t now_ms, struct spark *s);

/* Draw the bins into buf (SPARK_MAX bytes). */
void spark_draw(const struct spark *s, char *buf, size_t len);

#endif
