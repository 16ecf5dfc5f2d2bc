#include "collector_config.h"

#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfgreload.h"
#include "collector/alerts/sinks.h"
#include "collector/status/countwin.h"
#include "listenaddr.h"
#include "log.h"
#include "collector/status/profiles.h"

#define C(field) offsetof(struct collector_config, field)
#define S(field) sizeof(((struct collector_config *)0)->field)

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const sync_modes[] = { "normal", "full", NULL };
static const char *const auth_modes[] = { "auto", "on", "off", NULL };

/* Key tables of common/cfg.h: one row per key, alike by design (duplicates
 * pairs the tables with each other and with reflector_config.c's). */
static const struct cfg_key collector_keys[] = {
	CFG_KEY_STR("database", C(database), S(database), "/var/lib/pantau/pantau.db",
	    "SQLite database file; created when missing ([store] url overrides it)"),
	CFG_KEY_STR("catalog_dir", C(catalog_dir), S(catalog_dir), PANTAU_DATADIR,
	    "folder with provinces.csv and regencies.csv (idn-area-data)"),
	CFG_KEY_ENUM("log_level", C(log_level), "info", log_levels, "how much to log"),
	CFG_KEY_INT("max_agents", C(max_agents), 1, 10000000, "50000",
	    "sites (agent ids) the collector takes at most; messages of a new agent beyond "
	    "it are rejected (too_many_agents), so bogus ids cannot grow its memory",
	    .flags = CFG_RELOAD),
};

static const struct cfg_key broker_extra_keys[] = {
	CFG_KEY_STR("client_id", C(client_id), S(client_id), "pantau-collector",
	    "fixed MQTT client id of the collector's persistent session"),
	CFG_KEY_BOOL("split_status", C(split_status), "false",
	    "true: status and reply messages on a second connection (client id "
	    "client_id-status), results alone on the first, so a flood on status topics does "
	    "not hold results back, but an agent's status and its batches may then arrive in "
	    "another order than it sent them; false: one connection subscribed to pantau/v1/#, "
	    "in the agent's order"),
};

static const struct cfg_key api_keys[] = {
	CFG_KEY_STR("listen", C(api.listen), S(api.listen), "127.0.0.1",
	    "address the HTTP API binds to (IPv4 or IPv6, no names); "
	    "0.0.0.0 exposes it to the network; with a port (127.0.0.1:8080, [::1]:8080) it "
	    "overrides port", .check = listen_addr_check),
	CFG_KEY_INT("port", C(api.port), 1, 65535, "8080", "HTTP API port"),
	CFG_KEY_STR("web_dir", C(api.web_dir), S(api.web_dir), PANTAU_DATADIR "/web",
	    "folder of the web dashboard served at / and /ui/; empty: none"),
	CFG_KEY_INT("cache_ms", C(api.cache_ms), 0, 60000, "5000",
	    "how long the national replies (/api/v1/regions, /api/v1/sites) are reused (ms); "
	    "0: built for every request"),
	CFG_KEY_INT("max_connections", C(api.max_connections), 1, 10000, "256",
	    "HTTP connections served at once; more wait in the kernel's queue"),
	CFG_KEY_INT("per_client", C(api.per_client), 1, 10000, "32",
	    "HTTP connections one client address may hold; beyond it a new one is closed at "
	    "once, so one slow or hostile client (slowloris) cannot take them all"),
	CFG_KEY_ENUM("auth", C(api.auth), "auto", auth_modes,
	    "tokens (docs/api.md, Authentication): on: every request but /healthz and the "
	    "dashboard's files carries one; auto: on unless listen is loopback; off: none "
	    "(loopback only)"),
	CFG_KEY_STR("tls_cert", C(api.tls_cert), S(api.tls_cert), "",
	    "PEM file of the API's certificate (chain): serve HTTPS; required when listen is "
	    "beyond loopback"),
	CFG_KEY_STR("tls_key", C(api.tls_key), S(api.tls_key), "",
	    "PEM file of that certificate's private key"),
};

