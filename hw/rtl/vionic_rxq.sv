// vionic_rxq: receive pipeline of one RX virtqueue.
// s_axis_rx -> frame store (whole frames; frames longer than max_frame, the
// MTU register + 14, or with tuser set are marked bad and only their last beat
// is kept) -> per frame a decision: write it into avail buffer chains, or drop
// it (queue not running, bad frame, `drop` in its metadata, not enough buffer
// space) counted in DROPS; a dropped frame takes no chain. Written frames get
// a 12-byte virtio_net_hdr (flags from the frame's metadata, num_buffers = the
// chains used, the rest zero) in front; with hash_report (a HASH build) the
// 20-byte virtio_net_hdr_v1_hash, also le32 hash_value and le16 hash_report
// from the metadata; header and frame are one byte stream to the DMA write
// engine, one request per descriptor.
// Without MRG_RXBUF a frame needs one chain of at least header + len bytes. With
// it (mrg) the stream fills the chains in ring order, each one whole before
// the next, the last one gets the rest: the fewest chains that hold it, at
// most VIONIC_RX_MAX_BUFFERS (regs.h). Each chain gets a used entry (head,
// bytes written into it, m_used_last on the frame's last) once its write
// requests are accepted.
// A frame is counted (PACKETS/BYTES once, and its used entries in
// `delivered`, which bounds the used entries the used-ring writer may write)
// only once its data writes completed without error; a failed write (reported
// by the core with the descriptor and its buffer address, the request
// address) stops the counting, so no used entry of the failed frame is ever
// written nor published.
// The frames come from the RX offload stages, whole (a frame cut by a device
// reset is skipped in front of them), and one metadata s_meta_* per frame,
// taken after the frame's last beat was stored (the end of the RX stages).
// suspend: every frame that reaches the decision is dropped (DROPS; the MAC
// side never waits for it); a frame being written is finished (its chains
// were reserved before it started); `quiet` once no frame is being written or
// waits for its data writes to complete.
`default_nettype none

module vionic_rxq #(
    parameter int DATA_WIDTH = 64,                            // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,                            // address width
    parameter int FIFO_BYTES = 8192,                          // frame store size (>= 2 largest frames, power of two)
    parameter int INFO_DEPTH = 64,                            // frames in the frame store
    parameter int DONE_DEPTH = 64,                            // frames between used entry and data write completion
    parameter bit HASH       = 0                              // hash_report may be negotiated (N > 1)
) (
    input  wire logic                          clk,
    input  wire logic                          rst,
    input  wire logic                          clear,
    input  wire logic                          run,
    input  wire logic                          suspend,          // start no frame: drop them (SUSPEND)
    output      logic                          quiet,            // no frame being written or completing
    input  wire logic [15:0]                   max_frame,        // largest frame: MTU register + 14 bytes
    input  wire logic                          mrg,              // VIRTIO_NET_F_MRG_RXBUF negotiated
    input  wire logic                          hash_report,      // VIRTIO_NET_F_HASH_REPORT: 20-byte header (HASH)
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
    output      logic                          need,             // a frame waits for more chains
    input  wire logic                          dry,              // the fetch engine has no more chains
    input  wire logic                          seg_full,         // ... nor can make one before segments are taken
    // DMA write requests (stream source) and the stream
    output      logic                          m_wr_req_valid,
    input  wire logic                          m_wr_req_ready,
    output      logic [ADDR_WIDTH-1:0]         m_wr_req_addr,
    output      logic [15:0]                   m_wr_req_len,
    output      logic [15:0]                   m_wr_req_desc,    // descriptor written (error report)
    output      logic                          m_wr_req_last,    // the frame's last request: its stream ends on a beat
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
    output      logic                          m_used_last,      // the frame's last used entry
    // counters (one-cycle pulses)
    output      logic                          cnt_pkt,
    output      logic [15:0]                   cnt_bytes,
    output      logic                          cnt_drop,
    output      logic [vionic_pkg::STAGES*vionic_pkg::STAGE_COUNTERS-1:0] cnt_stage, // RX stage events of a frame written
    output      logic [15:0]                   delivered         // used entries of the frames counted since clear
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int DEPTH     = FIFO_BYTES / W;
    localparam int HDR_LEN   = vionic_pkg::VIONIC_NET_HDR_LEN;
    localparam int HDR_MAX   = HASH ? vionic_pkg::VIONIC_NET_HDR_HASH_LEN : HDR_LEN;
    // constant 12 in a one-pair build
    logic [4:0] hdr_len;
    assign hdr_len = (HASH && hash_report) ? 5'(vionic_pkg::VIONIC_NET_HDR_HASH_LEN) : 5'(HDR_LEN);
    // A beat wider than the longest header: it is merged into the first frame
    // beat by the packer (prefix); else it is sent as header beats first
    // (DATA_WIDTH 64: 2, 3 with the hash; 128 in a HASH build: 1 or 2).
    localparam bit HDR_PREFIX = (W > HDR_MAX);
    localparam int HDR_BEATS      = (HDR_LEN + W - 1) / W;
    localparam int HDR_HASH_BEATS = (vionic_pkg::VIONIC_NET_HDR_HASH_LEN + W - 1) / W;
    logic [1:0] hdr_beats;
    assign hdr_beats = (HASH && hash_report) ? 2'(HDR_HASH_BEATS) : 2'(HDR_BEATS);

    // ---------------- front: frame store ----------------
    logic [LW:0]  beat_bytes;
    logic [15:0]  frame_bytes, frame_bytes_next;
    logic         frame_oversize;
    logic         data_s_ready, info_s_ready, rx_beat, store;
    always_comb begin
        beat_bytes = (LW+1)'($countones(s_axis_rx_tkeep));
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
                    if (frame_bytes_next > max_frame) frame_oversize <= 1'b1;
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
        .s_data({frame_bytes_next, frame_oversize || (frame_bytes_next > max_frame) || s_axis_rx_tuser || (frame_bytes_next == 0)}),
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
    // A frame needs N = 12 + len bytes. Chain records taken from the fetch
    // engine wait in the reservation FIFO (res_*) until a frame uses them;
    // for each frame the smallest prefix of them (in ring order, taking more
    // from the fetch engine while short) whose totals reach N is found, one
    // record per cycle. Found (at most VIONIC_RX_MAX_BUFFERS chains, one
    // without MRG_RXBUF): the frame is written over those chains. Not found
    // (the fetch engine dry, or the limit reached): dropped, and the records
    // stay for the next frames. A frame that the first chain holds, with none
    // reserved, takes that chain straight from the fetch engine.
    localparam int NB  = vionic_pkg::VIONIC_RX_MAX_BUFFERS;
    localparam int NBW = $clog2(NB);
    localparam int TW  = 17;                          // a chain total as kept: saturated, above any N

    logic [15:0]   res_head  [0:NB-1];
    logic [TW-1:0] res_total [0:NB-1];
    logic [15:0]   res_nseg  [0:NB-1];
    logic [NBW:0]  res_rd, res_wr, res_count;
    logic          res_push, res_pop;
    assign res_count = res_wr - res_rd;

    logic          cmds_s_ready;
    logic          writing, chain_active, cmd_push, drop_now, start, scan_step, need_more;
    logic [NBW:0]  scan_k, k_new, chains_left, frame_nbuf;   // chains scanned / of the frame / left to write
    logic [TW:0]   scan_acc, acc_new;                         // their totals (< N before the last)
    logic          scan_in_res;                               // the next record is a reserved one
    logic [TW-1:0] cand_total, chain_total_sat;
    logic          cand_valid, fits;
    logic [16:0]   buffer_need;

    assign buffer_need     = {1'b0, info_m_len} + 17'(hdr_len);
    assign chain_total_sat = (s_chain_total >= 32'((1 << TW) - 1)) ? TW'((1 << TW) - 1) : s_chain_total[TW-1:0];
    assign scan_in_res     = (scan_k != res_count);
    assign cand_valid      = scan_in_res || s_chain_valid;
    assign cand_total      = scan_in_res ? res_total[NBW'(res_rd + scan_k)] : chain_total_sat;
    assign acc_new         = scan_acc + {1'b0, cand_total};
    assign k_new           = scan_k + 1'b1;
    assign fits            = acc_new >= (TW+1)'(buffer_need);
    always_comb begin
        drop_now  = 1'b0;
        start     = 1'b0;
        scan_step = 1'b0;
        need_more = 1'b0;
        if (!writing && info_m_valid && meta_m_valid && cmds_s_ready) begin
            if (!run || suspend || info_m_bad || meta_m.drop) drop_now = 1'b1;
            else if (cand_valid) begin
                if (fits) start = 1'b1;
                else if (!mrg || k_new == (NBW+1)'(NB)) drop_now = 1'b1;   // one chain too small / too many chains
                else scan_step = 1'b1;
            end else if (dry || seg_full) drop_now = 1'b1;
            else need_more = 1'b1;
        end
    end
    assign need         = need_more;
    assign info_m_ready = drop_now || start;
    assign cmd_push     = info_m_ready;
    // a record from the fetch engine is reserved, but not the one chain of a frame that none reserved
    assign res_push     = !scan_in_res && (scan_step || (start && k_new != 1));

    // the writer's next chain: the oldest reserved one, else the fetch engine's
    logic        wrec_from_res, load;
    logic [15:0] wrec_head, wrec_nseg;
    assign wrec_from_res = (res_count != 0);
    assign wrec_head     = wrec_from_res ? res_head[res_rd[NBW-1:0]] : s_chain_head;
    assign wrec_nseg     = wrec_from_res ? res_nseg[res_rd[NBW-1:0]] : s_chain_nseg;

    logic        eff_writing, eff_active, seg_last, seg_go, used_pending, used_fire, used_last, done_s_ready;
    logic [NBW:0] eff_chains;
    logic [15:0] segs_left, bytes_left, chain_bytes, cur_head, frame_len;
    logic [15:0] eff_left, eff_bytes_left, eff_chain_bytes, eff_head, used_id, used_len;
    logic [31:0] write_len;
    logic [15:0] last_wr_seq, done_seq_in, done_len_in;
    logic [NBW:0] done_nbuf_in;
    assign eff_writing     = writing || start;
    assign load            = eff_writing && !chain_active && (wrec_from_res || s_chain_valid);
    assign eff_active      = chain_active || load;
    assign eff_chains      = writing ? chains_left : k_new;
    assign eff_bytes_left  = writing ? bytes_left : buffer_need[15:0];
    assign eff_left        = chain_active ? segs_left : wrec_nseg;
    assign eff_chain_bytes = chain_active ? chain_bytes : 16'd0;
    assign eff_head        = chain_active ? cur_head : wrec_head;
    assign res_pop         = load && wrec_from_res;
    assign s_chain_ready   = res_push || (load && !wrec_from_res);

    // segments in order; a chain's last one waits until the used entry before it has gone
    assign write_len      = (s_seg_len < {16'd0, eff_bytes_left}) ? s_seg_len : {16'd0, eff_bytes_left};
    assign seg_last       = (eff_left == 16'd1);
    assign seg_go         = eff_active && s_seg_valid && (!seg_last || !used_pending || used_fire);
    assign m_wr_req_valid = seg_go && (write_len != 0);
    assign m_wr_req_addr  = s_seg_addr;
    assign m_wr_req_len   = write_len[15:0];
    assign m_wr_req_desc  = s_seg_idx;
    assign m_wr_req_last  = (write_len == {16'd0, eff_bytes_left});
    assign s_seg_ready    = seg_go && ((write_len == 0) || m_wr_req_ready);
    // a used entry per chain (head, bytes written into it); the frame's last one also enters the done FIFO
    assign m_used_valid   = used_pending && (!used_last || done_s_ready);
    assign used_fire      = m_used_valid && m_used_ready;
    assign m_used_id      = used_id;
    assign m_used_len     = {16'd0, used_len};
    assign m_used_last    = used_last;

    always_ff @(posedge clk) begin
        if (res_push) begin
            res_head[res_wr[NBW-1:0]]  <= s_chain_head;
            res_total[res_wr[NBW-1:0]] <= chain_total_sat;
            res_nseg[res_wr[NBW-1:0]]  <= s_chain_nseg;
        end
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            res_rd       <= '0;
            res_wr       <= '0;
            scan_k       <= '0;
            scan_acc     <= '0;
            writing      <= 1'b0;
            chain_active <= 1'b0;
            chains_left  <= '0;
            frame_nbuf   <= '0;
            segs_left    <= '0;
            bytes_left   <= '0;
            chain_bytes  <= '0;
            cur_head     <= '0;
            frame_len    <= '0;
            used_pending <= 1'b0;
            used_id      <= '0;
            used_len     <= '0;
            used_last    <= 1'b0;
            done_seq_in  <= '0;
            done_len_in  <= '0;
            done_nbuf_in <= '0;
            cnt_drop     <= 1'b0;
            cnt_stage    <= '0;
            last_wr_seq  <= '0;
        end else begin
            cnt_drop  <= drop_now;
            // the RX stages' events count for a frame written into buffers (as the model)
            cnt_stage <= start ? meta_m.events : '0;
            if (res_push) res_wr <= res_wr + 1'b1;
            if (res_pop) res_rd <= res_rd + 1'b1;
            if (scan_step) begin
                scan_k   <= k_new;
                scan_acc <= acc_new;
            end else if (info_m_ready) begin
                scan_k   <= '0;
                scan_acc <= '0;
            end
            if (used_fire) used_pending <= 1'b0;
            if (m_wr_req_valid && m_wr_req_ready) last_wr_seq <= wr_seq;
            if (start) begin
                writing     <= 1'b1;
                chains_left <= k_new;
                frame_nbuf  <= k_new;
                bytes_left  <= buffer_need[15:0];
                frame_len   <= info_m_len;
            end
            if (load) begin
                chain_active <= 1'b1;
                segs_left    <= wrec_nseg;
                chain_bytes  <= '0;
                cur_head     <= wrec_head;
            end
            if (s_seg_valid && s_seg_ready) begin
                bytes_left  <= eff_bytes_left - write_len[15:0];
                segs_left   <= eff_left - 16'd1;
                chain_bytes <= eff_chain_bytes + write_len[15:0];
                if (seg_last) begin
                    chain_active <= 1'b0;
                    chains_left  <= eff_chains - 1'b1;
                    used_pending <= 1'b1;
                    used_id      <= eff_head;
                    used_len     <= eff_chain_bytes + write_len[15:0];
                    used_last    <= (eff_chains == 1);
                    if (eff_chains == 1) begin
                        writing      <= 1'b0;
                        done_seq_in  <= (m_wr_req_valid && m_wr_req_ready) ? wr_seq : last_wr_seq;
                        done_len_in  <= start ? info_m_len : frame_len;
                        done_nbuf_in <= start ? k_new : frame_nbuf;
                    end
                end
            end
        end
    end

    // ---------------- delivery count ----------------
    // A frame counts in PACKETS/BYTES once all its data writes have completed
    // (done counter past its last request); once a write of the queue failed,
    // no frame counts any more (the queue is stopped, the frame not delivered).
    // `delivered` counts the used entries of the frames counted.
    logic        done_m_valid, done_m_ready, failed;
    logic [15:0] done_m_seq, done_m_len, done_dist;
    logic [NBW:0] done_m_nbuf;
    logic [$clog2(DONE_DEPTH)+1:0] done_count;
    vionic_fifo #(.WIDTH(32 + NBW + 1), .DEPTH(DONE_DEPTH)) u_done (
        .clk(clk), .rst(rst || clear), .s_valid(used_fire && used_last), .s_ready(done_s_ready),
        .s_data({done_seq_in, done_len_in, done_nbuf_in}),
        .m_valid(done_m_valid), .m_ready(done_m_ready), .m_data({done_m_seq, done_m_len, done_m_nbuf}),
        .count(done_count));
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
            if (done_m_ready && !failed && !wr_err) delivered <= delivered + 16'(done_m_nbuf);
        end
    end

    // ---------------- stream unit: header insertion / discard ----------------
    logic         cmds_m_valid, cmds_m_drop, cmds_m_ready;
    logic [7:0]   cmds_m_flags;            // virtio_net_hdr.flags of the frame
    logic [NBW:0] cmds_m_nbuf;             // virtio_net_hdr.num_buffers: chains of the frame
    logic [31:0]  cmds_m_hash;             // hash_value (HASH builds; 0 otherwise)
    logic [2:0]   cmds_m_report;           // hash_report (HASH builds; 0 otherwise)
    logic [$clog2(16)+1:0] cmds_count;
    // the hash travels with the command only in a HASH build (a one-pair build keeps its FIFO width)
    localparam int CW = 8 + NBW + 2 + (HASH ? 35 : 0);
    logic [CW-1:0] cmd_in, cmd_out;
    generate
        if (HASH) begin : g_cmd_hash
            assign cmd_in = {meta_m.hash, meta_m.hash_report, meta_m.flags, k_new, drop_now};
            assign {cmds_m_hash, cmds_m_report, cmds_m_flags, cmds_m_nbuf, cmds_m_drop} = cmd_out;
        end else begin : g_cmd
            assign cmd_in = {meta_m.flags, k_new, drop_now};
            assign {cmds_m_flags, cmds_m_nbuf, cmds_m_drop} = cmd_out;
            assign cmds_m_hash   = '0;
            assign cmds_m_report = '0;
        end
    endgenerate
    vionic_fifo #(.WIDTH(CW), .DEPTH(16)) u_cmd (
        .clk(clk), .rst(rst || clear), .s_valid(cmd_push), .s_ready(cmds_s_ready),
        .s_data(cmd_in), .m_valid(cmds_m_valid), .m_ready(cmds_m_ready), .m_data(cmd_out),
        .count(cmds_count));
    // the header bytes: flags, num_buffers (<= 64: its high byte is 0), hash_value, hash_report
    function automatic logic [7:0] hdr_byte(input int i, input logic [7:0] flags, input logic [NBW:0] nbuf,
                                            input logic [31:0] hash, input logic [2:0] report);
        hdr_byte = 8'd0;
        if (i == 0) hdr_byte = flags;
        if (i == vionic_pkg::VIONIC_NET_HDR_NUM_BUFFERS) hdr_byte = 8'(nbuf);
        for (int b = 0; b < 4; b++)
            if (i == vionic_pkg::VIONIC_NET_HDR_HASH_VALUE + b) hdr_byte = hash[8*b +: 8];
        if (i == vionic_pkg::VIONIC_NET_HDR_HASH_REPORT) hdr_byte = 8'(report);
    endfunction

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
        for (int j = 0; j < W; j++)
            hdr_data[8*j +: 8] = hdr_byte(32'(hdr_beats_sent) * W + j, cmds_m_flags, cmds_m_nbuf,
                                          cmds_m_hash, cmds_m_report);
        hdr_bytes_hi = ((32'(hdr_beats_sent) + 1) * W <= 32'(hdr_len)) ? (LW+1)'(W) :
                       (LW+1)'(32'(hdr_len) - 32'(hdr_beats_sent) * W);
    end
    logic frame_start;
    generate
        if (HDR_PREFIX) begin : g_nohdr
            assign in_hdr = 1'b0;
        end else begin : g_hdr
            assign in_hdr = (hdr_beats_sent < hdr_beats);
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
    always_comb
        for (int j = 0; j < W; j++) hdr_prefix[8*j +: 8] = hdr_byte(j, cmds_m_flags, cmds_m_nbuf, cmds_m_hash, cmds_m_report);

    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(pk_s_valid), .s_ready(pk_s_ready), .s_data(pk_s_data), .s_lo('0), .s_hi(pk_s_hi),
        .s_first(pk_first), .s_off(HDR_PREFIX ? LW'(hdr_len) : '0), .s_last(pk_last), .s_user(1'b0),
        .s_pre(HDR_PREFIX && frame_start), .s_pre_data(hdr_prefix),
        .m_valid(m_stream_valid), .m_ready(m_stream_ready), .m_data(m_stream_data), .m_strb(pk_strb),
        .m_last(pk_m_last), .m_user(pk_m_user));
    assign m_stream_bytes = (LW+1)'($countones(pk_strb));

    assign quiet = !writing && !used_pending && (done_count == 0);

    logic unused_ok;
    assign unused_ok = ^{done_dist[14:0], data_count, info_count, cmds_count, pk_m_last, pk_m_user, meta_count,
                         meta_m.qid, meta_m.len, meta_m.csum_start, meta_m.csum_offset, meta_m.hash, meta_m.hash_report,
                         write_len[31:16], hdr_beats};
endmodule

`default_nettype wire
