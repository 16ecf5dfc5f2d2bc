#include "args.h"

#include <string.h>

struct args_check {
	const char *allowed;        /* the parameters this route takes ("a b"), or NULL */
	char bad[REPLY_ECHO_MAX + 4];
	bool empty;                 /* the allowed parameter came without a value */
};

/* key is one of the space-separated words of list. */
static bool
word_in(const char *key, const char *list)
{
	size_t n = strlen(key);
	for (const char *p = list; n > 0 && (p = strstr(p, key)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args_check *c = cls;
	(void)kind;
	if (c->allowed != NULL && word_in(key, c->allowed)) {
		c->empty = c->empty || value == NULL || value[0] == '\0';
		return MHD_YES;
	}
	if (c->bad[0] == '\0')
		reply_echo(key, c->bad, sizeof(c->bad));
	return MHD_YES;
}

bool
args_ok(struct MHD_Connection *c, enum route id, struct reply *r)
{
	struct args_check k = { .allowed = id == R_REGIONS ? "province" :
	                                   id == R_EVENTS ? "since limit scope" :
	                                   id == R_SITE ? "range" :
	                                   id == R_INCIDENTS ? "open" : NULL };
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &k);
	if (k.bad[0] != '\0') {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "unknown query parameter \"%s\"; %s", k.bad,
		    id == R_REGIONS ? "this route takes only province=PP" :
		    id == R_EVENTS  ? "this route takes since=ISO-time, limit=N and scope=site|regency" :
		    id == R_SITE    ? "this route takes only range=1h|24h|7d" :
		    id == R_INCIDENTS ? "this route takes only open=1 (open incidents only)" :
		                      "this route takes no parameters");
		return false;
	}
	if (k.empty) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s",
		    id == R_REGIONS ? "province needs a value: a 2-digit province code such as "
		                      "province=32" :
		    id == R_SITE    ? "range needs a value: 1h, 24h or 7d, e.g. range=24h" :
		                      "a query parameter came without a value; e.g. limit=100");
		return false;
	}
	return true;
}

/* Match a path (trailing slash removed); *arg points at {code} / {agent}. */
enum route
args_route(const char *path, const char **arg)
{
	static const struct {
		const char *path;
		enum route id;
		bool takes_arg;     /* path is a prefix followed by one segment */
	} routes[] = {
		{ "/healthz", R_HEALTH, false },
		{ "/api/v1/regions", R_REGIONS, false },
		{ "/api/v1/stats", R_STATS, false },
		{ "/api/v1/sites", R_SITES, false },
		{ "/api/v1/events", R_EVENTS, false },
		{ "/api/v1/overview", R_OVERVIEW, false },
		{ "/api/v1/alerts", R_ALERTS, false },
		{ "/api/v1/incidents", R_INCIDENTS, false },
		{ "/metrics", R_METRICS, false },
		{ "/api/v1/tokens", R_TOKENS, false },
		{ "/api/v1/regions/", R_REGION, true },
		{ "/api/v1/sites/", R_SITE, true },
		{ "/api/v1/tokens/", R_TOKEN, true },
	};
	*arg = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);
		if (!routes[i].takes_arg && strcmp(path, routes[i].path) == 0)
			return routes[i].id;
		if (routes[i].takes_arg && strncmp(path, routes[i].path, n) == 0 &&
		    path[n] != '\0' && strchr(path + n, '/') == NULL) {
			*arg = path + n;
			return routes[i].id;
		}
	}
	return R_NONE;
}

/* GET and HEAD everywhere, but a token is revoked with DELETE only. */
bool
args_method_ok(enum route id, const char *method, struct reply *r)
{
	char e[REPLY_ECHO_MAX + 4];
	bool del = strcmp(method, MHD_HTTP_METHOD_DELETE) == 0;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (id == R_TOKEN ? del : get)
		return true;
	reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s is not allowed; %s",
	    reply_echo(method, e, sizeof(e)), id == R_TOKEN ? "revoke a token with DELETE" :
	    "this route is read-only: use GET");
	r->allow = id == R_TOKEN ? REPLY_ALLOW_DELETE : REPLY_ALLOW_GET;
	return false;
}
