/* Decoding one probe result by its kind's entry in the result kinds' table
 * (common/resultkind.h): presence, type and bounds of every field, then
 * what depends on other fields. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"
#include "wire_check.h"

/* Allowed rounding between loss_pct and sent/recv, in percent points. */
#define LOSS_TOLERANCE 0.05
#define PATH_MAX_LEN 64

/* What one result's decoding carries along. */
struct dctx {
	struct wire_result *r;
	struct wire_error *err;
	double loss;          /* the RK_F_LOSS field, NAN absent */
	double sent, recv;    /* the RK_F_SENT and RK_F_RECV fields, NAN absent */
};

void
wire_result_init(struct wire_result *r, const struct resultkind *k, const char *probe,
    const char *target)
{
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->probe = probe;
	r->target = target;
	r->ok = -1;
	for (int i = 0; i < RK_COL_COUNT; i++)
		r->col[i] = NAN;
	for (int i = 0; i < RK_JUDGE_COUNT; i++)
		r->fig[i] = NAN;
}

/* Keep a field's figure where the store and the status engine look. */
static void
keep(struct wire_result *r, const struct rk_field *f, double v)
{
	if (r->kind->store == RK_STORE_COLUMNS && f->column != RK_COL_NONE)
		r->col[f->column] = v;
	if (f->judge != RK_JUDGE_NONE && f->judge != RK_JUDGE_TALLY)
		r->fig[f->judge] = v;
}

void
wire_result_set(struct wire_result *r, const char *path, double v)
{
	const struct rk_field *f = rk_field(r->kind, path);
	if (f == NULL)
		return;
	if (f->type == RK_BOOL && strcmp(f->name, "ok") == 0)
		r->ok = isnan(v) ? -1 : v != 0;
	else
		keep(r, f, v);
}

static bool decode_fields(struct dctx *c, const json_t *o, const char *path,
    const struct rk_field *f, size_t n);

/* min <= p50 <= p95 <= max and min <= avg <= max, of the members present. */
static bool
check_quantiles(struct dctx *c, const json_t *o, const char *path)
{
	static const char *const chain[] = { "min", "p50", "p95", "max" };
	double prev = -INFINITY, v[4];
	for (int i = 0; i < 4; i++) {
		const json_t *x = json_object_get(o, chain[i]);
		v[i] = json_is_number(x) ? json_number_value(x) : NAN;
		if (!isnan(v[i]) && v[i] < prev)
			goto bad;
		if (!isnan(v[i]))
			prev = v[i];
	}
	const json_t *a = json_object_get(o, "avg");
	double avg = json_is_number(a) ? json_number_value(a) : NAN;
	if (isnan(avg) || ((isnan(v[0]) || v[0] <= avg) && (isnan(v[3]) || avg <= v[3])))
		return true;
bad:
	return wire_fail(c->err, WIRE_REJ_INCONSISTENT,
	    "%s: must satisfy min <= p50 <= p95 <= max and min <= avg <= max", path);
}

/* The decoders of a field's value v, already of its JSON type (decode_typed). */
typedef bool (*value_fn)(struct dctx *c, const json_t *v, const char *path,
    const struct rk_field *f);

static bool
decode_object(struct dctx *c, const json_t *v, const char *path, const struct rk_field *f)
{
	char sub[PATH_MAX_LEN];
	snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
	if (!decode_fields(c, v, sub, f->members, f->nmembers))
		return false;
	return !(f->flags & RK_F_QUANTILES) || check_quantiles(c, v, sub);
}

/* An element of an RK_F_HOPS array: a small train, its members needed
 * when it got answers, its ttl above the one before (*ttl). */
static bool
check_hop(struct dctx *c, const json_t *e, const char *path, const struct rk_field *f,
    int64_t *ttl)
{
	json_int_t sent = json_integer_value(json_object_get(e, "sent"));
	json_int_t recv = json_integer_value(json_object_get(e, "recv"));
	json_int_t t = json_integer_value(json_object_get(e, "ttl"));
	if (t <= *ttl)
		return wire_fail(c->err, WIRE_REJ_INCONSISTENT,
		    "%s.ttl: %lld does not follow %lld (hops are in TTL order)", path,
		    (long long)t, (long long)*ttl);
	*ttl = t;
	if (recv > sent)
		return wire_fail(c->err, WIRE_REJ_INCONSISTENT, "%s: recv %lld exceeds sent %lld",
		    path, (long long)recv, (long long)sent);
	if (sent > 0 && fabs((double)(sent - recv) * 100.0 / (double)sent - c->loss) >
	                    LOSS_TOLERANCE)
		return wire_fail(c->err, WIRE_REJ_INCONSISTENT,
		    "%s.loss_pct: %g does not match sent %lld and recv %lld", path, c->loss,
		    (long long)sent, (long long)recv);
	for (size_t i = 0; recv > 0 && i < f->nmembers; i++)
		if (f->members[i].need == RK_IF_RECV &&
		    json_object_get(e, f->members[i].name) == NULL)
			return wire_fail(c->err, WIRE_REJ_MISSING_FIELD, "%s.%s: required when recv > 0",
			    path, f->members[i].name);
	return true;
}

