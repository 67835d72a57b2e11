// Test wrapper for the block tests: the DMA read engine, the DMA write engine
// and the fetch engine (with its own read engine), each on its own AXI port.
`default_nettype none

module tb_blocks #(
    parameter int DATA_WIDTH = 64    // AXI data width of all three blocks
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    // ---- vionic_dma_rd ----
    input  wire logic                            rd_flush,
    output      logic                            rd_busy,
    input  wire logic                            rd_req_valid,
    output      logic                            rd_req_ready,
    input  wire logic [63:0]                     rd_req_addr,
    input  wire logic [15:0]                     rd_req_len,
    input  wire logic [1:0]                      rd_req_tag,
    output      logic [3:0]                      rd_m_axi_arid,
    output      logic [63:0]                     rd_m_axi_araddr,
    output      logic [7:0]                      rd_m_axi_arlen,
    output      logic [2:0]                      rd_m_axi_arsize,
    output      logic [1:0]                      rd_m_axi_arburst,
    output      logic                            rd_m_axi_arlock,
    output      logic [3:0]                      rd_m_axi_arcache,
    output      logic [2:0]                      rd_m_axi_arprot,
    output      logic                            rd_m_axi_arvalid,
    input  wire logic                            rd_m_axi_arready,
    input  wire logic [3:0]                      rd_m_axi_rid,
    input  wire logic [DATA_WIDTH-1:0]           rd_m_axi_rdata,
    input  wire logic [1:0]                      rd_m_axi_rresp,
    input  wire logic                            rd_m_axi_rlast,
    input  wire logic                            rd_m_axi_rvalid,
    output      logic                            rd_m_axi_rready,
    output      logic                            rd_out_valid,
    input  wire logic                            rd_out_ready,
    output      logic [DATA_WIDTH-1:0]           rd_out_data,
    output      logic [$clog2(DATA_WIDTH/8)-1:0] rd_out_lo,
    output      logic [$clog2(DATA_WIDTH/8):0]   rd_out_hi,
    output      logic                            rd_out_last,
    output      logic [1:0]                      rd_out_tag,
    output      logic                            rd_out_err,
    output      logic [63:0]                     rd_err_addr,
    // ---- vionic_dma_wr ----
    input  wire logic                            wr_flush,
    output      logic                            wr_busy,
    input  wire logic                            wr_req_valid,
    output      logic                            wr_req_ready,
    input  wire logic [63:0]                     wr_req_addr,
    input  wire logic [15:0]                     wr_req_len,
    input  wire logic                            wr_req_inline,
    input  wire logic [511:0]                    wr_req_data,
    output      logic [15:0]                     wr_req_seq,
    output      logic [15:0]                     wr_done_cnt,
    input  wire logic                            wr_st_valid,
    output      logic                            wr_st_ready,
    input  wire logic [DATA_WIDTH-1:0]           wr_st_data,
    input  wire logic [$clog2(DATA_WIDTH/8):0]   wr_st_bytes,
    output      logic [3:0]                      wr_m_axi_awid,
    output      logic [63:0]                     wr_m_axi_awaddr,
    output      logic [7:0]                      wr_m_axi_awlen,
    output      logic [2:0]                      wr_m_axi_awsize,
    output      logic [1:0]                      wr_m_axi_awburst,
    output      logic                            wr_m_axi_awlock,
    output      logic [3:0]                      wr_m_axi_awcache,
    output      logic [2:0]                      wr_m_axi_awprot,
    output      logic                            wr_m_axi_awvalid,
    input  wire logic                            wr_m_axi_awready,
    output      logic [DATA_WIDTH-1:0]           wr_m_axi_wdata,
    output      logic [DATA_WIDTH/8-1:0]         wr_m_axi_wstrb,
    output      logic                            wr_m_axi_wlast,
    output      logic                            wr_m_axi_wvalid,
    input  wire logic                            wr_m_axi_wready,
    input  wire logic [3:0]                      wr_m_axi_bid,
    input  wire logic [1:0]                      wr_m_axi_bresp,
    input  wire logic                            wr_m_axi_bvalid,
    output      logic                            wr_m_axi_bready,
    output      logic                            wr_err_valid,
    output      logic [63:0]                     wr_err_addr,
    // ---- vionic_fetch (TX direction) ----
    input  wire logic                            f_run,
    input  wire logic [15:0]                     f_q_size,
    input  wire logic [63:0]                     f_q_desc,
    input  wire logic [63:0]                     f_q_avail,
    input  wire logic                            f_kick,
    output      logic [3:0]                      f_m_axi_arid,
    output      logic [63:0]                     f_m_axi_araddr,
    output      logic [7:0]                      f_m_axi_arlen,
    output      logic [2:0]                      f_m_axi_arsize,
    output      logic [1:0]                      f_m_axi_arburst,
    output      logic                            f_m_axi_arlock,
    output      logic [3:0]                      f_m_axi_arcache,
    output      logic [2:0]                      f_m_axi_arprot,
    output      logic                            f_m_axi_arvalid,
    input  wire logic                            f_m_axi_arready,
    input  wire logic [3:0]                      f_m_axi_rid,
    input  wire logic [DATA_WIDTH-1:0]           f_m_axi_rdata,
    input  wire logic [1:0]                      f_m_axi_rresp,
    input  wire logic                            f_m_axi_rlast,
    input  wire logic                            f_m_axi_rvalid,
    output      logic                            f_m_axi_rready,
    output      logic                            f_sg_valid,
    input  wire logic                            f_sg_ready,
    output      logic [63:0]                     f_sg_addr,
    output      logic [31:0]                     f_sg_len,
    output      logic [15:0]                     f_sg_idx,
    output      logic                            f_ch_valid,
    input  wire logic                            f_ch_ready,
    output      logic [15:0]                     f_ch_head,
    output      logic [31:0]                     f_ch_total,
    output      logic [15:0]                     f_ch_nseg,
    output      logic                            f_err_valid,
    output      logic [3:0]                      f_err_code,
    output      logic [15:0]                     f_err_desc
);
    localparam int LW = $clog2(DATA_WIDTH / 8);
    assign rd_m_axi_arsize  = 3'(LW);
    assign rd_m_axi_arburst = 2'b01;
    assign rd_m_axi_arlock  = 1'b0;
    assign rd_m_axi_arcache = 4'b0011;
    assign rd_m_axi_arprot  = 3'b000;
    assign f_m_axi_arsize   = 3'(LW);
    assign f_m_axi_arburst  = 2'b01;
    assign f_m_axi_arlock   = 1'b0;
    assign f_m_axi_arcache  = 4'b0011;
    assign f_m_axi_arprot   = 3'b000;
    assign wr_m_axi_awsize  = 3'(LW);
    assign wr_m_axi_awburst = 2'b01;
    assign wr_m_axi_awlock  = 1'b0;
    assign wr_m_axi_awcache = 4'b0011;
    assign wr_m_axi_awprot  = 3'b000;

    vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ID_WIDTH(4), .TAG_WIDTH(2), .FIFO_DEPTH(256)) u_rd (
        .clk(clk), .rst(rst), .flush(rd_flush), .busy(rd_busy),
        .s_req_valid(rd_req_valid), .s_req_ready(rd_req_ready), .s_req_addr(rd_req_addr), .s_req_len(rd_req_len),
        .s_req_tag(rd_req_tag),
        .m_axi_arid(rd_m_axi_arid), .m_axi_araddr(rd_m_axi_araddr), .m_axi_arlen(rd_m_axi_arlen),
        .m_axi_arvalid(rd_m_axi_arvalid), .m_axi_arready(rd_m_axi_arready),
        .m_axi_rdata(rd_m_axi_rdata), .m_axi_rresp(rd_m_axi_rresp), .m_axi_rvalid(rd_m_axi_rvalid),
        .m_axi_rready(rd_m_axi_rready),
        .m_rsp_valid(rd_out_valid), .m_rsp_ready(rd_out_ready), .m_rsp_data(rd_out_data), .m_rsp_lo(rd_out_lo),
        .m_rsp_hi(rd_out_hi), .m_rsp_last(rd_out_last), .m_rsp_tag(rd_out_tag), .m_rsp_err(rd_out_err),
        .err_addr(rd_err_addr));

    logic wr_err_qid;
    vionic_dma_wr #(.DATA_WIDTH(DATA_WIDTH), .ID_WIDTH(4), .QID_WIDTH(1)) u_wr (
        .clk(clk), .rst(rst), .flush(wr_flush), .busy(wr_busy),
        .s_req_valid(wr_req_valid), .s_req_ready(wr_req_ready), .s_req_addr(wr_req_addr), .s_req_len(wr_req_len),
        .s_req_inline(wr_req_inline), .s_req_data(wr_req_data), .s_req_qid(1'b0), .req_seq(wr_req_seq),
        .done_cnt(wr_done_cnt),
        .s_stream_valid(wr_st_valid), .s_stream_ready(wr_st_ready), .s_stream_data(wr_st_data),
        .s_stream_bytes(wr_st_bytes),
        .m_axi_awid(wr_m_axi_awid), .m_axi_awaddr(wr_m_axi_awaddr), .m_axi_awlen(wr_m_axi_awlen),
        .m_axi_awvalid(wr_m_axi_awvalid), .m_axi_awready(wr_m_axi_awready),
        .m_axi_wdata(wr_m_axi_wdata), .m_axi_wstrb(wr_m_axi_wstrb), .m_axi_wlast(wr_m_axi_wlast),
        .m_axi_wvalid(wr_m_axi_wvalid), .m_axi_wready(wr_m_axi_wready),
        .m_axi_bresp(wr_m_axi_bresp), .m_axi_bvalid(wr_m_axi_bvalid), .m_axi_bready(wr_m_axi_bready),
        .err_valid(wr_err_valid), .err_qid(wr_err_qid), .err_addr(wr_err_addr));

    // fetch engine with its read engine
    logic                  fr_req_valid, fr_req_ready, fr_valid, fr_ready, fr_last, fr_err;
    logic [63:0]           fr_req_addr, fr_err_addr;
    logic [15:0]           fr_req_len, f_flags;
    logic [1:0]            fr_req_tag, fr_tag;
    logic [DATA_WIDTH-1:0] fr_data;
    logic [LW-1:0]         fr_lo;
    logic [LW:0]           fr_hi;
    logic                  f_dry, f_quiet, f_flags_fresh;
    logic [63:0]           f_err_addr;
    vionic_dma_rd #(.DATA_WIDTH(DATA_WIDTH), .ID_WIDTH(4), .TAG_WIDTH(2), .FIFO_DEPTH(256), .REQ_DEPTH(64)) u_frd (
        .clk(clk), .rst(rst), .flush(1'b0), .busy(),
        .s_req_valid(fr_req_valid), .s_req_ready(fr_req_ready), .s_req_addr(fr_req_addr), .s_req_len(fr_req_len),
        .s_req_tag(fr_req_tag),
        .m_axi_arid(f_m_axi_arid), .m_axi_araddr(f_m_axi_araddr), .m_axi_arlen(f_m_axi_arlen),
        .m_axi_arvalid(f_m_axi_arvalid), .m_axi_arready(f_m_axi_arready),
        .m_axi_rdata(f_m_axi_rdata), .m_axi_rresp(f_m_axi_rresp), .m_axi_rvalid(f_m_axi_rvalid),
        .m_axi_rready(f_m_axi_rready),
        .m_rsp_valid(fr_valid), .m_rsp_ready(fr_ready), .m_rsp_data(fr_data), .m_rsp_lo(fr_lo), .m_rsp_hi(fr_hi),
        .m_rsp_last(fr_last), .m_rsp_tag(fr_tag), .m_rsp_err(fr_err), .err_addr(fr_err_addr));
    logic f_seg_full;   // the segment FIFO (a queue's worth) never fills in these tests
    vionic_fetch #(.DATA_WIDTH(DATA_WIDTH), .IS_RX(0)) u_fetch (
        .clk(clk), .rst(rst), .clear(1'b0), .run(f_run), .enabled(1'b1), .start_avail(16'd0), .suspend(1'b0),
        .quiet(f_quiet), .q_size(f_q_size), .q_desc(f_q_desc),
        .q_avail(f_q_avail), .kick(f_kick), .need(1'b0), .dry(f_dry), .seg_full(f_seg_full),
        .avail_flags(f_flags),
        .flags_req(1'b0), .flags_fresh(f_flags_fresh),
        .m_rd_req_valid(fr_req_valid), .m_rd_req_ready(fr_req_ready), .m_rd_req_addr(fr_req_addr),
        .m_rd_req_len(fr_req_len), .m_rd_req_tag(fr_req_tag),
        .s_rd_valid(fr_valid), .s_rd_ready(fr_ready), .s_rd_data(fr_data), .s_rd_lo(fr_lo), .s_rd_hi(fr_hi),
        .s_rd_tag(fr_tag), .s_rd_err(fr_err),
        .m_seg_valid(f_sg_valid), .m_seg_ready(f_sg_ready), .m_seg_addr(f_sg_addr), .m_seg_len(f_sg_len),
        .m_seg_idx(f_sg_idx),
        .m_chain_valid(f_ch_valid), .m_chain_ready(f_ch_ready), .m_chain_head(f_ch_head), .m_chain_total(f_ch_total),
        .m_chain_nseg(f_ch_nseg), .err_valid(f_err_valid), .err_code(f_err_code), .err_desc(f_err_desc),
        .err_addr(f_err_addr));

    logic unused_ok;
    assign unused_ok = ^{f_seg_full, rd_m_axi_rid, rd_m_axi_rlast, wr_m_axi_bid, wr_err_qid, f_m_axi_rid, f_m_axi_rlast,
                         f_dry, f_quiet, f_flags, f_flags_fresh, f_err_addr, fr_last, fr_err_addr};
endmodule

`default_nettype wire
