/*
 * What the probe tests share: a fixture with its own uv loop, the shared
 * ICMP sockets and libcurl glue; driving the loop until a probe's done()
 * with a deadline; probe definitions through the real config path; and a
 * check of each result against the collector's wire validation. Teardown
 * runs the loop dry and asserts that every handle was closed.
 *
 * Included by tests/unit/test_probes*.c only (after cmocka.h).
 */
#ifndef PANTAU_TEST_PROBE_HARNESS_H
#define PANTAU_TEST_PROBE_HARNESS_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curlglue.h"
#include "agent/probes/icmpsock.h"
#include "agent/probes/probe.h"
#include "cfg.h"
#include "clock.h"
#include "wire.h"
#include "loop_harness.h"
#include "agent/probes/kinds.h"
#include "agent/worker/runner.h"

#define DEADLINE_MS 15000

struct fx {
	uv_loop_t loop;
	struct rng rng;
	struct probe_env env;
	struct curlglue *curl;
	struct icmpsock *icmp4, *icmp6;
	struct probe_def def;
	struct probe_run run;
	json_t *result;
	int ndone;
	bool free_glue_in_done;
	int fds[4];                 /* test sockets, -1 when unused */
	struct MHD_Daemon *mhd;
	int http_port;
};

/* ---- loop driving ---- */


static inline bool
spin(uv_loop_t *loop, const int *count, int ms)
{
	return spin_until(loop, count, 1, ms);
}

static inline void
count_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		(*(int *)arg)++;
}

/* Handles on the loop that are not closing (the fixture's shared ICMP
 * sockets and libcurl timer included). */
static inline int
open_handles(uv_loop_t *loop)
{
	int n = 0;
	uv_walk(loop, count_handle, &n);
	return n;
}

static inline void
on_done(struct probe_run *run, json_t *result)
{
	struct fx *f = run->owner;
	f->ndone++;
	json_decref(f->result);
	f->result = result;
	if (f->free_glue_in_done) {
		curlglue_free(f->curl);
		f->curl = NULL;
	}
}

/* ---- fixture ---- */