/* An array of objects, each checked by the members. */
static bool
decode_array(struct dctx *c, const json_t *v, const char *path, const struct rk_field *f)
{
	char sub[PATH_MAX_LEN];
	bool ok = true;
	size_t n = json_array_size(v);
	if ((double)n < f->min || (double)n > f->max)
		return wire_fail(c->err, WIRE_REJ_BAD_NUMBER, "%s.%s: %zu elements is outside %g..%g",
		    path, f->name, n, f->min, f->max);
	double loss = c->loss;
	int64_t ttl = 0;
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *e = json_array_get(v, i);
		snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, f->name, i);
		if (!json_is_object(e))
			ok = wire_fail(c->err, WIRE_REJ_WRONG_TYPE, "%s: expected an object", sub);
		else
			ok = decode_fields(c, e, sub, f->members, f->nmembers) &&
			    (!(f->flags & RK_F_HOPS) || check_hop(c, e, sub, f, &ttl));
	}
	c->loss = loss;
	return ok;
}

/* A string of f->min characters at least; RK_F_HEX: lowercase hexadecimal. */
static bool
check_text(struct dctx *c, const char *path, const struct rk_field *f, const char *s)
{
	size_t len = strlen(s);
	if ((double)len < f->min)
		return wire_fail(c->err, WIRE_REJ_BAD_TEXT, "%s.%s: must be %g to %g characters",
		    path, f->name, f->min, f->max);
	if (f->flags & RK_F_HEX)
		for (size_t i = 0; i < len; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
				return wire_fail(c->err, WIRE_REJ_BAD_TEXT,
				    "%s.%s: must be lowercase hexadecimal digits", path, f->name);
	return true;
}

/* loss_pct: a number within 0..100 (loss_out_of_range). */
static bool
decode_loss(struct dctx *c, const json_t *v, const char *path, const struct rk_field *f)
{
	double loss = json_number_value(v);
	if (!isfinite(loss) || loss < f->min || loss > f->max)
		return wire_fail(c->err, WIRE_REJ_LOSS_RANGE, "%s.%s: %g is not within %g..%g",
		    path, f->name, loss, f->min, f->max);
	c->loss = loss;
	keep(c->r, f, loss);
	return true;
}

/* f's member of o, when it is there and of types, through fn. */
static bool
decode_typed(struct dctx *c, const json_t *o, const char *path, const struct rk_field *f,
    unsigned types, const char *what, value_fn fn)
{
	bool ok;
	const json_t *v = wire_typed(o, path, f->name, f->need == RK_REQUIRED, types, what, &ok,
	    c->err);
	return v == NULL ? ok : fn(c, v, path, f);
}

static bool
decode_field(struct dctx *c, const json_t *o, const char *path, const struct rk_field *f)
{
	bool req = f->need == RK_REQUIRED;
	int64_t i;
	double d;
	int b;
	const char *s;
	switch (f->type) {
	case RK_INT:
		if (!wire_get_int(o, path, f->name, req, (int64_t)f->min, (int64_t)f->max, &i,
		        c->err))
			return false;
		if (json_object_get(o, f->name) == NULL)
			return true;
		keep(c->r, f, (double)i);
		if ((f->flags & RK_F_SENT) && o == c->r->obj)
			c->sent = (double)i;
		if ((f->flags & RK_F_RECV) && o == c->r->obj)
			c->recv = (double)i;
		return true;
	case RK_NUM:
		if (f->flags & RK_F_LOSS)
			return decode_typed(c, o, path, f, WIRE_T_NUMBER, "a number", decode_loss);
		if (!wire_get_num(o, path, f->name, req, f->min, f->max, &d, c->err))
			return false;
		if (!isnan(d))
			keep(c->r, f, d);
		return true;
	case RK_BOOL:
		if (!wire_get_bool(o, path, f->name, req, &b, c->err))
			return false;
		if (strcmp(f->name, "ok") == 0 && o == c->r->obj)
			c->r->ok = b;
		return true;
	case RK_STR:
		if (!wire_get_str(o, path, f->name, req, (size_t)f->max, &s, c->err))
			return false;
		if (s != NULL && !check_text(c, path, f, s))
			return false;
		if (strcmp(f->name, "error") == 0 && o == c->r->obj)
			c->r->error = s;
		return true;
	case RK_OBJ:
		return decode_typed(c, o, path, f, WIRE_T_OBJECT, "an object", decode_object);
	case RK_ARR:
		return decode_typed(c, o, path, f, WIRE_T_ARRAY, "an array", decode_array);
	}
	return true;
}

static bool
decode_fields(struct dctx *c, const json_t *o, const char *path, const struct rk_field *f,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!decode_field(c, o, path, &f[i]))
			return false;
	return true;
}