/* The dashboard's longest site range (7 days) and the gap search (24 h)
 * read the newest rows only; a shorter retention would cut them. */
static bool
check_retain_days(const char *v, char *why, size_t len)
{
	long d = strtol(v, NULL, 10);
	if (d == 0 || d >= RETAIN_DAYS_MIN)
		return true;
	snprintf(why, len, "use 0 (keep forever) or at least %d days: the dashboard shows up to 7 "
	    "days of a site", RETAIN_DAYS_MIN);
	return false;
}

static bool
check_store_url(const char *v, char *why, size_t len)
{
	struct store_url u;
	if (v[0] == '\0')
		return true;
	if (!store_url_parse(v, &u, why, len))
		return false;
	if (strlen(u.target) < S(database))
		return true;
	snprintf(why, len, "the SQLite file's path or the PostgreSQL URL is longer than %zu bytes",
	    S(database) - 1);
	return false;
}

static const struct cfg_key store_keys[] = {
	CFG_KEY_STR("url", C(store.url), S(store.url), "",
	    "the store: sqlite:///path/to/pantau.db, or postgresql://host[,host2]/database"
	    "?target_session_attrs=read-write (docs/storage.md); empty: the SQLite file "
	    "[collector] database (a synonym of sqlite://)", .check = check_store_url),
	CFG_KEY_INT("commit_ms", C(store.commit_ms), 1, 10000, "1000",
	    "longest a received batch waits before its transaction commits (ms)"),
	CFG_KEY_INT("commit_rows", C(store.commit_rows), 1, 1000000, "50000",
	    "commit as soon as this many rows are pending"),
	CFG_KEY_INT("pipeline", C(store.pipeline), 0, 10000, "500",
	    "PostgreSQL: at most this many batches written in one round trip, each one "
	    "statement in a libpq pipeline (docs/storage.md); 0: one round trip per row"),
	CFG_KEY_ENUM("synchronous", C(store.synchronous), "normal", sync_modes,
	    "normal: safe against crashes; full: also against power loss, slower"),
	CFG_KEY_INT("retain_days", C(store.retain_days), 0, 36500, "30",
	    "days of batches, results and events kept, counted from the collector's receive "
	    "time; older ones are deleted in small steps every hour (docs/storage.md); 0: keep "
	    "forever, else at least 8", .check = check_retain_days),
};

