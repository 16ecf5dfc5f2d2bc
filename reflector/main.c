/* pantau-reflector: the far end of the stamp and throughput probes, run at
 * regional points of presence (docs/probes.md). */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "daemonargs.h"
#include "daemonrun.h"
#include "http_server.h"
#include "listenaddr.h"
#include "log.h"
#include "reflector_config.h"
#include "stamp_server.h"


struct reflector {
	struct stamp_server *stamp;
	struct http_server *http;
	struct reflector_config *cfg;   /* running */
};

static int
load_config(const char *path, void *cfg, FILE *errs)
{
	return reflector_config_load(path, cfg, errs) == PANTAU_OK ? 0 : -1;
}

/* Its entry for common/daemonargs.c, which parses, loads, says the usage
 * and checks for all three daemons; what is left is each one's words and
 * loader, so this part looks like collector/main.c's (duplicates lists the pair). */
static const struct daemon_cli cli = {
	.name = "pantau-reflector",
	.help = "  --config FILE       configuration file (INI); without it the defaults:\n"
	    "                      STAMP on UDP 862, HTTP on TCP 8862, every interface\n"
	    "  --check             validate the configuration, print \"configuration OK\"\n",
	.load = load_config,
	.reference = reflector_config_reference,
};

static void
stop_reflector(void *arg)
{
	struct reflector *r = arg;
	stamp_server_free(r->stamp);
	http_server_free(r->http);
	r->stamp = NULL;
	r->http = NULL;
}

/* [http] port 0 disables the endpoint, unless listen names a port. */
static bool
http_enabled(const struct reflector_config *cfg)
{
	struct listen_addr la;
	char why[256];
	return listen_addr_parse(cfg->http.listen, "0.0.0.0", cfg->http.port, &la, why,
	    sizeof(why)) != PANTAU_OK || la.port != 0;
}

/* On a failure nothing is left open. */
static pantau_err
start(uv_loop_t *loop, void *ctx, char *why, size_t len)
{
	struct reflector *r = ctx;
	const struct reflector_config *cfg = r->cfg;
	const struct stamp_server_opts so = { .listen = cfg->stamp.listen,
		.port = cfg->stamp.port, .rate_pps = cfg->stamp.rate_pps,
		.burst = cfg->stamp.burst, .sources = cfg->stamp.sources };
	const struct http_server_opts ho = { .listen = cfg->http.listen, .port = cfg->http.port,
		.max_bytes = cfg->http.max_bytes, .per_client = cfg->http.per_client,
		.max_connections = cfg->http.max_connections, .timeout_s = cfg->http.timeout_s };
	pantau_err rc = PANTAU_OK;
	if (cfg->stamp.listen[0] != '\0')
		rc = stamp_server_new(loop, &so, &r->stamp, why, len);
	if (rc == PANTAU_OK && http_enabled(cfg))
		rc = http_server_new(loop, &ho, &r->http, why, len);
	if (rc == PANTAU_OK && r->stamp == NULL && r->http == NULL) {
		snprintf(why, len, "both STAMP and HTTP are disabled; nothing to do");
		rc = PANTAU_ERR_CONFIG;
	}
	if (rc != PANTAU_OK)
		stop_reflector(r);
	return rc;
}

/* SIGHUP: the file read and checked as at a start; its limits applied. */
static void
reload_reflector(void *arg, const char *path)
{
	struct reflector *r = arg;
	struct reflector_config next;
	if (reflector_config_load(path, &next, stderr) != PANTAU_OK) {
		log_warnx("reflector: reload of %s failed (the reason is above); the running "
		    "configuration stays", path != NULL ? path : "(defaults)");
		return;
	}
	size_t changed = reflector_config_reload(r->cfg, &next);
	const struct reflector_config *c = r->cfg;
	const struct stamp_server_opts so = { .rate_pps = c->stamp.rate_pps,
		.burst = c->stamp.burst, .sources = c->stamp.sources };
	if (r->stamp != NULL && stamp_server_set_limits(r->stamp, &so) != PANTAU_OK)
		log_warnx("reflector: reload: out of memory for %d STAMP sources; the running "
		    "rate limit table stays", c->stamp.sources);
	if (r->http != NULL)
		http_server_set_max_bytes(r->http, c->http.max_bytes);
	log_info("reflector: reloaded %s: %zu key(s) changed; STAMP %g packets/s per "
	    "source, burst %d, %d sources; HTTP at most %lld bytes per request",
	    path != NULL ? path : "(defaults)", changed, c->stamp.rate_pps, c->stamp.burst,
	    c->stamp.sources, (long long)c->http.max_bytes);
}

static const struct daemon_run run_reflector = {
	.who = "reflector",
	.start = start,
	.stop = stop_reflector,
	.reload = reload_reflector,
};

int
main(int argc, char **argv)
{
	struct daemon_args a = { 0 };
	struct reflector_config cfg = { 0 };
	int rc = daemon_init(argc, argv, &cli, &a, &cfg, &cfg.log_level);
	if (rc >= 0)
		return rc;
	if (a.check) {
		printf("configuration OK\n");
		return 0;
	}
	struct reflector r = { NULL, NULL, &cfg };
	return daemon_run(&run_reflector, &r, a.config);
}
