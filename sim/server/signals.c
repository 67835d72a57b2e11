/* SPDX-License-Identifier: MIT */
/*
 * Signals of the device server. SIGINT and SIGTERM stop it cleanly, SIGPIPE
 * is ignored (a client that leaves is seen on its socket).
 *
 * SIGBUS guard: a client can shrink a memfd it has mapped to the device (a
 * memfd without sealing cannot be protected), and the device's next access
 * to the lost pages would kill the server. The handler maps a zero page over
 * the faulting address if it lies in the DMA map, so the access completes,
 * and the server loop drops that client.
 *
 * The previous handlers come back on vsrv_signals_restore(): the Python
 * package may run the server in its own process.
 */
#include <string.h>
#include <sys/mman.h>

#include "vsrv_internal.h"

volatile sig_atomic_t vsrv_stop;
volatile sig_atomic_t vsrv_client_broken;
static struct vsrv_dma *volatile g_guard_dma;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	uintptr_t a = (uintptr_t)si->si_addr;
	struct vsrv_dma *d = g_guard_dma;
	if (d) {
		for (unsigned i = 0; i < d->n; i++) {
			uintptr_t h = (uintptr_t)d->r[i].host;
			if (a < h || a - h >= d->r[i].size)
				continue;
			static const size_t pg[] = { 4096, 2u << 20, 1u << 30 };
			for (unsigned k = 0; k < 3; k++) {
				void *p = (void *)(a & ~(uintptr_t)(pg[k] - 1));
				if (mmap(p, pg[k], PROT_READ | PROT_WRITE,
					 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
					vsrv_client_broken = 1;
					return;
				}
			}
		}
	}
	signal(sig, SIG_DFL);   /* not ours: the fault repeats and kills */
}

static void on_stop(int sig)
{
	(void)sig;
	vsrv_stop = 1;
}

void vsrv_signals_install(struct vsrv_saved_signals *old, struct vsrv_dma *guard)
{
	struct sigaction act;

	vsrv_stop = 0;
	vsrv_client_broken = 0;
	g_guard_dma = guard;
	memset(&act, 0, sizeof(act));
	sigemptyset(&act.sa_mask);
	act.sa_handler = on_stop;
	sigaction(SIGINT, &act, &old->intr);
	sigaction(SIGTERM, &act, &old->term);
	act.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &act, &old->pipe);
	act.sa_handler = NULL;
	act.sa_sigaction = on_sigbus;
	act.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &act, &old->bus);

	sigset_t un;
	sigemptyset(&un);
	sigaddset(&un, SIGINT);
	sigaddset(&un, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &un, NULL);
}

void vsrv_signals_restore(const struct vsrv_saved_signals *old)
{
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
	sigaction(SIGPIPE, &old->pipe, NULL);
	sigaction(SIGBUS, &old->bus, NULL);
	g_guard_dma = NULL;
}
