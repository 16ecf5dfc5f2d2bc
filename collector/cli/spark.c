#include "spark.h"

#include <math.h>
#include <string.h>

#include "clock.h"

static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
	"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
#define NBLOCKS ((int)(sizeof(blocks) / sizeof(blocks[0])))
#define SPARK_DOT "\xc2\xb7"
#define SPARK_LOST_MARK "x"

static void
put_value(struct spark *s, int bin, double v)
{
	if (s->kind[bin] != SPARK_VALUE || v > s->v[bin])
		s->v[bin] = v;
	s->kind[bin] = SPARK_VALUE;
	if (isnan(s->min) || v < s->min)
		s->min = v;
	if (isnan(s->max) || v > s->max)
		s->max = v;
}

void
spark_bin_points(const json_t *points, const char *key, int64_t now_ms, struct spark *s)
{
	size_t i;
	const json_t *p;
	memset(s, 0, sizeof(*s));
	s->min = s->max = NAN;
	int64_t from = now_ms - SPARK_SPAN_MS, width = SPARK_SPAN_MS / SPARK_BINS;
	json_array_foreach(points, i, p) {
		int64_t t;
		const char *ts = json_string_value(json_object_get(p, "ts"));
		if (ts == NULL || clock_parse_iso(ts, &t) != PANTAU_OK || t <= from || t > now_ms)
			continue;
		int bin = (int)((t - from - 1) / width);
		const json_t *v = json_object_get(p, key);
		const json_t *loss = json_object_get(p, "loss_pct");
		if (json_is_number(v))
			put_value(s, bin, json_number_value(v));
		else if (json_is_number(loss) && json_number_value(loss) >= 100.0 &&
		    s->kind[bin] == SPARK_EMPTY)
			s->kind[bin] = SPARK_LOST;
		else
			continue;
		s->points++;
	}
}

void
spark_draw(const struct spark *s, char *buf, size_t len)
{
	size_t n = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < SPARK_BINS; i++) {
		const char *c = SPARK_DOT;
		if (s->kind[i] == SPARK_LOST) {
			c = SPARK_LOST_MARK;
		} else if (s->kind[i] == SPARK_VALUE) {
			double span = s->max - s->min;
			int level = span > 0 ? (int)floor((s->v[i] - s->min) / span * (NBLOCKS - 1) + 0.5) :
			                       0;
			c = blocks[level < 0 ? 0 : level >= NBLOCKS ? NBLOCKS - 1 : level];
		}
		size_t k = strlen(c);
		if (n + k + 1 > len)
			break;
		memcpy(buf + n, c, k + 1);
		n += k;
	}
}
