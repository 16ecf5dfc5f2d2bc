/* The agent's durable outbox: order, acks that survive a restart, live
 * first, bounds, retention and age, replay, torn and corrupt records, a
 * write that fails. Real files in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/outbox.h"
#include "agent/segment.h"
#include "log.h"

#define BOOT 7
#define DAY_MS (86400LL * 1000)

struct fx {
	char dir[64];
	struct outbox_opts o;
	struct outbox *ob;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pantau-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->o = (struct outbox_opts){ .dir = f->dir, .max_bytes = 1 << 20,
		.max_age_ms = 7 * DAY_MS, .retention_ms = DAY_MS };
	log_init("test_outbox", LOG_LEVEL_ERROR, false);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	outbox_free(f->ob);
	DIR *d = opendir(f->dir);
	struct dirent *de;
	char path[400];
	while (d != NULL && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
reopen(struct fx *f, int64_t now_ms)
{
	char why[256];
	outbox_free(f->ob);
	f->ob = NULL;
	assert_int_equal(outbox_open(&f->o, now_ms, &f->ob, why, sizeof(why)), PANTAU_OK);
}

static void
push(struct fx *f, int64_t seq, size_t size, int64_t now_ms)
{
	char p[2048];
	assert_true(size <= sizeof(p));
	memset(p, 'a' + (int)(seq % 26), size);
	snprintf(p, size, "batch-%lld", (long long)seq);
	assert_int_equal(outbox_push(f->ob, BOOT, seq, p, (uint32_t)size, now_ms), PANTAU_OK);
}

/* Batches from..to of size bytes each, pushed at time 0. */
static void
push_seqs(struct fx *f, int64_t from, int64_t to, size_t size)
{
	for (int64_t s = from; s <= to; s++)
		push(f, s, size, 0);
}

/* Send the next batch: assert its seq and liveness, mark in flight. */
static void
send_expect(struct fx *f, int64_t seq, bool live, int mid)
{
	struct outbox_item it;
	char buf[SEG_MAX_PAYLOAD], want[32];
	assert_true(outbox_next(f->ob, true, &it));
	assert_int_equal(it.seq, seq);
	assert_int_equal(it.live, live);
	assert_int_equal(outbox_read(f->ob, &it, buf), PANTAU_OK);
	snprintf(want, sizeof(want), "batch-%lld", (long long)seq);
	assert_memory_equal(buf, want, strlen(want));
	outbox_mark_inflight(f->ob, &it, mid);
}

static void
test_order_ack_and_restart(void **state)
{
	struct fx *f = *state;
	reopen(f, 0);
	push_seqs(f, 1, 3, 100);
	send_expect(f, 1, true, 100);
	send_expect(f, 2, true, 101);
	assert_int_equal(outbox_stats(f->ob).inflight, 2);
	assert_false(outbox_ack(f->ob, 999, 0));
	assert_true(outbox_ack(f->ob, 101, 0)); /* out of order */
	assert_int_equal(outbox_stats(f->ob).pending, 2);
	reopen(f, 0); /* as after a crash: 1 was in flight, 3 never sent */
	assert_int_equal(outbox_stats(f->ob).pending, 2);
	assert_int_equal(outbox_stats(f->ob).held, 3);
	send_expect(f, 1, false, 1);
	send_expect(f, 3, false, 2);
	assert_true(outbox_ack(f->ob, 1, 0));
	assert_true(outbox_ack(f->ob, 2, 0));
	assert_int_equal(outbox_stats(f->ob).pending, 0);
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).pending, 0);
	assert_int_equal(outbox_stats(f->ob).dropped, 0);
}

