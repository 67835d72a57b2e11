// vionic_flow: the header of each frame of a stream and its symmetric flow hash
// (automatic receive steering, VIRTIO 1.2 §5.1.6.5.5), as the model's flow_hash:
// TCP or UDP directly over IPv4 or IPv6 as sw/common/inet_csum.c vcsum_locate
// takes it (at most one 802.1Q tag; IPv4: version 4, IHL >= 5, total length >=
// IHL and within the frame, not a fragment; IPv6: version 6, payload within the
// frame, next header TCP/UDP, no extension header walked) with at least 4 L4
// bytes: h = (A ^ (P << 16) ^ proto) * 0x9E3779B1 >> 16, A the XOR of the
// address words (little-endian 32-bit loads of source and destination), P the
// XOR of the two ports (little-endian 16-bit loads); the same both ways.
// Every other frame: flow_ok low.
// It only looks at the beats taken (s_fire): the first CAP bytes are kept, and
// in the cycle after a frame's last beat `done` is high with the whole header
// in `cap` and the frame length in `len` (for a user of other fields; `cap` is
// overwritten from the next cycle on); the flow hash follows two cycles later
// with `flow_done`, the tag given with the last beat alongside.
`default_nettype none

module vionic_flow #(
    parameter int DATA_WIDTH = 512,   // frame stream width in bits (>= 64)
    parameter int TAG        = 1,     // bits of the caller's tag carried to flow_done
    parameter int CAP        = 82     // header bytes kept (>= vionic_pkg::L3_HDR_BYTES): a tag, a 60-byte IPv4 header, the ports
) (
    input  wire logic                    clk,
    input  wire logic                    rst,
    input  wire logic                    s_fire,      // a beat is taken
    input  wire logic [DATA_WIDTH-1:0]   s_tdata,
    input  wire logic [DATA_WIDTH/8-1:0] s_tkeep,
    input  wire logic                    s_tlast,
    input  wire logic [TAG-1:0]          s_tag,       // sampled with the last beat
    output      logic                    done,        // the cycle after a last beat: cap and len hold the frame's
    output      logic [8*CAP-1:0]        cap,         // byte i in bits 8i+7:8i (bytes beyond len are stale)
    output      logic [15:0]             len,         // frame bytes
    output      logic                    flow_done,   // two cycles after done
    output      logic                    flow_ok,     // a TCP/UDP flow
    output      logic [15:0]             flow_hash,
    output      logic [TAG-1:0]          flow_tag
);
    localparam int W = DATA_WIDTH / 8;
    localparam logic [31:0] GOLDEN      = 32'h9E37_79B1;   // flow_hash's multiplier

    // ---------------- capture: beat index and bytes so far ----------------
    logic [15:0]    in_beat, in_bytes, beat_len;
    logic [TAG-1:0] tag_q;
    assign beat_len = in_bytes + 16'($countones(s_tkeep));
    always_ff @(posedge clk) begin
        if (rst) begin
            in_beat  <= '0;
            in_bytes <= '0;
            done     <= 1'b0;
        end else begin
            done <= s_fire && s_tlast;
            if (s_fire) begin
                in_beat  <= s_tlast ? 16'd0 : in_beat + 16'd1;
                in_bytes <= s_tlast ? 16'd0 : beat_len;
            end
        end
    end
    always_ff @(posedge clk) begin
        if (s_fire) begin
            len <= beat_len;
            if (s_tlast) tag_q <= s_tag;
            for (int i = 0; i < CAP; i++)
                if (32'(in_beat) == i / W) cap[8*i +: 8] <= s_tdata[8*(i % W) +: 8];
        end
    end

    // ---------------- decode (vcsum_locate) and the word to multiply ----------------
    function automatic logic [31:0] le32(input logic [8*CAP-1:0] c, input int i);
        le32 = {c[8*(i+3) +: 8], c[8*(i+2) +: 8], c[8*(i+1) +: 8], c[8*i +: 8]};
    endfunction
    vionic_pkg::l3_hdr_t h;
    logic [8*vionic_pkg::IP_HDR_BYTES-1:0] ip;
    logic        v4, v6, ok;
    logic [15:0] l4_len;
    logic [31:0] addr, ports, x;
    // decoded only in the cycle after a frame's last beat, which takes it (a Verilated
    // model skips it in the others)
    always_comb begin
        {h, ip, v4, v6, l4_len, ok, addr, ports, x} = '0;
        if (done) begin
            h      = vionic_pkg::l3_decode(cap[8*vionic_pkg::L3_HDR_BYTES-1:0]);
            ip     = vionic_pkg::ip_header(cap[8*vionic_pkg::L3_HDR_BYTES-1:8*14], h.vlan);
            v4     = h.v4 && 17'(len) >= 17'(h.off) + 17'd20 && h.tot >= 16'(h.ihl) &&
                     17'(h.off) + 17'(h.tot) <= 17'(len) && !h.frag;
            v6     = h.v6 && 17'(len) >= 17'(h.off) + 17'd40 && 17'(h.off) + 17'd40 + 17'(h.plen) <= 17'(len);
            l4_len = v6 ? h.plen : h.tot - 16'(h.ihl);
            ok     = len >= 16'd14 && (!h.vlan || len >= 16'd18) && (v4 || v6) &&
                     (h.proto == vionic_pkg::IPPROTO_TCP || h.proto == vionic_pkg::IPPROTO_UDP) &&
                     l4_len >= 16'd4;
            addr   = ip[8*12 +: 32] ^ ip[8*16 +: 32];   // the addresses as little-endian words
            if (v6) begin
                addr = '0;
                for (int k = 0; k < 8; k++) addr = addr ^ ip[8*(8 + 4*k) +: 32];
            end
            // the ports: L4 starts at 34..78 in steps of 4 (tag or not, IHL 5..15)
            ports = '0;
            for (int o = 34; o + 4 <= CAP; o += 4)
                if (h.l4_off == 17'(o)) ports = le32(cap, o);
            x = addr ^ {ports[31:16] ^ ports[15:0], 16'd0} ^ 32'(h.proto);
        end
    end

    logic           p2_valid, p2_ok;
    logic [31:0]    p2_x;
    logic [TAG-1:0] p2_tag;
    logic [31:0]    prod;
    assign prod = p2_x * GOLDEN;   // h >> 16: the low half is not used
    logic unused_prod;
    assign unused_prod = ^prod[15:0];
    always_ff @(posedge clk) begin
        if (rst) begin
            p2_valid  <= 1'b0;
            flow_done <= 1'b0;
        end else begin
            p2_valid  <= done;
            flow_done <= p2_valid;
        end
        if (done) begin
            p2_ok  <= ok;
            p2_x   <= x;
            p2_tag <= tag_q;
        end
        if (p2_valid) begin
            flow_ok   <= p2_ok;
            flow_hash <= prod[31:16];
            flow_tag  <= p2_tag;
        end
    end
endmodule

`default_nettype wire
