/* The path probe's socket-free parts (agent/probes/pathtrace.h): the error
 * queue's answers, constant-checksum echo requests, rate limiting, the
 * path's hash and its result, decoded by the wire's own checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/probes/pathtrace.h"
#include "wire.h"

/* One IP_RECVERR control message as the kernel writes it. */
static size_t
errqueue_cmsg(void *buf, size_t len, uint8_t origin, uint8_t type, uint8_t code,
    const char *from)
{
	struct msghdr m = { .msg_control = buf, .msg_controllen = len };
	memset(buf, 0, len);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in));
	struct sock_extended_err ee = { .ee_errno = 113, .ee_origin = origin, .ee_type = type,
		.ee_code = code };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, from, &sin.sin_addr);
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &sin, sizeof(sin));
	return CMSG_SPACE(sizeof(ee) + sizeof(sin));
}

static void
test_errqueue_answers(void **state)
{
	(void)state;
	union { struct cmsghdr align; uint8_t b[256]; } ctl;
	struct pt_answer a;
	uint8_t udp[4] = { 0x01, 0x02, 0, 0 };
	size_t n = errqueue_cmsg(ctl.b, sizeof(ctl.b), SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, 0,
	    "198.18.0.1");
	assert_true(pt_parse_errqueue(ctl.b, n, udp, sizeof(udp), PT_UDP, &a));
	assert_int_equal(a.kind, PT_TIME_EXCEEDED);
	assert_int_equal(a.seq, 0x0102);
	assert_string_equal(inet_ntoa(a.from), "198.18.0.1");
	/* a router quoting only the UDP header: matched by other means */
	assert_true(pt_parse_errqueue(ctl.b, n, udp, 0, PT_UDP, &a));
	assert_int_equal(a.seq, -1);
	n = errqueue_cmsg(ctl.b, sizeof(ctl.b), SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH,
	    ICMP_PORT_UNREACH, "198.18.1.2");
	assert_true(pt_parse_errqueue(ctl.b, n, udp, sizeof(udp), PT_UDP, &a));
	assert_int_equal(a.kind, PT_UNREACHABLE);
	assert_int_equal(a.icmp_code, ICMP_PORT_UNREACH);
	uint8_t echo[PATHTRACE_ICMP_LEN];
	pt_probe_payload(PT_ICMP, 7, 42, echo, sizeof(echo));
	n = errqueue_cmsg(ctl.b, sizeof(ctl.b), SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED, 0,
	    "198.18.0.5");
	assert_true(pt_parse_errqueue(ctl.b, n, echo, 8, PT_ICMP, &a));
	assert_int_equal(a.seq, 42);
	/* a local error (origin LOCAL) and an echo reply type are not ours */
	n = errqueue_cmsg(ctl.b, sizeof(ctl.b), SO_EE_ORIGIN_LOCAL, ICMP_TIME_EXCEEDED, 0,
	    "198.18.0.1");
	assert_false(pt_parse_errqueue(ctl.b, n, udp, sizeof(udp), PT_UDP, &a));
	n = errqueue_cmsg(ctl.b, sizeof(ctl.b), SO_EE_ORIGIN_ICMP, ICMP_ECHOREPLY, 0, "1.2.3.4");
	assert_false(pt_parse_errqueue(ctl.b, n, udp, sizeof(udp), PT_UDP, &a));
	assert_false(pt_parse_errqueue(ctl.b, 0, udp, sizeof(udp), PT_UDP, &a));
	assert_int_equal(a.kind, PT_NONE);
}

/* Paris traceroute: the echo requests' checksum is the same for every seq. */
static void
test_icmp_checksum_constant(void **state)
{
	(void)state;
	uint8_t a[PATHTRACE_ICMP_LEN], b[PATHTRACE_ICMP_LEN];
	pt_probe_payload(PT_ICMP, 0x1234, 0, a, sizeof(a));
	assert_int_equal(pt_checksum(a, sizeof(a)), 0); /* it is a valid checksum */
	for (unsigned seq = 1; seq < 65536; seq += 97) {
		pt_probe_payload(PT_ICMP, 0x1234, (uint16_t)seq, b, sizeof(b));
		assert_memory_equal(a, b, 6);   /* type, code, checksum, identifier */
		assert_int_equal(pt_checksum(b, sizeof(b)), 0);
		assert_int_equal((b[6] << 8) | b[7], seq);
	}
}

