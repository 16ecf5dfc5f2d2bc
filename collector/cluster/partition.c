#include "partition.h"

#include <stdint.h>
#include <stdio.h>

int
partition_of(const char *regency, int n)
{
	uint32_t h = 2166136261u;
	if (n <= 1 || regency == NULL)
		return 0;
	for (const char *p = regency; *p != '\0'; p++) {
		if (*p == '.')
			continue;
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return (int)(h % (uint32_t)n);
}

pantau_err
partition_filter(char *buf, size_t len, const char *regency)
{
	char digits[8];
	size_t n = 0;
	for (const char *p = regency; *p != '\0' && n + 1 < sizeof(digits); p++)
		if (*p != '.')
			digits[n++] = *p;
	digits[n] = '\0';
	if (n != 4)
		return PANTAU_ERR_INVAL;
	int w = snprintf(buf, len, "pantau/v1/%.2s/%s/#", digits, digits);
	return w > 0 && (size_t)w < len ? PANTAU_OK : PANTAU_ERR_INVAL;
}
