#include "agent/probes/tput_rate.h"

/* Bytes per second between samples a < b. */
static double
rate(const int64_t *cum, const int64_t *t_ns, size_t a, size_t b)
{
	int64_t dt = t_ns[b] - t_ns[a];
	return dt > 0 ? (double)(cum[b] - cum[a]) * 1e9 / (double)dt : 0;
}

static size_t
find_warmup(const int64_t *cum, const int64_t *t_ns, size_t n, bool *stable)
{
	const size_t w = 1000 / TPUT_SAMPLE_MS;
	size_t cap = (n - 1) / 2;
	for (size_t k = 2 * w; k < n && k - w <= cap; k++) {
		double before = rate(cum, t_ns, k - 2 * w, k - w);
		double after = rate(cum, t_ns, k - w, k);
		if (after <= before * (1 + TPUT_STABLE_GROWTH)) {
			*stable = true;
			return k - w;
		}
	}
	*stable = false;
	return cap;
}

bool
tput_rate(const int64_t *cum, const int64_t *t_ns, size_t n, struct tput_window *out)
{
	out->warmup = 0;
	out->bytes = 0;
	out->secs = 0;
	out->mbps = 0;
	out->stable = false;
	if (n < 2)
		return false;
	out->warmup = find_warmup(cum, t_ns, n, &out->stable);
	out->bytes = cum[n - 1] - cum[out->warmup];
	out->secs = (double)(t_ns[n - 1] - t_ns[out->warmup]) / 1e9;
	if (out->secs > 0)
		out->mbps = (double)out->bytes * 8 / out->secs / 1e6;
	return true;
}
