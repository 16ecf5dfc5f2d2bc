#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("pantau-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

FILE *
fuzz_devnull(void)
{
	static FILE *devnull;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return devnull;
}

void
fuzz_fail(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
	abort();
}

void
fuzz_mkdtemp(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/pantau-fuzz-%s-XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp", strerror(errno));
}

bool
fuzz_config_loaded(pantau_err rc)
{
	if (rc != PANTAU_OK && rc != PANTAU_ERR_CONFIG)
		abort();
	return rc == PANTAU_OK;
}

void
fuzz_quiet(void)
{
	log_init("pantau-fuzz", LOG_LEVEL_ERROR, false);
}
