/* The result kinds' table (resultkind.h) and lookups in it. The kinds' field
 * and series rows look alike by design: data, one row per field. */
#include "resultkind.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

#define MS_MAX 86400000.0            /* any duration: one day */
#define COUNT_MAX ((double)WIRE_INT_MAX)
#define MBPS_MAX 1e6                 /* 1 Tbit/s */
#define ADDR_MAX 64                  /* numeric address text, with a scope */
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The error sentence of a result, required as when says. */
#define ERROR_FIELD(when)                                                                  \
	{ .name = "error", .type = RK_STR, .need = (when), .min = 1, .max = WIRE_TEXT_MAX }
/* A run the agent skipped (daily data budget spent), and why. */
#define SKIPPED_FIELDS                                                                     \
	{ .name = "skipped", .type = RK_STR, .min = 1, .max = 32 },                          \
	{ .name = "note", .type = RK_STR, .min = 1, .max = WIRE_TEXT_MAX }

const struct rk_field rk_common_fields[] = {
	{ .name = "probe", .type = RK_STR, .need = RK_REQUIRED, .min = 1, .max = 32 },
	{ .name = "target", .type = RK_STR, .need = RK_REQUIRED, .min = 1,
	    .max = WIRE_TARGET_MAX },
};
const size_t rk_ncommon_fields = N(rk_common_fields);

/* ---- packet trains (icmp, stamp) ---- */

static const struct rk_field rtt_members[] = {
	{ .name = "min", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_RTT_MIN },
	{ .name = "p50", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_RTT_P50 },
	{ .name = "avg", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_RTT_AVG },
	{ .name = "p95", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_RTT_P95, .judge = RK_JUDGE_RTT_P95 },
	{ .name = "max", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_RTT_MAX },
};

static const struct rk_field icmp_fields[] = {
	{ .name = "sent", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .column = RK_COL_SENT, .judge = RK_JUDGE_SENT, .flags = RK_F_SENT },
	{ .name = "recv", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .column = RK_COL_RECV, .judge = RK_JUDGE_RECV, .flags = RK_F_RECV },
	{ .name = "loss_pct", .type = RK_NUM, .need = RK_REQUIRED, .max = 100, .unit = "%",
	    .column = RK_COL_LOSS, .flags = RK_F_LOSS },
	{ .name = "rtt_ms", .type = RK_OBJ, .need = RK_IF_RECV, .flags = RK_F_QUANTILES,
	    .members = rtt_members, .nmembers = N(rtt_members) },
	{ .name = "jitter_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_JITTER, .judge = RK_JUDGE_JITTER },
	{ .name = "pdv_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms", .column = RK_COL_PDV },
	{ .name = "dup", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "late", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "mos", .type = RK_NUM, .max = 5, .unit = "MOS", .flags = RK_F_MOS },
	{ .name = "addr", .type = RK_STR, .min = 1, .max = ADDR_MAX },
	ERROR_FIELD(RK_IF_NONE_SENT),
};

static const struct rk_series icmp_series[] = {
	{ "rtt_p50_ms", "rtt_ms.p50", RK_AGG_MEAN, "RTT", "p50" },
	{ "rtt_p95_ms", "rtt_ms.p95", RK_AGG_MAX, "RTT", "p95" },
	{ "loss_pct", "loss_pct", RK_AGG_POOLED_LOSS, "Loss", "loss" },
	{ "jitter_ms", "jitter_ms", RK_AGG_MEAN, "Jitter", "jitter" },
};

static const struct rk_field owd_members[] = {
	{ .name = "min", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },
	{ .name = "p50", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },
	{ .name = "avg", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },
	{ .name = "max", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },
};

static const struct rk_field stamp_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED },
	{ .name = "addr", .type = RK_STR, .min = 1, .max = ADDR_MAX },
	{ .name = "port", .type = RK_INT, .max = 65535, .unit = "" },
	{ .name = "sent", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .judge = RK_JUDGE_SENT, .flags = RK_F_SENT },
	{ .name = "recv", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .judge = RK_JUDGE_RECV, .flags = RK_F_RECV },
	{ .name = "loss_pct", .type = RK_NUM, .need = RK_REQUIRED, .max = 100, .unit = "%",
	    .flags = RK_F_LOSS },
	{ .name = "rtt_ms", .type = RK_OBJ, .need = RK_IF_RECV, .flags = RK_F_QUANTILES,
	    .members = rtt_members, .nmembers = N(rtt_members) },
	{ .name = "jitter_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms",
	    .judge = RK_JUDGE_JITTER },
	{ .name = "pdv_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },
	{ .name = "mos", .type = RK_NUM, .max = 5, .unit = "MOS" },
	{ .name = "dup", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "late", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "reordered", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "ttl", .type = RK_INT, .max = 255, .unit = "" },
	{ .name = "synced", .type = RK_BOOL },
	{ .name = "owd_fwd_ms", .type = RK_OBJ, .members = owd_members,
	    .nmembers = N(owd_members) },
	{ .name = "owd_back_ms", .type = RK_OBJ, .members = owd_members,
	    .nmembers = N(owd_members) },
	{ .name = "owd_err_ms", .type = RK_NUM, .max = INFINITY, .unit = "ms" },
	ERROR_FIELD(RK_IF_FAILED),
};

