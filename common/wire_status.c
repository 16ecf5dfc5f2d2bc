#include <math.h>
#include <string.h>

#include "wire.h"
#include "wire_check.h"

static bool
decode_state(const json_t *root, struct wire_status *s, struct wire_error *err)
{
	const char *state;
	if (!wire_get_str(root, "", "state", true, 16, &state, err))
		return false;
	if (strcmp(state, "online") == 0)
		s->online = true;
	else if (strcmp(state, "offline") == 0)
		s->online = false;
	else
		return wire_fail(err, WIRE_REJ_BAD_TEXT,
		    "state: \"%s\" must be \"online\" or \"offline\"", state);
	return true;
}

static bool
decode_site(const json_t *root, struct wire_status *s, struct wire_error *err)
{
	if (!wire_get_str(root, "", "site", false, WIRE_TEXT_MAX, &s->site, err) ||
	    !wire_get_str(root, "", "link", false, 16, &s->link, err) ||
	    !wire_get_str(root, "", "version", false, 64, &s->version, err) ||
	    !wire_get_str(root, "", "reason", false, 64, &s->reason, err) ||
	    !wire_get_num(root, "", "lat", false, -90, 90, &s->lat, err) ||
	    !wire_get_num(root, "", "lon", false, -180, 180, &s->lon, err) ||
	    !wire_get_int(root, "", "interval", false, 1, 86400, &s->interval_s, err) ||
	    !wire_get_bool(root, "", "simulated", false, &s->simulated, err))
		return false;
	/* lat and lon are given together or not at all. */
	if (isnan(s->lat) != isnan(s->lon))
		return wire_fail(err, WIRE_REJ_MISSING_FIELD, "lat and lon must be given together");
	if (s->link != NULL && !wire_link_valid(s->link))
		return wire_fail(err, WIRE_REJ_BAD_TEXT,
		    "link: \"%s\" is not fiber, microwave, cellular, vsat-geo or vsat-leo", s->link);
	return true;
}

enum wire_reason
wire_status_decode(const struct wire_topic *t, const void *payload, size_t len,
    struct wire_status *out, struct wire_error *err)
{
	int64_t v;
	memset(out, 0, sizeof(*out));
	json_t *root = wire_load_object(payload, len, err);
	if (root == NULL)
		return err->reason;
	out->root = root;
	bool ok = wire_get_int(root, "", "v", false, 0, WIRE_INT_MAX, &v, err) &&
	    (v == -1 || v == WIRE_VERSION ||
	        wire_fail(err, WIRE_REJ_UNKNOWN_VERSION, "v: version %lld is not supported",
	            (long long)v)) &&
	    decode_state(root, out, err) &&
	    wire_get_str(root, "", "agent", false, WIRE_AGENT_MAX, &out->agent, err) &&
	    wire_get_int(root, "", "boot", false, 0, WIRE_INT_MAX, &out->boot, err) &&
	    wire_get_time(root, "", "ts", false, &out->ts_ms, err) &&
	    wire_get_int(root, "", "mono_ms", false, 0, WIRE_INT_MAX, &out->mono_ms, err) &&
	    decode_site(root, out, err);
	if (ok && out->agent != NULL && strcmp(out->agent, t->agent) != 0)
		ok = wire_fail(err, WIRE_REJ_AGENT_MISMATCH,
		    "agent: \"%s\" differs from \"%s\" in the topic", out->agent, t->agent);
	if (!ok) {
		wire_status_clear(out);
		return err->reason;
	}
	return WIRE_ACCEPT;
}

void
wire_status_clear(struct wire_status *s)
{
	json_decref(s->root);
	memset(s, 0, sizeof(*s));
}
