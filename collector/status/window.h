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

/* What the status engine takes of one batch (window_sample_of). */
struct win_sample {
	int64_t t_ms;           /* receive time */
	int32_t sent, recv;     /* icmp and stamp trains, pooled */
	float rtt_p95_ms;       /* worst train's p95, NAN none */
	float jitter_ms;        /* worst train's mean |IPDV|, NAN none */
	float upload_mbps;      /* slowest upload, NAN none */
	uint16_t http_total;    /* http and upload_task results */
	uint16_t http_failed;
	float traffic[WT_COUNT]; /* the site's own traffic (verdict.h), NAN none */
};

/* What a window keeps of one batch but its traffic figures: 32 bytes, so
 * 100,000 sites with a full ring cost about 100 MB. */
struct win_slot {
	int64_t t_ms;
	int32_t sent, recv;
	float rtt_p95_ms, jitter_ms, upload_mbps;
	uint16_t http_total, http_failed;
};

/* Enough for a 5-minute window at a 10 s counting interval. */
#define WINDOW_MAX_SAMPLES 32
#define WINDOW_ERROR_MAX 160
#define WINDOW_GROUP_MAX WT_GROUP_MAX

/* A passive group with fewer segments (DNS queries) in a batch says
 * nothing of its retransmissions (DNS failures). */
#define WINDOW_RETRANS_MIN_SEGMENTS 100
#define WINDOW_DNS_MIN_QUERIES 20

/* The passive groups of a batch or a window that gave each figure. */
struct win_groups {
	char to[WT_COUNT][WINDOW_GROUP_MAX];
};

/* The site's own traffic, slot by slot, and the group of the latest batch
 * with each figure: about 1.1 KiB, so it is allocated only for a site
 * that sends any (most sites run no passive probe). */
struct win_passive {
	float v[WINDOW_MAX_SAMPLES][WT_COUNT];  /* NAN none */
	struct win_groups to;
};

struct window {
	struct win_slot s[WINDOW_MAX_SAMPLES];  /* ring, oldest at head */
	int head, n;
	int http_fail_streak;   /* consecutive batches with a failure */
	char http_error[WINDOW_ERROR_MAX];
	struct win_passive *traffic;  /* NULL until a batch brings a figure */
};

/* Summarise a decoded batch; error (WINDOW_ERROR_MAX bytes) gets the first
 * failed http / upload_task result's target and error, or ""; groups the
 * passive group worst in each figure, or "". */
void window_sample_of(const struct wire_batch *b, int64_t recv_ms, struct win_sample *out,
    char *error, struct win_groups *groups);

/* Add a sample (dropping the oldest when the ring is full) and update the
 * tally-path failure streak with its error and the worst passive groups.
 * The first sample with a traffic figure allocates w->traffic; out of
 * memory, the traffic figures are left out (the window reads as none). */
void window_add(struct window *w, const struct win_sample *s, const char *error,
    const struct win_groups *groups);

/* What the result kinds' table calls traffic figure t (common/resultkind.h). */
enum rk_judge window_traffic_judge(enum win_traffic t);

/* Metrics of the samples received in (now - window_ms, now]. */
void window_metrics(struct window *w, int64_t now_ms, int64_t window_ms,
    struct window_metrics *m);

/* What window_add allocated; the window itself is the caller's. */
void window_free(struct window *w);

#endif
