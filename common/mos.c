#include "mos.h"

#include <math.h>

double
mos_r_factor(double rtt_ms, double jitter_ms, double loss_pct)
{
	double rtt = rtt_ms > 0 && isfinite(rtt_ms) ? rtt_ms : 0;
	double jit = jitter_ms > 0 && isfinite(jitter_ms) ? jitter_ms : 0;
	double loss = loss_pct > 0 ? (loss_pct < 100 ? loss_pct : 100) : 0;
	double el = rtt + 2 * jit + 10;
	double r = el < 160 ? 93.2 - el / 40 : 93.2 - (el - 120) / 10;
	r -= 2.5 * loss;
	return r < 0 ? 0 : r > 100 ? 100 : r;
}

double
mos_estimate(double rtt_ms, double jitter_ms, double loss_pct)
{
	double r = mos_r_factor(rtt_ms, jitter_ms, loss_pct);
	return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}
