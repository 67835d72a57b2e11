// vionic_burst: next AXI4 INCR burst of a transfer [cur_addr, cur_end):
// starts at the bus-aligned address, ends at the transfer end, the next 4 KiB
// boundary or after 256 beats, whichever comes first (combinational).
module vionic_burst #(
    parameter int DATA_WIDTH = 64,   // AXI data width in bits
    parameter int ADDR_WIDTH = 64    // AXI address width
) (
    input  logic [ADDR_WIDTH-1:0] cur_addr,   // next byte to transfer
    input  logic [ADDR_WIDTH-1:0] cur_end,    // one past the last byte
    output logic [ADDR_WIDTH-1:0] a_al,       // burst address (aligned to the bus width)
    output logic [ADDR_WIDTH-1:0] bend,       // one past the burst's last byte
    output logic [8:0]            beats       // burst length in beats (1..256)
);
    localparam int W     = DATA_WIDTH / 8;
    localparam int LW    = $clog2(W);
    localparam int MAXBB = (4096 / W) > 256 ? 256 : (4096 / W);

    logic [ADDR_WIDTH-1:0] page_end, max_end, nbytes;
    always_comb begin
        a_al     = {cur_addr[ADDR_WIDTH-1:LW], {LW{1'b0}}};
        page_end = {cur_addr[ADDR_WIDTH-1:12] + 1'b1, 12'h000};
        max_end  = a_al + ADDR_WIDTH'(MAXBB * W);
        bend     = cur_end;
        if (page_end < bend) bend = page_end;
        if (max_end < bend) bend = max_end;
        nbytes   = bend - a_al + ADDR_WIDTH'(W - 1);
        beats    = nbytes[LW+8:LW];
    end

    logic unused_ok;
    assign unused_ok = ^{cur_addr[LW-1:0], nbytes};
endmodule
