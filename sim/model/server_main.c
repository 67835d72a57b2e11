/* SPDX-License-Identifier: MIT */
/* The device server with the model as its core (vmodel.h). */
#include "vmodel.h"
#include "vionic_server.h"

int vionic_model_server_main(int argc, char **argv)
{
	vsrv_register_core(&vmodel_core_ops);
	return vionic_server_main(argc, argv);
}
