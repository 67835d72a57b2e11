// vionic_fetch: avail-ring and descriptor fetch for one split virtqueue.
// - reads avail.flags/avail.idx on a doorbell (or when the RX side needs buffers),
// - reads avail ring entries in batches of up to RING_BATCH per DMA read,
// - groups consecutive head indices into runs of up to DESC_BATCH descriptors
//   read with one DMA read, several runs in flight (credit-checked),
// - walks chains (NEXT) with single-descriptor reads, checks every descriptor
//   and emits whole chains: the segments (addr, len) and then the chain record
//   (head, total length, segment count).
// Errors (VIONIC_ERR_*): 1 DMA error, 2 chain too long/loop, 3 zero length,
// 4 wrong direction, 6 index out of range. After an error the engine halts.
module vionic_fetch #(
    parameter int DATA_WIDTH     = 64,   // DMA data width in bits
    parameter int ADDR_WIDTH     = 64,   // address width
    parameter bit IS_RX          = 0,    // 1: receive queue (descriptors must be device-writable)
    parameter int RING_BATCH     = 32,   // avail entries per DMA read (max)
    parameter int DESC_BATCH     = 8,    // descriptors per run read (max)
    parameter int HEAD_DEPTH     = 64,   // head index FIFO entries
    parameter int DESC_DEPTH     = 64,   // fetched-descriptor FIFO entries
    parameter int SEG_DEPTH      = 32,   // segment FIFO entries (>= MAX_CHAIN_SEGS)
    parameter int CHAIN_DEPTH    = 32,   // chain record FIFO entries
    parameter int MAX_CHAIN_SEGS = 16    // longest chain accepted (also bounded by queue size)
) (
    input  logic                  clk,
    input  logic                  rst,
    input  logic                  clear,       // queue reset: back to initial state
    input  logic                  run,         // queue enabled, DRIVER_OK, not stopped
    input  logic [15:0]           q_size,      // power of two
    input  logic [ADDR_WIDTH-1:0] q_desc,
    input  logic [ADDR_WIDTH-1:0] q_avail,
    input  logic                  kick,        // doorbell
    input  logic                  need,        // RX: a frame waits for a buffer
    output logic                  dry,         // avail ring empty and nothing in the pipeline
    output logic [15:0]           avail_flags,
    // DMA read client
    output logic                  rd_req_valid,
    input  logic                  rd_req_ready,
    output logic [ADDR_WIDTH-1:0] rd_req_addr,
    output logic [15:0]           rd_req_len,
    output logic [1:0]            rd_req_tag,
    input  logic                  rd_valid,
    output logic                  rd_ready,
    input  logic [DATA_WIDTH-1:0] rd_data,
    input  logic [$clog2(DATA_WIDTH/8)-1:0] rd_lo,
    input  logic [$clog2(DATA_WIDTH/8):0]   rd_hi,
    input  logic                  rd_last,
    input  logic [1:0]            rd_tag,
    input  logic                  rd_err,
    input  logic [ADDR_WIDTH-1:0] rd_err_addr,
    // chain segments, then the chain record
    output logic                  sg_valid,
    input  logic                  sg_ready,
    output logic [ADDR_WIDTH-1:0] sg_addr,
    output logic [31:0]           sg_len,
    output logic [15:0]           sg_idx,      // descriptor index of the segment (error reports)
    output logic                  ch_valid,
    input  logic                  ch_ready,
    output logic [15:0]           ch_head,
    output logic [31:0]           ch_total,
    output logic [7:0]            ch_nseg,
    // error report (one-cycle pulse)
    output logic                  err_valid,
    output logic [3:0]            err_code,
    output logic [15:0]           err_desc,
    output logic [ADDR_WIDTH-1:0] err_addr
);
    localparam int W  = DATA_WIDTH / 8;
    localparam int LW = $clog2(W);
    localparam int DU = (W < 16) ? W : 16;        // descriptor bytes per extraction step
    localparam int DSTEPS = 16 / DU;
    localparam int HCW = $clog2(HEAD_DEPTH) + 2;
    localparam int DCW = $clog2(DESC_DEPTH) + 2;
    localparam logic [1:0] T_HDR = 2'd0, T_RING = 2'd1, T_RUN = 2'd2, T_CHAIN = 2'd3;

    logic [15:0] mask;
    assign mask = q_size - 1'b1;

    logic        halted;
    logic        live;
    assign live = run && !halted;

    // ---------------- state ----------------
    logic [15:0] ring_ptr, avail_idx;
    logic        kick_pend, hdr_busy, dry_flag;
    logic [HCW-1:0] head_inflight;
    logic [DCW-1:0] desc_inflight;
    logic [15:0] run_start;
    logic [4:0]  run_len;
    logic        chain_want, chain_busy;
    logic [15:0] chain_idx;

    // head FIFO
    logic        hf_in_valid, hf_valid, hf_pop, hf_s_ready;
    logic [15:0] hf_in, hf_head;
    logic [$clog2(HEAD_DEPTH)+1:0] hf_count;
    vionic_fifo #(.WIDTH(16), .DEPTH(HEAD_DEPTH)) u_heads (
        .clk(clk), .rst(rst || clear), .s_valid(hf_in_valid), .s_ready(hf_s_ready), .s_data(hf_in),
        .m_valid(hf_valid), .m_ready(hf_pop), .m_data(hf_head), .count(hf_count));

    // descriptor FIFO (run responses): {head index, descriptor}
    logic         df_in_valid, df_valid, df_pop, df_s_ready;
    logic [143:0] df_in, df_out;
    logic [$clog2(DESC_DEPTH)+1:0] df_count;
    vionic_fifo #(.WIDTH(144), .DEPTH(DESC_DEPTH)) u_descs (
        .clk(clk), .rst(rst || clear), .s_valid(df_in_valid), .s_ready(df_s_ready), .s_data(df_in),
        .m_valid(df_valid), .m_ready(df_pop), .m_data(df_out), .count(df_count));

    // run info FIFO: {start, length} of each run read in flight
    logic        ri_valid, ri_pop, ri_s_ready;
    logic [20:0] ri_out;
    logic [$clog2(DESC_DEPTH)+1:0] ri_count;

    // ---------------- request selection ----------------
    logic [15:0] pend, pos, to_end, nring;
    logic        hdr_req, ring_req, run_req, can_extend, run_absorb;
    logic [15:0] run_next;

    always_comb begin
        pend   = avail_idx - ring_ptr;
        pos    = ring_ptr & mask;
        to_end = q_size - pos;
        nring  = pend;
        if (nring > 16'(RING_BATCH)) nring = 16'(RING_BATCH);
        if (nring > to_end) nring = to_end;
        hdr_req  = kick_pend && !hdr_busy;
        ring_req = (pend != 0) &&
                   ({{(HCW-1){1'b0}}, 1'b0} + HCW'(hf_count) + head_inflight + HCW'(nring) <= HCW'(HEAD_DEPTH));
        run_next = run_start + {11'd0, run_len};
        can_extend = hf_valid && (run_len != 0) && (hf_head == run_next) && (run_next < q_size) &&
                     (run_len < 5'(DESC_BATCH));
        run_req  = (run_len != 0) && !can_extend &&
                   ((run_len == 5'(DESC_BATCH)) || hf_valid || (head_inflight == 0));
    end

    logic [1:0] sel;   // which request is presented
    always_comb begin
        rd_req_valid = 1'b0;
        sel          = T_HDR;
        rd_req_addr  = q_avail;
        rd_req_len   = 16'd4;
        if (live) begin
            if (chain_want) begin
                rd_req_valid = 1'b1; sel = T_CHAIN;
                rd_req_addr  = q_desc + {{(ADDR_WIDTH-20){1'b0}}, chain_idx, 4'h0};
                rd_req_len   = 16'd16;
            end else if (hdr_req) begin
                rd_req_valid = 1'b1; sel = T_HDR;
                rd_req_addr  = q_avail;
                rd_req_len   = 16'd4;
            end else if (run_req && ri_s_ready) begin
                rd_req_valid = 1'b1; sel = T_RUN;
                rd_req_addr  = q_desc + {{(ADDR_WIDTH-20){1'b0}}, run_start, 4'h0};
                rd_req_len   = {7'd0, run_len, 4'h0};
            end else if (ring_req) begin
                rd_req_valid = 1'b1; sel = T_RING;
                rd_req_addr  = q_avail + {{(ADDR_WIDTH-17){1'b0}}, pos, 1'b0} + 4;
                rd_req_len   = {nring[14:0], 1'b0};
            end
        end
        rd_req_tag = sel;
    end

    logic req_fire;
    assign req_fire = rd_req_valid && rd_req_ready;

    // absorb heads into the current run (desc FIFO credit checked)
    assign run_absorb = live && hf_valid && !(req_fire && sel == T_RUN) &&
                        ((run_len == 0) || can_extend) &&
                        (DCW'(df_count) + desc_inflight + DCW'(run_len) + 1'b1 <= DCW'(DESC_DEPTH));
    assign hf_pop = run_absorb;

    vionic_fifo #(.WIDTH(21), .DEPTH(DESC_DEPTH)) u_runs (
        .clk(clk), .rst(rst || clear), .s_valid(req_fire && sel == T_RUN), .s_ready(ri_s_ready),
        .s_data({run_start, run_len}),
        .m_valid(ri_valid), .m_ready(ri_pop), .m_data(ri_out), .count(ri_count));

    // ---------------- response extraction ----------------
    logic [LW:0]  pp, q;
    logic         p_started;
    logic         hdr_second;
    logic [4:0]   run_k;
    logic [DATA_WIDTH-1:0] shifted;
    logic [15:0]  u16;
    logic [15:0]  rslot;      // avail ring position of the next ring entry extracted
    logic [127:0] desc_acc, desc_full;
    logic [$clog2(DSTEPS+1)-1:0] dstep;
    logic         is_desc, unit_fire, beat_done, desc_done;
    logic [LW:0]  ustep;

    always_comb begin
        q       = p_started ? pp : {1'b0, rd_lo};
        shifted = rd_data >> {q, 3'b000};
        u16     = shifted[15:0];
        is_desc = rd_tag[1];
        ustep   = is_desc ? (LW+1)'(DU) : (LW+1)'(2);
        beat_done = (q + ustep) >= rd_hi;
    end
    generate
        if (DSTEPS == 1) begin : g_desc1
            assign desc_full = shifted[127:0];
        end else begin : g_descn
            assign desc_full = {shifted[DU*8-1:0], desc_acc[127:DU*8]};
        end
    endgenerate
    // every unit is accepted (destinations have reserved space)
    assign unit_fire = rd_valid;
    assign rd_ready  = rd_valid && (beat_done || rd_err || halted);
    assign desc_done = is_desc && (dstep == ($clog2(DSTEPS+1))'(DSTEPS - 1));

    always_comb begin
        hf_in_valid = 1'b0;
        hf_in       = u16;
        df_in_valid = 1'b0;
        df_in       = {ri_out[20:5] + {11'd0, run_k}, desc_full};
        ri_pop      = 1'b0;
        if (unit_fire && !rd_err && !halted) begin
            if (rd_tag == T_RING) hf_in_valid = (u16 < q_size);
            if (rd_tag == T_RUN && desc_done) begin
                df_in_valid = 1'b1;
                ri_pop      = (run_k + 1'b1 == ri_out[4:0]);
            end
        end
    end

    // ---------------- walker ----------------
    logic         w_active;        // inside a chain (waiting for the chain descriptor)
    logic         chain_valid;
    logic [127:0] chain_desc;
    logic [15:0]  w_head, w_idx;
    logic [31:0]  w_total;
    logic [7:0]   w_nseg;
    logic [127:0] d;
    logic [15:0]  d_idx, d_head;
    logic         d_valid;
    logic [31:0]  d_len, tot_new;
    logic [15:0]  d_flags, d_next;
    logic [32:0]  tot_sum;
    logic [7:0]   nseg_new;
    logic [15:0]  limit;
    logic         d_has_next, d_bad_len, d_bad_dir, d_too_long, d_bad_next, d_ok_go, d_err;
    logic         ch_in_valid, ch_s_ready, sg_in_valid, sg_s_ready;
    logic [$clog2(SEG_DEPTH)+1:0]   sg_count;
    logic [$clog2(CHAIN_DEPTH)+1:0] ch_count;

    always_comb begin
        if (w_active) begin
            d = chain_desc; d_valid = chain_valid; d_idx = w_idx; d_head = w_head;
        end else begin
            d = df_out[127:0]; d_valid = df_valid; d_idx = df_out[143:128]; d_head = df_out[143:128];
        end
        d_len   = d[95:64];
        d_flags = d[111:96];
        d_next  = d[127:112];
        tot_sum = {1'b0, (w_active ? w_total : 32'd0)} + {1'b0, d_len};
        tot_new = tot_sum[32] ? 32'hFFFF_FFFF : tot_sum[31:0];
        nseg_new = (w_active ? w_nseg : 8'd0) + 8'd1;
        limit   = (q_size < 16'(MAX_CHAIN_SEGS)) ? q_size : 16'(MAX_CHAIN_SEGS);
        d_has_next = d_flags[0];
        d_bad_len  = (d_len == 0);
        d_bad_dir  = IS_RX ? !d_flags[1] : d_flags[1];
        d_too_long = d_has_next && ({8'd0, nseg_new} >= limit);
        d_bad_next = d_has_next && (d_next >= q_size);
        d_err      = d_bad_len || d_bad_dir || d_too_long || d_bad_next;
        d_ok_go    = live && d_valid && !d_err && sg_s_ready && (d_has_next ? !chain_want : ch_s_ready);
        sg_in_valid = d_ok_go;
        ch_in_valid = d_ok_go && !d_has_next;
    end
    assign df_pop = d_ok_go && !w_active;

    vionic_fifo #(.WIDTH(ADDR_WIDTH + 32 + 16), .DEPTH(SEG_DEPTH)) u_segs (
        .clk(clk), .rst(rst || clear), .s_valid(sg_in_valid), .s_ready(sg_s_ready),
        .s_data({d[63:0], d_len, d_idx}),
        .m_valid(sg_valid), .m_ready(sg_ready), .m_data({sg_addr, sg_len, sg_idx}), .count(sg_count));
    vionic_fifo #(.WIDTH(16 + 32 + 8), .DEPTH(CHAIN_DEPTH)) u_chains (
        .clk(clk), .rst(rst || clear), .s_valid(ch_in_valid), .s_ready(ch_s_ready),
        .s_data({d_head, tot_new, nseg_new}),
        .m_valid(ch_valid), .m_ready(ch_ready), .m_data({ch_head, ch_total, ch_nseg}), .count(ch_count));

    // ---------------- sequential ----------------
    logic [16:0] idx_jump;
    assign idx_jump = {1'b0, u16 - ring_ptr};

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            ring_ptr <= '0; avail_idx <= '0; kick_pend <= 1'b1; hdr_busy <= 1'b0; dry_flag <= 1'b0;
            head_inflight <= '0; desc_inflight <= '0; run_start <= '0; run_len <= '0;
            chain_want <= 1'b0; chain_busy <= 1'b0; chain_idx <= '0; chain_valid <= 1'b0;
            p_started <= 1'b0; pp <= '0; hdr_second <= 1'b0; run_k <= '0; dstep <= '0;
            w_active <= 1'b0; w_head <= '0; w_idx <= '0; w_total <= '0; w_nseg <= '0; rslot <= '0;
            halted <= 1'b0; err_valid <= 1'b0; err_code <= '0; err_desc <= '0; err_addr <= '0;
            avail_flags <= '0;
        end else begin
            err_valid <= 1'b0;
            // doorbell / need
            if (kick) begin
                kick_pend <= 1'b1;
                dry_flag  <= 1'b0;
            end else if (need && !dry_flag && !kick_pend && !hdr_busy && (pend == 0)) begin
                kick_pend <= 1'b1;
            end
            // request handshakes
            if (req_fire) begin
                case (sel)
                    T_HDR:   begin hdr_busy <= 1'b1; if (!kick) kick_pend <= 1'b0; end
                    T_RING:  begin ring_ptr <= ring_ptr + nring; end
                    T_RUN:   begin end
                    default: begin chain_want <= 1'b0; chain_busy <= 1'b1; end
                endcase
            end
            head_inflight <= head_inflight + ((req_fire && sel == T_RING) ? HCW'(nring) : '0)
                           - ((unit_fire && !rd_err && !halted && rd_tag == T_RING) ? HCW'(1) : '0);
            desc_inflight <= desc_inflight + (run_absorb ? DCW'(1) : '0) - (df_in_valid ? DCW'(1) : '0);
            // run builder
            if (req_fire && sel == T_RUN) begin
                run_len <= '0;
            end else if (run_absorb) begin
                if (run_len == 0) run_start <= hf_head;
                run_len <= run_len + 1'b1;
            end
            // response extraction
            if (rd_valid) begin
                if (rd_ready) begin
                    p_started <= 1'b0;
                end else begin
                    p_started <= 1'b1;
                    pp <= q + ustep;
                end
                if (!rd_err && !halted) begin
                    case (rd_tag)
                        T_HDR: begin
                            hdr_second <= !hdr_second;
                            if (!hdr_second) avail_flags <= u16;
                            else begin
                                hdr_busy <= 1'b0;
                                if (idx_jump > {1'b0, q_size}) begin
                                    halted <= 1'b1; err_valid <= 1'b1; err_code <= 4'd6;
                                    err_desc <= u16; err_addr <= q_avail + 2;
                                end else begin
                                    avail_idx <= u16;
                                    dry_flag  <= (u16 == ring_ptr) && !kick;
                                end
                            end
                        end
                        T_RING: begin
                            rslot <= rslot + 1'b1;
                            if (u16 >= q_size) begin
                                // the avail ring entry that holds the bad head
                                halted <= 1'b1; err_valid <= 1'b1; err_code <= 4'd6;
                                err_desc <= u16;
                                err_addr <= q_avail + {{(ADDR_WIDTH-17){1'b0}}, rslot & mask, 1'b0} + 4;
                            end
                        end
                        default: begin
                            desc_acc <= desc_full;   // only read when a descriptor spans beats
                            dstep <= desc_done ? '0 : dstep + 1'b1;
                            if (desc_done) begin
                                if (rd_tag == T_RUN) run_k <= ri_pop ? 5'd0 : run_k + 5'd1;
                                else begin chain_valid <= 1'b1; chain_desc <= desc_full; chain_busy <= 1'b0; end
                            end
                        end
                    endcase
                end else if (rd_err && !halted) begin
                    // a ring read failed: the ring's base address (as the model)
                    halted <= 1'b1; err_valid <= 1'b1; err_code <= 4'd1;
                    err_desc <= 16'd0; err_addr <= is_desc ? q_desc : q_avail;
                end
            end
            // walker
            if (live && d_valid && d_err) begin
                // next out of range: the descriptor's own address in the table
                halted <= 1'b1; err_valid <= 1'b1; err_desc <= d_idx;
                err_addr <= (d_bad_dir || d_bad_len || d_too_long) ? d[63:0] :
                            q_desc + {{(ADDR_WIDTH-20){1'b0}}, d_idx, 4'h0};
                err_code <= d_bad_dir ? 4'd4 : d_bad_len ? 4'd3 : d_too_long ? 4'd2 : 4'd6;
            end else if (d_ok_go) begin
                if (w_active) chain_valid <= 1'b0;
                if (d_has_next) begin
                    w_active <= 1'b1; w_head <= d_head; w_idx <= d_next;
                    w_total <= tot_new; w_nseg <= nseg_new;
                    chain_want <= 1'b1; chain_idx <= d_next;
                end else begin
                    w_active <= 1'b0;
                end
            end
        end
    end

    assign dry = dry_flag && !kick_pend && !hdr_busy && (pend == 0) && (hf_count == 0) &&
                 (head_inflight == 0) && (run_len == 0) && (desc_inflight == 0) && (df_count == 0) &&
                 !w_active && !ch_valid;

    logic unused_ok;
    assign unused_ok = ^{rd_last, rd_err_addr, hf_s_ready, df_s_ready, ri_count, ri_valid, chain_busy, mask, d_flags[15:2], shifted, sg_count, ch_count, desc_acc};
endmodule
