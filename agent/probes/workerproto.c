#include "agent/probes/workerproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "wire.h"

#define PARAM_TEXT_MAX 160

static json_t *
params_json(const struct probe_def *def)
{
	const struct probe_spec *spec = def->spec;
	char text[PARAM_TEXT_MAX];
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && i < spec->nkeys; i++) {
		if (cfg_format(&spec->keys[i], def->params, text, sizeof(text)) != PANTAU_OK ||
		    json_object_set_new(o, spec->keys[i].name, json_string(text)) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

char *
workerproto_request(const struct probe_def *def, const struct workerproto_budget *b)
{
	json_t *params = params_json(def);
	if (params == NULL)
		return NULL;
	json_t *req = json_pack("{s:s,s:s,s:s,s:i,s:o,s:{s:I,s:I}}", "kind", def->spec->kind,
	    "name", def->name, "target", def->target, "timeout_ms", def->timeout_ms,
	    "params", params, "budget", "limit_bytes", (json_int_t)b->limit_bytes,
	    "used_bytes", (json_int_t)b->used_bytes);
	char *text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	return text;
}

static bool
key_known(const struct probe_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nkeys; i++)
		if (strcmp(spec->keys[i].name, name) == 0)
			return true;
	return false;
}

/* The params object as an INI section, applied with the kind's key table. */
static bool
params_apply(const json_t *params, struct probe_def *def, char *why, size_t wlen)
{
	const struct probe_spec *spec = def->spec;
	const char *key;
	json_t *v;
	struct cfg_file *f = NULL;
	size_t cap = 32 + json_object_size(params) * (PARAM_TEXT_MAX + 64);
	char *ini = malloc(cap);
	if (ini == NULL) {
		snprintf(why, wlen, "out of memory");
		return false;
	}
	size_t n = (size_t)snprintf(ini, cap, "[w]\n");
	bool ok = true;
	json_object_foreach((json_t *)params, key, v) {
		const char *s = json_string_value(v);
		if (!key_known(spec, key) || s == NULL || strlen(s) >= PARAM_TEXT_MAX ||
		    strpbrk(s, "\r\n") != NULL) {
			snprintf(why, wlen, "parameter %s: unknown to %s or not a one-line string",
			    key, spec->kind);
			ok = false;
			break;
		}
		n += (size_t)snprintf(ini + n, cap - n, "%s = %s\n", key, s);
	}
	cfg_apply_defaults(spec->keys, spec->nkeys, def->params);
	if (ok && cfg_file_read_string("request", ini, &f) != PANTAU_OK) {
		snprintf(why, wlen, "out of memory");
		ok = false;
	}
	if (ok) {
		cfg_apply(f, "w", spec->keys, spec->nkeys, def->params);
		if (f->nerrors > 0) {
			snprintf(why, wlen, "%s", f->errors[0]);
			ok = false;
		}
	}
	cfg_file_free(f);
	free(ini);
	return ok;
}

static bool
copy_str(const json_t *req, const char *name, char *dst, size_t cap, char *why, size_t wlen)
{
	const char *s = json_string_value(json_object_get(req, name));
	if (s == NULL || s[0] == '\0' || strlen(s) >= cap) {
		snprintf(why, wlen, "\"%s\" is missing or not a string of 1-%zu bytes", name,
		    cap - 1);
		return false;
	}
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool
request_fields(const json_t *req, const struct probe_kind *kinds, struct probe_def *def,
    struct workerproto_budget *b, char *why, size_t wlen)
{
	const char *kind = json_string_value(json_object_get(req, "kind"));
	const json_t *budget = json_object_get(req, "budget");
	const json_t *tmo = json_object_get(req, "timeout_ms");
	const struct probe_kind *k = kind != NULL ? probe_kind_in(kinds, kind) : NULL;
	if (k == NULL || !k->spec->in_worker) {
		snprintf(why, wlen, "\"kind\" is not a kind the probe worker measures");
		return false;
	}
	def->spec = k->spec;
	def->exec = k->exec;
	if (!copy_str(req, "name", def->name, sizeof(def->name), why, wlen) ||
	    !copy_str(req, "target", def->target, sizeof(def->target), why, wlen))
		return false;
	if (!json_is_integer(tmo) || json_integer_value(tmo) < 1 ||
	    json_integer_value(tmo) > 86400000) {
		snprintf(why, wlen, "\"timeout_ms\" is missing or not 1-86400000");
		return false;
	}
	def->timeout_ms = (int)json_integer_value(tmo);
	if (json_unpack((json_t *)budget, "{s:I,s:I}", "limit_bytes", &b->limit_bytes,
	        "used_bytes", &b->used_bytes) != 0 || b->limit_bytes < 0 || b->used_bytes < 0) {
		snprintf(why, wlen, "\"budget\" is missing or not {limit_bytes, used_bytes}");
		return false;
	}
	return true;
}

pantau_err
workerproto_request_parse(const char *text, size_t len, const struct probe_kind *kinds,
    struct probe_def *def, struct workerproto_budget *b, char *why, size_t wlen)
{
	json_error_t err;
	pantau_err rc = PANTAU_ERR_PARSE;
	memset(def, 0, sizeof(*def));
	memset(b, 0, sizeof(*b));
	json_t *req = json_loadb(text, len, 0, &err);
	if (!json_is_object(req)) {
		snprintf(why, wlen, "the request is not a JSON object: %s", req == NULL ? err.text :
		    "another JSON value");
		goto out;
	}
	if (!request_fields(req, kinds, def, b, why, wlen))
		goto out;
	def->params = calloc(1, def->spec->params_size > 0 ? def->spec->params_size : 1);
	if (def->params == NULL) {
		snprintf(why, wlen, "out of memory");
		rc = PANTAU_ERR_NOMEM;
		goto out;
	}
	const json_t *params = json_object_get(req, "params");
	if (!json_is_object(params)) {
		snprintf(why, wlen, "\"params\" is missing or not an object");
		goto out;
	}
	if (!params_apply(params, def, why, wlen))
		goto out;
	if (def->spec->check != NULL && !def->spec->check(def, why, wlen))
		goto out;
	rc = PANTAU_OK;
out:
	json_decref(req);
	return rc;
}

static bool
reply_valid(const struct probe_def *def, const json_t *reply, char *why, size_t wlen)
{
	const json_t *r = json_object_get(reply, "result");
	const char *probe = json_string_value(json_object_get(r, "probe"));
	const char *target = json_string_value(json_object_get(r, "target"));
	if (probe == NULL || strcmp(probe, def->spec->kind) != 0 || target == NULL ||
	    strcmp(target, def->target) != 0) {
		snprintf(why, wlen, "probe worker printed no valid result: no \"result\" of this "
		    "%s probe", def->spec->kind);
		return false;
	}
	return true;
}

static int64_t
int_or(const json_t *o, const char *name, int64_t dflt)
{
	const json_t *v = json_object_get(o, name);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : dflt;
}

json_t *
workerproto_reply_parse(const struct probe_def *def, const char *out, size_t len,
    int64_t exit_status, int term_signal, struct workerproto_stats *st)
{
	char why[WIRE_TEXT_MAX];
	json_error_t err;
	json_t *reply = NULL, *result = NULL;
	*st = (struct workerproto_stats){ .spent_bytes = 0, .maxrss_kb = -1, .cpu_ms = -1 };
	if (term_signal != 0) {
		snprintf(why, sizeof(why), "probe worker exited with signal %d (%s)", term_signal,
		    strsignal(term_signal));
		goto fail;
	}
	if (exit_status != 0) {
		snprintf(why, sizeof(why), "probe worker exited with status %lld (its reason is "
		    "in the agent's log)", (long long)exit_status);
		goto fail;
	}
	reply = json_loadb(out, len, 0, &err);
	if (!json_is_object(reply)) {
		snprintf(why, sizeof(why), "probe worker printed no valid result: %s",
		    reply == NULL ? (len == 0 ? "nothing at all" : err.text) : "not an object");
		goto fail;
	}
	if (!reply_valid(def, reply, why, sizeof(why)))
		goto fail;
	st->spent_bytes = int_or(reply, "spent_bytes", 0);
	st->maxrss_kb = int_or(reply, "maxrss_kb", -1);
	st->cpu_ms = int_or(reply, "cpu_ms", -1);
	result = json_incref(json_object_get(reply, "result"));
	json_decref(reply);
	return result;
fail:
	json_decref(reply);
	return probe_failure_result(def, why);
}

char *
workerproto_reply(const json_t *result, const struct workerproto_stats *st)
{
	json_t *reply = json_pack("{s:O,s:I,s:I,s:I}", "result", result, "spent_bytes",
	    (json_int_t)st->spent_bytes, "maxrss_kb", (json_int_t)st->maxrss_kb, "cpu_ms",
	    (json_int_t)st->cpu_ms);
	char *text = reply != NULL ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	return text;
}
