// SPDX-License-Identifier: MIT
//
// The Verilated hw/rtl core (vionic_core) as a device core of the vionic
// device-server runtime (sim/server/vsrv.h): the same socket, DMA map,
// doorbells, interrupts and wires as the software model, with the RTL doing
// the device's work cycle by cycle.
//
//   runtime op            ->  RTL port
//   bar_read / bar_write  ->  s_axil_* transaction (sub-word via wstrb)
//   notify(slot, value)   ->  s_axil_* write to 0x3000 + 4*slot (2 slots, or 2N+1
//                             with N = NUM_QUEUE_PAIRS > 1: the runtime polls them)
//   DMA map (IOVA checks) <-  m_axi_*: each burst checked whole against the map;
//                             outside it the burst gets SLVERR and touches nothing
//   wire send / rx_frame  <-> m_axis_tx_* / s_axis_rx_*
//   vsrv_irq(vector)      <-  m_axis_irq_* (VIONIC_MSIX_VECTORS(N), the runtime's table)
//
// A build has NUM_QUEUE_PAIRS fixed (VIONIC_RTL_QUEUE_PAIRS): the server
// must be started with --queue-pairs equal to it, since the core offers
// that many pairs whatever the runtime was told.
//
// Host memory answers reads after a fixed latency (--dma-latency cycles), so
// the PCIe round trip of a board is an explicit, visible parameter.
//
// The model is vionic_sim_top (vionic_sim_top.sv): the core with a register
// on its host memory and MAC inputs, so step() drives those one cycle ahead,
// and the design is evaluated once per cycle, at the rising edge (step()).
// Quiet cycles while the core waits for host memory are skipped, with CYCLES
// kept exact (skip_quiet).

#include <verilated.h>
#if VM_TRACE
#include <verilated_fst_c.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

#include "Vvionic_sim_top.h"
#include "Vvionic_sim_top___024root.h"   // the model state (skip_quiet)
#include "rtl_core.h"
#include "vionic/regs.h"

namespace {

constexpr unsigned kBusBytes = VIONIC_RTL_DATA_WIDTH / 8;
constexpr unsigned kMaxReads = 32;        // read bursts the host accepts at once
constexpr unsigned kMaxWrites = 16;       // write bursts awaiting data
constexpr unsigned kRxQueueFrames = 4;    // frames waiting for s_axis_rx
constexpr unsigned kAxilTimeout = 100000; // cycles before a register access gives up
constexpr unsigned kIdleCycles = 4096;    // quiet cycles before poll() reports idle
constexpr unsigned kStepCycles = 64;      // cycles per poll()
constexpr unsigned kMinSkip = 8;          // shortest quiet stretch worth a look for a fixed point
constexpr unsigned kRetry = 4;            // cycles after a failed look before the next
// leading bytes of the model state a look compares first
constexpr size_t kGlance = std::min<size_t>(4096, sizeof(Vvionic_sim_top___024root));
constexpr uint8_t kRespOkay = 0, kRespSlverr = 2;

// Copies n bytes into / out of a Verilated signal of any width (CData..VlWide):
// every one stores its bits little-endian from the object's first byte.
template <class T> void put_bytes(T &sig, const uint8_t *src, unsigned n)
{
	static_assert(sizeof(T) >= 1, "signal");
	std::memcpy(reinterpret_cast<uint8_t *>(&sig), src, n);
}
template <class T> void get_bytes(const T &sig, uint8_t *dst, unsigned n)
{
	std::memcpy(dst, reinterpret_cast<const uint8_t *>(&sig), n);
}
template <class T> uint64_t bits64(const T &sig)
{
	uint64_t v = 0;
	std::memcpy(&v, reinterpret_cast<const uint8_t *>(&sig), sizeof(T) < 8 ? sizeof(T) : 8);
	return v;
}

struct ReadBurst {
	uint32_t id;
	uint64_t addr;        // address of the first beat
	unsigned beats, size; // beats, bytes per beat (1 << arsize)
	uint64_t ready_at;    // cycle the first beat may go
	uint8_t *host;        // NULL: outside the map, answer SLVERR
	unsigned beat;        // next beat
};

struct WriteBurst {
	uint32_t id;
	uint64_t addr;
	unsigned beats, size;
	uint8_t *host;        // NULL: outside the map, discard and answer SLVERR
	uint64_t lo;          // IOVA range the burst may touch
	unsigned beat;
};

struct Resp {
	uint32_t id;
	uint8_t resp;
};

// Address of beat i of an INCR burst (AXI4 A3.4.1: the first beat may be
// unaligned, later beats are aligned to the transfer size).
uint64_t beat_addr(uint64_t start, unsigned size, unsigned i)
{
	return i ? (start & ~uint64_t(size - 1)) + uint64_t(i) * size : start;
}

} // namespace

