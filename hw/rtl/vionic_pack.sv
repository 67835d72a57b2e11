// vionic_pack: byte packer / realigner.
// Input beats carry a byte-lane range [s_lo, s_hi). The packer concatenates
// these ranges into an output segment whose first byte lands on lane s_off
// (given with s_first) and which ends (flushes) at s_last. One input beat per
// cycle; an extra cycle only when a segment's tail spills into a new beat.
// Used for TX compaction (read bursts -> packed frame), for the DMA write
// alignment (packed stream -> address-aligned beats with strobes) and for the
// RX header insertion.
`default_nettype none

module vionic_pack #(
    parameter int DATA_WIDTH = 64   // bits per beat (multiple of 16, power of two)
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            s_valid,
    output      logic                            s_ready,
    input  wire logic [DATA_WIDTH-1:0]           s_data,
    input  wire logic [$clog2(DATA_WIDTH/8)-1:0] s_lo,       // first valid lane
    input  wire logic [$clog2(DATA_WIDTH/8):0]   s_hi,       // one past last valid lane (> s_lo)
    input  wire logic                            s_first,    // first input of an output segment
    input  wire logic [$clog2(DATA_WIDTH/8)-1:0] s_off,      // output lane of the segment's first byte
    input  wire logic                            s_last,     // last input of the segment
    input  wire logic                            s_user,     // error flag, sticky over the segment
    input  wire logic                            s_pre,      // with s_first: lanes [0, s_off) come from s_pre_data
    input  wire logic [DATA_WIDTH-1:0]           s_pre_data, // prefix bytes (e.g. a header) merged into the first beat
    output      logic                            m_valid,
    input  wire logic                            m_ready,
    output      logic [DATA_WIDTH-1:0]           m_data,
    output      logic [DATA_WIDTH/8-1:0]         m_strb,
    output      logic                            m_last,
    output      logic                            m_user
);
    localparam int W  = DATA_WIDTH / 8;
    localparam int LW = $clog2(W);

    logic [DATA_WIDTH-1:0] acc;
    logic [LW-1:0]         acc_bytes, acc_lo;
    logic                  flush_pending, seg_err;

    logic [LW-1:0]           fill, out_lo, rotate_lanes;
    logic [LW:0]             in_bytes, fill_total;
    logic [LW+2:0]           rotate_bits;
    logic [DATA_WIDTH-1:0]   acc_base;
    logic [W-1:0]            below_lo_mask, total_mask, flush_mask;
    logic                    out_free, in_fire, seg_err_now;

    always_comb begin
        fill          = s_first ? s_off : acc_bytes;
        out_lo        = s_first ? (s_pre ? '0 : s_off) : acc_lo;
        acc_base      = (s_first && s_pre) ? s_pre_data : acc;
        in_bytes      = s_hi - {1'b0, s_lo};
        fill_total    = {1'b0, fill} + in_bytes;
        rotate_lanes  = fill - s_lo;
        rotate_bits   = {rotate_lanes, 3'b000};
        below_lo_mask = ~({W{1'b1}} << out_lo);
        total_mask    = fill_total[LW] ? {W{1'b1}} : ~({W{1'b1}} << fill_total[LW-1:0]);
        flush_mask    = ~({W{1'b1}} << acc_bytes);
        seg_err_now = (s_first ? 1'b0 : seg_err) | s_user;
    end

    // the input beat turned so that its lane s_lo lands on lane fill, and that merged over
    // the bytes held below fill: functions, called only where a beat is taken, so that a
    // Verilated model does not shift the whole beat in the cycles without one
    function automatic logic [DATA_WIDTH-1:0] rotate(input logic [DATA_WIDTH-1:0] d, input logic [LW+2:0] bits);
        rotate = (d << bits) | (d >> (DATA_WIDTH[LW+3:0] - {1'b0, bits}));
    endfunction
    function automatic logic [DATA_WIDTH-1:0] merge(input logic [DATA_WIDTH-1:0] held,
                                                    input logic [DATA_WIDTH-1:0] rotated,
                                                    input logic [LW-1:0] lanes);
        logic [DATA_WIDTH-1:0] held_bits;
        held_bits = ~({DATA_WIDTH{1'b1}} << {lanes, 3'b000});   // the bytes of lanes below `lanes`
        merge = (held & held_bits) | (rotated & ~held_bits);
    endfunction

    assign out_free = !m_valid || m_ready;
    assign s_ready  = out_free && !flush_pending;
    assign in_fire  = s_valid && s_ready;

    always_ff @(posedge clk) begin
        logic [DATA_WIDTH-1:0] rotated, merged;   // this cycle's beat (no state)
        if (rst) begin
            m_valid       <= 1'b0;
            acc_bytes     <= '0;
            acc_lo        <= '0;
            flush_pending <= 1'b0;
            seg_err       <= 1'b0;
        end else begin
            if (out_free) m_valid <= 1'b0;
            if (flush_pending && out_free) begin
                m_valid       <= 1'b1;
                m_data        <= acc;
                m_strb        <= flush_mask;
                m_last        <= 1'b1;
                m_user        <= seg_err;
                flush_pending <= 1'b0;
                seg_err       <= 1'b0;
                acc_bytes     <= '0;
                acc_lo        <= '0;
            end else if (in_fire) begin
                rotated = rotate(s_data, rotate_bits);
                merged  = merge(acc_base, rotated, fill);
                if (fill_total[LW]) begin
                    // a full output beat is complete
                    m_valid   <= 1'b1;
                    m_data    <= merged;
                    m_strb    <= ~below_lo_mask;
                    m_last    <= s_last && (fill_total[LW-1:0] == '0);
                    m_user    <= seg_err_now;
                    acc       <= rotated;
                    acc_bytes <= fill_total[LW-1:0];
                    acc_lo    <= '0;
                    if (s_last && (fill_total[LW-1:0] != '0)) begin
                        flush_pending <= 1'b1;
                        seg_err       <= seg_err_now;
                    end else begin
                        seg_err   <= s_last ? 1'b0 : seg_err_now;
                    end
                end else if (s_last) begin
                    m_valid   <= 1'b1;
                    m_data    <= merged;
                    m_strb    <= total_mask & ~below_lo_mask;
                    m_last    <= 1'b1;
                    m_user    <= seg_err_now;
                    acc_bytes <= '0;
                    acc_lo    <= '0;
                    seg_err   <= 1'b0;
                end else begin
                    acc       <= merged;
                    acc_bytes <= fill_total[LW-1:0];
                    acc_lo    <= out_lo;
                    seg_err   <= seg_err_now;
                end
            end
        end
    end
endmodule

`default_nettype wire
