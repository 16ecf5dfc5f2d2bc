/*
 * The few TCP_INFO figures the throughput probe uses. glibc's struct
 * tcp_info (netinet/tcp.h, pulled in by uv.h) predates the byte counters,
 * so tcpinfo.c reads the kernel's own struct (linux/tcp.h) on its own.
 */
#ifndef PANTAU_TCPINFO_H
#define PANTAU_TCPINFO_H

#include <stdbool.h>
#include <stdint.h>

struct tcpinfo {
	uint32_t rtt_us;          /* smoothed RTT of our sending side */
	uint32_t rcv_rtt_us;      /* the receiver's RTT estimate; 0 when unknown */
	uint32_t total_retrans;   /* segments retransmitted */
	uint64_t bytes_acked;     /* bytes the peer acknowledged */
	uint64_t bytes_received;  /* bytes received in order, read or not */
	uint64_t bytes_sent;      /* bytes sent, retransmissions included */
	uint64_t bytes_retrans;   /* bytes retransmitted */
};

/* Read TCP_INFO of a connected TCP socket; false when the kernel refuses
 * (the byte counters are 0 on kernels older than 4.19). */
bool tcpinfo_read(int fd, struct tcpinfo *out);

#endif
