#include "curlglue.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"

/* One transfer lent to the multi. */
struct xfer {
	CURL *easy;
	curlglue_done_fn done;
	void *arg;
	struct xfer *next;
};

/* One socket libcurl asked us to watch. */
struct watch {
	uv_poll_t poll;
	curl_socket_t fd;
	struct curlglue *g;
	struct watch *prev, *next;
};

struct curlglue {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct xfer *xfers;
	struct watch *watches;
	size_t nxfers;
	unsigned open_handles;  /* timer + watches not yet closed */
	int busy;               /* depth inside our own uv callbacks */
	bool dying;             /* curlglue_free() was called */
	bool torn_down;         /* multi cleaned up, handles closing */
	bool global_init;       /* we hold a curl_global_init reference */
};

static void teardown(struct curlglue *g);

static void
handle_gone(struct curlglue *g)
{
	if (--g->open_handles == 0 && g->torn_down)
		free(g);
}

static void
on_watch_closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	struct curlglue *g = w->g;
	free(w);
	handle_gone(g);
}

/* Unlink a watch and close its poll handle; this stops the kernel watch at
 * once, so libcurl may close (and the system reuse) the fd right after. */
static void
watch_close(struct curlglue *g, struct watch *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		g->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

static struct xfer *
xfer_take(struct curlglue *g, CURL *easy)
{
	for (struct xfer **p = &g->xfers; *p != NULL; p = &(*p)->next) {
		struct xfer *x = *p;
		if (x->easy == easy) {
			*p = x->next;
			g->nxfers--;
			return x;
		}
	}
	return NULL;
}

/* Report finished transfers to their owners (outside any libcurl call). */
static void
collect(struct curlglue *g)
{
	CURLMsg *m;
	int left;
	while (!g->dying && (m = curl_multi_info_read(g->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		struct xfer *x = xfer_take(g, easy);
		curl_multi_remove_handle(g->multi, easy); /* m is invalid from here */
		if (x == NULL)
			continue;
		curlglue_done_fn done = x->done;
		void *arg = x->arg;
		free(x);
		done(easy, rc, arg);
	}
}

static void
action(struct curlglue *g, curl_socket_t fd, int flags)
{
	int running = 0;
	g->busy++;
	CURLMcode mc = curl_multi_socket_action(g->multi, fd, flags, &running);
	if (mc != CURLM_OK)
		log_warnx("curl: %s", curl_multi_strerror(mc));
	collect(g);
	g->busy--;
	if (g->dying && g->busy == 0)
		teardown(g);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct watch *w = h->data;
	int flags = 0;
	if (status < 0) {
		flags = CURL_CSELECT_ERR;
	} else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	action(w->g, w->fd, flags);
}

static void
on_timer(uv_timer_t *t)
{
	action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one non-repeating timer; -1 deletes it. */
static int
on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlglue *g = userp;
	(void)multi;
	if (g->torn_down)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&g->timer);
	else
		uv_timer_start(&g->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

static struct watch *
watch_new(struct curlglue *g, curl_socket_t fd)
{
	struct watch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	if (uv_poll_init_socket(g->loop, &w->poll, fd) != 0) {
		free(w);
		return NULL;
	}
	w->fd = fd;
	w->g = g;
	w->poll.data = w;
	w->next = g->watches;
	if (g->watches != NULL)
		g->watches->prev = w;
	g->watches = w;
	g->open_handles++;
	return w;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl wants, or stop. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curlglue *g = userp;
	struct watch *w = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w != NULL)
			watch_close(g, w);
		return 0;
	}
	if (w == NULL) {
		w = watch_new(g, fd);
		if (w == NULL)
			return -1;
		curl_multi_assign(g->multi, fd, w);
	}
	int events = 0;
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (events == 0)
		uv_poll_stop(&w->poll);
	else if (uv_poll_start(&w->poll, events, on_poll) != 0)
		return -1;
	return 0;
}

struct curlglue *
curlglue_new(uv_loop_t *loop)
{
	struct curlglue *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->loop = loop;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	g->global_init = true;
	g->multi = curl_multi_init();
	if (g->multi == NULL)
		goto fail;
	curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g);
	curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
	curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g);
	uv_timer_init(loop, &g->timer);
	g->timer.data = g;
	g->open_handles = 1;
	return g;
fail:
	if (g->global_init)
		curl_global_cleanup();
	free(g);
	return NULL;
}

