#include "text.h"

#include <string.h>

/* Bytes of the longest cell text_cell fits (a reason at full width). */
#define TEXT_CELL_MAX 1024

static bool
continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t
text_cols(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		if (!continuation((unsigned char)*s))
			n++;
	return n;
}

/* Byte length of the first cols code points of s. */
static size_t
prefix_bytes(const char *s, size_t cols)
{
	size_t i = 0, seen = 0;
	for (; s[i] != '\0'; i++) {
		if (!continuation((unsigned char)s[i]) && seen++ == cols)
			break;
	}
	return i;
}

void
text_fit(char *dst, size_t len, const char *src, size_t cols)
{
	static const char ell[] = TEXT_ELLIPSIS;
	if (len == 0)
		return;
	bool cut = text_cols(src) > cols;
	size_t keep = prefix_bytes(src, cut && cols > 0 ? cols - 1 : cols);
	size_t tail = cut && cols > 0 ? sizeof(ell) - 1 : 0;
	/* dst must hold keep + tail + NUL: shorten on a code point boundary */
	while (keep > 0 && keep + tail + 1 > len) {
		keep--;
		while (keep > 0 && continuation((unsigned char)src[keep]))
			keep--;
	}
	if (keep + tail + 1 > len)
		tail = 0;
	memcpy(dst, src, keep);
	memcpy(dst + keep, ell, tail);
	dst[keep + tail] = '\0';
}

void
text_cell(FILE *out, const char *s, size_t cols, bool right, const char *color)
{
	char buf[TEXT_CELL_MAX];
	text_fit(buf, sizeof(buf), s, cols);
	size_t pad = cols - text_cols(buf);
	if (right)
		fprintf(out, "%*s", (int)pad, "");
	if (color != NULL)
		fprintf(out, "%s%s\033[0m", color, buf);
	else
		fputs(buf, out);
	if (!right)
		fprintf(out, "%*s", (int)pad, "");
}

void
text_gap(FILE *out)
{
	fprintf(out, "%*s", TEXT_GAP, "");
}

void
text_next_cell(FILE *out, const char *s, size_t cols, bool right, const char *color)
{
	text_gap(out);
	text_cell(out, s, cols, right, color);
}

void
text_last_cell(FILE *out, const char *s, int width, size_t fixed)
{
	size_t cols = text_cols(s);
	if (width > 0 && (size_t)width > fixed && cols > (size_t)width - fixed)
		cols = (size_t)width - fixed;
	text_cell(out, s, cols, false, NULL);
	fputc('\n', out);
}

void
text_age(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;
	if (s < 120)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lld h", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lld d", (long long)(s / 86400));
}
