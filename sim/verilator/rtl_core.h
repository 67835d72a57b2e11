// SPDX-License-Identifier: MIT
// The Verilated RTL device core for the vionic device server (rtl_core.cpp).
#ifndef VIONIC_RTL_CORE_H
#define VIONIC_RTL_CORE_H

#include <stdint.h>

#include "vsrv.h"

#ifndef VIONIC_RTL_DATA_WIDTH
#error "build with -DVIONIC_RTL_DATA_WIDTH=<the DATA_WIDTH vionic_core was verilated with>"
#endif
#ifndef VIONIC_RTL_QUEUE_PAIRS
#error "build with -DVIONIC_RTL_QUEUE_PAIRS=<the NUM_QUEUE_PAIRS vionic_core was verilated with>"
#endif

// Options of the rtl server's own command line (main.cpp), read at create.
struct vionic_rtl_options {
	const char *trace_path;   // FST waveform file, or NULL
	unsigned dma_latency;     // host memory read latency in clock cycles
};
extern struct vionic_rtl_options vionic_rtl_opts;

extern const struct vsrv_core_ops vionic_rtl_core_ops;

#endif
