#include "stamp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "clocksync.h"
#include "listenaddr.h"
#include "log.h"
#include "ratelimit.h"
#include "rxmeta.h"
#include "stamp.h"

/* Packets handled per readable event before yielding to the loop. */
#define READ_BUDGET 64

struct stamp_server {
	uv_poll_t poll;
	int fd;
	int port;
	char host[INET6_ADDRSTRLEN];
	struct ratelimit *rl;
	struct stamp_server_stats stats;
	uint8_t rx[STAMP_PKT_MAX + 1];
	uint8_t tx[STAMP_PKT_MAX];
};

/* Ask for receive timestamps and the TTL / hop limit of each packet. */
static void
set_rx_options(int fd, int family)
{
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0)
		log_debug("stamp: no kernel receive timestamps: %s", strerror(errno));
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	/* Also on an IPv6 socket, for IPv4 packets it receives (dual stack). */
	(void)setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
}

static pantau_err
open_socket(struct stamp_server *s, const struct stamp_server_opts *o, char *why, size_t len)
{
	struct listen_addr la;
	struct sockaddr_storage ss;
	char msg[256];
	if (listen_addr_parse(o->listen, "0.0.0.0", o->port, &la, msg, sizeof(msg)) != PANTAU_OK) {
		snprintf(why, len, "[stamp] listen \"%s\" %s", o->listen, msg);
		return PANTAU_ERR_CONFIG;
	}
	s->fd = socket(la.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&la.ss, la.sslen) != 0) {
		snprintf(why, len, "cannot receive STAMP on %s UDP port %d: %s%s", la.host,
		    la.port, strerror(errno), errno == EACCES ? " (ports below 1024 need root or "
		    "CAP_NET_BIND_SERVICE)" : "; set [stamp] listen and port to a free address");
		return PANTAU_ERR_NET;
	}
	snprintf(s->host, sizeof(s->host), "%s", la.host);
	set_rx_options(s->fd, la.family);
	socklen_t sl = sizeof(ss);
	getsockname(s->fd, (struct sockaddr *)&ss, &sl);
	s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return PANTAU_OK;
}

static void
reflect(struct stamp_server *s, size_t n, int64_t rx_ns, uint8_t ttl,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct stamp_sender_pkt in;
	struct stamp_errest local;
	stamp_sender_decode(s->rx, n, &in);
	clocksync_local(&local);
	struct stamp_reflector_pkt out = {
		.seq = in.seq, /* stateless mode: the sender's number */
		.errest = stamp_errest_encode(&local),
		.rx_ts = stamp_ntp_from_unix_ns(rx_ns),
		.sender_seq = in.seq,
		.sender_ts = in.ts,
		.sender_errest = in.errest,
		.sender_ttl = ttl,
	};
	/* T3 as late as possible: the packet is re-encoded with it last. */
	out.ts = stamp_ntp_from_unix_ns(clock_real_ns());
	stamp_reflector_encode(&out, s->tx, n);
	if (sendto(s->fd, s->tx, n, 0, (const struct sockaddr *)from, fromlen) < 0)
		s->stats.send_failed++;
	else
		s->stats.reflected++;
}

/* Read and answer one packet; false when there is nothing more to read. */
static bool
read_one(struct stamp_server *s)
{
	struct sockaddr_storage from;
	struct rxmeta m;
	ssize_t n = rxmeta_recv(s->fd, s->rx, sizeof(s->rx), &from, &m);
	if (n < 0)
		return false;
	/* T2 from the kernel, else now; the TTL / hop limit 0 when unknown */
	int64_t rx_ns = m.real_ns >= 0 ? m.real_ns : clock_real_ns();
	uint8_t ttl = (uint8_t)(m.ttl < 0 ? 0 : m.ttl);
	if (n < STAMP_PKT_MIN || (size_t)n > STAMP_PKT_MAX || (m.flags & MSG_TRUNC)) {
		s->stats.malformed++;
		return true;
	}
	if (!ratelimit_allow(s->rl, (struct sockaddr *)&from, clock_mono_ns())) {
		s->stats.rate_limited++;
		return true;
	}
	reflect(s, (size_t)n, rx_ns, ttl, &from, m.fromlen);
	return true;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct stamp_server *s = h->data;
	(void)events;
	if (status < 0) {
		log_debug("stamp: socket error: %s", uv_strerror(status));
		return;
	}
	for (int i = 0; i < READ_BUDGET; i++)
		if (!read_one(s))
			break;
}

pantau_err
stamp_server_new(uv_loop_t *loop, const struct stamp_server_opts *o, struct stamp_server **out,
    char *why, size_t len)
{
	pantau_err rc;
	struct stamp_server *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (s == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	s->fd = -1;
	rc = ratelimit_new(o->rate_pps, o->burst, (size_t)o->sources, &s->rl);
	if (rc != PANTAU_OK) {
		snprintf(why, len, "cannot make the STAMP rate limit table: %s", pantau_strerror(rc));
		goto fail;
	}
	if ((rc = open_socket(s, o, why, len)) != PANTAU_OK)
		goto fail;
	if (uv_poll_init_socket(loop, &s->poll, s->fd) != 0) {
		snprintf(why, len, "cannot watch the STAMP socket on the event loop");
		rc = PANTAU_ERR_IO;
		goto fail;
	}
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	log_info("stamp: reflecting on %s UDP port %d", s->host, s->port);
	*out = s;
	return PANTAU_OK;
fail:
	if (s->fd >= 0)
		close(s->fd);
	ratelimit_free(s->rl);
	free(s);
	return rc;
}

static void
on_closed(uv_handle_t *h)
{
	struct stamp_server *s = h->data;
	close(s->fd);
	ratelimit_free(s->rl);
	free(s);
}

void
stamp_server_free(struct stamp_server *s)
{
	if (s == NULL)
		return;
	log_info("stamp: %llu packets reflected, %llu over the rate limit, %llu malformed, "
	    "%llu not sent", (unsigned long long)s->stats.reflected,
	    (unsigned long long)s->stats.rate_limited, (unsigned long long)s->stats.malformed,
	    (unsigned long long)s->stats.send_failed);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_closed);
}

pantau_err
stamp_server_set_limits(struct stamp_server *s, const struct stamp_server_opts *o)
{
	struct ratelimit *rl;
	if (ratelimit_slots(s->rl) == (size_t)o->sources)
		return ratelimit_set(s->rl, o->rate_pps, o->burst);
	pantau_err rc = ratelimit_new(o->rate_pps, o->burst, (size_t)o->sources, &rl);
	if (rc == PANTAU_OK) {
		ratelimit_free(s->rl);
		s->rl = rl;
	}
	return rc;
}

int
stamp_server_port(const struct stamp_server *s)
{
	return s->port;
}

const struct stamp_server_stats *
stamp_server_stats(const struct stamp_server *s)
{
	return &s->stats;
}
