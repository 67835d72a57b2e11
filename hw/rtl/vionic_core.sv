// vionic_core: virtio-net device core (split virtqueues, VIRTIO 1.2 modern).
// BAR0 registers on s_axil_*, host memory through the AXI4 master m_axi_*,
// MAC frames on m_axis_tx_* / s_axis_rx_*, interrupt requests (MSI-X vector
// numbers) on m_axis_irq_*. One clock, synchronous active-high reset.
// See hw/rtl/README.md for the block diagram.
`default_nettype none

module vionic_core #(
    parameter int          DATA_WIDTH      = 512,             // AXI4 DMA data width, 64..512
    parameter int          ADDR_WIDTH      = 64,              // AXI4 DMA address width
    parameter int          ID_WIDTH        = 4,               // AXI4 ID width: clog2 of the read engines (3 with one pair, 3N+2)
    parameter int          AXIS_DATA_WIDTH = DATA_WIDTH,      // MAC stream width; must equal DATA_WIDTH
    parameter int          AXIL_ADDR_WIDTH = 16,              // BAR0 is 64 KiB; must be 16
    parameter int          NUM_QUEUE_PAIRS = 1,               // queue pairs, 1..VIONIC_MAX_QUEUE_PAIRS (> 1: MQ, CTRL_VQ)
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
    localparam int NP = NUM_QUEUE_PAIRS;
    localparam bit HAS_CTRL = (NP > 1);            // MQ needs the control queue
    localparam int NQ = HAS_CTRL ? 2 * NP + 1 : 2; // virtqueues: receiveq k = 2k, transmitq k = 2k+1, controlq 2N
    localparam int CQ = 2 * NP;                    // the control queue's index
    // read engines: a fetch engine per virtqueue (ARID q), TX data per pair, control command bytes
    localparam int NRD = NQ + NP + (HAS_CTRL ? 1 : 0);
    // write sources (round robin): per pair RX data, RX used, TX used (3k..3k+2); then ack, control used
    localparam int NWS = 3 * NP + (HAS_CTRL ? 2 : 0);
    localparam int SW  = $clog2(NWS);
    // the control queue's indices, 0 without one (only used under HAS_CTRL)
    localparam int QC       = HAS_CTRL ? CQ : 0;
    localparam int WS_ACK   = HAS_CTRL ? 3 * NP : 0;
    localparam int WS_CUSED = HAS_CTRL ? NWS - 1 : 0;
    localparam int AW = ADDR_WIDTH;
    localparam int EW = vionic_pkg::ERR_CODE_WIDTH;

    typedef vionic_pkg::meta_t   meta_t;
    localparam int NSC = vionic_pkg::STAGES * vionic_pkg::STAGE_COUNTERS;
    localparam int MB  = vionic_pkg::META_BITS;

    // offload stages present: OFFLOAD_CAPS, and the features offered without the absent ones
    localparam logic [31:0] STAGE_CAPS = (32'(TX_CSUM) << vionic_pkg::VIONIC_STAGE_TX_CSUM) |
                                         (32'(RX_CSUM) << vionic_pkg::VIONIC_STAGE_RX_CSUM);
    localparam logic [63:0] OFFERED    = (vionic_pkg::VIONIC_DEVICE_FEATURES |
                                          (HAS_CTRL ? vionic_pkg::VIONIC_MQ_FEATURES | vionic_pkg::VIONIC_RSS_FEATURES :
                                                      64'd0)) &
        ~(TX_CSUM ? 64'd0 : 64'd1 << vionic_pkg::VIRTIO_NET_F_CSUM) &
        ~(RX_CSUM ? 64'd0 : 64'd1 << vionic_pkg::VIRTIO_NET_F_GUEST_CSUM);

    // elaboration-time parameter checks (an unknown module stops elaboration)
    generate
        if (AXIS_DATA_WIDTH != DATA_WIDTH) begin : g_chk_axis
            vionic_error_axis_data_width_must_equal_data_width u_err ();
        end
        if (NP < 1 || NP > vionic_pkg::VIONIC_MAX_QUEUE_PAIRS) begin : g_chk_qp
            vionic_error_num_queue_pairs_out_of_range u_err ();
        end
        if (NRD > (1 << ID_WIDTH)) begin : g_chk_id
            vionic_error_id_width_too_small_for_the_read_engines u_err ();
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
        // RX counts a frame and its header in 16 bits; VIONIC_MAX_MTU leaves room for 12 only
        if (HAS_CTRL && MAX_MTU + vionic_pkg::ETH_HDR_LEN + vionic_pkg::VIONIC_NET_HDR_HASH_LEN > 65535) begin : g_chk_hash_mtu
            vionic_error_max_mtu_too_large_for_the_hash_header u_err ();
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

    genvar gi;

    // ---------------- DMA read engines (ARID = index) ----------------
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

    // fetch engine read clients (one per virtqueue)
    logic [NQ-1:0]            fetch_req_valid, fetch_req_ready, fetch_rsp_valid, fetch_rsp_ready;
    logic [NQ-1:0]            fetch_rsp_last, fetch_rsp_err;
    logic [NQ*AW-1:0]         fetch_req_addr, fetch_rd_err_addr;
    logic [NQ*16-1:0]         fetch_req_len;
    logic [NQ*2-1:0]          fetch_req_tag, fetch_rsp_tag;
    logic [NQ*DATA_WIDTH-1:0] fetch_rsp_data;
    logic [NQ*LW-1:0]         fetch_rsp_lo;
    logic [NQ*(LW+1)-1:0]     fetch_rsp_hi;

    generate
        for (gi = 0; gi < NQ; gi++) begin : g_frd
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

    // TX data read engines, one per transmit queue (ARID NQ + k)
    logic [NP-1:0]            txrd_req_valid, txrd_req_ready, txrd_req_tag;
    logic [NP-1:0]            txrd_rsp_valid, txrd_rsp_ready, txrd_rsp_last, txrd_rsp_tag, txrd_rsp_err;
    logic [NP*AW-1:0]         txrd_req_addr, txrd_err_addr;
    logic [NP*16-1:0]         txrd_req_len;
    logic [NP*DATA_WIDTH-1:0] txrd_rsp_data;
    logic [NP*LW-1:0]         txrd_rsp_lo;
    logic [NP*(LW+1)-1:0]     txrd_rsp_hi;
    generate
        for (gi = 0; gi < NP; gi++) begin : g_txrd
            localparam int R = NQ + gi;
            vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(R),
                            .TAG_WIDTH(1), .FIFO_DEPTH(TX_FIFO_DEPTH), .REQ_DEPTH(64)) u_txrd (
                .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[R]),
                .s_req_valid(txrd_req_valid[gi]), .s_req_ready(txrd_req_ready[gi]),
                .s_req_addr(txrd_req_addr[AW*gi +: AW]), .s_req_len(txrd_req_len[16*gi +: 16]),
                .s_req_tag(txrd_req_tag[gi]),
                .m_axi_arid(rd_arid[ID_WIDTH*R +: ID_WIDTH]), .m_axi_araddr(rd_araddr[AW*R +: AW]),
                .m_axi_arlen(rd_arlen[8*R +: 8]), .m_axi_arvalid(rd_arvalid[R]), .m_axi_arready(rd_arready[R]),
                .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(rd_rvalid[R]),
                .m_axi_rready(rd_rready[R]),
                .m_rsp_valid(txrd_rsp_valid[gi]), .m_rsp_ready(txrd_rsp_ready[gi]),
                .m_rsp_data(txrd_rsp_data[DATA_WIDTH*gi +: DATA_WIDTH]), .m_rsp_lo(txrd_rsp_lo[LW*gi +: LW]),
                .m_rsp_hi(txrd_rsp_hi[(LW+1)*gi +: LW+1]), .m_rsp_last(txrd_rsp_last[gi]),
                .m_rsp_tag(txrd_rsp_tag[gi]), .m_rsp_err(txrd_rsp_err[gi]),
                .err_addr(txrd_err_addr[AW*gi +: AW]));
        end
    endgenerate

    // ---------------- fetch engines ----------------
    logic [NQ-1:0]    seg_valid, seg_ready, seg_write, chain_valid, chain_ready, fetch_dry, fetch_seg_full, fetch_err;
    logic [NQ-1:0]    fetch_quiet, flags_req, flags_fresh, fetch_need;
    logic [NQ*AW-1:0] seg_addr, fetch_err_addr;
    logic [NQ*16-1:0] seg_idx;
    logic [NQ*32-1:0] seg_len, chain_total;
    logic [NQ*16-1:0] chain_head, avail_flags, fetch_err_desc;
    logic [NQ*16-1:0] chain_nseg;
    logic [NQ*EW-1:0] fetch_err_code;

    generate
        for (gi = 0; gi < NQ; gi++) begin : g_fetch
            vionic_fetch #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .IS_RX(gi % 2 == 0 && gi != CQ),
                           .CTRL(HAS_CTRL && gi == CQ),
                           .HEAD_DEPTH(128), .DESC_DEPTH(128), .MAX_CHAIN_SEGS(MAX_QUEUE_SIZE)) u_fetch (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[gi]), .enabled(q_enabled[gi]),
                .start_avail(q_start_avail[16*gi +: 16]), .suspend(suspend), .quiet(fetch_quiet[gi]),
                .q_size(q_size[16*gi +: 16]),
                .q_desc(q_desc[AW*gi +: AW]), .q_avail(q_avail[AW*gi +: AW]), .kick(q_kick[gi]),
                .need(fetch_need[gi]), .dry(fetch_dry[gi]), .seg_full(fetch_seg_full[gi]),
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
                .m_seg_len(seg_len[32*gi +: 32]), .m_seg_idx(seg_idx[16*gi +: 16]), .m_seg_write(seg_write[gi]),
                .m_chain_valid(chain_valid[gi]), .m_chain_ready(chain_ready[gi]),
                .m_chain_head(chain_head[16*gi +: 16]), .m_chain_total(chain_total[32*gi +: 32]),
                .m_chain_nseg(chain_nseg[16*gi +: 16]),
                .err_valid(fetch_err[gi]), .err_code(fetch_err_code[EW*gi +: EW]),
                .err_desc(fetch_err_desc[16*gi +: 16]), .err_addr(fetch_err_addr[AW*gi +: AW]));
        end
    endgenerate

    // ---------------- TX pipeline ----------------
    // vionic_txq of each pair -> vionic_tx_arb (more than one pair) -> TX stages
    // (tx_*[k] -> tx_*[k+1]) -> tail: drop, count, MAC
    localparam int NTX = 2;                // stream positions: after the queues, after TX_CSUM
    logic [NTX*DATA_WIDTH-1:0] tx_tdata;
    logic [NTX*W-1:0]          tx_tkeep;
    logic [NTX-1:0]            tx_tvalid, tx_tready, tx_tlast, tx_tuser, tx_meta_valid, tx_meta_ready;
    logic [NTX*MB-1:0]         tx_meta;   // meta_t of each position (packed: Yosys takes no unpacked struct arrays)
    logic                      tx_csum_on, rx_csum_on;
    logic [NTX-2:0]            tx_busy;   // each TX stage holds a frame or metadata
    logic                      tx_arb_busy;
    assign tx_csum_on = TX_CSUM && features[vionic_pkg::VIRTIO_NET_F_CSUM];
    assign rx_csum_on = RX_CSUM && features[vionic_pkg::VIRTIO_NET_F_GUEST_CSUM];
    // the 20-byte virtio header both ways; never in a one-pair build (HASH_REPORT not offered)
    logic hash_report_on;
    assign hash_report_on = HAS_CTRL && features[vionic_pkg::VIRTIO_NET_F_HASH_REPORT];

    logic [NP-1:0]            tx_used_valid, tx_used_ready, tx_drop, tx_err, tx_quiet;
    logic [NP*16-1:0]         tx_used_id, tx_err_desc;
    logic [NP*AW-1:0]         tx_err_addr;
    logic [NP*DATA_WIDTH-1:0] txq_tdata;
    logic [NP*W-1:0]          txq_tkeep;
    logic [NP-1:0]            txq_tvalid, txq_tready, txq_tlast, txq_tuser, txq_meta_valid, txq_meta_ready;
    logic [NP*MB-1:0]         txq_meta;
    generate
        for (gi = 0; gi < NP; gi++) begin : g_txq
            localparam int Q = 2 * gi + 1;
            assign fetch_need[Q] = 1'b0;
            vionic_txq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .QUEUE(Q), .HASH(HAS_CTRL)) u_txq (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[Q]), .suspend(suspend), .quiet(tx_quiet[gi]),
                .read_hdr(tx_csum_on), .hash_report(hash_report_on), .max_frame(max_frame),
                .s_chain_valid(chain_valid[Q]), .s_chain_ready(chain_ready[Q]), .s_chain_head(chain_head[16*Q +: 16]),
                .s_chain_total(chain_total[32*Q +: 32]), .s_chain_nseg(chain_nseg[16*Q +: 16]),
                .s_seg_valid(seg_valid[Q]), .s_seg_ready(seg_ready[Q]), .s_seg_addr(seg_addr[AW*Q +: AW]),
                .s_seg_len(seg_len[32*Q +: 32]), .s_seg_idx(seg_idx[16*Q +: 16]),
                .m_rd_req_valid(txrd_req_valid[gi]), .m_rd_req_ready(txrd_req_ready[gi]),
                .m_rd_req_addr(txrd_req_addr[AW*gi +: AW]), .m_rd_req_len(txrd_req_len[16*gi +: 16]),
                .m_rd_req_tag(txrd_req_tag[gi]),
                .s_rd_valid(txrd_rsp_valid[gi]), .s_rd_ready(txrd_rsp_ready[gi]),
                .s_rd_data(txrd_rsp_data[DATA_WIDTH*gi +: DATA_WIDTH]), .s_rd_lo(txrd_rsp_lo[LW*gi +: LW]),
                .s_rd_hi(txrd_rsp_hi[(LW+1)*gi +: LW+1]), .s_rd_last(txrd_rsp_last[gi]), .s_rd_tag(txrd_rsp_tag[gi]),
                .s_rd_err(txrd_rsp_err[gi]),
                .m_axis_tdata(txq_tdata[DATA_WIDTH*gi +: DATA_WIDTH]), .m_axis_tkeep(txq_tkeep[W*gi +: W]),
                .m_axis_tvalid(txq_tvalid[gi]), .m_axis_tready(txq_tready[gi]), .m_axis_tlast(txq_tlast[gi]),
                .m_axis_tuser(txq_tuser[gi]),
                .m_meta_valid(txq_meta_valid[gi]), .m_meta_ready(txq_meta_ready[gi]),
                .m_meta_data(txq_meta[MB*gi +: MB]),
                .m_used_valid(tx_used_valid[gi]), .m_used_ready(tx_used_ready[gi]),
                .m_used_id(tx_used_id[16*gi +: 16]),
                .cnt_drop(tx_drop[gi]), .err_valid(tx_err[gi]), .err_desc(tx_err_desc[16*gi +: 16]),
                .err_addr(tx_err_addr[AW*gi +: AW]));
        end
        if (NP > 1) begin : g_tx_arb
            vionic_tx_arb #(.N(NP), .DATA_WIDTH(DATA_WIDTH), .MB(MB)) u_tx_arb (
                .clk(clk), .rst(clear),
                .s_axis_tdata(txq_tdata), .s_axis_tkeep(txq_tkeep), .s_axis_tvalid(txq_tvalid),
                .s_axis_tready(txq_tready), .s_axis_tlast(txq_tlast), .s_axis_tuser(txq_tuser),
                .s_meta_valid(txq_meta_valid), .s_meta_ready(txq_meta_ready), .s_meta_data(txq_meta),
                .m_axis_tdata(tx_tdata[0 +: DATA_WIDTH]), .m_axis_tkeep(tx_tkeep[0 +: W]),
                .m_axis_tvalid(tx_tvalid[0]), .m_axis_tready(tx_tready[0]), .m_axis_tlast(tx_tlast[0]),
                .m_axis_tuser(tx_tuser[0]),
                .m_meta_valid(tx_meta_valid[0]), .m_meta_ready(tx_meta_ready[0]), .m_meta_data(tx_meta[0 +: MB]),
                .busy(tx_arb_busy));
        end else begin : g_tx_one
            assign tx_tdata[0 +: DATA_WIDTH] = txq_tdata;
            assign tx_tkeep[0 +: W]          = txq_tkeep;
            assign tx_tvalid[0]              = txq_tvalid[0];
            assign txq_tready[0]             = tx_tready[0];
            assign tx_tlast[0]               = txq_tlast[0];
            assign tx_tuser[0]               = txq_tuser[0];
            assign tx_meta_valid[0]          = txq_meta_valid[0];
            assign txq_meta_ready[0]         = tx_meta_ready[0];
            assign tx_meta[0 +: MB]          = txq_meta;
            assign tx_arb_busy               = 1'b0;
        end
    endgenerate
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
    logic [15:0] tail_qid;                 // virtqueue of the frame counted
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
            tail_qid    <= '0;
            tail_events <= '0;
        end else begin
            tail_events <= (tail_fire && tx_tlast[NTX-1]) ? tail_cur.events : '0;
            tail_pkt  <= tail_fire && tx_tlast[NTX-1] && !tail_cur.drop && !tx_tuser[NTX-1];
            tail_drop <= tail_fire && tx_tlast[NTX-1] && tail_cur.drop;
            if (tail_fire && tx_tlast[NTX-1]) begin
                tail_have  <= 1'b0;
                tail_bytes <= tail_cur.len;
                tail_qid   <= tail_cur.qid;
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

    // ---------------- RX pipeline ----------------
    // the hash configuration (vionic_ctrl) and the flows sent, for vionic_rx_steer
    localparam int QPW = (NP > 1) ? $clog2(NP) : 1;   // bits of a pair number
    logic                  rss_on, learn_valid;
    logic [5:0]            rss_types;
    logic [8*vionic_pkg::VIONIC_RSS_KEY_SIZE-1:0] rss_key;
    logic [6:0]            rss_mask;
    logic [QPW-1:0]        rss_unclass, learn_pair;
    logic [vionic_pkg::VIONIC_RSS_TABLE_LEN*QPW-1:0] rss_table;
    logic [7:0]            learn_slot;
    logic [15:0]           pairs_active;   // VQ_PAIRS_SET / RSS_CONFIG max_tx_vq
    logic [NP-1:0]            rx_wr_valid, rx_wr_ready, rx_wr_last, rx_stream_valid, rx_stream_ready;
    logic [NP-1:0]            rx_used_valid, rx_used_ready, rx_used_last, rx_pkt, rx_drop, rx_wr_err, rx_quiet;
    logic [NP*AW-1:0]         rx_wr_addr;
    logic [NP*16-1:0]         rx_wr_len, rx_wr_desc, rx_used_id, rx_bytes, rx_delivered;
    logic [NP*32-1:0]         rx_used_len;
    logic [NP*DATA_WIDTH-1:0] rx_stream_data;
    logic [NP*(LW+1)-1:0]     rx_stream_bytes;
    logic [NP*NSC-1:0]        rx_events_q;
    logic [NP-1:0]            rxq_tready, rxq_meta_ready;
    logic [15:0]              wr_seq, wr_done;
    // head: frames from the MAC, whole (the rest of one cut by a device reset
    // is skipped), each with a metadata of queue 0 (the source offers one at
    // any time) -> RX stages (rx_*[k] -> rx_*[k+1]; the last, with more than one
    // pair, vionic_rx_steer) -> the vionic_rxq of the frame's pair
    // stream positions: head, after RX_CSUM, after vionic_rx_steer (more than one pair)
    localparam int NRX = HAS_CTRL ? 3 : 2;
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
        if (!HAS_CTRL) begin : g_rx_one
            assign rx_dest   = '0;
            assign meta_dest = '0;
        end else begin : g_rx_steer
            // the metadata's receiveq 2 * pair: qid, meta_t's first field, in its top bits
            assign meta_dest = rx_meta[NRX*MB-16+1 +: QPW];
            vionic_rx_steer #(.DATA_WIDTH(DATA_WIDTH), .NUM_QP(NP), .MAX_MTU(MAX_MTU)) u_rx_steer (
                .clk(clk), .rst(clear), .pairs_active(pairs_active), .rss_on(rss_on), .rss_types(rss_types),
                .rss_key(rss_key), .rss_mask(rss_mask), .rss_unclass(rss_unclass), .rss_table(rss_table),
                .learn_valid(learn_valid), .learn_slot(learn_slot), .learn_pair(learn_pair),
                .s_axis_tdata(rx_tdata[DATA_WIDTH +: DATA_WIDTH]), .s_axis_tkeep(rx_tkeep[W +: W]),
                .s_axis_tvalid(rx_tvalid[1]), .s_axis_tready(rx_tready[1]), .s_axis_tlast(rx_tlast[1]),
                .s_axis_tuser(rx_tuser[1]),
                .s_meta_valid(rx_meta_valid[1]), .s_meta_ready(rx_meta_ready[1]), .s_meta_data(rx_meta[MB +: MB]),
                .m_axis_tdata(rx_tdata[2*DATA_WIDTH +: DATA_WIDTH]), .m_axis_tkeep(rx_tkeep[2*W +: W]),
                .m_axis_tvalid(rx_tvalid[2]), .m_axis_tready(rx_tready[2]), .m_axis_tlast(rx_tlast[2]),
                .m_axis_tuser(rx_tuser[2]), .m_axis_tdest(rx_dest),
                .m_meta_valid(rx_meta_valid[2]), .m_meta_ready(rx_meta_ready[2]),
                .m_meta_data(rx_meta[2*MB +: MB]));
        end
    endgenerate

    // each frame and its metadata go to the receive queue of its pair (vionic_rx_steer:
    // the beats with their pair, known before the first; the metadata by its qid)
    logic [QPW-1:0] rx_dest, meta_dest;
    assign rx_tready[NRX-1]     = rxq_tready[rx_dest];
    assign rx_meta_ready[NRX-1] = rxq_meta_ready[meta_dest];
    generate
        for (gi = 0; gi < NP; gi++) begin : g_rxq
            localparam int Q = 2 * gi;
            vionic_rxq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .FIFO_BYTES(RX_FIFO_BYTES), .HASH(HAS_CTRL)) u_rxq (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[Q]), .suspend(suspend), .quiet(rx_quiet[gi]),
                .max_frame(max_frame), .mrg(features[vionic_pkg::VIRTIO_NET_F_MRG_RXBUF]), .hash_report(hash_report_on),
                .s_axis_rx_tdata(rx_tdata[(NRX-1)*DATA_WIDTH +: DATA_WIDTH]),
                .s_axis_rx_tkeep(rx_tkeep[(NRX-1)*W +: W]),
                .s_axis_rx_tvalid(rx_tvalid[NRX-1] && rx_dest == QPW'(gi)), .s_axis_rx_tready(rxq_tready[gi]),
                .s_axis_rx_tlast(rx_tlast[NRX-1]), .s_axis_rx_tuser(rx_tuser[NRX-1]),
                .s_meta_valid(rx_meta_valid[NRX-1] && meta_dest == QPW'(gi)), .s_meta_ready(rxq_meta_ready[gi]),
                .s_meta_data(rx_meta[(NRX-1)*MB +: MB]),
                .s_chain_valid(chain_valid[Q]), .s_chain_ready(chain_ready[Q]), .s_chain_head(chain_head[16*Q +: 16]),
                .s_chain_total(chain_total[32*Q +: 32]), .s_chain_nseg(chain_nseg[16*Q +: 16]),
                .s_seg_valid(seg_valid[Q]), .s_seg_ready(seg_ready[Q]), .s_seg_addr(seg_addr[AW*Q +: AW]),
                .s_seg_len(seg_len[32*Q +: 32]), .s_seg_idx(seg_idx[16*Q +: 16]), .need(fetch_need[Q]),
                .dry(fetch_dry[Q]), .seg_full(fetch_seg_full[Q]),
                .m_wr_req_valid(rx_wr_valid[gi]), .m_wr_req_ready(rx_wr_ready[gi]),
                .m_wr_req_addr(rx_wr_addr[AW*gi +: AW]), .m_wr_req_len(rx_wr_len[16*gi +: 16]),
                .m_wr_req_desc(rx_wr_desc[16*gi +: 16]), .m_wr_req_last(rx_wr_last[gi]),
                .wr_seq(wr_seq), .wr_done(wr_done),
                .wr_err(rx_wr_err[gi]),
                .m_stream_valid(rx_stream_valid[gi]), .m_stream_ready(rx_stream_ready[gi]),
                .m_stream_data(rx_stream_data[DATA_WIDTH*gi +: DATA_WIDTH]),
                .m_stream_bytes(rx_stream_bytes[(LW+1)*gi +: LW+1]),
                .m_used_valid(rx_used_valid[gi]), .m_used_ready(rx_used_ready[gi]),
                .m_used_id(rx_used_id[16*gi +: 16]), .m_used_len(rx_used_len[32*gi +: 32]),
                .m_used_last(rx_used_last[gi]),
                .cnt_pkt(rx_pkt[gi]), .cnt_bytes(rx_bytes[16*gi +: 16]), .cnt_drop(rx_drop[gi]),
                .cnt_stage(rx_events_q[NSC*gi +: NSC]), .delivered(rx_delivered[16*gi +: 16]));
        end
    endgenerate
    always_comb begin
        rx_events = '0;
        for (int k = 0; k < NP; k++) rx_events = rx_events | rx_events_q[NSC*k +: NSC];
    end
    assign ev_stage = tail_events | rx_events;   // TX and RX stages have their own bits

    // DMA write errors: {descriptor (RX data, ack), source} of the failed request
    logic             wr_err, wr_busy;
    logic [16+SW-1:0] wr_err_tag;
    logic [AW-1:0]    wr_err_addr;
    logic [SW-1:0]    wr_err_src;
    logic [15:0]      wr_err_desc;

    // ---------------- control queue ----------------
    logic          ctrl_used_valid, ctrl_used_ready, ctrl_ack_valid, ctrl_ack_ready, ctrl_quiet, ctrl_err;
    logic [15:0]   ctrl_used_id, ctrl_ack_desc, ctrl_err_desc;
    logic [31:0]   ctrl_used_len;
    logic [7:0]    ctrl_ack;
    logic [AW-1:0] ctrl_ack_addr, ctrl_err_addr;
    generate
        if (HAS_CTRL) begin : g_ctrl
            localparam int R = NQ + NP;   // its read engine
            assign fetch_need[CQ] = 1'b0;
            logic          crd_req_valid, crd_req_ready, crd_rsp_valid, crd_rsp_ready, crd_rsp_last, crd_rsp_err;
            logic          crd_rsp_tag;
            logic [AW-1:0] crd_req_addr, crd_err_addr;
            logic [15:0]   crd_req_len;
            logic [DATA_WIDTH-1:0] crd_rsp_data;
            logic [LW-1:0] crd_rsp_lo;
            logic [LW:0]   crd_rsp_hi;
            vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(R),
                            .TAG_WIDTH(1), .FIFO_DEPTH(64), .REQ_DEPTH(4)) u_crd (
                .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[R]),
                .s_req_valid(crd_req_valid), .s_req_ready(crd_req_ready), .s_req_addr(crd_req_addr),
                .s_req_len(crd_req_len), .s_req_tag(1'b0),
                .m_axi_arid(rd_arid[ID_WIDTH*R +: ID_WIDTH]), .m_axi_araddr(rd_araddr[AW*R +: AW]),
                .m_axi_arlen(rd_arlen[8*R +: 8]), .m_axi_arvalid(rd_arvalid[R]), .m_axi_arready(rd_arready[R]),
                .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(rd_rvalid[R]),
                .m_axi_rready(rd_rready[R]),
                .m_rsp_valid(crd_rsp_valid), .m_rsp_ready(crd_rsp_ready), .m_rsp_data(crd_rsp_data),
                .m_rsp_lo(crd_rsp_lo), .m_rsp_hi(crd_rsp_hi), .m_rsp_last(crd_rsp_last), .m_rsp_tag(crd_rsp_tag),
                .m_rsp_err(crd_rsp_err), .err_addr(crd_err_addr));
            vionic_ctrl #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .NUM_QP(NP)) u_ctrl (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[CQ]), .suspend(suspend), .quiet(ctrl_quiet),
                .mq(features[vionic_pkg::VIRTIO_NET_F_MQ]), .rss(features[vionic_pkg::VIRTIO_NET_F_RSS]),
                .hash_report(features[vionic_pkg::VIRTIO_NET_F_HASH_REPORT]), .pairs_active(pairs_active),
                .rss_on(rss_on), .rss_types(rss_types), .rss_key(rss_key), .rss_mask(rss_mask),
                .rss_unclass(rss_unclass), .rss_table(rss_table),
                .s_chain_valid(chain_valid[CQ]), .s_chain_ready(chain_ready[CQ]),
                .s_chain_head(chain_head[16*CQ +: 16]), .s_chain_nseg(chain_nseg[16*CQ +: 16]),
                .s_seg_valid(seg_valid[CQ]), .s_seg_ready(seg_ready[CQ]), .s_seg_addr(seg_addr[AW*CQ +: AW]),
                .s_seg_len(seg_len[32*CQ +: 32]), .s_seg_idx(seg_idx[16*CQ +: 16]), .s_seg_write(seg_write[CQ]),
                .m_rd_req_valid(crd_req_valid), .m_rd_req_ready(crd_req_ready), .m_rd_req_addr(crd_req_addr),
                .m_rd_req_len(crd_req_len),
                .s_rd_valid(crd_rsp_valid), .s_rd_ready(crd_rsp_ready), .s_rd_data(crd_rsp_data),
                .s_rd_lo(crd_rsp_lo), .s_rd_hi(crd_rsp_hi), .s_rd_last(crd_rsp_last), .s_rd_err(crd_rsp_err),
                .m_wr_req_valid(ctrl_ack_valid), .m_wr_req_ready(ctrl_ack_ready), .m_wr_req_addr(ctrl_ack_addr),
                .m_wr_req_ack(ctrl_ack), .m_wr_req_desc(ctrl_ack_desc), .wr_seq(wr_seq), .wr_done(wr_done),
                .wr_err(wr_err && wr_err_src == SW'(3 * NP)),
                .m_used_valid(ctrl_used_valid), .m_used_ready(ctrl_used_ready), .m_used_id(ctrl_used_id),
                .m_used_len(ctrl_used_len),
                .err_valid(ctrl_err), .err_desc(ctrl_err_desc), .err_addr(ctrl_err_addr));
            logic unused_crd;
            assign unused_crd = ^{crd_rsp_tag, crd_err_addr, chain_total[32*CQ +: 32], fetch_need[CQ],
                                  fetch_dry[CQ], fetch_seg_full[CQ]};

            // flows sent: learned where a frame leaves for the MAC whole (not an abort)
            logic          fl_done, fl_ok, fl_user;
            logic [15:0]   fl_hash;
            logic [QPW-1:0] fl_pair;
            logic [8*82-1:0] fl_cap_unused;
            logic [15:0]   fl_len_unused;
            logic          fl_hdr_unused;
            vionic_flow #(.DATA_WIDTH(DATA_WIDTH), .TAG(QPW + 1)) u_tx_flow (
                .clk(clk), .rst(clear), .s_fire(m_axis_tx_tvalid && m_axis_tx_tready && !abort_valid),
                .s_tdata(m_axis_tx_tdata), .s_tkeep(m_axis_tx_tkeep), .s_tlast(m_axis_tx_tlast),
                .s_tag({m_axis_tx_tuser, tail_cur.qid[QPW:1]}),
                .done(fl_hdr_unused), .cap(fl_cap_unused), .len(fl_len_unused),
                .flow_done(fl_done), .flow_ok(fl_ok), .flow_hash(fl_hash), .flow_tag({fl_user, fl_pair}));
            assign learn_valid = fl_done && fl_ok && !fl_user;
            assign learn_slot  = fl_hash[7:0];
            assign learn_pair  = fl_pair;
            logic unused_fl;
            assign unused_fl = ^{fl_cap_unused, fl_len_unused, fl_hdr_unused, fl_hash[15:8]};
        end else begin : g_no_ctrl
            assign ctrl_used_valid = 1'b0;
            assign ctrl_ack_valid  = 1'b0;
            assign ctrl_quiet      = 1'b1;
            assign ctrl_err        = 1'b0;
            assign ctrl_used_id    = '0;
            assign ctrl_used_len   = '0;
            assign ctrl_ack        = '0;
            assign ctrl_ack_addr   = '0;
            assign ctrl_ack_desc   = '0;
            assign ctrl_err_desc   = '0;
            assign ctrl_err_addr   = '0;
            assign pairs_active    = 16'd1;
            assign ctrl_used_ready = 1'b0;
            assign rss_on          = 1'b0;
            assign rss_types       = '0;
            assign rss_key         = '0;
            assign rss_mask        = '0;
            assign rss_unclass     = '0;
            assign rss_table       = '0;
            assign learn_valid     = 1'b0;
            assign learn_slot      = '0;
            assign learn_pair      = '0;
            logic unused_ctrl;   // one pair: no control queue, no receive steering
            assign unused_ctrl = ^{ctrl_used_valid, ctrl_used_ready, ctrl_ack_ready, ctrl_used_id, ctrl_used_len,
                                   pairs_active, rss_on, rss_types, rss_key, rss_mask, rss_unclass, rss_table,
                                   learn_valid, learn_slot, learn_pair};
        end
    endgenerate

    // ---------------- used-ring writers ----------------
    logic [NQ-1:0]     used_wr_valid, used_wr_ready, used_irq, used_quiet, used_s_valid, used_s_ready, used_s_last;
    logic [NQ*AW-1:0]  used_wr_addr;
    logic [NQ*16-1:0]  used_wr_len, used_s_id, used_limit;
    logic [NQ*32-1:0]  used_s_len;
    logic [NQ*512-1:0] used_wr_data;
    generate
        for (gi = 0; gi < NQ; gi++) begin : g_used
            localparam bit IS_RXQ = (gi % 2 == 0) && gi != CQ;
            // RX: a used entry is written only for a frame delivered without a write error,
            // used.idx only at the end of a frame (MRG_RXBUF: several entries); TX: used
            // entries come only for frames sent (or dropped) whole; control: after the ack
            if (IS_RXQ) begin : g_rx
                assign used_s_valid[gi]         = rx_used_valid[gi / 2];
                assign rx_used_ready[gi / 2]    = used_s_ready[gi];
                assign used_s_id[16*gi +: 16]   = rx_used_id[16*(gi / 2) +: 16];
                assign used_s_len[32*gi +: 32]  = rx_used_len[32*(gi / 2) +: 32];
                assign used_s_last[gi]          = rx_used_last[gi / 2];
                assign used_limit[16*gi +: 16]  = rx_delivered[16*(gi / 2) +: 16];
            end else if (gi != CQ) begin : g_tx
                assign used_s_valid[gi]         = tx_used_valid[gi / 2];
                assign tx_used_ready[gi / 2]    = used_s_ready[gi];
                assign used_s_id[16*gi +: 16]   = tx_used_id[16*(gi / 2) +: 16];
                assign used_s_len[32*gi +: 32]  = 32'd0;
                assign used_s_last[gi]          = 1'b1;
                assign used_limit[16*gi +: 16]  = 16'd0;
            end else begin : g_c
                assign used_s_valid[gi]         = ctrl_used_valid;
                assign ctrl_used_ready          = used_s_ready[gi];
                assign used_s_id[16*gi +: 16]   = ctrl_used_id;
                assign used_s_len[32*gi +: 32]  = ctrl_used_len;
                assign used_s_last[gi]          = 1'b1;
                assign used_limit[16*gi +: 16]  = 16'd0;
            end
            vionic_used #(.ADDR_WIDTH(AW), .LIMITED(IS_RXQ), .GATHER(IS_RXQ && NP > 1)) u_used (
                .clk(clk), .rst(rst), .clear(clear), .enabled(q_enabled[gi]),
                .start_used(q_start_used[16*gi +: 16]), .used_idx(q_used_idx[16*gi +: 16]),
                .quiet(used_quiet[gi]), .q_size(q_size[16*gi +: 16]), .q_used(q_used[AW*gi +: AW]),
                .no_irq((avail_flags[16*gi +: 16] & vionic_pkg::VRING_AVAIL_F_NO_INTERRUPT) != 0),
                .flags_req(flags_req[gi]), .flags_fresh(flags_fresh[gi]), .publish_limit(used_limit[16*gi +: 16]),
                .s_used_valid(used_s_valid[gi]), .s_used_ready(used_s_ready[gi]), .s_used_id(used_s_id[16*gi +: 16]),
                .s_used_len(used_s_len[32*gi +: 32]), .s_used_last(used_s_last[gi]),
                .m_wr_req_valid(used_wr_valid[gi]), .m_wr_req_ready(used_wr_ready[gi]),
                .m_wr_req_addr(used_wr_addr[AW*gi +: AW]), .m_wr_req_len(used_wr_len[16*gi +: 16]),
                .m_wr_req_data(used_wr_data[512*gi +: 512]), .wr_seq(wr_seq), .wr_done(wr_done),
                .irq(used_irq[gi]));
        end
    endgenerate

    // ---------------- DMA write engine and its request arbiter (round robin) ----------------
    // Sources: 3k RX data of pair k (the packed stream), 3k+1 its RX used ring, 3k+2 its
    // TX used ring, 3N the control ack, 3N+1 the control used ring (inline data). The
    // stream has one owner; the RX data requests of one other pair are taken behind the
    // owner's (the next owner), of any further pair only once the owner's bytes have all
    // streamed; and none while the owner is inside a frame (its next request may take the
    // rest of a beat it has begun).
    logic [SW-1:0]    last_src, wr_src, stream_owner;
    logic             wr_req_any, wr_req_ready, wr_req_fire;
    logic [NWS-1:0]   wr_req_by_src;
    logic [NWS*AW-1:0] src_addr;
    logic [NWS*16-1:0] src_len, src_desc;
    logic [NWS*512-1:0] src_data;
    logic [NP-1:0]    pair_of_stream;   // rxq_k may take the stream now
    logic             next_valid;       // another pair's requests accepted behind the owner's
    logic [SW-1:0]    next_owner;       // that pair: it owns the stream once the owner's bytes have streamed
    logic             owner_open;       // the owner's last request taken was not its frame's last
    always_comb begin
        for (int k = 0; k < NP; k++) begin
            pair_of_stream[k] = (!next_valid || (next_owner == SW'(k))) &&
                                (!owner_open || (stream_owner == SW'(k)));
            wr_req_by_src[3*k]                  = rx_wr_valid[k] && pair_of_stream[k];
            wr_req_by_src[3*k+1]                = used_wr_valid[2*k];
            wr_req_by_src[3*k+2]                = used_wr_valid[2*k+1];
            src_addr[AW*(3*k) +: AW]            = rx_wr_addr[AW*k +: AW];
            src_addr[AW*(3*k+1) +: AW]          = used_wr_addr[AW*(2*k) +: AW];
            src_addr[AW*(3*k+2) +: AW]          = used_wr_addr[AW*(2*k+1) +: AW];
            src_len[16*(3*k) +: 16]             = rx_wr_len[16*k +: 16];
            src_len[16*(3*k+1) +: 16]           = used_wr_len[16*(2*k) +: 16];
            src_len[16*(3*k+2) +: 16]           = used_wr_len[16*(2*k+1) +: 16];
            src_desc[16*(3*k) +: 16]            = rx_wr_desc[16*k +: 16];
            src_desc[16*(3*k+1) +: 16]          = 16'd0;
            src_desc[16*(3*k+2) +: 16]          = 16'd0;
            src_data[512*(3*k) +: 512]          = '0;
            src_data[512*(3*k+1) +: 512]        = used_wr_data[512*(2*k) +: 512];
            src_data[512*(3*k+2) +: 512]        = used_wr_data[512*(2*k+1) +: 512];
        end
        if (HAS_CTRL) begin
            wr_req_by_src[WS_ACK]           = ctrl_ack_valid;
            wr_req_by_src[WS_CUSED]          = used_wr_valid[QC];
            src_addr[AW*WS_ACK +: AW]     = ctrl_ack_addr;
            src_addr[AW*WS_CUSED +: AW]    = used_wr_addr[AW*QC +: AW];
            src_len[16*WS_ACK +: 16]      = 16'd1;
            src_len[16*WS_CUSED +: 16]     = used_wr_len[16*QC +: 16];
            src_desc[16*WS_ACK +: 16]     = ctrl_ack_desc;
            src_desc[16*WS_CUSED +: 16]    = 16'd0;
            src_data[512*WS_ACK +: 512]   = {504'd0, ctrl_ack};
            src_data[512*WS_CUSED +: 512]  = used_wr_data[512*QC +: 512];
        end
    end
    always_comb begin
        wr_src     = last_src;
        wr_req_any = 1'b0;
        for (int k = 1; k <= NWS; k++) begin
            if (!wr_req_any && wr_req_by_src[(32'(last_src) + k) % NWS]) begin
                wr_req_any = 1'b1;
                wr_src     = SW'((32'(last_src) + k) % NWS);
            end
        end
    end
    logic wr_src_stream;                 // the chosen source is RX data
    assign wr_src_stream = (32'(wr_src) % 3 == 0) && (32'(wr_src) < 3 * NP);
    assign wr_req_fire   = wr_req_any && wr_req_ready;
    always_ff @(posedge clk) begin
        if (rst || clear) last_src <= SW'(NWS - 1);
        else if (wr_req_fire) last_src <= wr_src;
    end
    always_comb begin
        for (int k = 0; k < NP; k++) begin
            rx_wr_ready[k]        = wr_req_fire && (wr_src == SW'(3 * k));
            used_wr_ready[2*k]    = wr_req_fire && (wr_src == SW'(3 * k + 1));
            used_wr_ready[2*k+1]  = wr_req_fire && (wr_src == SW'(3 * k + 2));
        end
        if (HAS_CTRL) used_wr_ready[QC] = wr_req_fire && (wr_src == SW'(WS_CUSED));
    end
    assign ctrl_ack_ready = HAS_CTRL && wr_req_fire && (wr_src == SW'(3 * NP));

    logic                  wr_stream_valid, wr_stream_ready;
    logic [DATA_WIDTH-1:0] wr_stream_data;
    logic [LW:0]           wr_stream_bytes;
    generate
        if (NP > 1) begin : g_stream_owner
            // The write engine streams its requests' bytes in request order. Requests of the
            // owner add to its bytes; those of one other pair, accepted meanwhile, wait as the
            // next run, which owns the stream from the cycle after the owner's last byte (a
            // third pair waits until then), so the stream passes between pairs without a gap.
            logic signed [17:0] stream_owed;   // bytes of the owner's accepted requests not yet streamed
            logic signed [17:0] next_owed, cur_after, next_after, beat;
            logic               to_cur, to_next, next_v_after, next_open, req_last;
            logic [SW-1:0]      req_pair;
            always_comb begin
                req_pair     = SW'(32'(wr_src) / 3);
                req_last     = rx_wr_last[32'(wr_src) / 3];
                to_cur       = wr_req_fire && wr_src_stream && !next_valid &&
                               (stream_owed == 0 || stream_owner == req_pair);
                to_next      = wr_req_fire && wr_src_stream && !to_cur;
                beat         = (wr_stream_valid && wr_stream_ready) ? 18'(wr_stream_bytes) : 18'd0;
                cur_after    = stream_owed - beat + (to_cur ? 18'(src_len[16*wr_src +: 16]) : 18'd0);
                next_after   = next_owed + (to_next ? 18'(src_len[16*wr_src +: 16]) : 18'd0);
                next_v_after = next_valid || to_next;
            end
            always_ff @(posedge clk) begin
                if (rst || clear) begin
                    stream_owner <= '0;
                    stream_owed  <= '0;
                    next_valid   <= 1'b0;
                    next_owner   <= '0;
                    next_owed    <= '0;
                    owner_open   <= 1'b0;
                    next_open    <= 1'b0;
                end else if (next_v_after && cur_after == 0) begin
                    stream_owner <= to_next ? req_pair : next_owner;
                    stream_owed  <= next_after;
                    next_valid   <= 1'b0;
                    next_owed    <= '0;
                    owner_open   <= to_next ? !req_last : next_open;
                    next_open    <= 1'b0;
                end else begin
                    if (to_cur) stream_owner <= req_pair;
                    if (to_next) next_owner <= req_pair;
                    if (to_cur) owner_open <= !req_last;
                    if (to_next) next_open <= !req_last;
                    stream_owed <= cur_after;
                    next_valid  <= next_v_after;
                    next_owed   <= next_after;
                end
            end
        end else begin : g_stream_one
            assign stream_owner = '0;
            assign next_valid   = 1'b0;
            assign next_owner   = '0;
            assign owner_open   = 1'b0;
            logic unused_last;   // one pair: its stream is never handed over
            assign unused_last = ^rx_wr_last;
        end
    endgenerate
    always_comb begin
        wr_stream_valid = 1'b0;
        wr_stream_data  = '0;
        wr_stream_bytes = '0;
        for (int k = 0; k < NP; k++) begin
            rx_stream_ready[k] = 1'b0;
            if (stream_owner == SW'(k)) begin
                wr_stream_valid    = rx_stream_valid[k];
                wr_stream_data     = rx_stream_data[DATA_WIDTH*k +: DATA_WIDTH];
                wr_stream_bytes    = rx_stream_bytes[(LW+1)*k +: LW+1];
                rx_stream_ready[k] = wr_stream_ready;
            end
        end
    end

    assign wr_err_src  = wr_err_tag[SW-1:0];
    assign wr_err_desc = wr_err_tag[16+SW-1:SW];

    vionic_dma_wr #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(0),
                    .QID_WIDTH(16 + SW)) u_wr (
        .clk(clk), .rst(rst), .flush(clear), .busy(wr_busy),
        .s_req_valid(wr_req_any), .s_req_ready(wr_req_ready), .s_req_addr(src_addr[AW*wr_src +: AW]),
        .s_req_len(src_len[16*wr_src +: 16]),
        .s_req_inline(!wr_src_stream), .s_req_data(src_data[512*wr_src +: 512]),
        .s_req_qid({src_desc[16*wr_src +: 16], wr_src}),
        .req_seq(wr_seq), .done_cnt(wr_done),
        .s_stream_valid(wr_stream_valid), .s_stream_ready(wr_stream_ready), .s_stream_data(wr_stream_data),
        .s_stream_bytes(wr_stream_bytes),
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
    assign suspend_quiet = (&fetch_quiet) && (&tx_quiet) && !tx_arb_busy && !(|tx_busy) && !tail_have &&
                           !tx_tvalid[NTX-1] && (&rx_quiet) && (&used_quiet) && ctrl_quiet && !drain_busy;

    // ---------------- events to the register file ----------------
    always_comb begin
        ev_used_irq = used_irq;
        for (int k = 0; k < NP; k++) begin
            // receiveq k: fetch error, DMA write error (data: the descriptor and its
            // buffer address, the request address; used ring: its base)
            rx_wr_err[k]             = wr_err && (wr_err_src == SW'(3 * k) || wr_err_src == SW'(3 * k + 1));
            ev_pkt[2*k]              = rx_pkt[k];
            ev_bytes[16*(2*k) +: 16] = rx_bytes[16*k +: 16];
            ev_drop[2*(2*k) +: 2]    = {1'b0, rx_drop[k]};
            ev_err[2*k]              = fetch_err[2*k] || rx_wr_err[k];
            ev_err_code[EW*(2*k) +: EW] = fetch_err[2*k] ? fetch_err_code[EW*(2*k) +: EW] : vionic_pkg::VIONIC_ERR_DMA;
            ev_err_desc[16*(2*k) +: 16] = fetch_err[2*k] ? fetch_err_desc[16*(2*k) +: 16] :
                                          (wr_err_src == SW'(3 * k)) ? wr_err_desc : 16'd0;
            ev_err_addr[AW*(2*k) +: AW] = fetch_err[2*k] ? fetch_err_addr[AW*(2*k) +: AW] :
                                          (wr_err_src == SW'(3 * k)) ? wr_err_addr : q_used[AW*(2*k) +: AW];
            // transmitq k: fetch error, data read error, DMA write error (used ring: its base)
            ev_pkt[2*k+1]              = tail_pkt && tail_qid == 16'(2 * k + 1);
            ev_bytes[16*(2*k+1) +: 16] = tail_bytes;
            ev_drop[2*(2*k+1) +: 2]    = {tail_drop && tail_qid == 16'(2 * k + 1), tx_drop[k]};
            ev_err[2*k+1]              = fetch_err[2*k+1] || tx_err[k] || (wr_err && wr_err_src == SW'(3 * k + 2));
            ev_err_code[EW*(2*k+1) +: EW] = fetch_err[2*k+1] ? fetch_err_code[EW*(2*k+1) +: EW] :
                                            vionic_pkg::VIONIC_ERR_DMA;
            ev_err_desc[16*(2*k+1) +: 16] = fetch_err[2*k+1] ? fetch_err_desc[16*(2*k+1) +: 16] :
                                            tx_err[k] ? tx_err_desc[16*k +: 16] : 16'd0;
            ev_err_addr[AW*(2*k+1) +: AW] = fetch_err[2*k+1] ? fetch_err_addr[AW*(2*k+1) +: AW] :
                                            tx_err[k] ? tx_err_addr[AW*k +: AW] : q_used[AW*(2*k+1) +: AW];
        end
        if (HAS_CTRL) begin
            // controlq: fetch error, command read error, ack or used-ring write error
            ev_pkt[QC]               = 1'b0;
            ev_bytes[16*QC +: 16]    = 16'd0;
            ev_drop[2*QC +: 2]       = 2'b00;
            ev_err[QC]               = fetch_err[QC] || ctrl_err ||
                                       (wr_err && (wr_err_src == SW'(3 * NP) || wr_err_src == SW'(NWS - 1)));
            ev_err_code[EW*QC +: EW] = fetch_err[QC] ? fetch_err_code[EW*QC +: EW] : vionic_pkg::VIONIC_ERR_DMA;
            ev_err_desc[16*QC +: 16] = fetch_err[QC] ? fetch_err_desc[16*QC +: 16] : ctrl_err ? ctrl_err_desc :
                                       (wr_err_src == SW'(3 * NP)) ? wr_err_desc : 16'd0;
            ev_err_addr[AW*QC +: AW] = fetch_err[QC] ? fetch_err_addr[AW*QC +: AW] : ctrl_err ? ctrl_err_addr :
                                       (wr_err_src == SW'(3 * NP)) ? wr_err_addr : q_used[AW*QC +: AW];
        end
    end

    logic unused_ok;
    assign unused_ok = ^{m_axi_rlast, m_axi_bid, rd_arid, rd_rready, avail_flags, fetch_dry, fetch_seg_full,
                         fetch_rsp_last, seg_write, fetch_need, chain_total,
                         fetch_rd_err_addr, txrd_err_addr, rx_meta_ready[0], rx_csum_on,
                         tail_cur.qid, tail_cur.flags, tail_cur.csum_start, tail_cur.csum_offset,
                         tail_cur.hash, tail_cur.hash_report};
endmodule

`default_nettype wire
