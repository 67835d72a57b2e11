// vionic_core: virtio-net device core (split virtqueues, VIRTIO 1.2 modern).
// BAR0 registers on s_axil_*, host memory through the AXI4 master m_axi_*,
// MAC frames on m_axis_tx_* / s_axis_rx_*, interrupt requests (MSI-X vector
// numbers) on m_axis_irq_*. One clock, synchronous active-high reset.
// See hw/rtl/README.md for the block diagram.
`default_nettype none

module vionic_core #(
    parameter int          DATA_WIDTH      = 512,             // AXI4 DMA data width, 64..512
    parameter int          ADDR_WIDTH      = 64,              // AXI4 DMA address width
    parameter int          ID_WIDTH        = 4,               // AXI4 ID width (>= 2: three read IDs)
    parameter int          AXIS_DATA_WIDTH = DATA_WIDTH,      // MAC stream width; must equal DATA_WIDTH
    parameter int          AXIL_ADDR_WIDTH = 16,              // BAR0 is 64 KiB; must be 16
    parameter int          NUM_QUEUE_PAIRS = 1,               // queue pairs; this version implements 1
    parameter int          MAX_QUEUE_SIZE  = vionic_pkg::VIONIC_MAX_QUEUE_SIZE, // queue_size read after select
    parameter logic [47:0] MAC_ADDR        = vionic_pkg::VIONIC_DEFAULT_MAC,    // MAC, first octet in bits 47:40
    parameter int          MAX_MTU         = vionic_pkg::VIONIC_DEFAULT_MTU,    // largest MTU the buffers hold (VIONIC_REG_MAX_MTU)
    parameter int          MTU             = vionic_pkg::VIONIC_DEFAULT_MTU,    // MTU register after rst (frames <= MTU + 14)
    parameter int          IMPL            = vionic_pkg::VIONIC_IMPL_BOARD,     // IMPL register: 2 RTL in simulation, 3 board
    parameter int          TX_FIFO_DEPTH   = 256,             // TX read buffer in beats (>= 4096*8/DATA_WIDTH, <= 256 beats bursts)
    parameter int          RX_FIFO_BYTES   = 8192,            // RX frame store in bytes (>= 2 * (MAX_MTU + 14), power of two)
    parameter bit          TX_CSUM         = 1'b1,            // include vionic_tx_csum (offers VIRTIO_NET_F_CSUM)
    parameter bit          RX_CSUM         = 1'b1             // include vionic_rx_csum (offers VIRTIO_NET_F_GUEST_CSUM)
) (
    input  wire logic                         clk,
    input  wire logic                         rst,
    // link state from the MAC (synchronous to clk): virtio-net status LINK_UP
    input  wire logic                         link_up,
    // AXI-Lite slave: BAR0
    input  wire logic [AXIL_ADDR_WIDTH-1:0]   s_axil_awaddr,
    input  wire logic [2:0]                   s_axil_awprot,
    input  wire logic                         s_axil_awvalid,
    output      logic                         s_axil_awready,
    input  wire logic [31:0]                  s_axil_wdata,
    input  wire logic [3:0]                   s_axil_wstrb,
    input  wire logic                         s_axil_wvalid,
    output      logic                         s_axil_wready,
    output      logic [1:0]                   s_axil_bresp,
    output      logic                         s_axil_bvalid,
    input  wire logic                         s_axil_bready,
    input  wire logic [AXIL_ADDR_WIDTH-1:0]   s_axil_araddr,
    input  wire logic [2:0]                   s_axil_arprot,
    input  wire logic                         s_axil_arvalid,
    output      logic                         s_axil_arready,
    output      logic [31:0]                  s_axil_rdata,
    output      logic [1:0]                   s_axil_rresp,
    output      logic                         s_axil_rvalid,
    input  wire logic                         s_axil_rready,
    // AXI4 master: DMA to host memory
    output      logic [ID_WIDTH-1:0]          m_axi_awid,
    output      logic [ADDR_WIDTH-1:0]        m_axi_awaddr,
    output      logic [7:0]                   m_axi_awlen,
    output      logic [2:0]                   m_axi_awsize,
    output      logic [1:0]                   m_axi_awburst,
    output      logic                         m_axi_awlock,
    output      logic [3:0]                   m_axi_awcache,
    output      logic [2:0]                   m_axi_awprot,
    output      logic                         m_axi_awvalid,
    input  wire logic                         m_axi_awready,
    output      logic [DATA_WIDTH-1:0]        m_axi_wdata,
    output      logic [DATA_WIDTH/8-1:0]      m_axi_wstrb,
    output      logic                         m_axi_wlast,
    output      logic                         m_axi_wvalid,
    input  wire logic                         m_axi_wready,
    input  wire logic [ID_WIDTH-1:0]          m_axi_bid,
    input  wire logic [1:0]                   m_axi_bresp,
    input  wire logic                         m_axi_bvalid,
    output      logic                         m_axi_bready,
    output      logic [ID_WIDTH-1:0]          m_axi_arid,
    output      logic [ADDR_WIDTH-1:0]        m_axi_araddr,
    output      logic [7:0]                   m_axi_arlen,
    output      logic [2:0]                   m_axi_arsize,
    output      logic [1:0]                   m_axi_arburst,
    output      logic                         m_axi_arlock,
    output      logic [3:0]                   m_axi_arcache,
    output      logic [2:0]                   m_axi_arprot,
    output      logic                         m_axi_arvalid,
    input  wire logic                         m_axi_arready,
    input  wire logic [ID_WIDTH-1:0]          m_axi_rid,
    input  wire logic [DATA_WIDTH-1:0]        m_axi_rdata,
    input  wire logic [1:0]                   m_axi_rresp,
    input  wire logic                         m_axi_rlast,
    input  wire logic                         m_axi_rvalid,
    output      logic                         m_axi_rready,
    // AXI-Stream to the MAC (TX)
    output      logic [AXIS_DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output      logic [AXIS_DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output      logic                         m_axis_tx_tvalid,
    input  wire logic                         m_axis_tx_tready,
    output      logic                         m_axis_tx_tlast,
    output      logic                         m_axis_tx_tuser,   // 1: bad frame (DMA error), MAC must abort it
    // AXI-Stream from the MAC (RX)
    input  wire logic [AXIS_DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire logic [AXIS_DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire logic                         s_axis_rx_tvalid,
    output      logic                         s_axis_rx_tready,
    input  wire logic                         s_axis_rx_tlast,
    input  wire logic                         s_axis_rx_tuser,   // 1: bad frame (FCS error), dropped
    // interrupt requests: MSI-X vector number
    output      logic [15:0]                  m_axis_irq_tdata,
    output      logic                         m_axis_irq_tvalid,
    input  wire logic                         m_axis_irq_tready
);
    localparam int W  = DATA_WIDTH / 8;
    localparam int LW = $clog2(W);
    localparam int NQ = 2 * NUM_QUEUE_PAIRS;
    localparam int AW = ADDR_WIDTH;
    localparam int EW = vionic_pkg::ERR_CODE_WIDTH;

    typedef vionic_pkg::wr_src_t wr_src_t;
    typedef vionic_pkg::meta_t   meta_t;
    localparam int NSC = vionic_pkg::STAGES * vionic_pkg::STAGE_COUNTERS;
    localparam int MB  = vionic_pkg::META_BITS;

    // offload stages present: OFFLOAD_CAPS, and the features offered without the absent ones
    localparam logic [31:0] STAGE_CAPS = (32'(TX_CSUM) << vionic_pkg::VIONIC_STAGE_TX_CSUM) |
                                         (32'(RX_CSUM) << vionic_pkg::VIONIC_STAGE_RX_CSUM);
    localparam logic [63:0] OFFERED    = vionic_pkg::VIONIC_DEVICE_FEATURES &
        ~(TX_CSUM ? 64'd0 : 64'd1 << vionic_pkg::VIRTIO_NET_F_CSUM) &
        ~(RX_CSUM ? 64'd0 : 64'd1 << vionic_pkg::VIRTIO_NET_F_GUEST_CSUM);

    // elaboration-time parameter checks (an unknown module stops elaboration)
    generate
        if (AXIS_DATA_WIDTH != DATA_WIDTH) begin : g_chk_axis
            vionic_error_axis_data_width_must_equal_data_width u_err ();
        end
        if (NUM_QUEUE_PAIRS != 1) begin : g_chk_qp
            vionic_error_only_one_queue_pair_implemented u_err ();
        end
        if (AXIL_ADDR_WIDTH != 16) begin : g_chk_axil
            vionic_error_axil_addr_width_must_be_16 u_err ();
        end
        if (DATA_WIDTH < 64 || DATA_WIDTH > 512) begin : g_chk_dw
            vionic_error_data_width_out_of_range u_err ();
        end
        if (MTU < vionic_pkg::VIONIC_MIN_MTU || MTU > MAX_MTU || MAX_MTU > vionic_pkg::VIONIC_MAX_MTU) begin : g_chk_mtu
            vionic_error_mtu_must_be_within_min_mtu_and_max_mtu u_err ();
        end
        if (RX_FIFO_BYTES < 2 * (MAX_MTU + vionic_pkg::ETH_HDR_LEN)) begin : g_chk_rx_fifo
            vionic_error_rx_fifo_bytes_must_hold_two_largest_frames u_err ();
        end
    endgenerate

    // ---------------- register file ----------------
    logic             clear, drain_busy, suspend, suspend_quiet;
    logic [NQ-1:0]    q_run, q_enabled, q_kick, ev_used_irq, ev_pkt, ev_err;
    logic [2*NQ-1:0]  ev_drop;
    logic [63:0]      features;
    logic [15:0]      mtu, max_frame;
    logic [NSC-1:0]   ev_stage;
    logic [NQ*16-1:0] q_size, q_start_avail, q_start_used, q_used_idx, ev_bytes, ev_err_desc;
    logic [NQ*AW-1:0] q_desc, q_avail, q_used, ev_err_addr;
    logic [NQ*EW-1:0] ev_err_code;

    vionic_regs #(.NUM_QP(NUM_QUEUE_PAIRS), .MAX_QSIZE(MAX_QUEUE_SIZE), .MAC(MAC_ADDR), .MAX_MTU(MAX_MTU),
                  .MTU(MTU), .IMPL(IMPL), .ADDR_WIDTH(AW), .STAGE_CAPS(STAGE_CAPS), .OFFERED(OFFERED)) u_regs (
        .clk(clk), .rst(rst), .link_up(link_up),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .m_axis_irq_tdata(m_axis_irq_tdata), .m_axis_irq_tvalid(m_axis_irq_tvalid),
        .m_axis_irq_tready(m_axis_irq_tready),
        .clear(clear), .drain_busy(drain_busy), .q_run(q_run), .q_enabled(q_enabled),
        .q_start_avail(q_start_avail), .q_start_used(q_start_used), .q_used_idx(q_used_idx),
        .suspend(suspend), .suspend_quiet(suspend_quiet), .q_size(q_size), .q_desc(q_desc),
        .q_avail(q_avail), .q_used(q_used), .q_kick(q_kick), .features(features), .mtu(mtu),
        .ev_stage(ev_stage),
        .ev_used_irq(ev_used_irq), .ev_pkt(ev_pkt), .ev_bytes(ev_bytes), .ev_drop(ev_drop),
        .ev_err(ev_err), .ev_err_code(ev_err_code), .ev_err_desc(ev_err_desc), .ev_err_addr(ev_err_addr));
    // the largest frame both directions take (the MTU register changes only while the device is reset)
    assign max_frame = mtu + 16'(vionic_pkg::ETH_HDR_LEN);

    // ---------------- DMA read engines: 0 RX fetch, 1 TX fetch, 2 TX data ----------------
    localparam int NRD = 3;
    logic [NRD*AW-1:0]       rd_araddr;
    logic [NRD*8-1:0]        rd_arlen;
    logic [NRD-1:0]          rd_arvalid, rd_arready, rd_rvalid, rd_rready, rd_busy;
    logic [NRD*ID_WIDTH-1:0] rd_arid;

    vionic_axi_rd_arb #(.N(NRD), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH)) u_rd_arb (
        .clk(clk), .rst(rst),
        .s_axi_araddr(rd_araddr), .s_axi_arlen(rd_arlen), .s_axi_arvalid(rd_arvalid), .s_axi_arready(rd_arready),
        .s_axi_rvalid(rd_rvalid),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
        .m_axi_rid(m_axi_rid), .m_axi_rvalid(m_axi_rvalid));
    assign m_axi_arsize  = 3'(LW);
    assign m_axi_arburst = 2'b01;
    assign m_axi_arlock  = 1'b0;
    assign m_axi_arcache = 4'b0011;
    assign m_axi_arprot  = 3'b000;
    assign m_axi_rready  = 1'b1;   // every engine reserves space before its AR

    // fetch engine read clients (index 0 RX, 1 TX)
    logic [1:0]              fetch_req_valid, fetch_req_ready, fetch_rsp_valid, fetch_rsp_ready;
    logic [1:0]              fetch_rsp_last, fetch_rsp_err;
    logic [2*AW-1:0]         fetch_req_addr, fetch_rd_err_addr;
    logic [2*16-1:0]         fetch_req_len;
    logic [2*2-1:0]          fetch_req_tag, fetch_rsp_tag;
    logic [2*DATA_WIDTH-1:0] fetch_rsp_data;
    logic [2*LW-1:0]         fetch_rsp_lo;
    logic [2*(LW+1)-1:0]     fetch_rsp_hi;

    genvar gi;
    generate
        for (gi = 0; gi < 2; gi++) begin : g_frd
            vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(gi),
                            .TAG_WIDTH(2), .FIFO_DEPTH((4096 / W) > 256 ? 256 : (4096 / W) < 32 ? 32 : (4096 / W)),
                            .REQ_DEPTH(64)) u_rd (
                .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[gi]),
                .s_req_valid(fetch_req_valid[gi]), .s_req_ready(fetch_req_ready[gi]),
                .s_req_addr(fetch_req_addr[AW*gi +: AW]), .s_req_len(fetch_req_len[16*gi +: 16]),
                .s_req_tag(fetch_req_tag[2*gi +: 2]),
                .m_axi_arid(rd_arid[ID_WIDTH*gi +: ID_WIDTH]), .m_axi_araddr(rd_araddr[AW*gi +: AW]),
                .m_axi_arlen(rd_arlen[8*gi +: 8]), .m_axi_arvalid(rd_arvalid[gi]), .m_axi_arready(rd_arready[gi]),
                .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(rd_rvalid[gi]),
                .m_axi_rready(rd_rready[gi]),
                .m_rsp_valid(fetch_rsp_valid[gi]), .m_rsp_ready(fetch_rsp_ready[gi]),
                .m_rsp_data(fetch_rsp_data[DATA_WIDTH*gi +: DATA_WIDTH]), .m_rsp_lo(fetch_rsp_lo[LW*gi +: LW]),
                .m_rsp_hi(fetch_rsp_hi[(LW+1)*gi +: LW+1]), .m_rsp_last(fetch_rsp_last[gi]),
                .m_rsp_tag(fetch_rsp_tag[2*gi +: 2]), .m_rsp_err(fetch_rsp_err[gi]),
                .err_addr(fetch_rd_err_addr[AW*gi +: AW]));
        end
    endgenerate

    // TX data read engine
    logic                  txrd_req_valid, txrd_req_ready, txrd_req_tag;
    logic                  txrd_rsp_valid, txrd_rsp_ready, txrd_rsp_last, txrd_rsp_tag, txrd_rsp_err;
    logic [AW-1:0]         txrd_req_addr, txrd_err_addr;
    logic [15:0]           txrd_req_len;
    logic [DATA_WIDTH-1:0] txrd_rsp_data;
    logic [LW-1:0]         txrd_rsp_lo;
    logic [LW:0]           txrd_rsp_hi;
    vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(2),
                    .TAG_WIDTH(1), .FIFO_DEPTH(TX_FIFO_DEPTH), .REQ_DEPTH(64)) u_txrd (
        .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[2]),
        .s_req_valid(txrd_req_valid), .s_req_ready(txrd_req_ready), .s_req_addr(txrd_req_addr),
        .s_req_len(txrd_req_len), .s_req_tag(txrd_req_tag),
        .m_axi_arid(rd_arid[ID_WIDTH*2 +: ID_WIDTH]), .m_axi_araddr(rd_araddr[AW*2 +: AW]),
        .m_axi_arlen(rd_arlen[8*2 +: 8]), .m_axi_arvalid(rd_arvalid[2]), .m_axi_arready(rd_arready[2]),
        .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(rd_rvalid[2]),
        .m_axi_rready(rd_rready[2]),
        .m_rsp_valid(txrd_rsp_valid), .m_rsp_ready(txrd_rsp_ready), .m_rsp_data(txrd_rsp_data),
        .m_rsp_lo(txrd_rsp_lo), .m_rsp_hi(txrd_rsp_hi), .m_rsp_last(txrd_rsp_last), .m_rsp_tag(txrd_rsp_tag),
        .m_rsp_err(txrd_rsp_err), .err_addr(txrd_err_addr));

    // ---------------- fetch engines ----------------
    logic [1:0]       seg_valid, seg_ready, chain_valid, chain_ready, fetch_dry, fetch_seg_full, fetch_err;
    logic [1:0]       fetch_quiet, flags_req, flags_fresh;
    logic [2*AW-1:0]  seg_addr, fetch_err_addr;
    logic [2*16-1:0]  seg_idx;
    logic [2*32-1:0]  seg_len, chain_total;
    logic [2*16-1:0]  chain_head, avail_flags, fetch_err_desc;
    logic [2*16-1:0]  chain_nseg;
    logic [2*EW-1:0]  fetch_err_code;
    logic             rx_need;

    generate
        for (gi = 0; gi < 2; gi++) begin : g_fetch
            vionic_fetch #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .IS_RX(gi == 0),
                           .HEAD_DEPTH(128), .DESC_DEPTH(128), .MAX_CHAIN_SEGS(MAX_QUEUE_SIZE)) u_fetch (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[gi]), .enabled(q_enabled[gi]),
                .start_avail(q_start_avail[16*gi +: 16]), .suspend(suspend), .quiet(fetch_quiet[gi]),
                .q_size(q_size[16*gi +: 16]),
                .q_desc(q_desc[AW*gi +: AW]), .q_avail(q_avail[AW*gi +: AW]), .kick(q_kick[gi]),
                .need(gi == 0 ? rx_need : 1'b0), .dry(fetch_dry[gi]), .seg_full(fetch_seg_full[gi]),
                .avail_flags(avail_flags[16*gi +: 16]),
                .flags_req(flags_req[gi]), .flags_fresh(flags_fresh[gi]),
                .m_rd_req_valid(fetch_req_valid[gi]), .m_rd_req_ready(fetch_req_ready[gi]),
                .m_rd_req_addr(fetch_req_addr[AW*gi +: AW]), .m_rd_req_len(fetch_req_len[16*gi +: 16]),
                .m_rd_req_tag(fetch_req_tag[2*gi +: 2]),
                .s_rd_valid(fetch_rsp_valid[gi]), .s_rd_ready(fetch_rsp_ready[gi]),
                .s_rd_data(fetch_rsp_data[DATA_WIDTH*gi +: DATA_WIDTH]), .s_rd_lo(fetch_rsp_lo[LW*gi +: LW]),
                .s_rd_hi(fetch_rsp_hi[(LW+1)*gi +: LW+1]), .s_rd_tag(fetch_rsp_tag[2*gi +: 2]),
                .s_rd_err(fetch_rsp_err[gi]),
                .m_seg_valid(seg_valid[gi]), .m_seg_ready(seg_ready[gi]), .m_seg_addr(seg_addr[AW*gi +: AW]),
                .m_seg_len(seg_len[32*gi +: 32]), .m_seg_idx(seg_idx[16*gi +: 16]),
                .m_chain_valid(chain_valid[gi]), .m_chain_ready(chain_ready[gi]),
                .m_chain_head(chain_head[16*gi +: 16]), .m_chain_total(chain_total[32*gi +: 32]),
                .m_chain_nseg(chain_nseg[16*gi +: 16]),
                .err_valid(fetch_err[gi]), .err_code(fetch_err_code[EW*gi +: EW]),
                .err_desc(fetch_err_desc[16*gi +: 16]), .err_addr(fetch_err_addr[AW*gi +: AW]));
        end
    endgenerate

    // ---------------- TX pipeline (queue 1) ----------------
    // vionic_txq -> TX stages (tx_*[k] -> tx_*[k+1]) -> tail: drop, count, MAC
    localparam int NTX = 2;                // stream positions: txq output, after TX_CSUM
    logic [NTX*DATA_WIDTH-1:0] tx_tdata;
    logic [NTX*W-1:0]          tx_tkeep;
    logic [NTX-1:0]            tx_tvalid, tx_tready, tx_tlast, tx_tuser, tx_meta_valid, tx_meta_ready;
    logic [NTX*MB-1:0]         tx_meta;   // meta_t of each position (packed: Yosys takes no unpacked struct arrays)
    logic                      tx_csum_on, rx_csum_on;
    logic [NTX-2:0]            tx_busy;   // each TX stage holds a frame or metadata
    assign tx_csum_on = TX_CSUM && features[vionic_pkg::VIRTIO_NET_F_CSUM];
    assign rx_csum_on = RX_CSUM && features[vionic_pkg::VIRTIO_NET_F_GUEST_CSUM];

    logic          tx_used_valid, tx_used_ready, tx_drop, tx_err, tx_quiet;
    logic [15:0]   tx_used_id, tx_err_desc;
    logic [AW-1:0] tx_err_addr;
    vionic_txq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .QUEUE(1)) u_txq (
        .clk(clk), .rst(rst), .clear(clear), .run(q_run[1]), .suspend(suspend), .quiet(tx_quiet),
        .read_hdr(tx_csum_on), .max_frame(max_frame),
        .s_chain_valid(chain_valid[1]), .s_chain_ready(chain_ready[1]), .s_chain_head(chain_head[31:16]),
        .s_chain_total(chain_total[63:32]), .s_chain_nseg(chain_nseg[31:16]),
        .s_seg_valid(seg_valid[1]), .s_seg_ready(seg_ready[1]), .s_seg_addr(seg_addr[2*AW-1:AW]),
        .s_seg_len(seg_len[63:32]), .s_seg_idx(seg_idx[31:16]),
        .m_rd_req_valid(txrd_req_valid), .m_rd_req_ready(txrd_req_ready), .m_rd_req_addr(txrd_req_addr),
        .m_rd_req_len(txrd_req_len), .m_rd_req_tag(txrd_req_tag),
        .s_rd_valid(txrd_rsp_valid), .s_rd_ready(txrd_rsp_ready), .s_rd_data(txrd_rsp_data), .s_rd_lo(txrd_rsp_lo),
        .s_rd_hi(txrd_rsp_hi), .s_rd_last(txrd_rsp_last), .s_rd_tag(txrd_rsp_tag), .s_rd_err(txrd_rsp_err),
        .m_axis_tdata(tx_tdata[0 +: DATA_WIDTH]), .m_axis_tkeep(tx_tkeep[0 +: W]), .m_axis_tvalid(tx_tvalid[0]),
        .m_axis_tready(tx_tready[0]), .m_axis_tlast(tx_tlast[0]), .m_axis_tuser(tx_tuser[0]),
        .m_meta_valid(tx_meta_valid[0]), .m_meta_ready(tx_meta_ready[0]), .m_meta_data(tx_meta[0 +: MB]),
        .m_used_valid(tx_used_valid), .m_used_ready(tx_used_ready), .m_used_id(tx_used_id),
        .cnt_drop(tx_drop), .err_valid(tx_err), .err_desc(tx_err_desc), .err_addr(tx_err_addr));

    generate
        if (TX_CSUM) begin : g_tx_csum
            vionic_tx_csum #(.DATA_WIDTH(DATA_WIDTH), .MAX_MTU(MAX_MTU)) u_tx_csum (
                .clk(clk), .rst(clear), .enable(tx_csum_on),
                .s_axis_tdata(tx_tdata[0 +: DATA_WIDTH]), .s_axis_tkeep(tx_tkeep[0 +: W]),
                .s_axis_tvalid(tx_tvalid[0]), .s_axis_tready(tx_tready[0]), .s_axis_tlast(tx_tlast[0]),
                .s_axis_tuser(tx_tuser[0]),
                .s_meta_valid(tx_meta_valid[0]), .s_meta_ready(tx_meta_ready[0]), .s_meta_data(tx_meta[0 +: MB]),
                .m_axis_tdata(tx_tdata[DATA_WIDTH +: DATA_WIDTH]), .m_axis_tkeep(tx_tkeep[W +: W]),
                .m_axis_tvalid(tx_tvalid[1]), .m_axis_tready(tx_tready[1]), .m_axis_tlast(tx_tlast[1]),
                .m_axis_tuser(tx_tuser[1]),
                .m_meta_valid(tx_meta_valid[1]), .m_meta_ready(tx_meta_ready[1]), .m_meta_data(tx_meta[MB +: MB]),
                .busy(tx_busy[0]));
        end else begin : g_no_tx_csum
            assign tx_tdata[DATA_WIDTH +: DATA_WIDTH] = tx_tdata[0 +: DATA_WIDTH];
            assign tx_tkeep[W +: W] = tx_tkeep[0 +: W];
            assign tx_tvalid[1]     = tx_tvalid[0];
            assign tx_tready[0]     = tx_tready[1];
            assign tx_tlast[1]      = tx_tlast[0];
            assign tx_tuser[1]      = tx_tuser[0];
            assign tx_meta_valid[1] = tx_meta_valid[0];
            assign tx_meta_ready[0] = tx_meta_ready[1];
            assign tx_meta[MB +: MB] = tx_meta[0 +: MB];
            assign tx_busy[0]       = 1'b0;
        end
    endgenerate

    // tail: the metadata first, then the frame to the MAC or, marked `drop`, to
    // nowhere (DROPS); PACKETS/BYTES for a frame sent without abort. A device
    // reset in the middle of a frame on the MAC stream ends that frame with an
    // abort beat (tlast and tuser set) so the MAC never joins two frames.
    logic  tail_have, tail_fire, tail_pkt, tail_drop, mac_mid_frame, abort_valid;
    logic [NSC-1:0] tail_events, rx_events;   // stage counter events of frames sent/dropped, written
    meta_t tail_meta, tail_cur;
    logic [15:0] tail_bytes;
    assign tail_cur              = tail_have ? tail_meta : tx_meta[(NTX-1)*MB +: MB];
    assign tx_meta_ready[NTX-1]  = !tail_have;
    assign m_axis_tx_tvalid      = (tx_tvalid[NTX-1] && (tail_have || tx_meta_valid[NTX-1]) && !tail_cur.drop) ||
                                   abort_valid;
    assign tx_tready[NTX-1]      = (tail_have || tx_meta_valid[NTX-1]) &&
                                   (tail_cur.drop || (m_axis_tx_tready && !abort_valid));
    assign tail_fire             = tx_tvalid[NTX-1] && tx_tready[NTX-1];
    assign m_axis_tx_tdata       = tx_tdata[(NTX-1)*DATA_WIDTH +: DATA_WIDTH];
    assign m_axis_tx_tkeep       = abort_valid ? W'(1) : tx_tkeep[(NTX-1)*W +: W];
    assign m_axis_tx_tlast       = tx_tlast[NTX-1] || abort_valid;
    assign m_axis_tx_tuser       = tx_tuser[NTX-1] || abort_valid;
    always_ff @(posedge clk) begin
        if (clear) begin
            tail_have   <= 1'b0;
            tail_meta   <= '0;
            tail_pkt    <= 1'b0;
            tail_drop   <= 1'b0;
            tail_bytes  <= '0;
            tail_events <= '0;
        end else begin
            tail_events <= (tail_fire && tx_tlast[NTX-1]) ? tail_cur.events : '0;
            tail_pkt  <= tail_fire && tx_tlast[NTX-1] && !tail_cur.drop && !tx_tuser[NTX-1];
            tail_drop <= tail_fire && tx_tlast[NTX-1] && tail_cur.drop;
            if (tail_fire && tx_tlast[NTX-1]) begin
                tail_have  <= 1'b0;
                tail_bytes <= tail_cur.len;
            end else if (tx_meta_valid[NTX-1] && tx_meta_ready[NTX-1]) begin
                tail_have <= 1'b1;
                tail_meta <= tx_meta[(NTX-1)*MB +: MB];
            end
        end
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            mac_mid_frame <= 1'b0;
            abort_valid   <= 1'b0;
        end else begin
            if (m_axis_tx_tvalid && m_axis_tx_tready) mac_mid_frame <= !m_axis_tx_tlast;
            if (abort_valid && m_axis_tx_tready) abort_valid <= 1'b0;
            if (clear && !abort_valid &&
                ((mac_mid_frame && !(m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast)) ||
                 (m_axis_tx_tvalid && !m_axis_tx_tready)))
                abort_valid <= 1'b1;
        end
    end

    // ---------------- RX pipeline (queue 0) ----------------
    logic                  rx_wr_valid, rx_wr_ready, rx_stream_valid, rx_stream_ready;
    logic                  rx_used_valid, rx_used_ready, rx_used_last, rx_pkt, rx_drop, rx_wr_err, rx_quiet;
    logic [AW-1:0]         rx_wr_addr;
    logic [15:0]           rx_wr_len, rx_wr_desc, rx_used_id, rx_bytes, rx_delivered;
    logic [31:0]           rx_used_len;
    logic [DATA_WIDTH-1:0] rx_stream_data;
    logic [LW:0]           rx_stream_bytes;
    logic [15:0]           wr_seq, wr_done;
    // head: frames from the MAC, whole (the rest of one cut by a device reset
    // is skipped), each with a metadata of queue 0 (the source offers one at
    // any time) -> RX stages (rx_*[k] -> rx_*[k+1]) -> vionic_rxq
    localparam int NRX = 2;                // stream positions: head, after RX_CSUM
    logic [NRX*DATA_WIDTH-1:0] rx_tdata;
    logic [NRX*W-1:0]          rx_tkeep;
    logic [NRX-1:0]            rx_tvalid, rx_tready, rx_tlast, rx_tuser, rx_meta_valid, rx_meta_ready;
    logic [NRX*MB-1:0]         rx_meta;   // meta_t of each position
    logic                      rx_mid_frame, rx_skip;
    assign rx_tdata[0 +: DATA_WIDTH] = s_axis_rx_tdata;
    assign rx_tkeep[0 +: W]          = s_axis_rx_tkeep;
    assign rx_tlast[0]               = s_axis_rx_tlast;
    assign rx_tuser[0]               = s_axis_rx_tuser;
    assign rx_tvalid[0]              = s_axis_rx_tvalid && !clear && !rx_skip;
    assign s_axis_rx_tready          = clear || rx_skip || rx_tready[0];
    assign rx_meta_valid[0]          = 1'b1;
    assign rx_meta[0 +: MB]          = '0;
    always_ff @(posedge clk) begin
        if (rst) begin
            rx_mid_frame <= 1'b0;
            rx_skip      <= 1'b0;
        end else begin
            if (s_axis_rx_tvalid && s_axis_rx_tready) rx_mid_frame <= !s_axis_rx_tlast;
            if (clear) rx_skip <= (s_axis_rx_tvalid && s_axis_rx_tready) ? !s_axis_rx_tlast : rx_mid_frame;
            else if (s_axis_rx_tvalid && s_axis_rx_tready && s_axis_rx_tlast) rx_skip <= 1'b0;
        end
    end

    generate
        if (RX_CSUM) begin : g_rx_csum
            vionic_rx_csum #(.DATA_WIDTH(DATA_WIDTH)) u_rx_csum (
                .clk(clk), .rst(clear), .enable(rx_csum_on),
                .s_axis_tdata(rx_tdata[0 +: DATA_WIDTH]), .s_axis_tkeep(rx_tkeep[0 +: W]),
                .s_axis_tvalid(rx_tvalid[0]), .s_axis_tready(rx_tready[0]), .s_axis_tlast(rx_tlast[0]),
                .s_axis_tuser(rx_tuser[0]),
                .s_meta_valid(rx_meta_valid[0]), .s_meta_ready(rx_meta_ready[0]), .s_meta_data(rx_meta[0 +: MB]),
                .m_axis_tdata(rx_tdata[DATA_WIDTH +: DATA_WIDTH]), .m_axis_tkeep(rx_tkeep[W +: W]),
                .m_axis_tvalid(rx_tvalid[1]), .m_axis_tready(rx_tready[1]), .m_axis_tlast(rx_tlast[1]),
                .m_axis_tuser(rx_tuser[1]),
                .m_meta_valid(rx_meta_valid[1]), .m_meta_ready(rx_meta_ready[1]), .m_meta_data(rx_meta[MB +: MB]));
        end else begin : g_no_rx_csum
            assign rx_tdata[DATA_WIDTH +: DATA_WIDTH] = rx_tdata[0 +: DATA_WIDTH];
            assign rx_tkeep[W +: W] = rx_tkeep[0 +: W];
            assign rx_tvalid[1]     = rx_tvalid[0];
            assign rx_tready[0]     = rx_tready[1];
            assign rx_tlast[1]      = rx_tlast[0];
            assign rx_tuser[1]      = rx_tuser[0];
            assign rx_meta_valid[1] = rx_meta_valid[0];
            assign rx_meta_ready[0] = rx_meta_ready[1];
            assign rx_meta[MB +: MB] = rx_meta[0 +: MB];
        end
    endgenerate

    vionic_rxq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .FIFO_BYTES(RX_FIFO_BYTES)) u_rxq (
        .clk(clk), .rst(rst), .clear(clear), .run(q_run[0]), .suspend(suspend), .quiet(rx_quiet),
        .max_frame(max_frame), .mrg(features[vionic_pkg::VIRTIO_NET_F_MRG_RXBUF]),
        .s_axis_rx_tdata(rx_tdata[(NRX-1)*DATA_WIDTH +: DATA_WIDTH]), .s_axis_rx_tkeep(rx_tkeep[(NRX-1)*W +: W]),
        .s_axis_rx_tvalid(rx_tvalid[NRX-1]), .s_axis_rx_tready(rx_tready[NRX-1]),
        .s_axis_rx_tlast(rx_tlast[NRX-1]), .s_axis_rx_tuser(rx_tuser[NRX-1]),
        .s_meta_valid(rx_meta_valid[NRX-1]), .s_meta_ready(rx_meta_ready[NRX-1]),
        .s_meta_data(rx_meta[(NRX-1)*MB +: MB]),
        .s_chain_valid(chain_valid[0]), .s_chain_ready(chain_ready[0]), .s_chain_head(chain_head[15:0]),
        .s_chain_total(chain_total[31:0]), .s_chain_nseg(chain_nseg[15:0]),
        .s_seg_valid(seg_valid[0]), .s_seg_ready(seg_ready[0]), .s_seg_addr(seg_addr[AW-1:0]),
        .s_seg_len(seg_len[31:0]), .s_seg_idx(seg_idx[15:0]), .need(rx_need), .dry(fetch_dry[0]),
        .seg_full(fetch_seg_full[0]),
        .m_wr_req_valid(rx_wr_valid), .m_wr_req_ready(rx_wr_ready), .m_wr_req_addr(rx_wr_addr),
        .m_wr_req_len(rx_wr_len), .m_wr_req_desc(rx_wr_desc), .wr_seq(wr_seq), .wr_done(wr_done),
        .wr_err(rx_wr_err),
        .m_stream_valid(rx_stream_valid), .m_stream_ready(rx_stream_ready), .m_stream_data(rx_stream_data),
        .m_stream_bytes(rx_stream_bytes),
        .m_used_valid(rx_used_valid), .m_used_ready(rx_used_ready), .m_used_id(rx_used_id),
        .m_used_len(rx_used_len), .m_used_last(rx_used_last),
        .cnt_pkt(rx_pkt), .cnt_bytes(rx_bytes), .cnt_drop(rx_drop), .cnt_stage(rx_events),
        .delivered(rx_delivered));
    assign ev_stage = tail_events | rx_events;   // TX and RX stages have their own bits

    // ---------------- used-ring writers ----------------
    logic [1:0]       used_wr_valid, used_wr_ready, used_irq, used_quiet;
    logic [2*AW-1:0]  used_wr_addr;
    logic [2*16-1:0]  used_wr_len;
    logic [2*512-1:0] used_wr_data;

    // RX: a used entry is written only for a frame delivered without a write error,
    // used.idx only at the end of a frame (MRG_RXBUF: several entries)
    vionic_used #(.ADDR_WIDTH(AW), .LIMITED(1)) u_used_rx (
        .clk(clk), .rst(rst), .clear(clear), .enabled(q_enabled[0]), .start_used(q_start_used[15:0]),
        .used_idx(q_used_idx[15:0]), .quiet(used_quiet[0]), .q_size(q_size[15:0]), .q_used(q_used[AW-1:0]),
        .no_irq((avail_flags[15:0] & vionic_pkg::VRING_AVAIL_F_NO_INTERRUPT) != 0),
        .flags_req(flags_req[0]), .flags_fresh(flags_fresh[0]), .publish_limit(rx_delivered),
        .s_used_valid(rx_used_valid), .s_used_ready(rx_used_ready), .s_used_id(rx_used_id),
        .s_used_len(rx_used_len), .s_used_last(rx_used_last),
        .m_wr_req_valid(used_wr_valid[0]), .m_wr_req_ready(used_wr_ready[0]), .m_wr_req_addr(used_wr_addr[AW-1:0]),
        .m_wr_req_len(used_wr_len[15:0]), .m_wr_req_data(used_wr_data[511:0]), .wr_seq(wr_seq),
        .wr_done(wr_done), .irq(used_irq[0]));
    // TX: used entries come only for frames sent (or dropped) whole
    vionic_used #(.ADDR_WIDTH(AW), .LIMITED(0)) u_used_tx (
        .clk(clk), .rst(rst), .clear(clear), .enabled(q_enabled[1]), .start_used(q_start_used[31:16]),
        .used_idx(q_used_idx[31:16]), .quiet(used_quiet[1]), .q_size(q_size[31:16]), .q_used(q_used[2*AW-1:AW]),
        .no_irq((avail_flags[31:16] & vionic_pkg::VRING_AVAIL_F_NO_INTERRUPT) != 0),
        .flags_req(flags_req[1]), .flags_fresh(flags_fresh[1]), .publish_limit(16'd0),
        .s_used_valid(tx_used_valid), .s_used_ready(tx_used_ready), .s_used_id(tx_used_id), .s_used_len(32'd0),
        .s_used_last(1'b1),
        .m_wr_req_valid(used_wr_valid[1]), .m_wr_req_ready(used_wr_ready[1]),
        .m_wr_req_addr(used_wr_addr[2*AW-1:AW]), .m_wr_req_len(used_wr_len[31:16]),
        .m_wr_req_data(used_wr_data[1023:512]), .wr_seq(wr_seq), .wr_done(wr_done), .irq(used_irq[1]));

    // ---------------- DMA write engine and its request arbiter (round robin) ----------------
    wr_src_t    last_src, wr_src;
    logic       wr_req_any, wr_req_ready;
    logic [2:0] wr_req_by_src;             // indexed by wr_src_t
    assign wr_req_by_src = {used_wr_valid[1], used_wr_valid[0], rx_wr_valid};
    always_comb begin
        wr_src     = last_src;
        wr_req_any = 1'b0;
        for (int k = 1; k <= 3; k++) begin
            if (!wr_req_any && wr_req_by_src[(32'(last_src) + k) % 3]) begin
                wr_req_any = 1'b1;
                wr_src     = wr_src_t'((32'(last_src) + k) % 3);
            end
        end
    end
    always_ff @(posedge clk) begin
        if (rst || clear) last_src <= vionic_pkg::WR_SRC_TX_USED;
        else if (wr_req_any && wr_req_ready) last_src <= wr_src;
    end
    assign rx_wr_ready      = wr_req_any && wr_req_ready && (wr_src == vionic_pkg::WR_SRC_RX_DATA);
    assign used_wr_ready[0] = wr_req_any && wr_req_ready && (wr_src == vionic_pkg::WR_SRC_RX_USED);
    assign used_wr_ready[1] = wr_req_any && wr_req_ready && (wr_src == vionic_pkg::WR_SRC_TX_USED);

    logic [AW-1:0]  wr_addr;
    logic [15:0]    wr_len;
    logic [511:0]   wr_data;
    logic           wr_err, wr_busy;
    // error tag of a write request: {descriptor (RX data), source}
    logic [17:0]    wr_err_tag;
    logic [AW-1:0]  wr_err_addr;
    wr_src_t        wr_err_src;
    logic [15:0]    wr_err_desc;
    assign wr_err_src  = wr_src_t'(wr_err_tag[1:0]);
    assign wr_err_desc = wr_err_tag[17:2];
    always_comb begin
        case (wr_src)
            vionic_pkg::WR_SRC_RX_USED: begin
                wr_addr = used_wr_addr[AW-1:0];
                wr_len  = used_wr_len[15:0];
                wr_data = used_wr_data[511:0];
            end
            vionic_pkg::WR_SRC_TX_USED: begin
                wr_addr = used_wr_addr[2*AW-1:AW];
                wr_len  = used_wr_len[31:16];
                wr_data = used_wr_data[1023:512];
            end
            default: begin
                wr_addr = rx_wr_addr;
                wr_len  = rx_wr_len;
                wr_data = '0;
            end
        endcase
    end

    vionic_dma_wr #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(0),
                    .QID_WIDTH(18)) u_wr (
        .clk(clk), .rst(rst), .flush(clear), .busy(wr_busy),
        .s_req_valid(wr_req_any), .s_req_ready(wr_req_ready), .s_req_addr(wr_addr), .s_req_len(wr_len),
        .s_req_inline(wr_src != vionic_pkg::WR_SRC_RX_DATA), .s_req_data(wr_data),
        .s_req_qid({(wr_src == vionic_pkg::WR_SRC_RX_DATA) ? rx_wr_desc : 16'd0, wr_src}),
        .req_seq(wr_seq), .done_cnt(wr_done),
        .s_stream_valid(rx_stream_valid), .s_stream_ready(rx_stream_ready), .s_stream_data(rx_stream_data),
        .s_stream_bytes(rx_stream_bytes),
        .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
        .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
        .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
        .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
        .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid), .m_axi_bready(m_axi_bready),
        .err_valid(wr_err), .err_qid(wr_err_tag), .err_addr(wr_err_addr));
    assign m_axi_awsize  = 3'(LW);
    assign m_axi_awburst = 2'b01;
    assign m_axi_awlock  = 1'b0;
    assign m_axi_awcache = 4'b0011;
    assign m_axi_awprot  = 3'b000;

    assign drain_busy = (|rd_busy) || wr_busy;
    // SUSPEND DONE: every block suspended has finished what it started, the used
    // entries are published, and no DMA is in flight
    // (TX: until the frames taken have left the TX stages for the MAC)
    assign suspend_quiet = (&fetch_quiet) && tx_quiet && !(|tx_busy) && !tail_have && !tx_tvalid[NTX-1] &&
                           rx_quiet && (&used_quiet) && !drain_busy;
    assign rx_wr_err  = wr_err && (wr_err_src != vionic_pkg::WR_SRC_TX_USED);

    // ---------------- events to the register file ----------------
    always_comb begin
        ev_pkt      = {tail_pkt, rx_pkt};
        ev_drop     = {tail_drop, tx_drop, 1'b0, rx_drop};
        ev_bytes    = {tail_bytes, rx_bytes};
        ev_used_irq = used_irq;
        // queue 0 (RX): fetch error, DMA write error (data: the descriptor and its
        // buffer address, the request address; used ring: its base)
        ev_err[0]           = fetch_err[0] || rx_wr_err;
        ev_err_code[EW-1:0] = fetch_err[0] ? fetch_err_code[EW-1:0] : vionic_pkg::VIONIC_ERR_DMA;
        ev_err_desc[15:0]   = fetch_err[0] ? fetch_err_desc[15:0] :
                              (wr_err_src == vionic_pkg::WR_SRC_RX_DATA) ? wr_err_desc : 16'd0;
        ev_err_addr[AW-1:0] = fetch_err[0] ? fetch_err_addr[AW-1:0] :
                              (wr_err_src == vionic_pkg::WR_SRC_RX_DATA) ? wr_err_addr : q_used[AW-1:0];
        // queue 1 (TX): fetch error, data read error, DMA write error (used ring: its base)
        ev_err[1]              = fetch_err[1] || tx_err || (wr_err && wr_err_src == vionic_pkg::WR_SRC_TX_USED);
        ev_err_code[2*EW-1:EW] = fetch_err[1] ? fetch_err_code[2*EW-1:EW] : vionic_pkg::VIONIC_ERR_DMA;
        ev_err_desc[31:16]     = fetch_err[1] ? fetch_err_desc[31:16] : tx_err ? tx_err_desc : 16'd0;
        ev_err_addr[2*AW-1:AW] = fetch_err[1] ? fetch_err_addr[2*AW-1:AW] : tx_err ? tx_err_addr : q_used[2*AW-1:AW];
    end

    logic unused_ok;
    assign unused_ok = ^{m_axi_rlast, m_axi_bid, rd_arid, rd_rready, avail_flags, fetch_dry[1], fetch_seg_full[1],
                         fetch_rsp_last,
                         fetch_rd_err_addr, txrd_err_addr, rx_meta_ready[0], rx_csum_on,
                         tail_cur.qid, tail_cur.flags, tail_cur.csum_start, tail_cur.csum_offset};
endmodule

`default_nettype wire
