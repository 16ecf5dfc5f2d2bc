/* The [broker] section, shared by the agent and the collector. */
#ifndef PANTAU_BROKERCFG_H
#define PANTAU_BROKERCFG_H

#include <stdbool.h>

#include "cfg.h"
#include "mqttc.h"

struct broker_cfg {
	char host[256];
	int port;
	char username[128];
	char password[256];
	bool tls;
	char cafile[512];
	char certfile[512];
	char keyfile[512];
	int keepalive_s;
	int connect_timeout_s;
	int reconnect_min_s;
	int reconnect_max_s;
};

extern const struct cfg_key brokercfg_keys[];
extern const size_t brokercfg_nkeys;

/* Apply [broker] and check cross-key rules (min <= max, TLS files). */
void brokercfg_apply(struct cfg_file *f, struct broker_cfg *b);

/* Fill o: mqttc_opts_default(), then what b says, pointing into b (b must
 * outlive o). */
void brokercfg_to_mqttc(const struct broker_cfg *b, struct mqttc_opts *o);

#endif
