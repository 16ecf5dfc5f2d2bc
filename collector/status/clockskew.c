#include "clockskew.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "sitestate.h"

bool
clockskew_text(double skew_ms, char *buf, size_t len)
{
	char age[32];
	if (isnan(skew_ms) || fabs(skew_ms) <= CLOCKSKEW_MS)
		return false;
	sitestate_format_age((int64_t)fabs(skew_ms), age, sizeof(age));
	snprintf(buf, len, "agent clock %s %s", age, skew_ms > 0 ? "ahead" : "behind");
	return true;
}
