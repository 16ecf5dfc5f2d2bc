#include "agent/probes/icmpsock.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "byteorder.h"
#include "clock.h"
#include "log.h"
#include "rng.h"
#include "rxmeta.h"

/* ICMP message types (RFC 792, RFC 4443). */
enum {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_ECHO_REQUEST = 8,
	ICMP6_ECHO_REQ = 128,
	ICMP6_ECHO_REP = 129,
};

/* Linux raw ICMPv4 socket option (linux/icmp.h, level SOL_RAW): a bit mask
 * of the message types the kernel should not queue for us. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#define ICMP_HDR_LEN 8
#define IPV4_MIN_HDR 20
/* Payload: magic, cookie, seq, identifier, then a fill pattern. */
#define PL_MAGIC 0
#define PL_COOKIE 4
#define PL_SEQ 8
#define PL_IDENT 10
#define PL_FILL 12
static const uint8_t payload_magic[4] = { 'P', 'N', 'T', 'U' };

/* Packets read per readable event before yielding to the loop. */
#define READ_BUDGET 64
/* Largest packet we read: an IPv4 header with options and our largest
 * reply; anything longer is not ours. */
#define RX_BUF (60 + ICMP_HDR_LEN + ICMPSOCK_MAX_PAYLOAD)
/* A kernel timestamp older than this is not trusted (clock stepped). */
#define MAX_TS_AGE_NS (10LL * 1000 * 1000 * 1000)

struct train {
	uint32_t cookie;
	icmpsock_reply_fn fn;
	void *arg;
	struct train *next;
};

struct icmpsock {
	uv_poll_t poll;
	int fd;
	int family;
	bool raw;
	bool kernel_ts;
	bool dying;         /* icmpsock_free() was called */
	int busy;           /* depth inside on_readable */
	uint16_t ident;     /* ICMP identifier of our requests (raw sockets) */
	struct rng rng;
	struct train *trains;
	uint8_t tx[ICMP_HDR_LEN + ICMPSOCK_MAX_PAYLOAD];
	uint8_t rx[RX_BUF];
};

/* Internet checksum (RFC 1071) over n bytes, big-endian words. A packet
 * that carries a correct checksum sums to 0. */
static uint16_t
inet_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be_get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ask the kernel to queue only echo replies on a raw socket (an
 * optimisation: the reader filters anyway). */
static void
set_raw_filter(struct icmpsock *s)
{
	int rc;
	if (s->family == AF_INET) {
		uint32_t mask = ~(1u << ICMP4_ECHO_REPLY);
		rc = setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask));
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REP, &f);
		rc = setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	if (rc != 0)
		log_debug("icmp: no kernel filter on the raw socket: %s", strerror(errno));
}

static void
describe_open_failure(int family, int dgram_errno, int raw_errno, char *why, size_t len)
{
	snprintf(why, len, "cannot open an %s socket: unprivileged ping sockets are not "
	    "allowed (%s; sysctl net.ipv4.ping_group_range must include group %ld) and raw "
	    "sockets need root or CAP_NET_RAW (%s); run the agent as root or widen "
	    "net.ipv4.ping_group_range", family == AF_INET ? "ICMP" : "ICMPv6",
	    strerror(dgram_errno), (long)getgid(), strerror(raw_errno));
}

/* Socket of either kind, ping socket first. */
static int
open_fd(int family, bool *raw, char *why, size_t len)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		*raw = false;
		return fd;
	}
	int dgram_errno = errno;
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		*raw = true;
		return fd;
	}
	describe_open_failure(family, dgram_errno, errno, why, len);
	return -1;
}

static void on_readable(uv_poll_t *h, int status, int events);

