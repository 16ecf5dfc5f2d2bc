/* pantau-reflector's configuration file (docs/configuration.md). */
#ifndef PANTAU_REFLECTOR_CONFIG_H
#define PANTAU_REFLECTOR_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "cfg.h"

struct reflector_config {
	int log_level;              /* enum log_level */
	struct {
		char listen[64];        /* numeric address; "" disables */
		int port;
		double rate_pps;        /* packets per second per source */
		int burst;
		int sources;            /* rate-limit table size */
	} stamp;
	struct {
		char listen[64];
		int port;               /* 0 disables */
		int64_t max_bytes;      /* per request, download or upload */
		int per_client;         /* concurrent connections per client address */
		int max_connections;
		int timeout_s;          /* idle connection timeout */
	} http;
};

/* Load path (NULL: defaults only); errors name file, line and key and go
 * to errs; PANTAU_ERR_CONFIG or PANTAU_ERR_IO. */
pantau_err reflector_config_load(const char *path, struct reflector_config *c, FILE *errs);

/* A reload (SIGHUP): take next's keys marked CFG_RELOAD (the STAMP rate
 * limit, max_bytes) into running; log each other key that changed as
 * taking a restart. Returns how many reloadable keys changed. */
size_t reflector_config_reload(struct reflector_config *running,
    const struct reflector_config *next);

/* Print the reference of every section (Markdown). */
void reflector_config_reference(FILE *to);

#endif
