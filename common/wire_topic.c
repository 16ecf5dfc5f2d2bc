#include <stdio.h>
#include <string.h>

#include "wire.h"
#include "wire_check.h"

const char *const wire_link_names[] = {
	"fiber", "microwave", "cellular", "vsat-geo", "vsat-leo", NULL
};

bool
wire_link_valid(const char *name)
{
	for (size_t i = 0; wire_link_names[i] != NULL; i++)
		if (strcmp(name, wire_link_names[i]) == 0)
			return true;
	return false;
}

const char *
wire_reason_name(enum wire_reason r)
{
	static const char *const names[WIRE_REASON_COUNT] = {
		[WIRE_ACCEPT] = "accepted",
		[WIRE_REJ_TOO_LARGE] = "too_large",
		[WIRE_REJ_BAD_TOPIC] = "bad_topic",
		[WIRE_REJ_NOT_JSON] = "not_json",
		[WIRE_REJ_NOT_OBJECT] = "not_object",
		[WIRE_REJ_UNKNOWN_VERSION] = "unknown_version",
		[WIRE_REJ_MISSING_FIELD] = "missing_field",
		[WIRE_REJ_WRONG_TYPE] = "wrong_type",
		[WIRE_REJ_BAD_NUMBER] = "bad_number",
		[WIRE_REJ_LOSS_RANGE] = "loss_out_of_range",
		[WIRE_REJ_INCONSISTENT] = "inconsistent",
		[WIRE_REJ_BAD_TEXT] = "bad_text",
		[WIRE_REJ_BAD_TIMESTAMP] = "bad_timestamp",
		[WIRE_REJ_TOO_MANY_RESULTS] = "too_many_results",
		[WIRE_REJ_AGENT_MISMATCH] = "agent_mismatch",
		[WIRE_REJ_UNKNOWN_REGION] = "unknown_region",
		[WIRE_REJ_TOO_MANY_AGENTS] = "too_many_agents",
	};
	if ((unsigned)r >= WIRE_REASON_COUNT)
		return "unknown";
	return names[r];
}

bool
wire_agent_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > WIRE_AGENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok)
			return false;
	}
	return true;
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
wire_regency_code_valid(const char *code)
{
	return strlen(code) == 5 && digits(code, 2) && code[2] == '.' && digits(code + 3, 2);
}

static pantau_err
topic_site(char *buf, size_t len, const char *regency, const char *agent, const char *leaf)
{
	if (!wire_regency_code_valid(regency) || !wire_agent_id_valid(agent))
		return PANTAU_ERR_INVAL;
	int n = snprintf(buf, len, "pantau/v1/%.2s/%.2s%.2s/%s/%s", regency, regency,
	    regency + 3, agent, leaf);
	return n < 0 || (size_t)n >= len ? PANTAU_ERR_TOO_BIG : PANTAU_OK;
}

#define TOPIC_SITE_FN(leaf) \
	pantau_err wire_topic_##leaf(char *buf, size_t len, const char *regency, const char *agent) \
	{ \
		return topic_site(buf, len, regency, agent, #leaf); \
	}
WIRE_SITE_LEAVES(TOPIC_SITE_FN)
#undef TOPIC_SITE_FN

pantau_err
wire_topic_cmd(char *buf, size_t len, const char *agent)
{
	if (!wire_agent_id_valid(agent))
		return PANTAU_ERR_INVAL;
	int n = snprintf(buf, len, "pantau/v1/cmd/%s", agent);
	return n < 0 || (size_t)n >= len ? PANTAU_ERR_TOO_BIG : PANTAU_OK;
}

/* Split topic into at most max levels in place; returns the level count. */
static size_t
split_levels(char *t, char **lv, size_t max)
{
	size_t n = 0;
	char *p = t;
	while (n < max) {
		lv[n++] = p;
		char *slash = strchr(p, '/');
		if (slash == NULL)
			return n;
		*slash = '\0';
		p = slash + 1;
	}
	return max + 1; /* too many levels */
}

static bool
parse_site_topic(char **lv, size_t n, struct wire_topic *out, struct wire_error *err)
{
	if (n != 6 || strlen(lv[2]) != 2 || !digits(lv[2], 2) || strlen(lv[3]) != 4 ||
	    !digits(lv[3], 4) || strncmp(lv[2], lv[3], 2) != 0)
		return wire_fail(err, WIRE_REJ_BAD_TOPIC,
		    "topic must be pantau/v1/PP/RRRR/AGENT/result with RRRR starting with PP");
	if (!wire_agent_id_valid(lv[4]))
		return wire_fail(err, WIRE_REJ_BAD_TOPIC,
		    "agent id in the topic must be 1-%d characters of A-Z a-z 0-9 - _",
		    WIRE_AGENT_MAX);
	if (strcmp(lv[5], "result") == 0)
		out->kind = WIRE_TOPIC_RESULT;
	else if (strcmp(lv[5], "status") == 0)
		out->kind = WIRE_TOPIC_STATUS;
	else if (strcmp(lv[5], "check") == 0)
		out->kind = WIRE_TOPIC_CHECK;
	else if (strcmp(lv[5], "reply") == 0)
		out->kind = WIRE_TOPIC_REPLY;
	else
		return wire_fail(err, WIRE_REJ_BAD_TOPIC, "unknown topic leaf \"%s\"", lv[5]);
	memcpy(out->province, lv[2], 3);
	snprintf(out->regency, sizeof(out->regency), "%.2s.%.2s", lv[3], lv[3] + 2);
	snprintf(out->agent, sizeof(out->agent), "%s", lv[4]);
	return true;
}

bool
wire_topic_parse(const char *topic, struct wire_topic *out, struct wire_error *err)
{
	char t[WIRE_TOPIC_MAX + 1];
	char *lv[7];
	memset(out, 0, sizeof(*out));
	if (strlen(topic) > WIRE_TOPIC_MAX)
		return wire_fail(err, WIRE_REJ_BAD_TOPIC, "topic longer than %d", WIRE_TOPIC_MAX);
	snprintf(t, sizeof(t), "%s", topic);
	size_t n = split_levels(t, lv, 6);
	if (n < 3 || strcmp(lv[0], "pantau") != 0 || strcmp(lv[1], "v1") != 0)
		return wire_fail(err, WIRE_REJ_BAD_TOPIC, "not a pantau/v1 topic");
	if (n == 3 && strcmp(lv[2], "mode") == 0) {
		out->kind = WIRE_TOPIC_MODE;
		return true;
	}
	if (n == 4 && strcmp(lv[2], "cmd") == 0) {
		if (!wire_agent_id_valid(lv[3]))
			return wire_fail(err, WIRE_REJ_BAD_TOPIC, "bad agent id in cmd topic");
		out->kind = WIRE_TOPIC_CMD;
		snprintf(out->agent, sizeof(out->agent), "%s", lv[3]);
		return true;
	}
	return parse_site_topic(lv, n, out, err);
}
