/*
 * Wire contract v1 (docs/protocol.md): MQTT topic names, result batches and
 * status (birth / last will) messages. The agent encodes, the collector
 * decodes and validates; both sides use this one module.
 */
#ifndef PANTAU_WIRE_H
#define PANTAU_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "resultkind.h"

#define WIRE_VERSION 1
#define WIRE_MAX_PAYLOAD (64 * 1024)   /* bytes of one message */
#define WIRE_MAX_RESULTS 256           /* results in one batch */
#define WIRE_AGENT_MAX 64              /* characters of an agent id */
#define WIRE_TARGET_MAX 512            /* characters of a probe target */
#define WIRE_TEXT_MAX 512              /* characters of an error or site name */
#define WIRE_TOPIC_MAX 160
#define WIRE_INT_MAX 9007199254740991LL /* 2^53 - 1: exact in JSON numbers */

/* Why a message was rejected. Names are stable: they key the counters. */
enum wire_reason {
	WIRE_ACCEPT = 0,
	WIRE_REJ_TOO_LARGE,
	WIRE_REJ_BAD_TOPIC,
	WIRE_REJ_NOT_JSON,
	WIRE_REJ_NOT_OBJECT,
	WIRE_REJ_UNKNOWN_VERSION,
	WIRE_REJ_MISSING_FIELD,
	WIRE_REJ_WRONG_TYPE,
	WIRE_REJ_BAD_NUMBER,
	WIRE_REJ_LOSS_RANGE,
	WIRE_REJ_INCONSISTENT,
	WIRE_REJ_BAD_TEXT,
	WIRE_REJ_BAD_TIMESTAMP,
	WIRE_REJ_TOO_MANY_RESULTS,
	WIRE_REJ_AGENT_MISMATCH,
	WIRE_REJ_UNKNOWN_REGION,
	WIRE_REJ_TOO_MANY_AGENTS,  /* a new agent beyond [collector] max_agents */
	WIRE_REASON_COUNT
};

/* Stable snake_case name of a reason ("loss_out_of_range"). */
const char *wire_reason_name(enum wire_reason r);

/* A rejection: the reason and a sentence saying which field and why. */
struct wire_error {
	enum wire_reason reason;
	char detail[256];
};

/* ---- Topics: pantau/v1/PP/RRRR/AGENT/{result,status}, pantau/v1/cmd/AGENT,
 * pantau/v1/mode ---- */

enum wire_topic_kind {
	WIRE_TOPIC_RESULT,
	WIRE_TOPIC_STATUS,
	WIRE_TOPIC_CMD,
	WIRE_TOPIC_MODE,
	WIRE_TOPIC_CHECK,   /* pantau/v1/PP/RRRR/AGENT/check: `pantau-agent check` test */
	WIRE_TOPIC_REPLY,   /* pantau/v1/PP/RRRR/AGENT/reply: an agent's reply to a command */
};

struct wire_topic {
	enum wire_topic_kind kind;
	char province[3];   /* "32" (result, status) */
	char regency[6];    /* "32.73" (result, status) */
	char agent[WIRE_AGENT_MAX + 1];
};

/* True when id is 1..64 characters of [A-Za-z0-9_-]. */
bool wire_agent_id_valid(const char *id);
/* True when code is a regency code "PP.RR" (digits). */
bool wire_regency_code_valid(const char *code);

/* Build a topic; PANTAU_ERR_INVAL for a bad agent id or regency code. */
/* The leaves below a site, pantau/v1/PP/PPRR/AGENT/LEAF: each gets a builder
 * wire_topic_LEAF(buf, len, regency, agent). */
#define WIRE_SITE_LEAVES(X) X(result) X(status) X(check) X(reply)
#define WIRE_TOPIC_SITE_DECL(leaf) \
	pantau_err wire_topic_##leaf(char *buf, size_t len, const char *regency, const char *agent);
WIRE_SITE_LEAVES(WIRE_TOPIC_SITE_DECL)
#undef WIRE_TOPIC_SITE_DECL
pantau_err wire_topic_cmd(char *buf, size_t len, const char *agent);
#define WIRE_TOPIC_MODE_NAME "pantau/v1/mode"
#define WIRE_TOPIC_ALL "pantau/v1/#"
/* What the collector reads, by kind (it subscribes to these, not to ALL,
 * unless [broker] split_status is false). */
#define WIRE_TOPIC_RESULTS "pantau/v1/+/+/+/result"
#define WIRE_TOPIC_STATUSES "pantau/v1/+/+/+/status"
#define WIRE_TOPIC_REPLIES "pantau/v1/+/+/+/reply"

/* Parse any pantau v1 topic; false (with err) when it is not one. */
bool wire_topic_parse(const char *topic, struct wire_topic *out, struct wire_error *err);

/* ---- Result batches ---- */

/* One probe result. Known kinds are checked field by field against their
 * entry in the result kinds' table (common/resultkind.h); of a kind this
 * program does not know only the common fields and an optional ok. Absent
 * figures are NAN. Strings point into the batch's JSON and live as long as
 * the batch. */
struct wire_result {
	const struct resultkind *kind;  /* NULL: a kind this program does not know */
	const char *probe;
	const char *target;
	const json_t *obj;    /* the result object as received */
	int ok;               /* 1, 0, or -1 when absent */
	const char *error;
	double col[RK_COL_COUNT];     /* by the store's column (kinds stored in columns) */
	double fig[RK_JUDGE_COUNT];   /* what the status engine judges */
};

