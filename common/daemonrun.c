#include "daemonrun.h"

#include "log.h"
#include "sigstop.h"

int
daemon_run(const struct daemon_run *d, void *ctx, const char *path)
{
	char why[512];
	uv_loop_t loop;
	struct sigstop sig;
	int rc = 0;
	uv_loop_init(&loop);
	if (d->start(&loop, ctx, why, sizeof(why)) != PANTAU_OK) {
		log_errorx("%s: %s", d->who, why);
		rc = 1;
	} else {
		sigstop_start(&loop, &sig, d->who, d->stop, ctx);
		sigstop_reload(&loop, &sig, d->reload, ctx, path);
		log_info("%s: pantau-%s %s running", d->who, d->who, PANTAU_VERSION);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (d->free != NULL)
		d->free(ctx);
	uv_loop_close(&loop);
	return rc;
}