pantau_err
icmpsock_open(uv_loop_t *loop, int family, struct icmpsock **out, char *why, size_t len)
{
	pantau_err rc = PANTAU_OK;
	struct icmpsock *s = NULL;
	bool raw = false;
	int one = 1;
	int fd = -1;
	*out = NULL;
	if (family != AF_INET && family != AF_INET6) {
		snprintf(why, len, "address family %d is neither IPv4 nor IPv6", family);
		return PANTAU_ERR_UNSUPPORTED;
	}
	fd = open_fd(family, &raw, why, len);
	if (fd < 0)
		return PANTAU_ERR_IO;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(why, len, "out of memory");
		rc = PANTAU_ERR_NOMEM;
		goto out;
	}
	s->fd = fd;
	s->family = family;
	s->raw = raw;
	rng_seed(&s->rng);
	s->ident = (uint16_t)rng_next(&s->rng);
	s->kernel_ts = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
	if (raw)
		set_raw_filter(s);
	if (uv_poll_init_socket(loop, &s->poll, fd) != 0) {
		snprintf(why, len, "cannot watch the ICMP socket on the event loop");
		rc = PANTAU_ERR_IO;
		goto out;
	}
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	log_debug("icmp: %s %s socket open, identifier %u%s", family == AF_INET ? "IPv4" : "IPv6",
	    raw ? "raw" : "ping", (unsigned)s->ident, s->kernel_ts ? ", kernel timestamps" : "");
	*out = s;
	s = NULL;
	fd = -1;
out:
	free(s);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void
on_closed(uv_handle_t *h)
{
	struct icmpsock *s = h->data;
	close(s->fd);
	free(s);
}

void
icmpsock_free(struct icmpsock *s)
{
	if (s == NULL || s->dying)
		return;
	s->dying = true;
	while (s->trains != NULL) {
		struct train *t = s->trains;
		s->trains = t->next;
		free(t);
	}
	uv_poll_stop(&s->poll);
	if (s->busy == 0)
		uv_close((uv_handle_t *)&s->poll, on_closed);
}

int
icmpsock_family(const struct icmpsock *s)
{
	return s->family;
}

static struct train *
find_train(const struct icmpsock *s, uint32_t cookie)
{
	for (struct train *t = s->trains; t != NULL; t = t->next)
		if (t->cookie == cookie)
			return t;
	return NULL;
}

pantau_err
icmpsock_register(struct icmpsock *s, icmpsock_reply_fn fn, void *arg, uint32_t *cookie)
{
	if (s == NULL || s->dying)
		return PANTAU_ERR_STATE;
	struct train *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return PANTAU_ERR_NOMEM;
	do
		t->cookie = (uint32_t)rng_next(&s->rng);
	while (t->cookie == 0 || find_train(s, t->cookie) != NULL);
	t->fn = fn;
	t->arg = arg;
	t->next = s->trains;
	s->trains = t;
	*cookie = t->cookie;
	return PANTAU_OK;
}

void
icmpsock_unregister(struct icmpsock *s, uint32_t cookie)
{
	if (s == NULL)
		return;
	for (struct train **p = &s->trains; *p != NULL; p = &(*p)->next) {
		if ((*p)->cookie == cookie) {
			struct train *t = *p;
			*p = t->next;
			free(t);
			return;
		}
	}
}

/* Destination of the socket's family with the port cleared (raw IPv6
 * sockets read the port as the protocol). */
static socklen_t
copy_dst(const struct icmpsock *s, const struct sockaddr *dst, struct sockaddr_storage *to)
{
	memset(to, 0, sizeof(*to));
	if (s->family == AF_INET) {
		memcpy(to, dst, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)to)->sin_port = 0;
		return sizeof(struct sockaddr_in);
	}
	memcpy(to, dst, sizeof(struct sockaddr_in6));
	((struct sockaddr_in6 *)to)->sin6_port = 0;
	return sizeof(struct sockaddr_in6);
}

