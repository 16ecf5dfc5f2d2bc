/* pantau-reflector: the far end of the stamp and throughput probes, run at
 * regional points of presence (docs/probes.md). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "http_server.h"
#include "log.h"
#include "reflector_config.h"
#include "sigstop.h"
#include "stamp_server.h"

#define EXIT_USAGE 2
#define EXIT_CONFIG 2

struct reflector {
	struct stamp_server *stamp;
	struct http_server *http;
};

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: pantau-reflector [--config FILE] [--check] [--log-level LEVEL]\n"
	    "       pantau-reflector --config-reference | --version | --help\n"
	    "\n"
	    "  --config FILE       configuration file (INI); without it the defaults:\n"
	    "                      STAMP on UDP 862, HTTP on TCP 8862, every interface\n"
	    "  --check             validate the configuration, print \"configuration OK\"\n"
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
		case 'R': reflector_config_reference(stdout); return 0;
		case 'V': printf("pantau-reflector %s\n", PANTAU_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pantau-reflector: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static void
stop_reflector(void *arg)
{
	struct reflector *r = arg;
	stamp_server_free(r->stamp);
	http_server_free(r->http);
	r->stamp = NULL;
	r->http = NULL;
}

static pantau_err
start(uv_loop_t *loop, const struct reflector_config *cfg, struct reflector *r)
{
	char why[512];
	const struct stamp_server_opts so = { .listen = cfg->stamp.listen,
		.port = cfg->stamp.port, .rate_pps = cfg->stamp.rate_pps,
		.burst = cfg->stamp.burst, .sources = cfg->stamp.sources };
	const struct http_server_opts ho = { .listen = cfg->http.listen, .port = cfg->http.port,
		.max_bytes = cfg->http.max_bytes, .per_client = cfg->http.per_client,
		.max_connections = cfg->http.max_connections, .timeout_s = cfg->http.timeout_s };
	if (cfg->stamp.listen[0] != '\0' &&
	    stamp_server_new(loop, &so, &r->stamp, why, sizeof(why)) != PANTAU_OK) {
		log_errorx("reflector: %s", why);
		return PANTAU_ERR_NET;
	}
	if (cfg->http.port != 0 &&
	    http_server_new(loop, &ho, &r->http, why, sizeof(why)) != PANTAU_OK) {
		log_errorx("reflector: %s", why);
		return PANTAU_ERR_NET;
	}
	if (r->stamp == NULL && r->http == NULL) {
		log_errorx("reflector: both STAMP and HTTP are disabled; nothing to do");
		return PANTAU_ERR_CONFIG;
	}
	return PANTAU_OK;
}

static int
run(const struct reflector_config *cfg)
{
	uv_loop_t loop;
	struct sigstop sig;
	struct reflector r = { NULL, NULL };
	int rc = 0;
	uv_loop_init(&loop);
	if (start(&loop, cfg, &r) != PANTAU_OK) {
		stop_reflector(&r);
		rc = 1;
	} else {
		sigstop_start(&loop, &sig, "reflector", stop_reflector, &r);
		log_info("reflector: pantau-reflector %s running", PANTAU_VERSION);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct reflector_config cfg;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (reflector_config_load(a.config, &cfg, stderr) != PANTAU_OK)
		return EXIT_CONFIG;
	int level = a.log_level != NULL ? log_level_parse(a.log_level) : cfg.log_level;
	if (level < 0) {
		fprintf(stderr, "pantau-reflector: --log-level must be error, warn, info or debug\n");
		return EXIT_USAGE;
	}
	log_init("pantau-reflector", (enum log_level)level, false);
	if (a.check) {
		printf("configuration OK\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return run(&cfg);
}
