/*
 * delayline: a user-space netem for the network lab (docs/testing.md).
 *
 *   delayline IFACE_A IFACE_B [--ctl PATH] [--queue N] [SETTING...]
 *
 * Bridges two interfaces with AF_PACKET sockets: every frame received on
 * one is sent out of the other after a delay. Per direction ("ab" is
 * A -> B, "ba" the other way): fixed delay, uniform jitter of +-jitter_ms
 * around it, random loss of IP frames (ARP and other non-IP frames are
 * delayed, never dropped, so neighbour discovery does not disturb loss
 * figures), and whether jitter may reorder frames (reorder=0 keeps each
 * direction first-in first-out, as a real link does). Each direction has
 * its own seeded generator, so a run is reproducible.
 *
 * SETTING is KEY=VALUE, KEY one of delay_ms, jitter_ms, loss_pct, reorder,
 * seed, optionally prefixed "ab." or "ba." for one direction only. The same
 * words sent as a datagram to the control socket (--ctl, a UNIX datagram
 * socket) change them at run time: "set delay_ms=50 ab.loss_pct=1" answers
 * "ok" or "error: ...", "stats" answers one line of counters per direction.
 * Frames already queued keep their release time (with reorder=0 a new frame
 * still leaves after them: lowering the delay drains the queue first).
 *
 * Accuracy: frames are time-stamped on CLOCK_MONOTONIC as they are read
 * and released by an absolute timerfd with 1 ns timer slack; a frame due
 * on arrival (delay 0) is sent at once. "stats" reports how late frames
 * left against their release time (late_us_mean, late_us_max). Each direction's queue is a
 * min-heap bounded by --queue frames; a frame arriving at a full queue is
 * dropped and counted. SIGTERM or SIGINT ends it cleanly (status 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define DL_FRAME_MAX 65536          /* largest frame read (offloads are off) */
#define DL_QUEUE_DEFAULT 20000      /* frames per direction */
#define DL_QUEUE_MAX 1000000
#define DL_SOCKBUF (8 << 20)        /* socket buffers, bytes */
#define DL_BURST 256                /* frames read per wake-up per side */
#define DL_DELAY_MAX_MS 60000.0
#define DL_CTL_MAX 1024             /* control datagram */
#define DL_ARGS_MAX 32              /* settings per command */

struct frame {
	int64_t due;                /* CLOCK_MONOTONIC ns */
	uint64_t seq;
	size_t len;
	unsigned char data[];
};

struct params {
	double delay_ms, jitter_ms, loss_pct;
	bool reorder;
	uint64_t seed;
	bool reseed;                /* seed given: restart the generator */
};

struct dir {
	const char *name;
	int in_fd, out_fd;
	struct params p;
	uint64_t rng;
	struct frame **heap;
	size_t n, cap;
	int64_t last_due;
	uint64_t seq;
	uint64_t rx, fwd, lost, full, senderr;
	int64_t late_sum, late_max;  /* send time - release time, ns */
};

struct line {
	struct dir d[2];
	int tfd, sfd, cfd;
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned char buf[DL_FRAME_MAX];
};

