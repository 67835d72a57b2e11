// vionic_used: used-ring writer of one virtqueue with coalescing.
// Completed chains (id, len) are gathered into one DMA write of up to BATCH
// used elements (never across the ring end); once that write (and every
// earlier write of the engine, B responses return in order) has completed,
// used.idx is written. After the used.idx write has completed, an interrupt
// is requested unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT.
module vionic_used #(
    parameter int ADDR_WIDTH = 64,  // address width
    parameter int CP_DEPTH   = 64,  // completion FIFO entries
    parameter int BATCH      = 8    // used elements per write (<= 8: 64 bytes inline)
) (
    input  logic                  clk,
    input  logic                  rst,
    input  logic                  clear,
    input  logic [15:0]           q_size,
    input  logic [ADDR_WIDTH-1:0] q_used,
    input  logic                  no_irq,       // avail.flags & VIRTQ_AVAIL_F_NO_INTERRUPT
    // completions
    input  logic                  cp_valid,
    output logic                  cp_ready,
    input  logic [15:0]           cp_id,
    input  logic [31:0]           cp_len,
    // DMA write requests (inline data)
    output logic                  wr_req_valid,
    input  logic                  wr_req_ready,
    output logic [ADDR_WIDTH-1:0] wr_req_addr,
    output logic [15:0]           wr_req_len,
    output logic [511:0]          wr_req_data,
    input  logic [15:0]           wr_seq,       // sequence number of the request being accepted
    input  logic [15:0]           wr_done,      // requests completed
    // interrupt request (one-cycle pulse)
    output logic                  irq
);
    logic        q_valid, q_pop;
    logic [47:0] q_out;
    logic [$clog2(CP_DEPTH)+1:0] q_count;
    vionic_fifo #(.WIDTH(48), .DEPTH(CP_DEPTH)) u_cp (
        .clk(clk), .rst(rst || clear), .s_valid(cp_valid), .s_ready(cp_ready), .s_data({cp_len, cp_id}),
        .m_valid(q_valid), .m_ready(q_pop), .m_data(q_out), .count(q_count));

    localparam logic [1:0] S_GATHER = 2'd0, S_ENT = 2'd1, S_WAIT = 2'd2, S_IDX = 2'd3;
    logic [1:0]   state;
    logic [15:0]  used_idx, pos, to_end, limit;
    logic [3:0]   k;
    logic [511:0] buffer;
    logic [15:0]  ent_seq, idx_seq;
    logic         irq_wait;
    logic [15:0]  d_ent, d_idx;

    always_comb begin
        pos    = used_idx & (q_size - 1'b1);
        to_end = q_size - pos;
        limit  = (to_end < 16'(BATCH)) ? to_end : 16'(BATCH);
        d_ent  = wr_done - ent_seq - 1'b1;   // < 0x8000: ent write done
        d_idx  = wr_done - idx_seq - 1'b1;
    end
    assign q_pop = (state == S_GATHER) && q_valid && ({12'd0, k} < limit);

    always_comb begin
        wr_req_valid = 1'b0;
        wr_req_addr  = q_used + {{(ADDR_WIDTH-19){1'b0}}, pos, 3'b000} + 4;
        wr_req_len   = {9'd0, k, 3'b000};
        wr_req_data  = buffer;
        if (state == S_ENT) wr_req_valid = 1'b1;
        if (state == S_IDX) begin
            wr_req_valid = 1'b1;
            wr_req_addr  = q_used + 2;
            wr_req_len   = 16'd2;
            wr_req_data  = {496'd0, used_idx};
        end
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            state <= S_GATHER; used_idx <= '0; k <= '0; buffer <= '0;
            ent_seq <= '0; idx_seq <= '0; irq_wait <= 1'b0; irq <= 1'b0;
        end else begin
            irq <= 1'b0;
            case (state)
                S_GATHER: begin
                    if (q_pop) begin
                        buffer[{k[2:0], 6'd0} +: 64] <= {q_out[47:16], 16'd0, q_out[15:0]};
                        k <= k + 4'd1;
                    end
                    if ((!q_valid || {12'd0, k} >= limit) && k != 0) state <= S_ENT;
                end
                S_ENT: if (wr_req_ready) begin
                    ent_seq  <= wr_seq;
                    used_idx <= used_idx + {12'd0, k};
                    k        <= '0;
                    state    <= S_WAIT;
                end
                S_WAIT: if (!d_ent[15]) state <= S_IDX;
                default: if (wr_req_ready) begin
                    idx_seq  <= wr_seq;
                    irq_wait <= 1'b1;
                    state    <= S_GATHER;
                end
            endcase
            if (irq_wait && state != S_IDX && !d_idx[15]) begin
                irq_wait <= 1'b0;
                irq      <= !no_irq;
            end
        end
    end

    logic unused_ok;
    assign unused_ok = ^{q_count, d_ent[14:0], d_idx[14:0]};
endmodule
