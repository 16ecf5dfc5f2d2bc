/*
 * Result kinds (docs/protocol.md, "Result objects"): one table says, for
 * the result of each probe kind, its fields (JSON name, type, bounds, unit,
 * when it must be present), where the collector stores them, which are
 * charted as series (GET /api/v1/sites/{agent}) and which the status engine
 * judges. Wire decoding, the store, the status windows, the API, metrics,
 * the CLI and the dashboard (kinds.json, made by `pantau kinds --json`)
 * read this table; outside it, agent/probes/ and the tests, no code names
 * a kind. Adding a result kind is one entry in resultkind.c and its rows in
 * the docs (tests/e2e/test_kinds.py compares them).
 */
#ifndef PANTAU_RESULTKIND_H
#define PANTAU_RESULTKIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* JSON type of a field. RK_ARR: an array of objects, each of the members;
 * min, max bound the number of elements. */
enum rk_type { RK_INT, RK_NUM, RK_BOOL, RK_STR, RK_OBJ, RK_ARR };

/* When a field must be present (members: when their object is). */
enum rk_need {
	RK_OPTIONAL,
	RK_REQUIRED,
	RK_IF_OK,         /* when ok is true */
	RK_IF_FAILED,     /* when ok is false */
	RK_IF_RECV,       /* when recv > 0 */
	RK_IF_NONE_SENT,  /* when sent is 0 */
};

/* The numeric columns of the store's results table (collector/store/
 * schema.c) a field of a kind stored in columns goes to. probe, target, ok
 * and error have columns of their own for every kind. */
enum rk_column {
	RK_COL_NONE = 0,
	RK_COL_SENT, RK_COL_RECV, RK_COL_LOSS,
	RK_COL_RTT_MIN, RK_COL_RTT_P50, RK_COL_RTT_AVG, RK_COL_RTT_P95, RK_COL_RTT_MAX,
	RK_COL_JITTER, RK_COL_PDV, RK_COL_STATUS,
	RK_COL_DNS, RK_COL_CONNECT, RK_COL_TLS, RK_COL_TTFB, RK_COL_TOTAL,
	RK_COL_COUNT
};

/* What the status engine takes from a field (docs/status.md). */
enum rk_judge {
	RK_JUDGE_NONE = 0,
	RK_JUDGE_SENT,     /* a packet train: loss pooled over the window */
	RK_JUDGE_RECV,
	RK_JUDGE_RTT_P95,  /* the batch's worst, median over the window */
	RK_JUDGE_JITTER,   /* the batch's worst, median over the window */
	RK_JUDGE_UPLOAD,   /* the batch's lowest, median over the window */
	RK_JUDGE_TALLY,    /* ok of a request on the tally path: failures in a row */
	RK_JUDGE_RETRANS,  /* the site's own traffic: the batch's worst group, median
	                    * over the window */
	RK_JUDGE_SEGMENTS, /* its segments: a group with fewer is not judged */
	RK_JUDGE_DNS_FAIL, /* the site's own DNS lookups: the batch's worst group, median
	                    * over the window */
	RK_JUDGE_DNS_QUERIES, /* its queries: a group with fewer is not judged */
	/* Kept in the window and shown (API, /metrics), judging nothing: */
	RK_JUDGE_HANDSHAKE,   /* the batch's slowest group, median over the window */
	RK_JUDGE_TS_RTT,      /* the batch's slowest group, median over the window */
	RK_JUDGE_DNS_TIME,    /* the batch's slowest group, median over the window */
	RK_JUDGE_RESETS,      /* summed over the groups and the window */
	RK_JUDGE_SYN_UNANSWERED, /* summed over the groups and the window */
	RK_JUDGE_COUNT
};

/* Field flags. */
#define RK_F_LOSS 0x1       /* loss_pct: out of 0..100 is loss_out_of_range, and it
                             * must match sent and recv */
#define RK_F_QUANTILES 0x2  /* object of min <= p50 <= p95 <= max, min <= avg <= max */
#define RK_F_MOS 0x4        /* not stored: the API computes it again (common/mos.h) */
#define RK_F_SENT 0x8       /* a train's sent and recv (integers), judged or not: */
#define RK_F_RECV 0x10      /* recv <= sent, and RK_F_LOSS and RK_IF_RECV go by them */
#define RK_F_HEX 0x8        /* string of exactly max lowercase hexadecimal digits */
#define RK_F_HOPS 0x10      /* array: each element a small train (recv <= sent,
                             * loss_pct as they say, members needed when recv > 0),
                             * ttl strictly increasing */

