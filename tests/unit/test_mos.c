/* Estimated MOS (simplified E-model, ../shared/REFERENCES.md) against
 * hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "mos.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static double
mos_of(double r)
{
	return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

static void
test_good_fixed_line(void **state)
{
	(void)state;
	/* RTT 20, jitter 1, no loss: EL = 32, R = 93.2 - 0.8 = 92.4 */
	NEAR(mos_r_factor(20, 1, 0), 92.4);
	NEAR(mos_estimate(20, 1, 0), mos_of(92.4));
	assert_true(mos_estimate(20, 1, 0) > 4.3);
}

static void
test_geo_vsat_uses_the_long_delay_branch(void **state)
{
	(void)state;
	/* RTT 600, jitter 10: EL = 630 >= 160: R = 93.2 - 51 = 42.2 */
	NEAR(mos_r_factor(600, 10, 0), 42.2);
	/* At the knee: EL = 159.999 vs 160 */
	NEAR(mos_r_factor(149, 0, 0), 93.2 - 159.0 / 40);
	NEAR(mos_r_factor(150, 0, 0), 93.2 - 4.0);
}

static void
test_loss_is_percent_of_the_window(void **state)
{
	(void)state;
	/* 2 % loss costs 5 R points: 92.4 - 5 = 87.4 */
	NEAR(mos_r_factor(20, 1, 2), 87.4);
	/* Total loss clamps R to 0 and MOS to 1, whatever the RTT. */
	NEAR(mos_r_factor(20, 1, 100), 0);
	NEAR(mos_estimate(0, 0, 100), 1.0);
	NEAR(mos_estimate(20, 1, 250), 1.0);   /* out of range: 100 % */
}

static void
test_inputs_out_of_range(void **state)
{
	(void)state;
	NEAR(mos_r_factor(-5, -1, -3), 93.2 - 10.0 / 40);
	NEAR(mos_r_factor(NAN, NAN, 0), 93.2 - 10.0 / 40);
	/* MOS tops out at 4.5 (R = 100 is out of reach: 93.2 max). */
	assert_true(mos_estimate(0, 0, 0) <= 4.5);
}

#include "unit_main.h"
