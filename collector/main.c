/* pantau-collector: receives, validates and stores what the agents send. */
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "catalog.h"
#include "collector.h"
#include "collector_config.h"
#include "daemonargs.h"
#include "daemonrun.h"
#include "log.h"
#include "collector/status/profiles.h"
#include "settings.h"

#define EXIT_CONFIG 2

static int
load_config(const char *path, void *cfg, FILE *errs)
{
	return collector_config_load(path, cfg, errs) == PANTAU_OK ? 0 : -1;
}

/* Its entry for common/daemonargs.c, which parses, loads, says the usage
 * and checks for all three daemons; what is left is each one's words and
 * loader, so this part looks like reflector/main.c's (duplicates lists the pair). */
static const struct daemon_cli cli = {
	.name = "pantau-collector",
	.help = "  --config FILE       configuration file (INI); see docs/configuration.md\n"
	    "  --check             validate the configuration and the region catalog,\n"
	    "                      print \"configuration OK\", and exit\n",
	.load = load_config,
	.reference = collector_config_reference,
	.config_required = true,
};

/* What daemon_run's callbacks are given. */
struct running {
	const struct collector_config *cfg;
	struct collector *c;
};

static pantau_err
start_collector(uv_loop_t *loop, void *ctx, char *why, size_t len)
{
	struct running *r = ctx;
	return collector_new(loop, r->cfg, &r->c, why, len);
}

static void
stop_collector(void *ctx)
{
	collector_stop(((struct running *)ctx)->c);
}

/* The files the configuration names: the region catalog, the operator's
 * 3T flags and the status profiles. 0 when all are valid. */
static int
check_files(const struct collector_config *cfg, bool quiet)
{
	struct catalog *cat = NULL;
	struct profiles *prof = NULL;
	if (settings_files(cfg, cfg->catalog_dir, &cat, &prof, stderr) != PANTAU_OK)
		return EXIT_CONFIG;
	if (!quiet)
		printf("configuration OK (%zu provinces, %zu regencies in %s)\n", cat->nprovinces,
		    cat->nregencies, cfg->catalog_dir);
	profiles_free(prof);
	catalog_free(cat);
	return 0;
}

static void
reload_collector(void *ctx, const char *path)
{
	collector_reload(((struct running *)ctx)->c, path);
}

static void
free_collector(void *ctx)
{
	collector_free(((struct running *)ctx)->c);
}

static const struct daemon_run run_collector = {
	.who = "collector",
	.start = start_collector,
	.stop = stop_collector,
	.reload = reload_collector,
	.free = free_collector,
};

int
main(int argc, char **argv)
{
	struct daemon_args a = { 0 };
	struct collector_config cfg = { 0 };
	int rc = daemon_init(argc, argv, &cli, &a, &cfg, &cfg.log_level);
	if (rc >= 0)
		return rc;
	if (a.check || (rc = check_files(&cfg, true)) != 0)
		return a.check ? check_files(&cfg, false) : rc;
	mosquitto_lib_init();
	struct running r = { &cfg, NULL };
	rc = daemon_run(&run_collector, &r, a.config);
	mosquitto_lib_cleanup();
	return rc;
}
