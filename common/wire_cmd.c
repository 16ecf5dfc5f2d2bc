#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "wire_check.h"

char *
wire_replay_encode(const struct wire_replay *r, size_t *len)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "cmd", "replay", "boot",
	    (json_int_t)r->boot, "from_seq", (json_int_t)r->from_seq, "to_seq",
	    (json_int_t)r->to_seq);
	return o != NULL ? wire_dump(o, len) : NULL;
}


static bool
decode_replay(const json_t *root, struct wire_replay *r, struct wire_error *err)
{
	if (!wire_get_int(root, "", "boot", true, 0, WIRE_INT_MAX, &r->boot, err) ||
	    !wire_get_int(root, "", "from_seq", true, 1, WIRE_INT_MAX, &r->from_seq, err) ||
	    !wire_get_int(root, "", "to_seq", false, 1, WIRE_INT_MAX, &r->to_seq, err))
		return false;
	if (r->to_seq < 0)
		r->to_seq = r->from_seq;
	if (r->to_seq < r->from_seq)
		return wire_fail(err, WIRE_REJ_INCONSISTENT, "to_seq %lld is below from_seq %lld",
		    (long long)r->to_seq, (long long)r->from_seq);
	if (r->to_seq - r->from_seq >= WIRE_REPLAY_MAX)
		return wire_fail(err, WIRE_REJ_INCONSISTENT, "replay of more than %d seqs at once",
		    WIRE_REPLAY_MAX);
	return true;
}

enum wire_reason
wire_cmd_decode(const void *payload, size_t len, struct wire_replay *out,
    struct wire_error *err)
{
	const char *cmd;
	json_t *root = wire_load_object(payload, len, err);
	if (root == NULL)
		return err->reason;
	bool ok = wire_get_str(root, "", "cmd", true, 32, &cmd, err);
	if (ok && strcmp(cmd, "replay") != 0)
		ok = wire_fail(err, WIRE_REJ_BAD_TEXT, "cmd: \"%s\" is not a command this agent "
		    "knows (replay)", cmd);
	if (ok)
		ok = decode_replay(root, out, err);
	json_decref(root);
	return ok ? WIRE_ACCEPT : err->reason;
}