static void
test_requeue_and_live_first(void **state)
{
	struct fx *f = *state;
	struct outbox_item it;
	reopen(f, 0);
	push(f, 1, 100, 0);
	push(f, 2, 100, 0);
	send_expect(f, 1, true, 1);
	outbox_requeue(f->ob); /* connection lost: 1 and 2 are backlog now */
	assert_int_equal(outbox_stats(f->ob).inflight, 0);
	assert_false(outbox_ack(f->ob, 1, 0)); /* old mids mean nothing now */
	assert_false(outbox_next(f->ob, false, &it)); /* no live batch */
	push(f, 3, 100, 0);                      /* measured while disconnected */
	outbox_connected(f->ob);                 /* 1, 2, 3 are backlog */
	assert_false(outbox_next(f->ob, false, &it));
	push(f, 4, 100, 0);                      /* measured after reconnecting */
	send_expect(f, 4, true, 10);             /* live first */
	send_expect(f, 1, false, 11);            /* then backlog, oldest first */
	send_expect(f, 2, false, 12);
	send_expect(f, 3, false, 13);
	assert_false(outbox_next(f->ob, true, &it));
}

static void
test_full_drops_whole_oldest_segments(void **state)
{
	struct fx *f = *state;
	struct outbox_item it;
	f->o.max_bytes = 16 * 1024; /* segments of 4 KiB: 3 batches of 1000 bytes */
	reopen(f, 0);
	push_seqs(f, 1, 40, 1000);
	assert_true(outbox_stats(f->ob).bytes <= f->o.max_bytes);
	uint64_t dropped = outbox_stats(f->ob).dropped;
	assert_true(dropped > 0);
	assert_int_equal(dropped % 3, 0); /* whole segments */
	assert_int_equal(outbox_stats(f->ob).pending + dropped, 40);
	outbox_requeue(f->ob);
	assert_true(outbox_next(f->ob, true, &it));
	assert_int_equal(it.seq, (int64_t)dropped + 1); /* the oldest left */
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).pending + dropped, 40);
}

static void
ack_all(struct fx *f, int64_t now_ms)
{
	struct outbox_item it;
	int mid = 1000;
	while (outbox_next(f->ob, true, &it)) {
		outbox_mark_inflight(f->ob, &it, ++mid);
		assert_true(outbox_ack(f->ob, mid, now_ms));
	}
}

static void
test_retention_and_age(void **state)
{
	struct fx *f = *state;
	f->o.max_bytes = 16 * 1024;
	reopen(f, 0);
	push_seqs(f, 1, 9, 1000);
	ack_all(f, 1000);
	size_t held = outbox_stats(f->ob).held;
	outbox_expire(f->ob, DAY_MS); /* not yet past retention */
	assert_int_equal(outbox_stats(f->ob).held, held);
	outbox_expire(f->ob, DAY_MS + 1001);
	assert_true(outbox_stats(f->ob).held < held); /* delivered ones deleted */
	assert_int_equal(outbox_stats(f->ob).dropped, 0);
	for (int64_t s = 10; s <= 18; s++)         /* never delivered */
		push(f, s, 1000, 2 * DAY_MS);
	outbox_expire(f->ob, 2 * DAY_MS + f->o.max_age_ms + 1);
	assert_true(outbox_stats(f->ob).dropped > 0);
	assert_int_equal(outbox_stats(f->ob).pending + outbox_stats(f->ob).dropped, 9);
}

static void
test_replay(void **state)
{
	struct fx *f = *state;
	reopen(f, 0);
	push_seqs(f, 1, 5, 100);
	ack_all(f, 0);
	assert_int_equal(outbox_replay(f->ob, BOOT, 2, 3, NULL, NULL), 2);
	assert_int_equal(outbox_replay(f->ob, BOOT + 1, 1, 3, NULL, NULL), 0); /* no such boot */
	assert_int_equal(outbox_stats(f->ob).pending, 2);
	send_expect(f, 2, true, 1);
	send_expect(f, 3, true, 2);
	assert_true(outbox_ack(f->ob, 1, 0));
	assert_true(outbox_ack(f->ob, 2, 0));
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).pending, 0);
}

struct gone_list {
	int n;
	int64_t from[4], to[4];
};

