#include "segment.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define SEG_MAGIC 0x424f5450u /* "PTOB" read as little-endian */

uint32_t
seg_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void
put_header(unsigned char h[SEG_HDR_LEN], const struct seg_rec *r, uint32_t crc)
{
	uint32_t magic = SEG_MAGIC;
	uint16_t kind = (uint16_t)r->kind, zero = 0;
	memcpy(h, &magic, 4);
	memcpy(h + 4, &kind, 2);
	memcpy(h + 6, &zero, 2);
	memcpy(h + 8, &r->len, 4);
	memcpy(h + 12, &crc, 4);
	memcpy(h + 16, &r->boot, 8);
	memcpy(h + 24, &r->seq, 8);
	memcpy(h + 32, &r->ts_ms, 8);
}

static uint32_t
record_crc(const unsigned char h[SEG_HDR_LEN], const void *payload, uint32_t len)
{
	unsigned char copy[SEG_HDR_LEN];
	memcpy(copy, h, SEG_HDR_LEN);
	memset(copy + 12, 0, 4);
	return seg_crc32(seg_crc32(0, copy, SEG_HDR_LEN), payload, len);
}

pantau_err
seg_append(int fd, uint64_t *size, const struct seg_rec *r, const void *payload, bool sync)
{
	unsigned char h[SEG_HDR_LEN];
	put_header(h, r, 0);
	uint32_t crc = record_crc(h, payload, r->len);
	memcpy(h + 12, &crc, 4);
	struct iovec iov[2] = { { h, SEG_HDR_LEN }, { (void *)payload, r->len } };
	ssize_t want = (ssize_t)(SEG_HDR_LEN + r->len);
	ssize_t n = pwritev(fd, iov, r->len > 0 ? 2 : 1, (off_t)*size);
	if (n == want && (!sync || fdatasync(fd) == 0)) {
		*size += (uint64_t)want;
		return PANTAU_OK;
	}
	int saved = n >= 0 && n != want ? ENOSPC : errno;
	/* Cut a partial record off. Should that fail too, the reader stops at
	 * its bad CRC: the write's errno is the one to report. */
	int cut = ftruncate(fd, (off_t)*size);
	(void)cut;
	errno = saved;
	return PANTAU_ERR_IO;
}

/* Decode and check a header; false when it cannot be a record. */
static bool
get_header(const unsigned char h[SEG_HDR_LEN], struct seg_rec *r, uint32_t *crc)
{
	uint32_t magic;
	uint16_t kind, zero;
	memcpy(&magic, h, 4);
	memcpy(&kind, h + 4, 2);
	memcpy(&zero, h + 6, 2);
	memcpy(&r->len, h + 8, 4);
	memcpy(crc, h + 12, 4);
	memcpy(&r->boot, h + 16, 8);
	memcpy(&r->seq, h + 24, 8);
	memcpy(&r->ts_ms, h + 32, 8);
	r->kind = (enum seg_kind)kind;
	if (magic != SEG_MAGIC || zero != 0 || r->len > SEG_MAX_PAYLOAD)
		return false;
	return (kind == SEG_BATCH) || (kind == SEG_ACK && r->len == 0);
}

static bool
full_read(int fd, void *buf, size_t len, uint64_t off, bool *io_error)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			*io_error = true;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

pantau_err
seg_scan(int fd, seg_visit_fn visit, void *ctx, uint64_t *valid)
{
	unsigned char h[SEG_HDR_LEN];
	unsigned char *buf = malloc(SEG_MAX_PAYLOAD);
	bool io_error = false;
	uint64_t off = 0;
	if (buf == NULL)
		return PANTAU_ERR_NOMEM;
	for (;;) {
		struct seg_rec r;
		uint32_t crc;
		if (!full_read(fd, h, SEG_HDR_LEN, off, &io_error) || !get_header(h, &r, &crc))
			break;
		if (!full_read(fd, buf, r.len, off + SEG_HDR_LEN, &io_error) ||
		    record_crc(h, buf, r.len) != crc)
			break;
		r.off = off;
		visit(ctx, &r);
		off += SEG_HDR_LEN + r.len;
	}
	free(buf);
	*valid = off;
	return io_error ? PANTAU_ERR_IO : PANTAU_OK;
}

pantau_err
seg_read_payload(int fd, uint64_t off, uint32_t len, void *buf)
{
	bool io_error = false;
	if (!full_read(fd, buf, len, off + SEG_HDR_LEN, &io_error))
		return PANTAU_ERR_IO;
	return PANTAU_OK;
}
