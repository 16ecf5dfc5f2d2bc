#include "qr.h"

#include <qrencode.h>

#define QUIET 2
#define QUIET_PAPER 4

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

bool
qr_svg(FILE *to, const char *text, int side_mm)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return false;
	int n = q->width + 2 * QUIET_PAPER;
	fprintf(to, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" width=\"%dmm\" "
	    "height=\"%dmm\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", side_mm,
	    side_mm, n, n, n, n);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			if (dark(q, x, y))
				fprintf(to, "M%d %dh1v1h-1z", x + QUIET_PAPER, y + QUIET_PAPER);
	fputs("\"/></svg>", to);
	QRcode_free(q);
	return true;
}
