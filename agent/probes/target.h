/*
 * Probe targets shared by the probe kinds: host names and numeric
 * addresses, "host:port" and "[v6addr]:port", and the printable form of a
 * resolved address. Reasons are plain sentences for `pantau-agent check`.
 */
#ifndef PANTAU_PROBES_TARGET_H
#define PANTAU_PROBES_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

/* Longest host name (RFC 1035) or address text we accept. */
#define TARGET_HOST_MAX 253
/* Room for a numeric IPv6 address with a scope ("fe80::1%eth0"). */
#define TARGET_ADDR_MAX 64

/* A host name (letters, digits, '-', '_', dots between labels of at most
 * 63 characters) or a numeric IPv4/IPv6 address; false with why. */
bool target_host_valid(const char *host, char *why, size_t len);

/*
 * Split "host:port" or "[v6addr]:port" into host (without brackets) and a
 * port 1..65535. PANTAU_ERR_INVAL with why when it is not one.
 */
pantau_err target_split_host_port(const char *target, char *host, size_t hostlen,
    int *port, char *why, size_t len);

/* Numeric text of an IPv4 or IPv6 address ("?" for anything else). */
void target_addr_text(const struct sockaddr *sa, char *buf, size_t len);

/* Milliseconds between two CLOCK_MONOTONIC nanosecond times. */
double target_ms_between(int64_t from_ns, int64_t to_ns);

#endif
