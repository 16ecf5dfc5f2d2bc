/*
 * `pantau-agent check`: what a technician runs at a site. It validates the
 * configuration, looks the region up, checks the state folder, connects to
 * the broker with the configured credentials, publishes a test message,
 * runs every probe once, and prints one line per step with OK or FAIL and
 * what to do about a failure. English, or Bahasa Indonesia (--lang id, or
 * a LANG starting with "id").
 */
#ifndef PANTAU_CHECK_H
#define PANTAU_CHECK_H

#include <stdio.h>

#include "agent_config.h"
#include "check_text.h"

/* Runs its own loop; returns 0 when every step passed, 1 otherwise. With
 * json_out, each probe's result object (docs/protocol.md) is also written
 * there, one compact JSON object per line, in configuration order. */
int check_run(const char *config_path, const struct agent_config *cfg, enum check_lang lang,
    const char *catalog_dir, FILE *out, FILE *json_out);

/* "en" or "id"; -1 when unknown. NULL: from the LANG environment. */
int check_lang_parse(const char *name);

#endif
