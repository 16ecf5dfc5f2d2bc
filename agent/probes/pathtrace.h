/*
 * The parts of the path probe (agent/probes/path.c, docs/probes.md) that
 * need no socket: reading one answer from a socket's error queue
 * (IP_RECVERR: sock_extended_err of origin SO_EE_ORIGIN_ICMP and its
 * offender address), echo requests whose ICMP identifier and checksum stay
 * the same for every probe (Paris traceroute: ECMP routers hash the same
 * header fields, so every probe takes the same path), the hops' figures
 * (loss, rate limiting) and the path's hash.
 */
#ifndef PANTAU_PATHTRACE_H
#define PANTAU_PATHTRACE_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATHTRACE_MAX_HOPS 30
#define PATHTRACE_PROBES_MAX 10
#define PATHTRACE_ICMP_LEN 16  /* echo request: 8-byte header, 8 bytes of payload */

enum pt_proto { PT_UDP, PT_ICMP };

/* What an error-queue message said. */
enum pt_kind {
	PT_NONE = 0,          /* not an ICMP error of ours */
	PT_TIME_EXCEEDED,     /* a router on the way: the offender is the hop */
	PT_UNREACHABLE,       /* the target (port unreachable) or a router refusing */
};

struct pt_answer {
	enum pt_kind kind;
	uint8_t icmp_type, icmp_code;
	struct in_addr from;  /* the offender */
	int seq;              /* the probe's number from the quoted packet, -1 unknown */
};

/* Parse one recvmsg(MSG_ERRQUEUE) answer: control (its cmsgs, len bytes,
 * aligned as recvmsg gives them) and the quoted data (for UDP our payload,
 * for ICMP the echo request). false when it is not an ICMP error. */
bool pt_parse_errqueue(const void *control, size_t len, const uint8_t *data, size_t dlen,
    enum pt_proto proto, struct pt_answer *out);

/* Probe seq's payload: for UDP 2 bytes of seq then zeroes (len >= 2); for
 * ICMP a whole echo request of PATHTRACE_ICMP_LEN bytes with identifier id,
 * sequence number seq and a payload word that keeps the checksum the same
 * for every seq (the kernel's ping socket puts in its own identifier and
 * checksum, which then also stay the same). */
void pt_probe_payload(enum pt_proto proto, uint16_t id, uint16_t seq, uint8_t *buf, size_t len);

/* The internet checksum of buf (RFC 1071). */
uint16_t pt_checksum(const uint8_t *buf, size_t len);

struct pt_hop {
	int ttl;
	int sent, recv;
	struct in_addr addr;      /* of the first answer; valid when recv > 0 */
	double rtt_ms[PATHTRACE_PROBES_MAX];  /* answers' RTTs, recv of them */
	bool rate_limited;        /* set by pt_finish */
};

/* Mark rate limiting: a hop that answered some of its probes but not all
 * while a later hop answered every one of its own is limiting its ICMP
 * answers, not losing traffic. A hop that answered none is silent (it
 * sends no ICMP at all), not rate limited. */
void pt_finish(struct pt_hop *hops, size_t n);

/* FNV-1a 64-bit over the hops' addresses in TTL order, each followed by
 * "\n" ("*" for a silent hop), as 16 lowercase hex digits (out >= 17). */
void pt_hash(const struct pt_hop *hops, size_t n, char *out, size_t len);

/* The result object of docs/protocol.md ("path"): ok, proto, dest,
 * reached, path_hash, hops, duration_ms. NULL: no memory. */
json_t *pt_result_json(const char *target, enum pt_proto proto, struct in_addr dest,
    const struct pt_hop *hops, size_t n, double duration_ms);

#endif
