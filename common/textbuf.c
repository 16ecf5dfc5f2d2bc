#include "textbuf.h"

#include <string.h>

#include "grow.h"

bool
textbuf_reserve(struct textbuf *b, size_t more, size_t first)
{
	if (b->oom)
		return false;
	char *p = grow_to(b->p, &b->cap, b->len + more + 1, 1, first);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	return true;
}

void
textbuf_put(struct textbuf *b, const char *s, size_t n, size_t first)
{
	if (!textbuf_reserve(b, n, first))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
