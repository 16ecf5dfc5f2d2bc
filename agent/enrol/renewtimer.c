#include "renewtimer.h"

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pkey.h"

#define CERT_MAX (64 * 1024)

struct renewtimer {
	uv_timer_t timer;
	uv_process_t proc;
	bool running;             /* a child is out */
	bool stopping;
	int open;                 /* handles not yet closed */
	const struct agent_config *cfg;
	char path[PATH_MAX];
	char self[PATH_MAX];
};

static void
on_closed(uv_handle_t *h)
{
	struct renewtimer *r = h->data;
	if (--r->open == 0)
		free(r);
}

static void
on_exit_child(uv_process_t *p, int64_t status, int sig)
{
	struct renewtimer *r = p->data;
	r->running = false;
	if (status == 0 && sig == 0)
		log_info("enrol: certificate renewal checked (pantau-agent renew --if-due)");
	else
		log_warnx("enrol: pantau-agent renew --if-due failed (status %lld, signal %d); "
		    "retried in %lld h: run it by hand to see why", (long long)status, sig,
		    (long long)(RENEW_EVERY_MS / 3600000));
	r->open++;
	uv_close((uv_handle_t *)p, on_closed);
}

/* Seconds the certificate has left; INT64_MAX when it cannot be read. */
static int64_t
left_s(const struct agent_config *cfg)
{
	size_t n = 0;
	char *pem = pkey_read_file(cfg->broker.certfile, CERT_MAX, &n);
	X509 *x = pem != NULL ? pkey_cert_parse(pem, n) : NULL;
	int64_t left = x != NULL ? pkey_time(X509_get0_notAfter(x)) - clock_real_ms() / 1000 :
	    INT64_MAX;
	X509_free(x);
	free(pem);
	return left;
}

static void
on_tick(uv_timer_t *t)
{
	struct renewtimer *r = t->data;
	if (r->running || r->stopping)
		return;
	int64_t left = left_s(r->cfg);
	if (left == INT64_MAX) {
		log_warnx("enrol: cannot read the certificate %s to see when it expires",
		    r->cfg->broker.certfile);
		return;
	}
	if (left > (int64_t)r->cfg->enrol.renew_days * 86400)
		return;
	char *args[] = { r->self, (char *)"renew", (char *)"--if-due", (char *)"--config",
		r->path, NULL };
	uv_stdio_container_t stdio[3] = { { .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 }, { .flags = UV_INHERIT_FD, .data.fd = 2 } };
	uv_process_options_t o = { .exit_cb = on_exit_child, .file = r->self, .args = args,
		.stdio_count = 3, .stdio = stdio };
	r->proc.data = r;
	int rc = uv_spawn(t->loop, &r->proc, &o);
	if (rc != 0) {
		log_warnx("enrol: cannot run %s renew: %s", r->self, uv_strerror(rc));
		r->open++;
		uv_close((uv_handle_t *)&r->proc, on_closed);
		return;
	}
	uv_unref((uv_handle_t *)&r->proc);
	r->running = true;
	log_info("enrol: the certificate expires in %lld day(s): renewing it",
	    (long long)(left / 86400));
}

struct renewtimer *
renewtimer_start(uv_loop_t *loop, const struct agent_config *cfg, const char *path)
{
	if (cfg->enrol.collector[0] == '\0' || cfg->broker.certfile[0] == '\0')
		return NULL;
	struct renewtimer *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	ssize_t n = readlink("/proc/self/exe", r->self, sizeof(r->self) - 1);
	if (n <= 0 || realpath(path, r->path) == NULL) {
		free(r);
		return NULL;
	}
	r->self[n] = '\0';
	r->cfg = cfg;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->open = 1;
	uv_timer_start(&r->timer, on_tick, RENEW_FIRST_MS, (uint64_t)RENEW_EVERY_MS);
	uv_unref((uv_handle_t *)&r->timer);
	return r;
}

void
renewtimer_stop(struct renewtimer *r)
{
	if (r == NULL || r->stopping)
		return;
	r->stopping = true;
	if (r->running) {           /* on_exit_child closes it */
		(void)uv_process_kill(&r->proc, SIGTERM);
		uv_ref((uv_handle_t *)&r->proc);
	}
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, on_closed);
}
