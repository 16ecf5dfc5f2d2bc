/*
 * Dropping root (docs/probes.md, "Sockets and privileges"). The agent
 * opens its ICMP sockets first; then, when it runs as root, it gives
 * state_dir to the configured user and switches to that user's uid and
 * gid for good (no supplementary groups), so a flaw in a probe or in
 * libcurl/libmosquitto cannot act as root. The raw sockets stay open, and
 * CAP_NET_RAW (only that) stays permitted and effective, for raw sockets
 * opened later and packet capture.
 *
 * user: "auto" = "pantau" when that user exists, else "nobody"; "root" =
 * stay root (not advised); any other name = that user.
 */
#ifndef PANTAU_PRIVDROP_H
#define PANTAU_PRIVDROP_H

#include <stddef.h>

#include "err.h"

/* Do it when euid is 0; a no-op otherwise. why says what failed
 * (unknown user, chown or setuid refused). */
pantau_err privdrop_apply(const char *user, const char *state_dir, char *why, size_t len);

#endif
