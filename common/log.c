#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct log_settings {
	const char *progname;
	enum log_level level;
	bool use_syslog;
	bool journald; /* stderr goes to journald: no timestamps, <N> prefixes */
};

/* Written once by log_init() before any other thread or loop exists. */
static struct log_settings settings = { "pantau", LOG_LEVEL_INFO, false, false };

void
log_init(const char *progname, enum log_level level, bool use_syslog)
{
	settings.progname = progname;
	settings.level = level;
	settings.use_syslog = use_syslog;
	settings.journald = getenv("JOURNAL_STREAM") != NULL && !isatty(STDERR_FILENO);
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_level_parse(const char *name)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return level <= settings.level;
}

static void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error", "warn", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n >= 0 && errnum != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));

	if (settings.use_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	if (settings.journald) {
		fprintf(stderr, "<%d>%s: %s\n", prio[level], tag[level], msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000L, settings.progname, (long)getpid(),
	    tag[level], msg);
}

#define LOG_BODY(level, errnum)                     \
	do {                                        \
		if (!log_enabled(level))            \
			return;                     \
		va_list ap;                         \
		va_start(ap, fmt);                  \
		log_emit(level, errnum, fmt, ap);   \
		va_end(ap);                         \
	} while (0)

void log_error(const char *fmt, ...) { int e = errno; LOG_BODY(LOG_LEVEL_ERROR, e); }
void log_errorx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_ERROR, 0); }
void log_warn(const char *fmt, ...) { int e = errno; LOG_BODY(LOG_LEVEL_WARN, e); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_WARN, 0); }
void log_info(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LEVEL_DEBUG, 0); }
