/*
 * upload_task, the spec part: upload a body the size of a photographed
 * tally form to a configured URL, as polling-station officers do
 * (docs/probes.md); its keys, checks and longest duration. The exec part,
 * the upload with libcurl, is upload_task.c and runs in pantau-probe-worker;
 * the daily data budget stays with the agent (probeworker.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"

static const char *const up_methods[] = { "POST", "PUT", NULL };

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct up_params, f)
static const struct cfg_key up_keys[] = {
	CFG_KEY_I64("size", O(size), 1, 100000000, "2000000",
	    "bytes uploaded per run (a phone photo of a tally form: about 2 MB)"),
	CFG_KEY_ENUM("method", O(method), "POST", up_methods, "POST or PUT"),
	CFG_KEY_STR("content_type", O(content_type), sizeof(((struct up_params *)0)->content_type),
	    "image/jpeg",
	    "Content-Type of the body"),
	CFG_KEY_BOOL("insecure", O(insecure), "false",
	    "true skips TLS certificate checks (only for test endpoints)"),
};
#undef O

static bool
up_check(const struct probe_def *def, char *why, size_t len)
{
	const char *t = def->target;
	const char *rest = strstr(t, "://");
	if ((strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) &&
	    rest[3] != '\0' && rest[3] != '/')
		return true;
	snprintf(why, len, "\"%s\" is not an http:// or https:// URL with a host, e.g. "
	    "https://tally.example/upload", t);
	return false;
}

static int
up_max_duration_ms(const struct probe_def *def)
{
	return def->timeout_ms > 0 ? def->timeout_ms : UP_DEFAULT_TIMEOUT_MS;
}

const struct probe_spec probe_upload_task_spec = {
	.kind = "upload_task", PROBE_KEYS(up_keys, struct up_params),
	.default_timeout_ms = UP_DEFAULT_TIMEOUT_MS, .check = up_check,
	.max_duration_ms = up_max_duration_ms, .loads_link = true, .in_worker = true,
};
