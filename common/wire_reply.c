/* Replies to commands (docs/protocol.md, "Gone reply"). */
#include <stdio.h>
#include <string.h>

#include "wire.h"
#include "wire_check.h"

char *
wire_gone_encode(const char *agent, const struct wire_gone *g, size_t *len)
{
	json_t *seqs = json_array();
	for (size_t i = 0; seqs != NULL && i < g->n; i++)
		if (json_array_append_new(seqs, json_pack("[I,I]", (json_int_t)g->seqs[i].from,
		        (json_int_t)g->seqs[i].to)) != 0) {
			json_decref(seqs);
			seqs = NULL;
		}
	if (seqs == NULL)
		return NULL;
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:o}", "v", WIRE_VERSION, "reply", "gone",
	    "agent", agent, "boot", (json_int_t)g->boot, "seqs", seqs);
	return o != NULL ? wire_dump(o, len) : NULL;
}

static bool
decode_range(const json_t *pair, size_t i, int64_t after, struct wire_gone *g,
    struct wire_error *err)
{
	const json_t *a = json_array_get(pair, 0), *b = json_array_get(pair, 1);
	if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_integer(a) ||
	    !json_is_integer(b))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "seqs[%zu]: expected [from, to], two "
		    "integers", i);
	int64_t from = json_integer_value(a), to = json_integer_value(b);
	if (from < 1 || to > WIRE_INT_MAX || from > to)
		return wire_fail(err, WIRE_REJ_BAD_NUMBER, "seqs[%zu]: [%lld, %lld] is not a range "
		    "of seqs 1 <= from <= to", i, (long long)from, (long long)to);
	if (from <= after || to - from >= WIRE_REPLAY_MAX)
		return wire_fail(err, WIRE_REJ_INCONSISTENT, "seqs[%zu]: ranges must ascend "
		    "without overlap, each at most %d seqs", i, WIRE_REPLAY_MAX);
	g->seqs[i].from = from;
	g->seqs[i].to = to;
	return true;
}

static bool
decode_gone(const json_t *root, const struct wire_topic *t, struct wire_gone *g,
    struct wire_error *err)
{
	const char *reply, *agent;
	int64_t v;
	if (!wire_get_int(root, "", "v", true, 0, WIRE_INT_MAX, &v, err))
		return false;
	if (v != WIRE_VERSION)
		return wire_fail(err, WIRE_REJ_UNKNOWN_VERSION, "v: version %lld is not supported "
		    "(this collector speaks %d)", (long long)v, WIRE_VERSION);
	if (!wire_get_str(root, "", "reply", true, 32, &reply, err) ||
	    !wire_get_str(root, "", "agent", true, WIRE_AGENT_MAX, &agent, err) ||
	    !wire_get_int(root, "", "boot", true, 0, WIRE_INT_MAX, &g->boot, err))
		return false;
	if (strcmp(reply, "gone") != 0)
		return wire_fail(err, WIRE_REJ_BAD_TEXT, "reply: \"%s\" is not a reply this "
		    "collector knows (gone)", reply);
	if (strcmp(agent, t->agent) != 0)
		return wire_fail(err, WIRE_REJ_AGENT_MISMATCH,
		    "agent: \"%s\" differs from \"%s\" in the topic", agent, t->agent);
	const json_t *seqs = json_object_get(root, "seqs");
	if (seqs == NULL)
		return wire_fail(err, WIRE_REJ_MISSING_FIELD, "seqs: required");
	if (!json_is_array(seqs))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "seqs: expected an array");
	if (json_array_size(seqs) > WIRE_GONE_MAX)
		return wire_fail(err, WIRE_REJ_TOO_MANY_RESULTS, "seqs: more than %d ranges",
		    WIRE_GONE_MAX);
	g->n = json_array_size(seqs);
	for (size_t i = 0; i < g->n; i++)
		if (!decode_range(json_array_get(seqs, i), i, i > 0 ? g->seqs[i - 1].to : 0, g, err))
			return false;
	return true;
}

enum wire_reason
wire_reply_decode(const struct wire_topic *t, const void *payload, size_t len,
    struct wire_gone *out, struct wire_error *err)
{
	memset(out, 0, sizeof(*out));
	json_t *root = wire_load_object(payload, len, err);
	if (root == NULL)
		return err->reason;
	bool ok = decode_gone(root, t, out, err);
	json_decref(root);
	return ok ? WIRE_ACCEPT : err->reason;
}
