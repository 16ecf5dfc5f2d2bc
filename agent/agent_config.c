#include "agent_config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/budget.h"
#include "agent/probes/kinds.h"
#include "cfgreload.h"
#include "log.h"
#include "agent/probes/probeworker.h"

#define A(field) offsetof(struct agent_config, field)
#define S(field) sizeof(((struct agent_config *)0)->field)
#define P(field) offsetof(struct probe_def, field)
#define PS(field) sizeof(((struct probe_def *)0)->field)
#define N(t) (sizeof(t) / sizeof((t)[0]))

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

static bool
check_agent_id(const char *v, char *why, size_t len)
{
	if (wire_agent_id_valid(v))
		return true;
	snprintf(why, len, "is not a valid id: use 1-%d letters, digits, '-' or '_' "
	    "(e.g. ag-3273-0001)", WIRE_AGENT_MAX);
	return false;
}

static bool
check_region(const char *v, char *why, size_t len)
{
	if (wire_regency_code_valid(v))
		return true;
	snprintf(why, len, "is not a regency code: write it as PP.RR, e.g. 32.73 for "
	    "Kota Bandung");
	return false;
}

/* One row per key (common/cfg.h): key tables look alike by design. */
static const struct cfg_key agent_keys[] = {
	CFG_KEY_STR("id", A(id), S(id), NULL,
	    "this agent's id, given by your coordinator; e.g. id = ag-3273-0001",
	    .check = check_agent_id, .flags = CFG_REQUIRED),
	CFG_KEY_STR("region", A(region), S(region), NULL,
	    "regency/city code of the site; e.g. region = 32.73",
	    .check = check_region, .flags = CFG_REQUIRED),
	CFG_KEY_STR("site", A(site), S(site), NULL,
	    "site name as people know it; e.g. site = SDN 1 Cibeunying", .flags = CFG_REQUIRED),
	CFG_KEY_ENUM("link", A(link), NULL, wire_link_names,
	    "the site's uplink; e.g. link = vsat-geo", .flags = CFG_REQUIRED),
	CFG_KEY_DOUBLE("latitude", A(lat), -12, 7, NULL,
	    "site latitude in degrees (optional, with longitude)"),
	CFG_KEY_DOUBLE("longitude", A(lon), 94, 142, NULL,
	    "site longitude in degrees (optional, with latitude)"),
	CFG_KEY_INT("counting_interval", A(counting_interval_s), 0, 3600, "0",
	    "seconds between cycles while the collector says votes are being counted in this "
	    "site's time zone; 0 = half of interval (or what a cycle needs, if longer)"),
	CFG_KEY_INT("interval", A(interval_s), 1, 3600, "60",
	    "seconds between measurement cycles; one result batch per cycle"),
	CFG_KEY_INT("splay", A(splay_s), 0, 3600, "30",
	    "first cycle starts after a random 0..splay seconds (spreads load)"),
	CFG_KEY_STR("state_dir", A(state_dir), S(state_dir), "/var/lib/pantau-agent",
	    "folder for the agent's state (boot counter, outbox)"),
	CFG_KEY_ENUM("log_level", A(log_level), "info", log_levels, "how much to log"),
	CFG_KEY_INT("data_budget_mb", A(data_budget_mb), -1, 1000000, "-1",
	    "MB per UTC day throughput tests may use; -1 = by link (fiber 2000, microwave "
	    "1000, cellular 500, vsat-leo 300, vsat-geo 100); 0 = none"),
	CFG_KEY_STR("user", A(user), S(user), "auto",
	    "started as root, the agent runs as this user once its ICMP sockets are open; "
	    "auto = pantau if it exists, else nobody; root = stay root"),
	CFG_KEY_STR("probe_worker", A(probe_worker), S(probe_worker), "",
	    "path of pantau-probe-worker, which measures http, throughput and upload_task "
	    "probes; empty = next to pantau-agent, else ../libexec/pantau/ from it"),
	CFG_KEY_INT("outbox_max_kb", A(outbox_max_kb), 8, 4194304, "65536",
	    "KiB of disk the outbox (state_dir/outbox) may use; when full, whole oldest "
	    "segments are deleted and counted in outbox.dropped"),
	CFG_KEY_INT("outbox_max_age", A(outbox_max_age_s), 60, 31536000, "604800",
	    "seconds an undelivered batch is kept at most (default 7 days)"),
	CFG_KEY_INT("outbox_retention", A(outbox_retention_s), 0, 2592000, "86400",
	    "seconds delivered batches are kept so the collector can ask for them again"),
	CFG_KEY_INT("backfill_rate", A(backfill_rate), 256, 1000000000, "16384",
	    "bytes per second, at most, of backlog sent after an outage (live results go first)"),
};

