/*
 * throughput, the spec part: download and upload rate against a
 * pantau-reflector's HTTP endpoint (docs/probes.md), its keys, checks and
 * longest duration. The exec part, with libcurl's multi interface, is
 * throughput.c and runs in pantau-probe-worker; the daily data budget stays
 * with the agent (probeworker.c).
 */
#include <stdio.h>
#include <string.h>

#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"
#include "agent/probes/tput_rate.h"

static const char *const tput_dirs[] = { "both", "download", "upload", NULL };

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct tput_params, f)
static const struct cfg_key tput_keys[] = {
	CFG_KEY_ENUM("direction", O(direction), "both", tput_dirs, "both, download or upload"),
	CFG_KEY_INT("connections", O(connections), 1, TPUT_MAX_CONNS, "4",
	    "parallel TCP connections per direction"),
	CFG_KEY_INT("duration_s", O(duration_s), 2, 60, "10",
	    "seconds per direction, warm-up included"),
	CFG_KEY_I64("max_bytes", O(max_bytes), 1000000, 1e12, "268435456",
	    "largest request per connection; at most the reflector's [http] max_bytes"),
};
#undef O

static bool
tput_check(const struct probe_def *def, char *why, size_t len)
{
	if (strncmp(def->target, "http://", 7) == 0 || strncmp(def->target, "https://", 8) == 0)
		return true;
	snprintf(why, len, "\"%s\" is not the URL of a pantau-reflector's HTTP endpoint; "
	    "write e.g. http://reflector.example:8862", def->target);
	return false;
}

static int
tput_max_duration_ms(const struct probe_def *def)
{
	const struct tput_params *p = def->params;
	int dirs = p->direction == SEL_BOTH ? 2 : 1;
	return dirs * (p->duration_s * 1000 + TPUT_SAMPLE_MS) + 500;
}

const struct probe_spec probe_throughput_spec = {
	.kind = "throughput", PROBE_KEYS(tput_keys, struct tput_params),
	.default_timeout_ms = TPUT_DEFAULT_TIMEOUT_MS, .check = tput_check,
	.max_duration_ms = tput_max_duration_ms, .loads_link = true, .in_worker = true,
};
