/*
 * pantau-loadgen: plays many virtual agents against an MQTT broker, for the
 * ingest benchmark and for demos. Prints one JSON line with what it did.
 */
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "loadgen.h"
#include "log.h"
#include "strnum.h"
#include "vagent.h"

#define EXIT_USAGE 2
/* File descriptors per connection: the socket and libmosquitto's socket pair. */
#define FDS_PER_CONN 3
#define FDS_SPARE 64

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: pantau-loadgen [options]\n"
	    "  --host HOST         broker (default 127.0.0.1)\n"
	    "  --port PORT         broker port (default 1883)\n"
	    "  --connections C     MQTT connections (default 20)\n"
	    "  --agents V          virtual agents spread over them (default 2000)\n"
	    "  --count N           total result batches; 0 = unlimited (default 0)\n"
	    "  --rate R            batches/s overall; 0 = as fast as the broker accepts\n"
	    "  --interval S        with --rate 0: each agent publishes every S seconds\n"
	    "  --duration S        stop after S seconds (default: no limit)\n"
	    "  --inflight W        QoS 1 window per connection (default 100)\n"
	    "  --births            publish a retained birth status per agent first\n"
	    "  --fleet-backoff     reconnect like pantau-agent (1..60 s, spread after a\n"
	    "                      lost connection) instead of 0.25..5 s\n"
	    "  --serve-replay      answer the collector's replay commands; after the run\n"
	    "                      keep answering until SIGINT/SIGTERM\n"
	    "  --replay-gone       as --serve-replay, but answer every command with a\n"
	    "                      \"gone\" reply (an agent whose outbox lost the batches)\n"
	    "  --seed N            same seed, same agents (ids, regencies, boots, links)\n"
	    "  --demo              a national picture: Jayawijaya (95.01, 3T) at risk, 8 %%\n"
	    "                      of the other sites degraded, 1 %% offline (last will)\n"
	    "  --prefix P          agent ids are P-RRRR-NNNN (default sim)\n"
	    "  --catalog DIR       region catalog (default build/share/pantau, then %s)\n"
	    "  --log-level LEVEL   error, warn, info or debug (default warn)\n"
	    "Ends when --count is reached, --duration is over, or on SIGINT/SIGTERM;\n"
	    "then waits up to %d s for acknowledgements and prints one JSON line:\n"
	    "{\"published\":N,\"acked\":N,\"seconds\":X,\"rate\":R,\"connections\":C,"
	    "\"agents\":V}\n",
	    PANTAU_DATADIR, LG_DRAIN_MS / 1000);
}

static bool
num(const char *name, const char *arg, long long min, long long max, long long *out)
{
	pantau_err rc = strnum_int(arg, min, max, out);
	if (rc != PANTAU_OK)
		fprintf(stderr, "pantau-loadgen: --%s \"%s\": expected a whole number %lld..%lld\n",
		    name, arg, min, max);
	return rc == PANTAU_OK;
}

static bool
real(const char *name, const char *arg, double min, double max, double *out)
{
	pantau_err rc = strnum_double(arg, min, max, out);
	if (rc != PANTAU_OK)
		fprintf(stderr, "pantau-loadgen: --%s \"%s\": expected a number %g..%g\n", name,
		    arg, min, max);
	return rc == PANTAU_OK;
}

/* Apply one option; false on a bad value. */
static bool
set_option(struct lg_opts *o, int ch, const char *arg, const char **log_level)
{
	long long v = 0;
	bool ok = true;
	switch (ch) {
	case 'H': o->host = arg; break;
	case 'p': ok = num("port", arg, 1, 65535, &v); o->port = (int)v; break;
	case 'c': ok = num("connections", arg, 1, 100000, &v); o->connections = (int)v; break;
	case 'a': ok = num("agents", arg, 1, 1000000, &v); o->agents = (size_t)v; break;
	case 'n': ok = num("count", arg, 0, 1000000000000LL, &v); o->count = (uint64_t)v; break;
	case 'r': ok = real("rate", arg, 0, 1e7, &o->rate); break;
	case 'i': ok = num("interval", arg, 0, 86400, &v); o->interval_s = (int)v; break;
	case 'd': ok = real("duration", arg, 0, 1e7, &o->duration_s); break;
	case 'w': ok = num("inflight", arg, 1, 65000, &v); o->inflight = (int)v; break;
	case 'b': o->births = true; break;
	case 'F': o->fleet_backoff = true; break;
	case 'R': o->serve_replay = true; break;
	case 'G': o->serve_replay = o->replay_gone = true; break;
	case 'D': o->demo = true; break;
	case 's':
		ok = num("seed", arg, 0, 9223372036854775807LL, &v);
		o->seed = (uint64_t)v;
		o->seeded = true;
		break;
	case 'P': o->prefix = arg; break;
	case 'C': o->catalog_dir = arg; break;
	case 'l': *log_level = arg; break;
	default: ok = false; break;
	}
	return ok;
}

