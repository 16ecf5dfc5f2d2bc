#include "gzip.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* zlib's windowBits for a gzip wrapper instead of zlib's own. */
#define GZIP_WINDOW_BITS (15 + 16)
#define GZIP_MEM_LEVEL 8

/* The q value of one coding in a header element ("gzip;q=0.5"): 0 only
 * when it is written as q=0, q=0.0 and so on. */
static bool
q_zero(const char *params, size_t len)
{
	const char *q = memchr(params, '=', len);
	if (q == NULL || q == params || tolower((unsigned char)q[-1]) != 'q')
		return false;
	for (q++; q < params + len && (*q == ' ' || *q == '0' || *q == '.'); q++)
		;
	return q == params + len || *q == ' ' || *q == ';';
}

static bool
element_is_gzip(const char *e, size_t len)
{
	while (len > 0 && *e == ' ')
		e++, len--;
	size_t name = strcspn(e, ";, ");
	if (name > len)
		name = len;
	bool gz = (name == 4 && strncasecmp(e, "gzip", 4) == 0) ||
	    (name == 6 && strncasecmp(e, "x-gzip", 6) == 0);
	return gz && !q_zero(e + name, len - name);
}

bool
gzip_accepted(const char *ae)
{
	for (const char *p = ae; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (element_is_gzip(p, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

pantau_err
gzip_compress(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	*out = NULL;
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return PANTAU_ERR_NOMEM;
	uLong bound = deflateBound(&zs, (uLong)len);
	char *buf = malloc(bound);
	if (buf == NULL) {
		deflateEnd(&zs);
		return PANTAU_ERR_NOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)bound;
	int rc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return PANTAU_ERR_NOMEM;
	}
	*out = buf;
	return PANTAU_OK;
}
