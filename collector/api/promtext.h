/*
 * A writer of the Prometheus text exposition format 0.0.4 (docs/metrics.md)
 * into a growing buffer: one "# HELP" and one "# TYPE" line per family,
 * then its samples, label values and help text escaped as the format
 * requires (backslash, double quote and line feed in label values;
 * backslash and line feed in help text). Pure: no I/O.
 *
 * Out of memory is sticky: every later call does nothing, and
 * promtext_take returns NULL.
 */
#ifndef PANTAU_PROMTEXT_H
#define PANTAU_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

#define PROMTEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Most labels on one sample. */
#define PROMTEXT_MAX_LABELS 8

struct promtext {
	struct textbuf b;
};

/* A label: name (a valid Prometheus label name, given by the code) and a
 * value (any UTF-8 text; escaped). A NULL value is written as "". */
struct promtext_label {
	const char *name;
	const char *value;
};

/* Start empty, with room for about hint bytes. */
void promtext_init(struct promtext *t, size_t hint);

/* "# HELP name help" and "# TYPE name type" (type: "gauge", "counter"). */
void promtext_family(struct promtext *t, const char *name, const char *type, const char *help);

/* "name{l1="v1",...} value": n labels (0..PROMTEXT_MAX_LABELS). A NaN
 * value is written NaN, infinities +Inf / -Inf. */
void promtext_sample(struct promtext *t, const char *name, const struct promtext_label *labels,
    size_t n, double value);
/* The same for a counter, written exactly as an integer. */
void promtext_counter(struct promtext *t, const char *name, const struct promtext_label *labels,
    size_t n, uint64_t value);

/* The text (NUL-terminated, malloc'd, the caller frees) and its length;
 * NULL when memory ran out. The writer is empty afterwards. */
char *promtext_take(struct promtext *t, size_t *len);

/* Release the buffer without taking it. */
void promtext_discard(struct promtext *t);

#endif
