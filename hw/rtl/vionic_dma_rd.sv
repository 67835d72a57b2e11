// vionic_dma_rd: AXI4 read DMA engine for one client (one ARID).
// Requests (addr, len, tag) are split into INCR bursts at 4 KiB boundaries
// and at 256 beats. Several bursts are in flight; an AR is only issued when the
// response buffer has room for all its beats (credit), so R is never blocked
// and clients sharing the R channel cannot deadlock. Responses return in order
// (one ID) as raw bus beats annotated with the valid byte range [lo, hi),
// last-of-request, the request tag and the error flag (RRESP SLVERR/DECERR).
`default_nettype none

module vionic_dma_rd #(
    parameter int DATA_WIDTH = 64,    // AXI data width in bits (64..512)
    parameter int ADDR_WIDTH = 64,    // AXI address width
    parameter int ID_WIDTH   = 4,     // AXI ID width
    parameter int AXI_ID     = 0,     // ARID used by this engine
    parameter int TAG_WIDTH  = 2,     // client tag carried with each request
    parameter int FIFO_DEPTH = 64,    // response buffer in beats (power of two, >= the largest burst, min(256, 4096/bytes per beat))
    parameter int REQ_DEPTH  = 16     // requests in flight
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            flush,         // drop all state, drain in-flight bursts
    output      logic                            busy,          // a request still to issue, or bursts in flight on AXI
    // requests
    input  wire logic                            s_req_valid,
    output      logic                            s_req_ready,
    input  wire logic [ADDR_WIDTH-1:0]           s_req_addr,
    input  wire logic [15:0]                     s_req_len,     // bytes, >= 1
    input  wire logic [TAG_WIDTH-1:0]            s_req_tag,
    // AXI4 read address channel
    output      logic [ID_WIDTH-1:0]             m_axi_arid,
    output      logic [ADDR_WIDTH-1:0]           m_axi_araddr,
    output      logic [7:0]                      m_axi_arlen,
    output      logic                            m_axi_arvalid,
    input  wire logic                            m_axi_arready,
    // AXI4 read data channel (already filtered on RID by the caller)
    input  wire logic [DATA_WIDTH-1:0]           m_axi_rdata,
    input  wire logic [1:0]                      m_axi_rresp,
    input  wire logic                            m_axi_rvalid,
    output      logic                            m_axi_rready,
    // response beats
    output      logic                            m_rsp_valid,
    input  wire logic                            m_rsp_ready,
    output      logic [DATA_WIDTH-1:0]           m_rsp_data,
    output      logic [$clog2(DATA_WIDTH/8)-1:0] m_rsp_lo,
    output      logic [$clog2(DATA_WIDTH/8):0]   m_rsp_hi,
    output      logic                            m_rsp_last,
    output      logic [TAG_WIDTH-1:0]            m_rsp_tag,
    output      logic                            m_rsp_err,
    output      logic [ADDR_WIDTH-1:0]           err_addr       // start address of the last request that saw an error
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int CW    = 12;                 // credit counter width (FIFO_DEPTH <= 1024)
    localparam int IW    = LW + 16 + TAG_WIDTH + ADDR_WIDTH;
    localparam int DWF   = DATA_WIDTH + LW + LW + 1 + 1 + TAG_WIDTH + 1;

    // ---------------- request splitting and AR issue ----------------
    logic                  cur_active;
    logic [ADDR_WIDTH-1:0] cur_addr, cur_end;
    logic [ADDR_WIDTH-1:0] burst_addr, burst_end;
    logic [8:0]            beats;
    logic [CW-1:0]         beats_reserved;
    logic [15:0]           beats_in_flight;
    logic                  info_s_ready;
    logic                  ar_load, rsp_pop;

    // a new request is taken while the last burst of the current one is issued
    assign s_req_ready = (!cur_active || (ar_load && burst_end == cur_end)) && info_s_ready && !flush;

    vionic_burst #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH)) u_burst (
        .cur_addr(cur_addr), .cur_end(cur_end), .burst_addr(burst_addr), .burst_end(burst_end), .beats(beats));

    assign ar_load = cur_active && !flush && (!m_axi_arvalid || m_axi_arready) &&
                     ({{(CW-9){1'b0}}, beats} + beats_reserved <= CW'(FIFO_DEPTH));
    assign rsp_pop = m_rsp_valid && m_rsp_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            cur_active      <= 1'b0;
            m_axi_arvalid   <= 1'b0;
            beats_reserved  <= '0;
            beats_in_flight <= '0;
        end else begin
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if (ar_load) begin
                m_axi_arvalid <= 1'b1;
                m_axi_araddr  <= burst_addr;
                m_axi_arlen   <= 8'(beats - 9'd1);
                cur_addr      <= burst_end;
                if (burst_end == cur_end) cur_active <= 1'b0;
            end
            if (s_req_valid && s_req_ready) begin
                cur_active <= 1'b1;
                cur_addr   <= s_req_addr;
                cur_end    <= s_req_addr + {{(ADDR_WIDTH-16){1'b0}}, s_req_len};
            end
            if (flush) begin
                cur_active     <= 1'b0;
                beats_reserved <= '0;
            end else begin
                beats_reserved <= beats_reserved + (ar_load ? {{(CW-9){1'b0}}, beats} : '0) - {{(CW-1){1'b0}}, rsp_pop};
            end
            beats_in_flight <= beats_in_flight + (ar_load ? {7'd0, beats} : 16'd0)
                                 - {15'd0, (m_axi_rvalid && m_axi_rready)};
        end
    end
    assign m_axi_arid = ID_WIDTH'(AXI_ID);
    assign busy       = (beats_in_flight != 0) || m_axi_arvalid || cur_active;

    // ---------------- request info (R side annotation) ----------------
    logic                  info_m_valid, info_m_ready;
    logic [IW-1:0]         info_m_data;
    logic [LW-1:0]         info_lo;
    logic [15:0]           info_len;
    logic [TAG_WIDTH-1:0]  info_tag;
    logic [ADDR_WIDTH-1:0] info_addr;
    logic [$clog2(REQ_DEPTH)+1:0] info_count;

    vionic_fifo #(.WIDTH(IW), .DEPTH(REQ_DEPTH)) u_info (
        .clk(clk), .rst(rst || flush),
        .s_valid(s_req_valid && s_req_ready), .s_ready(info_s_ready),
        .s_data({s_req_addr[LW-1:0], s_req_len, s_req_tag, s_req_addr}),
        .m_valid(info_m_valid), .m_ready(info_m_ready), .m_data(info_m_data), .count(info_count));
    assign {info_lo, info_len, info_tag, info_addr} = info_m_data;

    logic              r_first;
    logic [15:0]       r_bytes_left, bytes_left;
    logic [LW-1:0]     beat_lo;
    logic [LW:0]       beat_room;
    logic [LW:0]       beat_bytes;
    logic              r_last, r_accept, r_err;

    always_comb begin
        beat_lo    = r_first ? info_lo : '0;
        bytes_left = r_first ? info_len : r_bytes_left;
        beat_room  = (LW+1)'(W) - {1'b0, beat_lo};
        r_last     = (bytes_left <= {{(15-LW){1'b0}}, beat_room});
        beat_bytes = r_last ? bytes_left[LW:0] : beat_room;
        r_err      = m_axi_rresp[1];
    end
    assign m_axi_rready = 1'b1;   // space is reserved before each AR
    assign r_accept     = m_axi_rvalid && !flush && info_m_valid;
    assign info_m_ready = r_accept && r_last;

    always_ff @(posedge clk) begin
        if (rst || flush) begin
            r_first      <= 1'b1;
            r_bytes_left <= '0;
        end else if (r_accept) begin
            r_first      <= r_last;
            r_bytes_left <= bytes_left - {{(15-LW){1'b0}}, beat_bytes};
            if (r_err) err_addr <= info_addr;
        end
    end

    logic [DWF-1:0] fifo_out;
    logic           data_s_ready;
    logic [$clog2(FIFO_DEPTH)+1:0] data_count;
    vionic_fifo #(.WIDTH(DWF), .DEPTH(FIFO_DEPTH)) u_data (
        .clk(clk), .rst(rst || flush),
        .s_valid(r_accept), .s_ready(data_s_ready),
        .s_data({m_axi_rdata, beat_lo, beat_lo + beat_bytes, r_last, info_tag, r_err}),
        .m_valid(m_rsp_valid), .m_ready(m_rsp_ready), .m_data(fifo_out), .count(data_count));
    assign {m_rsp_data, m_rsp_lo, m_rsp_hi, m_rsp_last, m_rsp_tag, m_rsp_err} = fifo_out;

    // data_s_ready is guaranteed by the credit check; counts are for debug only
    logic unused_ok;
    assign unused_ok = ^{data_s_ready, data_count, info_count, m_axi_rresp[0], cur_addr[LW-1:0]};
endmodule

`default_nettype wire
