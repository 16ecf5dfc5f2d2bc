/*
 * The agent's configuration after an enrolment: the text of the file as
 * it was (the package's /etc/pantau/agent.ini with its probes, or nothing)
 * with [agent] id, region and site, the identity keys of [broker] and the
 * [enrol] section set from the collector's answer; every other line,
 * comments included, kept as it stands.
 */
#ifndef PANTAU_AGENTINI_H
#define PANTAU_AGENTINI_H

#include <stdbool.h>
#include <stddef.h>

struct agentini_set {
	const char *id, *region, *site;
	const char *host, *port, *cafile, *certfile, *keyfile;
	const char *collector, *cacert;      /* [enrol]: where renew goes */
};

/* The value of key in section of text (NULL: none) into out; false when
 * it is not there. Inline comments (" ;") are cut, spaces trimmed. */
bool agentini_get(const char *text, const char *section, const char *key, char *out,
    size_t len);

/* The new text (malloc'd), or NULL when out of memory. old may be NULL. */
char *agentini_rewrite(const char *old, const struct agentini_set *s);

#endif