/* ---- connections and requests (tcp, http, upload_task) ---- */

static const struct rk_field tcp_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED },
	{ .name = "addr", .type = RK_STR, .min = 1, .max = ADDR_MAX },
	{ .name = "dns_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms", .column = RK_COL_DNS },
	{ .name = "connect_ms", .type = RK_NUM, .need = RK_IF_OK, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_CONNECT },
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series tcp_series[] = {
	{ "connect_ms", "connect_ms", RK_AGG_MEAN, "TCP connect", "connect" },
};

static const struct rk_field http_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED, .judge = RK_JUDGE_TALLY },
	{ .name = "status", .type = RK_INT, .need = RK_REQUIRED, .max = 999, .unit = "",
	    .column = RK_COL_STATUS },
	{ .name = "dns_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms", .column = RK_COL_DNS },
	{ .name = "connect_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_CONNECT },
	{ .name = "tls_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms", .column = RK_COL_TLS },
	{ .name = "ttfb_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms", .column = RK_COL_TTFB },
	{ .name = "total_ms", .type = RK_NUM, .need = RK_IF_OK, .max = MS_MAX, .unit = "ms",
	    .column = RK_COL_TOTAL },
	{ .name = "bytes", .type = RK_INT, .max = COUNT_MAX, .unit = "bytes" },
	{ .name = "truncated", .type = RK_BOOL },
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series http_series[] = {
	{ "status", "status", RK_AGG_MAX, NULL, NULL },
	{ "dns_ms", "dns_ms", RK_AGG_MEAN, "HTTP timings", "DNS" },
	{ "connect_ms", "connect_ms", RK_AGG_MEAN, "HTTP timings", "connect" },
	{ "tls_ms", "tls_ms", RK_AGG_MEAN, "HTTP timings", "TLS" },
	{ "ttfb_ms", "ttfb_ms", RK_AGG_MEAN, "HTTP timings", "TTFB" },
	{ "total_ms", "total_ms", RK_AGG_MEAN, "HTTP timings", "total" },
};

/* ---- throughput and upload (throughput, upload_task) ---- */

/* One direction of a throughput test; the upload's rate is judged. */
#define DIRECTION_FIELDS(mbps_judge)                                                       \
	{ .name = "mbps", .type = RK_NUM, .max = MBPS_MAX, .unit = "Mbit/s",                 \
	    .judge = (mbps_judge) },                                                         \
	{ .name = "bytes", .type = RK_INT, .max = COUNT_MAX, .unit = "bytes" },              \
	{ .name = "duration_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },              \
	{ .name = "warmup_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },                \
	{ .name = "stable", .type = RK_BOOL },                                               \
	{ .name = "connections", .type = RK_INT, .max = 1000, .unit = "count" },             \
	{ .name = "rtt_idle_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },              \
	{ .name = "rtt_loaded_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },            \
	{ .name = "bufferbloat_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },           \
	{ .name = "error", .type = RK_STR, .min = 1, .max = WIRE_TEXT_MAX }

static const struct rk_field download_members[] = {
	DIRECTION_FIELDS(RK_JUDGE_NONE),
};

static const struct rk_field upload_members[] = {
	DIRECTION_FIELDS(RK_JUDGE_UPLOAD),
	{ .name = "retrans", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "tcp_efficiency_pct", .type = RK_NUM, .max = 100, .unit = "%" },
};

static const struct rk_field budget_members[] = {
	{ .name = "limit_bytes", .type = RK_INT, .need = RK_REQUIRED, .max = COUNT_MAX,
	    .unit = "bytes" },
	{ .name = "used_bytes", .type = RK_INT, .need = RK_REQUIRED, .max = COUNT_MAX,
	    .unit = "bytes" },
};

static const struct rk_field throughput_fields[] = {
	{ .name = "ok", .type = RK_BOOL },
	{ .name = "download", .type = RK_OBJ, .members = download_members,
	    .nmembers = N(download_members) },
	{ .name = "upload", .type = RK_OBJ, .members = upload_members,
	    .nmembers = N(upload_members) },
	{ .name = "budget", .type = RK_OBJ, .members = budget_members,
	    .nmembers = N(budget_members) },
	SKIPPED_FIELDS,
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series throughput_series[] = {
	{ "download_mbps", "download.mbps", RK_AGG_MEAN, "Throughput", "download" },
	{ "upload_mbps", "upload.mbps", RK_AGG_MEAN, "Throughput", "upload" },
};

static const struct rk_field upload_task_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .judge = RK_JUDGE_TALLY },
	{ .name = "status", .type = RK_INT, .max = 999, .unit = "" },
	{ .name = "size", .type = RK_INT, .max = COUNT_MAX, .unit = "bytes" },
	{ .name = "bytes", .type = RK_INT, .max = COUNT_MAX, .unit = "bytes" },
	{ .name = "dns_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },
	{ .name = "connect_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },
	{ .name = "tls_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },
	{ .name = "total_ms", .type = RK_NUM, .max = MS_MAX, .unit = "ms" },
	{ .name = "mbps", .type = RK_NUM, .max = MBPS_MAX, .unit = "Mbit/s" },
	SKIPPED_FIELDS,
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series upload_task_series[] = {
	{ "upload_mbps", "mbps", RK_AGG_MEAN, "Upload task", "upload" },
};

/* ---- paths (path) ---- */

#define HOPS_MAX 64                  /* TTL bound of a hop, and hops in a result */
#define HOP_PROBES_MAX 100           /* probes sent to one hop */

static const struct rk_field hop_members[] = {
	{ .name = "ttl", .type = RK_INT, .need = RK_REQUIRED, .min = 1, .max = HOPS_MAX,
	    .unit = "" },
	{ .name = "addr", .type = RK_STR, .need = RK_IF_RECV, .min = 1, .max = ADDR_MAX },
	{ .name = "sent", .type = RK_INT, .need = RK_REQUIRED, .max = HOP_PROBES_MAX,
	    .unit = "count" },
	{ .name = "recv", .type = RK_INT, .need = RK_REQUIRED, .max = HOP_PROBES_MAX,
	    .unit = "count" },
	{ .name = "loss_pct", .type = RK_NUM, .need = RK_REQUIRED, .max = 100, .unit = "%",
	    .flags = RK_F_LOSS },
	{ .name = "rtt_p50_ms", .type = RK_NUM, .need = RK_IF_RECV, .max = MS_MAX, .unit = "ms" },
	{ .name = "rate_limited", .type = RK_BOOL, .need = RK_REQUIRED },
};

static const struct rk_field path_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED },
	{ .name = "proto", .type = RK_STR, .need = RK_IF_OK, .min = 1, .max = 8 },
	{ .name = "dest", .type = RK_STR, .need = RK_IF_OK, .min = 1, .max = ADDR_MAX },
	{ .name = "reached", .type = RK_BOOL, .need = RK_IF_OK },
	{ .name = "path_hash", .type = RK_STR, .need = RK_IF_OK, .min = 16, .max = 16,
	    .flags = RK_F_HEX },
	{ .name = "hops", .type = RK_ARR, .need = RK_IF_OK, .min = 1, .max = HOPS_MAX,
	    .flags = RK_F_HOPS, .members = hop_members, .nmembers = N(hop_members) },
	{ .name = "duration_ms", .type = RK_NUM, .need = RK_IF_OK, .max = MS_MAX, .unit = "ms" },
	{ .name = "trigger", .type = RK_STR, .min = 1, .max = 32 },
	ERROR_FIELD(RK_IF_FAILED),
};

/* ---- lookups (dns) ---- */

/* Quantiles of a duration; the status engine takes the p50 as p50_judge. */
#define TIME_QUANTILES(p50_judge)                                                          \
	{ .name = "min", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },  \
	{ .name = "p50", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms",    \
	    .judge = (p50_judge) },                                                          \
	{ .name = "avg", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },  \
	{ .name = "p95", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" },  \
	{ .name = "max", .type = RK_NUM, .need = RK_REQUIRED, .max = MS_MAX, .unit = "ms" }

static const struct rk_field dns_time_members[] = { TIME_QUANTILES(RK_JUDGE_NONE) };

static const struct rk_field dns_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED },
	{ .name = "record", .type = RK_STR, .min = 1, .max = 16 },
	{ .name = "resolver", .type = RK_STR, .min = 1, .max = ADDR_MAX },
	{ .name = "sent", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .flags = RK_F_SENT },
	{ .name = "recv", .type = RK_INT, .need = RK_REQUIRED, .max = 1e6, .unit = "count",
	    .flags = RK_F_RECV },
	{ .name = "loss_pct", .type = RK_NUM, .need = RK_REQUIRED, .max = 100, .unit = "%",
	    .flags = RK_F_LOSS },
	{ .name = "time_ms", .type = RK_OBJ, .need = RK_IF_RECV, .flags = RK_F_QUANTILES,
	    .members = dns_time_members, .nmembers = N(dns_time_members) },
	{ .name = "rcode", .type = RK_STR, .need = RK_IF_RECV, .min = 1, .max = 16 },
	{ .name = "answers", .type = RK_INT, .need = RK_IF_RECV, .max = 65535, .unit = "count" },
	{ .name = "truncated", .type = RK_BOOL },
	{ .name = "ad", .type = RK_BOOL },
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series dns_series[] = {
	{ "time_p50_ms", "time_ms.p50", RK_AGG_MEAN, "DNS", "p50" },
	{ "time_p95_ms", "time_ms.p95", RK_AGG_MAX, "DNS", "p95" },
	{ "loss_pct", "loss_pct", RK_AGG_MEAN, "DNS loss", "loss" },
};

/* ---- the site's own traffic (passive) ---- */

static const struct rk_field handshake_members[] = { TIME_QUANTILES(RK_JUDGE_HANDSHAKE) };
static const struct rk_field ts_rtt_members[] = { TIME_QUANTILES(RK_JUDGE_TS_RTT) };
static const struct rk_field dns_ms_members[] = { TIME_QUANTILES(RK_JUDGE_DNS_TIME) };

static const struct rk_field passive_fields[] = {
	{ .name = "ok", .type = RK_BOOL, .need = RK_REQUIRED },
	{ .name = "interface", .type = RK_STR, .min = 1, .max = 15 },
	{ .name = "window_s", .type = RK_NUM, .need = RK_IF_OK, .max = 86400, .unit = "s" },
	{ .name = "packets", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX, .unit = "count" },
	{ .name = "bad", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "dropped", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "evictions", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "flows", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX, .unit = "count" },
	{ .name = "bytes", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX, .unit = "bytes" },
	{ .name = "segments", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX,
	    .unit = "count", .judge = RK_JUDGE_SEGMENTS },
	{ .name = "retrans", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX, .unit = "count" },
	{ .name = "retrans_pct", .type = RK_NUM, .max = 100, .unit = "%",
	    .judge = RK_JUDGE_RETRANS },
	{ .name = "resets", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX, .unit = "count",
	    .judge = RK_JUDGE_RESETS },
	{ .name = "syn_unanswered", .type = RK_INT, .need = RK_IF_OK, .max = COUNT_MAX,
	    .unit = "count", .judge = RK_JUDGE_SYN_UNANSWERED },
	{ .name = "handshakes", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "handshake_ms", .type = RK_OBJ, .flags = RK_F_QUANTILES,
	    .members = handshake_members, .nmembers = N(handshake_members) },
	{ .name = "ts_rtt_ms", .type = RK_OBJ, .flags = RK_F_QUANTILES,
	    .members = ts_rtt_members, .nmembers = N(ts_rtt_members) },
	{ .name = "dns_queries", .type = RK_INT, .max = COUNT_MAX, .unit = "count",
	    .judge = RK_JUDGE_DNS_QUERIES },
	{ .name = "dns_fail", .type = RK_INT, .max = COUNT_MAX, .unit = "count" },
	{ .name = "dns_fail_pct", .type = RK_NUM, .max = 100, .unit = "%",
	    .judge = RK_JUDGE_DNS_FAIL },
	{ .name = "dns_ms", .type = RK_OBJ, .flags = RK_F_QUANTILES,
	    .members = dns_ms_members, .nmembers = N(dns_ms_members) },
	ERROR_FIELD(RK_IF_FAILED),
};

static const struct rk_series passive_series[] = {
	{ "handshake_p50_ms", "handshake_ms.p50", RK_AGG_MEAN, "Site traffic RTT", "handshake" },
	{ "ts_rtt_p50_ms", "ts_rtt_ms.p50", RK_AGG_MEAN, "Site traffic RTT", "timestamps" },
	{ "retrans_pct", "retrans_pct", RK_AGG_MAX, "Site traffic losses", "retransmitted" },
	{ "dns_fail_pct", "dns_fail_pct", RK_AGG_MAX, "Site traffic losses", "DNS failed" },
	{ "dns_p50_ms", "dns_ms.p50", RK_AGG_MEAN, "Site traffic DNS", "answer" },
	{ "resets", "resets", RK_AGG_MEAN, "Site traffic connections", "resets" },
	{ "syn_unanswered", "syn_unanswered", RK_AGG_MEAN, "Site traffic connections",
	  "unanswered SYNs" },
	{ "flows", "flows", RK_AGG_MEAN, NULL, NULL },
};

/* ---- the kinds ---- */

static const struct resultkind kind_icmp = {
	"icmp", "a train of ICMP echo requests", RK_STORE_COLUMNS, RK_SAY_TRAIN,
	icmp_fields, N(icmp_fields), icmp_series, N(icmp_series),
};
static const struct resultkind kind_tcp = {
	"tcp", "one TCP connection set-up", RK_STORE_COLUMNS, RK_SAY_CONNECT,
	tcp_fields, N(tcp_fields), tcp_series, N(tcp_series),
};
static const struct resultkind kind_http = {
	"http", "one HTTP(S) request", RK_STORE_COLUMNS, RK_SAY_RESPONSE,
	http_fields, N(http_fields), http_series, N(http_series),
};
static const struct resultkind kind_stamp = {
	"stamp", "a STAMP packet train to a pantau-reflector", RK_STORE_JSON, RK_SAY_OUTCOME,
	stamp_fields, N(stamp_fields), NULL, 0,
};
static const struct resultkind kind_throughput = {
	"throughput", "download and upload rates against a reflector", RK_STORE_JSON,
	RK_SAY_RATES, throughput_fields, N(throughput_fields), throughput_series,
	N(throughput_series),
};
static const struct resultkind kind_upload_task = {
	"upload_task", "one upload of a tally-form-sized body", RK_STORE_JSON, RK_SAY_UPLOAD,
	upload_task_fields, N(upload_task_fields), upload_task_series, N(upload_task_series),
};
static const struct resultkind kind_path = {
	"path", "the hops towards a target, Paris-traceroute style", RK_STORE_JSON,
	RK_SAY_OUTCOME, path_fields, N(path_fields), NULL, 0,
};

static const struct resultkind kind_dns = {
	"dns", "lookups of one name at the site's resolvers", RK_STORE_JSON, RK_SAY_OUTCOME,
	dns_fields, N(dns_fields), dns_series, N(dns_series),
};
static const struct resultkind kind_passive = {
	"passive", "the site's own traffic on one interface, per destination group",
	RK_STORE_JSON, RK_SAY_TRAFFIC, passive_fields, N(passive_fields), passive_series,
	N(passive_series),
};

const struct resultkind *const resultkinds[] = {
	&kind_icmp, &kind_tcp, &kind_http, &kind_stamp, &kind_throughput, &kind_upload_task,
	&kind_path, &kind_dns, &kind_passive, NULL,
};

const struct resultkind *
rk_find(const char *name)
{
	for (size_t i = 0; name != NULL && resultkinds[i] != NULL; i++)
		if (strcmp(resultkinds[i]->name, name) == 0)
			return resultkinds[i];
	return NULL;
}

static const struct rk_field *
find_in(const struct rk_field *f, size_t n, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path);
	for (size_t i = 0; i < n; i++) {
		size_t flen = strlen(f[i].name);
		/* an array's members are under "name[]." */
		bool elems = f[i].type == RK_ARR && len == flen + 2 &&
		    strncmp(path + flen, "[]", 2) == 0;
		if ((len != flen && !elems) || strncmp(f[i].name, path, flen) != 0)
			continue;
		if (f[i].type == RK_ARR && dot != NULL && !elems)
			return NULL;
		if (dot == NULL)
			return &f[i];
		return f[i].members != NULL ? find_in(f[i].members, f[i].nmembers, dot + 1) : NULL;
	}
	return NULL;
}

const struct rk_field *
rk_field(const struct resultkind *k, const char *path)
{
	return k != NULL ? find_in(k->fields, k->nfields, path) : NULL;
}

static const struct rk_field *
judged_in(const struct rk_field *f, size_t n, enum rk_judge j, char *path, size_t len,
    const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].judge == j) {
			snprintf(path, len, "%s%s", prefix, f[i].name);
			return &f[i];
		}
		if (f[i].members != NULL) {
			char sub[64];
			snprintf(sub, sizeof(sub), "%s%s%s.", prefix, f[i].name,
			    f[i].type == RK_ARR ? "[]" : "");
			const struct rk_field *m = judged_in(f[i].members, f[i].nmembers, j, path,
			    len, sub);
			if (m != NULL)
				return m;
		}
	}
	return NULL;
}

