/*
 * The shared ICMP socket on loopback: trains get exactly their own replies,
 * unregistering stops them, payload size bounds, freeing from inside a
 * reply callback. Cases that need a socket are skipped when none can be
 * opened (not root and no ping group).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/probes/icmpsock.h"
#include "clock.h"
#include "loop_harness.h"

#define DEADLINE_MS 5000
#define MAX_REPLIES 32

struct reply {
	uint32_t cookie;
	uint16_t seq;
	int64_t rx;
	int train;  /* which registration's arg got it */
};

struct fx;

/* What a registration's callback gets as arg. */
struct train_arg {
	struct fx *f;
	int id;
};

struct fx {
	uv_loop_t loop;
	struct icmpsock *sock;
	struct reply replies[MAX_REPLIES];
	int nreplies;
	struct train_arg trains[2];
	bool free_in_callback;
	struct sockaddr_in lo4;
};


static int
setup(void **state)
{
	char why[256];
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	if (icmpsock_open(&f->loop, AF_INET, &f->sock, why, sizeof(why)) != PANTAU_OK) {
		assert_null(f->sock);
		assert_true(strlen(why) > 0);
	}
	f->lo4.sin_family = AF_INET;
	f->lo4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->trains[0] = (struct train_arg){ f, 0 };
	f->trains[1] = (struct train_arg){ f, 1 };
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	icmpsock_free(f->sock);
	assert_true(spin_until(&f->loop, NULL, 0, DEADLINE_MS));
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

/* The fixture, or skip when no ICMP socket could be opened. */
static struct fx *
the_fx(void **state)
{
	struct fx *f = *state;
	if (f->sock == NULL)
		skip();
	return f;
}

static void
on_reply(void *arg, uint32_t cookie, uint16_t seq, int64_t rx)
{
	const struct train_arg *t = arg;
	struct fx *f = t->f;
	if (f->nreplies < MAX_REPLIES)
		f->replies[f->nreplies] = (struct reply){ cookie, seq, rx, t->id };
	f->nreplies++;
	if (f->free_in_callback) {
		icmpsock_free(f->sock);
		f->sock = NULL;
	}
}

static void
test_bad_family(void **state)
{
	struct fx *f = *state;
	struct icmpsock *s = (struct icmpsock *)f; /* must be overwritten */
	char why[128] = "";
	assert_int_equal(icmpsock_open(&f->loop, AF_UNIX, &s, why, sizeof(why)),
	    PANTAU_ERR_UNSUPPORTED);
	assert_null(s);
	assert_true(strlen(why) > 0);
	icmpsock_free(NULL);
}

static void
test_trains_get_their_own_replies(void **state)
{
	struct fx *f = the_fx(state);
	uint32_t ca, cb;
	int64_t tx[8];
	assert_int_equal(icmpsock_family(f->sock), AF_INET);
	assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[0], &ca), PANTAU_OK);
	assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[1], &cb), PANTAU_OK);
	assert_true(ca != cb);
	for (uint16_t i = 0; i < 5; i++)
		assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&f->lo4, ca, i, 56,
		    &tx[i]), PANTAU_OK);
	assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&f->lo4, cb, 7, 56, &tx[7]),
	    PANTAU_OK);
	assert_true(spin_until(&f->loop, &f->nreplies, 6, DEADLINE_MS));
	assert_false(spin_until(&f->loop, &f->nreplies, 7, 50)); /* nothing more */
	int seen_a = 0;
	for (int i = 0; i < 6; i++) {
		const struct reply *r = &f->replies[i];
		if (r->train == 0) {
			assert_int_equal(r->cookie, ca);
			assert_true(r->seq < 5);
			seen_a |= 1 << r->seq;
		} else {
			assert_int_equal(r->cookie, cb);
			assert_int_equal(r->seq, 7);
		}
		int64_t t = tx[r->seq];
		assert_true(r->rx >= t);
		assert_true(r->rx - t < 1000000000LL);
	}
	assert_int_equal(seen_a, 0x1f);
	icmpsock_unregister(f->sock, ca);
	icmpsock_unregister(f->sock, cb);
	icmpsock_unregister(f->sock, cb); /* unknown now: ignored */
}

static void
test_unregister_stops_replies(void **state)
{
	struct fx *f = the_fx(state);
	uint32_t c;
	int64_t tx;
	assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[0], &c), PANTAU_OK);
	assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&f->lo4, c, 1, 56, &tx),
	    PANTAU_OK);
	icmpsock_unregister(f->sock, c);
	assert_false(spin_until(&f->loop, &f->nreplies, 1, 100));
	assert_int_equal(f->nreplies, 0);
}

static void
test_sizes(void **state)
{
	struct fx *f = the_fx(state);
	uint32_t c;
	int64_t tx;
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[0], &c), PANTAU_OK);
	const struct sockaddr *dst = (struct sockaddr *)&f->lo4;
	assert_int_equal(icmpsock_send(f->sock, dst, c, 0, ICMPSOCK_MIN_PAYLOAD - 1, &tx),
	    PANTAU_ERR_INVAL);
	assert_int_equal(icmpsock_send(f->sock, dst, c, 0, ICMPSOCK_MAX_PAYLOAD + 1, &tx),
	    PANTAU_ERR_INVAL);
	assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&lo6, c, 0, 56, &tx),
	    PANTAU_ERR_INVAL);
	assert_int_equal(icmpsock_send(f->sock, dst, c, 1, ICMPSOCK_MIN_PAYLOAD, &tx), PANTAU_OK);
	assert_int_equal(icmpsock_send(f->sock, dst, c, 2, ICMPSOCK_MAX_PAYLOAD, &tx), PANTAU_OK);
	assert_true(spin_until(&f->loop, &f->nreplies, 2, DEADLINE_MS));
	assert_int_equal(f->replies[0].seq + f->replies[1].seq, 3);
	icmpsock_unregister(f->sock, c);
}

static void
test_unique_cookies(void **state)
{
	struct fx *f = the_fx(state);
	uint32_t c[200];
	for (size_t i = 0; i < 200; i++) {
		assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[0], &c[i]), PANTAU_OK);
		assert_true(c[i] != 0);
		for (size_t j = 0; j < i; j++)
			assert_true(c[i] != c[j]);
	}
	for (size_t i = 0; i < 200; i++)
		icmpsock_unregister(f->sock, c[i]);
}

/* The agent's check command closes everything from inside the last
 * result; for the ICMP socket that is inside this callback. */
static void
test_free_inside_callback(void **state)
{
	struct fx *f = the_fx(state);
	uint32_t c;
	int64_t tx;
	f->free_in_callback = true;
	assert_int_equal(icmpsock_register(f->sock, on_reply, &f->trains[0], &c), PANTAU_OK);
	assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&f->lo4, c, 0, 56, &tx),
	    PANTAU_OK);
	assert_int_equal(icmpsock_send(f->sock, (struct sockaddr *)&f->lo4, c, 1, 56, &tx),
	    PANTAU_OK);
	assert_true(spin_until(&f->loop, &f->nreplies, 1, DEADLINE_MS));
	assert_null(f->sock);
	assert_true(spin_until(&f->loop, NULL, 0, DEADLINE_MS)); /* closed: loop runs dry */
	assert_int_equal(f->nreplies, 1);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
