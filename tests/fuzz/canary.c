/*
 * Not a parser: a harness with planted bugs, run by tests/e2e/test_fuzz.py
 * to prove that its replay fails on each kind of report the real harnesses
 * could give: the input "crash" reads past a buffer (AddressSanitizer),
 * "leak" loses memory (LeakSanitizer), "overflow" overflows a signed int
 * (UBSan), "abort" fails a harness's own check.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	volatile int big = 2147483600 + (int)size;
	if (strcmp(copy, "crash") == 0)
		copy[0] = copy[size + 1];
	else if (strcmp(copy, "leak") == 0)
		copy = NULL;
	else if (strcmp(copy, "overflow") == 0)
		big = big + 100;
	else if (strcmp(copy, "abort") == 0)
		abort();
	(void)big;
	free(copy);
	return 0;
}
