/* SPDX-License-Identifier: MIT */
/*
 * Linux TAP interfaces in a network namespace, for the two places a vionic
 * NIC meets the Linux stack: the device server's `tap:` wire (the NIC's
 * cable) and libvionic's netdev (the NIC's host side as an interface).
 * Compiled into both libraries; every function returns 0 (or an fd) on
 * success and -1 with a message in err that says what to do.
 */
#ifndef VIONIC_TAPDEV_H
#define VIONIC_TAPDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define VTAP_NETNS_DIR "/run/netns/"
#define VTAP_NAME_MAX  15     /* IFNAMSIZ - 1 */

/* What opening a TAP needs, checked without creating anything: a valid
 * interface name, /dev/net/tun, CAP_NET_ADMIN, and that netns (a name under
 * /run/netns; NULL or "" = the caller's namespace) exists. */
int vtap_check(const char *ifname, const char *netns, char *err, size_t errlen);

/* Creates TAP `ifname` (or attaches to an existing one) inside netns,
 * IFF_TAP | IFF_NO_PI, non-blocking, with MTU `mtu`, brought up. Returns the
 * fd; closing it removes a TAP that did not exist before. *ns_id (if not
 * NULL) identifies the namespace, for vtap_netns_same. Enters the namespace
 * on the calling thread only, and returns to its own before it returns. */
int vtap_open(const char *ifname, const char *netns, uint16_t mtu, struct stat *ns_id,
	      char *err, size_t errlen);

/* 1 while /run/netns/NETNS still names the namespace of ns_id. */
int vtap_netns_same(const char *netns, const struct stat *ns_id);

/* The interface's carrier (what `ip link` shows as NO-CARRIER when off). */
int vtap_set_carrier(int fd, int on);

#endif /* VIONIC_TAPDEV_H */