/* Fields that must be there because of others (ok, sent, recv). */
static bool
check_needs(struct dctx *c, const char *path)
{
	const struct resultkind *k = c->r->kind;
	double sent = c->sent, recv = c->recv;
	for (size_t i = 0; i < k->nfields; i++) {
		const struct rk_field *f = &k->fields[i];
		const char *when = NULL;
		if (json_object_get(c->r->obj, f->name) != NULL)
			continue;
		if (f->need == RK_IF_OK && c->r->ok == 1)
			when = "required when ok is true";
		else if (f->need == RK_IF_FAILED && c->r->ok == 0)
			when = "required when ok is false";
		else if (f->need == RK_IF_RECV && recv > 0)
			when = "required when recv > 0";
		else if (f->need == RK_IF_NONE_SENT && sent == 0)
			when = "required when nothing was sent";
		if (when != NULL)
			return wire_fail(c->err, WIRE_REJ_MISSING_FIELD, "%s.%s: %s", path, f->name,
			    when);
	}
	return true;
}

/* A packet train: recv <= sent, and loss_pct as sent and recv say. */
static bool
check_train(struct dctx *c, const char *path)
{
	double sent = c->sent, recv = c->recv;
	if (isnan(sent) || isnan(recv))
		return true;
	if (recv > sent)
		return wire_fail(c->err, WIRE_REJ_INCONSISTENT, "%s: recv %lld exceeds sent %lld",
		    path, (long long)recv, (long long)sent);
	if (sent > 0 && !isnan(c->loss)) {
		double want = (sent - recv) * 100.0 / sent;
		if (fabs(want - c->loss) > LOSS_TOLERANCE)
			return wire_fail(c->err, WIRE_REJ_INCONSISTENT,
			    "%s.loss_pct: %g does not match sent %lld and recv %lld", path, c->loss,
			    (long long)sent, (long long)recv);
	}
	return true;
}

/* The common fields (probe, target: rk_common_fields' order) and an
 * optional error. */
static bool
decode_common(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	const char *v[2] = { NULL, NULL };
	for (size_t i = 0; i < rk_ncommon_fields && i < 2; i++) {
		const struct rk_field *f = &rk_common_fields[i];
		if (!wire_get_str(o, path, f->name, f->need == RK_REQUIRED, (size_t)f->max, &v[i],
		        err))
			return false;
	}
	r->probe = v[0];
	r->target = v[1];
	return wire_get_str(o, path, "error", false, WIRE_TEXT_MAX, &r->error, err);
}

bool
wire_result_decode(const json_t *o, size_t i, struct wire_result *r, struct wire_error *err)
{
	char path[32];
	snprintf(path, sizeof(path), "results[%zu]", i);
	wire_result_init(r, NULL, NULL, NULL);
	r->obj = o;
	if (!json_is_object(o))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "%s: expected an object", path);
	if (!decode_common(o, path, r, err))
		return false;
	r->kind = rk_find(r->probe);
	if (r->kind == NULL) /* a kind from a newer agent: kept, its common fields checked */
		return wire_get_bool(o, path, "ok", false, &r->ok, err);
	struct dctx c = { r, err, NAN, NAN, NAN };
	return decode_fields(&c, o, path, r->kind->fields, r->kind->nfields) &&
	    check_needs(&c, path) && check_train(&c, path);
}
