/* SPDX-License-Identifier: MIT */
/*
 * vionic device server: entry point shared by build/bin/vionic-server and the
 * Python package (which calls it in a child process).
 *
 *   vionic-server --socket PATH [--wire SPEC] [--core model]
 *                 [--mac 02:56:4e:49:43:00] [--mtu 1500] [--cpu N]
 *                 [--persist] [--quiet]
 *
 * Returns the process exit status: 0 clean exit (client gone, SIGINT or
 * SIGTERM), 1 runtime failure, 2 bad arguments.
 */
#ifndef VIONIC_SERVER_H
#define VIONIC_SERVER_H

#include "vsrv.h"

#ifdef __cplusplus
extern "C" {
#endif

int vionic_server_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* VIONIC_SERVER_H */