static const struct cfg_key status_keys[] = {
	CFG_KEY_INT("window", C(status.window_s), 1, 86400, "300",
	    "seconds of results a status window and the regional figures cover"),
	CFG_KEY_INT("offline_intervals", C(status.offline_intervals), 1, 100, "3",
	    "a site that sent nothing for this many intervals is OFFLINE"),
	CFG_KEY_INT("default_interval", C(status.default_interval_s), 1, 86400, "60",
	    "interval assumed for a site whose birth message gave none (s)"),
	CFG_KEY_INT("enter_windows", C(status.enter_windows), 1, 100, "2",
	    "a site turns worse after this many worse windows in a row", .flags = CFG_RELOAD),
	CFG_KEY_INT("leave_windows", C(status.leave_windows), 1, 100, "3",
	    "a site turns better after this many better windows in a row", .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("at_risk_pct", C(status.at_risk_pct), 1, 100, "25",
	    "a regency is AT RISK when this % of its sites are CRITICAL or OFFLINE",
	    .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("baseline_factor", C(status.baseline_factor), 0, 100, "2",
	    "DEGRADED \"above its usual\" past this many times its own baseline; 0 turns it off",
	    .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("baseline_rtt_floor_ms", C(status.baseline_rtt_floor_ms), 0, 10000, "30",
	    "...and at least this many ms above its usual RTT p95", .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("baseline_loss_floor_pct", C(status.baseline_loss_floor_pct), 0, 100, "1",
	    "...or this many points above its usual loss", .flags = CFG_RELOAD),
	CFG_KEY_INT("baseline_hours", C(status.baseline_hours), 1, 8760, "72",
	    "time constant of a site's baseline averages (h)", .flags = CFG_RELOAD),
	CFG_KEY_INT("baseline_min_hours", C(status.baseline_min_hours), 0, 8760, "24",
	    "history a site needs before its baseline judges it (h)", .flags = CFG_RELOAD),
	CFG_KEY_INT("tick_ms", C(status.tick_ms), 100, 60000, "1000",
	    "how often liveness and the regional roll-ups are evaluated (ms)"),
	CFG_KEY_STR("profiles", C(status.profiles), S(status.profiles), "",
	    "INI file of threshold overrides per link type and per site; empty: none",
	    .flags = CFG_RELOAD),
	CFG_KEY_STR("regency_flags", C(status.regency_flags), S(status.regency_flags), "",
	    "CSV of 3T flags over the shipped ones (docs/regions.md); empty: none",
	    .flags = CFG_RELOAD),
};

static bool
check_local_time(const char *v, char *why, size_t len)
{
	int y, mo, d, h, mi;
	char tail;
	if (v[0] == '\0' || (sscanf(v, "%4d-%2d-%2d %2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) == 5 &&
	    strlen(v) == 16))
		return true;
	snprintf(why, len, "use local time like '2029-02-14 13:00'");
	return false;
}

static const struct cfg_key counting_keys[] = {
	CFG_KEY_STR("start", C(counting.start), S(counting.start), "",
	    "start of the vote-counting window in each zone's local time; '2029-02-14 13:00'",
	    .check = check_local_time, .flags = CFG_RELOAD),
	CFG_KEY_STR("end", C(counting.end), S(counting.end), "",
	    "its end, local time; '2029-02-16 23:59'",
	    .check = check_local_time, .flags = CFG_RELOAD),
};

static const struct cfg_key alerts_keys[] = {
	CFG_KEY_STR("dashboard_url", C(alerts.dashboard_url), S(alerts.dashboard_url), "",
	    "base of the links in alerts (Alertmanager's generatorURL)",
	    .check = sink_check_url, .flags = CFG_RELOAD),
	CFG_KEY_INT("resolve_hold", C(alerts.resolve_hold_s), 0, 86400, "0",
	    "seconds a condition must stay gone before its alert resolves", .flags = CFG_RELOAD),
	CFG_KEY_INT("timeout_ms", C(alerts.timeout_ms), 100, 60000, "5000",
	    "longest one delivery may take", .flags = CFG_RELOAD),
	CFG_KEY_INT("retry_max", C(alerts.retry_max_s), 1, 3600, "300",
	    "longest wait between retries of a failing receiver (s); the wait doubles from 1 s",
	    .flags = CFG_RELOAD),
};

/* docs/incidents.md */
static const struct cfg_key incidents_keys[] = {
	CFG_KEY_INT("min_sites", C(incidents.min_sites), 2, 100000, "2",
	    "bad sites behind one hop that make an incident", .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("min_confidence", C(incidents.min_confidence), 0, 1, "0.5",
	    "least share of bad sites among the bad and OK sites behind the hop",
	    .flags = CFG_RELOAD),
	CFG_KEY_INT("prefix_len", C(incidents.prefix_len), 0, 32, "24",
	    "IPv4 hops also grouped by prefixes of this length; 0: by address only",
	    .flags = CFG_RELOAD),
	CFG_KEY_INT("hold", C(incidents.hold_s), 0, 3600, "90",
	    "seconds a bad site with a known path holds its own alert back for an incident",
	    .flags = CFG_RELOAD),
};

static const struct cfg_key replay_keys[] = {
	CFG_KEY_INT("interval", C(replay.interval_s), 1, 3600, "30",
	    "seconds between scans for gaps in the seqs of each agent's boot"),
	CFG_KEY_INT("after", C(replay.after_s), 0, 86400, "30",
	    "a gap is asked for (replay command) once the batch after it is this many seconds "
	    "old"),
	CFG_KEY_INT("window", C(replay.window_s), 60, 2592000, "86400",
	    "seconds: boots that sent nothing for this long are no longer asked (match the "
	    "agents' outbox_retention)"),
	CFG_KEY_DOUBLE("rate", C(replay.rate), 0.1, 10000, "50",
	    "replay commands per second, over all agents: 15,000 agents with a gap each are "
	    "asked within 5 minutes", .flags = CFG_RELOAD),
	CFG_KEY_INT("backoff", C(replay.backoff_s), 1, 86400, "60",
	    "seconds a gap waits after its first ask before it is asked again; doubles per ask",
	    .flags = CFG_RELOAD),
	CFG_KEY_INT("backoff_max", C(replay.backoff_max_s), 1, 86400, "900",
	    "longest wait between two asks of a gap (s)", .flags = CFG_RELOAD),
	CFG_KEY_INT("max_asks", C(replay.max_asks), 1, 100, "5",
	    "asks of a gap before its seqs are recorded lost and no longer asked for",
	    .flags = CFG_RELOAD),
};

/* docs/scaling.md, "Partitioned collectors" */
static const struct cfg_key cluster_keys[] = {
	CFG_KEY_INT("partitions", C(cluster.partitions), 0, 1024, "0",
	    "partitions of the sites (by a hash of the regency) shared out among the collectors "
	    "on one PostgreSQL store; 0: one collector owns every site (SQLite or PostgreSQL)"),
	CFG_KEY_INT("check_ms", C(cluster.check_ms), 100, 60000, "1000",
	    "how often the partitions' locks are checked and a dead owner's partitions taken "
	    "over (ms)"),
	CFG_KEY_INT("refresh_ms", C(cluster.refresh_ms), 100, 600000, "5000",
	    "how often the status of the sites other collectors own is read from the database "
	    "for the API (ms)"),
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* [store] url names the SQLite file (or the PostgreSQL URL) too: [collector]
 * database then follows it. */
static void
store_url_resolve(struct collector_config *c)
{
	struct store_url u;
	char why[256];
	if (c->store.url[0] != '\0' && store_url_parse(c->store.url, &u, why, sizeof(why)) &&
	    strlen(u.target) < sizeof(c->database))
		memcpy(c->database, u.target, strlen(u.target) + 1);
}

/* The sections of the collector's own keys ([broker]'s shared ones are
 * brokercfg's, [enrol]'s enrolcfg's, the sinks' in [alerts] their own). */
static const struct cfg_section sections[] = {
	{ "collector", collector_keys, N(collector_keys) },
	{ "broker", broker_extra_keys, N(broker_extra_keys) },
	{ "api", api_keys, N(api_keys) },
	{ "store", store_keys, N(store_keys) },
	{ "status", status_keys, N(status_keys) },
	{ "counting", counting_keys, N(counting_keys) },
	{ "alerts", alerts_keys, N(alerts_keys) },
	{ "incidents", incidents_keys, N(incidents_keys) },
	{ "replay", replay_keys, N(replay_keys) },
	{ "cluster", cluster_keys, N(cluster_keys) },
};

static void
apply_all(struct cfg_file *f, struct collector_config *c)
{
	cfg_apply(f, "collector", collector_keys, N(collector_keys), c);
	brokercfg_apply(f, &c->broker);
	cfg_apply(f, "broker", broker_extra_keys, N(broker_extra_keys), c);
	cfg_apply(f, "api", api_keys, N(api_keys), c);
	cfg_apply(f, "store", store_keys, N(store_keys), c);
	store_url_resolve(c);
	cfg_apply(f, "status", status_keys, N(status_keys), c);
	cfg_apply(f, "counting", counting_keys, N(counting_keys), c);
	cfg_apply(f, "alerts", alerts_keys, N(alerts_keys), c);
	for (size_t i = 0; sinks_table[i] != NULL; i++)
		cfg_apply(f, "alerts", sinks_table[i]->keys, sinks_table[i]->nkeys,
		    &c->alerts.sink[i]);
	cfg_apply(f, "incidents", incidents_keys, N(incidents_keys), c);
	cfg_apply(f, "replay", replay_keys, N(replay_keys), c);
	cfg_apply(f, "cluster", cluster_keys, N(cluster_keys), c);
	enrolcfg_apply(f, &c->enrol);
}

/* Start and end go together and in order. */
static void
check_counting(struct cfg_file *f, const struct collector_config *c)
{
	struct countwin cw;
	char why[200];
	const struct cfg_entry *e = cfg_find(f, "counting", "end");
	if (e == NULL)
		e = cfg_find(f, "counting", "start");
	if (e != NULL && countwin_parse(c->counting.start, c->counting.end, &cw, why,
	        sizeof(why)) != PANTAU_OK)
		cfg_error(f, "%s:%d: [counting] %s: %s", f->path, e->line, e->key, why);
}

/* The keys of each sink that go together. */
static void
check_sinks(struct cfg_file *f, const struct collector_config *c)
{
	char why[200];
	for (size_t i = 0; sinks_table[i] != NULL; i++)
		if (sinks_table[i]->check != NULL &&
		    !sinks_table[i]->check(&c->alerts.sink[i], why, sizeof(why)))
			cfg_error(f, "%s: [alerts] %s", f->path, why);
}

/* A batch must not be deleted while its boot may still be asked for the
 * gaps before it ([replay] window). */
static void
check_retention(struct cfg_file *f, const struct collector_config *c)
{
	const struct cfg_entry *e = cfg_find(f, "store", "retain_days");
	if (e == NULL)
		e = cfg_find(f, "replay", "window");
	if (e != NULL && c->store.retain_days > 0 &&
	    (int64_t)c->store.retain_days * 86400 <= c->replay.window_s)
		cfg_error(f, "%s:%d: [%s] %s: %d days of retention must be longer than the %d s of "
		    "[replay] window; raise [store] retain_days or lower [replay] window", f->path,
		    e->line, e->section, e->key, c->store.retain_days, c->replay.window_s);
}

/* Partitions are owned through PostgreSQL's advisory locks on the shared store. */
static void
check_cluster(struct cfg_file *f, const struct collector_config *c)
{
	const struct cfg_entry *e = cfg_find(f, "cluster", "partitions");
	if (e != NULL && c->cluster.partitions > 0 &&
	    strncmp(c->store.url, "postgresql://", 13) != 0)
		cfg_error(f, "%s:%d: [cluster] partitions: partitioned collectors share one "
		    "PostgreSQL database and own their partitions through its locks; set [store] url "
		    "= postgresql://... or remove [cluster] partitions for one collector on SQLite",
		    f->path, e->line);
}

/* Beyond loopback the API serves HTTPS only and asks for tokens; a
 * certificate goes with its key. */
static void
check_api(struct cfg_file *f, const struct collector_config *c)
{
	struct listen_addr la;
	char why[200];
	const struct cfg_entry *e = cfg_find(f, "api", "listen");
	const struct cfg_entry *cert = cfg_find(f, "api", "tls_cert");
	const struct cfg_entry *key = cfg_find(f, "api", "tls_key");
	bool has_cert = c->api.tls_cert[0] != '\0', has_key = c->api.tls_key[0] != '\0';
	if (has_cert != has_key) {
		const struct cfg_entry *one = has_cert ? cert : key;
		cfg_error(f, "%s:%d: [api] %s: HTTPS needs the certificate and its private key; set "
		    "[api] %s too, or neither for plain HTTP on loopback", f->path, one->line, one->key,
		    has_cert ? "tls_key" : "tls_cert");
	}
	if (e == NULL || listen_addr_parse(c->api.listen, "127.0.0.1", c->api.port, &la, why,
	        sizeof(why)) != PANTAU_OK || listen_addr_loopback(&la))
		return;
	if (!has_cert && !has_key)
		cfg_error(f, "%s:%d: [api] listen %s is reachable from the network, where the API "
		    "serves HTTPS only: set [api] tls_cert and tls_key to the PEM certificate and "
		    "private key (docs/api.md), or listen on 127.0.0.1", f->path, e->line,
		    c->api.listen);
	if (c->api.auth == 2) {
		const struct cfg_entry *a = cfg_find(f, "api", "auth");
		cfg_error(f, "%s:%d: [api] auth off is for loopback only, and listen %s is "
		    "reachable from the network: remove auth (or set it to on), or listen on "
		    "127.0.0.1", f->path, a != NULL ? a->line : e->line, c->api.listen);
	}
}

pantau_err
collector_config_load(const char *path, struct collector_config *c, FILE *errs)
{
	const char *known[N(sections) + 2] = { "enrol" };   /* and NULL */
	struct cfg_file *f = NULL;
	pantau_err rc;
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N(sections); i++)
		known[i + 1] = sections[i].name;
	rc = cfg_file_open(path, "configuration", &f, errs);
	if (rc != PANTAU_OK)
		return rc;
	apply_all(f, c);
	check_counting(f, c);
	check_sinks(f, c);
	check_retention(f, c);
	check_api(f, c);
	check_cluster(f, c);
	cfg_check_not_above(f, "api", "per_client", c->api.per_client, "max_connections",
	    c->api.max_connections);
	return cfg_file_close(f, known, NULL, errs);
}

size_t
collector_config_reload(struct collector_config *running, const struct collector_config *next)
{
	void *who = (void *)"collector";
	size_t changed = cfg_reload("broker", brokercfg_keys, brokercfg_nkeys, &running->broker,
	    &next->broker, cfg_reload_log_restart, who);
	for (size_t i = 0; i < N(sections); i++)
		changed += cfg_reload(sections[i].name, sections[i].keys, sections[i].nkeys, running, next,
		    cfg_reload_log_restart, who);
	changed += enrolcfg_restart_changes(&running->enrol, &next->enrol);
	for (size_t i = 0; sinks_table[i] != NULL; i++)
		changed += cfg_reload("alerts", sinks_table[i]->keys, sinks_table[i]->nkeys,
		    &running->alerts.sink[i], &next->alerts.sink[i], cfg_reload_log_restart, who);
	return changed;
}

/* [alerts]: each sink's keys, in the table's order, then the common ones. */
static void
print_alerts_reference(FILE *to)
{
	struct cfg_key keys[64];
	size_t n = 0;
	for (size_t i = 0; sinks_table[i] != NULL; i++)
		for (size_t k = 0; k < sinks_table[i]->nkeys && n < N(keys); k++)
			keys[n++] = sinks_table[i]->keys[k];
	for (size_t k = 0; k < N(alerts_keys) && n < N(keys); k++)
		keys[n++] = alerts_keys[k];
	cfg_print_reference("[alerts] key", keys, n, to);
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
	cfg_print_reference("[counting] key", counting_keys, N(counting_keys), to);
	fputc('\n', to);
	print_alerts_reference(to);
	fputc('\n', to);
	cfg_print_reference("[incidents] key", incidents_keys, N(incidents_keys), to);
	fputc('\n', to);
	cfg_print_reference("[replay] key", replay_keys, N(replay_keys), to);
	fputc('\n', to);
	cfg_print_reference("[cluster] key", cluster_keys, N(cluster_keys), to);
	fputc('\n', to);
	enrolcfg_reference(to);
	fputs("\nThe status profile file (`[status] profiles`, docs/status.md) has sections\n"
	      "`[link.TYPE]` and `[site.AGENT]`; every key is optional and overrides the\n"
	      "defaults of the site's link type:\n\n", to);
	profiles_reference(to);
}
