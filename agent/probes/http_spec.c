/*
 * http, the spec part: one HTTP(S) request (docs/probes.md), its keys,
 * checks and longest duration. The exec part, the request with libcurl, is
 * http.c; it runs in pantau-probe-worker, which the agent spawns for each
 * run (probeworker.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"

static const char *const http_methods[] = { "GET", "HEAD", NULL };

#define O(f) offsetof(struct http_params, f)
static const struct cfg_key http_keys[] = {
	CFG_KEY_ENUM("method", O(method), "GET", http_methods, "GET or HEAD"),
	CFG_KEY_I64("max_bytes", O(max_bytes), 0, 1073741824, "1048576",
	    "body bytes read before the transfer is stopped"),
	CFG_KEY_INT("expect_status", O(expect_status), 0, 599, "0",
	    "HTTP status that counts as ok; 0 = any 2xx or 3xx"),
	CFG_KEY_BOOL("insecure", O(insecure), "false",
	    "true skips TLS certificate checks (only for test endpoints)"),
};
#undef O

/* Host of an authority: a name or IPv4 address, or [IPv6]. */
static bool
host_valid(const char *h, size_t n)
{
	if (n == 0)
		return false;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return false;
		for (size_t i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && strchr("-._~%", h[i]) == NULL)
			return false;
	return true;
}

/* Port after the host: empty or 1-65535. */
static bool
port_valid(const char *p, size_t n)
{
	long v = 0;
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]) || n > 5)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* [userinfo@]host[:port] of the authority a..a+n. */
static bool
authority_valid(const char *a, size_t n)
{
	const char *at = memchr(a, '@', n);
	if (at != NULL) {
		n -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	const char *end = a + n;
	const char *colon = NULL;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (close == NULL)
			return false;
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return false;
	} else {
		colon = memchr(a, ':', n);
	}
	size_t hn = colon != NULL ? (size_t)(colon - a) : n;
	return host_valid(a, hn) &&
	    (colon == NULL || port_valid(colon + 1, (size_t)(end - colon - 1)));
}

/* An http:// or https:// URL with a valid host and port and no spaces;
 * false with why (naming example, a URL that would do). */
static bool
url_check(const char *url, const char *example, char *why, size_t len)
{
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		snprintf(why, len, "\"%s\" is not an http:// or https:// URL, e.g. %s", url,
		    example);
		return false;
	}
	const char *rest = strstr(url, "://") + 3;
	size_t n = strcspn(rest, "/?#");
	if (n == 0) {
		snprintf(why, len, "\"%s\" has no host after \"://\"", url);
		return false;
	}
	if (!authority_valid(rest, n)) {
		snprintf(why, len, "\"%s\" is not a valid URL: bad host or port \"%.*s\"", url,
		    (int)n, rest);
		return false;
	}
	for (const char *p = rest + n; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(why, len, "\"%s\" is not a valid URL: it contains a space or a "
			    "control character", url);
			return false;
		}
	}
	return true;
}

static bool
http_check(const struct probe_def *def, char *why, size_t len)
{
	const struct http_params *p = def->params;
	if (!url_check(def->target, "https://tally.example/api/ping", why, len))
		return false;
	if (p != NULL && p->expect_status != 0 && p->expect_status < 100) {
		snprintf(why, len, "expect_status %d is not an HTTP status: use 100-599, or 0 "
		    "for any 2xx or 3xx", p->expect_status);
		return false;
	}
	return true;
}

static int
http_max_duration_ms(const struct probe_def *def)
{
	return def->timeout_ms > 0 ? def->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
}

static void
http_failure_fields(json_t *r)
{
	json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "status", json_integer(0));
}

const struct probe_spec probe_http_spec = {
	.kind = "http", PROBE_KEYS(http_keys, struct http_params),
	.default_timeout_ms = HTTP_DEFAULT_TIMEOUT_MS, .check = http_check,
	.max_duration_ms = http_max_duration_ms, .failure_fields = http_failure_fields,
	.in_worker = true,
};
