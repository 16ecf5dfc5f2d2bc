#include "rxmeta.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"

static void
read_control(struct msghdr *msg, struct rxmeta *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		bool sol = c->cmsg_level == SOL_SOCKET;
		if (sol && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			m->real_ns = clock_timespec_ns(&ts);
		} else if (sol && c->cmsg_type == SCM_TIMESTAMP &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timeval))) {
			struct timeval tv;
			memcpy(&tv, CMSG_DATA(c), sizeof(tv));
			m->real_ns = (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000;
		} else if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			m->ttl = v < 0 ? 0 : v > 255 ? 255 : v;
		}
	}
}

ssize_t
rxmeta_recv(int fd, void *buf, size_t len, struct sockaddr_storage *from, struct rxmeta *meta)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(struct timeval)) +
		    2 * CMSG_SPACE(sizeof(int)) + 64];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_name = from, .msg_namelen = from != NULL ? sizeof(*from) : 0,
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf) };
	*meta = (struct rxmeta){ .real_ns = -1, .ttl = -1 };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
	meta->flags = msg.msg_flags;
	meta->fromlen = msg.msg_namelen;
	read_control(&msg, meta);
	return n;
}
