// vionic_rx_csum: RX offload stage VIONIC_STAGE_RX_CSUM (VIRTIO_NET_F_GUEST_CSUM).
// TCP or UDP directly over IPv4 (IHL >= 5, total length >= IHL, no fragment:
// MF = 0 and offset 0) or IPv6 (next header TCP/UDP, extension headers are
// not walked), after at most one 802.1Q tag, whose IP length fits in the
// frame (padding after it is ignored): the L4 checksum is checked with the
// pseudo-header; right -> VIRTIO_NET_HDR_F_DATA_VALID in the output metadata
// flags (CSUM_GOOD event), wrong -> unmarked (CSUM_BAD event; the events in
// meta_t.events count when the RX queue writes the frame into a buffer, as
// the model counts). UDP over IPv4 with checksum 0
// and every other frame pass unmarked and uncounted (the rules of
// include/vionic/regs.h and sw/common/inet_csum.c). Nothing is marked or
// counted while `enable` is low or for a frame with tuser (the RX queue drops it).
// The frame passes through one register; a free-running pipeline beside it
// looks at every beat taken: the first 64 bytes are kept (every field the
// decision needs lies in them), each beat is summed over the L4 bytes its
// decode says, and the verdict comes 4 cycles after the last beat.
// Stage interface (hw/rtl/README.md): RX rule, the metadata of a frame is
// given after its last beat; the input metadata is taken with it.
`default_nettype none

module vionic_rx_csum #(
    parameter int DATA_WIDTH = 512   // frame stream width in bits (>= 64)
) (
    input  wire logic                    clk,
    input  wire logic                    rst,          // also the device reset (clear)
    input  wire logic                    enable,       // VIRTIO_NET_F_GUEST_CSUM negotiated
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
    output      logic                    m_meta_valid,
    input  wire logic                    m_meta_ready,
    output      vionic_pkg::meta_t       m_meta_data
);
    localparam int EV = vionic_pkg::VIONIC_STAGE_RX_CSUM * vionic_pkg::STAGE_COUNTERS;   // its events
    localparam int W   = DATA_WIDTH / 8;
    localparam int LW  = $clog2(W);
    localparam int CAP = vionic_pkg::L3_HDR_BYTES;   // header bytes kept: up to the IPv6 destination after a tag

    // vionic_pkg::csum_lanes sums beats of up to CSUM_BEAT_BITS (an unknown module stops elaboration)
    generate
        if (DATA_WIDTH > vionic_pkg::CSUM_BEAT_BITS) begin : g_chk_dw
            vionic_error_data_width_above_csum_beat_bits u_err ();
        end
    endgenerate

    // ---------------- the frame: one register ----------------
    logic vq_room, beat_fire;
    assign s_axis_tready = (!m_axis_tvalid || m_axis_tready) && vq_room;
    assign beat_fire     = s_axis_tvalid && s_axis_tready;
    always_ff @(posedge clk) begin
        if (rst) begin
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tkeep  <= '0;
            m_axis_tlast  <= 1'b0;
            m_axis_tuser  <= 1'b0;
        end else if (!m_axis_tvalid || m_axis_tready) begin
            m_axis_tvalid <= s_axis_tvalid && vq_room;
            m_axis_tdata  <= s_axis_tdata;
            m_axis_tkeep  <= s_axis_tkeep;
            m_axis_tlast  <= s_axis_tlast;
            m_axis_tuser  <= s_axis_tuser;
        end
    end

    // ---------------- P1: the beat, its index and the frame bytes so far; header capture ----------------
    logic [15:0]           in_beat, in_bytes, beat_len;
    logic                  p1_valid, p1_last, p1_user;
    logic [DATA_WIDTH-1:0] p1_data;
    logic [W-1:0]          p1_keep;
    logic [15:0]           p1_beat, p1_len;
    logic [8*CAP-1:0]      cap;                 // byte i in bits 8i+7:8i
    assign beat_len = in_bytes + 16'($countones(s_axis_tkeep));
    always_ff @(posedge clk) begin
        if (rst) begin
            in_beat  <= '0;
            in_bytes <= '0;
            p1_valid <= 1'b0;
        end else begin
            p1_valid <= beat_fire;
            if (beat_fire) begin
                in_beat  <= s_axis_tlast ? 16'd0 : in_beat + 16'd1;
                in_bytes <= s_axis_tlast ? 16'd0 : beat_len;
            end
        end
    end
    always_ff @(posedge clk) begin
        if (beat_fire) begin
            p1_data <= s_axis_tdata;
            p1_keep <= s_axis_tkeep;
            p1_last <= s_axis_tlast;
            p1_user <= s_axis_tuser;
            p1_beat <= in_beat;
            p1_len  <= beat_len;
            for (int i = 0; i < CAP; i++)
                if (32'(in_beat) == i / W) cap[8*i +: 8] <= s_axis_tdata[8*(i % W) +: 8];
        end
    end

    // ---------------- P2: decode of the header kept so far ----------------
    // the big-endian 16-bit field at byte i of the IP header
    function automatic logic [15:0] hw(input logic [8*vionic_pkg::IP_HDR_BYTES-1:0] c, input int i);
        hw = {c[8*i +: 8], c[8*(i+1) +: 8]};
    endfunction
    vionic_pkg::l3_hdr_t h;
    logic [8*vionic_pkg::IP_HDR_BYTES-1:0] ip;
    logic        unused_h;   // the tag is in h.off; L4 starts below 64 KiB
    assign unused_h = h.vlan ^ h.l4_off[16];
    logic        hdr_ok, udp4;
    logic [15:0] l4_len, l4_off;
    logic [16:0] ip_end;
    logic [21:0] pseudo;
    // decoded only in a cycle with a beat, whose stage takes it (a Verilated model
    // skips it in the others)
    always_comb begin
        {h, ip, pseudo, l4_len, l4_off, ip_end, hdr_ok, udp4} = '0;
        if (p1_valid) begin
            h      = vionic_pkg::l3_decode(cap[8*vionic_pkg::L3_HDR_BYTES-1:0]);
            ip     = vionic_pkg::ip_header(cap[8*vionic_pkg::L3_HDR_BYTES-1:8*14], h.vlan);
            l4_off = h.l4_off[15:0];
            pseudo = '0;
            if (h.v6) begin
                l4_len = h.plen;
                ip_end = 17'(h.off) + 17'd40 + 17'(l4_len);
                hdr_ok = 1'b1;
                for (int k = 0; k < 16; k++) pseudo = pseudo + 22'(hw(ip, 8 + 2*k));
            end else begin
                l4_len = h.tot - 16'(h.ihl);
                ip_end = 17'(h.off) + 17'(h.tot);
                hdr_ok = h.v4 && (h.tot >= 16'(h.ihl)) && !h.frag;
                for (int k = 0; k < 4; k++) pseudo = pseudo + 22'(hw(ip, 12 + 2*k));
            end
            hdr_ok = hdr_ok && (h.proto == vionic_pkg::IPPROTO_TCP || h.proto == vionic_pkg::IPPROTO_UDP);
            pseudo = pseudo + 22'(h.proto) + 22'(l4_len);
            udp4   = h.v4 && (h.proto == vionic_pkg::IPPROTO_UDP);
        end
    end

    logic                  p2_valid, p2_last, p2_user, p2_ok, p2_udp4;
    logic [DATA_WIDTH-1:0] p2_data;
    logic [W-1:0]          p2_keep;
    logic [15:0]           p2_beat, p2_len, p2_l4_off, p2_l4_len;
    logic [16:0]           p2_ip_end;
    logic [21:0]           p2_pseudo;
    always_ff @(posedge clk) begin
        p2_valid <= !rst && p1_valid;
        if (p1_valid) begin
            p2_data   <= p1_data;
            p2_keep   <= p1_keep;
            p2_last   <= p1_last;
            p2_user   <= p1_user;
            p2_beat   <= p1_beat;
            p2_len    <= p1_len;
            p2_ok     <= hdr_ok;
            p2_udp4   <= udp4;
            p2_l4_off <= l4_off;
            p2_l4_len <= l4_len;
            p2_ip_end <= ip_end;
            p2_pseudo <= pseudo;
        end
    end

    // ---------------- P3: the beat's L4 bytes summed; the UDP checksum field seen ----------------
    // the beat holds the frame's bytes [beat_pos, beat_pos + keep_bytes) (tkeep is contiguous
    // from lane 0, every beat full but the last: the stage interface); L4 is [l4_off, ip_end)
    logic [15:0]  sum_beat;
    logic         nz_beat;
    logic [16:0]  beat_pos, l4_start, field;
    logic [LW:0]  keep_bytes, l4_lo, l4_hi;
    always_comb begin
        beat_pos   = 17'({p2_beat, LW'(0)});
        keep_bytes = (LW+1)'($countones(p2_keep));
        l4_start   = {1'b0, p2_l4_off};
        if (l4_start <= beat_pos)                     l4_lo = '0;
        else if (l4_start - beat_pos >= 17'(W))       l4_lo = (LW+1)'(W);
        else                                          l4_lo = (LW+1)'(l4_start - beat_pos);
        if (p2_ip_end <= beat_pos)                    l4_hi = '0;
        else if (p2_ip_end - beat_pos >= 17'(keep_bytes)) l4_hi = keep_bytes;
        else                                          l4_hi = (LW+1)'(p2_ip_end - beat_pos);
        nz_beat = 1'b0;
        for (int k = 6; k < 8; k++) begin
            field = l4_start + 17'(k);
            if (field >= beat_pos && field - beat_pos < 17'(keep_bytes) && field < p2_ip_end &&
                p2_data[{field[LW-1:0], 3'b000} +: 8] != 8'd0)
                nz_beat = 1'b1;
        end
        // summed only in a cycle with a beat (the only ones that use it; a Verilated
        // model skips it in the others)
        sum_beat = '0;
        if (p2_valid)
            sum_beat = vionic_pkg::csum_lanes(vionic_pkg::CSUM_BEAT_BITS'(p2_data),
                                              vionic_pkg::CSUM_LANE_BITS'(l4_lo),
                                              vionic_pkg::CSUM_LANE_BITS'(l4_hi));
    end

    logic          p3_valid, p3_last, p3_user, p3_ok, p3_udp4, p3_nz;
    logic [15:0]   p3_sum;
    logic [15:0]   p3_len, p3_l4_len;
    logic [16:0]   p3_ip_end;
    logic [21:0]   p3_pseudo;
    always_ff @(posedge clk) begin
        p3_valid <= !rst && p2_valid;
        if (p2_valid) begin
            p3_sum    <= sum_beat;
            p3_nz     <= nz_beat;
            p3_last   <= p2_last;
            p3_user   <= p2_user;
            p3_len    <= p2_len;
            p3_ok     <= p2_ok;
            p3_udp4   <= p2_udp4;
            p3_l4_len <= p2_l4_len;
            p3_ip_end <= p2_ip_end;
            p3_pseudo <= p2_pseudo;
        end
    end

    // ---------------- P4: the frame's sum and the verdict at its last beat ----------------
    logic [31:0] acc, total, fold1;
    logic [15:0] fold2;
    logic        nz_acc, nz, checked, udp_none;
    always_comb begin
        total    = acc + 32'(p3_sum) + 32'(p3_pseudo);
        fold1    = {16'd0, total[15:0]} + {16'd0, total[31:16]};
        fold2    = fold1[15:0] + {15'd0, fold1[16]};
        nz       = nz_acc || p3_nz;
        udp_none = p3_udp4 && (p3_l4_len >= 16'd8) && !nz;
        checked  = enable && !p3_user && p3_ok && (p3_ip_end <= {1'b0, p3_len}) && !udp_none;
    end
    logic v_valid, v_good, v_bad;
    always_ff @(posedge clk) begin
        if (rst) begin
            acc     <= '0;
            nz_acc  <= 1'b0;
            v_valid <= 1'b0;
            v_good  <= 1'b0;
            v_bad   <= 1'b0;
        end else begin
            v_valid <= p3_valid && p3_last;
            if (p3_valid) begin
                acc    <= p3_last ? 32'd0 : acc + 32'(p3_sum);
                nz_acc <= !p3_last && nz;
                if (p3_last) begin
                    v_good <= checked && (fold2 == 16'hFFFF);
                    v_bad  <= checked && (fold2 != 16'hFFFF);
                end
            end
        end
    end

    // ---------------- verdicts -> output metadata (with the input metadata) ----------------
    // room for the frames the pipeline may still hold (4) besides the one starting
    logic v_m_valid, v_m_good, v_m_bad, meta_load, v_s_ready;
    vionic_pkg::meta_t meta_next;
    logic [$clog2(16)+1:0] v_count;
    vionic_fifo #(.WIDTH(2), .DEPTH(16)) u_verdict (
        .clk(clk), .rst(rst), .s_valid(v_valid), .s_ready(v_s_ready), .s_data({v_good, v_bad}),
        .m_valid(v_m_valid), .m_ready(meta_load), .m_data({v_m_good, v_m_bad}), .count(v_count));
    assign vq_room      = v_count < 6'd10;
    assign meta_load    = v_m_valid && s_meta_valid && (!m_meta_valid || m_meta_ready);
    assign s_meta_ready = meta_load;
    always_comb begin
        meta_next       = s_meta_data;
        meta_next.flags = s_meta_data.flags | (v_m_good ? vionic_pkg::VIRTIO_NET_HDR_F_DATA_VALID : 8'd0);
        meta_next.events[EV + 32'(vionic_pkg::VIONIC_STAGE_CSUM_GOOD) / 4] = v_m_good;
        meta_next.events[EV + 32'(vionic_pkg::VIONIC_STAGE_CSUM_BAD) / 4]  = v_m_bad;
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
    assign unused_ok = ^{fold1[31:17], v_s_ready};
endmodule

`default_nettype wire
