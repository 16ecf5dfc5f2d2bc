#include "storewatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "collector/store/store_url.h"
#include "log.h"

static void
on_retry(uv_timer_t *t)
{
	struct storewatch *w = t->data;
	if (store_reconnect(w->store) != PANTAU_OK) {
		w->backoff_ms = w->backoff_ms * 2 > STOREWATCH_MAX_MS ? STOREWATCH_MAX_MS :
		                                                        w->backoff_ms * 2;
		uv_timer_start(&w->timer, on_retry, (uint64_t)w->backoff_ms, 0);
		return;
	}
	w->down = false;
	log_info("store: the database is back after %lld s; reading from the broker again",
	    (long long)((clock_real_ms() - w->down_since_ms) / 1000));
	w->on_change(w->ctx, true);
}

static void
free_poll(uv_handle_t *h)
{
	free(h);
}

static void
unwatch(struct storewatch *w)
{
	if (w->poll != NULL)
		uv_close((uv_handle_t *)w->poll, free_poll);
	w->poll = NULL;
	w->poll_fd = -1;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	storewatch_send(h->data);
}

/* The socket watched while batches are in flight; a new one (after a
 * reconnection) gets a handle of its own. */
static void
watch(struct storewatch *w)
{
	int fd = store_sending(w->store) ? store_socket(w->store) : -1;
	if (w->poll != NULL && fd != w->poll_fd)
		unwatch(w);
	if (fd < 0)
		return;
	if (w->poll == NULL) {
		if ((w->poll = malloc(sizeof(*w->poll))) == NULL)
			return;   /* read at the next loop turn or commit */
		if (uv_poll_init(w->timer.loop, w->poll, fd) != 0) {
			free(w->poll);
			w->poll = NULL;
			return;
		}
		w->poll->data = w;
		w->poll_fd = fd;
		uv_poll_start(w->poll, UV_READABLE, on_readable);
	}
}

void
storewatch_send(struct storewatch *w)
{
	if (w->down)
		return;
	if (store_send(w->store) != PANTAU_OK)
		storewatch_check(w);
	if (w->down)
		unwatch(w);
	else
		watch(w);
}

void
storewatch_init(uv_loop_t *loop, struct storewatch *w, struct store *s,
    void (*on_change)(void *ctx, bool up), void *ctx)
{
	*w = (struct storewatch){ .store = s, .on_change = on_change, .ctx = ctx, .poll_fd = -1 };
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
}

void
storewatch_check(struct storewatch *w)
{
	if (w->down || store_up(w->store))
		return;
	w->down = true;
	unwatch(w);
	w->down_since_ms = clock_real_ms();
	w->backoff_ms = STOREWATCH_FIRST_MS;
	log_warnx("store: the database is unavailable (%s); off the broker until it is back "
	          "(its session and the agents' outboxes hold the data), trying again with backoff",
	    db_errmsg(store_db(w->store)));
	w->on_change(w->ctx, false);
	uv_timer_start(&w->timer, on_retry, (uint64_t)w->backoff_ms, 0);
}

void
storewatch_close(struct storewatch *w)
{
	unwatch(w);
	uv_close((uv_handle_t *)&w->timer, NULL);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* True when the database server of where cannot be reached now (why). */
static bool
unreachable(const char *where, char *why, size_t len)
{
	struct db *db = NULL;
	bool down = store_url_open(where, false, &db) != DB_OK && db != NULL &&
	    !db_connected(db);
	if (down)
		snprintf(why, len, "%s", db_errmsg(db));
	db_close(db);
	return down;
}

pantau_err
storewatch_open(const struct store_opts *opts, struct store **out)
{
	int backoff = STOREWATCH_FIRST_MS;
	bool logged = false;
	char why[256];
	while (unreachable(opts->path, why, sizeof(why))) {
		if (!logged)
			log_warnx("store: cannot reach the database yet (%s); trying again with backoff",
			    why);
		logged = true;
		sleep_ms(backoff);
		backoff = backoff * 2 > STOREWATCH_MAX_MS ? STOREWATCH_MAX_MS : backoff * 2;
	}
	if (logged)
		log_info("store: the database answers");
	return store_open(opts, out);
}
