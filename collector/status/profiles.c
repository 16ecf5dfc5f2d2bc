#include "profiles.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* Overrides of one section: NAN / -1 where the file says nothing. */
struct patch {
	char name[WIRE_AGENT_MAX + 1];   /* link type or agent id */
	double rtt_p95[2], loss[2], jitter[2], upload[2], retrans[2], dns_fail[2];
	int http[2];
	char link[16];
	double lat, lon;
};

struct profiles {
	struct patch *links;
	size_t nlinks;
	struct patch *sites;   /* sorted by name */
	size_t nsites;
};

#define P(field) offsetof(struct patch, field)

/* Each figure has a DEGRADED and a CRITICAL key: name_degraded_unit and
 * name_critical_unit into field[0] and field[1] (name ends in "_"). */
#define LEVEL(name, unit, type, field, lvl, min, max, what, word, dflt)                  \
	{ name #lvl unit, type, P(field), 0, min, max, NULL, NULL, NULL, 0,              \
	    what " " word " " dflt }
#define PAIR(name, unit, type, field, min, max, what, dflt_d, dflt_c)                     \
	LEVEL(name, unit, type, field[0], degraded, min, max, what, "DEGRADED", dflt_d),    \
	LEVEL(name, unit, type, field[1], critical, min, max, what, "CRITICAL", dflt_c)

static const struct cfg_key threshold_keys[] = {
	PAIR("rtt_p95_", "_ms", CFG_DOUBLE, rtt_p95, 0, 100000, "RTT p95 above this is",
	    "(terrestrial 150, vsat-geo 800)", "(terrestrial 400, vsat-geo 1500)"),
	PAIR("loss_", "_pct", CFG_DOUBLE, loss, 0, 100, "loss above this is", "(2)", "(10)"),
	PAIR("jitter_", "_ms", CFG_DOUBLE, jitter, 0, 100000,
	    "jitter (mean abs. IPDV) above this is", "(terrestrial 30, vsat-geo 60)",
	    "(terrestrial 60, vsat-geo 120)"),
	PAIR("upload_", "_mbps", CFG_DOUBLE, upload, 0, 100000, "upload throughput below this is",
	    "(1)", "(0.256)"),
	PAIR("http_", "_failures", CFG_INT, http, 1, 1000,
	    "this many http / upload_task failures in a row are", "(1)", "(3)"),
	PAIR("retrans_", "_pct", CFG_DOUBLE, retrans, 0, 100,
	    "retransmitted % of the site's own traffic (passive) above this is", "(5)", "(15)"),
	PAIR("dns_fail_", "_pct", CFG_DOUBLE, dns_fail, 0, 100,
	    "failed % of the site's own DNS lookups (passive) above this is", "(10)", "(25)"),
};

#undef PAIR
#undef LEVEL

static bool
check_link(const char *v, char *why, size_t len)
{
	if (wire_link_valid(v))
		return true;
	snprintf(why, len, "use fiber, microwave, cellular, vsat-geo or vsat-leo");
	return false;
}

