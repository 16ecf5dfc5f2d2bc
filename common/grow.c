#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *
grow_to(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need <= *cap)
		return items;
	size_t n = *cap > 0 ? *cap * 2 : first;
	while (n < need)
		n *= 2;
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = realloc(items, n * size);
	if (p != NULL)
		*cap = n;
	return p;
}
