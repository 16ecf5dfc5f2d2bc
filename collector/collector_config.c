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

static const struct cfg_key collector_keys[] = {
	{ "database", CFG_STRING, C(database), S(database), 0, 0, "/var/lib/pantau/pantau.db",
	    NULL, NULL, 0, "SQLite database file; created when missing ([store] url overrides it)" },
	{ "catalog_dir", CFG_STRING, C(catalog_dir), S(catalog_dir), 0, 0, PANTAU_DATADIR,
	    NULL, NULL, 0, "folder with provinces.csv and regencies.csv (idn-area-data)" },
	{ "log_level", CFG_ENUM, C(log_level), 0, 0, 0, "info", log_levels, NULL, 0,
	    "how much to log" },
	{ "max_agents", CFG_INT, C(max_agents), 0, 1, 10000000, "50000", NULL, NULL, CFG_RELOAD,
	    "sites (agent ids) the collector takes at most; messages of a new agent beyond "
	    "it are rejected (too_many_agents), so bogus ids cannot grow its memory" },
};

static const struct cfg_key broker_extra_keys[] = {
	{ "client_id", CFG_STRING, C(client_id), S(client_id), 0, 0, "pantau-collector", NULL,
	    NULL, 0, "fixed MQTT client id of the collector's persistent session" },
	{ "split_status", CFG_BOOL, C(split_status), 0, 0, 0, "true", NULL, NULL, 0,
	    "status and reply messages on a second connection (client id client_id-status), "
	    "results alone on the first, so a flood on status topics does not hold results "
	    "back; false: one connection subscribed to pantau/v1/#" },
};

static const struct cfg_key api_keys[] = {
	{ "listen", CFG_STRING, C(api.listen), S(api.listen), 0, 0, "127.0.0.1", NULL,
	    listen_addr_check, 0, "address the HTTP API binds to (IPv4 or IPv6, no names); "
	    "0.0.0.0 exposes it to the network; with a port (127.0.0.1:8080, [::1]:8080) it "
	    "overrides port" },
	{ "port", CFG_INT, C(api.port), 0, 1, 65535, "8080", NULL, NULL, 0,
	    "HTTP API port" },
	{ "web_dir", CFG_STRING, C(api.web_dir), S(api.web_dir), 0, 0, PANTAU_DATADIR "/web",
	    NULL, NULL, 0, "folder of the web dashboard served at / and /ui/; empty: none" },
	{ "cache_ms", CFG_INT, C(api.cache_ms), 0, 0, 60000, "5000", NULL, NULL, 0,
	    "how long the national replies (/api/v1/regions, /api/v1/sites) are reused (ms); "
	    "0: built for every request" },
	{ "max_connections", CFG_INT, C(api.max_connections), 0, 1, 10000, "256", NULL, NULL, 0,
	    "HTTP connections served at once; more wait in the kernel's queue" },
	{ "per_client", CFG_INT, C(api.per_client), 0, 1, 10000, "32", NULL, NULL, 0,
	    "HTTP connections one client address may hold; beyond it a new one is closed at "
	    "once, so one slow or hostile client (slowloris) cannot take them all" },
	{ "auth", CFG_ENUM, C(api.auth), 0, 0, 0, "auto", auth_modes, NULL, 0,
	    "tokens (docs/api.md, Authentication): on: every request but /healthz and the "
	    "dashboard's files carries one; auto: on unless listen is loopback; off: none "
	    "(loopback only)" },
	{ "tls_cert", CFG_STRING, C(api.tls_cert), S(api.tls_cert), 0, 0, "", NULL, NULL, 0,
	    "PEM file of the API's certificate (chain): serve HTTPS; required when listen is "
	    "beyond loopback" },
	{ "tls_key", CFG_STRING, C(api.tls_key), S(api.tls_key), 0, 0, "", NULL, NULL, 0,
	    "PEM file of that certificate's private key" },
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
	snprintf(why, len, "the SQLite file's path is longer than %zu bytes", S(database) - 1);
	return false;
}

static const struct cfg_key store_keys[] = {
	{ "url", CFG_STRING, C(store.url), S(store.url), 0, 0, "", NULL, check_store_url, 0,
	    "the store: sqlite:///path/to/pantau.db; empty: the SQLite file [collector] "
	    "database (a synonym of sqlite://)" },
	{ "commit_ms", CFG_INT, C(store.commit_ms), 0, 1, 10000, "1000", NULL, NULL, 0,
	    "longest a received batch waits before its transaction commits (ms)" },
	{ "commit_rows", CFG_INT, C(store.commit_rows), 0, 1, 1000000, "50000", NULL, NULL, 0,
	    "commit as soon as this many rows are pending" },
	{ "synchronous", CFG_ENUM, C(store.synchronous), 0, 0, 0, "normal", sync_modes, NULL, 0,
	    "normal: safe against crashes; full: also against power loss, slower" },
	{ "retain_days", CFG_INT, C(store.retain_days), 0, 0, 36500, "30", NULL,
	    check_retain_days, 0,
	    "days of batches, results and events kept, counted from the collector's receive "
	    "time; older ones are deleted in small steps every hour (docs/storage.md); 0: keep "
	    "forever, else at least 8" },
};

