// vionic_rxq: receive pipeline of one RX virtqueue.
// s_axis_rx -> frame store (whole frames; frames longer than MTU + 14 or with
// tuser set are marked bad and only their last beat is kept) -> per frame a
// decision: write into the next avail buffer chain, or drop (queue not
// running, bad frame, `drop` in its metadata, no buffer, buffer too small)
// counted in DROPS. Written frames get a 12-byte virtio_net_hdr (flags from
// the frame's metadata, the rest zero, num_buffers = 1) in front;
// the byte stream goes to the DMA write engine, one request per descriptor.
// After the write requests are accepted a used entry (head, 12 + len) follows.
// A frame is counted (PACKETS/BYTES, and in `delivered`, which bounds the used
// entries the used-ring writer may write) only once its data writes completed
// without error; a failed write (reported by the core with the descriptor and
// its buffer address, the request address) stops the counting, so the used
// entry of the failed chain is never written nor published.
// The frames come from the RX offload stages, whole (a frame cut by a device
// reset is skipped in front of them), and one metadata s_meta_* per frame,
// taken after the frame's last beat was stored (the end of the RX stages).
// suspend: every frame that reaches the decision is dropped (DROPS; the MAC
// side never waits for it); a frame being written is finished; `quiet` once
// no frame is being written or waits for its data writes to complete.
`default_nettype none

module vionic_rxq #(
    parameter int DATA_WIDTH = 64,                            // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,                            // address width
    parameter int MTU        = vionic_pkg::VIONIC_DEFAULT_MTU, // largest frame = MTU + 14 bytes
    parameter int FIFO_BYTES = 8192,                          // frame store size (>= 2 largest frames)
    parameter int INFO_DEPTH = 64,                            // frames in the frame store
    parameter int DONE_DEPTH = 64                             // frames between used entry and data write completion
) (
    input  wire logic                          clk,
    input  wire logic                          rst,
    input  wire logic                          clear,
    input  wire logic                          run,
    input  wire logic                          suspend,          // start no frame: drop them (SUSPEND)
    output      logic                          quiet,            // no frame being written or completing
    // MAC
    input  wire logic [DATA_WIDTH-1:0]         s_axis_rx_tdata,
    input  wire logic [DATA_WIDTH/8-1:0]       s_axis_rx_tkeep,
    input  wire logic                          s_axis_rx_tvalid,
    output      logic                          s_axis_rx_tready,
    input  wire logic                          s_axis_rx_tlast,
    input  wire logic                          s_axis_rx_tuser,
    input  wire logic                          s_meta_valid,     // one per frame, after its last beat
    output      logic                          s_meta_ready,
    input  wire vionic_pkg::meta_t             s_meta_data,
    // buffers from vionic_fetch
    input  wire logic                          s_chain_valid,
    output      logic                          s_chain_ready,
    input  wire logic [15:0]                   s_chain_head,
    input  wire logic [31:0]                   s_chain_total,
    input  wire logic [15:0]                   s_chain_nseg,
    input  wire logic                          s_seg_valid,
    output      logic                          s_seg_ready,
    input  wire logic [ADDR_WIDTH-1:0]         s_seg_addr,
    input  wire logic [31:0]                   s_seg_len,
    input  wire logic [15:0]                   s_seg_idx,
    output      logic                          need,
    input  wire logic                          dry,
    // DMA write requests (stream source) and the stream
    output      logic                          m_wr_req_valid,
    input  wire logic                          m_wr_req_ready,
    output      logic [ADDR_WIDTH-1:0]         m_wr_req_addr,
    output      logic [15:0]                   m_wr_req_len,
    output      logic [15:0]                   m_wr_req_desc,    // descriptor written (error report)
    input  wire logic [15:0]                   wr_seq,           // DMA write engine: sequence of the accepted request
    input  wire logic [15:0]                   wr_done,          // DMA write engine: requests completed
    input  wire logic                          wr_err,           // a write of this queue failed (B error)
    output      logic                          m_stream_valid,
    input  wire logic                          m_stream_ready,
    output      logic [DATA_WIDTH-1:0]         m_stream_data,
    output      logic [$clog2(DATA_WIDTH/8):0] m_stream_bytes,
    // used entries
    output      logic                          m_used_valid,
    input  wire logic                          m_used_ready,
    output      logic [15:0]                   m_used_id,
    output      logic [31:0]                   m_used_len,
    // counters (one-cycle pulses)
    output      logic                          cnt_pkt,
    output      logic [15:0]                   cnt_bytes,
    output      logic                          cnt_drop,
    output      logic [vionic_pkg::STAGES*vionic_pkg::STAGE_COUNTERS-1:0] cnt_stage, // RX stage events of a frame written
    output      logic [15:0]                   delivered         // frames counted since clear
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int MAX_FRAME = MTU + vionic_pkg::ETH_HDR_LEN;
    localparam int DEPTH     = FIFO_BYTES / W;
    localparam int HDR_LEN   = vionic_pkg::VIONIC_NET_HDR_LEN;
    // DATA_WIDTH >= 128: the header is merged into the first frame beat by the
    // packer (prefix); DATA_WIDTH 64: it is sent as two header beats first.
    localparam bit HDR_PREFIX = (W >= 16);
    localparam int HDR_BEATS  = HDR_PREFIX ? 0 : (HDR_LEN + W - 1) / W;   // separate header beats

    // ---------------- front: frame store ----------------
    logic [LW:0]  beat_bytes;
    logic [15:0]  frame_bytes, frame_bytes_next;
    logic         frame_oversize;
    logic         data_s_ready, info_s_ready, rx_beat, store;
    always_comb begin
        beat_bytes = '0;
        for (int j = 0; j < W; j++) beat_bytes = beat_bytes + {{LW{1'b0}}, s_axis_rx_tkeep[j]};
        frame_bytes_next = frame_bytes + {{(15-LW){1'b0}}, beat_bytes};
    end
    assign s_axis_rx_tready = clear || (data_s_ready && info_s_ready);
    assign rx_beat          = s_axis_rx_tvalid && s_axis_rx_tready;
    assign store            = rx_beat && !clear && (!frame_oversize || s_axis_rx_tlast);

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            frame_bytes    <= '0;
            frame_oversize <= 1'b0;
        end else begin
            if (rx_beat) begin
                if (s_axis_rx_tlast) begin
                    frame_bytes    <= '0;
                    frame_oversize <= 1'b0;
                end else begin
                    frame_bytes <= frame_bytes_next;
                    if (frame_bytes_next > 16'(MAX_FRAME)) frame_oversize <= 1'b1;
                end
            end
        end
    end

    logic                  data_m_valid, data_m_ready, data_m_last;
    logic [DATA_WIDTH-1:0] data_m_data;
    logic [LW:0]           data_m_bytes;
    logic [$clog2(DEPTH)+1:0] data_count;
    vionic_fifo #(.WIDTH(DATA_WIDTH + LW + 2), .DEPTH(DEPTH)) u_data (
        .clk(clk), .rst(rst || clear), .s_valid(store), .s_ready(data_s_ready),
        .s_data({s_axis_rx_tdata, beat_bytes, s_axis_rx_tlast}),
        .m_valid(data_m_valid), .m_ready(data_m_ready), .m_data({data_m_data, data_m_bytes, data_m_last}), .count(data_count));

    logic        info_m_valid, info_m_ready, info_m_bad;
    logic [15:0] info_m_len;
    logic [$clog2(INFO_DEPTH)+1:0] info_count;
    vionic_fifo #(.WIDTH(17), .DEPTH(INFO_DEPTH)) u_info (
        .clk(clk), .rst(rst || clear), .s_valid(store && s_axis_rx_tlast), .s_ready(info_s_ready),
        .s_data({frame_bytes_next, frame_oversize || (frame_bytes_next > 16'(MAX_FRAME)) || s_axis_rx_tuser || (frame_bytes_next == 0)}),
        .m_valid(info_m_valid), .m_ready(info_m_ready), .m_data({info_m_len, info_m_bad}), .count(info_count));

    // metadata: one is taken per frame stored (the source may offer them ahead)
    logic              meta_s_ready, meta_m_valid;
    vionic_pkg::meta_t meta_m;
    logic [$clog2(INFO_DEPTH)+1:0] meta_count, meta_owed;
    assign s_meta_ready = (meta_owed != 0) && meta_s_ready;
    always_ff @(posedge clk) begin
        if (rst || clear) meta_owed <= '0;
        else meta_owed <= meta_owed + {{($clog2(INFO_DEPTH)+1){1'b0}}, store && s_axis_rx_tlast} -
                          {{($clog2(INFO_DEPTH)+1){1'b0}}, s_meta_valid && s_meta_ready};
    end
    vionic_fifo #(.WIDTH(vionic_pkg::META_BITS), .DEPTH(INFO_DEPTH)) u_meta (
        .clk(clk), .rst(rst || clear), .s_valid(s_meta_valid && s_meta_ready), .s_ready(meta_s_ready),
        .s_data(s_meta_data), .m_valid(meta_m_valid), .m_ready(info_m_ready), .m_data(meta_m),
        .count(meta_count));

    // ---------------- decision engine ----------------
    logic        cmds_s_ready;
    logic        writing, cmd_push, cmd_drop, drop_now, take_buf;
    logic [15:0] segs_left;
    logic [15:0] bytes_left, frame_head, frame_len;
    logic [31:0] write_len;
    logic        used_pending, used_fire, done_s_ready;
    logic [15:0] last_wr_seq, frame_last_seq;
    logic [16:0] buffer_need;

    assign buffer_need = {1'b0, info_m_len} + 17'(HDR_LEN);
    always_comb begin
        drop_now = 1'b0;
        take_buf = 1'b0;
        need     = 1'b0;
        if (!writing && (!used_pending || used_fire) && info_m_valid && meta_m_valid && cmds_s_ready) begin
            if (!run || suspend || info_m_bad || meta_m.drop) drop_now = 1'b1;
            else if (s_chain_valid) begin
                if (s_chain_total < {15'd0, buffer_need}) drop_now = 1'b1;
                else take_buf = 1'b1;
            end else if (dry) drop_now = 1'b1;
            else need = 1'b1;
        end
    end
    assign info_m_ready  = drop_now || take_buf;
    assign s_chain_ready = take_buf;
    assign cmd_push      = info_m_ready;
    assign cmd_drop      = drop_now;

    // the buffer chain is taken together with its first segment
    logic        eff_writing;
    logic [15:0] eff_left;
    logic [15:0] eff_bytes_left;
    assign eff_writing    = writing || take_buf;
    assign eff_left       = writing ? segs_left : s_chain_nseg;
    assign eff_bytes_left = writing ? bytes_left : buffer_need[15:0];
    assign write_len      = (s_seg_len < {16'd0, eff_bytes_left}) ? s_seg_len : {16'd0, eff_bytes_left};
    assign m_wr_req_valid = eff_writing && s_seg_valid && (write_len != 0);
    assign m_wr_req_addr  = s_seg_addr;
    assign m_wr_req_len   = write_len[15:0];
    assign m_wr_req_desc  = s_seg_idx;
    assign s_seg_ready    = eff_writing && s_seg_valid && ((write_len == 0) || m_wr_req_ready);
    assign m_used_valid   = used_pending && done_s_ready;
    assign used_fire      = m_used_valid && m_used_ready;
    assign m_used_id      = frame_head;
    assign m_used_len     = {16'd0, frame_len} + 32'(HDR_LEN);

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            writing        <= 1'b0;
            segs_left      <= '0;
            bytes_left     <= '0;
            frame_head     <= '0;
            frame_len      <= '0;
            used_pending   <= 1'b0;
            cnt_drop       <= 1'b0;
            cnt_stage      <= '0;
            last_wr_seq    <= '0;
            frame_last_seq <= '0;
        end else begin
            cnt_drop  <= drop_now;
            // the RX stages' events count for a frame written into a buffer (as the model)
            cnt_stage <= take_buf ? meta_m.events : '0;
            if (used_fire) used_pending <= 1'b0;
            if (m_wr_req_valid && m_wr_req_ready) last_wr_seq <= wr_seq;
            if (take_buf) begin
                writing    <= 1'b1;
                segs_left  <= s_chain_nseg;
                bytes_left <= buffer_need[15:0];
                frame_head <= s_chain_head;
                frame_len  <= info_m_len;
            end
            if (s_seg_valid && s_seg_ready) begin
                bytes_left <= eff_bytes_left - write_len[15:0];
                segs_left  <= eff_left - 16'd1;
                if (eff_left == 16'd1) begin
                    writing        <= 1'b0;
                    used_pending   <= 1'b1;
                    frame_last_seq <= (m_wr_req_valid && m_wr_req_ready) ? wr_seq : last_wr_seq;
                end
            end
        end
    end

    // ---------------- delivery count ----------------
    // A frame counts in PACKETS/BYTES once all its data writes have completed
    // (done counter past its last request); once a write of the queue failed,
    // no frame counts any more (the queue is stopped, the frame not delivered).
    logic        done_m_valid, done_m_ready, failed;
    logic [15:0] done_m_seq, done_m_len, done_dist;
    logic [$clog2(DONE_DEPTH)+1:0] done_count;
    vionic_fifo #(.WIDTH(32), .DEPTH(DONE_DEPTH)) u_done (
        .clk(clk), .rst(rst || clear), .s_valid(used_fire), .s_ready(done_s_ready), .s_data({frame_last_seq, frame_len}),
        .m_valid(done_m_valid), .m_ready(done_m_ready), .m_data({done_m_seq, done_m_len}), .count(done_count));
    assign done_dist    = wr_done - done_m_seq - 1'b1;   // < 0x8000: the frame's last write completed
    assign done_m_ready = done_m_valid && !done_dist[15];
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            failed    <= 1'b0;
            cnt_pkt   <= 1'b0;
            cnt_bytes <= '0;
            delivered <= '0;
        end else begin
            if (wr_err) failed <= 1'b1;
            cnt_pkt <= done_m_ready && !failed && !wr_err;
            if (done_m_ready) cnt_bytes <= done_m_len;
            if (done_m_ready && !failed && !wr_err) delivered <= delivered + 16'd1;
        end
    end

    // ---------------- stream unit: header insertion / discard ----------------
    logic       cmds_m_valid, cmds_m_drop, cmds_m_ready;
    logic [7:0] cmds_m_flags;              // virtio_net_hdr.flags of the frame
    logic [$clog2(16)+1:0] cmds_count;
    vionic_fifo #(.WIDTH(9), .DEPTH(16)) u_cmd (
        .clk(clk), .rst(rst || clear), .s_valid(cmd_push), .s_ready(cmds_s_ready), .s_data({meta_m.flags, cmd_drop}),
        .m_valid(cmds_m_valid), .m_ready(cmds_m_ready), .m_data({cmds_m_flags, cmds_m_drop}), .count(cmds_count));

    logic [1:0]            hdr_beats_sent;          // header beats sent for the current frame
    logic                  in_hdr;
    logic [DATA_WIDTH-1:0] hdr_data;
    logic [LW:0]           hdr_bytes_hi;
    logic                  pk_s_valid, pk_s_ready, pk_first, pk_last;
    logic [DATA_WIDTH-1:0] pk_s_data;
    logic [LW:0]           pk_s_hi;
    logic [W-1:0]          pk_strb;
    logic                  pk_m_last, pk_m_user;

    always_comb begin
        hdr_data = '0;
        for (int j = 0; j < W; j++) begin
            if ((32'(hdr_beats_sent) * W + j) == vionic_pkg::NET_HDR_NUM_BUFFERS)
                hdr_data[8*j +: 8] = 8'd1;   // num_buffers = 1
            if ((32'(hdr_beats_sent) * W + j) == 0) hdr_data[8*j +: 8] = cmds_m_flags;
        end
        hdr_bytes_hi = ((32'(hdr_beats_sent) + 1) * W <= HDR_LEN) ? (LW+1)'(W) :
                       (LW+1)'(HDR_LEN - 32'(hdr_beats_sent) * W);
    end
    logic frame_start;
    generate
        if (HDR_BEATS == 0) begin : g_nohdr
            assign in_hdr = 1'b0;
        end else begin : g_hdr
            assign in_hdr = (32'(hdr_beats_sent) < HDR_BEATS);
        end
    endgenerate
    assign pk_s_valid   = cmds_m_valid && !cmds_m_drop && (in_hdr || data_m_valid);
    assign pk_s_data    = in_hdr ? hdr_data : data_m_data;
    assign pk_s_hi      = in_hdr ? hdr_bytes_hi : data_m_bytes;
    assign pk_first     = HDR_PREFIX ? frame_start : (hdr_beats_sent == 2'd0);
    assign pk_last      = !in_hdr && data_m_last;
    assign data_m_ready = cmds_m_valid && (cmds_m_drop || (!in_hdr && pk_s_ready));
    assign cmds_m_ready = data_m_valid && data_m_ready && data_m_last;

    always_ff @(posedge clk) begin
        if (rst || clear) hdr_beats_sent <= '0;
        else if (cmds_m_ready) hdr_beats_sent <= '0;
        else if (pk_s_valid && pk_s_ready && in_hdr) hdr_beats_sent <= hdr_beats_sent + 2'd1;
    end
    always_ff @(posedge clk) begin
        if (rst || clear) frame_start <= 1'b1;
        else if (cmds_m_ready) frame_start <= 1'b1;
        else if (pk_s_valid && pk_s_ready) frame_start <= 1'b0;
    end
    logic [DATA_WIDTH-1:0] hdr_prefix;
    always_comb begin
        hdr_prefix = '0;
        for (int j = 0; j < W; j++)
            if (j == vionic_pkg::NET_HDR_NUM_BUFFERS) hdr_prefix[8*j +: 8] = 8'd1;   // num_buffers = 1
        hdr_prefix[7:0] = cmds_m_flags;
    end

    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(pk_s_valid), .s_ready(pk_s_ready), .s_data(pk_s_data), .s_lo('0), .s_hi(pk_s_hi),
        .s_first(pk_first), .s_off(HDR_PREFIX ? LW'(HDR_LEN) : '0), .s_last(pk_last), .s_user(1'b0),
        .s_pre(HDR_PREFIX && frame_start), .s_pre_data(hdr_prefix),
        .m_valid(m_stream_valid), .m_ready(m_stream_ready), .m_data(m_stream_data), .m_strb(pk_strb),
        .m_last(pk_m_last), .m_user(pk_m_user));
    always_comb begin
        m_stream_bytes = '0;
        for (int j = 0; j < W; j++) m_stream_bytes = m_stream_bytes + {{LW{1'b0}}, pk_strb[j]};
    end

    assign quiet = !writing && !used_pending && (done_count == 0);

    logic unused_ok;
    assign unused_ok = ^{done_dist[14:0], data_count, info_count, cmds_count, pk_m_last, pk_m_user, meta_count,
                         meta_m.qid, meta_m.len, meta_m.csum_start, meta_m.csum_offset,
                         write_len[31:16], s_chain_total[31:17]};
endmodule

`default_nettype wire
