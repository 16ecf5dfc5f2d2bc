/*
 * The table of alert sinks (collector/alerts/sink.h): one entry per sink,
 * in the order /metrics and `--config-reference` list them.
 */
#ifndef PANTAU_SINKS_H
#define PANTAU_SINKS_H

#include <stddef.h>

#include "sink.h"

/* Sinks in the table, at most (a test checks it holds them all). */
#define SINKS_MAX 8

/* NULL-terminated. */
extern const struct sink_ops *const sinks_table[];

/* Entries in the table. */
size_t sinks_count(void);

/* The sink of this name, or NULL. */
const struct sink_ops *sinks_find(const char *name);

#endif
