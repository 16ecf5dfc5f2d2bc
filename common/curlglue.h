/*
 * libcurl's multi-socket API driven by a daemon's libuv loop (the agent's
 * probes, the collector's alert delivery).
 *
 * One curlglue owns one CURLM. libcurl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: one uv_poll_t per socket) and when to call it
 * back without socket activity (CURLMOPT_TIMERFUNCTION: one uv_timer_t);
 * both end in curl_multi_socket_action(), after which finished transfers
 * are collected with curl_multi_info_read() and reported to their owners.
 * Nothing here blocks: Debian's libcurl resolves names in a thread.
 *
 * Ownership: easy handles always belong to the caller. curlglue_add() lends
 * one to the multi until done() is called or curlglue_remove() takes it
 * back; the caller then cleans it up (curl_easy_cleanup).
 */
#ifndef PANTAU_CURLGLUE_H
#define PANTAU_CURLGLUE_H

#include <curl/curl.h>
#include <uv.h>

#include "err.h"

struct curlglue;

/*
 * A transfer finished (rc is CURLE_OK or why it failed). The easy handle is
 * already out of the multi and back with the caller, who may clean it up,
 * add new transfers or even call curlglue_free() from inside this callback.
 */
typedef void (*curlglue_done_fn)(CURL *easy, CURLcode rc, void *arg);

/* A new multi on loop (also takes a reference on libcurl's global init).
 * NULL when libcurl or memory fails. */
struct curlglue *curlglue_new(uv_loop_t *loop);

/*
 * Stop and release: transfers still added are removed without done() calls
 * (their easy handles stay with their owners), the multi is cleaned up and
 * the uv handles are closed asynchronously: run the loop until it has no
 * more handles to finish. Safe from inside a done callback. NULL is a no-op.
 */
void curlglue_free(struct curlglue *g);

/*
 * Start a transfer. done(easy, rc, arg) follows exactly once, always from
 * the loop, never from inside this call, unless curlglue_remove() cancels
 * it first. PANTAU_ERR_DUPLICATE when easy is already added,
 * PANTAU_ERR_STATE after curlglue_free(), PANTAU_ERR_NOMEM or
 * PANTAU_ERR_NET when libcurl refuses it.
 */
pantau_err curlglue_add(struct curlglue *g, CURL *easy, curlglue_done_fn done, void *arg);

/* Cancel a transfer added earlier: done() will not be called. Unknown
 * handles are ignored. */
void curlglue_remove(struct curlglue *g, CURL *easy);

/* Transfers currently added (for tests and logs). */
size_t curlglue_running(const struct curlglue *g);

/*
 * The phase times of a transfer in ms, read once for every user (the http
 * and upload_task probes, throughput's handshakes; docs/probes.md, http).
 * libcurl's *_TIME_T values are cumulative microseconds from the start:
 *   dns_ms     = NAMELOOKUP                 (name resolution)
 *   connect_ms = CONNECT - NAMELOOKUP       (TCP handshake alone)
 *   tls_ms     = APPCONNECT - CONNECT       (TLS handshake alone)
 *   ttfb_ms    = STARTTRANSFER              (cumulative: start to first byte)
 *   total_ms   = TOTAL                      (cumulative: the whole transfer)
 * A phase that did not complete (libcurl's 0) is -1; dns_ms is known once
 * the name resolved or the connection stands. Also valid mid-transfer.
 */
struct curlglue_phases {
	double dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
};
void curlglue_phases(CURL *easy, struct curlglue_phases *out);

#endif
