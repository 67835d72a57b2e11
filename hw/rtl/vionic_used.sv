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

    // Element writes are issued back to back (never waiting for B); used.idx is
    // written for the newest batch whose element write (and so every earlier
    // write of the engine) has completed: 'pend' is the batch waited for,
    // 'nxt' collects newer batches meanwhile (coalesced into one idx write).
    logic [15:0]  used_idx, pos, to_end, limit;
    logic [3:0]   k;
    logic         ent_ready;          // a gathered batch waits to be written
    logic [511:0] buffer;
    logic         pend_v, nxt_v;
    logic [15:0]  pend_seq, pend_idx, nxt_seq, nxt_idx, idx_seq;
    logic         irq_wait;
    logic [15:0]  d_pend, d_idx;
    logic         idx_go, ent_go;

    always_comb begin
        pos    = used_idx & (q_size - 1'b1);
        to_end = q_size - pos;
        limit  = (to_end < 16'(BATCH)) ? to_end : 16'(BATCH);
        d_pend = wr_done - pend_seq - 1'b1;   // < 0x8000: element write done
        d_idx  = wr_done - idx_seq - 1'b1;
    end
    assign q_pop  = !ent_ready && q_valid && ({12'd0, k} < limit);
    assign idx_go = pend_v && !d_pend[15];

    always_comb begin
        wr_req_valid = 1'b0;
        wr_req_addr  = q_used + {{(ADDR_WIDTH-19){1'b0}}, pos, 3'b000} + 4;
        wr_req_len   = {9'd0, k, 3'b000};
        wr_req_data  = buffer;
        ent_go       = 1'b0;
        if (idx_go) begin
            wr_req_valid = 1'b1;
            wr_req_addr  = q_used + 2;
            wr_req_len   = 16'd2;
            wr_req_data  = {496'd0, pend_idx};
        end else if (ent_ready) begin
            wr_req_valid = 1'b1;
            ent_go       = 1'b1;
        end
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            used_idx <= '0; k <= '0; buffer <= '0; ent_ready <= 1'b0;
            pend_v <= 1'b0; nxt_v <= 1'b0; pend_seq <= '0; pend_idx <= '0; nxt_seq <= '0; nxt_idx <= '0;
            idx_seq <= '0; irq_wait <= 1'b0; irq <= 1'b0;
        end else begin
            irq <= 1'b0;
            if (q_pop) begin
                buffer[{k[2:0], 6'd0} +: 64] <= {q_out[47:16], 16'd0, q_out[15:0]};
                k <= k + 4'd1;
            end
            // write a batch when it is full, or when nothing more is queued and no
            // used.idx update is pending (under load batches fill up to BATCH)
            if (!ent_ready && k != 0 && (({12'd0, k} + {15'd0, q_pop} >= limit) || (!q_valid && !pend_v)))
                ent_ready <= 1'b1;
            // idx write of the pending batch
            if (idx_go && wr_req_ready) begin
                idx_seq  <= wr_seq;
                irq_wait <= 1'b1;
                pend_v   <= nxt_v;
                pend_seq <= nxt_seq;
                pend_idx <= nxt_idx;
                nxt_v    <= 1'b0;
            end
            // element write
            if (ent_go && wr_req_ready) begin
                used_idx  <= used_idx + {12'd0, k};
                k         <= '0;
                ent_ready <= 1'b0;
                if (!pend_v) begin
                    pend_v <= 1'b1; pend_seq <= wr_seq; pend_idx <= used_idx + {12'd0, k};
                end else begin
                    nxt_v <= 1'b1; nxt_seq <= wr_seq; nxt_idx <= used_idx + {12'd0, k};
                end
            end
            if (irq_wait && !(idx_go && wr_req_ready) && !d_idx[15]) begin
                irq_wait <= 1'b0;
                irq      <= !no_irq;
            end
        end
    end

    logic unused_ok;
    assign unused_ok = ^{q_count, d_pend[14:0], d_idx[14:0]};
endmodule
