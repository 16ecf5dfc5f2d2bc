/*
 * A free port on 127.0.0.1 for the unit tests that start a server on one
 * (test_httpd.c, test_probes_dns.c's dnsmasq) or need one where nothing
 * listens (test_path.c, test_brokerlist.c). Included after cmocka.h.
 */
#ifndef PANTAU_TEST_PORT_HARNESS_H
#define PANTAU_TEST_PORT_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loopback port of type (SOCK_STREAM or SOCK_DGRAM) that nobody holds:
 * bound with port 0, read back, closed again. */
static inline int
harness_free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

#endif
