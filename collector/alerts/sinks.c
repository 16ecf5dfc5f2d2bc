#include "sinks.h"

#include <string.h>

extern const struct sink_ops sink_alertmanager, sink_webhook, sink_telegram;

const struct sink_ops *const sinks_table[] = {
	&sink_alertmanager,
	&sink_webhook,
	&sink_telegram,
	NULL,
};

size_t
sinks_count(void)
{
	size_t n = 0;
	while (sinks_table[n] != NULL)
		n++;
	return n;
}

const struct sink_ops *
sinks_find(const char *name)
{
	for (size_t i = 0; sinks_table[i] != NULL; i++)
		if (strcmp(sinks_table[i]->name, name) == 0)
			return sinks_table[i];
	return NULL;
}