/* Targets travel in every result: valid UTF-8 without control characters. */
static bool
check_target(const char *v, char *why, size_t len)
{
	json_t *j = json_string(v);
	bool ok = j != NULL;
	json_decref(j);
	for (const char *p = v; ok && *p != '\0'; p++)
		ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
	if (!ok)
		snprintf(why, len, "must be UTF-8 text without control characters");
	return ok;
}

static const struct cfg_key probe_common_keys[] = {
	CFG_KEY_STR("target", P(target), PS(target), NULL,
	    "what to measure: host (icmp, path), host:port (tcp, stamp), URL (http, throughput, "
	    "upload_task), name to look up (dns)", .check = check_target, .flags = CFG_REQUIRED),
	CFG_KEY_INT("interval", P(interval_s), 0, 86400, "0",
	    "seconds between runs, rounded to whole cycles; 0 = every cycle; unset: the kind's "
	    "own default, 0 but for a few (docs/probes.md)"),
};

static bool
probe_name_valid(const char *name)
{
	return name[0] != '\0' && strlen(name) < sizeof(((struct probe_def *)0)->name) &&
	    wire_agent_id_valid(name);
}

/* Mark a section consumed after reporting it once as a whole. */
static void
mark_section_used(struct cfg_file *f, const char *section)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->entries[i].section, section) == 0)
			f->entries[i].used = true;
}

static void
probe_timeout(struct cfg_file *f, const char *section, struct probe_def *p)
{
	const struct cfg_key key = CFG_KEY_INT("timeout_ms", P(timeout_ms), 10, 600000, NULL, "");
	char def[16];
	snprintf(def, sizeof(def), "%d", p->spec->default_timeout_ms);
	struct cfg_key k = key;
	k.def = def;
	cfg_apply(f, section, &k, 1, p);
}

/* Parse one [probe.NAME] section into the next probe slot. */
static void
load_probe(struct cfg_file *f, const char *section, struct agent_config *c)
{
	const char *name = section + strlen("probe.");
	const struct cfg_entry *type = cfg_find(f, section, "type");
	char why[256], kinds[128];
	probe_kind_list(kinds, sizeof(kinds));
	if (!probe_name_valid(name)) {
		cfg_error(f, "%s:%d: [%s]: probe names are 1-63 letters, digits, '-' or '_'",
		    f->path, cfg_section_line(f, section), section);
		mark_section_used(f, section);
		return;
	}
	if (type == NULL) {
		cfg_error(f, "%s:%d: [%s] type: required key is missing; add e.g. 'type = icmp' "
		    "(%s)", f->path, cfg_section_line(f, section), section, kinds);
		mark_section_used(f, section);
		return;
	}
	((struct cfg_entry *)type)->used = true;
	struct probe_def *p = &c->probes[c->nprobes];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	const struct probe_kind *kind = probe_kind_find(type->value);
	if (kind == NULL) {
		cfg_error(f, "%s:%d: [%s] type: \"%s\" is not a probe kind; use %s",
		    f->path, type->line, section, type->value, kinds);
		mark_section_used(f, section);
		return;
	}
	p->spec = kind->spec;
	p->exec = kind->exec;
	p->params = calloc(1, p->spec->params_size > 0 ? p->spec->params_size : 1);
	if (p->params == NULL) {
		cfg_error(f, "%s: out of memory", f->path);
		return;
	}
	c->nprobes++;
	cfg_apply(f, section, probe_common_keys, N(probe_common_keys), p);
	if (cfg_find(f, section, "interval") == NULL)
		p->interval_s = p->spec->default_interval_s;
	probe_timeout(f, section, p);
	cfg_apply(f, section, p->spec->keys, p->spec->nkeys, p->params);
	why[0] = '\0';
	const struct cfg_entry *t = cfg_find(f, section, "target");
	if (t != NULL && p->spec->check != NULL && !p->spec->check(p, why, sizeof(why)))
		cfg_error(f, "%s:%d: [%s] target: %s", f->path, t->line, section, why);
}

