#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "promtext.h"
#include "wire.h"

void
reply_error(struct reply *r, unsigned status, const char *fmt, ...)
{
	char msg[REPLY_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s}", "error", msg);
}

void
reply_ok(struct reply *r, json_t *body)
{
	r->status = MHD_HTTP_OK;
	r->body = body;
}

const char *
reply_echo(const char *in, char *buf, size_t len)
{
	size_t n = 0;
	for (; in[n] != '\0' && n < REPLY_ECHO_MAX && n + 1 < len; n++)
		buf[n] = in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?';
	buf[n] = '\0';
	if (in[n] != '\0' && n >= 3)
		memcpy(buf + n - 3, "...", 3);
	return buf;
}

void
reply_query(struct reply *r, pantau_err rc, json_t *body, const char *not_found)
{
	if (rc == PANTAU_OK)
		reply_ok(r, body);
	else if (rc == PANTAU_ERR_NOT_FOUND)
		reply_error(r, MHD_HTTP_NOT_FOUND, "%s", not_found);
	else if (rc == PANTAU_ERR_NOMEM)
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the collector ran out of memory building this reply; try again");
	else
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the collector could not read its database (%s); see its log",
		    pantau_strerror(rc));
}

bool
reply_copy(struct reply *r, const char *text, size_t len, bool gz, int64_t age_ms)
{
	if ((r->text = malloc(len + 1)) == NULL)
		return false;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->text_len = len;
	r->text_type = REPLY_JSON_TYPE;
	r->gzip = gz;
	r->status = MHD_HTTP_OK;
	r->age_ms = age_ms;
	return true;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->text_len, r->text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->text);
		return MHD_NO;
	}
	r->text = NULL;
	if (r->gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (r->age_ms >= 0) {
		char age[24];
		snprintf(age, sizeof(age), "%lld", (long long)(r->age_ms / 1000));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_AGE, age);
	}
	return httpd_send(c, r->status, resp, r->text_type != NULL ? r->text_type :
	    PROMTEXT_CONTENT_TYPE, "no-store");
}

static enum MHD_Result
send_file(struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_fd64(r->file.size, r->file.fd);
	if (resp == NULL) {
		close(r->file.fd);
		return MHD_NO;
	}
	r->file.fd = -1;
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	return httpd_send(c, r->status, resp, r->file.type, "no-cache");
}

enum MHD_Result
reply_send(struct MHD_Connection *c, struct reply *r)
{
	static const char oom[] = "{\"error\":\"the collector ran out of memory building this "
	                          "reply; try again\"}";
	struct MHD_Response *resp;
	if (r->text != NULL)
		return send_text(c, r);
	if (r->file.fd >= 0)
		return send_file(c, r);
	char *text = r->body != NULL ? json_dumps(r->body, WIRE_JSON_FLAGS) : NULL;
	json_decref(r->body);
	r->body = NULL;
	if (text != NULL) {
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	} else {
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	if (r->allow != REPLY_ALLOW_NONE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    r->allow == REPLY_ALLOW_DELETE ? "DELETE" : "GET, HEAD");
	if (r->challenge != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->challenge);
	if (r->retry_after_s > 0) {
		char after[16];
		snprintf(after, sizeof(after), "%d", r->retry_after_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, after);
	}
	return httpd_send(c, r->status, resp, REPLY_JSON_TYPE, "no-store");
}
