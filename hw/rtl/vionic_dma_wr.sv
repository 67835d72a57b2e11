// vionic_dma_wr: AXI4 write DMA engine (one AWID, so B returns in order).
// Each request writes s_req_len bytes at s_req_addr, either from the packed byte
// stream s_stream_* (consumed exactly s_req_len bytes per request, possibly splitting
// a stream beat across requests) or from s_req_inline (up to 64 bytes).
// Requests are split into INCR bursts at 4 KiB and 256 beats; the data is
// realigned to the address with vionic_pack. Requests complete in order:
// done_cnt counts completed requests (all B of a request received), req_seq is
// the sequence number the next accepted request gets. A B error response is
// reported on err_* with the request's queue id and the request's start
// address (s_req_addr), whichever of its bursts failed.
`default_nettype none

module vionic_dma_wr #(
    parameter int DATA_WIDTH = 64,   // AXI data width in bits (64..512)
    parameter int ADDR_WIDTH = 64,   // AXI address width
    parameter int ID_WIDTH   = 4,    // AXI ID width
    parameter int AXI_ID     = 0,    // AWID used by this engine
    parameter int QID_WIDTH  = 4,    // width of the queue id carried for error reports
    parameter int REQ_DEPTH  = 8,    // queued requests
    parameter int BURST_DEPTH = 32   // bursts in flight (AW issued, B not yet received)
) (
    input  wire logic                          clk,
    input  wire logic                          rst,
    input  wire logic                          flush,          // drop queued work, finish open bursts with null strobes
    output      logic                          busy,
    // requests
    input  wire logic                          s_req_valid,
    output      logic                          s_req_ready,
    input  wire logic [ADDR_WIDTH-1:0]         s_req_addr,
    input  wire logic [15:0]                   s_req_len,      // bytes, >= 1 (<= 64 for inline)
    input  wire logic                          s_req_inline,   // 1: data from s_req_data, 0: from s_stream_*
    input  wire logic [511:0]                  s_req_data,
    input  wire logic [QID_WIDTH-1:0]          s_req_qid,
    output      logic [15:0]                   req_seq,
    output      logic [15:0]                   done_cnt,
    // packed byte stream (bytes [0, s_stream_bytes) valid)
    input  wire logic                          s_stream_valid,
    output      logic                          s_stream_ready,
    input  wire logic [DATA_WIDTH-1:0]         s_stream_data,
    input  wire logic [$clog2(DATA_WIDTH/8):0] s_stream_bytes,
    // AXI4 write channels
    output      logic [ID_WIDTH-1:0]           m_axi_awid,
    output      logic [ADDR_WIDTH-1:0]         m_axi_awaddr,
    output      logic [7:0]                    m_axi_awlen,
    output      logic                          m_axi_awvalid,
    input  wire logic                          m_axi_awready,
    output      logic [DATA_WIDTH-1:0]         m_axi_wdata,
    output      logic [DATA_WIDTH/8-1:0]       m_axi_wstrb,
    output      logic                          m_axi_wlast,
    output      logic                          m_axi_wvalid,
    input  wire logic                          m_axi_wready,
    input  wire logic [1:0]                    m_axi_bresp,
    input  wire logic                          m_axi_bvalid,
    output      logic                          m_axi_bready,
    // error report
    output      logic                          err_valid,
    output      logic [QID_WIDTH-1:0]          err_qid,
    output      logic [ADDR_WIDTH-1:0]         err_addr
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int AWF   = ADDR_WIDTH + 16 + QID_WIDTH;
    localparam int WWF   = LW + 16 + 1 + 512;
    localparam int BWF   = 1 + QID_WIDTH + ADDR_WIDTH;

    logic aw_reqs_s_ready, w_reqs_s_ready;
    logic req_accept;
    assign s_req_ready = aw_reqs_s_ready && w_reqs_s_ready && !flush;
    assign req_accept  = s_req_valid && s_req_ready;

    always_ff @(posedge clk) begin
        if (rst || flush) req_seq <= '0;
        else if (req_accept) req_seq <= req_seq + 1'b1;
    end

    // ---------------- AW side ----------------
    logic                  aw_reqs_m_valid, aw_reqs_m_ready;
    logic [AWF-1:0]        aw_reqs_m_data;
    logic [ADDR_WIDTH-1:0] aw_req_addr;
    logic [15:0]           aw_req_len;
    logic [QID_WIDTH-1:0]  aw_req_qid;
    logic [$clog2(REQ_DEPTH)+1:0] aw_reqs_count;
    vionic_fifo #(.WIDTH(AWF), .DEPTH(REQ_DEPTH)) u_aw_reqs (
        .clk(clk), .rst(rst || flush),
        .s_valid(req_accept), .s_ready(aw_reqs_s_ready), .s_data({s_req_addr, s_req_len, s_req_qid}),
        .m_valid(aw_reqs_m_valid), .m_ready(aw_reqs_m_ready), .m_data(aw_reqs_m_data), .count(aw_reqs_count));
    assign {aw_req_addr, aw_req_len, aw_req_qid} = aw_reqs_m_data;

    logic                  cur_active;
    logic [ADDR_WIDTH-1:0] cur_addr, cur_end, cur_start;
    logic [QID_WIDTH-1:0]  cur_qid;
    logic [ADDR_WIDTH-1:0] burst_addr, burst_end;
    logic [8:0]            beats;
    logic                  w_bursts_s_ready, b_bursts_s_ready, aw_load;

    assign aw_reqs_m_ready = aw_reqs_m_valid && !cur_active && !flush;

    vionic_burst #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH)) u_burst (
        .cur_addr(cur_addr), .cur_end(cur_end), .burst_addr(burst_addr), .burst_end(burst_end), .beats(beats));
    assign aw_load = cur_active && !flush && (!m_axi_awvalid || m_axi_awready) && w_bursts_s_ready && b_bursts_s_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            cur_active    <= 1'b0;
            m_axi_awvalid <= 1'b0;
        end else begin
            if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
            if (aw_reqs_m_ready) begin
                cur_active <= 1'b1;
                cur_addr   <= aw_req_addr;
                cur_start  <= aw_req_addr;
                cur_end    <= aw_req_addr + {{(ADDR_WIDTH-16){1'b0}}, aw_req_len};
                cur_qid    <= aw_req_qid;
            end
            if (aw_load) begin
                m_axi_awvalid <= 1'b1;
                m_axi_awaddr  <= burst_addr;
                m_axi_awlen   <= 8'(beats - 9'd1);
                cur_addr      <= burst_end;
                if (burst_end == cur_end) cur_active <= 1'b0;
            end
            if (flush) cur_active <= 1'b0;
        end
    end
    assign m_axi_awid = ID_WIDTH'(AXI_ID);

    // burst lengths for WLAST, and per-burst info for B
    logic       w_bursts_m_valid, w_bursts_m_ready;
    logic [8:0] w_burst_beats;
    logic [$clog2(BURST_DEPTH)+1:0] w_bursts_count, b_bursts_count;
    vionic_fifo #(.WIDTH(9), .DEPTH(BURST_DEPTH)) u_w_bursts (
        .clk(clk), .rst(rst),
        .s_valid(aw_load), .s_ready(w_bursts_s_ready), .s_data(beats),
        .m_valid(w_bursts_m_valid), .m_ready(w_bursts_m_ready), .m_data(w_burst_beats), .count(w_bursts_count));

    logic                  b_bursts_m_valid, b_burst_last;
    logic [BWF-1:0]        b_bursts_m_data;
    logic [QID_WIDTH-1:0]  b_burst_qid;
    logic [ADDR_WIDTH-1:0] b_burst_addr;
    vionic_fifo #(.WIDTH(BWF), .DEPTH(BURST_DEPTH)) u_b_bursts (
        .clk(clk), .rst(rst),
        .s_valid(aw_load), .s_ready(b_bursts_s_ready), .s_data({burst_end == cur_end, cur_qid, cur_start}),
        .m_valid(b_bursts_m_valid), .m_ready(m_axi_bvalid), .m_data(b_bursts_m_data), .count(b_bursts_count));
    assign {b_burst_last, b_burst_qid, b_burst_addr} = b_bursts_m_data;
    assign m_axi_bready = 1'b1;   // every B has its entry in u_b_bursts

    always_ff @(posedge clk) begin
        if (rst) begin
            done_cnt  <= '0;
            err_valid <= 1'b0;
        end else begin
            err_valid <= 1'b0;
            if (flush) done_cnt <= '0;
            else if (m_axi_bvalid && b_bursts_m_valid) begin
                if (b_burst_last) done_cnt <= done_cnt + 1'b1;
                if (m_axi_bresp[1]) begin
                    err_valid <= 1'b1;
                    err_qid   <= b_burst_qid;
                    err_addr  <= b_burst_addr;
                end
            end
        end
    end

    // ---------------- W side: slicer -> packer ----------------
    logic                  w_reqs_m_valid, w_reqs_m_ready;
    logic [WWF-1:0]        w_reqs_m_data;
    logic [LW-1:0]         w_req_off;
    logic [15:0]           w_req_len;
    logic                  w_req_inline;
    logic [511:0]          w_req_data;
    logic [$clog2(REQ_DEPTH)+1:0] w_reqs_count;
    vionic_fifo #(.WIDTH(WWF), .DEPTH(REQ_DEPTH)) u_w_reqs (
        .clk(clk), .rst(rst || flush),
        .s_valid(req_accept), .s_ready(w_reqs_s_ready),
        .s_data({s_req_addr[LW-1:0], s_req_len, s_req_inline, s_req_data}),
        .m_valid(w_reqs_m_valid), .m_ready(w_reqs_m_ready), .m_data(w_reqs_m_data), .count(w_reqs_count));
    assign {w_req_off, w_req_len, w_req_inline, w_req_data} = w_reqs_m_data;

    logic          slice_first;
    logic [15:0]   slice_left, bytes_left;
    logic [LW:0]   stream_pos;            // position in the current stream beat
    logic [5:0]    inline_beat;           // inline beat index
    logic [LW:0]   slice_avail, slice_bytes;
    logic [DATA_WIDTH-1:0] slice_data;
    logic [LW-1:0] slice_lo;
    logic          slice_valid, slice_ready, slice_last, slice_fire;
    logic [511:0]  inline_shifted;

    always_comb begin
        bytes_left     = slice_first ? w_req_len : slice_left;
        inline_shifted = '0;
        if (w_req_inline) begin
            inline_shifted = w_req_data >> {inline_beat, 3'b000, {LW{1'b0}}};   // only here (Verilator)
            slice_data  = inline_shifted[DATA_WIDTH-1:0];
            slice_lo    = '0;
            slice_avail = (LW+1)'(W);
            slice_valid = w_reqs_m_valid;
        end else begin
            slice_data  = s_stream_data;
            slice_lo    = stream_pos[LW-1:0];
            slice_avail = s_stream_bytes - stream_pos;
            slice_valid = w_reqs_m_valid && s_stream_valid;
        end
        slice_last  = (bytes_left <= {{(15-LW){1'b0}}, slice_avail});
        slice_bytes = slice_last ? bytes_left[LW:0] : slice_avail;
    end
    assign slice_fire     = slice_valid && slice_ready && !flush;
    assign w_reqs_m_ready = slice_fire && slice_last;
    assign s_stream_ready = slice_fire && !w_req_inline && ((stream_pos + slice_bytes) == s_stream_bytes);

    always_ff @(posedge clk) begin
        if (rst || flush) begin
            slice_first <= 1'b1;
            slice_left  <= '0;
            stream_pos  <= '0;
            inline_beat <= '0;
        end else if (slice_fire) begin
            slice_first <= slice_last;
            slice_left  <= bytes_left - {{(15-LW){1'b0}}, slice_bytes};
            if (w_req_inline) inline_beat <= slice_last ? 6'd0 : inline_beat + 6'd1;
            else stream_pos <= ((stream_pos + slice_bytes) == s_stream_bytes) ? '0 : stream_pos + slice_bytes;
        end
    end

    logic                  pk_valid, pk_ready, pk_last, pk_user;
    logic [DATA_WIDTH-1:0] pk_data;
    logic [W-1:0]          pk_strb;
    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || flush),
        .s_valid(slice_valid && !flush), .s_ready(slice_ready), .s_data(slice_data), .s_lo(slice_lo),
        .s_hi({1'b0, slice_lo} + slice_bytes), .s_first(slice_first), .s_off(w_req_off), .s_last(slice_last), .s_user(1'b0), .s_pre(1'b0), .s_pre_data('0),
        .m_valid(pk_valid), .m_ready(pk_ready), .m_data(pk_data), .m_strb(pk_strb),
        .m_last(pk_last), .m_user(pk_user));

    // WLAST from the burst FIFO; during flush, open bursts are finished with null strobes
    logic [8:0] w_beat;
    assign m_axi_wvalid     = w_bursts_m_valid && (pk_valid || flush);
    assign m_axi_wdata      = pk_data;
    assign m_axi_wstrb      = flush ? '0 : pk_strb;
    assign m_axi_wlast      = (w_beat == w_burst_beats - 9'd1);
    assign pk_ready         = w_bursts_m_valid && m_axi_wready;
    assign w_bursts_m_ready = m_axi_wvalid && m_axi_wready && m_axi_wlast;

    always_ff @(posedge clk) begin
        if (rst) w_beat <= '0;
        else if (m_axi_wvalid && m_axi_wready) w_beat <= m_axi_wlast ? 9'd0 : w_beat + 9'd1;
    end

    assign busy = m_axi_awvalid || w_bursts_m_valid || b_bursts_m_valid || (w_bursts_count != 0) || (b_bursts_count != 0);

    logic unused_ok;
    assign unused_ok = ^{aw_reqs_count, w_reqs_count, pk_last, pk_user, m_axi_bresp[0], cur_addr[LW-1:0], inline_shifted};
endmodule

`default_nettype wire
