/* SPDX-License-Identifier: MIT */
/* vionic-server: the vfio-user device server (see sim/server/vionic_server.h). */
#include "vionic_server.h"

int main(int argc, char **argv)
{
	return vionic_server_main(argc, argv);
}
