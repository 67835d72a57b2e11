// vionic_txq: transmit pipeline of one TX virtqueue.
// Chain -> DMA reads of the buffer bytes after the 12-byte virtio_net_hdr
// (the header is never read) -> vionic_pack (compaction across descriptors)
// -> m_axis_tx. Frames whose length (chain total - 12) is 0 or above
// MTU + 14 are dropped (DROPS) without reading data. A used entry (len 0) is
// emitted once all data of a chain has arrived or the chain was dropped.
// A DMA read error is reported with the descriptor whose buffer was read and
// that buffer's address (desc.addr), whichever burst failed.
module vionic_txq #(
    parameter int DATA_WIDTH = 64,   // DMA and MAC stream width in bits
    parameter int ADDR_WIDTH = 64,   // address width
    parameter int MTU        = 1500, // largest frame = MTU + 14 bytes
    parameter int INFO_DEPTH = 64,   // frames between read issue and transmission
    parameter int RA_DEPTH   = 256   // read requests between issue and their last beat
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    clear,
    input  logic                    run,
    // chains from vionic_fetch
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
    // DMA read client (tag = last request of the frame)
    output logic                    rd_req_valid,
    input  logic                    rd_req_ready,
    output logic [ADDR_WIDTH-1:0]   rd_req_addr,
    output logic [15:0]             rd_req_len,
    output logic                    rd_req_tag,
    input  logic                    rd_valid,
    output logic                    rd_ready,
    input  logic [DATA_WIDTH-1:0]   rd_data,
    input  logic [$clog2(DATA_WIDTH/8)-1:0] rd_lo,
    input  logic [$clog2(DATA_WIDTH/8):0]   rd_hi,
    input  logic                    rd_last,
    input  logic                    rd_tag,
    input  logic                    rd_err,
    input  logic [ADDR_WIDTH-1:0]   rd_err_addr,
    // MAC
    output logic [DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output logic [DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output logic                    m_axis_tx_tvalid,
    input  logic                    m_axis_tx_tready,
    output logic                    m_axis_tx_tlast,
    output logic                    m_axis_tx_tuser,
    // used entries
    output logic                    cp_valid,
    input  logic                    cp_ready,
    output logic [15:0]             cp_id,
    // counters (one-cycle pulses)
    output logic                    cnt_pkt,
    output logic [15:0]             cnt_bytes,
    output logic                    cnt_drop,
    // DMA error report
    output logic                    err_valid,
    output logic [15:0]             err_desc,
    output logic [ADDR_WIDTH-1:0]   err_addr
);
    localparam int MAXF = MTU + 14;

    // ---------------- issue side ----------------
    logic        busy_ch, drop_ch;
    logic [7:0]  seg_left;
    logic [4:0]  skip;
    logic [31:0] flen;
    logic        fi_s_ready;
    logic [31:0] s_skip, rl;
    logic        seg_is_last;

    // A chain record can be taken together with its first segment (the fetch
    // engine pushes the segments before the record), so a one-descriptor frame
    // costs one cycle here.
    logic       e_busy, e_drop;
    logic [7:0] e_left;
    logic [4:0] e_skip;
    logic ch_drop;
    always_comb begin
        flen    = ch_total - 32'd12;
        ch_drop = (ch_total <= 32'd12) || (flen > 32'(MAXF));
        e_busy  = busy_ch || ch_ready;
        e_drop  = busy_ch ? drop_ch : ch_drop;
        e_left  = busy_ch ? seg_left : ch_nseg;
        e_skip  = busy_ch ? skip : 5'd12;
        s_skip  = (sg_len < {27'd0, e_skip}) ? sg_len : {27'd0, e_skip};
        rl      = sg_len - s_skip;
        seg_is_last = (e_left == 8'd1);
    end

    assign ch_ready     = run && !busy_ch && ch_valid && fi_s_ready;
    // descriptor buffer address of every read request in flight (error report)
    logic                  ra_s_ready, ra_valid, beat_fire;
    logic [ADDR_WIDTH-1:0] ra_addr;
    logic [15:0]           ra_idx;
    logic [$clog2(RA_DEPTH)+1:0] ra_count;
    assign rd_req_valid = e_busy && !e_drop && sg_valid && (rl != 0) && ra_s_ready;
    assign rd_req_addr  = sg_addr + {{(ADDR_WIDTH-32){1'b0}}, s_skip};
    assign rd_req_len   = rl[15:0];
    assign rd_req_tag   = seg_is_last;
    assign sg_ready     = e_busy && sg_valid && (e_drop || (rl == 0) || (rd_req_ready && ra_s_ready));
    vionic_fifo #(.WIDTH(16 + ADDR_WIDTH), .DEPTH(RA_DEPTH)) u_raddr (
        .clk(clk), .rst(rst || clear), .s_valid(rd_req_valid && rd_req_ready), .s_ready(ra_s_ready),
        .s_data({sg_idx, sg_addr}), .m_valid(ra_valid), .m_ready(beat_fire && rd_last), .m_data({ra_idx, ra_addr}),
        .count(ra_count));

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            busy_ch <= 1'b0; drop_ch <= 1'b0; seg_left <= '0; skip <= '0;
        end else begin
            if (ch_valid && ch_ready) begin
                busy_ch  <= 1'b1;
                drop_ch  <= ch_drop;
                seg_left <= ch_nseg;
                skip     <= 5'd12;
            end
            if (sg_valid && sg_ready) begin
                skip     <= e_skip - s_skip[4:0];
                seg_left <= e_left - 8'd1;
                busy_ch  <= !seg_is_last;
            end
        end
    end

    // frame info: {head, frame length, dropped}
    logic        fi_valid, fi_pop, fi_drop;
    logic [15:0] fi_head, fi_len;
    logic [$clog2(INFO_DEPTH)+1:0] fi_count;
    vionic_fifo #(.WIDTH(33), .DEPTH(INFO_DEPTH)) u_info (
        .clk(clk), .rst(rst || clear), .s_valid(ch_valid && ch_ready), .s_ready(fi_s_ready),
        .s_data({ch_head, flen[15:0], ch_drop}),
        .m_valid(fi_valid), .m_ready(fi_pop), .m_data({fi_head, fi_len, fi_drop}), .count(fi_count));

    // ---------------- output side ----------------
    logic pk_in_ready, frame_end;
    logic fr_first;
    assign frame_end = rd_last && rd_tag;
    // a frame's last beat needs room for its used entry
    assign beat_fire = rd_valid && fi_valid && !fi_drop && pk_in_ready && (!frame_end || cp_ready);
    assign rd_ready  = beat_fire;
    assign cp_valid  = fi_valid && (fi_drop || (rd_valid && frame_end && pk_in_ready));
    assign cp_id     = fi_head;
    assign fi_pop    = cp_valid && cp_ready;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            fr_first  <= 1'b1;
            cnt_pkt   <= 1'b0; cnt_drop <= 1'b0; cnt_bytes <= '0;
            err_valid <= 1'b0; err_desc <= '0; err_addr <= '0;
        end else begin
            cnt_pkt   <= 1'b0;
            cnt_drop  <= 1'b0;
            err_valid <= 1'b0;
            if (beat_fire) fr_first <= frame_end;
            if (fi_pop) begin
                cnt_pkt   <= !fi_drop;
                cnt_drop  <= fi_drop;
                cnt_bytes <= fi_drop ? 16'd0 : fi_len;
            end
            if (beat_fire && rd_err) begin
                // the descriptor and its buffer address, whichever burst of it failed
                err_valid <= 1'b1; err_desc <= ra_idx; err_addr <= ra_addr;
            end
        end
    end

    logic                  pk_valid, pk_last, pk_user;
    logic [DATA_WIDTH/8-1:0] pk_keep;
    vionic_pack #(.DATA_WIDTH(DATA_WIDTH)) u_pack (
        .clk(clk), .rst(rst || clear),
        .s_valid(rd_valid && fi_valid && !fi_drop && (!frame_end || cp_ready)), .s_ready(pk_in_ready),
        .s_data(rd_data), .s_lo(rd_lo), .s_hi(rd_hi), .s_first(fr_first), .s_off('0),
        .s_last(frame_end), .s_user(rd_err), .s_pre(1'b0), .s_pre_data('0),
        .m_valid(pk_valid), .m_ready(m_axis_tx_tready && !abort_v), .m_data(m_axis_tx_tdata),
        .m_strb(pk_keep), .m_last(pk_last), .m_user(pk_user));

    // A device reset in the middle of a frame on the MAC stream ends that frame
    // with an abort beat (tlast and tuser set) so the MAC never joins two frames.
    logic mid, abort_v;
    assign m_axis_tx_tvalid = pk_valid || abort_v;
    assign m_axis_tx_tlast  = pk_last || abort_v;
    assign m_axis_tx_tuser  = pk_user || abort_v;
    assign m_axis_tx_tkeep  = abort_v ? {{(DATA_WIDTH/8-1){1'b0}}, 1'b1} : pk_keep;
    always_ff @(posedge clk) begin
        if (rst) begin
            mid <= 1'b0; abort_v <= 1'b0;
        end else begin
            if (m_axis_tx_tvalid && m_axis_tx_tready) mid <= !m_axis_tx_tlast;
            if (abort_v && m_axis_tx_tready) abort_v <= 1'b0;
            if (clear && !abort_v && ((mid && !(m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast)) ||
                                     (pk_valid && !m_axis_tx_tready)))
                abort_v <= 1'b1;
        end
    end

    logic unused_ok;
    assign unused_ok = ^{fi_count, ra_count, ra_valid, rd_err_addr, flen[31:16], rl[31:16], s_skip[31:5]};
endmodule