static void
load_probes(struct cfg_file *f, struct agent_config *c)
{
	const char *names[AGENT_MAX_PROBES + 1];
	size_t n = cfg_sections(f, "probe.", names, N(names));
	if (n > AGENT_MAX_PROBES) {
		cfg_error(f, "%s: more than %d [probe.*] sections; remove some", f->path,
		    AGENT_MAX_PROBES);
		n = AGENT_MAX_PROBES;
	}
	for (size_t i = 0; i < n; i++)
		load_probe(f, names[i], c);
	if (n == 0)
		cfg_error(f, "%s: no [probe.NAME] section: add at least one, e.g.\n"
		    "    [probe.gateway]\n    type = icmp\n    target = 203.0.113.1", f->path);
}

static int
probe_line(const struct cfg_file *f, const struct probe_def *p)
{
	char section[96];
	snprintf(section, sizeof(section), "probe.%s", p->name);
	return cfg_section_line(f, section);
}

/* The counting interval: the one set (it must hold a whole cycle and not be
 * longer than interval), or half of interval but never less than a cycle
 * needs. */
static void
set_counting_interval(struct cfg_file *f, struct agent_config *c, int need_ms)
{
	int need_s = (need_ms + 999) / 1000;
	const struct cfg_entry *e = cfg_find(f, "agent", "counting_interval");
	if (c->counting_interval_s == 0) {
		int half = (c->interval_s + 1) / 2;
		c->counting_interval_s = half > need_s ? half : need_s;
		if (c->counting_interval_s > c->interval_s)
			c->counting_interval_s = c->interval_s;
	} else if (c->counting_interval_s > c->interval_s) {
		cfg_error(f, "%s:%d: [agent] counting_interval: %d s is longer than interval (%d s); "
		    "counting should measure more often, not less", f->path, e != NULL ? e->line : 0,
		    c->counting_interval_s, c->interval_s);
	} else if (c->counting_interval_s < need_s) {
		cfg_error(f, "%s:%d: [agent] counting_interval: a cycle takes up to %d s, longer "
		    "than %d s; raise it or lower the probes' timeouts", f->path,
		    e != NULL ? e->line : 0, need_s, c->counting_interval_s);
	}
}

/* A cycle where every probe runs: the others side by side, then the
 * link-loading ones one after another. */
static void
check_cycle_fits(struct cfg_file *f, struct agent_config *c)
{
	int others = 0, loading = 0, nloading = 0;
	for (size_t i = 0; i < c->nprobes; i++) {
		const struct probe_def *p = &c->probes[i];
		int ms = p->spec->max_duration_ms != NULL ? p->spec->max_duration_ms(p) : 0;
		if (p->spec->loads_link) {
			loading += ms;
			nloading++;
		} else if (ms > others) {
			others = ms;
		}
	}
	if (nloading > 0 && others + loading > c->interval_s * 1000)
		cfg_error(f, "%s: [agent] interval: a cycle in which every probe runs takes up to "
		    "%.1f s (%.1f s for the others, then %.1f s for the %d throughput/upload_task "
		    "probe(s), one after another), longer than the %d s interval; raise interval "
		    "or lower their duration_s or timeout_ms", f->path,
		    (others + loading) / 1000.0, others / 1000.0, loading / 1000.0, nloading,
		    c->interval_s);
	set_counting_interval(f, c, others + loading);
}

/* Rules that span keys: coordinates together, probes fit in the cycle. */
static void
check_cross(struct cfg_file *f, struct agent_config *c)
{
	if (isnan(c->lat) != isnan(c->lon))
		cfg_error(f, "%s: [agent] latitude and longitude go together; set both or neither",
		    f->path);
	if (c->splay_s > c->interval_s)
		cfg_error(f, "%s: [agent] splay (%d s) is longer than interval (%d s); lower it",
		    f->path, c->splay_s, c->interval_s);
	for (size_t i = 0; i < c->nprobes; i++) {
		const struct probe_def *p = &c->probes[i];
		if (p->spec->max_duration_ms == NULL)
			continue;
		int ms = p->spec->max_duration_ms(p);
		if (ms > c->interval_s * 1000)
			cfg_error(f, "%s:%d: [probe.%s]: takes up to %.1f s, longer than the %d s "
			    "interval; lower its count, spacing or timeout, or raise [agent] interval",
			    f->path, probe_line(f, p), p->name, ms / 1000.0, c->interval_s);
	}
	check_cycle_fits(f, c);
}

/* Keys of earlier releases: accepted with a note, so an upgrade does not
 * stop an agent whose file still has them. */
static void
note_retired(struct cfg_file *f, FILE *errs)
{
	const struct cfg_entry *e = cfg_find(f, "agent", "outbox_batches");
	if (e == NULL)
		return;
	((struct cfg_entry *)e)->used = true;
	fprintf(errs, "%s:%d: [agent] outbox_batches: no longer used (the outbox is on disk, "
	    "bounded by outbox_max_kb and outbox_max_age); remove the line\n", f->path, e->line);
}

