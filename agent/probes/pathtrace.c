#include "agent/probes/pathtrace.h"

#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wire.h"

#define PT_VERSION 1
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

void
pathtrace_payload(uint8_t *buf, uint32_t cookie, int index, int ttl)
{
	memset(buf, 0, PT_PAYLOAD);
	buf[0] = (uint8_t)(cookie >> 24);
	buf[1] = (uint8_t)(cookie >> 16);
	buf[2] = (uint8_t)(cookie >> 8);
	buf[3] = (uint8_t)cookie;
	buf[4] = (uint8_t)(index >> 8);
	buf[5] = (uint8_t)index;
	buf[6] = (uint8_t)ttl;
	buf[7] = PT_VERSION;
}

static void
read_id(const uint8_t *p, size_t len, struct pt_answer *a)
{
	if (len < PT_ID_LEN || p[7] != PT_VERSION)
		return;
	a->has_id = true;
	a->cookie = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	a->index = p[4] << 8 | p[5];
	a->ttl = p[6];
}

static enum pt_kind
icmp4_kind(int type, int code)
{
	if (type == ICMP_TIME_EXCEEDED && code == ICMP_EXC_TTL)
		return PT_TIME_EXCEEDED;
	if (type == ICMP_DEST_UNREACH)
		return code == ICMP_PORT_UNREACH ? PT_PORT_UNREACH : PT_UNREACH;
	return PT_NONE;
}

static enum pt_kind
icmp6_kind(int type, int code)
{
	if (type == ICMP6_TIME_EXCEEDED && code == ICMP6_TIME_EXCEED_TRANSIT)
		return PT_TIME_EXCEEDED;
	if (type == ICMP6_DST_UNREACH)
		return code == ICMP6_DST_UNREACH_NOPORT ? PT_PORT_UNREACH : PT_UNREACH;
	return PT_NONE;
}

/* The extended error in data (len bytes): its kind and offender. */
static void
read_err(const uint8_t *data, size_t len, struct pt_answer *a)
{
	struct sock_extended_err ee;
	if (len < sizeof(ee))
		return;
	memcpy(&ee, data, sizeof(ee));
	if (ee.ee_origin == SO_EE_ORIGIN_ICMP)
		a->kind = icmp4_kind(ee.ee_type, ee.ee_code);
	else if (ee.ee_origin == SO_EE_ORIGIN_ICMP6)
		a->kind = icmp6_kind(ee.ee_type, ee.ee_code);
	else
		a->kind = PT_NONE;
	/* SO_EE_OFFENDER: the sockaddr right after the error. */
	const uint8_t *off = data + sizeof(ee);
	size_t left = len - sizeof(ee);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	sa_family_t family;
	if (left < sizeof(family))
		return;
	memcpy(&family, off, sizeof(family));
	size_t need = family == AF_INET ? sizeof(struct sockaddr_in) :
	              family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
	if (need == 0 || left < need)
		return;
	memcpy(&ss, off, need);
	target_addr_text((const struct sockaddr *)&ss, a->addr, sizeof(a->addr));
}

bool
pathtrace_parse(const struct msghdr *msg, const uint8_t *payload, size_t len,
    struct pt_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->real_ns = -1;
	bool found = false;
	const uint8_t *end = (const uint8_t *)msg->msg_control + msg->msg_controllen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		const uint8_t *data = CMSG_DATA(c);
		if (c->cmsg_len < CMSG_LEN(0) || (const uint8_t *)c + c->cmsg_len > end)
			break;
		size_t dlen = c->cmsg_len - CMSG_LEN(0);
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			read_err(data, dlen, a);
			found = dlen >= sizeof(struct sock_extended_err);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		           dlen >= sizeof(struct timespec)) {
			struct timespec ts;
			memcpy(&ts, data, sizeof(ts));
			if (ts.tv_sec >= 0 && ts.tv_sec < INT64_MAX / 1000000000 - 1 &&
			    ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000)
				a->real_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	if (found)
		read_id(payload, len, a);
	return found;
}

void
pathtrace_rate_limits(struct pt_hop *hops, size_t n)
{
	bool clean_after = false;  /* a later hop answered all its probes */
	for (size_t i = n; i-- > 0;) {
		struct pt_hop *h = &hops[i];
		h->rate_limited = clean_after && h->recv > 0 && h->recv < h->sent;
		if (h->sent > 0 && h->recv == h->sent)
			clean_after = true;
	}
}

void
pathtrace_hash(const struct pt_hop *hops, size_t n, char out[17])
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++) {
		const char *s = hops[i].addr[0] != '\0' ? hops[i].addr : "*";
		for (; *s != '\0'; s++) {
			h ^= (uint8_t)*s;
			h *= FNV_PRIME;
		}
		h ^= (uint8_t)'\n';
		h *= FNV_PRIME;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The median of the n answers' RTTs (n > 0). */
static double
median(const double *v, int n)
{
	double s[PT_PROBES_MAX];
	memcpy(s, v, (size_t)n * sizeof(double));
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

json_t *
pathtrace_hops_json(const struct pt_hop *hops, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		const struct pt_hop *h = &hops[i];
		json_t *o = json_pack("{s:i,s:i,s:i,s:b}", "ttl", h->ttl, "sent", h->sent, "recv",
		    h->recv, "rate_limited", h->rate_limited);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
		wire_set_num(o, "loss_pct",
		    h->sent > 0 ? (double)(h->sent - h->recv) * 100.0 / h->sent : 0);
		if (h->recv > 0) {
			json_object_set_new(o, "addr", json_string(h->addr));
			wire_set_num(o, "rtt_p50_ms", median(h->rtt_ms, h->recv));
		}
	}
	return arr;
}
