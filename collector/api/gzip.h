/* gzip (RFC 1952) of a reply's text, for clients that send
 * "Accept-Encoding: gzip" (docs/api.md "Compression"). */
#ifndef PANTAU_GZIP_H
#define PANTAU_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Whether an Accept-Encoding header value allows gzip: it names gzip (or
 * x-gzip) without q=0. NULL: no. */
bool gzip_accepted(const char *accept_encoding);

/* Compress len bytes of in into a new buffer (*out, malloc'd, *out_len
 * bytes), at zlib's fastest level: a reply is compressed on the loop.
 * PANTAU_ERR_NOMEM when memory runs out; *out is then NULL. */
pantau_err gzip_compress(const char *in, size_t len, char **out, size_t *out_len);

#endif
