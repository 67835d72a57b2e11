// vionic_burst: next AXI4 INCR burst of a transfer [cur_addr, cur_end):
// starts at the bus-aligned address, ends at the transfer end, the next 4 KiB
// boundary or after 256 beats, whichever comes first (combinational).
`default_nettype none

module vionic_burst #(
    parameter int DATA_WIDTH = 64,   // AXI data width in bits
    parameter int ADDR_WIDTH = 64    // AXI address width
) (
    input  wire logic [ADDR_WIDTH-1:0] cur_addr,   // next byte to transfer
    input  wire logic [ADDR_WIDTH-1:0] cur_end,    // one past the last byte
    output      logic [ADDR_WIDTH-1:0] burst_addr, // burst address (aligned to the bus width)
    output      logic [ADDR_WIDTH-1:0] burst_end,  // one past the burst's last byte
    output      logic [8:0]            beats       // burst length in beats (1..256)
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int MAX_BEATS = (4096 / W) > 256 ? 256 : (4096 / W);

    logic [ADDR_WIDTH-1:0] page_end, max_end, burst_bytes;
    always_comb begin
        burst_addr = {cur_addr[ADDR_WIDTH-1:LW], {LW{1'b0}}};
        page_end   = {cur_addr[ADDR_WIDTH-1:12] + 1'b1, 12'h000};
        max_end    = burst_addr + ADDR_WIDTH'(MAX_BEATS * W);
        burst_end  = cur_end;
        if (page_end < burst_end) burst_end = page_end;
        if (max_end < burst_end) burst_end = max_end;
        burst_bytes = burst_end - burst_addr + ADDR_WIDTH'(W - 1);
        beats       = burst_bytes[LW+8:LW];
    end

    logic unused_ok;
    assign unused_ok = ^{cur_addr[LW-1:0], burst_bytes};
endmodule

`default_nettype wire
