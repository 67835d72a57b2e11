// vionic_fetch: avail-ring and descriptor fetch for one split virtqueue.
// - starts at avail index start_avail (VQ_STATE, held while the queue is disabled),
// - reads avail.flags/avail.idx on a doorbell (or when the RX side needs buffers,
//   or when the used-ring writer asks for fresh avail.flags: flags_req; the
//   flags of a header read issued after the request come with flags_fresh),
// - reads avail ring entries in batches of up to RING_BATCH per DMA read,
// - groups consecutive head indices into runs of up to DESC_BATCH descriptors
//   read with one DMA read, several runs in flight (credit-checked),
// - walks chains (NEXT) with single-descriptor reads, checks every descriptor
//   and emits whole chains: the segments (addr, len) and then the chain record
//   (head, total length, segment count); a chain of up to MAX_CHAIN_SEGS
//   descriptors (and the queue size) fits the segment FIFO whole; chain
//   records taken ahead of their segments (RX with MRG_RXBUF) name distinct
//   descriptors, at most the queue size together, unless a driver posts a
//   descriptor in two chains at once: then the FIFO may fill (seg_full) and
//   the consumer must not wait for another chain,
// - suspend: no new read is issued (except the avail.flags re-read asked for
//   by flags_req); what is in flight completes, `quiet` says when nothing is.
// Checks of one descriptor, the first that fails is reported (DESIGN §4):
// next index out of range (VIONIC_ERR_INDEX), wrong direction
// (VIONIC_ERR_DIRECTION), zero length (VIONIC_ERR_ZERO_LEN), chain too long or
// a loop (VIONIC_ERR_CHAIN: a descriptor with NEXT that would make the chain
// longer than the limit, as the model); a ring read error is VIONIC_ERR_DMA.
// After an error the engine halts.
`default_nettype none

module vionic_fetch #(
    parameter int DATA_WIDTH     = 64,   // DMA data width in bits
    parameter int ADDR_WIDTH     = 64,   // address width
    parameter bit IS_RX          = 0,    // 1: receive queue (descriptors must be device-writable)
    parameter bit CTRL           = 0,    // 1: control queue (readable descriptors, then writable ones; IS_RX unused)
    parameter int RING_BATCH     = 32,   // avail entries per DMA read (max)
    parameter int DESC_BATCH     = 8,    // descriptors per run read (max)
    parameter int HEAD_DEPTH     = 64,   // head index FIFO entries
    parameter int DESC_DEPTH     = 64,   // fetched-descriptor FIFO entries
    parameter int CHAIN_DEPTH    = 32,   // chain record FIFO entries
    parameter int MAX_CHAIN_SEGS = vionic_pkg::VIONIC_MAX_QUEUE_SIZE  // longest chain (also <= queue size) = segment FIFO entries, power of two
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            clear,          // queue reset: back to initial state
    input  wire logic                            run,            // queue enabled, DRIVER_OK, not stopped
    input  wire logic                            enabled,        // queue_enable; while 0 the position is start_avail
    input  wire logic [15:0]                     start_avail,    // first avail index taken after enable (VQ_STATE)
    input  wire logic                            suspend,        // issue no new read (SUSPEND)
    output      logic                            quiet,          // no read of this engine in flight (or halted)
    input  wire logic [15:0]                     q_size,         // power of two
    input  wire logic [ADDR_WIDTH-1:0]           q_desc,
    input  wire logic [ADDR_WIDTH-1:0]           q_avail,
    input  wire logic                            kick,           // doorbell
    input  wire logic                            need,           // RX: a frame waits for a buffer
    output      logic                            dry,            // avail ring empty and nothing in the pipeline
    output      logic                            seg_full,       // segment FIFO full: no chain comes before segments are taken
    output      logic [15:0]                     avail_flags,
    input  wire logic                            flags_req,      // re-read avail.flags (used.idx was published)
    output      logic                            flags_fresh,    // avail_flags now holds a value read after flags_req
    // DMA read requests
    output      logic                            m_rd_req_valid,
    input  wire logic                            m_rd_req_ready,
    output      logic [ADDR_WIDTH-1:0]           m_rd_req_addr,
    output      logic [15:0]                     m_rd_req_len,
    output      logic [1:0]                      m_rd_req_tag,   // vionic_pkg::fetch_req_t
    // DMA read response beats
    input  wire logic                            s_rd_valid,
    output      logic                            s_rd_ready,
    input  wire logic [DATA_WIDTH-1:0]           s_rd_data,
    input  wire logic [$clog2(DATA_WIDTH/8)-1:0] s_rd_lo,
    input  wire logic [$clog2(DATA_WIDTH/8):0]   s_rd_hi,
    input  wire logic [1:0]                      s_rd_tag,
    input  wire logic                            s_rd_err,
    // chain segments, then the chain record
    output      logic                            m_seg_valid,
    input  wire logic                            m_seg_ready,
    output      logic [ADDR_WIDTH-1:0]           m_seg_addr,
    output      logic [31:0]                     m_seg_len,
    output      logic [15:0]                     m_seg_idx,      // descriptor index of the segment (error reports)
    output      logic                            m_seg_write,    // the segment is device-writable
    output      logic                            m_chain_valid,
    input  wire logic                            m_chain_ready,
    output      logic [15:0]                     m_chain_head,
    output      logic [31:0]                     m_chain_total,
    output      logic [15:0]                     m_chain_nseg,
    // error report (one-cycle pulse)
    output      logic                            err_valid,
    output      logic [3:0]                      err_code,
    output      logic [15:0]                     err_desc,
    output      logic [ADDR_WIDTH-1:0]           err_addr
);
    localparam int W          = DATA_WIDTH / 8;
    localparam int LW         = $clog2(W);
    localparam int DESC_BYTES = vionic_pkg::DESC_SIZE;
    localparam int DESC_SHIFT = $clog2(DESC_BYTES);
    localparam int DESC_UNIT  = (W < DESC_BYTES) ? W : DESC_BYTES;   // descriptor bytes per extraction step
    localparam int DESC_STEPS = DESC_BYTES / DESC_UNIT;
    localparam int SW         = $clog2(DESC_STEPS + 1);              // step counter width
    localparam int HCW        = $clog2(HEAD_DEPTH) + 2;
    localparam int DCW        = $clog2(DESC_DEPTH) + 2;
    localparam int AVAIL_HDR_BYTES = vionic_pkg::AVAIL_RING_OFFSET;  // avail.flags and avail.idx

    typedef vionic_pkg::fetch_req_t fetch_req_t;

    // elaboration-time parameter check (an unknown module stops elaboration)
    generate
        if ((MAX_CHAIN_SEGS & (MAX_CHAIN_SEGS - 1)) != 0 || MAX_CHAIN_SEGS < 2) begin : g_chk_chain
            vionic_error_max_chain_segs_must_be_a_power_of_two u_err ();
        end
    endgenerate

    logic [15:0] ring_mask;
    assign ring_mask = q_size - 1'b1;

    logic halted;          // an error was reported: nothing more until clear
    logic live;
    assign live = run && !halted;

    // ---------------- state ----------------
    logic [15:0]    ring_read_idx;     // next avail index whose ring entry is to be read
    logic [15:0]    avail_idx;         // last avail.idx read
    logic           hdr_wanted;        // avail.flags/idx to be (re)read
    logic           hdr_in_flight;
    logic           seen_empty;        // avail.idx read equal to what was consumed, no doorbell since
    logic [HCW-1:0] heads_in_flight;   // ring entries requested, not yet in the head FIFO
    logic [DCW-1:0] descs_in_flight;   // descriptors taken into runs, not yet in the descriptor FIFO
    logic [15:0]    run_start;         // first head of the run being built
    logic [4:0]     run_len;           // heads in that run
    logic           chain_read_wanted; // the walker waits to read descriptor chain_read_idx
    logic [15:0]    chain_read_idx;
    logic           flags_wait;        // flags_req seen: a header read is to be issued for it
    logic           flags_tagged;      // the header read in flight was issued after the last flags_req

    // head FIFO: avail ring entries
    logic        heads_s_valid, heads_s_ready, heads_m_valid, heads_m_ready;
    logic [15:0] heads_s_data, heads_m_data;
    logic [$clog2(HEAD_DEPTH)+1:0] heads_count;
    vionic_fifo #(.WIDTH(16), .DEPTH(HEAD_DEPTH)) u_heads (
        .clk(clk), .rst(rst || clear),
        .s_valid(heads_s_valid), .s_ready(heads_s_ready), .s_data(heads_s_data),
        .m_valid(heads_m_valid), .m_ready(heads_m_ready), .m_data(heads_m_data), .count(heads_count));

    // descriptor FIFO (run responses): {head index, descriptor}
    logic         descs_s_valid, descs_s_ready, descs_m_valid, descs_m_ready;
    logic [143:0] descs_s_data, descs_m_data;
    logic [$clog2(DESC_DEPTH)+1:0] descs_count;
    vionic_fifo #(.WIDTH(144), .DEPTH(DESC_DEPTH)) u_descs (
        .clk(clk), .rst(rst || clear),
        .s_valid(descs_s_valid), .s_ready(descs_s_ready), .s_data(descs_s_data),
        .m_valid(descs_m_valid), .m_ready(descs_m_ready), .m_data(descs_m_data), .count(descs_count));

    // run FIFO: {start, length} of each run read in flight
    logic        runs_m_valid, runs_m_ready, runs_s_ready;
    logic [15:0] runs_m_start;
    logic [4:0]  runs_m_len;
    logic [$clog2(DESC_DEPTH)+1:0] runs_count;

    // ---------------- request selection ----------------
    logic [15:0] avail_pending;        // avail entries published, ring entry not yet requested
    logic [15:0] ring_pos;
    logic [15:0] ring_to_end;
    logic [15:0] ring_batch;           // ring entries of the next ring read
    logic        hdr_req, ring_req, run_req, run_can_extend, run_absorb;
    logic [15:0] run_next_idx;

    always_comb begin
        avail_pending = avail_idx - ring_read_idx;
        ring_pos      = ring_read_idx & ring_mask;
        ring_to_end   = q_size - ring_pos;
        ring_batch    = avail_pending;
        if (ring_batch > 16'(RING_BATCH)) ring_batch = 16'(RING_BATCH);
        if (ring_batch > ring_to_end) ring_batch = ring_to_end;
        hdr_req  = hdr_wanted && !hdr_in_flight;
        ring_req = (avail_pending != 0) &&
                   (HCW'(heads_count) + heads_in_flight + HCW'(ring_batch) <= HCW'(HEAD_DEPTH));
        run_next_idx   = run_start + 16'(run_len);
        run_can_extend = heads_m_valid && (run_len != 0) && (heads_m_data == run_next_idx) &&
                         (run_next_idx < q_size) && (run_len < 5'(DESC_BATCH));
        run_req = (run_len != 0) && !run_can_extend &&
                  ((run_len == 5'(DESC_BATCH)) || heads_m_valid || (heads_in_flight == 0));
    end

    fetch_req_t req_sel;               // which request is presented
    always_comb begin
        m_rd_req_valid = 1'b0;
        req_sel        = vionic_pkg::FETCH_AVAIL_HDR;
        m_rd_req_addr  = q_avail;
        m_rd_req_len   = 16'(AVAIL_HDR_BYTES);
        // suspended: only the avail.flags re-read of a publication is issued
        if (live) begin
            if (chain_read_wanted && !suspend) begin
                m_rd_req_valid = 1'b1;
                req_sel        = vionic_pkg::FETCH_DESC_CHAIN;
                m_rd_req_addr  = q_desc + (ADDR_WIDTH'(chain_read_idx) << DESC_SHIFT);
                m_rd_req_len   = 16'(DESC_BYTES);
            end else if (hdr_req && (!suspend || flags_wait)) begin
                m_rd_req_valid = 1'b1;
                req_sel        = vionic_pkg::FETCH_AVAIL_HDR;
                m_rd_req_addr  = q_avail;
                m_rd_req_len   = 16'(AVAIL_HDR_BYTES);
            end else if (suspend) begin
                m_rd_req_valid = 1'b0;
            end else if (run_req && runs_s_ready) begin
                m_rd_req_valid = 1'b1;
                req_sel        = vionic_pkg::FETCH_DESC_RUN;
                m_rd_req_addr  = q_desc + (ADDR_WIDTH'(run_start) << DESC_SHIFT);
                m_rd_req_len   = 16'(run_len) << DESC_SHIFT;
            end else if (ring_req) begin
                m_rd_req_valid = 1'b1;
                req_sel        = vionic_pkg::FETCH_AVAIL_RING;
                m_rd_req_addr  = q_avail + ADDR_WIDTH'(vionic_pkg::AVAIL_RING_OFFSET) +
                                 ADDR_WIDTH'(ring_pos) * ADDR_WIDTH'(vionic_pkg::AVAIL_ENTRY_SIZE);
                m_rd_req_len   = ring_batch * 16'(vionic_pkg::AVAIL_ENTRY_SIZE);
            end
        end
        m_rd_req_tag = req_sel;
    end

    logic req_fire;
    assign req_fire = m_rd_req_valid && m_rd_req_ready;

    // absorb heads into the current run (descriptor FIFO credit checked)
    assign run_absorb = live && heads_m_valid && !(req_fire && req_sel == vionic_pkg::FETCH_DESC_RUN) &&
                        ((run_len == 0) || run_can_extend) &&
                        (DCW'(descs_count) + descs_in_flight + DCW'(run_len) + 1'b1 <= DCW'(DESC_DEPTH));
    assign heads_m_ready = run_absorb;

    vionic_fifo #(.WIDTH(21), .DEPTH(DESC_DEPTH)) u_runs (
        .clk(clk), .rst(rst || clear),
        .s_valid(req_fire && req_sel == vionic_pkg::FETCH_DESC_RUN), .s_ready(runs_s_ready),
        .s_data({run_start, run_len}),
        .m_valid(runs_m_valid), .m_ready(runs_m_ready), .m_data({runs_m_start, runs_m_len}), .count(runs_count));

    // ---------------- response extraction ----------------
    // A beat carries 16-bit units (avail header and ring entries) or
    // descriptor units (DESC_UNIT bytes); one unit is taken per cycle.
    logic [LW:0]           beat_pos;          // byte lane of the unit taken this cycle
    logic [LW:0]           beat_pos_next;     // saved lane when a beat takes several cycles
    logic                  beat_partial;      // units of the current beat were taken already
    logic                  hdr_idx_next;      // the next header unit is avail.idx (else avail.flags)
    logic [4:0]            run_desc_k;        // descriptor of the oldest run read being received
    logic [DATA_WIDTH-1:0] beat_shifted;
    logic [15:0]           unit16;            // the 16-bit unit at beat_pos
    logic [15:0]           ring_slot;         // avail index of the next ring entry received
    logic [127:0]          desc_acc;          // descriptor bytes received so far
    logic [127:0]          desc_word;         // the descriptor completed by this unit
    logic [SW-1:0]         desc_step;
    logic                  is_desc, unit_valid, beat_done, desc_done;
    logic [LW:0]           unit_bytes;
    fetch_req_t            rd_kind;

    always_comb begin
        rd_kind      = fetch_req_t'(s_rd_tag);
        beat_pos     = beat_partial ? beat_pos_next : {1'b0, s_rd_lo};
        // shifted only in a cycle with a beat, the only ones that use it (a Verilated model
        // skips the wide shift in the others)
        beat_shifted = '0;
        if (s_rd_valid) beat_shifted = s_rd_data >> {beat_pos, 3'b000};
        unit16       = beat_shifted[15:0];
        is_desc      = s_rd_tag[vionic_pkg::FETCH_DESC_BIT];
        unit_bytes   = is_desc ? (LW+1)'(DESC_UNIT) : (LW+1)'(2);
        beat_done    = (beat_pos + unit_bytes) >= s_rd_hi;
    end
    generate
        if (DESC_STEPS == 1) begin : g_desc1
            assign desc_word = beat_shifted[127:0];
        end else begin : g_descn
            assign desc_word = {beat_shifted[DESC_UNIT*8-1:0], desc_acc[127:DESC_UNIT*8]};
        end
    endgenerate
    // every unit is accepted (destinations have reserved space)
    assign unit_valid = s_rd_valid && !s_rd_err && !halted;
    assign s_rd_ready = s_rd_valid && (beat_done || s_rd_err || halted);
    assign desc_done  = is_desc && (desc_step == SW'(DESC_STEPS - 1));

    always_comb begin
        heads_s_valid = 1'b0;
        heads_s_data  = unit16;
        descs_s_valid = 1'b0;
        descs_s_data  = {runs_m_start + 16'(run_desc_k), desc_word};
        runs_m_ready  = 1'b0;
        if (unit_valid && rd_kind == vionic_pkg::FETCH_AVAIL_RING) heads_s_valid = (unit16 < q_size);
        if (unit_valid && rd_kind == vionic_pkg::FETCH_DESC_RUN && desc_done) begin
            descs_s_valid = 1'b1;
            runs_m_ready  = (run_desc_k + 1'b1 == runs_m_len);
        end
    end

    // beat position, run and descriptor assembly
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            beat_partial  <= 1'b0;
            beat_pos_next <= '0;
            run_desc_k    <= '0;
            desc_step     <= '0;
        end else begin
            if (s_rd_valid) begin
                beat_partial  <= !s_rd_ready;
                beat_pos_next <= beat_pos + unit_bytes;
            end
            if (unit_valid && is_desc) begin
                desc_acc  <= desc_word;   // only read when a descriptor spans beats
                desc_step <= desc_done ? '0 : desc_step + 1'b1;
                if (desc_done && rd_kind == vionic_pkg::FETCH_DESC_RUN)
                    run_desc_k <= runs_m_ready ? 5'd0 : run_desc_k + 5'd1;
            end
        end
    end

    // ---------------- avail header: doorbells, avail.flags and avail.idx ----------------
    logic [16:0] avail_jump;           // entries avail.idx moved by
    logic        hdr_flags_unit, hdr_idx_unit, avail_idx_bad;
    assign avail_jump     = {1'b0, unit16 - ring_read_idx};
    assign hdr_flags_unit = unit_valid && rd_kind == vionic_pkg::FETCH_AVAIL_HDR && !hdr_idx_next;
    assign hdr_idx_unit   = unit_valid && rd_kind == vionic_pkg::FETCH_AVAIL_HDR && hdr_idx_next;
    assign avail_idx_bad  = hdr_idx_unit && (avail_jump > {1'b0, q_size});

    // flags_req: the used-ring writer published used.idx and needs avail.flags read
    // after that (VIRTIO 1.2 §2.7.7.2: used.idx store, then flags load). Only a
    // header read issued after the latest request answers it (flags_fresh, the
    // cycle after the flags arrived); one already in flight does not. A queue that
    // no longer runs answers with the flags it has.
    logic hdr_fire;
    assign hdr_fire = req_fire && req_sel == vionic_pkg::FETCH_AVAIL_HDR;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            avail_idx     <= '0;
            avail_flags   <= '0;
            hdr_wanted    <= 1'b1;
            hdr_in_flight <= 1'b0;
            hdr_idx_next  <= 1'b0;
            seen_empty    <= 1'b0;
            flags_wait    <= 1'b0;
            flags_tagged  <= 1'b0;
            flags_fresh   <= 1'b0;
        end else begin
            flags_fresh <= 1'b0;
            if (kick) begin
                hdr_wanted <= 1'b1;
                seen_empty <= 1'b0;
            end else if (flags_req ||
                         (need && !seen_empty && !hdr_wanted && !hdr_in_flight && (avail_pending == 0))) begin
                hdr_wanted <= 1'b1;
            end
            if (hdr_fire) begin
                hdr_in_flight <= 1'b1;
                if (!kick && !flags_req) hdr_wanted <= 1'b0;
                flags_tagged <= flags_wait && !flags_req;
            end else if (flags_req) begin
                flags_tagged <= 1'b0;
            end
            if (flags_req) flags_wait <= 1'b1;
            else if (hdr_fire) flags_wait <= 1'b0;
            if (hdr_flags_unit) begin
                hdr_idx_next <= 1'b1;
                avail_flags  <= unit16;
                if (flags_tagged && !flags_req && !hdr_fire) begin
                    flags_tagged <= 1'b0;
                    flags_fresh  <= 1'b1;
                end
            end
            if (hdr_idx_unit) begin
                hdr_idx_next  <= 1'b0;
                hdr_in_flight <= 1'b0;
                if (!avail_idx_bad) begin
                    avail_idx  <= unit16;
                    seen_empty <= (unit16 == ring_read_idx) && !kick;
                end
            end
            if (!live && !flags_req && (flags_wait || flags_tagged)) begin
                flags_wait   <= 1'b0;
                flags_tagged <= 1'b0;
                flags_fresh  <= 1'b1;
            end
            if (!enabled) avail_idx <= start_avail;
        end
    end

    // ---------------- avail ring entries ----------------
    logic ring_unit, ring_head_bad;
    assign ring_unit     = unit_valid && rd_kind == vionic_pkg::FETCH_AVAIL_RING;
    assign ring_head_bad = ring_unit && (unit16 >= q_size);

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            ring_read_idx   <= '0;
            heads_in_flight <= '0;
            ring_slot       <= '0;
        end else begin
            if (req_fire && req_sel == vionic_pkg::FETCH_AVAIL_RING) ring_read_idx <= ring_read_idx + ring_batch;
            heads_in_flight <= heads_in_flight
                             + ((req_fire && req_sel == vionic_pkg::FETCH_AVAIL_RING) ? HCW'(ring_batch) : '0)
                             - (ring_unit ? HCW'(1) : '0);
            if (ring_unit) ring_slot <= ring_slot + 1'b1;
            if (!enabled) begin
                ring_read_idx <= start_avail;
                ring_slot     <= start_avail;
            end
        end
    end

    // ---------------- run builder ----------------
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            run_start       <= '0;
            run_len         <= '0;
            descs_in_flight <= '0;
        end else begin
            if (req_fire && req_sel == vionic_pkg::FETCH_DESC_RUN) begin
                run_len <= '0;
            end else if (run_absorb) begin
                if (run_len == 0) run_start <= heads_m_data;
                run_len <= run_len + 1'b1;
            end
            descs_in_flight <= descs_in_flight + (run_absorb ? DCW'(1) : '0) - (descs_s_valid ? DCW'(1) : '0);
        end
    end

    // ---------------- chain walker ----------------
    logic         walk_active;         // inside a chain (the next descriptor is a chained one)
    logic         chain_desc_valid;    // the chained descriptor has arrived
    logic [127:0] chain_desc;
    logic [15:0]  walk_head, walk_idx;
    logic [31:0]  walk_total;
    logic [15:0]  walk_nseg;
    logic [127:0] desc;                // the descriptor being checked
    logic [15:0]  desc_idx, desc_head;
    logic         desc_valid;
    logic [31:0]  desc_len, chain_total_new;
    logic [15:0]  desc_flags, desc_next;
    logic [32:0]  total_sum;
    logic [15:0]  chain_nseg_new;
    logic [15:0]  chain_limit;
    logic         desc_has_next, next_out_of_range, desc_write, desc_wrong_dir, desc_zero_len, chain_too_long;
    logic         walk_write;   // CTRL: the chain walked has had a writable descriptor
    logic         desc_fault, desc_accept;
    logic         chains_s_valid, chains_s_ready, segs_s_valid, segs_s_ready;
    logic [$clog2(MAX_CHAIN_SEGS)+1:0] segs_count;
    logic [$clog2(CHAIN_DEPTH)+1:0] chains_count;

    always_comb begin
        if (walk_active) begin
            desc       = chain_desc;
            desc_valid = chain_desc_valid;
            desc_idx   = walk_idx;
            desc_head  = walk_head;
        end else begin
            desc       = descs_m_data[127:0];
            desc_valid = descs_m_valid;
            desc_idx   = descs_m_data[143:128];
            desc_head  = descs_m_data[143:128];
        end
        desc_len          = desc[95:64];
        desc_flags        = desc[111:96];
        desc_next         = desc[127:112];
        total_sum         = {1'b0, (walk_active ? walk_total : 32'd0)} + {1'b0, desc_len};
        chain_total_new   = total_sum[32] ? 32'hFFFF_FFFF : total_sum[31:0];
        chain_nseg_new    = (walk_active ? walk_nseg : 16'd0) + 16'd1;
        chain_limit       = (q_size < 16'(MAX_CHAIN_SEGS)) ? q_size : 16'(MAX_CHAIN_SEGS);
        desc_has_next     = (desc_flags & vionic_pkg::VRING_DESC_F_NEXT) != 0;
        next_out_of_range = desc_has_next && (desc_next >= q_size);
        desc_write        = (desc_flags & vionic_pkg::VRING_DESC_F_WRITE) != 0;
        // the control queue's direction may change once, readable to writable
        desc_wrong_dir    = CTRL ? (walk_active && walk_write && !desc_write) : (desc_write != IS_RX);
        desc_zero_len     = (desc_len == 0);
        chain_too_long    = desc_has_next && (chain_nseg_new >= chain_limit);
        desc_fault        = next_out_of_range || desc_wrong_dir || desc_zero_len || chain_too_long;
        desc_accept       = live && desc_valid && !desc_fault && segs_s_ready &&
                            (desc_has_next ? !chain_read_wanted : chains_s_ready);
        segs_s_valid   = desc_accept;
        chains_s_valid = desc_accept && !desc_has_next;
    end
    assign descs_m_ready = desc_accept && !walk_active;

    // a whole chain waits here until its record is pushed: MAX_CHAIN_SEGS entries
    // (the control queue keeps each segment's direction too)
    generate
        if (CTRL) begin : g_segs_dir
            vionic_fifo #(.WIDTH(ADDR_WIDTH + 32 + 16 + 1), .DEPTH(MAX_CHAIN_SEGS)) u_segs (
                .clk(clk), .rst(rst || clear), .s_valid(segs_s_valid), .s_ready(segs_s_ready),
                .s_data({desc[63:0], desc_len, desc_idx, desc_write}),
                .m_valid(m_seg_valid), .m_ready(m_seg_ready),
                .m_data({m_seg_addr, m_seg_len, m_seg_idx, m_seg_write}), .count(segs_count));
        end else begin : g_segs
            vionic_fifo #(.WIDTH(ADDR_WIDTH + 32 + 16), .DEPTH(MAX_CHAIN_SEGS)) u_segs (
                .clk(clk), .rst(rst || clear), .s_valid(segs_s_valid), .s_ready(segs_s_ready),
                .s_data({desc[63:0], desc_len, desc_idx}),
                .m_valid(m_seg_valid), .m_ready(m_seg_ready), .m_data({m_seg_addr, m_seg_len, m_seg_idx}),
                .count(segs_count));
            assign m_seg_write = IS_RX;
        end
    endgenerate
    vionic_fifo #(.WIDTH(16 + 32 + 16), .DEPTH(CHAIN_DEPTH)) u_chains (
        .clk(clk), .rst(rst || clear), .s_valid(chains_s_valid), .s_ready(chains_s_ready),
        .s_data({desc_head, chain_total_new, chain_nseg_new}),
        .m_valid(m_chain_valid), .m_ready(m_chain_ready),
        .m_data({m_chain_head, m_chain_total, m_chain_nseg}), .count(chains_count));

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            walk_active       <= 1'b0;
            walk_head         <= '0;
            walk_idx          <= '0;
            walk_total        <= '0;
            walk_nseg         <= '0;
            walk_write        <= 1'b0;
            chain_read_wanted <= 1'b0;
            chain_read_idx    <= '0;
            chain_desc_valid  <= 1'b0;
        end else begin
            if (req_fire && req_sel == vionic_pkg::FETCH_DESC_CHAIN) chain_read_wanted <= 1'b0;
            if (unit_valid && desc_done && rd_kind == vionic_pkg::FETCH_DESC_CHAIN) begin
                chain_desc_valid <= 1'b1;
                chain_desc       <= desc_word;
            end
            if (desc_accept) begin
                if (walk_active) chain_desc_valid <= 1'b0;
                if (desc_has_next) begin
                    walk_active       <= 1'b1;
                    walk_head         <= desc_head;
                    walk_idx          <= desc_next;
                    walk_total        <= chain_total_new;
                    walk_nseg         <= chain_nseg_new;
                    walk_write        <= desc_write;
                    chain_read_wanted <= 1'b1;
                    chain_read_idx    <= desc_next;
                end else begin
                    walk_active <= 1'b0;
                end
            end
        end
    end

    // ---------------- error report ----------------
    logic desc_error;      // the descriptor being checked fails
    logic ring_dma_error;  // a read of this engine failed
    assign desc_error     = live && desc_valid && desc_fault;
    assign ring_dma_error = s_rd_valid && s_rd_err && !halted;

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            halted    <= 1'b0;
            err_valid <= 1'b0;
            err_code  <= vionic_pkg::VIONIC_ERR_NONE;
            err_desc  <= '0;
            err_addr  <= '0;
        end else begin
            err_valid <= 1'b0;
            if (desc_error) begin
                halted    <= 1'b1;
                err_valid <= 1'b1;
                err_desc  <= desc_idx;
                if (next_out_of_range) begin
                    // the descriptor's own entry in the table
                    err_code <= vionic_pkg::VIONIC_ERR_INDEX;
                    err_addr <= q_desc + (ADDR_WIDTH'(desc_idx) << DESC_SHIFT);
                end else begin
                    err_code <= desc_wrong_dir ? vionic_pkg::VIONIC_ERR_DIRECTION :
                                desc_zero_len  ? vionic_pkg::VIONIC_ERR_ZERO_LEN : vionic_pkg::VIONIC_ERR_CHAIN;
                    err_addr <= desc[ADDR_WIDTH-1:0];
                end
            end else if (avail_idx_bad) begin
                halted    <= 1'b1;
                err_valid <= 1'b1;
                err_code  <= vionic_pkg::VIONIC_ERR_INDEX;
                err_desc  <= unit16;
                err_addr  <= q_avail + ADDR_WIDTH'(vionic_pkg::AVAIL_IDX_OFFSET);
            end else if (ring_head_bad) begin
                // the avail ring entry that holds the bad head
                halted    <= 1'b1;
                err_valid <= 1'b1;
                err_code  <= vionic_pkg::VIONIC_ERR_INDEX;
                err_desc  <= unit16;
                err_addr  <= q_avail + ADDR_WIDTH'(vionic_pkg::AVAIL_RING_OFFSET) +
                             ADDR_WIDTH'(ring_slot & ring_mask) * ADDR_WIDTH'(vionic_pkg::AVAIL_ENTRY_SIZE);
            end else if (ring_dma_error) begin
                // a ring read failed: the ring's base address (as the model)
                halted    <= 1'b1;
                err_valid <= 1'b1;
                err_code  <= vionic_pkg::VIONIC_ERR_DMA;
                err_desc  <= '0;
                err_addr  <= is_desc ? q_desc : q_avail;
            end
        end
    end

    // no read in flight: avail header, ring entries, descriptor runs, a chained
    // descriptor, the avail.flags re-read asked for (after an error: halted, the
    // DMA engine's own busy covers what was issued)
    assign quiet = halted || !(hdr_in_flight || (heads_in_flight != 0) || (runs_count != 0) ||
                               (walk_active && !chain_read_wanted && !chain_desc_valid) ||
                               flags_wait || flags_tagged);

    assign dry = seen_empty && !hdr_wanted && !hdr_in_flight && (avail_pending == 0) && (heads_count == 0) &&
                 (heads_in_flight == 0) && (run_len == 0) && (descs_in_flight == 0) && (descs_count == 0) &&
                 !walk_active && (chains_count == 0);   // count: a record just pushed is not out yet

    assign seg_full = !segs_s_ready;

    logic unused_ok;
    assign unused_ok = ^{heads_s_ready, descs_s_ready, runs_m_valid, ring_mask, desc_flags,
                         beat_shifted, segs_count, desc_acc};
endmodule

`default_nettype wire
