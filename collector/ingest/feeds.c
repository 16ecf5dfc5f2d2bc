#include "feeds.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

struct feeds {
	struct mqttc *main, *side;     /* side: NULL without split */
	bool split;
	int subacks_main, subacks_side; /* SUBACKs on the current connections */
	struct ingest *ingest;
	struct feeds_callbacks cb;
};

static const char *const subs_all[] = { WIRE_TOPIC_ALL, NULL };
static const char *const subs_main[] = { WIRE_TOPIC_RESULTS, NULL };
static const char *const subs_side[] = { WIRE_TOPIC_STATUSES, WIRE_TOPIC_REPLIES, NULL };

static const char *const *
subs_of(const struct feeds *f, bool side)
{
	return side ? subs_side : f->split ? subs_main : subs_all;
}

static int
nsubs(const char *const *subs)
{
	int n = 0;
	while (subs[n] != NULL)
		n++;
	return n;
}

static void
update_subscribed(struct feeds *f)
{
	bool main_ok = f->subacks_main >= nsubs(subs_of(f, false));
	bool side_ok = f->side == NULL || f->subacks_side >= nsubs(subs_side);
	ingest_set_subscribed(f->ingest, main_ok && side_ok);
}

static void
subscribe_all(struct feeds *f, bool side)
{
	int mid;
	for (const char *const *t = subs_of(f, side); *t != NULL; t++)
		if (mqttc_subscribe(side ? f->side : f->main, *t, 1, &mid) != PANTAU_OK)
			log_warnx("collector: cannot subscribe to %s", *t);
}

static void
on_connect_main(void *ctx)
{
	struct feeds *f = ctx;
	f->subacks_main = 0;
	update_subscribed(f);
	f->cb.on_connect(f->cb.ctx);
	subscribe_all(f, false);
}

static void
on_connect_side(void *ctx)
{
	struct feeds *f = ctx;
	log_info("collector: status connection to the broker at %s:%d", mqttc_host(f->side),
	    mqttc_port(f->side));
	f->subacks_side = 0;
	update_subscribed(f);
	subscribe_all(f, true);
}

static void
on_subscribe_main(void *ctx, int mid, int granted_qos)
{
	struct feeds *f = ctx;
	(void)mid;
	(void)granted_qos;
	f->subacks_main++;
	update_subscribed(f);
}

static void
on_subscribe_side(void *ctx, int mid, int granted_qos)
{
	struct feeds *f = ctx;
	(void)mid;
	(void)granted_qos;
	f->subacks_side++;
	update_subscribed(f);
}

static void
on_fail_main(void *ctx, enum mqttc_fail why, const char *text)
{
	struct feeds *f = ctx;
	f->subacks_main = 0;
	update_subscribed(f);
	f->cb.on_fail(f->cb.ctx, why, text);
}

static void
on_fail_side(void *ctx, enum mqttc_fail why, const char *text)
{
	struct feeds *f = ctx;
	(void)why;
	f->subacks_side = 0;
	update_subscribed(f);
	log_warnx("collector: status connection, broker %s:%d: %s", mqttc_host(f->side),
	    mqttc_port(f->side), text);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct feeds *f = ctx;
	f->cb.on_message(f->cb.ctx, m);
}

static struct mqttc *
connection(struct feeds *f, uv_loop_t *loop, const struct mqttc_opts *opts, bool side)
{
	struct mqttc_opts mo = *opts;
	char id[160];
	struct mqttc_callbacks cb = { .on_connect = side ? on_connect_side : on_connect_main,
		.on_fail = side ? on_fail_side : on_fail_main, .on_message = on_message,
		.on_subscribe = side ? on_subscribe_side : on_subscribe_main };
	snprintf(id, sizeof(id), "%s%s", opts->client_id != NULL ? opts->client_id : "",
	    side ? "-status" : "");
	mo.client_id = id;
	mo.clean_session = false;
	mo.max_inflight = 1000;
	struct mqttc *m = mqttc_new(loop, &mo, &cb, f);
	if (m != NULL && mqttc_start(m) != PANTAU_OK) {
		mqttc_free(m);
		m = NULL;
	}
	return m;
}

struct feeds *
feeds_new(uv_loop_t *loop, const struct mqttc_opts *opts, bool split, struct ingest *in,
    const struct feeds_callbacks *cb)
{
	struct feeds *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->split = split;
	f->ingest = in;
	f->cb = *cb;
	f->main = connection(f, loop, opts, false);
	if (f->main != NULL && split)
		f->side = connection(f, loop, opts, true);
	if (f->main == NULL || (split && f->side == NULL)) {
		feeds_free(f);
		return NULL;
	}
	return f;
}

void
feeds_free(struct feeds *f)
{
	if (f == NULL)
		return;
	mqttc_free(f->main);
	mqttc_free(f->side);
	free(f);
}

struct mqttc *
feeds_main(struct feeds *f)
{
	return f->main;
}
