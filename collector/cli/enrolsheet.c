#include "enrolsheet.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "qr.h"

#define QR_SIDE_MM 38

struct enrol_sheet {
	FILE *out;
	char *text;
	size_t len;
	char collector[256];
};

/* text with &, <, > and " as entities. */
static void
put_escaped(FILE *to, const char *text)
{
	for (const char *c = text; *c != '\0'; c++) {
		switch (*c) {
		case '&': fputs("&amp;", to); break;
		case '<': fputs("&lt;", to); break;
		case '>': fputs("&gt;", to); break;
		case '"': fputs("&quot;", to); break;
		default: fputc(*c, to); break;
		}
	}
}

struct enrol_sheet *
enrol_sheet_new(const char *collector_url)
{
	struct enrol_sheet *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->out = open_memstream(&s->text, &s->len)) == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->collector, sizeof(s->collector), "%s",
	    collector_url != NULL ? collector_url : "https://COLLECTOR:8443");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>pantau enrolment tokens</title><style>\n"
	    "body{font-family:sans-serif;margin:10mm}\n"
	    ".card{display:flex;gap:6mm;border:1px dashed #888;padding:5mm;margin-bottom:6mm;"
	    "page-break-inside:avoid}\n"
	    ".card h2{margin:0 0 2mm;font-size:14pt}.token,code{font-family:monospace;"
	    "word-break:break-all}\n.id{color:#333}\n"
	    "</style></head><body>\n", s->out);
	return s;
}

bool
enrol_sheet_add(struct enrol_sheet *s, const char *region, const char *site,
    const char *agent, const char *token, const char *expires_iso)
{
	FILE *o = s->out;
	fputs("<section class=\"card\" data-agent=\"", o);
	put_escaped(o, agent);
	fputs("\">", o);
	if (!qr_svg(o, token, QR_SIDE_MM))
		return false;
	fputs("<div><h2>", o);
	put_escaped(o, site);
	fputs("</h2><p>Region ", o);
	put_escaped(o, region);
	fputs(" &middot; agent <b>", o);
	put_escaped(o, agent);
	fputs("</b></p><p class=\"token\">", o);
	put_escaped(o, token);
	fputs("</p><p>Single use; expires ", o);
	put_escaped(o, expires_iso);
	fputs(". At the site run:<br><code>sudo pantau-agent enrol TOKEN --collector ", o);
	put_escaped(o, s->collector);
	fputs("</code><br>then <code>sudo pantau-agent check --config /etc/pantau/agent.ini"
	    "</code></p><p class=\"id\" lang=\"id\">Sekali pakai; berlaku sampai ", o);
	put_escaped(o, expires_iso);
	fputs(". Di lokasi jalankan perintah di atas (pindai kode QR untuk TOKEN).</p>"
	    "</div></section>\n", o);
	return ferror(o) == 0;
}

bool
enrol_sheet_finish(struct enrol_sheet *s, const char *path)
{
	fputs("</body></html>\n", s->out);
	bool ok = fclose(s->out) == 0;
	if (ok && path != NULL) {
		char d[PATH_MAX], b[PATH_MAX];
		snprintf(d, sizeof(d), "%s", path);
		snprintf(b, sizeof(b), "%s", path);
		ok = durable_write_mode(dirname(d), basename(b), s->text, s->len, 0600) == PANTAU_OK;
	}
	int saved = errno;
	if (s->text != NULL)
		OPENSSL_cleanse(s->text, s->len);
	free(s->text);
	free(s);
	errno = saved;
	return ok;
}
