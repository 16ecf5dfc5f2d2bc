/*
 * The main() of every unit test binary: it runs each case its file defines.
 *
 * A case is a function "test_NAME(void **state)" whose name starts a line.
 * The build lists a file's cases, in the order they stand, into a generated
 * header named by UNIT_CASES (Makefile, "unit test cases"), so a case is
 * written down once and none can be forgotten. A file includes this header
 * last, after cmocka.h, having defined what it needs of:
 *
 *   UNIT_SETUP, UNIT_TEARDOWN              around each case (its fixture)
 *   UNIT_GROUP_SETUP, UNIT_GROUP_TEARDOWN  once around all of them
 *   UNIT_LOG_LEVEL                         the log level while they run
 *                                          (common/log.h; default: as is)
 */
#ifndef PANTAU_TEST_UNIT_MAIN_H
#define PANTAU_TEST_UNIT_MAIN_H

#ifndef UNIT_CASES
#error "UNIT_CASES names the generated list of cases: build unit tests with make"
#endif
#ifndef UNIT_SETUP
#define UNIT_SETUP NULL
#endif
#ifndef UNIT_TEARDOWN
#define UNIT_TEARDOWN NULL
#endif
#ifndef UNIT_GROUP_SETUP
#define UNIT_GROUP_SETUP NULL
#endif
#ifndef UNIT_GROUP_TEARDOWN
#define UNIT_GROUP_TEARDOWN NULL
#endif

#ifdef UNIT_LOG_LEVEL
#include "log.h"
#endif

#define UNIT_CASE(name) cmocka_unit_test_setup_teardown(name, UNIT_SETUP, UNIT_TEARDOWN),

int
main(void)
{
	const struct CMUnitTest cases[] = {
#include UNIT_CASES
	};
#ifdef UNIT_LOG_LEVEL
	log_init("unit", UNIT_LOG_LEVEL, false);
#endif
	return cmocka_run_group_tests(cases, UNIT_GROUP_SETUP, UNIT_GROUP_TEARDOWN);
}

#endif
