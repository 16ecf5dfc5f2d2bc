#include "brokercfg.h"

#include "brokerlist.h"

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#define B(field) offsetof(struct broker_cfg, field)
#define S(field) sizeof(((struct broker_cfg *)0)->field)

const struct cfg_key brokercfg_keys[] = {
	CFG_KEY_STR("host", B(host), S(host), "127.0.0.1",
	    "broker host name or address, or several as host[:port] separated by commas, "
	    "tried in turn (the next after a failure); e.g. regional-a.example, "
	    "regional-b.example:8884"),
	CFG_KEY_INT("port", B(port), 1, 65535, "1883",
	    "broker TCP port (of each host listed without one); 8883 is usual with TLS"),
	CFG_KEY_STR("username", B(username), S(username), "",
	    "MQTT user name (the agent defaults to its id)"),
	CFG_KEY_STR("password", B(password), S(password), "", "MQTT password"),
	CFG_KEY_BOOL("tls", B(tls), "false", "connect with TLS"),
	CFG_KEY_STR("cafile", B(cafile), S(cafile), "",
	    "CA certificate file for TLS; empty: the system's trusted CAs"),
	CFG_KEY_STR("certfile", B(certfile), S(certfile), "",
	    "client certificate for TLS (optional)"),
	CFG_KEY_STR("keyfile", B(keyfile), S(keyfile), "",
	    "client private key for TLS (with certfile)"),
	CFG_KEY_INT("keepalive", B(keepalive_s), 5, 3600, "30",
	    "MQTT keepalive in seconds; a dead link is noticed after 1.5 times this"),
	CFG_KEY_INT("connect_timeout", B(connect_timeout_s), 1, 300, "15",
	    "seconds to wait for the broker's answer to a connect"),
	CFG_KEY_INT("reconnect_min", B(reconnect_min_s), 1, 3600, "1",
	    "seconds: shortest wait before reconnecting"),
	CFG_KEY_INT("reconnect_max", B(reconnect_max_s), 1, 86400, "60",
	    "seconds: cap of the exponential reconnect backoff"),
};
const size_t brokercfg_nkeys = sizeof(brokercfg_keys) / sizeof(brokercfg_keys[0]);

static void
check_file(struct cfg_file *f, const char *key, const char *path)
{
	const struct cfg_entry *e = cfg_find(f, "broker", key);
	if (path[0] != '\0' && access(path, R_OK) != 0)
		cfg_error(f, "%s:%d: [broker] %s: cannot read \"%s\"; check the path and "
		    "permissions", f->path, e != NULL ? e->line : 0, key, path);
}

void
brokercfg_apply(struct cfg_file *f, struct broker_cfg *b)
{
	cfg_apply(f, "broker", brokercfg_keys, brokercfg_nkeys, b);
	if (b->reconnect_min_s > b->reconnect_max_s)
		cfg_error(f, "%s: [broker] reconnect_min (%d) is larger than reconnect_max (%d)",
		    f->path, b->reconnect_min_s, b->reconnect_max_s);
	if ((b->certfile[0] != '\0') != (b->keyfile[0] != '\0'))
		cfg_error(f, "%s: [broker] certfile and keyfile go together; set both or neither",
		    f->path);
	struct broker_addr addrs[BROKERLIST_MAX];
	size_t n;
	char why[320];
	if (brokerlist_parse(b->host, b->port, addrs, &n, why, sizeof(why)) != PANTAU_OK) {
		const struct cfg_entry *e = cfg_find(f, "broker", "host");
		cfg_error(f, "%s:%d: [broker] host: %s", f->path, e != NULL ? e->line : 0, why);
	}
	check_file(f, "cafile", b->cafile);
	check_file(f, "certfile", b->certfile);
	check_file(f, "keyfile", b->keyfile);
}

void
brokercfg_to_mqttc(const struct broker_cfg *b, struct mqttc_opts *o)
{
	mqttc_opts_default(o);
	o->host = b->host;
	o->port = b->port;
	o->username = b->username;
	o->password = b->password;
	o->tls = b->tls;
	o->cafile = b->cafile[0] ? b->cafile : NULL;
	o->certfile = b->certfile[0] ? b->certfile : NULL;
	o->keyfile = b->keyfile[0] ? b->keyfile : NULL;
	o->keepalive_s = b->keepalive_s;
	o->connect_timeout_ms = b->connect_timeout_s * 1000;
	o->backoff_min_ms = b->reconnect_min_s * 1000;
	o->backoff_max_ms = b->reconnect_max_s * 1000;
}
