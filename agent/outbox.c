#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "log.h"
#include "segment.h"

/* A segment holds about max_bytes / SEG_SHARE, within these bounds. */
#define SEG_SHARE 16
#define SEG_MIN_BYTES 4096u
#define SEG_MAX_BYTES (4u << 20)
#define SEG_NAME_FMT "%010u.seg"

enum ent_state { E_PENDING, E_INFLIGHT, E_ACKED };

/* One batch on disk. Entries are in append order, which is (boot, seq)
 * order: boot grows at every start and seq within a boot. */
struct ent {
	int64_t boot, seq;
	uint32_t seg, off, len;
	uint8_t state;
};

struct seg {
	uint32_t id;
	uint64_t bytes;
	int64_t newest_ms;     /* latest batch appended */
	int64_t acked_ms;      /* latest acknowledgement of a batch in it */
	size_t unacked;        /* batches in it not acknowledged */
};

struct flight {
	int64_t boot, seq;
	int mid;
};

struct outbox {
	char dir[512];
	struct outbox_opts o;
	uint64_t seg_limit;
	struct seg *segs;
	size_t nsegs, capsegs;
	struct ent *ents;
	size_t nents, capents;
	size_t hint;           /* no entry below it is pending or in flight */
	size_t live_from;      /* entries from here were appended on this connection */
	struct flight fl[OUTBOX_MAX_INFLIGHT];
	size_t nfl;
	int fd;                /* newest segment, for appending */
	uint64_t total;
	size_t pending;
	uint64_t dropped;
};

/* ---- index ---- */

static bool
ent_less(const struct ent *e, int64_t boot, int64_t seq)
{
	return e->boot < boot || (e->boot == boot && e->seq < seq);
}

