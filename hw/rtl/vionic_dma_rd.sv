// vionic_dma_rd: AXI4 read DMA engine for one client (one ARID).
// Requests (addr, len, tag) are split into INCR bursts at 4 KiB boundaries
// and at 256 beats. Several bursts are in flight; an AR is only issued when the
// response buffer has room for all its beats (credit), so R is never blocked
// and clients sharing the R channel cannot deadlock. Responses return in order
// (one ID) as raw bus beats annotated with the valid byte range [lo, hi),
// last-of-request, the request tag and the error flag (RRESP SLVERR/DECERR).
module vionic_dma_rd #(
    parameter int DATA_WIDTH = 64,    // AXI data width in bits (64..512)
    parameter int ADDR_WIDTH = 64,    // AXI address width
    parameter int ID_WIDTH   = 4,     // AXI ID width
    parameter int AXI_ID     = 0,     // ARID used by this engine
    parameter int TAG_WIDTH  = 2,     // client tag carried with each request
    parameter int FIFO_DEPTH = 64,    // response buffer in beats (power of two, >= the largest burst, min(256, 4096/bytes per beat))
    parameter int REQ_DEPTH  = 16     // requests in flight
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    flush,        // drop all state, drain in-flight bursts
    output logic                    busy,         // bursts still in flight on AXI
    // requests
    input  logic                    req_valid,
    output logic                    req_ready,
    input  logic [ADDR_WIDTH-1:0]   req_addr,
    input  logic [15:0]             req_len,      // bytes, >= 1
    input  logic [TAG_WIDTH-1:0]    req_tag,
    // AXI4 read address channel
    output logic [ID_WIDTH-1:0]     m_axi_arid,
    output logic [ADDR_WIDTH-1:0]   m_axi_araddr,
    output logic [7:0]              m_axi_arlen,
    output logic                    m_axi_arvalid,
    input  logic                    m_axi_arready,
    // AXI4 read data channel (already filtered on RID by the caller)
    input  logic [DATA_WIDTH-1:0]   m_axi_rdata,
    input  logic [1:0]              m_axi_rresp,
    input  logic                    m_axi_rvalid,
    output logic                    m_axi_rready,
    // response beats
    output logic                    out_valid,
    input  logic                    out_ready,
    output logic [DATA_WIDTH-1:0]   out_data,
    output logic [$clog2(DATA_WIDTH/8)-1:0] out_lo,
    output logic [$clog2(DATA_WIDTH/8):0]   out_hi,
    output logic                    out_last,
    output logic [TAG_WIDTH-1:0]    out_tag,
    output logic                    out_err,
    output logic [ADDR_WIDTH-1:0]   err_addr     // start address of the last request that saw an error
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int CW    = 12;                 // credit counter width (FIFO_DEPTH <= 1024)
    localparam int IW    = LW + 16 + TAG_WIDTH + ADDR_WIDTH;
    localparam int DWF   = DATA_WIDTH + LW + LW + 1 + 1 + TAG_WIDTH + 1;

    // ---------------- request splitting and AR issue ----------------
    logic                  cur_active;
    logic [ADDR_WIDTH-1:0] cur_addr, cur_end;
    logic [ADDR_WIDTH-1:0] a_al, bend;
    logic [8:0]            beats;
    logic [CW-1:0]         reserved;
    logic [15:0]           inflight;
    logic                  info_s_ready;
    logic                  ar_load, out_pop;

    // a new request is taken while the last burst of the current one is issued
    assign req_ready = (!cur_active || (ar_load && bend == cur_end)) && info_s_ready && !flush;

    vionic_burst #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH)) u_burst (
        .cur_addr(cur_addr), .cur_end(cur_end), .a_al(a_al), .bend(bend), .beats(beats));

    assign ar_load = cur_active && !flush && (!m_axi_arvalid || m_axi_arready) &&
                     ({{(CW-9){1'b0}}, beats} + reserved <= CW'(FIFO_DEPTH));
    assign out_pop = out_valid && out_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            cur_active    <= 1'b0;
            m_axi_arvalid <= 1'b0;
            reserved      <= '0;
            inflight      <= '0;
        end else begin
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if (ar_load) begin
                m_axi_arvalid <= 1'b1;
                m_axi_araddr  <= a_al;
                m_axi_arlen   <= 8'(beats - 9'd1);
                cur_addr      <= bend;
                if (bend == cur_end) cur_active <= 1'b0;
            end
            if (req_valid && req_ready) begin
                cur_active <= 1'b1;
                cur_addr   <= req_addr;
                cur_end    <= req_addr + {{(ADDR_WIDTH-16){1'b0}}, req_len};
            end
            if (flush) begin
                cur_active <= 1'b0;
                reserved   <= '0;
            end else begin
                reserved <= reserved + (ar_load ? {{(CW-9){1'b0}}, beats} : '0) - {{(CW-1){1'b0}}, out_pop};
            end
            inflight <= inflight + (ar_load ? {7'd0, beats} : 16'd0)
                                 - {15'd0, (m_axi_rvalid && m_axi_rready)};
        end
    end
    assign m_axi_arid = ID_WIDTH'(AXI_ID);
    assign busy = (inflight != 0) || m_axi_arvalid;

    // ---------------- request info (R side annotation) ----------------
    logic                  info_valid, info_pop;
    logic [IW-1:0]         info_data;
    logic [LW-1:0]         info_lo;
    logic [15:0]           info_len;
    logic [TAG_WIDTH-1:0]  info_tag;
    logic [ADDR_WIDTH-1:0] info_addr;
    logic [$clog2(REQ_DEPTH)+1:0] info_count;

    vionic_fifo #(.WIDTH(IW), .DEPTH(REQ_DEPTH)) u_info (
        .clk(clk), .rst(rst || flush),
        .s_valid(req_valid && req_ready), .s_ready(info_s_ready),
        .s_data({req_addr[LW-1:0], req_len, req_tag, req_addr}),
        .m_valid(info_valid), .m_ready(info_pop), .m_data(info_data), .count(info_count));
    assign {info_lo, info_len, info_tag, info_addr} = info_data;

    logic              r_first;
    logic [15:0]       r_rem, rem;
    logic [LW-1:0]     lo;
    logic [LW:0]       room;
    logic [LW:0]       bytes;
    logic              r_last, r_take, r_err;

    always_comb begin
        lo    = r_first ? info_lo : '0;
        rem   = r_first ? info_len : r_rem;
        room  = (LW+1)'(W) - {1'b0, lo};
        r_last = (rem <= {{(15-LW){1'b0}}, room});
        bytes = r_last ? rem[LW:0] : room;
        r_err = m_axi_rresp[1];
    end
    assign m_axi_rready = 1'b1;   // space is reserved before each AR
    assign r_take   = m_axi_rvalid && !flush && info_valid;
    assign info_pop = r_take && r_last;

    always_ff @(posedge clk) begin
        if (rst || flush) begin
            r_first <= 1'b1;
            r_rem   <= '0;
        end else if (r_take) begin
            r_first <= r_last;
            r_rem   <= rem - {{(15-LW){1'b0}}, bytes};
            if (r_err) err_addr <= info_addr;
        end
    end

    logic [DWF-1:0] fifo_out;
    logic           data_s_ready;
    logic [$clog2(FIFO_DEPTH)+1:0] data_count;
    vionic_fifo #(.WIDTH(DWF), .DEPTH(FIFO_DEPTH)) u_data (
        .clk(clk), .rst(rst || flush),
        .s_valid(r_take), .s_ready(data_s_ready),
        .s_data({m_axi_rdata, lo, lo + bytes, r_last, info_tag, r_err}),
        .m_valid(out_valid), .m_ready(out_ready), .m_data(fifo_out), .count(data_count));
    assign {out_data, out_lo, out_hi, out_last, out_tag, out_err} = fifo_out;

    // data_s_ready is guaranteed by the credit check; counts are for debug only
    logic unused_ok;
    assign unused_ok = ^{data_s_ready, data_count, info_count, m_axi_rresp[0], cur_addr[LW-1:0]};
endmodule
