/*
 * The collector's store: SQLite in WAL mode, prepared statements, writes
 * batched into transactions committed every commit_ms or commit_rows rows,
 * whichever comes first. One connection, used only on the loop thread; the
 * HTTP API reads through the same connection (it sees uncommitted rows).
 *
 * Schema (docs/storage.md):
 *   meta(key PRIMARY KEY, value)                       schema_version
 *   provinces(code PRIMARY KEY, name)                  "32", "Jawa Barat"
 *   regencies(code PRIMARY KEY, province, name)        "32.73", "32", "Kota Bandung"
 *   sites(agent PRIMARY KEY, regency, site, link, lat, lon, interval_s,
 *         version, boot, first_seen_ms, last_result_ms, last_ts_ms,
 *         online, online_reason, status_ms, outbox_pending,
 *         outbox_dropped, skew_ms)
 *   batches(id PRIMARY KEY, agent, boot, seq, ts_ms, recv_ms, nresults,
 *           outbox_pending, outbox_dropped, agent_ts_ms, UNIQUE(agent, boot, seq))
 *   index batches(agent, ts_ms)
 *   boots(agent, boot, max_seq, stored, dropped, duplicates, last_recv_ms,
 *         clock_offset_ms, clock_mono_ms, PRIMARY KEY(agent, boot)) WITHOUT ROWID
 *         delivery per boot, written once per boot at each commit
 *   results(batch_id, idx, agent, ts_ms, probe, target, ok, sent, recv,
 *           loss_pct, rtt_min, rtt_p50, rtt_avg, rtt_p95, rtt_max,
 *           jitter_ms, pdv_ms, status, dns_ms, connect_ms, tls_ms,
 *           ttfb_ms, total_ms, error, extra,
 *           PRIMARY KEY(batch_id, idx)) WITHOUT ROWID
 *   site_status, regency_status, events, alerts: the status engine's
 *           (collector/store/statusdb.h)
 * A site's results are found through batches(agent, ts_ms) joined on
 * batch_id; idx is the result's position in its batch.
 * Times are epoch milliseconds UTC. sites.last_result_ms and status_ms are
 * the collector's receive times; ts_ms columns are the measurement times:
 * the agent's, or the collector's estimate when the agent's clock was off
 * (batches.agent_ts_ms then keeps what the agent said; docs/protocol.md). sites.online: 1 after a birth, 0 after a last will or shutdown,
 * NULL before any status message. results.extra holds the JSON of a probe
 * kind this collector does not know; NULL otherwise.
 */
#ifndef PANTAU_STORE_H
#define PANTAU_STORE_H

#include "collector/store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

struct store;

struct store_opts {
	const char *path;        /* database file */
	int commit_ms;           /* longest a row waits for its commit */
	int commit_rows;         /* commit at least this often */
	bool sync_full;          /* synchronous=FULL instead of NORMAL */
	int pipeline;            /* PostgreSQL: batches per round trip (store_batch_later);
	                          * 0: a round trip per statement, as store_batch */
};

/* Open or create the database and its schema. */
pantau_err store_open(const struct store_opts *opts, struct store **out);
/* Commit what is pending and close. Safe with NULL. */
void store_close(struct store *s);

struct db *store_db(struct store *s);

/* False while the database server is unreachable (SQLite: never); what
 * was not committed is rolled back. */
bool store_up(struct store *s);
/* Try to connect again: PANTAU_OK when the store is up. */
pantau_err store_reconnect(struct store *s);

/* Replace the region catalog (inside one transaction). */
pantau_err store_catalog_begin(struct store *s);
pantau_err store_catalog_province(struct store *s, const char *code, const char *name);
pantau_err store_catalog_regency(struct store *s, const char *code, const char *province,
    const char *name);
pantau_err store_catalog_end(struct store *s);

/*
 * Store a validated batch received at recv_ms from a site in regency.
 * PANTAU_ERR_DUPLICATE when (agent, boot, seq) is already stored: only
 * the boot's duplicate count is written. Creates the site row on first sight.
 */
pantau_err store_batch(struct store *s, const char *regency, const struct wire_batch *b,
    int64_t recv_ms);

/* Told of each batch given to store_batch_later once its fate is known:
 * rc as store_batch's. b stays the store's; it is gone after the call. */
typedef void store_batch_fn(void *ctx, const char *regency, const struct wire_batch *b,
    int64_t recv_ms, pantau_err rc);
void store_on_batch(struct store *s, store_batch_fn *fn, void *ctx);
/* store_batch with its outcome told to the store_on_batch callback: at
 * once on SQLite; on PostgreSQL at the next store_flush, store_commit or
 * store_status, the batches waiting then written in one round trip
 * (collector/store/pg_batch.h). b may be moved into the store (left empty). */
void store_batch_later(struct store *s, const char *regency, struct wire_batch *b,
    int64_t recv_ms);
/* Write the batches waiting from store_batch_later and tell their fate,
 * waiting for the server: PANTAU_ERR_DB when that failed, the open
 * transaction then rolled back. Batches in flight when the connection was
 * lost are kept, and sent again after store_reconnect. */
pantau_err store_flush(struct store *s);
/* The same without waiting (PostgreSQL): read the answer to the batches
 * sent, if it came, and tell their fate; send the next ones unless some
 * are in flight. Call every loop turn and when store_socket is readable
 * while store_sending. */
pantau_err store_send(struct store *s);
bool store_sending(const struct store *s);
/* The database connection's socket, -1 without a queue (SQLite). */
int store_socket(struct store *s);

/* Keep the clock estimate of (agent, boot) (collector/ingest/clockest.h);
 * written to boots at commit. */
pantau_err store_boot_clock(struct store *s, const char *agent, int64_t boot, int64_t offset_ms,
    int64_t mono_ms);

/* Record a birth or last will / shutdown message. */
pantau_err store_status(struct store *s, const char *regency, const char *agent,
    const struct wire_status *st, int64_t recv_ms);

/* Rows written since the last commit. */
int store_pending(const struct store *s);
/* Commit the open transaction, if any. */
pantau_err store_commit(struct store *s);
/* True when pending rows reached commit_rows. */
bool store_should_commit(const struct store *s);
/* Open the store's transaction unless one is open: writes made through
 * store_db() then join it (collector/store/retention.h) ... */
pantau_err store_begin(struct store *s);
/* ... and count here, so that it gets committed. */
void store_add_pending(struct store *s, int rows);

#endif
