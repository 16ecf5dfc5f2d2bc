/*
 * Logging to stderr (foreground; journald adds its own timestamps when it
 * captures us) or syslog. The level filter is applied before formatting.
 *
 * log_init() is called once in main() before the event loop starts; the
 * logger's settings are the one piece of process-wide state and are
 * read-only afterwards.
 */
#ifndef PANTAU_LOG_H
#define PANTAU_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *progname, enum log_level level, bool use_syslog);
/* Parse "error|warn|info|debug"; returns -1 when unknown. */
int log_level_parse(const char *name);
bool log_enabled(enum log_level level);

#define PANTAU_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* log_warn and log_error append ": <strerror(errno)>". */
void log_error(const char *fmt, ...) PANTAU_PRINTF(1, 2);
void log_errorx(const char *fmt, ...) PANTAU_PRINTF(1, 2);
void log_warn(const char *fmt, ...) PANTAU_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) PANTAU_PRINTF(1, 2);
void log_info(const char *fmt, ...) PANTAU_PRINTF(1, 2);
void log_debug(const char *fmt, ...) PANTAU_PRINTF(1, 2);

#endif
