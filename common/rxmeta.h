/*
 * Receiving one datagram with what the kernel says about it: when it
 * arrived (SO_TIMESTAMPNS, or SO_TIMESTAMP on sockets that give only
 * microseconds) and its TTL / hop limit (IP_RECVTTL, IPV6_RECVHOPLIMIT).
 * The one receive path of the ICMP sockets, the STAMP sender and the STAMP
 * reflector.
 */
#ifndef PANTAU_RXMETA_H
#define PANTAU_RXMETA_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct rxmeta {
	int64_t real_ns;        /* kernel receive time, CLOCK_REALTIME ns; -1 unknown */
	int ttl;                /* TTL or hop limit, 0..255; -1 unknown */
	int flags;              /* recvmsg's msg_flags (MSG_TRUNC: cut short) */
	socklen_t fromlen;      /* bytes of *from filled */
};

/*
 * Receive one datagram on fd into buf without blocking; from (may be NULL)
 * gets the sender. Returns its length, or -1 with errno (EAGAIN when none
 * is waiting).
 */
ssize_t rxmeta_recv(int fd, void *buf, size_t len, struct sockaddr_storage *from,
    struct rxmeta *meta);

#endif
