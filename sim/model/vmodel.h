/* SPDX-License-Identifier: MIT */
/*
 * vionic software NIC model: a device core (struct vsrv_core_ops) for the
 * device-server runtime. virtio-net over virtio-pci modern (VIRTIO 1.2), the
 * BAR0 map of include/vionic/regs.h, split virtqueues for one queue pair,
 * the error behaviour of DESIGN §4.
 */
#ifndef VIONIC_VMODEL_H
#define VIONIC_VMODEL_H

#include "vsrv.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct vsrv_core_ops vmodel_core_ops;

/* vionic_server_main() with the model registered as its core: the program
 * build/bin/vionic-server and the Python package's model server. */
int vionic_model_server_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* VIONIC_VMODEL_H */
