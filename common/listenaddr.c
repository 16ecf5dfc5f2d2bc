#include "listenaddr.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "strnum.h"

#define WRITE_INSTEAD "write a numeric address such as 127.0.0.1 (this machine only), " \
	"0.0.0.0 (every IPv4 interface) or :: (IPv6 too), optionally with a port: " \
	"127.0.0.1:8080 or [::1]:8080"

/* A port written in the text: 1..65535. */
static pantau_err
port_of(const char *s, int *port, char *why, size_t len)
{
	long long n = 0;
	if (s[0] == '\0') {
		snprintf(why, len, "has no port after ':'; write one, e.g. 127.0.0.1:8080");
		return PANTAU_ERR_CONFIG;
	}
	if (strnum_int(s, 1, 65535, &n) != PANTAU_OK) {
		snprintf(why, len, "has port \"%.16s\", which is not a number from 1 to 65535; "
		    "e.g. 127.0.0.1:8080", s);
		return PANTAU_ERR_CONFIG;
	}
	*port = (int)n;
	return PANTAU_OK;
}

/* A numeric address of either family into out (port not set). */
static bool
set_host(const char *host, struct listen_addr *out)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	memset(&out->ss, 0, sizeof(out->ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		out->family = v4->sin_family = AF_INET;
		out->sslen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		out->family = v6->sin6_family = AF_INET6;
		out->sslen = sizeof(*v6);
	} else {
		return false;
	}
	/* A numeric address's text fits INET6_ADDRSTRLEN. */
	return strnum_copy(out->host, sizeof(out->host), host) == PANTAU_OK;
}

/* "[v6]" or "[v6]:port": host gets the text between the brackets. */
static pantau_err
split_bracketed(const char *t, char *host, size_t hostlen, const char **port, char *why,
    size_t len)
{
	const char *close = strchr(t, ']');
	if (close == NULL) {
		snprintf(why, len, "has '[' without ']'; write an IPv6 address with a port as "
		    "[::1]:8080");
		return PANTAU_ERR_CONFIG;
	}
	size_t n = (size_t)(close - t - 1);
	if (n == 0 || n >= hostlen) {
		snprintf(why, len, "has no IPv6 address between '[' and ']'; e.g. [::1]:8080");
		return PANTAU_ERR_CONFIG;
	}
	memcpy(host, t + 1, n);
	host[n] = '\0';
	struct in6_addr a;
	if (inet_pton(AF_INET6, host, &a) != 1) {
		snprintf(why, len, "has \"%s\" in brackets, which is not an IPv6 address; brackets "
		    "are for IPv6 only, e.g. [::1]:8080 (IPv4: 127.0.0.1:8080)", host);
		return PANTAU_ERR_CONFIG;
	}
	if (close[1] != '\0' && close[1] != ':') {
		snprintf(why, len, "has \"%.16s\" after ']'; write [%s] or [%s]:8080", close + 1,
		    host, host);
		return PANTAU_ERR_CONFIG;
	}
	*port = close[1] == ':' ? close + 2 : NULL;
	return PANTAU_OK;
}

/* Split text into its address (host, "" for none) and port text (NULL for none). */
static pantau_err
split(const char *t, char *host, size_t hostlen, const char **port, char *why, size_t len)
{
	struct in6_addr a;
	const char *colon = strrchr(t, ':');
	*port = NULL;
	host[0] = '\0';
	if (t[0] == '\0')
		return PANTAU_OK;                       /* the defaults */
	if (t[0] == '[')
		return split_bracketed(t, host, hostlen, port, why, len);
	if (strspn(t, "0123456789") == strlen(t)) {
		*port = t;                              /* a port alone */
		return PANTAU_OK;
	}
	if (colon == NULL || inet_pton(AF_INET6, t, &a) == 1) {
		snprintf(host, hostlen, "%s", t);       /* an address alone */
		return PANTAU_OK;
	}
	if (memchr(t, ':', (size_t)(colon - t)) != NULL) {
		snprintf(why, len, "is not an IP address; an IPv6 address with a port goes in "
		    "brackets, e.g. [::1]:8080");
		return PANTAU_ERR_CONFIG;
	}
	size_t n = (size_t)(colon - t);
	if (n == 0) {
		snprintf(why, len, "has no address before ':'; write 127.0.0.1:8080, or the port "
		    "alone (8080)");
		return PANTAU_ERR_CONFIG;
	}
	memcpy(host, t, n);
	host[n] = '\0';
	*port = colon + 1;
	return PANTAU_OK;
}

pantau_err
listen_addr_parse(const char *text, const char *def_host, int def_port,
    struct listen_addr *out, char *why, size_t len)
{
	char host[LISTENADDR_TEXT_MAX + 1];
	const char *port_text = NULL;
	const char *t = text != NULL ? text : "";
	memset(out, 0, sizeof(*out));
	out->port = def_port;
	if (strlen(t) > LISTENADDR_TEXT_MAX) {
		snprintf(why, len, "is longer than %d characters; " WRITE_INSTEAD,
		    LISTENADDR_TEXT_MAX);
		return PANTAU_ERR_CONFIG;
	}
	pantau_err rc = split(t, host, sizeof(host), &port_text, why, len);
	if (rc != PANTAU_OK)
		return rc;
	if (port_text != NULL && (rc = port_of(port_text, &out->port, why, len)) != PANTAU_OK)
		return rc;
	if (!set_host(host[0] != '\0' ? host : def_host, out)) {
		snprintf(why, len, "is not an IP address (names are not looked up here); "
		    WRITE_INSTEAD);
		return PANTAU_ERR_CONFIG;
	}
	if (out->family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons((uint16_t)out->port);
	else
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons((uint16_t)out->port);
	return PANTAU_OK;
}

bool
listen_addr_check(const char *value, char *why, size_t len)
{
	struct listen_addr a;
	return listen_addr_parse(value, "0.0.0.0", 0, &a, why, len) == PANTAU_OK;
}

bool
listen_addr_loopback(const struct listen_addr *a)
{
	if (a->family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	const unsigned char *b = in6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
}
