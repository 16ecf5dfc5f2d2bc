#include "brokerlist.h"

#include <stdio.h>
#include <string.h>

#include "strnum.h"

static size_t
trim(const char **s, size_t n)
{
	while (n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

/* The port after the host, if any: where it starts in e (or NULL), and
 * how long the host part is. */
static const char *
split_port(const char *e, size_t n, const char **host, size_t *hlen)
{
	*host = e;
	*hlen = n;
	if (n > 0 && e[0] == '[') {
		const char *close = memchr(e, ']', n);
		if (close == NULL)
			return NULL;
		*host = e + 1;
		*hlen = (size_t)(close - e - 1);
		return (size_t)(close - e) + 1 < n && close[1] == ':' ? close + 2 : close + 1;
	}
	const char *colon = memchr(e, ':', n);
	if (colon == NULL || memchr(colon + 1, ':', n - (size_t)(colon - e) - 1) != NULL)
		return NULL; /* no port, or a bare IPv6 address */
	*hlen = (size_t)(colon - e);
	return colon + 1;
}

static pantau_err
parse_one(const char *e, size_t n, int default_port, struct broker_addr *a, char *why,
    size_t len)
{
	const char *host, *port;
	size_t hlen;
	n = trim(&e, n);
	port = split_port(e, n, &host, &hlen);
	if (hlen == 0 || hlen > BROKERLIST_HOST_MAX) {
		snprintf(why, len, "\"%.*s\" names no broker; write host[:port], several "
		    "separated by commas", (int)n, e);
		return PANTAU_ERR_CONFIG;
	}
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	a->port = default_port;
	if (port == NULL || (port == e + n && port[-1] == ']'))
		return PANTAU_OK;
	char num[8];
	size_t plen = (size_t)(e + n - port);
	long long v;
	if (port[-1] == ']' || !strnum_copy_n(num, sizeof(num), port, plen)) {
		snprintf(why, len, "\"%.*s\": the port must follow the host after a colon, 1-65535",
		    (int)n, e);
		return PANTAU_ERR_CONFIG;
	}
	if (strnum_int(num, 1, 65535, &v) != PANTAU_OK) {
		snprintf(why, len, "\"%.*s\": the port must be 1-65535", (int)n, e);
		return PANTAU_ERR_CONFIG;
	}
	a->port = (int)v;
	return PANTAU_OK;
}

pantau_err
brokerlist_parse(const char *s, int default_port, struct broker_addr *out, size_t *n,
    char *why, size_t len)
{
	*n = 0;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t elen = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (*n == BROKERLIST_MAX) {
			snprintf(why, len, "more than %d brokers listed", BROKERLIST_MAX);
			return PANTAU_ERR_CONFIG;
		}
		pantau_err rc = parse_one(s, elen, default_port, &out[*n], why, len);
		if (rc != PANTAU_OK)
			return rc;
		(*n)++;
		if (comma == NULL)
			return PANTAU_OK;
		s = comma + 1;
	}
}
