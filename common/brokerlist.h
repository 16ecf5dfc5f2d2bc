/*
 * A list of MQTT brokers in one setting: "host[:port], host[:port], ..."
 * ([broker] host). A client tries them in order and moves to the next
 * after a failed attempt or a lost connection (docs/deployment.md,
 * "Brokers in tiers"). An IPv6 address with a port is written [addr]:port;
 * one without a port may stand bare.
 */
#ifndef PANTAU_BROKERLIST_H
#define PANTAU_BROKERLIST_H

#include <stddef.h>

#include "err.h"

/* At most this many brokers in one list. */
#define BROKERLIST_MAX 8
#define BROKERLIST_HOST_MAX 255

struct broker_addr {
	char host[BROKERLIST_HOST_MAX + 1];
	int port;
};

/* Parse s into out[0..*n); entries without a port get default_port.
 * PANTAU_ERR_CONFIG with a sentence in why on an empty entry, a bad port
 * or more than BROKERLIST_MAX entries. */
pantau_err brokerlist_parse(const char *s, int default_port, struct broker_addr *out,
    size_t *n, char *why, size_t len);

#endif