pantau_err
icmpsock_send(struct icmpsock *s, const struct sockaddr *dst, uint32_t cookie, uint16_t seq,
    size_t size, int64_t *tx_mono_ns)
{
	struct sockaddr_storage to;
	uint8_t *p = s->tx;
	if (size < ICMPSOCK_MIN_PAYLOAD || size > ICMPSOCK_MAX_PAYLOAD ||
	    dst == NULL || dst->sa_family != s->family || s->dying)
		return PANTAU_ERR_INVAL;
	socklen_t tolen = copy_dst(s, dst, &to);
	p[0] = s->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQ;
	p[1] = 0;
	be_put16(p + 2, 0);
	be_put16(p + 4, s->ident);
	be_put16(p + 6, seq);
	uint8_t *pl = p + ICMP_HDR_LEN;
	memcpy(pl + PL_MAGIC, payload_magic, sizeof(payload_magic));
	be_put32(pl + PL_COOKIE, cookie);
	be_put16(pl + PL_SEQ, seq);
	be_put16(pl + PL_IDENT, s->ident);
	for (size_t i = PL_FILL; i < size; i++)
		pl[i] = (uint8_t)i;
	/* The kernel fills in the ICMPv6 checksum (it covers a pseudo-header);
	 * ping sockets recompute the ICMPv4 one too. */
	if (s->family == AF_INET)
		be_put16(p + 2, inet_checksum(p, ICMP_HDR_LEN + size));
	*tx_mono_ns = clock_mono_ns();
	if (sendto(s->fd, p, ICMP_HDR_LEN + size, 0, (struct sockaddr *)&to, tolen) < 0)
		return PANTAU_ERR_NET;
	return PANTAU_OK;
}

/* The kernel's receive time real_ns (realtime, -1 unknown) moved onto the
 * monotonic clock by its age now, or fallback when there is none or it is
 * implausible. */
static int64_t
rx_time(int64_t real_ns, int64_t fallback)
{
	if (real_ns < 0)
		return fallback;
	int64_t now = clock_real_ns();
	int64_t mono = clock_mono_ns();
	int64_t age = now - real_ns;
	if (age < 0 || age > MAX_TS_AGE_NS)
		return fallback;
	return mono - age;
}

bool
icmpsock_parse_reply(int family, bool raw, uint16_t ident, const uint8_t *p, size_t n,
    uint32_t *cookie, uint16_t *seq)
{
	if (raw && family == AF_INET) {
		/* Raw IPv4 sockets deliver the IP header too. */
		if (n < IPV4_MIN_HDR || (p[0] >> 4) != 4)
			return false;
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < IPV4_MIN_HDR || ihl > n)
			return false;
		p += ihl;
		n -= ihl;
	}
	if (n < ICMP_HDR_LEN + ICMPSOCK_MIN_PAYLOAD)
		return false;
	if (p[0] != (family == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REP) || p[1] != 0)
		return false;
	if (family == AF_INET && inet_checksum(p, n) != 0)
		return false;
	if (raw && be_get16(p + 4) != ident)
		return false;
	const uint8_t *pl = p + ICMP_HDR_LEN;
	if (memcmp(pl + PL_MAGIC, payload_magic, sizeof(payload_magic)) != 0 ||
	    be_get16(pl + PL_IDENT) != ident || be_get16(pl + PL_SEQ) != be_get16(p + 6))
		return false;
	*cookie = be_get32(pl + PL_COOKIE);
	*seq = be_get16(p + 6);
	return true;
}

/* Read and dispatch one packet; false when there is nothing more to read.
 * earliest: a time the packet was surely there (or -1). */
static bool
read_one(struct icmpsock *s, int64_t earliest)
{
	struct rxmeta m;
	ssize_t n = rxmeta_recv(s->fd, s->rx, sizeof(s->rx), NULL, &m);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_debug("icmp: receive failed: %s", strerror(errno));
		return false;
	}
	int64_t rx = rx_time(m.real_ns, earliest >= 0 ? earliest : clock_mono_ns());
	uint32_t cookie;
	uint16_t seq;
	if ((m.flags & MSG_TRUNC) || !icmpsock_parse_reply(s->family, s->raw, s->ident, s->rx, (size_t)n,
	    &cookie, &seq))
		return true;
	struct train *t = find_train(s, cookie);
	if (t != NULL)
		t->fn(t->arg, cookie, seq, rx);
	return true;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct icmpsock *s = h->data;
	(void)events;
	if (status < 0) {
		log_debug("icmp: socket error: %s", uv_strerror(status));
		return;
	}
	/* The first queued packet was there when the loop saw the socket
	 * readable, so no later than now. */
	int64_t wake = clock_mono_ns();
	s->busy++;
	for (int i = 0; i < READ_BUDGET && !s->dying; i++)
		if (!read_one(s, i == 0 ? wake : -1))
			break;
	s->busy--;
	if (s->dying && s->busy == 0)
		uv_close((uv_handle_t *)&s->poll, on_closed);
}
