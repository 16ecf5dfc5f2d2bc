/*
 * pantau_limit.so, pantau's mosquitto 2.0 plugin (plugin API version 5):
 * the publish limit of broker/publimit on every message a client publishes
 * (MOSQ_EVT_MESSAGE, after the ACL allowed it; a message over the limit is
 * dropped as if the ACL had refused it, and its client disconnected at the
 * next tick), its summary logged at most once a minute (MOSQ_EVT_TICK).
 * docs/deployment.md, "Publish limit".
 *
 *   plugin /usr/lib/pantau/pantau_limit.so
 *   plugin_opt_rate 50
 *   plugin_opt_burst 1000
 *   plugin_opt_disconnect true
 *   plugin_opt_exempt pantau-collector,pantau-bridge-*
 */
#include <stddef.h>
#include <stdint.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "clock.h"
#include "publimit.h"

/* The plugin's entry points, which mosquitto looks up by name. */
int mosquitto_plugin_version(int supported_version_count, const int *supported_versions);
int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                          struct mosquitto_opt *options, int option_count);
int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count);

struct limit_plugin {
	mosquitto_plugin_id_t *id;
	struct publimit *pl;
};

static int
on_message(int event, void *event_data, void *userdata)
{
	(void)event;
	struct mosquitto_evt_message *ev = event_data;
	struct limit_plugin *lp = userdata;
	const char *user = mosquitto_client_username(ev->client);
	return publimit_allow(lp->pl, user, clock_mono_ns()) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

static int
on_tick(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	struct limit_plugin *lp = userdata;
	char line[PUBLIMIT_LINE_MAX];
	/* outside any client's packet: the broker frees a kicked client later */
	while (publimit_take_kick(lp->pl, line, sizeof(line)))
		mosquitto_kick_client_by_username(line, true);
	if (publimit_summary(lp->pl, clock_mono_ns(), line, sizeof(line)))
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "pantau_limit: %s", line);
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5)
			return 5;
	return -1;
}

static int
read_options(struct publimit_opts *o, struct mosquitto_opt *options, int option_count)
{
	publimit_opts_default(o);
	for (int i = 0; i < option_count; i++) {
		char why[256];
		if (publimit_opt(o, options[i].key, options[i].value, why, sizeof(why)) != PANTAU_OK) {
			mosquitto_log_printf(MOSQ_LOG_ERR, "pantau_limit: %s", why);
			return MOSQ_ERR_INVAL;
		}
	}
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                      struct mosquitto_opt *options, int option_count)
{
	struct publimit_opts o;
	int rc = read_options(&o, options, option_count);
	if (rc != MOSQ_ERR_SUCCESS)
		return rc;
	struct limit_plugin *lp = mosquitto_calloc(1, sizeof(*lp));
	if (lp == NULL)
		return MOSQ_ERR_NOMEM;
	lp->id = identifier;
	if (publimit_new(&o, clock_mono_ns(), &lp->pl) != PANTAU_OK) {
		mosquitto_free(lp);
		return MOSQ_ERR_NOMEM;
	}
	if (mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, NULL, lp) ||
	    mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, NULL, lp)) {
		mosquitto_callback_unregister(identifier, MOSQ_EVT_MESSAGE, on_message, NULL);
		publimit_free(lp->pl);
		mosquitto_free(lp);
		return MOSQ_ERR_UNKNOWN;
	}
	*userdata = lp;
	mosquitto_log_printf(MOSQ_LOG_INFO, "pantau_limit: %g publishes/s per client, bursts of "
	                     "%g, %s; not limited: clients without a user name, %s", o.rate,
	                     o.burst, o.disconnect ? "then disconnected" : "then dropped",
	                     o.exempt[0] ? o.exempt : "(none)");
	return MOSQ_ERR_SUCCESS;
}

int
mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)options;
	(void)option_count;
	struct limit_plugin *lp = userdata;
	if (lp == NULL)
		return MOSQ_ERR_SUCCESS;
	mosquitto_callback_unregister(lp->id, MOSQ_EVT_MESSAGE, on_message, NULL);
	mosquitto_callback_unregister(lp->id, MOSQ_EVT_TICK, on_tick, NULL);
	publimit_free(lp->pl);
	mosquitto_free(lp);
	return MOSQ_ERR_SUCCESS;
}
