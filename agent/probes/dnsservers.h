/*
 * The resolvers a dns probe asks: a list from the configuration
 * ("198.18.0.1:53, [2001:db8::53]:53") or the nameserver lines of a
 * resolv.conf file. At most DNSSERVERS_MAX, as the C library reads (MAXNS).
 */
#ifndef PANTAU_PROBES_DNSSERVERS_H
#define PANTAU_PROBES_DNSSERVERS_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define DNSSERVERS_MAX 3
#define DNSSERVERS_TEXT_MAX 56  /* "[v6addr]:port" */

struct dnsservers {
	struct ares_addr_port_node node[DNSSERVERS_MAX];  /* linked in order */
	char text[DNSSERVERS_MAX][DNSSERVERS_TEXT_MAX];
	size_t n;
};

/* A comma-separated list; false with why on the first bad entry. */
bool dnsservers_parse(const char *list, struct dnsservers *out, char *why, size_t len);

/* The nameserver lines of the resolv.conf at path (a local file, read at
 * once); false with why when it cannot be read or names none. */
bool dnsservers_read_conf(const char *path, struct dnsservers *out, char *why, size_t len);

/* cfg_check_fn of the resolvers key. */
bool dnsservers_check(const char *value, char *why, size_t len);

#endif
