// vionic_rxq: receive pipeline of one RX virtqueue.
// s_axis_rx -> frame store (whole frames; frames longer than MTU + 14 or with
// tuser set are marked bad and only their last beat is kept) -> per frame a
// decision: write into the next avail buffer chain, or drop (queue not
// running, bad frame, no buffer, buffer too small) counted in DROPS. Written
// frames get a 12-byte virtio_net_hdr (all zero, num_buffers = 1) in front;
// the byte stream goes to the DMA write engine, one request per descriptor.
// After the write requests are accepted a used entry (head, 12 + len) follows.
// A frame is counted (PACKETS/BYTES) only once its data writes completed
// without error; a failed write (reported by the core with the descriptor and
// its buffer address, the request address) stops the counting.
module vionic_rxq #(
    parameter int DATA_WIDTH = 64,    // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,    // address width
    parameter int MTU        = 1500,  // largest frame = MTU + 14 bytes
    parameter int FIFO_BYTES = 8192,  // frame store size (>= 2 largest frames)
    parameter int INFO_DEPTH = 64,    // frames in the frame store
    parameter int CF_DEPTH   = 64     // frames between used entry and data write completion
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    clear,
    input  logic                    run,
    // MAC
    input  logic [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  logic [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  logic                    s_axis_rx_tvalid,
    output logic                    s_axis_rx_tready,
    input  logic                    s_axis_rx_tlast,
    input  logic                    s_axis_rx_tuser,
    // buffers from vionic_fetch
    input  logic                    ch_valid,
    output logic                    ch_ready,
    input  logic [15:0]             ch_head,
    input  logic [31:0]             ch_total,
    input  logic [7:0]              ch_nseg,
    input  logic                    sg_valid,
    output logic                    sg_ready,
    input  logic [ADDR_WIDTH-1:0]   sg_addr,
    input  logic [31:0]             sg_len,
    input  logic [15:0]             sg_idx,
    output logic                    need,
    input  logic                    dry,
    // DMA write requests (stream source) and the stream
    output logic                    wr_req_valid,
    input  logic                    wr_req_ready,
    output logic [ADDR_WIDTH-1:0]   wr_req_addr,
    output logic [15:0]             wr_req_len,
    output logic [15:0]             wr_req_desc,   // descriptor written (error report)
    input  logic [15:0]             wr_seq,        // DMA write engine: sequence of the accepted request
    input  logic [15:0]             wr_done,       // DMA write engine: requests completed
    input  logic                    wr_err,        // a write of this queue failed (B error)
    output logic                    st_valid,
    input  logic                    st_ready,
    output logic [DATA_WIDTH-1:0]   st_data,
    output logic [$clog2(DATA_WIDTH/8):0] st_bytes,
    // used entries
    output logic                    cp_valid,
    input  logic                    cp_ready,
    output logic [15:0]             cp_id,
    output logic [31:0]             cp_len,
    // counters (one-cycle pulses)
    output logic                    cnt_pkt,
    output logic [15:0]             cnt_bytes,
    output logic                    cnt_drop
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int MAXF  = MTU + 14;
    localparam int DEPTH = FIFO_BYTES / W;
    // DATA_WIDTH >= 128: the header is merged into the first frame beat by the
    // packer (prefix); DATA_WIDTH 64: it is sent as two header beats first.
    localparam bit PRE   = (W >= 16);
    localparam int HB    = PRE ? 0 : (12 + W - 1) / W;   // separate header beats

    // ---------------- front: frame store ----------------
    logic [LW:0]  kbytes;
    logic [15:0]  fcnt, fnew;
    logic         over, skip, mid;
    logic         d_s_ready, i_s_ready, beat, store;
    always_comb begin
        kbytes = '0;
        for (int j = 0; j < W; j++) kbytes = kbytes + {{LW{1'b0}}, s_axis_rx_tkeep[j]};
        fnew = fcnt + {{(15-LW){1'b0}}, kbytes};
    end
    assign s_axis_rx_tready = clear || (d_s_ready && i_s_ready);
    assign beat  = s_axis_rx_tvalid && s_axis_rx_tready;
    assign store = beat && !clear && !skip && (!over || s_axis_rx_tlast);

    always_ff @(posedge clk) begin
        if (rst) begin
            fcnt <= '0; over <= 1'b0; skip <= 1'b0; mid <= 1'b0;
        end else begin
            if (beat) mid <= !s_axis_rx_tlast;
            if (clear) begin
                fcnt <= '0; over <= 1'b0;
                skip <= beat ? !s_axis_rx_tlast : mid;
            end else if (beat) begin
                if (skip) begin
                    if (s_axis_rx_tlast) skip <= 1'b0;
                end else if (s_axis_rx_tlast) begin
                    fcnt <= '0; over <= 1'b0;
                end else begin
                    fcnt <= fnew;
                    if (fnew > 16'(MAXF)) over <= 1'b1;
                end
            end
        end
    end

    logic                  fd_valid, fd_ready, fd_last;
    logic [DATA_WIDTH-1:0] fd_data;
    logic [LW:0]           fd_bytes;
    logic [$clog2(DEPTH)+1:0] fd_count;
    vionic_fifo #(.WIDTH(DATA_WIDTH + LW + 2), .DEPTH(DEPTH)) u_data (
        .clk(clk), .rst(rst || clear), .s_valid(store), .s_ready(d_s_ready),
        .s_data({s_axis_rx_tdata, kbytes, s_axis_rx_tlast}),
        .m_valid(fd_valid), .m_ready(fd_ready), .m_data({fd_data, fd_bytes, fd_last}), .count(fd_count));

    logic        fi_valid, fi_pop, fi_bad;
    logic [15:0] fi_len;
    logic [$clog2(INFO_DEPTH)+1:0] fi_count;
    vionic_fifo #(.WIDTH(17), .DEPTH(INFO_DEPTH)) u_info (
        .clk(clk), .rst(rst || clear), .s_valid(store && s_axis_rx_tlast), .s_ready(i_s_ready),
        .s_data({fnew, over || (fnew > 16'(MAXF)) || s_axis_rx_tuser || (fnew == 0)}),
        .m_valid(fi_valid), .m_ready(fi_pop), .m_data({fi_len, fi_bad}), .count(fi_count));

    // ---------------- decision engine ----------------
    logic        cm_s_ready;
    logic        busy, cmd_push, cmd_drop, drop_now, take_buf;
    logic [7:0]  seg_left;
    logic [15:0] remaining, cur_head, cur_len;
    logic [31:0] wl;
    logic        cp_pend, cp_go, cf_s_ready;
    logic [15:0] lseq, cur_seq;
    logic [16:0] need_len;

    assign need_len = {1'b0, fi_len} + 17'd12;
    always_comb begin
        drop_now = 1'b0;
        take_buf = 1'b0;
        need     = 1'b0;
        if (!busy && (!cp_pend || cp_go) && fi_valid && cm_s_ready) begin
            if (!run || fi_bad) drop_now = 1'b1;
            else if (ch_valid) begin
                if (ch_total < {15'd0, need_len}) drop_now = 1'b1;
                else take_buf = 1'b1;
            end else if (dry) drop_now = 1'b1;
            else need = 1'b1;
        end
    end
    assign fi_pop   = drop_now || take_buf;
    assign ch_ready = take_buf;
    assign cmd_push = fi_pop;
    assign cmd_drop = drop_now;

    // the buffer chain is taken together with its first segment
    logic        e_busy;
    logic [7:0]  e_left;
    logic [15:0] e_rem;
    assign e_busy = busy || take_buf;
    assign e_left = busy ? seg_left : ch_nseg;
    assign e_rem  = busy ? remaining : need_len[15:0];
    assign wl = (sg_len < {16'd0, e_rem}) ? sg_len : {16'd0, e_rem};
    assign wr_req_valid = e_busy && sg_valid && (wl != 0);
    assign wr_req_addr  = sg_addr;
    assign wr_req_len   = wl[15:0];
    assign wr_req_desc  = sg_idx;
    assign sg_ready     = e_busy && sg_valid && ((wl == 0) || wr_req_ready);
    assign cp_valid     = cp_pend && cf_s_ready;
    assign cp_go        = cp_valid && cp_ready;
    assign cp_id        = cur_head;
    assign cp_len       = {16'd0, cur_len} + 32'd12;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            busy <= 1'b0; seg_left <= '0; remaining <= '0; cur_head <= '0; cur_len <= '0;
            cp_pend <= 1'b0; cnt_drop <= 1'b0; lseq <= '0; cur_seq <= '0;
        end else begin
            cnt_drop <= drop_now;
            if (cp_go) cp_pend <= 1'b0;
            if (wr_req_valid && wr_req_ready) lseq <= wr_seq;
            if (take_buf) begin
                busy      <= 1'b1;
                seg_left  <= ch_nseg;
                remaining <= need_len[15:0];
                cur_head  <= ch_head;
                cur_len   <= fi_len;
            end
            if (sg_valid && sg_ready) begin
                remaining <= e_rem - wl[15:0];
                seg_left  <= e_left - 8'd1;
                if (e_left == 8'd1) begin
                    busy    <= 1'b0;
                    cp_pend <= 1'b1;
                    cur_seq <= (wr_req_valid && wr_req_ready) ? wr_seq : lseq;
                end
            end
        end
    end

    // ---------------- delivery count ----------------
    // A frame counts in PACKETS/BYTES once all its data writes have completed
    // (done counter past its last request); once a write of the queue failed,
    // no frame counts any more (the queue is stopped, the frame not delivered).
    logic        cf_valid, cf_pop, failed;
    logic [15:0] cf_seq, cf_len, cf_d;
    logic [$clog2(CF_DEPTH)+1:0] cf_count;
    vionic_fifo #(.WIDTH(32), .DEPTH(CF_DEPTH)) u_cnt (
        .clk(clk), .rst(rst || clear), .s_valid(cp_go), .s_ready(cf_s_ready), .s_data({cur_seq, cur_len}),
        .m_valid(cf_valid), .m_ready(cf_pop), .m_data({cf_seq, cf_len}), .count(cf_count));
    assign cf_d   = wr_done - cf_seq - 1'b1;   // < 0x8000: the frame's last write completed
    assign cf_pop = cf_valid && !cf_d[15];
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            failed <= 1'b0; cnt_pkt <= 1'b0; cnt_bytes <= '0;
        end else begin
            if (wr_err) failed <= 1'b1;
            cnt_pkt <= cf_pop && !failed && !wr_err;
            if (cf_pop) cnt_bytes <= cf_len;
        end
    end

    // ---------------- stream unit: header insertion / discard ----------------
    logic cm_valid, cm_drop, cm_pop;
    logic [$clog2(16)+1:0] cm_count;
    vionic_fifo #(.WIDTH(1), .DEPTH(16)) u_cmd (
        .clk(clk), .rst(rst || clear), .s_valid(cmd_push), .s_ready(cm_s_ready), .s_data(cmd_drop),
        .m_valid(cm_valid), .m_ready(cm_pop), .m_data(cm_drop), .count(cm_count));

    logic [1:0]            hk;          // header beats sent for the current frame
    logic                  in_hdr;
    logic [DATA_WIDTH-1:0] hdr_data;
    logic [LW:0]           hdr_hi;
    logic                  pk_s_valid, pk_s_ready, pk_first, pk_last;
    logic [DATA_WIDTH-1:0] pk_s_data;
    logic [LW:0]           pk_s_hi;
    logic [W-1:0]          pk_strb;
    logic                  pk_m_last, pk_m_user;

    always_comb begin
        hdr_data = '0;
        for (int j = 0; j < W; j++)
            if ((32'(hk) * W + j) == 10) hdr_data[8*j +: 8] = 8'd1;   // num_buffers = 1
        hdr_hi = ((32'(hk) + 1) * W <= 12) ? (LW+1)'(W) : (LW+1)'(12 - 32'(hk) * W);
    end
    logic fr_start;
    generate
        if (HB == 0) begin : g_nohdr
            assign in_hdr = 1'b0;
        end else begin : g_hdr
            assign in_hdr = (32'(hk) < HB);
        end
    endgenerate
    assign pk_s_valid = cm_valid && !cm_drop && (in_hdr || fd_valid);
    assign pk_s_data  = in_hdr ? hdr_data : fd_data;
    assign pk_s_hi    = in_hdr ? hdr_hi : fd_bytes;
    assign pk_first   = PRE ? fr_start : (hk == 2'd0);
    assign pk_last    = !in_hdr && fd_last;
    assign fd_ready   = cm_valid && (cm_drop || (!in_hdr && pk_s_ready));
    assign cm_pop     = fd_valid && fd_ready && fd_last;

    always_ff @(posedge clk) begin
        if (rst || clear) hk <= '0;
        else if (cm_pop) hk <= '0;
        else if (pk_s_valid && pk_s_ready && in_hdr) hk <= hk + 2'd1;
    end
    always_ff @(posedge clk) begin
        if (rst || clear) fr_start <= 1'b1;
        else if (cm_pop) fr_start <= 1'b1;
        else if (pk_s_valid && pk_s_ready) fr_start <= 1'b0;
    end
    logic [DATA_WIDTH-1:0] pre_data;
    always_comb begin
        pre_data = '0;
        for (int j = 0; j < W; j++) if (j == 10) pre_data[8*j +: 8] = 8'd1;   // num_buffers = 1
    end

    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(pk_s_valid), .s_ready(pk_s_ready), .s_data(pk_s_data), .s_lo('0), .s_hi(pk_s_hi),
        .s_first(pk_first), .s_off(PRE ? LW'(12) : '0), .s_last(pk_last), .s_user(1'b0),
        .s_pre(PRE && fr_start), .s_pre_data(pre_data),
        .m_valid(st_valid), .m_ready(st_ready), .m_data(st_data), .m_strb(pk_strb),
        .m_last(pk_m_last), .m_user(pk_m_user));
    always_comb begin
        st_bytes = '0;
        for (int j = 0; j < W; j++) st_bytes = st_bytes + {{LW{1'b0}}, pk_strb[j]};
    end

    logic unused_ok;
    assign unused_ok = ^{cf_count, cf_d[14:0], fd_count, fi_count, cm_count, pk_m_last, pk_m_user, wl[31:16], ch_total[31:17]};
endmodule
