/*
 * What the exec parts of the libcurl kinds (http.c, throughput.c,
 * upload_task.c; linked only into pantau-probe-worker) share: the easy
 * handle options every run uses, the phase times in a result, a body
 * sink, and the note of a run skipped for the daily data budget.
 */
#ifndef PANTAU_PROBES_CURLRUN_H
#define PANTAU_PROBES_CURLRUN_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct budget;

/* URL, no signals, our User-Agent, errbuf (CURL_ERROR_SIZE) and a fresh
 * connection never reused, so each run measures the path and not a cache.
 * CURLE_OK, or a libcurl error of one of them. */
CURLcode curlrun_fresh(CURL *easy, const char *url, char *errbuf);

/* dns_ms, connect_ms, tls_ms, with ttfb also ttfb_ms, and total_ms of the
 * transfer into result, each when known (common/curlglue.h). */
void curlrun_set_phases(json_t *result, CURL *easy, bool ttfb);

/* A CURLOPT_WRITEFUNCTION that reads and drops the body. */
size_t curlrun_discard(char *ptr, size_t size, size_t nmemb, void *arg);

/* "skipped: the daily data budget of N MB is spent (...); the next WHAT
 * runs after midnight UTC". */
void curlrun_budget_note(struct budget *b, const char *what, char *note, size_t len);

#endif