static bool
check_options(const struct lg_opts *o)
{
	if (o->rate > 0 && o->interval_s > 0) {
		fprintf(stderr, "pantau-loadgen: give --rate or --interval, not both\n");
		return false;
	}
	if (!vagent_prefix_valid(o->prefix)) {
		fprintf(stderr, "pantau-loadgen: --prefix \"%s\": 1-%d characters of "
		    "A-Z a-z 0-9 - _\n", o->prefix, VAGENT_PREFIX_MAX);
		return false;
	}
	return true;
}

/* Returns -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, struct lg_opts *o, const char **log_level)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "agents", required_argument, NULL, 'a' },
		{ "count", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "inflight", required_argument, NULL, 'w' },
		{ "births", no_argument, NULL, 'b' },
		{ "fleet-backoff", no_argument, NULL, 'F' },
		{ "serve-replay", no_argument, NULL, 'R' },
		{ "replay-gone", no_argument, NULL, 'G' },
		{ "demo", no_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "catalog", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return 0;
		}
		if (!set_option(o, ch, optarg, log_level)) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pantau-loadgen: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_USAGE;
	}
	return check_options(o) ? -1 : EXIT_USAGE;
}

/* Many connections need more descriptors than the usual soft limit. */
static void
raise_nofile(int connections)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)connections * FDS_PER_CONN + FDS_SPARE;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("loadgen: cannot raise the open file limit");
	else if (rl.rlim_cur < need)
		log_warnx("loadgen: only %llu open files allowed; %d connections need about %llu",
		    (unsigned long long)rl.rlim_cur, connections, (unsigned long long)need);
}

static void
print_report(const struct lg_report *r, bool births, bool replay)
{
	double rate = r->seconds > 0 ? (double)r->acked / r->seconds : 0.0;
	printf("{\"published\":%llu,\"acked\":%llu,\"seconds\":%.3f,\"rate\":%.1f,"
	       "\"connections\":%d,\"agents\":%zu",
	    (unsigned long long)r->published, (unsigned long long)r->acked, r->seconds, rate,
	    r->connections, r->agents);
	if (births)
		printf(",\"births\":%llu", (unsigned long long)r->births);
	if (replay)
		printf(",\"replayed\":%llu,\"gone\":%llu", (unsigned long long)r->replayed,
		    (unsigned long long)r->gone);
	printf("}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct lg_opts o;
	struct lg_report r;
	const char *log_level = "warn";
	char why[512];
	lg_opts_default(&o);
	int rc = parse_args(argc, argv, &o, &log_level);
	if (rc >= 0)
		return rc;
	int level = log_level_parse(log_level);
	if (level < 0) {
		fprintf(stderr, "pantau-loadgen: --log-level \"%s\": error, warn, info or debug\n",
		    log_level);
		return EXIT_USAGE;
	}
	log_init("pantau-loadgen", (enum log_level)level, false);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(o.connections);
	mosquitto_lib_init();
	pantau_err err = loadgen_run(&o, &r, why, sizeof(why));
	mosquitto_lib_cleanup();
	if (err != PANTAU_OK)
		log_errorx("loadgen: %s", why);
	if (r.agents > 0)
		print_report(&r, o.births, o.serve_replay);
	if (err == PANTAU_OK && !r.ever_connected) {
		log_errorx("loadgen: never connected to the broker at %s:%d", o.host, o.port);
		return 1;
	}
	return err == PANTAU_OK ? 0 : 1;
}
