/*
 * The address a server binds to, as a configuration file writes it: the
 * one parser of the collector's [api] listen and the reflector's [stamp]
 * and [http] listen.
 *
 *   127.0.0.1        an IPv4 address; the port comes from the port key
 *   ::1  or  [::1]   an IPv6 address, with or without brackets
 *   127.0.0.1:8080   an address with its port (IPv6: [::1]:8080); this
 *                    port wins over the section's port key
 *   8080             a port alone, on the section's default address
 *   (empty)          the default address and the port key
 *
 * Addresses are numeric: a server binds before anything resolves names.
 * Reasons are sentences that follow the quoted value ("\"x\" is not ..."),
 * so they read the same from `--check` (cfg.h) and from a start.
 */
#ifndef PANTAU_LISTENADDR_H
#define PANTAU_LISTENADDR_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

/* Longest listen text taken (an IPv6 address in brackets with a port). */
#define LISTENADDR_TEXT_MAX 63

struct listen_addr {
	struct sockaddr_storage ss;  /* family, address and port, ready for bind() */
	socklen_t sslen;
	int family;                  /* AF_INET or AF_INET6 */
	int port;                    /* 0: any free port (only from def_port) */
	char host[INET6_ADDRSTRLEN]; /* the address as written, without brackets */
};

/*
 * Parse text (NULL as ""). def_host is the numeric address used when text
 * names none; def_port (0..65535) the port when text names none. On
 * PANTAU_ERR_CONFIG why says what was wrong and what to write instead.
 */
pantau_err listen_addr_parse(const char *text, const char *def_host, int def_port,
    struct listen_addr *out, char *why, size_t len);

/* The address is on the loopback interface only: 127.0.0.0/8, ::1, or an
 * IPv4-mapped 127/8. Any other address (0.0.0.0, ::, a LAN address) can be
 * reached from the network. */
bool listen_addr_loopback(const struct listen_addr *a);

/* The same checks as a cfg_check_fn (cfg.h) for a listen key. */
bool listen_addr_check(const char *value, char *why, size_t len);

#endif