pantau_err
agent_config_load(const char *path, struct agent_config *c, FILE *errs)
{
	static const char *const known[] = { "agent", "broker", "enrol", "probe.", NULL };
	struct cfg_file *f = NULL;
	memset(c, 0, sizeof(*c));
	c->lat = c->lon = NAN;
	pantau_err rc = cfg_file_open(path, "configuration", &f, errs);
	if (rc != PANTAU_OK)
		return rc;
	cfg_apply(f, "agent", agent_keys, N(agent_keys), c);
	brokercfg_apply(f, &c->broker);
	enrolkeys_apply(f, &c->enrol);
	if (c->broker.username[0] == '\0')
		snprintf(c->broker.username, sizeof(c->broker.username), "%s", c->id);
	load_probes(f, c);
	check_cross(f, c);
	note_retired(f, errs);
	return cfg_file_close(f, known, "pantau-agent check", errs);
}

void
agent_config_clear(struct agent_config *c)
{
	for (size_t i = 0; i < c->nprobes; i++) {
		free(c->probes[i].params);
		c->probes[i].params = NULL;
	}
	c->nprobes = 0;
}

int
agent_config_probe_every(const struct agent_config *c, const struct probe_def *p)
{
	if (p->interval_s <= c->interval_s)
		return 1;
	return (p->interval_s + c->interval_s / 2) / c->interval_s;
}

static void
count_restart(void *ctx, const char *section, const struct cfg_key *k)
{
	size_t *n = ctx;
	cfg_reload_log_restart((void *)"agent", section, k);
	(*n)++;
}

size_t
agent_config_restart_changes(const struct agent_config *running,
    const struct agent_config *next)
{
	/* copies of running: cfg_reload copies nothing here (no key is
	 * CFG_RELOAD), it only names what changed */
	struct agent_config keep = *running;
	size_t n = 0;
	(void)cfg_reload("agent", agent_keys, N(agent_keys), &keep, next, count_restart, &n);
	(void)cfg_reload("broker", brokercfg_keys, brokercfg_nkeys, &keep.broker, &next->broker,
	    count_restart, &n);
	return n;
}

void
agent_config_reference(FILE *to)
{
	cfg_print_reference("[agent] key", agent_keys, N(agent_keys), to);
	fputc('\n', to);
	cfg_print_reference("[broker] key", brokercfg_keys, brokercfg_nkeys, to);
	fputc('\n', to);
	enrolkeys_reference(to);
	fputc('\n', to);
	char kinds[128];
	probe_kind_list(kinds, sizeof(kinds));
	fprintf(to, "Every [probe.NAME] section has `type` (%s), `target`, "
	    "`interval` and `timeout_ms`, plus the keys of its kind:\n\n", kinds);
	cfg_print_reference("[probe.NAME] key", probe_common_keys, N(probe_common_keys), to);
	fprintf(to, "| `type` | one of");
	for (size_t i = 0; probe_kinds[i].spec != NULL; i++)
		fprintf(to, "%s %s", i ? "," : "", probe_kinds[i].spec->kind);
	fprintf(to, " | required | the probe kind |\n");
	fprintf(to, "| `timeout_ms` | a whole number from 10 to 600000 | by kind | "
	    "milliseconds before a measurement counts as failed |\n");
	for (size_t i = 0; probe_kinds[i].spec != NULL; i++) {
		const struct probe_spec *k = probe_kinds[i].spec;
		char title[64];
		fputc('\n', to);
		snprintf(title, sizeof(title), "`type = %s` key", k->kind);
		if (k->nkeys == 0)
			fprintf(to, "A `type = %s` probe has no keys of its own.\n", k->kind);
		else
			cfg_print_reference(title, k->keys, k->nkeys, to);
	}
}

int64_t
agent_config_budget_bytes(const struct agent_config *c)
{
	int mb = c->data_budget_mb >= 0 ? c->data_budget_mb :
	    budget_default_mb(wire_link_names[c->link]);
	return (int64_t)mb * 1000000;
}

pantau_err
agent_config_worker(const struct agent_config *c, char *path, size_t len, char *why,
    size_t wlen)
{
	path[0] = '\0';
	if (!probe_needs_worker(c->probes, c->nprobes))
		return PANTAU_OK;
	return probeworker_locate(c->probe_worker, path, len, why, wlen);
}
