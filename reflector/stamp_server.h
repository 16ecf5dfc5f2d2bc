/*
 * The STAMP reflector (RFC 8762, unauthenticated, stateless): every test
 * packet of at least 44 octets from a source within its rate is answered
 * with a reflector packet of exactly the same length, carrying the
 * kernel's receive timestamp (T2), the transmit time (T3, read right
 * before sendmsg), the sender's sequence number, timestamp, error estimate
 * and the TTL / hop limit its packet arrived with. Runs on the loop with a
 * uv_poll_t on a non-blocking UDP socket.
 */
#ifndef PANTAU_STAMP_SERVER_H
#define PANTAU_STAMP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "err.h"

struct stamp_server;

struct stamp_server_opts {
	const char *listen;   /* listen text (listenaddr.h); "": 0.0.0.0 */
	int port;             /* when listen names none; 0: any free port (tests) */
	double rate_pps;
	int burst;
	int sources;
};

struct stamp_server_stats {
	uint64_t reflected;
	uint64_t rate_limited;   /* dropped: source over its rate */
	uint64_t malformed;      /* dropped: shorter than 44 octets or truncated */
	uint64_t send_failed;
};

/* Bind and start answering. why says what failed (e.g. the port is taken
 * or needs privileges). */
pantau_err stamp_server_new(uv_loop_t *loop, const struct stamp_server_opts *o,
    struct stamp_server **out, char *why, size_t len);
/* Stop and close (asynchronously on the loop). NULL is a no-op. */
void stamp_server_free(struct stamp_server *s);
int stamp_server_port(const struct stamp_server *s);
/* New limits (a reload): rate and burst apply to the next packet; a new
 * sources count makes a new table (every source starts with a full
 * burst). On failure the running limits stay. */
pantau_err stamp_server_set_limits(struct stamp_server *s, const struct stamp_server_opts *o);
const struct stamp_server_stats *stamp_server_stats(const struct stamp_server *s);

#endif
