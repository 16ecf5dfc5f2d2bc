/*
 * Binary search in an array kept sorted by a string key (strcmp order):
 * the alerts by their key, the site paths by their agent.
 */
#ifndef PANTAU_STRSORTED_H
#define PANTAU_STRSORTED_H

#include <stdbool.h>
#include <stddef.h>

/* The key of element i of ctx's array. */
typedef const char *(*strsorted_key_fn)(const void *ctx, size_t i);

/* The index of key among n elements, or where it would go to keep the
 * order (*found false). */
size_t strsorted_find(const void *ctx, size_t n, strsorted_key_fn key_at, const char *key,
    bool *found);

#endif
