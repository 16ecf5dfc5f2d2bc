/* Partitions of the sites by regency (collector/cluster/partition.h): the
 * hash, its topic filters, and how evenly the catalog's regencies spread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "catalog.h"
#include "db_harness.h"
#include "collector/cluster/partition.h"

static void
test_hash_of_the_four_digits(void **state)
{
	(void)state;
	/* the same figures as tests/e2e/test_cluster.py's partition_of */
	assert_int_equal(partition_of("95.01", 6), 0);
	assert_int_equal(partition_of("32.73", 6), 4);
	assert_int_equal(partition_of("3273", 6), 4);
	assert_int_equal(partition_of("11.06", 16), 9);
	assert_int_equal(partition_of("32.73", 1), 0);
	assert_int_equal(partition_of("32.73", 0), 0);
}

static void
test_topic_filter_of_a_regency(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(partition_filter(buf, sizeof(buf), "32.73"), PANTAU_OK);
	assert_string_equal(buf, "pantau/v1/32/3273/#");
	assert_int_equal(partition_filter(buf, sizeof(buf), "3273"), PANTAU_OK);
	assert_string_equal(buf, "pantau/v1/32/3273/#");
	assert_int_equal(partition_filter(buf, sizeof(buf), "32.7"), PANTAU_ERR_INVAL);
	assert_int_equal(partition_filter(buf, 8, "32.73"), PANTAU_ERR_INVAL);
}

/* Every regency in one partition; each partition within 25 % of the mean. */
static void
test_regencies_spread_evenly(void **state)
{
	(void)state;
	struct catalog *cat = harness_catalog();
	int count[6] = { 0 };
	for (size_t i = 0; i < cat->nregencies; i++)
		count[partition_of(cat->regencies[i].code, 6)]++;
	double mean = (double)cat->nregencies / 6;
	for (int p = 0; p < 6; p++) {
		assert_true(count[p] > mean * 0.75);
		assert_true(count[p] < mean * 1.25);
	}
	catalog_free(cat);
}

#include "unit_main.h"
