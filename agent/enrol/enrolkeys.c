#include "enrolkeys.h"

#define E(field) offsetof(struct agent_enrol, field)
#define S(field) sizeof(((struct agent_enrol *)0)->field)

/* The agent's [enrol] keys; collector/enrol/enrolcfg.c holds the collector's, with
 * the same apply/reference wrappers around other keys and another struct. */
static const struct cfg_key enrol_keys[] = {
	CFG_KEY_STR("collector", E(collector), S(collector), "",
	    "the collector's API (https://HOST:PORT) the agent enrolled with; renew asks it"),
	CFG_KEY_STR("cacert", E(cacert), S(cacert), "",
	    "PEM file of the CA of the collector's API certificate; empty: the system's CAs"),
	CFG_KEY_INT("renew_days", E(renew_days), 1, 3650, "30",
	    "the running agent (checking 5 s after start, then every 12 h) and pantau-agent "
	    "renew --if-due renew the certificate when it has fewer days left"),
};

#define N(t) (sizeof(t) / sizeof((t)[0]))

void
enrolkeys_apply(struct cfg_file *f, struct agent_enrol *e)
{
	cfg_apply(f, "enrol", enrol_keys, N(enrol_keys), e);
}

void
enrolkeys_reference(FILE *to)
{
	cfg_print_reference("[enrol] key", enrol_keys, N(enrol_keys), to);
}
