// vionic_used: used-ring writer of one virtqueue with coalescing.
// Completed chains (id, len, last) are gathered into one DMA write of up to
// BATCH used elements (never across the ring end); once that write (and every
// earlier write of the engine, B responses return in order) has completed,
// used.idx is written up to its newest element marked `last`: the used
// entries of one RX frame (MRG_RXBUF) are published together, never split
// (VIRTIO 1.2 §5.1.6.4: the driver takes num_buffers entries at once); a
// batch that ends inside a frame publishes nothing (TX entries are all last). The ring index starts at start_used (VQ_STATE, held
// while the queue is disabled); used_idx is the next used-ring index written.
// After the used.idx write has completed, an interrupt is requested at once if
// the flags last read (no_irq) want one; if they say
// VRING_AVAIL_F_NO_INTERRUPT, avail.flags is read again (flags_req; the fetch
// engine answers with flags_fresh and the new no_irq), since the driver may
// have cleared it without a doorbell, and that value decides (VIRTIO 1.2
// §2.7.7.2: used.idx store before the flags load). Publications while that
// read is in flight share it, or one more read after it.
// With LIMITED, an element is written only once it is below publish_limit:
// the RX queue writes (and so publishes) used entries only for frames whose
// data writes completed without error, and never writes the ring slot of a
// failed one.
`default_nettype none

module vionic_used #(
    parameter int ADDR_WIDTH = 64,  // address width
    parameter int ELEM_DEPTH = 64,  // used element FIFO entries
    parameter int BATCH      = 8,   // used elements per write (<= 8: 64 bytes inline)
    parameter bit LIMITED    = 0,   // 1: elements are written only up to publish_limit
    parameter bit GATHER     = 0    // LIMITED: a batch also waits for the elements queued behind it
) (
    input  wire logic                  clk,
    input  wire logic                  rst,
    input  wire logic                  clear,
    input  wire logic                  enabled,        // queue_enable; while 0 the ring index is start_used
    input  wire logic [15:0]           start_used,     // used index of the first element after enable (VQ_STATE)
    output      logic [15:0]           used_idx,       // next used-ring index written (VQ_STATE)
    output      logic                  quiet,          // nothing gathered, written or to be published
    input  wire logic [15:0]           q_size,
    input  wire logic [ADDR_WIDTH-1:0] q_used,
    input  wire logic                  no_irq,         // avail.flags & VRING_AVAIL_F_NO_INTERRUPT
    output      logic                  flags_req,      // re-read avail.flags (one-cycle pulse)
    input  wire logic                  flags_fresh,    // no_irq now comes from a read issued after flags_req
    input  wire logic [15:0]           publish_limit,  // LIMITED: elements up to this count may be written
    // completions
    input  wire logic                  s_used_valid,
    output      logic                  s_used_ready,
    input  wire logic [15:0]           s_used_id,
    input  wire logic [31:0]           s_used_len,
    input  wire logic                  s_used_last,    // the last used entry of its frame
    // DMA write requests (inline data)
    output      logic                  m_wr_req_valid,
    input  wire logic                  m_wr_req_ready,
    output      logic [ADDR_WIDTH-1:0] m_wr_req_addr,
    output      logic [15:0]           m_wr_req_len,
    output      logic [511:0]          m_wr_req_data,
    input  wire logic [15:0]           wr_seq,         // sequence number of the request being accepted
    input  wire logic [15:0]           wr_done,        // requests completed
    // interrupt request (one-cycle pulse)
    output      logic                  irq
);
    logic        elems_m_valid, elems_m_ready;
    logic [47:0] elems_m_data;
    logic        elems_m_last;
    logic [$clog2(ELEM_DEPTH)+1:0] elems_count;
    vionic_fifo #(.WIDTH(49), .DEPTH(ELEM_DEPTH)) u_elems (
        .clk(clk), .rst(rst || clear), .s_valid(s_used_valid), .s_ready(s_used_ready),
        .s_data({s_used_last, s_used_len, s_used_id}),
        .m_valid(elems_m_valid), .m_ready(elems_m_ready), .m_data({elems_m_last, elems_m_data}),
        .count(elems_count));

    // Element writes are issued back to back (never waiting for B); used.idx is
    // written for the newest batch whose element write (and so every earlier
    // write of the engine) has completed: 'pending' is the batch waited for,
    // 'next' collects newer batches meanwhile (coalesced into one idx write).
    localparam int ELEM_SHIFT = $clog2(vionic_pkg::USED_ELEM_SIZE);

    logic [15:0]  ring_pos, ring_to_end, batch_limit;
    logic [3:0]   batch_len;           // elements gathered
    logic         batch_bound;         // one of them ends a frame
    logic [15:0]  batch_bound_idx;     // used.idx after the newest such
    logic         batch_ready;         // a gathered batch waits to be written
    logic [511:0] batch_data;
    logic         idx_pending;         // an element write waits for its B before its used.idx write
    logic [15:0]  pending_elem_seq;    // DMA write sequence number of that element write
    logic [15:0]  pending_idx;         // used.idx after it
    logic         idx_next_valid;      // a newer element write waits behind it
    logic [15:0]  next_elem_seq;
    logic [15:0]  next_idx;
    logic [15:0]  idx_write_seq;       // sequence number of the last used.idx write
    logic         irq_wait;            // the used.idx write must complete before the interrupt
    logic [15:0]  pending_dist, idx_dist, limit_dist;
    logic         elem_allowed, idx_write, batch_write;

    always_comb begin
        ring_pos     = used_idx & (q_size - 1'b1);
        ring_to_end  = q_size - ring_pos;
        batch_limit  = (ring_to_end < 16'(BATCH)) ? ring_to_end : 16'(BATCH);
        pending_dist = wr_done - pending_elem_seq - 1'b1;   // < 0x8000: element write done
        idx_dist     = wr_done - idx_write_seq - 1'b1;      // < 0x8000: used.idx write done
        limit_dist   = publish_limit - (used_idx - start_used + 16'(batch_len));   // allowed, not yet gathered
        elem_allowed = !LIMITED || (limit_dist != 0 && !limit_dist[15]);
    end
    assign elems_m_ready = !batch_ready && elems_m_valid && elem_allowed && (16'(batch_len) < batch_limit);
    assign idx_write     = idx_pending && !pending_dist[15];

    always_comb begin
        m_wr_req_valid = 1'b0;
        m_wr_req_addr  = q_used + ADDR_WIDTH'(vionic_pkg::USED_RING_OFFSET) + (ADDR_WIDTH'(ring_pos) << ELEM_SHIFT);
        m_wr_req_len   = 16'(batch_len) << ELEM_SHIFT;
        m_wr_req_data  = batch_data;
        batch_write    = 1'b0;
        if (idx_write) begin
            m_wr_req_valid = 1'b1;
            m_wr_req_addr  = q_used + ADDR_WIDTH'(vionic_pkg::USED_IDX_OFFSET);
            m_wr_req_len   = 16'd2;
            m_wr_req_data  = 512'(pending_idx);
        end else if (batch_ready) begin
            m_wr_req_valid = 1'b1;
            batch_write    = 1'b1;
        end
    end

    // gather elements into a batch
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            batch_len       <= '0;
            batch_data      <= '0;
            batch_ready     <= 1'b0;
            batch_bound     <= 1'b0;
            batch_bound_idx <= '0;
        end else begin
            if (elems_m_ready) begin
                // struct vring_used_elem: le32 id, le32 len
                batch_data[{batch_len[2:0], 6'd0} +: 64] <= {elems_m_data[47:16], 16'd0, elems_m_data[15:0]};
                batch_len <= batch_len + 4'd1;
                if (elems_m_last) begin
                    batch_bound     <= 1'b1;
                    batch_bound_idx <= used_idx + 16'(batch_len) + 16'd1;
                end
            end
            // write a batch when it is full, or when nothing more is queued and no
            // used.idx update is pending (under load batches fill up to BATCH); GATHER:
            // nor an element whose frame's data writes are still completing (it is
            // allowed soon: with frames spread over several queues each sees fewer at once)
            if (!batch_ready && batch_len != 0 &&
                ((16'(batch_len) + 16'(elems_m_ready) >= batch_limit) ||
                 (!elems_m_valid || (elem_allowed ? 1'b0 : !GATHER)) && !idx_pending))
                batch_ready <= 1'b1;
            if (batch_write && m_wr_req_ready) begin
                batch_len   <= '0;
                batch_ready <= 1'b0;
                batch_bound <= 1'b0;
            end
        end
    end

    // element writes, used.idx writes and the interrupt after them
    logic decide;          // a used.idx write has completed
    logic fresh;           // the avail.flags re-read answered
    logic flags_check;     // a publication waits for the avail.flags re-read
    logic flags_again;     // a later publication needs one more re-read after it
    assign decide = irq_wait && !(idx_write && m_wr_req_ready) && !idx_dist[15];
    assign fresh  = flags_check && flags_fresh;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            used_idx         <= '0;
            idx_pending      <= 1'b0;
            pending_elem_seq <= '0;
            pending_idx      <= '0;
            idx_next_valid   <= 1'b0;
            next_elem_seq    <= '0;
            next_idx         <= '0;
            idx_write_seq    <= '0;
            irq_wait         <= 1'b0;
            irq              <= 1'b0;
            flags_req        <= 1'b0;
            flags_check      <= 1'b0;
            flags_again      <= 1'b0;
        end else begin
            irq       <= 1'b0;
            flags_req <= 1'b0;
            if (idx_write && m_wr_req_ready) begin
                idx_write_seq    <= wr_seq;
                irq_wait         <= 1'b1;
                idx_pending      <= idx_next_valid;
                pending_elem_seq <= next_elem_seq;
                pending_idx      <= next_idx;
                idx_next_valid   <= 1'b0;
            end
            if (batch_write && m_wr_req_ready) begin
                used_idx <= used_idx + 16'(batch_len);
                // a batch without a frame end: its elements wait for a later batch's used.idx write
                if (batch_bound && !idx_pending) begin
                    idx_pending      <= 1'b1;
                    pending_elem_seq <= wr_seq;
                    pending_idx      <= batch_bound_idx;
                end else if (batch_bound) begin
                    idx_next_valid <= 1'b1;
                    next_elem_seq  <= wr_seq;
                    next_idx       <= batch_bound_idx;
                end
            end
            if (decide) irq_wait <= 1'b0;
            // the interrupt decision of a completed used.idx write
            if ((decide || fresh) && !no_irq) begin
                irq         <= 1'b1;      // interrupts wanted: covers every publication so far
                flags_check <= 1'b0;
                flags_again <= 1'b0;
            end else if (decide) begin
                if (!flags_check || fresh) begin
                    flags_check <= 1'b1;  // suppressed as far as known: read avail.flags again
                    flags_req   <= 1'b1;
                    flags_again <= 1'b0;
                end else begin
                    flags_again <= 1'b1;  // the read in flight may predate this publication
                end
            end else if (fresh) begin
                if (flags_again) begin
                    flags_req   <= 1'b1;
                    flags_again <= 1'b0;
                end else begin
                    flags_check <= 1'b0;  // still suppressed: no interrupt
                end
            end
            if (!enabled) used_idx <= start_used;
        end
    end

    assign quiet = (elems_count == 0 || (LIMITED && !elem_allowed)) && (batch_len == 0) && !batch_ready &&
                   !idx_pending && !irq_wait && !flags_check;

    logic unused_ok;
    assign unused_ok = ^{elems_count, pending_dist[14:0], idx_dist[14:0], limit_dist[14:0], publish_limit};
endmodule

`default_nettype wire
