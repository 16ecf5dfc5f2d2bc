#include "strsorted.h"

#include <string.h>

size_t
strsorted_find(const void *ctx, size_t n, strsorted_key_fn key_at, const char *key,
    bool *found)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key_at(ctx, mid), key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}
