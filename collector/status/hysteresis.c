#include "hysteresis.h"

void
hyst_reset(struct hyst *h, enum site_status s)
{
	*h = (struct hyst){ .shown = s, .run = 0, .run_dir = 0, .run_to = s };
}

bool
hyst_feed(struct hyst *h, enum site_status v, const struct hyst_rules *r)
{
	int have = sitestate_rank(h->shown), got = sitestate_rank(v);
	int dir = got > have ? 1 : got < have ? -1 : 0;
	if (dir == 0) {
		h->run = 0;
		h->run_dir = 0;
		return false;
	}
	if (dir != h->run_dir) {
		h->run = 0;
		h->run_dir = dir;
		h->run_to = v;
	}
	h->run++;
	/* Worse: the mildest of the run; better: the worst of the run. */
	int to = sitestate_rank(h->run_to);
	if ((dir > 0 && got < to) || (dir < 0 && got > to))
		h->run_to = v;
	if (h->run < (dir > 0 ? r->enter : r->leave))
		return false;
	h->shown = h->run_to;
	h->run = 0;
	h->run_dir = 0;
	return true;
}
