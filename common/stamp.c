#include "stamp.h"

#include <math.h>
#include <string.h>

#include "byteorder.h"

/* Offsets in the packets (RFC 8762 4.2.1, 4.3.1). A head, a sequence
 * number, timestamp and error estimate, is the whole sender's packet, the
 * reflector's first fields and, at R_SENDER, its copy of the sender's. */
enum {
	H_SEQ = 0, H_TS = 4, H_ERR = 12,
	R_RX_TS = 16, R_SENDER = 24, R_TTL = 40,
};

#define ERR_S_BIT 0x8000u
#define ERR_Z_BIT 0x4000u

uint64_t
stamp_ntp_from_unix_ns(int64_t unix_ns)
{
	uint64_t ns = unix_ns > 0 ? (uint64_t)unix_ns : 0;
	uint64_t sec = ns / 1000000000ULL + STAMP_NTP_UNIX_OFFSET;
	uint64_t frac = ((ns % 1000000000ULL) << 32) / 1000000000ULL;
	return (sec << 32) | frac;
}

int64_t
stamp_ntp_to_unix_ns(uint64_t ntp)
{
	int64_t sec = (int64_t)(ntp >> 32) - (int64_t)STAMP_NTP_UNIX_OFFSET;
	/* Round the 2^-32 s fraction to the nearest nanosecond. */
	int64_t frac = (int64_t)(((ntp & 0xffffffffULL) * 1000000000ULL + (1ULL << 31)) >> 32);
	return sec * 1000000000LL + frac;
}

uint16_t
stamp_errest_encode(const struct stamp_errest *e)
{
	double units = e->error_s > 0 ? e->error_s * 4294967296.0 : 1.0; /* 2^-32 s */
	int scale = 0;
	while (scale < 63 && ceil(units) > 255.0) {
		units /= 2.0;
		scale++;
	}
	double m = ceil(units);
	uint16_t mult = (uint16_t)(m < 1.0 ? 1.0 : m > 255.0 ? 255.0 : m);
	return (uint16_t)((e->synced ? ERR_S_BIT : 0u) | ((unsigned)scale << 8) | mult);
}

void
stamp_errest_decode(uint16_t v, struct stamp_errest *out)
{
	int scale = (v >> 8) & 0x3f;
	unsigned mult = v & 0xffu;
	out->synced = (v & ERR_S_BIT) != 0;
	out->error_s = ldexp((double)mult, scale - 32);
}

static void
put_head(uint8_t *at, uint32_t seq, uint64_t ts, uint16_t errest)
{
	be_put32(at + H_SEQ, seq);
	be_put64(at + H_TS, ts);
	be_put16(at + H_ERR, errest);
}

static void
get_head(const uint8_t *at, uint32_t *seq, uint64_t *ts, uint16_t *errest)
{
	*seq = be_get32(at + H_SEQ);
	*ts = be_get64(at + H_TS);
	*errest = be_get16(at + H_ERR);
}

pantau_err
stamp_sender_encode(const struct stamp_sender_pkt *p, uint8_t *buf, size_t len)
{
	if (len < STAMP_PKT_MIN || len > STAMP_PKT_MAX)
		return PANTAU_ERR_INVAL;
	memset(buf, 0, len);
	put_head(buf, p->seq, p->ts, p->errest);
	return PANTAU_OK;
}

pantau_err
stamp_sender_decode(const uint8_t *buf, size_t len, struct stamp_sender_pkt *out)
{
	if (len < STAMP_PKT_MIN)
		return PANTAU_ERR_PARSE;
	get_head(buf, &out->seq, &out->ts, &out->errest);
	return PANTAU_OK;
}

pantau_err
stamp_reflector_encode(const struct stamp_reflector_pkt *p, uint8_t *buf, size_t len)
{
	if (len < STAMP_PKT_MIN || len > STAMP_PKT_MAX)
		return PANTAU_ERR_INVAL;
	memset(buf, 0, len);
	put_head(buf, p->seq, p->ts, p->errest);
	be_put64(buf + R_RX_TS, p->rx_ts);
	put_head(buf + R_SENDER, p->sender_seq, p->sender_ts, p->sender_errest);
	buf[R_TTL] = p->sender_ttl;
	return PANTAU_OK;
}

pantau_err
stamp_reflector_decode(const uint8_t *buf, size_t len, struct stamp_reflector_pkt *out)
{
	if (len < STAMP_PKT_MIN)
		return PANTAU_ERR_PARSE;
	get_head(buf, &out->seq, &out->ts, &out->errest);
	out->rx_ts = be_get64(buf + R_RX_TS);
	get_head(buf + R_SENDER, &out->sender_seq, &out->sender_ts, &out->sender_errest);
	out->sender_ttl = buf[R_TTL];
	return PANTAU_OK;
}