/* An empty result of kind k (NULL: unknown): every figure NAN, ok -1. */
void wire_result_init(struct wire_result *r, const struct resultkind *k, const char *probe,
    const char *target);
/* Set the figure of field path ("rtt_ms.p95") of r's kind, in its column
 * and as what the status engine judges (tests, benchmarks). */
void wire_result_set(struct wire_result *r, const char *path, double v);

struct wire_batch {
	json_t *root;         /* owns everything below */
	const char *agent;
	int64_t boot, seq;
	int64_t ts_ms;        /* measurement time, epoch ms UTC */
	int64_t mono_ms;      /* the agent's CLOCK_BOOTTIME at ts, ms; -1 when absent */
	int64_t outbox_pending, outbox_dropped; /* -1 when absent */
	size_t nresults;
	struct wire_result *results;
	/* Set by the collector's ingest (collector/ingest/clockest.h), zero before. */
	bool retimed;         /* ts_ms is the collector's estimate, agent_ts_ms what was sent */
	int64_t agent_ts_ms;
	bool skew_known;      /* clock_skew_ms: the agent's clock minus the estimate */
	int64_t clock_skew_ms;
};

/*
 * Decode and validate a result batch received on topic t. On WIRE_ACCEPT
 * out is filled (release with wire_batch_clear); otherwise err says why
 * and out holds nothing to release.
 */
enum wire_reason wire_batch_decode(const struct wire_topic *t, const void *payload,
    size_t len, struct wire_batch *out, struct wire_error *err);
void wire_batch_clear(struct wire_batch *b);

/* Header of a batch the agent encodes. */
struct wire_batch_hdr {
	const char *agent;
	int64_t boot, seq, ts_ms;
	int64_t outbox_pending, outbox_dropped;
	int64_t mono_ms;      /* CLOCK_BOOTTIME at ts_ms; 0 or less: not sent */
};

/*
 * Encode a batch; results is a JSON array (borrowed). Returns a malloc'd
 * compact JSON text and its length, or NULL with *rc set (PANTAU_ERR_TOO_BIG
 * past WIRE_MAX_PAYLOAD).
 */
char *wire_batch_encode(const struct wire_batch_hdr *h, json_t *results, size_t *len,
    pantau_err *rc);

/* Helpers for probes building their result objects. */
json_t *wire_result_new(const char *probe, const char *target);
/* Set a millisecond or percent figure rounded to 3 decimals. */
void wire_set_num(json_t *obj, const char *key, double value);
/* Dump flags for every pantau JSON text. */
#define WIRE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

/* ---- Status messages: birth and last will ---- */

struct wire_status {
	json_t *root;         /* owns the strings below */
	bool online;
	const char *agent;    /* NULL when absent */
	int64_t boot;         /* -1 when absent */
	int64_t ts_ms;        /* -1 when absent */
	int64_t mono_ms;      /* the agent's CLOCK_BOOTTIME at ts; -1 when absent */
	const char *site;     /* birth only, NULL when absent */
	const char *link;
	const char *version;
	const char *reason;   /* offline: "shutdown", "lost" (last will) */
	double lat, lon;      /* NAN when absent */
	int simulated;        /* 1: played by the load generator (demo, bench); -1 absent */
	int64_t interval_s;   /* -1 when absent */
};

enum wire_reason wire_status_decode(const struct wire_topic *t, const void *payload,
    size_t len, struct wire_status *out, struct wire_error *err);
void wire_status_clear(struct wire_status *s);

/* ---- Commands on pantau/v1/cmd/AGENT (collector -> agent) ---- */

/* Most seqs one replay command asks for. */
#define WIRE_REPLAY_MAX 10000

/* {"cmd":"replay","boot":B,"from_seq":N,"to_seq":M}: publish again the
 * batches (agent, B, N..M) still held; from_seq <= to_seq. */
struct wire_replay {
	int64_t boot, from_seq, to_seq;
};

/* Encode; the caller frees the text. NULL when out of memory. */
char *wire_replay_encode(const struct wire_replay *r, size_t *len);
/* Decode a command. WIRE_ACCEPT for a valid replay; an unknown "cmd" is
 * WIRE_REJ_BAD_TEXT (err says which). */
enum wire_reason wire_cmd_decode(const void *payload, size_t len, struct wire_replay *out,
    struct wire_error *err);

/* ---- Replies on pantau/v1/PP/RRRR/AGENT/reply (agent -> collector) ---- */

/* Most seq ranges in one reply; more are sent in several replies. */
#define WIRE_GONE_MAX 256

/* {"v":1,"reply":"gone","agent":A,"boot":B,"seqs":[[from,to],...]}: the
 * agent no longer holds these batches of boot B (outbox dropped them, or
 * past its retention); the collector records them lost. Ranges ascend and
 * do not overlap, each at most WIRE_REPLAY_MAX seqs. */
struct wire_gone {
	int64_t boot;
	size_t n;
	struct { int64_t from, to; } seqs[WIRE_GONE_MAX];
};

/* Encode; the caller frees the text. NULL when out of memory. */
char *wire_gone_encode(const char *agent, const struct wire_gone *g, size_t *len);
/* Decode a reply received on topic t. WIRE_ACCEPT for a valid "gone". */
enum wire_reason wire_reply_decode(const struct wire_topic *t, const void *payload, size_t len,
    struct wire_gone *out, struct wire_error *err);

/* Link types of a site, as in the configuration and birth message. */
extern const char *const wire_link_names[]; /* NULL-terminated */
bool wire_link_valid(const char *name);

#endif
