/* The collector's configuration file (docs/configuration.md). */
#ifndef PANTAU_COLLECTOR_CONFIG_H
#define PANTAU_COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "brokercfg.h"
#include "cfg.h"
#include "collector/alerts/sinks.h"
#include "collector/enrol/enrolcfg.h"
#include "collector/store/store_url.h"

/* Shortest [store] retain_days other than 0 (keep forever). */
#define RETAIN_DAYS_MIN 8

struct collector_config {
	char database[512];
	char catalog_dir[512];
	int log_level;            /* enum log_level */
	int max_agents;           /* sites the collector takes at most */
	struct broker_cfg broker;
	char client_id[128];
	bool split_status;        /* status and replies on a connection of their own */
	struct {
		char listen[64];
		int port;
		char web_dir[512];
		int cache_ms;
		int max_connections;
		int per_client;
		int auth;             /* enum api_auth: 0 auto, 1 on, 2 off */
		char tls_cert[512];
		char tls_key[512];
	} api;
	struct {
		char url[STORE_URL_MAX];   /* empty: sqlite:// + database */
		int commit_ms;
		int commit_rows;
		int synchronous;      /* 0 normal, 1 full */
		int retain_days;      /* 0: keep forever */
		int pipeline;         /* PostgreSQL: batches per round trip, 0: per statement */
	} store;
	struct {
		int interval_s;       /* seconds between gap scans */
		int after_s;          /* a gap is asked for once this old */
		int window_s;         /* boots silent longer are not asked */
		double rate;          /* commands per second */
		int backoff_s;        /* wait after the first ask; doubles per ask */
		int backoff_max_s;
		int max_asks;         /* then recorded lost */
	} replay;
	struct {
		int window_s;
		int offline_intervals;
		int default_interval_s;
		int enter_windows;
		int leave_windows;
		double at_risk_pct;
		double baseline_factor;
		double baseline_rtt_floor_ms;
		double baseline_loss_floor_pct;
		int baseline_hours;
		int baseline_min_hours;
		int tick_ms;
		char profiles[512];
		char regency_flags[512];
	} status;
	struct {
		char start[32];
		char end[32];
	} counting;
	struct {
		char dashboard_url[256];
		int resolve_hold_s;
		int timeout_ms;
		int retry_max_s;
		/* each sink's own keys (collector/alerts/sink.h), in the order
		 * of sinks_table */
		struct sink_conf sink[SINKS_MAX];
	} alerts;
	struct {
		int min_sites;
		double min_confidence;
		int prefix_len;
		int hold_s;
	} incidents;
	struct {
		int partitions;       /* 0: one collector, no partitions */
		int check_ms;         /* the locks checked, the partitions evened out */
		int refresh_ms;       /* other owners' sites read from the database */
	} cluster;
	struct enrol_cfg enrol;
};

/*
 * Load path (NULL: defaults only). On error the messages (file, line, key)
 * are printed to errs and PANTAU_ERR_CONFIG returned; PANTAU_ERR_IO when
 * the file cannot be read.
 */
pantau_err collector_config_load(const char *path, struct collector_config *c, FILE *errs);

/* A reload (SIGHUP): take next's keys marked CFG_RELOAD into running, and
 * log each other key that changed as taking a restart (its running value
 * stays). Returns how many reloadable keys changed. */
size_t collector_config_reload(struct collector_config *running,
    const struct collector_config *next);

/* Print the reference of every section (Markdown). */
void collector_config_reference(FILE *to);

#endif
