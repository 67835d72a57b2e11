// vionic_dma_wr: AXI4 write DMA engine (one AWID, so B returns in order).
// Each request writes req_len bytes at req_addr, either from the packed byte
// stream st_* (consumed exactly req_len bytes per request, possibly splitting
// a stream beat across requests) or from req_inline (up to 64 bytes).
// Requests are split into INCR bursts at 4 KiB and 256 beats; the data is
// realigned to the address with vionic_pack. Requests complete in order:
// done_cnt counts completed requests (all B of a request received), req_seq is
// the sequence number the next accepted request gets. A B error response is
// reported on err_* with the request's queue id and the request's start
// address (req_addr), whichever of its bursts failed.
module vionic_dma_wr #(
    parameter int DATA_WIDTH = 64,   // AXI data width in bits (64..512)
    parameter int ADDR_WIDTH = 64,   // AXI address width
    parameter int ID_WIDTH   = 4,    // AXI ID width
    parameter int AXI_ID     = 0,    // AWID used by this engine
    parameter int QID_WIDTH  = 4,    // width of the queue id carried for error reports
    parameter int REQ_DEPTH  = 8,    // queued requests
    parameter int BURST_DEPTH = 32   // bursts in flight (AW issued, B not yet received)
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    flush,        // drop queued work, finish open bursts with null strobes
    output logic                    busy,
    // requests
    input  logic                    req_valid,
    output logic                    req_ready,
    input  logic [ADDR_WIDTH-1:0]   req_addr,
    input  logic [15:0]             req_len,      // bytes, >= 1 (<= 64 for inline)
    input  logic                    req_inline,   // 1: data from req_data, 0: from st_*
    input  logic [511:0]            req_data,
    input  logic [QID_WIDTH-1:0]    req_qid,
    output logic [15:0]             req_seq,
    output logic [15:0]             done_cnt,
    // packed byte stream (bytes [0, st_bytes) valid)
    input  logic                    st_valid,
    output logic                    st_ready,
    input  logic [DATA_WIDTH-1:0]   st_data,
    input  logic [$clog2(DATA_WIDTH/8):0] st_bytes,
    // AXI4 write channels
    output logic [ID_WIDTH-1:0]     m_axi_awid,
    output logic [ADDR_WIDTH-1:0]   m_axi_awaddr,
    output logic [7:0]              m_axi_awlen,
    output logic                    m_axi_awvalid,
    input  logic                    m_axi_awready,
    output logic [DATA_WIDTH-1:0]   m_axi_wdata,
    output logic [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output logic                    m_axi_wlast,
    output logic                    m_axi_wvalid,
    input  logic                    m_axi_wready,
    input  logic [1:0]              m_axi_bresp,
    input  logic                    m_axi_bvalid,
    output logic                    m_axi_bready,
    // error report
    output logic                    err_valid,
    output logic [QID_WIDTH-1:0]    err_qid,
    output logic [ADDR_WIDTH-1:0]   err_addr
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int AWF   = ADDR_WIDTH + 16 + QID_WIDTH;
    localparam int WWF   = LW + 16 + 1 + 512;
    localparam int BWF   = 1 + QID_WIDTH + ADDR_WIDTH;

    logic aw_s_ready, w_s_ready;
    logic accept;
    assign req_ready = aw_s_ready && w_s_ready && !flush;
    assign accept    = req_valid && req_ready;

    always_ff @(posedge clk) begin
        if (rst || flush) req_seq <= '0;
        else if (accept) req_seq <= req_seq + 1'b1;
    end

    // ---------------- AW side ----------------
    logic                  awq_valid, awq_pop;
    logic [AWF-1:0]        awq_data;
    logic [ADDR_WIDTH-1:0] awq_addr;
    logic [15:0]           awq_len;
    logic [QID_WIDTH-1:0]  awq_qid;
    logic [$clog2(REQ_DEPTH)+1:0] awq_count;
    vionic_fifo #(.WIDTH(AWF), .DEPTH(REQ_DEPTH)) u_awq (
        .clk(clk), .rst(rst || flush),
        .s_valid(accept), .s_ready(aw_s_ready), .s_data({req_addr, req_len, req_qid}),
        .m_valid(awq_valid), .m_ready(awq_pop), .m_data(awq_data), .count(awq_count));
    assign {awq_addr, awq_len, awq_qid} = awq_data;

    logic                  cur_active;
    logic [ADDR_WIDTH-1:0] cur_addr, cur_end, cur_start;
    logic [QID_WIDTH-1:0]  cur_qid;
    logic [ADDR_WIDTH-1:0] a_al, bend;
    logic [8:0]            beats;
    logic                  wl_s_ready, b_s_ready, aw_load;

    assign awq_pop = awq_valid && !cur_active && !flush;

    vionic_burst #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH)) u_burst (
        .cur_addr(cur_addr), .cur_end(cur_end), .a_al(a_al), .bend(bend), .beats(beats));
    assign aw_load = cur_active && !flush && (!m_axi_awvalid || m_axi_awready) && wl_s_ready && b_s_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            cur_active    <= 1'b0;
            m_axi_awvalid <= 1'b0;
        end else begin
            if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
            if (awq_pop) begin
                cur_active <= 1'b1;
                cur_addr   <= awq_addr;
                cur_start  <= awq_addr;
                cur_end    <= awq_addr + {{(ADDR_WIDTH-16){1'b0}}, awq_len};
                cur_qid    <= awq_qid;
            end
            if (aw_load) begin
                m_axi_awvalid <= 1'b1;
                m_axi_awaddr  <= a_al;
                m_axi_awlen   <= 8'(beats - 9'd1);
                cur_addr      <= bend;
                if (bend == cur_end) cur_active <= 1'b0;
            end
            if (flush) cur_active <= 1'b0;
        end
    end
    assign m_axi_awid = ID_WIDTH'(AXI_ID);

    // burst lengths for WLAST, and per-burst info for B
    logic       wl_valid, wl_pop;
    logic [8:0] wl_beats;
    logic [$clog2(BURST_DEPTH)+1:0] wl_count, b_count;
    vionic_fifo #(.WIDTH(9), .DEPTH(BURST_DEPTH)) u_wl (
        .clk(clk), .rst(rst),
        .s_valid(aw_load), .s_ready(wl_s_ready), .s_data(beats),
        .m_valid(wl_valid), .m_ready(wl_pop), .m_data(wl_beats), .count(wl_count));

    logic                  b_valid, b_last;
    logic [BWF-1:0]        b_data;
    logic [QID_WIDTH-1:0]  b_qid;
    logic [ADDR_WIDTH-1:0] b_addr;
    vionic_fifo #(.WIDTH(BWF), .DEPTH(BURST_DEPTH)) u_b (
        .clk(clk), .rst(rst),
        .s_valid(aw_load), .s_ready(b_s_ready), .s_data({bend == cur_end, cur_qid, cur_start}),
        .m_valid(b_valid), .m_ready(m_axi_bvalid), .m_data(b_data), .count(b_count));
    assign {b_last, b_qid, b_addr} = b_data;
    assign m_axi_bready = 1'b1;   // every B has its entry in u_b

    always_ff @(posedge clk) begin
        if (rst) begin
            done_cnt  <= '0;
            err_valid <= 1'b0;
        end else begin
            err_valid <= 1'b0;
            if (flush) done_cnt <= '0;
            else if (m_axi_bvalid && b_valid) begin
                if (b_last) done_cnt <= done_cnt + 1'b1;
                if (m_axi_bresp[1]) begin
                    err_valid <= 1'b1;
                    err_qid   <= b_qid;
                    err_addr  <= b_addr;
                end
            end
        end
    end

    // ---------------- W side: slicer -> packer ----------------
    logic                  wq_valid, wq_pop;
    logic [WWF-1:0]        wq_data;
    logic [LW-1:0]         wq_off;
    logic [15:0]           wq_len;
    logic                  wq_inline;
    logic [511:0]          wq_inl;
    logic [$clog2(REQ_DEPTH)+1:0] wq_count;
    vionic_fifo #(.WIDTH(WWF), .DEPTH(REQ_DEPTH)) u_wq (
        .clk(clk), .rst(rst || flush),
        .s_valid(accept), .s_ready(w_s_ready),
        .s_data({req_addr[LW-1:0], req_len, req_inline, req_data}),
        .m_valid(wq_valid), .m_ready(wq_pop), .m_data(wq_data), .count(wq_count));
    assign {wq_off, wq_len, wq_inline, wq_inl} = wq_data;

    logic          w_first;
    logic [15:0]   w_rem, rem;
    logic [LW:0]   p;            // position in the current stream beat
    logic [5:0]    ib;           // inline beat index
    logic [LW:0]   avail, take;
    logic [DATA_WIDTH-1:0] sl_data;
    logic [LW-1:0] sl_lo;
    logic          sl_valid, sl_ready, sl_last, sl_fire;
    logic [511:0]  inl_sh;

    always_comb begin
        rem    = w_first ? wq_len : w_rem;
        inl_sh = wq_inl >> {ib, 3'b000, {LW{1'b0}}};
        if (wq_inline) begin
            sl_data  = inl_sh[DATA_WIDTH-1:0];
            sl_lo    = '0;
            avail    = (LW+1)'(W);
            sl_valid = wq_valid;
        end else begin
            sl_data  = st_data;
            sl_lo    = p[LW-1:0];
            avail    = st_bytes - p;
            sl_valid = wq_valid && st_valid;
        end
        sl_last = (rem <= {{(15-LW){1'b0}}, avail});
        take    = sl_last ? rem[LW:0] : avail;
    end
    assign sl_fire  = sl_valid && sl_ready && !flush;
    assign wq_pop   = sl_fire && sl_last;
    assign st_ready = sl_fire && !wq_inline && ((p + take) == st_bytes);

    always_ff @(posedge clk) begin
        if (rst || flush) begin
            w_first <= 1'b1;
            w_rem   <= '0;
            p       <= '0;
            ib      <= '0;
        end else if (sl_fire) begin
            w_first <= sl_last;
            w_rem   <= rem - {{(15-LW){1'b0}}, take};
            if (wq_inline) ib <= sl_last ? 6'd0 : ib + 6'd1;
            else p <= ((p + take) == st_bytes) ? '0 : p + take;
        end
    end

    logic                  pk_valid, pk_ready, pk_last, pk_user;
    logic [DATA_WIDTH-1:0] pk_data;
    logic [W-1:0]          pk_strb;
    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || flush),
        .s_valid(sl_valid && !flush), .s_ready(sl_ready), .s_data(sl_data), .s_lo(sl_lo),
        .s_hi({1'b0, sl_lo} + take), .s_first(w_first), .s_off(wq_off), .s_last(sl_last), .s_user(1'b0), .s_pre(1'b0), .s_pre_data('0),
        .m_valid(pk_valid), .m_ready(pk_ready), .m_data(pk_data), .m_strb(pk_strb),
        .m_last(pk_last), .m_user(pk_user));

    // WLAST from the burst FIFO; during flush, open bursts are finished with null strobes
    logic [8:0] wbeat;
    assign m_axi_wvalid = wl_valid && (pk_valid || flush);
    assign m_axi_wdata  = pk_data;
    assign m_axi_wstrb  = flush ? '0 : pk_strb;
    assign m_axi_wlast  = (wbeat == wl_beats - 9'd1);
    assign pk_ready     = wl_valid && m_axi_wready;
    assign wl_pop       = m_axi_wvalid && m_axi_wready && m_axi_wlast;

    always_ff @(posedge clk) begin
        if (rst) wbeat <= '0;
        else if (m_axi_wvalid && m_axi_wready) wbeat <= m_axi_wlast ? 9'd0 : wbeat + 9'd1;
    end

    assign busy = m_axi_awvalid || wl_valid || b_valid || (wl_count != 0) || (b_count != 0);

    logic unused_ok;
    assign unused_ok = ^{awq_count, wq_count, pk_last, pk_user, m_axi_bresp[0], cur_addr[LW-1:0], inl_sh};
endmodule
