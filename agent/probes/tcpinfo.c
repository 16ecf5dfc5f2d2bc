#include "agent/probes/tcpinfo.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

bool
tcpinfo_read(int fd, struct tcpinfo *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return false;
	out->rtt_us = ti.tcpi_rtt;
	out->rcv_rtt_us = ti.tcpi_rcv_rtt;
	out->total_retrans = ti.tcpi_total_retrans;
	out->bytes_acked = ti.tcpi_bytes_acked;
	out->bytes_received = ti.tcpi_bytes_received;
	out->bytes_sent = ti.tcpi_bytes_sent;
	out->bytes_retrans = ti.tcpi_bytes_retrans;
	return true;
}
