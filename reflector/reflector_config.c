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
	CFG_KEY_ENUM("log_level", C(log_level), "info", log_levels, "how much to log"),
};

static const struct cfg_key stamp_keys[] = {
	CFG_KEY_STR("listen", C(stamp.listen), S(stamp.listen), "0.0.0.0",
	    "address the STAMP reflector binds to (:: for IPv6 too); "
	    "with a port (0.0.0.0:862, [::]:862) it overrides port; empty disables it",
	    .check = listen_addr_check),
	CFG_KEY_INT("port", C(stamp.port), 1, 65535, "862",
	    "UDP port of the STAMP reflector (RFC 8762 default 862)"),
	CFG_KEY_DOUBLE("rate_pps", C(stamp.rate_pps), 0.1, 100000, "100",
	    "test packets per second answered per source address; more are dropped",
	    .flags = CFG_RELOAD),
	CFG_KEY_INT("burst", C(stamp.burst), 1, 100000, "100",
	    "packets a source may send back to back before rate_pps applies", .flags = CFG_RELOAD),
	CFG_KEY_INT("sources", C(stamp.sources), 16, 10000000, "65536",
	    "source addresses tracked for the rate limit (memory: about 40 bytes each)",
	    .flags = CFG_RELOAD),
};

static const struct cfg_key http_keys[] = {
	CFG_KEY_STR("listen", C(http.listen), S(http.listen), "0.0.0.0",
	    "address the throughput endpoint binds to (:: for IPv6); with "
	    "a port (0.0.0.0:8862, [::]:8862) it overrides port", .check = listen_addr_check),
	CFG_KEY_INT("port", C(http.port), 0, 65535, "8862",
	    "TCP port of GET /download and POST /upload; 0 disables them"),
	CFG_KEY_I64("max_bytes", C(http.max_bytes), 1, 1e12, "268435456",
	    "largest download or upload of one request, bytes (larger: 413)", .flags = CFG_RELOAD),
	CFG_KEY_INT("per_client", C(http.per_client), 1, 1000, "8",
	    "concurrent connections of one client address; more are refused"),
	CFG_KEY_INT("max_connections", C(http.max_connections), 1, 10000, "64",
	    "concurrent connections in all"),
	CFG_KEY_INT("timeout_s", C(http.timeout_s), 1, 3600, "30",
	    "an idle connection is closed after this many seconds"),
};

/* The sections, in the order the file and the reference name them. */
static const struct cfg_section sections[] = {
	{ "reflector", reflector_keys, N(reflector_keys) },
	{ "stamp", stamp_keys, N(stamp_keys) },
	{ "http", http_keys, N(http_keys) },
};

pantau_err
reflector_config_load(const char *path, struct reflector_config *c, FILE *errs)
{
	const char *known[N(sections) + 1] = { NULL };
	struct cfg_file *f = NULL;
	memset(c, 0, sizeof(*c));
	pantau_err rc = cfg_file_open(path, "configuration", &f, errs);
	if (rc != PANTAU_OK)
		return rc;
	for (size_t i = 0; i < N(sections); i++) {
		cfg_apply(f, sections[i].name, sections[i].keys, sections[i].nkeys, c);
		known[i] = sections[i].name;
	}
	cfg_check_not_above(f, "http", "per_client", c->http.per_client, "max_connections",
	    c->http.max_connections);
	return cfg_file_close(f, known, NULL, errs);
}

size_t
reflector_config_reload(struct reflector_config *running, const struct reflector_config *next)
{
	size_t changes = 0;
	for (size_t i = 0; i < N(sections); i++)
		changes += cfg_reload(sections[i].name, sections[i].keys, sections[i].nkeys, running,
		    next, cfg_reload_log_restart, (void *)"reflector");
	return changes;
}

void
reflector_config_reference(FILE *to)
{
	for (size_t i = 0; i < N(sections); i++) {
		char title[32];
		snprintf(title, sizeof(title), "[%s] key", sections[i].name);
		if (i > 0)
			fputc('\n', to);
		cfg_print_reference(title, sections[i].keys, sections[i].nkeys, to);
	}
}
