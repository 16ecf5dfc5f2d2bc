/*
 * Incidents (docs/incidents.md): bad sites grouped behind a shared hop
 * (collector/incidents/pathgroup.h), with a start, an end, their hop, their
 * sites and a confidence. Pure: the caller gives the time and the sites,
 * on every status tick.
 *
 * A group whose hop, or any of whose sites, an open incident has, carries
 * that incident on (its hop, sites and confidence follow the group); a new
 * group starts an incident; an open incident no group carries ends. The
 * incidents are kept in memory for keep_ms after their end, and the caller
 * saves the changed ones (collector/store/incidentdb.h).
 *
 * Holding (like Alertmanager's inhibition): a bad site's own alert is held
 * while an open incident has the site, and for hold_ms after the site went
 * bad when it has a known path (the path probe runs at once when a site's
 * status leaves OK: an incident may form). It is released when the
 * incident ends while the site stays bad.
 */
#ifndef PANTAU_INCIDENTS_H
#define PANTAU_INCIDENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pathgroup.h"

#define INCIDENT_MESSAGE_MAX 320

struct incident {
	int64_t id;                  /* 1, 2, ...: never reused */
	char hop[PG_HOP_MAX];
	bool prefix;
	int ttl;
	int64_t start_ms;
	int64_t end_ms;              /* -1 while open */
	char (*sites)[WIRE_AGENT_MAX + 1]; /* its bad sites, sorted */
	size_t nsites;
	size_t nbad_behind, nok;
	double confidence;
	bool localised;
	char message[INCIDENT_MESSAGE_MAX];
	bool dirty;                  /* to be saved */
};

struct incidents_rules {
	struct pg_rules group;
	int64_t hold_ms;             /* 90 s */
	int64_t keep_ms;             /* ended ones kept in memory (24 h) */
};

struct incidents;

struct incidents *incidents_new(const struct incidents_rules *r);
void incidents_free(struct incidents *in);
void incidents_set_rules(struct incidents *in, const struct incidents_rules *r);

/* Group the sites at now and carry the incidents on. */
pantau_err incidents_update(struct incidents *in, const struct pg_site *sites, size_t n,
    int64_t now_ms);

/* The incidents (open and ended within keep_ms), by id; valid until the
 * next call that changes them. */
struct incident *incidents_list(struct incidents *in, size_t *n);
size_t incidents_open(const struct incidents *in);
/* Sites in open incidents. */
size_t incidents_sites_open(const struct incidents *in);

/* The open incident that has agent, NULL when none. */
const struct incident *incidents_of_site(const struct incidents *in, const char *agent);

/* Is the own alert of agent, bad since since_ms, held at now? has_path:
 * it has a known path. */
bool incidents_holds(const struct incidents *in, const char *agent, bool has_path,
    int64_t since_ms, int64_t now_ms);

/* One incident as saved or shown; from_json fills *out (its sites
 * malloc'd: incident_clear) from what incident_json wrote. */
json_t *incident_json(const struct incident *x);
bool incident_from_json(const json_t *o, struct incident *out);
void incident_clear(struct incident *x);
/* Add an incident as saved before a restart (taking its sites); ids go
 * on after next_id at least (the store's highest + 1). */
pantau_err incidents_restore(struct incidents *in, struct incident *saved);
void incidents_next_id(struct incidents *in, int64_t next_id);

/* The incident's words ("likely fault at hop ... (or beyond): ..."). */
void incident_say(struct incident *x);

#endif
