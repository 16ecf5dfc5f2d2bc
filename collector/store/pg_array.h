/*
 * PostgreSQL array literals built element by element ({1,NULL,"a b"}),
 * to send a column of many rows as one text parameter that the statement
 * unnests (collector/store/pg_batch.c).
 */
#ifndef PANTAU_PG_ARRAY_H
#define PANTAU_PG_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

struct pg_array {
	struct textbuf b;   /* "{...}" once pg_array_end made it whole */
	size_t n;           /* elements */
};

/* Empty, ready for elements (pg_array_reset keeps the memory). */
void pg_array_reset(struct pg_array *a);
void pg_array_free(struct pg_array *a);

void pg_array_null(struct pg_array *a);
void pg_array_int(struct pg_array *a, int64_t v);
/* NAN: NULL. */
void pg_array_real(struct pg_array *a, double v);
/* NULL: NULL. */
void pg_array_text(struct pg_array *a, const char *v);

/* The literal, or NULL when memory ran out. */
const char *pg_array_end(struct pg_array *a);

#endif
