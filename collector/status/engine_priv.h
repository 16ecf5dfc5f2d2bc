/* The status engine's private parts: its structs and its site table
 * (engine.c, sitetable.c). Only the engine's own files include this. */
#ifndef PANTAU_ENGINE_PRIV_H
#define PANTAU_ENGINE_PRIV_H

#include "engine.h"
#include "window.h"

#define REASON_MAX ROLLUP_REASON_MAX

/* One site. */
struct esite {
	char agent[WIRE_AGENT_MAX + 1];
	int regency;                     /* index into the catalog's regencies */
	char link[16];
	int64_t interval_s;              /* -1 unknown */
	int64_t last_result_ms;          /* receive time of the latest batch, -1 none */
	int64_t boot, seq;               /* newest (boot, seq): a live batch comes after it;
	                                  * boot -1 none */
	bool skew_known;                 /* the agent's clock minus the collector's, */
	int64_t clock_skew_ms;           /* of its newest live batch */
	int64_t status_ms;               /* latest birth / will, -1 none */
	int online;                      /* 1, 0, -1 */
	char offline_reason[16];
	int64_t grace_from_ms;           /* silence counts from here at the earliest */
	enum site_status shown;
	int64_t since_ms;
	char reason[REASON_MAX];
	struct hyst hyst;
	struct thresholds th;
	struct window win;
	struct baseline base;
	int64_t base_first_ms, base_last_ms;
};

struct ereg {
	struct regency_rollup r;
	int64_t since_ms;
	bool known;                      /* a roll-up was made or loaded */
};

struct engine {
	struct engine_opts o;
	const struct catalog *cat;
	const struct profiles *prof;
	struct statusdb *db;
	int64_t listening_ms;
	struct esite **sites;            /* by insertion */
	size_t nsites, capsites;
	size_t *slots;                   /* hash: index + 1 into sites, 0 empty */
	size_t nslots;
	struct ereg *regs;               /* per catalog regency */
	struct area_rollup *provinces;   /* per catalog province */
	struct area_rollup nation;
	engine_event_fn fn;
	void *fn_ctx;
	engine_owns_fn owns;             /* NULL: every site is this engine's */
	void *owns_ctx;
};

/* The site of an agent, or NULL. */
struct esite *sitetable_find(const struct engine *e, const char *agent);
/* The site, created on first sight (NULL when the regency is unknown or
 * memory ran out); it moves when its regency changed. */
struct esite *sitetable_site_for(struct engine *e, const char *agent, const char *regency);
/* The catalog index of a regency code, or -1. */
int sitetable_regency_index(const struct engine *e, const char *code);
/* Applies the profiles' link and thresholds to a site. */
void sitetable_thresholds(struct engine *e, struct esite *s);

#endif
