#include "target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "strnum.h"

/* A numeric IPv6 address, optionally with a %scope (link-local). */
static bool
is_ipv6_literal(const char *host)
{
	char buf[TARGET_ADDR_MAX];
	struct in6_addr a;
	const char *pct = strchr(host, '%');
	size_t n = pct != NULL ? (size_t)(pct - host) : strlen(host);
	if (!strnum_copy_n(buf, sizeof(buf), host, n))
		return false;
	if (pct != NULL) {
		if (pct[1] == '\0' || strlen(pct + 1) > 15)
			return false;
		for (const char *c = pct + 1; *c != '\0'; c++)
			if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
				return false;
	}
	return inet_pton(AF_INET6, buf, &a) == 1;
}

static bool
host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Dots separate labels of 1..63 characters; one trailing dot is allowed. */
static bool
labels_ok(const char *host, char *why, size_t len)
{
	size_t label = 0;
	for (const char *c = host; *c != '\0'; c++) {
		if (*c != '.') {
			if (++label > 63) {
				snprintf(why, len, "\"%s\" has a part longer than 63 characters", host);
				return false;
			}
			continue;
		}
		if (label == 0) {
			snprintf(why, len, "\"%s\" has an empty part between dots", host);
			return false;
		}
		label = 0;
	}
	return true;
}

bool
target_host_valid(const char *host, char *why, size_t len)
{
	size_t n = strlen(host);
	if (n == 0) {
		snprintf(why, len, "is empty: give a host name or address, e.g. 203.0.113.1");
		return false;
	}
	if (n > TARGET_HOST_MAX) {
		snprintf(why, len, "is longer than %d characters", TARGET_HOST_MAX);
		return false;
	}
	if (strchr(host, ':') != NULL) {
		if (is_ipv6_literal(host))
			return true;
		snprintf(why, len, "\"%s\" is not a host name or address (a ':' belongs only in "
		    "IPv6 addresses; this probe takes no port)", host);
		return false;
	}
	for (const char *c = host; *c != '\0'; c++) {
		if (!host_char_ok(*c)) {
			snprintf(why, len, "\"%s\" is not a host name or address: '%c' is not "
			    "allowed (use letters, digits, '-' and '.')", host, *c);
			return false;
		}
	}
	if (host[0] == '.' || host[0] == '-') {
		snprintf(why, len, "\"%s\" is not a host name: it starts with '%c'", host, host[0]);
		return false;
	}
	return labels_ok(host, why, len);
}

/* Host part of "[v6]:port": the text between the brackets. */
static pantau_err
split_bracketed(const char *target, char *host, size_t hostlen, const char **port,
    char *why, size_t len)
{
	const char *close = strchr(target, ']');
	if (close == NULL) {
		snprintf(why, len, "\"%s\" has '[' without ']': write IPv6 targets as "
		    "[2001:db8::1]:443", target);
		return PANTAU_ERR_INVAL;
	}
	size_t n = (size_t)(close - target - 1);
	if (!strnum_copy_n(host, hostlen, target + 1, n)) {
		snprintf(why, len, "\"%s\" has no address between '[' and ']'", target);
		return PANTAU_ERR_INVAL;
	}
	if (!is_ipv6_literal(host)) {
		snprintf(why, len, "\"%s\" is not an IPv6 address", host);
		return PANTAU_ERR_INVAL;
	}
	if (close[1] != ':') {
		snprintf(why, len, "\"%s\" has no port: add one after the address, e.g. "
		    "[%s]:443", target, host);
		return PANTAU_ERR_INVAL;
	}
	*port = close + 2;
	return PANTAU_OK;
}

static pantau_err
split_plain(const char *target, char *host, size_t hostlen, const char **port, char *why,
    size_t len)
{
	const char *colon = strrchr(target, ':');
	if (colon == NULL) {
		snprintf(why, len, "\"%s\" has no port: write host:port, e.g. %s:443", target,
		    target);
		return PANTAU_ERR_INVAL;
	}
	if (memchr(target, ':', (size_t)(colon - target)) != NULL) {
		snprintf(why, len, "\"%s\": write an IPv6 address in brackets, e.g. "
		    "[2001:db8::1]:443", target);
		return PANTAU_ERR_INVAL;
	}
	size_t n = (size_t)(colon - target);
	if (!strnum_copy_n(host, hostlen, target, n)) {
		snprintf(why, len, "\"%s\" has no host before the port", target);
		return PANTAU_ERR_INVAL;
	}
	*port = colon + 1;
	return PANTAU_OK;
}

pantau_err
target_split_host_port(const char *target, char *host, size_t hostlen, int *port, char *why,
    size_t len)
{
	const char *ptext = NULL;
	long long p = 0;
	pantau_err rc;
	if (target[0] == '[')
		rc = split_bracketed(target, host, hostlen, &ptext, why, len);
	else
		rc = split_plain(target, host, hostlen, &ptext, why, len);
	if (rc != PANTAU_OK)
		return rc;
	if (target[0] != '[' && !target_host_valid(host, why, len))
		return PANTAU_ERR_INVAL;
	if (strnum_int(ptext, 1, 65535, &p) != PANTAU_OK) {
		snprintf(why, len, "port \"%s\" is not a number from 1 to 65535", ptext);
		return PANTAU_ERR_INVAL;
	}
	*port = (int)p;
	return PANTAU_OK;
}

void
target_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = NULL;
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

double
target_ms_between(int64_t from_ns, int64_t to_ns)
{
	return (double)(to_ns - from_ns) / 1e6;
}
