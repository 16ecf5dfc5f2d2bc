#include "enrolkeys.h"

#define E(field) offsetof(struct agent_enrol, field)
#define S(field) sizeof(((struct agent_enrol *)0)->field)

static const struct cfg_key enrol_keys[] = {
	{ "collector", CFG_STRING, E(collector), S(collector), 0, 0, "", NULL, NULL, 0,
	    "the collector's API (https://HOST:PORT) the agent enrolled with; renew asks it" },
	{ "cacert", CFG_STRING, E(cacert), S(cacert), 0, 0, "", NULL, NULL, 0,
	    "PEM file of the CA of the collector's API certificate; empty: the system's CAs" },
	{ "renew_days", CFG_INT, E(renew_days), 0, 1, 3650, "30", NULL, NULL, 0,
	    "the running agent (checking 5 s after start, then every 12 h) and pantau-agent "
	    "renew --if-due renew the certificate when it has fewer days left" },
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
