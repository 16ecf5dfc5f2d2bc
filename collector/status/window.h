/*
 * A site's sliding window of measurements (docs/status.md): one sample per
 * result batch, kept for window_s, summarised into struct window_metrics
 * for the verdict. Pure: the caller gives every time.
 */
#ifndef PANTAU_WINDOW_H
#define PANTAU_WINDOW_H

#include <stdint.h>

#include "verdict.h"
#include "wire.h"

/* What the status engine keeps of one batch: 40 bytes, so 15,000 sites
 * with a full ring cost about 19 MB. */
struct win_sample {
	int64_t t_ms;           /* receive time */
	int32_t sent, recv;     /* icmp and stamp trains, pooled */
	float rtt_p95_ms;       /* worst train's p95, NAN none */
	float jitter_ms;        /* worst train's mean |IPDV|, NAN none */
	float upload_mbps;      /* slowest upload, NAN none */
	uint16_t http_total;    /* http and upload_task results */
	uint16_t http_failed;
	float retrans_pct;      /* worst passive group's retransmitted %, NAN none */
};

/* Enough for a 5-minute window at a 10 s counting interval. */
#define WINDOW_MAX_SAMPLES 32
#define WINDOW_ERROR_MAX 160
#define WINDOW_GROUP_MAX 33
/* A passive group with fewer segments in a batch is not judged. */
#define WINDOW_RETRANS_MIN_SEGMENTS 100

struct window {
	struct win_sample s[WINDOW_MAX_SAMPLES];  /* ring, oldest at head */
	int head, n;
	int http_fail_streak;   /* consecutive batches with a failure */
	char http_error[WINDOW_ERROR_MAX];
	char retrans_to[WINDOW_GROUP_MAX];  /* worst passive group of the latest batch */
};

/* Summarise a decoded batch; error (WINDOW_ERROR_MAX bytes) gets the first
 * failed http / upload_task result's target and error, or ""; group
 * (WINDOW_GROUP_MAX bytes) the passive group with the most retransmitted,
 * or "". */
void window_sample_of(const struct wire_batch *b, int64_t recv_ms, struct win_sample *out,
    char *error, char *group);

/* Add a sample (dropping the oldest when the ring is full) and update the
 * tally-path failure streak with its error and the worst passive group. */
void window_add(struct window *w, const struct win_sample *s, const char *error,
    const char *group);

/* Metrics of the samples received in (now - window_ms, now]. */
void window_metrics(struct window *w, int64_t now_ms, int64_t window_ms,
    struct window_metrics *m);

#endif