struct vionic_rtl {
	struct vsrv_dev *dev;
	VerilatedContext ctx;
	Vvionic_sim_top *top = nullptr;
#if VM_TRACE
	VerilatedFstC *trace = nullptr;
#endif
	uint64_t cycle = 0, last_activity = 0;
	unsigned dma_latency;
	uint16_t mtu;         // --mtu: written into VIONIC_REG_MTU after every reset

	// skip_quiet: whether the last clocked cycle had a handshake, the model
	// state before the last look, how much of it the next look compares
	// (kGlance, or all once the glance held still), and whether the model
	// is known to sit at a fixed point of its present inputs
	bool fired = false, quiet = false;
	std::vector<uint8_t> snap;
	size_t look = kGlance;
	uint64_t next_look = 0;

	std::deque<ReadBurst> reads;
	std::deque<WriteBurst> writes;
	std::deque<Resp> bresps;

	std::vector<uint8_t> tx_frame;
	bool tx_bad = false;

	std::deque<std::vector<uint8_t>> rx_frames;
	size_t rx_off = 0;

	// AXI-Lite master: one access at a time, driven from step()
	enum { AXIL_IDLE, AXIL_WRITE, AXIL_READ } axil = AXIL_IDLE;
	bool aw_done = false, w_done = false, ar_done = false, axil_done = false;
	uint32_t axil_rdata = 0;
};

