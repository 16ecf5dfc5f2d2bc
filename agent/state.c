#include "state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "strnum.h"
#include "wire.h"

#define BOOT_FILE "boot"

static int
mkdir_p(const char *dir)
{
	char path[512];
	if (strnum_copy(path, sizeof(path), dir) != PANTAU_OK) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

pantau_err
state_prepare(const char *dir, char *why, size_t len)
{
	if (mkdir_p(dir) != 0 || access(dir, W_OK) != 0) {
		snprintf(why, len, "cannot use state folder %s: %s; create it and make it writable "
		    "for the agent's user, or set [agent] state_dir", dir, strerror(errno));
		return PANTAU_ERR_IO;
	}
	return PANTAU_OK;
}

static pantau_err
read_boot(const char *path, int64_t *boot, char *why, size_t len)
{
	char buf[32];
	long long v;
	FILE *fp = fopen(path, "r");
	*boot = 0;
	if (fp == NULL)
		return errno == ENOENT ? PANTAU_OK : PANTAU_ERR_IO;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strnum_int(buf, 0, WIRE_INT_MAX - 1, &v) != PANTAU_OK) {
		snprintf(why, len, "%s holds \"%s\", not a boot number; remove the file to start "
		    "counting again", path, buf);
		return PANTAU_ERR_PARSE;
	}
	*boot = v;
	return PANTAU_OK;
}

pantau_err
state_next_boot(const char *dir, int64_t *boot, char *why, size_t len)
{
	char path[560], text[32];
	int64_t last;
	snprintf(path, sizeof(path), "%s/%s", dir, BOOT_FILE);
	pantau_err rc = read_boot(path, &last, why, len);
	if (rc == PANTAU_ERR_IO)
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
	if (rc != PANTAU_OK)
		return rc;
	snprintf(text, sizeof(text), "%lld\n", (long long)(last + 1));
	if (durable_write(dir, BOOT_FILE, text) != PANTAU_OK) {
		snprintf(why, len, "cannot write %s: %s; is the disk full or read-only?", path,
		    strerror(errno));
		return PANTAU_ERR_IO;
	}
	*boot = last + 1;
	return PANTAU_OK;
}