static const struct cfg_key status_keys[] = {
	{ "window", CFG_INT, C(status.window_s), 0, 1, 86400, "300", NULL, NULL, 0,
	    "seconds of results a status window and the regional figures cover" },
	{ "offline_intervals", CFG_INT, C(status.offline_intervals), 0, 1, 100, "3", NULL, NULL,
	    0, "a site that sent nothing for this many intervals is OFFLINE" },
	{ "default_interval", CFG_INT, C(status.default_interval_s), 0, 1, 86400, "60", NULL,
	    NULL, 0, "interval assumed for a site whose birth message gave none (s)" },
	{ "enter_windows", CFG_INT, C(status.enter_windows), 0, 1, 100, "2", NULL, NULL, CFG_RELOAD,
	    "a site turns worse after this many worse windows in a row" },
	{ "leave_windows", CFG_INT, C(status.leave_windows), 0, 1, 100, "3", NULL, NULL, CFG_RELOAD,
	    "a site turns better after this many better windows in a row" },
	{ "at_risk_pct", CFG_DOUBLE, C(status.at_risk_pct), 0, 1, 100, "25", NULL, NULL, CFG_RELOAD,
	    "a regency is AT RISK when this % of its sites are CRITICAL or OFFLINE" },
	{ "baseline_factor", CFG_DOUBLE, C(status.baseline_factor), 0, 0, 100, "2", NULL, NULL, CFG_RELOAD,
	    "DEGRADED \"above its usual\" past this many times its own baseline; 0 turns it off" },
	{ "baseline_rtt_floor_ms", CFG_DOUBLE, C(status.baseline_rtt_floor_ms), 0, 0, 10000, "30",
	    NULL, NULL, CFG_RELOAD, "...and at least this many ms above its usual RTT p95" },
	{ "baseline_loss_floor_pct", CFG_DOUBLE, C(status.baseline_loss_floor_pct), 0, 0, 100, "1",
	    NULL, NULL, CFG_RELOAD, "...or this many points above its usual loss" },
	{ "baseline_hours", CFG_INT, C(status.baseline_hours), 0, 1, 8760, "72", NULL, NULL, CFG_RELOAD,
	    "time constant of a site's baseline averages (h)" },
	{ "baseline_min_hours", CFG_INT, C(status.baseline_min_hours), 0, 0, 8760, "24", NULL,
	    NULL, CFG_RELOAD, "history a site needs before its baseline judges it (h)" },
	{ "tick_ms", CFG_INT, C(status.tick_ms), 0, 100, 60000, "1000", NULL, NULL, 0,
	    "how often liveness and the regional roll-ups are evaluated (ms)" },
	{ "profiles", CFG_STRING, C(status.profiles), S(status.profiles), 0, 0, "", NULL, NULL, CFG_RELOAD,
	    "INI file of threshold overrides per link type and per site; empty: none" },
	{ "regency_flags", CFG_STRING, C(status.regency_flags), S(status.regency_flags), 0, 0, "",
	    NULL, NULL, CFG_RELOAD,
	    "CSV of 3T flags over the shipped ones (docs/regions.md); empty: none" },
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
	{ "start", CFG_STRING, C(counting.start), S(counting.start), 0, 0, "", NULL,
	    check_local_time, CFG_RELOAD,
	    "start of the vote-counting window in each zone's local time; '2029-02-14 13:00'" },
	{ "end", CFG_STRING, C(counting.end), S(counting.end), 0, 0, "", NULL, check_local_time,
	    CFG_RELOAD, "its end, local time; '2029-02-16 23:59'" },
};

static const struct cfg_key alerts_keys[] = {
	{ "dashboard_url", CFG_STRING, C(alerts.dashboard_url), S(alerts.dashboard_url), 0, 0, "",
	    NULL, sink_check_url, CFG_RELOAD,
	    "base of the links in alerts (Alertmanager's generatorURL)" },
	{ "resolve_hold", CFG_INT, C(alerts.resolve_hold_s), 0, 0, 86400, "0", NULL, NULL,
	    CFG_RELOAD, "seconds a condition must stay gone before its alert resolves" },
	{ "timeout_ms", CFG_INT, C(alerts.timeout_ms), 0, 100, 60000, "5000", NULL, NULL,
	    CFG_RELOAD, "longest one delivery may take" },
	{ "retry_max", CFG_INT, C(alerts.retry_max_s), 0, 1, 3600, "300", NULL, NULL, CFG_RELOAD,
	    "longest wait between retries of a failing receiver (s); the wait doubles from 1 s" },
};

