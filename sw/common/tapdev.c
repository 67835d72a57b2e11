/* SPDX-License-Identifier: MIT */
/* Linux TAP interfaces in a network namespace (tapdev.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tapdev.h"

#define CAP_NET_ADMIN_BIT 12
#define NETNS_PATH_MAX (sizeof(VTAP_NETNS_DIR) + 256)

static int have_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps >> CAP_NET_ADMIN_BIT) & 1;
}

static int netns_path(const char *netns, char path[NETNS_PATH_MAX], char *err, size_t errlen)
{
	if (strlen(netns) > 255 || strchr(netns, '/') || !strcmp(netns, ".") ||
	    !strcmp(netns, "..")) {
		snprintf(err, errlen, "'%s' is not a network namespace name (one file name "
			 "under %s)", netns, VTAP_NETNS_DIR);
		return -1;
	}
	snprintf(path, NETNS_PATH_MAX, VTAP_NETNS_DIR "%s", netns);
	return 0;
}

int vtap_check(const char *ifname, const char *netns, char *err, size_t errlen)
{
	char path[NETNS_PATH_MAX];
	size_t n = strlen(ifname);

	if (n == 0 || n > VTAP_NAME_MAX) {
		snprintf(err, errlen, "interface name '%s' has %zu characters; Linux takes 1 to %d",
			 ifname, n, VTAP_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (ifname[i] == '/' || ifname[i] == ':' || ifname[i] == '@' ||
		    (unsigned char)ifname[i] <= ' ') {
			snprintf(err, errlen, "interface name '%s' has a character Linux does not "
				 "allow there ('/', ':', '@' or white space)", ifname);
			return -1;
		}
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		snprintf(err, errlen, "a TAP interface needs /dev/net/tun (%s): load the tun "
			 "module (modprobe tun) or run where the device exists", strerror(errno));
		return -1;
	}
	if (!have_net_admin()) {
		snprintf(err, errlen, "a TAP interface needs CAP_NET_ADMIN: run as root");
		return -1;
	}
	if (netns && *netns) {
		if (netns_path(netns, path, err, errlen) < 0)
			return -1;
		if (access(path, F_OK) < 0) {
			snprintf(err, errlen, "network namespace '%s' does not exist (no %s); create "
				 "it first (vionic.net.netns('%s'))", netns, path, netns);
			return -1;
		}
	}
	return 0;
}

/* MTU and IFF_UP, from inside the interface's namespace. */
static int configure(const char *ifname, uint16_t mtu, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		snprintf(err, errlen, "set MTU %u on %s: %s", mtu, ifname, strerror(errno));
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "flags of %s: %s", ifname, strerror(errno));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "bring %s up: %s", ifname, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(s);   /* an open socket would keep the namespace alive */
	return rc;
}

int vtap_open(const char *ifname, const char *netns, uint16_t mtu, struct stat *ns_id,
	      char *err, size_t errlen)
{
	char path[NETNS_PATH_MAX];
	struct ifreq ifr = { 0 };
	int home = -1, ns = -1, fd = -1, ok = 0;

	if (vtap_check(ifname, netns, err, errlen) < 0)
		return -1;
	if (netns && *netns) {
		netns_path(netns, path, err, errlen);
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (home < 0 || ns < 0 || (ns_id && fstat(ns, ns_id) < 0) ||
		    setns(ns, CLONE_NEWNET) < 0) {
			snprintf(err, errlen, "cannot enter network namespace '%s': %s", netns,
				 strerror(errno));
			goto out;
		}
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open /dev/net/tun: %s", strerror(errno));
		goto back;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "create or attach TAP %s: %s (a TUN or another program's "
			 "TAP of that name?)", ifname, strerror(errno));
		goto back;
	}
	ok = configure(ifname, mtu, err, errlen) == 0;
back:
	if (home >= 0 && setns(home, CLONE_NEWNET) < 0 && ok) {
		snprintf(err, errlen, "cannot return to the caller's namespace: %s", strerror(errno));
		ok = 0;
	}
out:
	if (!ok && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (ns >= 0)
		close(ns);
	if (home >= 0)
		close(home);
	return fd;
}

int vtap_netns_same(const char *netns, const struct stat *ns_id)
{
	char path[NETNS_PATH_MAX], err[8];
	struct stat st;

	if (!netns || !*netns)
		return 1;
	if (netns_path(netns, path, err, sizeof(err)) < 0)
		return 0;
	return stat(path, &st) == 0 && st.st_ino == ns_id->st_ino && st.st_dev == ns_id->st_dev;
}

int vtap_set_carrier(int fd, int on)
{
	return ioctl(fd, TUNSETCARRIER, &on) < 0 ? -1 : 0;
}