namespace {

uint8_t *dma_check(vionic_rtl *r, uint64_t lo, uint64_t hi, uint32_t prot)
{
	if (hi <= lo || hi - lo > (1ull << 32))
		return nullptr;
	return static_cast<uint8_t *>(vsrv_dma(r->dev, lo, hi - lo, prot));
}

void eval_half(vionic_rtl *r)
{
	r->top->eval();
#if VM_TRACE
	if (r->trace)
		r->trace->dump(r->ctx.time());
#endif
	r->ctx.timeInc(1);
}

// One clock cycle: sample the handshakes that complete at this rising edge,
// drive the host memory and MAC inputs for the next cycle (vionic_sim_top
// registers them at this edge), clock the design, drive the AXI-Lite inputs
// for the next cycle (not registered). Returns whether any handshake completed.
bool step(vionic_rtl *r)
{
	Vvionic_sim_top *t = r->top;
	bool active = false;
	r->quiet = false;

	// ---- sample before the edge ----
	bool ar_fire = t->m_axi_arvalid && t->m_axi_arready;
	bool r_fire = t->m_axi_rvalid && t->m_axi_rready;
	bool aw_fire = t->m_axi_awvalid && t->m_axi_awready;
	bool w_fire = t->m_axi_wvalid && t->m_axi_wready;
	bool b_fire = t->m_axi_bvalid && t->m_axi_bready;
	bool tx_fire = t->m_axis_tx_tvalid && t->m_axis_tx_tready;
	bool rx_fire = t->s_axis_rx_tvalid && t->s_axis_rx_tready;
	bool irq_fire = t->m_axis_irq_tvalid && t->m_axis_irq_tready;
	bool lite_aw = t->s_axil_awvalid && t->s_axil_awready;
	bool lite_w = t->s_axil_wvalid && t->s_axil_wready;
	bool lite_b = t->s_axil_bvalid && t->s_axil_bready;
	bool lite_ar = t->s_axil_arvalid && t->s_axil_arready;
	bool lite_r = t->s_axil_rvalid && t->s_axil_rready;

	if (ar_fire) {
		ReadBurst b{};
		b.id = uint32_t(t->m_axi_arid);
		b.addr = t->m_axi_araddr;
		b.beats = unsigned(t->m_axi_arlen) + 1;
		b.size = 1u << t->m_axi_arsize;
		b.ready_at = r->cycle + r->dma_latency;
		uint64_t hi = beat_addr(b.addr, b.size, b.beats - 1) + b.size;
		b.host = dma_check(r, b.addr, hi, VSRV_DMA_READ);
		r->reads.push_back(b);
	}
	if (r_fire) {
		ReadBurst &b = r->reads.front();
		if (++b.beat == b.beats)
			r->reads.pop_front();
	}
	if (aw_fire) {
		WriteBurst b{};
		b.id = uint32_t(t->m_axi_awid);
		b.addr = t->m_axi_awaddr;
		b.beats = unsigned(t->m_axi_awlen) + 1;
		b.size = 1u << t->m_axi_awsize;
		b.lo = b.addr;
		uint64_t hi = beat_addr(b.addr, b.size, b.beats - 1) + b.size;
		b.host = dma_check(r, b.addr, hi, VSRV_DMA_WRITE);
		r->writes.push_back(b);
	}
	if (w_fire) {
		WriteBurst &b = r->writes.front();
		if (b.host) {
			uint8_t data[kBusBytes];
			get_bytes(t->m_axi_wdata, data, kBusBytes);
			uint64_t strb = bits64(t->m_axi_wstrb);
			uint64_t a = beat_addr(b.addr, b.size, b.beat);
			uint64_t window = a & ~uint64_t(kBusBytes - 1);
			uint64_t hi = beat_addr(b.addr, b.size, b.beats - 1) + b.size;
			for (unsigned i = 0; i < kBusBytes; i++) {
				uint64_t byte = window + i;
				// only the lanes of this beat, and never outside the checked range
				if ((strb >> i & 1) && byte >= a && byte < (a & ~uint64_t(b.size - 1)) + b.size &&
				    byte >= b.lo && byte < hi)
					b.host[byte - b.lo] = data[i];
			}
		}
		if (++b.beat == b.beats) {
			std::atomic_thread_fence(std::memory_order_release);
			r->bresps.push_back({b.id, b.host ? kRespOkay : kRespSlverr});
			r->writes.pop_front();
		}
	}
	if (b_fire)
		r->bresps.pop_front();
	if (tx_fire) {
		uint8_t data[kBusBytes];
		get_bytes(t->m_axis_tx_tdata, data, kBusBytes);
		uint64_t keep = bits64(t->m_axis_tx_tkeep);
		for (unsigned i = 0; i < kBusBytes; i++)
			if (keep >> i & 1)
				r->tx_frame.push_back(data[i]);
		r->tx_bad |= t->m_axis_tx_tuser != 0;
		if (t->m_axis_tx_tlast) {
			if (!r->tx_bad)
				vsrv_wire_send(r->dev, r->tx_frame.data(), uint32_t(r->tx_frame.size()));
			r->tx_frame.clear();
			r->tx_bad = false;
		}
	}
	if (rx_fire) {
		r->rx_off += kBusBytes;
		if (r->rx_off >= r->rx_frames.front().size()) {
			r->rx_frames.pop_front();
			r->rx_off = 0;
		}
	}
	if (irq_fire)
		vsrv_irq(r->dev, uint16_t(t->m_axis_irq_tdata));
	if (lite_aw)
		r->aw_done = true;
	if (lite_w)
		r->w_done = true;
	if (lite_ar)
		r->ar_done = true;
	if (lite_b)
		r->axil_done = true;
	if (lite_r) {
		r->axil_rdata = t->s_axil_rdata;
		r->axil_done = true;
	}
	r->fired = ar_fire || r_fire || aw_fire || w_fire || b_fire || tx_fire || rx_fire ||
		   irq_fire || lite_aw || lite_w || lite_b || lite_ar || lite_r;
	active = ar_fire || r_fire || aw_fire || w_fire || tx_fire || rx_fire || irq_fire ||
		 !r->reads.empty() || !r->writes.empty() || !r->rx_frames.empty();

	// ---- host memory and MAC inputs for the next cycle ----
	uint64_t next = r->cycle + 1;
	t->m_axi_arready = r->reads.size() < kMaxReads;
	t->m_axi_awready = r->writes.size() < kMaxWrites;
	t->m_axi_wready = !r->writes.empty();
	t->m_axi_bvalid = !r->bresps.empty();
	if (!r->bresps.empty()) {
		t->m_axi_bid = r->bresps.front().id;
		t->m_axi_bresp = r->bresps.front().resp;
	}
	t->m_axi_rvalid = 0;
	if (!r->reads.empty() && r->reads.front().ready_at <= next) {
		ReadBurst &b = r->reads.front();
		uint8_t data[kBusBytes] = {};
		if (b.host) {
			uint64_t a = beat_addr(b.addr, b.size, b.beat);
			uint64_t end = (a & ~uint64_t(b.size - 1)) + b.size;
			uint64_t window = a & ~uint64_t(kBusBytes - 1);
			for (uint64_t byte = a; byte < end; byte++)
				data[byte - window] = b.host[byte - b.addr];
		}
		put_bytes(t->m_axi_rdata, data, kBusBytes);
		t->m_axi_rid = b.id;
		t->m_axi_rresp = b.host ? kRespOkay : kRespSlverr;
		t->m_axi_rlast = b.beat + 1 == b.beats;
		t->m_axi_rvalid = 1;
	}
	t->m_axis_tx_tready = 1;
	t->m_axis_irq_tready = 1;
	t->s_axis_rx_tvalid = 0;
	if (!r->rx_frames.empty()) {
		const std::vector<uint8_t> &f = r->rx_frames.front();
		uint8_t data[kBusBytes] = {};
		size_t n = f.size() - r->rx_off < kBusBytes ? f.size() - r->rx_off : kBusBytes;
		std::memcpy(data, f.data() + r->rx_off, n);
		put_bytes(t->s_axis_rx_tdata, data, kBusBytes);
		t->s_axis_rx_tkeep = n >= 64 ? ~0ull : (1ull << n) - 1;
		t->s_axis_rx_tlast = r->rx_off + n == f.size();
		t->s_axis_rx_tuser = 0;
		t->s_axis_rx_tvalid = 1;
	}

	// ---- the edge ----
	t->clk = 1;
	eval_half(r);
	r->cycle = next;
	if (active)
		r->last_activity = r->cycle;

	// AXI-Lite: hold each valid until its channel has fired
	t->clk = 0;
	t->s_axil_awvalid = r->axil == vionic_rtl::AXIL_WRITE && !r->aw_done;
	t->s_axil_wvalid = r->axil == vionic_rtl::AXIL_WRITE && !r->w_done;
	t->s_axil_bready = r->axil == vionic_rtl::AXIL_WRITE && !r->axil_done;
	t->s_axil_arvalid = r->axil == vionic_rtl::AXIL_READ && !r->ar_done;
	t->s_axil_rready = r->axil == vionic_rtl::AXIL_READ && !r->axil_done;
#if VM_TRACE
	if (r->trace) {   // the waveform shows the falling edge
		eval_half(r);
		return r->fired;
	}
#endif
	// The falling edge is not evaluated: it clocks nothing, and the AXI-Lite
	// inputs just set drive only logic (no output) that the next evaluation
	// works out before its rising edge, in its input phase. So the model is
	// told the clock was seen low, as that evaluation would have left it
	// (about 5% of the instructions per cycle).
	t->rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
	r->ctx.timeInc(1);
	return r->fired;
}

// The cycle up to which the inputs stay as they are while nothing fires: the
// step() after it raises rvalid for the first read burst (0: no read waits).
uint64_t quiet_until(const vionic_rtl *r, uint64_t end)
{
	if (r->reads.empty())
		return 0;
	uint64_t u = r->reads.front().ready_at - 1;
	return u < end ? u : end;
}

// Quiet stretches of DMA latency: the core waits for host memory with nothing
// else to do. A clocked cycle without handshakes that leaves the whole model
// state (inputs included) as it was, CYCLES aside, is a fixed point: every
// further cycle does the same until an input changes. Within poll() the only
// input that changes by itself is rvalid when the first read burst's latency
// ends (quiet_until); register accesses, rx_frame and link end the stretch
// (step() and they clear quiet). So the cycles up to then, within this
// poll()'s window (end), are not clocked: the cycle count and CYCLES advance
// by their number, exactly as if they had been (CYCLES feeds nothing but
// register reads, and those need a handshake). A look costs a copy and a
// compare of the model state, so it is only tried on a cycle after one
// without handshakes, and it glances at the leading kGlance bytes (where the
// control registers are) before it compares the whole state. Not while
// tracing: the waveform keeps every cycle. Returns whether the clock moved.
bool skip_quiet(vionic_rtl *r, uint64_t end)
{
#if VM_TRACE
	if (r->trace)
		return false;
#endif
	// The model holds every design signal under its hierarchical name. (Making
	// it public would keep its fan-out, the register read mux, out of the
	// clocked evaluation: about 3% more instructions per cycle.)
	QData &cycles = r->top->rootp->vionic_sim_top__DOT__u_core__DOT__u_regs__DOT__cycles;
	if (!r->quiet) {
		if (r->fired || r->cycle < r->next_look || r->cycle + kMinSkip > quiet_until(r, end)) {
			r->look = kGlance;
			return false;
		}
		const void *state = r->top->rootp;
		std::memcpy(r->snap.data(), state, r->look);
		bool fired = step(r);
		cycles--;
		bool same = !fired && !std::memcmp(r->snap.data(), state, r->look);
		cycles++;
		if (!same) {
			r->look = kGlance;
			r->next_look = r->cycle + kRetry;
			return true;
		}
		if (r->look < r->snap.size()) {
			r->look = r->snap.size();
		} else {
			r->look = kGlance;
			r->quiet = true;
		}
		return true;
	}
	uint64_t until = quiet_until(r, end);
	if (until <= r->cycle)
		return false;
	cycles += until - r->cycle;
	r->cycle = r->last_activity = until;
	return true;
}

// Runs the clock until one AXI-Lite access (set up by the caller) completes.
bool axil_run(vionic_rtl *r, int write)
{
	Vvionic_sim_top *t = r->top;
	r->axil = write ? vionic_rtl::AXIL_WRITE : vionic_rtl::AXIL_READ;
	r->aw_done = r->w_done = r->ar_done = r->axil_done = false;
	t->s_axil_awvalid = t->s_axil_wvalid = t->s_axil_bready = write;
	t->s_axil_arvalid = t->s_axil_rready = !write;
	unsigned n = 0;
	while (!r->axil_done && n++ < kAxilTimeout)
		step(r);
	r->axil = vionic_rtl::AXIL_IDLE;
	t->s_axil_awvalid = t->s_axil_wvalid = t->s_axil_arvalid = 0;
	t->s_axil_bready = t->s_axil_rready = 0;
	if (!r->axil_done)
		vsrv_log(r->dev, "rtl: register access timed out after %u cycles", kAxilTimeout);
	return r->axil_done;
}

void axil_write(vionic_rtl *r, uint32_t off, unsigned size, uint32_t val)
{
	Vvionic_sim_top *t = r->top;
	unsigned lane = off & 3;
	t->s_axil_awaddr = off & ~3u;
	t->s_axil_awprot = 0;
	t->s_axil_wdata = val << (8 * lane);
	t->s_axil_wstrb = ((1u << size) - 1) << lane;
	axil_run(r, 1);
}

uint32_t axil_read(vionic_rtl *r, uint32_t off, unsigned size)
{
	Vvionic_sim_top *t = r->top;
	t->s_axil_araddr = off & ~3u;
	t->s_axil_arprot = 0;
	if (!axil_run(r, 0))
		return 0xFFFFFFFFu;
	uint32_t v = r->axil_rdata >> (8 * (off & 3));
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void hw_reset(vionic_rtl *r)
{
	r->reads.clear();
	r->writes.clear();
	r->bresps.clear();
	r->rx_frames.clear();
	r->rx_off = 0;
	r->tx_frame.clear();
	r->tx_bad = false;
	// The inputs must not offer what the queues held either: the next
	// step() would take a handshake for a burst that is gone.
	r->top->m_axi_rvalid = r->top->m_axi_wready = r->top->m_axi_bvalid = 0;
	r->top->s_axis_rx_tvalid = 0;
	// 16 edges in reset, then one out of it; vionic_sim_top passes rst on one edge late
	r->top->rst = 1;   // link_up keeps its value: the MAC is not reset with the core
	for (int i = 0; i < 16; i++)
		step(r);
	r->top->rst = 0;
	step(r);
	step(r);
	// power-on reset returns the MTU register to the build's default
	axil_write(r, VIONIC_REG_MTU, 4, r->mtu);
}

// ---- vsrv_core_ops ------------------------------------------------------------

void rtl_destroy(void *core);

int rtl_create(struct vsrv_dev *dev, const struct vsrv_conf *conf, void **core, char *err,
	       size_t errlen)
{
	static const uint8_t built_mac[6] = VIONIC_DEFAULT_MAC;
	if (std::memcmp(conf->mac, built_mac, 6) != 0) {
		std::snprintf(err, errlen, "the rtl core has its MAC built in "
			      "(02:56:4e:49:43:00); drop --mac");
		return -1;
	}
	if (conf->queue_pairs != VIONIC_RTL_QUEUE_PAIRS) {
		std::snprintf(err, errlen, "--queue-pairs %u: this rtl server is built with "
			      "NUM_QUEUE_PAIRS %d (vionic.open(\"rtl\", queue_pairs=N) and "
			      "vionic rtl --queue-pairs N build the one for N)",
			      unsigned(conf->queue_pairs), VIONIC_RTL_QUEUE_PAIRS);
		return -1;
	}
	auto *r = new vionic_rtl;
	r->dev = dev;
	r->dma_latency = vionic_rtl_opts.dma_latency;
	r->mtu = conf->mtu;
	r->top = new Vvionic_sim_top{&r->ctx};
	r->snap.resize(sizeof(*r->top->rootp));
	if (vionic_rtl_opts.trace_path) {
#if VM_TRACE
		r->ctx.traceEverOn(true);
		r->trace = new VerilatedFstC;
		r->top->trace(r->trace, 99);
		r->trace->open(vionic_rtl_opts.trace_path);
#else
		std::snprintf(err, errlen, "this rtl server was built without tracing; "
			      "build it with trace enabled to use --trace");
		delete r->top;
		delete r;
		return -1;
#endif
	}
	r->top->clk = 0;
	r->top->link_up = 1;
	r->top->eval();
	hw_reset(r);
	// the register ignores an MTU outside VIONIC_MIN_MTU..MAX_MTU of this build
	uint32_t max_mtu = axil_read(r, VIONIC_REG_MAX_MTU, 4);
	if (conf->mtu < VIONIC_MIN_MTU || conf->mtu > max_mtu) {
		std::snprintf(err, errlen, "--mtu %u: this rtl core takes %d..%u (its buffers "
			      "hold MAX_MTU %u)", unsigned(conf->mtu), VIONIC_MIN_MTU, max_mtu, max_mtu);
		rtl_destroy(r);
		return -1;
	}
	*core = r;
	return 0;
}

void rtl_destroy(void *core)
{
	auto *r = static_cast<vionic_rtl *>(core);
	r->top->final();
#if VM_TRACE
	if (r->trace) {
		r->trace->close();
		delete r->trace;
	}
#endif
	delete r->top;
	delete r;
}

uint32_t rtl_bar_read(void *core, uint32_t off, unsigned size)
{
	return axil_read(static_cast<vionic_rtl *>(core), off, size);
}

// A register write may start device work (a doorbell, queue enable, reset):
// count it as activity so poll() keeps the clock running.
void rtl_bar_write(void *core, uint32_t off, unsigned size, uint32_t val)
{
	auto *r = static_cast<vionic_rtl *>(core);
	axil_write(r, off, size, val);
	r->last_activity = r->cycle;
}

void rtl_notify(void *core, uint16_t slot, uint32_t value)
{
	rtl_bar_write(core, VIONIC_NOTIFY + 4u * slot, 4, value);
}

void rtl_reset(void *core)
{
	hw_reset(static_cast<vionic_rtl *>(core));
}

// Runs the clock while the core has work: from any activity until
// kIdleCycles quiet cycles later (longer than any internal pipeline), then
// stops, so an idle server does not simulate empty cycles. Register reads
// still step the clock, so CYCLES moves whenever someone looks.
int rtl_poll(void *core)
{
	auto *r = static_cast<vionic_rtl *>(core);
	if (r->cycle - r->last_activity >= kIdleCycles)
		return 0;
	uint64_t end = r->cycle + kStepCycles;
	while (r->cycle < end)
		if (!skip_quiet(r, end))
			step(r);
	return r->cycle - r->last_activity < kIdleCycles;
}

// Paced wires may hand over frames while the stream queue has room: the RTL
// itself drops (and counts) a frame that finds no RX buffer.
int rtl_rx_ready(void *core)
{
	return static_cast<vionic_rtl *>(core)->rx_frames.size() < kRxQueueFrames;
}

// The MAC's link input; the core raises the config interrupt on a change.
void rtl_link(void *core, int up)
{
	auto *r = static_cast<vionic_rtl *>(core);
	r->top->link_up = up ? 1 : 0;
	r->last_activity = r->cycle;
	r->quiet = false;
}

int rtl_rx_frame(void *core, const uint8_t *frame, uint32_t len)
{
	auto *r = static_cast<vionic_rtl *>(core);
	if (r->rx_frames.size() >= kRxQueueFrames)
		return VSRV_BUSY;
	r->rx_frames.emplace_back(frame, frame + len);
	r->last_activity = r->cycle;
	r->quiet = false;
	return 0;
}

} // namespace

struct vionic_rtl_options vionic_rtl_opts = {nullptr, 125};

const struct vsrv_core_ops vionic_rtl_core_ops = {
	"rtl", 2, rtl_create, rtl_destroy, rtl_bar_read, rtl_bar_write, rtl_notify, rtl_reset,
	rtl_poll, rtl_rx_ready, rtl_rx_frame, rtl_link, VIONIC_RTL_QUEUE_PAIRS,
};

uint64_t vionic_rtl_cycles(void *core)
{
	return static_cast<vionic_rtl *>(core)->cycle;
}
