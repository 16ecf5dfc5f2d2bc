/*
 * A QR code in the terminal (libqrencode): the enrolment token for a
 * technician's phone. Two modules a character line with Unicode half
 * blocks; the light modules (and a quiet zone of two) are the drawn ones,
 * so it scans on the usual dark terminal, as qrencode -t UTF8 does. For
 * paper (`pantau enrol bulk --sheet`), the same code as an SVG element.
 */
#ifndef PANTAU_CLI_QR_H
#define PANTAU_CLI_QR_H

#include <stdbool.h>
#include <stdio.h>

/* Print text as a QR code; false when it cannot be encoded. */
bool qr_print(FILE *to, const char *text);

/* Write text as a QR code in an inline SVG element for a printed page:
 * dark modules on white, a quiet zone of four, side mm millimetres wide. */
bool qr_svg(FILE *to, const char *text, int side_mm);

#endif
