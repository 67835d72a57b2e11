// vionic_txq: transmit pipeline of one TX virtqueue.
// Chain -> DMA reads of the buffer bytes after the virtio_net_hdr (12 bytes,
// 20 with hash_report in a HASH build: its last 8 bytes are ignored)
// -> vionic_pack (compaction across descriptors) -> m_axis_* with one
// m_meta_* (meta_t) per frame, offered before the frame's first beat: the
// head of the TX offload stages. With read_hdr (VIRTIO_NET_F_CSUM
// negotiated) the header is read too, its bytes are taken out of the beats
// before the packer and its flags, csum_start and csum_offset go into the
// metadata; without it the header is never read. Frames whose length
// (chain total - header) is 0 or above max_frame (the MTU register + 14) are
// dropped (DROPS) without reading data, so a bad address inside them is no
// error. A used entry (len 0) is emitted once all data of a chain
// has arrived or the chain was dropped.
// A DMA read error is reported with the descriptor whose buffer was read and
// that buffer's address (desc.addr), whichever burst failed; the frame ends
// at that beat with tuser (abort: never a good frame on the MAC), gets no used
// entry and is not counted, and nothing is sent after it until clear.
// suspend: no new chain is taken; the chains taken are read, sent and get their
// used entries; `quiet` once none is left (and the next stage took the last beat).
// PACKETS/BYTES are counted at the end of the TX stages (vionic_core).
`default_nettype none

module vionic_txq #(
    parameter int DATA_WIDTH = 64,                            // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,                            // address width
    parameter int INFO_DEPTH = 64,                            // frames between read issue and transmission
    parameter int RA_DEPTH   = 256,                           // read requests between issue and their last beat
    parameter int QUEUE      = 1,                             // virtqueue index written into the metadata
    parameter bit HASH       = 0                              // hash_report may be negotiated (N > 1)
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            clear,
    input  wire logic                            run,
    input  wire logic                            suspend,        // take no new chain (SUSPEND)
    output      logic                            quiet,          // no chain taken is unfinished (or failed)
    input  wire logic                            read_hdr,       // read the virtio_net_hdr into the metadata
    input  wire logic                            hash_report,    // VIRTIO_NET_F_HASH_REPORT: 20-byte header (HASH)
    input  wire logic [15:0]                     max_frame,      // largest frame sent: MTU + 14 bytes
    // chains from vionic_fetch
    input  wire logic                            s_chain_valid,
    output      logic                            s_chain_ready,
    input  wire logic [15:0]                     s_chain_head,
    input  wire logic [31:0]                     s_chain_total,
    input  wire logic [15:0]                     s_chain_nseg,
    input  wire logic                            s_seg_valid,
    output      logic                            s_seg_ready,
    input  wire logic [ADDR_WIDTH-1:0]           s_seg_addr,
    input  wire logic [31:0]                     s_seg_len,
    input  wire logic [15:0]                     s_seg_idx,
    // DMA read requests (tag = last request of the frame) and their beats
    output      logic                            m_rd_req_valid,
    input  wire logic                            m_rd_req_ready,
    output      logic [ADDR_WIDTH-1:0]           m_rd_req_addr,
    output      logic [15:0]                     m_rd_req_len,
    output      logic                            m_rd_req_tag,
    input  wire logic                            s_rd_valid,
    output      logic                            s_rd_ready,
    input  wire logic [DATA_WIDTH-1:0]           s_rd_data,
    input  wire logic [$clog2(DATA_WIDTH/8)-1:0] s_rd_lo,
    input  wire logic [$clog2(DATA_WIDTH/8):0]   s_rd_hi,
    input  wire logic                            s_rd_last,
    input  wire logic                            s_rd_tag,
    input  wire logic                            s_rd_err,
    // frames to the first TX stage (tuser: abort) and their metadata
    output      logic [DATA_WIDTH-1:0]           m_axis_tdata,
    output      logic [DATA_WIDTH/8-1:0]         m_axis_tkeep,
    output      logic                            m_axis_tvalid,
    input  wire logic                            m_axis_tready,
    output      logic                            m_axis_tlast,
    output      logic                            m_axis_tuser,
    output      logic                            m_meta_valid,
    input  wire logic                            m_meta_ready,
    output      vionic_pkg::meta_t               m_meta_data,
    // used entries
    output      logic                            m_used_valid,
    input  wire logic                            m_used_ready,
    output      logic [15:0]                     m_used_id,
    // counters (one-cycle pulses)
    output      logic                            cnt_drop,
    // DMA error report (one-cycle pulse)
    output      logic                            err_valid,
    output      logic [15:0]                     err_desc,
    output      logic [ADDR_WIDTH-1:0]           err_addr
);
    localparam int HDR_LEN   = vionic_pkg::VIONIC_NET_HDR_LEN;
    // header bytes counted while reading it: 4 bits hold 12, a HASH build needs 5 for 20
    localparam int HGW       = HASH ? 5 : 4;
    // constant 12 in a one-pair build
    logic [4:0] hdr_len;
    assign hdr_len = (HASH && hash_report) ? 5'(vionic_pkg::VIONIC_NET_HDR_HASH_LEN) : 5'(HDR_LEN);

    logic failed;          // a read of this queue failed: discard everything until clear

    // ---------------- issue side ----------------
    logic        chain_busy;           // segments of a taken chain remain
    logic        chain_drop;           // the taken chain is dropped (no reads)
    logic [15:0] segs_left;
    logic [4:0]  hdr_left;             // header bytes still to skip
    logic [31:0] frame_len;
    logic        info_s_ready;
    logic [31:0] seg_skip, read_len;
    logic        seg_is_last;

    // A chain record can be taken together with its first segment (the fetch
    // engine pushes the segments before the record), so a one-descriptor frame
    // costs one cycle here.
    logic       eff_busy, eff_drop;
    logic [15:0] eff_left;
    logic [4:0] eff_hdr_left;
    logic       new_chain_drop;
    always_comb begin
        frame_len      = s_chain_total - 32'(hdr_len);
        new_chain_drop = (s_chain_total <= 32'(hdr_len)) || (frame_len > {16'd0, max_frame});
        eff_busy       = chain_busy || s_chain_ready;
        eff_drop       = chain_busy ? chain_drop : new_chain_drop;
        eff_left       = chain_busy ? segs_left : s_chain_nseg;
        eff_hdr_left   = chain_busy ? hdr_left : (read_hdr ? 5'd0 : hdr_len);
        seg_skip       = (s_seg_len < 32'(eff_hdr_left)) ? s_seg_len : 32'(eff_hdr_left);
        read_len       = s_seg_len - seg_skip;
        seg_is_last    = (eff_left == 16'd1);
    end

    assign s_chain_ready = run && !suspend && !failed && !chain_busy && s_chain_valid && info_s_ready;
    // descriptor buffer address of every read request in flight (error report)
    logic                  reqs_s_ready, reqs_m_valid, beat_fire;
    logic [ADDR_WIDTH-1:0] reqs_m_addr;
    logic [15:0]           reqs_m_idx;
    logic [$clog2(RA_DEPTH)+1:0] reqs_count;
    assign m_rd_req_valid = eff_busy && !eff_drop && !failed && s_seg_valid && (read_len != 0) && reqs_s_ready;
    assign m_rd_req_addr  = s_seg_addr + ADDR_WIDTH'(seg_skip);
    assign m_rd_req_len   = read_len[15:0];
    assign m_rd_req_tag   = seg_is_last;
    assign s_seg_ready    = eff_busy && s_seg_valid && !failed &&
                            (eff_drop || (read_len == 0) || (m_rd_req_ready && reqs_s_ready));
    vionic_fifo #(.WIDTH(16 + ADDR_WIDTH), .DEPTH(RA_DEPTH)) u_reqs (
        .clk(clk), .rst(rst || clear),
        .s_valid(m_rd_req_valid && m_rd_req_ready), .s_ready(reqs_s_ready), .s_data({s_seg_idx, s_seg_addr}),
        .m_valid(reqs_m_valid), .m_ready(beat_fire && s_rd_last), .m_data({reqs_m_idx, reqs_m_addr}),
        .count(reqs_count));

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            chain_busy <= 1'b0;
            chain_drop <= 1'b0;
            segs_left  <= '0;
            hdr_left   <= '0;
        end else begin
            if (s_chain_valid && s_chain_ready) begin
                chain_busy <= 1'b1;
                chain_drop <= new_chain_drop;
                segs_left  <= s_chain_nseg;
                hdr_left   <= read_hdr ? 5'd0 : hdr_len;
            end
            if (s_seg_valid && s_seg_ready) begin
                hdr_left   <= eff_hdr_left - seg_skip[4:0];
                segs_left  <= eff_left - 16'd1;
                chain_busy <= !seg_is_last;
            end
        end
    end

    // frame info: {head, frame length, dropped}
    logic        info_m_valid, info_m_ready, info_m_drop;
    logic [15:0] info_m_head, info_m_len;
    logic [$clog2(INFO_DEPTH)+1:0] info_count;
    vionic_fifo #(.WIDTH(33), .DEPTH(INFO_DEPTH)) u_info (
        .clk(clk), .rst(rst || clear),
        .s_valid(s_chain_valid && s_chain_ready), .s_ready(info_s_ready),
        .s_data({s_chain_head, frame_len[15:0], new_chain_drop}),
        .m_valid(info_m_valid), .m_ready(info_m_ready), .m_data({info_m_head, info_m_len, info_m_drop}),
        .count(info_count));

    // ---------------- output side ----------------
    // header bytes (read_hdr) are taken from the front of the frame's beats; a
    // beat of header bytes only is not passed on; the metadata is pushed with
    // the beat that completes the header (or ends the frame)
    localparam int LW = $clog2(DATA_WIDTH / 8);
    // take: 20 header bytes need more than the LW+1 bits of a 64-bit beat's count
    localparam int CW = (LW + 1 > HGW) ? LW + 1 : HGW;
    logic pk_s_valid, pk_s_ready, pk_s_last, frame_end, frame_first;
    logic [HGW-1:0]  hdr_got;             // header bytes taken of the current frame
    logic [HDR_LEN*8-1:0] hdr, hdr_next;  // its first 12 bytes (the rest is ignored), byte i in bits 8i+7:8i
    logic [LW:0]     in_bytes, take;
    logic [HGW-1:0]  hdr_need;
    logic            meta_sent, push_meta, absorb, can, meta_s_ready;
    vionic_pkg::meta_t meta_next;
    always_comb begin
        hdr_need = read_hdr ? (HGW'(hdr_len) - hdr_got) : '0;
        in_bytes = s_rd_hi - {1'b0, s_rd_lo};
        take     = s_rd_err ? '0 : (CW'(in_bytes) < CW'(hdr_need)) ? in_bytes : (LW+1)'(hdr_need);
        hdr_next = (hdr_got == 0) ? '0 : hdr;
        if (take != '0)   // the same without it; a Verilated model skips the loop in other cycles
            for (int i = 0; i < HDR_LEN; i++)
                if (i >= 32'(hdr_got) && i < 32'(hdr_got) + 32'(take))
                    hdr_next[8*i +: 8] = s_rd_data[8*(32'(s_rd_lo) + i - 32'(hdr_got)) +: 8];
        absorb    = (take == in_bytes) && !s_rd_err && !frame_end;
        push_meta = !meta_sent && ((hdr_need == HGW'(take)) || pk_s_last);
        meta_next             = '0;
        meta_next.qid         = 16'(QUEUE);
        meta_next.len         = info_m_len;
        meta_next.flags       = hdr_next[7:0];
        meta_next.csum_start  = hdr_next[6*8 +: 16];
        meta_next.csum_offset = hdr_next[8*8 +: 16];
    end

    assign frame_end  = s_rd_last && s_rd_tag;
    // a frame's last beat needs room for its used entry; a failed beat ends the frame
    assign can        = s_rd_valid && !failed && info_m_valid && !info_m_drop &&
                        (s_rd_err || !frame_end || m_used_ready) && (!push_meta || meta_s_ready);
    assign pk_s_valid = can && !absorb;
    assign pk_s_last    = frame_end || s_rd_err;
    assign beat_fire    = can && (absorb || pk_s_ready);
    assign s_rd_ready   = beat_fire || (s_rd_valid && failed);
    assign m_used_valid = !failed && info_m_valid &&
                          (info_m_drop || (s_rd_valid && !s_rd_err && frame_end && pk_s_ready &&
                                           (!push_meta || meta_s_ready)));
    assign m_used_id    = info_m_head;
    assign info_m_ready = m_used_valid && m_used_ready;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            frame_first <= 1'b1;
            failed      <= 1'b0;
            cnt_drop    <= 1'b0;
            err_valid   <= 1'b0;
            err_desc    <= '0;
            err_addr    <= '0;
            hdr_got     <= '0;
            hdr         <= '0;
            meta_sent   <= 1'b0;
        end else begin
            cnt_drop  <= 1'b0;
            err_valid <= 1'b0;
            if (pk_s_valid && pk_s_ready) frame_first <= pk_s_last;
            if (beat_fire) begin
                hdr_got   <= pk_s_last ? '0 : hdr_got + HGW'(take);
                hdr       <= hdr_next;
                meta_sent <= !pk_s_last && (meta_sent || push_meta);
            end
            if (info_m_ready) cnt_drop <= info_m_drop;
            if (beat_fire && s_rd_err) begin
                // the descriptor and its buffer address, whichever burst of it failed
                failed    <= 1'b1;
                err_valid <= 1'b1;
                err_desc  <= reqs_m_idx;
                err_addr  <= reqs_m_addr;
            end
        end
    end

    logic meta_m_valid;
    logic [$clog2(8)+1:0] meta_count;
    vionic_fifo #(.WIDTH(vionic_pkg::META_BITS), .DEPTH(8)) u_meta (
        .clk(clk), .rst(rst || clear), .s_valid(beat_fire && push_meta), .s_ready(meta_s_ready),
        .s_data(meta_next), .m_valid(meta_m_valid), .m_ready(m_meta_ready), .m_data(m_meta_data),
        .count(meta_count));
    assign m_meta_valid = meta_m_valid;

    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(pk_s_valid), .s_ready(pk_s_ready),
        .s_data(s_rd_data), .s_lo(s_rd_lo + LW'(take)), .s_hi(s_rd_hi), .s_first(frame_first), .s_off('0),
        .s_last(pk_s_last), .s_user(s_rd_err), .s_pre(1'b0), .s_pre_data('0),
        .m_valid(m_axis_tvalid), .m_ready(m_axis_tready), .m_data(m_axis_tdata),
        .m_strb(m_axis_tkeep), .m_last(m_axis_tlast), .m_user(m_axis_tuser));

    // after a read error nothing more completes: the DMA engine's busy covers its reads
    assign quiet = failed || (!chain_busy && (info_count == 0) && !m_axis_tvalid);

    logic unused_ok;
    assign unused_ok = ^{reqs_count, reqs_m_valid, frame_len[31:16], read_len[31:16], seg_skip[31:5], meta_count};
endmodule

`default_nettype wire