static size_t
lower_bound(const struct outbox *ob, int64_t boot, int64_t seq)
{
	size_t lo = 0, hi = ob->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ent_less(&ob->ents[mid], boot, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ent *
find_ent(struct outbox *ob, int64_t boot, int64_t seq)
{
	size_t i = lower_bound(ob, boot, seq);
	if (i < ob->nents && ob->ents[i].boot == boot && ob->ents[i].seq == seq)
		return &ob->ents[i];
	return NULL;
}

static struct seg *
find_seg(struct outbox *ob, uint32_t id)
{
	size_t lo = 0, hi = ob->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ob->segs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ob->nsegs && ob->segs[lo].id == id ? &ob->segs[lo] : NULL;
}

static struct seg *
cur_seg(struct outbox *ob)
{
	return &ob->segs[ob->nsegs - 1];
}

static bool
grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p = grow_to(*arr, cap, need, size, 16);
	if (p != NULL)
		*arr = p;
	return p != NULL;
}

static pantau_err
add_ent(struct outbox *ob, struct seg *s, const struct seg_rec *r)
{
	if (!grow((void **)&ob->ents, &ob->capents, ob->nents + 1, sizeof(*ob->ents)))
		return PANTAU_ERR_NOMEM;
	ob->ents[ob->nents++] = (struct ent){ .boot = r->boot, .seq = r->seq, .seg = s->id,
		.off = (uint32_t)r->off, .len = r->len, .state = E_PENDING };
	s->unacked++;
	ob->pending++;
	if (r->ts_ms > s->newest_ms)
		s->newest_ms = r->ts_ms;
	return PANTAU_OK;
}

static void
set_acked(struct outbox *ob, struct ent *e, int64_t when_ms)
{
	if (e->state == E_ACKED)
		return;
	e->state = E_ACKED;
	ob->pending--;
	struct seg *s = find_seg(ob, e->seg);
	if (s == NULL)
		return;
	if (s->unacked > 0)
		s->unacked--;
	if (when_ms > s->acked_ms)
		s->acked_ms = when_ms;
}

static void
set_pending(struct outbox *ob, size_t i)
{
	struct ent *e = &ob->ents[i];
	if (e->state != E_ACKED)
		return;
	e->state = E_PENDING;
	ob->pending++;
	struct seg *s = find_seg(ob, e->seg);
	if (s != NULL)
		s->unacked++;
	if (i < ob->hint)
		ob->hint = i;
}

static void
forget_flight(struct outbox *ob, int64_t boot, int64_t seq)
{
	for (size_t i = 0; i < ob->nfl; i++) {
		if (ob->fl[i].boot == boot && ob->fl[i].seq == seq) {
			ob->fl[i] = ob->fl[--ob->nfl];
			return;
		}
	}
}

/* ---- segments ---- */

static void
seg_path(const struct outbox *ob, uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" SEG_NAME_FMT, ob->dir, id);
}

static void
sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

/* Delete the oldest segment (never the one being appended to). */
static void
drop_oldest(struct outbox *ob, const char *why)
{
	if (ob->nsegs < 2)
		return;
	struct seg s = ob->segs[0];
	size_t k = 0, lost = 0;
	for (; k < ob->nents && ob->ents[k].seg == s.id; k++) {
		if (ob->ents[k].state == E_INFLIGHT)
			forget_flight(ob, ob->ents[k].boot, ob->ents[k].seq);
		if (ob->ents[k].state != E_ACKED) {
			lost++;
			ob->pending--;
		}
	}
	memmove(ob->ents, ob->ents + k, (ob->nents - k) * sizeof(*ob->ents));
	ob->nents -= k;
	ob->hint = ob->hint > k ? ob->hint - k : 0;
	ob->live_from = ob->live_from > k ? ob->live_from - k : 0;
	memmove(ob->segs, ob->segs + 1, (ob->nsegs - 1) * sizeof(*ob->segs));
	ob->nsegs--;
	ob->total -= s.bytes;
	ob->dropped += lost;
	char path[600];
	seg_path(ob, s.id, path, sizeof(path));
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("outbox: cannot delete %s", path);
	if (lost > 0)
		log_warnx("outbox: %s: deleted the oldest segment with %zu batch(es) never "
		    "delivered (%llu dropped so far)", why, lost, (unsigned long long)ob->dropped);
	else
		log_debug("outbox: %s: deleted segment %u (%zu batches)", why, s.id, k);
}

static pantau_err
new_segment(struct outbox *ob, uint32_t id)
{
	char path[600];
	if (!grow((void **)&ob->segs, &ob->capsegs, ob->nsegs + 1, sizeof(*ob->segs)))
		return PANTAU_ERR_NOMEM;
	seg_path(ob, id, path, sizeof(path));
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return PANTAU_ERR_IO;
	sync_dir(ob->dir);
	if (ob->fd >= 0)
		close(ob->fd);
	ob->fd = fd;
	ob->segs[ob->nsegs++] = (struct seg){ .id = id };
	return PANTAU_OK;
}

static pantau_err
append_rec(struct outbox *ob, struct seg_rec *r, const void *payload, bool sync)
{
	uint64_t need = SEG_HDR_LEN + r->len;
	pantau_err rc;
	if (cur_seg(ob)->bytes > 0 && cur_seg(ob)->bytes + need > ob->seg_limit &&
	    (rc = new_segment(ob, cur_seg(ob)->id + 1)) != PANTAU_OK)
		return rc;
	while (ob->total + need > ob->o.max_bytes && ob->nsegs > 1)
		drop_oldest(ob, "full");
	struct seg *s = cur_seg(ob);
	r->off = s->bytes;
	if ((rc = seg_append(ob->fd, &s->bytes, r, payload, sync)) != PANTAU_OK)
		return rc;
	ob->total += need;
	return PANTAU_OK;
}

/* ---- reading back ---- */

struct scan_ctx {
	struct outbox *ob;
	struct seg *seg;
	pantau_err rc;
};

static void
visit(void *ctx, const struct seg_rec *r)
{
	struct scan_ctx *sc = ctx;
	struct outbox *ob = sc->ob;
	if (r->kind == SEG_BATCH) {
		if (sc->rc == PANTAU_OK)
			sc->rc = add_ent(ob, sc->seg, r);
		return;
	}
	struct ent *e = find_ent(ob, r->boot, r->seq);
	if (e != NULL)
		set_acked(ob, e, r->ts_ms);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Ids of the segment files in dir, sorted. */
static pantau_err
list_segments(const char *dir, uint32_t **ids, size_t *n)
{
	DIR *d = opendir(dir);
	size_t cap = 0;
	struct dirent *de;
	*ids = NULL;
	*n = 0;
	if (d == NULL)
		return PANTAU_ERR_IO;
	while ((de = readdir(d)) != NULL) {
		unsigned id;
		char tail[8];
		if (sscanf(de->d_name, "%10u%7s", &id, tail) != 2 || strcmp(tail, ".seg") != 0)
			continue;
		if (!grow((void **)ids, &cap, *n + 1, sizeof(**ids))) {
			closedir(d);
			return PANTAU_ERR_NOMEM;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (*n > 0)
		qsort(*ids, *n, sizeof(**ids), cmp_u32);
	return PANTAU_OK;
}

/* Read one segment; the newest stays open for appending. */
static pantau_err
load_segment(struct outbox *ob, uint32_t id, bool newest)
{
	char path[600];
	struct stat st;
	uint64_t valid;
	seg_path(ob, id, path, sizeof(path));
	int fd = open(path, (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 ||
	    !grow((void **)&ob->segs, &ob->capsegs, ob->nsegs + 1, sizeof(*ob->segs))) {
		if (fd >= 0)
			close(fd);
		return PANTAU_ERR_IO;
	}
	ob->segs[ob->nsegs++] = (struct seg){ .id = id, .bytes = (uint64_t)st.st_size };
	struct scan_ctx sc = { ob, cur_seg(ob), PANTAU_OK };
	pantau_err rc = seg_scan(fd, visit, &sc, &valid);
	if (rc == PANTAU_OK && valid < (uint64_t)st.st_size) {
		log_warnx("outbox: %s: %llu byte(s) from offset %llu do not check out (a write cut "
		    "short by a crash, or a damaged disk); skipped", path,
		    (unsigned long long)((uint64_t)st.st_size - valid), (unsigned long long)valid);
		if (newest && ftruncate(fd, (off_t)valid) == 0)
			cur_seg(ob)->bytes = valid;
	}
	ob->total += cur_seg(ob)->bytes;
	if (newest)
		ob->fd = fd;
	else
		close(fd);
	return rc != PANTAU_OK ? rc : sc.rc;
}

static pantau_err
load_all(struct outbox *ob, char *why, size_t len)
{
	uint32_t *ids;
	size_t n;
	pantau_err rc = list_segments(ob->dir, &ids, &n);
	for (size_t i = 0; i < n && rc == PANTAU_OK; i++)
		rc = load_segment(ob, ids[i], i + 1 == n);
	free(ids);
	if (rc == PANTAU_OK && ob->nsegs == 0)
		rc = new_segment(ob, 1);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot read the outbox in %s: %s; check its permissions and "
		    "free space", ob->dir, rc == PANTAU_ERR_NOMEM ? "out of memory" : strerror(errno));
	return rc;
}

/* ---- interface ---- */

pantau_err
outbox_open(const struct outbox_opts *o, int64_t now_ms, struct outbox **out, char *why,
    size_t len)
{
	struct outbox *ob = calloc(1, sizeof(*ob));
	*out = NULL;
	if (ob == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	ob->fd = -1;
	ob->o = *o;
	snprintf(ob->dir, sizeof(ob->dir), "%s", o->dir);
	ob->seg_limit = o->max_bytes / SEG_SHARE;
	if (ob->seg_limit < SEG_MIN_BYTES)
		ob->seg_limit = SEG_MIN_BYTES;
	if (ob->seg_limit > SEG_MAX_BYTES)
		ob->seg_limit = SEG_MAX_BYTES;
	if (mkdir(ob->dir, 0750) != 0 && errno != EEXIST) {
		snprintf(why, len, "cannot create the outbox folder %s: %s", ob->dir,
		    strerror(errno));
		outbox_free(ob);
		return PANTAU_ERR_IO;
	}
	pantau_err rc = load_all(ob, why, len);
	if (rc != PANTAU_OK) {
		outbox_free(ob);
		return rc;
	}
	ob->live_from = ob->nents;
	outbox_expire(ob, now_ms);
	log_info("outbox: %zu batch(es) to deliver, %zu held, %llu bytes in %zu segment(s)",
	    ob->pending, ob->nents, (unsigned long long)ob->total, ob->nsegs);
	*out = ob;
	return PANTAU_OK;
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	if (ob->fd >= 0)
		close(ob->fd);
	free(ob->segs);
	free(ob->ents);
	free(ob);
}

/* Free room after a failed write: delete the oldest fully acknowledged segment. */
static bool
free_acked_segment(struct outbox *ob)
{
	if (ob->nsegs < 2 || ob->segs[0].unacked > 0)
		return false;
	drop_oldest(ob, "disk full");
	return true;
}

pantau_err
outbox_push(struct outbox *ob, int64_t boot, int64_t seq, const void *payload, uint32_t len,
    int64_t now_ms)
{
	struct seg_rec r = { .kind = SEG_BATCH, .boot = boot, .seq = seq, .ts_ms = now_ms,
		.len = len };
	if (len > SEG_MAX_PAYLOAD)
		return PANTAU_ERR_TOO_BIG;
	pantau_err rc = append_rec(ob, &r, payload, true);
	if (rc == PANTAU_ERR_IO && free_acked_segment(ob))
		rc = append_rec(ob, &r, payload, true);
	if (rc == PANTAU_OK)
		rc = add_ent(ob, cur_seg(ob), &r);
	if (rc != PANTAU_OK)
		ob->dropped++;
	return rc;
}

static void
fill(const struct ent *e, bool live, struct outbox_item *it)
{
	*it = (struct outbox_item){ .boot = e->boot, .seq = e->seq, .len = e->len, .live = live };
}

bool
outbox_next(struct outbox *ob, bool backlog, struct outbox_item *it)
{
	size_t from = ob->live_from > ob->hint ? ob->live_from : ob->hint;
	for (size_t i = from; i < ob->nents; i++) {
		if (ob->ents[i].state == E_PENDING) {
			fill(&ob->ents[i], true, it);
			return true;
		}
	}
	if (!backlog)
		return false;
	while (ob->hint < ob->nents && ob->ents[ob->hint].state == E_ACKED)
		ob->hint++;
	for (size_t i = ob->hint; i < ob->live_from && i < ob->nents; i++) {
		if (ob->ents[i].state == E_PENDING) {
			fill(&ob->ents[i], false, it);
			return true;
		}
	}
	return false;
}

pantau_err
outbox_read(struct outbox *ob, const struct outbox_item *it, void *buf)
{
	const struct ent *e = find_ent(ob, it->boot, it->seq);
	char path[600];
	if (e == NULL)
		return PANTAU_ERR_NOT_FOUND;
	if (e->seg == cur_seg(ob)->id)
		return seg_read_payload(ob->fd, e->off, e->len, buf);
	seg_path(ob, e->seg, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PANTAU_ERR_IO;
	pantau_err rc = seg_read_payload(fd, e->off, e->len, buf);
	close(fd);
	return rc;
}

void
outbox_mark_inflight(struct outbox *ob, const struct outbox_item *it, int mid)
{
	struct ent *e = find_ent(ob, it->boot, it->seq);
	if (e == NULL || e->state != E_PENDING || ob->nfl == OUTBOX_MAX_INFLIGHT)
		return;
	e->state = E_INFLIGHT;
	ob->fl[ob->nfl++] = (struct flight){ it->boot, it->seq, mid };
}

bool
outbox_ack(struct outbox *ob, int mid, int64_t now_ms)
{
	size_t i = 0;
	while (i < ob->nfl && ob->fl[i].mid != mid)
		i++;
	if (i == ob->nfl)
		return false;
	struct flight f = ob->fl[i];
	ob->fl[i] = ob->fl[--ob->nfl];
	struct ent *e = find_ent(ob, f.boot, f.seq);
	if (e == NULL || e->state != E_INFLIGHT)
		return true;
	set_acked(ob, e, now_ms);
	struct seg_rec r = { .kind = SEG_ACK, .boot = f.boot, .seq = f.seq, .ts_ms = now_ms };
	if (append_rec(ob, &r, NULL, false) != PANTAU_OK)
		log_debug("outbox: cannot record the ack of seq %lld: %s", (long long)f.seq,
		    strerror(errno));
	return true;
}

void
outbox_requeue(struct outbox *ob)
{
	for (size_t i = 0; i < ob->nfl; i++) {
		struct ent *e = find_ent(ob, ob->fl[i].boot, ob->fl[i].seq);
		if (e != NULL && e->state == E_INFLIGHT)
			e->state = E_PENDING;
	}
	ob->nfl = 0;
	ob->live_from = ob->nents;
}

void
outbox_connected(struct outbox *ob)
{
	ob->live_from = ob->nents;
}

size_t
outbox_replay(struct outbox *ob, int64_t boot, int64_t from, int64_t to,
    void (*gone)(void *ctx, int64_t from, int64_t to), void *ctx)
{
	size_t found = 0;
	int64_t next = from; /* lowest seq not yet accounted for */
	for (size_t i = lower_bound(ob, boot, from);
	     i < ob->nents && ob->ents[i].boot == boot && ob->ents[i].seq <= to; i++) {
		if (gone != NULL && ob->ents[i].seq > next)
			gone(ctx, next, ob->ents[i].seq - 1);
		next = ob->ents[i].seq + 1;
		set_pending(ob, i);
		found++;
	}
	if (gone != NULL && next <= to)
		gone(ctx, next, to);
	return found;
}

void
outbox_expire(struct outbox *ob, int64_t now_ms)
{
	while (ob->nsegs > 1) {
		const struct seg *s = &ob->segs[0];
		int64_t last = s->acked_ms > s->newest_ms ? s->acked_ms : s->newest_ms;
		if (now_ms - s->newest_ms > ob->o.max_age_ms)
			drop_oldest(ob, "older than max_age");
		else if (s->unacked == 0 && now_ms - last > ob->o.retention_ms)
			drop_oldest(ob, "delivered and past retention");
		else
			break;
	}
}

struct outbox_stats
outbox_stats(const struct outbox *ob)
{
	return (struct outbox_stats){ .pending = ob->pending, .inflight = ob->nfl,
		.held = ob->nents, .bytes = ob->total, .dropped = ob->dropped };
}
