#include "httpsc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONNECT_MS 10000
#define IO_TIMEOUT_S 30

int
httpsc_parse_url(const char *url, struct httpsc_url *u)
{
	const char *p;
	memset(u, 0, sizeof(*u));
	if (strncmp(url, "https://", 8) == 0) {
		u->tls = 1;
		p = url + 8;
	} else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return 0;
	size_t hl;
	const char *after;
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (end == NULL)
			return 0;
		hl = (size_t)(end - p - 1);
		p++;
		after = end + 1;
	} else {
		hl = strcspn(p, ":/");
		after = p + hl;
	}
	if (hl == 0 || hl >= sizeof(u->host))
		return 0;
	memcpy(u->host, p, hl);
	const char *port = u->tls ? "443" : "80";
	size_t pl = 0;
	if (*after == ':') {
		port = after + 1;
		pl = strspn(port, "0123456789");
		if (pl == 0 || pl >= sizeof(u->port) || (port[pl] != '\0' && port[pl] != '/'))
			return 0;
	} else if (*after != '\0' && *after != '/')
		return 0;
	snprintf(u->port, sizeof(u->port), "%.*s", pl > 0 ? (int)pl : (int)strlen(port), port);
	if (!u->tls && strcmp(u->host, "127.0.0.1") != 0 && strcmp(u->host, "::1") != 0 &&
	    strcmp(u->host, "localhost") != 0)
		return 0;
	return 1;
}

/* A connected socket with I/O deadlines, or -1. */
static int
dial(const struct httpsc_url *u, pantau_err *rc, char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int g = getaddrinfo(u->host, u->port, &hints, &res);
	if (g != 0) {
		snprintf(why, len, "%s", gai_strerror(g));
		*rc = PANTAU_ERR_NOT_FOUND;
		return -1;
	}
	int fd = -1, err = ETIMEDOUT;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EINPROGRESS) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			socklen_t sl = sizeof(err);
			err = poll(&pf, 1, CONNECT_MS) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &sl) == 0 ? err : ETIMEDOUT;
		} else
			err = errno == 0 || errno == EISCONN ? 0 : errno;
		if (err != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, len, "%s", strerror(err));
		*rc = PANTAU_ERR_NET;
		return -1;
	}
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
tls_why(SSL *ssl, char *why, size_t len)
{
	long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	if (v != X509_V_OK)
		snprintf(why, len, "%s", X509_verify_cert_error_string(v));
	else if (e != 0)
		ERR_error_string_n(e, why, len);
	else
		snprintf(why, len, "the handshake failed");
	ERR_clear_error();
}

static SSL *
handshake(SSL_CTX **ctx, int fd, const struct httpsc_url *u, const char *cacert, char *why,
    size_t len)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, u->host, ip) == 1 || inet_pton(AF_INET6, u->host, ip) == 1;
	SSL *ssl = NULL;
	*ctx = SSL_CTX_new(TLS_client_method());
	if (*ctx == NULL)
		goto fail;
	SSL_CTX_set_verify(*ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(*ctx, TLS1_2_VERSION);
	if ((cacert != NULL && cacert[0] != '\0') ?
	    SSL_CTX_load_verify_locations(*ctx, cacert, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(*ctx) != 1) {
		snprintf(why, len, "cannot read the CA file %s", cacert != NULL ? cacert : "");
		ERR_clear_error();
		return NULL;
	}
	if ((ssl = SSL_new(*ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, u->host) != 1 :
	    (SSL_set_tlsext_host_name(ssl, u->host) != 1 || SSL_set1_host(ssl, u->host) != 1))
		goto fail;
	if (SSL_connect(ssl) == 1)
		return ssl;
fail:
	tls_why(ssl, why, len);
	SSL_free(ssl);
	return NULL;
}

static bool
send_all(SSL *ssl, int fd, const char *data, size_t n)
{
	while (n > 0) {
		ssize_t w = ssl != NULL ? SSL_write(ssl, data, (int)n) : write(fd, data, n);
		if (w <= 0)
			return false;
		data += w;
		n -= (size_t)w;
	}
	return true;
}

pantau_err
httpsc_parse_reply(char *buf, size_t n, struct httpsc_reply *r, char *why, size_t len)
{
	buf[n] = '\0';
	char *head_end = strstr(buf, "\r\n\r\n");
	int status = 0;
	if (head_end == NULL || sscanf(buf, "HTTP/1.%*c %3d", &status) != 1 || status < 100) {
		snprintf(why, len, "the collector's answer is not HTTP (%zu bytes)", n);
		free(buf);
		return PANTAU_ERR_PARSE;
	}
	r->status = status;
	r->len = n - (size_t)(head_end + 4 - buf);
	memmove(buf, head_end + 4, r->len + 1);
	r->body = buf;
	return PANTAU_OK;
}

/* Read until the server closes (Connection: close) into r. */
static pantau_err
read_reply(SSL *ssl, int fd, struct httpsc_reply *r, char *why, size_t len)
{
	char *buf = malloc(HTTPSC_REPLY_MAX + 1);
	size_t n = 0;
	if (buf == NULL)
		return PANTAU_ERR_NOMEM;
	for (;;) {
		ssize_t got = ssl != NULL ? SSL_read(ssl, buf + n, (int)(HTTPSC_REPLY_MAX - n)) :
		    read(fd, buf + n, HTTPSC_REPLY_MAX - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == HTTPSC_REPLY_MAX)
			break;
	}
	return httpsc_parse_reply(buf, n, r, why, len);
}

pantau_err
httpsc_post(const struct httpsc_url *u, const char *cacert, const char *path,
    const char *body, struct httpsc_reply *r, char *why, size_t len)
{
	char head[512];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	pantau_err rc = PANTAU_ERR_NET;
	memset(r, 0, sizeof(*r));
	int fd = dial(u, &rc, why, len);
	if (fd < 0)
		return rc;
	if (u->tls && (ssl = handshake(&ctx, fd, u, cacert, why, len)) == NULL) {
		rc = PANTAU_ERR_UNSUPPORTED;
		goto out;
	}
	bool v6 = strchr(u->host, ':') != NULL;
	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "User-Agent: pantau-agent/" PANTAU_VERSION "\r\n\r\n", path, v6 ? "[" : "", u->host,
	    v6 ? "]" : "", u->port, strlen(body));
	if (!send_all(ssl, fd, head, strlen(head)) || !send_all(ssl, fd, body, strlen(body))) {
		snprintf(why, len, "the connection broke while sending: %s", strerror(errno));
		goto out;
	}
	rc = read_reply(ssl, fd, r, why, len);
out:
	if (ssl != NULL)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}

void
httpsc_reply_free(struct httpsc_reply *r)
{
	free(r->body);
	r->body = NULL;
}
