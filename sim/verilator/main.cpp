// SPDX-License-Identifier: MIT
//
// vionic-rtl-server: the device server with the Verilated RTL as its core.
//
//   vionic-rtl-server [--trace FILE.fst] [--dma-latency CYCLES] SERVER-OPTIONS...
//
// Takes its own two options off the command line and hands the rest to the
// device-server runtime (see sim/server/vionic_server.h), with the RTL
// registered as its core (`--core rtl`, the only one and so the default).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rtl_core.h"
#include "vionic_server.h"

int main(int argc, char **argv)
{
	std::vector<char *> rest{argv[0]};
	for (int i = 1; i < argc; i++) {
		const bool has_value = i + 1 < argc;
		if (!std::strcmp(argv[i], "--trace") && has_value) {
			vionic_rtl_opts.trace_path = argv[++i];
		} else if (!std::strcmp(argv[i], "--dma-latency") && has_value) {
			char *end;
			long v = std::strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > 100000) {
				std::fprintf(stderr, "vionic-rtl-server: --dma-latency takes 1..100000 cycles\n");
				return 2;
			}
			vionic_rtl_opts.dma_latency = unsigned(v);
		} else {
			rest.push_back(argv[i]);
		}
	}
	vsrv_register_core(&vionic_rtl_core_ops);
	rest.push_back(nullptr);
	return vionic_server_main(int(rest.size()) - 1, rest.data());
}
