#include "sink.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

bool
sink_pending(const struct sink_req *r, const struct alert *al)
{
	return alert_told(al, r->sink) != al->version;
}

bool
sink_take(struct sink_req *r, const struct alert *al)
{
	if (r->nsent >= SINK_SENT_MAX)
		return false;
	snprintf(r->sent[r->nsent].key, sizeof(r->sent[0].key), "%s", al->key);
	r->sent[r->nsent++].version = al->version;
	return true;
}

const struct alert *
sink_take_regency(struct sink_req *r, sink_each_fn each, void *ctx)
{
	size_t na;
	const struct alert *v = alerts_list(r->alerts, &na), *first = NULL;
	for (size_t i = 0; i < na; i++) {
		if (!sink_pending(r, &v[i]) ||
		    (first != NULL && strcmp(v[i].regency, first->regency) != 0) ||
		    !sink_take(r, &v[i]))
			continue;
		if (first == NULL)
			first = &v[i];
		each(ctx, &v[i]);
	}
	return first;
}

const char *
sink_iso(int64_t ms, char *buf)
{
	clock_format_iso(ms, buf);
	return buf;
}

bool
sink_check_url(const char *v, char *why, size_t len)
{
	if (v[0] == '\0' || strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
		return true;
	snprintf(why, len, "use an http:// or https:// URL, e.g. http://127.0.0.1:9093");
	return false;
}
