/*
 * A struct and its fixed-size arrays in one allocation, freed with one
 * free(): block_alloc, then block_take for each array in turn, the 8-byte
 * items first and the one-byte ones last so that each is aligned.
 */
#ifndef PANTAU_BLOCK_H
#define PANTAU_BLOCK_H

#include <stddef.h>

struct block {
	char *next;
};

/* head bytes followed by rest bytes, all zero; NULL when out of memory. */
void *block_alloc(size_t head, size_t rest, struct block *b);

/* The next n items of size bytes of the block. */
void *block_take(struct block *b, size_t n, size_t size);

#endif
