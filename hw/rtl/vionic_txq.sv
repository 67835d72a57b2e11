// vionic_txq: transmit pipeline of one TX virtqueue.
// Chain -> DMA reads of the buffer bytes after the 12-byte virtio_net_hdr
// (the header is never read) -> vionic_pack (compaction across descriptors)
// -> m_axis_tx. Frames whose length (chain total - 12) is 0 or above
// MTU + 14 are dropped (DROPS) without reading data, so a bad address inside
// them is no error. A used entry (len 0) is emitted once all data of a chain
// has arrived or the chain was dropped.
// A DMA read error is reported with the descriptor whose buffer was read and
// that buffer's address (desc.addr), whichever burst failed; the frame ends
// at that beat with tuser (abort: never a good frame on the MAC), gets no used
// entry and is not counted, and nothing is sent after it until clear.
// suspend: no new chain is taken; the chains taken are read, sent and get their
// used entries; `quiet` once none is left (and the MAC took the last beat).
`default_nettype none

module vionic_txq #(
    parameter int DATA_WIDTH = 64,                            // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,                            // address width
    parameter int MTU        = vionic_pkg::VIONIC_DEFAULT_MTU, // largest frame = MTU + 14 bytes
    parameter int INFO_DEPTH = 64,                            // frames between read issue and transmission
    parameter int RA_DEPTH   = 256                            // read requests between issue and their last beat
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            clear,
    input  wire logic                            run,
    input  wire logic                            suspend,        // take no new chain (SUSPEND)
    output      logic                            quiet,          // no chain taken is unfinished (or failed)
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
    // MAC
    output      logic [DATA_WIDTH-1:0]           m_axis_tx_tdata,
    output      logic [DATA_WIDTH/8-1:0]         m_axis_tx_tkeep,
    output      logic                            m_axis_tx_tvalid,
    input  wire logic                            m_axis_tx_tready,
    output      logic                            m_axis_tx_tlast,
    output      logic                            m_axis_tx_tuser,
    // used entries
    output      logic                            m_used_valid,
    input  wire logic                            m_used_ready,
    output      logic [15:0]                     m_used_id,
    // counters (one-cycle pulses)
    output      logic                            cnt_pkt,
    output      logic [15:0]                     cnt_bytes,
    output      logic                            cnt_drop,
    // DMA error report (one-cycle pulse)
    output      logic                            err_valid,
    output      logic [15:0]                     err_desc,
    output      logic [ADDR_WIDTH-1:0]           err_addr
);
    localparam int MAX_FRAME = MTU + vionic_pkg::ETH_HDR_LEN;
    localparam int HDR_LEN   = vionic_pkg::VIONIC_NET_HDR_LEN;

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
        frame_len      = s_chain_total - 32'(HDR_LEN);
        new_chain_drop = (s_chain_total <= 32'(HDR_LEN)) || (frame_len > 32'(MAX_FRAME));
        eff_busy       = chain_busy || s_chain_ready;
        eff_drop       = chain_busy ? chain_drop : new_chain_drop;
        eff_left       = chain_busy ? segs_left : s_chain_nseg;
        eff_hdr_left   = chain_busy ? hdr_left : 5'(HDR_LEN);
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
                hdr_left   <= 5'(HDR_LEN);
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
    logic pk_s_valid, pk_s_ready, pk_s_last, frame_end, frame_first;
    assign frame_end  = s_rd_last && s_rd_tag;
    // a frame's last beat needs room for its used entry; a failed beat ends the frame
    assign pk_s_valid = s_rd_valid && !failed && info_m_valid && !info_m_drop &&
                        (s_rd_err || !frame_end || m_used_ready);
    assign pk_s_last    = frame_end || s_rd_err;
    assign beat_fire    = pk_s_valid && pk_s_ready;
    assign s_rd_ready   = beat_fire || (s_rd_valid && failed);
    assign m_used_valid = !failed && info_m_valid &&
                          (info_m_drop || (s_rd_valid && !s_rd_err && frame_end && pk_s_ready));
    assign m_used_id    = info_m_head;
    assign info_m_ready = m_used_valid && m_used_ready;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            frame_first <= 1'b1;
            failed      <= 1'b0;
            cnt_pkt     <= 1'b0;
            cnt_drop    <= 1'b0;
            cnt_bytes   <= '0;
            err_valid   <= 1'b0;
            err_desc    <= '0;
            err_addr    <= '0;
        end else begin
            cnt_pkt   <= 1'b0;
            cnt_drop  <= 1'b0;
            err_valid <= 1'b0;
            if (beat_fire) frame_first <= pk_s_last;
            if (info_m_ready) begin
                cnt_pkt   <= !info_m_drop;
                cnt_drop  <= info_m_drop;
                cnt_bytes <= info_m_drop ? 16'd0 : info_m_len;
            end
            if (beat_fire && s_rd_err) begin
                // the descriptor and its buffer address, whichever burst of it failed
                failed    <= 1'b1;
                err_valid <= 1'b1;
                err_desc  <= reqs_m_idx;
                err_addr  <= reqs_m_addr;
            end
        end
    end

    logic                    pk_m_valid, pk_m_last, pk_m_user;
    logic [DATA_WIDTH/8-1:0] pk_m_keep;
    logic                    abort_valid;
    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(pk_s_valid), .s_ready(pk_s_ready),
        .s_data(s_rd_data), .s_lo(s_rd_lo), .s_hi(s_rd_hi), .s_first(frame_first), .s_off('0),
        .s_last(pk_s_last), .s_user(s_rd_err), .s_pre(1'b0), .s_pre_data('0),
        .m_valid(pk_m_valid), .m_ready(m_axis_tx_tready && !abort_valid), .m_data(m_axis_tx_tdata),
        .m_strb(pk_m_keep), .m_last(pk_m_last), .m_user(pk_m_user));

    // A device reset in the middle of a frame on the MAC stream ends that frame
    // with an abort beat (tlast and tuser set) so the MAC never joins two frames.
    logic mac_mid_frame;
    assign m_axis_tx_tvalid = pk_m_valid || abort_valid;
    assign m_axis_tx_tlast  = pk_m_last || abort_valid;
    assign m_axis_tx_tuser  = pk_m_user || abort_valid;
    assign m_axis_tx_tkeep  = abort_valid ? (DATA_WIDTH/8)'(1) : pk_m_keep;
    always_ff @(posedge clk) begin
        if (rst) begin
            mac_mid_frame <= 1'b0;
            abort_valid   <= 1'b0;
        end else begin
            if (m_axis_tx_tvalid && m_axis_tx_tready) mac_mid_frame <= !m_axis_tx_tlast;
            if (abort_valid && m_axis_tx_tready) abort_valid <= 1'b0;
            if (clear && !abort_valid &&
                ((mac_mid_frame && !(m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast)) ||
                 (pk_m_valid && !m_axis_tx_tready)))
                abort_valid <= 1'b1;
        end
    end

    // after a read error nothing more completes: the DMA engine's busy covers its reads
    assign quiet = failed || (!chain_busy && (info_count == 0) && !m_axis_tx_tvalid);

    logic unused_ok;
    assign unused_ok = ^{reqs_count, reqs_m_valid, frame_len[31:16], read_len[31:16], seg_skip[31:5]};
endmodule

`default_nettype wire
