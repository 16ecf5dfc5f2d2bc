#include "reflector_config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cfgreload.h"
#include "listenaddr.h"
#include "log.h"
#include "stamp.h"

#define C(field) offsetof(struct reflector_config, field)
#define S(field) sizeof(((struct reflector_config *)0)->field)
#define N(t) (sizeof(t) / sizeof((t)[0]))

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

/* Key tables of common/cfg.h: one row per key, alike by design (duplicates
 * lists stamp_keys and http_keys as a pair; they hold different keys). */
static const struct cfg_key reflector_keys[] = {
	{ "log_level", CFG_ENUM, C(log_level), 0, 0, 0, "info", log_levels, NULL, 0,
	    "how much to log" },
};

static const struct cfg_key stamp_keys[] = {
	{ "listen", CFG_STRING, C(stamp.listen), S(stamp.listen), 0, 0, "0.0.0.0", NULL,
	    listen_addr_check, 0, "address the STAMP reflector binds to (:: for IPv6 too); "
	    "with a port (0.0.0.0:862, [::]:862) it overrides port; empty disables it" },
	{ "port", CFG_INT, C(stamp.port), 0, 1, 65535, "862", NULL, NULL, 0,
	    "UDP port of the STAMP reflector (RFC 8762 default 862)" },
	{ "rate_pps", CFG_DOUBLE, C(stamp.rate_pps), 0, 0.1, 100000, "100", NULL, NULL, CFG_RELOAD,
	    "test packets per second answered per source address; more are dropped" },
	{ "burst", CFG_INT, C(stamp.burst), 0, 1, 100000, "100", NULL, NULL, CFG_RELOAD,
	    "packets a source may send back to back before rate_pps applies" },
	{ "sources", CFG_INT, C(stamp.sources), 0, 16, 10000000, "65536", NULL, NULL, CFG_RELOAD,
	    "source addresses tracked for the rate limit (memory: about 40 bytes each)" },
};

static const struct cfg_key http_keys[] = {
	{ "listen", CFG_STRING, C(http.listen), S(http.listen), 0, 0, "0.0.0.0", NULL,
	    listen_addr_check, 0, "address the throughput endpoint binds to (:: for IPv6); with "
	    "a port (0.0.0.0:8862, [::]:8862) it overrides port" },
	{ "port", CFG_INT, C(http.port), 0, 0, 65535, "8862", NULL, NULL, 0,
	    "TCP port of GET /download and POST /upload; 0 disables them" },
	{ "max_bytes", CFG_I64, C(http.max_bytes), 0, 1, 1e12, "268435456", NULL, NULL, CFG_RELOAD,
	    "largest download or upload of one request, bytes (larger: 413)" },
	{ "per_client", CFG_INT, C(http.per_client), 0, 1, 1000, "8", NULL, NULL, 0,
	    "concurrent connections of one client address; more are refused" },
	{ "max_connections", CFG_INT, C(http.max_connections), 0, 1, 10000, "64", NULL, NULL,
	    0, "concurrent connections in all" },
	{ "timeout_s", CFG_INT, C(http.timeout_s), 0, 1, 3600, "30", NULL, NULL, 0,
	    "an idle connection is closed after this many seconds" },
};

pantau_err
reflector_config_load(const char *path, struct reflector_config *c, FILE *errs)
{
	static const char *const known[] = { "reflector", "stamp", "http", NULL };
	struct cfg_file *f = NULL;
	memset(c, 0, sizeof(*c));
	pantau_err rc = cfg_file_open(path, "configuration", &f, errs);
	if (rc != PANTAU_OK)
		return rc;
	cfg_apply(f, "reflector", reflector_keys, N(reflector_keys), c);
	cfg_apply(f, "stamp", stamp_keys, N(stamp_keys), c);
	cfg_apply(f, "http", http_keys, N(http_keys), c);
	cfg_check_not_above(f, "http", "per_client", c->http.per_client, "max_connections",
	    c->http.max_connections);
	return cfg_file_close(f, known, NULL, errs);
}

size_t
reflector_config_reload(struct reflector_config *running, const struct reflector_config *next)
{
	void *who = (void *)"reflector";
	return cfg_reload("reflector", reflector_keys, N(reflector_keys), running, next,
	           cfg_reload_log_restart, who) +
	    cfg_reload("stamp", stamp_keys, N(stamp_keys), running, next, cfg_reload_log_restart,
	        who) +
	    cfg_reload("http", http_keys, N(http_keys), running, next, cfg_reload_log_restart, who);
}

void
reflector_config_reference(FILE *to)
{
	cfg_print_reference("[reflector] key", reflector_keys, N(reflector_keys), to);
	fputc('\n', to);
	cfg_print_reference("[stamp] key", stamp_keys, N(stamp_keys), to);
	fputc('\n', to);
	cfg_print_reference("[http] key", http_keys, N(http_keys), to);
}
