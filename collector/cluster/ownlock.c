#include "ownlock.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The two-key advisory lock spaces: "pan\0" for partitions, "pan\1" for members. */
#define CLASS_PART 1885433344
#define CLASS_MEMBER 1885433345
#define MEMBER_SLOTS 256

struct ownlock {
	char *conninfo;
	PGconn *conn;
	bool up;
	bool said_down;
};

struct ownlock *
ownlock_new(const char *conninfo)
{
	struct ownlock *l = calloc(1, sizeof(*l));
	if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

static void
disconnect(struct ownlock *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	l->up = false;
}

void
ownlock_free(struct ownlock *l)
{
	if (l == NULL)
		return;
	disconnect(l);
	free(l->conninfo);
	free(l);
}

/* One query with integer parameters; its single value as a number, -1 on error. */
static long
query_long(struct ownlock *l, const char *sql, int nparams, const int *params)
{
	char text[2][16];
	const char *values[2];
	for (int i = 0; i < nparams && i < 2; i++) {
		snprintf(text[i], sizeof(text[i]), "%d", params[i]);
		values[i] = text[i];
	}
	PGresult *r = PQexecParams(l->conn, sql, nparams, NULL, values, NULL, NULL, 0);
	long v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		const char *s = PQgetvalue(r, 0, 0);
		v = s[0] == 't' ? 1 : s[0] == 'f' ? 0 : strtol(s, NULL, 10);
	}
	PQclear(r);
	return v;
}

static bool
try_lock(struct ownlock *l, int cls, int key)
{
	int p[2] = { cls, key };
	return query_long(l, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", 2, p) == 1;
}

static bool
connect_session(struct ownlock *l)
{
	/* A silent network is found in seconds, not at the kernel's TCP timeout. */
	const char *keys[] = { "dbname", "connect_timeout", "application_name", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", NULL };
	const char *values[] = { l->conninfo, "2", "pantau-collector-locks", "5", "2", "2", "5000",
		NULL };
	l->conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(l->conn) != CONNECTION_OK) {
		if (!l->said_down)
			log_warnx("cluster: cannot open the lock session: %s; trying again",
			    PQerrorMessage(l->conn));
		l->said_down = true;
		disconnect(l);
		return false;
	}
	for (int slot = 0; slot < MEMBER_SLOTS; slot++)
		if (try_lock(l, CLASS_MEMBER, slot)) {
			log_info("cluster: lock session open, member slot %d", slot);
			l->said_down = false;
			l->up = true;
			return true;
		}
	log_warnx("cluster: all %d member slots are taken", MEMBER_SLOTS);
	disconnect(l);
	return false;
}

static int
count_members(struct ownlock *l)
{
	int p[1] = { CLASS_MEMBER };
	return (int)query_long(l, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
	    " AND granted AND classid = $1::int4::oid AND objsubid = 2 AND database ="
	    " (SELECT oid FROM pg_database WHERE datname = current_database())", 1, p);
}

bool
ownlock_check(struct ownlock *l, bool *lost, int *members)
{
	*lost = false;
	*members = 0;
	if (l->up) {
		int n = count_members(l);
		if (n > 0 && PQstatus(l->conn) == CONNECTION_OK) {
			*members = n;
			return true;
		}
		log_warnx("cluster: the lock session is gone (%s); the partitions are dropped",
		    PQerrorMessage(l->conn));
		*lost = true;
		disconnect(l);
	}
	if (!connect_session(l))
		return false;
	*members = count_members(l);
	return *members > 0;
}

bool
ownlock_try(struct ownlock *l, int p)
{
	return l->up && try_lock(l, CLASS_PART, p);
}

void
ownlock_release(struct ownlock *l, int p)
{
	int k[2] = { CLASS_PART, p };
	if (l->up)
		(void)query_long(l, "SELECT pg_advisory_unlock($1::int4, $2::int4)", 2, k);
}
