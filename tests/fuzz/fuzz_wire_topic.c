/* MQTT topic names (common/wire_topic.c): any topic a broker delivers on
 * pantau/v1/#. A topic that parses is built again from its parts and must
 * come out the same. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

static void
round_trip(const char *topic, const struct wire_topic *t)
{
	char again[WIRE_TOPIC_MAX + 1];
	pantau_err rc;
	switch (t->kind) {
	case WIRE_TOPIC_RESULT: rc = wire_topic_result(again, sizeof(again), t->regency, t->agent); break;
	case WIRE_TOPIC_STATUS: rc = wire_topic_status(again, sizeof(again), t->regency, t->agent); break;
	case WIRE_TOPIC_CHECK: rc = wire_topic_check(again, sizeof(again), t->regency, t->agent); break;
	case WIRE_TOPIC_REPLY: rc = wire_topic_reply(again, sizeof(again), t->regency, t->agent); break;
	case WIRE_TOPIC_CMD: rc = wire_topic_cmd(again, sizeof(again), t->agent); break;
	case WIRE_TOPIC_MODE: return;
	default: abort();
	}
	if (rc != PANTAU_OK || strcmp(again, topic) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_topic t;
	struct wire_error err = { 0 };
	char *topic = fuzz_cstr(data, size);
	if (topic == NULL)
		return 0;
	if (wire_topic_parse(topic, &t, &err)) {
		if (err.reason != WIRE_ACCEPT)
			abort();
		round_trip(topic, &t);
	} else if (err.reason != WIRE_REJ_BAD_TOPIC || strlen(err.detail) == 0) {
		abort();
	}
	wire_agent_id_valid(topic);
	wire_regency_code_valid(topic);
	wire_link_valid(topic);
	free(topic);
	return 0;
}
