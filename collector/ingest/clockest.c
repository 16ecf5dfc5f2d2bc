#include "clockest.h"

void
clockest_feed(struct clockest *c, int64_t mono_ms, int64_t recv_ms, bool prompt)
{
	int64_t d = recv_ms - mono_ms;
	if (prompt)
		c->anchored = true;
	if (!c->known) {
		c->known = true;
		c->offset_ms = d;
		c->at_mono_ms = mono_ms;
		return;
	}
	if (mono_ms > c->at_mono_ms) { /* age: the least may rise with drift */
		c->offset_ms += (mono_ms - c->at_mono_ms) * CLOCKEST_DRIFT_PPM / 1000000;
		c->at_mono_ms = mono_ms;
	}
	if (d < c->offset_ms)
		c->offset_ms = d;
}

int64_t
clockest_time(const struct clockest *c, int64_t mono_ms)
{
	return mono_ms + c->offset_ms;
}

bool
clockest_plausible(int64_t ts_ms, int64_t recv_ms)
{
	return ts_ms >= CLOCKEST_EARLIEST_MS && ts_ms <= recv_ms + CLOCKEST_AHEAD_MS;
}

static int64_t
absolute(int64_t v)
{
	return v < 0 ? -v : v;
}

void
clockest_judge(const struct clockest *c, int64_t ts_ms, int64_t mono_ms, int64_t recv_ms,
    struct clockest_time *out)
{
	bool plausible = clockest_plausible(ts_ms, recv_ms);
	*out = (struct clockest_time){ .ts_ms = ts_ms };
	if (c != NULL && c->known && (c->anchored || !plausible)) {
		int64_t est = clockest_time(c, mono_ms);
		out->skew_known = true;
		out->skew_ms = ts_ms - est;
		out->retimed = !plausible || absolute(out->skew_ms) > CLOCKEST_SKEW_MS;
		if (out->retimed)
			out->ts_ms = est;
		return;
	}
	if (!plausible) {
		out->reject = true;
		return;
	}
	if (ts_ms > recv_ms + CLOCKEST_SKEW_MS) {
		/* measured after its receipt: ahead by at least this much */
		*out = (struct clockest_time){ .retimed = true, .ts_ms = recv_ms, .skew_known = true,
			.skew_ms = ts_ms - recv_ms };
	}
}
