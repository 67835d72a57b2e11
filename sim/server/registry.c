/* SPDX-License-Identifier: MIT */
/*
 * The device cores a program registered and the built-in wires, found by
 * name; wire specs are checked here, for the server and for
 * vionic_server_check_wire(), before a wire creates anything.
 */
#include <string.h>

#include "vionic_server.h"
#include "vsrv_internal.h"

#define MAX_CORES 8
static const struct vsrv_core_ops *g_cores[MAX_CORES];
static unsigned g_ncores;

static const struct vsrv_wire_ops *const g_wires[] = {
	&vsrv_wire_loopback, &vsrv_wire_unix, &vsrv_wire_tap, &vsrv_wire_pcap, &vsrv_wire_sink,
	&vsrv_wire_gen,
};
#define NWIRES (sizeof(g_wires) / sizeof(g_wires[0]))

int vsrv_register_core(const struct vsrv_core_ops *ops)
{
	for (unsigned i = 0; i < g_ncores; i++)
		if (strcmp(g_cores[i]->name, ops->name) == 0)
			return 0;
	if (g_ncores >= MAX_CORES)
		return -1;
	g_cores[g_ncores++] = ops;
	return 0;
}

const struct vsrv_core_ops *vsrv_find_core(const char *name)
{
	if (!name)
		return g_ncores ? g_cores[0] : NULL;
	for (unsigned i = 0; i < g_ncores; i++)
		if (strcmp(g_cores[i]->name, name) == 0)
			return g_cores[i];
	return NULL;
}

void vsrv_core_names(char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < g_ncores && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", g_cores[i]->name);
}

void vsrv_wire_specs(char *buf, size_t len, const char *sep)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < NWIRES && o < len; i++) {
		const struct vsrv_wire_ops *w = g_wires[i];
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", i ? sep : "", w->name,
				      w->arg_name ? ":" : "", w->arg_name ? w->arg_name : "");
	}
}

const struct vsrv_wire_ops *vsrv_find_wire(const char *spec, const struct vsrv_conf *conf,
					   const char **arg, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	const struct vsrv_wire_ops *w = NULL;

	for (size_t i = 0; i < NWIRES && !w; i++)
		if (strlen(g_wires[i]->name) == n && strncmp(spec, g_wires[i]->name, n) == 0)
			w = g_wires[i];
	if (!w) {
		char specs[128];
		vsrv_wire_specs(specs, sizeof(specs), ", ");
		snprintf(err, errlen, "unknown wire '%s'; use one of %s", spec, specs);
		return NULL;
	}
	*arg = colon ? colon + 1 : NULL;
	if (!w->arg_name && colon) {
		snprintf(err, errlen, "wire '%s': %s takes no argument", spec, w->name);
		return NULL;
	}
	if (w->arg_name && (!colon || !colon[1])) {
		snprintf(err, errlen, "wire '%s' needs its argument: %s:%s", spec, w->name,
			 w->arg_name);
		return NULL;
	}
	if (*arg && w->check && w->check(*arg, conf, err, errlen) < 0)
		return NULL;
	return w;
}

int vionic_server_check_wire(const char *spec, char *err, size_t errlen)
{
	struct vsrv_conf conf = { .mtu = VIONIC_DEFAULT_MTU };
	const char *arg;
	return vsrv_find_wire(spec, &conf, &arg, err, errlen) ? 0 : -1;
}
