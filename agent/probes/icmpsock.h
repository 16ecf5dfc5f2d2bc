/*
 * The agent's shared ICMP echo socket, one per address family, opened once
 * at start (so the agent can drop root right after) and watched on the
 * loop with a uv_poll_t.
 *
 * Opening tries an unprivileged ping socket first (SOCK_DGRAM with
 * IPPROTO_ICMP / IPPROTO_ICMPV6, allowed when sysctl
 * net.ipv4.ping_group_range covers our group), then a raw socket (root or
 * CAP_NET_RAW). Probes share it through "trains": a train registers a
 * callback and gets a 32-bit cookie; every echo request it sends carries
 * in its payload a magic, the cookie and the sequence number, so replies
 * are matched by (cookie, seq) whatever else arrives on the socket. A raw
 * socket sees every echo reply for the host, so it also filters on the
 * ICMP identifier (random, chosen at open); a ping socket does not need to
 * (the kernel puts its own identifier in and delivers only our replies).
 *
 * Times are CLOCK_MONOTONIC nanoseconds (clock_mono_ns()). The send time is
 * read right before sendto(); the receive time is the kernel's receive
 * timestamp (SO_TIMESTAMPNS) moved onto the monotonic clock, or, where the
 * kernel gives none, the earliest time we know the packet was there.
 */
#ifndef PANTAU_ICMPSOCK_H
#define PANTAU_ICMPSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "err.h"

/* Payload bytes of one echo request (after the 8-byte ICMP header). */
#define ICMPSOCK_MIN_PAYLOAD 16
#define ICMPSOCK_MAX_PAYLOAD 1472

struct icmpsock;

/* An echo reply matched one of a train's requests: its sequence number
 * and the receive time. Late and duplicate replies are delivered too; the
 * train decides. The callback may unregister trains and even free the
 * socket (icmpsock_free) from inside. */
typedef void (*icmpsock_reply_fn)(void *arg, uint32_t cookie, uint16_t seq,
    int64_t rx_mono_ns);

/*
 * Open the socket for family (AF_INET or AF_INET6) and start watching it.
 * On PANTAU_OK *out is the new socket (free with icmpsock_free). Otherwise
 * *out is NULL and why says in plain words why and what to do:
 * PANTAU_ERR_UNSUPPORTED for another family, PANTAU_ERR_IO when neither
 * kind of socket may be opened, PANTAU_ERR_NOMEM.
 */
pantau_err icmpsock_open(uv_loop_t *loop, int family, struct icmpsock **out, char *why,
    size_t len);

/* Stop watching and close the socket (asynchronously on the loop). Every
 * train must be unregistered before; registrations left are dropped.
 * NULL is a no-op. */
void icmpsock_free(struct icmpsock *s);

int icmpsock_family(const struct icmpsock *s);

/* Register a train; *cookie receives its cookie, unique on this socket.
 * PANTAU_ERR_NOMEM, or PANTAU_ERR_STATE after icmpsock_free(). */
pantau_err icmpsock_register(struct icmpsock *s, icmpsock_reply_fn fn, void *arg,
    uint32_t *cookie);
/* Forget a train: no callback for its cookie after this. Unknown cookies
 * are ignored. */
void icmpsock_unregister(struct icmpsock *s, uint32_t cookie);

/*
 * Send one echo request of size payload bytes (ICMPSOCK_MIN_PAYLOAD ..
 * ICMPSOCK_MAX_PAYLOAD) to dst (of the socket's family; its port is
 * ignored). *tx_mono_ns receives the send time. PANTAU_ERR_INVAL for a
 * bad size or family; PANTAU_ERR_NET when the kernel refuses it, with
 * errno saying why (e.g. ENETUNREACH).
 */
pantau_err icmpsock_send(struct icmpsock *s, const struct sockaddr *dst, uint32_t cookie,
    uint16_t seq, size_t size, int64_t *tx_mono_ns);

/*
 * Whether packet p (n bytes, as recvmsg gave it) is an echo reply to one of
 * the requests of a socket of this family and kind whose identifier is
 * ident: then its train's cookie and its seq. Pure (tests/fuzz/).
 */
bool icmpsock_parse_reply(int family, bool raw, uint16_t ident, const uint8_t *p, size_t n,
    uint32_t *cookie, uint16_t *seq);

#endif
