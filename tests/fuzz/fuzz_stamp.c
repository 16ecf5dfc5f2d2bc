/*
 * STAMP packets (common/stamp.c, RFC 8762) as both ends receive them.
 *
 * The input is a train and the datagrams that come back: byte 0 sets the
 * train's length (1..32) and byte 1 the clocks' state, then each datagram
 * is [2 bytes length][4 bytes arrival, ns after its packet left][1 byte
 * flags][the datagram]. Each datagram is read as the reflector reads a
 * sender's packet (decode, reflect into the same length, decode back:
 * the fields must survive) and as the agent reads a reflected packet,
 * handed to the train's bookkeeping (agent/probes/stamp_train.c). Flag
 * bit 0 puts the right T1 in, as a real reflector copies it, so the
 * fuzzer reaches matched replies without guessing 64-bit timestamps. The
 * train's result must be one the collector accepts in a batch.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/stamp_train.h"
#include "fuzz.h"
#include "ratelimit.h"
#include "stamp.h"
#include "wire.h"

#define T0_NS 1707890430125000000LL   /* 2024-02-14T06:00:30.125Z */
#define SPACING_NS 50000000LL
#define TIMEOUT_MS 1000

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The reflector's side: a sender packet reflected into the same length. */
static void
reflect(const uint8_t *pkt, size_t n, struct ratelimit *rl, int64_t now)
{
	static uint8_t out[STAMP_PKT_MAX];
	struct stamp_sender_pkt in;
	struct stamp_reflector_pkt r, back;
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
	if (stamp_sender_decode(pkt, n, &in) != PANTAU_OK) {
		if (n >= STAMP_PKT_MIN)
			abort();
		return;
	}
	memcpy(&src.sin6_addr, pkt, n < 16 ? n : 16);
	ratelimit_allow(rl, (const struct sockaddr *)&src, now);
	if (n > STAMP_PKT_MAX)
		return;   /* the reflector drops these */
	r = (struct stamp_reflector_pkt){ .seq = in.seq, .ts = in.ts ^ 1, .errest = in.errest,
		.rx_ts = in.ts, .sender_seq = in.seq, .sender_ts = in.ts,
		.sender_errest = in.errest, .sender_ttl = pkt[0] };
	if (stamp_reflector_encode(&r, out, n) != PANTAU_OK ||
	    stamp_reflector_decode(out, n, &back) != PANTAU_OK || back.seq != r.seq ||
	    back.ts != r.ts || back.errest != r.errest || back.rx_ts != r.rx_ts ||
	    back.sender_seq != r.sender_seq || back.sender_ts != r.sender_ts ||
	    back.sender_errest != r.sender_errest || back.sender_ttl != r.sender_ttl)
		abort();
}

static void
check_result(json_t *res)
{
	struct wire_topic t;
	struct wire_error err;
	struct wire_batch b;
	json_t *results = json_array();
	struct wire_batch_hdr h = { .agent = "ag-1", .boot = 1, .seq = 1, .ts_ms = T0_NS / 1000000 };
	size_t len;
	pantau_err rc;
	json_array_append(results, res);
	char *text = wire_batch_encode(&h, results, &len, &rc);
	if (text == NULL || !wire_topic_parse("pantau/v1/32/3273/ag-1/result", &t, &err) ||
	    wire_batch_decode(&t, text, len, &b, &err) != WIRE_ACCEPT) {
		fprintf(stderr, "the collector rejects this result: %s\n%s\n", err.detail,
		    text != NULL ? text : "");
		abort();
	}
	const json_t *rtt = json_object_get(res, "rtt_ms");
	if (rtt != NULL && !(json_number_value(json_object_get(rtt, "min")) >= 0))
		abort();
	if (json_integer_value(json_object_get(res, "recv")) >
	    json_integer_value(json_object_get(res, "sent")))
		abort();
	wire_batch_clear(&b);
	free(text);
	json_decref(results);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratelimit *rl = NULL;
	if (size < 2 || ratelimit_new(100, 10, 8, &rl) != PANTAU_OK)
		return 0;
	int count = 1 + data[0] % 32;
	struct stamp_errest local = { .synced = data[1] & 1, .error_s = (data[1] >> 1) * 1e-4 };
	struct stamp_train *t = stamp_train_new(count, TIMEOUT_MS, &local);
	if (t == NULL)
		abort();
	uint64_t ntp[32];
	for (int i = 0; i < count; i++) {
		int64_t t1 = T0_NS + i * SPACING_NS;
		ntp[i] = stamp_ntp_from_unix_ns(t1);
		if (i == 7 && data[1] & 0x80)
			stamp_train_send_failed(t, i, 101);
		else
			stamp_train_sent(t, i, stamp_ntp_to_unix_ns(ntp[i]), ntp[i]);
	}
	static uint8_t pkt[STAMP_PKT_MAX + 64];
	int64_t now = T0_NS;   /* the reflector's monotonic clock */
	for (size_t off = 2; off + 7 <= size;) {
		size_t n = ((size_t)data[off] << 8 | data[off + 1]) % (sizeof(pkt) + 1);
		uint32_t after = be32(data + off + 2);
		uint8_t flags = data[off + 6];
		off += 7;
		if (n > size - off)
			n = size - off;
		memcpy(pkt, data + off, n);
		off += n;
		now += after;
		reflect(pkt, n, rl, now);
		struct stamp_reflector_pkt p;
		if (stamp_reflector_decode(pkt, n, &p) != PANTAU_OK)
			continue;
		uint32_t seq = p.sender_seq % 32;
		if (flags & 1 && (int)seq < count) {
			p.sender_seq = seq;
			p.sender_ts = ntp[seq];
		}
		if (flags & 2)
			stamp_train_refused(t);
		int64_t sent = T0_NS + (p.sender_seq < (uint32_t)count ? p.sender_seq : 0) * SPACING_NS;
		stamp_train_reply(t, &p, sent + after);
		if (stamp_train_pending(t) < 0 || stamp_train_pending(t) > count)
			abort();
	}
	json_t *res = stamp_train_result(t, "reflector.example:862", "198.51.100.7", 862);
	if (res == NULL)
		abort();
	check_result(res);
	json_decref(res);
	stamp_train_free(t);
	ratelimit_free(rl);
	return 0;
}
