#include "cfgreload.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "log.h"

static size_t
value_size(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_STRING: return k->size;
	case CFG_I64: return sizeof(int64_t);
	case CFG_DOUBLE: return sizeof(double);
	case CFG_BOOL: return sizeof(bool);
	case CFG_INT:
	case CFG_ENUM: return sizeof(int);
	}
	return 0;
}

static bool
same(const struct cfg_key *k, const unsigned char *a, const unsigned char *b)
{
	if (k->type == CFG_STRING)
		return strncmp((const char *)a, (const char *)b, k->size) == 0;
	if (k->type == CFG_DOUBLE) {
		double x, y;
		memcpy(&x, a, sizeof(x));
		memcpy(&y, b, sizeof(y));
		return x == y || (isnan(x) && isnan(y));
	}
	return memcmp(a, b, value_size(k)) == 0;
}

size_t
cfg_reload(const char *section, const struct cfg_key *keys, size_t nkeys, void *running,
    const void *next, cfg_restart_fn restart, void *ctx)
{
	size_t changed = 0;
	for (size_t i = 0; i < nkeys; i++) {
		const struct cfg_key *k = &keys[i];
		unsigned char *to = (unsigned char *)running + k->offset;
		const unsigned char *from = (const unsigned char *)next + k->offset;
		if (same(k, to, from))
			continue;
		if (k->flags & CFG_RELOAD) {
			memcpy(to, from, value_size(k));
			changed++;
		} else if (restart != NULL) {
			restart(ctx, section, k);
		}
	}
	return changed;
}

void
cfg_reload_log_restart(void *ctx, const char *section, const struct cfg_key *k)
{
	log_warnx("%s: reload: [%s] %s changed; it takes effect at the next restart (the "
	    "running value stays)", (const char *)ctx, section, k->name);
}
