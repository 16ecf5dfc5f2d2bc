#include "engine_reload.h"

#include "engine_priv.h"

void
engine_reconfigure(struct engine *e, const struct engine_opts *o, const struct profiles *prof)
{
	struct engine_opts keep = e->o;
	e->o = *o;
	e->o.window_s = keep.window_s;
	e->o.offline_intervals = keep.offline_intervals;
	e->o.default_interval_s = keep.default_interval_s;
	e->prof = prof;
	for (size_t i = 0; i < e->nsites; i++)
		sitetable_thresholds(e, e->sites[i]);
}
