// vionic_ctrl: the control queue (VIRTIO_NET_F_CTRL_VQ), as the model's
// ctrl_poll/ctrl_exec/rss_config. Per chain (checked by vionic_fetch, CTRL): the
// command bytes of the device-readable segments are read, at most VIONIC_CTRL_MAX_CMD
// (more: answered VIRTIO_NET_ERR, the rest is not read); the ack goes to the
// first device-writable byte. VIRTIO_NET_OK for VIRTIO_NET_CTRL_MQ and:
// - VQ_PAIRS_SET with exactly 2 data bytes, MQ negotiated, 1 <= n <= NUM_QP:
//   pairs_active = n, RSS steering off (types and key kept);
// - RSS_CONFIG (RSS negotiated) of exact length, mask + 1 a power of two up to
//   VIONIC_RSS_TABLE_LEN, unclassified queue and every entry < NUM_QP,
//   1 <= max_tx_vq <= NUM_QP, key 1..VIONIC_RSS_KEY_SIZE bytes, types within
//   VIONIC_RSS_HASH_TYPES: the configuration is taken, RSS steering on,
//   pairs_active = max_tx_vq;
// - HASH_CONFIG (HASH_REPORT negotiated: le32 types, 8 reserved bytes, u8 key
//   length, key) of exact length, same key and type checks: types and key
//   taken, RSS steering off;
// every other command VIRTIO_NET_ERR. A command takes effect once its ack write
// has completed. A chain without a writable segment is not executed (used
// length 0), else the used length is 1. One chain at a time: its used entry
// leaves only after its ack write completed, so a failed write (reported by
// the core from the write engine) returns no used entry. A read error is
// reported here (the segment's descriptor and address); after any error the
// queue is stopped by the register file and `run` drops.
// The command bytes are parsed one per cycle as they arrive (a control command
// is rare; this keeps a byte mux instead of a VIONIC_CTRL_MAX_CMD-byte buffer) into a
// staged configuration, copied to the one in use when the command is OK.
`default_nettype none

module vionic_ctrl #(
    parameter int DATA_WIDTH = 64,   // DMA data width in bits
    parameter int ADDR_WIDTH = 64,   // address width
    parameter int NUM_QP     = 2,    // queue pairs: the largest VQ_PAIRS_SET accepted (>= 2)
    parameter int QW         = $clog2(NUM_QP)   // bits of a queue pair number (RSS table entry)
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            clear,          // device reset
    input  wire logic                            run,            // queue enabled, DRIVER_OK, not stopped
    input  wire logic                            suspend,        // take no new chain (SUSPEND)
    output      logic                            quiet,          // no chain in progress
    input  wire logic                            mq,             // VIRTIO_NET_F_MQ negotiated
    input  wire logic                            rss,            // VIRTIO_NET_F_RSS negotiated
    input  wire logic                            hash_report,    // VIRTIO_NET_F_HASH_REPORT negotiated
    output      logic [15:0]                     pairs_active,   // 1 after reset
    // the hash configuration in use (reset: no types, steering off)
    output      logic                            rss_on,         // RSS steering (else automatic)
    output      logic [5:0]                      rss_types,      // VIRTIO_NET_RSS_HASH_TYPE_* enabled
    output      logic [8*vionic_pkg::VIONIC_RSS_KEY_SIZE-1:0] rss_key,  // zero-padded, byte 0 in the top bits
    output      logic [6:0]                      rss_mask,       // indirection_table_mask
    output      logic [QW-1:0]                   rss_unclass,    // unclassified_queue (pair)
    output      logic [vionic_pkg::VIONIC_RSS_TABLE_LEN*QW-1:0] rss_table,  // entry i in bits QW*i +: QW
    // chains from the fetch engine
    input  wire logic                            s_chain_valid,
    output      logic                            s_chain_ready,
    input  wire logic [15:0]                     s_chain_head,
    input  wire logic [15:0]                     s_chain_nseg,
    input  wire logic                            s_seg_valid,
    output      logic                            s_seg_ready,
    input  wire logic [ADDR_WIDTH-1:0]           s_seg_addr,
    input  wire logic [31:0]                     s_seg_len,
    input  wire logic [15:0]                     s_seg_idx,
    input  wire logic                            s_seg_write,
    // command reads
    output      logic                            m_rd_req_valid,
    input  wire logic                            m_rd_req_ready,
    output      logic [ADDR_WIDTH-1:0]           m_rd_req_addr,
    output      logic [15:0]                     m_rd_req_len,
    input  wire logic                            s_rd_valid,
    output      logic                            s_rd_ready,
    input  wire logic [DATA_WIDTH-1:0]           s_rd_data,
    input  wire logic [$clog2(DATA_WIDTH/8)-1:0] s_rd_lo,
    input  wire logic [$clog2(DATA_WIDTH/8):0]   s_rd_hi,
    input  wire logic                            s_rd_last,
    input  wire logic                            s_rd_err,
    // the ack write (inline, one byte)
    output      logic                            m_wr_req_valid,
    input  wire logic                            m_wr_req_ready,
    output      logic [ADDR_WIDTH-1:0]           m_wr_req_addr,
    output      logic [7:0]                      m_wr_req_ack,
    output      logic [15:0]                     m_wr_req_desc,  // descriptor written (error report)
    input  wire logic [15:0]                     wr_seq,         // write engine: sequence of the accepted request
    input  wire logic [15:0]                     wr_done,        // write engine: requests completed
    input  wire logic                            wr_err,         // the ack write failed (B error)
    // used entries (head, length)
    output      logic                            m_used_valid,
    input  wire logic                            m_used_ready,
    output      logic [15:0]                     m_used_id,
    output      logic [31:0]                     m_used_len,
    // read error report
    output      logic                            err_valid,
    output      logic [15:0]                     err_desc,
    output      logic [ADDR_WIDTH-1:0]           err_addr
);
    localparam int W       = DATA_WIDTH / 8;
    localparam int LW      = $clog2(W);
    localparam int MAX_CMD = vionic_pkg::VIONIC_CTRL_MAX_CMD;
    localparam int KEY     = vionic_pkg::VIONIC_RSS_KEY_SIZE;
    localparam int TBL     = vionic_pkg::VIONIC_RSS_TABLE_LEN;
    localparam int PW      = 18;     // command byte positions (RSS_CONFIG's tail of a 16-bit mask)
    localparam logic [PW-1:0] TBL0  = PW'(10);   // RSS_CONFIG: its first table entry
    localparam logic [PW-1:0] HKLEN = PW'(14);   // HASH_CONFIG: its key length byte

    typedef enum logic [2:0] {
        S_IDLE,      // waiting for a chain
        S_SEG,       // the next segment of the chain
        S_READ,      // command bytes in flight, taken one per cycle
        S_ACK,       // ack write issued, waiting for its completion
        S_USED,      // used entry to hand over
        S_HALT       // an error: nothing more until reset
    } state_t;
    state_t state;

    logic [15:0]        head, segs_left, ack_seq;
    logic [8:0]         clen;         // command bytes taken (<= MAX_CMD)
    logic [8:0]         rd_pos;       // command bytes parsed
    logic               too_long, acked, rd_bad, beat_mid;
    logic [LW-1:0]      beat_pos;     // the next byte of the beat when beat_mid
    logic [31:0]        room, take;
    logic [ADDR_WIDTH-1:0] cur_addr;
    logic [15:0]        cur_desc;

    // the command as parsed (staged)
    logic [7:0]         c_cls, c_cmd, c_lo, c_klen;
    logic [31:0]        c_types;      // VQ_PAIRS_SET: its le16 in bits 15:0
    logic [15:0]        c_mask, c_uncl, c_tx;
    logic               c_bad;        // a table entry >= NUM_QP
    logic [TBL*QW-1:0]  c_tbl;
    logic [8*KEY-1:0]   c_key;        // byte j in bits 8*(KEY-1-j) +: 8

    assign room = 32'(MAX_CMD) - 32'(clen);
    assign take = (s_seg_len < room) ? s_seg_len : room;

    // positions of the variable part: RSS_CONFIG tail (max_tx_vq) after mask + 1 entries
    logic [PW-1:0] p_tail, p_klen, p_pos, p_key, p_ent;
    logic          is_rss, is_hash;
    assign is_rss  = c_cmd == vionic_pkg::VIRTIO_NET_CTRL_MQ_RSS_CONFIG;
    assign is_hash = c_cmd == vionic_pkg::VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
    assign p_tail  = TBL0 + PW'(2) * (PW'(c_mask) + PW'(1));
    assign p_klen  = is_hash ? HKLEN : p_tail + PW'(2);
    assign p_pos   = PW'(rd_pos);
    assign p_key   = p_pos - p_klen - PW'(1);   // key byte index
    assign p_ent   = p_pos - TBL0;              // table byte index

    // the checks of ctrl_exec / rss_config on the command as parsed
    logic [16:0] entries;
    logic        ok, ok_pairs, ok_rss, ok_hash, key_ok, types_ok;
    assign entries  = 17'(c_mask) + 17'd1;
    assign key_ok   = c_klen >= 8'd1 && c_klen <= 8'(KEY);
    assign types_ok = (c_types & ~vionic_pkg::VIONIC_RSS_HASH_TYPES) == 32'd0;
    assign ok_pairs = c_cmd == vionic_pkg::VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && clen == 9'd4 && mq &&
                      c_types[15:0] >= 16'd1 && c_types[15:0] <= 16'(NUM_QP);
    assign ok_rss   = is_rss && rss && PW'(clen) == p_tail + PW'(3) + PW'(c_klen) &&
                      (entries & {1'b0, c_mask}) == 17'd0 && entries <= 17'(TBL) && types_ok &&
                      c_uncl < 16'(NUM_QP) && !c_bad && c_tx >= 16'd1 && c_tx <= 16'(NUM_QP) && key_ok;
    assign ok_hash  = is_hash && hash_report && PW'(clen) == HKLEN + PW'(1) + PW'(c_klen) && types_ok && key_ok;
    assign ok       = !too_long && clen >= 9'd2 && c_cls == vionic_pkg::VIRTIO_NET_CTRL_MQ &&
                      (ok_pairs || ok_rss || ok_hash);

    logic seg_here;
    assign seg_here = (state == S_SEG) && s_seg_valid;
    assign s_chain_ready  = (state == S_IDLE) && run && !suspend && s_chain_valid;
    // readable: read its part of the command (nothing once MAX_CMD bytes are in); the first
    // writable one: the ack; the rest: passed over
    assign m_rd_req_valid = seg_here && !s_seg_write && take != 0;
    assign m_rd_req_addr  = s_seg_addr;
    assign m_rd_req_len   = take[15:0];
    assign m_wr_req_valid = seg_here && s_seg_write && !acked;
    assign m_wr_req_addr  = s_seg_addr;
    assign m_wr_req_ack   = ok ? vionic_pkg::VIRTIO_NET_OK : vionic_pkg::VIRTIO_NET_ERR;
    assign m_wr_req_desc  = s_seg_idx;
    assign s_seg_ready    = seg_here && (m_rd_req_valid ? m_rd_req_ready : m_wr_req_valid ? m_wr_req_ready : 1'b1);
    assign m_used_valid   = (state == S_USED);
    assign m_used_id      = head;
    assign m_used_len     = {31'd0, acked};
    assign quiet          = (state == S_IDLE) || (state == S_HALT);

    // the byte of the beat parsed this cycle; the beat is taken with its last byte
    logic [LW-1:0] bsel;
    logic [7:0]    byte_in;
    logic          beat_end;
    assign bsel       = beat_mid ? beat_pos : s_rd_lo;
    assign byte_in    = s_rd_data[8*bsel +: 8];
    assign beat_end   = 32'(bsel) + 1 >= 32'(s_rd_hi);
    assign s_rd_ready = (state == S_READ) && beat_end;

    logic [15:0] ack_dist;
    assign ack_dist = wr_done - ack_seq;   // completed past the ack write: its bit 15 clear, nonzero

    // the configuration in use: reset to no types and automatic steering
    always_ff @(posedge clk) begin
        if (rst || clear) begin
            pairs_active <= 16'd1;
            rss_on       <= 1'b0;
            rss_types    <= '0;
            rss_key      <= '0;
            rss_mask     <= '0;
            rss_unclass  <= '0;
            rss_table    <= '0;
        end else if (state == S_ACK && !wr_err && ack_dist != 0 && !ack_dist[15] && ok) begin
            rss_on <= ok_rss;
            if (!ok_hash) pairs_active <= ok_rss ? c_tx : c_types[15:0];
            if (!ok_pairs) begin
                rss_types <= c_types[5:0];
                for (int j = 0; j < KEY; j++)
                    rss_key[8*(KEY-1-j) +: 8] <= (j < int'(c_klen)) ? c_key[8*(KEY-1-j) +: 8] : 8'd0;
            end
            if (ok_rss) begin
                rss_mask    <= c_mask[6:0];
                rss_unclass <= c_uncl[QW-1:0];
                rss_table   <= c_tbl;
            end
        end
    end

    // the command parsed byte by byte (fields at their positions; the checks above)
    always_ff @(posedge clk) begin
        if (state == S_READ && s_rd_valid) begin
            case (rd_pos)
                9'd0: c_cls <= byte_in;
                9'd1: c_cmd <= byte_in;
                9'd2, 9'd3, 9'd4, 9'd5: c_types[8*(rd_pos - 9'd2) +: 8] <= byte_in;
                9'd6, 9'd7: c_mask[8*(rd_pos - 9'd6) +: 8] <= byte_in;
                9'd8, 9'd9: c_uncl[8*(rd_pos - 9'd8) +: 8] <= byte_in;
                default: ;
            endcase
            if (is_rss && p_pos >= TBL0 && p_pos < p_tail) begin
                if (!p_ent[0]) c_lo <= byte_in;
                else if (p_ent[PW-1:1] < (PW-1)'(TBL)) c_tbl[QW*p_ent[PW-1:1] +: QW] <= c_lo[QW-1:0];
            end
            if (is_rss && p_pos == p_tail) c_tx[7:0] <= byte_in;
            if (is_rss && p_pos == p_tail + PW'(1)) c_tx[15:8] <= byte_in;
            if (p_pos == p_klen) c_klen <= byte_in;
            if (p_pos > p_klen && p_key < PW'(KEY)) c_key[8*(KEY-1-int'(p_key)) +: 8] <= byte_in;
        end
    end

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            state        <= S_IDLE;
            head         <= '0;
            segs_left    <= '0;
            ack_seq      <= '0;
            clen         <= '0;
            rd_pos       <= '0;
            too_long     <= 1'b0;
            acked        <= 1'b0;
            rd_bad       <= 1'b0;
            beat_mid     <= 1'b0;
            beat_pos     <= '0;
            c_bad        <= 1'b0;
            cur_addr     <= '0;
            cur_desc     <= '0;
            err_valid    <= 1'b0;
            err_desc     <= '0;
            err_addr     <= '0;
        end else begin
            err_valid <= 1'b0;
            case (state)
                S_IDLE: if (s_chain_ready) begin
                    state     <= S_SEG;
                    head      <= s_chain_head;
                    segs_left <= s_chain_nseg;
                    clen      <= '0;
                    rd_pos    <= '0;
                    too_long  <= 1'b0;
                    acked     <= 1'b0;
                    c_bad     <= 1'b0;
                end
                S_SEG: if (s_seg_valid && s_seg_ready) begin
                    segs_left <= segs_left - 16'd1;
                    cur_addr  <= s_seg_addr;
                    cur_desc  <= s_seg_idx;
                    if (m_rd_req_valid) begin
                        clen   <= clen + take[8:0];
                        rd_bad <= 1'b0;
                        state  <= S_READ;
                    end else if (m_wr_req_valid) begin
                        acked   <= 1'b1;
                        ack_seq <= wr_seq;
                        state   <= S_ACK;
                    end else if (segs_left == 16'd1) begin
                        state <= S_USED;
                    end
                    if (!s_seg_write && s_seg_len > room) too_long <= 1'b1;
                end
                S_READ: if (s_rd_valid) begin
                    rd_pos   <= rd_pos + 9'd1;
                    beat_mid <= !beat_end;
                    beat_pos <= bsel + LW'(1);
                    // a table entry's high byte: the entry must name a pair
                    if (is_rss && p_pos >= TBL0 && p_pos < p_tail && p_ent[0] && {byte_in, c_lo} >= 16'(NUM_QP))
                        c_bad <= 1'b1;
                    if (s_rd_err) rd_bad <= 1'b1;
                    if (beat_end && s_rd_last) begin
                        if (rd_bad || s_rd_err) begin
                            state     <= S_HALT;
                            err_valid <= 1'b1;
                            err_desc  <= cur_desc;
                            err_addr  <= cur_addr;
                        end else begin
                            state <= (segs_left == 16'd0) ? S_USED : S_SEG;
                        end
                    end
                end
                S_ACK: begin
                    if (wr_err) state <= S_HALT;
                    else if (ack_dist != 0 && !ack_dist[15]) begin
                        // executed; the chain's remaining segments are passed over
                        state <= (segs_left == 16'd0) ? S_USED : S_SEG;
                    end
                end
                S_USED: if (m_used_ready) state <= S_IDLE;
                default: ;
            endcase
        end
    end
endmodule

`default_nettype wire
