/*
 * The lines `pantau-agent check` prints: "[ OK ]" or "[FAIL]" and the
 * step's message in the chosen language (check_text), counted; and the
 * line a probe's result object (docs/protocol.md) gets.
 */
#ifndef PANTAU_CHECK_REPORT_H
#define PANTAU_CHECK_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "agent/probes/probe.h"
#include "check_text.h"

struct check_out {
	FILE *out;
	enum check_lang lang;
	int passed, failed;
};

/* A pass or a failure, counted; m's format takes the arguments. */
void check_line(struct check_out *o, bool ok, enum check_msg m, ...);
/* A line that is neither a pass nor a failure: tag "INFO" or "WARN". */
void check_note(struct check_out *o, const char *tag, enum check_msg m, ...);
/* A failure told by a text of its own (not in check_text), counted. */
void check_fail(struct check_out *o, const char *why);
/* The line (or lines) for probe p's result r; r may be NULL (no result). */
void check_report_probe(struct check_out *o, const struct probe_def *p, const json_t *r);

#endif
