/* pantau-reflector's configuration file (reflector/reflector_config.c over
 * common/cfg.c and libinih): any bytes. */
#include <stdlib.h>

#include "fuzz.h"
#include "reflector/reflector_config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reflector_config c;
	if (fuzz_config_loaded(reflector_config_load(fuzz_file(data, size), &c, fuzz_devnull())) &&
	    c.http.per_client > c.http.max_connections)
		abort();
	return 0;
}