static bool
judges_in(const struct rk_field *f, size_t n, enum rk_judge j)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].judge == j || (f[i].members != NULL && judges_in(f[i].members,
		                                                  f[i].nmembers, j)))
			return true;
	return false;
}

bool
rk_judges(const struct resultkind *k, enum rk_judge j)
{
	return k != NULL && j != RK_JUDGE_NONE && judges_in(k->fields, k->nfields, j);
}

const struct rk_field *
rk_judged(const struct resultkind *k, enum rk_judge j, char *path, size_t len)
{
	char scratch[64];
	if (path == NULL) {
		path = scratch;
		len = sizeof(scratch);
	}
	return k != NULL && j != RK_JUDGE_NONE ? judged_in(k->fields, k->nfields, j, path, len, "")
	                                       : NULL;
}

const struct rk_series *
rk_series_judged(const struct resultkind *k, enum rk_judge j)
{
	char path[64];
	if (rk_judged(k, j, path, sizeof(path)) == NULL)
		return NULL;
	for (size_t i = 0; i < k->nseries; i++)
		if (strcmp(k->series[i].field, path) == 0)
			return &k->series[i];
	return NULL;
}

void
rk_names_judged(enum rk_judge j, bool charted, const char *sep, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; resultkinds[i] != NULL && used < len; i++) {
		if (!rk_judges(resultkinds[i], j) ||
		    (charted && rk_series_judged(resultkinds[i], j) == NULL))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used > 0 ? sep : "",
		    resultkinds[i]->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