/* splitmix64: small, fast, good enough for loss and jitter draws. */
static double
rng_uniform(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

/* ---- the queue: a min-heap on (due, seq) ---- */

static bool
before(const struct frame *a, const struct frame *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_push(struct dir *d, struct frame *f)
{
	size_t i = d->n++;
	d->heap[i] = f;
	while (i > 0 && before(d->heap[i], d->heap[(i - 1) / 2])) {
		struct frame *t = d->heap[i];
		d->heap[i] = d->heap[(i - 1) / 2];
		d->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct frame *
heap_pop(struct dir *d)
{
	struct frame *top = d->heap[0];
	d->heap[0] = d->heap[--d->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->n && before(d->heap[l], d->heap[m]))
			m = l;
		if (r < d->n && before(d->heap[r], d->heap[m]))
			m = r;
		if (m == i)
			break;
		struct frame *t = d->heap[i];
		d->heap[i] = d->heap[m];
		d->heap[m] = t;
		i = m;
	}
	return top;
}

/* ---- settings ---- */

static int
parse_num(const char *text, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* Apply KEY=VALUE to p; on error write why. */
static int
param_set(struct params *p, const char *key, const char *val, char *why, size_t len)
{
	double v = 0;
	int rc = -1;
	if (strcmp(key, "delay_ms") == 0) {
		if ((rc = parse_num(val, 0, DL_DELAY_MAX_MS, &v)) == 0)
			p->delay_ms = v;
	} else if (strcmp(key, "jitter_ms") == 0) {
		if ((rc = parse_num(val, 0, DL_DELAY_MAX_MS, &v)) == 0)
			p->jitter_ms = v;
	} else if (strcmp(key, "loss_pct") == 0) {
		if ((rc = parse_num(val, 0, 100, &v)) == 0)
			p->loss_pct = v;
	} else if (strcmp(key, "reorder") == 0) {
		rc = strcmp(val, "0") == 0 || strcmp(val, "1") == 0 ? 0 : -1;
		p->reorder = rc == 0 ? val[0] == '1' : p->reorder;
	} else if (strcmp(key, "seed") == 0) {
		if ((rc = parse_num(val, 0, 9007199254740992.0, &v)) == 0) {
			p->seed = (uint64_t)v;
			p->reseed = true;
		}
	}
	if (rc != 0)
		snprintf(why, len, "bad setting %s=%s (delay_ms and jitter_ms 0-%.0f, loss_pct "
		    "0-100, reorder 0 or 1, seed a whole number)", key, val, DL_DELAY_MAX_MS);
	return rc;
}

/* One word "[ab.|ba.]KEY=VALUE" applied to the copies in p[2]. */
static int
apply_word(struct params p[2], char *word, char *why, size_t len)
{
	char *eq = strchr(word, '=');
	int only = -1;
	if (eq == NULL) {
		snprintf(why, len, "expected KEY=VALUE, got \"%s\"", word);
		return -1;
	}
	*eq = '\0';
	if (strncmp(word, "ab.", 3) == 0 || strncmp(word, "ba.", 3) == 0) {
		only = word[0] == 'a' ? 0 : 1;
		word += 3;
	}
	for (int i = 0; i < 2; i++)
		if ((only < 0 || only == i) && param_set(&p[i], word, eq + 1, why, len) != 0)
			return -1;
	return 0;
}

/* Apply every word or none. */
static int
apply_settings(struct line *l, char **words, int n, char *why, size_t len)
{
	struct params p[2] = { l->d[0].p, l->d[1].p };
	p[0].reseed = p[1].reseed = false;
	for (int i = 0; i < n; i++)
		if (apply_word(p, words[i], why, len) != 0)
			return -1;
	for (int i = 0; i < 2; i++) {
		l->d[i].p = p[i];
		if (p[i].reseed)
			l->d[i].rng = p[i].seed * 2 + (uint64_t)i;
	}
	return 0;
}

/* ---- frames ---- */

static bool
is_ip(const unsigned char *f, size_t len)
{
	if (len < 14)
		return false;
	unsigned type = (unsigned)f[12] << 8 | f[13];
	return type == ETH_P_IP || type == ETH_P_IPV6;
}

static void
enqueue(struct dir *d, const unsigned char *data, size_t len, int64_t rx, size_t qmax)
{
	d->rx++;
	if (is_ip(data, len) && d->p.loss_pct > 0 && rng_uniform(&d->rng) * 100 < d->p.loss_pct) {
		d->lost++;
		return;
	}
	if (d->n >= qmax) {
		d->full++;
		return;
	}
	double ms = d->p.delay_ms;
	if (d->p.jitter_ms > 0)
		ms += d->p.jitter_ms * (2 * rng_uniform(&d->rng) - 1);
	int64_t due = rx + (ms > 0 ? (int64_t)(ms * 1e6) : 0);
	if (!d->p.reorder && due < d->last_due)
		due = d->last_due;
	struct frame *f = malloc(sizeof(*f) + len);
	if (f == NULL) {
		d->full++;
		return;
	}
	f->due = due;
	f->seq = d->seq++;
	f->len = len;
	memcpy(f->data, data, len);
	d->last_due = due;
	heap_push(d, f);
}

static void
release_due(struct dir *d, int64_t now)
{
	while (d->n > 0 && d->heap[0]->due <= now) {
		struct frame *f = heap_pop(d);
		int64_t late = clock_mono_ns() - f->due;
		d->late_sum += late;
		if (late > d->late_max)
			d->late_max = late;
		if (send(d->out_fd, f->data, f->len, MSG_DONTWAIT) == (ssize_t)f->len)
			d->fwd++;
		else
			d->senderr++;
		free(f);
	}
}

static void
read_side(struct line *l, struct dir *d, size_t qmax)
{
	for (int i = 0; i < DL_BURST; i++) {
		ssize_t n = recv(d->in_fd, l->buf, sizeof(l->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		int64_t rx = clock_mono_ns();
		if ((size_t)n > sizeof(l->buf)) {
			d->full++;
			continue;
		}
		enqueue(d, l->buf, (size_t)n, rx, qmax);
		release_due(d, rx);
	}
}

static void
arm_timer(struct line *l)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < 2; i++)
		if (l->d[i].n > 0 && l->d[i].heap[0]->due < next)
			next = l->d[i].heap[0]->due;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (next != INT64_MAX) {
		if (next < 1)
			next = 1;
		its.it_value.tv_sec = next / 1000000000LL;
		its.it_value.tv_nsec = next % 1000000000LL;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- control socket ---- */

static int
split_words(char *text, char **words, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *w = strtok_r(text, " \t\r\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

static double
mean_late_us(const struct dir *d)
{
	uint64_t sent = d->fwd + d->senderr;
	return sent > 0 ? (double)d->late_sum / (double)sent / 1e3 : 0.0;
}

static void
stats_text(const struct line *l, char *out, size_t len)
{
	size_t used = 0;
	for (int i = 0; i < 2 && used < len; i++) {
		const struct dir *d = &l->d[i];
		int w = snprintf(out + used, len - used, "%s rx=%" PRIu64 " fwd=%" PRIu64 " lost=%"
		    PRIu64 " full=%" PRIu64 " senderr=%" PRIu64 " queued=%zu late_us_mean=%.1f "
		    "late_us_max=%.1f delay_ms=%g jitter_ms=%g loss_pct=%g reorder=%d\n", d->name,
		    d->rx, d->fwd, d->lost, d->full, d->senderr, d->n, mean_late_us(d),
		    (double)d->late_max / 1e3, d->p.delay_ms, d->p.jitter_ms, d->p.loss_pct,
		    d->p.reorder);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void
handle_ctl(struct line *l)
{
	char msg[DL_CTL_MAX + 1], reply[1024];
	char *words[DL_ARGS_MAX + 1];
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(l->cfd, msg, DL_CTL_MAX, MSG_DONTWAIT, (struct sockaddr *)&from,
	    &flen);
	if (n < 0)
		return;
	msg[n] = '\0';
	int nw = split_words(msg, words, DL_ARGS_MAX + 1);
	if (nw >= 1 && strcmp(words[0], "stats") == 0 && nw == 1)
		stats_text(l, reply, sizeof(reply));
	else if (nw >= 1 && strcmp(words[0], "set") == 0 &&
	    apply_settings(l, words + 1, nw - 1, reply + 7, sizeof(reply) - 7) == 0)
		snprintf(reply, sizeof(reply), "ok\n");
	else if (nw >= 1 && strcmp(words[0], "set") == 0)
		memcpy(reply, "error: ", 7);
	else
		snprintf(reply, sizeof(reply), "error: commands are \"set KEY=VALUE...\" and "
		    "\"stats\"\n");
	if (flen > sizeof(sa_family_t))
		sendto(l->cfd, reply, strlen(reply), MSG_DONTWAIT, (struct sockaddr *)&from, flen);
}

/* ---- set-up ---- */

static int
open_side(const char *ifname, int *ifindex)
{
	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0) {
		fprintf(stderr, "delayline: no interface %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "delayline: AF_PACKET socket: %s (needs root or CAP_NET_RAW)\n",
		    strerror(errno));
		return -1;
	}
	int one = 1, size = DL_SOCKBUF;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = *ifindex };
	struct packet_mreq mr = { .mr_ifindex = *ifindex, .mr_type = PACKET_MR_PROMISC };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
		fprintf(stderr, "delayline: %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_ctl(struct line *l, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "delayline: --ctl path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	l->cfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->cfd < 0 || bind(l->cfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "delayline: control socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(l->ctl_path, sizeof(l->ctl_path), "%s", path);
	return 0;
}

static int
open_signals(struct line *l)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	l->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return l->sfd < 0 ? -1 : 0;
}

static int
init_dirs(struct line *l, const char *a, const char *b, size_t qmax)
{
	int ia, ib;
	int fa = open_side(a, &ia), fb = fa < 0 ? -1 : open_side(b, &ib);
	if (fb < 0) {
		if (fa >= 0)
			close(fa);
		return -1;
	}
	l->d[0] = (struct dir){ .name = "ab", .in_fd = fa, .out_fd = fb, .rng = 0 };
	l->d[1] = (struct dir){ .name = "ba", .in_fd = fb, .out_fd = fa, .rng = 1 };
	for (int i = 0; i < 2; i++) {
		l->d[i].cap = qmax;
		l->d[i].heap = calloc(qmax, sizeof(*l->d[i].heap));
		if (l->d[i].heap == NULL)
			return -1;
	}
	return 0;
}

static void
line_close(struct line *l)
{
	for (int i = 0; i < 2; i++) {
		while (l->d[i].heap != NULL && l->d[i].n > 0)
			free(heap_pop(&l->d[i]));
		free(l->d[i].heap);
	}
	if (l->d[0].in_fd > 0)
		close(l->d[0].in_fd);
	if (l->d[1].in_fd > 0)
		close(l->d[1].in_fd);
	if (l->cfd >= 0)
		close(l->cfd);
	if (l->ctl_path[0] != '\0')
		unlink(l->ctl_path);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->sfd >= 0)
		close(l->sfd);
}

/* ---- the loop ---- */

static int
run(struct line *l, size_t qmax)
{
	struct pollfd pf[5] = {
		{ .fd = l->d[0].in_fd, .events = POLLIN }, { .fd = l->d[1].in_fd, .events = POLLIN },
		{ .fd = l->tfd, .events = POLLIN }, { .fd = l->sfd, .events = POLLIN },
		{ .fd = l->cfd, .events = POLLIN },
	};
	for (;;) {
		if (poll(pf, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("delayline: poll");
			return 1;
		}
		if (pf[3].revents != 0)
			return 0;
		for (int i = 0; i < 2; i++)
			if (pf[i].revents & (POLLIN | POLLERR)) /* recv clears ENETDOWN */
				read_side(l, &l->d[i], qmax);
		if (pf[2].revents & POLLIN) {
			uint64_t ticks;
			if (read(l->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				perror("delayline: timerfd");
		}
		int64_t now = clock_mono_ns();
		release_due(&l->d[0], now);
		release_due(&l->d[1], now);
		if (pf[4].revents & POLLIN)
			handle_ctl(l);
		arm_timer(l);
	}
}

/* Best effort: a real-time priority keeps wake-ups prompt on a busy machine
 * (the kernel's RT throttling still leaves other tasks 5 % of each CPU). */
static void
realtime(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
		fprintf(stderr, "delayline: no real-time priority (%s); timing may suffer "
		    "on a busy machine\n", strerror(errno));
}

static void
usage(void)
{
	fprintf(stderr, "usage: delayline IFACE_A IFACE_B [--ctl PATH] [--queue N] "
	    "[[ab.|ba.]KEY=VALUE...]\n  KEY: delay_ms, jitter_ms, loss_pct, reorder (0|1), "
	    "seed\n");
}

int
main(int argc, char **argv)
{
	struct line *l = calloc(1, sizeof(*l));
	char *words[DL_ARGS_MAX];
	const char *ctl = NULL;
	char why[256];
	double q = DL_QUEUE_DEFAULT;
	int nw = 0, rc = 2;
	if (l == NULL)
		return 1;
	l->cfd = l->tfd = l->sfd = -1;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc)
			ctl = argv[++i];
		else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc &&
		    parse_num(argv[i + 1], 1, DL_QUEUE_MAX, &q) == 0)
			i++;
		else if (argv[i][0] != '-' && nw < DL_ARGS_MAX)
			words[nw++] = argv[i];
		else
			goto bad_usage;
	}
	if (argc < 3)
		goto bad_usage;
	rc = 1;
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	realtime();
	if (init_dirs(l, argv[1], argv[2], (size_t)q) != 0)
		goto out;
	if (apply_settings(l, words, nw, why, sizeof(why)) != 0) {
		fprintf(stderr, "delayline: %s\n", why);
		rc = 2;
		goto out;
	}
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->tfd < 0 || open_signals(l) != 0 || (ctl != NULL && open_ctl(l, ctl) != 0)) {
		perror("delayline: set-up");
		goto out;
	}
	printf("delayline: bridging %s and %s\n", argv[1], argv[2]);
	fflush(stdout);
	rc = run(l, (size_t)q);
out:
	line_close(l);
	free(l);
	return rc;
bad_usage:
	usage();
	free(l);
	return 2;
}
