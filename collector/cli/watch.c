#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "format.h"

/* Lines of the screen besides the table rows: title, banner, counts,
 * blank, header, "... more", and the prompt line. */
#define WATCH_CHROME_LINES 7
#define WATCH_WHY_MAX 1024

enum { DOC_OVERVIEW, DOC_REGIONS, DOC_ALERTS, NDOCS };
static const char *const paths[NDOCS] = { "/api/v1/overview", "/api/v1/regions",
	"/api/v1/alerts" };

struct screen {
	struct fmt_opts o;
	bool tty;
	size_t rows;          /* table rows that fit; 0: all */
};

static void
screen_of(struct screen *s)
{
	struct winsize ws;
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	s->o = (struct fmt_opts){ .now_ms = clock_real_ms() };
	s->tty = isatty(STDOUT_FILENO);
	s->rows = 0;
	if (!s->tty)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		s->o.width = ws.ws_col;
		/* a row may take two lines when the reason goes below it */
		size_t lines = ws.ws_row > WATCH_CHROME_LINES + 2 ? ws.ws_row - WATCH_CHROME_LINES : 2;
		s->rows = s->o.width >= FMT_W_FIXED + FMT_W_REASON_INLINE ? lines : lines / 2;
	}
	s->o.color = (no_color == NULL || no_color[0] == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

static void
json_line(struct client_reply *r)
{
	json_t *o = json_pack("{s:O,s:O,s:O}", "overview", r[DOC_OVERVIEW].json, "regions",
	    r[DOC_REGIONS].json, "alerts", r[DOC_ALERTS].json);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

/* One refresh; false when the collector could not be read. */
static bool
refresh(const struct watch_opts *w)
{
	struct client_reply r[NDOCS] = { 0 };
	struct screen s;
	char why[WATCH_WHY_MAX];
	bool ok = true;
	screen_of(&s);
	for (int i = 0; i < NDOCS && ok; i++)
		ok = client_fetch(&w->target, paths[i], &r[i], why, sizeof(why)) == PANTAU_OK;
	if (s.tty && !w->json)
		fputs("\033[H\033[2J", stdout);   /* home, clear */
	if (ok && w->json) {
		json_line(r);
	} else if (ok) {
		struct fmt_watch_docs d = { w->target.url, r[DOC_OVERVIEW].json, r[DOC_REGIONS].json,
			r[DOC_ALERTS].json };
		if (fmt_watch(stdout, &d, &s.o, s.rows) != PANTAU_OK) {
			snprintf(why, sizeof(why), "the replies of %s are not what pantau expects; is "
			    "that a pantau collector of this version?", w->target.url);
			ok = false;
		}
	}
	if (!ok)
		fprintf(s.tty && !w->json ? stdout : stderr, "pantau: %s\n", why);
	if (s.tty && !w->json)
		printf("\n(every %d s; Ctrl-C to stop)\n", w->interval_s);
	for (int i = 0; i < NDOCS; i++)
		client_reply_clear(&r[i]);
	fflush(stdout);
	return ok;
}

int
watch_run(const struct watch_opts *w)
{
	bool ok = false;
	for (long n = 0; w->count == 0 || n < w->count; n++) {
		if (n > 0) {
			struct timespec ts = { .tv_sec = w->interval_s };
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;  /* resumed after a signal that did not end us */
		}
		ok = refresh(w);
		if (!w->json && !isatty(STDOUT_FILENO) && (w->count == 0 || n + 1 < w->count))
			putchar('\n');
	}
	return ok ? 0 : 1;
}
