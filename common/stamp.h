/*
 * STAMP, the Simple Two-way Active Measurement Protocol (RFC 8762), in
 * unauthenticated mode: the sender and reflector test packets, NTP
 * timestamps and the error-estimate field (RFC 4656 section 4.1.2).
 * Pure encode/decode; the agent's stamp probe sends, pantau-reflector
 * reflects (docs/probes.md).
 *
 * Both packets are STAMP_PKT_MIN (44) octets; a sender may pad its packet
 * up to STAMP_PKT_MAX with zeros, and the reflector answers with a packet
 * of exactly the received length, so a reflector never amplifies.
 */
#ifndef PANTAU_STAMP_H
#define PANTAU_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define STAMP_PORT 862
#define STAMP_PKT_MIN 44
#define STAMP_PKT_MAX 1472   /* UDP payload that fits a 1500-byte IPv4 MTU */

/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define STAMP_NTP_UNIX_OFFSET 2208988800ULL

/* Error estimate (RFC 4656 4.1.2): S bit (clock synchronised to UTC),
 * Z bit (0: NTP timestamp format), 6-bit scale, 8-bit multiplier; the
 * error is multiplier * 2^(scale - 32) seconds. */
struct stamp_errest {
	bool synced;
	double error_s;   /* estimated error, seconds (> 0) */
};

struct stamp_sender_pkt {
	uint32_t seq;
	uint64_t ts;          /* NTP 64-bit: seconds << 32 | fraction */
	uint16_t errest;
};

struct stamp_reflector_pkt {
	uint32_t seq;         /* the reflector's own (stateless: the sender's) */
	uint64_t ts;          /* reflector transmit time (T3) */
	uint16_t errest;
	uint64_t rx_ts;       /* reflector receive time (T2) */
	uint32_t sender_seq;
	uint64_t sender_ts;   /* T1, copied */
	uint16_t sender_errest;
	uint8_t sender_ttl;   /* TTL / hop limit of the sender's packet as received */
};

/* NTP timestamp <-> nanoseconds since the Unix epoch. */
uint64_t stamp_ntp_from_unix_ns(int64_t unix_ns);
int64_t stamp_ntp_to_unix_ns(uint64_t ntp);

/* Encode an error estimate (NTP format, Z = 0); the multiplier is never 0. */
uint16_t stamp_errest_encode(const struct stamp_errest *e);
void stamp_errest_decode(uint16_t v, struct stamp_errest *out);

/* Encode a sender packet into buf of len octets (STAMP_PKT_MIN..MAX);
 * octets past the fields are zero (MBZ and padding). PANTAU_ERR_INVAL for
 * another length. */
pantau_err stamp_sender_encode(const struct stamp_sender_pkt *p, uint8_t *buf, size_t len);
/* Decode; PANTAU_ERR_PARSE when shorter than STAMP_PKT_MIN. */
pantau_err stamp_sender_decode(const uint8_t *buf, size_t len, struct stamp_sender_pkt *out);

pantau_err stamp_reflector_encode(const struct stamp_reflector_pkt *p, uint8_t *buf,
    size_t len);
pantau_err stamp_reflector_decode(const uint8_t *buf, size_t len,
    struct stamp_reflector_pkt *out);

#endif
