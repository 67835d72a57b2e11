// vionic_tx_csum: TX offload stage VIONIC_STAGE_TX_CSUM (VIRTIO_NET_F_CSUM).
// A frame whose metadata has VIRTIO_NET_HDR_F_NEEDS_CSUM gets the 16-bit
// ones' complement sum of its bytes csum_start..end, complemented (0 written
// as 0xFFFF), stored big-endian at csum_start + csum_offset (the field holds
// the driver's pseudo-header seed and is summed with the rest). A field that
// does not fit in the frame (csum_start + csum_offset + 2 > length) marks the
// frame `drop` (the end of the TX stages drops and counts it) with the
// CSUM_BAD event; an inserted checksum has the CSUM_GOOD event (meta_t.events,
// counted at the TX tail). Frames without NEEDS_CSUM,
// aborted frames (tuser) and every frame while `enable` is low pass as they are.
// The field lies before the bytes summed, so the stage stores whole frames:
// a FIFO of two largest frames sums a frame while it fills and sends the
// previous one meanwhile (one beat per cycle on both sides).
// Stage interface (hw/rtl/README.md): TX rule, the metadata of a frame is
// taken before its first beat; the output metadata is offered independently
// of the output beats; `busy` while anything is held.
`default_nettype none

module vionic_tx_csum #(
    parameter int DATA_WIDTH = 512,                           // frame stream width in bits (>= 64)
    parameter int MAX_MTU    = vionic_pkg::VIONIC_DEFAULT_MTU  // largest frame stored = MAX_MTU + 14 bytes
) (
    input  wire logic                    clk,
    input  wire logic                    rst,          // also the device reset (clear)
    input  wire logic                    enable,       // VIRTIO_NET_F_CSUM negotiated
    input  wire logic [DATA_WIDTH-1:0]   s_axis_tdata,
    input  wire logic [DATA_WIDTH/8-1:0] s_axis_tkeep,
    input  wire logic                    s_axis_tvalid,
    output      logic                    s_axis_tready,
    input  wire logic                    s_axis_tlast,
    input  wire logic                    s_axis_tuser,
    input  wire logic                    s_meta_valid,
    output      logic                    s_meta_ready,
    input  wire vionic_pkg::meta_t       s_meta_data,
    output      logic [DATA_WIDTH-1:0]   m_axis_tdata,
    output      logic [DATA_WIDTH/8-1:0] m_axis_tkeep,
    output      logic                    m_axis_tvalid,
    input  wire logic                    m_axis_tready,
    output      logic                    m_axis_tlast,
    output      logic                    m_axis_tuser,
    output      logic                    m_meta_valid,
    input  wire logic                    m_meta_ready,
    output      vionic_pkg::meta_t       m_meta_data,
    output      logic                    busy          // holds a frame or metadata (SUSPEND DONE waits)
);
    localparam int EV = vionic_pkg::VIONIC_STAGE_TX_CSUM * vionic_pkg::STAGE_COUNTERS;   // its events
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int MAXB  = (MAX_MTU + vionic_pkg::ETH_HDR_LEN + W - 1) / W;   // beats of the largest frame
    localparam int DEPTH = 2 ** $clog2(2 * MAXB);                        // two largest frames

    // vionic_pkg::csum_lanes sums beats of up to CSUM_BEAT_BITS (an unknown module stops elaboration)
    generate
        if (DATA_WIDTH > vionic_pkg::CSUM_BEAT_BITS) begin : g_chk_dw
            vionic_error_data_width_above_csum_beat_bits u_err ();
        end
    endgenerate

    // ---------------- fill: the metadata, then the beats, summed on the way ----------------
    logic              have_meta, meta_s_ready;
    vionic_pkg::meta_t cur_meta, meta;
    logic              data_s_ready, rec_s_ready, beat_fire;
    logic [15:0]       fill_beat, fill_bytes;
    logic [31:0]       acc;
    assign meta          = have_meta ? cur_meta : s_meta_data;
    assign s_meta_ready  = !have_meta;
    assign s_axis_tready = (have_meta || s_meta_valid) && data_s_ready && rec_s_ready && meta_s_ready;
    assign beat_fire     = s_axis_tvalid && s_axis_tready;

    // bytes at or after csum_start: from its lane in its own beat on, every lane of later beats
    // (tkeep is contiguous from lane 0: the stage interface); summed only in a cycle that
    // takes a beat (the only cycles that use it: a Verilated model skips it in the others)
    logic [15:0]   beat_sum;
    logic [LW:0]   beat_bytes, sum_lo;
    logic [15:0]   start_beat;
    always_comb begin
        start_beat = meta.csum_start >> LW;
        beat_bytes = (LW+1)'($countones(s_axis_tkeep));
        if (fill_beat > start_beat)       sum_lo = '0;
        else if (fill_beat == start_beat) sum_lo = {1'b0, meta.csum_start[LW-1:0]};
        else                              sum_lo = (LW+1)'(W);
        beat_sum = '0;
        if (beat_fire)
            beat_sum = vionic_pkg::csum_lanes(vionic_pkg::CSUM_BEAT_BITS'(s_axis_tdata),
                                              vionic_pkg::CSUM_LANE_BITS'(sum_lo),
                                              vionic_pkg::CSUM_LANE_BITS'(beat_bytes));
    end

    // at the last beat: the verdict and the checksum of the frame
    logic [31:0] total, fold1;
    logic [15:0] fold2, csum;
    logic [16:0] len, field_end;
    logic        act, bad;
    always_comb begin
        total     = acc + 32'(beat_sum);
        fold1     = {16'd0, total[15:0]} + {16'd0, total[31:16]};
        fold2     = fold1[15:0] + {15'd0, fold1[16]};
        // words pair bytes from csum_start on: an odd start swaps the bytes of the sum
        if (meta.csum_start[0]) fold2 = {fold2[7:0], fold2[15:8]};
        csum      = (~fold2 == 16'd0) ? 16'hFFFF : ~fold2;
        len       = {1'b0, fill_bytes} + 17'(beat_bytes);
        field_end = {1'b0, meta.csum_start} + {1'b0, meta.csum_offset} + 17'd2;
        act       = enable && ((meta.flags & vionic_pkg::VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) && !s_axis_tuser;
        bad       = act && (field_end > len);
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            have_meta  <= 1'b0;
            cur_meta   <= '0;
            fill_beat  <= '0;
            fill_bytes <= '0;
            acc        <= '0;
        end else begin
            if (s_meta_valid && s_meta_ready) cur_meta <= s_meta_data;
            if (beat_fire && s_axis_tlast) begin
                have_meta  <= 1'b0;
                fill_beat  <= '0;
                fill_bytes <= '0;
                acc        <= '0;
            end else begin
                if (s_meta_valid && s_meta_ready) have_meta <= 1'b1;
                if (beat_fire) begin
                    fill_beat  <= fill_beat + 16'd1;
                    fill_bytes <= len[15:0];
                    acc        <= total;
                end
            end
        end
    end

    // frame store, and per frame the metadata out and the insertion {insert, position, checksum}
    logic                  data_m_valid, data_m_ready, data_m_last, data_m_user;
    logic [DATA_WIDTH-1:0] data_m_data;
    logic [W-1:0]          data_m_keep;
    logic [$clog2(DEPTH)+1:0] data_count, rec_count, meta_count;
    vionic_fifo #(.WIDTH(DATA_WIDTH + W + 2), .DEPTH(DEPTH)) u_data (
        .clk(clk), .rst(rst), .s_valid(beat_fire), .s_ready(data_s_ready),
        .s_data({s_axis_tdata, s_axis_tkeep, s_axis_tlast, s_axis_tuser}),
        .m_valid(data_m_valid), .m_ready(data_m_ready),
        .m_data({data_m_data, data_m_keep, data_m_last, data_m_user}), .count(data_count));

    logic              rec_m_valid, rec_m_ready, rec_m_ins;
    logic [15:0]       rec_m_pos, rec_m_csum;
    vionic_pkg::meta_t meta_out;
    always_comb begin
        meta_out      = meta;
        meta_out.drop = meta.drop || bad;
        meta_out.events[EV + 32'(vionic_pkg::VIONIC_STAGE_CSUM_GOOD) / 4] = act && !bad;
        meta_out.events[EV + 32'(vionic_pkg::VIONIC_STAGE_CSUM_BAD) / 4]  = bad;
    end
    vionic_fifo #(.WIDTH(33), .DEPTH(DEPTH)) u_rec (
        .clk(clk), .rst(rst), .s_valid(beat_fire && s_axis_tlast), .s_ready(rec_s_ready),
        .s_data({act && !bad, field_end[15:0] - 16'd2, csum}),
        .m_valid(rec_m_valid), .m_ready(rec_m_ready), .m_data({rec_m_ins, rec_m_pos, rec_m_csum}),
        .count(rec_count));
    vionic_fifo #(.WIDTH(vionic_pkg::META_BITS), .DEPTH(DEPTH)) u_meta (
        .clk(clk), .rst(rst), .s_valid(beat_fire && s_axis_tlast), .s_ready(meta_s_ready),
        .s_data(meta_out), .m_valid(m_meta_valid), .m_ready(m_meta_ready), .m_data(m_meta_data),
        .count(meta_count));

    // ---------------- drain: beats of a complete frame, the field replaced ----------------
    logic [15:0]           drain_beat, pos1;
    logic [DATA_WIDTH-1:0] out_data;
    logic                  out_load;
    assign pos1 = rec_m_pos + 16'd1;
    always_comb begin
        out_data = data_m_data;
        // a lane loop (a decoder per lane in hardware) run only for the beats that hold the field
        if (rec_m_ins && (drain_beat == (rec_m_pos >> LW) || drain_beat == (pos1 >> LW)))
            for (int l = 0; l < W; l++) begin
                if (drain_beat == (rec_m_pos >> LW) && l == 32'(rec_m_pos[LW-1:0]))
                    out_data[8*l +: 8] = rec_m_csum[15:8];
                if (drain_beat == (pos1 >> LW) && l == 32'(pos1[LW-1:0]))
                    out_data[8*l +: 8] = rec_m_csum[7:0];
            end
    end
    assign out_load     = !m_axis_tvalid || m_axis_tready;
    assign data_m_ready = out_load && rec_m_valid && data_m_valid;
    assign rec_m_ready  = data_m_ready && data_m_last;

    always_ff @(posedge clk) begin
        if (rst) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tkeep  <= '0;
            m_axis_tlast  <= 1'b0;
            m_axis_tuser  <= 1'b0;
            drain_beat    <= '0;
        end else if (out_load) begin
            m_axis_tvalid <= data_m_ready;
            if (data_m_ready) begin
                m_axis_tdata <= out_data;
                m_axis_tkeep <= data_m_keep;
                m_axis_tlast <= data_m_last;
                m_axis_tuser <= data_m_user;
                drain_beat   <= data_m_last ? 16'd0 : drain_beat + 16'd1;
            end
        end
    end

    assign busy = have_meta || (data_count != 0) || (meta_count != 0) || m_axis_tvalid;

    logic unused_ok;
    assign unused_ok = ^{rec_count, fold1[31:17], len[16]};
endmodule

`default_nettype wire
