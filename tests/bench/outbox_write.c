/*
 * pantau-bench-outbox: what the agent's outbox costs per batch (append and
 * fdatasync, agent/outbox.h), next to the reference measured in the same
 * run and folder: a plain write() of the same bytes plus fdatasync().
 * Prints one JSON line. Used by tests/bench/run.py (docs/bench.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/outbox.h"
#include "agent/segment.h"
#include "clock.h"
#include "log.h"
#include "strnum.h"

static double
outbox_us(const char *dir, long long count, const char *payload, uint32_t size)
{
	char sub[600], why[256];
	struct outbox *ob;
	snprintf(sub, sizeof(sub), "%s/outbox", dir);
	struct outbox_opts o = { .dir = sub, .max_bytes = 1ULL << 30,
		.max_age_ms = 86400000LL * 7, .retention_ms = 86400000LL };
	if (outbox_open(&o, clock_real_ms(), &ob, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau-bench-outbox: %s\n", why);
		return -1;
	}
	int64_t t0 = clock_mono_ns();
	for (long long i = 1; i <= count; i++)
		if (outbox_push(ob, 1, i, payload, size, clock_real_ms()) != PANTAU_OK) {
			perror("pantau-bench-outbox: outbox_push");
			outbox_free(ob);
			return -1;
		}
	int64_t t1 = clock_mono_ns();
	outbox_free(ob);
	return (double)(t1 - t0) / 1e3 / (double)count;
}

static double
raw_us(const char *dir, long long count, const char *payload, uint32_t size)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/raw.dat", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *rec = calloc(1, SEG_HDR_LEN + size);
	if (fd < 0 || rec == NULL) {
		perror("pantau-bench-outbox: raw.dat");
		free(rec);
		return -1;
	}
	memcpy(rec + SEG_HDR_LEN, payload, size);
	int64_t t0 = clock_mono_ns();
	for (long long i = 0; i < count; i++)
		if (write(fd, rec, SEG_HDR_LEN + size) != (ssize_t)(SEG_HDR_LEN + size) ||
		    fdatasync(fd) != 0) {
			perror("pantau-bench-outbox: write");
			break;
		}
	int64_t t1 = clock_mono_ns();
	close(fd);
	free(rec);
	return (double)(t1 - t0) / 1e3 / (double)count;
}

int
main(int argc, char **argv)
{
	long long count, size;
	if (argc != 4 || strnum_int(argv[2], 1, 1000000, &count) != PANTAU_OK ||
	    strnum_int(argv[3], 1, SEG_MAX_PAYLOAD, &size) != PANTAU_OK) {
		fprintf(stderr, "usage: pantau-bench-outbox DIR COUNT SIZE\n"
		    "  appends COUNT batches of SIZE bytes (1..%d) to an outbox in DIR/outbox,\n"
		    "  then writes the same bytes with write+fdatasync to DIR/raw.dat\n",
		    SEG_MAX_PAYLOAD);
		return 2;
	}
	log_init("pantau-bench-outbox", LOG_LEVEL_WARN, false);
	char *payload = malloc((size_t)size);
	if (payload == NULL)
		return 1;
	memset(payload, 'x', (size_t)size);
	double ob = outbox_us(argv[1], count, payload, (uint32_t)size);
	double raw = raw_us(argv[1], count, payload, (uint32_t)size);
	free(payload);
	if (ob < 0 || raw < 0)
		return 1;
	printf("{\"count\":%lld,\"size\":%lld,\"outbox_us\":%.1f,\"raw_us\":%.1f}\n", count, size,
	    ob, raw);
	return 0;
}
