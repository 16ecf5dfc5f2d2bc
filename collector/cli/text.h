/*
 * Terminal text helpers of the pantau CLI: fitting UTF-8 text into
 * columns and compact ages. Pure functions, no terminal access.
 */
#ifndef PANTAU_CLI_TEXT_H
#define PANTAU_CLI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Marks text cut to fit its column. */
#define TEXT_ELLIPSIS "\xe2\x80\xa6"   /* U+2026 */
/* Bytes of a compact age ("59 min", "never"). */
#define TEXT_AGE_MAX 16

/* Columns UTF-8 text takes: one per code point (region names, agent ids and
 * reasons hold no wide or combining characters). */
size_t text_cols(const char *s);

/* Copy src into dst (len bytes) keeping at most cols columns; a cut text
 * ends in TEXT_ELLIPSIS. Never splits a UTF-8 sequence. */
void text_fit(char *dst, size_t len, const char *src, size_t cols);

/* Write s fitted to cols columns and padded with spaces, left-aligned or
 * right-aligned; with color (an SGR sequence such as "\033[31m") the text
 * is wrapped in it and the padding stays outside. */
void text_cell(FILE *out, const char *s, size_t cols, bool right, const char *color);

/* Columns between two cells of a table. */
#define TEXT_GAP 2

/* Write the gap between two cells. */
void text_gap(FILE *out);

/* The gap, then text_cell: a cell after a row's first. */
void text_next_cell(FILE *out, const char *s, size_t cols, bool right, const char *color);

/* Write s as a row's last cell, then the newline: cut to the columns left
 * of a width-column terminal after fixed columns (width 0: no limit). */
void text_last_cell(FILE *out, const char *s, int width, size_t fixed);

/* Compact age of ms milliseconds: "12 s", "3 min", "5 h", "2 d"; a
 * negative age (clock skew) shows as "0 s". */
void text_age(int64_t ms, char *buf, size_t len);

#endif
