/*
 * The coordinator's printed sheet (`pantau enrol bulk --sheet FILE`): one
 * card per site with its QR code, agent id, token and expiry, and what the
 * technician runs at the site, in English and Bahasa Indonesia. Built in
 * memory and written in one durable step only when every token of the
 * file was made, so a bad CSV leaves no sheet; mode 0600, as the tokens
 * are secrets until used.
 */
#ifndef PANTAU_CLI_ENROLSHEET_H
#define PANTAU_CLI_ENROLSHEET_H

#include <stdbool.h>

struct enrol_sheet;

/* A new, empty sheet; NULL when out of memory. */
struct enrol_sheet *enrol_sheet_new(const char *collector_url);

/* One card. false when out of memory or the token cannot be a QR code. */
bool enrol_sheet_add(struct enrol_sheet *s, const char *region, const char *site,
    const char *agent, const char *token, const char *expires_iso);

/* Write the sheet to path (when path is not NULL) and free it; false with
 * errno set when it could not be written (nothing is left at path). */
bool enrol_sheet_finish(struct enrol_sheet *s, const char *path);

#endif
