#include "agent/probes/probeworker.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/probes/budget.h"
#include "clock.h"
#include "log.h"
#include "wire.h"
#include "agent/probes/workerproto.h"

struct pw {
	struct probe_run *run;      /* NULL once cancelled */
	const struct probe_def *def;
	struct budget *budget;
	uv_process_t proc;
	uv_pipe_t in, out;
	uv_timer_t timer;
	uv_write_t wr;
	char *req;
	char *buf;                  /* what the worker printed, WORKERPROTO_MAX at most */
	size_t n;
	int open;                   /* handles not yet closed */
	bool spawned, exited, eof, timed_out, overflow, reported;
	int64_t status;
	int sig;
	uint64_t t0;
	int deadline_ms;
	char why[WIRE_TEXT_MAX];    /* set: the run failed before the worker ran */
};

static void
on_closed(uv_handle_t *h)
{
	struct pw *p = h->data;
	if (--p->open > 0)
		return;
	free(p->req);
	free(p->buf);
	free(p);
}

static void
close_once(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_closed);
}

static json_t *
outcome(struct pw *p)
{
	struct workerproto_stats st;
	char why[WIRE_TEXT_MAX];
	if (p->why[0] != '\0')
		return probe_failure_result(p->def, p->why);
	if (p->timed_out) {
		snprintf(why, sizeof(why), "probe worker did not finish within %d ms and was "
		    "killed", p->deadline_ms);
		return probe_failure_result(p->def, why);
	}
	if (p->overflow) {
		snprintf(why, sizeof(why), "probe worker printed more than %d bytes",
		    WORKERPROTO_MAX);
		return probe_failure_result(p->def, why);
	}
	json_t *r = workerproto_reply_parse(p->def, p->buf, p->n, p->status, p->sig, &st);
	if (st.spent_bytes > 0 &&
	    budget_spend(p->budget, st.spent_bytes, clock_real_ms()) != PANTAU_OK)
		log_warnx("%s: cannot store the data budget in the state folder", p->def->name);
	log_debug("probe %s: worker pid %d ran %llu ms, exit %lld signal %d, peak RSS %lld KiB, "
	    "CPU %lld ms, %lld budget bytes", p->def->name, p->proc.pid,
	    (unsigned long long)(uv_now(p->timer.loop) - p->t0), (long long)p->status, p->sig,
	    (long long)st.maxrss_kb, (long long)st.cpu_ms, (long long)st.spent_bytes);
	return r;
}

/* Report once the worker has exited and its output is read (or it never ran). */
static void
maybe_finish(struct pw *p)
{
	if (p->reported || (p->spawned && (!p->exited || !p->eof)))
		return;
	p->reported = true;
	uv_timer_stop(&p->timer);
	close_once((uv_handle_t *)&p->timer);
	struct probe_run *run = p->run;
	if (run == NULL)
		return;
	json_t *r = outcome(p);
	run->state = NULL;
	p->run = NULL;
	run->done(run, r);
}

static void
on_worker_exit(uv_process_t *proc, int64_t status, int sig)
{
	struct pw *p = proc->data;
	p->exited = true;
	p->status = status;
	p->sig = sig;
	close_once((uv_handle_t *)proc);
	maybe_finish(p);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct pw *p = h->data;
	(void)hint;
	*buf = uv_buf_init(p->buf + p->n, (unsigned)(WORKERPROTO_MAX - p->n));
}

static void
stop_reading(struct pw *p)
{
	p->eof = true;
	close_once((uv_handle_t *)&p->out);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct pw *p = s->data;
	(void)buf;
	if (nread > 0)
		p->n += (size_t)nread;
	if (nread < 0) {
		stop_reading(p);
		maybe_finish(p);
	} else if (p->n >= WORKERPROTO_MAX) {
		p->overflow = true;
		stop_reading(p);
		if (!p->exited)
			uv_process_kill(&p->proc, SIGKILL);
	}
}

static void
on_written(uv_write_t *w, int status)
{
	struct pw *p = w->data;
	if (status != 0 && status != UV_ECANCELED)
		log_debug("probe %s: request to the worker not written: %s", p->def->name,
		    uv_strerror(status));
	close_once((uv_handle_t *)&p->in);
}

static void
on_deadline(uv_timer_t *t)
{
	struct pw *p = t->data;
	if (!p->spawned) {          /* report a spawn failure from the loop */
		maybe_finish(p);
		return;
	}
	p->timed_out = true;
	if (!p->exited)
		uv_process_kill(&p->proc, SIGKILL);
	else                        /* exited, but something keeps its stdout open */
		stop_reading(p);
	maybe_finish(p);
}

