#include "agent/probes/passive_groups.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"

#define TOKEN_MAX 80

/* "ADDR" or "ADDR/LEN" into p (port left alone). */
static bool
parse_addr(const char *s, struct pg_prefix *p)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (!strnum_copy_n(a, sizeof(a), s, n))
		return false;
	memset(p->addr, 0, sizeof(p->addr));
	p->family = strchr(a, ':') != NULL ? 6 : 4;
	if (inet_pton(p->family == 4 ? AF_INET : AF_INET6, a, p->addr) != 1)
		return false;
	int max = p->family == 4 ? 32 : 128;
	p->len = (uint8_t)max;
	if (slash == NULL)
		return true;
	char *end = NULL;
	long len = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end != '\0' || len < 0 || len > max)
		return false;
	p->len = (uint8_t)len;
	return true;
}

static bool
parse_port(const char *s, struct pg_prefix *p)
{
	char *end = NULL;
	long port = strtol(s, &end, 10);
	if (end == s || *end != '\0' || port < 1 || port > 65535)
		return false;
	p->port = (uint16_t)port;
	return true;
}

/* One destination: 198.18.5.0/24:443, 198.18.6.7, [2001:db8::/32]:443,
 * 2001:db8::/32. */
static bool
parse_dest(const char *tok, struct pg_prefix *p, bool ports)
{
	char t[TOKEN_MAX];
	if (strlen(tok) >= sizeof(t))
		return false;
	snprintf(t, sizeof(t), "%s", tok);
	p->port = 0;
	char *port = NULL;
	if (t[0] == '[') {
		char *close = strchr(t, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return false;
		*close = '\0';
		port = close[1] == ':' ? close + 2 : NULL;
		memmove(t, t + 1, strlen(t + 1) + 1);
	} else if (strchr(t, ':') == strrchr(t, ':') && strchr(t, ':') != NULL) {
		port = strchr(t, ':');
		*port++ = '\0';
	}
	if (port != NULL && (!ports || !parse_port(port, p)))
		return false;
	return parse_addr(t, p);
}

static bool
name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PG_NAME_MAX || strcmp(s, "other") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* One group's text "NAME DEST [DEST ...]" (tokenised in place). */
static bool
parse_group(char *text, struct pg_group *g, char *why, size_t len)
{
	char *save = NULL;
	char *name = strtok_r(text, " \t", &save);
	if (name == NULL || !name_valid(name)) {
		snprintf(why, len, "\"%s\" is not a group name (1-%d letters, digits, '-', '_' or "
		    "'.'; not \"other\")", name != NULL ? name : "", PG_NAME_MAX);
		return false;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->ndest = 0;
	for (char *t = strtok_r(NULL, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (g->ndest == PG_DESTS) {
			snprintf(why, len, "group %s has more than %d destinations", g->name, PG_DESTS);
			return false;
		}
		if (!parse_dest(t, &g->dest[g->ndest++], true)) {
			snprintf(why, len, "group %s: \"%.80s\" is not a destination (a prefix with "
			    "an optional port: 198.18.5.0/24:443, [2001:db8::/32]:443)", g->name, t);
			return false;
		}
	}
	if (g->ndest == 0) {
		snprintf(why, len, "group %s has no destinations; e.g. %s 198.18.5.0/24:443",
		    g->name, g->name);
		return false;
	}
	return true;
}

static bool
duplicate_name(const struct pg_config *c)
{
	for (int i = 0; i < c->ngroups - 1; i++)
		if (strcmp(c->group[i].name, c->group[c->ngroups - 1].name) == 0)
			return true;
	return false;
}

typedef bool (*item_fn)(char *item, struct pg_config *c, char *why, size_t len);

/* fn for each non-blank item of text between seps; false at the first
 * item fn refuses (why says it) or when text is too long. */
static bool
each_item(const char *text, const char *seps, item_fn fn, struct pg_config *c, char *why,
    size_t len)
{
	char buf[PG_FILTER_MAX], *save = NULL;
	if (strlen(text) >= sizeof(buf))
		return (snprintf(why, len, "too long"), false);
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *t = strtok_r(buf, seps, &save); t != NULL; t = strtok_r(NULL, seps, &save))
		if (strspn(t, " \t") < strlen(t) && !fn(t, c, why, len))
			return false;
	return true;
}

/* Whether a list already holds n == max items (why says so). */
static bool
full(int n, int max, const char *what, char *why, size_t len)
{
	if (n < max)
		return false;
	snprintf(why, len, "more than %d %s", max, what);
	return true;
}

static bool
add_group(char *g, struct pg_config *c, char *why, size_t len)
{
	if (full(c->ngroups, PG_GROUPS, "groups", why, len))
		return false;
	if (!parse_group(g, &c->group[c->ngroups++], why, len))
		return false;
	if (duplicate_name(c)) {
		snprintf(why, len, "group %s is named twice", c->group[c->ngroups - 1].name);
		return false;
	}
	return true;
}

bool
pg_parse_groups(const char *text, struct pg_config *c, char *why, size_t len)
{
	c->ngroups = 0;
	return each_item(text, ",", add_group, c, why, len);
}

static bool
add_local(char *t, struct pg_config *c, char *why, size_t len)
{
	if (full(c->nlocal, PG_LOCAL, "prefixes", why, len))
		return false;
	if (!parse_dest(t, &c->local[c->nlocal++], false)) {
		snprintf(why, len, "\"%.80s\" is not a prefix (e.g. 192.168.1.0/24 or "
		    "2001:db8:1::/48)", t);
		return false;
	}
	return true;
}

bool
pg_parse_local(const char *text, struct pg_config *c, char *why, size_t len)
{
	c->nlocal = 0;
	return each_item(text, ", \t", add_local, c, why, len);
}

void
pg_add_local(struct pg_config *c, int family, const uint8_t *addr)
{
	if (c->nlocal == PG_LOCAL)
		return;
	struct pg_prefix *p = &c->local[c->nlocal++];
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->len = family == 4 ? 32 : 128;
	memcpy(p->addr, addr, family == 4 ? 4 : 16);
}

bool
pg_groups_check(const char *v, char *why, size_t len)
{
	struct pg_config *c = calloc(1, sizeof(*c));
	bool ok = c != NULL && pg_parse_groups(v, c, why, len);
	free(c);
	return ok;
}

bool
pg_local_check(const char *v, char *why, size_t len)
{
	struct pg_config *c = calloc(1, sizeof(*c));
	bool ok = c != NULL && pg_parse_local(v, c, why, len);
	free(c);
	return ok;
}

static bool
in_prefix(const struct pg_prefix *p, int family, const uint8_t *addr, uint16_t port)
{
	if (p->family != family || (p->port != 0 && p->port != port))
		return false;
	int full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr, addr, (size_t)full) != 0)
		return false;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return rest == 0 || (p->addr[full] & mask) == (addr[full] & mask);
}