struct rk_field {
	const char *name;            /* JSON key */
	enum rk_type type;
	enum rk_need need;
	double min, max;             /* numbers; strings: max is the length; arrays:
	                              * the number of elements */
	const char *unit;            /* "ms", "%", "Mbit/s", "bytes", "count", "MOS", "" */
	enum rk_column column;       /* kinds stored in columns; RK_COL_NONE: not stored */
	enum rk_judge judge;
	unsigned flags;
	const struct rk_field *members;  /* RK_OBJ; RK_ARR: of each element */
	size_t nmembers;
};

/* How a series figure is aggregated in a bucket (docs/api.md). */
enum rk_agg {
	RK_AGG_MEAN,
	RK_AGG_MAX,
	RK_AGG_POOLED_LOSS,  /* Σ(sent − recv) × 100 / Σ sent, else the mean */
};

/* A figure of each point of a kind's series. */
struct rk_series {
	const char *key;     /* in each point: "rtt_p95_ms" */
	const char *field;   /* path of the field: "rtt_ms.p95" */
	enum rk_agg agg;
	const char *chart;   /* the dashboard's chart it is a line of; NULL: none */
	const char *line;    /* the line's name in it */
};

/* Where the store keeps a kind's results. */
enum rk_store {
	RK_STORE_COLUMNS,    /* the fields' columns (and probe, target, ok, error) */
	RK_STORE_JSON,       /* the whole object in results.extra, returned as sent */
};

/* How the CLI and the dashboard say a result in one line (docs/cli.md). */
enum rk_say {
	RK_SAY_OUTCOME,      /* ok / FAILED and the error */
	RK_SAY_TRAIN,        /* replies, loss, RTT, jitter */
	RK_SAY_RESPONSE,     /* status and total time */
	RK_SAY_CONNECT,      /* connected in N ms */
	RK_SAY_RATES,        /* download and upload rates */
	RK_SAY_UPLOAD,       /* upload rate and time */
	RK_SAY_TRAFFIC,      /* the site's own traffic: handshake, retransmitted, flows */
};

struct resultkind {
	const char *name;            /* "probe" of its results */
	const char *what;            /* one line for people */
	enum rk_store store;
	enum rk_say say;
	const struct rk_field *fields;
	size_t nfields;
	const struct rk_series *series;
	size_t nseries;
};

/* Fields every result has, whatever its kind (probe, target). */
extern const struct rk_field rk_common_fields[];
extern const size_t rk_ncommon_fields;

/* The kinds, NULL-terminated, in the order of the docs. */
extern const struct resultkind *const resultkinds[];

/* The kind named name, NULL when this program does not know it. */
const struct resultkind *rk_find(const char *name);

/* The field at path ("rtt_ms.p95", "hops[].ttl") of kind k, NULL when none. */
const struct rk_field *rk_field(const struct resultkind *k, const char *path);

/* Does the status engine take j from results of kind k (NULL: no)? */
bool rk_judges(const struct resultkind *k, enum rk_judge j);

/* The field of k the status engine takes as j, and its path (len bytes);
 * NULL when k has none. */
const struct rk_field *rk_judged(const struct resultkind *k, enum rk_judge j, char *path,
    size_t len);

/* The series figure of k whose field is judged as j, NULL when none. */
const struct rk_series *rk_series_judged(const struct resultkind *k, enum rk_judge j);

/* "icmp or stamp" (sep " or ") / "icmp/stamp" (sep "/"): the kinds with a
 * field judged as j (charted: only those whose series charts it), in table
 * order; "" when none. */
void rk_names_judged(enum rk_judge j, bool charted, const char *sep, char *buf, size_t len);

/* Names: the SQL name of a column ("rtt_p95"), a type ("integer"), a need
 * ("when ok"), a judged figure ("RTT p95"), an aggregate ("mean"), a store
 * ("columns"), a way to say ("train"). */
const char *rk_column_name(enum rk_column c);
bool rk_column_is_int(enum rk_column c);
const char *rk_type_name(enum rk_type t);
const char *rk_need_name(enum rk_need n);
const char *rk_judge_name(enum rk_judge j);
const char *rk_agg_name(enum rk_agg a);
const char *rk_store_name(enum rk_store s);
const char *rk_say_name(enum rk_say s);

/* The bounds in words as the docs write them: "0–1000000", "≥ 0",
 * "1–512 characters", "1–64 elements", "" for booleans and objects. */
void rk_range_text(const struct rk_field *f, char *buf, size_t len);

/* The whole table as JSON (`pantau kinds --json`, the dashboard's
 * kinds.json, tests): {"common":[…],"kinds":[{"name",…,"fields":[…],
 * "series":[…]}]}, members flattened as "rtt_ms.p95" (of arrays:
 * "hops[].ttl"). NULL: no memory. */
json_t *rk_describe(void);

#endif