static int
spawn(struct pw *p, const char *path)
{
	char *args[] = { (char *)path, NULL };
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&p->in },
		{ .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 },
	};
	uv_process_options_t o = { .exit_cb = on_worker_exit, .file = path, .args = args,
		.stdio_count = 3, .stdio = stdio };
	int rc = uv_spawn(p->timer.loop, &p->proc, &o);
	if (rc != 0)
		return rc;
	uv_buf_t b = uv_buf_init(p->req, (unsigned)strlen(p->req));
	p->wr.data = p;
	if (uv_write(&p->wr, (uv_stream_t *)&p->in, &b, 1, on_written) != 0)
		close_once((uv_handle_t *)&p->in);
	return uv_read_start((uv_stream_t *)&p->out, on_alloc, on_read);
}

static struct pw *
pw_new(struct probe_run *run)
{
	struct pw *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->buf = malloc(WORKERPROTO_MAX);
	struct workerproto_budget b = { .limit_bytes = budget_limit(run->env->budget),
		.used_bytes = budget_used(run->env->budget, clock_real_ms()) };
	p->req = p->buf != NULL ? workerproto_request(run->def, &b) : NULL;
	if (p->req == NULL) {
		free(p->buf);
		free(p);
		return NULL;
	}
	p->run = run;
	p->def = run->def;
	p->budget = run->env->budget;
	p->deadline_ms = run->def->spec->max_duration_ms(run->def) + PROBEWORKER_SLACK_MS;
	return p;
}

static pantau_err
probeworker_start(struct probe_run *run)
{
	uv_loop_t *loop = run->env->loop;
	if (run->env->worker == NULL || run->env->budget == NULL)
		return PANTAU_ERR_STATE;
	struct pw *p = pw_new(run);
	if (p == NULL)
		return PANTAU_ERR_NOMEM;
	uv_timer_init(loop, &p->timer);
	uv_pipe_init(loop, &p->in, 0);
	uv_pipe_init(loop, &p->out, 0);
	p->timer.data = p->in.data = p->out.data = p->proc.data = p;
	p->open = 3;
	p->t0 = uv_now(loop);
	run->state = p;
	int rc = spawn(p, run->env->worker);
	if (rc == 0 || p->proc.pid > 0) {
		p->open++;
		p->spawned = true;
		uv_timer_start(&p->timer, on_deadline, (uint64_t)p->deadline_ms, 0);
		return PANTAU_OK;
	}
	snprintf(p->why, sizeof(p->why), "cannot start the probe worker %s: %s; install it "
	    "next to pantau-agent (make install) or set [agent] probe_worker",
	    run->env->worker, uv_strerror(rc));
	log_warnx("probe %s: %s", run->def->name, p->why);
	close_once((uv_handle_t *)&p->proc);
	p->open++;
	close_once((uv_handle_t *)&p->in);
	close_once((uv_handle_t *)&p->out);
	p->eof = p->exited = true;
	uv_timer_start(&p->timer, on_deadline, 0, 0);
	return PANTAU_OK;
}

static void
probeworker_cancel(struct probe_run *run, void *state)
{
	(void)run;
	struct pw *p = state;
	p->run = NULL;
	if (p->spawned && !p->exited)
		uv_process_kill(&p->proc, SIGKILL);
	if (p->spawned && !p->eof)
		stop_reading(p);
	if (!p->reported) {
		p->reported = true;
		uv_timer_stop(&p->timer);
		close_once((uv_handle_t *)&p->timer);
	}
}

const struct probe_exec probeworker_exec = {
	.start = probeworker_start,
	.cancel = probeworker_cancel,
};

static bool
executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

pantau_err
probeworker_locate(const char *configured, char *path, size_t len, char *why, size_t wlen)
{
	char self[PATH_MAX], second[PATH_MAX + 64];
	if (configured != NULL && configured[0] != '\0') {
		snprintf(path, len, "%s", configured);
		if (executable(path))
			return PANTAU_OK;
		snprintf(why, wlen, "the probe worker %s (set by [agent] probe_worker) is not an "
		    "executable file: %s; point probe_worker at pantau-probe-worker", path,
		    access(path, X_OK) != 0 ? strerror(errno) : "not a regular file");
		return PANTAU_ERR_NOT_FOUND;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(path, len, "%s/%s", self, PROBEWORKER_NAME);
	snprintf(second, sizeof(second), "%s/../libexec/pantau/%s", self, PROBEWORKER_NAME);
	if (executable(path))
		return PANTAU_OK;
	if (executable(second)) {
		snprintf(path, len, "%s", second);
		return PANTAU_OK;
	}
	snprintf(why, wlen, "the probe worker for http, throughput and upload_task probes is "
	    "missing: neither %s nor %s is an executable file; install pantau-probe-worker "
	    "with 'make install' or set [agent] probe_worker = PATH", path, second);
	return PANTAU_ERR_NOT_FOUND;
}
