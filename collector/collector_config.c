#include "collector_config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "log.h"

#define C(field) offsetof(struct collector_config, field)
#define S(field) sizeof(((struct collector_config *)0)->field)

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const sync_modes[] = { "normal", "full", NULL };

static const struct cfg_key collector_keys[] = {
	{ "database", CFG_STRING, C(database), S(database), 0, 0, "/var/lib/pantau/pantau.db",
	    NULL, NULL, 0, "SQLite database file; created when missing" },
	{ "catalog_dir", CFG_STRING, C(catalog_dir), S(catalog_dir), 0, 0, PANTAU_DATADIR,
	    NULL, NULL, 0, "folder with provinces.csv and regencies.csv (idn-area-data)" },
	{ "log_level", CFG_ENUM, C(log_level), 0, 0, 0, "info", log_levels, NULL, 0,
	    "how much to log" },
};

static const struct cfg_key broker_extra_keys[] = {
	{ "client_id", CFG_STRING, C(client_id), S(client_id), 0, 0, "pantau-collector", NULL,
	    NULL, 0, "fixed MQTT client id of the collector's persistent session" },
};

static const struct cfg_key api_keys[] = {
	{ "listen", CFG_STRING, C(api.listen), S(api.listen), 0, 0, "127.0.0.1", NULL, NULL, 0,
	    "address the HTTP API binds to; 0.0.0.0 exposes it to the network" },
	{ "port", CFG_INT, C(api.port), 0, 1, 65535, "8080", NULL, NULL, 0,
	    "HTTP API port" },
};

static const struct cfg_key store_keys[] = {
	{ "commit_ms", CFG_INT, C(store.commit_ms), 0, 1, 10000, "1000", NULL, NULL, 0,
	    "longest a received batch waits before its transaction commits (ms)" },
	{ "commit_rows", CFG_INT, C(store.commit_rows), 0, 1, 1000000, "50000", NULL, NULL, 0,
	    "commit as soon as this many rows are pending" },
	{ "synchronous", CFG_ENUM, C(store.synchronous), 0, 0, 0, "normal", sync_modes, NULL, 0,
	    "normal: safe against crashes; full: also against power loss, slower" },
};

static const struct cfg_key status_keys[] = {
	{ "window", CFG_INT, C(status.window_s), 0, 30, 86400, "300", NULL, NULL, 0,
	    "seconds of results that regional summaries cover" },
	{ "offline_intervals", CFG_INT, C(status.offline_intervals), 0, 1, 100, "3", NULL, NULL,
	    0, "a site that sent nothing for this many intervals is OFFLINE" },
	{ "default_interval", CFG_INT, C(status.default_interval_s), 0, 1, 86400, "60", NULL,
	    NULL, 0, "interval assumed for a site whose birth message gave none (s)" },
};

static const struct cfg_key replay_keys[] = {
	{ "interval", CFG_INT, C(replay.interval_s), 0, 1, 3600, "30", NULL, NULL, 0,
	    "seconds between scans for gaps in the seqs of each agent's boot" },
	{ "after", CFG_INT, C(replay.after_s), 0, 0, 86400, "30", NULL, NULL, 0,
	    "a gap is asked for (replay command) once the batch after it is this many seconds "
	    "old" },
	{ "window", CFG_INT, C(replay.window_s), 0, 60, 2592000, "86400", NULL, NULL, 0,
	    "seconds: boots that sent nothing for this long are no longer asked (match the "
	    "agents' outbox_retention)" },
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

static void
apply_all(struct cfg_file *f, struct collector_config *c)
{
	cfg_apply(f, "collector", collector_keys, N(collector_keys), c);
	brokercfg_apply(f, &c->broker);
	cfg_apply(f, "broker", broker_extra_keys, N(broker_extra_keys), c);
	cfg_apply(f, "api", api_keys, N(api_keys), c);
	cfg_apply(f, "store", store_keys, N(store_keys), c);
	cfg_apply(f, "status", status_keys, N(status_keys), c);
	cfg_apply(f, "replay", replay_keys, N(replay_keys), c);
}

pantau_err
collector_config_load(const char *path, struct collector_config *c, FILE *errs)
{
	static const char *const known[] = { "collector", "broker", "api", "store", "status",
		"replay", NULL };
	struct cfg_file *f = NULL;
	pantau_err rc;
	memset(c, 0, sizeof(*c));
	rc = path != NULL ? cfg_file_read(path, &f) : cfg_file_read_string("(defaults)", "", &f);
	if (rc == PANTAU_ERR_IO) {
		fprintf(errs, "%s: cannot read the configuration: %s\n", path, strerror(errno));
		return rc;
	}
	if (rc != PANTAU_OK)
		return rc;
	apply_all(f, c);
	cfg_report_unused(f, known);
	if (f->nerrors > 0) {
		cfg_print_errors(f, errs);
		rc = PANTAU_ERR_CONFIG;
	}
	cfg_file_free(f);
	return rc;
}

void
collector_config_reference(FILE *to)
{
	cfg_print_reference("[collector] key", collector_keys, N(collector_keys), to);
	fputc('\n', to);
	cfg_print_reference("[broker] key", brokercfg_keys, brokercfg_nkeys, to);
	fputc('\n', to);
	cfg_print_reference("[broker] key (collector only)", broker_extra_keys,
	    N(broker_extra_keys), to);
	fputc('\n', to);
	cfg_print_reference("[api] key", api_keys, N(api_keys), to);
	fputc('\n', to);
	cfg_print_reference("[store] key", store_keys, N(store_keys), to);
	fputc('\n', to);
	cfg_print_reference("[status] key", status_keys, N(status_keys), to);
	fputc('\n', to);
	cfg_print_reference("[replay] key", replay_keys, N(replay_keys), to);
}
