/* SPDX-License-Identifier: MIT */
/* The command line of the device server (vionic_server.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "vsrv_internal.h"

static void usage(FILE *f)
{
	char cores[128], wires[128];
	vsrv_core_names(cores, sizeof(cores));
	vsrv_wire_specs(wires, sizeof(wires), " | ");
	fprintf(f,
		"usage: vionic-server --socket PATH [--wire SPEC] [--core NAME]\n"
		"                     [--mac 02:56:4e:49:43:00] [--mtu 1500] [--queue-pairs N]\n"
		"                     [--cpu N]\n"
		"                     [--pcap FILE] [--persist] [--quiet] [--ready-fd N]\n"
		"  --socket PATH   vfio-user UNIX socket to listen on\n"
		"  --wire SPEC     %s (default loopback)\n"
		"  --core NAME     device core: %s (default the first)\n"
		"  --mac MAC       device MAC address\n"
		"  --mtu N         MTU, %d..%d (default %d)\n"
		"  --queue-pairs N queue pairs, 1..%d (default 1; more offer MQ and CTRL_VQ)\n"
		"  --cpu N         pin the server thread to CPU N\n"
		"  --pcap FILE     also write every frame the wire carries, both ways, to FILE\n"
		"  --persist       serve clients one after another instead of exiting\n"
		"  --quiet         no messages on stderr except errors\n"
		"  --ready-fd N    once listening, write \"ready\\n\" to file descriptor N and close it\n",
		wires, cores, VIONIC_MIN_MTU, VIONIC_MAX_MTU, VIONIC_DEFAULT_MTU,
		VIONIC_MAX_QUEUE_PAIRS);
}

int vsrv_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vionic-server: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* One option with its value; -1 if accepted, else the exit status. */
static int take_option(struct vsrv_options *o, const char *opt, const char *v,
		       const char **core_name)
{
	unsigned long n;

	if (strcmp(opt, "--socket") == 0) {
		o->socket = v;
	} else if (strcmp(opt, "--wire") == 0) {
		o->wire_spec = v;
	} else if (strcmp(opt, "--pcap") == 0) {
		o->pcap = v;
	} else if (strcmp(opt, "--core") == 0) {
		*core_name = v;
	} else if (strcmp(opt, "--mac") == 0) {
		if (parse_mac(v, o->conf.mac) < 0)
			return vsrv_usage_error("bad MAC address '%s' (expected xx:xx:xx:xx:xx:xx)", v);
	} else if (strcmp(opt, "--mtu") == 0) {
		if (parse_uint(v, VIONIC_MAX_MTU, &n) < 0 || n < VIONIC_MIN_MTU)
			return vsrv_usage_error("bad MTU '%s' (%d..%d)", v, VIONIC_MIN_MTU,
						VIONIC_MAX_MTU);
		o->conf.mtu = (uint16_t)n;
	} else if (strcmp(opt, "--queue-pairs") == 0) {
		if (parse_uint(v, VIONIC_MAX_QUEUE_PAIRS, &n) < 0 || n < 1)
			return vsrv_usage_error("bad queue pair count '%s' (1..%d)", v,
						VIONIC_MAX_QUEUE_PAIRS);
		o->conf.queue_pairs = (uint16_t)n;
	} else if (strcmp(opt, "--cpu") == 0) {
		if (parse_uint(v, CPU_SETSIZE - 1, &n) < 0)
			return vsrv_usage_error("bad CPU number '%s'", v);
		o->cpu = (long)n;
	} else {   /* --ready-fd */
		if (parse_uint(v, INT_MAX, &n) < 0 || fcntl((int)n, F_GETFD) < 0)
			return vsrv_usage_error("--ready-fd %s is not an open file descriptor", v);
		o->ready_fd = (int)n;
	}
	return -1;
}

int vsrv_parse_args(int argc, char **argv, struct vsrv_options *o)
{
	static const uint8_t def_mac[6] = VIONIC_DEFAULT_MAC;
	const char *core_name = NULL;
	int rc;

	memset(o, 0, sizeof(*o));
	memcpy(o->conf.mac, def_mac, 6);
	o->conf.mtu = VIONIC_DEFAULT_MTU;
	o->conf.queue_pairs = 1;
	o->wire_spec = "loopback";
	o->cpu = -1;
	o->ready_fd = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char opt[32], *eq;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--persist") == 0) {
			o->persist = 1;
			continue;
		}
		if (strcmp(a, "--quiet") == 0) {
			o->conf.quiet = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strlen(a) >= sizeof(opt))
			return vsrv_usage_error("unknown argument '%s'", a);
		strcpy(opt, a);
		if ((eq = strchr(opt, '=')) != NULL)
			*eq = 0;
		static const char *const with_value[] = { "--socket", "--wire", "--core", "--mac",
							  "--mtu", "--queue-pairs", "--cpu", "--ready-fd",
							  "--pcap" };
		int known = 0;
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			known |= strcmp(opt, with_value[k]) == 0;
		if (!known)
			return vsrv_usage_error("unknown option '%s'", opt);
		const char *v;
		if (eq)   /* --opt=value */
			v = a + (eq - opt) + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return vsrv_usage_error("option %s needs a value", a);
		if ((rc = take_option(o, opt, v, &core_name)) >= 0)
			return rc;
	}
	if (!o->socket || !*o->socket)
		return vsrv_usage_error("--socket PATH is required");
	if (strlen(o->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return vsrv_usage_error("socket path too long: '%s'", o->socket);

	o->core = vsrv_find_core(core_name);
	if (!o->core) {
		char names[128];
		vsrv_core_names(names, sizeof(names));
		return vsrv_usage_error("unknown core '%s' (available: %s)",
					core_name ? core_name : "", names);
	}
	char err[256];
	o->wire = vsrv_find_wire(o->wire_spec, &o->conf, &o->wire_arg, err, sizeof(err));
	if (!o->wire)
		return vsrv_usage_error("%s", err);
	return -1;
}
