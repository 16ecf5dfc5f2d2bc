#include "clock.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
clock_timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* One clock's reading in ns. */
static int64_t
read_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return clock_timespec_ns(&ts);
}

int64_t
clock_mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

int64_t
clock_real_ns(void)
{
	return read_ns(CLOCK_REALTIME);
}

int64_t
clock_boot_ns(void)
{
	return read_ns(CLOCK_BOOTTIME);
}

int64_t
clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000LL;
}

int64_t
clock_boot_ms(void)
{
	return clock_boot_ns() / 1000000LL;
}

int64_t
clock_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000LL;
}

void
clock_format_iso(int64_t epoch_ms, char buf[CLOCK_ISO_LEN])
{
	int64_t ms = epoch_ms % 1000;
	time_t sec = (time_t)(epoch_ms / 1000);
	struct tm tm;
	if (ms < 0) {
		ms += 1000;
		sec -= 1;
	}
	gmtime_r(&sec, &tm);
	if (strftime(buf, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		snprintf(buf, CLOCK_ISO_LEN, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf + 19, CLOCK_ISO_LEN - 19, ".%03dZ", (int)ms);
}

/* Read exactly n decimal digits. */
static int
read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

pantau_err
clock_parse_iso(const char *s, int64_t *epoch_ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, ms = 0;
	if (read_digits(&p, 4, &y) || expect(&p, '-') || read_digits(&p, 2, &mo) ||
	    expect(&p, '-') || read_digits(&p, 2, &d) || expect(&p, 'T') ||
	    read_digits(&p, 2, &h) || expect(&p, ':') || read_digits(&p, 2, &mi) ||
	    expect(&p, ':') || read_digits(&p, 2, &sec))
		return PANTAU_ERR_PARSE;
	if (*p == '.') {
		int ndig = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (ndig < 3)
				ms = ms * 10 + (*p - '0');
			ndig++;
			p++;
		}
		if (ndig == 0 || ndig > 9)
			return PANTAU_ERR_PARSE;
		for (int i = ndig; i < 3; i++)
			ms *= 10;
	}
	if (expect(&p, 'Z') || *p != '\0')
		return PANTAU_ERR_PARSE;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return PANTAU_ERR_PARSE;

	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return PANTAU_ERR_PARSE;
	*epoch_ms = (int64_t)t * 1000 + ms;
	return PANTAU_OK;
}
