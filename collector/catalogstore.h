/*
 * The region catalog at a start: read from [collector] catalog_dir (and
 * [status] regency_flags), and its provinces and regencies written into the
 * store, where the API's queries join them.
 */
#ifndef PANTAU_CATALOGSTORE_H
#define PANTAU_CATALOGSTORE_H

#include "catalog.h"
#include "collector/store/store.h"
#include "collector_config.h"

pantau_err catalogstore_load(const struct collector_config *cfg, struct store *st,
    struct catalog **out, char *why, size_t len);

#endif
