/* SPDX-License-Identifier: MIT */
/*
 * vionic device server: entry point of every device-server program
 * (build/bin/vionic-server, the RTL server, the Python package's model
 * server), each of which registers its core (vsrv_register_core) first.
 *
 *   vionic-server --socket PATH [--wire SPEC] [--core NAME]
 *                 [--mac 02:56:4e:49:43:00] [--mtu 1500] [--cpu N]
 *                 [--persist] [--quiet] [--ready-fd N]
 *
 * Returns the process exit status: 0 clean exit (client gone, SIGINT or
 * SIGTERM), 1 runtime failure, 2 bad arguments.
 */
#ifndef VIONIC_SERVER_H
#define VIONIC_SERVER_H

#include <stddef.h>
#include "vsrv.h"

#ifdef __cplusplus
extern "C" {
#endif

int vionic_server_main(int argc, char **argv);

/* Checks a --wire SPEC (NAME or NAME:ARG) as the server would before it
 * opens the wire, for the default MTU, without creating anything. 0, or -1
 * with a message in err that says what to use. */
int vionic_server_check_wire(const char *spec, char *err, size_t errlen);

/* What vionic_server_wire_bench measured. */
struct vionic_wire_bench {
	uint64_t frames;   /* the wire took */
	uint64_t drops;    /* the wire refused */
	double seconds;
	double mpps;       /* frames taken per second, in millions */
};

/* Sends frames of `size` bytes through the wire SPEC for `seconds` on this
 * thread, read from nsrc buffers stride bytes apart in turn (a driver's TX
 * ring): the rate the wire alone can take. 0, or -1 with err. */
int vionic_server_wire_bench(const char *spec, uint32_t size, uint32_t nsrc, uint32_t stride,
			     double seconds, struct vionic_wire_bench *res, char *err,
			     size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* VIONIC_SERVER_H */