static void
gone_range(void *ctx, int64_t from, int64_t to)
{
	struct gone_list *g = ctx;
	g->from[g->n] = from;
	g->to[g->n++] = to;
}

/* The seqs asked for and not held are handed out as ranges ("gone"). */
static void
test_replay_gone(void **state)
{
	struct fx *f = *state;
	struct gone_list g = { 0 };
	reopen(f, 0);
	push(f, 2, 100, 0);
	push(f, 4, 100, 0);
	push(f, 5, 100, 0);
	ack_all(f, 0);
	assert_int_equal(outbox_replay(f->ob, BOOT, 1, 7, gone_range, &g), 3);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.from[0], 1);
	assert_int_equal(g.to[0], 1);
	assert_int_equal(g.from[1], 3);
	assert_int_equal(g.to[1], 3);
	assert_int_equal(g.from[2], 6);
	assert_int_equal(g.to[2], 7);
	g.n = 0;
	assert_int_equal(outbox_replay(f->ob, BOOT, 4, 5, gone_range, &g), 2);
	assert_int_equal(g.n, 0);
	assert_int_equal(outbox_replay(f->ob, BOOT + 1, 1, 3, gone_range, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.from[0], 1);
	assert_int_equal(g.to[0], 3);
}

static char *
segment_path(const struct fx *f, unsigned id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%010u.seg", f->dir, id);
	return buf;
}

static void
test_torn_tail_is_skipped(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct stat st;
	reopen(f, 0);
	push_seqs(f, 1, 3, 200);
	outbox_free(f->ob);
	f->ob = NULL;
	segment_path(f, 1, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 10), 0); /* crash mid-write of 3 */
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).held, 2);
	push(f, 4, 200, 0); /* appended after the last good record */
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).held, 3);
	send_expect(f, 1, false, 1);
	send_expect(f, 2, false, 2);
	send_expect(f, 4, false, 3);
}

static void
test_corrupt_record_is_skipped(void **state)
{
	struct fx *f = *state;
	char path[128];
	f->o.max_bytes = 16 * 1024;
	reopen(f, 0);
	push_seqs(f, 1, 6, 1000); /* segments 1 (1..3) and 2 (4..6) */
	outbox_free(f->ob);
	f->ob = NULL;
	int fd = open(segment_path(f, 1, path, sizeof(path)), O_WRONLY);
	assert_true(fd >= 0);
	/* one bit of batch 2's payload flips */
	assert_int_equal(pwrite(fd, "X", 1, SEG_HDR_LEN + 1000 + SEG_HDR_LEN + 500), 1);
	close(fd);
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).held, 4); /* 1, then 4..6: the rest of segment 1 skipped */
	send_expect(f, 1, false, 1);
	send_expect(f, 4, false, 2);
}

static void
test_write_failure_is_counted(void **state)
{
	struct fx *f = *state;
	struct rlimit old, lim;
	reopen(f, 0);
	push(f, 1, 1000, 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 1500; /* the next batch does not fit: as a full disk */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char p[1000] = "batch-2";
	pantau_err rc = outbox_push(f->ob, BOOT, 2, p, sizeof(p), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, PANTAU_ERR_IO);
	assert_int_equal(outbox_stats(f->ob).dropped, 1);
	push(f, 3, 1000, 0); /* space again: goes on after the good records */
	reopen(f, 0);
	assert_int_equal(outbox_stats(f->ob).held, 2);
	send_expect(f, 1, false, 1);
	send_expect(f, 3, false, 2);
}

static void
test_bad_folder(void **state)
{
	struct fx *f = *state;
	char why[256] = "";
	struct outbox_opts o = f->o;
	o.dir = "/proc/pantau-no/outbox";
	assert_int_not_equal(outbox_open(&o, 0, &f->ob, why, sizeof(why)), PANTAU_OK);
	assert_null(f->ob);
	assert_non_null(strstr(why, "/proc/pantau-no/outbox"));
	outbox_free(NULL);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