static const struct cfg_key site_keys[] = {
	CFG_KEY_STR("link", P(link), sizeof(((struct patch *)0)->link), NULL,
	    "the site's link type, over what its agent says", .check = check_link),
	CFG_KEY_DOUBLE("latitude", P(lat), -90, 90, NULL,
	    "the site's latitude, over what its agent says"),
	CFG_KEY_DOUBLE("longitude", P(lon), -180, 180, NULL, "the site's longitude"),
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

static void
patch_init(struct patch *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (int i = 0; i < 2; i++) {
		p->rtt_p95[i] = p->loss[i] = p->jitter[i] = p->upload[i] = NAN;
		p->retrans[i] = p->dns_fail[i] = NAN;
		p->http[i] = -1;
	}
	p->lat = p->lon = NAN;
}

static void
patch_apply(const struct patch *p, struct thresholds *t)
{
	for (int i = 0; i < 2; i++) {
		t->rtt_p95_ms[i] = isnan(p->rtt_p95[i]) ? t->rtt_p95_ms[i] : p->rtt_p95[i];
		t->loss_pct[i] = isnan(p->loss[i]) ? t->loss_pct[i] : p->loss[i];
		t->jitter_ms[i] = isnan(p->jitter[i]) ? t->jitter_ms[i] : p->jitter[i];
		t->upload_mbps[i] = isnan(p->upload[i]) ? t->upload_mbps[i] : p->upload[i];
		t->http_failures[i] = p->http[i] < 0 ? t->http_failures[i] : p->http[i];
		t->retrans_pct[i] = isnan(p->retrans[i]) ? t->retrans_pct[i] : p->retrans[i];
		t->dns_fail_pct[i] = isnan(p->dns_fail[i]) ? t->dns_fail_pct[i] : p->dns_fail[i];
	}
}

static int
cmp_patch(const void *a, const void *b)
{
	return strcmp(((const struct patch *)a)->name, ((const struct patch *)b)->name);
}

static const struct patch *
find_site(const struct profiles *p, const char *agent)
{
	struct patch key;
	if (p == NULL || p->nsites == 0 || agent == NULL || strlen(agent) >= sizeof(key.name))
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", agent);
	return bsearch(&key, p->sites, p->nsites, sizeof(key), cmp_patch);
}

static const struct patch *
find_link(const struct profiles *p, const char *link)
{
	for (size_t i = 0; p != NULL && link != NULL && i < p->nlinks; i++)
		if (strcmp(p->links[i].name, link) == 0)
			return &p->links[i];
	return NULL;
}

void
profiles_thresholds(const struct profiles *p, const char *agent, const char *link,
    struct thresholds *out)
{
	const struct patch *site = find_site(p, agent);
	if (site != NULL && site->link[0] != '\0')
		link = site->link;
	thresholds_default(link, out);
	const struct patch *l = find_link(p, link);
	if (l != NULL)
		patch_apply(l, out);
	if (site != NULL)
		patch_apply(site, out);
}

const char *
profiles_site_link(const struct profiles *p, const char *agent)
{
	const struct patch *s = find_site(p, agent);
	return s != NULL && s->link[0] != '\0' ? s->link : NULL;
}

bool
profiles_site_coords(const struct profiles *p, const char *agent, double *lat, double *lon)
{
	const struct patch *s = find_site(p, agent);
	if (s == NULL || isnan(s->lat))
		return false;
	*lat = s->lat;
	*lon = s->lon;
	return true;
}

/* Apply one section and check that its thresholds make sense together. */
static void
load_section(struct cfg_file *f, const char *section, struct patch *p, const char *link)
{
	char why[160];
	struct thresholds t;
	cfg_apply(f, section, threshold_keys, N(threshold_keys), p);
	thresholds_default(p->link[0] != '\0' ? p->link : link, &t);
	patch_apply(p, &t);
	if (thresholds_check(&t, why, sizeof(why))[0] != '\0')
		cfg_error(f, "%s:%d: [%s]: %s", f->path, cfg_section_line(f, section), section, why);
}

static pantau_err
load_all(struct cfg_file *f, struct profiles *p)
{
	/* no more sections than entries: the list never cuts a file short */
	size_t max = f->n + 1;
	const char **list = calloc(max, sizeof(*list));
	if (list == NULL)
		return PANTAU_ERR_NOMEM;
	size_t nl = cfg_sections(f, "link.", list, max);
	p->links = calloc(nl > 0 ? nl : 1, sizeof(*p->links));
	for (size_t i = 0; p->links != NULL && i < nl; i++) {
		const char *link = list[i] + strlen("link.");
		if (!wire_link_valid(link)) {
			cfg_error(f, "%s:%d: [%s]: not a link type; use [link.fiber], [link.microwave], "
			    "[link.cellular], [link.vsat-geo] or [link.vsat-leo]", f->path,
			    cfg_section_line(f, list[i]), list[i]);
			continue;
		}
		patch_init(&p->links[p->nlinks], link);
		load_section(f, list[i], &p->links[p->nlinks++], link);
	}
	size_t ns = cfg_sections(f, "site.", list, max);
	p->sites = calloc(ns > 0 ? ns : 1, sizeof(*p->sites));
	for (size_t i = 0; p->sites != NULL && i < ns; i++) {
		struct patch *s = &p->sites[p->nsites++];
		patch_init(s, list[i] + strlen("site."));
		cfg_apply(f, list[i], site_keys, N(site_keys), s);
		if (isnan(s->lat) != isnan(s->lon))
			cfg_error(f, "%s:%d: [%s]: latitude and longitude go together; set both or "
			    "neither", f->path, cfg_section_line(f, list[i]), list[i]);
		load_section(f, list[i], s, NULL);
	}
	free(list);
	if (p->links == NULL || p->sites == NULL)
		return PANTAU_ERR_NOMEM;
	qsort(p->sites, p->nsites, sizeof(*p->sites), cmp_patch);
	return PANTAU_OK;
}

pantau_err
profiles_load(const char *path, struct profiles **out, FILE *errs)
{
	static const char *const known[] = { "link.", "site.", NULL };
	struct cfg_file *f = NULL;
	*out = NULL;
	struct profiles *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return PANTAU_ERR_NOMEM;
	if (path == NULL || path[0] == '\0') {
		*out = p;
		return PANTAU_OK;
	}
	pantau_err rc = cfg_file_open(path, "status profiles", &f, errs);
	if (rc == PANTAU_OK)
		rc = load_all(f, p);
	if (rc == PANTAU_OK)
		rc = cfg_file_close(f, known, NULL, errs);
	else
		cfg_file_free(f);
	if (rc != PANTAU_OK) {
		profiles_free(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

void
profiles_free(struct profiles *p)
{
	if (p == NULL)
		return;
	free(p->links);
	free(p->sites);
	free(p);
}

void
profiles_reference(FILE *to)
{
	cfg_print_reference("[link.TYPE] and [site.AGENT] key", threshold_keys,
	    N(threshold_keys), to);
	fputc('\n', to);
	cfg_print_reference("[site.AGENT] key (sites only)", site_keys, N(site_keys), to);
}
