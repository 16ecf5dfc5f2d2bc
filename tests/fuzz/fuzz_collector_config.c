/* The collector's configuration file (collector/collector_config.c over
 * common/cfg.c and libinih): any bytes. */
#include "collector/collector_config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collector_config c;
	fuzz_config_loaded(collector_config_load(fuzz_file(data, size), &c, fuzz_devnull()));
	return 0;
}