static void
on_timer_closed(uv_handle_t *h)
{
	handle_gone(h->data);
}

/* Remove what is left, clean up the multi, close our handles. */
static void
teardown(struct curlglue *g)
{
	if (g->torn_down)
		return;
	while (g->xfers != NULL) {
		struct xfer *x = g->xfers;
		g->xfers = x->next;
		curl_multi_remove_handle(g->multi, x->easy);
		free(x);
	}
	g->nxfers = 0;
	/* Closing cached connections may still call on_socket(REMOVE). */
	curl_multi_cleanup(g->multi);
	g->multi = NULL;
	g->torn_down = true;
	while (g->watches != NULL)
		watch_close(g, g->watches);
	uv_timer_stop(&g->timer);
	uv_close((uv_handle_t *)&g->timer, on_timer_closed);
	if (g->global_init)
		curl_global_cleanup();
	g->global_init = false;
}

void
curlglue_free(struct curlglue *g)
{
	if (g == NULL || g->dying)
		return;
	g->dying = true;
	if (g->xfers != NULL)
		log_debug("curl: %zu transfer(s) still running at shutdown; dropped", g->nxfers);
	if (g->busy == 0)
		teardown(g);
}

pantau_err
curlglue_add(struct curlglue *g, CURL *easy, curlglue_done_fn done, void *arg)
{
	if (g == NULL || g->dying)
		return PANTAU_ERR_STATE;
	if (easy == NULL || done == NULL)
		return PANTAU_ERR_INVAL;
	for (struct xfer *x = g->xfers; x != NULL; x = x->next)
		if (x->easy == easy)
			return PANTAU_ERR_DUPLICATE;
	struct xfer *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return PANTAU_ERR_NOMEM;
	/* Adding arms the timer (0 ms): the transfer starts on the loop. */
	CURLMcode mc = curl_multi_add_handle(g->multi, easy);
	if (mc != CURLM_OK) {
		free(x);
		log_warnx("curl: cannot add a transfer: %s", curl_multi_strerror(mc));
		return mc == CURLM_OUT_OF_MEMORY ? PANTAU_ERR_NOMEM : PANTAU_ERR_NET;
	}
	x->easy = easy;
	x->done = done;
	x->arg = arg;
	x->next = g->xfers;
	g->xfers = x;
	g->nxfers++;
	return PANTAU_OK;
}

void
curlglue_remove(struct curlglue *g, CURL *easy)
{
	if (g == NULL || g->torn_down)
		return;
	struct xfer *x = xfer_take(g, easy);
	if (x == NULL)
		return;
	curl_multi_remove_handle(g->multi, easy);
	free(x);
}

size_t
curlglue_running(const struct curlglue *g)
{
	return g == NULL ? 0 : g->nxfers;
}

static double
us_to_ms(curl_off_t us)
{
	return (double)us / 1000.0;
}

void
curlglue_phases(CURL *easy, struct curlglue_phases *out)
{
	curl_off_t nl = 0, co = 0, ac = 0, st = 0, tt = 0;
	curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &nl);
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &co);
	curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &ac);
	curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &st);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &tt);
	out->dns_ms = nl > 0 || co > 0 ? us_to_ms(nl) : -1;
	out->connect_ms = co > 0 ? us_to_ms(co >= nl ? co - nl : 0) : -1;
	out->tls_ms = ac > 0 ? us_to_ms(ac >= co ? ac - co : 0) : -1;
	out->ttfb_ms = st > 0 ? us_to_ms(st) : -1;
	out->total_ms = us_to_ms(tt);
}
