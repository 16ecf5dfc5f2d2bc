/*
 * A JSON array of a list's items in an order of the reader's choosing,
 * the list itself left as its owner keeps it (alerts, incidents).
 */
#ifndef PANTAU_SORTEDJSON_H
#define PANTAU_SORTEDJSON_H

#include <jansson.h>
#include <stddef.h>

/* Compares two items through pointers to them (qsort over const T *). */
typedef int (*sortedjson_cmp)(const void *pa, const void *pb);
/* An item's JSON, or NULL to leave it out. */
typedef json_t *(*sortedjson_item)(const void *item, void *ctx);

/* The n items of size bytes at base, sorted by cmp, each made by item;
 * NULL when out of memory. */
json_t *sortedjson_array(const void *base, size_t n, size_t size, sortedjson_cmp cmp,
    sortedjson_item item, void *ctx);

#endif
