/* SPDX-License-Identifier: MIT */
/* pcap files (LINKTYPE_ETHERNET, microsecond timestamps), flushed after each
 * frame so a reader (tcpdump, a test) sees it at once; and the wire
 * "pcap:FILE", which writes every transmitted frame there and receives
 * nothing. The server's --pcap capture uses the same writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsrv.h"

struct pcap_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t  thiszone;
	uint32_t sigfigs, snaplen, linktype;
};
struct pcap_rec {
	uint32_t ts_sec, ts_usec, caplen, len;
};

FILE *vsrv_pcap_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errlen, "cannot create pcap file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct pcap_hdr h = { 0xa1b2c3d4u, 2, 4, 0, 0, 65535, 1 };
	if (fwrite(&h, sizeof(h), 1, f) != 1 || fflush(f) != 0) {
		snprintf(err, errlen, "cannot write pcap file %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	return f;
}

int vsrv_pcap_write(FILE *f, const void *frame, uint32_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct pcap_rec r = { (uint32_t)ts.tv_sec, (uint32_t)(ts.tv_nsec / 1000), len, len };
	if (fwrite(&r, sizeof(r), 1, f) != 1 || fwrite(frame, 1, len, f) != len)
		return -1;
	return fflush(f) == 0 ? 0 : -1;
}

static int pcap_open(struct vsrv_wire *w, const char *arg, const struct vsrv_conf *conf,
		     char *err, size_t errlen)
{
	(void)conf;
	w->priv = vsrv_pcap_open(arg, err, errlen);
	return w->priv ? 0 : -1;
}

static void pcap_close(struct vsrv_wire *w)
{
	if (w->priv)
		fclose(w->priv);
	w->priv = NULL;
}

static int pcap_send(struct vsrv_wire *w, const void *frame, uint32_t len)
{
	return vsrv_pcap_write(w->priv, frame, len);
}

const struct vsrv_wire_ops vsrv_wire_pcap = {
	.name = "pcap",
	.arg_name = "FILE",
	.open = pcap_open,
	.close = pcap_close,
	.send = pcap_send,
};
