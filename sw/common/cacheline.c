/* SPDX-License-Identifier: MIT */
#include "cacheline.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

bool vcl_demote_on;

__attribute__((constructor)) static void vcl_init(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	const char *env = getenv("VIONIC_CLDEMOTE");

	/* CPUID.(EAX=7, ECX=0):ECX bit 25 */
	vcl_demote_on = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c >> 25 & 1) &&
			!(env && !strcmp(env, "0"));
#endif
}