static inline int
setup(void **state)
{
	char why[256];
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	rng_seed(&f->rng);
	f->curl = curlglue_new(&f->loop);
	assert_non_null(f->curl);
	if (icmpsock_open(&f->loop, AF_INET, &f->icmp4, why, sizeof(why)) != PANTAU_OK)
		f->icmp4 = NULL;
	if (icmpsock_open(&f->loop, AF_INET6, &f->icmp6, why, sizeof(why)) != PANTAU_OK)
		f->icmp6 = NULL;
	f->env = (struct probe_env){ .loop = &f->loop, .curl = f->curl, .icmp4 = f->icmp4,
		.icmp6 = f->icmp6, .rng = &f->rng };
	for (size_t i = 0; i < 4; i++)
		f->fds[i] = -1;
	*state = f;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *f = *state;
	if (f->run.state != NULL)
		probe_run_cancel(&f->run);
	icmpsock_free(f->icmp4);
	icmpsock_free(f->icmp6);
	curlglue_free(f->curl);
	assert_true(spin(&f->loop, NULL, DEADLINE_MS));
	assert_int_equal(uv_loop_close(&f->loop), 0); /* no handle left open */
	if (f->mhd != NULL)
		MHD_stop_daemon(f->mhd);
	for (size_t i = 0; i < 4; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	json_decref(f->result);
	free(f->def.params);
	free(f);
	return 0;
}

/* Kind name as the agent runs it (agent/probes/kinds.c). */
static inline const struct probe_kind *
agent_kind(const char *name)
{
	const struct probe_kind *k = probe_kind_find(name);
	assert_non_null(k);
	return k;
}

/* Kind name as pantau-probe-worker runs it: its real exec part. */
static inline const struct probe_kind *
worker_kind(const char *name)
{
	const struct probe_kind *k = probe_kind_in(worker_kinds, name);
	assert_non_null(k);
	return k;
}

/* A probe definition through the real config path: keys is INI text for
 * the kind's own keys ("count = 3\nspacing_ms = 10"). */
static inline void
make_def(struct fx *f, const struct probe_kind *kind, const char *target, const char *keys,
    int timeout_ms)
{
	const struct probe_spec *spec = kind->spec;
	char text[512];
	struct cfg_file *file = NULL;
	memset(&f->def, 0, sizeof(f->def));
	snprintf(f->def.name, sizeof(f->def.name), "t");
	f->def.spec = spec;
	f->def.exec = kind->exec;
	snprintf(f->def.target, sizeof(f->def.target), "%s", target);
	f->def.timeout_ms = timeout_ms > 0 ? timeout_ms : spec->default_timeout_ms;
	f->def.params = calloc(1, spec->params_size > 0 ? spec->params_size : 1);
	assert_non_null(f->def.params);
	snprintf(text, sizeof(text), "[probe.t]\n%s\n", keys != NULL ? keys : "");
	assert_int_equal(cfg_file_read_string("test.ini", text, &file), PANTAU_OK);
	cfg_apply(file, "probe.t", spec->keys, spec->nkeys, f->def.params);
	if (file->nerrors > 0)
		cfg_print_errors(file, stderr);
	assert_int_equal(file->nerrors, 0);
	cfg_file_free(file);
}

/* Ready the fixture for another probe in the same case: the last
 * definition's parameters and its result gone, no run done yet. */
static inline void
next_probe(struct fx *f)
{
	free(f->def.params);
	f->def.params = NULL;
	json_decref(f->result);
	f->result = NULL;
	f->ndone = 0;
}

static inline void
start_probe_with(struct fx *f, struct probe_run *run, void *owner,
    void (*done)(struct probe_run *, json_t *))
{
	*run = (struct probe_run){ .def = &f->def, .env = &f->env, .done = done,
		.owner = owner };
	assert_int_equal(f->def.exec->start(run), PANTAU_OK);
	assert_int_equal(f->ndone, 0); /* never from inside start() */
}

static inline void
start_probe(struct fx *f, struct probe_run *run, void *owner)
{
	start_probe_with(f, run, owner, on_done);
}

/* Start the fixture's probe and wait for its one result. */
static inline const json_t *
run_probe(struct fx *f)
{
	start_probe(f, &f->run, f);
	assert_true(spin(&f->loop, &f->ndone, DEADLINE_MS));
	assert_int_equal(f->ndone, 1);
	assert_null(f->run.state);
	assert_non_null(f->result);
	assert_string_equal(json_string_value(json_object_get(f->result, "probe")),
	    f->def.spec->kind);
	assert_string_equal(json_string_value(json_object_get(f->result, "target")),
	    f->def.target);
	return f->result;
}

/* ---- result helpers ---- */

static inline double
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_number(v));
	return json_number_value(v);
}

static inline const char *
str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* The result passes the collector's validation of the wire contract. */
static inline void
assert_wire_valid(const json_t *result)
{
	struct wire_topic t;
	struct wire_error err = { 0 };
	struct wire_batch b;
	char topic[WIRE_TOPIC_MAX + 1];
	pantau_err rc;
	size_t len = 0;
	struct wire_batch_hdr h = { .agent = "ag-test", .boot = 1, .seq = 1,
		.ts_ms = clock_real_ms(), .outbox_pending = 0, .outbox_dropped = 0 };
	json_t *arr = json_array();
	json_array_append(arr, (json_t *)result);
	char *text = wire_batch_encode(&h, arr, &len, &rc);
	json_decref(arr);
	assert_non_null(text);
	assert_int_equal(wire_topic_result(topic, sizeof(topic), "32.73", "ag-test"), PANTAU_OK);
	assert_true(wire_topic_parse(topic, &t, &err));
	enum wire_reason r = wire_batch_decode(&t, text, len, &b, &err);
	if (r != WIRE_ACCEPT)
		fprintf(stderr, "rejected: %s: %s\n%s\n", wire_reason_name(r), err.detail, text);
	assert_int_equal(r, WIRE_ACCEPT);
	wire_batch_clear(&b);
	free(text);
}

/* A TCP socket on 127.0.0.1 with a free port; listening when backlog >= 0. */
static inline int
loopback_socket(struct fx *f, int backlog, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	for (size_t i = 0; i < 4; i++) {
		if (f->fds[i] < 0) {
			f->fds[i] = fd;
			break;
		}
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static inline bool
check_target(struct fx *f, const struct probe_kind *kind, const char *target,
    const char *keys, char *why, size_t len)
{
	free(f->def.params);
	make_def(f, kind, target, keys, 0);
	why[0] = '\0';
	bool ok = kind->spec->check(&f->def, why, len);
	if (!ok)
		assert_true(strlen(why) > 0);
	return ok;
}

#endif
