#include "pace.h"

#include <math.h>

void
pace_init(struct pace *p, double rate, double burst, int64_t now_ms)
{
	p->rate = rate;
	p->burst = burst > rate ? burst : rate;
	p->tokens = p->burst;
	p->last_ms = now_ms;
}

static void
refill(struct pace *p, int64_t now_ms)
{
	if (now_ms > p->last_ms) {
		p->tokens += p->rate * (double)(now_ms - p->last_ms) / 1000.0;
		if (p->tokens > p->burst)
			p->tokens = p->burst;
	}
	p->last_ms = now_ms;
}

bool
pace_take(struct pace *p, double n, int64_t now_ms)
{
	refill(p, now_ms);
	if (p->tokens < 0)
		return false;
	p->tokens -= n;
	return true;
}

uint64_t
pace_wait_ms(struct pace *p, int64_t now_ms)
{
	refill(p, now_ms);
	if (p->tokens >= 0)
		return 0;
	double ms = ceil(-p->tokens * 1000.0 / p->rate);
	return ms < 1 ? 1 : (uint64_t)ms;
}