/* docs/incidents.md */
static const struct cfg_key incidents_keys[] = {
	{ "min_sites", CFG_INT, C(incidents.min_sites), 0, 2, 100000, "2", NULL, NULL, CFG_RELOAD,
	    "bad sites behind one hop that make an incident" },
	{ "min_confidence", CFG_DOUBLE, C(incidents.min_confidence), 0, 0, 1, "0.5", NULL, NULL,
	    CFG_RELOAD, "least share of bad sites among the bad and OK sites behind the hop" },
	{ "prefix_len", CFG_INT, C(incidents.prefix_len), 0, 0, 32, "24", NULL, NULL, CFG_RELOAD,
	    "IPv4 hops also grouped by prefixes of this length; 0: by address only" },
	{ "hold", CFG_INT, C(incidents.hold_s), 0, 0, 3600, "90", NULL, NULL, CFG_RELOAD,
	    "seconds a bad site with a known path holds its own alert back for an incident" },
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
	{ "rate", CFG_DOUBLE, C(replay.rate), 0, 0.1, 10000, "50", NULL, NULL, CFG_RELOAD,
	    "replay commands per second, over all agents: 15,000 agents with a gap each are "
	    "asked within 5 minutes" },
	{ "backoff", CFG_INT, C(replay.backoff_s), 0, 1, 86400, "60", NULL, NULL, CFG_RELOAD,
	    "seconds a gap waits after its first ask before it is asked again; doubles per ask" },
	{ "backoff_max", CFG_INT, C(replay.backoff_max_s), 0, 1, 86400, "900", NULL, NULL,
	    CFG_RELOAD, "longest wait between two asks of a gap (s)" },
	{ "max_asks", CFG_INT, C(replay.max_asks), 0, 1, 100, "5", NULL, NULL, CFG_RELOAD,
	    "asks of a gap before its seqs are recorded lost and no longer asked for" },
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* [store] url names the SQLite file too: [collector] database then follows it. */
static void
store_url_resolve(struct collector_config *c)
{
	struct store_url u;
	char why[256];
	if (c->store.url[0] != '\0' && store_url_parse(c->store.url, &u, why, sizeof(why)) &&
	    strlen(u.target) < sizeof(c->database))
		memcpy(c->database, u.target, strlen(u.target) + 1);
}

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
	static const char *const known[] = { "collector", "broker", "api", "store", "status",
		"counting", "alerts", "replay", NULL };
	struct cfg_file *f = NULL;
	pantau_err rc;
	memset(c, 0, sizeof(*c));
	rc = cfg_file_open(path, "configuration", &f, errs);
	if (rc != PANTAU_OK)
		return rc;
	apply_all(f, c);
	check_counting(f, c);
	check_sinks(f, c);
	check_retention(f, c);
	check_api(f, c);
	cfg_check_not_above(f, "api", "per_client", c->api.per_client, "max_connections",
	    c->api.max_connections);
	return cfg_file_close(f, known, NULL, errs);
}

size_t
collector_config_reload(struct collector_config *running, const struct collector_config *next)
{
	static const struct {
		const char *section;
		const struct cfg_key *keys;
		size_t n;
	} tables[] = {
		{ "collector", collector_keys, N(collector_keys) },
		{ "broker", broker_extra_keys, N(broker_extra_keys) },
		{ "api", api_keys, N(api_keys) },
		{ "store", store_keys, N(store_keys) },
		{ "status", status_keys, N(status_keys) },
		{ "counting", counting_keys, N(counting_keys) },
		{ "alerts", alerts_keys, N(alerts_keys) },
		{ "incidents", incidents_keys, N(incidents_keys) },
		{ "replay", replay_keys, N(replay_keys) },
	};
	void *who = (void *)"collector";
	size_t changed = cfg_reload("broker", brokercfg_keys, brokercfg_nkeys, &running->broker,
	    &next->broker, cfg_reload_log_restart, who);
	for (size_t i = 0; i < N(tables); i++)
		changed += cfg_reload(tables[i].section, tables[i].keys, tables[i].n, running, next,
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
	enrolcfg_reference(to);
	fputs("\nThe status profile file (`[status] profiles`, docs/status.md) has sections\n"
	      "`[link.TYPE]` and `[site.AGENT]`; every key is optional and overrides the\n"
	      "defaults of the site's link type:\n\n", to);
	profiles_reference(to);
}