static int
group_of(const struct pg_config *c, int family, const uint8_t *addr, uint16_t port)
{
	for (int g = 0; g < c->ngroups; g++)
		for (int d = 0; d < c->group[g].ndest; d++)
			if (in_prefix(&c->group[g].dest[d], family, addr, port))
				return g;
	return -1;
}

static bool
is_local(const struct pg_config *c, int family, const uint8_t *addr)
{
	for (int i = 0; i < c->nlocal; i++)
		if (in_prefix(&c->local[i], family, addr, 0))
			return true;
	return false;
}

int
pg_classify(const struct pg_config *c, const struct pd_packet *p, bool *from_site)
{
	bool src_local = is_local(c, p->family, p->src), dst_local = is_local(c, p->family, p->dst);
	int gd = group_of(c, p->family, p->dst, p->dport);
	int gs = group_of(c, p->family, p->src, p->sport);
	if (src_local != dst_local)
		*from_site = src_local;
	else if ((gd >= 0) != (gs >= 0))
		*from_site = gd >= 0;
	else
		*from_site = p->sport >= p->dport; /* the client's port is the higher, mostly */
	int g = *from_site ? gd : gs;
	return g >= 0 ? g : c->ngroups;
}

static bool
append(char *buf, size_t len, size_t *at, const char *s)
{
	int n = snprintf(buf + *at, len - *at, "%s", s);
	if (n < 0 || (size_t)n >= len - *at)
		return false;
	*at += (size_t)n;
	return true;
}

static bool
append_dest(char *buf, size_t len, size_t *at, const struct pg_prefix *p)
{
	char a[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN + 40];
	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	if (p->port != 0)
		snprintf(t, sizeof(t), "(net %s/%u and port %u)", a, p->len, p->port);
	else
		snprintf(t, sizeof(t), "(net %s/%u)", a, p->len);
	return append(buf, len, at, t);
}

/* The filter of one link layer: all TCP and DNS, or the groups' ends. */
static bool
filter_body(const struct pg_config *c, bool other, char *buf, size_t len, size_t *at)
{
	if (other || c->ngroups == 0)
		return append(buf, len, at, "(tcp or udp port 53)");
	bool ok = append(buf, len, at, "((tcp or udp) and (");
	for (int g = 0; g < c->ngroups; g++)
		for (int d = 0; d < c->group[g].ndest; d++)
			ok = ok && (g + d == 0 || append(buf, len, at, " or ")) &&
			    append_dest(buf, len, at, &c->group[g].dest[d]);
	return ok && append(buf, len, at, "))");
}

bool
pg_filter(const struct pg_config *c, bool other, bool vlan, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	if (!filter_body(c, other, buf, len, &at))
		return false;
	if (!vlan)
		return true;
	size_t body = at;
	if (!append(buf, len, &at, " or (vlan and "))
		return false;
	/* the same body again, inside the vlan clause */
	if (at + body + 2 > len)
		return false;
	memmove(buf + at, buf, body);
	at += body;
	buf[at] = '\0';
	return append(buf, len, &at, ")");
}
