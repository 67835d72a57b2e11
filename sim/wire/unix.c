/* SPDX-License-Identifier: MIT */
/*
 * Wire "unix:PATH": a link partner over a SOCK_SEQPACKET socket, one
 * Ethernet frame per message in each direction. If something listens at PATH
 * already (another NIC's unix: wire), this end connects to it: the cable
 * between two NICs, which reconnects when the far end comes back. Otherwise
 * the server listens at PATH; one partner at a time (others wait in the
 * backlog until it leaves). Frames the NIC transmits while no partner is
 * connected (or while the partner does not read) are lost on the wire, as
 * on an unplugged cable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vionic/regs.h"
#include "vsrv.h"

#define UW_BUF 65536u
#define UW_IDLE_SKIP 16u   /* after an empty recv, skip this many rx polls */
#define UW_RETRY_NS 10000000u   /* a connecting end whose listener is gone retries this often */

_Static_assert(UW_BUF >= VIONIC_MAX_MTU + 14, "a cable buffer holds the largest frame");

struct uw {
	int lfd, fd;             /* lfd -1: this end connects (the far end listens) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int have;                /* a received frame is waiting in buf */
	uint32_t len;
	unsigned skip;
	uint64_t next_connect;   /* connecting end: no connect() before this (vsrv_now_ns) */
	uint8_t buf[UW_BUF];
};

static int uw_check(const char *arg, const struct vsrv_conf *conf, char *err, size_t errlen)
{
	(void)conf;
	if (strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "unix:PATH needs a socket path shorter than %zu bytes",
			 sizeof(((struct sockaddr_un *)0)->sun_path));
		return -1;
	}
	return 0;
}

static void set_buffers(int fd)
{
	/* a cable holds a few ring's worth of frames in flight: past
	 * net.core.[wr]mem_max where allowed (root), else up to it */
	int sz = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* A connected socket to a listener at path, or -1. */
static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		set_buffers(fd);
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int uw_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		   char *err, size_t errlen)
{
	(void)conf;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct uw *u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->fd = -1;
	strcpy(u->path, arg);
	strcpy(sa.sun_path, arg);
	if ((u->fd = connect_to(u->path)) >= 0) {
		u->lfd = -1;
		w->priv = u;
		return 0;
	}
	u->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->lfd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		free(u);
		return -1;
	}
	unlink(arg);
	if (bind(u->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(u->lfd, 4) < 0) {
		snprintf(err, errlen, "cannot listen on wire socket %s: %s", arg, strerror(errno));
		close(u->lfd);
		free(u);
		return -1;
	}
	w->priv = u;
	return 0;
}

static void uw_drop_partner(struct uw *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->have = 0;
}

static void uw_close(struct vsrv_wire *w)
{
	struct uw *u = w->priv;
	if (!u)
		return;
	uw_drop_partner(u);
	if (u->lfd >= 0) {
		close(u->lfd);
		unlink(u->path);
	}
	free(u);
	w->priv = NULL;
}

static void uw_housekeep(struct vsrv_wire *w)
{
	struct uw *u = w->priv;
	if (u->fd >= 0) {
		u->skip = 0;   /* recv at the next rx poll */
		return;
	}
	int fd;
	if (u->lfd >= 0) {
		fd = accept4(u->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} else {
		uint64_t now = vsrv_now_ns();
		if (now < u->next_connect)
			return;
		u->next_connect = now + UW_RETRY_NS;
		fd = connect_to(u->path);
	}
	if (fd >= 0) {
		if (u->lfd >= 0)
			set_buffers(fd);
		u->fd = fd;
		u->skip = 0;
	}
}

static int uw_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	struct uw *u = w->priv;
	if (u->fd < 0) {
		/* a partner whose connect() returned is connected: take it now
		 * rather than at the next housekeeping */
		uw_housekeep(w);
		if (u->fd < 0)
			return -1;
	}
	ssize_t n = send(u->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		uw_drop_partner(u);
	return -1;
}

static int uw_rx(struct vsrv_wire *w, const uint8_t **frame, uint32_t *len)
{
	struct uw *u = w->priv;
	if (u->fd < 0)
		return 0;
	if (!u->have) {
		if (u->skip) {
			u->skip--;
			return 0;
		}
		ssize_t n = recv(u->fd, u->buf, sizeof(u->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n == 0) {                /* partner closed */
			uw_drop_partner(u);
			return 0;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				uw_drop_partner(u);
			else
				u->skip = UW_IDLE_SKIP;
			return 0;
		}
		if ((size_t)n > sizeof(u->buf))   /* truncated: cannot be a valid frame */
			return 0;
		u->len = (uint32_t)n;
		u->have = 1;
	}
	*frame = u->buf;
	*len = u->len;
	return 1;
}

static void uw_rx_done(struct vsrv_wire *w)
{
	struct uw *u = w->priv;
	u->have = 0;
}

static int uw_wait_fd(struct vsrv_wire *w)
{
	struct uw *u = w->priv;
	return u->fd >= 0 ? u->fd : u->lfd;
}

const struct vsrv_wire_ops vsrv_wire_unix = {
	.name = "unix",
	.arg_name = "PATH",
	.open = uw_open,
	.close = uw_close,
	.send = uw_send,
	.rx = uw_rx,
	.rx_done = uw_rx_done,
	.housekeep = uw_housekeep,
	.wait_fd = uw_wait_fd,
	.check = uw_check,
};
