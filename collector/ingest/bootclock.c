#include "bootclock.h"

#include <stdlib.h>
#include <string.h>

#include "cfgindex.h"
#include "clock.h"
#include "grow.h"
#include "log.h"
#include "wire.h"
#include "collector/store/stmts.h"

struct bootclock_entry {
	char agent[WIRE_AGENT_MAX + 1];
	int64_t boot;
	struct clockest est;
};

struct bootclock {
	struct store *store;
	bootclock_base_fn base;
	void *base_ctx;
	struct db_stmt *load;
	struct cfgindex index;       /* agent -> entries[] */
	struct bootclock_entry *entries;
	size_t n, cap;
};

static int64_t
real_base(void *ctx)
{
	(void)ctx;
	return (clock_real_ns() - clock_boot_ns()) / 1000000; /* steadier than ms - ms */
}

struct bootclock *
bootclock_new(struct store *store, bootclock_base_fn base, void *ctx)
{
	struct bootclock *bc = calloc(1, sizeof(*bc));
	if (bc == NULL)
		return NULL;
	bc->store = store;
	bc->base = base != NULL ? base : real_base;
	bc->base_ctx = ctx;
	static const char *const load_sql = "SELECT clock_offset_ms, clock_mono_ms FROM boots"
	    " WHERE agent = ?1 AND boot = ?2 AND clock_offset_ms IS NOT NULL";
	if (stmts_prepare(store_db(store), "bootclock", &load_sql, &bc->load, 1) != PANTAU_OK) {
		bootclock_free(bc);
		return NULL;
	}
	return bc;
}

void
bootclock_free(struct bootclock *bc)
{
	if (bc == NULL)
		return;
	db_finalize(bc->load);
	cfgindex_free(&bc->index);
	free(bc->entries);
	free(bc);
}

/* The stored estimate of (agent, boot), or an unknown one; against the
 * collector's monotonic clock, base its wall clock minus that. */
static struct clockest
load(struct bootclock *bc, const char *agent, int64_t boot, int64_t base)
{
	struct clockest c = { false, false, 0, 0 };
	db_bind_text(bc->load, 1, agent, -1);
	db_bind_int64(bc->load, 2, boot);
	if (db_step(bc->load) == DB_ROW)
		c = (struct clockest){ true, true, db_column_int64(bc->load, 0) - base,
			db_column_int64(bc->load, 1) };
	db_reset(bc->load);
	db_clear_bindings(bc->load);
	return c;
}

static bool
match(const void *ctx, size_t pos, const char *a, const char *b)
{
	(void)b;
	const struct bootclock *bc = ctx;
	return strcmp(bc->entries[pos].agent, a) == 0;
}

/* The agent's entry, added on first sight; NULL when out of memory. */
static struct bootclock_entry *
entry_of(struct bootclock *bc, const char *agent)
{
	uint64_t h = cfgindex_hash(agent, NULL);
	size_t pos = cfgindex_find(&bc->index, h, match, bc, agent, NULL);
	if (pos != CFGINDEX_NONE)
		return &bc->entries[pos];
	struct bootclock_entry *v = grow_to(bc->entries, &bc->cap, bc->n + 1, sizeof(*v), 64);
	if (v == NULL)
		return NULL;
	bc->entries = v;
	if (strlen(agent) > WIRE_AGENT_MAX || cfgindex_add(&bc->index, h, bc->n) != PANTAU_OK)
		return NULL;
	struct bootclock_entry *e = &bc->entries[bc->n++];
	memcpy(e->agent, agent, strlen(agent) + 1);
	e->boot = -1;
	return e;
}

bool
bootclock_feed(struct bootclock *bc, const char *agent, int64_t boot, int64_t mono_ms,
    int64_t recv_ms, bool prompt, struct clockest *out)
{
	struct bootclock_entry *e = entry_of(bc, agent);
	int64_t base = bc->base(bc->base_ctx);
	if (e == NULL)
		return false;
	if (boot < e->boot && !prompt) { /* an older boot's backfill: not kept */
		*out = load(bc, agent, boot, base);
		clockest_feed(out, mono_ms, recv_ms - base, prompt);
	} else {
		if (boot != e->boot) { /* a new boot, or a birth counting from 0 again */
			e->boot = boot;
			e->est = load(bc, agent, boot, base);
		}
		clockest_feed(&e->est, mono_ms, recv_ms - base, prompt);
		*out = e->est;
	}
	out->offset_ms += base;
	return true;
}
