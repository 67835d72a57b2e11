/* SPDX-License-Identifier: MIT */
/*
 * vionic_server_main(): sets up the device (the registered core, the wire,
 * the PCI configuration space) and the vfio-user socket, says it is ready,
 * and serves clients one at a time until the last leaves or a signal stops
 * the server.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vionic_server.h"
#include "vsrv_internal.h"

#define SOCK_TIMEOUT_S     2          /* a client that stalls mid-message is dropped */

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	strcpy(sa.sun_path, path);   /* length checked with the command line */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		fprintf(stderr, "vionic-server: cannot listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* --ready-fd: one line for whoever started the server, then EOF. */
static void announce_ready(int *fd)
{
	static const char line[] = "ready\n";
	ssize_t r = write(*fd, line, sizeof(line) - 1);
	(void)r;
	close(*fd);
	*fd = -1;
}

/* Serves clients; 0, or 1 if a session could not be set up. */
static int serve(struct vsrv_server *srv, int persist)
{
	while (!vsrv_stop) {
		struct pollfd pfd = { .fd = srv->lfd, .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		srv->cfd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (srv->cfd < 0)
			continue;
		struct timeval tv = { SOCK_TIMEOUT_S, 0 };
		setsockopt(srv->cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(srv->cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (vsrv_session_open(srv) < 0) {
			vsrv_session_close(srv);
			return 1;
		}
		vsrv_serve_client(srv);
		vsrv_session_close(srv);
		if (!persist)
			break;
	}
	return 0;
}

/* Runs the server of `o`; returns the exit status. */
static int run(struct vsrv_options *o)
{
	struct vsrv_server srv;
	struct vsrv_dev *dev = &srv.dev;
	struct vsrv_saved_signals old_signals;
	char err[256] = "";
	int rc = 0;

	memset(&srv, 0, sizeof(srv));
	srv.lfd = srv.cfd = -1;
	dev->notify_fd = -1;
	for (unsigned i = 0; i < VSRV_MSIX_VECTORS; i++)
		dev->irq_fd[i] = -1;
	dev->conf = o->conf;
	dev->core_ops = o->core;
	if (o->conf.queue_pairs > (o->core->max_queue_pairs ? o->core->max_queue_pairs : 1))
		return vsrv_usage_error("--queue-pairs %u: the %s core has at most %u",
					o->conf.queue_pairs, o->core->name,
					o->core->max_queue_pairs ? o->core->max_queue_pairs : 1);
	dev->ndoorbells = o->conf.queue_pairs > 1 ? 2u * o->conf.queue_pairs + 1 :
			  o->core->doorbells ? o->core->doorbells : 2;
	dev->nvectors = VIONIC_MSIX_VECTORS(o->conf.queue_pairs);
	if (dev->ndoorbells > VSRV_MAX_DOORBELLS)
		dev->ndoorbells = VSRV_MAX_DOORBELLS;

	if (o->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			return vsrv_usage_error("cannot pin to CPU %ld", o->cpu);
	}
	dev->link_up = 1;
	if (o->pcap && !(dev->capture = vsrv_pcap_open(o->pcap, err, sizeof(err))))
		return vsrv_usage_error("--pcap: %s", err);
	dev->wire.ops = o->wire;
	dev->wire.dev = dev;
	if (o->wire->open(&dev->wire, o->wire_arg, &dev->conf, err, sizeof(err)) < 0) {
		if (dev->capture)
			fclose(dev->capture);
		return vsrv_usage_error("%s", err);
	}

	vsrv_signals_install(&old_signals, &dev->dma);
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	vsrv_pci_config_build(dev->pci_cfg, dev->nvectors);
	vsrv_dma_init(&dev->dma);
	srv.rxbuf = malloc(VFU_MAX_MSG_SIZE + 64);
	srv.txbuf = malloc(VFU_MAX_MSG_SIZE + 64);
	if (!srv.rxbuf || !srv.txbuf) {
		fprintf(stderr, "vionic-server: out of memory\n");
		rc = 1;
		goto out_wire;
	}
	if (o->core->create(dev, &dev->conf, &dev->core, err, sizeof(err)) < 0) {
		fprintf(stderr, "vionic-server: core %s: %s\n", o->core->name, err);
		rc = 1;
		goto out_wire;
	}
	if (!dev->link_up && o->core->link)
		o->core->link(dev->core, 0);
	srv.lfd = listen_on(o->socket);
	if (srv.lfd < 0) {
		rc = 1;
		goto out_core;
	}
	if (!dev->conf.quiet)
		fprintf(stderr, "vionic-server: listening on %s (core %s, wire %s)\n", o->socket,
			o->core->name, o->wire_spec);
	if (o->ready_fd >= 0)
		announce_ready(&o->ready_fd);

	rc = serve(&srv, o->persist);
	close(srv.lfd);
	unlink(o->socket);
out_core:
	o->core->destroy(dev->core);
out_wire:
	o->wire->close(&dev->wire);
	if (dev->capture)
		fclose(dev->capture);
	free(srv.rxbuf);
	free(srv.txbuf);
	vsrv_signals_restore(&old_signals);
	return rc;
}

int vionic_server_main(int argc, char **argv)
{
	struct vsrv_options o;
	int rc = vsrv_parse_args(argc, argv, &o);

	if (rc < 0)
		rc = run(&o);
	if (o.ready_fd >= 0)   /* never ready: the reader sees EOF */
		close(o.ready_fd);
	return rc;
}
