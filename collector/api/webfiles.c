#include "webfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
webfiles_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > WEBFILES_NAME_MAX)
		return false;
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./") != n)
		return false;
	for (const char *seg = name; seg != NULL;) {
		if (seg[0] == '\0' || seg[0] == '/' || seg[0] == '.')
			return false;    /* empty segment, trailing slash, dot file or .. */
		seg = strchr(seg, '/');
		if (seg != NULL)
			seg++;
	}
	return true;
}

const char *
webfiles_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".md", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

pantau_err
webfiles_open(const char *dir, const char *name, struct webfile *out)
{
	char path[1024];
	struct stat sb;
	out->fd = -1;
	if (!webfiles_name_ok(name))
		return PANTAU_ERR_INVAL;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return PANTAU_ERR_NOT_FOUND;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return PANTAU_ERR_NOT_FOUND;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return PANTAU_ERR_NOT_FOUND;
	}
	out->fd = fd;
	out->size = (uint64_t)sb.st_size;
	out->type = webfiles_type(name);
	return PANTAU_OK;
}
