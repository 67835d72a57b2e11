// vionic_core: virtio-net device core (split virtqueues, VIRTIO 1.2 modern).
// BAR0 registers on s_axil_*, host memory through the AXI4 master m_axi_*,
// MAC frames on m_axis_tx_* / s_axis_rx_*, interrupt requests (MSI-X vector
// numbers) on m_axis_irq_*. One clock, synchronous active-high reset.
// See hw/rtl/README.md for the block diagram.
module vionic_core #(
    parameter int          DATA_WIDTH      = 512,             // AXI4 DMA data width, 64..512
    parameter int          ADDR_WIDTH      = 64,              // AXI4 DMA address width
    parameter int          ID_WIDTH        = 4,               // AXI4 ID width (>= 2: three read IDs)
    parameter int          AXIS_DATA_WIDTH = DATA_WIDTH,      // MAC stream width; must equal DATA_WIDTH
    parameter int          AXIL_ADDR_WIDTH = 16,              // BAR0 is 64 KiB; must be 16
    parameter int          NUM_QUEUE_PAIRS = 1,               // queue pairs; this version implements 1
    parameter int          MAX_QUEUE_SIZE  = 1024,            // queue_size read after select (VIONIC_MAX_QUEUE_SIZE)
    parameter logic [47:0] MAC_ADDR        = 48'h02564E494300, // MAC, first octet in bits 47:40
    parameter int          MTU             = 1500,            // MTU reported and enforced (frames <= MTU + 14)
    parameter int          IMPL            = 3,               // IMPL register: 2 RTL in simulation, 3 board
    parameter int          TX_FIFO_DEPTH   = 256,             // TX read buffer in beats (>= 4096*8/DATA_WIDTH, <= 256 beats bursts)
    parameter int          RX_FIFO_BYTES   = 8192             // RX frame store in bytes (>= 2 * (MTU + 14))
) (
    input  logic                         clk,
    input  logic                         rst,
    // AXI-Lite slave: BAR0
    input  logic [AXIL_ADDR_WIDTH-1:0]   s_axil_awaddr,
    input  logic [2:0]                   s_axil_awprot,
    input  logic                         s_axil_awvalid,
    output logic                         s_axil_awready,
    input  logic [31:0]                  s_axil_wdata,
    input  logic [3:0]                   s_axil_wstrb,
    input  logic                         s_axil_wvalid,
    output logic                         s_axil_wready,
    output logic [1:0]                   s_axil_bresp,
    output logic                         s_axil_bvalid,
    input  logic                         s_axil_bready,
    input  logic [AXIL_ADDR_WIDTH-1:0]   s_axil_araddr,
    input  logic [2:0]                   s_axil_arprot,
    input  logic                         s_axil_arvalid,
    output logic                         s_axil_arready,
    output logic [31:0]                  s_axil_rdata,
    output logic [1:0]                   s_axil_rresp,
    output logic                         s_axil_rvalid,
    input  logic                         s_axil_rready,
    // AXI4 master: DMA to host memory
    output logic [ID_WIDTH-1:0]          m_axi_awid,
    output logic [ADDR_WIDTH-1:0]        m_axi_awaddr,
    output logic [7:0]                   m_axi_awlen,
    output logic [2:0]                   m_axi_awsize,
    output logic [1:0]                   m_axi_awburst,
    output logic                         m_axi_awlock,
    output logic [3:0]                   m_axi_awcache,
    output logic [2:0]                   m_axi_awprot,
    output logic                         m_axi_awvalid,
    input  logic                         m_axi_awready,
    output logic [DATA_WIDTH-1:0]        m_axi_wdata,
    output logic [DATA_WIDTH/8-1:0]      m_axi_wstrb,
    output logic                         m_axi_wlast,
    output logic                         m_axi_wvalid,
    input  logic                         m_axi_wready,
    input  logic [ID_WIDTH-1:0]          m_axi_bid,
    input  logic [1:0]                   m_axi_bresp,
    input  logic                         m_axi_bvalid,
    output logic                         m_axi_bready,
    output logic [ID_WIDTH-1:0]          m_axi_arid,
    output logic [ADDR_WIDTH-1:0]        m_axi_araddr,
    output logic [7:0]                   m_axi_arlen,
    output logic [2:0]                   m_axi_arsize,
    output logic [1:0]                   m_axi_arburst,
    output logic                         m_axi_arlock,
    output logic [3:0]                   m_axi_arcache,
    output logic [2:0]                   m_axi_arprot,
    output logic                         m_axi_arvalid,
    input  logic                         m_axi_arready,
    input  logic [ID_WIDTH-1:0]          m_axi_rid,
    input  logic [DATA_WIDTH-1:0]        m_axi_rdata,
    input  logic [1:0]                   m_axi_rresp,
    input  logic                         m_axi_rlast,
    input  logic                         m_axi_rvalid,
    output logic                         m_axi_rready,
    // AXI-Stream to the MAC (TX)
    output logic [AXIS_DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output logic [AXIS_DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output logic                         m_axis_tx_tvalid,
    input  logic                         m_axis_tx_tready,
    output logic                         m_axis_tx_tlast,
    output logic                         m_axis_tx_tuser,   // 1: bad frame (DMA error), MAC must abort it
    // AXI-Stream from the MAC (RX)
    input  logic [AXIS_DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  logic [AXIS_DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  logic                         s_axis_rx_tvalid,
    output logic                         s_axis_rx_tready,
    input  logic                         s_axis_rx_tlast,
    input  logic                         s_axis_rx_tuser,   // 1: bad frame (FCS error), dropped
    // interrupt requests: MSI-X vector number
    output logic [15:0]                  m_axis_irq_tdata,
    output logic                         m_axis_irq_tvalid,
    input  logic                         m_axis_irq_tready
);
    localparam int W   = DATA_WIDTH / 8;
    localparam int LW  = $clog2(W);
    localparam int NQ  = 2 * NUM_QUEUE_PAIRS;
    localparam int AW  = ADDR_WIDTH;

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
    endgenerate

    // ---------------- register file ----------------
    logic            clear, drain_busy;
    logic [NQ-1:0]   q_run, q_kick, ev_used_irq, ev_pkt, ev_drop, ev_err;
    logic [NQ*16-1:0] q_size, ev_bytes, ev_err_desc;
    logic [NQ*AW-1:0] q_desc, q_avail, q_used, ev_err_addr;
    logic [NQ*4-1:0] ev_err_code;

    vionic_regs #(.NUM_QP(NUM_QUEUE_PAIRS), .MAX_QSIZE(MAX_QUEUE_SIZE), .MAC(MAC_ADDR), .MTU(MTU),
                  .IMPL(IMPL), .ADDR_WIDTH(AW)) u_regs (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .m_axis_irq_tdata(m_axis_irq_tdata), .m_axis_irq_tvalid(m_axis_irq_tvalid),
        .m_axis_irq_tready(m_axis_irq_tready),
        .clear(clear), .drain_busy(drain_busy), .q_run(q_run), .q_size(q_size), .q_desc(q_desc),
        .q_avail(q_avail), .q_used(q_used), .q_kick(q_kick),
        .ev_used_irq(ev_used_irq), .ev_pkt(ev_pkt), .ev_bytes(ev_bytes), .ev_drop(ev_drop),
        .ev_err(ev_err), .ev_err_code(ev_err_code), .ev_err_desc(ev_err_desc), .ev_err_addr(ev_err_addr));

    // ---------------- DMA read engines: 0 RX fetch, 1 TX fetch, 2 TX data ----------------
    localparam int NRD = 3;
    logic [NRD*AW-1:0] e_araddr;
    logic [NRD*8-1:0]  e_arlen;
    logic [NRD-1:0]    e_arvalid, e_arready, e_rvalid, e_rready, rd_busy;
    logic [NRD*ID_WIDTH-1:0] e_arid;

    vionic_axi_rd_arb #(.N(NRD), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH)) u_rd_arb (
        .clk(clk), .rst(rst),
        .e_araddr(e_araddr), .e_arlen(e_arlen), .e_arvalid(e_arvalid), .e_arready(e_arready),
        .e_rvalid(e_rvalid),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
        .m_axi_rid(m_axi_rid), .m_axi_rvalid(m_axi_rvalid));
    assign m_axi_arsize  = 3'(LW);
    assign m_axi_arburst = 2'b01;
    assign m_axi_arlock  = 1'b0;
    assign m_axi_arcache = 4'b0011;
    assign m_axi_arprot  = 3'b000;
    assign m_axi_rready  = 1'b1;   // every engine reserves space before its AR

    // fetch engine read clients
    logic [1:0]            f_req_valid, f_req_ready, f_valid, f_ready, f_last, f_err;
    logic [2*AW-1:0]       f_req_addr, f_err_addr;
    logic [2*16-1:0]       f_req_len;
    logic [2*2-1:0]        f_req_tag, f_tag;
    logic [2*DATA_WIDTH-1:0] f_data;
    logic [2*LW-1:0]       f_lo;
    logic [2*(LW+1)-1:0]   f_hi;

    genvar gi;
    generate
        for (gi = 0; gi < 2; gi++) begin : g_frd
            vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(gi),
                            .TAG_WIDTH(2), .FIFO_DEPTH((4096 / W) > 256 ? 256 : (4096 / W) < 32 ? 32 : (4096 / W)),
                            .REQ_DEPTH(64)) u_rd (
                .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[gi]),
                .req_valid(f_req_valid[gi]), .req_ready(f_req_ready[gi]), .req_addr(f_req_addr[AW*gi +: AW]),
                .req_len(f_req_len[16*gi +: 16]), .req_tag(f_req_tag[2*gi +: 2]),
                .m_axi_arid(e_arid[ID_WIDTH*gi +: ID_WIDTH]), .m_axi_araddr(e_araddr[AW*gi +: AW]),
                .m_axi_arlen(e_arlen[8*gi +: 8]), .m_axi_arvalid(e_arvalid[gi]), .m_axi_arready(e_arready[gi]),
                .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(e_rvalid[gi]),
                .m_axi_rready(e_rready[gi]),
                .out_valid(f_valid[gi]), .out_ready(f_ready[gi]), .out_data(f_data[DATA_WIDTH*gi +: DATA_WIDTH]),
                .out_lo(f_lo[LW*gi +: LW]), .out_hi(f_hi[(LW+1)*gi +: LW+1]), .out_last(f_last[gi]),
                .out_tag(f_tag[2*gi +: 2]), .out_err(f_err[gi]), .err_addr(f_err_addr[AW*gi +: AW]));
        end
    endgenerate

    // TX data read engine
    logic                  t_req_valid, t_req_ready, t_req_tag, t_valid, t_ready, t_last, t_tag, t_err;
    logic [AW-1:0]         t_req_addr, t_err_addr;
    logic [15:0]           t_req_len;
    logic [DATA_WIDTH-1:0] t_data;
    logic [LW-1:0]         t_lo;
    logic [LW:0]           t_hi;
    vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(2),
                    .TAG_WIDTH(1), .FIFO_DEPTH(TX_FIFO_DEPTH), .REQ_DEPTH(64)) u_txrd (
        .clk(clk), .rst(rst), .flush(clear), .busy(rd_busy[2]),
        .req_valid(t_req_valid), .req_ready(t_req_ready), .req_addr(t_req_addr), .req_len(t_req_len),
        .req_tag(t_req_tag),
        .m_axi_arid(e_arid[ID_WIDTH*2 +: ID_WIDTH]), .m_axi_araddr(e_araddr[AW*2 +: AW]),
        .m_axi_arlen(e_arlen[8*2 +: 8]), .m_axi_arvalid(e_arvalid[2]), .m_axi_arready(e_arready[2]),
        .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rvalid(e_rvalid[2]),
        .m_axi_rready(e_rready[2]),
        .out_valid(t_valid), .out_ready(t_ready), .out_data(t_data), .out_lo(t_lo), .out_hi(t_hi),
        .out_last(t_last), .out_tag(t_tag), .out_err(t_err), .err_addr(t_err_addr));

    // ---------------- fetch engines ----------------
    logic [1:0]       sg_valid, sg_ready, ch_valid, ch_ready, f_dry, f_errv;
    logic [2*AW-1:0]  sg_addr, f_eaddr;
    logic [2*16-1:0]  sg_idx;
    logic [2*32-1:0]  sg_len, ch_total;
    logic [2*16-1:0]  ch_head, f_flags, f_edesc;
    logic [2*8-1:0]   ch_nseg;
    logic [2*4-1:0]   f_ecode;
    logic             rx_need;

    generate
        for (gi = 0; gi < 2; gi++) begin : g_fetch
            vionic_fetch #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .IS_RX(gi == 0),
                           .HEAD_DEPTH(128), .DESC_DEPTH(128)) u_fetch (
                .clk(clk), .rst(rst), .clear(clear), .run(q_run[gi]), .q_size(q_size[16*gi +: 16]),
                .q_desc(q_desc[AW*gi +: AW]), .q_avail(q_avail[AW*gi +: AW]), .kick(q_kick[gi]),
                .need(gi == 0 ? rx_need : 1'b0), .dry(f_dry[gi]), .avail_flags(f_flags[16*gi +: 16]),
                .rd_req_valid(f_req_valid[gi]), .rd_req_ready(f_req_ready[gi]), .rd_req_addr(f_req_addr[AW*gi +: AW]),
                .rd_req_len(f_req_len[16*gi +: 16]), .rd_req_tag(f_req_tag[2*gi +: 2]),
                .rd_valid(f_valid[gi]), .rd_ready(f_ready[gi]), .rd_data(f_data[DATA_WIDTH*gi +: DATA_WIDTH]),
                .rd_lo(f_lo[LW*gi +: LW]), .rd_hi(f_hi[(LW+1)*gi +: LW+1]), .rd_last(f_last[gi]),
                .rd_tag(f_tag[2*gi +: 2]), .rd_err(f_err[gi]), .rd_err_addr(f_err_addr[AW*gi +: AW]),
                .sg_valid(sg_valid[gi]), .sg_ready(sg_ready[gi]), .sg_addr(sg_addr[AW*gi +: AW]),
                .sg_len(sg_len[32*gi +: 32]), .sg_idx(sg_idx[16*gi +: 16]),
                .ch_valid(ch_valid[gi]), .ch_ready(ch_ready[gi]), .ch_head(ch_head[16*gi +: 16]),
                .ch_total(ch_total[32*gi +: 32]), .ch_nseg(ch_nseg[8*gi +: 8]),
                .err_valid(f_errv[gi]), .err_code(f_ecode[4*gi +: 4]), .err_desc(f_edesc[16*gi +: 16]),
                .err_addr(f_eaddr[AW*gi +: AW]));
        end
    endgenerate

    // ---------------- TX pipeline (queue 1) ----------------
    logic        tx_cp_valid, tx_cp_ready, tx_pkt, tx_drop, tx_errv;
    logic [15:0] tx_cp_id, tx_bytes, tx_edesc;
    logic [AW-1:0] tx_eaddr;
    vionic_txq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .MTU(MTU)) u_txq (
        .clk(clk), .rst(rst), .clear(clear), .run(q_run[1]),
        .ch_valid(ch_valid[1]), .ch_ready(ch_ready[1]), .ch_head(ch_head[31:16]), .ch_total(ch_total[63:32]),
        .ch_nseg(ch_nseg[15:8]), .sg_valid(sg_valid[1]), .sg_ready(sg_ready[1]), .sg_addr(sg_addr[2*AW-1:AW]),
        .sg_len(sg_len[63:32]), .sg_idx(sg_idx[31:16]),
        .rd_req_valid(t_req_valid), .rd_req_ready(t_req_ready), .rd_req_addr(t_req_addr), .rd_req_len(t_req_len),
        .rd_req_tag(t_req_tag), .rd_valid(t_valid), .rd_ready(t_ready), .rd_data(t_data), .rd_lo(t_lo),
        .rd_hi(t_hi), .rd_last(t_last), .rd_tag(t_tag), .rd_err(t_err), .rd_err_addr(t_err_addr),
        .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep), .m_axis_tx_tvalid(m_axis_tx_tvalid),
        .m_axis_tx_tready(m_axis_tx_tready), .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
        .cp_valid(tx_cp_valid), .cp_ready(tx_cp_ready), .cp_id(tx_cp_id),
        .cnt_pkt(tx_pkt), .cnt_bytes(tx_bytes), .cnt_drop(tx_drop),
        .err_valid(tx_errv), .err_desc(tx_edesc), .err_addr(tx_eaddr));

    // ---------------- RX pipeline (queue 0) ----------------
    logic        rx_wr_valid, rx_wr_ready, rx_st_valid, rx_st_ready, rx_cp_valid, rx_cp_ready, rx_pkt, rx_drop;
    logic [AW-1:0] rx_wr_addr;
    logic [15:0] rx_wr_len, rx_wr_desc, rx_cp_id, rx_bytes;
    logic        rx_wr_err;
    logic [31:0] rx_cp_len;
    logic [DATA_WIDTH-1:0] rx_st_data;
    logic [LW:0] rx_st_bytes;
    vionic_rxq #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .MTU(MTU), .FIFO_BYTES(RX_FIFO_BYTES)) u_rxq (
        .clk(clk), .rst(rst), .clear(clear), .run(q_run[0]),
        .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep), .s_axis_rx_tvalid(s_axis_rx_tvalid),
        .s_axis_rx_tready(s_axis_rx_tready), .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
        .ch_valid(ch_valid[0]), .ch_ready(ch_ready[0]), .ch_head(ch_head[15:0]), .ch_total(ch_total[31:0]),
        .ch_nseg(ch_nseg[7:0]), .sg_valid(sg_valid[0]), .sg_ready(sg_ready[0]), .sg_addr(sg_addr[AW-1:0]),
        .sg_len(sg_len[31:0]), .sg_idx(sg_idx[15:0]), .need(rx_need), .dry(f_dry[0]),
        .wr_req_valid(rx_wr_valid), .wr_req_ready(rx_wr_ready), .wr_req_addr(rx_wr_addr), .wr_req_len(rx_wr_len),
        .wr_req_desc(rx_wr_desc), .wr_seq(wr_seq), .wr_done(wr_done), .wr_err(rx_wr_err),
        .st_valid(rx_st_valid), .st_ready(rx_st_ready), .st_data(rx_st_data), .st_bytes(rx_st_bytes),
        .cp_valid(rx_cp_valid), .cp_ready(rx_cp_ready), .cp_id(rx_cp_id), .cp_len(rx_cp_len),
        .cnt_pkt(rx_pkt), .cnt_bytes(rx_bytes), .cnt_drop(rx_drop));

    // ---------------- used-ring writers ----------------
    logic [1:0]      u_valid, u_ready, u_irq;
    logic [2*AW-1:0] u_addr;
    logic [2*16-1:0] u_len;
    logic [2*512-1:0] u_data;
    logic [15:0]     wr_seq, wr_done;

    vionic_used #(.ADDR_WIDTH(AW)) u_used_rx (
        .clk(clk), .rst(rst), .clear(clear), .q_size(q_size[15:0]), .q_used(q_used[AW-1:0]),
        .no_irq(f_flags[0]),
        .cp_valid(rx_cp_valid), .cp_ready(rx_cp_ready), .cp_id(rx_cp_id), .cp_len(rx_cp_len),
        .wr_req_valid(u_valid[0]), .wr_req_ready(u_ready[0]), .wr_req_addr(u_addr[AW-1:0]),
        .wr_req_len(u_len[15:0]), .wr_req_data(u_data[511:0]), .wr_seq(wr_seq), .wr_done(wr_done),
        .irq(u_irq[0]));
    vionic_used #(.ADDR_WIDTH(AW)) u_used_tx (
        .clk(clk), .rst(rst), .clear(clear), .q_size(q_size[31:16]), .q_used(q_used[2*AW-1:AW]),
        .no_irq(f_flags[16]),
        .cp_valid(tx_cp_valid), .cp_ready(tx_cp_ready), .cp_id(tx_cp_id), .cp_len(32'd0),
        .wr_req_valid(u_valid[1]), .wr_req_ready(u_ready[1]), .wr_req_addr(u_addr[2*AW-1:AW]),
        .wr_req_len(u_len[31:16]), .wr_req_data(u_data[1023:512]), .wr_seq(wr_seq), .wr_done(wr_done),
        .irq(u_irq[1]));

    // ---------------- DMA write engine and its request arbiter ----------------
    // sources: 0 RX data (stream), 1 RX used, 2 TX used; round robin
    logic [1:0] last_src, pick;
    logic       any_req, wr_req_ready;
    logic [2:0] req_v;
    assign req_v = {u_valid[1], u_valid[0], rx_wr_valid};
    always_comb begin
        pick = last_src;
        any_req = 1'b0;
        for (int k = 1; k <= 3; k++) begin
            if (!any_req && req_v[(32'(last_src) + k) % 3]) begin
                any_req = 1'b1;
                pick    = 2'((32'(last_src) + k) % 3);
            end
        end
    end
    always_ff @(posedge clk) begin
        if (rst || clear) last_src <= 2'd2;
        else if (any_req && wr_req_ready) last_src <= pick;
    end
    assign rx_wr_ready = any_req && wr_req_ready && (pick == 2'd0);
    assign u_ready[0]  = any_req && wr_req_ready && (pick == 2'd1);
    assign u_ready[1]  = any_req && wr_req_ready && (pick == 2'd2);

    logic [AW-1:0]  w_addr;
    logic [15:0]    w_len;
    logic [511:0]   w_data;
    logic           w_errv, wr_busy;
    // error tag of a write request: {descriptor (RX data), source (0 RX data, 1 RX used, 2 TX used)}
    logic [17:0]    w_qid;
    logic [AW-1:0]  w_eaddr;
    always_comb begin
        case (pick)
            2'd1:    begin w_addr = u_addr[AW-1:0];    w_len = u_len[15:0];  w_data = u_data[511:0]; end
            2'd2:    begin w_addr = u_addr[2*AW-1:AW]; w_len = u_len[31:16]; w_data = u_data[1023:512]; end
            default: begin w_addr = rx_wr_addr;        w_len = rx_wr_len;    w_data = '0; end
        endcase
    end

    vionic_dma_wr #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(AW), .ID_WIDTH(ID_WIDTH), .AXI_ID(0),
                    .QID_WIDTH(18)) u_wr (
        .clk(clk), .rst(rst), .flush(clear), .busy(wr_busy),
        .req_valid(any_req), .req_ready(wr_req_ready), .req_addr(w_addr), .req_len(w_len),
        .req_inline(pick != 2'd0), .req_data(w_data), .req_qid({(pick == 2'd0) ? rx_wr_desc : 16'd0, pick}),
        .req_seq(wr_seq), .done_cnt(wr_done),
        .st_valid(rx_st_valid), .st_ready(rx_st_ready), .st_data(rx_st_data), .st_bytes(rx_st_bytes),
        .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
        .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
        .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
        .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
        .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid), .m_axi_bready(m_axi_bready),
        .err_valid(w_errv), .err_qid(w_qid), .err_addr(w_eaddr));
    assign m_axi_awsize  = 3'(LW);
    assign m_axi_awburst = 2'b01;
    assign m_axi_awlock  = 1'b0;
    assign m_axi_awcache = 4'b0011;
    assign m_axi_awprot  = 3'b000;

    assign drain_busy = (|rd_busy) || wr_busy;
    assign rx_wr_err  = w_errv && (w_qid[1:0] != 2'd2);

    // ---------------- events to the register file ----------------
    always_comb begin
        ev_pkt      = {tx_pkt, rx_pkt};
        ev_drop     = {tx_drop, rx_drop};
        ev_bytes    = {tx_bytes, rx_bytes};
        ev_used_irq = u_irq;
        // queue 0 (RX): fetch error, DMA write error (data: the descriptor and its
        // buffer address, the request address; used ring: its base)
        ev_err[0]              = f_errv[0] || rx_wr_err;
        ev_err_code[3:0]       = f_errv[0] ? f_ecode[3:0] : 4'd1;
        ev_err_desc[15:0]      = f_errv[0] ? f_edesc[15:0] : (w_qid[1:0] == 2'd0) ? w_qid[17:2] : 16'd0;
        ev_err_addr[AW-1:0]    = f_errv[0] ? f_eaddr[AW-1:0] : (w_qid[1:0] == 2'd0) ? w_eaddr : q_used[AW-1:0];
        // queue 1 (TX): fetch error, data read error, DMA write error (used ring: its base)
        ev_err[1]              = f_errv[1] || tx_errv || (w_errv && w_qid[1:0] == 2'd2);
        ev_err_code[7:4]       = f_errv[1] ? f_ecode[7:4] : 4'd1;
        ev_err_desc[31:16]     = f_errv[1] ? f_edesc[31:16] : tx_errv ? tx_edesc : 16'd0;
        ev_err_addr[2*AW-1:AW] = f_errv[1] ? f_eaddr[2*AW-1:AW] : tx_errv ? tx_eaddr : q_used[2*AW-1:AW];
    end

    logic unused_ok;
    assign unused_ok = ^{m_axi_rlast, m_axi_bid, e_arid, e_rready, f_flags[31:17], f_flags[15:1], f_dry[1]};
endmodule
