#include "agent/probes/dnsservers.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"

#define DNS_PORT 53
#define RESOLV_LINE_MAX 512

static bool
parse_port(const char *s, int *port)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

/* One entry: a.b.c.d, a.b.c.d:port, v6addr, [v6addr]:port. */
static bool
parse_one(const char *e, struct ares_addr_port_node *node, char *text, char *why, size_t len)
{
	char host[INET6_ADDRSTRLEN + 1];
	int port = DNS_PORT;
	const char *colon = strchr(e, ':');
	size_t hn;
	if (e[0] == '[') {
		const char *close = strchr(e, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':') ||
		    (close[1] == ':' && !parse_port(close + 2, &port)))
			goto bad;
		hn = (size_t)(close - e - 1);
		e++;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		if (!parse_port(colon + 1, &port))
			goto bad;
		hn = (size_t)(colon - e);
	} else {
		hn = strlen(e);
	}
	if (!strnum_copy_n(host, sizeof(host), e, hn))
		goto bad;
	memset(node, 0, sizeof(*node));
	if (inet_pton(AF_INET, host, &node->addr.addr4) == 1) {
		node->family = AF_INET;
		snprintf(text, DNSSERVERS_TEXT_MAX, "%s:%d", host, port);
	} else if (inet_pton(AF_INET6, host, &node->addr.addr6) == 1) {
		node->family = AF_INET6;
		snprintf(text, DNSSERVERS_TEXT_MAX, "[%s]:%d", host, port);
	} else {
		goto bad;
	}
	node->udp_port = node->tcp_port = port;
	return true;
bad:
	snprintf(why, len, "\"%s\" is not a resolver address: use an IP address with an "
	    "optional port, e.g. 198.18.0.1:53 or [2001:db8::53]:53", e);
	return false;
}

static void
link_nodes(struct dnsservers *out)
{
	for (size_t i = 0; i < out->n; i++)
		out->node[i].next = i + 1 < out->n ? &out->node[i + 1] : NULL;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

bool
dnsservers_parse(const char *list, struct dnsservers *out, char *why, size_t len)
{
	char buf[RESOLV_LINE_MAX];
	memset(out, 0, sizeof(*out));
	if (strlen(list) >= sizeof(buf)) {
		snprintf(why, len, "the list is longer than %zu characters", sizeof(buf) - 1);
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *p = buf, *next; p != NULL; p = next) {
		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		char *e = trim(p);
		if (out->n == DNSSERVERS_MAX) {
			snprintf(why, len, "more than %d resolvers; a resolver list holds at most %d",
			    DNSSERVERS_MAX, DNSSERVERS_MAX);
			return false;
		}
		if (!parse_one(e, &out->node[out->n], out->text[out->n], why, len))
			return false;
		out->n++;
	}
	link_nodes(out);
	return true;
}

bool
dnsservers_check(const char *value, char *why, size_t len)
{
	struct dnsservers s;
	return value[0] == '\0' || dnsservers_parse(value, &s, why, len);
}

/* A "nameserver ADDR" line: the address, else NULL. */
static char *
nameserver_of(char *line)
{
	char *s = trim(line);
	if (strncmp(s, "nameserver", 10) != 0 || !isspace((unsigned char)s[10]))
		return NULL;
	s = trim(s + 10);
	s[strcspn(s, " \t#;")] = '\0';
	return s[0] != '\0' ? s : NULL;
}

bool
dnsservers_read_conf(const char *path, struct dnsservers *out, char *why, size_t len)
{
	char line[RESOLV_LINE_MAX], skip[8];
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	while (out->n < DNSSERVERS_MAX && fgets(line, sizeof(line), f) != NULL) {
		char *addr = nameserver_of(line);
		/* A scoped link-local address (fe80::1%eth0) is skipped. */
		if (addr == NULL || strchr(addr, '%') != NULL)
			continue;
		if (parse_one(addr, &out->node[out->n], out->text[out->n], skip, sizeof(skip)))
			out->n++;
	}
	fclose(f);
	if (out->n == 0) {
		snprintf(why, len, "%s names no usable nameserver; set resolvers, e.g. "
		    "resolvers = 198.18.0.1:53", path);
		return false;
	}
	link_nodes(out);
	return true;
}
