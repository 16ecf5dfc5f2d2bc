#include "block.h"

#include <stdalign.h>
#include <stdlib.h>

void *
block_alloc(size_t head, size_t rest, struct block *b)
{
	size_t align = alignof(max_align_t);
	size_t at = (head + align - 1) / align * align;
	char *p = calloc(1, at + rest);
	b->next = p != NULL ? p + at : NULL;
	return p;
}

void *
block_take(struct block *b, size_t n, size_t size)
{
	void *at = b->next;
	b->next += n * size;
	return at;
}
