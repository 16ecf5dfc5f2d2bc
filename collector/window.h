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

/* What the status engine keeps of one batch. */
struct win_sample {
	int64_t t_ms;           /* receive time */
	int64_t sent, recv;     /* icmp and stamp trains, pooled */
	double rtt_p95_ms;      /* worst train's p95, NAN none */
	double jitter_ms;       /* worst train's mean |IPDV|, NAN none */
	double upload_mbps;     /* slowest upload, NAN none */
	int http_total;         /* http and upload_task results */
	int http_failed;
	char http_error[96];    /* first failure's target and error */
};

#define WINDOW_MAX_SAMPLES 64

struct window {
	struct win_sample s[WINDOW_MAX_SAMPLES];  /* ring, oldest at head */
	int head, n;
	int http_fail_streak;   /* consecutive batches with a failure */
	char http_error[96];
};

/* Summarise a decoded batch. */
void window_sample_of(const struct wire_batch *b, int64_t recv_ms, struct win_sample *out);

/* Add a sample (dropping the oldest when the ring is full) and update the
 * tally-path failure streak. */
void window_add(struct window *w, const struct win_sample *s);

/* Metrics of the samples received in (now - window_ms, now]. */
void window_metrics(struct window *w, int64_t now_ms, int64_t window_ms,
    struct window_metrics *m);

#endif
