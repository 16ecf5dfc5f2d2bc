/*
 * A growing text buffer: bytes appended at the end, kept NUL-terminated by
 * textbuf_put. Out of memory is sticky: every later call does nothing.
 * The writers of a text built in memory sit on it (the /metrics text in
 * collector/api/promtext.c, the PostgreSQL array literals in
 * collector/store/pg_array.c).
 */
#ifndef PANTAU_TEXTBUF_H
#define PANTAU_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *p;        /* NULL until the first byte is reserved */
	size_t len, cap;
	bool oom;
};

/* Room for more bytes after len and one NUL after them; the first
 * allocation holds at least first bytes, every later one doubles. False
 * when memory ran out, now or before (b->oom). */
bool textbuf_reserve(struct textbuf *b, size_t more, size_t first);

/* n bytes of s at the end, then a NUL (not counted in len). */
void textbuf_put(struct textbuf *b, const char *s, size_t n, size_t first);

#endif
