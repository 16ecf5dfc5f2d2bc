/* pantau-agent: measures a site's connectivity and reports it over MQTT. */
#include <limits.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent.h"
#include "agent_config.h"
#include "check.h"
#include "daemonargs.h"
#include "enrol/enrol.h"
#include "enrol/renewtimer.h"
#include "log.h"
#include "reload.h"
#include "sigstop.h"

#define EXIT_CONFIG 2


enum { OPT_LANG, OPT_CATALOG, OPT_JSON };

static const struct daemon_opt agent_opts[] = {
	[OPT_LANG] = { "lang", true },
	[OPT_CATALOG] = { "catalog", true },
	[OPT_JSON] = { "json", false },
	{ NULL, false },
};

static const char *const agent_commands[] = { "run", "check", NULL };

static const struct daemon_cli cli = {
	.name = "pantau-agent",
	.synopsis = "usage: pantau-agent [run] --config FILE [--log-level LEVEL]\n"
	    "       pantau-agent check --config FILE [--lang en|id] [--json]\n"
	    "       pantau-agent --check --config FILE\n"
	    "       pantau-agent enrol TOKEN --collector https://HOST:PORT [--cacert FILE]\n"
	    "       pantau-agent renew [--if-due] [--config FILE]\n",
	.help = "  run                 measure and report until stopped (the default)\n"
	    "  check               test this site: configuration, region, broker login,\n"
	    "                      every probe once; plain words, exit 0 when all pass\n"
	    "  --config FILE       configuration file (INI); see docs/configuration.md\n"
	    "  --check             only validate the configuration and exit\n"
	    "  --lang en|id        language of 'check' (default from LANG)\n"
	    "  --json              'check' also prints each probe's result as a JSON line\n"
	    "  --catalog DIR       region catalog for 'check' (default " PANTAU_DATADIR ")\n",
	.reference = agent_config_reference,
	.config_required = true,
	.commands = agent_commands,
	.extra = agent_opts,
};

static void
stop_agent(void *arg)
{
	agent_stop(arg);
}

static void
reload_agent(void *arg, const char *path)
{
	agent_reload(arg, path);
}

static int
run(struct agent_config *cfg, const char *path)
{
	char why[512];
	uv_loop_t loop;
	struct sigstop sig;
	struct agent *a = NULL;
	struct renewtimer *renew = NULL;
	int rc = 0;
	uv_loop_init(&loop);
	if (agent_new(&loop, cfg, &a, why, sizeof(why)) != PANTAU_OK) {
		log_errorx("agent: %s", why);
		rc = 1;
	} else {
		sigstop_start(&loop, &sig, "agent", stop_agent, a);
		sigstop_reload(&loop, &sig, reload_agent, a, path);
		renew = renewtimer_start(&loop, cfg, path);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	renewtimer_stop(renew);     /* its handles kept no loop alive: close them now */
	uv_run(&loop, UV_RUN_DEFAULT);
	agent_free(a);
	uv_loop_close(&loop);
	return rc;
}

int
main(int argc, char **argv)
{
	struct daemon_args a = { 0 };
	struct agent_config cfg;
	/* enrolment makes the configuration: it needs none (agent/enrol/enrol.h) */
	if (argc >= 2 && strcmp(argv[1], "enrol") == 0)
		return enrol_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "renew") == 0)
		return renew_main(argc - 1, argv + 1);
	int rc = daemon_args_parse(argc, argv, &cli, &a);
	if (rc >= 0)
		return rc;
	int lang = check_lang_parse(a.extra[OPT_LANG]);
	int level = a.log_level != NULL ? log_level_parse(a.log_level) : 0;
	if (lang < 0 || level < 0) {
		fprintf(stderr, "pantau-agent: %s\n", lang < 0 ? "--lang must be en or id" :
		    "--log-level must be error, warn, info or debug");
		return DAEMON_EXIT_USAGE;
	}
	if (agent_config_load(a.config, &cfg, stderr) != PANTAU_OK) {
		agent_config_clear(&cfg);
		return EXIT_CONFIG;
	}
	bool check = strcmp(a.command, "check") == 0;
	log_init("pantau-agent", a.log_level != NULL ? (enum log_level)level :
	    check ? LOG_LEVEL_ERROR : (enum log_level)cfg.log_level, false);
	signal(SIGPIPE, SIG_IGN);
	/* Name lookups run on libuv's thread pool (4 threads by default); one
	 * hung DNS server must not hold up the broker connect behind them. */
	setenv("UV_THREADPOOL_SIZE", "8", 0);
	mosquitto_lib_init();
	char worker[PATH_MAX], why[PATH_MAX + 512];
	if (!check && agent_config_worker(&cfg, worker, sizeof(worker), why, sizeof(why)) !=
	    PANTAU_OK) {
		fprintf(stderr, "pantau-agent: %s\n", why);
		rc = EXIT_CONFIG;
	} else if (a.check) {
		printf("configuration OK (%zu probes)\n", cfg.nprobes);
		rc = 0;
	} else if (check) {
		rc = check_run(a.config, &cfg, (enum check_lang)lang,
		    a.extra[OPT_CATALOG] != NULL ? a.extra[OPT_CATALOG] : PANTAU_DATADIR, stdout,
		    a.given[OPT_JSON] ? stdout : NULL);
	} else {
		rc = run(&cfg, a.config);
	}
	mosquitto_lib_cleanup();
	agent_config_clear(&cfg);
	return rc;
}
