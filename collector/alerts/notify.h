/*
 * Alert delivery (docs/alerts.md) with libcurl's multi interface on the
 * collector's loop, so a slow or dead receiver never blocks ingest:
 *   - Prometheus Alertmanager v2: POST URL/api/v2/alerts with every firing
 *     alert (and each resolved one once, with endsAt), re-posted every
 *     repost interval while firing, as Alertmanager expects;
 *   - a generic JSON webhook: one POST per regency with its changed alerts;
 *   - a Telegram-bot-style endpoint: POST URL/botTOKEN/sendMessage with
 *     {"chat_id","text"}, one message per regency.
 * One request per receiver at a time; a failure is retried with exponential
 * backoff (1 s doubling to retry_max). A receiver not configured counts as
 * told. What each receiver was told is kept in the alerts (alerts.h).
 */
#ifndef PANTAU_NOTIFY_H
#define PANTAU_NOTIFY_H

#include <stdint.h>
#include <uv.h>

#include "alerts.h"

struct notify_opts {
	const char *alertmanager_url;  /* "http://127.0.0.1:9093"; "" none */
	const char *webhook_url;       /* "" none */
	const char *telegram_url;      /* "https://api.telegram.org"; "" none */
	const char *telegram_token;
	const char *telegram_chat;
	const char *dashboard_url;     /* base of generatorURL; "" none */
	int64_t repost_ms;             /* 60 s */
	int timeout_ms;                /* 5 s */
	int64_t retry_max_ms;          /* 300 s */
};

struct notify_stats {
	uint64_t sent[ALERT_SINKS];    /* requests a receiver accepted (2xx) */
	uint64_t failed[ALERT_SINKS];
};

struct notify;

/* NULL on memory or libcurl failure. */
struct notify *notify_new(uv_loop_t *loop, const struct notify_opts *o, struct alerts *a);
/* Cancel what is in flight; uv handles close on the loop. Safe with NULL. */
void notify_free(struct notify *n);

/* Start whatever deliveries are due at now. */
void notify_tick(struct notify *n, int64_t now_ms);

const struct notify_stats *notify_stats(const struct notify *n);

/* Sink names for logs: "alertmanager", "webhook", "telegram". */
const char *notify_sink_name(int sink);

#endif
