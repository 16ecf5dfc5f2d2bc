/* pantau-collector: receives, validates and stores what the agents send. */
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "catalog.h"
#include "collector.h"
#include "collector_config.h"
#include "log.h"
#include "profiles.h"
#include "sigstop.h"

#define EXIT_USAGE 2
#define EXIT_CONFIG 2

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: pantau-collector --config FILE [--check] [--log-level LEVEL]\n"
	    "       pantau-collector --config-reference | --version | --help\n"
	    "\n"
	    "  --config FILE       configuration file (INI); see docs/configuration.md\n"
	    "  --check             validate the configuration and the region catalog,\n"
	    "                      print \"configuration OK\", and exit\n"
	    "  --log-level LEVEL   error, warn, info or debug (overrides the file)\n"
	    "  --config-reference  print every configuration key with its default\n");
}

struct args {
	const char *config;
	const char *log_level;
	bool check;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "config-reference", no_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "c:nl:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'n': a->check = true; break;
		case 'l': a->log_level = optarg; break;
		case 'R': collector_config_reference(stdout); return 0;
		case 'V': printf("pantau-collector %s\n", PANTAU_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pantau-collector: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static void
stop_collector(void *arg)
{
	collector_stop(arg);
}

/* The files the configuration names: the region catalog, the operator's
 * 3T flags and the status profiles. 0 when all are valid. */
static int
check_files(const struct collector_config *cfg, bool quiet)
{
	char why[512];
	struct catalog *cat = NULL;
	struct profiles *prof = NULL;
	int rc = EXIT_CONFIG;
	if (catalog_load(cfg->catalog_dir, &cat, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau-collector: region catalog: %s\n", why);
		goto out;
	}
	if (cfg->status.regency_flags[0] != '\0' &&
	    catalog_load_flags(cat, cfg->status.regency_flags, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau-collector: [status] regency_flags: %s\n", why);
		goto out;
	}
	if (profiles_load(cfg->status.profiles, &prof, stderr) != PANTAU_OK)
		goto out;
	if (!quiet)
		printf("configuration OK (%zu provinces, %zu regencies in %s)\n", cat->nprovinces,
		    cat->nregencies, cfg->catalog_dir);
	rc = 0;
out:
	profiles_free(prof);
	catalog_free(cat);
	return rc;
}

static int
run(const struct collector_config *cfg)
{
	char why[512];
	uv_loop_t loop;
	struct sigstop sig;
	struct collector *c = NULL;
	uv_loop_init(&loop);
	if (collector_new(&loop, cfg, &c, why, sizeof(why)) != PANTAU_OK) {
		log_errorx("collector: %s", why);
		uv_loop_close(&loop);
		return 1;
	}
	sigstop_start(&loop, &sig, "collector", stop_collector, c);
	log_info("collector: pantau-collector %s running", PANTAU_VERSION);
	uv_run(&loop, UV_RUN_DEFAULT);
	collector_free(c);
	uv_loop_close(&loop);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct collector_config cfg;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.config == NULL) {
		fprintf(stderr, "pantau-collector: --config FILE is required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (collector_config_load(a.config, &cfg, stderr) != PANTAU_OK)
		return EXIT_CONFIG;
	int level = a.log_level != NULL ? log_level_parse(a.log_level) : cfg.log_level;
	if (level < 0) {
		fprintf(stderr, "pantau-collector: --log-level must be error, warn, info or debug\n");
		return EXIT_USAGE;
	}
	log_init("pantau-collector", (enum log_level)level, false);
	if (a.check || (rc = check_files(&cfg, true)) != 0)
		return a.check ? check_files(&cfg, false) : rc;
	signal(SIGPIPE, SIG_IGN);
	mosquitto_lib_init();
	rc = run(&cfg);
	mosquitto_lib_cleanup();
	return rc;
}
