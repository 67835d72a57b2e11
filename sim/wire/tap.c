/* SPDX-License-Identifier: MIT */
/*
 * Wire "tap:IFNAME[@NETNS]": the NIC's cable plugs into a Linux TAP
 * interface (sw/common/tapdev.h: created if missing, MTU = the device's,
 * brought up), in network namespace NETNS or in the server's own.
 *
 * Frames Linux sends shorter than 60 bytes are padded to 60, as the link
 * partner's MAC would; frames longer than MTU + 14 reach the device core,
 * which drops and counts them (RX DROPS), never truncated.
 *
 * The link follows the interface: when the namespace disappears (its name is
 * removed, or names another namespace now) or the interface goes away, the
 * wire lets go of the TAP (so the namespace can die), reports link down to
 * the device (virtio-net status, config interrupt) and tries to attach again
 * every LINK_RETRY_NS; link up once it has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapdev.h"
#include "vionic/regs.h"
#include "vsrv.h"

#define TAP_BUF       65536u
_Static_assert(TAP_BUF >= VIONIC_MAX_MTU + 14, "a TAP read holds the largest frame");
#define TAP_MIN_FRAME 60u
#define LINK_RETRY_NS 50000000ull   /* how often the link is looked at */

struct tw {
	int fd;                      /* -1 while the link is down */
	char ifname[VTAP_NAME_MAX + 1];
	char netns[256];             /* "" = the server's namespace */
	struct stat ns_id;
	uint16_t mtu;
	uint64_t next_look;
	int have;                    /* a received frame is waiting in buf */
	uint32_t len;
	uint8_t buf[TAP_BUF];
};

/* IFNAME and NETNS of "IFNAME[@NETNS]" (sizes checked by vtap_check). */
static int split(const char *arg, struct tw *t, char *err, size_t errlen)
{
	const char *at = strchr(arg, '@');
	size_t n = at ? (size_t)(at - arg) : strlen(arg);

	if (n > VTAP_NAME_MAX || (at && (!at[1] || strlen(at + 1) >= sizeof(t->netns)))) {
		snprintf(err, errlen, "tap:%s: use tap:IFNAME or tap:IFNAME@NETNS, IFNAME of 1 to "
			 "%d characters", arg, VTAP_NAME_MAX);
		return -1;
	}
	memcpy(t->ifname, arg, n);
	t->ifname[n] = 0;
	strcpy(t->netns, at ? at + 1 : "");
	return vtap_check(t->ifname, t->netns, err, errlen);
}

static int tap_check(const char *arg, const struct vsrv_conf *conf, char *err, size_t errlen)
{
	struct tw t;
	(void)conf;
	return split(arg, &t, err, errlen);
}

static int tap_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		    char *err, size_t errlen)
{
	struct tw *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->mtu = conf->mtu;
	if (split(arg, t, err, errlen) < 0 ||
	    (t->fd = vtap_open(t->ifname, t->netns, t->mtu, &t->ns_id, err, errlen)) < 0) {
		free(t);
		return -1;
	}
	w->priv = t;
	return 0;
}

static void tap_close(struct vsrv_wire *w)
{
	struct tw *t = w->priv;
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	w->priv = NULL;
}

static void link_lost(struct vsrv_wire *w, struct tw *t, const char *why)
{
	close(t->fd);
	t->fd = -1;
	t->have = 0;
	vsrv_log(w->dev, "tap %s: link down (%s)", t->ifname, why);
	vsrv_wire_link(w->dev, 0);
}

static void tap_housekeep(struct vsrv_wire *w)
{
	struct tw *t = w->priv;
	uint64_t now = vsrv_now_ns();
	char err[256];

	if (now < t->next_look)
		return;
	t->next_look = now + LINK_RETRY_NS;
	if (t->fd >= 0) {
		if (!vtap_netns_same(t->netns, &t->ns_id))
			link_lost(w, t, "its network namespace is gone");
		return;
	}
	t->fd = vtap_open(t->ifname, t->netns, t->mtu, &t->ns_id, err, sizeof(err));
	if (t->fd >= 0) {
		vsrv_log(w->dev, "tap %s: link up", t->ifname);
		vsrv_wire_link(w->dev, 1);
	}
}

static int tap_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	struct tw *t = w->priv;
	if (t->fd < 0)
		return -1;
	/* EAGAIN (queue full) and EIO (interface down) lose the frame, as a
	 * cable would; an interface that goes away shows on the read side */
	return write(t->fd, frame, len) == (ssize_t)len ? 0 : -1;
}

static int tap_rx(struct vsrv_wire *w, const uint8_t **frame, uint32_t *len)
{
	struct tw *t = w->priv;
	if (t->fd < 0)
		return 0;
	if (!t->have) {
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				link_lost(w, t, strerror(errno));
			return 0;
		}
		if ((uint32_t)n < TAP_MIN_FRAME) {
			memset(t->buf + n, 0, TAP_MIN_FRAME - (size_t)n);
			n = TAP_MIN_FRAME;
		}
		t->len = (uint32_t)n;
		t->have = 1;
	}
	*frame = t->buf;
	*len = t->len;
	return 1;
}

static void tap_rx_done(struct vsrv_wire *w)
{
	struct tw *t = w->priv;
	t->have = 0;
}

static int tap_wait_fd(struct vsrv_wire *w)
{
	struct tw *t = w->priv;
	return t->fd;
}

static void tap_reset(struct vsrv_wire *w)
{
	struct tw *t = w->priv;
	t->have = 0;
}

const struct vsrv_wire_ops vsrv_wire_tap = {
	.name = "tap",
	.arg_name = "IFNAME[@NETNS]",
	.open = tap_open,
	.close = tap_close,
	.send = tap_send,
	.rx = tap_rx,
	.rx_done = tap_rx_done,
	.housekeep = tap_housekeep,
	.wait_fd = tap_wait_fd,
	.reset = tap_reset,
	.check = tap_check,
};
