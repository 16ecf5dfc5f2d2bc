/*
 * The pure parts of the path probe (agent/probes/path.c, docs/probes.md):
 * a probe's payload and what an answer from the socket's error queue says
 * (IP_RECVERR / IPV6_RECVERR: struct sock_extended_err, its origin, type,
 * code and offender, and the quoted payload naming the probe), each hop's
 * tally, which hops rate-limit, the path's hash and the result object.
 * No sockets, no loop: the fuzz harness fuzz_path and the unit tests call
 * these directly.
 */
#ifndef PANTAU_PROBES_PATHTRACE_H
#define PANTAU_PROBES_PATHTRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agent/probes/target.h"

#define PT_HOPS_MAX 64       /* the result kind's bound (common/resultkind.c) */
#define PT_PROBES_MAX 10     /* probes a hop */
#define PT_PAYLOAD 32        /* UDP payload bytes of a probe */
#define PT_ID_LEN 8          /* of which name it: cookie, index, ttl, version */

/* What an answer is. */
enum pt_kind {
	PT_NONE,            /* not an ICMP error of ours (local error, other origin) */
	PT_TIME_EXCEEDED,   /* a router on the way: the TTL ran out */
	PT_PORT_UNREACH,    /* the destination itself: no one on that port */
	PT_UNREACH,         /* another destination unreachable: the path ends here */
};

struct pt_answer {
	enum pt_kind kind;
	char addr[TARGET_ADDR_MAX];  /* the offender (SO_EE_OFFENDER); "" unknown */
	int64_t real_ns;             /* kernel receive time (SCM_TIMESTAMPNS); -1 unknown */
	bool has_id;                 /* the quoted payload names a probe */
	uint32_t cookie;
	int index;                   /* the probe's number in the run */
	int ttl;                     /* the TTL it was sent with */
};

/* The payload of probe index at ttl of run cookie, PT_PAYLOAD bytes. */
void pathtrace_payload(uint8_t *buf, uint32_t cookie, int index, int ttl);

/*
 * What one message read with MSG_ERRQUEUE says: msg's control messages
 * (msg_control, msg_controllen; any bytes) and the quoted payload
 * (payload, len: what recvmsg returned). False when it carries no
 * extended error (a->kind PT_NONE).
 */
bool pathtrace_parse(const struct msghdr *msg, const uint8_t *payload, size_t len,
    struct pt_answer *a);

/* One hop: the probes sent with its TTL and their answers. */
struct pt_hop {
	int ttl;
	int sent, recv;
	double rtt_ms[PT_PROBES_MAX];  /* of the answers, recv of them */
	char addr[TARGET_ADDR_MAX];    /* the first that answered; "" silent */
	bool rate_limited;
};

/* Mark the hops that rate-limit: some but not all probes answered while a
 * later hop answered every one of its own (docs/probes.md). */
void pathtrace_rate_limits(struct pt_hop *hops, size_t n);

/* FNV-1a 64 over each hop's address ("*" silent) and a newline, in TTL
 * order, as 16 lowercase hex digits into out[17]. */
void pathtrace_hash(const struct pt_hop *hops, size_t n, char out[17]);

/* The hops as the result's "hops" array (docs/protocol.md). NULL: no memory. */
json_t *pathtrace_hops_json(const struct pt_hop *hops, size_t n);

#endif
