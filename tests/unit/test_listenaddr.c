/*
 * The listen-address parser (common/listenaddr.h): every form it takes,
 * and for each mistake a reason that names it and what to write instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "listenaddr.h"

static void
parses(const char *text, const char *def_host, int def_port, int family, const char *host,
    int port)
{
	struct listen_addr a;
	char why[256] = "";
	if (listen_addr_parse(text, def_host, def_port, &a, why, sizeof(why)) != PANTAU_OK)
		fail_msg("\"%s\" refused: %s", text != NULL ? text : "(null)", why);
	assert_int_equal(a.family, family);
	assert_string_equal(a.host, host);
	assert_int_equal(a.port, port);
	if (family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a.ss;
		assert_int_equal(a.sslen, sizeof(*v4));
		assert_int_equal(ntohs(v4->sin_port), port);
	} else {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a.ss;
		assert_int_equal(a.sslen, sizeof(*v6));
		assert_int_equal(ntohs(v6->sin6_port), port);
	}
}

static void
test_forms(void **state)
{
	(void)state;
	parses("127.0.0.1", "0.0.0.0", 8080, AF_INET, "127.0.0.1", 8080);
	parses("0.0.0.0", "127.0.0.1", 862, AF_INET, "0.0.0.0", 862);
	parses("::1", "0.0.0.0", 8080, AF_INET6, "::1", 8080);
	parses("::", "0.0.0.0", 8862, AF_INET6, "::", 8862);
	parses("[::1]", "0.0.0.0", 8080, AF_INET6, "::1", 8080);
	parses("127.0.0.1:9000", "0.0.0.0", 8080, AF_INET, "127.0.0.1", 9000);
	parses("[2001:db8::1]:443", "0.0.0.0", 8080, AF_INET6, "2001:db8::1", 443);
	parses("9000", "127.0.0.1", 8080, AF_INET, "127.0.0.1", 9000);
	parses("", "127.0.0.1", 8080, AF_INET, "127.0.0.1", 8080);
	parses(NULL, "::1", 0, AF_INET6, "::1", 0);      /* 0: any free port */
	/* A bare IPv6 address is an address whole, never address:port. */
	parses("::1:80", "0.0.0.0", 8080, AF_INET6, "::1:80", 8080);
}

static void
refused(const char *text, const char *want)
{
	struct listen_addr a;
	char why[256] = "";
	assert_int_equal(listen_addr_parse(text, "0.0.0.0", 8080, &a, why, sizeof(why)),
	    PANTAU_ERR_CONFIG);
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\": want \"%s\" in \"%s\"", text, want, why);
	/* The same words from the config check (--check). */
	char why2[256] = "";
	assert_false(listen_addr_check(text, why2, sizeof(why2)));
	assert_string_equal(why, why2);
}

static void
test_mistakes(void **state)
{
	(void)state;
	refused("localhost", "is not an IP address (names are not looked up here); write a "
	    "numeric address such as 127.0.0.1");
	refused("localhost", "optionally with a port: 127.0.0.1:8080 or [::1]:8080");
	refused("127.0.0.1:", "has no port after ':'; write one, e.g. 127.0.0.1:8080");
	refused(":8080", "has no address before ':'; write 127.0.0.1:8080, or the port alone");
	refused("127.0.0.1:http", "has port \"http\", which is not a number from 1 to 65535");
	refused("127.0.0.1:0", "has port \"0\", which is not a number from 1 to 65535");
	refused("[::1]:65536", "has port \"65536\"");
	refused("99999", "has port \"99999\"");
	refused("[::1", "has '[' without ']'; write an IPv6 address with a port as [::1]:8080");
	refused("[]:80", "has no IPv6 address between '[' and ']'");
	refused("[127.0.0.1]:80", "has \"127.0.0.1\" in brackets, which is not an IPv6 address");
	refused("[::1]80", "has \"80\" after ']'; write [::1] or [::1]:8080");
	refused("2001:db8::1::80", "is not an IP address; an IPv6 address with a port goes in "
	    "brackets, e.g. [::1]:8080");
	refused("host.example:80", "is not an IP address (names are not looked up here)");
	refused("0123456789012345678901234567890123456789012345678901234567890123456789",
	    "is longer than 63 characters");
}

/* Which addresses only this machine reaches (the API's TLS and token rules). */
static void
test_loopback(void **state)
{
	(void)state;
	static const char *const local[] = { "127.0.0.1", "127.1.2.3", "::1", "[::1]:80",
		"::ffff:127.0.0.1" };
	static const char *const network[] = { "0.0.0.0", "::", "192.0.2.7", "128.0.0.1",
		"::ffff:192.0.2.7", "fe80::1", "10.0.0.1:8080" };
	struct listen_addr a;
	char why[256];
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		assert_int_equal(listen_addr_parse(local[i], "127.0.0.1", 80, &a, why, sizeof(why)),
		    PANTAU_OK);
		if (!listen_addr_loopback(&a))
			fail_msg("%s is loopback", local[i]);
	}
	for (size_t i = 0; i < sizeof(network) / sizeof(network[0]); i++) {
		assert_int_equal(listen_addr_parse(network[i], "127.0.0.1", 80, &a, why, sizeof(why)),
		    PANTAU_OK);
		if (listen_addr_loopback(&a))
			fail_msg("%s is not loopback", network[i]);
	}
}

#include "unit_main.h"
