#include "settings.h"

#include "collector/incidents/incwatch.h"

pantau_err
settings_engine(const struct collector_config *cfg, struct engine_opts *o, char *why,
    size_t len)
{
	*o = (struct engine_opts){
		.window_s = cfg->status.window_s,
		.offline_intervals = cfg->status.offline_intervals,
		.default_interval_s = cfg->status.default_interval_s,
		.hyst = { cfg->status.enter_windows, cfg->status.leave_windows },
		.baseline = { cfg->status.baseline_factor, cfg->status.baseline_rtt_floor_ms,
		    cfg->status.baseline_loss_floor_pct },
		.baseline_hours = cfg->status.baseline_hours,
		.baseline_min_hours = cfg->status.baseline_min_hours,
		.at_risk_share = cfg->status.at_risk_pct / 100.0,
	};
	return countwin_parse(cfg->counting.start, cfg->counting.end, &o->counting, why, len);
}

size_t
settings_sink_names(const char **names)
{
	size_t n = 0;
	for (; sinks_table[n] != NULL && n < SINKS_MAX; n++)
		names[n] = sinks_table[n]->name;
	return n;
}

void
settings_alerts(const struct collector_config *cfg, const char *const *names, size_t nnames,
    struct alerts_rules *r)
{
	*r = (struct alerts_rules){ .resolve_hold_ms = (int64_t)cfg->alerts.resolve_hold_s * 1000,
		.forget_ms = 3600 * 1000, .sinks = names, .nsinks = nnames };
}

void
settings_incidents(const struct collector_config *cfg, struct incidents_rules *r)
{
	incidents_rules_default(r);
	r->group.min_sites = cfg->incidents.min_sites;
	r->group.min_confidence = cfg->incidents.min_confidence;
	r->group.prefix_len = cfg->incidents.prefix_len;
	r->hold_ms = (int64_t)cfg->incidents.hold_s * 1000;
}

void
settings_notify(const struct collector_config *cfg, struct notify_opts *o)
{
	*o = (struct notify_opts){
		.sinks = cfg->alerts.sink,
		.dashboard_url = cfg->alerts.dashboard_url,
		.timeout_ms = cfg->alerts.timeout_ms,
		.retry_max_ms = (int64_t)cfg->alerts.retry_max_s * 1000,
	};
}

pantau_err
settings_files(const struct collector_config *cfg, const char *catalog_dir,
    struct catalog **cat, struct profiles **prof, FILE *errs)
{
	char why[512];
	*cat = NULL;
	*prof = NULL;
	pantau_err rc = catalog_load(catalog_dir, cat, why, sizeof(why));
	if (rc != PANTAU_OK) {
		fprintf(errs, "pantau-collector: region catalog: %s\n", why);
		return rc;
	}
	if (cfg->status.regency_flags[0] != '\0' &&
	    (rc = catalog_load_flags(*cat, cfg->status.regency_flags, why, sizeof(why))) !=
	        PANTAU_OK)
		fprintf(errs, "pantau-collector: [status] regency_flags: %s\n", why);
	else
		rc = profiles_load(cfg->status.profiles, prof, errs);
	if (rc != PANTAU_OK) {
		catalog_free(*cat);
		*cat = NULL;
	}
	return rc;
}

void
settings_replay(const struct collector_config *cfg, struct replay_opts *o)
{
	o->sched.rate = cfg->replay.rate;
	o->sched.backoff_ms = (int64_t)cfg->replay.backoff_s * 1000;
	o->sched.backoff_max_ms = (int64_t)cfg->replay.backoff_max_s * 1000;
	o->sched.max_asks = cfg->replay.max_asks;
	o->scan.min_age_ms = (int64_t)cfg->replay.after_s * 1000;
	o->scan.window_ms = (int64_t)cfg->replay.window_s * 1000;
	o->interval_ms = (int64_t)cfg->replay.interval_s * 1000;
}

void
settings_api(const struct collector_config *cfg, struct api_opts *o)
{
	*o = (struct api_opts){
		.listen = cfg->api.listen,
		.port = cfg->api.port,
		.web_dir = cfg->api.web_dir,
		.cache_ms = cfg->api.cache_ms,
		.max_connections = cfg->api.max_connections,
		.per_client = cfg->api.per_client,
		.auth = (enum api_auth)cfg->api.auth,
		.tls_cert = cfg->api.tls_cert,
		.tls_key = cfg->api.tls_key,
		.window_s = cfg->status.window_s,
		.rules = { .offline_intervals = cfg->status.offline_intervals,
		    .default_interval_s = cfg->status.default_interval_s },
		.enrol = &cfg->enrol,
	};
}
