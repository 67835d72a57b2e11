// vionic_ctrl: the control queue (VIRTIO_NET_F_CTRL_VQ), as the model's
// ctrl_poll/ctrl_exec. Per chain (checked by vionic_fetch, CTRL): the command
// bytes of the device-readable segments are read, at most CTRL_MAX_CMD (more:
// answered VIRTIO_NET_ERR, the rest is not read); the ack goes to the first
// device-writable byte: VIRTIO_NET_OK only for VIRTIO_NET_CTRL_MQ /
// VQ_PAIRS_SET with exactly 2 data bytes, MQ negotiated and 1 <= n <=
// NUM_QP, which sets pairs_active = n once the ack write has completed;
// every other command VIRTIO_NET_ERR. A chain without a writable segment is
// not executed (used length 0), else the used length is 1. One chain at a
// time: its used entry leaves only after its ack write completed, so a failed
// write (reported by the core from the write engine) returns no used entry.
// A read error is reported here (the segment's descriptor and address); after
// any error the queue is stopped by the register file and `run` drops.
`default_nettype none

module vionic_ctrl #(
    parameter int DATA_WIDTH = 64,   // DMA data width in bits
    parameter int ADDR_WIDTH = 64,   // address width
    parameter int NUM_QP     = 2     // queue pairs: the largest VQ_PAIRS_SET accepted
) (
    input  wire logic                            clk,
    input  wire logic                            rst,
    input  wire logic                            clear,          // device reset
    input  wire logic                            run,            // queue enabled, DRIVER_OK, not stopped
    input  wire logic                            suspend,        // take no new chain (SUSPEND)
    output      logic                            quiet,          // no chain in progress
    input  wire logic                            mq,             // VIRTIO_NET_F_MQ negotiated
    output      logic [15:0]                     pairs_active,   // 1 after reset
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
    localparam int MAX_CMD = vionic_pkg::CTRL_MAX_CMD;
    localparam int CMD_USE = 4;      // the bytes a command this device executes has

    typedef enum logic [2:0] {
        S_IDLE,      // waiting for a chain
        S_SEG,       // the next segment of the chain
        S_READ,      // command bytes in flight
        S_ACK,       // ack write issued, waiting for its completion
        S_USED,      // used entry to hand over
        S_HALT       // an error: nothing more until reset
    } state_t;
    state_t state;

    logic [15:0]        head, segs_left, ack_seq, n_req;
    logic [6:0]         clen;         // command bytes taken (<= MAX_CMD)
    logic [6:0]         rd_pos;       // command bytes received
    logic [8*CMD_USE-1:0] cmd;        // the first command bytes
    logic               too_long, acked, rd_bad;
    logic [31:0]        room, take;
    logic [ADDR_WIDTH-1:0] cur_addr;
    logic [15:0]        cur_desc;
    logic               ok;

    assign room = 32'(MAX_CMD) - 32'(clen);
    assign take = (s_seg_len < room) ? s_seg_len : room;
    assign n_req = cmd[31:16];
    // VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET with its le16 and nothing more, within the pairs
    assign ok = !too_long && clen == 7'(CMD_USE) && mq &&
                cmd[7:0] == vionic_pkg::VIRTIO_NET_CTRL_MQ && cmd[15:8] == vionic_pkg::VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
                n_req >= 16'd1 && n_req <= 16'(NUM_QP);

    logic seg_here;
    assign seg_here = (state == S_SEG) && s_seg_valid;
    assign s_chain_ready  = (state == S_IDLE) && run && !suspend && s_chain_valid;
    // readable: read its part of the command (nothing once 64 bytes are in); the first
    // writable one: the ack; the rest: passed over
    assign m_rd_req_valid = seg_here && !s_seg_write && take != 0;
    assign m_rd_req_addr  = s_seg_addr;
    assign m_rd_req_len   = take[15:0];
    assign m_wr_req_valid = seg_here && s_seg_write && !acked;
    assign m_wr_req_addr  = s_seg_addr;
    assign m_wr_req_ack   = ok ? vionic_pkg::VIRTIO_NET_OK : vionic_pkg::VIRTIO_NET_ERR;
    assign m_wr_req_desc  = s_seg_idx;
    assign s_seg_ready    = seg_here && (m_rd_req_valid ? m_rd_req_ready : m_wr_req_valid ? m_wr_req_ready : 1'b1);
    assign s_rd_ready     = (state == S_READ);
    assign m_used_valid   = (state == S_USED);
    assign m_used_id      = head;
    assign m_used_len     = {31'd0, acked};
    assign quiet          = (state == S_IDLE) || (state == S_HALT);

    // command bytes of a response beat at their place in the command
    logic [8*CMD_USE-1:0] cmd_next;
    logic [6:0]           rd_pos_next;
    always_comb begin
        cmd_next    = cmd;
        rd_pos_next = rd_pos;
        for (int j = 0; j < W; j++) begin
            if (j >= int'(s_rd_lo) && j < int'(s_rd_hi)) begin
                if (rd_pos_next < 7'(CMD_USE)) cmd_next[8*rd_pos_next[1:0] +: 8] = s_rd_data[8*j +: 8];
                rd_pos_next = rd_pos_next + 7'd1;
            end
        end
    end

    logic [15:0] ack_dist;
    assign ack_dist = wr_done - ack_seq;   // completed past the ack write: its bit 15 clear, nonzero

    always_ff @(posedge clk) begin
        if (rst || clear) begin
            state        <= S_IDLE;
            pairs_active <= 16'd1;
            head         <= '0;
            segs_left    <= '0;
            ack_seq      <= '0;
            clen         <= '0;
            rd_pos       <= '0;
            cmd          <= '0;
            too_long     <= 1'b0;
            acked        <= 1'b0;
            rd_bad       <= 1'b0;
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
                    cmd       <= '0;
                    too_long  <= 1'b0;
                    acked     <= 1'b0;
                end
                S_SEG: if (s_seg_valid && s_seg_ready) begin
                    segs_left <= segs_left - 16'd1;
                    cur_addr  <= s_seg_addr;
                    cur_desc  <= s_seg_idx;
                    if (m_rd_req_valid) begin
                        clen   <= clen + take[6:0];
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
                    cmd    <= cmd_next;
                    rd_pos <= rd_pos_next;
                    if (s_rd_err) rd_bad <= 1'b1;
                    if (s_rd_last) begin
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
                        if (ok) pairs_active <= n_req;
                    end
                end
                S_USED: if (m_used_ready) state <= S_IDLE;
                default: ;
            endcase
        end
    end
endmodule

`default_nettype wire
