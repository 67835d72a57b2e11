// vionic_pack: byte packer / realigner.
// Input beats carry a byte-lane range [s_lo, s_hi). The packer concatenates
// these ranges into an output segment whose first byte lands on lane s_off
// (given with s_first) and which ends (flushes) at s_last. One input beat per
// cycle; an extra cycle only when a segment's tail spills into a new beat.
// Used for TX compaction (read bursts -> packed frame), for the DMA write
// alignment (packed stream -> address-aligned beats with strobes) and for the
// RX header insertion.
module vionic_pack #(
    parameter int DATA_WIDTH = 64   // bits per beat (multiple of 16, power of two)
) (
    input  logic                    clk,
    input  logic                    rst,
    input  logic                    s_valid,
    output logic                    s_ready,
    input  logic [DATA_WIDTH-1:0]   s_data,
    input  logic [$clog2(DATA_WIDTH/8)-1:0] s_lo,   // first valid lane
    input  logic [$clog2(DATA_WIDTH/8):0]   s_hi,   // one past last valid lane (> s_lo)
    input  logic                    s_first,        // first input of an output segment
    input  logic [$clog2(DATA_WIDTH/8)-1:0] s_off,  // output lane of the segment's first byte
    input  logic                    s_last,         // last input of the segment
    input  logic                    s_user,         // error flag, sticky over the segment
    input  logic                    s_pre,          // with s_first: lanes [0, s_off) come from s_pre_data
    input  logic [DATA_WIDTH-1:0]   s_pre_data,     // prefix bytes (e.g. a header) merged into the first beat
    output logic                    m_valid,
    input  logic                    m_ready,
    output logic [DATA_WIDTH-1:0]   m_data,
    output logic [DATA_WIDTH/8-1:0] m_strb,
    output logic                    m_last,
    output logic                    m_user
);
    localparam int W  = DATA_WIDTH / 8;
    localparam int LW = $clog2(W);

    logic [DATA_WIDTH-1:0] acc;
    logic [LW-1:0]         n, acc_lo;
    logic                  flush, err;

    logic [LW-1:0]           n0, lo0, rot_amt;
    logic [LW:0]             k, total;
    logic [LW+2:0]           sh;
    logic [DATA_WIDTH-1:0]   rot, merged, bm_n0, acc_eff;
    logic [W-1:0]            lm_n0, lm_lo0, lm_tot, lm_flush;
    logic                    out_ok, take, err_cur;

    always_comb begin
        n0      = s_first ? s_off : n;
        lo0     = s_first ? (s_pre ? '0 : s_off) : acc_lo;
        acc_eff = (s_first && s_pre) ? s_pre_data : acc;
        k       = s_hi - {1'b0, s_lo};
        total   = {1'b0, n0} + k;
        rot_amt = n0 - s_lo;
        sh      = {rot_amt, 3'b000};
        rot     = (s_data << sh) | (s_data >> (DATA_WIDTH[LW+3:0] - {1'b0, sh}));
        lm_n0   = ~({W{1'b1}} << n0);
        lm_lo0  = ~({W{1'b1}} << lo0);
        lm_tot  = total[LW] ? {W{1'b1}} : ~({W{1'b1}} << total[LW-1:0]);
        lm_flush = ~({W{1'b1}} << n);
        for (int j = 0; j < W; j++) bm_n0[8*j +: 8] = {8{lm_n0[j]}};
        merged  = (acc_eff & bm_n0) | (rot & ~bm_n0);
        err_cur = (s_first ? 1'b0 : err) | s_user;
    end

    assign out_ok  = !m_valid || m_ready;
    assign s_ready = out_ok && !flush;
    assign take    = s_valid && s_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            m_valid <= 1'b0;
            n       <= '0;
            acc_lo  <= '0;
            flush   <= 1'b0;
            err     <= 1'b0;
        end else begin
            if (out_ok) m_valid <= 1'b0;
            if (flush && out_ok) begin
                m_valid <= 1'b1;
                m_data  <= acc;
                m_strb  <= lm_flush;
                m_last  <= 1'b1;
                m_user  <= err;
                flush   <= 1'b0;
                err     <= 1'b0;
                n       <= '0;
                acc_lo  <= '0;
            end else if (take) begin
                if (total[LW]) begin
                    // a full output beat is complete
                    m_valid <= 1'b1;
                    m_data  <= merged;
                    m_strb  <= ~lm_lo0;
                    m_last  <= s_last && (total[LW-1:0] == '0);
                    m_user  <= err_cur;
                    acc     <= rot;
                    n       <= total[LW-1:0];
                    acc_lo  <= '0;
                    if (s_last && (total[LW-1:0] != '0)) begin
                        flush <= 1'b1;
                        err   <= err_cur;
                    end else begin
                        err   <= s_last ? 1'b0 : err_cur;
                    end
                end else if (s_last) begin
                    m_valid <= 1'b1;
                    m_data  <= merged;
                    m_strb  <= lm_tot & ~lm_lo0;
                    m_last  <= 1'b1;
                    m_user  <= err_cur;
                    n       <= '0;
                    acc_lo  <= '0;
                    err     <= 1'b0;
                end else begin
                    acc     <= merged;
                    n       <= total[LW-1:0];
                    acc_lo  <= lo0;
                    err     <= err_cur;
                end
            end
        end
    end
endmodule