static void
hop(struct pt_hop *h, int ttl, const char *addr, int sent, int recv)
{
	memset(h, 0, sizeof(*h));
	h->ttl = ttl;
	h->sent = sent;
	h->recv = recv;
	inet_pton(AF_INET, addr, &h->addr);
	for (int i = 0; i < recv; i++)
		h->rtt_ms[i] = ttl + i * 0.5;
}

static void
test_rate_limited_not_loss(void **state)
{
	(void)state;
	struct pt_hop h[4];
	hop(&h[0], 1, "198.18.0.1", 3, 3);
	hop(&h[1], 2, "198.18.0.5", 3, 1);   /* drops while hop 3 answers all */
	hop(&h[2], 3, "198.18.0.9", 3, 3);
	hop(&h[3], 4, "198.18.1.2", 3, 2);   /* loss that persists to the last hop */
	pt_finish(h, 4);
	assert_false(h[0].rate_limited);
	assert_true(h[1].rate_limited);
	assert_false(h[2].rate_limited);
	assert_false(h[3].rate_limited);
	hop(&h[1], 2, "0.0.0.0", 3, 0);      /* silent: no ICMP at all, not limiting */
	pt_finish(h, 4);
	assert_false(h[1].rate_limited);
}

static void
test_hash_and_result(void **state)
{
	(void)state;
	struct pt_hop h[3];
	char a[17], b[17];
	hop(&h[0], 1, "198.18.0.1", 3, 3);
	hop(&h[1], 2, "0.0.0.0", 3, 0);
	hop(&h[2], 3, "198.18.1.2", 3, 3);
	pt_hash(h, 3, a, sizeof(a));
	/* FNV-1a 64 of "198.18.0.1\n*\n198.18.1.2\n", computed apart in Python */
	assert_string_equal(a, "da90c2d7be75d203");
	hop(&h[1], 2, "198.18.0.5", 3, 3);
	pt_hash(h, 3, b, sizeof(b));
	assert_string_not_equal(a, b);
	hop(&h[1], 2, "0.0.0.0", 3, 0);
	struct in_addr dest;
	inet_pton(AF_INET, "198.18.1.2", &dest);
	json_t *r = pt_result_json("t", PT_UDP, dest, h, 3, 812.5);
	assert_non_null(r);
	json_t *batch = json_pack("{s:i,s:s,s:i,s:i,s:s,s:[o]}", "v", 1, "agent", "ag-1", "boot", 1,
	    "seq", 1, "ts", "2024-02-14T06:00:30Z", "results", r);
	char *text = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	struct wire_topic t;
	struct wire_batch wb;
	struct wire_error err = { 0 };
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag-1/result", &t, &err));
	if (wire_batch_decode(&t, text, strlen(text), &wb, &err) != WIRE_ACCEPT)
		fail_msg("%s rejected: %s", text, err.detail);
	const json_t *o = wb.results[0].obj;
	assert_true(json_is_true(json_object_get(o, "reached")));
	assert_string_equal(json_string_value(json_object_get(o, "path_hash")), a);
	const json_t *silent = json_array_get(json_object_get(o, "hops"), 1);
	assert_null(json_object_get(silent, "addr"));
	assert_null(json_object_get(silent, "rtt_p50_ms"));
	assert_true(json_number_value(json_object_get(silent, "loss_pct")) == 100);
	assert_true(json_number_value(json_object_get(json_array_get(json_object_get(o, "hops"),
	    0), "rtt_p50_ms")) == 1.5);
	wire_batch_clear(&wb);
	free(text);
}

#include "unit_main.h"
