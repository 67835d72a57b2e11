/* SPDX-License-Identifier: MIT */
/*
 * Handing a cache line to the other side. The driver and the device are two
 * agents on two cores (or a core and a NIC): a line one of them last wrote
 * or read stays in that core's private cache, and the other's next access
 * to it has to snoop it out of there. CLDEMOTE moves the line to the shared
 * last-level cache beforehand, where a NIC's DMA would have left it. It is
 * a hint: no data changes. A CPU without it, or VIONIC_CLDEMOTE=0 in the
 * environment (for a measurement without), skips it.
 */
#ifndef VIONIC_CACHELINE_H
#define VIONIC_CACHELINE_H

#include <stdbool.h>

/* CPUID says CLDEMOTE and VIONIC_CLDEMOTE is not 0 (set before main()). */
extern bool vcl_demote_on;

/* Moves the cache line holding p towards the shared cache. */
static inline void vcl_demote(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (vcl_demote_on)
		__asm__ __volatile__("cldemote %0" : : "m"(*(const char *)p) : "memory");
#else
	(void)p;
#endif
}

#endif
