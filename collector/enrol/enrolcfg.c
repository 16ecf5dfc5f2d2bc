#include "enrolcfg.h"

#include <stddef.h>

#include "cfgreload.h"

#define E(field) offsetof(struct enrol_cfg, field)
#define S(field) sizeof(((struct enrol_cfg *)0)->field)

static const struct cfg_key enrol_keys[] = {
	CFG_KEY_STR("ca_dir", E(ca_dir), S(ca_dir), "",
	    "folder of pantau's client CA (ca.key, ca.crt, crl.pem), made at start when it "
	    "holds none; back it up (docs/deployment.md); empty: enrolment off"),
	CFG_KEY_INT("cert_days", E(cert_days), 1, 3650, "365",
	    "days an agent's certificate is valid; the agent renews it before"),
	CFG_KEY_STR("broker_host", E(broker_host), S(broker_host), "",
	    "the broker's name as agents reach it (written into their config); empty: the "
	    "collector's API host name the agent used"),
	CFG_KEY_INT("broker_port", E(broker_port), 1, 65535, "8883",
	    "the broker's TLS port for agents"),
	CFG_KEY_STR("broker_cafile", E(broker_cafile), S(broker_cafile), "",
	    "PEM file of the CA that signed the broker's server certificate, handed to each "
	    "agent; empty: the agents use their system's CAs"),
	CFG_KEY_STR("broker_crl", E(broker_crl), S(broker_crl), "",
	    "the broker's copy of the CRL (its crlfile), rewritten with ca_dir/crl.pem at each "
	    "revocation through the API; empty: only ca_dir/crl.pem"),
	CFG_KEY_STR("broker_pidfile", E(broker_pidfile), S(broker_pidfile), "",
	    "the broker's pid_file: after a revocation through the API the collector "
	    "sends it SIGHUP so it reads the new CRL; empty: reload the broker otherwise "
	    "(docs/deployment.md, \"Revoke\")"),
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

void
enrolcfg_apply(struct cfg_file *f, struct enrol_cfg *e)
{
	cfg_apply(f, "enrol", enrol_keys, N(enrol_keys), e);
}

void
enrolcfg_reference(FILE *to)
{
	cfg_print_reference("[enrol] key", enrol_keys, N(enrol_keys), to);
}

size_t
enrolcfg_restart_changes(struct enrol_cfg *running, const struct enrol_cfg *next)
{
	return cfg_reload("enrol", enrol_keys, N(enrol_keys), running, next,
	    cfg_reload_log_restart, (void *)"collector");
}
