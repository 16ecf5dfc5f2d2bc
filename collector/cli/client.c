#include "client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct sink {
	struct client_reply *r;
	size_t cap;
	bool too_big;
};

static size_t
on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t add = size * n;
	if (add > CLIENT_MAX_BODY - s->r->len) {
		s->too_big = true;
		return 0;   /* curl stops with CURLE_WRITE_ERROR */
	}
	char *body = grow_to(s->r->body, &s->cap, s->r->len + add + 1, 1, 16384);
	if (body == NULL)
		return 0;
	s->r->body = body;
	memcpy(s->r->body + s->r->len, data, add);
	s->r->len += add;
	s->r->body[s->r->len] = '\0';
	return add;
}

static pantau_err
perform(const struct client_target *t, const char *url, struct sink *s, char *why,
    size_t whylen)
{
	char err[CURL_ERROR_SIZE] = "", auth[CLIENT_AUTH_MAX];
	pantau_err rc = PANTAU_OK;
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	if (t->token != NULL && t->token[0] != '\0' && hdr != NULL) {
		if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t->token) >=
		    (int)sizeof(auth) || strpbrk(t->token, "\r\n") != NULL) {
			snprintf(why, whylen, "the token is not one pantau token made; check --token or "
			    "PANTAU_TOKEN");
			curl_slist_free_all(hdr);
			return PANTAU_ERR_INVAL;
		}
		struct curl_slist *more = curl_slist_append(hdr, auth);
		explicit_bzero(auth, sizeof(auth));
		if (more == NULL) {
			curl_slist_free_all(hdr);
			hdr = NULL;
		}
	}
	CURL *c = curl_easy_init();
	if (c == NULL || hdr == NULL) {
		snprintf(why, whylen, "out of memory");
		rc = PANTAU_ERR_NOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pantau/" PANTAU_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CLIENT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (t->cacert != NULL && t->cacert[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, t->cacert);
	CURLcode cc = curl_easy_perform(c);
	if (s->too_big) {
		snprintf(why, whylen, "the reply is larger than %d MiB", CLIENT_MAX_BODY >> 20);
		rc = PANTAU_ERR_TOO_BIG;
	} else if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s", err[0] != '\0' ? err : curl_easy_strerror(cc));
		rc = PANTAU_ERR_NET;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->r->status);
	}
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return rc;
}

pantau_err
client_get(const struct client_target *t, const char *path, struct client_reply *r,
    char *why, size_t whylen)
{
	char url[CLIENT_URL_MAX];
	struct sink s = { .r = r };
	const char *base = t->url;
	size_t n = strlen(base);
	memset(r, 0, sizeof(*r));
	if (n > 0 && base[n - 1] == '/')
		n--;
	int k = snprintf(url, sizeof(url), "%.*s%s", (int)n, base, path);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		snprintf(why, whylen, "the URL is longer than %d characters", CLIENT_URL_MAX - 1);
		return PANTAU_ERR_TOO_BIG;
	}
	pantau_err rc = perform(t, url, &s, why, whylen);
	if (rc == PANTAU_OK) {
		json_error_t e;
		r->json = r->body != NULL ? json_loadb(r->body, r->len, 0, &e) : NULL;
		if (r->json == NULL) {
			snprintf(why, whylen, "the reply (HTTP %ld) is not JSON", r->status);
			rc = PANTAU_ERR_PARSE;
		}
	}
	if (rc != PANTAU_OK)
		client_reply_clear(r);
	return rc;
}

void
client_reply_clear(struct client_reply *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

pantau_err
client_fetch(const struct client_target *t, const char *path, struct client_reply *r,
    char *why, size_t whylen)
{
	char err[CURL_ERROR_SIZE + 128];
	const char *base = t->url;
	pantau_err rc = client_get(t, path, r, err, sizeof(err));
	if (rc == PANTAU_ERR_INVAL) {
		snprintf(why, whylen, "%s", err);
		return rc;
	}
	if (rc == PANTAU_ERR_NET) {
		snprintf(why, whylen, "cannot reach the collector at %s: %s. Is pantau-collector "
		    "running? Set --url or PANTAU_URL.", base, err);
		return rc;
	}
	if (rc != PANTAU_OK) {
		snprintf(why, whylen, "%s answered, but %s; is that a pantau collector? Set --url "
		    "or PANTAU_URL.", base, err);
		return rc;
	}
	if (r->status == 200)
		return PANTAU_OK;
	const char *msg = json_string_value(json_object_get(r->json, "error"));
	if (r->status == 401 && (t->token == NULL || t->token[0] == '\0'))
		snprintf(why, whylen, "%s; give pantau a token with --token or PANTAU_TOKEN (the "
		    "collector's operator makes one with pantau token new --role read)",
		    msg != NULL ? msg : "the collector asks for a token");
	else if (msg != NULL)
		snprintf(why, whylen, "%s", msg);
	else
		snprintf(why, whylen, "the collector at %s answered HTTP %ld", base, r->status);
	client_reply_clear(r);
	return PANTAU_ERR_NOT_FOUND;
}
