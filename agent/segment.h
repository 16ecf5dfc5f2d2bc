/*
 * Outbox segment files: append-only files of checksummed records
 * (docs/outbox.md). A record is a 40-byte header followed by its payload:
 *
 *   offset  size  field
 *        0     4  magic "PTOB"
 *        4     2  kind (1 batch, 2 ack)
 *        6     2  reserved, 0
 *        8     4  payload length (at most SEG_MAX_PAYLOAD)
 *       12     4  CRC-32 of the header (this field as 0) and the payload
 *       16     8  boot
 *       24     8  seq
 *       32     8  append time, epoch ms
 *
 * Integers are in the host's byte order: a segment is only ever read by
 * the agent that wrote it. A record that does not check out (short, bad
 * magic, length or CRC) ends the readable part of its file.
 */
#ifndef PANTAU_SEGMENT_H
#define PANTAU_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SEG_HDR_LEN 40
#define SEG_MAX_PAYLOAD (64 * 1024)

enum seg_kind { SEG_BATCH = 1, SEG_ACK = 2 };

struct seg_rec {
	enum seg_kind kind;
	int64_t boot, seq;
	int64_t ts_ms;     /* append time */
	uint32_t len;      /* payload bytes */
	uint64_t off;      /* offset of the record's header in its file */
};

/* CRC-32 (IEEE 802.3, reflected) of len bytes, continuing from crc (0 to start). */
uint32_t seg_crc32(uint32_t crc, const void *data, size_t len);

/*
 * Append one record at *size (the file's current length) and advance
 * *size; fdatasync when sync. On failure the file is cut back to *size
 * (no partial record stays) and errno tells why.
 */
pantau_err seg_append(int fd, uint64_t *size, const struct seg_rec *r, const void *payload,
    bool sync);

/* Called for every valid record, in file order. */
typedef void (*seg_visit_fn)(void *ctx, const struct seg_rec *r);

/*
 * Read every valid record of fd from the start. *valid is the length up
 * to the first record that does not check out (the file's length when all
 * do); PANTAU_ERR_IO only when reading fails.
 */
pantau_err seg_scan(int fd, seg_visit_fn visit, void *ctx, uint64_t *valid);

/* Read the payload of the batch record at off (len bytes) into buf. */
pantau_err seg_read_payload(int fd, uint64_t off, uint32_t len, void *buf);

#endif
