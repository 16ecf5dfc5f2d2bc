#include "qr.h"

#include <qrencode.h>

#define QUIET 2

/* Module (x, y) is dark; outside the symbol (the quiet zone) it is light. */
static bool
dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return false;
	return (q->data[y * q->width + x] & 1) != 0;
}

bool
qr_print(FILE *to, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return false;
	for (int y = -QUIET; y < q->width + QUIET; y += 2) {
		for (int x = -QUIET; x < q->width + QUIET; x++) {
			bool top = !dark(q, x, y), bottom = y + 1 < q->width + QUIET && !dark(q, x, y + 1);
			fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", to);
		}
		fputc('\n', to);
	}
	QRcode_free(q);
	return true;
}
