#include "sortedjson.h"

#include <stdlib.h>

json_t *
sortedjson_array(const void *base, size_t n, size_t size, sortedjson_cmp cmp,
    sortedjson_item item, void *ctx)
{
	const void **order = calloc(n + 1, sizeof(*order));
	json_t *list = json_array();
	if (order == NULL || list == NULL) {
		free(order);
		json_decref(list);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (const char *)base + i * size;
	qsort(order, n, sizeof(*order), cmp);
	for (size_t i = 0; i < n; i++) {
		json_t *o = item(order[i], ctx);
		if (o != NULL)
			json_array_append_new(list, o);
	}
	free(order);
	return list;
}
