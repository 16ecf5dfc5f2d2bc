/* The socket-free parts of the path probe (pathtrace.h). */
#include "pathtrace.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <math.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* The sequence number of our probe in the quoted data, -1 unknown. */
static int
quoted_seq(const uint8_t *data, size_t dlen, enum pt_proto proto)
{
	if (proto == PT_ICMP)
		return dlen >= 8 && data[0] == ICMP_ECHO ? (data[6] << 8) | data[7] : -1;
	return dlen >= 2 ? (data[0] << 8) | data[1] : -1;
}

bool
pt_parse_errqueue(const void *control, size_t len, const uint8_t *data, size_t dlen,
    enum pt_proto proto, struct pt_answer *out)
{
	struct msghdr m = { .msg_control = (void *)(uintptr_t)control, .msg_controllen = len };
	memset(out, 0, sizeof(*out));
	out->seq = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct sock_extended_err) +
		                      sizeof(struct sockaddr_in)))
			continue;
		struct sock_extended_err ee;
		struct sockaddr_in sin;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		memcpy(&sin, CMSG_DATA(c) + sizeof(ee), sizeof(sin));
		if (ee.ee_origin != SO_EE_ORIGIN_ICMP || sin.sin_family != AF_INET)
			continue;
		if (ee.ee_type == ICMP_TIME_EXCEEDED)
			out->kind = PT_TIME_EXCEEDED;
		else if (ee.ee_type == ICMP_DEST_UNREACH)
			out->kind = PT_UNREACHABLE;
		else
			continue;
		out->icmp_type = ee.ee_type;
		out->icmp_code = ee.ee_code;
		out->from = sin.sin_addr;
		out->seq = quoted_seq(data, dlen, proto);
		return true;
	}
	return false;
}

uint16_t
pt_checksum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
pt_probe_payload(enum pt_proto proto, uint16_t id, uint16_t seq, uint8_t *buf, size_t len)
{
	memset(buf, 0, len);
	if (proto == PT_UDP) {
		if (len >= 2) {
			buf[0] = (uint8_t)(seq >> 8);
			buf[1] = (uint8_t)seq;
		}
		return;
	}
	if (len < PATHTRACE_ICMP_LEN)
		return;
	buf[0] = ICMP_ECHO;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	/* seq + filler = 0xffff in ones' complement: the sum, so the checksum,
	 * is the same for every seq */
	uint16_t filler = (uint16_t)(0xffff - seq);
	buf[8] = (uint8_t)(filler >> 8);
	buf[9] = (uint8_t)filler;
	uint16_t sum = pt_checksum(buf, PATHTRACE_ICMP_LEN);
	buf[2] = (uint8_t)(sum >> 8);
	buf[3] = (uint8_t)sum;
}

void
pt_finish(struct pt_hop *hops, size_t n)
{
	bool later_whole = false;  /* a hop after this one answered every probe */
	for (size_t i = n; i-- > 0;) {
		hops[i].rate_limited = later_whole && hops[i].recv > 0 && hops[i].recv < hops[i].sent;
		if (hops[i].sent > 0 && hops[i].recv == hops[i].sent)
			later_whole = true;
	}
}

void
pt_hash(const struct pt_hop *hops, size_t n, char *out, size_t len)
{
	uint64_t h = FNV_OFFSET;
	char a[INET_ADDRSTRLEN + 2];
	for (size_t i = 0; i < n; i++) {
		if (hops[i].recv > 0)
			inet_ntop(AF_INET, &hops[i].addr, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "*");
		size_t l = strlen(a);
		a[l] = '\n';
		for (size_t j = 0; j <= l; j++) {
			h ^= (uint8_t)a[j];
			h *= FNV_PRIME;
		}
	}
	snprintf(out, len, "%016llx", (unsigned long long)h);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static json_t *
hop_json(const struct pt_hop *h)
{
	json_t *o = json_pack("{s:i,s:i,s:i,s:f,s:b}", "ttl", h->ttl, "sent", h->sent, "recv",
	    h->recv, "loss_pct", h->sent > 0 ? round3((h->sent - h->recv) * 100.0 / h->sent) : 0.0,
	    "rate_limited", h->rate_limited);
	if (o == NULL || h->recv <= 0)
		return o;
	char a[INET_ADDRSTRLEN];
	double r[PATHTRACE_PROBES_MAX];
	int k = h->recv < PATHTRACE_PROBES_MAX ? h->recv : PATHTRACE_PROBES_MAX;
	memcpy(r, h->rtt_ms, sizeof(double) * (size_t)k);
	qsort(r, (size_t)k, sizeof(double), cmp_double);
	double p50 = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	inet_ntop(AF_INET, &h->addr, a, sizeof(a));
	json_object_set_new(o, "addr", json_string(a));
	json_object_set_new(o, "rtt_p50_ms", json_real(round3(p50)));
	return o;
}

json_t *
pt_result_json(const char *target, enum pt_proto proto, struct in_addr dest,
    const struct pt_hop *hops, size_t n, double duration_ms)
{
	char d[INET_ADDRSTRLEN], hash[17];
	inet_ntop(AF_INET, &dest, d, sizeof(d));
	pt_hash(hops, n, hash, sizeof(hash));
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, hop_json(&hops[i])) != 0) {
			json_decref(list);
			return NULL;
		}
	bool reached = n > 0 && hops[n - 1].recv > 0 && hops[n - 1].addr.s_addr == dest.s_addr;
	return json_pack("{s:s,s:s,s:b,s:s,s:s,s:b,s:s,s:o,s:f}", "probe", "path", "target", target,
	    "ok", 1, "proto", proto == PT_UDP ? "udp" : "icmp", "dest", d, "reached", reached,
	    "path_hash", hash, "hops", list, "duration_ms", round3(duration_ms));
}
