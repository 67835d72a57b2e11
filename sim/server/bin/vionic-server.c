/* SPDX-License-Identifier: MIT */
/* vionic-server: the vfio-user device server with the software model as its
 * core (see sim/server/vionic_server.h). */
#include "vmodel.h"

int main(int argc, char **argv)
{
	return vionic_model_server_main(argc, argv);
}
