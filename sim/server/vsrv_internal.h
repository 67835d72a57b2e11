/* SPDX-License-Identifier: MIT */
/* Private to the device-server runtime (the .c files of sim/server). */
#ifndef VIONIC_VSRV_INTERNAL_H
#define VIONIC_VSRV_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "vsrv.h"
#include "vionic/regs.h"
#include "vionic/vfio_user.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSRV_MAX_DOORBELLS  (VIONIC_NOTIFY_SIZE / VIONIC_NOTIFY_OFF_MULT)
/* MSI-X vectors a device may have; it has VIONIC_MSIX_VECTORS(queue_pairs) */
#define VSRV_MSIX_VECTORS   VIONIC_MSIX_VECTORS(VIONIC_MAX_QUEUE_PAIRS)

struct vsrv_dev {
	struct vsrv_conf conf;
	const struct vsrv_core_ops *core_ops;
	void *core;
	struct vsrv_wire wire;
	struct vsrv_dma dma;
	/* notify page (shared with the client) */
	int notify_fd;
	uint8_t *notify_map;          /* VIONIC_NOTIFY + VIONIC_NOTIFY_SIZE bytes */
	volatile uint32_t *doorbell;  /* = notify_map + VIONIC_NOTIFY */
	unsigned ndoorbells;          /* slots polled (core's doorbells) */
	uint32_t db_seen[VSRV_MAX_DOORBELLS];
	unsigned nvectors;            /* MSI-X table size: VIONIC_MSIX_VECTORS(queue_pairs) */
	int irq_fd[VSRV_MSIX_VECTORS];
	int link_up;                  /* the wire's link (vsrv_wire_link) */
	FILE *capture;                /* --pcap: every frame of the wire, or NULL */
	uint8_t pci_cfg[VIONIC_PCI_CONFIG_SIZE];
};

/* The device plus the connection of its one client. */
struct vsrv_server {
	struct vsrv_dev dev;
	int lfd;           /* listening vfio-user socket */
	int cfd;           /* the client's connection, or -1 */
	uint8_t *rxbuf;    /* one request */
	uint8_t *txbuf;    /* one reply */
};

/* What the command line asks for (cli.c). */
struct vsrv_options {
	struct vsrv_conf conf;
	const char *socket;
	const char *wire_spec;
	const struct vsrv_core_ops *core;
	const struct vsrv_wire_ops *wire;
	const char *wire_arg;          /* text after "NAME:", checked; NULL if none */
	const char *pcap;              /* --pcap FILE: capture both directions; NULL if none */
	long cpu;                      /* -1: not pinned */
	int persist;
	int ready_fd;                  /* -1: none */
};

/* cli.c: fills `o`; returns -1 to run the server, else the exit status
 * (0 after --help, 2 for bad arguments, with the message on stderr). */
int  vsrv_parse_args(int argc, char **argv, struct vsrv_options *o);
/* Prints "vionic-server: MESSAGE" and the usage on stderr; returns 2. */
int  vsrv_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* registry.c: the cores a program registered and the built-in wires. */
const struct vsrv_core_ops *vsrv_find_core(const char *name);   /* NULL: the default */
void vsrv_core_names(char *buf, size_t len);                     /* "a, b" */
/* The wire of `spec` (NAME or NAME:ARG) with its argument checked for `conf`:
 * the ops and *arg, or NULL with a message in err. Creates nothing. */
const struct vsrv_wire_ops *vsrv_find_wire(const char *spec, const struct vsrv_conf *conf,
					   const char **arg, char *err, size_t errlen);
void vsrv_wire_specs(char *buf, size_t len, const char *sep);    /* "loopback" sep "unix:PATH" ... */

/* signals.c: SIGINT/SIGTERM stop the server, SIGPIPE is ignored, SIGBUS in
 * the DMA map drops the client (see signals.c). */
extern volatile sig_atomic_t vsrv_stop;
extern volatile sig_atomic_t vsrv_client_broken;
struct vsrv_saved_signals {
	struct sigaction intr, term, pipe, bus;
};
void vsrv_signals_install(struct vsrv_saved_signals *old, struct vsrv_dma *guard);
void vsrv_signals_restore(const struct vsrv_saved_signals *old);

/* session.c: one client's session. */
int  vsrv_session_open(struct vsrv_server *s);   /* 0 or -1 */
void vsrv_session_close(struct vsrv_server *s);
void vsrv_device_was_reset(struct vsrv_dev *dev);
void vsrv_irqs_clear(struct vsrv_dev *dev);

/* region.c: REGION_READ/WRITE of BAR0 and the PCI configuration space;
 * 0 or an errno value for the reply. */
int  vsrv_region_access(struct vsrv_dev *dev, uint32_t region, uint64_t off,
			uint32_t count, uint8_t *data, int write);

/* vfio_user.c: handles every pending message of the client. 1 handled
 * some, 0 none, -1 the client is gone or broken. */
int  vsrv_ctrl_poll(struct vsrv_server *s);

/* loop.c: serves the connected client until it leaves or the server stops. */
void vsrv_serve_client(struct vsrv_server *s);

/* dma.c */
void vsrv_dma_init(struct vsrv_dma *d);
int  vsrv_dma_map(struct vsrv_dma *d, int fd, uint64_t offset, uint64_t iova,
		  uint64_t size, uint32_t prot);        /* 0 or -errno */
int  vsrv_dma_unmap(struct vsrv_dma *d, uint64_t iova, uint64_t size);
void vsrv_dma_clear(struct vsrv_dma *d);

/* pciconf.c */
void vsrv_pci_config_build(uint8_t cfg[VIONIC_PCI_CONFIG_SIZE], unsigned nvectors);

/* sim/wire */
extern const struct vsrv_wire_ops vsrv_wire_loopback;
extern const struct vsrv_wire_ops vsrv_wire_unix;
extern const struct vsrv_wire_ops vsrv_wire_pcap;
extern const struct vsrv_wire_ops vsrv_wire_sink;
extern const struct vsrv_wire_ops vsrv_wire_gen;
extern const struct vsrv_wire_ops vsrv_wire_tap;

#ifdef __cplusplus
}
#endif
#endif
