/*
 * The growing arrays of the tree: an array of items with its capacity,
 * doubled when it is full.
 */
#ifndef PANTAU_GROW_H
#define PANTAU_GROW_H

#include <stddef.h>

/* items (NULL at first), an array of *cap items of size bytes, with room
 * for need items: items itself when *cap >= need, else items reallocated to
 * twice *cap (first when *cap is 0), doubled again until need fits, and
 * *cap updated. NULL when out of memory; items and *cap are then as they
 * were. */
void *grow_to(void *items, size_t *cap, size_t need, size_t size, size_t first);

#endif
