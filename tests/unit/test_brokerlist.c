/* [broker] host as a list of brokers, and the MQTT client moving along it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "common/brokerlist.h"
#include "common/mqttc.h"
#include "port_harness.h"

static void
test_one_host_keeps_the_port(void **state)
{
	(void)state;
	struct broker_addr a[BROKERLIST_MAX];
	size_t n;
	char why[200];
	assert_int_equal(brokerlist_parse("mqtt.pantau.example", 8883, a, &n, why, sizeof(why)),
	    PANTAU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].host, "mqtt.pantau.example");
	assert_int_equal(a[0].port, 8883);
}

static void
test_list_with_ports_and_ipv6(void **state)
{
	(void)state;
	struct broker_addr a[BROKERLIST_MAX];
	size_t n;
	char why[200];
	assert_int_equal(brokerlist_parse(" regional-a.example , regional-b.example:8884,"
	    "[::1]:1884, ::1,127.0.0.1:1", 8883, a, &n, why, sizeof(why)), PANTAU_OK);
	assert_int_equal(n, 5);
	assert_string_equal(a[0].host, "regional-a.example");
	assert_int_equal(a[0].port, 8883);
	assert_string_equal(a[1].host, "regional-b.example");
	assert_int_equal(a[1].port, 8884);
	assert_string_equal(a[2].host, "::1");
	assert_int_equal(a[2].port, 1884);
	assert_string_equal(a[3].host, "::1");
	assert_int_equal(a[3].port, 8883);
	assert_string_equal(a[4].host, "127.0.0.1");
	assert_int_equal(a[4].port, 1);
}

static void
test_bad_lists_say_why(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "a,,b", "a, ", ":1883", "a:0", "a:65536",
		"a:x", "a:", "[::1]x", "a,b,c,d,e,f,g,h,i" };
	struct broker_addr a[BROKERLIST_MAX];
	size_t n;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[200] = "";
		assert_int_equal(brokerlist_parse(bad[i], 1883, a, &n, why, sizeof(why)),
		    PANTAU_ERR_CONFIG);
		assert_true(why[0] != '\0');
	}
}

/* ---- the client moves to the next broker after each failure ---- */

struct seen {
	char hosts[6][64];
	size_t n;
	struct mqttc *c;
};

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	(void)why;
	(void)text;
	struct seen *s = ctx;
	snprintf(s->hosts[s->n], sizeof(s->hosts[0]), "%s:%d", mqttc_host(s->c),
	    mqttc_port(s->c));
	if (++s->n == 6)
		mqttc_disconnect(s->c);
}

static void
test_client_tries_each_broker_in_turn(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct seen s = { .n = 0 };
	struct mqttc_opts o;
	struct mqttc_callbacks cb = { .on_fail = on_fail };
	char list[96], first[32], second[32];
	int p1 = harness_free_port(SOCK_STREAM), p2 = harness_free_port(SOCK_STREAM);
	snprintf(list, sizeof(list), "127.0.0.1:%d, 127.0.0.1:%d", p1, p2);
	snprintf(first, sizeof(first), "127.0.0.1:%d", p1);
	snprintf(second, sizeof(second), "127.0.0.1:%d", p2);
	mosquitto_lib_init();
	assert_int_equal(uv_loop_init(&loop), 0);
	mqttc_opts_default(&o);
	o.host = list;
	o.backoff_min_ms = 1;
	o.backoff_max_ms = 2;
	s.c = mqttc_new(&loop, &o, &cb, &s);
	assert_non_null(s.c);
	assert_int_equal(mqttc_start(s.c), PANTAU_OK);
	while (s.n < 6 && uv_run(&loop, UV_RUN_ONCE) != 0)
		;
	assert_int_equal(s.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(s.hosts[i], i % 2 == 0 ? first : second);
	mqttc_free(s.c);
	while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
		;
	assert_int_equal(uv_loop_close(&loop), 0);
	mosquitto_lib_cleanup();
}

static void
test_bad_list_makes_no_client(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct mqttc_opts o;
	struct mqttc_callbacks cb = { .on_fail = on_fail };
	assert_int_equal(uv_loop_init(&loop), 0);
	mqttc_opts_default(&o);
	o.host = "a,,b";
	assert_null(mqttc_new(&loop, &o, &cb, NULL));
	assert_int_equal(uv_loop_close(&loop), 0);
}

#include "unit_main.h"
