/*
 * Internals of the query module (query.c, query_regions.c, query_site.c):
 * the statements, the sites columns and small JSON helpers.
 */
#ifndef PANTAU_QUERY_PRIV_H
#define PANTAU_QUERY_PRIV_H

#include <stdbool.h>

#include "query.h"
#include "jsontime.h"
#include "wire.h"

/* Bytes of a status or regional reason sentence. */
#define QUERY_REASON_MAX 256

enum q_stmt {
	Q_SITES,          /* all sites, or one province (?1), by regency and agent */
	Q_SITES_REGENCY,  /* sites of regency ?1 by agent */
	Q_SITE,           /* site ?1 */
	Q_WINDOW,         /* icmp figures of agent ?1 measured after ?2 */
	Q_WINDOW_ALL,     /* regency and icmp figures of every site (of province ?1)
	                   * measured after ?2, in no particular order */
	Q_LATEST_ICMP,    /* icmp figures of agent ?1 at its latest icmp measurement */
	Q_LATEST_BATCH,   /* newest (boot, seq) of agent ?1 */
	Q_BATCH_RESULTS,  /* results of batch ?3 of agent ?1 measured at ?2 */
	Q_SERIES,         /* agent ?1's results after ?2 in buckets of ?3 ms, by probe,
	                   * target, bucket; newest ?4 batches; limit ?5 points */
	Q_SERIES_COUNT,   /* agent ?1's batches after ?2 */
	Q_COUNT_SITES,
	Q_DB_SIZE,
	Q_EVENTS,         /* events after ?1, scope ?2 (NULL: all), newest first, limit ?3 */
	Q_DELIVERY,       /* delivery counts of agent ?1, or of every agent (NULL) */
	Q_NSTMT
};

/* Columns of Q_SITES, Q_SITES_REGENCY and Q_SITE, in this order. */
#define Q_SITE_COLS                                                                      \
	"agent, regency, site, link, lat, lon, interval_s, version, boot, first_seen_ms,"  \
	" last_result_ms, last_ts_ms, online, online_reason, status_ms, outbox_pending,"   \
	" outbox_dropped, skew_ms, simulated, upload_mbps, upload_ts_ms"
enum q_site_col {
	SC_AGENT, SC_REGENCY, SC_SITE, SC_LINK, SC_LAT, SC_LON, SC_INTERVAL, SC_VERSION,
	SC_BOOT, SC_FIRST_SEEN, SC_LAST_RESULT, SC_LAST_TS, SC_ONLINE, SC_ONLINE_REASON,
	SC_STATUS_MS, SC_OUTBOX_PENDING, SC_OUTBOX_DROPPED, SC_SKEW,
	SC_SIMULATED, SC_UPLOAD, SC_UPLOAD_TS
};

/* Result kinds and series figures per kind the series statement has room
 * for (unit-tested against the table). */
#define QUERY_MAX_KINDS 32
#define QUERY_MAX_SERIES 12

struct query {
	struct db *db;
	struct db_stmt *st[Q_NSTMT];
	/* Column of Q_SERIES of each kind's series figure (resultkinds[] order). */
	unsigned char series_col[QUERY_MAX_KINDS][QUERY_MAX_SERIES];
	const struct catalog *catalog;
	struct query_opts o;
};

/* ---- what the result kinds' table decides (query_kinds.c) ---- */

/* SQL of the statements made from the table (Q_WINDOW, Q_WINDOW_ALL, Q_LATEST_ICMP,
 * Q_BATCH_RESULTS, Q_SERIES), filling q->series_col; false when id is not
 * one of them or the text does not fit len. */
bool q_kinds_sql(struct query *q, enum q_stmt id, char *sql, size_t len);
/* One row of Q_BATCH_RESULTS as received: the stored JSON of a kind kept
 * whole, else its kind's fields from their columns. */
json_t *q_result_json(struct db_stmt *st);
/* One row of Q_SERIES: ts and the figures of its kind (null when missing,
 * so every point of a kind has the same keys); in buckets also how many
 * results and how many failed. */
json_t *q_series_point(const struct query *q, struct db_stmt *st, bool bucketed);
/* Columns of Q_SERIES before the kinds' figures. */
enum series_col { SR_PROBE, SR_TARGET, SR_TS, SR_COUNT, SR_OK, SR_FAILED, SR_FIRST_FIGURE };

/* Log SQLite's message and return PANTAU_ERR_DB. */
pantau_err q_db_fail(struct query *q, const char *what);
/* Reset and clear a statement after use. */
void q_done(struct db_stmt *st);

/* Status of the site on the current row of a Q_SITE_COLS statement: the
 * status engine's when it knows the site, else its liveness. *since_ms gets
 * when it entered that status (-1 unknown). */
enum site_status q_site_status(const struct query *q, struct db_stmt *st, int64_t now_ms,
    char *reason, size_t len, int64_t *since_ms);

/* "lat" and "lon" of the site on the current row: the profile file's, else
 * what its agent said. */
void q_site_coords(const struct query *q, struct db_stmt *st, json_t *o);
/* A site's link, place (q_site_coords), simulated flag and status: s with
 * its reason, since since. */
void q_site_state(const struct query *q, struct db_stmt *st, json_t *o, enum site_status s,
    const char *reason, int64_t since);

/* The site's liveness alone (sitestate.h). */
enum site_status q_liveness(const struct query *q, struct db_stmt *st, int64_t now_ms,
    char *reason, size_t len);

/* Column as int64, or dflt when NULL. */
int64_t q_col_int(struct db_stmt *st, int col, int64_t dflt);
bool q_col_null(struct db_stmt *st, int col);

/* Set key from a column: NULL becomes JSON null, unless omit_null. */
void q_set_col_int(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null);
void q_set_col_num(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null);
void q_set_col_text(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null);
void q_set_col_bool(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null);
/* Epoch-ms column as ISO 8601 text. */
void q_set_col_iso(json_t *o, const char *key, struct db_stmt *st, int col);
/* NAN becomes null; otherwise rounded to 0.001. */
void q_set_num(json_t *o, const char *key, double v);
/* NULL becomes null. */
void q_set_str(json_t *o, const char *key, const char *v);

/* Delivery counts per agent (agent NULL: every agent), as JSON objects
 * {agent, expected, stored, missing, duplicates, dropped} in *out. */
pantau_err q_delivery(struct query *q, const char *agent, json_t **out);

/* Names from the catalog (NULL when the code is not in it). */
const char *q_regency_name(const struct query *q, const char *code);
const char *q_province_name(const struct query *q, const char *code);

/* Worst-first order of two (status rank, loss, rtt p95) triples; NAN
 * figures sort after numbers. Returns <0 when a is worse. */
int q_cmp_worst(int rank_a, double loss_a, double p95_a, int rank_b, double loss_b,
    double p95_b);

#endif
