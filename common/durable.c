#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pantau_err
durable_write(const char *dir, const char *name, const char *text)
{
	return durable_write_mode(dir, name, text, strlen(text), 0640);
}

pantau_err
durable_write_mode(const char *dir, const char *name, const char *data, size_t n,
    mode_t mode)
{
	char path[560], tmp[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return PANTAU_ERR_IO;
	bool ok = fchmod(fd, mode) == 0 && write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
	int saved = errno;
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) != 0) {
		saved = errno;
		ok = false;
	}
	if (!ok) {
		(void)unlink(tmp);
		errno = saved;
		return PANTAU_ERR_IO;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return PANTAU_OK;
}

pantau_err
durable_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[560];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return errno == ENOENT ? PANTAU_ERR_NOT_FOUND : PANTAU_ERR_IO;
	size_t n = fread(buf, 1, len - 1, fp);
	bool bad = ferror(fp) != 0;
	fclose(fp);
	buf[n] = '\0';
	return bad ? PANTAU_ERR_IO : PANTAU_OK;
}
