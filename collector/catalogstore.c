#include "catalogstore.h"

#include <stdio.h>

#include "log.h"

pantau_err
catalogstore_load(const struct collector_config *cfg, struct store *st, struct catalog **out,
    char *why, size_t len)
{
	pantau_err rc = catalog_load(cfg->catalog_dir, out, why, len);
	struct catalog *cat = *out;
	if (rc == PANTAU_OK && cfg->status.regency_flags[0] != '\0')
		rc = catalog_load_flags(cat, cfg->status.regency_flags, why, len);
	if (rc != PANTAU_OK)
		return rc;
	rc = store_catalog_begin(st);
	for (size_t i = 0; i < cat->nprovinces && rc == PANTAU_OK; i++)
		rc = store_catalog_province(st, cat->provinces[i].code, cat->provinces[i].name);
	for (size_t i = 0; i < cat->nregencies && rc == PANTAU_OK; i++)
		rc = store_catalog_regency(st, cat->regencies[i].code, cat->regencies[i].province,
		    cat->regencies[i].name);
	if (rc == PANTAU_OK)
		rc = store_catalog_end(st);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot write the region catalog into %s", cfg->database);
	else
		log_info("collector: region catalog: %zu provinces, %zu regencies", cat->nprovinces,
		    cat->nregencies);
	return rc;
}
