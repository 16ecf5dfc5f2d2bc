#include "statusmsg.h"

#include <math.h>

#include "clock.h"

char *
statusmsg_payload(const struct agent_config *c, int64_t boot, int period_s, bool online,
    const char *reason)
{
	char ts[CLOCK_ISO_LEN];
	clock_format_iso(clock_real_ms(), ts);
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s}", "v", WIRE_VERSION, "state",
	    online ? "online" : "offline", "agent", c->id, "boot", (json_int_t)boot, "ts", ts);
	if (o == NULL)
		return NULL;
	if (online) {
		json_object_set_new(o, "site", json_string(c->site));
		json_object_set_new(o, "link", json_string(wire_link_names[c->link]));
		json_object_set_new(o, "region", json_string(c->region));
		json_object_set_new(o, "interval", json_integer(period_s));
		json_object_set_new(o, "version", json_string(PANTAU_VERSION));
		/* sent at once after CONNACK: the collector's first prompt figure for
		 * this boot's clock offset (docs/protocol.md) */
		json_object_set_new(o, "mono_ms", json_integer((json_int_t)clock_boot_ms()));
		if (!isnan(c->lat)) {
			wire_set_num(o, "lat", c->lat);
			wire_set_num(o, "lon", c->lon);
		}
	} else {
		json_object_del(o, "ts"); /* a last will is sent later: its time is the receipt */
		json_object_set_new(o, "reason", json_string(reason));
	}
	char *text = json_dumps(o, WIRE_JSON_FLAGS);
	json_decref(o);
	return text;
}
