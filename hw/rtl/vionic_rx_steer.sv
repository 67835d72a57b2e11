// vionic_rx_steer: RX stage that chooses each frame's receive queue (meta qid) and
// computes its RSS hash (meta hash, hash_report), as the model's rx_steer and
// rss_hash (the rules of include/vionic/regs.h):
// - the hash: with the hash types configured (RSS_CONFIG or HASH_CONFIG, by
//   vionic_ctrl), Toeplitz with the key (zero-padded to 40 bytes) over, in packet
//   order, source and destination address and, for TCP/UDP with its type enabled
//   (IPv4: not a fragment, MF = 0 and offset 0), the two ports; the IPv4/IPv6 type
//   alone over the addresses; after at most one 802.1Q tag; IPv4 needs IHL >= 5,
//   IPv6 is not walked past its fixed header; every header within the frame.
//   hash_report the VIRTIO_NET_HASH_REPORT_* of the type that applied, or hash 0
//   and NONE;
// - RSS steering on: receiveq 2 * table[hash & mask], 2 * unclassified without a type;
// - else automatic steering: receiveq 0 while pairs_active is 1 and for a frame
//   that is no TCP/UDP flow (vionic_flow); else the pair that last sent the flow
//   (a 256-entry table by flow hash % 256 of 1 + pair, learned from the TX tail
//   while pairs_active > 1, cleared by the device reset) if it is active, else
//   flow hash % pairs_active.
// Store and forward: the frames wait in a FIFO of two largest frames while a
// pipeline beside it keeps the first 82 bytes of each (a tag, a 60-byte IPv4
// header, the ports) and decides 5 cycles after its last beat; a frame leaves
// once its decision is made, with its pair on m_axis_tdest, so that the core
// hands its beats to that receive queue only (the frame is filled in while the
// previous one leaves: one beat per cycle each side). The configuration is read
// while a frame is in that pipeline: a frame within a few cycles of a control
// command taking effect may see part of the old and part of the new one.
// Stage interface (hw/rtl/README.md): RX rule, the metadata of a frame is
// given after its last beat went in (it may come before the frame leaves); the
// input metadata is taken with it.
`default_nettype none

module vionic_rx_steer #(
    parameter int DATA_WIDTH = 512,             // frame stream width in bits (>= 64)
    parameter int NUM_QP     = 2,               // queue pairs (>= 2)
    parameter int MAX_MTU    = vionic_pkg::VIONIC_DEFAULT_MTU,   // largest frame stored = MAX_MTU + 14 bytes
    parameter int QW         = $clog2(NUM_QP)   // bits of a pair number
) (
    input  wire logic                    clk,
    input  wire logic                    rst,          // also the device reset (clear)
    // the configuration (vionic_ctrl)
    input  wire logic [15:0]             pairs_active,
    input  wire logic                    rss_on,
    input  wire logic [5:0]              rss_types,
    input  wire logic [8*vionic_pkg::VIONIC_RSS_KEY_SIZE-1:0] rss_key,   // byte 0 in the top bits
    input  wire logic [6:0]              rss_mask,
    input  wire logic [QW-1:0]           rss_unclass,
    input  wire logic [vionic_pkg::VIONIC_RSS_TABLE_LEN*QW-1:0] rss_table,
    // flows sent (the TX tail): flow hash % 256 and the pair that sent it
    input  wire logic                    learn_valid,
    input  wire logic [7:0]              learn_slot,
    input  wire logic [QW-1:0]           learn_pair,
    // the stage streams
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
    output      logic [QW-1:0]           m_axis_tdest,   // the frame's pair (receiveq 2 * tdest)
    output      logic                    m_meta_valid,
    input  wire logic                    m_meta_ready,
    output      vionic_pkg::meta_t       m_meta_data
);
    localparam int CAP  = 82;                   // header bytes the hash may need
    localparam int KEY  = vionic_pkg::VIONIC_RSS_KEY_SIZE;
    localparam int IN   = 36;                   // Toeplitz input bytes at most (IPv6 addresses, ports)
    localparam int NG   = 6;                    // Toeplitz partial sums (input bits per partial: 8*IN/NG)
    localparam int GB   = 8 * IN / NG;
    localparam int FW   = $clog2(NUM_QP + 1);   // flow table entry: 1 + pair, 0 none
    localparam int VW   = QW + 32 + 3;          // verdict: pair, hash, report
    localparam int W    = DATA_WIDTH / 8;
    localparam int MAXB = (MAX_MTU + vionic_pkg::ETH_HDR_LEN + W - 1) / W;   // beats of the largest frame
    localparam int FD   = 2 ** $clog2(2 * MAXB);                        // two largest frames
    localparam int HELD = 8;                    // frames decided or deciding in the stage at most

    // ---------------- the frames: a FIFO, each leaves once decided ----------------
    // held_r / held_m: frames in (last beat taken) whose beats / metadata have not left
    logic                  beat_fire, f_s_ready, f_m_valid, f_m_ready, f_m_last, out_last, r_valid, meta_load;
    logic [QW-1:0]         r_pair;
    logic [$clog2(HELD):0] held_r, held_m;
    logic                  room;
    logic [$clog2(FD)+1:0] f_count;
    vionic_fifo #(.WIDTH(DATA_WIDTH + W + 2), .DEPTH(FD)) u_frames (
        .clk(clk), .rst(rst), .s_valid(s_axis_tvalid && room),
        .s_ready(f_s_ready), .s_data({s_axis_tdata, s_axis_tkeep, s_axis_tlast, s_axis_tuser}),
        .m_valid(f_m_valid), .m_ready(f_m_ready), .m_data({m_axis_tdata, m_axis_tkeep, f_m_last, m_axis_tuser}),
        .count(f_count));
    assign room          = 32'(held_r) < HELD && 32'(held_m) < HELD;
    assign s_axis_tready = f_s_ready && room;
    assign beat_fire     = s_axis_tvalid && s_axis_tready;
    assign m_axis_tvalid = f_m_valid && r_valid;
    assign m_axis_tlast  = f_m_last;
    assign m_axis_tdest  = r_pair;
    assign f_m_ready     = m_axis_tready && r_valid;
    assign out_last      = m_axis_tvalid && m_axis_tready && f_m_last;
    always_ff @(posedge clk) begin
        if (rst) begin
            held_r <= '0;
            held_m <= '0;
        end else begin
            held_r <= held_r + ($clog2(HELD)+1)'(beat_fire && s_axis_tlast) - ($clog2(HELD)+1)'(out_last);
            held_m <= held_m + ($clog2(HELD)+1)'(beat_fire && s_axis_tlast) - ($clog2(HELD)+1)'(meta_load);
        end
    end

    // ---------------- P1: header kept, flow hash beside ----------------
    logic             done, f_done, f_ok;
    logic [8*CAP-1:0] cap;
    logic [15:0]      len, f_hash;
    logic             f_tag_unused;
    vionic_flow #(.DATA_WIDTH(DATA_WIDTH), .TAG(1), .CAP(CAP)) u_flow (
        .clk(clk), .rst(rst), .s_fire(beat_fire), .s_tdata(s_axis_tdata), .s_tkeep(s_axis_tkeep),
        .s_tlast(s_axis_tlast), .s_tag(1'b0), .done(done), .cap(cap), .len(len),
        .flow_done(f_done), .flow_ok(f_ok), .flow_hash(f_hash), .flow_tag(f_tag_unused));

    // ---------------- P1 -> P2: the Toeplitz input (rss_hash) ----------------
    function automatic logic [7:0] hb(input logic [8*CAP-1:0] c, input int i);
        hb = c[8*i +: 8];
    endfunction
    vionic_pkg::l3_hdr_t h;
    logic [8*vionic_pkg::IP_HDR_BYTES-1:0] ip;
    logic            unused_h;   // RSS reads no IP length: the header within the frame is enough
    assign unused_h = h.vlan ^ ^h.ihl ^ ^h.tot ^ ^h.plen;
    logic            v4, v6, l4, cls;
    logic [8*IN-1:0] in;        // input byte k in bits 8*(IN-1-k) +: 8 (first bit is the top one)
    logic [31:0]     ports;
    logic [2:0]      report;
    // decoded only in the cycle after a frame's last beat, which takes it (a Verilated
    // model skips it in the others)
    always_comb begin
        {h, ip, v4, v6, ports, l4, in, report, cls} = '0;
        if (done) begin
            h      = vionic_pkg::l3_decode(cap[8*vionic_pkg::L3_HDR_BYTES-1:0]);
            ip     = vionic_pkg::ip_header(cap[8*vionic_pkg::L3_HDR_BYTES-1:8*14], h.vlan);
            // (a tag needs len >= 18: implied by the IP header's length checks)
            v4     = len >= 16'd14 && h.v4 && 17'(len) >= 17'(h.off) + 17'd20;
            v6     = len >= 16'd14 && h.v6 && 17'(len) >= 17'(h.off) + 17'd40;
            ports  = '0;
            for (int o = 34; o + 4 <= CAP; o += 4)
                if (h.l4_off == 17'(o)) ports = {hb(cap, o), hb(cap, o + 1), hb(cap, o + 2), hb(cap, o + 3)};
            l4     = 17'(len) >= h.l4_off + 17'd4 && (v6 || !h.frag) &&
                     ((h.proto == vionic_pkg::IPPROTO_TCP && rss_types[v6 ? 4 : 1]) ||
                      (h.proto == vionic_pkg::IPPROTO_UDP && rss_types[v6 ? 5 : 2]));
            in     = '0;
            report = vionic_pkg::VIRTIO_NET_HASH_REPORT_NONE;
            cls    = 1'b0;
            if (v4) begin
                for (int k = 0; k < 8; k++) in[8*(IN-1-k) +: 8] = ip[8*(12 + k) +: 8];
                if (l4) in[8*(IN-12) +: 32] = ports;
                cls    = l4 || rss_types[0];
                report = !l4 ? vionic_pkg::VIRTIO_NET_HASH_REPORT_IPv4 :
                         h.proto == vionic_pkg::IPPROTO_TCP ? vionic_pkg::VIRTIO_NET_HASH_REPORT_TCPv4 :
                                                             vionic_pkg::VIRTIO_NET_HASH_REPORT_UDPv4;
            end else if (v6) begin
                for (int k = 0; k < 32; k++) in[8*(IN-1-k) +: 8] = ip[8*(8 + k) +: 8];
                if (l4) in[0 +: 32] = ports;
                cls    = l4 || rss_types[3];
                report = !l4 ? vionic_pkg::VIRTIO_NET_HASH_REPORT_IPv6 :
                         h.proto == vionic_pkg::IPPROTO_TCP ? vionic_pkg::VIRTIO_NET_HASH_REPORT_TCPv6 :
                                                             vionic_pkg::VIRTIO_NET_HASH_REPORT_UDPv6;
            end
            if (!cls) report = vionic_pkg::VIRTIO_NET_HASH_REPORT_NONE;
        end
    end

    logic            p2_valid, p2_cls;
    logic [8*IN-1:0] p2_in;
    logic [2:0]      p2_report;
    // ---------------- P3: Toeplitz in NG partial sums ----------------
    // input bit i (from the top of `in`) set: XOR in the 32 key bits from key bit i on
    logic [NG*32-1:0] part;
    always_comb begin
        part = '0;
        if (p2_valid)   // the only cycles that take it (a Verilated model skips the loop in the others)
            for (int g = 0; g < NG; g++)
                for (int i = g * GB; i < (g + 1) * GB; i++)
                    if (p2_in[8*IN-1-i]) part[32*g +: 32] = part[32*g +: 32] ^ rss_key[8*KEY-1-i -: 32];
    end
    logic             p3_valid, p3_cls;
    logic [NG*32-1:0] p3_part;
    logic [2:0]       p3_report;
    // ---------------- P4: the hash; the flow's table entry and hash % pairs_active ----------------
    logic [31:0] hash;
    always_comb begin
        hash = '0;
        for (int g = 0; g < NG; g++) hash = hash ^ p3_part[32*g +: 32];
    end
    logic [FW-1:0] ftab [256];
    logic          p4_valid, p4_cls, p4_fok;
    logic [31:0]   p4_hash;
    logic [2:0]    p4_report;
    logic [FW-1:0] p4_fpair;
    logic [QW-1:0] p4_fmod;
    logic [3:0]    pa;          // pairs_active (<= VIONIC_MAX_QUEUE_PAIRS)
    assign pa = pairs_active[3:0];
    always_ff @(posedge clk) begin
        if (rst) begin
            p2_valid <= 1'b0;
            p3_valid <= 1'b0;
            p4_valid <= 1'b0;
        end else begin
            p2_valid <= done;
            p3_valid <= p2_valid;
            p4_valid <= p3_valid;
        end
        if (done) begin
            p2_cls    <= cls;
            p2_in     <= in;
            p2_report <= report;
        end
        if (p2_valid) begin
            p3_cls    <= p2_cls;
            p3_part   <= part;
            p3_report <= p2_report;
        end
        if (p3_valid) begin
            p4_cls    <= p3_cls;
            p4_hash   <= p3_cls ? hash : 32'd0;
            p4_report <= p3_report;
            p4_fok    <= f_ok;
            p4_fpair  <= ftab[f_hash[7:0]];
            p4_fmod   <= QW'(f_hash % 16'(pa));
        end
    end
    // the flow hash is due with P3 (two cycles after done)
    logic unused_flow;
    assign unused_flow = ^{f_done, f_tag_unused};

    // flow table: written by the TX tail while more than one pair is active
    always_ff @(posedge clk) begin
        if (rst) begin
            for (int s = 0; s < 256; s++) ftab[s] <= '0;
        end else if (learn_valid && pairs_active > 16'd1) begin
            ftab[learn_slot] <= FW'(learn_pair) + FW'(1);
        end
    end

    // ---------------- P5: the pair ----------------
    logic [QW-1:0] pair;
    always_comb begin
        if (rss_on)
            pair = p4_cls ? rss_table[QW*32'(p4_hash[6:0] & rss_mask) +: QW] : rss_unclass;
        else if (pairs_active == 16'd1 || !p4_fok)
            pair = '0;
        else if (p4_fpair != '0 && 16'(p4_fpair) <= pairs_active)
            pair = QW'(p4_fpair - FW'(1));
        else
            pair = p4_fmod;
    end
    logic          v_valid;
    logic [VW-1:0] v_data;
    always_ff @(posedge clk) begin
        if (rst) v_valid <= 1'b0;
        else     v_valid <= p4_valid;
        if (p4_valid) v_data <= {pair, p4_hash, p4_report};
    end

    // ---------------- verdicts -> the frames' pairs and the output metadata ----------------
    // (each FIFO holds at most HELD: the frames in the stage)
    logic              v_m_valid, v_s_ready, r_s_ready;
    logic [VW-1:0]     v_m_data;
    vionic_pkg::meta_t meta_next;
    logic [$clog2(HELD)+1:0] v_count, r_count;
    vionic_fifo #(.WIDTH(QW), .DEPTH(HELD)) u_route (
        .clk(clk), .rst(rst), .s_valid(v_valid), .s_ready(r_s_ready), .s_data(v_data[VW-1 -: QW]),
        .m_valid(r_valid), .m_ready(out_last), .m_data(r_pair), .count(r_count));
    vionic_fifo #(.WIDTH(VW), .DEPTH(HELD)) u_verdict (
        .clk(clk), .rst(rst), .s_valid(v_valid), .s_ready(v_s_ready), .s_data(v_data),
        .m_valid(v_m_valid), .m_ready(meta_load), .m_data(v_m_data), .count(v_count));
    assign meta_load    = v_m_valid && s_meta_valid && (!m_meta_valid || m_meta_ready);
    assign s_meta_ready = meta_load;
    always_comb begin
        meta_next             = s_meta_data;
        meta_next.qid         = {15'(v_m_data[VW-1 -: QW]), 1'b0};
        meta_next.hash        = v_m_data[34:3];
        meta_next.hash_report = v_m_data[2:0];
    end
    always_ff @(posedge clk) begin
        if (rst) begin
            m_meta_valid <= 1'b0;
            m_meta_data  <= '0;
        end else begin
            if (m_meta_valid && m_meta_ready) m_meta_valid <= 1'b0;
            if (meta_load) begin
                m_meta_valid <= 1'b1;
                m_meta_data  <= meta_next;
            end
        end
    end

    logic unused_ok;
    assign unused_ok = ^{v_s_ready, r_s_ready, v_count, r_count, f_count};
endmodule

`default_nettype wire
