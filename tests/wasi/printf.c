// SPDX-License-Identifier: MIT
/* printf and scanf over wide ranges: every width of integer, floats from
 * subnormal to DBL_MAX in %f/%e/%g, rounding, special values, padding. */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common.h"

static void ints(void)
{
	printf("[%d] [%i] [%u] [%x] [%X] [%o]\n", INT_MIN, INT_MAX, UINT_MAX, 0xdeadbeefu, 255u, 8u);
	printf("[%lld] [%lld] [%llu]\n", LLONG_MIN, LLONG_MAX, ULLONG_MAX);
	printf("[%hhd] [%hhu] [%hd] [%hu]\n", (signed char)-128, (unsigned char)255, (short)-32768,
	       (unsigned short)65535);
	printf("[%" PRId64 "] [%" PRIx64 "] [%zu] [%td]\n", INT64_MIN, UINT64_MAX, (size_t)12345,
	       (ptrdiff_t)-7);
	printf("[%8d] [%-8d] [%08d] [%+d] [% d] [%.5d] [%#x] [%#o]\n", 42, 42, 42, 42, 42, 42, 255u, 8u);
	printf("[%*d] [%-*d] [%.*d]\n", 6, -3, 6, -3, 4, 9);
	printf("[%c] [%5c] [%%]\n", 'x', 'y');
}

static void floats(void)
{
	static const double vals[] = {
		0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, 123456789.125, 1e-5, 1e-300,
		5e-324, DBL_MIN, DBL_MAX, 1e21, 1e22, 9007199254740993.0, 0.5, 1.5, 2.5, 3.14159265358979,
		2.675, 1e100, 6.02214076e23, 1.602176634e-19,
	};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		double v = vals[i];

		printf("%%.3f=%.3f %%e=%e %%g=%g %%.17g=%.17g %%.0f=%.0f\n", v, v, v, v, v);
	}
	printf("DBL_MAX %%f: %f\n", DBL_MAX);
	printf("subnormals: %.20e %.20e %.330f\n", 5e-324, DBL_MIN / 3, 5e-324);
	printf("[%10.4f] [%-10.2e] [%+.3g] [%#.0f] [%010.3f]\n", M_PI, M_PI, M_PI, 3.0, -M_PI);
	printf("inf %f %e %g, -inf %f, nan %f\n", INFINITY, INFINITY, INFINITY, -INFINITY, NAN);
	printf("float args: %f %g %e\n", (double)FLT_MAX, (double)FLT_MIN, (double)FLT_EPSILON);
	printf("%%a of 1.0 and 0.1: %a %a\n", 1.0, 0.1);
}

static void math(void)
{
	printf("sqrt2 %.17g exp1 %.17g log10 %.17g\n", sqrt(2.0), exp(1.0), log(10.0));
	printf("sin1 %.17g cos1 %.17g atan2 %.17g\n", sin(1.0), cos(1.0), atan2(1.0, 2.0));
	printf("pow %.17g fmod %.17g floor %g ceil %g round %g trunc %g\n", pow(2.0, 0.5),
	       fmod(10.5, 3.0), floor(-2.5), ceil(-2.5), round(-2.5), trunc(-2.5));
	printf("lround %ld rint %g nearbyint %g\n", lround(2.5), rint(2.5), nearbyint(3.5));
	printf("float ops %.9g %.9g\n", (double)sqrtf(2.0f), (double)(1.0f / 3.0f));
	printf("isnan %d isinf %d signbit(-0) %d\n", isnan(NAN), isinf(-INFINITY) != 0, signbit(-0.0) != 0);
}

static void scanning(void)
{
	int i, n;
	unsigned u;
	long long ll;
	double d;
	char word[32];

	n = sscanf("  -42 0x1F 9223372036854775807 3.5e-3 hello", "%d %x %lld %lf %31s", &i, &u,
		   &ll, &d, word);
	printf("sscanf %d: %d %u %lld %.17g %s\n", n, i, u, ll, d, word);
	printf("strtod: %.17g %.17g %.17g\n", strtod("0.1", NULL), strtod("1e-320", NULL),
	       strtod("123456789012345678901234567890", NULL));
	printf("strtol: %ld %ld %lu\n", strtol("-0777", NULL, 0), strtol("zz", NULL, 36),
	       strtoul("4294967295", NULL, 10));
	printf("atoi %d atof %g\n", atoi("  123abc"), atof("-2.5e2"));
}

static void buffers(void)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%s-%d-%f", "truncated string", 12345, 1.5);

	printf("snprintf wanted %d, got '%s'\n", n, buf);
	printf("[%.3s] [%-6s] [%6s]\n", "abcdef", "ab", "ab");
}

int main(void)
{
	ints();
	floats();
	math();
	scanning();
	buffers();
	return 0;
}
